#pragma once
// The WebSocket hub: which connected client receives which domain events.
// A client sees only its own tenant's events, and only on topics its role may
// see. Independent of Beast: connections implement WsClient.

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event_bus.h"
#include "common/metrics.h"
#include "identity/auth.h"

namespace ting::api {

class WsClient {
 public:
  virtual ~WsClient() = default;
  // Queues a text message for sending. Must not block; called from any thread.
  virtual void deliver(std::shared_ptr<const std::string> message) = 0;
};

struct TopicRule {
  std::string topic;
  identity::RoleSet roles;
};

// The topics of docs/api.md and who may receive them.
const std::vector<TopicRule>& topicRules();
std::vector<std::string> topicsForRole(identity::Role role);

class WsHub {
 public:
  WsHub(EventBus& bus, MetricsRegistry& metrics);
  ~WsHub();
  WsHub(const WsHub&) = delete;
  WsHub& operator=(const WsHub&) = delete;

  // The topics a client asking for `requested` (comma-separated; empty: all
  // allowed) gets, or kPermissionDenied naming a topic it may not have.
  static Result<std::set<std::string>> resolveTopics(identity::Role role,
                                                     std::string_view requested);

  // How the department of a department-staff user is found (set by the
  // server before it accepts connections; without it such users get no
  // work-order events).
  using DepartmentLookup = std::function<std::string(const identity::Principal&)>;
  void setDepartmentLookup(DepartmentLookup lookup) { department_of_ = std::move(lookup); }

  using ClientId = std::uint64_t;
  ClientId add(std::weak_ptr<WsClient> client, const identity::Principal& principal,
               std::set<std::string> topics);
  void remove(ClientId id);

  // Handles a message the client sent; returns the reply to send (never empty).
  std::string handleClientMessage(ClientId id, std::string_view text);
  // The hello message for a newly added client.
  std::string helloMessage(ClientId id);

  size_t clientCount() const;

 private:
  struct Subscriber {
    std::weak_ptr<WsClient> client;
    identity::Principal principal;
    std::set<std::string> topics;
    std::string department;  // department staff: theirs, as at connection
  };
  // Whether `s` may receive `e` beyond tenant and topic: department staff
  // get only the work-order events of their department's work orders.
  static bool mayReceive(const Subscriber& s, const DomainEvent& e, const boost::json::value& data);
  void onEvent(const DomainEvent& event);

  EventBus& bus_;
  EventBus::SubscriptionId subscription_;
  mutable std::mutex mu_;  // guards subscribers_ and next_id_
  std::unordered_map<ClientId, Subscriber> subscribers_;
  ClientId next_id_ = 1;
  Counter* delivered_;
  DepartmentLookup department_of_;
};

}  // namespace ting::api
