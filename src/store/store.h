#pragma once
// The Store: the database plus the rules every business write follows —
// an audit entry in the same transaction, domain events published only after
// the commit.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/event_bus.h"
#include "store/database.h"

namespace ting::store {

// Who is acting: every write and every audited read names one.
struct Actor {
  std::int64_t tenant_id = 0;
  std::int64_t user_id = 0;  // 0: Ting itself (seeding, CLI)
  std::string name;          // username, or "system" / "cli"
  std::string request_id;
};

struct AuditEntry {
  std::string entity;  // "customer", "user", "tenant", "session"
  std::string entity_id;
  std::string action;          // "create", "update", "delete", "read", "login", ...
  std::string before_json;     // empty: null
  std::string after_json;      // empty: null
  std::int64_t tenant_id = 0;  // 0: the actor's tenant
};

// A write transaction in progress.
class Tx {
 public:
  // `events` receives what the transaction emits; it must outlive the commit
  // (an audit entry's id may arrive only then).
  Tx(Session& session, const Actor& actor, const Clock& clock, std::vector<DomainEvent>& events)
      : session_(session), actor_(actor), clock_(clock), now_(clock.nowMillis()), events_(events) {}

  Session& session() { return session_; }
  const Actor& actor() const { return actor_; }
  // Acts within `tenant_id` from here on (seeding a tenant just created).
  void setTenant(std::int64_t tenant_id) { actor_.tenant_id = tenant_id; }
  // One timestamp for everything this transaction writes.
  UnixMillis now() const { return now_; }

  // Appends to the audit log in this transaction. Within a tenant, audit ids,
  // their times and commit order agree (PostgreSQL: a per-tenant lock held
  // from the first audit entry to the commit, the time taken under it;
  // SQLite has one writer anyway), so readers polling by id or by time never
  // miss an entry. The insert is deferred: on PostgreSQL a create's audit
  // entry goes with its commit, so the lock is held for one round trip.
  Status audit(const AuditEntry& entry);
  // Published on the bus if, and only if, the transaction commits.
  void emit(DomainEvent event);

 private:
  Session& session_;
  Actor actor_;
  const Clock& clock_;
  UnixMillis now_;
  std::vector<std::int64_t> audit_locked_;  // tenants whose audit lock this tx holds
  std::vector<DomainEvent>& events_;
};

class Store {
 public:
  Store(Database& db, EventBus& bus, const Clock& clock) : db_(db), bus_(bus), clock_(clock) {}

  Database& db() { return db_; }
  const Clock& clock() const { return clock_; }

  // Runs `fn` in a transaction on behalf of `actor`; on commit publishes the
  // events it emitted (audit.appended included).
  Status write(const Actor& actor, const std::function<Status(Tx&)>& fn);
  Status read(const std::function<Status(Session&)>& fn) { return db_.read(fn); }

 private:
  Database& db_;
  EventBus& bus_;
  const Clock& clock_;
};

// Keyset pagination over one table, always within one tenant.
struct PageRequest {
  std::string sort_column = "id";  // must be NOT NULL; callers whitelist it
  bool descending = false;
  int limit = 50;
  // From the previous page's last row: (sort value, id).
  std::optional<std::pair<Value, std::int64_t>> after;
};

struct PageQuery {
  std::string table;
  std::string columns;  // "id, name, ..." — `id` first
  std::int64_t tenant_id = 0;
  std::string filter_sql;  // extra "AND ..." conditions with ? placeholders
  std::vector<Value> filter_params;
};

struct Page {
  Rows rows;  // at most limit
  bool has_more = false;
  // Sort value of each returned row, for the cursor (same order as rows).
  std::vector<Value> sort_values;
};

// A LIKE pattern (use with ESCAPE '\\') matching values containing `text`,
// ASCII-lower-cased: compare it against LOWER(column).
std::string containsPattern(std::string_view text);

Result<Page> listPage(Session& session, const PageQuery& query, const PageRequest& page);

// Refreshes the planner's statistics. SQLite keeps none until ANALYZE runs,
// and without them it scans a whole tenant rather than a partial index (the
// open work orders); sampled (analysis_limit) so it takes milliseconds even
// at millions of rows. PostgreSQL's autovacuum does this itself: a no-op.
Status refreshStatistics(Database& db);

}  // namespace ting::store
