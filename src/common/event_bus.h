#pragma once
// The in-process event bus: modules publish domain events after their
// transaction commits; the WebSocket hub, audit readers and workers subscribe.
// At the scale-out stage the same interface is backed by NATS between nodes.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"

namespace ting {

struct DomainEvent {
  std::string topic;  // e.g. "customers"; decides who may receive it
  std::string name;   // e.g. "customer.created"
  std::int64_t tenant_id = 0;
  UnixMillis at = 0;
  std::string data_json;  // the event's payload, a JSON object
};

class EventBus {
 public:
  using Handler = std::function<void(const DomainEvent&)>;
  using SubscriptionId = std::uint64_t;

  // `handler` runs on the publishing thread and must not block: hand work to
  // the subscriber's own thread. Safe to call from any thread.
  SubscriptionId subscribe(Handler handler);
  void unsubscribe(SubscriptionId id);
  void publish(const DomainEvent& event);

 private:
  struct Entry {
    SubscriptionId id;
    std::shared_ptr<Handler> handler;  // shared so publish can run it unlocked
  };
  std::mutex mu_;  // guards entries_ and next_id_
  std::vector<Entry> entries_;
  SubscriptionId next_id_ = 1;
};

}  // namespace ting
