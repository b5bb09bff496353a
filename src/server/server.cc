#include "server/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

#include "api/api_context.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/ws_hub.h"
#include "identity/auth.h"
#include "jobs/jobs.h"
#include "notify/webhooks.h"
#include "search/search_index.h"
#include "server/demo.h"
#include "server/search_sync.h"
#include "server/telephony.h"
#include "store/migrations/migrations.h"
#include "workorders/sla_worker.h"
#include "workorders/work_orders.h"

namespace ting::server {

PasswordParams passwordParams(const Config& config) {
  return {static_cast<std::uint32_t>(config.argon2_memory_kib),
          static_cast<std::uint32_t>(config.argon2_iterations), 1};
}

Result<std::unique_ptr<Storage>> Storage::open(const Config& config, MetricsRegistry* metrics) {
  TING_RETURN_IF_ERROR(initCrypto());
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return unavailable("cannot create data directory '" + config.data_dir + "': " + ec.message());
  }
  auto storage = std::unique_ptr<Storage>(new Storage());
  store::DatabaseOptions options{config.pool_size, config.sqlite_synchronous, metrics};
  TING_ASSIGN_OR_RETURN(storage->db_, store::openDatabase(config.databaseUrl(), options));
  TING_ASSIGN_OR_RETURN(auto report, store::migrate(*storage->db_));
  if (report.from_version != report.to_version) {
    spdlog::info("database {} migrated from version {} to {}", storage->db_->describe(),
                 report.from_version, report.to_version);
  }
  storage->store_ =
      std::make_unique<store::Store>(*storage->db_, storage->bus_, SystemClock::instance());
  return storage;
}

struct Server::ApiState {
  api::ApiContext ctx;
};

Server::Server(Config config) : config_(std::move(config)) {}

Server::~Server() {
  stop();
}

Status Server::start() {
  auto t0 = std::chrono::steady_clock::now();
  registerProcessMetrics(metrics_);
  TING_ASSIGN_OR_RETURN(storage_, Storage::open(config_, &metrics_));
  if (config_.demo) {
    TING_RETURN_IF_ERROR(seedDemo(storage_->store(), config_.demo_password, passwordParams(config_),
                                  Telephony::demoAliases(config_)));
  }
  telephony_ = std::make_unique<Telephony>(config_, storage_->store(), storage_->bus(), metrics_);
  TING_RETURN_IF_ERROR(telephony_->start());
  identity::AuthOptions auth_options{config_.token_ttl, config_.backoff_after,
                                     config_.max_failed_logins, config_.lockout,
                                     passwordParams(config_)};
  auth_ = std::make_unique<identity::AuthService>(storage_->store(), storage_->bus(), auth_options);
  sla_ = std::make_unique<workorders::SlaWorker>(storage_->store(),
                                                 std::chrono::seconds(config_.sla_sweep_interval));
  sla_->start();
  // The full-text index lives beside the database; without it search
  // answers 503 and everything else works.
  const auto search_dir = std::filesystem::path(config_.data_dir) / "search";
  if (auto index = search::Index::open(search_dir.string()); index.isOk()) {
    search_ = std::move(*index);
    search_sync_ = std::make_unique<SearchSync>(
        storage_->store(), *search_, search_dir / "cursors.json", std::chrono::seconds(1));
    search_sync_->start();
  } else {
    spdlog::warn("full-text search is off: {}", index.status().message());
  }
  webhooks_ = std::make_unique<notify::WebhookDispatcher>(
      storage_->store(), storage_->bus(), telephony_->secretKey(),
      std::chrono::seconds(config_.webhooks_retry_base));
  webhooks_->start();
  jobs_ = std::make_unique<jobs::JobRunner>(
      storage_->store(), (std::filesystem::path(config_.data_dir) / "jobs").string());
  TING_RETURN_IF_ERROR(jobs_->start());
  hub_ = std::make_unique<api::WsHub>(storage_->bus(), metrics_);
  hub_->setDepartmentLookup([&store = storage_->store()](const identity::Principal& p) {
    std::string department;
    Status s = store.read([&](store::Session& session) -> Status {
      TING_ASSIGN_OR_RETURN(department, workorders::departmentOf(session, p.tenant_id, p.user_id));
      return Status::ok();
    });
    if (!s.isOk()) spdlog::warn("department of user {}: {}", p.user_id, s.message());
    return department;
  });
  router_ = std::make_unique<api::Router>(metrics_, *auth_);
  store::Database& db = storage_->db();
  api_state_ = std::make_unique<ApiState>(
      ApiState{api::ApiContext{storage_->store(), *auth_, metrics_, passwordParams(config_),
                               [&db]() -> Status {
                                 auto r = db.query("SELECT 1", {});
                                 return r.isOk() ? Status::ok() : r.status();
                               },
                               &telephony_->calls(), &telephony_->sip(), &telephony_->prompts(),
                               [t = telephony_.get()] { return t->reloadDirectory(); },
                               [t = telephony_.get()] { return t->reloadFlows(); },
                               [t = telephony_.get()] { return t->reloadAcd(); }, config_.data_dir,
                               &telephony_->secretKey(), search_.get(), jobs_.get()}});
  api::addAllRoutes(*router_, api_state_->ctx);

  api::HttpLimits limits{static_cast<std::size_t>(config_.http_body_limit),
                         static_cast<std::size_t>(config_.http_header_limit),
                         std::chrono::seconds(config_.http_request_timeout),
                         static_cast<std::size_t>(config_.ws_message_limit),
                         static_cast<std::size_t>(config_.ws_queue_limit)};
  http_ = std::make_unique<api::HttpServer>(*router_, *hub_, limits, metrics_);
  int threads = config_.http_threads > 0
                    ? config_.http_threads
                    : static_cast<int>(std::max(8u, 4 * std::thread::hardware_concurrency()));
  TING_RETURN_IF_ERROR(http_->start(config_.http_listen, threads));
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info(
      "ting {} serving HTTP on {} (port {}), database {}, {} I/O threads; started in "
      "{:.0f} ms",
      TING_VERSION, config_.http_listen, http_->port(), storage_->db().describe(), threads, ms);
  return Status::ok();
}

std::uint16_t Server::httpPort() const {
  return http_ ? http_->port() : 0;
}

void blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void Server::waitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void Server::stop() {
  if (telephony_) {
    telephony_->drain();
    telephony_->stop(config_.sip_drain);
  }
  if (http_) {
    http_->stop(std::chrono::seconds(config_.shutdown_grace));
    http_.reset();
  }
  if (sla_) sla_->stop();
  sla_.reset();
  if (webhooks_) webhooks_->stop();
  webhooks_.reset();
  if (jobs_) jobs_->stop();
  jobs_.reset();
  if (search_sync_) search_sync_->stop();
  search_sync_.reset();
  router_.reset();
  hub_.reset();
  auth_.reset();
  api_state_.reset();
  telephony_.reset();
  search_.reset();
  if (storage_) {
    storage_.reset();
    spdlog::info("stopped; database closed");
  }
}

}  // namespace ting::server
