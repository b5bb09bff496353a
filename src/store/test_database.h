#pragma once
// For tests: a fresh, migrated database of either backend. SQLite in a new
// temporary directory; PostgreSQL as a new database on the cluster named by
// TING_TEST_PG_URL (tests of that backend are skipped when it is unset).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "store/database.h"
#include "store/migrations/migrations.h"

namespace ting::store {

class TestDatabase {
 public:
  // Empty `error` means ready; otherwise the reason it is not.
  explicit TestDatabase(Dialect dialect) {
    (void)initCrypto();
    DatabaseOptions options{.pool_size = 4};
    std::string url;
    if (dialect == Dialect::kSqlite) {
      dir_ = std::filesystem::temp_directory_path() / ("ting-test-" + randomPassword(10));
      std::filesystem::create_directories(dir_);
      url = (dir_ / "ting.db").string();
    } else {
      const char* admin = std::getenv("TING_TEST_PG_URL");
      if (!admin || !*admin) {
        skip_ = "TING_TEST_PG_URL is not set";
        return;
      }
      auto server = openDatabase(admin, {.pool_size = 1});
      if (!server.isOk()) {
        error_ = server.status().message();
        return;
      }
      std::string name = "t_" + randomPassword(12);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      Status s = (*server)->read(
          [&](Session& session) { return session.execScript("CREATE DATABASE " + name); });
      if (!s.isOk()) {
        error_ = s.message();
        return;
      }
      std::string base(admin);
      url = base.substr(0, base.rfind('/') + 1) + name;
    }
    auto db = openDatabase(url, options);
    if (!db.isOk()) {
      error_ = db.status().message();
      return;
    }
    db_ = std::move(db).value();
    auto m = migrate(*db_);
    if (!m.isOk()) error_ = m.status().message();
  }

  ~TestDatabase() {
    db_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  const std::string& skipReason() const { return skip_; }
  const std::string& error() const { return error_; }
  Database& db() { return *db_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  std::string skip_;
  std::string error_;
};

inline std::string dialectName(const testing::TestParamInfo<Dialect>& info) {
  return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace ting::store

// In a SetUp(): skips or fails unless the database is ready.
#define TING_REQUIRE_TEST_DATABASE(tdb)                                  \
  do {                                                                   \
    if (!(tdb).skipReason().empty()) GTEST_SKIP() << (tdb).skipReason(); \
    ASSERT_TRUE((tdb).error().empty()) << (tdb).error();                 \
  } while (0)
