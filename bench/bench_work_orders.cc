// Work orders at scale: fills a tenant with N work orders (default
// 1,000,000) spread over a year, 500 agents, 100,000 customers and the demo
// category tree — about a fifth still open — then times
//   - creating work orders through workorders::createWorkOrder (reference,
//     SLA policy and clocks, history, audit: what the API does) and prints
//     creates per second;
//   - the list views (first page of 50) and their counts, p50 / p99.
//
//   bench_work_orders [--orders N] [--creates N] [--queries N] [--threads N]
//                     [--db URL] [--reuse 1]
// --db: a SQLite file (default: a fresh one in /tmp) or postgresql://…;
// --threads: concurrent creators (each its own transactions; SQLite has one
// writer). --reuse 1 keeps the orders of an earlier run of the same size.

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/event_bus.h"
#include "identity/tenants.h"
#include "store/database.h"
#include "store/migrations/migrations.h"
#include "store/store.h"
#include "crm/customers.h"
#include "workorders/screen_pop.h"
#include "workorders/settings.h"
#include "workorders/sla.h"
#include "workorders/work_orders.h"

namespace {

using namespace ting;
namespace wo = ting::workorders;
using Steady = std::chrono::steady_clock;

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;
constexpr int kAgents = 500;
constexpr int kCustomers = 100'000;

double ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

void report(const std::string& what, std::vector<double>& v) {
  if (v.empty()) return;  // --queries 0
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  std::printf("%-34s n=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", what.c_str(), v.size(), at(0.50),
              at(0.99), v.back());
}

int fail(const char* what, const Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.message().c_str());
  return 1;
}

// Ids of users, customers and leaf categories the generator spreads over.
struct Fixture {
  std::int64_t tenant = 0;
  std::vector<std::int64_t> agents, customers, categories;
};

Status setUp(store::Store& st, Fixture& fx, bool reuse, std::int64_t orders, bool& kept) {
  store::Actor system{0, 0, "bench", ""};
  TING_RETURN_IF_ERROR(st.write(system, [&](store::Tx& tx) -> Status {
    auto found = identity::findTenantBySlug(tx.session(), "bench-wo");
    if (found.isOk()) {
      fx.tenant = found->id;
      return Status::ok();
    }
    TING_ASSIGN_OR_RETURN(auto t, identity::createTenant(tx, "bench-wo", "Bench work orders"));
    fx.tenant = t.id;
    return Status::ok();
  }));
  store::Actor actor{fx.tenant, 0, "bench", ""};
  kept = false;
  TING_RETURN_IF_ERROR(st.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(
        auto n, s.queryOne("SELECT COUNT(*) FROM work_orders WHERE tenant_id = ?", {fx.tenant}));
    kept = reuse && n.integer(0) >= orders;
    return Status::ok();
  }));
  if (!kept) {
    TING_RETURN_IF_ERROR(st.write(actor, [&](store::Tx& tx) -> Status {
      for (const char* table :
           {"sla_events", "sla_clocks", "work_order_history", "work_order_notes",
            "work_order_calls", "work_order_proposals", "approvals", "work_orders",
            "work_order_counters", "sla_policies", "business_calendars", "work_order_categories",
            "customers", "users"}) {
        TING_RETURN_IF_ERROR(tx.session().exec(
            std::string("DELETE FROM ") + table + " WHERE tenant_id = ?", {fx.tenant}));
      }
      for (int i = 0; i < kAgents; ++i) {
        TING_RETURN_IF_ERROR(tx.session().exec(
            "INSERT INTO users (tenant_id, username, role, password_hash, created_at, "
            "updated_at) VALUES (?, ?, 'agent', 'x', 0, 0)",
            {fx.tenant, std::to_string(10'000 + i)}));
      }
      for (int i = 0; i < kCustomers; ++i) {
        TING_RETURN_IF_ERROR(tx.session().exec(
            "INSERT INTO customers (tenant_id, name, vip, vip_level, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 0, 0)",
            {fx.tenant, "客户 " + std::to_string(i), std::int64_t{i % 50 == 0},
             std::int64_t{i % 50 == 0 ? 2 : 0}}));
      }
      const char* tree[][3] = {{"账单", "重复扣费", "资费争议"},
                               {"网络", "宽带故障", "手机信号"},
                               {"服务", "服务态度", "上门延误"},
                               {"物流", "配送延误", "货品损坏"}};
      for (const auto& branch : tree) {
        TING_ASSIGN_OR_RETURN(
            auto top, wo::createCategory(tx, {.parent_id = std::nullopt, .name = branch[0]}));
        for (int c = 1; c < 3; ++c) {
          TING_RETURN_IF_ERROR(
              wo::createCategory(tx, {.parent_id = top.id, .name = branch[c]}).status());
        }
      }
      TING_ASSIGN_OR_RETURN(auto cal,
                            wo::BusinessCalendar::fromJson(boost::json::parse(
                                R"({"time_zone": "Asia/Shanghai", "weekly": {"mon": ["09:00-18:00"],
                        "tue": ["09:00-18:00"], "wed": ["09:00-18:00"], "thu": ["09:00-18:00"],
                        "fri": ["09:00-18:00"]}})")));
      TING_ASSIGN_OR_RETURN(auto saved, wo::saveCalendar(tx, {.name = "office", .calendar = cal}));
      for (const std::string& json :
           {R"({"name": "vip", "position": 1, "type": "complaint", "min_vip_level": 1,
                "first_response_minutes": 30, "next_update_minutes": 240,
                "resolution_minutes": 1080, "follow_up_minutes": 1080, "calendar_id": )" +
                std::to_string(saved.id) + "}",
            R"({"name": "complaints", "position": 2, "type": "complaint",
                "first_response_minutes": 60, "resolution_minutes": 2700, "calendar_id": )" +
                std::to_string(saved.id) + "}",
            std::string(R"({"name": "others", "position": 3, "first_response_minutes": 240})")}) {
        TING_ASSIGN_OR_RETURN(auto p, wo::policyFromJson(tx.session(), fx.tenant,
                                                         boost::json::parse(json).as_object(), {}));
        TING_RETURN_IF_ERROR(wo::savePolicy(tx, p).status());
      }
      return Status::ok();
    }));
  }
  return st.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(
        auto u, s.query("SELECT id FROM users WHERE tenant_id = ? ORDER BY id", {fx.tenant}));
    for (const auto& r : u) fx.agents.push_back(r.integer(0));
    TING_ASSIGN_OR_RETURN(auto c, s.query("SELECT id FROM customers WHERE tenant_id = ? ORDER BY "
                                          "id",
                                          {fx.tenant}));
    for (const auto& r : c) fx.customers.push_back(r.integer(0));
    TING_ASSIGN_OR_RETURN(auto k, s.query("SELECT id FROM work_order_categories WHERE tenant_id "
                                          "= ? AND parent_id IS NOT NULL ORDER BY id",
                                          {fx.tenant}));
    for (const auto& r : k) fx.categories.push_back(r.integer(0));
    return Status::ok();
  });
}

// The generator: multi-row inserts of what a year of work orders leaves
// behind (without their history rows), so a million take a minute or two.
Status generate(store::Store& st, const Fixture& fx, std::int64_t orders, UnixMillis now) {
  std::mt19937_64 rng(7);
  const char* states[] = {"new",        "accepted", "investigating", "proposing",
                          "dispatched", "resolved", "follow_up"};
  const char* types[] = {"complaint", "complaint", "complaint", "inquiry", "suggestion", "praise"};
  const char* priorities[] = {"low", "normal", "normal", "normal", "high", "urgent"};
  constexpr int kRows = 500;
  std::string sql;
  for (std::int64_t from = 0; from < orders; from += kRows * 10) {
    Status s = st.write({fx.tenant, 0, "bench", ""}, [&](store::Tx& tx) -> Status {
      for (std::int64_t b = from; b < std::min(orders, from + kRows * 10); b += kRows) {
        const std::int64_t n = std::min<std::int64_t>(kRows, orders - b);
        sql =
            "INSERT INTO work_orders (tenant_id, reference, type, category_id, priority, "
            "channel, state, close_reason, customer_id, subject, owner_id, repeat_of, "
            "sla_due_at, sla_breached, created_at, updated_at, closed_at) VALUES ";
        std::vector<store::Value> p;
        p.reserve(static_cast<size_t>(n) * 17);
        for (std::int64_t i = b; i < b + n; ++i) {
          sql += i == b ? "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                        : ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
          // Older orders are closed; about a fifth, mostly recent, still open.
          const UnixMillis created = now - static_cast<std::int64_t>(rng() % (365 * kDay));
          const bool open = (now - created) < 20 * kDay ? rng() % 10 < 8 : rng() % 100 < 15;
          const char* state = open ? states[rng() % 7] : "closed";
          const std::int64_t due = open ? now - kDay + static_cast<std::int64_t>(rng() % (8 * kDay))
                                        : std::numeric_limits<std::int64_t>::max();
          char ref[32];
          std::snprintf(ref, sizeof ref, "B%08lld", static_cast<long long>(i));
          p.insert(
              p.end(),
              {fx.tenant, std::string(ref), std::string(types[rng() % 6]),
               fx.categories[rng() % fx.categories.size()], std::string(priorities[rng() % 6]),
               std::string("phone"), std::string(state),
               open ? store::nullValue() : store::Value("resolved"),
               fx.customers[rng() % fx.customers.size()],
               "工单 " + std::to_string(i) + " 宽带 billing", fx.agents[rng() % fx.agents.size()],
               rng() % 20 == 0 ? store::Value(std::int64_t{1}) : store::nullValue(), due,
               std::int64_t{open && due < now ? 1 : 0}, created, created,
               open ? store::nullValue() : store::Value(created + kDay)});
        }
        TING_RETURN_IF_ERROR(tx.session().query(sql, p).status());
      }
      return Status::ok();
    });
    if (!s.isOk()) return s;
  }
  return Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t orders = 1'000'000, creates = 5'000, queries = 200;
  int threads = 1;
  std::string url;
  bool reuse = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--orders") orders = std::atoll(argv[i + 1]);
    if (a == "--creates") creates = std::atoll(argv[i + 1]);
    if (a == "--queries") queries = std::atoll(argv[i + 1]);
    if (a == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--db") url = argv[i + 1];
    if (a == "--reuse") reuse = std::string(argv[i + 1]) == "1";
  }
  const auto dir = std::filesystem::temp_directory_path() / "ting-bench-wo";
  if (url.empty()) {
    if (!reuse) std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    url = (dir / "ting.db").string();
  }
  auto db = store::openDatabase(url, {.pool_size = std::max(4, threads + 1)});
  if (!db.isOk()) return fail("open", db.status());
  if (auto m = store::migrate(**db); !m.isOk()) return fail("migrate", m.status());
  EventBus bus;
  store::Store st(**db, bus, SystemClock::instance());
  Fixture fx;
  bool kept = false;
  if (Status s = setUp(st, fx, reuse, orders, kept); !s.isOk()) return fail("set up", s);
  const UnixMillis now = SystemClock::instance().nowMillis();
  const auto fill_start = Steady::now();
  if (!kept) {
    if (Status s = generate(st, fx, orders, now); !s.isOk()) return fail("generate", s);
  }
  std::printf(
      kept ? "%s: %lld work orders kept (%.1f s)\n" : "%s: %lld work orders generated in %.1f s\n",
      (*db)->describe().c_str(), static_cast<long long>(orders),
      ms(Steady::now() - fill_start) / 1000);
  // What the server's SLA thread does at start and hourly.
  const auto stats_start = Steady::now();
  if (Status s = store::refreshStatistics(**db); !s.isOk()) return fail("statistics", s);
  std::printf("planner statistics refreshed in %.0f ms\n", ms(Steady::now() - stats_start));

  // Reads: list views (first page) and counts.
  std::mt19937_64 rng(42);
  struct View {
    std::string name;
    std::function<wo::WorkOrderFilter()> filter;
    std::string sort = "created_at";
  };
  const std::vector<View> views = {
      {"my_open",
       [&] {
         return wo::WorkOrderFilter{.open_only = true, .owner_id = fx.agents[rng() % kAgents]};
       }},
      {"open (all)", [] { return wo::WorkOrderFilter{.open_only = true}; }},
      {"state=new", [] { return wo::WorkOrderFilter{.states = {"new"}}; }},
      {"breaching_2h",
       [&] { return wo::WorkOrderFilter{.open_only = true, .due_before = now + 2 * kHour}; },
       "sla_due_at"},
      {"breached", [] { return wo::WorkOrderFilter{.open_only = true, .breached = true}; }},
      {"repeats_week",
       [&] { return wo::WorkOrderFilter{.repeat = true, .created_since = now - 7 * kDay}; }},
      {"category subtree, open",
       [&] { return wo::WorkOrderFilter{.open_only = true, .category_id = fx.categories[0] - 1}; }},
      {"customer's",
       [&] {
         return wo::WorkOrderFilter{.customer_id = fx.customers[rng() % fx.customers.size()]};
       }},
  };
  for (const auto& v : views) {
    std::vector<double> list, count;
    for (std::int64_t q = 0; q < queries; ++q) {
      const wo::WorkOrderFilter f = v.filter();
      store::PageRequest page{
          .sort_column = v.sort, .descending = v.sort != "sla_due_at", .limit = 50};
      auto t0 = Steady::now();
      Status s = st.read([&](store::Session& session) -> Status {
        TING_ASSIGN_OR_RETURN(auto p, wo::listWorkOrders(session, fx.tenant, f, page));
        return wo::workOrdersOf(session, p).status();
      });
      list.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) return fail(v.name.c_str(), s);
      t0 = Steady::now();
      s = st.read([&](store::Session& session) -> Status {
        return wo::countWorkOrders(session, fx.tenant, f).status();
      });
      count.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) return fail(v.name.c_str(), s);
    }
    report("list " + v.name, list);
    report("count " + v.name, count);
  }

  // The screen pop's cards once the caller is found (crm::findByNumber,
  // timed by bench_crm): the customer with their open work orders and
  // latest calls, as call.offered and /customers/lookup carry them.
  if (queries > 0) {
    std::vector<double> pop;
    std::size_t with_orders = 0;
    for (std::int64_t q = 0; q < queries; ++q) {
      const std::int64_t id = fx.customers[rng() % fx.customers.size()];
      const auto t0 = Steady::now();
      Status s = st.read([&](store::Session& session) -> Status {
        TING_ASSIGN_OR_RETURN(crm::Customer c, crm::getCustomer(session, fx.tenant, id));
        TING_ASSIGN_OR_RETURN(auto cards, wo::screenPopCards(session, fx.tenant, {c}, false));
        if (!cards.empty() && !cards[0].as_object().at("open_work_orders").as_array().empty()) {
          ++with_orders;
        }
        return Status::ok();
      });
      pop.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) return fail("screen pop", s);
    }
    report("screen-pop cards", pop);
    std::printf("  (%zu of %lld cards with open work orders)\n", with_orders,
                static_cast<long long>(queries));
  }

  // Creates: what POST /api/v1/work-orders does, from `threads` writers.
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  const auto t0 = Steady::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 r(100 + t);
      for (std::int64_t i = next++; i < creates && !failed; i = next++) {
        wo::WorkOrderFields f;
        f.subject = "新建工单 " + std::to_string(i);
        f.type = i % 4 == 0 ? "inquiry" : "complaint";
        f.category_id = std::optional<std::int64_t>(fx.categories[r() % fx.categories.size()]);
        f.customer_id = std::optional<std::int64_t>(fx.customers[r() % fx.customers.size()]);
        const std::int64_t agent = fx.agents[r() % fx.agents.size()];
        Status s = st.write({fx.tenant, agent, "bench", ""}, [&](store::Tx& tx) -> Status {
          return wo::createWorkOrder(tx, f).status();
        });
        if (!s.isOk()) {
          std::fprintf(stderr, "create: %s\n", s.message().c_str());
          failed = true;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (failed) return 1;
  const double secs = ms(Steady::now() - t0) / 1000;
  std::printf("created %lld work orders with %d writer(s) in %.2f s: %.0f per second\n",
              static_cast<long long>(creates), threads, secs, creates / secs);
  return 0;
}
