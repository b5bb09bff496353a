#include "crm/customer_import.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "crm/csv.h"
#include "crm/custom_fields.h"
#include "crm/customers.h"

namespace ting::crm {

namespace {

enum class Column {
  kName,
  kPhone,
  kEmail,
  kCompany,
  kTags,
  kAddress,
  kNotes,
  kVipLevel,
  kOwner,
  kIgnored,  // written by the export, not taken back (created_at)
  kCustom
};

// Header names, English (any case) and Chinese.
const std::map<std::string, Column, std::less<>>& knownColumns() {
  static const std::map<std::string, Column, std::less<>> kColumns = {
      {"name", Column::kName},        {"姓名", Column::kName},       {"客户名称", Column::kName},
      {"phone", Column::kPhone},      {"phones", Column::kPhone},    {"电话", Column::kPhone},
      {"手机", Column::kPhone},       {"手机号", Column::kPhone},    {"email", Column::kEmail},
      {"邮箱", Column::kEmail},       {"company", Column::kCompany}, {"公司", Column::kCompany},
      {"tags", Column::kTags},        {"标签", Column::kTags},       {"address", Column::kAddress},
      {"地址", Column::kAddress},     {"notes", Column::kNotes},     {"备注", Column::kNotes},
      {"vip_level", Column::kVipLevel}, {"vip等级", Column::kVipLevel}, {"owner", Column::kOwner},
      {"负责人", Column::kOwner},     {"归属坐席", Column::kOwner},   {"created_at", Column::kIgnored},
      {"创建时间", Column::kIgnored},
  };
  return kColumns;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "a; b;;c" → {"a", "b", "c"}; also split on the full-width ；.
std::vector<std::string> splitList(const std::string& cell) {
  std::vector<std::string> out;
  std::string text = cell;
  for (auto pos = text.find("；"); pos != std::string::npos; pos = text.find("；", pos)) {
    text.replace(pos, std::string("；").size(), ";");
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string item = trim(std::string_view(text).substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

struct Header {
  std::vector<Column> columns;
  std::vector<std::string> custom_names;  // per column; "" unless kCustom
};

Result<Header> readHeader(const CsvRow& row) {
  Header h;
  bool has_name = false, has_phone = false;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < row.fields.size(); ++i) {
    const std::string raw = trim(row.fields[i]);
    const std::string key = lower(raw);
    const std::string where = "column " + std::to_string(i + 1);
    if (key.empty()) return invalidArgument(where + " has no name in the header line", "header");
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return invalidArgument("column '" + raw + "' appears twice", "header");
    }
    seen.push_back(key);
    auto known = knownColumns().find(key);
    if (known != knownColumns().end()) {
      h.columns.push_back(known->second);
      h.custom_names.emplace_back();
      has_name |= known->second == Column::kName;
      has_phone |= known->second == Column::kPhone;
      continue;
    }
    // A custom field: spaces and dashes become _, the rest must be a name.
    std::string name = raw;
    std::replace_if(name.begin(), name.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
    const bool ok = name.size() <= 64 &&
                    std::all_of(name.begin(), name.end(), [](unsigned char c) {
                      return std::isalnum(c) || c == '_' || c >= 0x80;
                    });
    if (!ok) {
      return invalidArgument("column '" + raw + "' cannot be a custom field name (letters, "
                             "digits, _ and spaces)", "header");
    }
    h.columns.push_back(Column::kCustom);
    h.custom_names.push_back(name);
  }
  if (!has_name && !has_phone) {
    return invalidArgument("the header line has neither a name nor a phone column", "header");
  }
  return h;
}

// One row as customer fields; a problem naming the column otherwise.
std::optional<ImportProblem> readRow(const Header& h, const CsvRow& row, CustomerFields& f,
                                     bool& named) {
  ImportProblem p{row.line, "", ""};
  if (row.fields.size() > h.columns.size()) {
    p.message = std::to_string(row.fields.size()) + " fields, but the header has " +
                std::to_string(h.columns.size());
    return p;
  }
  std::string name, phones;
  boost::json::object custom;
  for (std::size_t i = 0; i < row.fields.size(); ++i) {
    const std::string value = trim(row.fields[i]);
    if (value.empty()) continue;
    switch (h.columns[i]) {
      case Column::kName:
        name = value;
        break;
      case Column::kPhone:
        // An export writes +86... as '+86... so that spreadsheets keep it text.
        phones = value.starts_with('\'') ? value.substr(1) : value;
        break;
      case Column::kEmail:
        f.email = value;
        break;
      case Column::kCompany:
        f.company = value;
        break;
      case Column::kTags:
        f.tags = splitList(value);
        break;
      case Column::kAddress:
        f.address = value;
        break;
      case Column::kNotes:
        f.notes = value;
        break;
      case Column::kVipLevel:
        if (value.size() != 1 || value[0] < '0' || value[0] > '5') {
          p.field = "vip_level";
          p.message = "vip_level is 0-5, not '" + value + "'";
          return p;
        }
        f.vip_level = value[0] - '0';
        break;
      case Column::kOwner:
        f.owner = value;  // a username or staff number, checked when written
        break;
      case Column::kIgnored:
        break;
      case Column::kCustom:
        custom[h.custom_names[i]] = value;
        break;
    }
  }
  if (name.empty() && phones.empty()) {
    p.message = "the row has neither a name nor a phone number";
    return p;
  }
  if (!phones.empty()) {
    // Several numbers in one cell are separated by ; (or /).
    std::replace(phones.begin(), phones.end(), '/', ';');
    f.phones = splitList(phones);
  }
  named = !name.empty();
  f.name = name.empty() ? phones : name;
  if (!custom.empty()) f.custom_fields = std::move(custom);
  Customer check;
  Status s = applyFields(check, f);
  if (s.isOk()) s = validateCustomer(check);
  if (!s.isOk()) {
    p.field = s.field().rfind("phones[", 0) == 0 ? "phone" : s.field();
    p.message = s.message();
    return p;
  }
  return std::nullopt;
}

struct Pending {
  std::size_t line;
  CustomerFields fields;
  bool named = true;  // the row had a name (not only a number)
};

enum class Outcome { kCreated, kUpdated, kSkipped };

void countOutcome(ImportReport& report, Outcome o) {
  (o == Outcome::kCreated   ? report.imported
   : o == Outcome::kUpdated ? report.updated
                            : report.skipped) += 1;
}

// Writes one row as the options say: a new customer, or (skip, update) the
// existing one its numbers find.
Result<Outcome> writeRow(store::Tx& tx, const Pending& row, OnDuplicate mode) {
  if (mode != OnDuplicate::kCreate && row.fields.phones) {
    std::vector<std::int64_t> ids;
    for (const auto& number : *row.fields.phones) {
      TING_ASSIGN_OR_RETURN(auto found, findByNumber(tx.session(), tx.actor().tenant_id, number));
      for (const auto& c : found) {
        if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) ids.push_back(c.id);
      }
    }
    if (ids.size() > 1) {
      return invalidValue("the numbers belong to " + std::to_string(ids.size()) +
                              " customers already; merge them first",
                          "phone");
    }
    if (ids.size() == 1) {
      if (mode == OnDuplicate::kSkip) return Outcome::kSkipped;
      TING_ASSIGN_OR_RETURN(Customer existing, getCustomer(tx.session(), tx.actor().tenant_id,
                                                           ids[0]));
      CustomerFields more = row.fields;
      if (!row.named) more.name.reset();  // keep their name; the row only had a number
      std::vector<std::string> numbers;
      for (const auto& p : existing.phones) numbers.push_back(p.number);
      numbers.insert(numbers.end(), row.fields.phones->begin(), row.fields.phones->end());
      more.phones = std::move(numbers);  // the same number twice is kept once
      if (more.tags) {
        std::vector<std::string> tags = existing.tags;
        tags.insert(tags.end(), more.tags->begin(), more.tags->end());
        more.tags = std::move(tags);
      }
      TING_RETURN_IF_ERROR(updateCustomer(tx, ids[0], more).status());
      return Outcome::kUpdated;
    }
  }
  TING_RETURN_IF_ERROR(createCustomer(tx, row.fields).status());
  return Outcome::kCreated;
}

// Writes `rows` in one transaction; if that fails, each on its own so one
// failing row costs only itself.
void writeBatch(store::Store& store, const store::Actor& actor, std::vector<Pending>& rows,
                ImportReport& report, OnDuplicate mode) {
  if (rows.empty()) return;
  std::vector<Outcome> outcomes;
  Status all = store.write(actor, [&](store::Tx& tx) -> Status {
    outcomes.clear();
    for (const auto& r : rows) {
      TING_ASSIGN_OR_RETURN(Outcome o, writeRow(tx, r, mode));
      outcomes.push_back(o);
    }
    return Status::ok();
  });
  if (all.isOk()) {
    for (Outcome o : outcomes) countOutcome(report, o);
  } else {
    for (const auto& r : rows) {
      Outcome outcome = Outcome::kCreated;
      Status one = store.write(actor, [&](store::Tx& tx) -> Status {
        TING_ASSIGN_OR_RETURN(outcome, writeRow(tx, r, mode));
        return Status::ok();
      });
      if (one.isOk()) {
        countOutcome(report, outcome);
      } else {
        ++report.rejected;
        report.problems.push_back({r.line, one.field(), one.message()});
      }
    }
    std::sort(report.problems.begin(), report.problems.end(),
              [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
  }
  rows.clear();
}

// The header line: the first record that reads.
Result<Header> headerOf(CsvReader& reader) {
  auto first = reader.next();
  if (!first.isOk()) {
    return invalidArgument("the header line cannot be read: " + first.status().message(),
                           "header");
  }
  if (!*first) return invalidArgument("the file is empty", "header");
  return readHeader(**first);
}

}  // namespace

Status checkImportHeader(std::string_view csv) {
  CsvReader reader(csv);
  return headerOf(reader).status();
}

Result<ImportReport> importCustomers(store::Store& store, const store::Actor& actor,
                                     std::string_view csv, const ImportOptions& options) {
  CsvReader reader(csv);
  TING_ASSIGN_OR_RETURN(Header header, headerOf(reader));
  // The tenant's defined fields: a column may name one by its label, and
  // their values are checked row by row, before any row is written.
  std::vector<FieldDefinition> defs;
  TING_RETURN_IF_ERROR(store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(defs, listFieldDefinitions(s, actor.tenant_id));
    return Status::ok();
  }));
  for (auto& name : header.custom_names) {
    if (name.empty()) continue;
    if (std::string key = definedKeyForColumn(defs, name); !key.empty()) name = key;
  }
  ImportReport report;
  std::vector<Pending> pending;
  const std::size_t batch = std::max<std::size_t>(1, options.batch);
  for (;;) {
    auto next = reader.next();
    if (!next.isOk()) {
      ++report.rows;
      ++report.rejected;
      report.problems.push_back({reader.recordLine(), "", next.status().message()});
      continue;
    }
    if (!*next) break;
    ++report.rows;
    CustomerFields fields;
    bool named = true;
    if (auto problem = readRow(header, **next, fields, named)) {
      ++report.rejected;
      report.problems.push_back(std::move(*problem));
      continue;
    }
    if (fields.custom_fields) {
      if (Status s = conformCustomFields(defs, *fields.custom_fields); !s.isOk()) {
        ++report.rejected;
        report.problems.push_back({(*next)->line, s.field(), s.message()});
        continue;
      }
    }
    fields.field_definitions = &defs;
    pending.push_back({(*next)->line, std::move(fields), named});
    if (pending.size() >= batch) {
      writeBatch(store, actor, pending, report, options.on_duplicate);
      if (options.progress) options.progress(reader.bytesRead(), csv.size(), report);
    }
  }
  writeBatch(store, actor, pending, report, options.on_duplicate);
  if (options.progress) options.progress(csv.size(), csv.size(), report);
  return report;
}

std::optional<OnDuplicate> parseOnDuplicate(std::string_view text) {
  if (text == "create") return OnDuplicate::kCreate;
  if (text == "skip") return OnDuplicate::kSkip;
  if (text == "update") return OnDuplicate::kUpdate;
  return std::nullopt;
}

std::string reportCsv(const ImportReport& report) {
  std::string out = csvLine({"line", "field", "error"});
  for (const auto& p : report.problems) {
    out += csvLine({std::to_string(p.line), p.field, p.message});
  }
  return out;
}

Status auditImport(store::Store& store, const store::Actor& actor, const ImportReport& report) {
  return store.write(actor, [&](store::Tx& tx) -> Status {
    store::AuditEntry entry;
    entry.entity = "customer";
    entry.action = "import";
    boost::json::object after{
        {"rows", report.rows}, {"imported", report.imported}, {"rejected", report.rejected}};
    if (report.updated) after["updated"] = report.updated;
    if (report.skipped) after["skipped"] = report.skipped;
    entry.after_json = boost::json::serialize(after);
    return tx.audit(entry);
  });
}

}  // namespace ting::crm
