// The knowledge base: articles and reply scripts of the caller's tenant, the
// scripts filled in for the call at hand, and suggestions by category.

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "kb/kb.h"
#include "workorders/settings.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kKbList{
    .sortable = {{"updated_at", "updated_at"}, {"title", "title"}},
    .default_sort = "id",
    .filters = {"kind", "lang", "situation", "category_id", "active"},
};

const identity::RoleSet kReaders{Role::kAgent,      Role::kTeamLead, Role::kQaInspector,
                                 Role::kSupervisor, Role::kAdmin,    Role::kDepartment};
const identity::RoleSet kEditors{Role::kTeamLead, Role::kSupervisor, Role::kAdmin};

Result<kb::EntryFields> readFields(JsonBody& body, bool create) {
  kb::EntryFields f;
  f.kind = body.string("kind", create, 16);
  f.situation = body.string("situation", false, 64);
  f.lang = body.string("lang", create, 8);
  f.title = body.string("title", create, 400);
  f.body = body.string("body", create, 100'000);
  f.category_id = body.nullableInteger("category_id", 1);
  f.active = body.boolean("active");
  TING_RETURN_IF_ERROR(body.finish());
  return f;
}

const std::vector<FieldDoc> kEntryDocs = {
    {"kind", "string", true, "article or script"},
    {"lang", "string", true, "zh or en"},
    {"title", "string", true, ""},
    {"body", "string", true,
     "scripts may use {{customer_name}}, {{agent_staff_no}}, "
     "{{agent_name}}, {{reference}}, {{promised_reply_at}}, "
     "{{previous_agent}}"},
    {"situation", "string", false, "a key such as wants_manager (docs/kb.md)"},
    {"category_id", "integer", false, "a work-order category it helps with"},
    {"active", "boolean", false, ""}};

}  // namespace

void addKbRoutes(Router& router, ApiContext& ctx) {
  router.add(
      {"GET",
       "/api/v1/kb",
       Access::kAuthenticated,
       kReaders,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kKbList));
         kb::EntryFilter f;
         for (const auto& [k, v] : params.filters) {
           if (k == "kind") f.kind = v;
           if (k == "lang") f.lang = v;
           if (k == "situation") f.situation = v;
           if (k == "category_id") {
             try {
               f.category_id = std::stoll(v);
             } catch (...) {
               return invalidArgument("'category_id' must be an id", k).withReason("invalid_query");
             }
           }
           if (k == "active") {
             if (v != "true" && v != "false") {
               return invalidArgument("'active' must be true or false", k)
                   .withReason("invalid_query");
             }
             f.active = v == "true";
           }
         }
         store::Page page;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(page,
                                 kb::listEntries(s, call.principal->tenant_id, f, params.page));
           return Status::ok();
         }));
         boost::json::array items;
         for (const auto& e : kb::entriesOf(page)) items.push_back(kb::toJson(e));
         return listResponse(std::move(items), page, params);
       },
       {.summary = "Articles and reply scripts of your tenant.",
        .tag = "kb",
        .query = listQueryDocs(kKbList)}});

  router.add({"POST",
              "/api/v1/kb",
              Access::kAuthenticated,
              kEditors,
              [&ctx](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(kb::EntryFields f, readFields(body, true));
                kb::Entry e;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(e, kb::createEntry(tx, f));
                  return Status::ok();
                }));
                return jsonResponse(kb::toJson(e), 201);
              },
              {.summary = "Add an article or a reply script.",
               .tag = "kb",
               .body = kEntryDocs,
               .success_status = 201,
               .success_description = "Created"}});

  router.add({"POST",
              "/api/v1/kb/defaults",
              Access::kAuthenticated,
              {Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                int added = 0;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(added, kb::installDefaults(tx));
                  return Status::ok();
                }));
                return jsonResponse({{"added", added}});
              },
              {.summary = "Add back Ting's default articles and scripts your tenant lacks (by "
                          "kind, situation and language); edited ones are kept.",
               .tag = "kb"}});

  router.add(
      {"GET",
       "/api/v1/kb/suggestions",
       Access::kAuthenticated,
       kReaders,
       [&ctx](Call& call) -> Result<Response> {
         auto category = call.param("category_id");
         auto lang = call.param("lang").value_or("");
         for (const auto& [k, v] : call.query) {
           if (k != "category_id" && k != "lang") {
             return invalidArgument("unknown query parameter '" + k + "'", k)
                 .withReason("invalid_query");
           }
         }
         std::int64_t id = 0;
         try {
           id = category ? std::stoll(*category) : 0;
         } catch (...) {
         }
         if (id <= 0) {
           return invalidArgument("'category_id' is required (an id)", "category_id")
               .withReason("invalid_query");
         }
         boost::json::array items;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           const std::int64_t tenant = call.principal->tenant_id;
           // The category's own entries first, then its parents'.
           TING_ASSIGN_OR_RETURN(auto path, workorders::categoryPath(s, tenant, id));
           for (std::int64_t cat : path) {
             kb::EntryFilter f{.lang = lang, .category_id = cat, .active = true};
             TING_ASSIGN_OR_RETURN(store::Page page, kb::listEntries(s, tenant, f, {.limit = 20}));
             for (const auto& e : kb::entriesOf(page)) {
               auto o = kb::toJson(e);
               o["suggested_for"] = cat == id ? "category" : "parent_category";
               items.push_back(std::move(o));
             }
           }
           // Then what helps with any complaint, whatever its category: the
           // entries of no category for handling one.
           for (const char* situation : kb::kComplaintHandlingSituations) {
             kb::EntryFilter f{.lang = lang, .situation = situation, .active = true};
             TING_ASSIGN_OR_RETURN(store::Page page, kb::listEntries(s, tenant, f, {.limit = 4}));
             for (const auto& e : kb::entriesOf(page)) {
               if (e.category_id) continue;
               auto o = kb::toJson(e);
               o["suggested_for"] = "any_complaint";
               items.push_back(std::move(o));
             }
           }
           return Status::ok();
         }));
         return jsonResponse({{"items", std::move(items)}});
       },
       {.summary = "Articles and scripts for a work-order category (and its parents), "
                   "nearest first, then those for handling any complaint (no category); "
                   "suggested_for says which: category, parent_category, any_complaint.",
        .tag = "kb",
        .query = {{"category_id", "integer", true, ""}, {"lang", "string", false, "zh or en"}}}});

  router.add({"GET",
              "/api/v1/kb/{id}",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                kb::Entry e;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(e, kb::getEntry(s, call.principal->tenant_id, id));
                  return Status::ok();
                }));
                return jsonResponse(kb::toJson(e));
              },
              {.summary = "One article or script.", .tag = "kb"}});

  router.add(
      {"PATCH",
       "/api/v1/kb/{id}",
       Access::kAuthenticated,
       kEditors,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         JsonBody body(call.request.body);
         TING_ASSIGN_OR_RETURN(kb::EntryFields f, readFields(body, false));
         kb::Entry e;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_ASSIGN_OR_RETURN(e, kb::updateEntry(tx, id, f));
           return Status::ok();
         }));
         return jsonResponse(kb::toJson(e));
       },
       {.summary = "Edit an article or script (audited).", .tag = "kb", .body = kEntryDocs}});

  router.add({"DELETE",
              "/api/v1/kb/{id}",
              Access::kAuthenticated,
              kEditors,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(
                    call.actor(), [&](store::Tx& tx) { return kb::deleteEntry(tx, id); }));
                return noContent();
              },
              {.summary = "Delete an article or script.",
               .tag = "kb",
               .success_status = 204,
               .success_description = "Deleted"}});

  router.add({"POST",
              "/api/v1/kb/{id}/render",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                auto customer = body.integer("customer_id", false, 1);
                auto work_order = body.integer("work_order_id", false, 1);
                auto extra = body.object("variables");
                TING_RETURN_IF_ERROR(body.finish());
                kb::Entry e;
                std::map<std::string, std::string> vars;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  const std::int64_t tenant = call.principal->tenant_id;
                  TING_ASSIGN_OR_RETURN(e, kb::getEntry(s, tenant, id));
                  TING_ASSIGN_OR_RETURN(vars, kb::variablesFor(s, tenant, call.principal->user_id,
                                                               customer, work_order));
                  return Status::ok();
                }));
                if (extra) {
                  for (const auto& [k, v] : *extra) {
                    if (!v.is_string() || v.as_string().size() > 1000) {
                      return invalidArgument(
                          "variables." + std::string(k) + " must be a string of at most 1000 bytes",
                          "variables." + std::string(k));
                    }
                    vars[std::string(k)] = std::string(v.as_string());
                  }
                }
                std::vector<std::string> missing;
                const std::string text = kb::render(e.body, vars, &missing);
                boost::json::array m;
                for (const auto& name : missing) m.push_back(boost::json::string(name));
                return jsonResponse({{"id", e.id},
                                     {"title", kb::render(e.title, vars)},
                                     {"text", text},
                                     {"missing", std::move(m)}});
              },
              {.summary = "A script filled in for the call at hand: you (staff number, name), "
                          "the customer, the work order (reference, promised reply time), who "
                          "served the customer last; `variables` adds or overrides. Names "
                          "without a value stay as {{name}} and are listed in missing.",
               .tag = "kb",
               .body = {{"customer_id", "integer", false, ""},
                        {"work_order_id", "integer", false, ""},
                        {"variables", "object", false, "{name: text}"}}}});
}

}  // namespace ting::api
