#pragma once
// What the route handlers need, and the functions that add each module's
// routes to the router. Roles are declared in each routes_*.cc beside the route.

#include <functional>

#include "api/router.h"
#include "common/crypto.h"
#include "common/metrics.h"
#include "identity/auth.h"
#include "store/store.h"

namespace ting::calls {
class CallControl;
}
namespace ting::sip {
class SipStack;
}
namespace ting::tts {
class PromptCache;
}

namespace ting::api {

struct ApiContext {
  store::Store& store;
  identity::AuthService& auth;
  MetricsRegistry& metrics;
  PasswordParams password;
  std::function<Status()> health_check;  // ok when the store answers
  // Telephony (null in tools that run without it).
  calls::CallControl* calls = nullptr;
  sip::SipStack* sip = nullptr;
  tts::PromptCache* prompts = nullptr;
  std::function<Status()> reload_sip_directory;  // after SIP accounts or trunks change
  std::function<Status()> reload_flows;          // after a flow or DID changes
  std::string data_dir;                          // recordings live under it
};

void addSystemRoutes(Router& router, ApiContext& ctx);
void addAuthRoutes(Router& router, ApiContext& ctx);
void addTenantRoutes(Router& router, ApiContext& ctx);
void addUserRoutes(Router& router, ApiContext& ctx);
void addCustomerRoutes(Router& router, ApiContext& ctx);
void addAuditRoutes(Router& router, ApiContext& ctx);
void addCallRoutes(Router& router, ApiContext& ctx);

// Every route of the API, in one call.
void addAllRoutes(Router& router, ApiContext& ctx);

// The WebSocket route's path; the HTTP server upgrades requests to it.
inline constexpr std::string_view kEventsPath = "/api/v1/events";

}  // namespace ting::api
