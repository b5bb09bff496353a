#pragma once
// The composition root: builds every module from the Config, starts and stops
// them in order. The only place that knows every module.

#include <memory>
#include <string>

#include "common/config.h"
#include "common/crypto.h"
#include "common/event_bus.h"
#include "common/metrics.h"
#include "store/database.h"
#include "store/store.h"

namespace ting::api {
class HttpServer;
class Router;
class WsHub;
}  // namespace ting::api
namespace ting::workorders {
class SlaWorker;
}  // namespace ting::workorders
namespace ting::search {
class Index;
}  // namespace ting::search
namespace ting::notify {
class WebhookDispatcher;
}  // namespace ting::notify
namespace ting::identity {
class AuthService;
}
namespace ting::jobs {
class JobRunner;
}

namespace ting::server {

class SearchSync;

class Telephony;

PasswordParams passwordParams(const Config& config);

// The database opened, migrated, and wrapped in a Store: what `serve` and the
// CLI commands share.
class Storage {
 public:
  static Result<std::unique_ptr<Storage>> open(const Config& config, MetricsRegistry* metrics);

  store::Database& db() { return *db_; }
  store::Store& store() { return *store_; }
  EventBus& bus() { return bus_; }

 private:
  EventBus bus_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Store> store_;
};

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  // Opens storage, seeds the demo tenant when asked, starts telephony and HTTP.
  Status start();
  // Blocks until SIGTERM or SIGINT (which the caller must have blocked in
  // every thread, see blockStopSignals()).
  void waitForStopSignal();
  // Stops taking calls (503) and lets calls in progress finish up to
  // sip.drain seconds, stops taking requests, lets in-flight ones finish,
  // closes the database.
  void stop();

  std::uint16_t httpPort() const;

 private:
  Config config_;
  MetricsRegistry metrics_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<identity::AuthService> auth_;
  std::unique_ptr<Telephony> telephony_;
  std::unique_ptr<api::WsHub> hub_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::HttpServer> http_;
  std::unique_ptr<workorders::SlaWorker> sla_;
  std::unique_ptr<search::Index> search_;
  std::unique_ptr<SearchSync> search_sync_;
  std::unique_ptr<notify::WebhookDispatcher> webhooks_;
  std::unique_ptr<jobs::JobRunner> jobs_;
  struct ApiState;
  std::unique_ptr<ApiState> api_state_;
};

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (and the threads it
// starts later), so waitForStopSignal() can take them with sigwait.
void blockStopSignals();

}  // namespace ting::server
