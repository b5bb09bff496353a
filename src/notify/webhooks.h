#pragma once
// Outgoing webhooks: a tenant's admin registers URLs that receive its
// work-order events (work_order.*, approval.*) as JSON POSTs, signed with
// HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret
// (X-Ting-Signature: sha256=<hex>). Every event becomes a stored delivery,
// tried until the receiver answers 2xx, with exponential backoff (base,
// 2×base, 4×base... at most an hour apart, 8 tries), so nothing is lost
// across restarts or receiver outages.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/event_bus.h"
#include "common/secret_box.h"
#include "store/store.h"

namespace ting::notify {

struct Webhook {
  std::int64_t id = 0;
  std::string url;
  std::vector<std::string> events;  // event names or prefixes ("work_order.*"); empty: all
  bool active = true;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};
// Never includes the secret.
boost::json::object toJson(const Webhook& w);

struct WebhookFields {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<bool> active;
};

// Creates a webhook with a new random secret, returned once in `secret`
// (stored sealed with the installation's key).
Result<Webhook> createWebhook(store::Tx& tx, const SecretKey& key, const WebhookFields& f,
                              std::string& secret);
Result<Webhook> updateWebhook(store::Tx& tx, std::int64_t id, const WebhookFields& f);
Status deleteWebhook(store::Tx& tx, std::int64_t id);
Result<std::vector<Webhook>> listWebhooks(store::Session& s, std::int64_t tenant_id);
// The latest deliveries of one webhook, newest first.
Result<boost::json::array> deliveriesOf(store::Session& s, std::int64_t tenant_id,
                                        std::int64_t webhook_id, int limit);

// "sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>".
std::string signature(const std::string& secret, std::int64_t timestamp, const std::string& body);
// Whether `name` is selected by `events` (exact names, "prefix.*", or empty).
bool selects(const std::vector<std::string>& events, const std::string& name);

inline constexpr int kMaxAttempts = 8;

class WebhookDispatcher {
 public:
  WebhookDispatcher(store::Store& store, EventBus& bus, const SecretKey& key,
                    std::chrono::seconds retry_base);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void start();
  void stop();

 private:
  void onEvent(const DomainEvent& e);
  void run();
  Status enqueue(const DomainEvent& e);
  Status sendDue();

  store::Store& store_;
  EventBus& bus_;
  SecretKey key_;
  std::chrono::seconds retry_base_;
  EventBus::SubscriptionId subscription_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<DomainEvent> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ting::notify
