// Outgoing webhooks of the caller's tenant (notify/webhooks.h).

#include "api/api_context.h"
#include "api/json_body.h"
#include "notify/webhooks.h"

namespace ting::api {

using identity::Role;

namespace {

Result<notify::WebhookFields> readFields(JsonBody& body, bool create) {
  notify::WebhookFields f;
  f.url = body.string("url", create, 2000);
  if (auto events = body.array("events")) {
    std::vector<std::string> list;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const std::string field = "events[" + std::to_string(i) + "]";
      if (!(*events)[i].is_string()) return invalidArgument(field + " must be a string", field);
      list.emplace_back((*events)[i].as_string());
    }
    f.events = std::move(list);
  }
  f.active = body.boolean("active");
  TING_RETURN_IF_ERROR(body.finish());
  return f;
}

const std::vector<FieldDoc> kDocs = {
    {"url", "string", true, "http:// or https:// URL that receives POSTs"},
    {"events", "array", false,
     "event names (work_order.created) or prefixes (work_order.*, approval.*); empty: all"},
    {"active", "boolean", false, ""}};

}  // namespace

void addWebhookRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet admins{Role::kAdmin};
  router.add({"GET",
              "/api/v1/webhooks",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                std::vector<notify::Webhook> hooks;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(hooks, notify::listWebhooks(s, call.principal->tenant_id));
                  return Status::ok();
                }));
                boost::json::array items;
                for (const auto& w : hooks) items.push_back(notify::toJson(w));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "Webhooks of your tenant (their secrets are never shown again).",
               .tag = "webhooks"}});

  router.add({"POST",
              "/api/v1/webhooks",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                if (!ctx.secret_key) return unavailable("webhooks need the server's secret key");
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(notify::WebhookFields f, readFields(body, true));
                notify::Webhook w;
                std::string secret;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(w, notify::createWebhook(tx, *ctx.secret_key, f, secret));
                  return Status::ok();
                }));
                boost::json::object out = notify::toJson(w);
                out["secret"] = secret;
                return jsonResponse(out, 201);
              },
              {.summary = "Register a webhook. The answer carries its signing secret, once: "
                          "each POST has X-Ting-Signature: sha256=HMAC-SHA256(secret, "
                          "X-Ting-Timestamp + \".\" + body).",
               .tag = "webhooks",
               .body = kDocs,
               .success_status = 201,
               .success_description = "Created"}});

  router.add({"PATCH",
              "/api/v1/webhooks/{id}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                JsonBody body(call.request.body);
                TING_ASSIGN_OR_RETURN(notify::WebhookFields f, readFields(body, false));
                notify::Webhook w;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(w, notify::updateWebhook(tx, id, f));
                  return Status::ok();
                }));
                return jsonResponse(notify::toJson(w));
              },
              {.summary = "Change a webhook's URL, events or whether it is active.",
               .tag = "webhooks",
               .body = kDocs}});

  router.add({"DELETE",
              "/api/v1/webhooks/{id}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                TING_RETURN_IF_ERROR(ctx.store.write(
                    call.actor(), [&](store::Tx& tx) { return notify::deleteWebhook(tx, id); }));
                return noContent();
              },
              {.summary = "Delete a webhook and its deliveries.",
               .tag = "webhooks",
               .success_status = 204,
               .success_description = "Deleted"}});

  router.add({"GET",
              "/api/v1/webhooks/{id}/deliveries",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                boost::json::array items;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(
                      items, notify::deliveriesOf(s, call.principal->tenant_id, id, 200));
                  return Status::ok();
                }));
                return jsonResponse({{"items", std::move(items)}});
              },
              {.summary = "The latest 200 deliveries, newest first: status pending, delivered "
                          "or failed, attempts, the receiver's last HTTP status or error.",
               .tag = "webhooks"}});
}

}  // namespace ting::api
