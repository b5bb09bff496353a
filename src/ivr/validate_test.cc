#include "ivr/validate.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "ivr/flow_parser.h"

namespace ting::ivr {
namespace {

// "node|path" of every problem compileFlow finds.
std::vector<std::string> problems(std::string_view json, const ValidateOptions& options = {}) {
  std::vector<FlowError> errors;
  auto flow = compileFlow(json, options, &errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.node + "|" + e.path);
  return out;
}

// The messages of the problems at `path`.
std::string messageAt(std::string_view json, std::string_view path) {
  std::vector<FlowError> errors;
  (void)compileFlow(json, {}, &errors);
  for (const auto& e : errors) {
    if (e.path == path) return e.message;
  }
  return "(none)";
}

using Strings = std::vector<std::string>;

TEST(Validate, AGoodFlowCompiles) {
  auto flow = compileFlow(R"({"start": "m", "nodes": {
      "m": {"type": "menu", "prompt": "1 or 2", "choices": {"1": "t", "2": "v"}, "fallback": "t"},
      "t": {"type": "transfer", "queue": "support", "fallback": "v"},
      "v": {"type": "voicemail", "next": "bye"},
      "bye": {"type": "hangup", "prompt": "bye"}}})");
  ASSERT_TRUE(flow.isOk()) << flow.status().message();
  EXPECT_EQ((*flow)->nodes.size(), 4u);
  EXPECT_NE((*flow)->find("bye"), nullptr);
}

TEST(Validate, UnknownTargetsAnywhere) {
  EXPECT_EQ(problems(R"({"start": "c", "nodes": {
      "c": {"type": "condition", "rules": [{"variable": "x", "op": "eq", "value": "1", "next": "gone1"}],
            "else": "gone2"},
      "m": {"type": "menu", "prompt": "p", "choices": {"1": "gone3"}, "fallback": "gone4"},
      "h": {"type": "http", "url": "http://a/", "next": "gone5", "on_error": "gone6"}}})"),
            (Strings{"c|nodes.c.rules[0].next", "c|nodes.c.else", "m|nodes.m.choices.1",
                     "m|nodes.m.fallback", "h|nodes.h.next", "h|nodes.h.on_error", "m|nodes.m",
                     "h|nodes.h"}));
  EXPECT_EQ(
      messageAt(R"({"start": "p", "nodes": {"p": {"type": "play", "prompt": "x", "next": "q"}}})",
                "nodes.p.next"),
      "unknown node 'q'");
  EXPECT_EQ(problems(R"({"start": "nowhere", "nodes": {"h": {"type": "hangup"}}})"),
            (Strings{"|start"}));
  EXPECT_EQ(problems(R"({"nodes": {"h": {"type": "hangup"}}})"), (Strings{"|start"}));
}

TEST(Validate, UnreachableNodes) {
  auto json = R"({"start": "a", "nodes": {
      "a": {"type": "play", "prompt": "x", "next": "b"},
      "b": {"type": "hangup"},
      "orphan": {"type": "play", "prompt": "y", "next": "b"},
      "orphan2": {"type": "hangup"}}})";
  EXPECT_EQ(problems(json), (Strings{"orphan|nodes.orphan", "orphan2|nodes.orphan2"}));
  EXPECT_EQ(messageAt(json, "nodes.orphan"), "not reachable from the start node 'a'");
}

TEST(Validate, MissingPrompts) {
  EXPECT_EQ(problems(R"({"start": "m", "nodes": {
      "m": {"type": "menu", "choices": {"1": "c"}},
      "c": {"type": "collect", "prompt": [], "variable": "v", "next": "p"},
      "p": {"type": "play", "prompt": "", "next": "h"},
      "h": {"type": "hangup"}}})"),
            (Strings{"m|nodes.m.prompt", "c|nodes.c.prompt", "p|nodes.p.prompt"}));
}

TEST(Validate, FilePromptsMustExist) {
  auto json = R"({"start": "p", "nodes": {
      "p": {"type": "play", "prompt": ["hi", {"file": "menu_extra"}, {"file": "jingle"}], "next": "h"},
      "h": {"type": "hangup", "prompt": [{"file": "../etc/passwd"}, {"file": "jingle.wav"}]}}})";
  ValidateOptions options;
  std::vector<std::string> asked;
  options.prompt_exists = [&](std::string_view name) {
    asked.emplace_back(name);
    return name == "jingle";
  };
  EXPECT_EQ(problems(json, options), (Strings{"p|nodes.p.prompt[1].file",
                                              "h|nodes.h.prompt[0].file",
                                              "h|nodes.h.prompt[1].file"}));
  EXPECT_EQ(asked, (Strings{"menu_extra", "jingle"})) << "bad names are not looked up";
  EXPECT_EQ(problems(json), (Strings{"h|nodes.h.prompt[0].file", "h|nodes.h.prompt[1].file"}))
      << "no callback: names only";
}

TEST(Validate, LoopsWithoutInput) {
  auto json = R"({"start": "a", "nodes": {
      "a": {"type": "set", "variable": "n", "value": "1", "next": "b"},
      "b": {"type": "condition", "rules": [{"variable": "n", "op": "eq", "value": "1", "next": "a"}],
            "else": "m"},
      "m": {"type": "menu", "prompt": "x", "choices": {"1": "p"}},
      "p": {"type": "play", "prompt": "again", "next": "m"},
      "t": {"type": "transfer", "extension": "1001", "fallback": "t2"},
      "t2": {"type": "play", "prompt": "busy", "next": "t"},
      "self": {"type": "http", "url": "http://a/", "next": "m", "on_error": "self"}}})";
  auto found = problems(json);
  // The a-b loop and the transfer loop and the self loop; m-p waits in m.
  // (t, t2 and self are also unreachable.)
  EXPECT_EQ(found, (Strings{"t|nodes.t", "t2|nodes.t2", "self|nodes.self", "a|nodes.a", "t|nodes.t",
                            "self|nodes.self"}));
  EXPECT_EQ(messageAt(json, "nodes.a"),
            "loop that never waits for the caller: a → b → a (add a menu, collect or voicemail "
            "node to it)");
}

TEST(Validate, BadPatterns) {
  auto json = R"({"start": "c", "nodes": {
      "c": {"type": "collect", "prompt": "x", "variable": "v", "pattern": "([0-9]+", "next": "d"},
      "d": {"type": "condition", "rules": [{"variable": "v", "op": "matches", "value": "(a)\\1", "next": "h"}],
            "else": "h"},
      "h": {"type": "hangup"}}})";
  EXPECT_EQ(problems(json), (Strings{"c|nodes.c.pattern", "d|nodes.d.rules[0].value"}));
  EXPECT_NE(messageAt(json, "nodes.c.pattern").find("not a valid regular expression"),
            std::string::npos);
}

TEST(Validate, CalendarAndListReferences) {
  auto json = R"({"start": "c", "nodes": {
      "c": {"type": "condition", "rules": [{"business_hours": "office", "next": "h"},
            {"business_hours": "shop", "next": "h"}, {"caller_in": "vip", "next": "h"},
            {"caller_in": "blocked", "next": "h"}], "else": "h"},
      "h": {"type": "hangup"}},
    "calendars": {"office": {"utc_offset": "+08:00"},
                  "odd": {"utc_offset": "+08:00", "weekly": {"sat": ["09:00-12:00"]},
                          "holidays": ["2026-10-01"], "workdays": ["2026-10-01"]}},
    "lists": {"vip": ["13800138000"], "bad name": []}})";
  EXPECT_EQ(problems(json),
            (Strings{"|calendars.odd.workdays", "|calendars.odd.workdays", "|lists.bad name",
                     "c|nodes.c.rules[1].business_hours", "c|nodes.c.rules[3].caller_in"}));
  EXPECT_EQ(messageAt(json, "nodes.c.rules[1].business_hours"), "unknown calendar 'shop'");
}

TEST(Validate, MenuKeysTimeoutsAndDigits) {
  auto json = R"({"start": "m", "nodes": {
      "m": {"type": "menu", "prompt": "x", "choices": {"1": "c", "12": "c", "a": "c", "*": "c", "#": ""},
            "timeout_ms": 0, "retries": 11},
      "c": {"type": "collect", "prompt": "x", "variable": "caller", "min_digits": 9, "max_digits": 4,
            "terminator": "1", "timeout_ms": 600000, "inter_digit_timeout_ms": -1, "retries": 0,
            "next": "h"},
      "h": {"type": "http", "url": "http://${host}/x", "method": "POST", "timeout_ms": 40000,
            "results": {"did": "/a", "ok": "a/b", "x": "/~2"}, "next": "v"},
      "v": {"type": "voicemail", "max_seconds": 0, "next": "t"},
      "t": {"type": "transfer", "extension": "10 01", "queue": "sales"},
      "s": {"type": "set", "variable": "9lives", "value": "x"}}})";
  EXPECT_EQ(problems(json), (Strings{"m|nodes.m.choices.12",
                                     "m|nodes.m.choices.a",
                                     "m|nodes.m.choices.#",
                                     "m|nodes.m.timeout_ms",
                                     "m|nodes.m.retries",
                                     "c|nodes.c.variable",
                                     "c|nodes.c.min_digits",
                                     "c|nodes.c.terminator",
                                     "c|nodes.c.timeout_ms",
                                     "c|nodes.c.inter_digit_timeout_ms",
                                     "c|nodes.c.retries",
                                     "h|nodes.h.url",
                                     "h|nodes.h.method",
                                     "h|nodes.h.timeout_ms",
                                     "h|nodes.h.results.did",
                                     "h|nodes.h.results.ok",
                                     "h|nodes.h.results.x",
                                     "v|nodes.v.max_seconds",
                                     "t|nodes.t",
                                     "t|nodes.t.extension",
                                     "s|nodes.s.variable",
                                     "s|nodes.s.next",
                                     "s|nodes.s"}));
  EXPECT_EQ(messageAt(json, "nodes.c.min_digits"), "is more than max_digits (9 > 4)");
  EXPECT_EQ(messageAt(json, "nodes.m.timeout_ms"), "must be between 1 and 60000 (is 0)");
  EXPECT_EQ(messageAt(json, "nodes.c.variable"), "'caller' is built in and cannot be set");
}

TEST(Validate, TransfersToOutsideNumbers) {
  auto json = R"({"start": "a", "nodes": {
      "a": {"type": "menu", "prompt": "x", "choices": {"1": "ok", "2": "letters", "3": "both", "4": "trunk_only", "5": "cid"}},
      "ok": {"type": "transfer", "number": "+8613800138000", "trunk": "main", "caller_id": "caller"},
      "letters": {"type": "transfer", "number": "95588-1"},
      "both": {"type": "transfer", "number": "95588", "extension": "1001"},
      "trunk_only": {"type": "transfer", "extension": "1001", "trunk": "main"},
      "cid": {"type": "transfer", "number": "95588", "caller_id": "anonymous"}}})";
  EXPECT_EQ(problems(json), (Strings{"letters|nodes.letters.number", "both|nodes.both",
                                     "trunk_only|nodes.trunk_only.trunk", "cid|nodes.cid.caller_id"}));
  EXPECT_EQ(messageAt(json, "nodes.both"),
            "a transfer needs exactly one of extension, queue and number");
}

TEST(Validate, AllErrorsAtOnceWithParseErrorsFirst) {
  std::vector<FlowError> errors;
  auto flow = compileFlow(R"({"start": "m", "nodes": {
      "m": {"type": "menu", "prompt": "x", "choices": {"1": "x1", "2": "broken"}, "retries": "3"},
      "broken": {"type": "xx"},
      "p": {"type": "play", "next": "m"}}})",
                          {}, &errors);
  ASSERT_FALSE(flow.isOk());
  EXPECT_EQ(flow.status().code(), StatusCode::kInvalidValue);
  EXPECT_EQ(flow.status().reason(), "invalid_flow");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].path, "nodes.m.retries") << "parse errors come first";
  EXPECT_EQ(errors[1].path, "nodes.broken.type");
  EXPECT_EQ(errors[2].path, "nodes.m.choices.1") << "a reference to a dropped node is not doubled";
  EXPECT_EQ(errors[3].path, "nodes.p.prompt");
  EXPECT_EQ(flow.status().message(),
            "the flow has 4 problems: nodes.m.retries: must be an integer; nodes.broken.type: "
            "unknown node type 'xx' (play, menu, collect, set, condition, http, voicemail, "
            "transfer, hangup); nodes.m.choices.1: unknown node 'x1'; nodes.p.prompt: is "
            "required: what the caller hears");
}

TEST(Validate, UnreadableDocumentsAreBadRequests) {
  std::vector<FlowError> errors;
  auto flow = compileFlow("{", {}, &errors);
  ASSERT_FALSE(flow.isOk());
  EXPECT_EQ(flow.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(compileFlow("{}").status().code(), StatusCode::kInvalidValue);
}

TEST(Validate, ErrorsAsJson) {
  std::vector<FlowError> errors;
  (void)compileFlow(R"({"start": "x", "nodes": {"h": {"type": "hangup", "prompt": ""}}})", {},
                    &errors);
  auto json = boost::json::parse(flowErrorsJson(errors));
  EXPECT_EQ(json, boost::json::parse(R"([
      {"node": null, "path": "start", "message": "unknown node 'x'"},
      {"node": "h", "path": "nodes.h.prompt", "message": "the text to speak is empty"}])"));
}

TEST(Validate, ProgrammaticFlowsAreCheckedToo) {
  Flow flow;
  flow.start = "a";
  Node a{"a", "", PlayNode{{PromptPart{"hi", "", ""}}, "a b"}};
  Node dup{"a", "", HangupNode{}};
  flow.nodes = {a, dup};
  flow.index();
  auto errors = validate(flow);
  Strings found;
  for (const auto& e : errors) found.push_back(e.node + "|" + e.path + "|" + e.message);
  EXPECT_EQ(found,
            (Strings{"a|nodes.a.next|unknown node 'a b'", "a|nodes.a|a second node with this id"}));
}

TEST(Validate, TooManyErrorsAreCut) {
  std::string json = R"({"start": "n0", "nodes": {)";
  for (int i = 0; i < 300; ++i) {
    json += (i ? "," : "") + std::string("\"n") + std::to_string(i) +
            R"(": {"type": "play", "prompt": "", "next": "n0"})";
  }
  json += "}}";
  std::vector<FlowError> errors;
  (void)compileFlow(json, {}, &errors);
  ASSERT_EQ(errors.size(), 201u);
  EXPECT_EQ(errors.back().message, "too many problems; fix the ones above first");
}

}  // namespace
}  // namespace ting::ivr
