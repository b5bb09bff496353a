#include "ivr/flow_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace ting::ivr {
namespace {

// The errors parseFlow reports, as "node|path|message" for compact checks.
std::vector<std::string> parseErrors(std::string_view json) {
  std::vector<FlowError> errors;
  (void)parseFlow(json, errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.node + "|" + e.path);
  return out;
}

std::string firstMessage(std::string_view json) {
  std::vector<FlowError> errors;
  (void)parseFlow(json, errors);
  return errors.empty() ? "" : errors[0].message;
}

TEST(FlowParser, ReadsEveryNodeType) {
  std::vector<FlowError> errors;
  Flow flow = parseFlow(R"({
    "name": "Hotline", "voice": "cmn-latn-pinyin", "start": "a",
    "nodes": {
      "a": {"type": "play", "prompt": ["你好", {"tts": "Hi ${caller}", "voice": "en"}, {"file": "jingle"}], "next": "b"},
      "b": {"type": "menu", "prompt": "按1", "choices": {"1": "c", "#": "d"}, "timeout_ms": 4000,
            "retries": 2, "invalid_prompt": "错", "timeout_prompt": "慢", "fallback": "h"},
      "c": {"type": "collect", "prompt": "号码", "variable": "acct", "min_digits": 4, "max_digits": 8,
            "terminator": "*", "pattern": "^[0-9]+$", "timeout_ms": 6000, "inter_digit_timeout_ms": 2000,
            "retries": 4, "mask": true, "next": "d", "fallback": "h"},
      "d": {"type": "set", "variable": "lang", "value": 5, "next": "e"},
      "e": {"type": "condition", "rules": [{"business_hours": "office", "next": "f"},
            {"caller_in": "vip", "next": "g"}, {"variable": "lang", "op": "matches", "value": "^e", "next": "h"}],
            "else": "g"},
      "f": {"type": "http", "url": "https://crm.example/a?id=${acct}", "timeout_ms": 1500,
            "results": {"level": "/customer/level"}, "next": "g", "on_error": "h"},
      "g": {"type": "voicemail", "max_seconds": 30, "next": "h", "description": "after hours"},
      "t": {"type": "transfer", "queue": "support", "fallback": "g"},
      "h": {"type": "hangup"}
    },
    "calendars": {"office": {"utc_offset": "+08:00", "weekly": {"mon": ["09:00-18:00"], "sat": []},
                  "holidays": ["2026-10-01"], "workdays": ["2026-10-11"], "workday_hours": ["10:00-16:00"]}},
    "lists": {"vip": ["13800138000", "+86 139 0000 0000"]}
  })",
                        errors);
  ASSERT_TRUE(errors.empty()) << errors[0].describe();
  EXPECT_EQ(flow.name, "Hotline");
  EXPECT_EQ(flow.nodes.size(), 9u);
  const auto& play = std::get<PlayNode>(flow.find("a")->body);
  ASSERT_EQ(play.prompt.size(), 3u);
  EXPECT_EQ(play.prompt[1].voice, "en");
  EXPECT_EQ(play.prompt[2].file, "jingle");
  const auto& menu = std::get<MenuNode>(flow.find("b")->body);
  EXPECT_EQ(menu.choices.size(), 2u);
  EXPECT_EQ(menu.timeout_ms, 4000);
  EXPECT_EQ(menu.retries, 2);
  const auto& collect = std::get<CollectNode>(flow.find("c")->body);
  EXPECT_EQ(collect.terminator, "*");
  EXPECT_TRUE(collect.regex);
  EXPECT_TRUE(collect.mask);
  EXPECT_EQ(std::get<SetNode>(flow.find("d")->body).value, "5") << "numbers become text";
  const auto& cond = std::get<ConditionNode>(flow.find("e")->body);
  ASSERT_EQ(cond.rules.size(), 3u);
  EXPECT_EQ(cond.rules[0].kind, Rule::Kind::kBusinessHours);
  EXPECT_EQ(cond.rules[1].list, "vip");
  EXPECT_EQ(cond.rules[2].op, CompareOp::kMatches);
  EXPECT_TRUE(cond.rules[2].regex);
  EXPECT_EQ(std::get<HttpNode>(flow.find("f")->body).results[0].second, "/customer/level");
  EXPECT_EQ(flow.find("g")->description, "after hours");
  EXPECT_EQ(std::get<TransferNode>(flow.find("t")->body).queue, "support");
  EXPECT_EQ(flow.nodes[0].id, "a") << "document order is kept";
  const Calendar& cal = flow.calendars.at("office");
  EXPECT_EQ(cal.utc_offset_minutes, 480);
  EXPECT_EQ(cal.weekly[0].size(), 1u);
  EXPECT_TRUE(cal.weekly[5].empty());
  EXPECT_TRUE(cal.workday_hours);
  EXPECT_EQ(flow.lists.at("vip").size(), 2u);
}

TEST(FlowParser, DefaultsApplyWhenFieldsAreLeftOut) {
  std::vector<FlowError> errors;
  Flow flow = parseFlow(
      R"({"start": "m", "nodes": {"m": {"type": "menu", "prompt": "x", "choices": {"1": "m"}},
          "c": {"type": "collect", "prompt": "x", "variable": "v", "next": "m"}}})",
      errors);
  ASSERT_TRUE(errors.empty());
  const auto& menu = std::get<MenuNode>(flow.find("m")->body);
  EXPECT_EQ(menu.timeout_ms, 5000);
  EXPECT_EQ(menu.retries, 3);
  const auto& collect = std::get<CollectNode>(flow.find("c")->body);
  EXPECT_EQ(collect.terminator, "#");
  EXPECT_EQ(collect.min_digits, 1);
  EXPECT_EQ(collect.max_digits, 20);
  EXPECT_EQ(collect.inter_digit_timeout_ms, 3000);
  EXPECT_FALSE(collect.mask);
}

TEST(FlowParser, DocumentErrorsHaveNoPath) {
  EXPECT_EQ(parseErrors("not json"), std::vector<std::string>{"|"});
  EXPECT_NE(firstMessage("not json").find("not valid JSON"), std::string::npos);
  EXPECT_EQ(firstMessage("[1]"), "the flow must be a JSON object");
  EXPECT_NE(firstMessage(std::string(kMaxFlowBytes + 1, ' ')).find("larger than 256 KiB"),
            std::string::npos);
  std::string deep(100, '[');
  EXPECT_EQ(parseErrors(R"({"a": )" + deep).size(), 1u);
}

TEST(FlowParser, ErrorsNameTheJsonPath) {
  auto errors = parseErrors(R"({
    "start": 5, "colour": "red",
    "nodes": {
      "m": {"type": "menu", "prompt": 7, "choices": [], "timeout_ms": "5s", "retries": 1.5,
            "timout_ms": 100},
      "x": {"type": "dance"},
      "y": "play",
      "z": {"prompt": "hi"},
      "p": {"type": "play", "prompt": [{"tts": "a", "file": "b"}, {"voice": "en"}, [1], {"file": "f", "voice": "en"}]},
      "c": {"type": "condition", "rules": [{"business_hours": "x", "caller_in": "y"},
             {"variable": "v", "op": "like", "value": "a"}, {"variable": "v", "value": "a"},
             {"caller_in": "vip", "op": "eq"}, 3], "else": "m"},
      "h": {"type": "http", "url": "https://a", "results": {"v": 1}, "next": "m"}
    },
    "calendars": {"office": {"weekly": {"mon": ["9-5"], "someday": []}, "holidays": ["2026-02-30"],
                  "utc_offset": "+8"}, "bad": 1},
    "lists": {"vip": ["13800138000", 5, "none"], "x": "13800138000"}
  })");
  std::vector<std::string> want = {
      "|start",
      "m|nodes.m.prompt",
      "m|nodes.m.choices",
      "m|nodes.m.timeout_ms",
      "m|nodes.m.retries",
      "m|nodes.m.timout_ms",
      "x|nodes.x.type",
      "y|nodes.y",
      "z|nodes.z.type",
      "p|nodes.p.prompt[0]",
      "p|nodes.p.prompt[1]",
      "p|nodes.p.prompt[2]",
      "p|nodes.p.prompt[3].voice",
      "c|nodes.c.rules[0]",
      "c|nodes.c.rules[1].op",
      "c|nodes.c.rules[2].op",
      "c|nodes.c.rules[3].op",
      "c|nodes.c.rules[4]",
      "h|nodes.h.results.v",
      "|calendars.office.utc_offset",
      "|calendars.office.weekly.mon[0]",
      "|calendars.office.weekly.someday",
      "|calendars.office.holidays[0]",
      "|calendars.bad",
      "|lists.vip[1]",
      "|lists.vip[2]",
      "|lists.x",
      "|colour",
  };
  EXPECT_EQ(errors, want);
}

TEST(FlowParser, DroppedNodesAreRemembered) {
  std::vector<FlowError> errors;
  Flow flow = parseFlow(R"({"start": "a", "nodes": {"a": {"type": "nope"}, "b": 1,
                            "c": {"type": "hangup"}}})",
                        errors);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(flow.nodes.size(), 1u);
  EXPECT_TRUE(flow.dropped_nodes.contains("a"));
  EXPECT_TRUE(flow.dropped_nodes.contains("b"));
  EXPECT_EQ(flow.find("c")->type(), NodeType::kHangup);
  EXPECT_EQ(flow.find("a"), nullptr);
}

TEST(FlowParser, NullMeansAbsent) {
  std::vector<FlowError> errors;
  Flow flow = parseFlow(R"({"start": "t", "nodes": {"t": {"type": "transfer", "extension": "1001",
                            "fallback": null, "queue": null}}})",
                        errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(std::get<TransferNode>(flow.nodes[0].body).fallback, "");
}

TEST(FlowParser, TooManyNodes) {
  std::string json = R"({"start": "n0", "nodes": {)";
  for (std::size_t i = 0; i <= kMaxNodes; ++i) {
    json += (i ? "," : "") + std::string("\"n") + std::to_string(i) + R"(": {"type": "hangup"})";
  }
  json += "}}";
  std::vector<FlowError> errors;
  Flow flow = parseFlow(json, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "nodes");
  EXPECT_EQ(flow.nodes.size(), kMaxNodes);
}

TEST(FlowParser, ControlCharactersStayOutOfPaths) {
  std::vector<FlowError> errors;
  (void)parseFlow(R"({"start": "a", "nodes": {"a\n\u0007": 1}})", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "nodes.a??");
  EXPECT_EQ(errors[0].node, "a\n\a") << "the node id itself is kept for the API";
}

}  // namespace
}  // namespace ting::ivr
