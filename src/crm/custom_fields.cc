#include "crm/custom_fields.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ting::crm {

namespace {

constexpr const char* kColumns =
    "id, tenant_id, field_key, label, label_en, type, choices, position, created_at, updated_at";

FieldDefinition fromRow(const store::Row& r) {
  FieldDefinition d;
  d.id = r.integer(0);
  d.tenant_id = r.integer(1);
  d.key = r.text(2);
  d.label = r.text(3);
  d.label_en = r.text(4);
  d.type = r.text(5);
  boost::system::error_code ec;
  auto choices = boost::json::parse(r.text(6), ec);
  if (!ec && choices.is_array()) {
    for (const auto& c : choices.as_array()) {
      if (c.is_string()) d.choices.emplace_back(c.as_string());
    }
  }
  d.position = static_cast<int>(r.integer(7));
  d.created_at = r.integer(8);
  d.updated_at = r.integer(9);
  return d;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == ' ' || c == '-') c = '_';
  }
  return out;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool isKeyName(const std::string& k) {
  return !k.empty() && k.size() <= 64 && std::all_of(k.begin(), k.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch >= 0x80;
  });
}

Status checkLabel(const boost::json::value& v, const std::string& field, bool required,
                  std::string& out) {
  if (!v.is_string() || (required && v.as_string().empty()) || v.as_string().size() > 100) {
    return invalidValue(field + (required ? " must be 1-100 bytes" : " must be at most 100 bytes"),
                        field);
  }
  out = std::string(v.as_string());
  return Status::ok();
}

Status checkChoices(const boost::json::value& v, std::vector<std::string>& out) {
  if (!v.is_array() || v.as_array().size() > kMaxChoices) {
    return invalidValue(
        "choices must be an array of at most " + std::to_string(kMaxChoices) + " strings",
        "choices");
  }
  std::vector<std::string> choices;
  for (std::size_t i = 0; i < v.as_array().size(); ++i) {
    const auto& c = v.as_array()[i];
    const std::string field = "choices[" + std::to_string(i) + "]";
    if (!c.is_string() || trimmed(c.as_string()).empty() || c.as_string().size() > 100) {
      return invalidValue(field + " must be 1-100 bytes", field);
    }
    const std::string text = trimmed(c.as_string());
    const bool seen = std::any_of(choices.begin(), choices.end(), [&](const std::string& o) {
      return lowered(o) == lowered(text);
    });
    if (seen) return invalidValue(field + " repeats an earlier choice", field);
    choices.push_back(text);
  }
  out = std::move(choices);
  return Status::ok();
}

bool validDate(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// YYYY-MM-DD, also with / or . and without leading zeros.
std::optional<std::string> parseDate(const std::string& text) {
  int parts[3] = {0, 0, 0};
  std::size_t part = 0, digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (++digits > (part == 0 ? 4u : 2u)) return std::nullopt;
      parts[part] = parts[part] * 10 + (c - '0');
    } else if ((c == '-' || c == '/' || c == '.') && digits > 0 && part < 2) {
      ++part;
      digits = 0;
    } else {
      return std::nullopt;
    }
  }
  if (part != 2 || digits == 0 || !validDate(parts[0], parts[1], parts[2])) return std::nullopt;
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02d-%02d", parts[0], parts[1], parts[2]);
  return std::string(out);
}

std::optional<boost::json::value> parseNumber(const std::string& text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return boost::json::value(i);
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc() && dend == text.data() + text.size() && std::isfinite(d)) {
    return boost::json::value(d);
  }
  return std::nullopt;
}

std::optional<bool> parseBoolean(const std::string& text) {
  const std::string t = lowered(text);
  if (t == "true" || t == "yes" || t == "y" || t == "1" || t == "是" || t == "有") return true;
  if (t == "false" || t == "no" || t == "n" || t == "0" || t == "否" || t == "无") return false;
  return std::nullopt;
}

Status conformOne(const FieldDefinition& d, boost::json::value& v) {
  const std::string field = "custom_fields." + d.key;
  if (v.is_null()) return Status::ok();
  std::string text;
  if (v.is_string()) {
    text = trimmed(v.as_string());
  } else if (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool()) {
    text = boost::json::serialize(v);
  } else {
    return invalidValue(field + " must be a value, not a list or object", field);
  }
  if (d.type == "text") {
    if (!v.is_string()) v = boost::json::string(text);
    return Status::ok();
  }
  if (text.empty()) {
    v = nullptr;  // an empty cell or "" clears a typed field
    return Status::ok();
  }
  if (d.type == "number") {
    if (v.is_int64() || v.is_uint64() || v.is_double()) return Status::ok();
    auto n = parseNumber(text);
    if (!n) return invalidValue(field + " must be a number, not '" + text + "'", field);
    v = *n;
  } else if (d.type == "date") {
    auto date = v.is_string() ? parseDate(text) : std::nullopt;
    if (!date)
      return invalidValue(field + " must be a date (YYYY-MM-DD), not '" + text + "'", field);
    v = boost::json::string(*date);
  } else if (d.type == "boolean") {
    if (v.is_bool()) return Status::ok();
    auto b = parseBoolean(text);
    if (!b) return invalidValue(field + " must be yes or no (true/false, 是/否)", field);
    v = *b;
  } else if (d.type == "choice") {
    for (const auto& c : d.choices) {
      if (lowered(c) == lowered(text)) {
        v = boost::json::string(c);
        return Status::ok();
      }
    }
    std::string options;
    for (const auto& c : d.choices) options += (options.empty() ? "" : ", ") + c;
    return invalidValue(field + " must be one of: " + options, field);
  }
  return Status::ok();
}

// One definition of the tenant; kNotFound for others'.
Result<FieldDefinition> findDefinition(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  auto row = s.queryOne(
      std::string("SELECT ") + kColumns + " FROM customer_fields WHERE tenant_id = ? AND id = ?",
      {tenant_id, id});
  if (!row.isOk()) {
    return row.status().code() == StatusCode::kNotFound ? notFound("no such custom field")
                                                        : row.status();
  }
  return fromRow(*row);
}

void audit(store::Tx& tx, const std::string& id, const std::string& action,
           const std::string& before, const std::string& after) {
  store::AuditEntry e;
  e.entity = "customer_field";
  e.entity_id = id;
  e.action = action;
  e.before_json = before;
  e.after_json = after;
  (void)tx.audit(e);
}

}  // namespace

boost::json::object toJson(const FieldDefinition& d) {
  boost::json::array choices;
  for (const auto& c : d.choices) choices.push_back(boost::json::string(c));
  return {{"id", d.id},
          {"key", d.key},
          {"label", d.label},
          {"label_en",
           d.label_en.empty() ? boost::json::value(nullptr) : boost::json::value(d.label_en)},
          {"type", d.type},
          {"choices", std::move(choices)},
          {"position", d.position},
          {"created_at", formatTimestamp(d.created_at)},
          {"updated_at", formatTimestamp(d.updated_at)}};
}

Result<std::vector<FieldDefinition>> listFieldDefinitions(store::Session& s,
                                                          std::int64_t tenant_id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kColumns +
                                    " FROM customer_fields WHERE tenant_id = ? ORDER BY "
                                    "position, id",
                                {tenant_id}));
  std::vector<FieldDefinition> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

Status applyFieldDefinitionJson(const boost::json::object& body, FieldDefinition& d, bool create) {
  for (const auto& [k, v] : body) {
    const std::string key(k);
    if (key == "key" || key == "type") {
      if (!create) {
        return invalidValue(key + " cannot change; define another field instead", key);
      }
      if (!v.is_string()) return invalidValue(key + " must be a string", key);
      const std::string value(v.as_string());
      if (key == "key") {
        if (!isKeyName(value)) {
          return invalidValue("key must be 1-64 letters, digits or _", "key");
        }
        d.key = value;
      } else {
        if (std::find_if(std::begin(kFieldTypes), std::end(kFieldTypes),
                         [&](const char* t) { return value == t; }) == std::end(kFieldTypes)) {
          return invalidValue("type must be text, number, date, boolean or choice", "type");
        }
        d.type = value;
      }
    } else if (key == "label") {
      TING_RETURN_IF_ERROR(checkLabel(v, key, true, d.label));
    } else if (key == "label_en") {
      if (v.is_null()) {
        d.label_en.clear();
      } else {
        TING_RETURN_IF_ERROR(checkLabel(v, key, false, d.label_en));
      }
    } else if (key == "choices") {
      TING_RETURN_IF_ERROR(checkChoices(v, d.choices));
    } else if (key == "position") {
      if (!v.is_int64() || v.as_int64() < 0 || v.as_int64() > 10'000) {
        return invalidValue("position must be an integer from 0 to 10000", "position");
      }
      d.position = static_cast<int>(v.as_int64());
    } else {
      return invalidArgument("unknown field '" + key + "'", key);
    }
  }
  if (create) {
    if (d.key.empty()) return invalidValue("key is required", "key");
    if (d.label.empty()) return invalidValue("label is required", "label");
  }
  if (d.type == "choice" && d.choices.empty()) {
    return invalidValue("a choice field needs its choices", "choices");
  }
  if (d.type != "choice" && !d.choices.empty()) {
    return invalidValue("only a choice field has choices", "choices");
  }
  return Status::ok();
}

Result<FieldDefinition> createFieldDefinition(store::Tx& tx, FieldDefinition d) {
  d.tenant_id = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(auto existing, listFieldDefinitions(tx.session(), d.tenant_id));
  if (existing.size() >= kMaxFieldDefinitions) {
    return conflict("at most " + std::to_string(kMaxFieldDefinitions) + " custom fields", "key");
  }
  for (const auto& e : existing) {
    if (lowered(e.key) == lowered(d.key)) {
      return conflict("a custom field '" + e.key + "' is already defined", "key");
    }
  }
  d.created_at = d.updated_at = tx.now();
  boost::json::array choices;
  for (const auto& c : d.choices) choices.push_back(boost::json::string(c));
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO customer_fields (tenant_id, field_key, label, label_en, "
          "type, choices, position, created_at, updated_at) VALUES (?, ?, ?, "
          "?, ?, ?, ?, ?, ?) RETURNING id",
          {d.tenant_id, d.key, d.label, d.label_en, d.type, boost::json::serialize(choices),
           std::int64_t{d.position}, d.created_at, d.updated_at}));
  d.id = row.integer(0);
  audit(tx, std::to_string(d.id), "create", "", boost::json::serialize(toJson(d)));
  return d;
}

Result<FieldDefinition> updateFieldDefinition(store::Tx& tx, std::int64_t id,
                                              const boost::json::object& patch) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(const FieldDefinition before, findDefinition(tx.session(), tenant, id));
  FieldDefinition d = before;
  TING_RETURN_IF_ERROR(applyFieldDefinitionJson(patch, d, false));
  d.updated_at = tx.now();
  boost::json::array choices;
  for (const auto& c : d.choices) choices.push_back(boost::json::string(c));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE customer_fields SET label = ?, label_en = ?, choices = ?, position = ?, "
      "updated_at = ? WHERE tenant_id = ? AND id = ?",
      {d.label, d.label_en, boost::json::serialize(choices), std::int64_t{d.position}, d.updated_at,
       tenant, id}));
  audit(tx, std::to_string(id), "update", boost::json::serialize(toJson(before)),
        boost::json::serialize(toJson(d)));
  return d;
}

Status deleteFieldDefinition(store::Tx& tx, std::int64_t id) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(const FieldDefinition gone, findDefinition(tx.session(), tenant, id));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "DELETE FROM customer_fields WHERE tenant_id = ? AND id = ?", {tenant, id}));
  audit(tx, std::to_string(id), "delete", boost::json::serialize(toJson(gone)), "");
  return Status::ok();
}

Status conformCustomFields(const std::vector<FieldDefinition>& defs, boost::json::object& values) {
  for (const auto& d : defs) {
    auto it = values.find(d.key);
    if (it == values.end()) continue;
    TING_RETURN_IF_ERROR(conformOne(d, it->value()));
  }
  return Status::ok();
}

std::string definedKeyForColumn(const std::vector<FieldDefinition>& defs, std::string_view column) {
  const std::string wanted = lowered(trimmed(column));
  for (const auto& d : defs) {
    if (lowered(d.key) == wanted || lowered(d.label) == wanted ||
        (!d.label_en.empty() && lowered(d.label_en) == wanted)) {
      return d.key;
    }
  }
  return "";
}

}  // namespace ting::crm
