// Users of the caller's tenant.

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "identity/users.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kUserList{
    .sortable = {{"username", "username"}, {"created_at", "created_at"}},
    .default_sort = "id",
    .filters = {"role", "q"},
};

Result<Role> roleField(const std::string& name, const identity::Principal& p) {
  auto role = identity::parseRole(name);
  if (!role) {
    return invalidValue(
        "'role' must be one of agent, team_lead, qa_inspector, supervisor, admin, "
        "department",
        "role");
  }
  bool system = p.tenant_slug == identity::kSystemTenant;
  if ((*role == Role::kOperator) != system) {
    return invalidValue(system ? "users of the system tenant are operators"
                               : "'operator' exists only in the system tenant",
                        "role");
  }
  return *role;
}

}  // namespace

void addUserRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet readers{Role::kAdmin, Role::kSupervisor, Role::kTeamLead};

  router.add(
      {"GET",
       "/api/v1/users",
       Access::kAuthenticated,
       readers,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kUserList));
         identity::UserFilter filter;
         if (auto it = params.filters.find("role"); it != params.filters.end()) {
           filter.role = identity::parseRole(it->second);
           if (!filter.role) {
             return invalidArgument("'role' is not a role", "role").withReason("invalid_query");
           }
         }
         if (auto it = params.filters.find("q"); it != params.filters.end()) {
           filter.q = it->second;
         }
         boost::json::array items;
         store::Page page;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(
               page, identity::listUsers(s, call.principal->tenant_id, filter, params.page));
           return Status::ok();
         }));
         for (const auto& row : page.rows) {
           items.push_back(identity::toJson(identity::userFromRow(row)));
         }
         return listResponse(std::move(items), page, params);
       },
       {.summary = "Users of your tenant.", .tag = "users", .query = listQueryDocs(kUserList)}});

  router.add({"POST",
              "/api/v1/users",
              Access::kAuthenticated,
              {Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto username = body.string("username", kRequired, 64);
                auto password = body.string("password", kRequired, 256);
                auto role = body.string("role", kRequired, 32);
                auto display_name = body.string("display_name", false, 400);
                auto phone = body.string("phone", false, 40);
                TING_RETURN_IF_ERROR(body.finish());
                TING_ASSIGN_OR_RETURN(Role r, roleField(*role, *call.principal));
                identity::NewUser nu{*username, *password, r, display_name.value_or(""),
                                     phone.value_or("")};
                identity::User user;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      user, identity::createUser(tx, call.principal->tenant_id, nu, ctx.password));
                  return Status::ok();
                }));
                return jsonResponse(identity::toJson(user), 201);
              },
              {.summary = "Create a user in your tenant.",
               .tag = "users",
               .body = {{"username", "string", true, "Agents: their staff number (工号)."},
                        {"password", "string", true, "At least 8 characters."},
                        {"role", "string", true,
                         "agent, team_lead, qa_inspector, supervisor, admin or department."},
                        {"display_name", "string", false, ""},
                        {"phone", "string", false, "Also accepted as login name."}},
               .success_status = 201,
               .success_description = "Created"}});

  router.add({"GET",
              "/api/v1/users/{id}",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                identity::User user;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(user, identity::getUser(s, call.principal->tenant_id, id));
                  return Status::ok();
                }));
                return jsonResponse(identity::toJson(user));
              },
              {.summary = "One user of your tenant.", .tag = "users"}});

  router.add(
      {"PATCH",
       "/api/v1/users/{id}",
       Access::kAuthenticated,
       {Role::kAdmin},
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         JsonBody body(call.request.body);
         identity::UserPatch patch;
         patch.display_name = body.string("display_name", false, 400);
         patch.phone = body.string("phone", false, 40);
         auto role = body.string("role", false, 32);
         patch.disabled = body.boolean("disabled");
         patch.password = body.string("password", false, 256);
         TING_RETURN_IF_ERROR(body.finish());
         if (role) {
           TING_ASSIGN_OR_RETURN(patch.role, roleField(*role, *call.principal));
         }
         if (id == call.principal->user_id &&
             ((patch.role && *patch.role != call.principal->role) ||
              patch.disabled.value_or(false))) {
           return invalidValue("you may not change your own role or disable yourself",
                               patch.role ? "role" : "disabled");
         }
         identity::User user;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_ASSIGN_OR_RETURN(
               user, identity::updateUser(tx, call.principal->tenant_id, id, patch, ctx.password));
           return Status::ok();
         }));
         return jsonResponse(identity::toJson(user));
       },
       {.summary = "Change a user; a new password also unlocks the account and ends its sessions.",
        .tag = "users",
        .body = {{"display_name", "string", false, ""},
                 {"phone", "string", false, "null or \"\" removes it."},
                 {"role", "string", false, ""},
                 {"disabled", "boolean", false, "Disabled users cannot log in."},
                 {"password", "string", false, "At least 8 characters."}}}});
}

}  // namespace ting::api
