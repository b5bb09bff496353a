// Background jobs of the caller's tenant: imports and exports with their
// progress, and the file each leaves.

#include "api/api_context.h"
#include "api/list_params.h"
#include "jobs/jobs.h"

namespace ting::api {

using identity::Role;

namespace {

constexpr int kListed = 50;

// Who sees a job: those who may start it.
const identity::RoleSet kJobRoles{Role::kTeamLead, Role::kSupervisor, Role::kAdmin};

Result<jobs::Job> jobOf(ApiContext& ctx, const Call& call, std::int64_t id) {
  jobs::Job job;
  TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(job, jobs::getJob(s, call.principal->tenant_id, id));
    return Status::ok();
  }));
  return job;
}

}  // namespace

void addJobRoutes(Router& router, ApiContext& ctx) {
  router.add({"GET",
              "/api/v1/jobs",
              Access::kAuthenticated,
              kJobRoles,
              [&ctx](Call& call) -> Result<Response> {
                std::string kind;
                for (const auto& [k, v] : call.query) {
                  if (k != "kind") {
                    return invalidArgument("unknown query parameter '" + k + "'", k)
                        .withReason("invalid_query");
                  }
                  if (v != "customer_import" && v != "customer_export") {
                    return badQueryValue(k, "customer_import or customer_export");
                  }
                  kind = v;
                }
                std::vector<jobs::Job> found;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      found, jobs::listJobs(s, call.principal->tenant_id, kind, kListed));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& j : found) items.push_back(jobs::toJson(j));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Your tenant's latest 50 background jobs (imports, exports), newest "
                          "first, with status (queued, running, done, failed) and progress.",
               .tag = "jobs",
               .query = {{"kind", "string", false, "customer_import or customer_export"}}}});

  router.add({"GET",
              "/api/v1/jobs/{id}",
              Access::kAuthenticated,
              kJobRoles,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_ASSIGN_OR_RETURN(jobs::Job job, jobOf(ctx, call, id));
                return jsonResponse(jobs::toJson(job));
              },
              {.summary = "One job: status, done of total, percent, result (an import's counts "
                          "and first rejected rows, an export's row count) or error.",
               .tag = "jobs"}});

  router.add(
      {"GET",
       "/api/v1/jobs/{id}/file",
       Access::kAuthenticated,
       kJobRoles,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         TING_ASSIGN_OR_RETURN(jobs::Job job, jobOf(ctx, call, id));
         if (job.status != "done") return conflict("the job has not finished", "status");
         if (job.file_path.empty()) {
           return notFound(job.kind == "customer_import"
                               ? "the import rejected no rows: there is no report"
                               : "the file was removed at the end of its retention period");
         }
         TING_RETURN_IF_ERROR(checkFileRange(job.file_path, call.request.range));
         // An export is a copy of personal data: each download is on the record.
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           return tx.audit({.entity = "job", .entity_id = std::to_string(id), .action = "download"});
         }));
         TING_ASSIGN_OR_RETURN(Response res, fileResponse(job.file_path, "text/csv; charset=utf-8",
                                                          call.request.range));
         const std::string name =
             job.kind == "customer_export" ? "customers-" + std::to_string(id) + ".csv"
                                           : "import-" + std::to_string(id) + "-report.csv";
         res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
         return res;
       },
       {.summary = "A finished job's file: an export's CSV, or an import's report of rejected "
                   "rows (line, field, error). Supports Range; audited.",
        .tag = "jobs"}});
}

}  // namespace ting::api
