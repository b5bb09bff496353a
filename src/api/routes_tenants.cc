// Tenants: created by the service operator.

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "identity/tenants.h"
#include "identity/users.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kTenantList{.sortable = {}, .default_sort = "id", .filters = {}};

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
         std::vector<identity::Tenant> tenants;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(tenants, identity::listTenants(s, after, params.page.limit));
           return Status::ok();
         }));
         store::Page page;
         page.has_more = tenants.size() > static_cast<size_t>(params.page.limit);
         if (page.has_more) tenants.pop_back();
         boost::json::array items;
         for (const auto& t : tenants) {
           items.push_back(identity::toJson(t));
           page.rows.emplace_back(std::vector<store::Value>{t.id});
           page.sort_values.emplace_back(t.id);
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
                  return Status::ok();
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
}

}  // namespace ting::api
