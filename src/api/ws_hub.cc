#include "api/ws_hub.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ting::api {

using identity::Role;

const std::vector<TopicRule>& topicRules() {
  static const std::vector<TopicRule> kRules = {
      // Not QA inspectors: the cards carry whole phone numbers.
      {"customers", {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"users", {Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"agents", {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"calls", {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"queues", {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"work_orders",
       {Role::kAgent, Role::kTeamLead, Role::kSupervisor, Role::kAdmin, Role::kDepartment}},
      {"qa", {Role::kQaInspector, Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"jobs", {Role::kTeamLead, Role::kSupervisor, Role::kAdmin}},
      {"audit", {Role::kAdmin}},
  };
  return kRules;
}

std::vector<std::string> topicsForRole(Role role) {
  std::vector<std::string> out;
  for (const auto& r : topicRules()) {
    if (r.roles.contains(role)) out.push_back(r.topic);
  }
  return out;
}

namespace {

boost::json::array toArray(const std::set<std::string>& topics) {
  boost::json::array a;
  for (const auto& t : topics) a.push_back(boost::json::string(t));
  return a;
}

std::string errorMessage(std::string_view code, std::string_view message) {
  return boost::json::serialize(
      boost::json::object{{"type", "error"}, {"error", {{"code", code}, {"message", message}}}});
}

}  // namespace

WsHub::WsHub(EventBus& bus, MetricsRegistry& metrics)
    : bus_(bus),
      delivered_(&metrics.counter("ting_ws_events_delivered_total",
                                  "Domain events sent to WebSocket clients.", "")) {
  metrics.gauge("ting_ws_clients", "Connected WebSocket clients.",
                [this] { return static_cast<double>(clientCount()); });
  subscription_ = bus_.subscribe([this](const DomainEvent& e) { onEvent(e); });
}

WsHub::~WsHub() {
  bus_.unsubscribe(subscription_);
}

Result<std::set<std::string>> WsHub::resolveTopics(Role role, std::string_view requested) {
  std::set<std::string> out;
  auto allowed = topicsForRole(role);
  if (requested.empty()) return std::set<std::string>(allowed.begin(), allowed.end());
  size_t start = 0;
  while (start <= requested.size()) {
    size_t end = requested.find(',', start);
    if (end == std::string_view::npos) end = requested.size();
    std::string topic(requested.substr(start, end - start));
    start = end + 1;
    if (topic.empty()) continue;
    bool known = false;
    for (const auto& r : topicRules()) known = known || r.topic == topic;
    if (!known) return invalidValue("no such topic '" + topic + "'", "topics");
    if (std::find(allowed.begin(), allowed.end(), topic) == allowed.end()) {
      return Status{StatusCode::kPermissionDenied,
                    "the role '" + std::string(identity::roleName(role)) +
                        "' may not receive topic '" + topic + "'",
                    "topics"};
    }
    out.insert(topic);
  }
  return out;
}

WsHub::ClientId WsHub::add(std::weak_ptr<WsClient> client, const identity::Principal& principal,
                           std::set<std::string> topics) {
  std::string department;
  if (principal.role == Role::kDepartment && department_of_) department = department_of_(principal);
  std::lock_guard lock(mu_);
  ClientId id = next_id_++;
  subscribers_.emplace(
      id, Subscriber{std::move(client), principal, std::move(topics), std::move(department)});
  return id;
}

void WsHub::remove(ClientId id) {
  std::lock_guard lock(mu_);
  subscribers_.erase(id);
}

size_t WsHub::clientCount() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

std::string WsHub::helloMessage(ClientId id) {
  std::lock_guard lock(mu_);
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return errorMessage("gone", "unknown client");
  const auto& p = it->second.principal;
  return boost::json::serialize(boost::json::object{{"type", "hello"},
                                                    {"topics", toArray(it->second.topics)},
                                                    {"user",
                                                     {{"id", p.user_id},
                                                      {"username", p.username},
                                                      {"role", identity::roleName(p.role)},
                                                      {"tenant", p.tenant_slug}}}});
}

std::string WsHub::handleClientMessage(ClientId id, std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return errorMessage("invalid_json", "send a JSON object");
  const auto& o = v.as_object();
  const auto* type = o.if_contains("type");
  if (!type || !type->is_string()) {
    return errorMessage("missing_field", "'type' is required (subscribe, unsubscribe, ping)");
  }
  if (*type == "ping") return R"({"type":"pong"})";
  if (*type != "subscribe" && *type != "unsubscribe") {
    return errorMessage("invalid_value", "'type' must be subscribe, unsubscribe or ping");
  }
  const auto* topics = o.if_contains("topics");
  if (!topics || !topics->is_array()) {
    return errorMessage("invalid_field", "'topics' must be an array of topic names");
  }
  std::string joined;
  for (const auto& t : topics->as_array()) {
    if (!t.is_string()) return errorMessage("invalid_field", "'topics' must hold strings");
    joined += std::string(t.as_string()) + ",";
  }
  std::lock_guard lock(mu_);
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return errorMessage("gone", "unknown client");
  if (joined.empty()) return errorMessage("invalid_field", "'topics' may not be empty");
  auto resolved = resolveTopics(it->second.principal.role, joined);
  if (!resolved.isOk()) {
    return errorMessage(
        resolved.status().code() == StatusCode::kPermissionDenied ? "forbidden" : "invalid_value",
        resolved.status().message());
  }
  auto& mine = it->second.topics;
  for (const auto& t : *resolved) {
    if (*type == "subscribe") {
      mine.insert(t);
    } else {
      mine.erase(t);
    }
  }
  return boost::json::serialize(
      boost::json::object{{"type", "subscribed"}, {"topics", toArray(mine)}});
}

bool WsHub::mayReceive(const Subscriber& s, const DomainEvent& e, const boost::json::value& data) {
  // An escalation that notifies a role or a user goes to them alone.
  if (e.name == "work_order.sla_escalated") {
    const auto* o = data.if_object();
    const auto* role = o ? o->if_contains("notify_role") : nullptr;
    const auto* user = o ? o->if_contains("user_id") : nullptr;
    if ((role && role->is_string()) || (user && user->is_int64())) {
      return (role && role->is_string() &&
              role->as_string() == identity::roleName(s.principal.role)) ||
             (user && user->is_int64() && user->as_int64() == s.principal.user_id);
    }
  }
  if (s.principal.role != Role::kDepartment) return true;
  // Whole work orders only (not notes, approvals or SLA details), and only
  // while dispatched to their department.
  if (e.name.rfind("work_order.", 0) != 0 || s.department.empty()) return false;
  const auto* o = data.if_object();
  const auto* dept = o ? o->if_contains("department") : nullptr;
  return o && o->contains("reference") && dept && dept->is_string() &&
         dept->as_string() == s.department;
}

void WsHub::onEvent(const DomainEvent& e) {
  struct Target {
    std::shared_ptr<WsClient> client;
    const Subscriber* subscriber;
  };
  std::vector<Target> candidates;
  std::vector<std::shared_ptr<WsClient>> targets;
  boost::json::value data;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, s] : subscribers_) {
      if (s.principal.tenant_id != e.tenant_id || !s.topics.contains(e.topic)) continue;
      if (auto c = s.client.lock()) candidates.push_back({std::move(c), &s});
    }
    if (candidates.empty()) return;
    boost::system::error_code ec;
    data = boost::json::parse(e.data_json, ec);
    if (ec) data = nullptr;
    for (auto& t : candidates) {
      if (mayReceive(*t.subscriber, e, data)) targets.push_back(std::move(t.client));
    }
  }
  if (targets.empty()) return;
  auto message = std::make_shared<const std::string>(boost::json::serialize(
      boost::json::object{{"type", "event"},
                          {"topic", e.topic},
                          {"event", e.name},
                          {"tenant_id", e.tenant_id},
                          {"at", formatTimestamp(e.at)},
                          {"data", std::move(data)}}));
  for (auto& c : targets) c->deliver(message);
  delivered_->inc(targets.size());
}

}  // namespace ting::api
