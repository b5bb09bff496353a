#include "store/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "store/test_database.h"

#define TING_ASSIGN_OR_FAIL(lhs, expr)               \
  do {                                               \
    auto r_ = (expr);                                \
    ASSERT_TRUE(r_.isOk()) << r_.status().message(); \
    lhs = *r_;                                       \
  } while (0)

namespace ting::store {

class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<TestDatabase>(GetParam());
    TING_REQUIRE_TEST_DATABASE(*tdb_);
    store_ = std::make_unique<Store>(tdb_->db(), bus_, clock_);
    bus_.subscribe([this](const DomainEvent& e) {
      std::lock_guard lock(events_mu_);  // concurrent writers publish from their threads
      events_.push_back(e.name);
    });
    TING_ASSIGN_OR_FAIL(tenant_a_, makeTenant("a"));
    TING_ASSIGN_OR_FAIL(tenant_b_, makeTenant("b"));
  }

  Result<std::int64_t> makeTenant(const std::string& slug) {
    std::int64_t id = 0;
    Status s = tdb_->db().write([&](Session& session) -> Status {
      TING_ASSIGN_OR_RETURN(Row r, session.queryOne("INSERT INTO tenants (slug, name, created_at, "
                                                    "updated_at) VALUES (?, ?, 0, 0) RETURNING id",
                                                    {slug, slug}));
      id = r.integer(0);
      return Status::ok();
    });
    if (!s.isOk()) return s;
    return id;
  }

  Status addCustomer(std::int64_t tenant, const std::string& name) {
    return store_->write({tenant, 0, "test", "r1"}, [&](Tx& tx) -> Status {
      TING_RETURN_IF_ERROR(tx.session().exec(
          "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
          {tenant, name, tx.now(), tx.now()}));
      return tx.audit({.entity = "customer", .entity_id = name, .action = "create"});
    });
  }

  std::unique_ptr<TestDatabase> tdb_;
  EventBus bus_;
  FakeClock clock_{1'800'000'000'000};
  std::unique_ptr<Store> store_;
  std::mutex events_mu_;
  std::vector<std::string> events_;  // guarded by events_mu_
  std::int64_t tenant_a_ = 0, tenant_b_ = 0;
};

TEST_P(StoreTest, MigrationsAreIdempotent) {
  auto again = migrate(tdb_->db());
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->from_version, again->to_version);
  auto v = schemaVersion(tdb_->db());
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(*v, migrations().back().version);
}

TEST_P(StoreTest, WriteCommitsWithAuditAndPublishesAfterCommit) {
  ASSERT_TRUE(addCustomer(tenant_a_, "Zhao").isOk());
  auto rows = tdb_->db().query(
      "SELECT actor, entity, action, request_id, at FROM audit_log WHERE "
      "tenant_id = ?",
      {tenant_a_});
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "test");
  EXPECT_EQ((*rows)[0].text(2), "create");
  EXPECT_EQ((*rows)[0].text(3), "r1");
  EXPECT_EQ((*rows)[0].integer(4), clock_.nowMillis());
  EXPECT_EQ(events_, (std::vector<std::string>{"audit.appended"}));
}

TEST_P(StoreTest, FailedWriteRollsBackEverythingAndPublishesNothing) {
  Status s = store_->write({tenant_a_, 0, "test", ""}, [&](Tx& tx) -> Status {
    TING_RETURN_IF_ERROR(tx.session().exec(
        "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, 'x', 0, 0)",
        {tenant_a_}));
    TING_RETURN_IF_ERROR(tx.audit({.entity = "customer", .action = "create"}));
    return invalidValue("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidValue);
  auto n = tdb_->db().query("SELECT COUNT(*) FROM customers", {});
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ((*n)[0].integer(0), 0);
  auto a = tdb_->db().query("SELECT COUNT(*) FROM audit_log", {});
  EXPECT_EQ((*a)[0].integer(0), 0);
  EXPECT_TRUE(events_.empty());
}

TEST_P(StoreTest, AuditEventCarriesTheEntryIdAndTime) {
  std::vector<DomainEvent> seen;
  bus_.subscribe([&](const DomainEvent& e) {
    std::lock_guard lock(events_mu_);
    if (e.name == "audit.appended") seen.push_back(e);
  });
  ASSERT_TRUE(addCustomer(tenant_a_, "Qian").isOk());
  ASSERT_TRUE(addCustomer(tenant_a_, "Sun").isOk());
  auto rows = tdb_->db().query("SELECT id, at FROM audit_log WHERE tenant_id = ? ORDER BY id",
                               {tenant_a_});
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 2u);
  ASSERT_EQ(seen.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(seen[i].data_json.find("\"id\":" + (*rows)[i].text(0) + ","), std::string::npos)
        << seen[i].data_json;
    EXPECT_EQ(seen[i].at, (*rows)[i].integer(1));
  }
}

TEST_P(StoreTest, AuditTimesNeverGoBackwardsWithinATenant) {
  // An entry written with an earlier clock than the tenant's last one takes
  // the last one's time, so readers polling by time miss nothing.
  ASSERT_TRUE(addCustomer(tenant_a_, "Li").isOk());
  clock_.set(clock_.nowMillis() - 60'000);
  ASSERT_TRUE(addCustomer(tenant_a_, "Zhou").isOk());
  auto rows = tdb_->db().query("SELECT at FROM audit_log WHERE tenant_id = ? ORDER BY id",
                               {tenant_a_});
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 2u);
  if (GetParam() == Dialect::kPostgres) {
    EXPECT_EQ((*rows)[1].integer(0), (*rows)[0].integer(0));
  } else {
    // One writer: ids follow commit order; the time is the transaction's own.
    EXPECT_EQ((*rows)[1].integer(0), (*rows)[0].integer(0) - 60'000);
  }
}

TEST_P(StoreTest, DeferredStatementsRunInOrderBeforeTheNextQuery) {
  Rows returned;
  std::int64_t seen = -1;
  Status s = tdb_->db().write([&](Session& session) -> Status {
    for (const char* name : {"a", "b", "c"}) {
      TING_RETURN_IF_ERROR(session.defer(
          "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, ?, 0, 0) "
          "RETURNING name",
          {tenant_a_, std::string(name)}, [&](Rows& rows) {
            for (auto& r : rows) returned.push_back(r);
          }));
    }
    // The same statement first prepared inside a batch, then reused.
    TING_RETURN_IF_ERROR(session.defer(
        "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, ?, 0, 0) "
        "RETURNING name",
        {tenant_a_, std::string("d")}));
    TING_ASSIGN_OR_RETURN(Row n, session.queryOne("SELECT COUNT(*) FROM customers WHERE "
                                                  "tenant_id = ?",
                                                  {tenant_a_}));
    seen = n.integer(0);
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(seen, 4);
  ASSERT_EQ(returned.size(), 3u);
  EXPECT_EQ(returned[0].text(0), "a");
  EXPECT_EQ(returned[2].text(0), "c");
}

TEST_P(StoreTest, AFailingDeferredStatementFailsTheTransaction) {
  bool later_ran = false;
  Status s = store_->write({tenant_a_, 0, "test", ""}, [&](Tx& tx) -> Status {
    TING_RETURN_IF_ERROR(tx.session().defer(
        "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, 'x', 0, 0)",
        {tenant_a_}));
    TING_RETURN_IF_ERROR(tx.audit({.entity = "customer", .action = "create"}));
    // A tenant that does not exist: the foreign key fails, at the commit on
    // PostgreSQL, at once on SQLite.
    TING_RETURN_IF_ERROR(tx.session().defer(
        "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, 'y', 0, 0)",
        {std::int64_t{987654}}));
    return tx.session().defer("SELECT 1", {}, [&](Rows&) { later_ran = true; });
  });
  EXPECT_FALSE(s.isOk());
  EXPECT_FALSE(later_ran);
  auto n = tdb_->db().query("SELECT COUNT(*) FROM customers", {});
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ((*n)[0].integer(0), 0);
  auto a = tdb_->db().query("SELECT COUNT(*) FROM audit_log", {});
  EXPECT_EQ((*a)[0].integer(0), 0);
  EXPECT_TRUE(events_.empty());
  // The connection is usable afterwards.
  ASSERT_TRUE(addCustomer(tenant_a_, "after").isOk());
}

TEST_P(StoreTest, AnAutonomousStatementOutlivesItsCallerOnPostgres) {
  Status s = tdb_->db().write([&](Session& session) -> Status {
    TING_RETURN_IF_ERROR(session
                             .queryAutonomous("INSERT INTO work_order_counters (tenant_id, day, "
                                              "last) VALUES (?, 1, 1) RETURNING last",
                                              {tenant_a_})
                             .status());
    return invalidValue("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidValue);
  auto n = tdb_->db().query("SELECT COUNT(*) FROM work_order_counters", {});
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ((*n)[0].integer(0), GetParam() == Dialect::kPostgres ? 1 : 0);
}

TEST_P(StoreTest, UniqueViolationIsConflict) {
  Status s = tdb_->db().write([&](Session& session) {
    return session.exec(
        "INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, 0, "
        "0)",
        {std::string("a"), std::string("dup")});
  });
  EXPECT_EQ(s.code(), StatusCode::kConflict);
}

TEST_P(StoreTest, PagesWalkEveryRowOnceWithinTheTenant) {
  const char* names[] = {"e", "b", "d", "a", "c", "b", "f"};
  for (const char* n : names) ASSERT_TRUE(addCustomer(tenant_a_, n).isOk());
  ASSERT_TRUE(addCustomer(tenant_b_, "a").isOk());
  for (bool desc : {false, true}) {
    PageRequest req{.sort_column = "name", .descending = desc, .limit = 3};
    std::vector<std::string> seen;
    for (int guard = 0; guard < 10; ++guard) {
      Page page;
      Status s = tdb_->db().read([&](Session& session) -> Status {
        TING_ASSIGN_OR_RETURN(
            page,
            listPage(session, {.table = "customers", .columns = "id, name", .tenant_id = tenant_a_},
                     req));
        return Status::ok();
      });
      ASSERT_TRUE(s.isOk()) << s.message();
      for (const auto& r : page.rows) seen.push_back(r.text(1));
      if (!page.has_more) break;
      req.after = std::make_pair(page.sort_values.back(), page.rows.back().integer(0));
    }
    std::vector<std::string> expected = {"a", "b", "b", "c", "d", "e", "f"};
    if (desc) std::reverse(expected.begin(), expected.end());
    EXPECT_EQ(seen, expected) << (desc ? "descending" : "ascending");
  }
}

TEST_P(StoreTest, ContainsPatternEscapesWildcards) {
  ASSERT_TRUE(addCustomer(tenant_a_, "100% Cotton").isOk());
  ASSERT_TRUE(addCustomer(tenant_a_, "1000 Cotton").isOk());
  auto rows = tdb_->db().query(
      "SELECT name FROM customers WHERE tenant_id = ? AND LOWER(name) LIKE ? ESCAPE '\\'",
      {tenant_a_, containsPattern("100%")});
  ASSERT_TRUE(rows.isOk()) << rows.status().message();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "100% Cotton");
}

TEST_P(StoreTest, ConcurrentWritersAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (!addCustomer(tenant_a_, "c" + std::to_string(t * 100 + i)).isOk()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto n = tdb_->db().query("SELECT COUNT(*) FROM customers WHERE tenant_id = ?", {tenant_a_});
  EXPECT_EQ((*n)[0].integer(0), 100);
}

TEST_P(StoreTest, AFailingWriterAmongConcurrentOnesRollsBackAlone) {
  // SQLite commits concurrent writers together (group commit): a writer that
  // fails must undo only its own changes and audit entry.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        bool fail = (i % 5) == t % 5;
        Status s = store_->write({tenant_a_, 0, "test", ""}, [&](Tx& tx) -> Status {
          TING_RETURN_IF_ERROR(tx.session().exec(
              "INSERT INTO customers (tenant_id, name, created_at, updated_at) VALUES (?, ?, 0, 0)",
              {tenant_a_, std::string(fail ? "bad" : "good")}));
          TING_RETURN_IF_ERROR(tx.audit({.entity = "customer", .action = "create"}));
          return fail ? invalidValue("refused") : Status::ok();
        });
        (s.isOk() ? ok : failed)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(failed.load(), 20);
  auto good = tdb_->db().query("SELECT COUNT(*) FROM customers WHERE name = 'good'", {});
  auto bad = tdb_->db().query("SELECT COUNT(*) FROM customers WHERE name = 'bad'", {});
  auto audits = tdb_->db().query("SELECT COUNT(*) FROM audit_log", {});
  EXPECT_EQ((*good)[0].integer(0), 80);
  EXPECT_EQ((*bad)[0].integer(0), 0);
  EXPECT_EQ((*audits)[0].integer(0), 80);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres), dialectName);

TEST(SqliteBackup, CopiesAConsistentSnapshot) {
  TestDatabase tdb(Dialect::kSqlite);
  ASSERT_TRUE(tdb.error().empty()) << tdb.error();
  ASSERT_TRUE(tdb.db()
                  .write([](Session& s) {
                    return s.exec(
                        "INSERT INTO tenants (slug, name, created_at, updated_at) "
                        "VALUES ('x', 'X', 0, 0)",
                        {});
                  })
                  .isOk());
  auto dest = tdb.dir() / "copy.db";
  ASSERT_TRUE(tdb.db().backupTo(dest.string()).isOk());
  auto copy = openDatabase(dest.string(), {.pool_size = 1});
  ASSERT_TRUE(copy.isOk());
  auto rows = (*copy)->query("SELECT name FROM tenants WHERE slug = 'x'", {});
  ASSERT_TRUE(rows.isOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "X");
}

}  // namespace ting::store
