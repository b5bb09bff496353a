#include "crm/customers.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <map>

#include "crm/custom_fields.h"
#include "crm/phone.h"

namespace ting::crm {

namespace {

constexpr const char* kColumns =
    "id, tenant_id, name, phone, email, company, notes, vip, created_at, updated_at, address, "
    "vip_level, custom_fields, owner_id";

// kColumns of customers joined as c.
constexpr const char* kJoinedColumns =
    "c.id, c.tenant_id, c.name, c.phone, c.email, c.company, c.notes, c.vip, c.created_at, "
    "c.updated_at, c.address, c.vip_level, c.custom_fields, c.owner_id";

boost::json::value textOrNull(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

Status notFoundCustomer() { return notFound("no such customer"); }

Customer fromRow(const store::Row& r) {
  Customer c;
  c.id = r.integer(0);
  c.tenant_id = r.integer(1);
  c.name = r.text(2);
  c.email = r.text(4);
  c.company = r.text(5);
  c.notes = r.text(6);
  c.created_at = r.integer(8);
  c.updated_at = r.integer(9);
  c.address = r.text(10);
  c.vip_level = static_cast<int>(r.integer(11));
  boost::system::error_code ec;
  auto fields = boost::json::parse(r.text(12), ec);
  if (!ec && fields.is_object()) c.custom_fields = std::move(fields.as_object());
  if (!r.isNull(13)) c.owner_id = r.integer(13);
  return c;
}

// "?, ?, ?" for n values.
std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

// Fills in the numbers and tags of `customers` (two queries for all).
Status loadDetails(store::Session& session, std::vector<Customer>& customers) {
  if (customers.empty()) return Status::ok();
  std::vector<store::Value> ids;
  std::map<std::int64_t, Customer*> by_id;
  for (auto& c : customers) {
    ids.emplace_back(c.id);
    by_id[c.id] = &c;
  }
  const std::string in = "(" + placeholders(ids.size()) + ")";
  TING_ASSIGN_OR_RETURN(auto phones,
                        session.query("SELECT customer_id, number, e164, kind FROM "
                                      "customer_phones WHERE customer_id IN " + in +
                                          " ORDER BY customer_id, position",
                                      ids));
  for (const auto& r : phones) {
    if (auto it = by_id.find(r.integer(0)); it != by_id.end()) {
      it->second->phones.push_back({r.text(1), r.text(2), r.text(3)});
    }
  }
  TING_ASSIGN_OR_RETURN(auto tags, session.query("SELECT customer_id, tag FROM customer_tags "
                                                 "WHERE customer_id IN " + in +
                                                     " ORDER BY customer_id, tag",
                                                 ids));
  for (const auto& r : tags) {
    if (auto it = by_id.find(r.integer(0)); it != by_id.end()) it->second->tags.push_back(r.text(1));
  }
  return Status::ok();
}

// Replaces the stored numbers and tags of `c` with its own (a new customer
// has none to replace).
Status saveDetails(store::Tx& tx, const Customer& c, bool fresh) {
  store::Session& s = tx.session();
  if (!fresh) {
    TING_RETURN_IF_ERROR(s.exec("DELETE FROM customer_phones WHERE customer_id = ?", {c.id}));
    TING_RETURN_IF_ERROR(s.exec("DELETE FROM customer_tags WHERE customer_id = ?", {c.id}));
  }
  for (std::size_t i = 0; i < c.phones.size(); ++i) {
    const auto& p = c.phones[i];
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO customer_phones (tenant_id, customer_id, number, e164, kind, position, "
        "local_number) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {c.tenant_id, c.id, p.number, p.e164, p.kind, static_cast<std::int64_t>(i),
         store::textOrNull(p.kind == "landline" ? landlineLocalPart(p.e164) : "")}));
  }
  for (const auto& t : c.tags) {
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO customer_tags (tenant_id, customer_id, tag) VALUES (?, ?, ?)",
        {c.tenant_id, c.id, t}));
  }
  return Status::ok();
}

std::string mainNumber(const Customer& c) { return c.phones.empty() ? "" : c.phones[0].e164; }

// Stores the card's own columns (not its numbers and tags: saveDetails).
Status writeCard(store::Tx& tx, const Customer& c) {
  return tx.session().exec(
      "UPDATE customers SET name = ?, phone = ?, email = ?, company = ?, notes = ?, vip = ?, "
      "updated_at = ?, address = ?, vip_level = ?, custom_fields = ?, owner_id = ? WHERE "
      "tenant_id = ? AND id = ?",
      {c.name, store::textOrNull(mainNumber(c)), store::textOrNull(c.email),
       store::textOrNull(c.company), store::textOrNull(c.notes), std::int64_t{c.vip_level > 0},
       c.updated_at, store::textOrNull(c.address), std::int64_t{c.vip_level},
       boost::json::serialize(c.custom_fields), store::intOrNull(c.owner_id), c.tenant_id, c.id});
}

Status checkCustomFields(const boost::json::object& fields) {
  if (fields.size() > kMaxCustomFields) {
    return invalidValue("at most " + std::to_string(kMaxCustomFields) + " custom fields",
                        "custom_fields");
  }
  for (const auto& [key, value] : fields) {
    const std::string k(key);
    const bool name_ok = !k.empty() && k.size() <= 64 &&
                         std::all_of(k.begin(), k.end(), [](unsigned char ch) {
                           return std::isalnum(ch) || ch == '_' || ch >= 0x80;
                         });
    if (!name_ok) {
      return invalidValue("custom field names are 1-64 letters, digits or _", "custom_fields");
    }
    if (value.is_object() || value.is_array()) {
      return invalidValue("custom field " + k + " must be a string, number, true/false or null",
                          "custom_fields." + k);
    }
    if (value.is_string() && value.as_string().size() > 2000) {
      return invalidValue("custom field " + k + " must be at most 2000 bytes",
                          "custom_fields." + k);
    }
  }
  return Status::ok();
}

// Sets the owner from `f`: a user of the tenant, by id or by username or
// staff number; kInvalidValue naming owner_id or owner otherwise.
Status applyOwner(store::Session& s, Customer& c, const CustomerFields& f) {
  if (f.owner_id) {
    c.owner_id = *f.owner_id;
    if (c.owner_id) {
      TING_ASSIGN_OR_RETURN(auto rows, s.query("SELECT id FROM users WHERE tenant_id = ? AND id = ?",
                                               {c.tenant_id, *c.owner_id}));
      if (rows.empty()) return invalidValue("no such user in this tenant", "owner_id");
    }
  }
  if (f.owner) {
    const std::string who = trimmed(*f.owner);
    if (who.empty()) {
      c.owner_id.reset();
      return Status::ok();
    }
    TING_ASSIGN_OR_RETURN(c.owner_id, findOwner(s, c.tenant_id, who));
  }
  return Status::ok();
}

}  // namespace

Result<std::int64_t> findOwner(store::Session& s, std::int64_t tenant_id, const std::string& who) {
  TING_ASSIGN_OR_RETURN(auto rows, s.query("SELECT id FROM users WHERE tenant_id = ? AND "
                                           "(username = ? OR sip_extension = ?) ORDER BY id "
                                           "LIMIT 1",
                                           {tenant_id, who, who}));
  if (rows.empty()) {
    return invalidValue("no user with username or staff number '" + who + "'", "owner");
  }
  return rows[0].integer(0);
}

boost::json::object toJson(const Customer& c, bool mask_phones) {
  boost::json::array phones;
  for (const auto& p : c.phones) {
    phones.push_back({{"number", mask_phones ? maskPhone(p.number) : p.number},
                      {"e164", mask_phones ? maskPhone(p.e164) : p.e164},
                      {"kind", p.kind}});
  }
  boost::json::array tags;
  for (const auto& t : c.tags) tags.push_back(boost::json::value(t));
  const std::string main = c.phones.empty() ? "" : c.phones[0].number;
  return {{"id", c.id},
          {"name", c.name},
          {"phone", textOrNull(mask_phones ? maskPhone(main) : main)},
          {"phones", std::move(phones)},
          {"email", textOrNull(c.email)},
          {"company", textOrNull(c.company)},
          {"address", textOrNull(c.address)},
          {"notes", textOrNull(c.notes)},
          {"tags", std::move(tags)},
          {"vip", c.vip_level > 0},
          {"vip_level", c.vip_level},
          {"custom_fields", c.custom_fields},
          {"owner_id", c.owner_id ? boost::json::value(*c.owner_id) : boost::json::value(nullptr)},
          {"created_at", formatTimestamp(c.created_at)},
          {"updated_at", formatTimestamp(c.updated_at)}};
}

Status applyFields(Customer& c, const CustomerFields& f) {
  if (f.name) c.name = trimmed(*f.name);
  if (f.email) c.email = trimmed(*f.email);
  if (f.company) c.company = *f.company;
  if (f.address) c.address = *f.address;
  if (f.notes) c.notes = *f.notes;
  if (f.phones) {
    if (f.phones->size() > kMaxPhones) {
      return invalidValue("at most " + std::to_string(kMaxPhones) + " phone numbers", "phones");
    }
    c.phones.clear();
    for (std::size_t i = 0; i < f.phones->size(); ++i) {
      const std::string text = trimmed((*f.phones)[i]);
      if (text.empty() && f.phones->size() == 1) break;  // "phone": "" clears it
      const std::string field =
          f.phones_field == "phone" ? "phone" : "phones[" + std::to_string(i) + "]";
      TING_ASSIGN_OR_RETURN(Phone p, normalizePhone(text, "CN", field));
      const bool seen = std::any_of(c.phones.begin(), c.phones.end(),
                                    [&](const CustomerPhone& o) { return o.e164 == p.e164; });
      if (!seen) c.phones.push_back({text, p.e164, phoneKindName(p.kind)});
    }
  }
  if (f.tags) {
    c.tags.clear();
    for (const auto& raw : *f.tags) {
      std::string tag = trimmed(raw);
      if (tag.empty() || tag.size() > 64) return invalidValue("a tag is 1-64 bytes", "tags");
      if (std::find(c.tags.begin(), c.tags.end(), tag) == c.tags.end()) c.tags.push_back(tag);
    }
    if (c.tags.size() > kMaxTags) {
      return invalidValue("at most " + std::to_string(kMaxTags) + " tags", "tags");
    }
    std::sort(c.tags.begin(), c.tags.end());
  }
  if (f.vip) c.vip_level = *f.vip ? std::max(c.vip_level, 1) : 0;
  if (f.vip_level) {
    if (*f.vip_level < 0 || *f.vip_level > 5) return invalidValue("vip_level is 0-5", "vip_level");
    c.vip_level = *f.vip_level;
  }
  if (f.custom_fields) {
    TING_RETURN_IF_ERROR(checkCustomFields(*f.custom_fields));
    for (const auto& [k, v] : *f.custom_fields) {
      if (v.is_null()) {
        c.custom_fields.erase(k);  // null removes a field
      } else {
        c.custom_fields[k] = v;
      }
    }
  }
  return Status::ok();
}

Status validateCustomer(const Customer& c) {
  if (c.name.empty() || c.name.size() > 200) {
    return invalidValue("'name' must be 1 to 200 bytes", "name");
  }
  if (!c.email.empty()) {
    auto at = c.email.find('@');
    if (c.email.size() > 254 || at == std::string::npos || at == 0 ||
        c.email.find('.', at) == std::string::npos || c.email.find(' ') != std::string::npos) {
      return invalidValue("'email' is not an e-mail address", "email");
    }
  }
  if (c.company.size() > 200) return invalidValue("'company' must be at most 200 bytes", "company");
  if (c.address.size() > 500) return invalidValue("'address' must be at most 500 bytes", "address");
  if (c.notes.size() > 10000) return invalidValue("'notes' must be at most 10000 bytes", "notes");
  return Status::ok();
}

// `fields` with the values of the tenant's defined custom fields checked and
// converted to their types.
Result<CustomerFields> conformed(store::Session& s, std::int64_t tenant_id,
                                 const CustomerFields& fields) {
  CustomerFields out = fields;
  if (!out.custom_fields || out.custom_fields->empty()) return out;
  std::vector<FieldDefinition> loaded;
  const std::vector<FieldDefinition>* defs = fields.field_definitions;
  if (defs == nullptr) {
    TING_ASSIGN_OR_RETURN(loaded, listFieldDefinitions(s, tenant_id));
    defs = &loaded;
  }
  TING_RETURN_IF_ERROR(conformCustomFields(*defs, *out.custom_fields));
  return out;
}

Result<Customer> createCustomer(store::Tx& tx, const CustomerFields& given) {
  Customer c;
  c.tenant_id = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(const CustomerFields fields, conformed(tx.session(), c.tenant_id, given));
  TING_RETURN_IF_ERROR(applyFields(c, fields));
  TING_RETURN_IF_ERROR(applyOwner(tx.session(), c, fields));
  TING_RETURN_IF_ERROR(validateCustomer(c));
  c.created_at = c.updated_at = tx.now();
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO customers (tenant_id, name, phone, email, company, notes, vip, created_by, "
          "created_at, updated_at, address, vip_level, custom_fields, owner_id) VALUES (?, ?, ?, "
          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {c.tenant_id, c.name, store::textOrNull(mainNumber(c)), store::textOrNull(c.email),
           store::textOrNull(c.company), store::textOrNull(c.notes),
           std::int64_t{c.vip_level > 0},
           tx.actor().user_id ? store::Value{tx.actor().user_id} : store::Value{}, c.created_at,
           c.updated_at, store::textOrNull(c.address), std::int64_t{c.vip_level},
           boost::json::serialize(c.custom_fields), store::intOrNull(c.owner_id)}));
  c.id = row.integer(0);
  TING_RETURN_IF_ERROR(saveDetails(tx, c, /*fresh=*/true));
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
  std::vector<Customer> one{fromRow(*row)};
  TING_RETURN_IF_ERROR(loadDetails(session, one));
  return std::move(one.front());
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

Result<Customer> updateCustomer(store::Tx& tx, std::int64_t id, const CustomerFields& given) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(const CustomerFields fields, conformed(tx.session(), tenant, given));
  TING_ASSIGN_OR_RETURN(Customer before, getCustomer(tx.session(), tenant, id));
  Customer after = before;
  TING_RETURN_IF_ERROR(applyFields(after, fields));
  TING_RETURN_IF_ERROR(applyOwner(tx.session(), after, fields));
  TING_RETURN_IF_ERROR(validateCustomer(after));
  after.updated_at = tx.now();
  TING_RETURN_IF_ERROR(writeCard(tx, after));
  if (fields.phones || fields.tags) TING_RETURN_IF_ERROR(saveDetails(tx, after, /*fresh=*/false));
  std::string after_text = boost::json::serialize(toJson(after));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "customer",
                                 .entity_id = std::to_string(id),
                                 .action = "update",
                                 .before_json = boost::json::serialize(toJson(before)),
                                 .after_json = after_text}));
  tx.emit({"customers", "customer.updated", tenant, 0, after_text});
  return after;
}

Status deleteCustomer(store::Tx& tx, std::int64_t id, std::vector<std::string>* files) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(Customer before, getCustomer(tx.session(), tenant, id));
  TING_ASSIGN_OR_RETURN(auto attached,
                        tx.session().query("SELECT stored_as FROM customer_attachments WHERE "
                                           "tenant_id = ? AND customer_id = ?",
                                           {tenant, id}));
  for (const auto& r : attached) {
    if (files) files->push_back(r.text(0));
  }
  TING_RETURN_IF_ERROR(tx.session().exec(
      "DELETE FROM customer_attachments WHERE tenant_id = ? AND customer_id = ?", {tenant, id}));
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM customer_phones WHERE customer_id = ?", {id}));
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM customer_tags WHERE customer_id = ?", {id}));
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

Result<store::PageQuery> customerQuery(store::Session& session, std::int64_t tenant_id,
                                       const CustomerFilter& filter) {
  store::PageQuery q{.table = "customers", .columns = kColumns, .tenant_id = tenant_id};
  if (!filter.phone.empty()) {
    // The few customers with the number first (by the lookup index), then
    // the page among them: a subquery here would make SQLite walk the tenant.
    TING_ASSIGN_OR_RETURN(auto ids, session.query("SELECT DISTINCT customer_id FROM "
                                                  "customer_phones WHERE tenant_id = ? AND "
                                                  "e164 = ? LIMIT 1000",
                                                  {tenant_id, lookupKey(filter.phone)}));
    if (ids.empty()) {
      q.filter_sql += " AND 1 = 0";
    } else {
      q.filter_sql += " AND id IN (" + placeholders(ids.size()) + ")";
      for (const auto& r : ids) q.filter_params.emplace_back(r.integer(0));
    }
  }
  if (!filter.tag.empty()) {
    q.filter_sql +=
        " AND id IN (SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag = ?)";
    q.filter_params.emplace_back(tenant_id);
    q.filter_params.emplace_back(filter.tag);
  }
  if (filter.owner_id) {
    q.filter_sql += " AND owner_id = ?";
    q.filter_params.emplace_back(*filter.owner_id);
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
  return q;
}

Result<store::Page> listCustomers(store::Session& session, std::int64_t tenant_id,
                                  const CustomerFilter& filter, const store::PageRequest& page) {
  TING_ASSIGN_OR_RETURN(store::PageQuery q, customerQuery(session, tenant_id, filter));
  return store::listPage(session, q, page);
}

Result<std::vector<Customer>> customersOf(store::Session& session, const store::Page& page) {
  std::vector<Customer> out;
  out.reserve(page.rows.size());
  for (const auto& row : page.rows) out.push_back(fromRow(row));
  TING_RETURN_IF_ERROR(loadDetails(session, out));
  return out;
}

Result<std::vector<Customer>> findByNumber(store::Session& session, std::int64_t tenant_id,
                                           const std::string& number, int limit) {
  const std::string key = lookupKey(number);
  std::vector<Customer> out;
  if (key.empty()) return out;
  // From the number's index to the customers, never a walk of the tenant.
  TING_ASSIGN_OR_RETURN(
      auto rows,
      session.query(std::string("SELECT ") + kJoinedColumns +
                        " FROM customer_phones p JOIN customers c ON c.id = p.customer_id WHERE "
                        "p.tenant_id = ? AND p.e164 = ? AND c.tenant_id = ? ORDER BY c.id LIMIT ?",
                    {tenant_id, key, tenant_id, std::int64_t{limit}}));
  if (rows.empty()) {
    // A local caller without their area code: the landlines with that
    // subscriber number, in whichever city (several: the agent chooses).
    if (const std::string local = localCallerDigits(number); !local.empty()) {
      TING_ASSIGN_OR_RETURN(
          rows, session.query(std::string("SELECT DISTINCT ") + kJoinedColumns +
                                  " FROM customer_phones p JOIN customers c ON c.id = "
                                  "p.customer_id WHERE p.tenant_id = ? AND p.local_number = ? AND "
                                  "c.tenant_id = ? ORDER BY c.id LIMIT ?",
                              {tenant_id, local, tenant_id, std::int64_t{limit}}));
    }
  }
  for (const auto& r : rows) out.push_back(fromRow(r));
  TING_RETURN_IF_ERROR(loadDetails(session, out));
  return out;
}

Result<std::vector<Duplicate>> findDuplicates(store::Session& session, std::int64_t tenant_id,
                                              std::int64_t id, int limit) {
  TING_ASSIGN_OR_RETURN(Customer c, getCustomer(session, tenant_id, id));
  std::map<std::int64_t, std::vector<std::string>> reasons;
  auto note = [&](const store::Rows& rows, const char* why) {
    for (const auto& r : rows) {
      auto& list = reasons[r.integer(0)];
      if (r.integer(0) != id && std::find(list.begin(), list.end(), why) == list.end()) {
        list.push_back(why);
      }
    }
  };
  for (const auto& p : c.phones) {
    TING_ASSIGN_OR_RETURN(auto rows, session.query("SELECT customer_id FROM customer_phones "
                                                   "WHERE tenant_id = ? AND e164 = ? LIMIT ?",
                                                   {tenant_id, p.e164, std::int64_t{limit} + 1}));
    note(rows, "phone");
  }
  if (!c.email.empty()) {
    TING_ASSIGN_OR_RETURN(auto rows, session.query("SELECT id FROM customers WHERE tenant_id = ? "
                                                   "AND LOWER(email) = LOWER(?) LIMIT ?",
                                                   {tenant_id, c.email, std::int64_t{limit} + 1}));
    note(rows, "email");
  }
  if (!c.company.empty()) {
    TING_ASSIGN_OR_RETURN(auto rows,
                          session.query("SELECT id FROM customers WHERE tenant_id = ? AND name = "
                                        "? AND company = ? LIMIT ?",
                                        {tenant_id, c.name, c.company, std::int64_t{limit} + 1}));
    note(rows, "name_company");
  }
  std::vector<Duplicate> out;
  for (auto& [other, why] : reasons) {
    if (other == id || why.empty()) continue;
    if (static_cast<int>(out.size()) == limit) break;
    TING_ASSIGN_OR_RETURN(Customer d, getCustomer(session, tenant_id, other));
    out.push_back({std::move(d), std::move(why)});
  }
  return out;
}

Result<Customer> mergeCustomers(store::Tx& tx, std::int64_t into, std::int64_t from) {
  const std::int64_t tenant = tx.actor().tenant_id;
  if (into == from) return invalidValue("a customer cannot be merged into itself", "from");
  TING_ASSIGN_OR_RETURN(Customer target, getCustomer(tx.session(), tenant, into));
  auto source = getCustomer(tx.session(), tenant, from);
  if (!source.isOk()) {
    return source.status().code() == StatusCode::kNotFound
               ? invalidValue("no customer " + std::to_string(from) + " to merge", "from")
               : source.status();
  }
  const Customer before = target;
  for (const auto& p : source->phones) {
    const bool have = std::any_of(target.phones.begin(), target.phones.end(),
                                  [&](const CustomerPhone& o) { return o.e164 == p.e164; });
    if (have) continue;
    if (target.phones.size() == kMaxPhones) {
      return conflict("together they have more than " + std::to_string(kMaxPhones) +
                          " numbers; remove some first",
                      "from");
    }
    target.phones.push_back(p);
  }
  for (const auto& t : source->tags) {
    if (std::find(target.tags.begin(), target.tags.end(), t) == target.tags.end()) {
      target.tags.push_back(t);
    }
  }
  std::sort(target.tags.begin(), target.tags.end());
  if (target.tags.size() > kMaxTags) target.tags.resize(kMaxTags);
  for (const auto& [k, v] : source->custom_fields) {
    if (!target.custom_fields.contains(k) && target.custom_fields.size() < kMaxCustomFields) {
      target.custom_fields[k] = v;
    }
  }
  for (auto [mine, theirs] : {std::pair{&target.email, &source->email},
                              std::pair{&target.company, &source->company},
                              std::pair{&target.address, &source->address}}) {
    if (mine->empty()) *mine = *theirs;
  }
  if (!source->notes.empty()) {
    target.notes = target.notes.empty() ? source->notes : target.notes + "\n" + source->notes;
    if (target.notes.size() > 10000) target.notes.resize(10000);
  }
  target.vip_level = std::max(target.vip_level, source->vip_level);
  if (!target.owner_id) target.owner_id = source->owner_id;
  target.updated_at = tx.now();
  TING_RETURN_IF_ERROR(writeCard(tx, target));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE customer_attachments SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?",
      {into, tenant, from}));
  // The source's calls and work orders now belong to the kept card: its
  // timeline, screen pop and repeat detection see them. Each work order's
  // history says so, and its new version makes a stale edit a conflict.
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE calls SET customer_id = ? WHERE tenant_id = ? AND customer_id = ?",
      {into, tenant, from}));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "INSERT INTO work_order_history (tenant_id, work_order_id, at, actor_id, actor, action, "
      "from_state, to_state, changes) SELECT tenant_id, id, ?, ?, ?, 'customer_merged', state, "
      "state, ? FROM work_orders WHERE tenant_id = ? AND customer_id = ?",
      {tx.now(), tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(),
       tx.actor().name,
       boost::json::serialize(
           boost::json::object{{"customer_id", boost::json::array{from, into}}}),
       tenant, from}));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE work_orders SET customer_id = ?, updated_at = ?, version = version + 1 WHERE "
      "tenant_id = ? AND customer_id = ?",
      {into, tx.now(), tenant, from}));
  // The source's rows go first: its numbers then belong to the target.
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM customer_phones WHERE customer_id = ?", {from}));
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM customer_tags WHERE customer_id = ?", {from}));
  TING_RETURN_IF_ERROR(
      tx.session().exec("DELETE FROM customers WHERE tenant_id = ? AND id = ?", {tenant, from}));
  TING_RETURN_IF_ERROR(saveDetails(tx, target, /*fresh=*/false));
  boost::json::object before_json{{"into", toJson(before)}, {"from", toJson(*source)}};
  const std::string after = boost::json::serialize(toJson(target));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "customer",
                                 .entity_id = std::to_string(into),
                                 .action = "merge",
                                 .before_json = boost::json::serialize(before_json),
                                 .after_json = after}));
  tx.emit({"customers", "customer.merged", tenant, 0,
           boost::json::serialize(boost::json::object{{"id", into}, {"merged_id", from}})});
  return target;
}

}  // namespace ting::crm
