#include "workorders/saved_views.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ting::workorders {

namespace {

constexpr const char* kColumns =
    "v.id, v.tenant_id, v.owner_id, COALESCE(u.username, ''), v.name, v.filters, v.shared, "
    "v.created_at, v.updated_at";
constexpr const char* kFrom =
    " FROM saved_views v LEFT JOIN users u ON u.id = v.owner_id AND u.tenant_id = v.tenant_id ";

SavedView fromRow(const store::Row& r) {
  SavedView v;
  v.id = r.integer(0);
  v.tenant_id = r.integer(1);
  v.owner_id = r.integer(2);
  v.owner = r.text(3);
  v.name = r.text(4);
  boost::system::error_code ec;
  auto filters = boost::json::parse(r.text(5), ec);
  if (!ec && filters.is_object()) {
    for (const auto& [k, value] : filters.as_object()) {
      if (value.is_string()) v.filters[std::string(k)] = std::string(value.as_string());
    }
  }
  v.shared = r.integer(6) != 0;
  v.created_at = r.integer(7);
  v.updated_at = r.integer(8);
  return v;
}

std::string filtersJson(const SavedView& v) {
  boost::json::object o;
  for (const auto& [k, value] : v.filters) o[k] = value;
  return boost::json::serialize(o);
}

void audit(store::Tx& tx, const SavedView& v, const std::string& action) {
  store::AuditEntry e;
  e.entity = "saved_view";
  e.entity_id = std::to_string(v.id);
  e.action = action;
  e.after_json = boost::json::serialize(toJson(v));
  (void)tx.audit(e);
}

}  // namespace

boost::json::object toJson(const SavedView& v) {
  boost::json::object filters;
  for (const auto& [k, value] : v.filters) filters[k] = value;
  return {{"id", v.id},
          {"name", v.name},
          {"filters", std::move(filters)},
          {"shared", v.shared},
          {"owner_id", v.owner_id},
          {"owner", v.owner},
          {"created_at", formatTimestamp(v.created_at)},
          {"updated_at", formatTimestamp(v.updated_at)}};
}

Result<std::vector<SavedView>> listSavedViews(store::Session& s, std::int64_t tenant_id,
                                              std::int64_t user_id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kColumns + kFrom +
                                    "WHERE v.tenant_id = ? AND (v.owner_id = ? OR v.shared = 1) "
                                    "ORDER BY v.name, v.id",
                                {tenant_id, user_id}));
  std::vector<SavedView> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

Result<SavedView> getSavedView(store::Session& s, std::int64_t tenant_id, std::int64_t user_id,
                               std::int64_t id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kColumns + kFrom +
                                    "WHERE v.tenant_id = ? AND v.id = ? AND (v.owner_id = ? OR "
                                    "v.shared = 1)",
                                {tenant_id, id, user_id}));
  if (rows.empty()) return notFound("no such saved view");
  return fromRow(rows[0]);
}

Result<SavedView> createSavedView(store::Tx& tx, SavedView v) {
  v.tenant_id = tx.actor().tenant_id;
  v.owner_id = tx.actor().user_id;
  v.owner = tx.actor().name;
  TING_ASSIGN_OR_RETURN(store::Row count,
                        tx.session().queryOne("SELECT COUNT(*) FROM saved_views WHERE tenant_id "
                                              "= ? AND owner_id = ?",
                                              {v.tenant_id, v.owner_id}));
  if (count.integer(0) >= static_cast<std::int64_t>(kMaxSavedViewsPerUser)) {
    return conflict("at most " + std::to_string(kMaxSavedViewsPerUser) + " saved views each",
                    "name");
  }
  v.created_at = v.updated_at = tx.now();
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne("INSERT INTO saved_views (tenant_id, owner_id, name, filters, shared, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            {v.tenant_id, v.owner_id, v.name, filtersJson(v),
                             std::int64_t{v.shared ? 1 : 0}, v.created_at, v.updated_at}));
  v.id = row.integer(0);
  audit(tx, v, "create");
  return v;
}

Result<SavedView> updateSavedView(store::Tx& tx, const SavedView& given) {
  SavedView v = given;
  v.updated_at = tx.now();
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE saved_views SET name = ?, filters = ?, shared = ?, updated_at = ? WHERE "
      "tenant_id = ? AND id = ?",
      {v.name, filtersJson(v), std::int64_t{v.shared ? 1 : 0}, v.updated_at, v.tenant_id, v.id}));
  audit(tx, v, "update");
  return v;
}

Status mayChangeSavedView(const SavedView& v, std::int64_t user_id, identity::Role role) {
  if (v.owner_id == user_id || role == identity::Role::kAdmin) return Status::ok();
  return Status(StatusCode::kPermissionDenied, "only its owner or an admin changes a view");
}

Status deleteSavedView(store::Tx& tx, std::int64_t id) {
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM saved_views WHERE tenant_id = ? AND id = ?",
                                         {tx.actor().tenant_id, id}));
  SavedView gone;
  gone.id = id;
  audit(tx, gone, "delete");
  return Status::ok();
}

}  // namespace ting::workorders
