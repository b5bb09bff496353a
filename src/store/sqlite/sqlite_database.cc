#include "store/sqlite/sqlite_database.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

namespace ting::store {

namespace {

using SteadyClock = std::chrono::steady_clock;

double secondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

Status sqliteError(sqlite3* db, int rc, std::string_view what) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return conflict(msg);
  }
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_CANTOPEN || rc == SQLITE_FULL ||
      rc == SQLITE_IOERR) {
    return unavailable(msg);
  }
  return internalError(msg);
}

// One connection with its prepared statements.
class SqliteSession final : public Session {
 public:
  explicit SqliteSession(sqlite3* db) : db_(db) {}
  ~SqliteSession() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Result<Rows> query(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = nullptr;
    TING_RETURN_IF_ERROR(prepare(sql, stmt));
    // Reset even on early return so the statement does not hold a read lock.
    struct Resetter {
      sqlite3_stmt* s;
      ~Resetter() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } resetter{stmt};
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return internalError("statement expects " +
                           std::to_string(sqlite3_bind_parameter_count(stmt)) +
                           " parameters, got " + std::to_string(params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              return sqlite3_bind_null(stmt, idx);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              return sqlite3_bind_int64(stmt, idx, v);
            } else if constexpr (std::is_same_v<T, double>) {
              return sqlite3_bind_double(stmt, idx, v);
            } else {
              return sqlite3_bind_text(stmt, idx, v.data(), static_cast<int>(v.size()),
                                       SQLITE_STATIC);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) return sqliteError(db_, rc, "bind");
    }
    Rows rows;
    const int columns = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return sqliteError(db_, rc, "step");
      std::vector<Value> values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            values.emplace_back(sqlite3_column_int64(stmt, c));
            break;
          case SQLITE_FLOAT:
            values.emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_NULL:
            values.emplace_back(std::monostate{});
            break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
          }
        }
      }
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  Status execScript(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return internalError("sqlite: " + msg);
    }
    return Status::ok();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  sqlite3* handle() const { return db_; }

 private:
  Status prepare(std::string_view sql, sqlite3_stmt*& out) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) {
      out = it->second;
      return Status::ok();
    }
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &out, nullptr);
    if (rc != SQLITE_OK) return sqliteError(db_, rc, "prepare");
    statements_.emplace(std::string(sql), out);
    return Status::ok();
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

Result<std::unique_ptr<SqliteSession>> openConnection(const std::string& path, bool writer,
                                                      const std::string& synchronous) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE | (writer ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqliteError(db, rc, "open " + path);
    sqlite3_close_v2(db);
    return Status(StatusCode::kUnavailable, s.message());
  }
  auto session = std::make_unique<SqliteSession>(db);
  sqlite3_busy_timeout(db, 10000);
  std::string pragmas = "PRAGMA foreign_keys=ON;";
  if (writer) {
    pragmas += "PRAGMA journal_mode=WAL; PRAGMA synchronous=" + synchronous + ";";
  }
  TING_RETURN_IF_ERROR(session->execScript(pragmas));
  return session;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, std::unique_ptr<SqliteSession> writer, QueryTimers timers)
      : path_(std::move(path)), writer_(std::move(writer)), timers_(timers) {}

  Status openReaders(int n, const std::string& synchronous) {
    for (int i = 0; i < n; ++i) {
      TING_ASSIGN_OR_RETURN(auto reader, openConnection(path_, false, synchronous));
      idle_readers_.push_back(std::move(reader));
    }
    return Status::ok();
  }

  Status read(const std::function<Status(Session&)>& fn) override {
    auto start = SteadyClock::now();
    std::unique_ptr<SqliteSession> reader;
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
      reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
    Status s = fn(*reader);
    {
      std::lock_guard lock(readers_mu_);
      idle_readers_.push_back(std::move(reader));
    }
    readers_cv_.notify_one();
    observe(timers_.read, start, s);
    return s;
  }

  Status write(const std::function<Status(Session&)>& fn) override {
    std::lock_guard lock(writer_mu_);
    auto start = SteadyClock::now();
    Status s = writer_->exec("BEGIN IMMEDIATE", {});
    if (s.isOk()) {
      s = fn(*writer_);
      if (s.isOk()) {
        s = writer_->exec("COMMIT", {});
      }
      if (!s.isOk() && !sqlite3_get_autocommit(writer_->handle())) {
        Status rb = writer_->exec("ROLLBACK", {});
        if (!rb.isOk()) spdlog::error("sqlite rollback failed: {}", rb.message());
      }
    }
    observe(timers_.write, start, s);
    return s;
  }

  Status backupTo(const std::string& dest_path) override {
    sqlite3* dest = nullptr;
    int rc = sqlite3_open_v2(dest_path.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             nullptr);
    if (rc != SQLITE_OK) {
      Status s = sqliteError(dest, rc, "open " + dest_path);
      sqlite3_close_v2(dest);
      return s;
    }
    // A reader connection gives a consistent snapshot without blocking the writer.
    Status result = read([&](Session& session) -> Status {
      auto& src = static_cast<SqliteSession&>(session);
      sqlite3_backup* backup = sqlite3_backup_init(dest, "main", src.handle(), "main");
      if (!backup) return sqliteError(dest, sqlite3_errcode(dest), "backup");
      int step = sqlite3_backup_step(backup, -1);  // all pages in one step: one snapshot
      sqlite3_backup_finish(backup);
      if (step != SQLITE_DONE) return sqliteError(dest, step, "backup");
      return Status::ok();
    });
    sqlite3_close_v2(dest);
    return result;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string describe() const override { return "sqlite:" + path_; }

 private:
  void observe(Histogram* h, SteadyClock::time_point start, const Status& s) {
    if (h) h->observe(secondsSince(start));
    if (!s.isOk() && timers_.errors && s.code() != StatusCode::kNotFound) timers_.errors->inc();
  }

  std::string path_;
  std::mutex writer_mu_;  // one transaction at a time on writer_
  std::unique_ptr<SqliteSession> writer_;
  std::mutex readers_mu_;  // guards idle_readers_
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<SqliteSession>> idle_readers_;
  QueryTimers timers_;
};

}  // namespace

Result<std::unique_ptr<Database>> openSqlite(const std::string& path,
                                             const DatabaseOptions& options) {
  TING_ASSIGN_OR_RETURN(auto writer, openConnection(path, true, options.sqlite_synchronous));
  auto db = std::make_unique<SqliteDatabase>(path, std::move(writer),
                                             QueryTimers::create(options.metrics, "sqlite"));
  TING_RETURN_IF_ERROR(db->openReaders(std::max(1, options.pool_size), options.sqlite_synchronous));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace ting::store
