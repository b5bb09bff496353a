// Customers of the caller's tenant (the CRM issue extends these).

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "crm/customers.h"

namespace ting::api {

using identity::Role;

namespace {

const ListSpec kCustomerList{
    .sortable = {{"name", "name"}, {"created_at", "created_at"}, {"updated_at", "updated_at"}},
    .default_sort = "id",
    .filters = {"phone", "vip", "q"},
};

crm::CustomerFields readFields(JsonBody& body, bool create) {
  crm::CustomerFields f;
  f.name = body.string("name", create, 400);
  f.phone = body.string("phone", false, 40);
  f.email = body.string("email", false, 254);
  f.company = body.string("company", false, 400);
  f.notes = body.string("notes", false, 10000);
  f.vip = body.boolean("vip");
  return f;
}

const std::vector<FieldDoc> kCustomerFieldDocs = {
    {"name", "string", true, ""},   {"phone", "string", false, ""},
    {"email", "string", false, ""}, {"company", "string", false, ""},
    {"notes", "string", false, ""}, {"vip", "boolean", false, "VIP customers go first."}};

}  // namespace

void addCustomerRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet readers{Role::kAgent, Role::kTeamLead, Role::kQaInspector,
                                  Role::kSupervisor, Role::kAdmin};
  const identity::RoleSet writers{Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin};

  router.add({"GET",
              "/api/v1/customers",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kCustomerList));
                crm::CustomerFilter filter;
                for (const auto& [k, v] : params.filters) {
                  if (k == "phone") filter.phone = v;
                  if (k == "q") filter.q = v;
                  if (k == "vip") {
                    if (v != "true" && v != "false") {
                      return invalidArgument("'vip' must be true or false", "vip")
                          .withReason("invalid_query");
                    }
                    filter.vip = v == "true";
                  }
                }
                store::Page page;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      page, crm::listCustomers(s, call.principal->tenant_id, filter, params.page));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& row : page.rows)
                  items.push_back(crm::toJson(crm::customerFromRow(row)));
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
                crm::CustomerFields fields = readFields(body, true);
                TING_RETURN_IF_ERROR(body.finish());
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

  router.add({"GET",
              "/api/v1/customers/{id}",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_ASSIGN_OR_RETURN(crm::Customer c,
                                      crm::readCustomerAudited(ctx.store, call.actor(), id));
                return jsonResponse(crm::toJson(c));
              },
              {.summary = "One customer (a read of personal data, audited).", .tag = "customers"}});

  router.add({"PATCH",
              "/api/v1/customers/{id}",
              Access::kAuthenticated,
              writers,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                crm::CustomerFields fields = readFields(body, false);
                TING_RETURN_IF_ERROR(body.finish());
                crm::Customer c;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(c, crm::updateCustomer(tx, id, fields));
                  return Status::ok();
                }));
                return jsonResponse(crm::toJson(c));
              },
              {.summary = "Change a customer.", .tag = "customers", .body = kCustomerFieldDocs}});

  router.add({"DELETE",
              "/api/v1/customers/{id}",
              Access::kAuthenticated,
              {Role::kSupervisor, Role::kAdmin},
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  return crm::deleteCustomer(tx, id);
                }));
                return noContent();
              },
              {.summary = "Delete a customer.",
               .tag = "customers",
               .success_status = 204,
               .success_description = "Deleted"}});
}

}  // namespace ting::api
