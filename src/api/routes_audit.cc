// The audit log of the caller's tenant.

#include <boost/json/parse.hpp>
#include <charconv>

#include "api/api_context.h"
#include "api/list_params.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kAuditList{
    .sortable = {},
    .default_sort = "-id",
    .filters = {"entity", "entity_id", "actor_id", "action", "since", "until"},
};

boost::json::value parsedOrNull(const store::Row& r, size_t i) {
  if (r.isNull(i)) return nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.text(i), ec);
  return ec ? boost::json::value(r.text(i)) : v;
}

}  // namespace

void addAuditRoutes(Router& router, ApiContext& ctx) {
  router.add({"GET",
              "/api/v1/audit",
              Access::kAuthenticated,
              {Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kAuditList));
                store::PageQuery q{.table = "audit_log",
                                   .columns =
                                       "id, at, actor_id, actor, entity, entity_id, action, "
                                       "before_json, after_json, request_id",
                                   .tenant_id = call.principal->tenant_id};
                for (const auto& [k, v] : params.filters) {
                  if (k == "since" || k == "until") {
                    TING_RETURN_IF_ERROR(addTimeFilter(q, k, v, "at"));
                  } else if (k == "actor_id") {
                    std::int64_t id = 0;
                    auto r = std::from_chars(v.data(), v.data() + v.size(), id);
                    if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
                      return invalidArgument("'actor_id' must be an integer", "actor_id")
                          .withReason("invalid_query");
                    }
                    q.filter_sql += " AND actor_id = ?";
                    q.filter_params.emplace_back(id);
                  } else {
                    // entity, entity_id, action: column names equal the parameter names
                    q.filter_sql += " AND " + k + " = ?";
                    q.filter_params.emplace_back(v);
                  }
                }
                return pageResponse(ctx.store, q, params, [](const store::Row& r) {
                  return boost::json::object{
                      {"id", r.integer(0)},
                      {"at", formatTimestamp(r.integer(1))},
                      {"actor_id",
                       r.isNull(2) ? boost::json::value(nullptr) : boost::json::value(r.integer(2))},
                      {"actor", r.text(3)},
                      {"entity", r.text(4)},
                      {"entity_id", r.text(5)},
                      {"action", r.text(6)},
                      {"before", parsedOrNull(r, 7)},
                      {"after", parsedOrNull(r, 8)},
                      {"request_id", r.text(9)}};
                });
              },
              {.summary = "Audit entries of your tenant, newest first.",
               .tag = "audit",
               .query = listQueryDocs(kAuditList)}});
}

}  // namespace ting::api
