// Screen-pop lookups at scale: fills a tenant with N customers (default
// 1,000,000; one or two numbers each, a tag, realistic names), then times
// crm::findByNumber for random callers, 90% known and 10% unknown, written
// the ways callers' numbers arrive (13800138000, +86…, 0…), and prints p50,
// p99 and max. Also times the import of a CSV of 10,000 customers.
//
//   bench_crm [--customers N] [--lookups N] [--db URL] [--reuse 1]
// --db: a SQLite file (default: a fresh one in /tmp) or postgresql://…;
// the tenant "bench-crm" is created (or emptied) first. --reuse 1 keeps the
// customers of an earlier run of the same size (time the lookups again).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/event_bus.h"
#include "crm/customer_import.h"
#include "crm/customers.h"
#include "identity/tenants.h"
#include "store/database.h"
#include "store/migrations/migrations.h"
#include "store/store.h"

namespace {

using namespace ting;
using Steady = std::chrono::steady_clock;

const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"};
const char* kGiven[] = {"芳", "伟", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰"};

std::string mobile(std::int64_t i) { return std::to_string(13'000'000'000LL + i * 7 + 3); }

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void report(const char* what, std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  std::printf("%-28s n=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", what, v.size(), at(0.50),
              at(0.99), v.back());
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t customers = 1'000'000, lookups = 10'000;
  std::string url;
  bool reuse = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--customers") customers = std::atoll(argv[i + 1]);
    if (a == "--lookups") lookups = std::atoll(argv[i + 1]);
    if (a == "--db") url = argv[i + 1];
    if (a == "--reuse") reuse = std::string(argv[i + 1]) == "1";
  }
  if (url.empty() && !reuse) {
    auto dir = std::filesystem::temp_directory_path() / "ting-bench-crm";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    url = (dir / "ting.db").string();
  }
  if (url.empty()) {
    url = (std::filesystem::temp_directory_path() / "ting-bench-crm" / "ting.db").string();
  }
  auto db = store::openDatabase(url, {});
  if (!db.isOk()) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), db.status().message().c_str());
    return 1;
  }
  if (auto m = store::migrate(**db); !m.isOk()) {
    std::fprintf(stderr, "migrate: %s\n", m.status().message().c_str());
    return 1;
  }
  EventBus bus;
  store::Store st(**db, bus, SystemClock::instance());
  std::int64_t tenant = 0;
  bool customers_kept = false;
  Status s = st.write({0, 0, "bench", ""}, [&](store::Tx& tx) -> Status {
    auto found = identity::findTenantBySlug(tx.session(), "bench-crm");
    if (found.isOk()) {
      tenant = found->id;
      if (reuse) {
        TING_ASSIGN_OR_RETURN(auto n, tx.session().queryOne(
                                          "SELECT COUNT(*) FROM customers WHERE tenant_id = ? "
                                          "AND name NOT LIKE '导入客户%'",
                                          {tenant}));
        if (n.integer(0) == customers) {
          TING_RETURN_IF_ERROR(tx.session().exec(
              "DELETE FROM customer_phones WHERE tenant_id = ? AND customer_id IN (SELECT id "
              "FROM customers WHERE tenant_id = ? AND name LIKE '导入客户%')",
              {tenant, tenant}));
          TING_RETURN_IF_ERROR(tx.session().exec(
              "DELETE FROM customer_tags WHERE tenant_id = ? AND customer_id IN (SELECT id "
              "FROM customers WHERE tenant_id = ? AND name LIKE '导入客户%')",
              {tenant, tenant}));
          TING_RETURN_IF_ERROR(tx.session().exec(
              "DELETE FROM customers WHERE tenant_id = ? AND name LIKE '导入客户%'", {tenant}));
          customers_kept = true;
          return Status::ok();
        }
      }
      TING_RETURN_IF_ERROR(
          tx.session().exec("DELETE FROM customer_phones WHERE tenant_id = ?", {tenant}));
      TING_RETURN_IF_ERROR(
          tx.session().exec("DELETE FROM customer_tags WHERE tenant_id = ?", {tenant}));
      return tx.session().exec("DELETE FROM customers WHERE tenant_id = ?", {tenant});
    }
    TING_ASSIGN_OR_RETURN(auto t, identity::createTenant(tx, "bench-crm", "Bench CRM"));
    tenant = t.id;
    return Status::ok();
  });
  if (!s.isOk()) {
    std::fprintf(stderr, "tenant: %s\n", s.message().c_str());
    return 1;
  }

  // The generator: plain inserts in batches (what an import writes, without
  // the per-row audit), so a million customers take a minute, not an hour.
  const auto fill_start = Steady::now();
  const std::int64_t batch = 5000;
  for (std::int64_t from = 0; from < customers && !customers_kept; from += batch) {
    s = st.write({tenant, 0, "bench", ""}, [&](store::Tx& tx) -> Status {
      for (std::int64_t i = from; i < std::min(customers, from + batch); ++i) {
        std::string name = std::string(kSurnames[i % 10]) + kGiven[(i / 10) % 10] + " #" +
                           std::to_string(i);
        TING_ASSIGN_OR_RETURN(
            auto row, tx.session().queryOne(
                          "INSERT INTO customers (tenant_id, name, phone, vip, created_at, "
                          "updated_at, vip_level) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          {tenant, name, "+86" + mobile(i), std::int64_t{i % 50 == 0},
                           tx.now(), tx.now(), std::int64_t{i % 50 == 0 ? 2 : 0}}));
        const std::int64_t id = row.integer(0);
        TING_RETURN_IF_ERROR(tx.session().exec(
            "INSERT INTO customer_phones (tenant_id, customer_id, number, e164, kind, position) "
            "VALUES (?, ?, ?, ?, 'mobile', 0)",
            {tenant, id, mobile(i), "+86" + mobile(i)}));
        if (i % 3 == 0) {  // a landline too
          const std::string land = "+86755" + std::to_string(80'000'000 + i % 20'000'000);
          TING_RETURN_IF_ERROR(tx.session().exec(
              "INSERT INTO customer_phones (tenant_id, customer_id, number, e164, kind, "
              "position) VALUES (?, ?, ?, ?, 'landline', 1)",
              {tenant, id, land, land}));
        }
        TING_RETURN_IF_ERROR(tx.session().exec(
            "INSERT INTO customer_tags (tenant_id, customer_id, tag) VALUES (?, ?, ?)",
            {tenant, id, i % 7 == 0 ? "宽带" : "mobile"}));
      }
      return Status::ok();
    });
    if (!s.isOk()) {
      std::fprintf(stderr, "fill: %s\n", s.message().c_str());
      return 1;
    }
  }
  std::printf(customers_kept ? "%s: %lld customers kept (%.1f s)\n"
                             : "%s: %lld customers generated in %.1f s\n", (*db)->describe().c_str(),
              static_cast<long long>(customers), ms(Steady::now() - fill_start) / 1000);

  std::mt19937_64 rng(42);
  std::vector<double> known, unknown;
  for (std::int64_t n = 0; n < lookups; ++n) {
    const bool hit = n % 10 != 0;
    const std::int64_t i = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(customers));
    std::string number = hit ? mobile(i) : std::to_string(15'900'000'000LL + n);
    if (n % 3 == 1) number = "+86" + number;
    if (n % 3 == 2) number = "0" + number;  // dialled from another city
    const auto t0 = Steady::now();
    std::size_t found = 0;
    Status r = st.read([&](store::Session& session) -> Status {
      TING_ASSIGN_OR_RETURN(auto list, crm::findByNumber(session, tenant, number));
      found = list.size();
      return Status::ok();
    });
    const double took = ms(Steady::now() - t0);
    if (!r.isOk() || (hit && found != 1) || (!hit && found != 0)) {
      std::fprintf(stderr, "lookup %s: %s, %zu found\n", number.c_str(), r.message().c_str(),
                   found);
      return 1;
    }
    (hit ? known : unknown).push_back(took);
  }
  report("screen pop, known caller", known);
  report("screen pop, unknown caller", unknown);

  // Import: 10,000 rows, 1% bad.
  std::string csv = "name,phone,email,company,tags\r\n";
  for (int i = 0; i < 10'000; ++i) {
    csv += "导入客户 " + std::to_string(i) + "," +
           (i % 100 == 0 ? std::string("12345") : std::to_string(18'600'000'000LL + i)) +
           ",c" + std::to_string(i) + "@example.cn,公司,导入;2026\r\n";
  }
  const auto t0 = Steady::now();
  auto imported = crm::importCustomers(st, {tenant, 0, "bench", ""}, csv);
  const double secs = ms(Steady::now() - t0) / 1000;
  if (!imported.isOk()) {
    std::fprintf(stderr, "import: %s\n", imported.status().message().c_str());
    return 1;
  }
  std::printf("import of 10000 CSV rows: imported %zu, rejected %zu in %.2f s (%.0f rows/s)\n",
              imported->imported, imported->rejected, secs, 10'000 / secs);
  return 0;
}
