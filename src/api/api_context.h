#pragma once
// What the route handlers need, and the functions that add each module's
// routes to the router. Roles are declared in each routes_*.cc beside the route.

#include <functional>

#include "api/router.h"
#include "common/crypto.h"
#include "common/metrics.h"
#include "identity/auth.h"
#include "store/store.h"

namespace ting::api {

struct ApiContext {
  store::Store& store;
  identity::AuthService& auth;
  MetricsRegistry& metrics;
  PasswordParams password;
  std::function<Status()> health_check;  // ok when the store answers
};

void addSystemRoutes(Router& router, ApiContext& ctx);
void addAuthRoutes(Router& router, ApiContext& ctx);
void addTenantRoutes(Router& router, ApiContext& ctx);
void addUserRoutes(Router& router, ApiContext& ctx);
void addCustomerRoutes(Router& router, ApiContext& ctx);
void addAuditRoutes(Router& router, ApiContext& ctx);

// Every route of the API, in one call.
void addAllRoutes(Router& router, ApiContext& ctx);

// The WebSocket route's path; the HTTP server upgrades requests to it.
inline constexpr std::string_view kEventsPath = "/api/v1/events";

}  // namespace ting::api
