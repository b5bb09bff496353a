#include "ivr/validate.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "ivr/flow_parser.h"
#include "ivr/interpolate.h"

namespace ting::ivr {

namespace {

constexpr std::size_t kMaxReportedErrors = 200;

bool isIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Node ids, calendar, list and queue names: [A-Za-z0-9_-]{1,64}.
bool isName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), isIdChar);
}

// TTS voices ("cmn-latn-pinyin", "en+f3").
bool isVoice(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return isIdChar(c) || c == '+'; });
}

// Uploaded recordings: a file name without directories, not starting with '.'.
// The names prompt uploads may have (tts::validUploadName).
bool isPromptFileName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), isIdChar);
}

// Extensions: digits, letters and a few dial-string characters.
bool isExtension(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return isIdChar(c) || c == '*' || c == '#' || c == '+' || c == '.';
  });
}

bool isPhoneNumber(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 6901: "" or "/" segments, '~' only as ~0 or ~1.
bool isJsonPointer(std::string_view p) {
  if (!p.empty() && p[0] != '/') return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  }
  return true;
}

bool waitsForCaller(NodeType type) {
  return type == NodeType::kMenu || type == NodeType::kCollect || type == NodeType::kVoicemail;
}

class Validator {
 public:
  Validator(const Flow& flow, const ValidateOptions& options) : flow_(flow), options_(options) {}

  std::vector<FlowError> run() {
    checkFlow();
    for (const auto& node : flow_.nodes) checkNode(node);
    checkReachability();
    checkLoops();
    return std::move(errors_);
  }

 private:
  void add(std::string node, std::string path, std::string message) {
    errors_.push_back({std::move(node), std::move(path), std::move(message)});
  }
  void add(const Node& node, std::string_view field, std::string message) {
    std::string path = "nodes." + printable(node.id);
    if (!field.empty()) path += "." + std::string(field);
    add(node.id, std::move(path), std::move(message));
  }

  bool nodeExists(std::string_view id) const {
    return flow_.find(id) != nullptr || flow_.dropped_nodes.contains(id);
  }

  void checkFlow() {
    if (!flow_.voice.empty() && !isVoice(flow_.voice)) {
      add("", "voice", "is not a voice name");
    }
    if (flow_.nodes.empty() && flow_.dropped_nodes.empty()) {
      add("", "nodes", "the flow has no nodes");
    }
    if (flow_.nodes.size() > kMaxNodes) {
      add("", "nodes", "a flow may have at most " + std::to_string(kMaxNodes) + " nodes");
    }
    if (flow_.start.empty()) {
      add("", "start", "is required: the id of the first node");
    } else if (!nodeExists(flow_.start)) {
      add("", "start", "unknown node '" + printable(flow_.start) + "'");
    }
    for (const auto& [name, cal] : flow_.calendars) {
      std::string path = "calendars." + printable(name);
      if (!isName(name)) add("", path, "a calendar name is 1-64 of A-Z a-z 0-9 _ -");
      for (CivilDay day : cal.workdays) {
        if (cal.holidays.contains(day)) {
          add("", path + ".workdays", "a day cannot be both a holiday and a workday");
          break;
        }
      }
      if (!cal.workdays.empty() && cal.hoursOfWorkday().empty()) {
        add("", path + ".workdays", "workdays need hours: set workday_hours or hours for mon");
      }
    }
    for (const auto& [name, list] : flow_.lists) {
      if (!isName(name)) {
        add("", "lists." + printable(name), "a list name is 1-64 of A-Z a-z 0-9 _ -");
      }
    }
  }

  void checkNode(const Node& node) {
    if (!isName(node.id)) add(node, "", "a node id is 1-64 of A-Z a-z 0-9 _ -");
    if (!ids_.insert(node.id).second) add(node, "", "a second node with this id");
    for (const auto& [field, target] : nodeEdges(node)) {
      if (!nodeExists(target)) add(node, field, "unknown node '" + printable(target) + "'");
    }
    std::visit([&](const auto& body) { check(node, body); }, node.body);
  }

  void required(const Node& node, std::string_view field, const std::string& target,
                std::string_view what) {
    if (target.empty()) add(node, field, "is required: " + std::string(what));
  }

  void checkPrompt(const Node& node, std::string_view field, const PromptSpec& prompt,
                   bool required) {
    if (prompt.empty()) {
      if (required) add(node, field, "is required: what the caller hears");
      return;
    }
    for (std::size_t i = 0; i < prompt.size(); ++i) {
      const PromptPart& part = prompt[i];
      std::string at(field);
      if (prompt.size() > 1) at += "[" + std::to_string(i) + "]";
      if (!part.file.empty()) {
        if (!part.tts.empty()) add(node, at, "a prompt part is either tts or a file, not both");
        if (!isPromptFileName(part.file)) {
          add(node, at + ".file",
              "'" + printable(part.file) + "' is not a recording name (1-64 of A-Z a-z 0-9 _ -)");
        } else if (options_.prompt_exists && !options_.prompt_exists(part.file)) {
          add(node, at + ".file", "no uploaded recording '" + part.file + "'");
        }
        continue;
      }
      if (part.tts.empty()) add(node, at, "the text to speak is empty");
      if (!part.voice.empty() && !isVoice(part.voice)) {
        add(node, at + ".voice", "is not a voice name");
      }
    }
  }

  void checkRange(const Node& node, std::string_view field, int value, int min, int max) {
    if (value < min || value > max) {
      add(node, field,
          "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (is " +
              std::to_string(value) + ")");
    }
  }

  void checkVariable(const Node& node, std::string_view field, const std::string& name,
                     bool assigned) {
    if (name.empty()) {
      add(node, field, "is required: a variable name");
    } else if (!isVariableName(name)) {
      add(node, field, "a variable name is a letter or _, then letters, digits or _ (at most 64)");
    } else if (assigned && isBuiltinVariable(name)) {
      add(node, field, "'" + name + "' is built in and cannot be set");
    }
  }

  void checkPattern(const Node& node, std::string_view field, const std::string& pattern,
                    const std::shared_ptr<const std::regex>& regex) {
    if (regex) return;
    auto compiled = compilePattern(pattern);
    add(node, field,
        compiled.isOk() ? "the pattern was not compiled" : compiled.status().message());
  }

  void check(const Node& node, const PlayNode& n) { checkPrompt(node, "prompt", n.prompt, true); }

  void check(const Node& node, const MenuNode& n) {
    checkPrompt(node, "prompt", n.prompt, true);
    checkPrompt(node, "invalid_prompt", n.invalid_prompt, false);
    checkPrompt(node, "timeout_prompt", n.timeout_prompt, false);
    if (n.choices.empty()) add(node, "choices", "is required: at least one key");
    std::set<std::string> keys;
    for (const auto& [key, target] : n.choices) {
      std::string field = "choices." + printable(key);
      if (key.size() != 1 || std::string_view("0123456789*#").find(key[0]) == std::string::npos) {
        add(node, field, "a choice key is one of 0-9, * and #");
      } else if (!keys.insert(key).second) {
        add(node, field, "the key is listed twice");
      }
      required(node, field, target, "the node the key leads to");
    }
    checkRange(node, "timeout_ms", n.timeout_ms, 1, kMaxInputTimeoutMs);
    checkRange(node, "retries", n.retries, 1, kMaxRetries);
  }

  void check(const Node& node, const CollectNode& n) {
    checkPrompt(node, "prompt", n.prompt, true);
    checkPrompt(node, "invalid_prompt", n.invalid_prompt, false);
    checkPrompt(node, "timeout_prompt", n.timeout_prompt, false);
    checkVariable(node, "variable", n.variable, true);
    checkRange(node, "max_digits", n.max_digits, 1, kMaxCollectDigits);
    checkRange(node, "min_digits", n.min_digits, 0, kMaxCollectDigits);
    if (n.min_digits > n.max_digits) {
      add(node, "min_digits",
          "is more than max_digits (" + std::to_string(n.min_digits) + " > " +
              std::to_string(n.max_digits) + ")");
    }
    if (n.terminator != "" && n.terminator != "#" && n.terminator != "*") {
      add(node, "terminator", "must be \"#\", \"*\" or \"\" (none)");
    }
    if (!n.pattern.empty()) checkPattern(node, "pattern", n.pattern, n.regex);
    checkRange(node, "timeout_ms", n.timeout_ms, 1, kMaxInputTimeoutMs);
    checkRange(node, "inter_digit_timeout_ms", n.inter_digit_timeout_ms, 1,
               kMaxInterDigitTimeoutMs);
    checkRange(node, "retries", n.retries, 1, kMaxRetries);
    required(node, "next", n.next, "the node after the digits are collected");
  }

  void check(const Node& node, const SetNode& n) {
    checkVariable(node, "variable", n.variable, true);
    required(node, "next", n.next, "the node after setting the variable");
  }

  void check(const Node& node, const ConditionNode& n) {
    if (n.rules.empty()) add(node, "rules", "is required: at least one rule");
    if (n.rules.size() > kMaxRules) {
      add(node, "rules", "a condition may have at most " + std::to_string(kMaxRules) + " rules");
    }
    for (std::size_t i = 0; i < n.rules.size(); ++i) {
      const Rule& rule = n.rules[i];
      std::string at = "rules[" + std::to_string(i) + "]";
      switch (rule.kind) {
        case Rule::Kind::kBusinessHours:
          if (!flow_.calendars.contains(rule.calendar)) {
            add(node, at + ".business_hours",
                "unknown calendar '" + printable(rule.calendar) + "'");
          }
          break;
        case Rule::Kind::kCallerIn:
          if (!flow_.lists.contains(rule.list)) {
            add(node, at + ".caller_in", "unknown list '" + printable(rule.list) + "'");
          }
          break;
        case Rule::Kind::kVariable:
          checkVariable(node, at + ".variable", rule.variable, false);
          if (rule.op == CompareOp::kMatches) {
            checkPattern(node, at + ".value", rule.value, rule.regex);
          }
          break;
      }
      required(node, at + ".next", rule.next, "the node when the rule holds");
    }
    required(node, "else", n.else_next, "the node when no rule holds");
  }

  void check(const Node& node, const HttpNode& n) {
    std::string_view url = n.url;
    std::size_t scheme = url.starts_with("https://") ? 8 : url.starts_with("http://") ? 7 : 0;
    if (scheme == 0) {
      add(node, "url", "must start with http:// or https://");
    } else {
      // The host must be written out: a variable there could send the
      // caller's data to any server.
      std::string_view authority = url.substr(scheme, url.find_first_of("/?#", scheme) - scheme);
      if (authority.empty()) add(node, "url", "has no host");
      if (authority.find('$') != std::string_view::npos) {
        add(node, "url", "variables are not allowed in the host, only in the path and query");
      }
    }
    if (n.method != "GET") add(node, "method", "only GET is supported");
    checkRange(node, "timeout_ms", n.timeout_ms, 1, kMaxLookupTimeoutMs);
    for (const auto& [variable, pointer] : n.results) {
      std::string at = "results." + printable(variable);
      checkVariable(node, at, variable, true);
      if (!isJsonPointer(pointer)) {
        add(node, at, "'" + printable(pointer) + "' is not a JSON pointer like /customer/level");
      }
    }
    required(node, "next", n.next, "the node after the lookup");
  }

  void check(const Node& node, const VoicemailNode& n) {
    checkPrompt(node, "prompt", n.prompt, false);
    checkRange(node, "max_seconds", n.max_seconds, 1, kMaxVoicemailSeconds);
  }

  void check(const Node& node, const TransferNode& n) {
    if (int(!n.extension.empty()) + int(!n.queue.empty()) + int(!n.number.empty()) != 1) {
      add(node, "", "a transfer needs exactly one of extension, queue and number");
    }
    if (!n.number.empty() && !isPhoneNumber(n.number)) {
      add(node, "number", "'" + printable(n.number) + "' is not a phone number (digits, a leading +)");
    }
    if (!n.trunk.empty() && n.number.empty()) {
      add(node, "trunk", "a trunk only applies to a transfer to a number");
    }
    if (!n.caller_id.empty() && n.caller_id != "trunk" && n.caller_id != "caller") {
      add(node, "caller_id", "caller_id is \"trunk\" or \"caller\"");
    }
    if (!n.extension.empty() && !isExtension(n.extension)) {
      add(node, "extension", "'" + printable(n.extension) + "' is not an extension");
    }
    if (!n.queue.empty() && !isName(n.queue)) {
      add(node, "queue", "a queue name is 1-64 of A-Z a-z 0-9 _ -");
    }
  }

  void check(const Node& node, const HangupNode& n) {
    checkPrompt(node, "prompt", n.prompt, false);
  }

  void checkReachability() {
    // With nodes the parser dropped the graph is incomplete: reporting
    // unreachable nodes would only add noise.
    if (!flow_.dropped_nodes.empty() || flow_.find(flow_.start) == nullptr) return;
    std::set<std::string_view> seen{flow_.start};
    std::deque<const Node*> todo{flow_.find(flow_.start)};
    while (!todo.empty()) {
      const Node* node = todo.front();
      todo.pop_front();
      for (const auto& [field, target] : nodeEdges(*node)) {
        const Node* next = flow_.find(target);
        if (next && seen.insert(next->id).second) todo.push_back(next);
      }
    }
    for (const auto& node : flow_.nodes) {
      if (!seen.contains(node.id)) {
        add(node, "", "not reachable from the start node '" + printable(flow_.start) + "'");
      }
    }
  }

  // Tarjan's strongly connected components over the nodes that do not wait
  // for the caller; a component with a cycle is a loop a call could spin in.
  void checkLoops() {
    for (const auto& node : flow_.nodes) {
      if (!waitsForCaller(node.type()) && !index_.contains(&node)) strongConnect(&node);
    }
  }

  std::vector<const Node*> successors(const Node* node) const {
    std::vector<const Node*> out;
    for (const auto& [field, target] : nodeEdges(*node)) {
      const Node* next = flow_.find(target);
      if (next && !waitsForCaller(next->type())) out.push_back(next);
    }
    return out;
  }

  void strongConnect(const Node* node) {
    // Depth is bounded by the node count (at most kMaxNodes).
    int index = static_cast<int>(index_.size());
    index_[node] = index;
    low_[node] = index;
    stack_.push_back(node);
    on_stack_.insert(node);
    for (const Node* next : successors(node)) {
      if (!index_.contains(next)) {
        strongConnect(next);
        low_[node] = std::min(low_[node], low_[next]);
      } else if (on_stack_.contains(next)) {
        low_[node] = std::min(low_[node], index_[next]);
      }
    }
    if (low_[node] != index_[node]) return;
    std::set<const Node*> component;
    const Node* member = nullptr;
    do {
      member = stack_.back();
      stack_.pop_back();
      on_stack_.erase(member);
      component.insert(member);
    } while (member != node);
    reportLoop(component);
  }

  void reportLoop(const std::set<const Node*>& component) {
    // The component's first node in document order names the loop.
    const Node* first = nullptr;
    for (const auto& node : flow_.nodes) {
      if (component.contains(&node)) {
        first = &node;
        break;
      }
    }
    // Shortest way from `first` back to itself inside the component.
    std::map<const Node*, const Node*> parent;
    std::deque<const Node*> todo{first};
    const Node* last = nullptr;
    while (!todo.empty() && !last) {
      const Node* node = todo.front();
      todo.pop_front();
      for (const Node* next : successors(node)) {
        if (!component.contains(next)) continue;
        if (next == first) {
          last = node;
          break;
        }
        if (parent.emplace(next, node).second) todo.push_back(next);
      }
    }
    if (!last) return;  // a single node without an edge to itself
    std::vector<std::string> cycle{first->id};
    for (const Node* n = last; n != first; n = parent[n]) cycle.push_back(n->id);
    std::reverse(cycle.begin() + 1, cycle.end());
    std::string path;
    for (const auto& id : cycle) path += printable(id) + " → ";
    path += printable(first->id);
    add(*first, "",
        "loop that never waits for the caller: " + path +
            " (add a menu, collect or voicemail node to it)");
  }

  const Flow& flow_;
  const ValidateOptions& options_;
  std::vector<FlowError> errors_;
  std::set<std::string_view> ids_;
  std::map<const Node*, int> index_;
  std::map<const Node*, int> low_;
  std::vector<const Node*> stack_;
  std::set<const Node*> on_stack_;
};

}  // namespace

bool isBuiltinVariable(std::string_view name) {
  return name == "caller" || name == "did" || name == "call_id";
}

std::vector<FlowError> validate(const Flow& flow, const ValidateOptions& options) {
  return Validator(flow, options).run();
}

Result<std::shared_ptr<const Flow>> compileFlow(std::string_view json,
                                                const ValidateOptions& options,
                                                std::vector<FlowError>* errors_out) {
  std::vector<FlowError> errors;
  Flow flow = parseFlow(json, errors);
  // A document that could not be read at all has one error with no path.
  const bool unreadable =
      errors.size() == 1 && errors[0].path.empty() && errors[0].node.empty() && flow.nodes.empty();
  if (!unreadable) {
    auto more = validate(flow, options);
    errors.insert(errors.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  }
  if (errors.size() > kMaxReportedErrors + 1) {
    errors.resize(kMaxReportedErrors);
    errors.push_back({"", "", "too many problems; fix the ones above first"});
  }
  if (errors.empty()) return std::shared_ptr<const Flow>(std::make_shared<Flow>(std::move(flow)));
  std::string message = errors.size() == 1
                            ? "the flow has 1 problem: "
                            : "the flow has " + std::to_string(errors.size()) + " problems: ";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) message += "; ";
    message += errors[i].describe();
  }
  Status status =
      Status(unreadable ? StatusCode::kInvalidArgument : StatusCode::kInvalidValue, message)
          .withReason("invalid_flow");
  if (errors_out) *errors_out = std::move(errors);
  return status;
}

}  // namespace ting::ivr
