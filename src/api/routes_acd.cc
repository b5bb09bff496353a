// The ACD: agents' states (log in, breaks, log out) and the queue event log.

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

const ListSpec kQueueEventList{
    .sortable = {{"at", "at"}},
    .default_sort = "at",
    .filters = {"queue", "event", "call_id", "staff_no", "since", "until"},
};

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
               {"call_id", r.isNull(2) ? boost::json::value(nullptr) : boost::json::value(r.text(2))},
               {"event", r.text(3)},
               {"staff_no", r.isNull(4) ? boost::json::value(nullptr) : boost::json::value(r.text(4))},
               {"position", r.isNull(5) ? boost::json::value(nullptr) : boost::json::value(r.integer(5))},
               {"wait_ms", r.isNull(6) ? boost::json::value(nullptr) : boost::json::value(r.integer(6))},
               {"detail", r.isNull(7) ? boost::json::value(nullptr) : boost::json::value(r.text(7))},
               {"at", formatTimestamp(r.integer(8))}};
         });
       },
       {.summary = "The queue event log: entered, offered, answered, missed, rejected, abandoned, "
                   "timed_out, transferred, callback_requested, completed, left.",
        .tag = "acd",
        .query = listQueryDocs(kQueueEventList)}});
}

}  // namespace ting::api
