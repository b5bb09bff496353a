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

// Result rows as Values: integers, floats and booleans typed, the rest text.
Rows rowsOf(PGresult* res) {
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
  return rows;
}

bool resultOk(PGresult* res) {
  auto status = PQresultStatus(res);
  return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

// Parameters as libpq wants them: text, nullptr for NULL.
class TextParams {
 public:
  explicit TextParams(std::span<const Value> params) : texts_(params.size()), ptrs_(params.size()) {
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) continue;
      if (auto p = std::get_if<std::int64_t>(&v)) texts_[i] = std::to_string(*p);
      if (auto p = std::get_if<double>(&v)) texts_[i] = fmt::format("{}", *p);
      if (auto p = std::get_if<std::string>(&v)) texts_[i] = *p;
      ptrs_[i] = texts_[i].c_str();
    }
  }
  int size() const { return static_cast<int>(ptrs_.size()); }
  const char* const* values() const { return ptrs_.data(); }

 private:
  std::vector<std::string> texts_;
  std::vector<const char*> ptrs_;
};

class PgSession;

// The connection kept for Session::queryAutonomous: one statement at a time,
// each committed on its own.
class Autonomous {
 public:
  explicit Autonomous(std::unique_ptr<PgSession> session);
  ~Autonomous();
  Result<Rows> query(std::string_view sql, std::span<const Value> params);

 private:
  std::mutex mu_;
  std::unique_ptr<PgSession> session_;
};

class PgSession final : public Session {
 public:
  explicit PgSession(PGconn* conn, Autonomous* autonomous = nullptr)
      : conn_(conn), autonomous_(autonomous) {}
  ~PgSession() override { PQfinish(conn_); }

  Result<Rows> query(std::string_view sql, std::span<const Value> params) override {
    if (!pending_.empty()) {
      pending_.push_back({std::string(sql), {params.begin(), params.end()}, {}, false, true});
      return runPipeline();
    }
    TING_RETURN_IF_ERROR(ensureConnected());
    std::string key(sql);
    auto it = statements_.find(key);
    if (it == statements_.end()) {
      std::string name = nextName();
      PGresult* prep = PQprepare(conn_, name.c_str(), rewritePlaceholders(sql).c_str(), 0, nullptr);
      bool ok = PQresultStatus(prep) == PGRES_COMMAND_OK;
      Status s = ok ? Status::ok() : pgError(conn_, prep, "prepare");
      PQclear(prep);
      if (!ok) return s;
      it = statements_.emplace(std::move(key), std::move(name)).first;
    }
    TextParams text(params);
    PGresult* res =
        PQexecPrepared(conn_, it->second.c_str(), text.size(), text.values(), nullptr, nullptr, 0);
    if (!resultOk(res)) {
      Status s = pgError(conn_, res, "query");
      PQclear(res);
      return s;
    }
    Rows rows = rowsOf(res);
    PQclear(res);
    return rows;
  }

  Status defer(std::string_view sql, std::span<const Value> params, OnRows on_rows) override {
    pending_.push_back({std::string(sql), {params.begin(), params.end()}, std::move(on_rows)});
    return Status::ok();
  }

  Status execScript(std::string_view sql) override {
    TING_RETURN_IF_ERROR(flush());
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    Status s = resultOk(res) ? Status::ok() : pgError(conn_, res, "script");
    PQclear(res);
    return s;
  }

  Result<Rows> queryAutonomous(std::string_view sql, std::span<const Value> params) override {
    if (!autonomous_) return query(sql, params);
    return autonomous_->query(sql, params);
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool inTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

  using Session::defer;
  using Session::query;
  using Session::queryAutonomous;

  // A command without parameters (BEGIN, COMMIT) that goes with the next
  // round trip.
  void deferCommand(std::string sql) { pending_.push_back({std::move(sql), {}, {}, true}); }
  // Whether the transaction has not sent or deferred anything since BEGIN.
  bool onlyBeginPending() const { return pending_.size() == 1 && pending_[0].sql == "BEGIN"; }
  Status flush() override {
    if (pending_.empty()) return Status::ok();
    return runPipeline().status();
  }
  void discardPending() { pending_.clear(); }

 private:
  struct Item {
    std::string sql;
    std::vector<Value> params;
    OnRows on_rows;
    bool command = false;  // sent as is: no statement to prepare
    bool answer = false;   // the rows the caller waits for
  };

  Status ensureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::ok();
    PQreset(conn_);
    statements_.clear();
    if (PQstatus(conn_) != CONNECTION_OK) return pgError(conn_, nullptr, "reconnect");
    return Status::ok();
  }

  std::string nextName() { return "s" + std::to_string(next_statement_++); }

  // Sends every pending item in one pipeline and one sync, then reads their
  // results in order. The first failure is the answer; later items are
  // skipped by the server. Returns the rows of the item marked `answer`.
  Result<Rows> runPipeline() {
    std::vector<Item> items = std::move(pending_);
    pending_.clear();
    if (PQstatus(conn_) != CONNECTION_OK) {
      return ensureConnected().isOk() ? unavailable("connection to postgres was reset")
                                      : pgError(conn_, nullptr, "reconnect");
    }
    if (PQenterPipelineMode(conn_) != 1) return pgError(conn_, nullptr, "pipeline");
    // What each result in order belongs to: a preparation or an item.
    struct Expect {
      Item* item = nullptr;
      std::string prepared;  // a statement prepared here: its SQL
      std::string name;
    };
    std::vector<Expect> expect;
    std::unordered_map<std::string, std::string> preparing;
    Status status;
    for (auto& item : items) {
      int sent = 0;
      if (item.command) {
        sent = PQsendQueryParams(conn_, item.sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
      } else {
        std::string name;
        if (auto it = statements_.find(item.sql); it != statements_.end()) {
          name = it->second;
        } else if (auto p = preparing.find(item.sql); p != preparing.end()) {
          name = p->second;
        } else {
          name = nextName();
          if (PQsendPrepare(conn_, name.c_str(), rewritePlaceholders(item.sql).c_str(), 0,
                            nullptr) != 1) {
            status = pgError(conn_, nullptr, "send");
            break;
          }
          expect.push_back({nullptr, item.sql, name});
          preparing.emplace(item.sql, name);
        }
        TextParams text(item.params);
        sent = PQsendQueryPrepared(conn_, name.c_str(), text.size(), text.values(), nullptr,
                                   nullptr, 0);
      }
      if (sent != 1) {
        status = pgError(conn_, nullptr, "send");
        break;
      }
      expect.push_back({&item, {}, {}});
    }
    PQpipelineSync(conn_);
    Rows answer;
    size_t next = 0;
    bool synced = false;
    int nulls_in_a_row = 0;
    while (!synced && nulls_in_a_row < 2) {
      PGresult* res = PQgetResult(conn_);
      if (!res) {
        ++nulls_in_a_row;
        continue;  // the end of one item's results
      }
      nulls_in_a_row = 0;
      const auto st = PQresultStatus(res);
      if (st == PGRES_PIPELINE_SYNC) {
        synced = true;
      } else if (next < expect.size()) {
        Expect& e = expect[next++];
        if (st == PGRES_PIPELINE_ABORTED) {
          // Skipped after an earlier failure, which is the answer.
        } else if (!resultOk(res)) {
          if (status.isOk()) status = pgError(conn_, res, "query");
        } else if (!e.item) {
          statements_.emplace(e.prepared, e.name);
        } else if (e.item->answer || e.item->on_rows) {
          Rows rows = rowsOf(res);
          if (e.item->answer) {
            answer = std::move(rows);
          } else {
            e.item->on_rows(rows);
          }
        }
      }
      PQclear(res);
    }
    if (!synced && status.isOk()) status = pgError(conn_, nullptr, "pipeline");
    if (synced && next < expect.size() && status.isOk()) {
      status = internalError("postgres pipeline: results missing");
    }
    PQexitPipelineMode(conn_);
    if (!status.isOk()) return status;
    return answer;
  }

  PGconn* conn_;
  Autonomous* autonomous_;
  std::unordered_map<std::string, std::string> statements_;  // SQL → prepared name
  std::uint64_t next_statement_ = 0;
  std::vector<Item> pending_;  // deferred, in order
};

Autonomous::Autonomous(std::unique_ptr<PgSession> session) : session_(std::move(session)) {}
Autonomous::~Autonomous() = default;

Result<Rows> Autonomous::query(std::string_view sql, std::span<const Value> params) {
  std::lock_guard lock(mu_);
  return session_->query(sql, params);
}

class PgDatabase final : public Database {
 public:
  PgDatabase(std::string url, QueryTimers timers) : url_(std::move(url)), timers_(timers) {}

  Status connect(int n) {
    TING_ASSIGN_OR_RETURN(auto own, open(nullptr));
    // Its commits need not wait for the disk: the write-ahead log is flushed
    // in order, so the commit of any transaction that used what it reserved
    // makes it durable too.
    TING_RETURN_IF_ERROR(own->execScript("SET synchronous_commit TO off"));
    autonomous_ = std::make_unique<Autonomous>(std::move(own));
    for (int i = 0; i < n; ++i) {
      TING_ASSIGN_OR_RETURN(auto session, open(autonomous_.get()));
      idle_.push_back(std::move(session));
    }
    return Status::ok();
  }

  Status read(const std::function<Status(Session&)>& fn) override {
    auto start = SteadyClock::now();
    Status s = withConnection([&](PgSession& session) {
      Status inner = runGuarded(fn, session);
      if (inner.isOk()) return session.flush();
      session.discardPending();
      return inner;
    });
    observe(timers_.read, start, s);
    return s;
  }

  Status write(const std::function<Status(Session&)>& fn) override {
    auto start = SteadyClock::now();
    Status s = withConnection([&](PgSession& session) -> Status {
      // BEGIN goes with the first statement and COMMIT with what is still
      // deferred: a transaction costs no round trips of its own.
      session.deferCommand("BEGIN");
      Status inner = runGuarded(fn, session);
      if (inner.isOk() && session.onlyBeginPending()) {
        session.discardPending();  // nothing to commit
      } else if (inner.isOk()) {
        session.deferCommand("COMMIT");
        inner = session.flush();
      }
      if (!inner.isOk()) {
        session.discardPending();
        if (session.inTransaction()) {
          Status rb = session.execScript("ROLLBACK");
          if (!rb.isOk()) spdlog::error("postgres rollback failed: {}", rb.message());
        }
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

  Result<std::unique_ptr<PgSession>> open(Autonomous* autonomous) {
    PGconn* conn = PQconnectdb(url_.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn);
      PQfinish(conn);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return unavailable("cannot connect to " + redactUrl(url_) + ": " + msg);
    }
    auto session = std::make_unique<PgSession>(conn, autonomous);
    TING_RETURN_IF_ERROR(session->execScript("SET client_min_messages TO warning"));
    return session;
  }

  std::string url_;
  std::unique_ptr<Autonomous> autonomous_;  // before idle_: sessions point to it
  std::mutex mu_;                           // guards idle_
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
