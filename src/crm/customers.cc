#include "crm/customers.h"

#include <boost/json/serialize.hpp>

#include "identity/users.h"

namespace ting::crm {

namespace {

constexpr const char* kColumns =
    "id, tenant_id, name, phone, email, company, notes, vip, created_at, updated_at";

boost::json::value textOrNull(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

void apply(Customer& c, const CustomerFields& f) {
  if (f.name) c.name = *f.name;
  if (f.phone) c.phone = *f.phone;
  if (f.email) c.email = *f.email;
  if (f.company) c.company = *f.company;
  if (f.notes) c.notes = *f.notes;
  if (f.vip) c.vip = *f.vip;
}

Status notFoundCustomer() {
  return notFound("no such customer");
}

}  // namespace

Customer customerFromRow(const store::Row& r) {
  Customer c;
  c.id = r.integer(0);
  c.tenant_id = r.integer(1);
  c.name = r.text(2);
  c.phone = r.text(3);
  c.email = r.text(4);
  c.company = r.text(5);
  c.notes = r.text(6);
  c.vip = r.integer(7) != 0;
  c.created_at = r.integer(8);
  c.updated_at = r.integer(9);
  return c;
}

boost::json::object toJson(const Customer& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"phone", textOrNull(c.phone)},
          {"email", textOrNull(c.email)},
          {"company", textOrNull(c.company)},
          {"notes", textOrNull(c.notes)},
          {"vip", c.vip},
          {"created_at", formatTimestamp(c.created_at)},
          {"updated_at", formatTimestamp(c.updated_at)}};
}

Status validateCustomer(const Customer& c) {
  if (c.name.empty() || c.name.size() > 200) {
    return invalidValue("'name' must be 1 to 200 bytes", "name");
  }
  TING_RETURN_IF_ERROR(identity::validatePhone(c.phone));
  if (!c.email.empty()) {
    auto at = c.email.find('@');
    if (c.email.size() > 254 || at == std::string::npos || at == 0 ||
        c.email.find('.', at) == std::string::npos || c.email.find(' ') != std::string::npos) {
      return invalidValue("'email' is not an e-mail address", "email");
    }
  }
  if (c.company.size() > 200) return invalidValue("'company' must be at most 200 bytes", "company");
  if (c.notes.size() > 10000) return invalidValue("'notes' must be at most 10000 bytes", "notes");
  return Status::ok();
}

Result<Customer> createCustomer(store::Tx& tx, const CustomerFields& fields) {
  Customer c;
  c.tenant_id = tx.actor().tenant_id;
  apply(c, fields);
  TING_RETURN_IF_ERROR(validateCustomer(c));
  c.created_at = c.updated_at = tx.now();
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO customers (tenant_id, name, phone, email, company, notes, vip, created_by, "
          "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {c.tenant_id, c.name, store::textOrNull(c.phone), store::textOrNull(c.email),
           store::textOrNull(c.company), store::textOrNull(c.notes), std::int64_t{c.vip},
           tx.actor().user_id ? store::Value{tx.actor().user_id} : store::Value{}, c.created_at,
           c.updated_at}));
  c.id = row.integer(0);
  std::string after = boost::json::serialize(toJson(c));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "customer",
                                 .entity_id = std::to_string(c.id),
                                 .action = "create",
                                 .after_json = after}));
  tx.emit({"customers", "customer.created", c.tenant_id, 0, after});
  return c;
}

Result<Customer> getCustomer(store::Session& session, std::int64_t tenant_id, std::int64_t id) {
  auto row = session.queryOne(
      std::string("SELECT ") + kColumns + " FROM customers WHERE tenant_id = ? AND id = ?",
      {tenant_id, id});
  if (!row.isOk()) {
    return row.status().code() == StatusCode::kNotFound ? notFoundCustomer() : row.status();
  }
  return customerFromRow(*row);
}

Result<Customer> readCustomerAudited(store::Store& store, const store::Actor& actor,
                                     std::int64_t id) {
  std::optional<Customer> c;
  TING_RETURN_IF_ERROR(store.write(actor, [&](store::Tx& tx) -> Status {
    TING_ASSIGN_OR_RETURN(c, getCustomer(tx.session(), actor.tenant_id, id));
    return tx.audit({.entity = "customer", .entity_id = std::to_string(id), .action = "read"});
  }));
  return *c;
}

Result<Customer> updateCustomer(store::Tx& tx, std::int64_t id, const CustomerFields& fields) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(Customer before, getCustomer(tx.session(), tenant, id));
  Customer after = before;
  apply(after, fields);
  TING_RETURN_IF_ERROR(validateCustomer(after));
  after.updated_at = tx.now();
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE customers SET name = ?, phone = ?, email = ?, company = ?, notes = ?, vip = ?, "
      "updated_at = ? WHERE tenant_id = ? AND id = ?",
      {after.name, store::textOrNull(after.phone), store::textOrNull(after.email),
       store::textOrNull(after.company), store::textOrNull(after.notes), std::int64_t{after.vip},
       after.updated_at, tenant, id}));
  std::string after_text = boost::json::serialize(toJson(after));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "customer",
                                 .entity_id = std::to_string(id),
                                 .action = "update",
                                 .before_json = boost::json::serialize(toJson(before)),
                                 .after_json = after_text}));
  tx.emit({"customers", "customer.updated", tenant, 0, after_text});
  return after;
}

Status deleteCustomer(store::Tx& tx, std::int64_t id) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(Customer before, getCustomer(tx.session(), tenant, id));
  TING_RETURN_IF_ERROR(
      tx.session().exec("DELETE FROM customers WHERE tenant_id = ? AND id = ?", {tenant, id}));
  std::string before_text = boost::json::serialize(toJson(before));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "customer",
                                 .entity_id = std::to_string(id),
                                 .action = "delete",
                                 .before_json = before_text}));
  tx.emit({"customers", "customer.deleted", tenant, 0,
           boost::json::serialize(boost::json::object{{"id", id}})});
  return Status::ok();
}

Result<store::Page> listCustomers(store::Session& session, std::int64_t tenant_id,
                                  const CustomerFilter& filter, const store::PageRequest& page) {
  store::PageQuery q{.table = "customers", .columns = kColumns, .tenant_id = tenant_id};
  if (!filter.phone.empty()) {
    q.filter_sql += " AND phone = ?";
    q.filter_params.emplace_back(filter.phone);
  }
  if (filter.vip) {
    q.filter_sql += " AND vip = ?";
    q.filter_params.emplace_back(std::int64_t{*filter.vip});
  }
  if (!filter.q.empty()) {
    q.filter_sql +=
        " AND (LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(company, '')) LIKE ? ESCAPE '\\' "
        "OR COALESCE(phone, '') LIKE ? ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE ? ESCAPE "
        "'\\')";
    std::string like = store::containsPattern(filter.q);
    q.filter_params.insert(q.filter_params.end(), {like, like, like, like});
  }
  return store::listPage(session, q, page);
}

}  // namespace ting::crm
