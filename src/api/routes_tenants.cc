// Tenants: created by the service operator, who also sets their telephony
// limits; a tenant's admin sees their own tenant and sets its recording
// retention.

#include <boost/json/serialize.hpp>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "api/telephony_fields.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "kb/kb.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kTenantList{.sortable = {}, .default_sort = "id", .filters = {}};

constexpr const char* kTenantColumns =
    "id, slug, name, created_at, updated_at, sip_domain, max_calls, recording_retention_days";

inline constexpr std::int64_t kMaxRetentionDays = 3650;
inline constexpr std::int64_t kMaxTenantCalls = 100000;

// The tenant with its telephony settings.
boost::json::object tenantJson(const store::Row& r) {
  identity::Tenant t{r.integer(0), r.text(1), r.text(2), r.integer(3), r.integer(4)};
  boost::json::object o = identity::toJson(t);
  o["sip_domain"] = r.isNull(5) ? boost::json::value(nullptr) : boost::json::value(r.text(5));
  o["max_calls"] = r.integer(6);
  o["recording_retention_days"] = r.integer(7);
  return o;
}

// The tenant `id` as `p` may see it: operators see every tenant, others
// only their own (any other id is "not found").
Result<store::Row> visibleTenant(store::Session& s, const identity::Principal& p, std::int64_t id) {
  if (p.role != Role::kOperator && id != p.tenant_id) return notFound("no such tenant");
  auto row =
      s.queryOne(std::string("SELECT ") + kTenantColumns + " FROM tenants WHERE id = ?", {id});
  if (!row && row.status().code() == StatusCode::kNotFound) return notFound("no such tenant");
  return row;
}

}  // namespace

void addTenantRoutes(Router& router, ApiContext& ctx) {
  router.add(
      {"GET",
       "/api/v1/tenants",
       Access::kAuthenticated,
       {Role::kOperator},
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kTenantList));
         std::int64_t after = params.page.after ? params.page.after->second : 0;
         store::Rows rows;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(rows, s.query(std::string("SELECT ") + kTenantColumns +
                                                   " FROM tenants WHERE id > ? ORDER BY id "
                                                   "LIMIT ?",
                                               {after, std::int64_t{params.page.limit} + 1}));
           return Status::ok();
         }));
         store::Page page;
         page.has_more = rows.size() > static_cast<size_t>(params.page.limit);
         if (page.has_more) rows.pop_back();
         boost::json::array items;
         for (const auto& r : rows) {
           items.push_back(tenantJson(r));
           page.rows.emplace_back(std::vector<store::Value>{r.integer(0)});
           page.sort_values.emplace_back(r.integer(0));
         }
         return listResponse(std::move(items), page, params);
       },
       {.summary = "All tenants, by id.", .tag = "tenants", .query = listQueryDocs(kTenantList)}});

  router.add({"POST",
              "/api/v1/tenants",
              Access::kAuthenticated,
              {Role::kOperator},
              [&ctx](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto slug = body.string("slug", kRequired, 64);
                auto name = body.string("name", kRequired, 400);
                auto admin_username = body.string("admin_username", kRequired, 64);
                auto admin_password = body.string("admin_password", kRequired, 256);
                TING_RETURN_IF_ERROR(body.finish());
                TING_RETURN_IF_ERROR(identity::validateTenant(*slug, *name));
                Status pw = identity::validatePassword(*admin_password, "admin_password");
                TING_RETURN_IF_ERROR(pw);
                Status un = identity::validateUsername(*admin_username);
                if (!un.isOk()) return invalidValue(un.message(), "admin_username");
                identity::Tenant tenant;
                identity::User admin;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(tenant, identity::createTenant(tx, *slug, *name));
                  identity::NewUser nu{*admin_username, *admin_password, Role::kAdmin, "", ""};
                  TING_ASSIGN_OR_RETURN(admin,
                                        identity::createUser(tx, tenant.id, nu, ctx.password));
                  // Every tenant starts with Ting's articles and reply scripts.
                  tx.setTenant(tenant.id);
                  return kb::installDefaults(tx).status();
                }));
                boost::json::object out = identity::toJson(tenant);
                out["admin"] = identity::toJson(admin);
                return jsonResponse(out, 201);
              },
              {.summary = "Create a tenant with its first admin.",
               .tag = "tenants",
               .body = {{"slug", "string", true, "Login name of the tenant: a-z, 0-9, '-'."},
                        {"name", "string", true, ""},
                        {"admin_username", "string", true, ""},
                        {"admin_password", "string", true, "At least 8 characters."}},
               .success_status = 201,
               .success_description = "Created"}});

  router.add({"GET",
              "/api/v1/tenants/{id}",
              Access::kAuthenticated,
              {Role::kOperator, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(store::Row row, visibleTenant(s, *call.principal, id));
                  out = tenantJson(row);
                  return Status::ok();
                }));
                return jsonResponse(out);
              },
              {.summary = "One tenant with its telephony settings (admins: their own).",
               .tag = "tenants"}});

  router.add(
      {"PATCH",
       "/api/v1/tenants/{id}",
       Access::kAuthenticated,
       {Role::kOperator, Role::kAdmin},
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         JsonBody body(call.request.body);
         auto name = body.string("name", false, 400);
         auto sip_domain = body.string("sip_domain", false, 253);
         auto max_calls = body.integer("max_calls", false, 0, kMaxTenantCalls);
         auto retention = body.integer("recording_retention_days", false, 0, kMaxRetentionDays);
         TING_RETURN_IF_ERROR(body.finish());
         const identity::Principal& p = *call.principal;
         if (p.role != Role::kOperator) {
           const char* operator_only = name         ? "name"
                                       : sip_domain ? "sip_domain"
                                       : max_calls  ? "max_calls"
                                                    : nullptr;
           if (operator_only) {
             return Status(
                 StatusCode::kPermissionDenied,
                 std::string("only the service operator may change '") + operator_only + "'",
                 operator_only);
           }
         }
         if (sip_domain && !sip_domain->empty()) {
           TING_ASSIGN_OR_RETURN(*sip_domain, checkSipDomain(*sip_domain, "sip_domain"));
         }
         bool telephony_changed = false;
         boost::json::object out;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           store::Session& s = tx.session();
           TING_ASSIGN_OR_RETURN(store::Row row, visibleTenant(s, p, id));
           const boost::json::object before = tenantJson(row);
           if (sip_domain && row.text(1) == identity::kSystemTenant && !sip_domain->empty()) {
             return invalidValue("the system tenant has no telephony", "sip_domain");
           }
           std::string new_name = name ? *name : row.text(2);
           if (name) TING_RETURN_IF_ERROR(identity::validateTenant(row.text(1), new_name));
           std::string domain = sip_domain ? *sip_domain : row.text(5);
           const bool realm_changed = sip_domain && domain != row.text(5);
           Status updated = s.exec(
               "UPDATE tenants SET name = ?, sip_domain = ?, max_calls = ?, "
               "recording_retention_days = ?, updated_at = ? WHERE id = ?",
               {new_name, store::textOrNull(domain), max_calls.value_or(row.integer(6)),
                retention.value_or(row.integer(7)), tx.now(), id});
           if (updated.code() == StatusCode::kConflict) {
             return conflict("another tenant has that SIP domain", "sip_domain");
           }
           TING_RETURN_IF_ERROR(updated);
           if (realm_changed) {
             // The phones' digest HA1s cover the realm: void them all.
             TING_RETURN_IF_ERROR(s.exec(
                 "UPDATE users SET sip_ha1 = NULL WHERE tenant_id = ? AND sip_ha1 IS NOT NULL",
                 {id}));
           }
           telephony_changed = realm_changed || (max_calls && *max_calls != row.integer(6));
           TING_ASSIGN_OR_RETURN(row, visibleTenant(s, p, id));
           out = tenantJson(row);
           boost::json::object after = out;
           if (realm_changed) after["sip_passwords_cleared"] = true;
           return tx.audit({.entity = "tenant",
                            .entity_id = std::to_string(id),
                            .action = "update",
                            .before_json = boost::json::serialize(before),
                            .after_json = boost::json::serialize(after),
                            .tenant_id = id});
         }));
         if (!telephony_changed) return jsonResponse(out);
         return applyChange(ctx.reload_sip_directory, jsonResponse(out), "the SIP directory", call);
       },
       {.summary = "Change a tenant. Operators: any field of any tenant; admins: their own "
                   "tenant's recording_retention_days.",
        .tag = "tenants",
        .body = {{"name", "string", false, "Operators only."},
                 {"sip_domain", "string", false,
                  "Operators only. The tenant's SIP domain and digest realm; changing it "
                  "clears every SIP password of the tenant. null or \"\" removes it."},
                 {"max_calls", "integer", false,
                  "Operators only. Concurrent calls of the tenant, 0 = no limit."},
                 {"recording_retention_days", "integer", false,
                  "Days call recordings are kept, 0 = forever, at most 3650."}}}});
}

}  // namespace ting::api
