#include "workorders/settings.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "workorders/business_calendar.h"
#include "workorders/lifecycle.h"

namespace ting::workorders {

using identity::Role;

namespace {

boost::json::object parseObject(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string joinList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

Result<int> intField(const boost::json::value& v, const std::string& field, int lo, int hi) {
  if (!v.is_int64() || v.as_int64() < lo || v.as_int64() > hi) {
    return invalidValue(
        field + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi),
        field);
  }
  return static_cast<int>(v.as_int64());
}

Category categoryFromRow(const store::Row& r) {
  Category c;
  c.id = r.integer(0);
  if (!r.isNull(1)) c.parent_id = r.integer(1);
  c.name = r.text(2);
  c.name_en = r.text(3);
  c.position = static_cast<int>(r.integer(4));
  c.active = r.integer(5) != 0;
  return c;
}

constexpr const char* kCategoryColumns = "id, parent_id, name, name_en, position, active";

Status checkCategoryName(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 200) {
    return invalidValue(field + " must be 1-200 bytes", field);
  }
  return Status::ok();
}

}  // namespace

const boost::json::object& defaultStateNames() {
  static const boost::json::object kNames = {
      {"new", {{"zh", "新建"}, {"en", "New"}}},
      {"accepted", {{"zh", "已受理"}, {"en", "Accepted"}}},
      {"investigating", {{"zh", "核实中"}, {"en", "Investigating"}}},
      {"proposing", {{"zh", "协商中"}, {"en", "Proposing"}}},
      {"dispatched", {{"zh", "已派单"}, {"en", "Dispatched"}}},
      {"resolved", {{"zh", "已解决"}, {"en", "Resolved"}}},
      {"follow_up", {{"zh", "回访中"}, {"en", "Follow-up"}}},
      {"closed", {{"zh", "已结案"}, {"en", "Closed"}}},
  };
  return kNames;
}

std::map<std::string, std::int64_t> defaultRemedyLimits() {
  // Yuan in cents: an agent may offer up to 200, a team lead 2,000.
  return {{"agent", 20'000}, {"team_lead", 200'000}, {"supervisor", -1}, {"admin", -1}};
}

std::int64_t remedyLimit(const Settings& s, Role role) {
  auto it = s.remedy_limits.find(std::string(identity::roleName(role)));
  return it == s.remedy_limits.end() ? 0 : it->second;
}

Status loadSettingsLater(store::Session& s, std::int64_t tenant_id, Settings& out) {
  out = Settings();
  out.remedy_limits = defaultRemedyLimits();
  return s.defer(
      "SELECT time_zone, reopen_window_days, repeat_window_days, rehandle_escalation, "
      "follow_up_types, state_names, remedy_limits, follow_up_attempts FROM work_order_settings "
      "WHERE tenant_id = ?",
      {tenant_id}, [&out](store::Rows& rows) {
        if (rows.empty()) return;
        const auto& r = rows[0];
        out.time_zone = r.text(0);
        out.reopen_window_days = static_cast<int>(r.integer(1));
        out.repeat_window_days = static_cast<int>(r.integer(2));
        out.rehandle_escalation = static_cast<int>(r.integer(3));
        out.follow_up_types = splitList(r.text(4));
        out.state_names = parseObject(r.text(5));
        for (const auto& [role, limit] : parseObject(r.text(6))) {
          if (limit.is_int64()) out.remedy_limits[std::string(role)] = limit.as_int64();
        }
        out.follow_up_attempts = static_cast<int>(r.integer(7));
      });
}

Result<Settings> loadSettings(store::Session& s, std::int64_t tenant_id) {
  Settings out;
  TING_RETURN_IF_ERROR(loadSettingsLater(s, tenant_id, out));
  TING_RETURN_IF_ERROR(s.flush());
  return out;
}

boost::json::object toJson(const Settings& s) {
  boost::json::object names = defaultStateNames();
  for (const auto& [state, name] : s.state_names) names[state] = name;
  boost::json::array types;
  for (const auto& t : s.follow_up_types) types.push_back(boost::json::string(t));
  boost::json::object limits;
  for (const auto& [role, limit] : s.remedy_limits) limits[role] = limit;
  return {{"time_zone", s.time_zone},
          {"reopen_window_days", s.reopen_window_days},
          {"repeat_window_days", s.repeat_window_days},
          {"rehandle_escalation", s.rehandle_escalation},
          {"follow_up_types", std::move(types)},
          {"follow_up_attempts", s.follow_up_attempts},
          {"state_names", std::move(names)},
          {"remedy_limits", std::move(limits)}};
}

Result<Settings> updateSettings(store::Tx& tx, const boost::json::object& patch) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(Settings s, loadSettings(tx.session(), tenant));
  const auto before = boost::json::serialize(toJson(s));
  for (const auto& [key, v] : patch) {
    const std::string field(key);
    if (field == "time_zone") {
      if (!v.is_string() || !isKnownTimeZone(std::string(v.as_string()))) {
        return invalidValue("time_zone must be an IANA time zone such as Asia/Shanghai", field);
      }
      s.time_zone = std::string(v.as_string());
    } else if (field == "reopen_window_days") {
      TING_ASSIGN_OR_RETURN(s.reopen_window_days, intField(v, field, 0, 3650));
    } else if (field == "repeat_window_days") {
      TING_ASSIGN_OR_RETURN(s.repeat_window_days, intField(v, field, 1, 3650));
    } else if (field == "rehandle_escalation") {
      TING_ASSIGN_OR_RETURN(s.rehandle_escalation, intField(v, field, 2, 100));
    } else if (field == "follow_up_attempts") {
      TING_ASSIGN_OR_RETURN(s.follow_up_attempts, intField(v, field, 1, 20));
    } else if (field == "follow_up_types") {
      if (!v.is_array()) return invalidValue("follow_up_types must be an array", field);
      std::vector<std::string> types;
      for (std::size_t i = 0; i < v.as_array().size(); ++i) {
        const auto& t = v.as_array()[i];
        const std::string f = field + "[" + std::to_string(i) + "]";
        if (!t.is_string() || !oneOf(std::string(t.as_string()), kTypes)) {
          return invalidValue(f + " must be complaint, inquiry, suggestion or praise", f);
        }
        if (std::find(types.begin(), types.end(), t.as_string()) == types.end()) {
          types.emplace_back(t.as_string());
        }
      }
      s.follow_up_types = std::move(types);
    } else if (field == "state_names") {
      if (!v.is_object()) return invalidValue("state_names must be an object", field);
      for (const auto& [state, names] : v.as_object()) {
        const std::string f = field + "." + std::string(state);
        if (!parseState(state)) return invalidValue("no state named " + std::string(state), f);
        if (!names.is_object()) return invalidValue(f + " must be {\"zh\": ..., \"en\": ...}", f);
        for (const auto& [lang, name] : names.as_object()) {
          const std::string lf = f + "." + std::string(lang);
          if ((lang != "zh" && lang != "en") || !name.is_string() || name.as_string().empty() ||
              name.as_string().size() > 64) {
            return invalidValue(lf + ": names are zh and en, 1-64 bytes each", lf);
          }
        }
        s.state_names[state] = names;
      }
    } else if (field == "remedy_limits") {
      if (!v.is_object()) return invalidValue("remedy_limits must be an object", field);
      for (const auto& [role, limit] : v.as_object()) {
        const std::string f = field + "." + std::string(role);
        auto r = identity::parseRole(role);
        if (!r || *r == Role::kOperator || *r == Role::kQaInspector) {
          return invalidValue("no role named " + std::string(role) + " offers remedies", f);
        }
        if (!limit.is_int64() || limit.as_int64() < -1) {
          return invalidValue(f + " must be cents (an integer), or -1 for no limit", f);
        }
        s.remedy_limits[std::string(role)] = limit.as_int64();
      }
    } else {
      return invalidArgument("unknown field '" + field + "'", field);
    }
  }
  boost::json::object limits;
  for (const auto& [role, limit] : s.remedy_limits) limits[role] = limit;
  TING_RETURN_IF_ERROR(
      tx.session().exec("DELETE FROM work_order_settings WHERE tenant_id = ?", {tenant}));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "INSERT INTO work_order_settings (tenant_id, time_zone, reopen_window_days, "
      "repeat_window_days, rehandle_escalation, follow_up_types, state_names, remedy_limits, "
      "follow_up_attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {tenant, s.time_zone, std::int64_t{s.reopen_window_days}, std::int64_t{s.repeat_window_days},
       std::int64_t{s.rehandle_escalation}, joinList(s.follow_up_types),
       boost::json::serialize(s.state_names), boost::json::serialize(limits),
       std::int64_t{s.follow_up_attempts}, tx.now()}));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order_settings",
                                 .entity_id = std::to_string(tenant),
                                 .action = "update",
                                 .before_json = before,
                                 .after_json = boost::json::serialize(toJson(s))}));
  return s;
}

boost::json::object toJson(const Category& c) {
  return {
      {"id", c.id},
      {"parent_id", c.parent_id ? boost::json::value(*c.parent_id) : nullptr},
      {"name", c.name},
      {"name_en", c.name_en.empty() ? boost::json::value(nullptr) : boost::json::value(c.name_en)},
      {"position", c.position},
      {"active", c.active}};
}

Status listCategoriesLater(store::Session& s, std::int64_t tenant_id, std::vector<Category>& out) {
  out.clear();
  return s.defer(std::string("SELECT ") + kCategoryColumns +
                     " FROM work_order_categories WHERE tenant_id = ? ORDER BY position, id",
                 {tenant_id}, [&out](store::Rows& rows) {
                   for (const auto& r : rows) out.push_back(categoryFromRow(r));
                 });
}

Result<std::vector<Category>> listCategories(store::Session& s, std::int64_t tenant_id) {
  std::vector<Category> out;
  TING_RETURN_IF_ERROR(listCategoriesLater(s, tenant_id, out));
  TING_RETURN_IF_ERROR(s.flush());
  return out;
}

Result<std::vector<std::int64_t>> categorySubtree(store::Session& s, std::int64_t tenant_id,
                                                  std::int64_t id) {
  TING_ASSIGN_OR_RETURN(std::vector<Category> all, listCategories(s, tenant_id));
  std::vector<std::int64_t> out;
  if (std::none_of(all.begin(), all.end(), [&](const Category& c) { return c.id == id; })) {
    return out;
  }
  out.push_back(id);
  // Breadth first; the tree is a few hundred categories at most.
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (const auto& c : all) {
      if (c.parent_id == out[i]) out.push_back(c.id);
    }
  }
  return out;
}

std::vector<std::int64_t> categoryPath(const std::vector<Category>& all, std::int64_t id) {
  std::vector<std::int64_t> out;
  std::optional<std::int64_t> cur = id;
  while (cur && out.size() <= all.size()) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Category& c) { return c.id == *cur; });
    if (it == all.end()) break;
    out.push_back(it->id);
    cur = it->parent_id;
  }
  return out;
}

Result<std::vector<std::int64_t>> categoryPath(store::Session& s, std::int64_t tenant_id,
                                               std::int64_t id) {
  TING_ASSIGN_OR_RETURN(std::vector<Category> all, listCategories(s, tenant_id));
  return categoryPath(all, id);
}

namespace {

Status applyCategoryFields(store::Tx& tx, Category& c, const CategoryFields& f) {
  if (f.name) {
    TING_RETURN_IF_ERROR(checkCategoryName(*f.name, "name"));
    c.name = *f.name;
  }
  if (f.name_en) {
    if (f.name_en->size() > 200)
      return invalidValue("name_en must be at most 200 bytes", "name_en");
    c.name_en = *f.name_en;
  }
  if (f.position) c.position = *f.position;
  if (f.active) c.active = *f.active;
  if (f.parent_id) {
    c.parent_id = *f.parent_id;
    if (c.parent_id) {
      TING_ASSIGN_OR_RETURN(auto path,
                            categoryPath(tx.session(), tx.actor().tenant_id, *c.parent_id));
      if (path.empty()) return invalidValue("no such category", "parent_id");
      if (c.id != 0 && std::find(path.begin(), path.end(), c.id) != path.end()) {
        return invalidValue("a category cannot sit below itself", "parent_id");
      }
      if (path.size() >= 5) return invalidValue("categories nest at most 5 deep", "parent_id");
    }
  }
  return Status::ok();
}

}  // namespace

Result<Category> createCategory(store::Tx& tx, const CategoryFields& f) {
  Category c;
  TING_RETURN_IF_ERROR(applyCategoryFields(tx, c, f));
  TING_RETURN_IF_ERROR(checkCategoryName(c.name, "name"));
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO work_order_categories (tenant_id, parent_id, name, name_en, position, "
          "active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {tx.actor().tenant_id, c.parent_id ? store::Value(*c.parent_id) : store::nullValue(),
           c.name, store::textOrNull(c.name_en), std::int64_t{c.position},
           std::int64_t{c.active ? 1 : 0}, tx.now(), tx.now()}));
  c.id = row.integer(0);
  const auto after = boost::json::serialize(toJson(c));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order_category",
                                 .entity_id = std::to_string(c.id),
                                 .action = "create",
                                 .after_json = after}));
  return c;
}

Result<Category> updateCategory(store::Tx& tx, std::int64_t id, const CategoryFields& f) {
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(std::string("SELECT ") + kCategoryColumns +
                                " FROM work_order_categories WHERE tenant_id = ? AND id = ?",
                            {tx.actor().tenant_id, id}));
  Category c = categoryFromRow(row);
  const auto before = boost::json::serialize(toJson(c));
  TING_RETURN_IF_ERROR(applyCategoryFields(tx, c, f));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE work_order_categories SET parent_id = ?, name = ?, name_en = ?, position = ?, "
      "active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
      {c.parent_id ? store::Value(*c.parent_id) : store::nullValue(), c.name,
       store::textOrNull(c.name_en), std::int64_t{c.position}, std::int64_t{c.active ? 1 : 0},
       tx.now(), tx.actor().tenant_id, id}));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order_category",
                                 .entity_id = std::to_string(id),
                                 .action = "update",
                                 .before_json = before,
                                 .after_json = boost::json::serialize(toJson(c))}));
  return c;
}

}  // namespace ting::workorders
