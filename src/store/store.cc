#include "store/store.h"

#include <algorithm>
#include <boost/json.hpp>

namespace ting::store {

Status Tx::audit(const AuditEntry& e) {
  std::int64_t tenant = e.tenant_id ? e.tenant_id : actor_.tenant_id;
  const Value actor_id = actor_.user_id ? Value{actor_.user_id} : Value{};
  // The event is completed with the entry's id (and, on PostgreSQL, its time)
  // once the insert has run.
  const size_t index = events_.size();
  emit({"audit", "audit.appended", tenant, now_, ""});
  auto complete = [&events = events_, index,
                   data = boost::json::object{{"id", 0},
                                              {"entity", e.entity},
                                              {"entity_id", e.entity_id},
                                              {"action", e.action},
                                              {"actor_id", actor_.user_id},
                                              {"actor", actor_.name}}](Rows& rows) mutable {
    if (rows.empty()) return;
    DomainEvent& ev = events[index];
    if (rows[0].size() > 1) ev.at = rows[0].integer(1);
    data["id"] = rows[0].integer(0);
    ev.data_json = boost::json::serialize(data);
  };
  if (session_.dialect() == Dialect::kPostgres) {
    if (std::find(audit_locked_.begin(), audit_locked_.end(), tenant) == audit_locked_.end()) {
      TING_RETURN_IF_ERROR(
          session_.defer("SELECT pg_advisory_xact_lock(7355609, CAST(? AS INTEGER))", {tenant}));
      audit_locked_.push_back(tenant);
    }
    // The time is taken under the lock: never before the tenant's last entry.
    const UnixMillis at = std::max(now_, clock_.nowMillis());
    return session_.defer(
        "INSERT INTO audit_log (tenant_id, at, actor_id, actor, entity, entity_id, action, "
        "before_json, after_json, request_id) VALUES (?, GREATEST(CAST(? AS BIGINT), "
        "COALESCE((SELECT at FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT 1), 0)), "
        "?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, at",
        {tenant, at, tenant, actor_id, actor_.name, e.entity, textOrNull(e.entity_id), e.action,
         textOrNull(e.before_json), textOrNull(e.after_json), textOrNull(actor_.request_id)},
        std::move(complete));
  }
  return session_.defer(
      "INSERT INTO audit_log (tenant_id, at, actor_id, actor, entity, entity_id, action, "
      "before_json, after_json, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {tenant, now_, actor_id, actor_.name, e.entity, textOrNull(e.entity_id), e.action,
       textOrNull(e.before_json), textOrNull(e.after_json), textOrNull(actor_.request_id)},
      std::move(complete));
}

void Tx::emit(DomainEvent event) {
  if (event.at == 0) event.at = now_;
  if (event.tenant_id == 0) event.tenant_id = actor_.tenant_id;
  events_.push_back(std::move(event));
}

Status Store::write(const Actor& actor, const std::function<Status(Tx&)>& fn) {
  std::vector<DomainEvent> events;
  Status s = db_.write([&](Session& session) -> Status {
    events.clear();
    Tx tx(session, actor, clock_, events);
    return fn(tx);
  });
  if (!s.isOk()) return s;
  for (const auto& e : events) bus_.publish(e);
  return Status::ok();
}

std::string containsPattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  out += '%';
  return out;
}

Result<Page> listPage(Session& session, const PageQuery& q, const PageRequest& p) {
  std::string sql = "SELECT " + q.columns + ", " + p.sort_column + " FROM " + q.table +
                    " WHERE tenant_id = ? " + q.filter_sql;
  std::vector<Value> params;
  params.push_back(q.tenant_id);
  params.insert(params.end(), q.filter_params.begin(), q.filter_params.end());
  const char* cmp = p.descending ? "<" : ">";
  if (p.after) {
    if (p.sort_column == "id") {
      sql += std::string(" AND id ") + cmp + " ?";
      params.push_back(p.after->second);
    } else {
      sql += " AND (" + p.sort_column + " " + cmp + " ? OR (" + p.sort_column + " = ? AND id " +
             cmp + " ?))";
      params.push_back(p.after->first);
      params.push_back(p.after->first);
      params.push_back(p.after->second);
    }
  }
  const char* dir = p.descending ? " DESC" : " ASC";
  sql += " ORDER BY " + p.sort_column + dir;
  if (p.sort_column != "id") sql += std::string(", id") + dir;
  sql += " LIMIT ?";
  params.push_back(std::int64_t{p.limit} + 1);
  TING_ASSIGN_OR_RETURN(Rows rows, session.query(sql, std::span<const Value>(params)));
  Page page;
  page.has_more = rows.size() > static_cast<size_t>(p.limit);
  if (page.has_more) rows.pop_back();
  for (auto& row : rows) {
    page.sort_values.push_back(row.value(row.size() - 1));
  }
  page.rows = std::move(rows);
  return page;
}

Status refreshStatistics(Database& db) {
  if (db.dialect() != Dialect::kSqlite) return Status::ok();
  return db.write(
      [](Session& s) { return s.execScript("PRAGMA analysis_limit = 1000; ANALYZE;"); });
}

}  // namespace ting::store
