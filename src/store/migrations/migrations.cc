#include "store/migrations/migrations.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace ting::store {

namespace {

constexpr const char* kV1Foundation = R"sql(
CREATE TABLE tenants (
  id {{id}},
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO tenants (slug, name, created_at, updated_at)
  VALUES ('system', 'Service operator', {{now_ms}}, {{now_ms}});

CREATE TABLE users (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  username TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  phone TEXT,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  last_failed_at BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, username)
);
CREATE UNIQUE INDEX users_tenant_phone ON users (tenant_id, phone);
CREATE INDEX users_tenant_created ON users (tenant_id, created_at, id);

CREATE TABLE sessions (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id);

CREATE TABLE customers (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  phone TEXT,
  email TEXT,
  company TEXT,
  notes TEXT,
  vip INTEGER NOT NULL DEFAULT 0,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX customers_tenant_phone ON customers (tenant_id, phone);
CREATE INDEX customers_tenant_name ON customers (tenant_id, name, id);
CREATE INDEX customers_tenant_created ON customers (tenant_id, created_at, id);
CREATE INDEX customers_tenant_updated ON customers (tenant_id, updated_at, id);

CREATE TABLE audit_log (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  at BIGINT NOT NULL,
  actor_id BIGINT,
  actor TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT,
  action TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  request_id TEXT
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity, entity_id, id);
)sql";

// Telephony: SIP identities of tenants and phones, trunks, inbound numbers,
// IVR flows and their versions, call records, callback requests.
constexpr const char* kV2Telephony = R"sql(
ALTER TABLE tenants ADD COLUMN sip_domain TEXT;
ALTER TABLE tenants ADD COLUMN max_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN recording_retention_days INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX tenants_sip_domain ON tenants (sip_domain);
ALTER TABLE users ADD COLUMN sip_extension TEXT;
ALTER TABLE users ADD COLUMN sip_ha1 TEXT;
CREATE UNIQUE INDEX users_sip_extension ON users (tenant_id, sip_extension);

CREATE TABLE sip_aliases (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  domain TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);

CREATE TABLE trunks (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  inbound_address TEXT,
  outbound_uri TEXT,
  username TEXT,
  secret_enc TEXT,
  caller_id TEXT,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE ivr_flows (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  current_version INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE ivr_flow_versions (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  flow_id BIGINT NOT NULL REFERENCES ivr_flows(id),
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (flow_id, version)
);

CREATE TABLE dids (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  number TEXT NOT NULL,
  flow_id BIGINT REFERENCES ivr_flows(id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, number)
);

CREATE TABLE calls (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  call_ref TEXT NOT NULL UNIQUE,
  sip_call_id TEXT,
  direction TEXT NOT NULL,
  from_number TEXT,
  to_number TEXT,
  did TEXT,
  trunk_id BIGINT,
  flow_id BIGINT,
  flow_version INTEGER,
  state TEXT NOT NULL,
  arrived_at BIGINT NOT NULL,
  answered_at BIGINT,
  ended_at BIGINT,
  end_cause TEXT,
  hangup_by TEXT,
  ivr_path TEXT,
  transfer_target TEXT,
  recording_path TEXT,
  recording_ms BIGINT,
  recording_deleted_at BIGINT
);
CREATE INDEX calls_tenant_arrived ON calls (tenant_id, arrived_at, id);
CREATE INDEX calls_tenant_from ON calls (tenant_id, from_number, id);

CREATE TABLE callback_requests (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  call_ref TEXT,
  number TEXT NOT NULL,
  recording_path TEXT,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX callback_requests_tenant ON callback_requests (tenant_id, status, id);
)sql";

// ACD: queues and their members, agents' skills, the agent state log and the
// queue event log (service level, speed of answer, abandons, AHT, occupancy
// are computed from these two logs), and what calls gained with queues.
constexpr const char* kV3Acd = R"sql(
ALTER TABLE tenants ADD COLUMN not_ready_reasons TEXT NOT NULL DEFAULT 'break,meal,training,meeting';
ALTER TABLE tenants ADD COLUMN max_missed_offers INTEGER NOT NULL DEFAULT 3;

CREATE TABLE queues (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  strategy TEXT NOT NULL DEFAULT 'longest_idle',
  offer_timeout_s INTEGER NOT NULL DEFAULT 20,
  wrap_up_s INTEGER NOT NULL DEFAULT 10,
  max_wait_s INTEGER NOT NULL DEFAULT 600,
  overflow_action TEXT NOT NULL DEFAULT 'fallback',
  overflow_queue TEXT,
  join_empty INTEGER NOT NULL DEFAULT 0,
  leave_empty INTEGER NOT NULL DEFAULT 1,
  announce_interval_s INTEGER NOT NULL DEFAULT 30,
  callback_key TEXT NOT NULL DEFAULT '',
  abandon_return_s INTEGER NOT NULL DEFAULT 300,
  announce_staff_no INTEGER NOT NULL DEFAULT 0,
  survey INTEGER NOT NULL DEFAULT 0,
  skills TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE queue_members (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  queue_id BIGINT NOT NULL REFERENCES queues(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  tier INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  UNIQUE (queue_id, user_id)
);

CREATE TABLE agent_skills (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  skill TEXT NOT NULL,
  level INTEGER NOT NULL,
  UNIQUE (user_id, skill)
);

CREATE TABLE agent_state_log (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  staff_no TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL,
  call_ref TEXT,
  at BIGINT NOT NULL
);
CREATE INDEX agent_state_log_tenant_at ON agent_state_log (tenant_id, at, id);
CREATE INDEX agent_state_log_user_at ON agent_state_log (user_id, at, id);

CREATE TABLE queue_events (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  queue TEXT NOT NULL,
  call_ref TEXT,
  event TEXT NOT NULL,
  staff_no TEXT,
  position INTEGER,
  wait_ms BIGINT,
  detail TEXT,
  at BIGINT NOT NULL
);
CREATE INDEX queue_events_tenant_at ON queue_events (tenant_id, at, id);
CREATE INDEX queue_events_call ON queue_events (call_ref, id);

ALTER TABLE calls ADD COLUMN queue TEXT;
ALTER TABLE calls ADD COLUMN agent_staff_no TEXT;
ALTER TABLE calls ADD COLUMN queued_at BIGINT;
ALTER TABLE calls ADD COLUMN agent_answered_at BIGINT;
ALTER TABLE calls ADD COLUMN satisfaction INTEGER;
ALTER TABLE calls ADD COLUMN parent_ref TEXT;
)sql";

// Queued callbacks: the caller keeps their place; when their turn comes an
// agent is offered the callback and Ting dials the customer, retrying a few
// times. Calls are found by their parent (a callback's origin).
constexpr const char* kV4Callbacks = R"sql(
ALTER TABLE queues ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE queues ADD COLUMN callback_retry_s INTEGER NOT NULL DEFAULT 120;
ALTER TABLE callback_requests ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE callback_requests ADD COLUMN callback_ref TEXT;
ALTER TABLE callback_requests ADD COLUMN detail TEXT;
CREATE INDEX calls_parent ON calls (tenant_id, parent_ref);
CREATE INDEX callback_requests_call ON callback_requests (tenant_id, call_ref);
)sql";

// The CRM: several numbers per customer, normalized to E.164 for lookups
// (crm/phone.h), tags, an address, a VIP level and the tenant's own fields.
constexpr const char* kV5Crm = R"sql(
ALTER TABLE customers ADD COLUMN address TEXT;
ALTER TABLE customers ADD COLUMN vip_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '{}';
UPDATE customers SET vip_level = 1 WHERE vip <> 0;

CREATE TABLE customer_phones (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  customer_id BIGINT NOT NULL REFERENCES customers(id),
  number TEXT NOT NULL,
  e164 TEXT NOT NULL,
  kind TEXT NOT NULL,
  position INTEGER NOT NULL
);
CREATE INDEX customer_phones_lookup ON customer_phones (tenant_id, e164, customer_id);
CREATE INDEX customer_phones_customer ON customer_phones (customer_id, position);
INSERT INTO customer_phones (tenant_id, customer_id, number, e164, kind, position)
  SELECT tenant_id, id, phone, phone, 'other', 0 FROM customers WHERE phone IS NOT NULL;

CREATE TABLE customer_tags (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  customer_id BIGINT NOT NULL REFERENCES customers(id),
  tag TEXT NOT NULL,
  PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tenant_id, tag, customer_id);
)sql";

// A call knows its customer when the screen pop found exactly one: the
// customer's timeline lists their calls by it.
constexpr const char* kV6CallCustomers = R"sql(
ALTER TABLE calls ADD COLUMN customer_id BIGINT;
CREATE INDEX calls_customer ON calls (tenant_id, customer_id, arrived_at);
)sql";

// Work orders: the category tree, the orders with their lifecycle state,
// linked calls, history, notes, proposals and approvals; business calendars,
// SLA policies, the clocks they start and every SLA event. References
// (C20261122-0042) are numbered per tenant and local day.
constexpr const char* kV7WorkOrders = R"sql(
ALTER TABLE callback_requests ADD COLUMN work_order_id BIGINT;
ALTER TABLE users ADD COLUMN department TEXT;

CREATE TABLE work_order_settings (
  tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),
  time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
  reopen_window_days INTEGER NOT NULL DEFAULT 30,
  repeat_window_days INTEGER NOT NULL DEFAULT 30,
  rehandle_escalation INTEGER NOT NULL DEFAULT 3,
  follow_up_types TEXT NOT NULL DEFAULT 'complaint',
  state_names TEXT NOT NULL DEFAULT '{}',
  remedy_limits TEXT NOT NULL DEFAULT '{}',
  updated_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE work_order_counters (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  day INTEGER NOT NULL,
  last INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, day)
);

CREATE TABLE work_order_categories (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  parent_id BIGINT REFERENCES work_order_categories(id),
  name TEXT NOT NULL,
  name_en TEXT,
  position INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX work_order_categories_parent ON work_order_categories (tenant_id, parent_id, position);

CREATE TABLE work_orders (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  reference TEXT NOT NULL,
  type TEXT NOT NULL,
  category_id BIGINT,
  complainant_type TEXT,
  priority TEXT NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL,
  close_reason TEXT,
  customer_id BIGINT,
  subject TEXT NOT NULL,
  description TEXT,
  desired_remedy TEXT,
  promised_reply_at BIGINT,
  owner_id BIGINT,
  department TEXT,
  department_due_at BIGINT,
  department_reply TEXT,
  waiting_on_customer INTEGER NOT NULL DEFAULT 0,
  on_the_spot INTEGER NOT NULL DEFAULT 0,
  resolution TEXT,
  unresolved_reason TEXT,
  external_routes TEXT,
  duplicate_of BIGINT,
  repeat_of BIGINT,
  rehandled INTEGER NOT NULL DEFAULT 0,
  transfers INTEGER NOT NULL DEFAULT 0,
  escalation_level INTEGER NOT NULL DEFAULT 0,
  satisfaction INTEGER,
  satisfaction_comment TEXT,
  follow_up_result TEXT,
  sla_policy_id BIGINT,
  sla_due_at BIGINT NOT NULL DEFAULT 9223372036854775807,
  sla_breached INTEGER NOT NULL DEFAULT 0,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  resolved_at BIGINT,
  closed_at BIGINT,
  version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (tenant_id, reference)
);
CREATE INDEX work_orders_state ON work_orders (tenant_id, state, created_at, id);
CREATE INDEX work_orders_created ON work_orders (tenant_id, created_at, id);
CREATE INDEX work_orders_customer ON work_orders (tenant_id, customer_id, created_at, id);
CREATE INDEX work_orders_repeats ON work_orders (tenant_id, created_at, id) WHERE repeat_of IS NOT NULL;
CREATE INDEX work_orders_department ON work_orders (tenant_id, department, created_at, id);
CREATE INDEX work_orders_open ON work_orders (tenant_id, created_at, id) WHERE state <> 'closed';
CREATE INDEX work_orders_open_owner ON work_orders (tenant_id, owner_id, created_at, id) WHERE state <> 'closed';
CREATE INDEX work_orders_open_category ON work_orders (tenant_id, category_id, created_at, id) WHERE state <> 'closed';
CREATE INDEX work_orders_open_due ON work_orders (tenant_id, sla_due_at, id) WHERE state <> 'closed';
CREATE INDEX work_orders_open_breached ON work_orders (tenant_id, sla_breached, created_at, id) WHERE state <> 'closed';

CREATE TABLE work_order_calls (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  call_ref TEXT NOT NULL,
  linked_at BIGINT NOT NULL,
  PRIMARY KEY (work_order_id, call_ref)
);
CREATE INDEX work_order_calls_call ON work_order_calls (tenant_id, call_ref);

CREATE TABLE work_order_history (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  at BIGINT NOT NULL,
  actor_id BIGINT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  changes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX work_order_history_order ON work_order_history (work_order_id, id);

CREATE TABLE work_order_notes (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  at BIGINT NOT NULL,
  author_id BIGINT,
  author TEXT NOT NULL,
  visibility TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX work_order_notes_order ON work_order_notes (work_order_id, id);

CREATE TABLE work_order_proposals (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  at BIGINT NOT NULL,
  author_id BIGINT,
  solution TEXT NOT NULL,
  remedy TEXT,
  compensation_cents BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  reason TEXT,
  decided_at BIGINT
);
CREATE INDEX work_order_proposals_order ON work_order_proposals (work_order_id, id);

CREATE TABLE approvals (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  kind TEXT NOT NULL,
  subject_id BIGINT,
  amount_cents BIGINT NOT NULL DEFAULT 0,
  required_role TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_by BIGINT,
  requested_at BIGINT NOT NULL,
  decided_by BIGINT,
  decided_at BIGINT,
  reason TEXT
);
CREATE INDEX approvals_tenant ON approvals (tenant_id, status, id);
CREATE INDEX approvals_order ON approvals (work_order_id, id);

CREATE TABLE business_calendars (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE sla_policies (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  type TEXT,
  category_id BIGINT,
  priority TEXT,
  min_vip_level INTEGER,
  calendar_id BIGINT,
  first_response_min INTEGER,
  next_update_min INTEGER,
  resolution_min INTEGER,
  follow_up_min INTEGER,
  warn_percent INTEGER NOT NULL DEFAULT 80,
  escalations TEXT NOT NULL DEFAULT '[]',
  regulatory TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE INDEX sla_policies_tenant ON sla_policies (tenant_id, position, id);

CREATE TABLE sla_clocks (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  calendar_id BIGINT,
  target_ms BIGINT NOT NULL,
  warn_percent INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  warn_at BIGINT NOT NULL,
  warned INTEGER NOT NULL DEFAULT 0,
  remaining_ms BIGINT,
  paused_at BIGINT,
  stopped_at BIGINT,
  breached_at BIGINT,
  escalation_level INTEGER NOT NULL DEFAULT 0,
  next_check_at BIGINT,
  extensions INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sla_clocks_order ON sla_clocks (work_order_id, kind, status);
CREATE INDEX sla_clocks_check ON sla_clocks (next_check_at);

CREATE TABLE sla_events (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  clock_id BIGINT,
  clock TEXT,
  kind TEXT NOT NULL,
  at BIGINT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sla_events_order ON sla_events (work_order_id, id);
)sql";

// The knowledge base: articles and reply scripts per tenant and language.
constexpr const char* kV8Kb = R"sql(
CREATE TABLE kb_entries (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL,
  situation TEXT,
  lang TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  category_id BIGINT,
  active INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX kb_entries_tenant ON kb_entries (tenant_id, kind, lang, id);
CREATE INDEX kb_entries_situation ON kb_entries (tenant_id, situation, lang);
CREATE INDEX kb_entries_updated ON kb_entries (updated_at, id);
CREATE INDEX customers_changed ON customers (updated_at, id);
CREATE INDEX work_orders_changed ON work_orders (updated_at, id);

CREATE TABLE webhooks (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);
CREATE TABLE webhook_deliveries (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
)sql";

// The CRM's owner agent and image attachments; background jobs (imports,
// exports) with their progress.
constexpr const char* kV9CrmFiles = R"sql(
ALTER TABLE customers ADD COLUMN owner_id BIGINT REFERENCES users(id);
CREATE INDEX customers_owner ON customers (tenant_id, owner_id, id);
CREATE TABLE customer_attachments (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  customer_id BIGINT NOT NULL REFERENCES customers(id),
  file_name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  stored_as TEXT NOT NULL,
  created_by BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX customer_attachments_customer ON customer_attachments (tenant_id, customer_id, id);
CREATE TABLE jobs (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by BIGINT,
  done BIGINT NOT NULL DEFAULT 0,
  total BIGINT NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT '{}',
  error TEXT,
  file_path TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX jobs_tenant ON jobs (tenant_id, id);
CREATE INDEX jobs_status ON jobs (status);
)sql";

// How many times a follow-up callback may fail to reach the customer before
// the work order closes without their answer; the custom fields a tenant
// defines for its customer cards.
constexpr const char* kV10FieldsAndFollowUps = R"sql(
ALTER TABLE work_order_settings ADD COLUMN follow_up_attempts INTEGER NOT NULL DEFAULT 3;
CREATE TABLE customer_fields (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  field_key TEXT NOT NULL,
  label TEXT NOT NULL,
  label_en TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  choices TEXT NOT NULL DEFAULT '[]',
  position INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, field_key)
);
CREATE TABLE saved_views (
  id {{id}},
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  owner_id BIGINT NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  filters TEXT NOT NULL DEFAULT '{}',
  shared INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (tenant_id, owner_id, id);
ALTER TABLE customer_phones ADD COLUMN local_number TEXT;
UPDATE customer_phones SET local_number = CASE
    WHEN e164 LIKE '+8610%' OR e164 LIKE '+862%' THEN substr(e164, 6)
    ELSE substr(e164, 7) END
  WHERE kind = 'landline' AND e164 LIKE '+86%';
CREATE INDEX customer_phones_local ON customer_phones (tenant_id, local_number);
)sql";

void replaceAll(std::string& sql, const std::string& from, const std::string& to) {
  for (auto pos = sql.find(from); pos != std::string::npos; pos = sql.find(from, pos)) {
    sql.replace(pos, from.size(), to);
  }
}

// {{id}}: auto-increment primary key; {{now_ms}}: the current time in ms.
std::string forDialect(std::string sql, Dialect dialect) {
  replaceAll(
      sql, "{{id}}",
      dialect == Dialect::kSqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY");
  replaceAll(sql, "{{now_ms}}", std::to_string(SystemClock::instance().nowMillis()));
  return sql;
}

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
    "NULL, applied_at BIGINT NOT NULL)";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "foundation: tenants, users, sessions, customers, audit log", kV1Foundation},
      {2, "telephony: SIP identities, trunks, numbers, IVR flows, calls", kV2Telephony},
      {3, "acd: queues, members, skills, agent state and queue event logs", kV3Acd},
      {4, "queued callbacks: attempts, retries, callback calls", kV4Callbacks},
      {5, "crm: customers' numbers, tags, address, VIP level, custom fields", kV5Crm},
      {6, "calls linked to their customer", kV6CallCustomers},
      {7, "work orders, SLA calendars, policies, clocks and events, approvals", kV7WorkOrders},
      {8, "knowledge base; what the search index follows; webhooks", kV8Kb},
      {9, "customers' owner agent and attachments; background jobs", kV9CrmFiles},
      {10, "follow-up attempts; customer field definitions; saved work-order views; local "
           "landline numbers",
       kV10FieldsAndFollowUps},
  };
  return kMigrations;
}

Result<int> schemaVersion(Database& db) {
  int version = 0;
  Status s = db.read([&](Session& session) -> Status {
    auto exists = session.query(
        session.dialect() == Dialect::kSqlite
            ? "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
            : "SELECT tablename FROM pg_tables WHERE tablename='schema_migrations' AND "
              "schemaname=current_schema()",
        {});
    if (!exists.isOk()) return exists.status();
    if (exists->empty()) return Status::ok();
    TING_ASSIGN_OR_RETURN(Row row, session.queryOne("SELECT COALESCE(MAX(version), 0) FROM "
                                                    "schema_migrations",
                                                    {}));
    version = static_cast<int>(row.integer(0));
    return Status::ok();
  });
  if (!s.isOk()) return s;
  return version;
}

Result<MigrationReport> migrate(Database& db) {
  MigrationReport report;
  TING_RETURN_IF_ERROR(db.write([&](Session& session) -> Status {
    if (session.dialect() == Dialect::kPostgres) {
      // Serialize concurrent migrators; released at commit.
      TING_RETURN_IF_ERROR(session.execScript("SELECT pg_advisory_xact_lock(7355608)"));
    }
    return session.execScript(kCreateVersionTable);
  }));
  TING_ASSIGN_OR_RETURN(report.from_version, schemaVersion(db));
  report.to_version = report.from_version;
  for (const auto& m : migrations()) {
    if (m.version <= report.to_version) continue;
    bool applied = false;
    TING_RETURN_IF_ERROR(db.write([&](Session& session) -> Status {
      if (session.dialect() == Dialect::kPostgres) {
        TING_RETURN_IF_ERROR(session.execScript("SELECT pg_advisory_xact_lock(7355608)"));
      }
      // Another process may have applied it while we waited for the lock.
      TING_ASSIGN_OR_RETURN(Rows done, session.query("SELECT version FROM schema_migrations "
                                                     "WHERE version = ?",
                                                     {std::int64_t{m.version}}));
      if (!done.empty()) return Status::ok();
      TING_RETURN_IF_ERROR(session.execScript(forDialect(m.sql, session.dialect())));
      applied = true;
      return session.exec(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
          {std::int64_t{m.version}, m.name, SystemClock::instance().nowMillis()});
    }));
    if (applied) spdlog::info("schema migrated to version {}: {}", m.version, m.name);
    report.to_version = m.version;
  }
  return report;
}

}  // namespace ting::store
