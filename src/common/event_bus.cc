#include "common/event_bus.h"

#include <algorithm>

namespace ting {

EventBus::SubscriptionId EventBus::subscribe(Handler handler) {
  std::lock_guard lock(mu_);
  SubscriptionId id = next_id_++;
  entries_.push_back({id, std::make_shared<Handler>(std::move(handler))});
  return id;
}

void EventBus::unsubscribe(SubscriptionId id) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [id](const Entry& e) { return e.id == id; });
}

void EventBus::publish(const DomainEvent& event) {
  std::vector<std::shared_ptr<Handler>> handlers;
  {
    std::lock_guard lock(mu_);
    handlers.reserve(entries_.size());
    for (const auto& e : entries_) handlers.push_back(e.handler);
  }
  for (const auto& h : handlers) (*h)(event);
}

}  // namespace ting
