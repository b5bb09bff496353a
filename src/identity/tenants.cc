#include "identity/tenants.h"

#include <boost/json/serialize.hpp>

namespace ting::identity {

namespace {

constexpr const char* kColumns = "id, slug, name, created_at, updated_at";

Tenant fromRow(const store::Row& r) {
  return {r.integer(0), r.text(1), r.text(2), r.integer(3), r.integer(4)};
}

}  // namespace

boost::json::object toJson(const Tenant& t) {
  return {{"id", t.id},
          {"slug", t.slug},
          {"name", t.name},
          {"created_at", formatTimestamp(t.created_at)},
          {"updated_at", formatTimestamp(t.updated_at)}};
}

Status validateTenant(const std::string& slug, const std::string& name) {
  if (slug.size() < 2 || slug.size() > 32) {
    return invalidValue("'slug' must be 2 to 32 characters", "slug");
  }
  for (char c : slug) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return invalidValue("'slug' may hold only a-z, 0-9 and '-'", "slug");
    }
  }
  if (name.empty() || name.size() > 200) {
    return invalidValue("'name' must be 1 to 200 bytes", "name");
  }
  return Status::ok();
}

Result<Tenant> findTenantBySlug(store::Session& session, const std::string& slug) {
  auto row =
      session.queryOne(std::string("SELECT ") + kColumns + " FROM tenants WHERE slug = ?", {slug});
  if (!row.isOk()) return row.status();
  return fromRow(*row);
}

Result<Tenant> getTenant(store::Session& session, std::int64_t id) {
  auto row =
      session.queryOne(std::string("SELECT ") + kColumns + " FROM tenants WHERE id = ?", {id});
  if (!row.isOk()) return row.status();
  return fromRow(*row);
}

Result<std::vector<Tenant>> listTenants(store::Session& session, std::int64_t after_id, int limit) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        session.query(std::string("SELECT ") + kColumns +
                                          " FROM tenants WHERE id > ? ORDER BY id LIMIT ?",
                                      {after_id, std::int64_t{limit} + 1}));
  std::vector<Tenant> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

Result<Tenant> createTenant(store::Tx& tx, const std::string& slug, const std::string& name) {
  TING_RETURN_IF_ERROR(validateTenant(slug, name));
  auto row = tx.session().queryOne(
      "INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
      {slug, name, tx.now(), tx.now()});
  if (!row.isOk()) {
    if (row.status().code() == StatusCode::kConflict) {
      return conflict("tenant '" + slug + "' already exists", "slug");
    }
    return row.status();
  }
  Tenant t{row->integer(0), slug, name, tx.now(), tx.now()};
  TING_RETURN_IF_ERROR(tx.audit({.entity = "tenant",
                                 .entity_id = std::to_string(t.id),
                                 .action = "create",
                                 .after_json = boost::json::serialize(toJson(t)),
                                 .tenant_id = t.id}));
  return t;
}

}  // namespace ting::identity
