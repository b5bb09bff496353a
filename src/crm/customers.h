#pragma once
// Customers of a tenant: the card an agent's screen pops on a call. The CRM
// issue extends this with numbers, tags, history and imports.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "store/store.h"

namespace ting::crm {

struct Customer {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;
  std::string phone;
  std::string email;
  std::string company;
  std::string notes;
  bool vip = false;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

boost::json::object toJson(const Customer& c);

// The writable fields; unset ones keep their value on update.
struct CustomerFields {
  std::optional<std::string> name;
  std::optional<std::string> phone;
  std::optional<std::string> email;
  std::optional<std::string> company;
  std::optional<std::string> notes;
  std::optional<bool> vip;
};

// kInvalidValue naming the field.
Status validateCustomer(const Customer& c);

Result<Customer> createCustomer(store::Tx& tx, const CustomerFields& fields);
// Reads one customer of the tenant; kNotFound for other tenants' ids.
Result<Customer> getCustomer(store::Session& session, std::int64_t tenant_id, std::int64_t id);
// A read of personal data, audited like a write.
Result<Customer> readCustomerAudited(store::Store& store, const store::Actor& actor,
                                     std::int64_t id);
Result<Customer> updateCustomer(store::Tx& tx, std::int64_t id, const CustomerFields& fields);
Status deleteCustomer(store::Tx& tx, std::int64_t id);

struct CustomerFilter {
  std::string phone;
  std::optional<bool> vip;
  std::string q;  // substring of name, company, phone or email
};
Result<store::Page> listCustomers(store::Session& session, std::int64_t tenant_id,
                                  const CustomerFilter& filter, const store::PageRequest& page);
Customer customerFromRow(const store::Row& row);

}  // namespace ting::crm
