// IVR flows of the caller's tenant, their published versions, and the
// inbound numbers (DIDs) that run them. A document is compiled and validated
// before anything is stored; a publish adds a version and makes it current,
// and the flow registry is reloaded so new calls get it at once (calls in
// progress keep the version they started on).

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "api/telephony_fields.h"
#include "ivr/validate.h"
#include "tts/prompt_cache.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kFlowList{
    .sortable = {{"name", "name"}, {"created_at", "created_at"}, {"updated_at", "updated_at"}},
    .default_sort = "name",
    .filters = {},
};

const ListSpec kVersionList{
    .sortable = {{"version", "version"}},
    .default_sort = "-version",
    .filters = {},
};

const ListSpec kDidList{
    .sortable = {{"number", "number"}, {"updated_at", "updated_at"}},
    .default_sort = "number",
    .filters = {"flow"},
};

constexpr const char* kFlowColumns = "id, name, current_version, created_at, updated_at";
// A DID with the name of its flow.
constexpr const char* kDidColumns =
    "id, number, (SELECT f.name FROM ivr_flows f WHERE f.id = dids.flow_id AND f.tenant_id = "
    "dids.tenant_id), created_at, updated_at";

// Flow names: 1-64 characters of A-Z a-z 0-9 _ - (like node ids).
bool validFlowName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

boost::json::object flowJson(const store::Row& r) {
  return {{"id", r.integer(0)},
          {"name", r.text(1)},
          {"current_version", r.integer(2)},
          {"created_at", formatTimestamp(r.integer(3))},
          {"updated_at", formatTimestamp(r.integer(4))}};
}

// Stored JSON text as a value (the text itself, should it not parse).
boost::json::value parsedJson(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return ec ? boost::json::value(text) : v;
}

boost::json::object didJson(const store::Row& r) {
  return {{"number", r.text(1)},
          {"flow", r.isNull(2) ? boost::json::value(nullptr) : boost::json::value(r.text(2))},
          {"created_at", formatTimestamp(r.integer(3))},
          {"updated_at", formatTimestamp(r.integer(4))}};
}

// The flow `name` of the tenant; kNotFound when there is none.
Result<store::Row> findFlow(store::Session& s, std::int64_t tenant_id, const std::string& name) {
  if (!validFlowName(name)) return notFound("no such flow");
  auto row = s.queryOne(
      std::string("SELECT ") + kFlowColumns + " FROM ivr_flows WHERE tenant_id = ? AND name = ?",
      {tenant_id, name});
  if (!row && row.status().code() == StatusCode::kNotFound) return notFound("no such flow");
  return row;
}

struct FlowVersion {
  int version = 0;
  std::string document;
  std::string created_by;
  UnixMillis created_at = 0;
};

Result<FlowVersion> findVersion(store::Session& s, std::int64_t tenant_id, std::int64_t flow_id,
                                std::int64_t version) {
  auto row = s.queryOne(
      "SELECT version, document, created_by, created_at FROM ivr_flow_versions WHERE "
      "tenant_id = ? AND flow_id = ? AND version = ?",
      {tenant_id, flow_id, version});
  if (!row) {
    if (row.status().code() == StatusCode::kNotFound) return notFound("no such version");
    return row.status();
  }
  return FlowVersion{static_cast<int>(row->integer(0)), row->text(1), row->text(2),
                     row->integer(3)};
}

// The flow with its current document, as GET and every publish answer it.
Result<boost::json::object> flowDetail(store::Session& s, std::int64_t tenant_id,
                                       const std::string& name) {
  TING_ASSIGN_OR_RETURN(store::Row flow, findFlow(s, tenant_id, name));
  boost::json::object out = flowJson(flow);
  TING_ASSIGN_OR_RETURN(FlowVersion v, findVersion(s, tenant_id, flow.integer(0), flow.integer(2)));
  out["document"] = parsedJson(v.document);
  out["published_by"] = v.created_by;
  out["published_at"] = formatTimestamp(v.created_at);
  return out;
}

// Compiles `document` for the tenant. nullopt when it can run; otherwise the
// 422 answer listing every problem.
std::optional<Response> rejectInvalidFlow(ApiContext& ctx, std::int64_t tenant_id,
                                          const std::string& document) {
  ivr::ValidateOptions options;
  if (ctx.prompts) {
    options.prompt_exists = [&ctx, tenant_id](std::string_view name) {
      return ctx.prompts->uploadExists(tenant_id, name);
    };
  }
  std::vector<ivr::FlowError> errors;
  auto compiled = ivr::compileFlow(document, options, &errors);
  if (compiled) return std::nullopt;
  if (errors.empty()) errors.push_back({"", "", compiled.status().message()});
  boost::json::object err{
      {"code", "invalid_flow"},
      {"message", errors.size() == 1
                      ? std::string("the flow has 1 problem: ") + errors.front().describe()
                      : "the flow has " + std::to_string(errors.size()) + " problems"},
      {"field", "document"},
      {"errors", parsedJson(ivr::flowErrorsJson(errors))}};
  return jsonResponse(boost::json::object{{"error", std::move(err)}}, 422);
}

// Adds `document` as the next version of the flow and makes it current,
// audited as `action` (with `note` merged into the audit entry's after).
Status publishVersion(store::Tx& tx, std::int64_t tenant_id, const std::string& name,
                      const std::string& document, const std::string& action,
                      boost::json::object note = {}) {
  store::Session& s = tx.session();
  // Locks the flow's row first, so concurrent publishes take turns.
  auto locked = s.queryOne(
      "UPDATE ivr_flows SET updated_at = ? WHERE tenant_id = ? AND name = ? "
      "RETURNING id, current_version",
      {tx.now(), tenant_id, name});
  if (!locked) {
    if (locked.status().code() == StatusCode::kNotFound) return notFound("no such flow");
    return locked.status();
  }
  const std::int64_t flow_id = locked->integer(0);
  const std::int64_t before = locked->integer(1);
  TING_ASSIGN_OR_RETURN(store::Row max, s.queryOne("SELECT COALESCE(MAX(version), 0) FROM "
                                                   "ivr_flow_versions WHERE tenant_id = ? AND "
                                                   "flow_id = ?",
                                                   {tenant_id, flow_id}));
  const std::int64_t version = max.integer(0) + 1;
  Status inserted = s.exec(
      "INSERT INTO ivr_flow_versions (tenant_id, flow_id, version, document, created_by, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?)",
      {tenant_id, flow_id, version, document, tx.actor().name, tx.now()});
  if (inserted.code() == StatusCode::kConflict) {
    return conflict("another version of the flow was published at the same time; retry");
  }
  TING_RETURN_IF_ERROR(inserted);
  TING_RETURN_IF_ERROR(
      s.exec("UPDATE ivr_flows SET current_version = ? WHERE tenant_id = ? AND id = ?",
             {version, tenant_id, flow_id}));
  boost::json::object after{{"name", name}, {"current_version", version}};
  for (auto& [k, v] : note) after[k] = v;
  return tx.audit({.entity = "ivr_flow",
                   .entity_id = name,
                   .action = action,
                   .before_json = boost::json::serialize(
                       boost::json::object{{"name", name}, {"current_version", before}}),
                   .after_json = boost::json::serialize(after),
                   .tenant_id = tenant_id});
}

}  // namespace

void addIvrRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet readers{Role::kAdmin, Role::kSupervisor};
  const identity::RoleSet admins{Role::kAdmin};

  router.add({"GET",
              "/api/v1/ivr/flows",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kFlowList));
                store::PageQuery q{.table = "ivr_flows",
                                   .columns = kFlowColumns,
                                   .tenant_id = call.principal->tenant_id};
                return pageResponse(ctx.store, q, params, flowJson);
              },
              {.summary = "IVR flows of your tenant with their current version.",
               .tag = "ivr",
               .query = listQueryDocs(kFlowList)}});

  router.add(
      {"POST",
       "/api/v1/ivr/flows",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         auto name = body.string("name", kRequired, 64);
         auto document = body.object("document", kRequired);
         TING_RETURN_IF_ERROR(body.finish());
         if (!validFlowName(*name)) {
           return invalidValue("'name' must be 1 to 64 characters of A-Z a-z 0-9 _ -", "name");
         }
         const std::int64_t tenant = call.principal->tenant_id;
         const std::string text = boost::json::serialize(*document);
         if (auto rejected = rejectInvalidFlow(ctx, tenant, text)) return std::move(*rejected);
         boost::json::object out;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           auto row = tx.session().queryOne(
               "INSERT INTO ivr_flows (tenant_id, name, current_version, created_at, updated_at) "
               "VALUES (?, ?, 1, ?, ?) RETURNING id",
               {tenant, *name, tx.now(), tx.now()});
           if (!row) {
             if (row.status().code() == StatusCode::kConflict) {
               return conflict("a flow named '" + *name + "' already exists", "name");
             }
             return row.status();
           }
           TING_RETURN_IF_ERROR(tx.session().exec(
               "INSERT INTO ivr_flow_versions (tenant_id, flow_id, version, document, "
               "created_by, created_at) VALUES (?, ?, 1, ?, ?, ?)",
               {tenant, row->integer(0), text, tx.actor().name, tx.now()}));
           TING_RETURN_IF_ERROR(tx.audit({.entity = "ivr_flow",
                                          .entity_id = *name,
                                          .action = "create",
                                          .after_json = boost::json::serialize(boost::json::object{
                                              {"name", *name}, {"current_version", 1}}),
                                          .tenant_id = tenant}));
           TING_ASSIGN_OR_RETURN(out, flowDetail(tx.session(), tenant, *name));
           return Status::ok();
         }));
         return applyChange(ctx.reload_flows, jsonResponse(out, 201), "IVR flows", call);
       },
       {.summary = "Create a flow; its document becomes version 1, live at once. An invalid "
                   "document is answered 422 with every problem in error.errors.",
        .tag = "ivr",
        .body = {{"name", "string", true, "1-64 characters of A-Z a-z 0-9 _ -."},
                 {"document", "object", true, "The flow document (docs/ivr.md)."}},
        .success_status = 201,
        .success_description = "Created"}});

  router.add({"GET",
              "/api/v1/ivr/flows/{name}",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      out, flowDetail(s, call.principal->tenant_id, call.path_params.at(0)));
                  return Status::ok();
                }));
                return jsonResponse(out);
              },
              {.summary = "A flow with its current version's document.", .tag = "ivr"}});

  router.add({"PUT",
              "/api/v1/ivr/flows/{name}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                const std::string& name = call.path_params.at(0);
                if (!validFlowName(name)) return notFound("no such flow");
                JsonBody body(call.request.body);
                auto document = body.object("document", kRequired);
                TING_RETURN_IF_ERROR(body.finish());
                const std::int64_t tenant = call.principal->tenant_id;
                const std::string text = boost::json::serialize(*document);
                if (auto rejected = rejectInvalidFlow(ctx, tenant, text)) {
                  // An unknown flow is still a 404, whatever its document.
                  TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                    return findFlow(s, tenant, name).status();
                  }));
                  return std::move(*rejected);
                }
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_RETURN_IF_ERROR(publishVersion(tx, tenant, name, text, "publish"));
                  TING_ASSIGN_OR_RETURN(out, flowDetail(tx.session(), tenant, name));
                  return Status::ok();
                }));
                return applyChange(ctx.reload_flows, jsonResponse(out), "IVR flows", call);
              },
              {.summary = "Publish a new version of a flow; new calls get it at once, calls in "
                          "progress keep theirs. Invalid: 422 with every problem, nothing stored.",
               .tag = "ivr",
               .body = {{"document", "object", true, "The flow document (docs/ivr.md)."}}}});

  router.add({"GET",
              "/api/v1/ivr/flows/{name}/versions",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kVersionList));
                const std::int64_t tenant = call.principal->tenant_id;
                store::Page page;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(store::Row flow,
                                        findFlow(s, tenant, call.path_params.at(0)));
                  store::PageQuery q{.table = "ivr_flow_versions",
                                     .columns = "id, version, created_by, created_at",
                                     .tenant_id = tenant,
                                     .filter_sql = " AND flow_id = ?",
                                     .filter_params = {flow.integer(0)}};
                  TING_ASSIGN_OR_RETURN(page, store::listPage(s, q, params.page));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& r : page.rows) {
                  items.push_back({{"version", r.integer(1)},
                                   {"created_by", r.text(2)},
                                   {"created_at", formatTimestamp(r.integer(3))}});
                }
                return listResponse(std::move(items), page, params);
              },
              {.summary = "The published versions of a flow, newest first.",
               .tag = "ivr",
               .query = listQueryDocs(kVersionList)}});

  router.add({"GET",
              "/api/v1/ivr/flows/{name}/versions/{version}",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                auto version = call.pathId(1);
                if (!version) return notFound("no such version");
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(store::Row flow, findFlow(s, call.principal->tenant_id,
                                                                  call.path_params.at(0)));
                  TING_ASSIGN_OR_RETURN(FlowVersion v, findVersion(s, call.principal->tenant_id,
                                                                   flow.integer(0), *version));
                  out = {{"name", flow.text(1)},
                         {"version", v.version},
                         {"current", flow.integer(2) == v.version},
                         {"created_by", v.created_by},
                         {"created_at", formatTimestamp(v.created_at)},
                         {"document", parsedJson(v.document)}};
                  return Status::ok();
                }));
                return jsonResponse(out);
              },
              {.summary = "One published version of a flow, with its document.", .tag = "ivr"}});

  router.add({"POST",
              "/api/v1/ivr/flows/{name}/rollback",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                const std::string& name = call.path_params.at(0);
                JsonBody body(call.request.body);
                auto version = body.integer("version", kRequired, 1, INT32_MAX);
                TING_RETURN_IF_ERROR(body.finish());
                const std::int64_t tenant = call.principal->tenant_id;
                FlowVersion old;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(store::Row flow, findFlow(s, tenant, name));
                  auto v = findVersion(s, tenant, flow.integer(0), *version);
                  if (!v && v.status().code() == StatusCode::kNotFound) {
                    return invalidValue("the flow has no version " + std::to_string(*version),
                                        "version");
                  }
                  TING_ASSIGN_OR_RETURN(old, std::move(v));
                  return Status::ok();
                }));
                // Recordings it plays may have been deleted since: check it again.
                if (auto rejected = rejectInvalidFlow(ctx, tenant, old.document)) {
                  return std::move(*rejected);
                }
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_RETURN_IF_ERROR(publishVersion(tx, tenant, name, old.document, "rollback",
                                                      {{"copied_from_version", old.version}}));
                  TING_ASSIGN_OR_RETURN(out, flowDetail(tx.session(), tenant, name));
                  return Status::ok();
                }));
                return applyChange(ctx.reload_flows, jsonResponse(out), "IVR flows", call);
              },
              {.summary = "Publish a copy of an earlier version as the new current version.",
               .tag = "ivr",
               .body = {{"version", "integer", true, "The version to copy."}}}});

  router.add({"GET",
              "/api/v1/dids",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kDidList));
                const std::int64_t tenant = call.principal->tenant_id;
                store::PageQuery q{.table = "dids", .columns = kDidColumns, .tenant_id = tenant};
                if (auto it = params.filters.find("flow"); it != params.filters.end()) {
                  q.filter_sql +=
                      " AND flow_id IN (SELECT f.id FROM ivr_flows f WHERE f.tenant_id = ? AND "
                      "f.name = ?)";
                  q.filter_params.insert(q.filter_params.end(), {tenant, it->second});
                }
                return pageResponse(ctx.store, q, params, didJson);
              },
              {.summary = "Inbound numbers of your tenant and the flow each runs.",
               .tag = "ivr",
               .query = listQueryDocs(kDidList)}});

  router.add(
      {"PUT",
       "/api/v1/dids/{number}",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         const std::string& number = call.path_params.at(0);
         JsonBody body(call.request.body);
         auto flow_name = body.string("flow", kRequired, 64);
         TING_RETURN_IF_ERROR(body.finish());
         if (!isDialNumber(number)) {
           return invalidValue("a number is 1 to 32 digits, optionally after a '+'", "number");
         }
         const std::int64_t tenant = call.principal->tenant_id;
         bool created = false;
         boost::json::object out;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           store::Session& s = tx.session();
           auto flow = findFlow(s, tenant, *flow_name);
           if (!flow && flow.status().code() == StatusCode::kNotFound) {
             return invalidValue("no flow named '" + ivr::printable(*flow_name) + "'", "flow");
           }
           TING_RETURN_IF_ERROR(flow.status());
           TING_ASSIGN_OR_RETURN(store::Rows existing,
                                 s.query(std::string("SELECT ") + kDidColumns +
                                             " FROM dids WHERE tenant_id = ? AND number = ?",
                                         {tenant, number}));
           std::string before;
           if (existing.empty()) {
             created = true;
             Status inserted = s.exec(
                 "INSERT INTO dids (tenant_id, number, flow_id, created_at, updated_at) VALUES "
                 "(?, ?, ?, ?, ?)",
                 {tenant, number, flow->integer(0), tx.now(), tx.now()});
             if (inserted.code() == StatusCode::kConflict) {
               return conflict("the number was added at the same time; retry", "number");
             }
             TING_RETURN_IF_ERROR(inserted);
           } else {
             before = boost::json::serialize(didJson(existing.front()));
             TING_RETURN_IF_ERROR(s.exec(
                 "UPDATE dids SET flow_id = ?, updated_at = ? WHERE tenant_id = ? AND number = ?",
                 {flow->integer(0), tx.now(), tenant, number}));
           }
           TING_ASSIGN_OR_RETURN(store::Row row,
                                 s.queryOne(std::string("SELECT ") + kDidColumns +
                                                " FROM dids WHERE tenant_id = ? AND number = ?",
                                            {tenant, number}));
           out = didJson(row);
           return tx.audit({.entity = "did",
                            .entity_id = number,
                            .action = created ? "create" : "update",
                            .before_json = before,
                            .after_json = boost::json::serialize(out),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_flows, jsonResponse(out, created ? 201 : 200), "IVR flows",
                            call);
       },
       {.summary = "Point an inbound number at a flow (added when new: 201).",
        .tag = "ivr",
        .body = {{"flow", "string", true, "The name of a flow of your tenant."}}}});

  router.add({"DELETE",
              "/api/v1/dids/{number}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                const std::string& number = call.path_params.at(0);
                if (!isDialNumber(number)) return notFound("no such number");
                const std::int64_t tenant = call.principal->tenant_id;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  store::Session& s = tx.session();
                  TING_ASSIGN_OR_RETURN(store::Rows existing,
                                        s.query(std::string("SELECT ") + kDidColumns +
                                                    " FROM dids WHERE tenant_id = ? AND number = ?",
                                                {tenant, number}));
                  if (existing.empty()) return notFound("no such number");
                  TING_RETURN_IF_ERROR(s.exec("DELETE FROM dids WHERE tenant_id = ? AND number = ?",
                                              {tenant, number}));
                  return tx.audit({.entity = "did",
                                   .entity_id = number,
                                   .action = "delete",
                                   .before_json = boost::json::serialize(didJson(existing.front())),
                                   .tenant_id = tenant});
                }));
                return applyChange(ctx.reload_flows, noContent(), "IVR flows", call);
              },
              {.summary = "Remove an inbound number; calls to it are refused from now on.",
               .tag = "ivr",
               .success_status = 204,
               .success_description = "Deleted"}});
}

}  // namespace ting::api
