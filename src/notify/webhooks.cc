#include "notify/webhooks.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.h"

namespace ting::notify {

namespace {

constexpr const char* kColumns = "id, url, events, active, created_at, updated_at";
constexpr int kBatch = 50;
constexpr long kTimeoutMs = 5000;

Webhook fromRow(const store::Row& r) {
  Webhook w;
  w.id = r.integer(0);
  w.url = r.text(1);
  const std::string events = r.text(2);
  std::size_t start = 0;
  while (start < events.size()) {
    auto end = events.find(',', start);
    if (end == std::string::npos) end = events.size();
    if (end > start) w.events.push_back(events.substr(start, end - start));
    start = end + 1;
  }
  w.active = r.integer(3) != 0;
  w.created_at = r.integer(4);
  w.updated_at = r.integer(5);
  return w;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

Status checkFields(const WebhookFields& f) {
  if (f.url) {
    const std::string& u = *f.url;
    const bool scheme = u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0;
    const bool clean =
        std::none_of(u.begin(), u.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
    if (!scheme || !clean || u.size() > 2000 || u.size() < 10) {
      return invalidValue("url must be an http:// or https:// URL without spaces", "url");
    }
  }
  if (f.events) {
    if (f.events->size() > 50) return invalidValue("at most 50 events", "events");
    for (std::size_t i = 0; i < f.events->size(); ++i) {
      const std::string& e = (*f.events)[i];
      const bool ok = !e.empty() && e.size() <= 64 && std::all_of(e.begin(), e.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == '*';
      });
      if (!ok) {
        const std::string field = "events[" + std::to_string(i) + "]";
        return invalidValue(field +
                                " must be an event name such as work_order.created or "
                                "work_order.*",
                            field);
      }
    }
  }
  return Status::ok();
}

Result<Webhook> getWebhook(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query(std::string("SELECT ") + kColumns + " FROM webhooks WHERE tenant_id = ? AND id = ?",
              {tenant_id, id}));
  if (rows.empty()) return notFound("no such webhook");
  return fromRow(rows[0]);
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

// POSTs `body`; the HTTP status, or an error for a failed connection.
Result<long> post(const std::string& url, const std::string& body,
                  const std::vector<std::string>& headers) {
  CURL* curl = curl_easy_init();
  if (!curl) return internalError("curl_easy_init failed");
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return unavailable(curl_easy_strerror(rc));
  return status;
}

}  // namespace

boost::json::object toJson(const Webhook& w) {
  boost::json::array events;
  for (const auto& e : w.events) events.push_back(boost::json::string(e));
  return {{"id", w.id},
          {"url", w.url},
          {"events", std::move(events)},
          {"active", w.active},
          {"created_at", formatTimestamp(w.created_at)},
          {"updated_at", formatTimestamp(w.updated_at)}};
}

Result<Webhook> createWebhook(store::Tx& tx, const SecretKey& key, const WebhookFields& f,
                              std::string& secret) {
  TING_RETURN_IF_ERROR(checkFields(f));
  if (!f.url) return invalidValue("url is required", "url");
  Webhook w{.url = *f.url,
            .events = f.events.value_or(std::vector<std::string>{}),
            .active = f.active.value_or(true),
            .created_at = tx.now(),
            .updated_at = tx.now()};
  secret = "whsec_" + randomPassword(32);
  TING_ASSIGN_OR_RETURN(std::string sealed, sealSecret(key, secret));
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne("INSERT INTO webhooks (tenant_id, url, secret, events, active, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            {tx.actor().tenant_id, w.url, sealed, joined(w.events),
                             std::int64_t{w.active ? 1 : 0}, w.created_at, w.updated_at}));
  w.id = row.integer(0);
  TING_RETURN_IF_ERROR(tx.audit({.entity = "webhook",
                                 .entity_id = std::to_string(w.id),
                                 .action = "create",
                                 .after_json = boost::json::serialize(toJson(w))}));
  return w;
}

Result<Webhook> updateWebhook(store::Tx& tx, std::int64_t id, const WebhookFields& f) {
  TING_RETURN_IF_ERROR(checkFields(f));
  TING_ASSIGN_OR_RETURN(Webhook w, getWebhook(tx.session(), tx.actor().tenant_id, id));
  const std::string before = boost::json::serialize(toJson(w));
  if (f.url) w.url = *f.url;
  if (f.events) w.events = *f.events;
  if (f.active) w.active = *f.active;
  w.updated_at = tx.now();
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE webhooks SET url = ?, events = ?, active = ?, updated_at = ? WHERE tenant_id = ? "
      "AND id = ?",
      {w.url, joined(w.events), std::int64_t{w.active ? 1 : 0}, w.updated_at, tx.actor().tenant_id,
       id}));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "webhook",
                                 .entity_id = std::to_string(id),
                                 .action = "update",
                                 .before_json = before,
                                 .after_json = boost::json::serialize(toJson(w))}));
  return w;
}

Status deleteWebhook(store::Tx& tx, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(Webhook w, getWebhook(tx.session(), tx.actor().tenant_id, id));
  TING_RETURN_IF_ERROR(
      tx.session().exec("DELETE FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ?",
                        {tx.actor().tenant_id, id}));
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM webhooks WHERE tenant_id = ? AND id = ?",
                                         {tx.actor().tenant_id, id}));
  return tx.audit({.entity = "webhook",
                   .entity_id = std::to_string(id),
                   .action = "delete",
                   .before_json = boost::json::serialize(toJson(w))});
}

Result<std::vector<Webhook>> listWebhooks(store::Session& s, std::int64_t tenant_id) {
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query(std::string("SELECT ") + kColumns + " FROM webhooks WHERE tenant_id = ? ORDER BY id",
              {tenant_id}));
  std::vector<Webhook> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

Result<boost::json::array> deliveriesOf(store::Session& s, std::int64_t tenant_id,
                                        std::int64_t webhook_id, int limit) {
  TING_RETURN_IF_ERROR(getWebhook(s, tenant_id, webhook_id).status());
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query("SELECT id, event, status, attempts, next_attempt_at, last_status, last_error, "
              "created_at, delivered_at FROM webhook_deliveries WHERE tenant_id = ? AND "
              "webhook_id = ? ORDER BY id DESC LIMIT ?",
              {tenant_id, webhook_id, std::int64_t{limit}}));
  boost::json::array out;
  auto time = [](const store::Row& r, size_t i) {
    return r.isNull(i) ? boost::json::value(nullptr)
                       : boost::json::value(formatTimestamp(r.integer(i)));
  };
  for (const auto& r : rows) {
    out.push_back(
        {{"id", r.integer(0)},
         {"event", r.text(1)},
         {"status", r.text(2)},
         {"attempts", r.integer(3)},
         {"next_attempt_at", r.text(2) == "pending" ? time(r, 4) : nullptr},
         {"last_status",
          r.isNull(5) ? boost::json::value(nullptr) : boost::json::value(r.integer(5))},
         {"last_error", r.isNull(6) ? boost::json::value(nullptr) : boost::json::value(r.text(6))},
         {"created_at", time(r, 7)},
         {"delivered_at", time(r, 8)}});
  }
  return out;
}

std::string signature(const std::string& secret, std::int64_t timestamp, const std::string& body) {
  const std::string message = std::to_string(timestamp) + "." + body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string("sha256=") + hex;
}

bool selects(const std::vector<std::string>& events, const std::string& name) {
  if (events.empty()) return true;
  return std::any_of(events.begin(), events.end(), [&](const std::string& e) {
    if (e == "*" || e == name) return true;
    if (e.size() >= 2 && e.compare(e.size() - 2, 2, ".*") == 0) {
      return name.compare(0, e.size() - 1, e, 0, e.size() - 1) == 0;
    }
    return false;
  });
}

WebhookDispatcher::WebhookDispatcher(store::Store& store, EventBus& bus, const SecretKey& key,
                                     std::chrono::seconds retry_base)
    : store_(store), bus_(bus), key_(key), retry_base_(retry_base) {}

WebhookDispatcher::~WebhookDispatcher() {
  stop();
}

void WebhookDispatcher::start() {
  subscription_ = bus_.subscribe([this](const DomainEvent& e) { onEvent(e); });
  thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
  if (subscription_) {
    bus_.unsubscribe(subscription_);
    subscription_ = 0;
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookDispatcher::onEvent(const DomainEvent& e) {
  if (e.topic != "work_orders" || e.tenant_id == 0) return;
  {
    std::lock_guard lock(mu_);
    if (pending_.size() >= 100'000) return;  // the receiver side is far behind; drop, logged
    pending_.push_back(e);
  }
  cv_.notify_all();
}

Status WebhookDispatcher::enqueue(const DomainEvent& e) {
  std::vector<Webhook> hooks;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(hooks, listWebhooks(s, e.tenant_id));
    return Status::ok();
  }));
  hooks.erase(
      std::remove_if(hooks.begin(), hooks.end(),
                     [&](const Webhook& w) { return !w.active || !selects(w.events, e.name); }),
      hooks.end());
  if (hooks.empty()) return Status::ok();
  boost::system::error_code ec;
  auto data = boost::json::parse(e.data_json, ec);
  store::Actor actor{.tenant_id = e.tenant_id, .user_id = 0, .name = "webhooks"};
  return store_.write(actor, [&](store::Tx& tx) -> Status {
    for (const auto& w : hooks) {
      TING_ASSIGN_OR_RETURN(
          store::Row row,
          tx.session().queryOne("INSERT INTO webhook_deliveries (tenant_id, webhook_id, event, "
                                "payload, status, attempts, next_attempt_at, created_at) VALUES "
                                "(?, ?, ?, '', 'pending', 0, ?, ?) RETURNING id",
                                {e.tenant_id, w.id, e.name, tx.now(), tx.now()}));
      const std::string payload = boost::json::serialize(
          boost::json::object{{"id", row.integer(0)},
                              {"event", e.name},
                              {"at", formatTimestamp(e.at ? e.at : tx.now())},
                              {"data", ec ? boost::json::value(nullptr) : data}});
      TING_RETURN_IF_ERROR(tx.session().exec(
          "UPDATE webhook_deliveries SET payload = ? WHERE id = ?", {payload, row.integer(0)}));
    }
    return Status::ok();
  });
}

Status WebhookDispatcher::sendDue() {
  store::Rows due;
  const UnixMillis now = store_.clock().nowMillis();
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(
        due, s.query("SELECT d.id, d.tenant_id, d.event, d.payload, d.attempts, w.url, w.secret "
                     "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE "
                     "d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY "
                     "d.next_attempt_at, d.id LIMIT ?",
                     {now, std::int64_t{kBatch}}));
    return Status::ok();
  }));
  for (const auto& r : due) {
    const std::int64_t id = r.integer(0);
    const std::string body = r.text(3);
    auto secret = openSecret(key_, r.text(6));
    Result<long> status = secret.isOk() ? Result<long>(0L) : Result<long>(secret.status());
    if (secret.isOk()) {
      const std::int64_t ts = store_.clock().nowMillis() / 1000;
      status = post(r.text(5), body,
                    {"Content-Type: application/json", "User-Agent: Ting-Webhooks/1",
                     "X-Ting-Event: " + r.text(2), "X-Ting-Delivery: " + std::to_string(id),
                     "X-Ting-Timestamp: " + std::to_string(ts),
                     "X-Ting-Signature: " + signature(*secret, ts, body)});
    }
    const bool ok = status.isOk() && *status >= 200 && *status < 300;
    const int attempts = static_cast<int>(r.integer(4)) + 1;
    std::string error;
    if (!status.isOk()) {
      error = status.status().message();
    } else if (!ok) {
      error = "HTTP " + std::to_string(*status);
    }
    // Tried again after base, 2×base, 4×base... at most an hour apart.
    const std::int64_t backoff_ms = std::min<std::int64_t>(
        std::int64_t{retry_base_.count()} * 1000 << (attempts - 1), 3'600'000);
    const std::string next_status = ok                         ? "delivered"
                                    : attempts >= kMaxAttempts ? "failed"
                                                               : "pending";
    store::Actor actor{.tenant_id = r.integer(1), .user_id = 0, .name = "webhooks"};
    TING_RETURN_IF_ERROR(store_.write(actor, [&](store::Tx& tx) -> Status {
      return tx.session().exec(
          "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
          "last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?",
          {next_status, std::int64_t{attempts}, tx.now() + backoff_ms,
           status.isOk() ? store::Value(std::int64_t{*status}) : store::nullValue(),
           store::textOrNull(error), ok ? store::Value(tx.now()) : store::nullValue(), id});
    }));
    if (next_status == "failed") {
      spdlog::warn("webhook delivery {} ({}) failed after {} attempts: {}", id, r.text(2), attempts,
                   error);
    }
  }
  return Status::ok();
}

void WebhookDispatcher::run() {
  pthread_setname_np(pthread_self(), "webhooks");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::deque<DomainEvent> batch;
    batch.swap(pending_);
    lock.unlock();
    for (const auto& e : batch) {
      if (Status s = enqueue(e); !s.isOk()) {
        spdlog::warn("webhook event {} not queued: {}", e.name, s.message());
      }
    }
    if (Status s = sendDue(); !s.isOk()) spdlog::warn("webhook deliveries: {}", s.message());
    lock.lock();
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !pending_.empty(); });
  }
}

}  // namespace ting::notify
