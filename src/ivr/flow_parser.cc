#include "ivr/flow_parser.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <exception>
#include <limits>
#include <set>

namespace ting::ivr {

namespace {

namespace json = boost::json;

constexpr std::size_t kMaxTextBytes = 4096;
constexpr std::size_t kMaxPromptParts = 20;
constexpr std::size_t kMaxErrors = 200;

// Where in the document a value sits: the node it belongs to (if any) and
// its JSON path.
struct Place {
  std::string node;
  std::string path;

  Place field(std::string_view key) const {
    return {node, path.empty() ? printable(key) : path + "." + printable(key)};
  }
  Place item(std::size_t i) const { return {node, path + "[" + std::to_string(i) + "]"}; }
};

class Problems {
 public:
  explicit Problems(std::vector<FlowError>& errors) : errors_(errors) {}

  void add(const Place& at, std::string message) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back({at.node, at.path, std::move(message)});
    } else if (errors_.size() == kMaxErrors) {
      errors_.push_back({"", "", "too many problems; fix the ones above first"});
    }
  }

 private:
  std::vector<FlowError>& errors_;
};

// Reads the fields of one JSON object, remembering which were asked for so
// that the rest can be reported as unknown (typos like "timout_ms").
class ObjectReader {
 public:
  ObjectReader(Problems& problems, const json::object& object, Place place)
      : problems_(problems), object_(object), place_(std::move(place)) {}

  const Place& place() const { return place_; }
  Place at(std::string_view key) const { return place_.field(key); }
  Problems& problems() { return problems_; }

  // The value of `key`, or null when absent or JSON null.
  const json::value* get(std::string_view key) {
    seen_.insert(std::string(key));
    const json::value* v = object_.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }
  bool has(std::string_view key) { return get(key) != nullptr; }

  std::optional<std::string> string(std::string_view key, std::size_t max_bytes = kMaxTextBytes) {
    const json::value* v = get(key);
    return v ? readString(*v, at(key), max_bytes) : std::nullopt;
  }

  // A string, or a number written as its text (for comparison values).
  std::optional<std::string> text(std::string_view key) {
    const json::value* v = get(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_uint64()) return std::to_string(v->get_uint64());
    if (v->is_double()) return json::serialize(*v);
    return readString(*v, at(key), kMaxTextBytes);
  }

  void integer(std::string_view key, int& out) {
    const json::value* v = get(key);
    if (!v) return;
    std::int64_t n = 0;
    if (v->is_int64()) {
      n = v->get_int64();
    } else if (v->is_uint64()) {
      n = std::numeric_limits<std::int64_t>::max();
    } else {
      problems_.add(at(key), "must be an integer");
      return;
    }
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      problems_.add(at(key), "is out of range");
      return;
    }
    out = static_cast<int>(n);
  }

  void boolean(std::string_view key, bool& out) {
    const json::value* v = get(key);
    if (!v) return;
    if (!v->is_bool()) {
      problems_.add(at(key), "must be true or false");
      return;
    }
    out = v->get_bool();
  }

  const json::object* object(std::string_view key) {
    const json::value* v = get(key);
    if (!v) return nullptr;
    if (!v->is_object()) {
      problems_.add(at(key), "must be an object");
      return nullptr;
    }
    return &v->get_object();
  }

  const json::array* array(std::string_view key) {
    const json::value* v = get(key);
    if (!v) return nullptr;
    if (!v->is_array()) {
      problems_.add(at(key), "must be an array");
      return nullptr;
    }
    return &v->get_array();
  }

  std::optional<std::string> readString(const json::value& v, const Place& where,
                                        std::size_t max_bytes) {
    if (!v.is_string()) {
      problems_.add(where, "must be a string");
      return std::nullopt;
    }
    const json::string& s = v.get_string();
    if (s.size() > max_bytes) {
      problems_.add(where, "is longer than " + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    if (s.find('\0') != json::string::npos) {
      problems_.add(where, "may not contain NUL characters");
      return std::nullopt;
    }
    return std::string(s);
  }

  // Reports every field nobody asked for.
  void finish() {
    for (const auto& [key, value] : object_) {
      if (!seen_.contains(std::string(key))) problems_.add(at(key), "unknown field");
    }
  }

 private:
  Problems& problems_;
  const json::object& object_;
  Place place_;
  std::set<std::string> seen_;
};

class FlowReader {
 public:
  explicit FlowReader(std::vector<FlowError>& errors) : problems_(errors) {}

  Flow read(const json::object& root) {
    Flow flow;
    ObjectReader r(problems_, root, Place{"", ""});
    if (auto v = r.string("name", 200)) flow.name = *v;
    if (auto v = r.string("description")) flow.description = *v;
    if (auto v = r.string("voice", 64)) flow.voice = *v;
    if (auto v = r.string("start", 256)) flow.start = *v;
    if (!r.has("nodes")) problems_.add(r.at("nodes"), "is required");
    if (const json::object* nodes = r.object("nodes")) readNodes(*nodes, flow);
    if (const json::object* calendars = r.object("calendars")) {
      for (const auto& [name, value] : *calendars) {
        Place at = r.at("calendars").field(name);
        if (!value.is_object()) {
          problems_.add(at, "must be an object");
          continue;
        }
        flow.calendars[std::string(name)] = readCalendar(value.get_object(), at);
      }
    }
    if (const json::object* lists = r.object("lists")) {
      for (const auto& [name, value] : *lists) {
        flow.lists[std::string(name)] = readList(value, r.at("lists").field(name));
      }
    }
    r.finish();
    flow.index();
    return flow;
  }

 private:
  void readNodes(const json::object& nodes, Flow& flow) {
    if (nodes.size() > kMaxNodes) {
      problems_.add(Place{"", "nodes"}, "has " + std::to_string(nodes.size()) +
                                            " nodes; a flow may have at most " +
                                            std::to_string(kMaxNodes));
    }
    std::size_t count = 0;
    for (const auto& [key, value] : nodes) {
      if (++count > kMaxNodes) break;
      std::string id(key);
      Place at{id, "nodes." + printable(id)};
      if (!value.is_object()) {
        problems_.add(at, "must be an object");
        flow.dropped_nodes.insert(id);
        continue;
      }
      ObjectReader r(problems_, value.get_object(), at);
      std::optional<Node> node = readNode(r, id);
      if (!node) {
        flow.dropped_nodes.insert(id);
        continue;
      }
      r.finish();
      flow.nodes.push_back(std::move(*node));
    }
  }

  std::optional<Node> readNode(ObjectReader& r, const std::string& id) {
    auto type_name = r.string("type", 64);
    if (!type_name) {
      if (!r.has("type")) problems_.add(r.at("type"), "is required");
      return std::nullopt;
    }
    auto type = parseNodeType(*type_name);
    if (!type) {
      problems_.add(r.at("type"), "unknown node type '" + printable(*type_name) +
                                      "' (play, menu, collect, set, condition, http, "
                                      "voicemail, transfer, hangup)");
      return std::nullopt;
    }
    Node node;
    node.id = id;
    if (auto d = r.string("description")) node.description = *d;
    switch (*type) {
      case NodeType::kPlay: {
        PlayNode n;
        n.prompt = prompt(r, "prompt");
        targetField(r, "next", n.next);
        node.body = std::move(n);
        break;
      }
      case NodeType::kMenu:
        node.body = readMenu(r);
        break;
      case NodeType::kCollect:
        node.body = readCollect(r);
        break;
      case NodeType::kSet: {
        SetNode n;
        if (auto v = r.string("variable", 64)) n.variable = *v;
        if (auto v = r.text("value")) n.value = *v;
        targetField(r, "next", n.next);
        node.body = std::move(n);
        break;
      }
      case NodeType::kCondition:
        node.body = readCondition(r);
        break;
      case NodeType::kHttp:
        node.body = readHttp(r);
        break;
      case NodeType::kVoicemail: {
        VoicemailNode n;
        n.prompt = prompt(r, "prompt");
        r.integer("max_seconds", n.max_seconds);
        targetField(r, "next", n.next);
        node.body = std::move(n);
        break;
      }
      case NodeType::kTransfer: {
        TransferNode n;
        if (auto v = r.string("extension", 64)) n.extension = *v;
        if (auto v = r.string("queue", 64)) n.queue = *v;
        if (auto v = r.string("number", 64)) n.number = *v;
        if (auto v = r.string("trunk", 64)) n.trunk = *v;
        if (auto v = r.string("caller_id", 16)) n.caller_id = *v;
        targetField(r, "fallback", n.fallback);
        node.body = std::move(n);
        break;
      }
      case NodeType::kHangup: {
        HangupNode n;
        n.prompt = prompt(r, "prompt");
        node.body = std::move(n);
        break;
      }
    }
    return node;
  }

  void targetField(ObjectReader& r, std::string_view key, std::string& out) {
    if (auto v = r.string(key, 256)) out = *v;
  }

  MenuNode readMenu(ObjectReader& r) {
    MenuNode n;
    n.prompt = prompt(r, "prompt");
    if (const json::object* choices = r.object("choices")) {
      for (const auto& [key, value] : *choices) {
        Place at = r.at("choices").field(key);
        if (auto target = r.readString(value, at, 256)) {
          n.choices.emplace_back(std::string(key), *target);
        }
      }
    }
    r.integer("timeout_ms", n.timeout_ms);
    r.integer("retries", n.retries);
    n.invalid_prompt = prompt(r, "invalid_prompt");
    n.timeout_prompt = prompt(r, "timeout_prompt");
    targetField(r, "fallback", n.fallback);
    return n;
  }

  CollectNode readCollect(ObjectReader& r) {
    CollectNode n;
    n.prompt = prompt(r, "prompt");
    if (auto v = r.string("variable", 64)) n.variable = *v;
    r.integer("min_digits", n.min_digits);
    r.integer("max_digits", n.max_digits);
    if (auto v = r.string("terminator", 8)) n.terminator = *v;
    if (auto v = r.string("pattern", kMaxPatternBytes * 2)) {
      n.pattern = *v;
      if (auto re = compilePattern(n.pattern); re.isOk()) n.regex = std::move(*re);
    }
    r.integer("timeout_ms", n.timeout_ms);
    r.integer("inter_digit_timeout_ms", n.inter_digit_timeout_ms);
    r.integer("retries", n.retries);
    n.invalid_prompt = prompt(r, "invalid_prompt");
    n.timeout_prompt = prompt(r, "timeout_prompt");
    r.boolean("mask", n.mask);
    r.boolean("pause_recording", n.pause_recording);
    targetField(r, "next", n.next);
    targetField(r, "fallback", n.fallback);
    return n;
  }

  ConditionNode readCondition(ObjectReader& r) {
    ConditionNode n;
    if (const json::array* rules = r.array("rules")) {
      for (std::size_t i = 0; i < rules->size(); ++i) {
        Place at = r.at("rules").item(i);
        if (!(*rules)[i].is_object()) {
          problems_.add(at, "must be an object");
          continue;
        }
        ObjectReader rr(problems_, (*rules)[i].get_object(), at);
        if (auto rule = readRule(rr)) n.rules.push_back(std::move(*rule));
        rr.finish();
      }
    }
    targetField(r, "else", n.else_next);
    return n;
  }

  std::optional<Rule> readRule(ObjectReader& r) {
    Rule rule;
    int kinds = 0;
    if (auto v = r.string("business_hours", 64)) {
      rule.kind = Rule::Kind::kBusinessHours;
      rule.calendar = *v;
      ++kinds;
    }
    if (auto v = r.string("caller_in", 64)) {
      rule.kind = Rule::Kind::kCallerIn;
      rule.list = *v;
      ++kinds;
    }
    if (auto v = r.string("variable", 64)) {
      rule.kind = Rule::Kind::kVariable;
      rule.variable = *v;
      ++kinds;
    }
    targetField(r, "next", rule.next);
    const bool has_op = r.has("op"), has_value = r.has("value");
    if (kinds != 1) {
      problems_.add(r.place(), "needs exactly one of business_hours, caller_in and variable");
      return std::nullopt;
    }
    if (rule.kind != Rule::Kind::kVariable) {
      if (has_op) problems_.add(r.at("op"), "only a variable rule has an op");
      if (has_value) problems_.add(r.at("value"), "only a variable rule has a value");
      return rule;
    }
    if (auto op = r.string("op", 16)) {
      auto parsed = parseCompareOp(*op);
      if (!parsed) {
        problems_.add(r.at("op"),
                      "unknown op '" + printable(*op) + "' (eq, ne, lt, gt, prefix, in, matches)");
        return std::nullopt;
      }
      rule.op = *parsed;
    } else if (!has_op) {
      problems_.add(r.at("op"), "is required");
      return std::nullopt;
    }
    if (auto v = r.text("value")) {
      rule.value = *v;
    } else if (!has_value) {
      problems_.add(r.at("value"), "is required");
      return std::nullopt;
    }
    if (rule.op == CompareOp::kMatches) {
      if (auto re = compilePattern(rule.value); re.isOk()) rule.regex = std::move(*re);
    }
    return rule;
  }

  HttpNode readHttp(ObjectReader& r) {
    HttpNode n;
    if (auto v = r.string("url", 2048)) n.url = *v;
    if (auto v = r.string("method", 16)) n.method = *v;
    r.integer("timeout_ms", n.timeout_ms);
    if (const json::object* results = r.object("results")) {
      for (const auto& [name, value] : *results) {
        if (auto ptr = r.readString(value, r.at("results").field(name), 512)) {
          n.results.emplace_back(std::string(name), *ptr);
        }
      }
    }
    targetField(r, "next", n.next);
    targetField(r, "on_error", n.on_error);
    return n;
  }

  // A prompt: "text", {"tts": "text", "voice": "en"}, {"file": "name"}, or an
  // array of these. Absent gives an empty spec.
  PromptSpec prompt(ObjectReader& r, std::string_view key) {
    PromptSpec spec;
    const json::value* v = r.get(key);
    if (!v) return spec;
    Place at = r.at(key);
    if (v->is_array()) {
      const json::array& parts = v->get_array();
      if (parts.size() > kMaxPromptParts) {
        problems_.add(at, "has more than " + std::to_string(kMaxPromptParts) + " parts");
        return spec;
      }
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].is_array()) {
          problems_.add(at.item(i), "must be a string or an object");
          continue;
        }
        if (auto part = promptPart(r, parts[i], at.item(i))) spec.push_back(std::move(*part));
      }
    } else if (auto part = promptPart(r, *v, at)) {
      spec.push_back(std::move(*part));
    }
    return spec;
  }

  std::optional<PromptPart> promptPart(ObjectReader& r, const json::value& v, const Place& at) {
    if (v.is_string()) {
      auto text = r.readString(v, at, kMaxTextBytes);
      if (!text) return std::nullopt;
      return PromptPart{*text, "", ""};
    }
    if (!v.is_object()) {
      problems_.add(at, "must be a string, an object or an array");
      return std::nullopt;
    }
    ObjectReader pr(problems_, v.get_object(), at);
    PromptPart part;
    auto tts = pr.string("tts");
    auto voice = pr.string("voice", 64);
    auto file = pr.string("file", 256);
    pr.finish();
    if (tts.has_value() == file.has_value()) {
      problems_.add(at, "needs exactly one of tts and file");
      return std::nullopt;
    }
    if (file && voice) {
      problems_.add(at.field("voice"), "only a tts prompt has a voice");
      return std::nullopt;
    }
    if (tts) part.tts = *tts;
    if (voice) part.voice = *voice;
    if (file) part.file = *file;
    return part;
  }

  Calendar readCalendar(const json::object& object, const Place& at) {
    Calendar cal;
    ObjectReader r(problems_, object, at);
    if (auto offset = r.string("utc_offset", 16)) {
      if (auto minutes = parseUtcOffset(*offset)) {
        cal.utc_offset_minutes = *minutes;
      } else {
        problems_.add(r.at("utc_offset"),
                      "must be like +08:00 or -05:30, between -12:00 and +14:00");
      }
    } else if (!r.has("utc_offset")) {
      problems_.add(r.at("utc_offset"), "is required (for example \"+08:00\")");
    }
    if (const json::object* weekly = r.object("weekly")) {
      for (const auto& [day, hours] : *weekly) {
        Place day_at = r.at("weekly").field(day);
        auto index = parseWeekday(day);
        if (!index) {
          problems_.add(day_at, "unknown day (mon, tue, wed, thu, fri, sat, sun)");
          continue;
        }
        cal.weekly[*index] = readRanges(hours, day_at);
      }
    }
    if (const json::value* v = r.get("workday_hours")) {
      cal.workday_hours = readRanges(*v, r.at("workday_hours"));
    }
    readDates(r, "holidays", cal.holidays);
    readDates(r, "workdays", cal.workdays);
    r.finish();
    return cal;
  }

  std::vector<TimeRange> readRanges(const json::value& v, const Place& at) {
    std::vector<TimeRange> ranges;
    if (!v.is_array()) {
      problems_.add(at, "must be an array of hours like \"09:00-18:00\"");
      return ranges;
    }
    const json::array& items = v.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json::string* s = items[i].if_string();
      auto range = s ? parseTimeRange(*s) : std::nullopt;
      if (!range) {
        problems_.add(at.item(i), "must be hours like \"09:00-18:00\" (start before end)");
        continue;
      }
      ranges.push_back(*range);
    }
    return ranges;
  }

  void readDates(ObjectReader& r, std::string_view key, std::set<CivilDay>& out) {
    const json::array* dates = r.array(key);
    if (!dates) return;
    for (std::size_t i = 0; i < dates->size(); ++i) {
      const json::string* s = (*dates)[i].if_string();
      auto day = s ? parseDate(*s) : std::nullopt;
      if (!day) {
        problems_.add(r.at(key).item(i), "must be a date like \"2026-10-01\"");
        continue;
      }
      out.insert(*day);
    }
  }

  NumberList readList(const json::value& v, const Place& at) {
    NumberList list;
    if (!v.is_array()) {
      problems_.add(at, "must be an array of phone numbers");
      return list;
    }
    const json::array& items = v.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json::string* s = items[i].if_string();
      if (!s || s->size() > 64 || !list.add(*s)) {
        problems_.add(at.item(i), "must be a phone number (a string with digits)");
      }
    }
    return list;
  }

  Problems problems_;
};

}  // namespace

Flow parseFlow(std::string_view text, std::vector<FlowError>& errors) {
  if (text.size() > kMaxFlowBytes) {
    errors.push_back(
        {"", "", "the flow is larger than " + std::to_string(kMaxFlowBytes / 1024) + " KiB"});
    return {};
  }
  json::value root;
  try {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 32;
    root = json::parse(text, ec, {}, opts);
    if (ec) {
      errors.push_back({"", "", "the flow is not valid JSON: " + ec.message()});
      return {};
    }
  } catch (const std::exception& e) {  // allocation failure
    errors.push_back({"", "", std::string("the flow could not be read: ") + e.what()});
    return {};
  }
  if (!root.is_object()) {
    errors.push_back({"", "", "the flow must be a JSON object"});
    return {};
  }
  return FlowReader(errors).read(root.get_object());
}

}  // namespace ting::ivr
