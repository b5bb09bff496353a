#include "common/event_bus.h"

#include <gtest/gtest.h>

namespace ting {

TEST(EventBus, DeliversToEverySubscriberUntilUnsubscribed) {
  EventBus bus;
  std::vector<std::string> a, b;
  auto ida = bus.subscribe([&](const DomainEvent& e) { a.push_back(e.name); });
  bus.subscribe([&](const DomainEvent& e) { b.push_back(e.name); });
  bus.publish({"customers", "customer.created", 1, 0, "{}"});
  bus.unsubscribe(ida);
  bus.publish({"customers", "customer.deleted", 1, 0, "{}"});
  EXPECT_EQ(a, (std::vector<std::string>{"customer.created"}));
  EXPECT_EQ(b, (std::vector<std::string>{"customer.created", "customer.deleted"}));
}

TEST(EventBus, HandlerMayUnsubscribeWhilePublishing) {
  EventBus bus;
  int calls = 0;
  EventBus::SubscriptionId id = 0;
  id = bus.subscribe([&](const DomainEvent&) {
    ++calls;
    bus.unsubscribe(id);
  });
  bus.publish({"t", "x", 1, 0, "{}"});
  bus.publish({"t", "x", 1, 0, "{}"});
  EXPECT_EQ(calls, 1);
}

}  // namespace ting
