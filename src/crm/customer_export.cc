#include "crm/customer_export.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>

#include "crm/csv.h"
#include "crm/phone.h"

namespace ting::crm {

namespace {

const std::vector<std::string> kFixedColumns = {"name",  "phone",     "email", "company",
                                                "tags",  "address",   "notes", "vip_level",
                                                "owner", "created_at"};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ";") + s;
  return out;
}

// A custom field's value as the import reads it back.
std::string cellOf(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "";
  return boost::json::serialize(v);
}

}  // namespace

Result<std::size_t> exportCustomers(store::Store& store, std::int64_t tenant_id,
                                    const ExportOptions& options, std::ostream& out) {
  CustomerFilter filter = options.filter;
  filter.phone.clear();
  std::size_t total = 0;
  std::set<std::string> custom_names;
  std::map<std::int64_t, std::string> usernames;
  TING_RETURN_IF_ERROR(store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(store::PageQuery q, customerQuery(s, tenant_id, filter));
    std::vector<store::Value> params{tenant_id};
    params.insert(params.end(), q.filter_params.begin(), q.filter_params.end());
    TING_ASSIGN_OR_RETURN(
        auto count,
        s.query("SELECT COUNT(*) FROM customers WHERE tenant_id = ? " + q.filter_sql, params));
    total = count.empty() ? 0 : static_cast<std::size_t>(count[0].integer(0));
    // The custom columns: every field name in the data.
    TING_ASSIGN_OR_RETURN(auto fields,
                          s.query("SELECT DISTINCT custom_fields FROM customers WHERE tenant_id "
                                  "= ? AND custom_fields <> '{}' " +
                                      q.filter_sql,
                                  params));
    for (const auto& r : fields) {
      boost::system::error_code ec;
      auto v = boost::json::parse(r.text(0), ec);
      if (ec || !v.is_object()) continue;
      for (const auto& [k, value] : v.as_object()) custom_names.insert(std::string(k));
    }
    TING_ASSIGN_OR_RETURN(
        auto users, s.query("SELECT id, username FROM users WHERE tenant_id = ?", {tenant_id}));
    for (const auto& r : users) usernames[r.integer(0)] = r.text(1);
    return Status::ok();
  }));

  out << kByteOrderMark;
  std::vector<std::string> header = kFixedColumns;
  header.insert(header.end(), custom_names.begin(), custom_names.end());
  out << csvLine(header);

  std::size_t done = 0;
  store::PageRequest page{.sort_column = "id", .limit = static_cast<int>(options.batch)};
  for (;;) {
    std::vector<Customer> customers;
    bool more = false;
    TING_RETURN_IF_ERROR(store.read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(store::Page p, listCustomers(s, tenant_id, filter, page));
      more = p.has_more;
      if (!p.rows.empty()) page.after = {{p.sort_values.back(), p.rows.back().integer(0)}};
      TING_ASSIGN_OR_RETURN(customers, customersOf(s, p));
      return Status::ok();
    }));
    for (const auto& c : customers) {
      std::vector<std::string> numbers;
      for (const auto& p : c.phones)
        numbers.push_back(options.mask_phones ? maskPhone(p.number) : p.number);
      std::string owner;
      if (c.owner_id) {
        auto it = usernames.find(*c.owner_id);
        if (it != usernames.end()) owner = it->second;
      }
      std::vector<std::string> row = {c.name,       join(numbers),
                                      c.email,      c.company,
                                      join(c.tags), c.address,
                                      c.notes,      std::to_string(c.vip_level),
                                      owner,        formatTimestamp(c.created_at)};
      for (const auto& name : custom_names) {
        auto it = c.custom_fields.find(name);
        row.push_back(it == c.custom_fields.end() ? "" : cellOf(it->value()));
      }
      out << csvLine(row);
    }
    done += customers.size();
    if (!out) return unavailable("the export file cannot be written");
    if (options.progress) options.progress(done, std::max(done, total));
    if (!more) break;
  }
  out.flush();
  if (!out) return unavailable("the export file cannot be written");
  return done;
}

Status auditExport(store::Store& store, const store::Actor& actor, const CustomerFilter& filter,
                   std::size_t rows) {
  boost::json::object after{{"rows", rows}};
  if (!filter.tag.empty()) after["tag"] = filter.tag;
  if (filter.vip) after["vip"] = *filter.vip;
  if (!filter.q.empty()) after["q"] = filter.q;
  if (filter.owner_id) after["owner_id"] = *filter.owner_id;
  return store.write(actor, [&](store::Tx& tx) -> Status {
    store::AuditEntry entry;
    entry.entity = "customer";
    entry.action = "export";
    entry.after_json = boost::json::serialize(after);
    return tx.audit(entry);
  });
}

}  // namespace ting::crm
