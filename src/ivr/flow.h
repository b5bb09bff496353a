#pragma once
// The IVR flow of one tenant: the nodes a caller walks through, the business
// calendars and number lists its conditions refer to. A Flow is built by
// parseFlow() (flow_parser.h), checked by validate() (validate.h) and then
// shared read-only by every call's Session (session.h).

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ivr/calendar.h"
#include "ivr/compare.h"

namespace ting::ivr {

inline constexpr std::size_t kMaxNodes = 500;
inline constexpr std::size_t kMaxFlowBytes = 256 * std::size_t{1024};

// One piece of a prompt: text spoken by TTS, or an uploaded recording.
struct PromptPart {
  std::string tts;    // text; may hold ${variable} references
  std::string voice;  // TTS voice; empty means the flow's voice
  std::string file;   // name of an uploaded recording; when set, tts is empty
};
// Parts played one after the other. Empty means "no prompt".
using PromptSpec = std::vector<PromptPart>;

enum class NodeType {
  kPlay,
  kMenu,
  kCollect,
  kSet,
  kCondition,
  kHttp,
  kVoicemail,
  kTransfer,
  kHangup
};

// "play", "menu", ... as written in flows.
std::string_view nodeTypeName(NodeType type);
std::optional<NodeType> parseNodeType(std::string_view name);

struct PlayNode {
  PromptSpec prompt;
  std::string next;  // empty: hang up after playing
};

struct MenuNode {
  PromptSpec prompt;
  std::vector<std::pair<std::string, std::string>> choices;  // key ("1", "#") → node id
  int timeout_ms = 5000;                                     // after the prompt has finished
  int retries = 3;  // failed tries (invalid key or timeout) before the fallback
  PromptSpec invalid_prompt;
  PromptSpec timeout_prompt;
  std::string fallback;  // empty: hang up
};

struct CollectNode {
  PromptSpec prompt;
  std::string variable;
  int min_digits = 1;
  int max_digits = 20;
  std::string terminator = "#";  // "#", "*" or "" (none)
  std::string pattern;           // ECMAScript regex the digits must match (searched)
  // Compiled from `pattern` by the parser; null when pattern is empty or does
  // not compile (validate() reports that). Shared because Nodes are copied
  // and std::regex is immutable after construction.
  std::shared_ptr<const std::regex> regex;
  int timeout_ms = 5000;              // for the first digit, after the prompt
  int inter_digit_timeout_ms = 3000;  // between digits
  int retries = 3;
  PromptSpec invalid_prompt;
  PromptSpec timeout_prompt;
  bool mask = false;  // keep the digits out of the call's path (PINs)
  bool pause_recording = false;  // record silence while in this node (card numbers)
  std::string next;
  std::string fallback;  // empty: hang up
};

struct SetNode {
  std::string variable;
  std::string value;  // may hold ${variable} references
  std::string next;
};

struct Rule {
  enum class Kind { kBusinessHours, kCallerIn, kVariable };
  Kind kind = Kind::kVariable;
  std::string calendar;  // kBusinessHours
  std::string list;      // kCallerIn
  std::string variable;  // kVariable
  CompareOp op = CompareOp::kEq;
  std::string value;
  std::shared_ptr<const std::regex> regex;  // op kMatches; null if it did not compile
  std::string next;
};

struct ConditionNode {
  std::vector<Rule> rules;  // the first rule that holds wins
  std::string else_next;
};

struct HttpNode {
  std::string url;  // may hold ${variable} references (inserted percent-encoded)
  std::string method = "GET";
  int timeout_ms = 2000;
  std::vector<std::pair<std::string, std::string>> results;  // variable → JSON pointer
  std::string next;
  std::string on_error;  // empty: continue at next
};

struct VoicemailNode {
  PromptSpec prompt;
  int max_seconds = 60;
  std::string next;  // empty: hang up after the message
};

struct TransferNode {
  std::string extension;  // exactly one of extension, queue and number
  std::string queue;
  std::string number;     // an outside number, dialled through a trunk
  std::string trunk;      // which outbound trunk; empty: the tenant's first
  std::string caller_id;  // "trunk" (the trunk's number, default) or "caller"
  std::string fallback;  // when the transfer fails; empty: hang up
};

struct HangupNode {
  PromptSpec prompt;
};

using NodeBody = std::variant<PlayNode, MenuNode, CollectNode, SetNode, ConditionNode, HttpNode,
                              VoicemailNode, TransferNode, HangupNode>;

struct Node {
  std::string id;
  std::string description;
  NodeBody body;

  NodeType type() const { return static_cast<NodeType>(body.index()); }
};

// Every node id this node may continue at, in a fixed order, with the field
// naming the edge ("next", "choices.1", "rules[0].next", ...). Empty ids
// (optional edges left out) are skipped.
std::vector<std::pair<std::string, std::string>> nodeEdges(const Node& node);

struct Flow {
  std::string name;
  std::string description;
  std::string voice;  // default TTS voice; empty means the server's default
  std::string start;
  std::vector<Node> nodes;  // in document order
  std::map<std::string, Calendar, std::less<>> calendars;
  std::map<std::string, NumberList, std::less<>> lists;
  // Ids of nodes the parser had to drop (not an object, unknown type). Kept so
  // that validate() does not report references to them a second time.
  std::set<std::string, std::less<>> dropped_nodes;

  // The node with this id, or null. Requires index() to be current.
  const Node* find(std::string_view id) const;
  // Rebuilds the id → node lookup; call after changing `nodes`.
  void index();

 private:
  std::map<std::string, std::size_t, std::less<>> index_;
};

// One problem found in a flow. `node` is empty for problems outside nodes
// (start, calendars, lists). `path` names the JSON field:
// "nodes.main_menu.choices.12", "calendars.default.utc_offset".
struct FlowError {
  std::string node;
  std::string path;
  std::string message;

  // "nodes.main_menu.choices.12: a choice key must be one of 0-9, * and #"
  std::string describe() const;
};

// [{"node": "...", "path": "...", "message": "..."}] (node null for flow-level errors).
std::string flowErrorsJson(const std::vector<FlowError>& errors);

// `s` fit to quote in an error message: control bytes become '?', at most
// `max` bytes (cut at a UTF-8 boundary, then "...").
std::string printable(std::string_view s, std::size_t max = 64);

}  // namespace ting::ivr
