// Customers of the caller's tenant (the CRM issue extends these).

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "jobs/jobs.h"
#include "crm/attachments.h"
#include "crm/csv.h"
#include "crm/custom_fields.h"
#include "crm/customer_export.h"
#include "crm/customer_import.h"
#include "crm/customers.h"
#include "crm/phone.h"
#include "workorders/screen_pop.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kCustomerList{
    .sortable = {{"name", "name"}, {"created_at", "created_at"}, {"updated_at", "updated_at"}},
    .default_sort = "id",
    .filters = {"phone", "vip", "tag", "q", "owner_id"},
};

constexpr std::size_t kMaxImportBytes = 50u << 20;
constexpr std::size_t kMaxReportedProblems = 1000;
constexpr std::size_t kTimelineLimit = 200;

// Roles that need not see customers' numbers get them masked (138****8000).
bool masksPhones(const Call& call) {
  return identity::masksPhoneNumbers(call.principal->role);
}

// A list of strings from `key`; kInvalidValue naming the entry otherwise.
Result<std::optional<std::vector<std::string>>> stringList(JsonBody& body, std::string_view key,
                                                           size_t max_items, size_t max_bytes) {
  auto arr = body.array(key);
  if (!arr) return std::optional<std::vector<std::string>>();
  if (arr->size() > max_items) {
    return invalidValue("at most " + std::to_string(max_items) + " entries", std::string(key));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (!(*arr)[i].is_string() || (*arr)[i].as_string().size() > max_bytes) {
      return invalidValue(
          field + " must be a string of at most " + std::to_string(max_bytes) + " bytes", field);
    }
    out.emplace_back((*arr)[i].as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<crm::CustomerFields> readFields(JsonBody& body, bool create) {
  crm::CustomerFields f;
  f.name = body.string("name", create, 400);
  auto phone = body.string("phone", false, 64);
  TING_ASSIGN_OR_RETURN(f.phones, stringList(body, "phones", crm::kMaxPhones, 64));
  f.email = body.string("email", false, 254);
  f.company = body.string("company", false, 400);
  f.address = body.string("address", false, 1000);
  f.notes = body.string("notes", false, 10000);
  TING_ASSIGN_OR_RETURN(f.tags, stringList(body, "tags", crm::kMaxTags, 64));
  f.vip = body.boolean("vip");
  if (auto level = body.integer("vip_level", false, 0, 5)) f.vip_level = static_cast<int>(*level);
  f.custom_fields = body.object("custom_fields");
  f.owner_id = body.nullableInteger("owner_id", 1);
  TING_RETURN_IF_ERROR(body.finish());
  if (phone) {
    if (f.phones) return invalidValue("send phone or phones, not both", "phone");
    f.phones = std::vector<std::string>{*phone};
    f.phones_field = "phone";
  }
  return f;
}

const std::vector<FieldDoc> kCustomerFieldDocs = {
    {"name", "string", true, ""},
    {"phone", "string", false, "one number (sets phones to just it)"},
    {"phones", "array", false,
     "up to 10 numbers, as dialled in China or with +country code; "
     "each must be a valid number"},
    {"email", "string", false, ""},
    {"company", "string", false, ""},
    {"address", "string", false, ""},
    {"notes", "string", false, ""},
    {"tags", "array", false, "up to 32 tags of 1-64 bytes"},
    {"vip", "boolean", false, "true: at least VIP level 1; false: level 0"},
    {"vip_level", "integer", false, "0 (not a VIP) to 5"},
    {"custom_fields", "object", false,
     "the tenant's own fields: names of letters, digits and _; values string, number, "
     "true/false; null removes one"},
    {"owner_id", "integer", false, "the owner agent (a user of the tenant); null: none"}};

constexpr std::size_t kJobProblems = 100;  // rejected rows shown in a job's result

boost::json::object importJson(const crm::ImportReport& report, std::size_t max_problems) {
  boost::json::array problems;
  for (const auto& p : report.problems) {
    if (problems.size() == max_problems) break;
    problems.push_back(
        {{"line", p.line},
         {"field", p.field.empty() ? boost::json::value(nullptr) : boost::json::value(p.field)},
         {"error", p.message}});
  }
  return {{"rows", report.rows},
          {"imported", report.imported},
          {"updated", report.updated},
          {"skipped", report.skipped},
          {"rejected", report.rejected},
          {"problems", std::move(problems)},
          {"problems_truncated", report.problems.size() > max_problems}};
}

std::string attachmentRoot(const ApiContext& ctx) {
  return (std::filesystem::path(ctx.data_dir) / "attachments").string();
}

void addCustomerFieldRoutes(Router& router, ApiContext& ctx, const identity::RoleSet& readers) {
  const identity::RoleSet admins{Role::kAdmin};
  router.add({"GET",
              "/api/v1/customer-fields",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                std::vector<crm::FieldDefinition> defs;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(defs,
                                        crm::listFieldDefinitions(s, call.principal->tenant_id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& d : defs) items.push_back(crm::toJson(d));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "The custom fields your tenant defines for customer cards, in "
                          "position order.",
               .tag = "customers"}});
  auto objectBody = [](Call& call) -> Result<boost::json::object> {
    boost::system::error_code ec;
    auto v = boost::json::parse(call.request.body, ec);
    if (ec || !v.is_object()) return invalidArgument("the body must be a JSON object");
    return std::move(v.as_object());
  };
  const std::vector<FieldDoc> docs = {
      {"key", "string", true, "the name in custom_fields and the CSV column (never changes)"},
      {"label", "string", true, "shown in Chinese; a CSV column may name the field by it"},
      {"label_en", "string", false, "shown in English"},
      {"type", "string", true, "text, number, date (YYYY-MM-DD), boolean or choice (never changes)"},
      {"choices", "array", false, "the options of a choice field"},
      {"position", "integer", false, "display order"}};
  router.add({"POST",
              "/api/v1/customer-fields",
              Access::kAuthenticated,
              admins,
              [&ctx, objectBody](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(boost::json::object body, objectBody(call));
                crm::FieldDefinition d;
                TING_RETURN_IF_ERROR(crm::applyFieldDefinitionJson(body, d, true));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(d, crm::createFieldDefinition(tx, d));
                  return Status::ok();
                }));
                return jsonResponse(crm::toJson(d), 201);
              },
              {.summary = "Define a custom field: its values are then checked and converted "
                          "to its type on every card, API and CSV alike (409 when the key is "
                          "taken). Audited.",
               .tag = "customers",
               .body = docs,
               .success_status = 201,
               .success_description = "Created"}});
  router.add({"PATCH",
              "/api/v1/customer-fields/{id}",
              Access::kAuthenticated,
              admins,
              [&ctx, objectBody](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_ASSIGN_OR_RETURN(boost::json::object body, objectBody(call));
                crm::FieldDefinition d;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(d, crm::updateFieldDefinition(tx, id, body));
                  return Status::ok();
                }));
                return jsonResponse(crm::toJson(d));
              },
              {.summary = "Relabel a custom field, change its choices or position (its key and "
                          "type stay). Audited.",
               .tag = "customers",
               .body = docs}});
  router.add({"DELETE",
              "/api/v1/customer-fields/{id}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) {
                  return crm::deleteFieldDefinition(tx, id);
                }));
                return noContent();
              },
              {.summary = "Remove a field's definition; the values on the cards stay, as "
                          "free fields. Audited.",
               .tag = "customers",
               .success_status = 204,
               .success_description = "Deleted"}});
}

}  // namespace

void addCustomerRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet readers{Role::kAgent, Role::kTeamLead, Role::kQaInspector,
                                  Role::kSupervisor, Role::kAdmin};
  const identity::RoleSet writers{Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin};
  addCustomerFieldRoutes(router, ctx, readers);

  router.add({"GET",
              "/api/v1/customers",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kCustomerList));
                crm::CustomerFilter filter;
                for (const auto& [k, v] : params.filters) {
                  if (k == "phone") filter.phone = v;
                  if (k == "tag") filter.tag = v;
                  if (k == "q") filter.q = v;
                  if (k == "owner_id") {
                    if (v == "me") {
                      filter.owner_id = call.principal->user_id;
                    } else {
                      TING_ASSIGN_OR_RETURN(filter.owner_id, queryId(k, v));
                    }
                  }
                  if (k == "vip") {
                    if (v != "true" && v != "false") {
                      return invalidArgument("'vip' must be true or false", "vip")
                          .withReason("invalid_query");
                    }
                    filter.vip = v == "true";
                  }
                }
                store::Page page;
                std::vector<crm::Customer> customers;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      page, crm::listCustomers(s, call.principal->tenant_id, filter, params.page));
                  TING_ASSIGN_OR_RETURN(customers, crm::customersOf(s, page));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& c : customers) items.push_back(crm::toJson(c, masksPhones(call)));
                return listResponse(std::move(items), page, params);
              },
              {.summary = "Customers of your tenant.",
               .tag = "customers",
               .query = listQueryDocs(kCustomerList)}});

  router.add({"POST",
              "/api/v1/customers",
              Access::kAuthenticated,
              writers,
              [&ctx](Call& call) -> Result<Response> {
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(crm::CustomerFields fields, readFields(body, true));
                crm::Customer c;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(c, crm::createCustomer(tx, fields));
                  return Status::ok();
                }));
                return jsonResponse(crm::toJson(c), 201);
              },
              {.summary = "Create a customer.",
               .tag = "customers",
               .body = kCustomerFieldDocs,
               .success_status = 201,
               .success_description = "Created"}});

  router.add(
      {"POST",
       "/api/v1/customers/import",
       Access::kAuthenticated,
       {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
       [&ctx](Call& call) -> Result<Response> {
         bool async = false;
         crm::OnDuplicate on_duplicate = crm::OnDuplicate::kCreate;
         for (const auto& [k, v] : call.query) {
           if (k == "on_duplicate") {
             auto mode = crm::parseOnDuplicate(v);
             if (!mode) {
               return invalidArgument("on_duplicate is create, skip or update", k)
                   .withReason("invalid_query");
             }
             on_duplicate = *mode;
             continue;
           }
           if (k != "async") {
             return invalidArgument("unknown query parameter '" + k + "'", k)
                 .withReason("invalid_query");
           }
           TING_ASSIGN_OR_RETURN(async, queryBool(k, v));
         }
         if (!async) {
           crm::ImportOptions options;
           options.on_duplicate = on_duplicate;
           TING_ASSIGN_OR_RETURN(
               crm::ImportReport report,
               crm::importCustomers(ctx.store, call.actor(), call.request.body, options));
           TING_RETURN_IF_ERROR(crm::auditImport(ctx.store, call.actor(), report));
           return jsonResponse(importJson(report, kMaxReportedProblems));
         }
         if (ctx.jobs == nullptr) return unavailable("background jobs are not running");
         // The header is checked now, so that a file that cannot be imported
         // at all is refused at once.
         TING_RETURN_IF_ERROR(crm::checkImportHeader(call.request.body));
         auto job = ctx.jobs->submit(
             call.actor(), "customer_import",
             [&store = ctx.store, actor = call.actor(), on_duplicate,
              csv = std::move(call.request.body)](jobs::Progress& progress)
                 -> Result<boost::json::object> {
               crm::ImportOptions options;
               options.on_duplicate = on_duplicate;
               options.progress = [&progress](std::size_t done, std::size_t total,
                                              const crm::ImportReport&) {
                 progress.report(static_cast<std::int64_t>(done),
                                 static_cast<std::int64_t>(total));
               };
               TING_ASSIGN_OR_RETURN(crm::ImportReport report,
                                     crm::importCustomers(store, actor, csv, options));
               TING_RETURN_IF_ERROR(crm::auditImport(store, actor, report));
               if (!report.problems.empty()) {
                 std::ofstream out(progress.fileFor("import-report.csv"),
                                   std::ios::binary | std::ios::trunc);
                 out << crm::kByteOrderMark << crm::reportCsv(report);
                 if (!out) return unavailable("the import report cannot be written");
               }
               return importJson(report, kJobProblems);
             });
         if (!job.isOk()) return job.status();
         return jsonResponse(jobs::toJson(*job), 202);
       },
       {.summary = "Import customers from CSV (the body, UTF-8, at most 50 MiB): columns name, "
                   "phone, email, company, tags (;), address, notes, vip_level, owner (username "
                   "or staff number), others custom fields. Bad rows are reported (line, field, "
                   "error; the first 1000) and the others imported. 400 when the header line is "
                   "unusable. With ?async=true: 202 and a job (GET /api/v1/jobs/{id}) showing "
                   "progress, whose file is the report of rejected rows.",
        .tag = "customers",
        .query = {{"async", "boolean", false, "run as a background job with progress"},
                  {"on_duplicate", "string", false,
                   "a row whose number a customer already has: create (default) a new card, "
                   "skip it, or update that customer's card"}},
        .raw_body = "text/csv"},
       kMaxImportBytes});

  router.add(
      {"POST",
       "/api/v1/customers/export",
       Access::kAuthenticated,
       {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
       [&ctx](Call& call) -> Result<Response> {
         crm::CustomerFilter filter;
         if (!call.request.body.empty()) {
           JsonBody body(call.request.body);
           if (auto tag = body.string("tag", false, 64)) filter.tag = *tag;
           filter.vip = body.boolean("vip");
           if (auto q = body.string("q", false, 200)) filter.q = *q;
           filter.owner_id = body.integer("owner_id", false, 1);
           TING_RETURN_IF_ERROR(body.finish());
         }
         if (ctx.jobs == nullptr) return unavailable("background jobs are not running");
         const std::int64_t tenant = call.principal->tenant_id;
         auto job = ctx.jobs->submit(
             call.actor(), "customer_export",
             [&store = ctx.store, actor = call.actor(), tenant,
              filter](jobs::Progress& progress) -> Result<boost::json::object> {
               crm::ExportOptions options;
               options.filter = filter;
               options.progress = [&progress](std::size_t done, std::size_t total) {
                 progress.report(static_cast<std::int64_t>(done),
                                 static_cast<std::int64_t>(total));
               };
               std::ofstream out(progress.fileFor("customers.csv"),
                                 std::ios::binary | std::ios::trunc);
               TING_ASSIGN_OR_RETURN(std::size_t rows,
                                     crm::exportCustomers(store, tenant, options, out));
               TING_RETURN_IF_ERROR(crm::auditExport(store, actor, filter, rows));
               return boost::json::object{{"rows", rows}};
             });
         if (!job.isOk()) return job.status();
         return jsonResponse(jobs::toJson(*job), 202);
       },
       {.summary = "Export customers to CSV as a background job (202 and the job; "
                   "GET /api/v1/jobs/{id} shows progress, /file downloads the CSV). The file "
                   "imports back: UTF-8 with BOM, every number of a customer in phone, owner by "
                   "username, a column per custom field. Audited.",
        .tag = "customers",
        .body = {{"tag", "string", false, "only customers with this tag"},
                 {"vip", "boolean", false, "only VIPs (true) or others (false)"},
                 {"q", "string", false, "substring of name, company, phone or e-mail"},
                 {"owner_id", "integer", false, "only this agent's customers"}}}});

  router.add(
      {"GET",
       "/api/v1/customers/lookup",
       Access::kAuthenticated,
       readers,
       [&ctx](Call& call) -> Result<Response> {
         std::string number;
         for (const auto& [k, v] : call.query) {
           if (k != "number") {
             return invalidArgument("unknown query parameter '" + k + "'", k)
                 .withReason("invalid_query");
           }
           number = v;
         }
         if (number.empty() || number.size() > 64) {
           return invalidArgument("'number' is required (at most 64 bytes)", "number")
               .withReason("invalid_query");
         }
         boost::json::array items;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(auto found,
                                 crm::findByNumber(s, call.principal->tenant_id, number));
           TING_ASSIGN_OR_RETURN(items, workorders::screenPopCards(s, call.principal->tenant_id,
                                                                   found, masksPhones(call)));
           return Status::ok();
         }));
         const std::string key = crm::lookupKey(number);
         return jsonResponse({{"number", masksPhones(call) ? crm::maskPhone(number) : number},
                              {"key", masksPhones(call) ? crm::maskPhone(key) : key},
                              {"match", items.empty()       ? "none"
                                        : items.size() == 1 ? "one"
                                                            : "several"},
                              {"items", std::move(items)}});
       },
       {.summary = "Screen pop: the customers with this number among theirs, however it "
                   "is written (013800138000, +86 138 0013 8000...), each with up to 5 open work "
                   "orders and the 3 latest calls. match is none (offer "
                   "to create), one (open the card) or several (let the agent choose).",
        .tag = "customers"}});

  router.add({"GET",
              "/api/v1/customers/{id}",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_ASSIGN_OR_RETURN(crm::Customer c,
                                      crm::readCustomerAudited(ctx.store, call.actor(), id));
                return jsonResponse(crm::toJson(c, masksPhones(call)));
              },
              {.summary = "One customer (a read of personal data, audited).", .tag = "customers"}});

  router.add({"PATCH",
              "/api/v1/customers/{id}",
              Access::kAuthenticated,
              writers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(crm::CustomerFields fields, readFields(body, false));
                crm::Customer c;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(c, crm::updateCustomer(tx, id, fields));
                  return Status::ok();
                }));
                return jsonResponse(crm::toJson(c));
              },
              {.summary = "Change a customer.", .tag = "customers", .body = kCustomerFieldDocs}});

  router.add(
      {"GET",
       "/api/v1/customers/{id}/timeline",
       Access::kAuthenticated,
       readers,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         const std::int64_t tenant = call.principal->tenant_id;
         const bool mask = masksPhones(call);
         auto number = [mask](const store::Row& r, size_t i) -> boost::json::value {
           if (r.isNull(i)) return nullptr;
           return boost::json::value(mask ? crm::maskPhone(r.text(i)) : r.text(i));
         };
         // Recordings only to the roles that may play them (GET /calls/{id}/recording).
         const bool plays = identity::RoleSet{Role::kTeamLead, Role::kQaInspector,
                                              Role::kSupervisor, Role::kAdmin}
                                .contains(call.principal->role);
         std::vector<std::pair<std::int64_t, boost::json::object>> events;
         // A read of personal data, audited like the card itself.
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           store::Session& s = tx.session();
           TING_RETURN_IF_ERROR(crm::getCustomer(s, tenant, id).status());
           TING_ASSIGN_OR_RETURN(
               auto calls,
               s.query("SELECT call_ref, direction, from_number, to_number, state, arrived_at, "
                       "answered_at, ended_at, end_cause, queue, agent_staff_no, satisfaction, "
                       "recording_path, recording_deleted_at, parent_ref, ivr_path FROM calls "
                       "WHERE tenant_id = ? AND customer_id = ? ORDER BY arrived_at DESC LIMIT ?",
                       {tenant, id, std::int64_t{kTimelineLimit}}));
           for (const auto& r : calls) {
             const bool recorded = !r.isNull(12) && r.isNull(13);
             boost::system::error_code ec;
             boost::json::value path = r.isNull(15) ? boost::json::value(boost::json::array())
                                                    : boost::json::parse(r.text(15), ec);
             if (ec) path = boost::json::array();
             boost::json::object e{{"type", "call"},
                                   {"at", formatTimestamp(r.integer(5))},
                                   {"call_id", r.text(0)},
                                   {"direction", r.text(1)},
                                   {"from", number(r, 2)},
                                   {"to", number(r, 3)},
                                   {"state", r.text(4)},
                                   {"answered_at", columnTime(r, 6)},
                                   {"ended_at", columnTime(r, 7)},
                                   {"end_cause", columnText(r, 8)},
                                   {"queue", columnText(r, 9)},
                                   {"agent", columnText(r, 10)},
                                   {"satisfaction", columnInteger(r, 11)},
                                   {"has_recording", recorded},
                                   {"recording_url",
                                    recorded && plays
                                        ? boost::json::value("/api/v1/calls/" + r.text(0) +
                                                             "/recording")
                                        : boost::json::value(nullptr)},
                                   {"ivr_path", std::move(path)},
                                   {"parent_id", columnText(r, 14)}};
             events.emplace_back(r.integer(5), std::move(e));
           }
           TING_ASSIGN_OR_RETURN(
               auto callbacks,
               s.query("SELECT r.id, r.call_ref, r.number, r.source, r.status, r.attempts, "
                       "r.created_at, r.updated_at, r.work_order_id FROM callback_requests r "
                       "LEFT JOIN calls c ON c.tenant_id = r.tenant_id AND c.call_ref = "
                       "r.call_ref LEFT JOIN work_orders w ON w.id = r.work_order_id WHERE "
                       "r.tenant_id = ? AND (c.customer_id = ? OR w.customer_id = ?) ORDER BY "
                       "r.created_at DESC LIMIT ?",
                       {tenant, id, id, std::int64_t{kTimelineLimit}}));
           for (const auto& r : callbacks) {
             boost::json::object e{{"type", "callback"},
                                   {"at", formatTimestamp(r.integer(6))},
                                   {"callback_id", r.integer(0)},
                                   {"call_id", columnText(r, 1)},
                                   {"number", number(r, 2)},
                                   {"source", r.text(3)},
                                   {"status", r.text(4)},
                                   {"attempts", r.integer(5)},
                                   {"updated_at", columnTime(r, 7)},
                                   {"work_order_id", columnInteger(r, 8)}};
             events.emplace_back(r.integer(6), std::move(e));
           }
           TING_ASSIGN_OR_RETURN(
               auto orders,
               s.query("SELECT id, reference, type, state, close_reason, subject, created_at, "
                       "closed_at, satisfaction, satisfaction_comment FROM work_orders WHERE "
                       "tenant_id = ? AND customer_id = ? ORDER BY created_at DESC LIMIT ?",
                       {tenant, id, std::int64_t{kTimelineLimit}}));
           for (const auto& r : orders) {
             boost::json::object e{{"type", "work_order"},
                                   {"at", formatTimestamp(r.integer(6))},
                                   {"work_order_id", r.integer(0)},
                                   {"reference", r.text(1)},
                                   {"work_order_type", r.text(2)},
                                   {"state", r.text(3)},
                                   {"close_reason", columnText(r, 4)},
                                   {"subject", r.text(5)},
                                   {"closed_at", columnTime(r, 7)},
                                   {"satisfaction", columnInteger(r, 8)},
                                   {"satisfaction_comment", columnText(r, 9)}};
             events.emplace_back(r.integer(6), std::move(e));
           }
           // Notes on the customer's work orders: what they were told
           // ("customer") and what was noted inside ("internal").
           TING_ASSIGN_OR_RETURN(
               auto notes,
               s.query("SELECT n.id, n.work_order_id, w.reference, n.at, n.author, n.visibility, "
                       "n.body FROM work_orders w JOIN work_order_notes n ON n.work_order_id = "
                       "w.id WHERE w.tenant_id = ? AND w.customer_id = ? ORDER BY n.at DESC, n.id DESC "
                       "LIMIT ?",
                       {tenant, id, std::int64_t{kTimelineLimit}}));
           for (const auto& r : notes) {
             boost::json::object e{{"type", "note"},
                                   {"at", formatTimestamp(r.integer(3))},
                                   {"note_id", r.integer(0)},
                                   {"work_order_id", r.integer(1)},
                                   {"reference", r.text(2)},
                                   {"author", r.text(4)},
                                   {"visibility", r.text(5)},
                                   {"body", r.text(6)}};
             events.emplace_back(r.integer(3), std::move(e));
           }
           return tx.audit(
               {.entity = "customer", .entity_id = std::to_string(id), .action = "read_timeline"});
         }));
         std::stable_sort(events.begin(), events.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
         boost::json::array items;
         for (auto& [at, e] : events) {
           if (items.size() == kTimelineLimit) break;
           items.push_back(std::move(e));
         }
         return jsonResponse({{"items", std::move(items)}});
       },
       {.summary = "The customer's timeline, newest first: calls (direction, queue, agent, "
                   "satisfaction answer, IVR path, recording link for roles that may play it), "
                   "callback requests, work orders (state, satisfaction) and their notes "
                   "(customer-facing and internal); audited. Calls are linked when the screen "
                   "pop found exactly this customer, or by a work order of theirs.",
        .tag = "customers"}});

  router.add({"GET",
              "/api/v1/customers/{id}/duplicates",
              Access::kAuthenticated,
              writers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                std::vector<crm::Duplicate> found;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(found,
                                        crm::findDuplicates(s, call.principal->tenant_id, id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& d : found) {
                  boost::json::array why;
                  for (const auto& r : d.reasons) why.push_back(boost::json::value(r));
                  items.push_back({{"customer", crm::toJson(d.customer)}, {"reasons", why}});
                }
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Likely duplicates of a customer: others sharing a number or the "
                          "e-mail, or with the same name and company (reasons: phone, email, "
                          "name_company).",
               .tag = "customers"}});

  router.add({"POST",
              "/api/v1/customers/{id}/merge",
              Access::kAuthenticated,
              {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                auto from = body.integer("from", kRequired, 1);
                TING_RETURN_IF_ERROR(body.finish());
                crm::Customer c;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(c, crm::mergeCustomers(tx, id, *from));
                  return Status::ok();
                }));
                return jsonResponse(crm::toJson(c));
              },
              {.summary = "Merge customer `from` into this one: numbers, tags and custom fields "
                          "joined (this one wins a conflict), empty fields filled, `from` "
                          "deleted; audited as merge.",
               .tag = "customers",
               .body = {{"from", "integer", true, "the duplicate's id"}}}});

  router.add({"DELETE",
              "/api/v1/customers/{id}",
              Access::kAuthenticated,
              {Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                std::vector<std::string> files;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  files.clear();
                  return crm::deleteCustomer(tx, id, &files);
                }));
                for (const auto& f : files) crm::discardFile(attachmentRoot(ctx), f);
                return noContent();
              },
              {.summary = "Delete a customer, with their attachments.",
               .tag = "customers",
               .success_status = 204,
               .success_description = "Deleted"}});

  // Images on the card: those who work with customers, not QA inspectors
  // (who need not see personal data).
  router.add(
      {"POST",
       "/api/v1/customers/{id}/attachments",
       Access::kAuthenticated,
       writers,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         std::string name;
         for (const auto& [k, v] : call.query) {
           if (k != "file_name") {
             return invalidArgument("unknown query parameter '" + k + "'", k)
                 .withReason("invalid_query");
           }
           name = v;
         }
         if (name.empty()) {
           return invalidArgument("'file_name' is required", "file_name").withReason("invalid_query");
         }
         crm::Attachment a;
         const std::string root = attachmentRoot(ctx);
         Status s = ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_ASSIGN_OR_RETURN(a, crm::addAttachment(tx, root, id, name, call.request.body));
           return Status::ok();
         });
         if (!s.isOk()) {
           if (!a.stored_as.empty()) crm::discardFile(root, a.stored_as);  // the commit failed
           return s;
         }
         return jsonResponse(crm::toJson(a), 201);
       },
       {.summary = "Attach an image (the body: PNG, JPEG, GIF or WebP, at most 10 MiB, "
                   "recognized by its content) to the customer; at most 50 each; audited.",
        .tag = "customers",
        .query = {{"file_name", "string", true, "the name to show and download it under"}},
        .success_status = 201,
        .success_description = "Attached",
        .raw_body = "image/png, image/jpeg, image/gif, image/webp"},
       crm::kMaxAttachmentBytes});

  router.add({"GET",
              "/api/v1/customers/{id}/attachments",
              Access::kAuthenticated,
              writers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                std::vector<crm::Attachment> found;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(found,
                                        crm::listAttachments(s, call.principal->tenant_id, id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& a : found) items.push_back(crm::toJson(a));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "The customer's attachments, oldest first.", .tag = "customers"}});

  router.add(
      {"GET",
       "/api/v1/customers/{id}/attachments/{attachment_id}",
       Access::kAuthenticated,
       writers,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         TING_ASSIGN_OR_RETURN(std::int64_t attachment_id, call.pathId(1));
         crm::Attachment a;
         TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
           TING_ASSIGN_OR_RETURN(
               a, crm::getAttachment(s, call.principal->tenant_id, id, attachment_id));
           return Status::ok();
         }));
         TING_RETURN_IF_ERROR(checkFileRange(crm::attachmentPath(attachmentRoot(ctx), a.stored_as),
                                             call.request.range));
         // A look at personal data: on the record.
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           return tx.audit({.entity = "customer",
                            .entity_id = std::to_string(id),
                            .action = "read_attachment",
                            .after_json = boost::json::serialize(
                                boost::json::object{{"attachment_id", attachment_id}})});
         }));
         TING_ASSIGN_OR_RETURN(
             Response res,
             fileResponse(crm::attachmentPath(attachmentRoot(ctx), a.stored_as), a.content_type,
                          call.request.range));
         res.headers.emplace_back("Content-Disposition",
                                  "inline; filename*=UTF-8''" + percentEncode(a.file_name));
         res.headers.emplace_back("Content-Security-Policy", "default-src 'none'");
         res.headers.emplace_back("Cache-Control", "private, no-store");
         return res;
       },
       {.summary = "The image itself, with its type; audited.", .tag = "customers"}});

  router.add({"DELETE",
              "/api/v1/customers/{id}/attachments/{attachment_id}",
              Access::kAuthenticated,
              {Role::kTeamLead, Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_ASSIGN_OR_RETURN(std::int64_t attachment_id, call.pathId(1));
                crm::Attachment a;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(a, crm::deleteAttachment(tx, id, attachment_id));
                  return Status::ok();
                }));
                crm::discardFile(attachmentRoot(ctx), a.stored_as);
                return noContent();
              },
              {.summary = "Delete an attachment; audited.",
               .tag = "customers",
               .success_status = 204,
               .success_description = "Deleted"}});
}

}  // namespace ting::api
