// Health, metrics, the OpenAPI document and the WebSocket route's entry.

#include <boost/json/serialize.hpp>

#include "api/api_context.h"

namespace ting::api {

using identity::Role;

void addSystemRoutes(Router& router, ApiContext& ctx) {
  router.add({"GET",
              "/healthz",
              Access::kPublic,
              {},
              [&ctx](Call&) -> Result<Response> {
                Status s = ctx.health_check ? ctx.health_check() : Status::ok();
                if (!s.isOk()) {
                  return jsonResponse(boost::json::object{{"status", "unavailable"},
                                                          {"detail", "store: " + s.message()}},
                                      503);
                }
                return jsonResponse(boost::json::object{{"status", "ok"}});
              },
              {.summary = "Liveness and readiness: ok when the store answers.", .tag = "system"}});

  router.add({"GET",
              "/metrics",
              Access::kPublic,
              {},
              [&ctx](Call&) -> Result<Response> {
                Response r;
                r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                r.body = ctx.metrics.renderPrometheus();
                return r;
              },
              {.summary = "Prometheus metrics.", .tag = "system"}});

  router.add({"GET",
              "/api/v1/openapi.json",
              Access::kPublic,
              {},
              [&router](Call&) -> Result<Response> { return jsonResponse(router.openApi()); },
              {.summary = "This document.", .tag = "system"}});

  // The HTTP server upgrades requests to this path before routing; a plain
  // GET lands here.
  router.add({"GET",
              std::string(kEventsPath),
              Access::kAuthenticated,
              identity::RoleSet::everyone(),
              [](Call&) -> Result<Response> {
                Response r =
                    errorResponse(426, "upgrade_required", "this endpoint speaks WebSocket only");
                r.headers.emplace_back("Upgrade", "websocket");
                return r;
              },
              {.summary = "WebSocket of domain events for the caller's tenant and role "
                          "(token in the Authorization header or the token parameter).",
               .tag = "events",
               .query = {{"token", "string", false, "The login token (browsers)."},
                         {"topics", "string", false, "Comma-separated topics to receive."}},
               .success_status = 101,
               .success_description = "Switching Protocols"}});
}

void addAllRoutes(Router& router, ApiContext& ctx) {
  addSystemRoutes(router, ctx);
  addAuthRoutes(router, ctx);
  addTenantRoutes(router, ctx);
  addUserRoutes(router, ctx);
  addCustomerRoutes(router, ctx);
  addWorkOrderRoutes(router, ctx);
  addKbRoutes(router, ctx);
  addSearchRoutes(router, ctx);
  addWebhookRoutes(router, ctx);
  addJobRoutes(router, ctx);
  addAuditRoutes(router, ctx);
  addCallRoutes(router, ctx);
  addCallbackRoutes(router, ctx);
  addIvrRoutes(router, ctx);
  addTelephonyRoutes(router, ctx);
  addAcdRoutes(router, ctx);
}

}  // namespace ting::api
