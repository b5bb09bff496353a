#include "api/ws_hub.h"

#include <gtest/gtest.h>

namespace ting::api {

using identity::Role;

class RecordingClient : public WsClient {
 public:
  void deliver(std::shared_ptr<const std::string> m) override { messages.push_back(*m); }
  std::vector<std::string> messages;
};

identity::Principal principal(std::int64_t tenant, Role role) {
  identity::Principal p;
  p.tenant_id = tenant;
  p.role = role;
  p.username = "u";
  return p;
}

TEST(WsHub, DeliversOnlyToTheTenantAndTopic) {
  EventBus bus;
  MetricsRegistry metrics;
  WsHub hub(bus, metrics);
  auto mine = std::make_shared<RecordingClient>();
  auto other_tenant = std::make_shared<RecordingClient>();
  auto other_topic = std::make_shared<RecordingClient>();
  hub.add(mine, principal(1, Role::kAgent), {"customers"});
  hub.add(other_tenant, principal(2, Role::kAgent), {"customers"});
  hub.add(other_topic, principal(1, Role::kAdmin), {"audit"});
  bus.publish({"customers", "customer.created", 1, 0, R"({"id":7})"});
  ASSERT_EQ(mine->messages.size(), 1u);
  EXPECT_NE(mine->messages[0].find("\"customer.created\""), std::string::npos);
  EXPECT_NE(mine->messages[0].find("\"id\":7"), std::string::npos);
  EXPECT_TRUE(other_tenant->messages.empty());
  EXPECT_TRUE(other_topic->messages.empty());
  EXPECT_EQ(hub.clientCount(), 3u);
}

TEST(WsHub, TopicsFollowTheRole) {
  auto all = WsHub::resolveTopics(Role::kAgent, "");
  ASSERT_TRUE(all.isOk());
  EXPECT_TRUE(all->contains("customers"));
  EXPECT_FALSE(all->contains("audit"));
  EXPECT_EQ(WsHub::resolveTopics(Role::kAgent, "audit").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(WsHub::resolveTopics(Role::kAdmin, "nope").status().code(), StatusCode::kInvalidValue);
  auto narrowed = WsHub::resolveTopics(Role::kAdmin, "audit,customers");
  ASSERT_TRUE(narrowed.isOk());
  EXPECT_EQ(narrowed->size(), 2u);
}

TEST(WsHub, ClientMessagesChangeSubscriptions) {
  EventBus bus;
  MetricsRegistry metrics;
  WsHub hub(bus, metrics);
  auto c = std::make_shared<RecordingClient>();
  auto id = hub.add(c, principal(1, Role::kAgent), {});
  EXPECT_EQ(hub.handleClientMessage(id, R"({"type":"ping"})"), R"({"type":"pong"})");
  EXPECT_NE(hub.handleClientMessage(id, "nonsense").find("invalid_json"), std::string::npos);
  EXPECT_NE(
      hub.handleClientMessage(id, R"({"type":"subscribe","topics":["audit"]})").find("forbidden"),
      std::string::npos);
  EXPECT_NE(hub.handleClientMessage(id, R"({"type":"subscribe","topics":["customers"]})")
                .find("subscribed"),
            std::string::npos);
  bus.publish({"customers", "customer.updated", 1, 0, "{}"});
  EXPECT_EQ(c->messages.size(), 1u);
  hub.handleClientMessage(id, R"({"type":"unsubscribe","topics":["customers"]})");
  bus.publish({"customers", "customer.updated", 1, 0, "{}"});
  EXPECT_EQ(c->messages.size(), 1u);
  hub.remove(id);
  EXPECT_EQ(hub.clientCount(), 0u);
}

TEST(WsHub, DepartmentStaffGetOnlyTheirDepartmentsWorkOrders) {
  EventBus bus;
  MetricsRegistry metrics;
  WsHub hub(bus, metrics);
  hub.setDepartmentLookup([](const identity::Principal& p) {
    return p.user_id == 1 ? std::string("维修部") : std::string();
  });
  auto repairs = std::make_shared<RecordingClient>();
  auto nobody = std::make_shared<RecordingClient>();
  auto agent = std::make_shared<RecordingClient>();
  auto staff = principal(1, Role::kDepartment);
  staff.user_id = 1;
  auto unassigned = principal(1, Role::kDepartment);
  unassigned.user_id = 2;
  hub.add(repairs, staff, {"work_orders"});
  hub.add(nobody, unassigned, {"work_orders"});
  hub.add(agent, principal(1, Role::kAgent), {"work_orders"});
  bus.publish({"work_orders", "work_order.dispatch", 1, 0,
               R"({"id":1,"reference":"C20261122-0001","department":"维修部"})"});
  bus.publish({"work_orders", "work_order.dispatch", 1, 0,
               R"({"id":2,"reference":"C20261122-0002","department":"账务部"})"});
  bus.publish({"work_orders", "work_order.note", 1, 0,
               R"({"work_order_id":1,"reference":"C20261122-0001","visibility":"internal"})"});
  bus.publish({"work_orders", "approval.requested", 1, 0,
               R"({"id":5,"reference":"C20261122-0001","department":"维修部"})"});
  bus.publish({"work_orders", "work_order.sla_breached", 1, 0, R"({"work_order_id":1})"});
  ASSERT_EQ(repairs->messages.size(), 1u);
  EXPECT_NE(repairs->messages[0].find("C20261122-0001"), std::string::npos);
  EXPECT_TRUE(nobody->messages.empty());
  EXPECT_EQ(agent->messages.size(), 5u);
}

TEST(WsHub, EscalationsGoToTheRoleOrUserTheyNotify) {
  EventBus bus;
  MetricsRegistry metrics;
  WsHub hub(bus, metrics);
  auto lead = std::make_shared<RecordingClient>();
  auto agent = std::make_shared<RecordingClient>();
  auto named = std::make_shared<RecordingClient>();
  hub.add(lead, principal(1, Role::kTeamLead), {"work_orders"});
  hub.add(agent, principal(1, Role::kAgent), {"work_orders"});
  auto someone = principal(1, Role::kAgent);
  someone.user_id = 42;
  hub.add(named, someone, {"work_orders"});
  bus.publish({"work_orders", "work_order.sla_escalated", 1, 0,
               R"({"work_order_id":1,"notify_role":"team_lead","action":"notify"})"});
  bus.publish({"work_orders", "work_order.sla_escalated", 1, 0,
               R"({"work_order_id":1,"user_id":42,"action":"reassign"})"});
  bus.publish({"work_orders", "work_order.sla_escalated", 1, 0,
               R"({"work_order_id":1,"reason":"rehandled"})"});
  EXPECT_EQ(lead->messages.size(), 2u);   // its role's, and the untargeted one
  EXPECT_EQ(agent->messages.size(), 1u);  // only the untargeted one
  EXPECT_EQ(named->messages.size(), 2u);  // the one naming them, and the untargeted one
}

TEST(WsHub, QaInspectorsDoNotGetCustomerCards) {
  EXPECT_EQ(WsHub::resolveTopics(Role::kQaInspector, "customers").status().code(),
            StatusCode::kPermissionDenied);
}

}  // namespace ting::api
