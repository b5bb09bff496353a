#pragma once
// Tenants: every row in Ting belongs to exactly one.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace ting::identity {

struct Tenant {
  std::int64_t id = 0;
  std::string slug;  // short name used to log in, [a-z0-9-], 2..32 chars
  std::string name;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

boost::json::object toJson(const Tenant& t);

// kInvalidValue naming the field when a slug or name breaks the rules.
Status validateTenant(const std::string& slug, const std::string& name);

Result<Tenant> findTenantBySlug(store::Session& session, const std::string& slug);
Result<Tenant> getTenant(store::Session& session, std::int64_t id);
// Tenants with id greater than `after_id`, by id, at most `limit` + 1 (the
// extra one tells the caller there is a next page).
Result<std::vector<Tenant>> listTenants(store::Session& session, std::int64_t after_id, int limit);
// Creates the tenant (kConflict when the slug is taken), audited in the new tenant.
Result<Tenant> createTenant(store::Tx& tx, const std::string& slug, const std::string& name);

}  // namespace ting::identity
