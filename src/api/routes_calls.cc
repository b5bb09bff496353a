// Calls: records of calls in progress and finished, their recordings, and
// the phones registered to the tenant's SIP domain.

#include <boost/json/parse.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "calls/call_control.h"
#include "crm/phone.h"
#include "sip/sip_stack.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kCallList{
    .sortable = {{"arrived_at", "arrived_at"}},
    .default_sort = "-arrived_at",
    .filters = {"number", "from", "to", "since", "until", "state", "direction", "parent_id",
                "queue", "agent"},
};

constexpr const char* kCallColumns =
    "id, call_ref, direction, from_number, to_number, did, state, arrived_at, answered_at, "
    "ended_at, end_cause, hangup_by, transfer_target, recording_path, recording_ms, ivr_path, "
    "flow_id, flow_version, recording_deleted_at, queue, agent_staff_no, satisfaction, "
    "parent_ref";

// A call's number as a role sees it: masked (the caller's and, on outbound
// calls, the customer's) for roles that need not see them.
std::string shownNumber(const std::string& number, bool mask) {
  return mask ? crm::maskPhone(number) : number;
}

boost::json::object callJson(const store::Row& r, bool with_path, bool mask) {
  boost::json::object o{
      {"id", r.text(1)},
      {"direction", r.text(2)},
      {"from", shownNumber(r.text(3), mask)},
      {"to", shownNumber(r.text(4), mask)},
      {"did", r.text(5)},
      {"state", r.text(6)},
      {"arrived_at", columnTime(r, 7)},
      {"answered_at", columnTime(r, 8)},
      {"ended_at", columnTime(r, 9)},
      {"end_cause", columnText(r, 10)},
      {"hangup_by", columnText(r, 11)},
      {"transfer_target", columnText(r, 12)},
      {"has_recording", !r.isNull(13) && r.isNull(18)},
      {"recording_ms", columnInteger(r, 14)},
      {"flow_id", columnInteger(r, 16)},
      {"flow_version", columnInteger(r, 17)},
      {"queue", columnText(r, 19)},
      {"agent", columnText(r, 20)},
      {"satisfaction", columnInteger(r, 21)},
      {"parent_id", columnText(r, 22)},
  };
  if (with_path) {
    boost::system::error_code ec;
    auto path = r.isNull(15) ? boost::json::value(boost::json::array())
                             : boost::json::parse(r.text(15), ec);
    o["ivr_path"] = ec ? boost::json::value(boost::json::array()) : path;
  }
  return o;
}

Result<store::Row> findCall(ApiContext& ctx, std::int64_t tenant_id, const std::string& ref) {
  std::optional<store::Row> row;
  TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(auto rows, s.query(std::string("SELECT ") + kCallColumns +
                                                 " FROM calls WHERE tenant_id = ? AND call_ref = ?",
                                             {tenant_id, ref}));
    if (!rows.empty()) row = std::move(rows.front());
    return Status::ok();
  }));
  if (!row) return notFound("no such call");
  return std::move(*row);
}

}  // namespace

void addCallRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet call_readers = {Role::kAgent, Role::kTeamLead, Role::kQaInspector,
                                          Role::kSupervisor, Role::kAdmin};
  router.add(
      {"GET",
       "/api/v1/calls",
       Access::kAuthenticated,
       call_readers,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kCallList));
         store::PageQuery q{.table = "calls",
                            .columns = kCallColumns,
                            .tenant_id = call.principal->tenant_id,
                            .filter_sql = {},
                            .filter_params = {}};
         for (const auto& [k, v] : params.filters) {
           if (k == "since" || k == "until") {
             TING_RETURN_IF_ERROR(addTimeFilter(q, k, v, "arrived_at"));
           } else if (k == "number") {
             q.filter_sql += " AND (from_number = ? OR to_number = ?)";
             q.filter_params.emplace_back(v);
             q.filter_params.emplace_back(v);
           } else if (k == "from") {
             q.filter_sql += " AND from_number = ?";
             q.filter_params.emplace_back(v);
           } else if (k == "to") {
             q.filter_sql += " AND to_number = ?";
             q.filter_params.emplace_back(v);
           } else if (k == "state") {
             if (v != "ringing" && v != "answered" && v != "ended") {
               return invalidArgument("'state' must be ringing, answered or ended", "state")
                   .withReason("invalid_query");
             }
             q.filter_sql += " AND state = ?";
             q.filter_params.emplace_back(v);
           } else if (k == "direction") {
             if (v != "inbound" && v != "outbound") {
               return invalidArgument("'direction' must be inbound or outbound", "direction")
                   .withReason("invalid_query");
             }
             q.filter_sql += " AND direction = ?";
             q.filter_params.emplace_back(v);
           } else {
             // parent_id, queue, agent: exact matches.
             q.filter_sql += k == "parent_id" ? " AND parent_ref = ?"
                             : k == "queue"   ? " AND queue = ?"
                                              : " AND agent_staff_no = ?";
             q.filter_params.emplace_back(v);
           }
         }
         const bool mask = identity::masksPhoneNumbers(call.principal->role);
         return pageResponse(ctx.store, q, params, [mask](const store::Row& r) {
           return callJson(r, false, mask);
         });
       },
       {.summary = "Calls of your tenant, in progress and finished, newest first.",
        .tag = "calls",
        .query = listQueryDocs(kCallList)}});

  router.add({"GET",
              "/api/v1/calls/active",
              Access::kAuthenticated,
              call_readers,
              [&ctx](Call& call) -> Result<Response> {
                if (ctx.calls == nullptr) return unavailable("telephony is not running");
                boost::json::array items;
                const bool mask = identity::masksPhoneNumbers(call.principal->role);
                for (const auto& c : ctx.calls->activeCalls(call.principal->tenant_id)) {
                  items.push_back({{"id", c.ref},
                                   {"from", shownNumber(c.from_number, mask)},
                                   {"to", shownNumber(c.to_number, mask)},
                                   {"did", c.did},
                                   {"state", c.state},
                                   {"ivr_node", c.ivr_node},
                                   {"arrived_at", formatTimestamp(c.arrived_at)},
                                   {"transfer_target", c.transfer_target}});
                }
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Calls in progress right now, with the IVR node each is in.",
               .tag = "calls"}});

  router.add({"GET",
              "/api/v1/calls/{id}",
              Access::kAuthenticated,
              call_readers,
              [&ctx](Call& call) -> Result<Response> {
                const std::int64_t tenant = call.principal->tenant_id;
                TING_ASSIGN_OR_RETURN(auto row, findCall(ctx, tenant, call.path_params.at(0)));
                auto body = callJson(row, true, identity::masksPhoneNumbers(call.principal->role));
                // The calls placed for this one (a queued callback's dialling).
                boost::json::array legs;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      auto rows, s.query("SELECT call_ref FROM calls WHERE tenant_id = ? AND "
                                         "parent_ref = ? ORDER BY id",
                                         {tenant, call.path_params.at(0)}));
                  for (const auto& r : rows) legs.push_back(boost::json::value(r.text(0)));
                  return Status::ok();
                }));
                body["child_ids"] = std::move(legs);
                return jsonResponse(std::move(body));
              },
              {.summary = "One call with its IVR path (nodes, times, keys pressed) and the calls "
                          "placed for it (child_ids: a queued callback).",
               .tag = "calls"}});

  router.add(
      {"GET",
       "/api/v1/calls/{id}/recording",
       Access::kAuthenticated,
       {Role::kTeamLead, Role::kQaInspector, Role::kSupervisor, Role::kAdmin},
       [&ctx](Call& call) -> Result<Response> {
         const std::string ref = call.path_params.at(0);
         TING_ASSIGN_OR_RETURN(auto row, findCall(ctx, call.principal->tenant_id, ref));
         if (row.isNull(13)) return notFound("this call has no recording");
         if (!row.isNull(18)) {
           return notFound("the recording was deleted at the end of the tenant's retention period");
         }
         const std::filesystem::path path = std::filesystem::path(ctx.data_dir) / row.text(13);
         std::error_code ec;
         if (!std::filesystem::is_regular_file(path, ec)) {
           return notFound("the recording is not on disk");
         }
         TING_RETURN_IF_ERROR(checkFileRange(path, call.request.range));
         // Every playback is on the record.
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           return tx.audit({"call", ref, "play_recording", "", "", 0});
         }));
         return fileResponse(path, "audio/wav", call.request.range);
       },
       {.summary = "The call's two-channel WAV (left caller, right what the caller heard); "
                   "supports Range. Each playback is audited.",
        .tag = "calls"}});

  router.add({"GET",
              "/api/v1/sip/registrations",
              Access::kAuthenticated,
              {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                if (ctx.sip == nullptr) return unavailable("telephony is not running");
                boost::json::array items;
                for (const auto& r : ctx.sip->registrations(call.principal->tenant_id)) {
                  items.push_back({{"extension", r.extension},
                                   {"contact", r.contact},
                                   {"source", r.source},
                                   {"transport", r.transport},
                                   {"user_agent", r.user_agent},
                                   {"expires_at", formatTimestamp(r.expires_at_ms)}});
                }
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Phones registered to your tenant's SIP domain, with when each "
                          "binding expires.",
               .tag = "sip"}});

  // Call control: the agent on the call, or a lead or supervisor.
  const identity::RoleSet controllers{Role::kAgent, Role::kTeamLead, Role::kSupervisor,
                                      Role::kAdmin};
  auto commandFor = [](std::string action) {
    calls::CallControl::CallCommand command;
    command.action = std::move(action);
    return command;
  };
  auto control = [&ctx](Call& call, calls::CallControl::CallCommand command) -> Result<Response> {
    if (ctx.calls == nullptr) return unavailable("telephony is not running");
    const std::string agent =
        call.principal->role == Role::kAgent ? call.principal->username : std::string();
    TING_RETURN_IF_ERROR(
        ctx.calls->command(call.principal->tenant_id, call.path_params[0], command, agent));
    return noContent();
  };
  for (const auto& [action, summary] :
       std::vector<std::pair<std::string, std::string>>{
           {"hold", "Put the customer on hold (music on hold; the agent hears silence)."},
           {"resume", "Take the customer off hold."},
           {"hangup", "End the call (end_cause api_hangup)."}}) {
    router.add({"POST",
                "/api/v1/calls/{id}/" + action,
                Access::kAuthenticated,
                controllers,
                [control, commandFor, action = action](Call& call) -> Result<Response> {
                  JsonBody body(call.request.body.empty() ? std::string_view("{}")
                                                          : std::string_view(call.request.body));
                  TING_RETURN_IF_ERROR(body.finish());
                  return control(call, commandFor(action));
                },
                {.summary = summary, .tag = "calls", .success_status = 204,
                 .success_description = "Done"}});
  }
  router.add({"PUT",
              "/api/v1/calls/{id}/recording",
              Access::kAuthenticated,
              controllers,
              [control, commandFor](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto paused = body.boolean("paused", kRequired);
                TING_RETURN_IF_ERROR(body.finish());
                return control(call,
                               commandFor(*paused ? "pause_recording" : "resume_recording"));
              },
              {.summary = "Pause the call's recording (both channels record silence, for card "
                          "numbers) or resume it.",
               .tag = "calls",
               .body = {{"paused", "boolean", true, ""}},
               .success_status = 204,
               .success_description = "Done"}});
  router.add({"POST",
              "/api/v1/calls/{id}/transfer",
              Access::kAuthenticated,
              controllers,
              [control, commandFor](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto queue = body.string("queue", false, 64);
                auto agent = body.string("agent", false, 64);
                auto number = body.string("number", false, 32);
                TING_RETURN_IF_ERROR(body.finish());
                auto command = commandFor("transfer");
                command.queue = queue.value_or("");
                command.staff_no = agent.value_or("");
                command.number = number.value_or("");
                return control(call, command);
              },
              {.summary = "Blind transfer: the agent's part ends (wrap-up) and the customer goes "
                          "to a queue, an available agent (staff number) or an outside number.",
               .tag = "calls",
               .body = {{"queue", "string", false, "a queue name"},
                        {"agent", "string", false, "an agent's staff number"},
                        {"number", "string", false, "an outside number, through the trunk"}},
               .success_status = 204,
               .success_description = "Done"}});

  // Supervisors: listen, whisper, barge, through their own phone; move a
  // waiting caller up or down the queue.
  const identity::RoleSet monitors{Role::kTeamLead, Role::kSupervisor, Role::kAdmin};
  router.add({"PUT",
              "/api/v1/calls/{id}/priority",
              Access::kAuthenticated,
              monitors,
              [control, commandFor](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto priority = body.integer("priority", kRequired, -100, 100);
                TING_RETURN_IF_ERROR(body.finish());
                auto command = commandFor("priority");
                command.priority = static_cast<int>(*priority);
                return control(call, command);
              },
              {.summary = "Change a waiting call's priority (higher first): it takes its new "
                          "place in the queue at once; 409 not_queued when it is not waiting.",
               .tag = "calls",
               .body = {{"priority", "integer", true, "-100 to 100; callers start at 0 or the "
                                                      "IVR variable priority"}},
               .success_status = 204,
               .success_description = "Done"}});

  router.add({"POST",
              "/api/v1/calls/{id}/monitor",
              Access::kAuthenticated,
              monitors,
              [&ctx, control, commandFor](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto mode = body.string("mode", kRequired, 16);
                TING_RETURN_IF_ERROR(body.finish());
                auto command = commandFor("monitor");
                command.mode = *mode;
                command.supervisor_staff_no = call.principal->username;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(auto rows,
                                        s.query("SELECT sip_extension FROM users WHERE id = ? "
                                                "AND tenant_id = ?",
                                                {call.principal->user_id,
                                                 call.principal->tenant_id}));
                  if (!rows.empty() && !rows.front().isNull(0)) {
                    command.supervisor_extension = rows.front().text(0);
                  }
                  return Status::ok();
                }));
                return control(call, command);
              },
              {.summary = "Monitor a call from your own registered phone: listen (silent), "
                          "whisper (only the agent hears you) or barge (three-way). Sent again, "
                          "it changes the mode.",
               .tag = "calls",
               .body = {{"mode", "string", true, "listen, whisper or barge"}},
               .success_status = 204,
               .success_description = "Your phone rings; answer it to join"}});
  router.add({"DELETE",
              "/api/v1/calls/{id}/monitor",
              Access::kAuthenticated,
              monitors,
              [control, commandFor](Call& call) -> Result<Response> {
                return control(call, commandFor("stop_monitor"));
              },
              {.summary = "Stop monitoring the call (your phone is hung up).",
               .tag = "calls",
               .success_status = 204,
               .success_description = "Done"}});

  // Attended transfer: consult another agent while the customer holds.
  router.add({"POST",
              "/api/v1/calls/{id}/consult",
              Access::kAuthenticated,
              controllers,
              [control, commandFor](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                auto agent = body.string("agent", kRequired, 64);
                TING_RETURN_IF_ERROR(body.finish());
                auto command = commandFor("consult");
                command.staff_no = *agent;
                return control(call, command);
              },
              {.summary = "Attended transfer, step 1: the customer is put on hold and Ting rings "
                          "an available agent's phone; once answered the two agents talk.",
               .tag = "calls",
               .body = {{"agent", "string", true, "the staff number to consult"}},
               .success_status = 204,
               .success_description = "Ringing"}});
  router.add({"POST",
              "/api/v1/calls/{id}/consult/complete",
              Access::kAuthenticated,
              controllers,
              [control, commandFor](Call& call) -> Result<Response> {
                return control(call, commandFor("consult_complete"));
              },
              {.summary = "Attended transfer, step 2: the consulted agent takes the customer; "
                          "you leave the call (wrap-up). Hanging up your phone does the same.",
               .tag = "calls",
               .success_status = 204,
               .success_description = "Done"}});
  router.add({"DELETE",
              "/api/v1/calls/{id}/consult",
              Access::kAuthenticated,
              controllers,
              [control, commandFor](Call& call) -> Result<Response> {
                return control(call, commandFor("consult_cancel"));
              },
              {.summary = "Cancel the consultation: the consulted phone is hung up and you are "
                          "back with the customer.",
               .tag = "calls",
               .success_status = 204,
               .success_description = "Done"}});
}

}  // namespace ting::api
