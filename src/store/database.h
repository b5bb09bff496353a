#pragma once
// The database behind Ting: SQLite (embedded, default) or PostgreSQL. Both
// adapters take the same SQL — `?` placeholders, BIGINT millisecond times,
// INTEGER booleans — and never throw: failures come back as Status
// (kConflict for a unique violation, kUnavailable for a lost connection).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"

namespace ting::store {

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

inline Value nullValue() {
  return std::monostate{};
}
// An optional text: empty means NULL.
inline Value textOrNull(const std::string& s) {
  return s.empty() ? Value{} : Value{s};
}
// An optional integer (an id, a time): none means NULL.
inline Value intOrNull(const std::optional<std::int64_t>& v) {
  return v ? Value{*v} : Value{};
}

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool isNull(size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }
  // Integer value; 0 for NULL. Converts text holding digits.
  std::int64_t integer(size_t i) const;
  // Text value; "" for NULL. Renders numbers.
  std::string text(size_t i) const;
  const Value& value(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;

enum class Dialect { kSqlite, kPostgres };

// One connection, used by one thread at a time (inside read() or write()).
class Session {
 public:
  virtual ~Session() = default;
  virtual Result<Rows> query(std::string_view sql, std::span<const Value> params) = 0;
  // Runs several statements without parameters (migrations).
  virtual Status execScript(std::string_view sql) = 0;
  virtual Dialect dialect() const = 0;

  // A statement whose answer the caller does not wait for: an insert of
  // history, an event, an audit entry. PostgreSQL sends deferred statements
  // together with the next statement that needs an answer, or with the
  // commit, in one round trip (libpq's pipeline mode); SQLite runs them at
  // once. A deferred statement that fails fails the statement or commit it
  // went with, and so the transaction. `on_rows`, when given, gets its rows
  // once it has run — on PostgreSQL possibly only during the commit, so it
  // must not refer to anything that ends with the caller's function unless
  // the caller flushes first. Several reads deferred and then flushed cost
  // one round trip.
  using OnRows = std::function<void(Rows&)>;
  virtual Status defer(std::string_view sql, std::span<const Value> params, OnRows on_rows);
  Status defer(std::string_view sql, std::initializer_list<Value> params, OnRows on_rows = {}) {
    return defer(sql, std::span<const Value>(params.begin(), params.size()), std::move(on_rows));
  }
  // Runs what is deferred now.
  virtual Status flush() { return Status::ok(); }
  // Runs one statement in a transaction of its own, committed at once
  // whatever becomes of the caller's: numbering, where holding a counter's
  // row lock until the caller commits would queue every concurrent writer
  // behind it. PostgreSQL uses a connection kept for this, so a failed caller
  // leaves a gap in the numbers. SQLite runs it in the caller's transaction:
  // its one writer queues writers anyway.
  virtual Result<Rows> queryAutonomous(std::string_view sql, std::span<const Value> params) {
    return query(sql, params);
  }
  Result<Rows> queryAutonomous(std::string_view sql, std::initializer_list<Value> params) {
    return queryAutonomous(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // SQL for the id the previous INSERT of this session generated, usable in a
  // deferred statement that follows it.
  std::string_view lastInsertId() const {
    return dialect() == Dialect::kPostgres ? "lastval()" : "last_insert_rowid()";
  }

  Result<Rows> query(std::string_view sql, std::initializer_list<Value> params) {
    return query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  Status exec(std::string_view sql, std::initializer_list<Value> params) {
    auto r = query(sql, params);
    return r.isOk() ? Status::ok() : r.status();
  }
  // The first row, or kNotFound.
  Result<Row> queryOne(std::string_view sql, std::initializer_list<Value> params);
};

class Database {
 public:
  virtual ~Database() = default;

  // Runs `fn` on a connection for reading (SQLite: one of the reader pool, so
  // reads never wait for the writer).
  virtual Status read(const std::function<Status(Session&)>& fn) = 0;
  // Runs `fn` in a transaction: committed when fn returns ok, rolled back
  // otherwise. SQLite has one writer; callers queue for it.
  virtual Status write(const std::function<Status(Session&)>& fn) = 0;
  // Consistent online copy of the database to `path` (SQLite only).
  virtual Status backupTo(const std::string& path) = 0;
  virtual Dialect dialect() const = 0;
  // Where the data lives, without credentials.
  virtual std::string describe() const = 0;

  // Convenience: one query on a reader.
  Result<Rows> query(std::string_view sql, std::initializer_list<Value> params);
};

struct DatabaseOptions {
  int pool_size = 8;
  std::string sqlite_synchronous = "normal";
  MetricsRegistry* metrics = nullptr;  // optional: query timings
};

// Opens `url`: postgresql://... or postgres://... for PostgreSQL, anything else
// is a SQLite file path (its directory must exist).
Result<std::unique_ptr<Database>> openDatabase(const std::string& url,
                                               const DatabaseOptions& options);

// Runs a caller's function on a pooled connection; an exception (a bug)
// becomes an internal error instead of unwinding through the pool or the
// SQLite group-commit leader, which would strand the connection and every
// writer queued behind it.
Status runGuarded(const std::function<Status(Session&)>& fn, Session& session);

// Query timing histograms shared by both adapters.
struct QueryTimers {
  Histogram* read = nullptr;
  Histogram* write = nullptr;
  Counter* errors = nullptr;
  static QueryTimers create(MetricsRegistry* metrics, const char* backend);
};

}  // namespace ting::store
