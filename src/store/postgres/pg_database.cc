#include "store/postgres/pg_database.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace ting::store {

std::string rewritePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string redactUrl(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr Oid kInt2 = 21, kInt4 = 23, kInt8 = 20, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700,
              kBool = 16;

Status pgError(PGconn* conn, PGresult* res, std::string_view what) {
  std::string msg = std::string(what) + ": ";
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  msg += res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (state && std::string_view(state) == "23505") return conflict(msg);
  if (PQstatus(conn) != CONNECTION_OK) return unavailable(msg);
  return internalError(msg);
}

class PgSession final : public Session {
 public:
  explicit PgSession(PGconn* conn) : conn_(conn) {}
  ~PgSession() override { PQfinish(conn_); }

  Result<Rows> query(std::string_view sql, std::span<const Value> params) override {
    if (PQstatus(conn_) != CONNECTION_OK) {
      PQreset(conn_);
      statements_.clear();
      if (PQstatus(conn_) != CONNECTION_OK) return pgError(conn_, nullptr, "reconnect");
    }
    std::string key(sql);
    auto it = statements_.find(key);
    if (it == statements_.end()) {
      std::string name = "s" + std::to_string(statements_.size());
      PGresult* prep = PQprepare(conn_, name.c_str(), rewritePlaceholders(sql).c_str(), 0, nullptr);
      bool ok = PQresultStatus(prep) == PGRES_COMMAND_OK;
      Status s = ok ? Status::ok() : pgError(conn_, prep, "prepare");
      PQclear(prep);
      if (!ok) return s;
      it = statements_.emplace(std::move(key), std::move(name)).first;
    }
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        values[i] = nullptr;
        continue;
      }
      if (auto p = std::get_if<std::int64_t>(&v)) texts[i] = std::to_string(*p);
      if (auto p = std::get_if<double>(&v)) texts[i] = fmt::format("{}", *p);
      if (auto p = std::get_if<std::string>(&v)) texts[i] = *p;
      values[i] = texts[i].c_str();
    }
    PGresult* res = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                                   values.data(), nullptr, nullptr, 0);
    auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      Status s = pgError(conn_, res, "query");
      PQclear(res);
      return s;
    }
    Rows rows;
    const int nrows = PQntuples(res), ncols = PQnfields(res);
    rows.reserve(nrows);
    for (int r = 0; r < nrows; ++r) {
      std::vector<Value> row;
      row.reserve(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.emplace_back(std::monostate{});
          continue;
        }
        const char* text = PQgetvalue(res, r, c);
        int len = PQgetlength(res, r, c);
        Oid type = PQftype(res, c);
        if (type == kInt2 || type == kInt4 || type == kInt8) {
          std::int64_t n = 0;
          std::from_chars(text, text + len, n);
          row.emplace_back(n);
        } else if (type == kFloat4 || type == kFloat8 || type == kNumeric) {
          row.emplace_back(std::strtod(text, nullptr));
        } else if (type == kBool) {
          row.emplace_back(std::int64_t{text[0] == 't'});
        } else {
          row.emplace_back(std::string(text, len));
        }
      }
      rows.emplace_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  Status execScript(std::string_view sql) override {
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    auto status = PQresultStatus(res);
    Status s = (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
                   ? Status::ok()
                   : pgError(conn_, res, "script");
    PQclear(res);
    return s;
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool inTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

 private:
  PGconn* conn_;
  std::unordered_map<std::string, std::string> statements_;  // SQL → prepared name
};

class PgDatabase final : public Database {
 public:
  PgDatabase(std::string url, QueryTimers timers) : url_(std::move(url)), timers_(timers) {}

  Status connect(int n) {
    for (int i = 0; i < n; ++i) {
      PGconn* conn = PQconnectdb(url_.c_str());
      if (PQstatus(conn) != CONNECTION_OK) {
        std::string msg = PQerrorMessage(conn);
        PQfinish(conn);
        while (!msg.empty() && msg.back() == '\n') msg.pop_back();
        return unavailable("cannot connect to " + redactUrl(url_) + ": " + msg);
      }
      auto session = std::make_unique<PgSession>(conn);
      TING_RETURN_IF_ERROR(session->execScript("SET client_min_messages TO warning"));
      idle_.push_back(std::move(session));
    }
    return Status::ok();
  }

  Status read(const std::function<Status(Session&)>& fn) override {
    auto start = SteadyClock::now();
    Status s = withConnection([&](PgSession& session) { return runGuarded(fn, session); });
    observe(timers_.read, start, s);
    return s;
  }

  Status write(const std::function<Status(Session&)>& fn) override {
    auto start = SteadyClock::now();
    Status s = withConnection([&](PgSession& session) -> Status {
      TING_RETURN_IF_ERROR(session.execScript("BEGIN"));
      Status inner = runGuarded(fn, session);
      if (inner.isOk()) inner = session.execScript("COMMIT");
      if (!inner.isOk() && session.inTransaction()) {
        Status rb = session.execScript("ROLLBACK");
        if (!rb.isOk()) spdlog::error("postgres rollback failed: {}", rb.message());
      }
      return inner;
    });
    observe(timers_.write, start, s);
    return s;
  }

  Status backupTo(const std::string&) override {
    return invalidArgument("the database is PostgreSQL: back it up with pg_dump or pg_basebackup");
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string describe() const override { return redactUrl(url_); }

 private:
  Status withConnection(const std::function<Status(PgSession&)>& fn) {
    std::unique_ptr<PgSession> session;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty(); });
      session = std::move(idle_.back());
      idle_.pop_back();
    }
    Status s = fn(*session);
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(session));
    }
    cv_.notify_one();
    return s;
  }

  void observe(Histogram* h, SteadyClock::time_point start, const Status& s) {
    if (h) h->observe(std::chrono::duration<double>(SteadyClock::now() - start).count());
    if (!s.isOk() && timers_.errors && s.code() != StatusCode::kNotFound) timers_.errors->inc();
  }

  std::string url_;
  std::mutex mu_;  // guards idle_
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgSession>> idle_;
  QueryTimers timers_;
};

}  // namespace

Result<std::unique_ptr<Database>> openPostgres(const std::string& url,
                                               const DatabaseOptions& options) {
  auto db = std::make_unique<PgDatabase>(url, QueryTimers::create(options.metrics, "postgres"));
  TING_RETURN_IF_ERROR(db->connect(std::max(1, options.pool_size)));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace ting::store
