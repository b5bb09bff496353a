// Users of the caller's tenant.

#include <boost/json/serialize.hpp>
#include <span>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "api/telephony_fields.h"
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

// Adds what is kept beside the user row: the phone account ("sip_extension"
// or null, "has_sip_secret") and the department of department staff.
Status addSipFields(store::Session& s, std::int64_t tenant_id, boost::json::array& users) {
  if (users.empty()) return Status::ok();
  std::string sql =
      "SELECT id, sip_extension, sip_ha1 IS NOT NULL, department FROM users WHERE tenant_id = ? "
      "AND id IN (";
  std::vector<store::Value> params{tenant_id};
  for (const auto& u : users) {
    sql += params.size() == 1 ? "?" : ", ?";
    params.emplace_back(u.as_object().at("id").as_int64());
  }
  sql += ")";
  TING_ASSIGN_OR_RETURN(store::Rows rows, s.query(sql, std::span<const store::Value>(params)));
  for (auto& u : users) {
    auto& o = u.as_object();
    o["sip_extension"] = nullptr;
    o["has_sip_secret"] = false;
    o["department"] = nullptr;
    for (const auto& r : rows) {
      if (r.integer(0) != o.at("id").as_int64()) continue;
      if (!r.isNull(1)) o["sip_extension"] = r.text(1);
      o["has_sip_secret"] = r.integer(2) != 0;
      if (!r.isNull(3)) o["department"] = r.text(3);
    }
  }
  return Status::ok();
}

Result<boost::json::object> userJson(store::Session& s, const identity::User& user) {
  boost::json::array one{identity::toJson(user)};
  TING_RETURN_IF_ERROR(addSipFields(s, user.tenant_id, one));
  return std::move(one.front().as_object());
}

// Gives the user `extension` ("" removes it). A new extension voids the SIP
// password (its digest HA1 covers the extension). Audited; false when
// nothing changed.
Result<bool> setSipExtension(store::Tx& tx, std::int64_t tenant_id, std::int64_t id,
                             const std::string& extension) {
  if (!extension.empty() && !isSipExtension(extension)) {
    return invalidValue("'sip_extension' must be 2 to 10 digits", "sip_extension");
  }
  TING_ASSIGN_OR_RETURN(store::Row row,
                        tx.session().queryOne("SELECT sip_extension, sip_ha1 IS NOT NULL FROM "
                                              "users WHERE tenant_id = ? AND id = ?",
                                              {tenant_id, id}));
  const std::string before = row.text(0);
  if (before == extension) return false;
  Status s = tx.session().exec(
      "UPDATE users SET sip_extension = ?, sip_ha1 = NULL, updated_at = ? WHERE tenant_id = ? "
      "AND id = ?",
      {store::textOrNull(extension), tx.now(), tenant_id, id});
  if (s.code() == StatusCode::kConflict) {
    return conflict("the extension belongs to another user", "sip_extension");
  }
  TING_RETURN_IF_ERROR(s);
  auto ext = [](const std::string& e) {
    return e.empty() ? boost::json::value(nullptr) : boost::json::value(e);
  };
  TING_RETURN_IF_ERROR(tx.audit(
      {.entity = "user",
       .entity_id = std::to_string(id),
       .action = "update",
       .before_json = boost::json::serialize(boost::json::object{{"sip_extension", ext(before)}}),
       .after_json = boost::json::serialize(boost::json::object{
           {"sip_extension", ext(extension)}, {"sip_password_cleared", row.integer(1) != 0}}),
       .tenant_id = tenant_id}));
  return true;
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
           for (const auto& row : page.rows) {
             items.push_back(identity::toJson(identity::userFromRow(row)));
           }
           return addSipFields(s, call.principal->tenant_id, items);
         }));
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
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      identity::User user,
                      identity::createUser(tx, call.principal->tenant_id, nu, ctx.password));
                  TING_ASSIGN_OR_RETURN(out, userJson(tx.session(), user));
                  return Status::ok();
                }));
                return jsonResponse(out, 201);
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
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(identity::User user,
                                        identity::getUser(s, call.principal->tenant_id, id));
                  TING_ASSIGN_OR_RETURN(out, userJson(s, user));
                  return Status::ok();
                }));
                return jsonResponse(out);
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
         auto sip_extension = body.string("sip_extension", false, 10);
         auto department = body.string("department", false, 100);
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
         const std::int64_t tenant = call.principal->tenant_id;
         const bool user_fields =
             patch.display_name || patch.phone || patch.role || patch.disabled || patch.password;
         bool sip_changed = false;
         boost::json::object out;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           identity::User user;
           if (user_fields || !sip_extension) {
             TING_ASSIGN_OR_RETURN(user, identity::updateUser(tx, tenant, id, patch, ctx.password));
           }
           if (sip_extension) {
             TING_ASSIGN_OR_RETURN(user, identity::getUser(tx.session(), tenant, id));
             TING_ASSIGN_OR_RETURN(sip_changed, setSipExtension(tx, tenant, id, *sip_extension));
             if (sip_changed) {
               TING_ASSIGN_OR_RETURN(user, identity::getUser(tx.session(), tenant, id));
             }
           }
           if (department) {
             // The department whose dispatched work orders department staff handle.
             TING_ASSIGN_OR_RETURN(store::Row was,
                                   tx.session().queryOne("SELECT department FROM users WHERE "
                                                         "tenant_id = ? AND id = ?",
                                                         {tenant, id}));
             TING_RETURN_IF_ERROR(
                 tx.session().exec("UPDATE users SET department = ? WHERE tenant_id = ? AND id = ?",
                                   {store::textOrNull(*department), tenant, id}));
             TING_RETURN_IF_ERROR(tx.audit(
                 {.entity = "user",
                  .entity_id = std::to_string(id),
                  .action = "set_department",
                  .before_json = boost::json::serialize(boost::json::object{
                      {"department", was.isNull(0) ? boost::json::value(nullptr)
                                                   : boost::json::value(was.text(0))}}),
                  .after_json = boost::json::serialize(boost::json::object{
                      {"department", department->empty() ? boost::json::value(nullptr)
                                                         : boost::json::value(*department)}})}));
           }
           TING_ASSIGN_OR_RETURN(out, userJson(tx.session(), user));
           return Status::ok();
         }));
         // Disabling a user or changing an extension changes who may register.
         if (sip_changed || patch.disabled) {
           return applyChange(ctx.reload_sip_directory, jsonResponse(out), "the SIP directory",
                              call);
         }
         return jsonResponse(out);
       },
       {.summary = "Change a user; a new password also unlocks the account and ends its sessions.",
        .tag = "users",
        .body = {{"display_name", "string", false, ""},
                 {"phone", "string", false, "null or \"\" removes it."},
                 {"role", "string", false, ""},
                 {"disabled", "boolean", false, "Disabled users cannot log in."},
                 {"password", "string", false, "At least 8 characters."},
                 {"sip_extension", "string", false,
                  "2-10 digits, unique in the tenant; null or \"\" removes it. A new "
                  "extension clears the SIP password."},
                 {"department", "string", false,
                  "department staff: the department whose dispatched work orders they see "
                  "(the dispatch action's department); \"\" removes it."}}}});
}

}  // namespace ting::api
