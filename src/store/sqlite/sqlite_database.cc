#include "store/sqlite/sqlite_database.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <semaphore>
#include <thread>
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
  std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
  if (writer) {
    // The writer keeps a larger page cache (32 MiB) and never checkpoints in
    // the commit path: the checkpointer thread does (see SqliteDatabase).
    pragmas +=
        "PRAGMA journal_mode=WAL; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=0; "
        "PRAGMA journal_size_limit=67108864; "
        "PRAGMA synchronous=" +
        synchronous + ";";
  }
  TING_RETURN_IF_ERROR(session->execScript(pragmas));
  return session;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, std::unique_ptr<SqliteSession> writer, QueryTimers timers)
      : path_(std::move(path)), writer_(std::move(writer)), timers_(timers) {}

  ~SqliteDatabase() override {
    {
      std::lock_guard lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  // Copies the WAL into the database off the commit path: every second, or
  // sooner after kCheckpointCommits commits. PASSIVE never blocks writers or
  // readers; the fsync it needs happens on this thread.
  Status startCheckpointer(const std::string& synchronous) {
    TING_ASSIGN_OR_RETURN(checkpoint_conn_, openConnection(path_, false, synchronous));
    // A connection that has not read the database does not know it is in WAL
    // mode, and its checkpoints silently do nothing (log = -1).
    TING_RETURN_IF_ERROR(checkpoint_conn_->execScript("PRAGMA journal_mode=WAL"));
    checkpointer_ = std::thread([this] {
      std::unique_lock lock(checkpoint_mu_);
      while (!stopping_) {
        checkpoint_cv_.wait_for(lock, std::chrono::seconds(1),
                                [&] { return stopping_ || commits_ >= kCheckpointCommits; });
        commits_ = 0;
        lock.unlock();
        int log_frames = 0, done_frames = 0;
        int rc = sqlite3_wal_checkpoint_v2(checkpoint_conn_->handle(), nullptr,
                                           SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
          spdlog::warn("sqlite checkpoint failed: {}", sqlite3_errstr(rc));
        }
        // Under a steady stream of writes a passive checkpoint never catches
        // up, and the WAL would grow without end: the writer finishes it
        // between two batches (see runBatch).
        if (log_frames > kRestartFrames) restart_wanted_ = true;
        lock.lock();
      }
    });
    return Status::ok();
  }

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
    Status s = runGuarded(fn, *reader);
    {
      std::lock_guard lock(readers_mu_);
      idle_readers_.push_back(std::move(reader));
    }
    readers_cv_.notify_one();
    observe(timers_.read, start, s);
    return s;
  }

  // Group commit: writers queue; one of them (the leader) runs every queued
  // transaction inside one SQLite transaction, each in its own SAVEPOINT so a
  // failing one rolls back alone, and commits once. Concurrent writes then
  // share one WAL append of their common pages instead of one each.
  Status write(const std::function<Status(Session&)>& fn) override {
    auto start = SteadyClock::now();
    PendingWrite me{&fn};
    bool lead = false;
    {
      std::lock_guard lock(queue_mu_);
      queue_.push_back(&me);
      if (!leader_active_) leader_active_ = lead = true;
    }
    if (!lead) {
      me.wake.acquire();  // by a leader: done, or our turn to lead
      lead = !me.done;
    }
    if (lead) {
      std::vector<PendingWrite*> batch;
      {
        std::lock_guard lock(queue_mu_);
        batch.swap(queue_);
      }
      runBatch(batch);
      PendingWrite* next = nullptr;
      {
        std::lock_guard lock(queue_mu_);
        if (queue_.empty()) {
          leader_active_ = false;
        } else {
          next = queue_.front();  // hands leadership on; leader_active_ stays true
        }
      }
      for (auto* w : batch) {
        if (w != &me) w->wake.release();  // each wakes exactly once, after `done`
      }
      if (next) next->wake.release();
    }
    observe(timers_.write, start, me.status);
    return me.status;
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
  struct PendingWrite {
    explicit PendingWrite(const std::function<Status(Session&)>* f) : fn(f) {}
    const std::function<Status(Session&)>* fn;
    Status status;
    bool done = false;  // set by the leader before `wake` is released
    std::binary_semaphore wake{0};
  };

  // Runs `batch` in one transaction on writer_. Only the leader calls it.
  void runBatch(const std::vector<PendingWrite*>& batch) {
    std::vector<PendingWrite*> applied;  // inside the open transaction
    auto finish = [&](const Status& commit) {
      for (auto* w : applied) w->status = commit;
      applied.clear();
    };
    bool open = false;
    for (auto* w : batch) {
      if (!open) {
        Status b = writer_->exec("BEGIN IMMEDIATE", {});
        if (!b.isOk()) {
          w->status = b;
          continue;
        }
        open = true;
      }
      Status s = writer_->exec("SAVEPOINT w", {});
      if (!s.isOk()) {
        w->status = s;
        continue;
      }
      s = runGuarded(*w->fn, *writer_);
      if (sqlite3_get_autocommit(writer_->handle())) {
        // SQLite rolled the whole transaction back (I/O error, disk full):
        // everything applied so far in this batch is lost with it.
        open = false;
        Status lost = s.isOk() ? unavailable("sqlite rolled the transaction back") : s;
        finish(lost);
        w->status = lost;
        continue;
      }
      if (s.isOk()) s = writer_->exec("RELEASE w", {});
      if (s.isOk()) {
        applied.push_back(w);
      } else {
        Status rb = writer_->execScript("ROLLBACK TO w; RELEASE w");
        if (!rb.isOk()) spdlog::error("sqlite rollback to savepoint failed: {}", rb.message());
        w->status = s;
      }
    }
    if (open) {
      Status c = writer_->exec("COMMIT", {});
      if (!c.isOk() && !sqlite3_get_autocommit(writer_->handle())) {
        Status rb = writer_->exec("ROLLBACK", {});
        if (!rb.isOk()) spdlog::error("sqlite rollback failed: {}", rb.message());
      }
      if (c.isOk() && restart_wanted_.exchange(false)) {
        // Between batches no transaction can append to the WAL (writers queue
        // behind this leader), so this checkpoint can finish what the passive
        // ones left, and the next transaction then writes the WAL from its
        // start. PASSIVE never waits: busy now means retry after a later batch.
        int rc = sqlite3_wal_checkpoint_v2(writer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           nullptr, nullptr);
        if (rc == SQLITE_BUSY) restart_wanted_ = true;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
          spdlog::warn("sqlite checkpoint failed: {}", sqlite3_errstr(rc));
        }
      }
      if (c.isOk()) {
        std::lock_guard ck(checkpoint_mu_);
        commits_ += static_cast<int>(applied.size());
        if (commits_ >= kCheckpointCommits) checkpoint_cv_.notify_one();
      }
      finish(c);
    }
    for (auto* w : batch) w->done = true;
  }

  // Writers queue here; the leader takes the whole queue as one batch, wakes
  // its members when done and hands leadership to the first writer queued
  // meanwhile, so every writer is woken exactly once.
  std::mutex queue_mu_;  // guards queue_ and leader_active_
  std::vector<PendingWrite*> queue_;
  bool leader_active_ = false;
  std::unique_ptr<SqliteSession> writer_;  // used only by the leader
  std::mutex readers_mu_;                  // guards idle_readers_
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<SqliteSession>> idle_readers_;
  QueryTimers timers_;

  static constexpr int kCheckpointCommits = 500;
  static constexpr int kRestartFrames = 16384;  // 64 MiB of 4 KiB pages
  std::atomic<bool> restart_wanted_{false};
  std::unique_ptr<SqliteSession> checkpoint_conn_;
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;  // guards commits_ and stopping_
  std::condition_variable checkpoint_cv_;
  int commits_ = 0;
  bool stopping_ = false;
};

}  // namespace

Result<std::unique_ptr<Database>> openSqlite(const std::string& path,
                                             const DatabaseOptions& options) {
  TING_ASSIGN_OR_RETURN(auto writer, openConnection(path, true, options.sqlite_synchronous));
  auto db = std::make_unique<SqliteDatabase>(path, std::move(writer),
                                             QueryTimers::create(options.metrics, "sqlite"));
  TING_RETURN_IF_ERROR(db->openReaders(std::max(1, options.pool_size), options.sqlite_synchronous));
  TING_RETURN_IF_ERROR(db->startCheckpointer(options.sqlite_synchronous));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace ting::store
