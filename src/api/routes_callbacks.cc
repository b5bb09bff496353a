// Callback requests: messages left in the IVR (source voicemail) and
// callbacks asked for while queued (source queue:<name>; Ting dials those
// itself when the tenant has an outbound trunk, docs/acd.md).

#include <boost/json/serialize.hpp>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "calls/call_control.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kCallbackList{
    .sortable = {{"created_at", "created_at"}, {"updated_at", "updated_at"}},
    .default_sort = "created_at",
    .filters = {"status", "source", "number", "call_id", "since", "until"},
};

constexpr const char* kCallbackColumns =
    "id, call_ref, number, recording_path, source, status, attempts, callback_ref, detail, "
    "created_at, updated_at";

boost::json::object callbackJson(const store::Row& r) {
  return {{"id", r.integer(0)},
          {"call_id", columnText(r, 1)},
          {"number", r.text(2)},
          {"has_message", !r.isNull(3)},
          {"source", r.text(4)},
          {"status", r.text(5)},
          {"attempts", r.integer(6)},
          {"callback_call_id", columnText(r, 7)},
          {"detail", columnText(r, 8)},
          {"created_at", formatTimestamp(r.integer(9))},
          {"updated_at", formatTimestamp(r.integer(10))}};
}

bool isStatus(const std::string& v) {
  for (const char* s : {"open", "queued", "dialing", "retrying", "completed", "failed",
                        "cancelled"}) {
    if (v == s) return true;
  }
  return false;
}

}  // namespace

void addCallbackRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet workers{Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin};
  router.add(
      {"GET",
       "/api/v1/callbacks",
       Access::kAuthenticated,
       workers,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kCallbackList));
         store::PageQuery q{.table = "callback_requests",
                            .columns = kCallbackColumns,
                            .tenant_id = call.principal->tenant_id,
                            .filter_sql = {},
                            .filter_params = {}};
         for (const auto& [k, v] : params.filters) {
           if (k == "since" || k == "until") {
             TING_RETURN_IF_ERROR(addTimeFilter(q, k, v, "created_at"));
             continue;
           }
           if (k == "status" && !isStatus(v)) {
             return invalidArgument("'status' must be open, queued, dialing, retrying, completed, "
                                    "failed or cancelled",
                                    "status")
                 .withReason("invalid_query");
           }
           q.filter_sql += k == "call_id" ? " AND call_ref = ?" : " AND " + k + " = ?";
           q.filter_params.emplace_back(v);
         }
         return pageResponse(ctx.store, q, params, callbackJson);
       },
       {.summary = "Callback requests: messages left in the IVR and callbacks asked for in a "
                   "queue, oldest first. status: open (someone must call back), queued, "
                   "dialing, retrying (Ting calls back itself), completed, failed, cancelled.",
        .tag = "calls",
        .query = listQueryDocs(kCallbackList)}});

  router.add(
      {"PATCH",
       "/api/v1/callbacks/{id}",
       Access::kAuthenticated,
       workers,
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         auto status = body.string("status", kRequired, 16);
         auto detail = body.string("detail", false, 1000);
         TING_RETURN_IF_ERROR(body.finish());
         if (*status != "completed" && *status != "cancelled") {
           return invalidValue("status must be completed (called back) or cancelled", "status");
         }
         std::int64_t id = 0;
         try {
           id = std::stoll(call.path_params[0]);
         } catch (const std::exception&) {
           return notFound("no such callback request");
         }
         const std::int64_t tenant = call.principal->tenant_id;
         std::optional<store::Row> row;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(auto rows, s.query(std::string("SELECT ") + kCallbackColumns +
                                                        " FROM callback_requests WHERE id = ? "
                                                        "AND tenant_id = ?",
                                                    {id, tenant}));
           if (!rows.empty()) row = std::move(rows.front());
           return Status::ok();
         }));
         if (!row) return notFound("no such callback request");
         const std::string was = row->text(5);
         if (was == "completed" || was == "failed" || was == "cancelled") {
           return conflict("the callback request is already " + was, "status")
               .withReason("callback_closed");
         }
         if (was != "open" && *status == "completed") {
           return conflict("Ting calls this customer back itself; cancel it instead", "status")
               .withReason("callback_queued");
         }
         // A queued callback leaves its queue first (refused while an agent has it).
         if (was != "open" && ctx.calls != nullptr && !row->isNull(1)) {
           TING_RETURN_IF_ERROR(ctx.calls->cancelCallback(tenant, row->text(1)));
         }
         const auto before = callbackJson(*row);
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_RETURN_IF_ERROR(tx.session().exec(
               "UPDATE callback_requests SET status = ?, detail = ?, updated_at = ? WHERE id = ? "
               "AND tenant_id = ?",
               {*status, store::textOrNull(detail.value_or("")), tx.now(), id, tenant}));
           TING_ASSIGN_OR_RETURN(auto rows, tx.session().query(
                                                std::string("SELECT ") + kCallbackColumns +
                                                    " FROM callback_requests WHERE id = ?",
                                                {id}));
           row = std::move(rows.front());
           return tx.audit({.entity = "callback_request",
                            .entity_id = std::to_string(id),
                            .action = "update",
                            .before_json = boost::json::serialize(before),
                            .after_json = boost::json::serialize(callbackJson(*row)),
                            .tenant_id = tenant});
         }));
         return jsonResponse(callbackJson(*row));
       },
       {.summary = "Close a callback request: completed (an agent called back) or cancelled "
                   "(a queued callback also leaves its queue).",
        .tag = "calls",
        .body = {{"status", "string", true, "completed or cancelled"},
                 {"detail", "string", false, "what happened"}}}});
}

}  // namespace ting::api
