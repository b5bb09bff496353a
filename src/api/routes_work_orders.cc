// Work orders, their notes, history, SLA and approvals; the tenant's work-order
// settings, categories, business calendars and SLA policies.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "workorders/saved_views.h"
#include "workorders/settings.h"
#include "workorders/sla.h"
#include "workorders/work_orders.h"

namespace ting::api {

using identity::Role;
namespace wo = workorders;

namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

const ListSpec kWorkOrderList{
    .sortable = {{"created_at", "created_at"},
                 {"updated_at", "updated_at"},
                 {"sla_due_at", "sla_due_at"}},
    .default_sort = "-created_at",
    .filters = {"view", "state", "open", "type", "category_id", "priority", "owner_id",
                "customer_id", "department", "repeat", "breached", "waiting", "due_before", "since",
                "until", "call_id", "q", "saved_view"},
};

const identity::RoleSet kReaders{Role::kAgent,      Role::kTeamLead, Role::kQaInspector,
                                 Role::kSupervisor, Role::kAdmin,    Role::kDepartment};
const identity::RoleSet kWriters{Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin};
const identity::RoleSet kAdmins{Role::kAdmin};

Result<UnixMillis> queryTime(const std::string& key, const std::string& v) {
  UnixMillis t = 0;
  if (!parseTimestamp(v, t)) return badQueryValue(key, "an RFC 3339 time");
  return t;
}

Result<wo::WorkOrderFilter> readFilter(ApiContext& ctx, const Call& call,
                                       const std::map<std::string, std::string>& filters) {
  if (auto saved = filters.find("saved_view"); saved != filters.end()) {
    // A saved view's filters, under the ones the request names itself.
    TING_ASSIGN_OR_RETURN(std::int64_t id, queryId(saved->first, saved->second));
    wo::SavedView view;
    Status s = ctx.store.read([&](store::Session& session) -> Status {
      TING_ASSIGN_OR_RETURN(view, wo::getSavedView(session, call.principal->tenant_id,
                                                   call.principal->user_id, id));
      return Status::ok();
    });
    if (s.code() == StatusCode::kNotFound) return badQueryValue("saved_view", "a view you may use");
    TING_RETURN_IF_ERROR(s);
    std::map<std::string, std::string> merged = view.filters;
    for (const auto& [k, v] : filters) {
      if (k != "saved_view") merged[k] = v;
    }
    merged.erase("saved_view");
    return readFilter(ctx, call, merged);
  }
  wo::WorkOrderFilter f;
  const UnixMillis now = ctx.store.clock().nowMillis();
  for (const auto& [k, v] : filters) {
    if (k == "view") {
      // Saved views: what supervisors and agents open every day.
      if (v == "my_open") {
        f.owner_id = call.principal->user_id;
        f.open_only = true;
      } else if (v == "breaching_2h") {
        f.open_only = true;
        f.due_before = now + 2 * kHour;
      } else if (v == "breached") {
        f.open_only = true;
        f.breached = true;
      } else if (v == "repeats_week") {
        f.repeat = true;
        f.created_since = now - 7 * kDay;
      } else if (v == "waiting_on_customer") {
        f.open_only = true;
        f.waiting = true;
      } else if (v == "unassigned") {
        f.open_only = true;
        f.unassigned = true;
      } else {
        return badQueryValue(k,
                        "my_open, breaching_2h, breached, repeats_week, waiting_on_customer "
                        "or unassigned");
      }
    } else if (k == "state") {
      std::size_t start = 0;
      while (start <= v.size()) {
        auto end = v.find(',', start);
        if (end == std::string::npos) end = v.size();
        const std::string s = v.substr(start, end - start);
        if (!wo::parseState(s)) return badQueryValue(k, "states separated by commas");
        f.states.push_back(s);
        start = end + 1;
      }
    } else if (k == "open") {
      TING_ASSIGN_OR_RETURN(bool open, queryBool(k, v));
      if (open) {
        f.open_only = true;
      } else {
        f.states = {"closed"};
      }
    } else if (k == "type") {
      f.type = v;
    } else if (k == "priority") {
      f.priority = v;
    } else if (k == "department") {
      f.department = v;
    } else if (k == "call_id") {
      f.call_id = v;
    } else if (k == "q") {
      f.q = v;
    } else if (k == "category_id") {
      TING_ASSIGN_OR_RETURN(f.category_id, queryId(k, v));
    } else if (k == "owner_id") {
      TING_ASSIGN_OR_RETURN(f.owner_id, queryId(k, v));
    } else if (k == "customer_id") {
      TING_ASSIGN_OR_RETURN(f.customer_id, queryId(k, v));
    } else if (k == "repeat") {
      TING_ASSIGN_OR_RETURN(f.repeat, queryBool(k, v));
    } else if (k == "breached") {
      TING_ASSIGN_OR_RETURN(f.breached, queryBool(k, v));
    } else if (k == "waiting") {
      TING_ASSIGN_OR_RETURN(f.waiting, queryBool(k, v));
    } else if (k == "due_before") {
      TING_ASSIGN_OR_RETURN(f.due_before, queryTime(k, v));
    } else if (k == "since") {
      TING_ASSIGN_OR_RETURN(f.created_since, queryTime(k, v));
    } else if (k == "until") {
      TING_ASSIGN_OR_RETURN(f.created_until, queryTime(k, v));
    }
  }
  if (call.principal->role == Role::kDepartment) {
    // Department staff see only what is dispatched to their department.
    std::string dept;
    TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(
          dept, wo::departmentOf(s, call.principal->tenant_id, call.principal->user_id));
      return Status::ok();
    }));
    f.department = dept.empty() ? "\x01none" : dept;
  }
  return f;
}

Result<std::optional<UnixMillis>> timeField(JsonBody& body, std::string_view key) {
  auto s = body.string(key, false, 64);
  if (!s) return std::optional<UnixMillis>();
  UnixMillis t = 0;
  if (!parseTimestamp(*s, t)) {
    return invalidArgument(std::string(key) + " must be an RFC 3339 time", std::string(key));
  }
  return std::optional<UnixMillis>(t);
}

// A nullable id: absent keeps, null clears.
std::optional<std::optional<std::int64_t>> nullableId(JsonBody& body, std::string_view key) {
  return body.nullableInteger(key, 1);
}

Result<wo::WorkOrderFields> readFields(JsonBody& body, bool create) {
  wo::WorkOrderFields f;
  f.type = body.string("type", false, 32);
  f.category_id = nullableId(body, "category_id");
  f.complainant_type = body.string("complainant_type", false, 32);
  f.priority = body.string("priority", false, 32);
  f.channel = body.string("channel", false, 32);
  f.customer_id = nullableId(body, "customer_id");
  f.subject = body.string("subject", create, 400);
  f.description = body.string("description", false, 20000);
  f.desired_remedy = body.string("desired_remedy", false, 4000);
  if (body.has("promised_reply_at")) {
    TING_ASSIGN_OR_RETURN(auto t, timeField(body, "promised_reply_at"));
    f.promised_reply_at = t;
  }
  f.owner_id = nullableId(body, "owner_id");
  if (auto calls = body.array("call_ids")) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < calls->size(); ++i) {
      const std::string field = "call_ids[" + std::to_string(i) + "]";
      if (!(*calls)[i].is_string() || (*calls)[i].as_string().size() > 128) {
        return invalidArgument(field + " must be a call id", field);
      }
      ids.emplace_back((*calls)[i].as_string());
    }
    f.call_ids = std::move(ids);
  }
  if (auto v = body.integer("version", false, 1)) f.expected_version = static_cast<int>(*v);
  TING_RETURN_IF_ERROR(body.finish());
  return f;
}

Result<wo::ActionInput> readAction(JsonBody& body, wo::Action& action) {
  auto name = body.string("action", kRequired, 64);
  wo::ActionInput in;
  TING_ASSIGN_OR_RETURN(in.promised_reply_at, timeField(body, "promised_reply_at"));
  in.solution = body.string("solution", false, 20000).value_or("");
  in.remedy = body.string("remedy", false, 4000).value_or("");
  in.compensation_cents = body.integer("compensation_cents", false, 0, 1'000'000'000'000);
  in.reason = body.string("reason", false, 20000).value_or("");
  in.department = body.string("department", false, 100).value_or("");
  TING_ASSIGN_OR_RETURN(in.department_due_at, timeField(body, "department_due_at"));
  in.reply = body.string("reply", false, 20000).value_or("");
  in.resolution = body.string("resolution", false, 20000).value_or("");
  in.result = body.string("result", false, 20000).value_or("");
  in.reached = body.boolean("reached");
  if (auto s = body.integer("satisfaction", false, 1, 5)) in.satisfaction = static_cast<int>(*s);
  in.comment = body.string("comment", false, 4000).value_or("");
  in.duplicate_of = body.integer("duplicate_of", false, 1);
  in.external_routes = body.string("external_routes", false, 4000).value_or("");
  if (auto v = body.integer("version", false, 1)) in.expected_version = static_cast<int>(*v);
  TING_RETURN_IF_ERROR(body.finish());
  auto parsed = wo::parseAction(*name);
  if (!parsed) return invalidValue("no action named '" + *name + "'", "action");
  action = *parsed;
  return in;
}

Result<boost::json::object> stateNames(store::Session& s, std::int64_t tenant_id) {
  TING_ASSIGN_OR_RETURN(wo::Settings settings, wo::loadSettings(s, tenant_id));
  return settings.state_names;
}

// One work order as the caller may see it.
Result<Response> workOrderResponse(ApiContext& ctx, const Call& call, std::int64_t id,
                                   int status = 200) {
  boost::json::object out;
  TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(wo::WorkOrder w, wo::getWorkOrder(s, call.principal->tenant_id, id));
    if (call.principal->role == Role::kDepartment) {
      TING_ASSIGN_OR_RETURN(bool sees, wo::departmentSees(s, w, call.principal->user_id));
      if (!sees) return notFound("no such work order");
    }
    TING_ASSIGN_OR_RETURN(boost::json::object names, stateNames(s, w.tenant_id));
    out = wo::toJson(w, names);
    return Status::ok();
  }));
  return jsonResponse(out, status);
}

const std::vector<FieldDoc> kWorkOrderFieldDocs = {
    {"subject", "string", true, "one line the agent can read out"},
    {"type", "string", false, "complaint (default), inquiry, suggestion, praise"},
    {"category_id", "integer", false, "a category of the tenant's tree"},
    {"complainant_type", "string", false, "complaints: matter_of_fact, attitude, opinion"},
    {"priority", "string", false, "low, normal (default), high, urgent"},
    {"channel", "string", false,
     "phone (default), web, email, chat, letter, walk_in, social, other"},
    {"customer_id", "integer", false, ""},
    {"description", "string", false, ""},
    {"desired_remedy", "string", false, "what the customer asks for"},
    {"promised_reply_at", "string", false, "RFC 3339: when the customer was promised a reply"},
    {"owner_id", "integer", false, "the user handling it (default: the creator)"},
    {"call_ids", "array", false, "ids of linked calls (up to 50)"},
    {"version", "integer", false, "PATCH: the version you read; 409 when it moved on"}};

const std::vector<FieldDoc> kActionDocs = {
    {"action", "string", true, "see GET /api/v1/work-orders/transitions"},
    {"promised_reply_at", "string", false, "accept"},
    {"solution", "string", false, "propose"},
    {"remedy", "string", false, "propose"},
    {"compensation_cents", "integer", false, "propose: above your role's limit needs approval"},
    {"reason", "string", false, "customer_reject, return, close_unresolved, reopen"},
    {"department", "string", false, "dispatch"},
    {"department_due_at", "string", false, "dispatch"},
    {"reply", "string", false, "department_reply"},
    {"resolution", "string", false, "resolve, resolve_on_spot: what the customer is told"},
    {"result", "string", false, "follow_up_result"},
    {"reached", "boolean", false, "follow_up_result (default true)"},
    {"satisfaction", "integer", false, "follow_up_result: 1-5, required when reached"},
    {"comment", "string", false, "follow_up_result"},
    {"duplicate_of", "integer", false, "close_duplicate"},
    {"external_routes", "string", false, "close_unresolved: where the customer may turn next"},
    {"version", "integer", false, "the version you read; 409 when it moved on"}};

}  // namespace

void addWorkOrderRoutes(Router& router, ApiContext& ctx) {
  router.add({"GET",
              "/api/v1/work-orders",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kWorkOrderList));
                TING_ASSIGN_OR_RETURN(wo::WorkOrderFilter filter,
                                      readFilter(ctx, call, params.filters));
                store::Page page;
                std::vector<wo::WorkOrder> items;
                boost::json::object names;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      page, wo::listWorkOrders(s, call.principal->tenant_id, filter, params.page));
                  TING_ASSIGN_OR_RETURN(items, wo::workOrdersOf(s, page));
                  TING_ASSIGN_OR_RETURN(names, stateNames(s, call.principal->tenant_id));
                  return Status::ok();
                }));
                boost::json::array out;
                for (const auto& w : items) out.push_back(wo::toJson(w, names));
                return listResponse(std::move(out), page, params);
              },
              {.summary = "Work orders of your tenant. Views: my_open, breaching_2h, breached, "
                          "repeats_week, waiting_on_customer, unassigned. Department staff see "
                          "their department's only.",
               .tag = "work-orders",
               .query = listQueryDocs(kWorkOrderList)}});

  router.add(
      {"GET",
       "/api/v1/work-orders/count",
       Access::kAuthenticated,
       kReaders,
       [&ctx](Call& call) -> Result<Response> {
         ListSpec spec = kWorkOrderList;
         TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, spec));
         TING_ASSIGN_OR_RETURN(wo::WorkOrderFilter filter, readFilter(ctx, call, params.filters));
         std::int64_t n = 0;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(n, wo::countWorkOrders(s, call.principal->tenant_id, filter));
           return Status::ok();
         }));
         return jsonResponse({{"count", n}});
       },
       {.summary = "How many work orders match (the list's filters and views).",
        .tag = "work-orders",
        .query = listQueryDocs(kWorkOrderList)}});

  // Views users save: the list's filters under a name.
  constexpr const char* kBuiltinViews[] = {"my_open",  "breaching_2h",        "breached",
                                           "repeats_week", "waiting_on_customer", "unassigned"};
  router.add({"GET",
              "/api/v1/work-order-views",
              Access::kAuthenticated,
              kReaders,
              [&ctx, kBuiltinViews](Call& call) -> Result<Response> {
                std::vector<wo::SavedView> views;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(views, wo::listSavedViews(s, call.principal->tenant_id,
                                                                  call.principal->user_id));
                  return Status::ok();
                }));
                boost::json::array builtin, items;
                for (const char* v : kBuiltinViews) builtin.push_back(boost::json::string(v));
                for (const auto& v : views) items.push_back(wo::toJson(v));
                return jsonResponse({{"builtin", std::move(builtin)}, {"items", std::move(items)}});
              },
              {.summary = "The views you may open: the built-in ones (?view=) and those saved by "
                          "you or shared in your tenant (?saved_view=id on the list and count).",
               .tag = "work-orders"}});
  // Reads a view's name, filters and sharing from `body` onto `v`, checking
  // the filters as the list would.
  auto readView = [&ctx](Call& call, JsonBody& body, wo::SavedView& v, bool create) -> Status {
    if (auto name = body.string("name", create, 100)) {
      if (name->empty()) return invalidValue("name must be 1-100 bytes", "name");
      v.name = *name;
    }
    if (auto shared = body.boolean("shared")) v.shared = *shared;
    auto filters = body.object("filters", create);
    TING_RETURN_IF_ERROR(body.finish());
    if (filters) {
      std::map<std::string, std::string> f;
      for (const auto& [k, value] : *filters) {
        const std::string key(k);
        const std::string field = "filters." + key;
        const auto& allowed = kWorkOrderList.filters;
        if (key == "saved_view" ||
            std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
          return invalidValue("no list filter named '" + key + "'", field);
        }
        if (!value.is_string() || value.as_string().size() > 200) {
          return invalidValue(field + " must be a string as in the list's query", field);
        }
        f[key] = std::string(value.as_string());
      }
      if (auto checked = readFilter(ctx, call, f); !checked.isOk()) {
        const std::string field = "filters." + checked.status().field();
        return invalidValue(checked.status().message(), field);
      }
      v.filters = std::move(f);
    }
    if (v.shared && !identity::RoleSet{Role::kTeamLead, Role::kSupervisor, Role::kAdmin}.contains(
                        call.principal->role)) {
      return Status(StatusCode::kPermissionDenied, "team leads and up share views");
    }
    return Status::ok();
  };
  router.add({"POST",
              "/api/v1/work-order-views",
              Access::kAuthenticated,
              kReaders,
              [&ctx, readView](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                wo::SavedView v;
                TING_RETURN_IF_ERROR(readView(call, body, v, true));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(v, wo::createSavedView(tx, v));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(v), 201);
              },
              {.summary = "Save a view: a name and the list's filters (query parameters as "
                          "strings); shared (team leads and up) shows it to the whole tenant.",
               .tag = "work-orders",
               .body = {{"name", "string", true, ""},
                        {"filters", "object", true,
                         "{\"state\": \"new,accepted\", \"priority\": \"urgent\", ...}"},
                        {"shared", "boolean", false, "visible to everyone in the tenant"}},
               .success_status = 201,
               .success_description = "Created"}});
  router.add({"PATCH",
              "/api/v1/work-order-views/{id}",
              Access::kAuthenticated,
              kReaders,
              [&ctx, readView](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                wo::SavedView v;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(v, wo::getSavedView(s, call.principal->tenant_id,
                                                            call.principal->user_id, id));
                  return Status::ok();
                }));
                TING_RETURN_IF_ERROR(
                    wo::mayChangeSavedView(v, call.principal->user_id, call.principal->role));
                // The filters are checked as the list checks them, before the write.
                JsonBody body(call.request.body);
                TING_RETURN_IF_ERROR(readView(call, body, v, false));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(v, wo::updateSavedView(tx, v));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(v));
              },
              {.summary = "Rename a view, change its filters or sharing (its owner or an admin).",
               .tag = "work-orders"}});
  router.add({"DELETE",
              "/api/v1/work-order-views/{id}",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(wo::SavedView v,
                                        wo::getSavedView(tx.session(), call.principal->tenant_id,
                                                         call.principal->user_id, id));
                  TING_RETURN_IF_ERROR(wo::mayChangeSavedView(v, call.principal->user_id,
                                                              call.principal->role));
                  return wo::deleteSavedView(tx, id);
                }));
                return noContent();
              },
              {.summary = "Delete a view (its owner or an admin).",
               .tag = "work-orders",
               .success_status = 204,
               .success_description = "Deleted"}});

  router.add({"GET",
              "/api/v1/work-orders/transitions",
              Access::kAuthenticated,
              kReaders,
              [](Call&) -> Result<Response> {
                boost::json::array rules;
                for (const auto& r : wo::transitionTable()) {
                  boost::json::array from, required, roles;
                  for (auto s : r.from) from.push_back(boost::json::string(wo::stateName(s)));
                  for (auto f : r.required) required.push_back(boost::json::string(f));
                  for (auto n : r.roles.names()) roles.push_back(boost::json::string(n));
                  rules.push_back({{"action", wo::actionName(r.action)},
                                   {"from", std::move(from)},
                                   {"to", r.to ? boost::json::value(wo::stateName(*r.to))
                                               : boost::json::value(nullptr)},
                                   {"roles", std::move(roles)},
                                   {"required", std::move(required)},
                                   {"meaning", r.meaning}});
                }
                return jsonResponse({{"items", std::move(rules)}});
              },
              {.summary = "The lifecycle: every action, the states it applies to, where it "
                          "leads, who may take it and what it must say.",
               .tag = "work-orders"}});

  router.add({"POST",
              "/api/v1/work-orders",
              Access::kAuthenticated,
              kWriters,
              [&ctx](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(wo::WorkOrderFields fields, readFields(body, true));
                std::int64_t id = 0;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(wo::WorkOrder w, wo::createWorkOrder(tx, fields));
                  id = w.id;
                  return Status::ok();
                }));
                return workOrderResponse(ctx, call, id, 201);
              },
              {.summary = "Record a work order: it gets a reference (C20261122-0042), its SLA "
                          "policy's clocks start and a repeat (same customer and category "
                          "within the tenant's window) is flagged.",
               .tag = "work-orders",
               .body = kWorkOrderFieldDocs,
               .success_status = 201,
               .success_description = "Created"}});

  router.add({"GET",
              "/api/v1/work-orders/{id}",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                const std::string& key = call.path_params.at(0);
                if (!key.empty() && (key[0] < '0' || key[0] > '9')) {
                  // A reference read out by the customer.
                  std::int64_t id = 0;
                  TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                    TING_ASSIGN_OR_RETURN(wo::WorkOrder w, wo::getWorkOrderByReference(
                                                               s, call.principal->tenant_id, key));
                    id = w.id;
                    return Status::ok();
                  }));
                  return workOrderResponse(ctx, call, id);
                }
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                return workOrderResponse(ctx, call, id);
              },
              {.summary = "One work order, by id or by reference (C20261122-0042).",
               .tag = "work-orders"}});

  router.add({"PATCH",
              "/api/v1/work-orders/{id}",
              Access::kAuthenticated,
              kWriters,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(wo::WorkOrderFields fields, readFields(body, false));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  return wo::updateWorkOrder(tx, id, fields).status();
                }));
                return workOrderResponse(ctx, call, id);
              },
              {.summary = "Change a work order's fields (history keeps before and after).",
               .tag = "work-orders",
               .body = kWorkOrderFieldDocs}});

  router.add({"POST",
              "/api/v1/work-orders/{id}/actions",
              Access::kAuthenticated,
              {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin, Role::kDepartment},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                wo::Action action{};
                TING_ASSIGN_OR_RETURN(wo::ActionInput in, readAction(body, action));
                if (call.principal->role == Role::kDepartment) {
                  // Hidden unless dispatched to the caller's department.
                  TING_RETURN_IF_ERROR(workOrderResponse(ctx, call, id).status());
                }
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  return wo::applyAction(tx, id, action, in, call.principal->role).status();
                }));
                return workOrderResponse(ctx, call, id);
              },
              {.summary = "Move a work order through its lifecycle (409 invalid_transition when "
                          "the action does not apply to its state).",
               .tag = "work-orders",
               .body = kActionDocs}});

  router.add({"PUT",
              "/api/v1/work-orders/{id}/waiting",
              Access::kAuthenticated,
              kWriters,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                auto waiting = body.boolean("waiting", kRequired);
                TING_RETURN_IF_ERROR(body.finish());
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  return wo::setWaitingOnCustomer(tx, id, *waiting).status();
                }));
                return workOrderResponse(ctx, call, id);
              },
              {.summary = "Waiting on the customer: SLA clocks pause while set; the state "
                          "stays.",
               .tag = "work-orders",
               .body = {{"waiting", "boolean", true, ""}}}});

  router.add({"GET",
              "/api/v1/work-orders/{id}/notes",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(workOrderResponse(ctx, call, id).status());
                std::vector<wo::Note> notes;
                const bool internal = call.principal->role != Role::kDepartment;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(notes,
                                        wo::listNotes(s, call.principal->tenant_id, id, internal));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& n : notes) items.push_back(wo::toJson(n));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Notes: internal ones and what the customer was told (visibility).",
               .tag = "work-orders"}});

  router.add({"POST",
              "/api/v1/work-orders/{id}/notes",
              Access::kAuthenticated,
              kWriters,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                auto visibility = body.string("visibility", false, 16).value_or("internal");
                auto text = body.string("body", kRequired, 20000);
                TING_RETURN_IF_ERROR(body.finish());
                wo::Note n;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(n, wo::addNote(tx, id, visibility, *text));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(n), 201);
              },
              {.summary = "Add a note: internal (default) or customer (what the customer was "
                          "told; restarts the next-update clock).",
               .tag = "work-orders",
               .body = {{"body", "string", true, ""},
                        {"visibility", "string", false, "internal (default) or customer"}},
               .success_status = 201,
               .success_description = "Created"}});

  auto subresource =
      [&](const std::string& path, const std::string& summary,
          std::function<Result<boost::json::value>(store::Session&, std::int64_t, std::int64_t)>
              fetch) {
        router.add({"GET",
                    "/api/v1/work-orders/{id}/" + path,
                    Access::kAuthenticated,
                    kReaders,
                    [&ctx, fetch](Call& call) -> Result<Response> {
                      TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                      TING_RETURN_IF_ERROR(workOrderResponse(ctx, call, id).status());
                      boost::json::value out;
                      TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                        TING_ASSIGN_OR_RETURN(out, fetch(s, call.principal->tenant_id, id));
                        return Status::ok();
                      }));
                      return jsonResponse(out);
                    },
                    {.summary = summary, .tag = "work-orders"}});
      };
  subresource("history", "Every change: who, when, the action, before and after.",
              [](store::Session& s, std::int64_t t, std::int64_t id) -> Result<boost::json::value> {
                TING_ASSIGN_OR_RETURN(boost::json::array h, wo::history(s, t, id));
                return boost::json::value(boost::json::object{{"items", std::move(h)}});
              });
  subresource("proposals", "Solutions offered, with the customer's answer and approvals.",
              [](store::Session& s, std::int64_t t, std::int64_t id) -> Result<boost::json::value> {
                TING_ASSIGN_OR_RETURN(boost::json::array p, wo::proposals(s, t, id));
                return boost::json::value(boost::json::object{{"items", std::move(p)}});
              });
  subresource("sla", "The SLA clocks (due, warned, breached, paused) and every SLA event.",
              [](store::Session& s, std::int64_t t, std::int64_t id) -> Result<boost::json::value> {
                TING_ASSIGN_OR_RETURN(boost::json::object o, wo::slaOf(s, t, id));
                return boost::json::value(std::move(o));
              });

  router.add(
      {"POST",
       "/api/v1/work-orders/{id}/regulatory-extensions",
       Access::kAuthenticated,
       {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         JsonBody body(call.request.body);
         auto reason = body.string("reason", kRequired, 20000);
         TING_RETURN_IF_ERROR(body.finish());
         boost::json::object approval;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_ASSIGN_OR_RETURN(wo::WorkOrder w,
                                 wo::getWorkOrder(tx.session(), call.principal->tenant_id, id));
           TING_ASSIGN_OR_RETURN(bool needs, wo::regulatoryExtensionNeedsApproval(tx.session(), w));
           if (!needs) return wo::extendRegulatory(tx, w, *reason, false);
           TING_ASSIGN_OR_RETURN(approval, wo::requestRegulatoryExtension(tx, id, *reason));
           return Status::ok();
         }));
         if (!approval.empty()) return jsonResponse({{"approval", approval}}, 202);
         boost::json::object sla;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(sla, wo::slaOf(s, call.principal->tenant_id, id));
           return Status::ok();
         }));
         return jsonResponse(sla);
       },
       {.summary = "Extend the regulatory deadline: the first extension at once (200, the SLA "
                   "view); the second waits for a supervisor's approval (202, the approval).",
        .tag = "work-orders",
        .body = {{"reason", "string", true, ""}}}});

  router.add({"GET",
              "/api/v1/approvals",
              Access::kAuthenticated,
              {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                std::string status = "pending";
                std::optional<std::int64_t> work_order;
                for (const auto& [k, v] : call.query) {
                  if (k == "status") {
                    if (v != "pending" && v != "approved" && v != "rejected" && v != "withdrawn" &&
                        v != "all") {
                      return badQueryValue(k, "pending, approved, rejected, withdrawn or all");
                    }
                    status = v == "all" ? "" : v;
                  } else if (k == "work_order_id") {
                    TING_ASSIGN_OR_RETURN(work_order, queryId(k, v));
                  } else {
                    return badQueryValue(k, "not a parameter of this list");
                  }
                }
                boost::json::array items;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      items, wo::listApprovals(s, call.principal->tenant_id, status, work_order));
                  return Status::ok();
                }));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Approvals (default: pending), newest first: remedies above a role's "
                          "limit and second regulatory extensions.",
               .tag = "work-orders",
               .query = {{"status", "string", false, "pending, approved, rejected, withdrawn, all"},
                         {"work_order_id", "integer", false, ""}}}});

  router.add({"POST",
              "/api/v1/approvals/{id}/decision",
              Access::kAuthenticated,
              {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                auto approve = body.boolean("approve", kRequired);
                auto reason = body.string("reason", false, 20000).value_or("");
                TING_RETURN_IF_ERROR(body.finish());
                boost::json::object out;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      out, wo::decideApproval(tx, id, *approve, reason, call.principal->role));
                  return Status::ok();
                }));
                return jsonResponse(out);
              },
              {.summary = "Approve or reject (reason required to reject). A team lead decides "
                          "within the lead's limit, a supervisor any; never your own request.",
               .tag = "work-orders",
               .body = {{"approve", "boolean", true, ""}, {"reason", "string", false, ""}}}});

  router.add({"GET",
              "/api/v1/work-order-settings",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                wo::Settings s;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& session) -> Status {
                  TING_ASSIGN_OR_RETURN(s, wo::loadSettings(session, call.principal->tenant_id));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(s));
              },
              {.summary = "The tenant's work-order settings, with the display names of states.",
               .tag = "work-orders"}});

  router.add({"PATCH",
              "/api/v1/work-order-settings",
              Access::kAuthenticated,
              kAdmins,
              [&ctx](Call& call) -> Result<Response> {
                boost::system::error_code ec;
                auto v = boost::json::parse(call.request.body, ec);
                if (ec || !v.is_object()) return invalidArgument("the body must be a JSON object");
                wo::Settings s;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(s, wo::updateSettings(tx, v.as_object()));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(s));
              },
              {.summary = "Change settings: time_zone, reopen_window_days, repeat_window_days, "
                          "rehandle_escalation, follow_up_types, follow_up_attempts (1-20), "
                          "state_names ({state: {zh, "
                          "en}}), remedy_limits ({role: cents, -1 no limit}).",
               .tag = "work-orders"}});

  router.add({"GET",
              "/api/v1/work-order-categories",
              Access::kAuthenticated,
              kReaders,
              [&ctx](Call& call) -> Result<Response> {
                std::vector<wo::Category> cats;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(cats, wo::listCategories(s, call.principal->tenant_id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& c : cats) items.push_back(wo::toJson(c));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "The category tree, flat (parent_id), in display order.",
               .tag = "work-orders"}});

  auto categoryFields = [](JsonBody& body, bool create) -> Result<wo::CategoryFields> {
    wo::CategoryFields f;
    f.name = body.string("name", create, 200);
    f.name_en = body.string("name_en", false, 200);
    f.parent_id = nullableId(body, "parent_id");
    if (auto p = body.integer("position", false, 0, 1'000'000)) f.position = static_cast<int>(*p);
    f.active = body.boolean("active");
    TING_RETURN_IF_ERROR(body.finish());
    return f;
  };
  const std::vector<FieldDoc> category_docs = {{"name", "string", true, ""},
                                               {"name_en", "string", false, ""},
                                               {"parent_id", "integer", false, "null: top level"},
                                               {"position", "integer", false, ""},
                                               {"active", "boolean", false, ""}};
  router.add({"POST",
              "/api/v1/work-order-categories",
              Access::kAuthenticated,
              kAdmins,
              [&ctx, categoryFields](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(wo::CategoryFields f, categoryFields(body, true));
                wo::Category c;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(c, wo::createCategory(tx, f));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(c), 201);
              },
              {.summary = "Add a category (at most 5 levels).",
               .tag = "work-orders",
               .body = category_docs,
               .success_status = 201,
               .success_description = "Created"}});
  router.add({"PATCH",
              "/api/v1/work-order-categories/{id}",
              Access::kAuthenticated,
              kAdmins,
              [&ctx, categoryFields](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(wo::CategoryFields f, categoryFields(body, false));
                wo::Category c;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(c, wo::updateCategory(tx, id, f));
                  return Status::ok();
                }));
                return jsonResponse(wo::toJson(c));
              },
              {.summary = "Rename, move (never below itself) or retire a category.",
               .tag = "work-orders",
               .body = category_docs}});

  // Business calendars.
  router.add({"GET",
              "/api/v1/business-calendars",
              Access::kAuthenticated,
              {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                std::vector<wo::NamedCalendar> cals;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(cals, wo::listCalendars(s, call.principal->tenant_id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& c : cals) items.push_back(wo::toJson(c));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Business calendars SLA clocks count on.", .tag = "work-orders"}});

  auto saveCalendar = [&ctx](Call& call, std::int64_t id) -> Result<Response> {
    boost::system::error_code ec;
    auto v = boost::json::parse(call.request.body, ec);
    if (ec || !v.is_object()) return invalidArgument("the body must be a JSON object");
    boost::json::object def = v.as_object();
    auto name = def.find("name");
    if (name == def.end() || !name->value().is_string() || name->value().as_string().empty() ||
        name->value().as_string().size() > 200) {
      return invalidValue("name must be 1-200 bytes", "name");
    }
    wo::NamedCalendar c{.id = id, .name = std::string(name->value().as_string())};
    def.erase("name");
    def.erase("id");
    TING_ASSIGN_OR_RETURN(c.calendar, wo::BusinessCalendar::fromJson(def));
    TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
      TING_ASSIGN_OR_RETURN(c, wo::saveCalendar(tx, c));
      return Status::ok();
    }));
    return jsonResponse(wo::toJson(c), id == 0 ? 201 : 200);
  };
  router.add({"POST",
              "/api/v1/business-calendars",
              Access::kAuthenticated,
              kAdmins,
              [saveCalendar](Call& call) { return saveCalendar(call, 0); },
              {.summary = "Add a calendar: name, time_zone (IANA), weekly ({mon: "
                          "[\"09:00-18:00\"]...}), holidays and workdays (YYYY-MM-DD), "
                          "workday_hours.",
               .tag = "work-orders",
               .success_status = 201,
               .success_description = "Created"}});
  router.add({"PUT",
              "/api/v1/business-calendars/{id}",
              Access::kAuthenticated,
              kAdmins,
              [saveCalendar](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                return saveCalendar(call, id);
              },
              {.summary = "Replace a calendar (running clocks keep their due times; new "
                          "clocks use the new hours).",
               .tag = "work-orders"}});
  router.add({"DELETE",
              "/api/v1/business-calendars/{id}",
              Access::kAuthenticated,
              kAdmins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(
                    call.actor(), [&](store::Tx& tx) { return wo::deleteCalendar(tx, id); }));
                return noContent();
              },
              {.summary = "Delete a calendar no SLA policy uses (409 in_use otherwise).",
               .tag = "work-orders",
               .success_status = 204,
               .success_description = "Deleted"}});

  // SLA policies.
  router.add({"GET",
              "/api/v1/sla-policies",
              Access::kAuthenticated,
              {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                std::vector<wo::SlaPolicy> policies;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(policies, wo::listPolicies(s, call.principal->tenant_id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& p : policies) items.push_back(wo::toJson(p));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "SLA policies in the order they are tried (first active match wins).",
               .tag = "work-orders"}});
  auto savePolicy = [&ctx](Call& call, std::int64_t id) -> Result<Response> {
    boost::system::error_code ec;
    auto v = boost::json::parse(call.request.body, ec);
    if (ec || !v.is_object()) return invalidArgument("the body must be a JSON object");
    wo::SlaPolicy p;
    TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
      wo::SlaPolicy base;
      if (id != 0) {
        TING_ASSIGN_OR_RETURN(base, wo::getPolicy(tx.session(), call.principal->tenant_id, id));
      }
      TING_ASSIGN_OR_RETURN(
          p, wo::policyFromJson(tx.session(), call.principal->tenant_id, v.as_object(), base));
      TING_ASSIGN_OR_RETURN(p, wo::savePolicy(tx, p));
      return Status::ok();
    }));
    return jsonResponse(wo::toJson(p), id == 0 ? 201 : 200);
  };
  const std::vector<FieldDoc> policy_docs = {
      {"name", "string", true, ""},
      {"position", "integer", false, "policies are tried in this order"},
      {"active", "boolean", false, ""},
      {"type", "string", false, "null: any"},
      {"category_id", "integer", false, "matches the category and below; null: any"},
      {"priority", "string", false, "null: any"},
      {"min_vip_level", "integer", false, "customers of at least this VIP level"},
      {"calendar_id", "integer", false, "null: count wall-clock time"},
      {"first_response_minutes", "integer", false, "business minutes to accept"},
      {"next_update_minutes", "integer", false, "between customer-facing updates"},
      {"resolution_minutes", "integer", false, "to resolve"},
      {"follow_up_minutes", "integer", false, "from resolved to the follow-up's result"},
      {"warn_percent", "integer", false, "warn at this share of the time (default 80)"},
      {"escalations", "array", false,
       "[{after_minutes, action: notify|reassign, role, user_id}] after a breach"},
      {"regulatory", "object", false,
       "{days, working_days, extend_to_days, extra_days}: the regulator's deadline"}};
  router.add({"POST",
              "/api/v1/sla-policies",
              Access::kAuthenticated,
              kAdmins,
              [savePolicy](Call& call) { return savePolicy(call, 0); },
              {.summary = "Add an SLA policy.",
               .tag = "work-orders",
               .body = policy_docs,
               .success_status = 201,
               .success_description = "Created"}});
  router.add({"PATCH",
              "/api/v1/sla-policies/{id}",
              Access::kAuthenticated,
              kAdmins,
              [savePolicy](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                return savePolicy(call, id);
              },
              {.summary = "Change an SLA policy (new clocks use it; running ones keep their "
                          "due times).",
               .tag = "work-orders",
               .body = policy_docs}});
  router.add({"DELETE",
              "/api/v1/sla-policies/{id}",
              Access::kAuthenticated,
              kAdmins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(
                    call.actor(), [&](store::Tx& tx) { return wo::deletePolicy(tx, id); }));
                return noContent();
              },
              {.summary = "Delete an SLA policy.",
               .tag = "work-orders",
               .success_status = 204,
               .success_description = "Deleted"}});
}

}  // namespace ting::api
