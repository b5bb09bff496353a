// Login, logout, the current user.

#include "api/api_context.h"
#include "api/json_body.h"

namespace ting::api {

using identity::Role;

namespace {

boost::json::object principalJson(const identity::Principal& p) {
  return {{"user",
           {{"id", p.user_id},
            {"username", p.username},
            {"display_name", p.display_name},
            {"role", identity::roleName(p.role)}}},
          {"tenant", {{"id", p.tenant_id}, {"slug", p.tenant_slug}, {"name", p.tenant_name}}},
          {"role", identity::roleName(p.role)},
          {"expires_at", formatTimestamp(p.expires_at)}};
}

}  // namespace

void addAuthRoutes(Router& router, ApiContext& ctx) {
  router.add(
      {"POST",
       "/api/v1/auth/login",
       Access::kPublic,
       {},
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         auto tenant = body.string("tenant", kRequired, 64);
         auto username = body.string("username", kRequired, 64);
         auto password = body.string("password", kRequired, 256);
         TING_RETURN_IF_ERROR(body.finish());
         identity::LoginRefusal refusal;
         auto r = ctx.auth.login(*tenant, *username, *password, call.request.request_id, refusal);
         if (!r.isOk()) {
           Response resp =
               errorResponse(httpStatusFor(r.status().code()), refusal.code, r.status().message());
           if (r.status().code() == StatusCode::kResourceExhausted) {
             resp.headers.emplace_back("Retry-After", std::to_string(refusal.retry_after_s));
           } else if (r.status().code() != StatusCode::kUnauthenticated) {
             return r.status();
           }
           return resp;
         }
         boost::json::object user = identity::toJson(r->user);
         user["tenant"] = r->principal.tenant_slug;
         return jsonResponse(
             boost::json::object{{"token", r->token},
                                 {"expires_at", formatTimestamp(r->principal.expires_at)},
                                 {"user", std::move(user)}});
       },
       {.summary = "Log in; returns a bearer token.",
        .tag = "auth",
        .body = {{"tenant", "string", true, "Tenant slug (operators: system)."},
                 {"username", "string", true, "Username (agents: staff number) or phone number."},
                 {"password", "string", true, ""}}}});

  router.add({"POST",
              "/api/v1/auth/logout",
              Access::kAuthenticated,
              identity::RoleSet::everyone(),
              [&ctx](Call& call) -> Result<Response> {
                TING_RETURN_IF_ERROR(ctx.auth.logout(*call.principal, call.request.request_id));
                return noContent();
              },
              {.summary = "Revoke the token of this request.",
               .tag = "auth",
               .success_status = 204,
               .success_description = "Revoked"}});

  router.add(
      {"GET",
       "/api/v1/me",
       Access::kAuthenticated,
       identity::RoleSet::everyone(),
       [](Call& call) -> Result<Response> { return jsonResponse(principalJson(*call.principal)); },
       {.summary = "The current user, tenant and role.", .tag = "auth"}});

  router.add(
      {"PUT",
       "/api/v1/me/password",
       Access::kAuthenticated,
       identity::RoleSet::everyone(),
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         auto current = body.string("current_password", kRequired, 256);
         auto next = body.string("new_password", kRequired, 256);
         TING_RETURN_IF_ERROR(body.finish());
         TING_RETURN_IF_ERROR(identity::validatePassword(*next, "new_password"));
         const auto& p = *call.principal;
         std::string hash;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(auto found,
                                 identity::findUserForLogin(s, p.tenant_id, p.username));
           hash = found.second.password_hash;
           return Status::ok();
         }));
         if (!verifyPassword(*current, hash)) {
           return invalidValue("'current_password' is wrong", "current_password");
         }
         identity::UserPatch patch;
         patch.password = *next;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           auto u = identity::updateUser(tx, p.tenant_id, p.user_id, patch, ctx.password);
           return u.isOk() ? Status::ok() : u.status();
         }));
         return noContent();
       },
       {.summary = "Change your own password; every session of yours ends (log in again).",
        .tag = "auth",
        .body = {{"current_password", "string", true, ""}, {"new_password", "string", true, ""}},
        .success_status = 204,
        .success_description = "Changed"}});
}

}  // namespace ting::api
