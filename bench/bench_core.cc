// Micro-benchmarks of the request path without sockets: body parsing, routing
// with authentication from the session cache, and a customer create with its
// audit entry on SQLite (WAL, synchronous=normal).

#include <benchmark/benchmark.h>

#include <filesystem>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/router.h"
#include "crm/customers.h"
#include "identity/tenants.h"
#include "store/migrations/migrations.h"

namespace {

using namespace ting;

void BM_JsonBodyCustomer(benchmark::State& state) {
  const std::string body =
      R"({"name":"赵先生","phone":"13800138000","email":"zhao@example.com","vip":true})";
  for (auto _ : state) {
    api::JsonBody b(body);
    auto name = b.string("name", api::kRequired);
    auto phone = b.string("phone");
    auto email = b.string("email");
    auto vip = b.boolean("vip");
    benchmark::DoNotOptimize(b.finish());
  }
}
BENCHMARK(BM_JsonBodyCustomer);

struct Fixture {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "ting-bench";
  EventBus bus;
  MetricsRegistry metrics;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<identity::AuthService> auth;
  std::int64_t tenant = 0;

  Fixture() {
    (void)initCrypto();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = std::move(store::openDatabase((dir / "ting.db").string(), {}).value());
    (void)store::migrate(*db);
    store = std::make_unique<store::Store>(*db, bus, SystemClock::instance());
    identity::AuthOptions options;
    auth = std::make_unique<identity::AuthService>(*store, bus, options);
    (void)store->write({0, 0, "bench", ""}, [&](store::Tx& tx) -> Status {
      TING_ASSIGN_OR_RETURN(auto t, identity::createTenant(tx, "bench", "Bench"));
      tenant = t.id;
      auto u = identity::createUser(tx, t.id, {"1001", "password1", identity::Role::kAgent, "", ""},
                                    options.password);
      return u.isOk() ? Status::ok() : u.status();
    });
  }
  ~Fixture() {
    auth.reset();
    store.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

void BM_RouteAuthenticatedMe(benchmark::State& state) {
  Fixture f;
  api::Router router(f.metrics, *f.auth);
  api::ApiContext ctx{*f.store, *f.auth, f.metrics, {}, nullptr};
  api::addAuthRoutes(router, ctx);
  identity::LoginRefusal refusal;
  auto login = f.auth->login("bench", "1001", "password1", "", refusal);
  api::Request req;
  req.method = "GET";
  req.target = "/api/v1/me";
  req.authorization = "Bearer " + login->token;
  for (auto _ : state) benchmark::DoNotOptimize(router.handle(req));
}
BENCHMARK(BM_RouteAuthenticatedMe);

void BM_CreateCustomerWithAudit(benchmark::State& state) {
  Fixture f;
  store::Actor actor{f.tenant, 1, "1001", "bench"};
  crm::CustomerFields fields;
  fields.name = "赵先生";
  fields.phones = std::vector<std::string>{"13800138000"};
  for (auto _ : state) {
    Status s = f.store->write(actor, [&](store::Tx& tx) -> Status {
      auto c = crm::createCustomer(tx, fields);
      return c.isOk() ? Status::ok() : c.status();
    });
    if (!s.isOk()) state.SkipWithError(s.message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateCustomerWithAudit)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
