#pragma once
// What the route handlers need, and the functions that add each module's
// routes to the router. Roles are declared in each routes_*.cc beside the route.

#include <functional>

#include "api/router.h"
#include "common/crypto.h"
#include "common/metrics.h"
#include "common/secret_box.h"
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
namespace ting::search {
class Index;
}
namespace ting::jobs {
class JobRunner;
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
  std::function<Status()> reload_acd;            // after queues, members or skills change
  std::string data_dir;                          // recordings live under it
  // Seals trunk secrets at rest; owned by the server. Null: trunks cannot
  // hold secrets.
  const SecretKey* secret_key = nullptr;
  // The full-text index (null: search answers 503).
  search::Index* search = nullptr;
  // Background jobs: imports and exports (null: they answer 503).
  jobs::JobRunner* jobs = nullptr;
};

void addSystemRoutes(Router& router, ApiContext& ctx);
void addAuthRoutes(Router& router, ApiContext& ctx);
void addTenantRoutes(Router& router, ApiContext& ctx);
void addUserRoutes(Router& router, ApiContext& ctx);
void addCustomerRoutes(Router& router, ApiContext& ctx);
void addWorkOrderRoutes(Router& router, ApiContext& ctx);
void addKbRoutes(Router& router, ApiContext& ctx);
void addSearchRoutes(Router& router, ApiContext& ctx);
void addWebhookRoutes(Router& router, ApiContext& ctx);
void addJobRoutes(Router& router, ApiContext& ctx);
void addAuditRoutes(Router& router, ApiContext& ctx);
void addCallRoutes(Router& router, ApiContext& ctx);
void addCallbackRoutes(Router& router, ApiContext& ctx);
void addIvrRoutes(Router& router, ApiContext& ctx);
void addTelephonyRoutes(Router& router, ApiContext& ctx);
void addAcdRoutes(Router& router, ApiContext& ctx);

// After a committed change: runs `reload` (when set) so the change takes
// effect in the running telephony. Returns `done` when it succeeds, else a
// 500 `reload_failed` saying the change is saved but not yet in effect (the
// cause is logged; the commit stands).
Response applyChange(const std::function<Status()>& reload, Response done, std::string_view what,
                     const Call& call);

// Every route of the API, in one call.
void addAllRoutes(Router& router, ApiContext& ctx);

// The WebSocket route's path; the HTTP server upgrades requests to it.
inline constexpr std::string_view kEventsPath = "/api/v1/events";

}  // namespace ting::api
