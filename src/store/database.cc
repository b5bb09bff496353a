#include "store/database.h"

#include <fmt/format.h>

#include <charconv>

#include "store/postgres/pg_database.h"
#include "store/sqlite/sqlite_database.h"

namespace ting::store {

std::int64_t Row::integer(size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    std::int64_t n = 0;
    std::from_chars(p->data(), p->data() + p->size(), n);
    return n;
  }
  return 0;
}

std::string Row::text(size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return fmt::format("{}", *p);
  return {};
}

Result<Row> Session::queryOne(std::string_view sql, std::initializer_list<Value> params) {
  TING_ASSIGN_OR_RETURN(Rows rows, query(sql, params));
  if (rows.empty()) return notFound("no such row");
  return std::move(rows.front());
}

Status Session::defer(std::string_view sql, std::span<const Value> params, OnRows on_rows) {
  TING_ASSIGN_OR_RETURN(Rows rows, query(sql, params));
  if (on_rows) on_rows(rows);
  return Status::ok();
}

Result<Rows> Database::query(std::string_view sql, std::initializer_list<Value> params) {
  Rows out;
  std::vector<Value> copy(params);
  Status s = read([&](Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(out, session.query(sql, std::span<const Value>(copy)));
    return Status::ok();
  });
  if (!s.isOk()) return s;
  return out;
}

Status runGuarded(const std::function<Status(Session&)>& fn, Session& session) {
  try {
    return fn(session);
  } catch (const std::exception& e) {
    return internalError(std::string("database callback threw: ") + e.what());
  } catch (...) {
    return internalError("database callback threw");
  }
}

QueryTimers QueryTimers::create(MetricsRegistry* metrics, const char* backend) {
  QueryTimers t;
  if (!metrics) return t;
  std::string b = fmt::format("backend=\"{}\"", backend);
  t.read = &metrics->histogram("ting_db_read_seconds", "Time spent in database reads.", b);
  t.write = &metrics->histogram("ting_db_transaction_seconds",
                                "Time spent in database write transactions, commit included.", b);
  t.errors = &metrics->counter("ting_db_errors_total", "Database statements that failed.", b);
  return t;
}

Result<std::unique_ptr<Database>> openDatabase(const std::string& url,
                                               const DatabaseOptions& options) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    return openPostgres(url, options);
  }
  return openSqlite(url, options);
}

}  // namespace ting::store
