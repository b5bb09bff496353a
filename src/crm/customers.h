#pragma once
// Customers of a tenant: the card an agent's screen pops on a call. Each has
// several phone numbers, kept as entered and normalized to E.164
// (crm/phone.h) so a caller is found however their number arrives.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace ting::crm {

struct CustomerPhone {
  std::string number;  // as entered
  std::string e164;    // the lookup key
  std::string kind;    // mobile, landline, toll_free, other
};

struct Customer {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;
  std::vector<CustomerPhone> phones;  // the first is the main number
  std::string email;
  std::string company;
  std::string address;
  std::string notes;
  std::vector<std::string> tags;
  int vip_level = 0;  // 0: not a VIP; 1-5
  boost::json::object custom_fields;
  std::optional<std::int64_t> owner_id;  // the agent who looks after the customer
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

// `mask_phones`: numbers shown as 138****8000 (roles that need not see them).
boost::json::object toJson(const Customer& c, bool mask_phones = false);

// The writable fields; unset ones keep their value on update.
struct FieldDefinition;  // crm/custom_fields.h

struct CustomerFields {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> phones;  // "phone" sets a single one
  std::string phones_field = "phones";  // how errors name them ("phone" for the single one)
  std::optional<std::string> email;
  std::optional<std::string> company;
  std::optional<std::string> address;
  std::optional<std::string> notes;
  std::optional<std::vector<std::string>> tags;
  std::optional<int> vip_level;  // "vip": true is level 1 (or the level kept), false 0
  std::optional<bool> vip;
  std::optional<boost::json::object> custom_fields;
  // The owner agent: a user of the tenant; nullopt inside clears it.
  std::optional<std::optional<std::int64_t>> owner_id;
  // The owner by username or staff number (SIP extension), as a CSV names
  // them; resolved when the customer is written.
  std::optional<std::string> owner;
  // The tenant's custom-field definitions when the caller has them (an
  // import loads them once); otherwise they are read when custom fields
  // are given.
  const std::vector<FieldDefinition>* field_definitions = nullptr;
};

// At most this many numbers, tags and custom fields per customer.
inline constexpr std::size_t kMaxPhones = 10;
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxCustomFields = 50;

// Applies `fields` to `c`, normalizing numbers (region CN for numbers without
// a country code); kInvalidValue naming the field (e.g. "phones[1]").
Status applyFields(Customer& c, const CustomerFields& fields);
Status validateCustomer(const Customer& c);

Result<Customer> createCustomer(store::Tx& tx, const CustomerFields& fields);
// Reads one customer of the tenant; kNotFound for other tenants' ids.
Result<Customer> getCustomer(store::Session& session, std::int64_t tenant_id, std::int64_t id);
// A read of personal data, audited like a write.
Result<Customer> readCustomerAudited(store::Store& store, const store::Actor& actor,
                                     std::int64_t id);
Result<Customer> updateCustomer(store::Tx& tx, std::int64_t id, const CustomerFields& fields);
// Also deletes its attachments' rows; their files (stored_as) are added to
// `files` for the caller to remove once the transaction has committed.
Status deleteCustomer(store::Tx& tx, std::int64_t id, std::vector<std::string>* files = nullptr);

// The tenant's user with `who` as username or staff number (an owner as
// imports and exports name one); kInvalidValue naming `owner` otherwise.
Result<std::int64_t> findOwner(store::Session& s, std::int64_t tenant_id, const std::string& who);

struct CustomerFilter {
  std::string phone;  // any of the customer's numbers, however written
  std::optional<bool> vip;
  std::string tag;
  std::string q;  // substring of name, company, phone or email
  std::optional<std::int64_t> owner_id;
};
// The query behind listCustomers: customers of the tenant matching `filter`.
Result<store::PageQuery> customerQuery(store::Session& session, std::int64_t tenant_id,
                                       const CustomerFilter& filter);
Result<store::Page> listCustomers(store::Session& session, std::int64_t tenant_id,
                                  const CustomerFilter& filter, const store::PageRequest& page);
// The customers of a page, with their numbers and tags.
Result<std::vector<Customer>> customersOf(store::Session& session, const store::Page& page);

// Screen pop: the tenant's customers with `number` among their numbers
// (matched by crm::lookupKey), at most `limit`, oldest first.
Result<std::vector<Customer>> findByNumber(store::Session& session, std::int64_t tenant_id,
                                           const std::string& number, int limit = 10);

// Duplicate detection: other customers of the tenant sharing a number or the
// e-mail with `id`, or with the same name and company; each with why.
struct Duplicate {
  Customer customer;
  std::vector<std::string> reasons;  // "phone", "email", "name_company"
};
Result<std::vector<Duplicate>> findDuplicates(store::Session& session, std::int64_t tenant_id,
                                              std::int64_t id, int limit = 20);

// Merges customer `from` into `into`: numbers (up to kMaxPhones), tags and
// custom fields are joined (`into` wins on a conflict), empty fields of
// `into` are filled from `from`, and `from` is deleted. Audited as a merge.
Result<Customer> mergeCustomers(store::Tx& tx, std::int64_t into, std::int64_t from);

}  // namespace ting::crm
