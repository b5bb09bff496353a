// The ACD: agents' states (log in, breaks, log out) and the queue event log.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "calls/call_control.h"

namespace ting::api {

using identity::Role;

namespace {

boost::json::value timeOrNull(UnixMillis at) {
  return at == 0 ? boost::json::value(nullptr) : boost::json::value(formatTimestamp(at));
}

boost::json::object agentJson(const calls::AgentStateView& v) {
  boost::json::array queues;
  for (const auto& q : v.queues) queues.push_back(boost::json::string(q));
  return {{"staff_no", v.staff_no},
          {"state", v.state},
          {"reason", v.reason.empty() ? boost::json::value(nullptr) : boost::json::value(v.reason)},
          {"since", timeOrNull(v.since)},
          {"call_id", v.call_id.empty() ? boost::json::value(nullptr) : boost::json::value(v.call_id)},
          {"wrap_up_ends_at", timeOrNull(v.wrap_up_ends_at)},
          {"queues", std::move(queues)},
          {"calls_handled", v.calls_handled}};
}

// Agents may see and change only their own state; leads, supervisors and
// admins anyone's in their tenant.
Status mayActOn(const Call& call, const std::string& staff_no) {
  if (call.principal->role != Role::kAgent || call.principal->username == staff_no) {
    return Status::ok();
  }
  return Status(StatusCode::kPermissionDenied, "agents change only their own state");
}

const ListSpec kAgentLogList{
    .sortable = {{"at", "at"}},
    .default_sort = "at",
    .filters = {"staff_no", "state", "since", "until"},
};

const ListSpec kQueueEventList{
    .sortable = {{"at", "at"}},
    .default_sort = "at",
    .filters = {"queue", "event", "call_id", "staff_no", "since", "until"},
};

// ---- queues

const ListSpec kQueueList{
    .sortable = {{"name", "name"}},
    .default_sort = "name",
    .filters = {},
};

boost::json::object queueJson(const calls::QueueSetup& q) {
  boost::system::error_code ec;
  return {{"name", q.name},
          {"display_name", q.display_name},
          {"strategy", acd::strategyName(q.strategy)},
          {"offer_timeout_s", q.offer_timeout_s},
          {"wrap_up_s", q.wrap_up_s},
          {"max_wait_s", q.max_wait_s},
          {"overflow_action", calls::overflowName(q.overflow)},
          {"overflow_queue",
           q.overflow_queue.empty() ? boost::json::value(nullptr) : boost::json::value(q.overflow_queue)},
          {"join_empty", q.join_empty},
          {"leave_empty", q.leave_empty},
          {"announce_interval_s", q.announce_interval_s},
          {"callback_key", q.callback_key},
          {"abandon_return_s", q.abandon_return_s},
          {"announce_staff_no", q.announce_staff_no},
          {"survey", q.survey},
          {"callback_attempts", q.callback_attempts},
          {"callback_retry_s", q.callback_retry_s},
          {"skills", boost::json::parse(calls::queueSkillsJson(q.skills), ec)}};
}

// Reads the queue's fields from `body` onto `q` (all optional but name on create).
Status readQueueFields(JsonBody& body, calls::QueueSetup& q, bool create) {
  auto name = body.string("name", create, 64);
  auto display = body.string("display_name", false, 200);
  auto strategy = body.string("strategy", false, 32);
  auto offer_timeout = body.integer("offer_timeout_s", false, 5, 300);
  auto wrap_up = body.integer("wrap_up_s", false, 0, 3600);
  auto max_wait = body.integer("max_wait_s", false, 10, 86'400);
  auto overflow = body.string("overflow_action", false, 16);
  auto overflow_queue = body.string("overflow_queue", false, 64);
  auto join_empty = body.boolean("join_empty");
  auto leave_empty = body.boolean("leave_empty");
  auto announce = body.integer("announce_interval_s", false, 0, 600);
  auto callback_key = body.string("callback_key", false, 1);
  auto abandon_return = body.integer("abandon_return_s", false, 0, 3600);
  auto staff_no = body.boolean("announce_staff_no");
  auto survey = body.boolean("survey");
  auto skills = body.array("skills");
  auto callback_attempts = body.integer("callback_attempts", false, 1, 10);
  auto callback_retry = body.integer("callback_retry_s", false, 10, 86'400);
  TING_RETURN_IF_ERROR(body.finish());
  if (name) {
    if (!create) return invalidValue("a queue's name cannot change", "name");
    if (!calls::isAcdName(*name)) return invalidValue("name must be 1-64 of A-Z a-z 0-9 _ -", "name");
    q.name = *name;
  }
  if (display) q.display_name = *display;
  if (strategy) {
    auto st = acd::parseStrategy(*strategy);
    if (!st) {
      return invalidValue("strategy must be longest_idle, round_robin, fewest_calls, "
                          "least_talk_time, ring_all, linear, random or skills_based",
                          "strategy");
    }
    q.strategy = *st;
  }
  if (offer_timeout) q.offer_timeout_s = static_cast<int>(*offer_timeout);
  if (wrap_up) q.wrap_up_s = static_cast<int>(*wrap_up);
  if (max_wait) q.max_wait_s = static_cast<int>(*max_wait);
  if (overflow) {
    auto o = calls::parseOverflow(*overflow);
    if (!o) {
      return invalidValue("overflow_action must be fallback, queue, callback or hangup",
                          "overflow_action");
    }
    q.overflow = *o;
  }
  if (overflow_queue) {
    if (!overflow_queue->empty() && !calls::isAcdName(*overflow_queue)) {
      return invalidValue("overflow_queue must be a queue name", "overflow_queue");
    }
    q.overflow_queue = *overflow_queue;
  }
  if (q.overflow == calls::Overflow::kQueue &&
      (q.overflow_queue.empty() || q.overflow_queue == q.name)) {
    return invalidValue("overflow_action queue needs another queue in overflow_queue",
                        "overflow_queue");
  }
  if (join_empty) q.join_empty = *join_empty;
  if (leave_empty) q.leave_empty = *leave_empty;
  if (announce) {
    if (*announce != 0 && *announce < 10) {
      return invalidValue("announce_interval_s is 0 (on entry only) or 10-600",
                          "announce_interval_s");
    }
    q.announce_interval_s = static_cast<int>(*announce);
  }
  if (callback_key) {
    if (!callback_key->empty() &&
        std::string_view("0123456789*#").find(callback_key->front()) == std::string_view::npos) {
      return invalidValue("callback_key is one of 0-9 * # (or empty: no callback)",
                          "callback_key");
    }
    q.callback_key = *callback_key;
  }
  if (abandon_return) q.abandon_return_s = static_cast<int>(*abandon_return);
  if (staff_no) q.announce_staff_no = *staff_no;
  if (survey) q.survey = *survey;
  if (callback_attempts) q.callback_attempts = static_cast<int>(*callback_attempts);
  if (callback_retry) q.callback_retry_s = static_cast<int>(*callback_retry);
  if (skills) {
    TING_ASSIGN_OR_RETURN(q.skills, calls::parseQueueSkills(boost::json::serialize(*skills)));
  }
  return Status::ok();
}

std::vector<store::Value> queueValues(const calls::QueueSetup& q) {
  return {q.display_name,
          std::string(acd::strategyName(q.strategy)),
          std::int64_t{q.offer_timeout_s},
          std::int64_t{q.wrap_up_s},
          std::int64_t{q.max_wait_s},
          std::string(calls::overflowName(q.overflow)),
          store::textOrNull(q.overflow_queue),
          std::int64_t{q.join_empty},
          std::int64_t{q.leave_empty},
          std::int64_t{q.announce_interval_s},
          q.callback_key,
          std::int64_t{q.abandon_return_s},
          std::int64_t{q.announce_staff_no},
          std::int64_t{q.survey},
          calls::queueSkillsJson(q.skills),
          std::int64_t{q.callback_attempts},
          std::int64_t{q.callback_retry_s}};
}

Result<calls::QueueSetup> findQueue(store::Session& s, std::int64_t tenant,
                                    const std::string& name) {
  TING_ASSIGN_OR_RETURN(auto rows, s.query(std::string("SELECT ") + calls::kQueueColumns +
                                               " FROM queues WHERE tenant_id = ? AND name = ?",
                                           {tenant, name}));
  if (rows.empty()) return notFound("no queue " + name);
  return calls::queueFromRow(rows.front());
}

Result<boost::json::array> membersJson(store::Session& s, std::int64_t queue_id) {
  TING_ASSIGN_OR_RETURN(auto rows,
                        s.query("SELECT u.username, m.tier FROM queue_members m JOIN users u ON "
                                "u.id = m.user_id WHERE m.queue_id = ? ORDER BY m.id",
                                {queue_id}));
  boost::json::array out;
  for (const auto& r : rows) out.push_back({{"staff_no", r.text(0)}, {"tier", r.integer(1)}});
  return out;
}

}  // namespace

void addAcdRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet staff{Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin};
  const identity::RoleSet leads{Role::kTeamLead, Role::kSupervisor, Role::kAdmin};

  router.add({"GET",
              "/api/v1/agents",
              Access::kAuthenticated,
              leads,
              [&ctx](Call& call) -> Result<Response> {
                if (ctx.calls == nullptr) return unavailable("telephony is not running");
                boost::json::array items;
                for (const auto& v : ctx.calls->agentStates(call.principal->tenant_id)) {
                  items.push_back(agentJson(v));
                }
                return jsonResponse(boost::json::object{{"items", std::move(items)}});
              },
              {.summary = "Every agent of your tenant with their current state.", .tag = "acd"}});

  router.add({"GET",
              "/api/v1/agents/{staff_no}/state",
              Access::kAuthenticated,
              staff,
              [&ctx](Call& call) -> Result<Response> {
                if (ctx.calls == nullptr) return unavailable("telephony is not running");
                const std::string& staff_no = call.path_params[0];
                TING_RETURN_IF_ERROR(mayActOn(call, staff_no));
                TING_ASSIGN_OR_RETURN(auto v,
                                      ctx.calls->agentState(call.principal->tenant_id, staff_no));
                return jsonResponse(agentJson(v));
              },
              {.summary = "An agent's state: logged_out, available, ringing, on_call, wrap_up "
                          "or not_ready (with the reason).",
               .tag = "acd"}});

  router.add(
      {"PUT",
       "/api/v1/agents/{staff_no}/state",
       Access::kAuthenticated,
       staff,
       [&ctx](Call& call) -> Result<Response> {
         if (ctx.calls == nullptr) return unavailable("telephony is not running");
         const std::string& staff_no = call.path_params[0];
         TING_RETURN_IF_ERROR(mayActOn(call, staff_no));
         JsonBody body(call.request.body);
         auto state = body.string("state", kRequired, 32);
         auto reason = body.string("reason", false, 64);
         TING_RETURN_IF_ERROR(body.finish());
         if (*state != "available" && *state != "not_ready" && *state != "logged_out") {
           return invalidValue("state must be available, not_ready or logged_out", "state");
         }
         if (*state == "not_ready" && reason.value_or("").empty()) {
           return invalidValue("not_ready needs a reason", "reason");
         }
         TING_ASSIGN_OR_RETURN(auto v,
                               ctx.calls->setAgentState(call.principal->tenant_id, staff_no,
                                                        *state, reason.value_or("")));
         return jsonResponse(agentJson(v));
       },
       {.summary = "Log in (available), take a break (not_ready with a reason code), end "
                   "wrap-up early (available) or log out.",
        .tag = "acd",
        .body = {{"state", "string", true, "available, not_ready or logged_out"},
                 {"reason", "string", false, "the not_ready reason code (break, meal, ...)"}}}});

  router.add(
      {"GET",
       "/api/v1/agent-state-log",
       Access::kAuthenticated,
       leads,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kAgentLogList));
         store::PageQuery q{.table = "agent_state_log",
                            .columns = "id, staff_no, from_state, to_state, reason, call_ref, at",
                            .tenant_id = call.principal->tenant_id,
                            .filter_sql = {},
                            .filter_params = {}};
         for (const auto& [k, v] : params.filters) {
           if (k == "since" || k == "until") {
             TING_RETURN_IF_ERROR(addTimeFilter(q, k, v, "at"));
             continue;
           }
           q.filter_sql += k == "state" ? " AND to_state = ?" : " AND staff_no = ?";
           q.filter_params.emplace_back(v);
         }
         return pageResponse(ctx.store, q, params, [](const store::Row& r) {
           return boost::json::object{
               {"staff_no", r.text(1)},
               {"from", r.text(2)},
               {"to", r.text(3)},
               {"reason", r.text(4)},
               {"call_id", columnText(r, 5)},
               {"at", formatTimestamp(r.integer(6))}};
         });
       },
       {.summary = "Every agent state change, oldest first: utilization and break reports.",
        .tag = "acd",
        .query = listQueryDocs(kAgentLogList)}});

  router.add(
      {"GET",
       "/api/v1/queue-events",
       Access::kAuthenticated,
       leads,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kQueueEventList));
         store::PageQuery q{.table = "queue_events",
                            .columns = "id, queue, call_ref, event, staff_no, position, wait_ms, "
                                       "detail, at",
                            .tenant_id = call.principal->tenant_id,
                            .filter_sql = {},
                            .filter_params = {}};
         for (const auto& [k, v] : params.filters) {
           if (k == "since" || k == "until") {
             TING_RETURN_IF_ERROR(addTimeFilter(q, k, v, "at"));
             continue;
           }
           const char* column = k == "call_id" ? "call_ref" : k.c_str();
           q.filter_sql += std::string(" AND ") + column + " = ?";
           q.filter_params.emplace_back(v);
         }
         return pageResponse(ctx.store, q, params, [](const store::Row& r) {
           return boost::json::object{
               {"queue", r.text(1)},
               {"call_id", columnText(r, 2)},
               {"event", r.text(3)},
               {"staff_no", columnText(r, 4)},
               {"position", columnInteger(r, 5)},
               {"wait_ms", columnInteger(r, 6)},
               {"detail", columnText(r, 7)},
               {"at", formatTimestamp(r.integer(8))}};
         });
       },
       {.summary = "The queue event log: entered, offered, answered, missed, rejected, abandoned, "
                   "timed_out, transferred, callback_requested, completed, left.",
        .tag = "acd",
        .query = listQueryDocs(kQueueEventList)}});

  const identity::RoleSet admins{Role::kSupervisor, Role::kAdmin};

  router.add({"GET",
              "/api/v1/queues",
              Access::kAuthenticated,
              leads,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kQueueList));
                store::PageQuery q{.table = "queues",
                                   .columns = calls::kQueueColumns,
                                   .tenant_id = call.principal->tenant_id,
                                   .filter_sql = {},
                                   .filter_params = {}};
                return pageResponse(ctx.store, q, params, [](const store::Row& row) {
                  return queueJson(calls::queueFromRow(row));
                });
              },
              {.summary = "ACD queues of your tenant.", .tag = "acd",
               .query = listQueryDocs(kQueueList)}});

  router.add({"GET",
              "/api/v1/queues/{name}",
              Access::kAuthenticated,
              leads,
              [&ctx](Call& call) -> Result<Response> {
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(auto q, findQueue(s, call.principal->tenant_id,
                                                          call.path_params[0]));
                  out = queueJson(q);
                  TING_ASSIGN_OR_RETURN(auto members, membersJson(s, q.id));
                  out["members"] = std::move(members);
                  return Status::ok();
                }));
                return jsonResponse(out);
              },
              {.summary = "A queue with its members.", .tag = "acd"}});

  const std::vector<FieldDoc> queue_fields = {
      {"name", "string", true, "1-64 of A-Z a-z 0-9 _ - (fixed once created)"},
      {"display_name", "string", false, ""},
      {"strategy", "string", false, "longest_idle (default), round_robin, fewest_calls, "
                                    "least_talk_time, ring_all, linear, random, skills_based"},
      {"offer_timeout_s", "integer", false, "5-300, default 20"},
      {"wrap_up_s", "integer", false, "0-3600, default 10"},
      {"max_wait_s", "integer", false, "10-86400, default 600"},
      {"overflow_action", "string", false, "fallback (default), queue, callback, hangup"},
      {"overflow_queue", "string", false, "the queue for overflow_action queue"},
      {"join_empty", "boolean", false, "callers may join while no member is logged in"},
      {"leave_empty", "boolean", false, "callers leave when the last member logs out"},
      {"announce_interval_s", "integer", false, "0 (on entry only) or 10-600, default 30"},
      {"callback_key", "string", false, "a key that asks for a callback; empty: none"},
      {"abandon_return_s", "integer", false, "a caller back within this keeps their place"},
      {"callback_attempts", "integer", false, "queued callbacks: tries to reach the customer (1-10)"},
      {"callback_retry_s", "integer", false, "queued callbacks: wait between tries"},
      {"announce_staff_no", "boolean", false, "tell the caller the agent's staff number"},
      {"survey", "boolean", false, "satisfaction survey after the agent hangs up"},
      {"skills", "array", false, "skills_based: [{skill, steps: [{after_seconds, min_level}]}]"},
  };

  router.add(
      {"POST",
       "/api/v1/queues",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         calls::QueueSetup q;
         TING_RETURN_IF_ERROR(readQueueFields(body, q, true));
         const std::int64_t tenant = call.principal->tenant_id;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           std::vector<store::Value> values = {tenant, q.name};
           for (auto& v : queueValues(q)) values.push_back(std::move(v));
           values.push_back(tx.now());
           values.push_back(tx.now());
           auto rows = tx.session().query(
               "INSERT INTO queues (tenant_id, name, display_name, strategy, offer_timeout_s, "
               "wrap_up_s, max_wait_s, overflow_action, overflow_queue, join_empty, leave_empty, "
               "announce_interval_s, callback_key, abandon_return_s, announce_staff_no, survey, "
               "skills, callback_attempts, callback_retry_s, created_at, updated_at) VALUES (?, ?, "
               "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
               std::span<const store::Value>(values));
           if (!rows) {
             return rows.status().code() == StatusCode::kConflict
                        ? conflict("queue " + q.name + " exists", "name")
                        : rows.status();
           }
           q.id = rows->front().integer(0);
           return tx.audit({.entity = "queue",
                            .entity_id = std::to_string(q.id),
                            .action = "create",
                            .before_json = "",
                            .after_json = boost::json::serialize(queueJson(q)),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_acd, jsonResponse(queueJson(q), 201), "queues", call);
       },
       {.summary = "Create a queue.", .tag = "acd", .body = queue_fields, .success_status = 201,
        .success_description = "Created"}});

  router.add(
      {"PATCH",
       "/api/v1/queues/{name}",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         const std::int64_t tenant = call.principal->tenant_id;
         calls::QueueSetup q;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_ASSIGN_OR_RETURN(q, findQueue(tx.session(), tenant, call.path_params[0]));
           const auto before = queueJson(q);
           JsonBody body(call.request.body);
           TING_RETURN_IF_ERROR(readQueueFields(body, q, false));
           std::vector<store::Value> values = queueValues(q);
           values.push_back(tx.now());
           values.push_back(q.id);
           values.push_back(tenant);
           TING_RETURN_IF_ERROR(tx.session().query(
               "UPDATE queues SET display_name = ?, strategy = ?, offer_timeout_s = ?, "
               "wrap_up_s = ?, max_wait_s = ?, overflow_action = ?, overflow_queue = ?, "
               "join_empty = ?, leave_empty = ?, announce_interval_s = ?, callback_key = ?, "
               "abandon_return_s = ?, announce_staff_no = ?, survey = ?, skills = ?, "
               "callback_attempts = ?, callback_retry_s = ?, updated_at = ? WHERE id = ? AND tenant_id = ?",
               std::span<const store::Value>(values)).status());
           return tx.audit({.entity = "queue",
                            .entity_id = std::to_string(q.id),
                            .action = "update",
                            .before_json = boost::json::serialize(before),
                            .after_json = boost::json::serialize(queueJson(q)),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_acd, jsonResponse(queueJson(q)), "queues", call);
       },
       {.summary = "Change a queue's settings; calls waiting keep their place.",
        .tag = "acd",
        .body = queue_fields}});

  router.add(
      {"PUT",
       "/api/v1/queues/{name}/members",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         auto members = body.array("members", kRequired);
         TING_RETURN_IF_ERROR(body.finish());
         std::vector<std::pair<std::string, std::int64_t>> wanted;
         for (size_t i = 0; i < members->size(); ++i) {
           const std::string at = "members[" + std::to_string(i) + "]";
           const auto* o = (*members)[i].if_object();
           const auto* staff = o ? o->if_contains("staff_no") : nullptr;
           const auto* tier = o ? o->if_contains("tier") : nullptr;
           if (staff == nullptr || !staff->is_string() || staff->as_string().empty()) {
             return invalidArgument(at + ".staff_no is required", at + ".staff_no");
           }
           std::int64_t t = 0;
           if (tier != nullptr) {
             if (!tier->is_int64() || tier->as_int64() < 0 || tier->as_int64() > 99) {
               return invalidValue(at + ".tier must be 0-99", at + ".tier");
             }
             t = tier->as_int64();
           }
           wanted.emplace_back(std::string(staff->as_string()), t);
         }
         const std::int64_t tenant = call.principal->tenant_id;
         boost::json::array out;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           store::Session& s = tx.session();
           TING_ASSIGN_OR_RETURN(auto q, findQueue(s, tenant, call.path_params[0]));
           TING_ASSIGN_OR_RETURN(auto before, membersJson(s, q.id));
           TING_RETURN_IF_ERROR(s.exec("DELETE FROM queue_members WHERE queue_id = ?", {q.id}));
           for (size_t i = 0; i < wanted.size(); ++i) {
             TING_ASSIGN_OR_RETURN(auto user, s.query("SELECT id FROM users WHERE tenant_id = ? "
                                                      "AND username = ? AND disabled = 0",
                                                      {tenant, wanted[i].first}));
             if (user.empty()) {
               return invalidValue("no user " + wanted[i].first,
                                   "members[" + std::to_string(i) + "].staff_no");
             }
             auto inserted = s.exec(
                 "INSERT INTO queue_members (tenant_id, queue_id, user_id, tier, created_at) "
                 "VALUES (?, ?, ?, ?, ?)",
                 {tenant, q.id, user.front().integer(0), wanted[i].second, tx.now()});
             if (!inserted.isOk()) {
               return inserted.code() == StatusCode::kConflict
                          ? invalidValue(wanted[i].first + " is listed twice",
                                         "members[" + std::to_string(i) + "].staff_no")
                          : inserted;
             }
           }
           TING_ASSIGN_OR_RETURN(out, membersJson(s, q.id));
           return tx.audit({.entity = "queue",
                            .entity_id = std::to_string(q.id),
                            .action = "members",
                            .before_json = boost::json::serialize(before),
                            .after_json = boost::json::serialize(out),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_acd, jsonResponse(boost::json::object{{"items", out}}),
                            "queues", call);
       },
       {.summary = "Replace a queue's members, in member order, with their tiers.",
        .tag = "acd",
        .body = {{"members", "array", true, "[{staff_no, tier}] (tier 0-99, lower first)"}}}});

  router.add(
      {"PUT",
       "/api/v1/agents/{staff_no}/skills",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         auto skills = body.object("skills", kRequired);
         TING_RETURN_IF_ERROR(body.finish());
         std::vector<std::pair<std::string, std::int64_t>> wanted;
         for (const auto& [k, v] : *skills) {
           const std::string key(k);
           if (!calls::isAcdName(key)) {
             return invalidValue("skill names are 1-64 of A-Z a-z 0-9 _ -", "skills." + key);
           }
           if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > 5) {
             return invalidValue("skill levels are 1-5", "skills." + key);
           }
           wanted.emplace_back(key, v.as_int64());
         }
         const std::int64_t tenant = call.principal->tenant_id;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           store::Session& s = tx.session();
           TING_ASSIGN_OR_RETURN(auto user, s.query("SELECT id FROM users WHERE tenant_id = ? "
                                                    "AND username = ?",
                                                    {tenant, call.path_params[0]}));
           if (user.empty()) return notFound("no agent " + call.path_params[0]);
           const std::int64_t id = user.front().integer(0);
           TING_RETURN_IF_ERROR(s.exec("DELETE FROM agent_skills WHERE user_id = ?", {id}));
           for (const auto& [skill, level] : wanted) {
             TING_RETURN_IF_ERROR(s.exec("INSERT INTO agent_skills (tenant_id, user_id, skill, "
                                         "level) VALUES (?, ?, ?, ?)",
                                         {tenant, id, skill, level}));
           }
           return tx.audit({.entity = "user",
                            .entity_id = std::to_string(id),
                            .action = "skills",
                            .before_json = "",
                            .after_json = boost::json::serialize(*skills),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_acd,
                            jsonResponse(boost::json::object{{"skills", *skills}}), "skills", call);
       },
       {.summary = "Replace an agent's skills: {\"skills\": {\"billing\": 4}} (levels 1-5).",
        .tag = "acd",
        .body = {{"skills", "object", true, "skill name → proficiency 1-5"}}}});
}

}  // namespace ting::api
