#include "ivr/flow.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ting::ivr {

// Node::type() casts the variant index to NodeType.
static_assert(std::is_same_v<
              std::variant_alternative_t<static_cast<std::size_t>(NodeType::kHangup), NodeBody>,
              HangupNode>);
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(NodeType::kMenu), NodeBody>,
                   MenuNode>);

namespace {

constexpr std::string_view kTypeNames[] = {"play", "menu",      "collect",  "set",   "condition",
                                           "http", "voicemail", "transfer", "hangup"};

struct EdgeCollector {
  std::vector<std::pair<std::string, std::string>>& out;

  void add(std::string field, const std::string& target) {
    if (!target.empty()) out.emplace_back(std::move(field), target);
  }
  void operator()(const PlayNode& n) { add("next", n.next); }
  void operator()(const MenuNode& n) {
    for (const auto& [key, target] : n.choices) add("choices." + printable(key), target);
    add("fallback", n.fallback);
  }
  void operator()(const CollectNode& n) {
    add("next", n.next);
    add("fallback", n.fallback);
  }
  void operator()(const SetNode& n) { add("next", n.next); }
  void operator()(const ConditionNode& n) {
    for (std::size_t i = 0; i < n.rules.size(); ++i) {
      add("rules[" + std::to_string(i) + "].next", n.rules[i].next);
    }
    add("else", n.else_next);
  }
  void operator()(const HttpNode& n) {
    add("next", n.next);
    add("on_error", n.on_error);
  }
  void operator()(const VoicemailNode& n) { add("next", n.next); }
  void operator()(const TransferNode& n) { add("fallback", n.fallback); }
  void operator()(const HangupNode&) {}
};

}  // namespace

std::string_view nodeTypeName(NodeType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<NodeType> parseNodeType(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<NodeType>(i);
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> nodeEdges(const Node& node) {
  std::vector<std::pair<std::string, std::string>> out;
  std::visit(EdgeCollector{out}, node.body);
  return out;
}

const Node* Flow::find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &nodes[it->second];
}

void Flow::index() {
  index_.clear();
  for (std::size_t i = 0; i < nodes.size(); ++i) index_.emplace(nodes[i].id, i);
}

std::string FlowError::describe() const {
  return path.empty() ? message : path + ": " + message;
}

std::string flowErrorsJson(const std::vector<FlowError>& errors) {
  boost::json::array out;
  for (const auto& e : errors) {
    boost::json::object o;
    if (e.node.empty()) {
      o["node"] = nullptr;
    } else {
      o["node"] = e.node;
    }
    o["path"] = e.path;
    o["message"] = e.message;
    out.push_back(std::move(o));
  }
  return boost::json::serialize(out);
}

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t cut = s.size();
  if (cut > max) {
    cut = max;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  }
  for (std::size_t i = 0; i < cut; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c == 0x7F ? '?' : s[i];
  }
  if (cut < s.size()) out += "...";
  return out;
}

}  // namespace ting::ivr
