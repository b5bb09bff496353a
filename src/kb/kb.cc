#include "kb/kb.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "workorders/business_calendar.h"
#include "workorders/settings.h"

namespace ting::kb {

std::string_view defaultKbJson();  // default_kb.cc, generated from default_kb.json

namespace {

constexpr const char* kColumns =
    "id, kind, situation, lang, title, body, category_id, active, created_at, updated_at";

Entry fromRow(const store::Row& r, size_t at = 0) {
  Entry e;
  e.id = r.integer(at + 0);
  e.kind = r.text(at + 1);
  e.situation = r.text(at + 2);
  e.lang = r.text(at + 3);
  e.title = r.text(at + 4);
  e.body = r.text(at + 5);
  if (!r.isNull(at + 6)) e.category_id = r.integer(at + 6);
  e.active = r.integer(at + 7) != 0;
  e.created_at = r.integer(at + 8);
  e.updated_at = r.integer(at + 9);
  return e;
}

bool isKey(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status apply(store::Tx& tx, Entry& e, const EntryFields& f) {
  if (f.kind) e.kind = *f.kind;
  if (f.situation) e.situation = *f.situation;
  if (f.lang) e.lang = *f.lang;
  if (f.title) e.title = *f.title;
  if (f.body) e.body = *f.body;
  if (f.category_id) e.category_id = *f.category_id;
  if (f.active) e.active = *f.active;
  if (e.kind != "article" && e.kind != "script") {
    return invalidValue("kind must be article or script", "kind");
  }
  if (!e.situation.empty() && !isKey(e.situation)) {
    return invalidValue("situation must be a key of a-z, 0-9 and _ (at most 64)", "situation");
  }
  if (e.lang != "zh" && e.lang != "en") return invalidValue("lang must be zh or en", "lang");
  if (e.title.empty() || e.title.size() > 400) {
    return invalidValue("title must be 1-400 bytes", "title");
  }
  if (e.body.empty() || e.body.size() > 100'000) {
    return invalidValue("body must be 1-100000 bytes", "body");
  }
  if (e.category_id) {
    TING_ASSIGN_OR_RETURN(store::Rows rows,
                          tx.session().query("SELECT id FROM work_order_categories WHERE "
                                             "tenant_id = ? AND id = ?",
                                             {tx.actor().tenant_id, *e.category_id}));
    if (rows.empty()) return invalidValue("no such category", "category_id");
  }
  return Status::ok();
}

Status save(store::Tx& tx, Entry& e, const std::string& action, const std::string& before) {
  e.updated_at = tx.now();
  if (e.id == 0) {
    e.created_at = tx.now();
    TING_ASSIGN_OR_RETURN(
        store::Row row,
        tx.session().queryOne(
            "INSERT INTO kb_entries (tenant_id, kind, situation, lang, title, body, category_id, "
            "active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {tx.actor().tenant_id, e.kind, store::textOrNull(e.situation), e.lang, e.title, e.body,
             store::intOrNull(e.category_id), std::int64_t{e.active ? 1 : 0}, e.created_at,
             e.updated_at}));
    e.id = row.integer(0);
  } else {
    TING_RETURN_IF_ERROR(tx.session().exec(
        "UPDATE kb_entries SET kind = ?, situation = ?, lang = ?, title = ?, body = ?, "
        "category_id = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        {e.kind, store::textOrNull(e.situation), e.lang, e.title, e.body,
         store::intOrNull(e.category_id), std::int64_t{e.active ? 1 : 0}, e.updated_at,
         tx.actor().tenant_id, e.id}));
  }
  return tx.audit({.entity = "kb_entry",
                   .entity_id = std::to_string(e.id),
                   .action = action,
                   .before_json = before,
                   .after_json = boost::json::serialize(toJson(e))});
}

}  // namespace

boost::json::object toJson(const Entry& e) {
  return {{"id", e.id},
          {"kind", e.kind},
          {"situation",
           e.situation.empty() ? boost::json::value(nullptr) : boost::json::value(e.situation)},
          {"lang", e.lang},
          {"title", e.title},
          {"body", e.body},
          {"category_id",
           e.category_id ? boost::json::value(*e.category_id) : boost::json::value(nullptr)},
          {"active", e.active},
          {"created_at", formatTimestamp(e.created_at)},
          {"updated_at", formatTimestamp(e.updated_at)}};
}

Result<Entry> createEntry(store::Tx& tx, const EntryFields& f) {
  Entry e;
  e.kind = "article";
  TING_RETURN_IF_ERROR(apply(tx, e, f));
  TING_RETURN_IF_ERROR(save(tx, e, "create", ""));
  return e;
}

Result<Entry> updateEntry(store::Tx& tx, std::int64_t id, const EntryFields& f) {
  TING_ASSIGN_OR_RETURN(Entry e, getEntry(tx.session(), tx.actor().tenant_id, id));
  const std::string before = boost::json::serialize(toJson(e));
  TING_RETURN_IF_ERROR(apply(tx, e, f));
  TING_RETURN_IF_ERROR(save(tx, e, "update", before));
  return e;
}

Status deleteEntry(store::Tx& tx, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(Entry e, getEntry(tx.session(), tx.actor().tenant_id, id));
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM kb_entries WHERE tenant_id = ? AND id = ?",
                                         {tx.actor().tenant_id, id}));
  return tx.audit({.entity = "kb_entry",
                   .entity_id = std::to_string(id),
                   .action = "delete",
                   .before_json = boost::json::serialize(toJson(e))});
}

Result<Entry> getEntry(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query(std::string("SELECT ") + kColumns + " FROM kb_entries WHERE tenant_id = ? AND id = ?",
              {tenant_id, id}));
  if (rows.empty()) return notFound("no such article or script");
  return fromRow(rows[0]);
}

Result<store::Page> listEntries(store::Session& s, std::int64_t tenant_id, const EntryFilter& f,
                                const store::PageRequest& page) {
  store::PageQuery q{.table = "kb_entries", .columns = kColumns, .tenant_id = tenant_id};
  auto add = [&](const std::string& sql, store::Value v) {
    q.filter_sql += " AND " + sql;
    q.filter_params.push_back(std::move(v));
  };
  if (!f.kind.empty()) add("kind = ?", f.kind);
  if (!f.lang.empty()) add("lang = ?", f.lang);
  if (!f.situation.empty()) add("situation = ?", f.situation);
  if (f.category_id) add("category_id = ?", *f.category_id);
  if (f.active) add("active = ?", std::int64_t{*f.active ? 1 : 0});
  return store::listPage(s, q, page);
}

std::vector<Entry> entriesOf(const store::Page& page) {
  std::vector<Entry> out;
  for (const auto& r : page.rows) out.push_back(fromRow(r));
  return out;
}

Result<std::vector<std::pair<std::int64_t, Entry>>> changedSince(store::Session& s,
                                                                 UnixMillis since, int limit) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT tenant_id, ") + kColumns +
                                    " FROM kb_entries WHERE updated_at > ? ORDER BY updated_at, "
                                    "id LIMIT ?",
                                {since, std::int64_t{limit}}));
  std::vector<std::pair<std::int64_t, Entry>> out;
  for (const auto& r : rows) out.emplace_back(r.integer(0), fromRow(r, 1));
  return out;
}

Result<int> installDefaults(store::Tx& tx) {
  const auto doc = boost::json::parse(defaultKbJson()).as_object();
  int added = 0;
  for (const char* kind : {"script", "article"}) {
    const auto& list = doc.at(std::string(kind) + "s").as_array();
    for (const auto& item : list) {
      const std::string situation(item.at("situation").as_string());
      for (const char* lang : {"zh", "en"}) {
        TING_ASSIGN_OR_RETURN(store::Rows have,
                              tx.session().query("SELECT id FROM kb_entries WHERE tenant_id = ? "
                                                 "AND kind = ? AND situation = ? AND lang = ?",
                                                 {tx.actor().tenant_id, std::string(kind),
                                                  situation, std::string(lang)}));
        if (!have.empty()) continue;
        const auto& text = item.at(lang).as_object();
        Entry e{.kind = kind,
                .situation = situation,
                .lang = lang,
                .title = std::string(text.at("title").as_string()),
                .body = std::string(text.at("body").as_string())};
        TING_RETURN_IF_ERROR(save(tx, e, "install_default", ""));
        ++added;
      }
    }
  }
  return added;
}

std::string render(const std::string& text, const std::map<std::string, std::string>& vars,
                   std::vector<std::string>* missing) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("{{", i);
    if (open == std::string::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    const std::string name = text.substr(open + 2, close - open - 2);
    auto it = vars.find(name);
    if (it != vars.end() && !it->second.empty()) {
      out += it->second;
    } else {
      out.append(text, open, close + 2 - open);
      if (missing && isKey(name)) missing->push_back(name);
    }
    i = close + 2;
  }
  out.append(text, i, std::string::npos);
  return out;
}

Result<std::map<std::string, std::string>> variablesFor(store::Session& s, std::int64_t tenant_id,
                                                        std::int64_t agent_user_id,
                                                        std::optional<std::int64_t> customer_id,
                                                        std::optional<std::int64_t> work_order_id) {
  std::map<std::string, std::string> vars;
  TING_ASSIGN_OR_RETURN(store::Rows agent,
                        s.query("SELECT username, display_name, sip_extension FROM users WHERE "
                                "tenant_id = ? AND id = ?",
                                {tenant_id, agent_user_id}));
  if (!agent.empty()) {
    // The staff number agents give out is their extension when they have one.
    vars["agent_staff_no"] = agent[0].isNull(2) ? agent[0].text(0) : agent[0].text(2);
    vars["agent_name"] = agent[0].text(1);
  }
  if (work_order_id) {
    TING_ASSIGN_OR_RETURN(store::Rows w, s.query("SELECT reference, promised_reply_at, "
                                                 "customer_id FROM work_orders WHERE tenant_id = "
                                                 "? AND id = ?",
                                                 {tenant_id, *work_order_id}));
    if (w.empty()) return invalidValue("no such work order", "work_order_id");
    vars["reference"] = w[0].text(0);
    if (!w[0].isNull(1)) {
      TING_ASSIGN_OR_RETURN(workorders::Settings settings, workorders::loadSettings(s, tenant_id));
      vars["promised_reply_at"] =
          workorders::formatLocalMinute(settings.time_zone, w[0].integer(1));
    }
    if (!customer_id && !w[0].isNull(2)) customer_id = w[0].integer(2);
  }
  if (customer_id) {
    TING_ASSIGN_OR_RETURN(store::Rows c, s.query("SELECT name FROM customers WHERE tenant_id = ? "
                                                 "AND id = ?",
                                                 {tenant_id, *customer_id}));
    if (c.empty()) return invalidValue("no such customer", "customer_id");
    vars["customer_name"] = c[0].text(0);
    TING_ASSIGN_OR_RETURN(store::Rows last,
                          s.query("SELECT agent_staff_no FROM calls WHERE tenant_id = ? AND "
                                  "customer_id = ? AND agent_staff_no IS NOT NULL ORDER BY "
                                  "arrived_at DESC LIMIT 1",
                                  {tenant_id, *customer_id}));
    if (!last.empty()) vars["previous_agent"] = last[0].text(0);
  }
  return vars;
}

}  // namespace ting::kb
