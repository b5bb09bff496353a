// A CSV file as an admin uploads it for a customer import, run through the
// whole import against a real SQLite database: header mapping, row checks,
// number validation and the batched writes. Whatever the bytes, the import
// either refuses the file whole (and writes nothing) or accounts for every
// row: imported + rejected = rows, one problem per rejected row in file
// order, and exactly `imported` new customers in the database.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/event_bus.h"
#include "crm/customer_import.h"
#include "store/database.h"
#include "store/migrations/migrations.h"
#include "store/store.h"

namespace {

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<ting::store::Database> db;
  ting::EventBus bus;
  ting::SystemClock clock;
  std::unique_ptr<ting::store::Store> store;
  std::int64_t tenant = 0;

  Fixture() {
    (void)ting::initCrypto();
    dir = std::filesystem::temp_directory_path() / ("ting-fuzz-import-" + ting::randomPassword(8));
    std::filesystem::create_directories(dir);
    auto opened = ting::store::openDatabase((dir / "ting.db").string(),
                                            {.pool_size = 1, .sqlite_synchronous = "off"});
    if (!opened.isOk()) std::abort();
    db = std::move(opened).value();
    if (!ting::store::migrate(*db).isOk()) std::abort();
    store = std::make_unique<ting::store::Store>(*db, bus, clock);
    ting::Status s = db->write([&](ting::store::Session& session) -> ting::Status {
      TING_ASSIGN_OR_RETURN(
          auto row, session.queryOne("INSERT INTO tenants (slug, name, created_at, updated_at) "
                                     "VALUES ('fuzz', 'fuzz', 0, 0) RETURNING id",
                                     {}));
      tenant = row.integer(0);
      // An owner the rows may name by username or staff number.
      return session.exec(
          "INSERT INTO users (tenant_id, username, role, password_hash, sip_extension, "
          "created_at, updated_at) VALUES (?, 'agent1', 'agent', 'x', '1001', 0, 0)",
          {tenant});
    });
    if (!s.isOk()) std::abort();
  }
  ~Fixture() {
    store.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::int64_t customers() {
    std::int64_t n = -1;
    ting::Status s = db->read([&](ting::store::Session& session) -> ting::Status {
      TING_ASSIGN_OR_RETURN(
          auto row,
          session.queryOne("SELECT COUNT(*) FROM customers WHERE tenant_id = ?", {tenant}));
      n = row.integer(0);
      return ting::Status::ok();
    });
    if (!s.isOk()) std::abort();
    return n;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture* fixture = new Fixture();  // one database for the whole run
  const std::string_view csv(reinterpret_cast<const char*>(data), size);
  const std::int64_t before = fixture->customers();
  ting::crm::ImportOptions options;
  options.batch = 3;  // several transactions even for small inputs
  auto report = ting::crm::importCustomers(
      *fixture->store, ting::store::Actor{fixture->tenant, 0, "fuzz", "fuzz"}, csv, options);
  const std::int64_t after = fixture->customers();
  if (!report.isOk()) {
    // Refused whole: the header check says the same, and nothing was written.
    if (ting::crm::checkImportHeader(csv).isOk()) std::abort();
    if (after != before) std::abort();
    return 0;
  }
  if (report->imported + report->rejected != report->rows) std::abort();
  if (report->problems.size() != report->rejected) std::abort();
  std::size_t last_line = 1;
  for (const auto& p : report->problems) {
    if (p.line <= last_line || p.message.empty()) std::abort();
    last_line = p.line;
  }
  if (after - before != static_cast<std::int64_t>(report->imported)) std::abort();
  (void)ting::crm::reportCsv(*report);
  return 0;
}
