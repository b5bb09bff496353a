#include "ivr/session.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "ivr/flow_parser.h"
#include "ivr/session_test_util.h"

namespace ting::ivr {
namespace {

using ivr_test::Call;
using ivr_test::compiled;
using ivr_test::describe;

constexpr std::string_view kHotline = R"({
  "voice": "cmn-latn-pinyin", "start": "welcome",
  "nodes": {
    "welcome": {"type": "play", "prompt": "hi ${caller}", "next": "menu"},
    "menu": {"type": "menu", "prompt": ["menu", {"file": "jingle"}],
             "choices": {"1": "support", "2": "vm", "0": "agent"},
             "timeout_ms": 5000, "retries": 3, "invalid_prompt": "invalid",
             "timeout_prompt": "timeout", "fallback": "agent"},
    "support": {"type": "transfer", "queue": "support", "fallback": "agent"},
    "agent": {"type": "transfer", "extension": "1001", "fallback": "vm"},
    "vm": {"type": "voicemail", "prompt": "leave a message", "max_seconds": 60, "next": "bye"},
    "bye": {"type": "hangup", "prompt": "bye"}
  }})";

// Walks a call to the point where the menu waits for a key.
void toMenu(Call& call) {
  EXPECT_EQ(call.start(), "enter(welcome) play#1(hi 13800138000)");
  EXPECT_EQ(call.playDone(), "enter(menu) play#2~(menu+file:jingle)");
  EXPECT_EQ(call.playDone(), "");
}

TEST(Session, ATransferToAnOutsideNumberCarriesTrunkAndCallerId) {
  Call call(compiled(R"({"start": "m", "nodes": {
      "m": {"type": "menu", "prompt": "menu", "choices": {"1": "out", "2": "plain"}},
      "out": {"type": "transfer", "number": "+8613800138000", "trunk": "main", "caller_id": "caller"},
      "plain": {"type": "transfer", "number": "95588"}}})"));
  EXPECT_EQ(call.start(), "enter(m) play#1~(menu)");
  EXPECT_EQ(call.digits("1"), "stop#1 enter(out) transfer(number=+8613800138000 trunk=main caller)");
}

TEST(Session, DigitsLeadToATransfer) {
  Call call(compiled(kHotline));
  EXPECT_EQ(call.start(), "enter(welcome) play#1(hi 13800138000)");
  EXPECT_EQ(call.digits("1"), "") << "play nodes ignore keys";
  EXPECT_FALSE(call.session.deadline());
  EXPECT_EQ(call.playDone(), "enter(menu) play#2~(menu+file:jingle)");
  EXPECT_FALSE(call.session.deadline()) << "the timeout starts after the prompt";
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.session.deadline(), call.now + 5000);
  call.advance(1200);
  EXPECT_EQ(call.digits("1"), "enter(support) transfer(queue=support)");
  EXPECT_TRUE(call.session.finished());
  EXPECT_FALSE(call.session.deadline());
  EXPECT_EQ(call.outcomes(), "welcome:ok menu:ok[1] support:transfer");
  EXPECT_EQ(call.session.currentNode(), "support");
}

TEST(Session, PromptsCarryVoicesAndFiles) {
  Call call(compiled(R"({"voice": "cmn-latn-pinyin", "start": "p", "nodes": {
      "p": {"type": "play", "prompt": ["你好", {"tts": "Hello ${did}", "voice": "en"}, {"file": "x_wav"}]}}})"));
  Actions actions = call.session.start(call.now);
  ASSERT_EQ(actions.size(), 2u);
  const auto& play = std::get<Play>(actions[1]);
  EXPECT_FALSE(play.barge_in);
  EXPECT_EQ(play.prompts,
            (std::vector<Prompt>{
                {"cmn-latn-pinyin", "你好", ""}, {"en", "Hello 4000", ""}, {"", "", "x_wav"}}));
  EXPECT_EQ(describe(call.session.onPlayDone(play.id, call.now)), "hangup(normal)")
      << "a play without next ends the call";
}

TEST(Session, BargeInStopsThePrompt) {
  Call call(compiled(kHotline));
  call.start();
  EXPECT_EQ(call.playDone(), "enter(menu) play#2~(menu+file:jingle)");
  EXPECT_EQ(call.digits("2"), "stop#2 enter(vm) play#3(leave a message)");
  EXPECT_EQ(describe(call.session.onPlayDone(2, call.now)), "") << "the stopped prompt's end";
  EXPECT_EQ(call.digits("5"), "") << "the voicemail prompt ignores keys";
  EXPECT_EQ(call.playDone(), "record#4(60s)");
  EXPECT_EQ(call.digits("1"), "");
  EXPECT_EQ(call.digits("#"), "stoprecord#4");
  EXPECT_EQ(call.digits("#"), "") << "asked once";
  EXPECT_EQ(call.recordDone(true, "rec-7"),
            "callback(rec-7,13800138000,vm) enter(bye) play#5(bye)");
  EXPECT_EQ(call.playDone(), "hangup(normal)");
  EXPECT_TRUE(call.session.finished());
  EXPECT_EQ(call.outcomes(), "welcome:ok menu:ok[2] vm:ok bye:hangup");
}

TEST(Session, InvalidKeyThenValid) {
  Call call(compiled(kHotline));
  toMenu(call);
  EXPECT_EQ(call.digits("9"), "play#3~(invalid)");
  EXPECT_FALSE(call.session.deadline());
  EXPECT_EQ(call.playDone(), "play#4~(menu+file:jingle)");
  EXPECT_EQ(call.digits("0"), "stop#4 enter(agent) transfer(ext=1001)");
  EXPECT_EQ(call.outcomes(), "welcome:ok menu:ok[90] agent:transfer");
}

TEST(Session, KeysDuringTheInvalidPromptCount) {
  Call call(compiled(kHotline));
  toMenu(call);
  EXPECT_EQ(call.digits("8"), "play#3~(invalid)");
  EXPECT_EQ(call.digits("1"), "stop#3 enter(support) transfer(queue=support)");
}

TEST(Session, TimeoutsUntilTheFallback) {
  Call call(compiled(kHotline));
  toMenu(call);
  call.advance(4999);
  EXPECT_EQ(describe(call.session.onTimer(call.now)), "") << "too early";
  EXPECT_EQ(call.timeout(), "play#3~(timeout)");
  EXPECT_FALSE(call.session.deadline());
  EXPECT_EQ(call.playDone(), "play#4~(menu+file:jingle)");
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.timeout(), "play#5~(timeout)");
  EXPECT_EQ(call.playDone(), "play#6~(menu+file:jingle)");
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.timeout(), "enter(agent) transfer(ext=1001)") << "third failed try";
  EXPECT_EQ(call.outcomes(), "welcome:ok menu:timeout agent:transfer");
}

TEST(Session, MixedFailuresCountTogetherAndNoFallbackHangsUp) {
  Call call(compiled(R"({"start": "m", "nodes": {
      "m": {"type": "menu", "prompt": "menu", "choices": {"1": "h"}, "retries": 2},
      "h": {"type": "hangup"}}})"));
  EXPECT_EQ(call.start(), "enter(m) play#1~(menu)");
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.timeout(), "play#2~(menu)") << "no timeout prompt: the menu again";
  EXPECT_EQ(call.digits("7"), "stop#2 hangup(retries_exhausted)");
  EXPECT_EQ(call.outcomes(), "m:invalid[7]");
  EXPECT_EQ(call.digits("1"), "") << "finished";
}

TEST(Session, FailedTransfersGoToTheFallback) {
  Call call(compiled(kHotline));
  toMenu(call);
  EXPECT_EQ(call.digits("1"), "enter(support) transfer(queue=support)");
  EXPECT_EQ(call.transferFailed(), "enter(agent) transfer(ext=1001)");
  EXPECT_EQ(call.transferFailed(), "enter(vm) play#3(leave a message)");
  EXPECT_FALSE(call.session.finished());
  EXPECT_EQ(call.transferFailed(), "") << "not transferring";
  EXPECT_EQ(call.outcomes(),
            "welcome:ok menu:ok[1] support:transfer_failed agent:transfer_failed vm:");

  Call lone(
      compiled(R"({"start": "t", "nodes": {"t": {"type": "transfer", "extension": "1001"}}})"));
  EXPECT_EQ(lone.start(), "enter(t) transfer(ext=1001)");
  EXPECT_EQ(lone.transferFailed(), "hangup(transfer_failed)");
}

TEST(Session, AFailedRecordingMakesNoCallbackRequest) {
  Call call(
      compiled(R"({"start": "v", "nodes": {"v": {"type": "voicemail", "max_seconds": 30}}})"));
  EXPECT_EQ(call.start(), "enter(v) record#1(30s)");
  EXPECT_EQ(describe(call.session.onRecordDone(99, true, "x", call.now)), "") << "wrong id";
  EXPECT_EQ(call.recordDone(false, ""), "hangup(normal)");
  EXPECT_EQ(call.outcomes(), "v:error");
}

TEST(Session, HangupWithoutPrompt) {
  Call call(compiled(R"({"start": "h", "nodes": {"h": {"type": "hangup"}}})"));
  EXPECT_EQ(call.start(), "enter(h) hangup(normal)");
  EXPECT_TRUE(call.session.finished());
  EXPECT_EQ(call.start(), "") << "start runs once";
}

TEST(Session, LoopGuardHangsUpASpinningFlow) {
  // Not validated: validate() would refuse this loop.
  std::vector<FlowError> errors;
  auto flow = std::make_shared<Flow>(parseFlow(R"({"start": "a", "nodes": {
      "a": {"type": "set", "variable": "n", "value": "x${n}", "next": "b"},
      "b": {"type": "condition", "rules": [{"variable": "n", "op": "ne", "value": "", "next": "a"}],
            "else": "a"}}})",
                                               errors));
  ASSERT_TRUE(errors.empty());
  Session session(flow, CallInfo{"c", "1", "2"});
  Actions actions = session.start(0);
  ASSERT_EQ(actions.size(), static_cast<std::size_t>(kMaxStepsWithoutInput) + 1);
  EXPECT_EQ(describe(actions.back()), "hangup(ivr_loop)");
  EXPECT_TRUE(session.finished());
  EXPECT_EQ(session.variables().at("n").size(), 50u);
}

TEST(Session, LoopGuardCountsStepsWithoutKeys) {
  // A menu whose timeout leads to a play that leads back: each round is two
  // steps; only a key resets the count.
  Call call(compiled(R"({"start": "m", "nodes": {
      "m": {"type": "menu", "prompt": "menu", "choices": {"1": "p"}, "retries": 1, "fallback": "p"},
      "p": {"type": "play", "prompt": "again", "next": "m"}}})"));
  call.start();
  int rounds = 0;
  std::string last;
  while (rounds < 1000) {
    last = call.playDone();  // the menu prompt ends
    last = rounds == 10 ? call.digits("1") : call.timeout();
    if (call.session.finished()) break;
    last = call.playDone();  // "again" ends: back to the menu
    ++rounds;
  }
  EXPECT_EQ(last, "hangup(ivr_loop)");
  EXPECT_EQ(rounds, 10 + kMaxStepsWithoutInput / 2);
}

TEST(Session, ConditionsOnHoursListsAndVariables) {
  constexpr std::string_view kFlow = R"({"start": "set", "nodes": {
      "set": {"type": "set", "variable": "lang", "value": "en", "next": "c"},
      "c": {"type": "condition", "rules": [
              {"caller_in": "blocked", "next": "blocked"},
              {"business_hours": "office", "next": "open"},
              {"variable": "lang", "op": "in", "value": "fr, en", "next": "english"}],
            "else": "closed"},
      "blocked": {"type": "hangup"}, "open": {"type": "hangup"},
      "english": {"type": "hangup"}, "closed": {"type": "hangup"}},
    "calendars": {"office": {"utc_offset": "+08:00", "weekly": {"mon": ["09:00-18:00"]},
                             "holidays": ["2026-10-05"]}},
    "lists": {"blocked": ["+86 139-0000-0000"]}})";
  auto flow = compiled(kFlow);
  // Monday 2026-10-12 10:00 in Beijing = 02:00 UTC.
  const UnixMillis monday_10am = (*parseDate("2026-10-12") * 1440 + 2 * 60) * 60'000LL;
  auto endNode = [&](std::string caller, UnixMillis now) {
    Session s(flow, CallInfo{"c", std::move(caller), "4000"});
    (void)s.start(now);
    return std::string(s.currentNode());
  };
  EXPECT_EQ(endNode("13900000000", monday_10am), "blocked");
  EXPECT_EQ(endNode("13800138000", monday_10am), "open");
  EXPECT_EQ(endNode("13800138000", monday_10am + 9 * 3600'000LL), "english") << "19:00";
  EXPECT_EQ(endNode("13800138000", monday_10am - 7 * 86400'000LL), "english") << "a holiday";
  Session s(flow, CallInfo{"c", "13800138000", "4000"});
  (void)s.start(monday_10am);
  EXPECT_EQ(s.path()[1].outcome, "rule:1");
}

constexpr std::string_view kLookup = R"({"start": "c", "nodes": {
    "c": {"type": "set", "variable": "account", "value": "12 34&x", "next": "h"},
    "h": {"type": "http", "url": "https://crm.example/api?id=${account}&from=${caller}",
          "timeout_ms": 2000, "results": {"level": "/customer/level", "points": "/customer/points",
          "vip": "/customer/vip", "missing": "/nope", "whole": "/customer/tags"},
          "next": "ok", "on_error": "failed"},
    "ok": {"type": "play", "prompt": "level ${level}"},
    "failed": {"type": "hangup"}}})";

TEST(Session, LookupSuccessSetsVariables) {
  Call call(compiled(kLookup), "+86 138");
  EXPECT_EQ(call.start(),
            "enter(c) enter(h) http#1(GET https://crm.example/api?id=12%2034%26x&from=%2B86%20138 "
            "2000ms)");
  EXPECT_EQ(call.session.deadline(), call.now + 2000);
  call.advance(300);
  EXPECT_EQ(call.lookupDone(std::string(
                R"({"customer": {"level": "gold", "points": 1200, "vip": true, "tags": ["a"]}})")),
            "enter(ok) play#2(level gold)");
  const auto& vars = call.session.variables();
  EXPECT_EQ(vars.at("points"), "1200");
  EXPECT_EQ(vars.at("vip"), "true");
  EXPECT_EQ(vars.at("missing"), "");
  EXPECT_EQ(vars.at("whole"), R"(["a"])");
  EXPECT_EQ(vars.at("caller"), "+86 138");
  EXPECT_EQ(call.outcomes(), "c:ok h:ok ok:");
}

TEST(Session, LookupErrorsAndTimeoutsGoToOnError) {
  {
    Call call(compiled(kLookup));
    call.start();
    EXPECT_EQ(call.lookupDone(unavailable("connection refused")), "enter(failed) hangup(normal)");
    EXPECT_EQ(call.outcomes(), "c:ok h:error failed:hangup");
  }
  {
    Call call(compiled(kLookup));
    call.start();
    EXPECT_EQ(call.lookupDone(std::string("<html>")), "enter(failed) hangup(normal)");
  }
  {
    Call call(compiled(kLookup));
    call.start();
    EXPECT_EQ(call.timeout(), "enter(failed) hangup(normal)");
    EXPECT_EQ(call.outcomes(), "c:ok h:timeout failed:hangup");
    EXPECT_EQ(call.lookupDone(std::string("{}")), "") << "too late";
  }
  {
    // Without on_error the call carries on at next.
    Call call(compiled(R"({"start": "h", "nodes": {
        "h": {"type": "http", "url": "http://crm/x", "next": "n"},
        "n": {"type": "hangup"}}})"));
    call.start();
    EXPECT_EQ(call.lookupDone(unavailable("down")), "enter(n) hangup(normal)");
  }
}

TEST(Session, CallerHangupAbandonsTheCurrentNode) {
  Call call(compiled(kHotline));
  toMenu(call);
  call.session.onCallerHangup(call.now);
  EXPECT_TRUE(call.session.finished());
  EXPECT_FALSE(call.session.deadline());
  EXPECT_EQ(describe(call.session.onTimer(call.now + 60'000)), "");
  EXPECT_EQ(call.digits("1"), "");
  EXPECT_EQ(call.outcomes(), "welcome:ok menu:abandoned");
}

TEST(Session, PathAsJson) {
  Call call(compiled(kHotline));
  call.now = 1'791'766'800'000;  // 2026-10-12T01:00:00Z
  toMenu(call);
  call.advance(2500);
  call.digits("1");
  EXPECT_EQ(boost::json::parse(call.session.pathJson()), boost::json::parse(R"([
      {"node": "welcome", "type": "play", "at": "2026-10-12T01:00:00.000Z", "input": "",
       "outcome": "ok"},
      {"node": "menu", "type": "menu", "at": "2026-10-12T01:00:00.000Z", "input": "1",
       "outcome": "ok"},
      {"node": "support", "type": "transfer", "at": "2026-10-12T01:00:02.500Z", "input": "",
       "outcome": "transfer"}])"));
}

TEST(Session, NonDtmfKeysAndStaleEventsAreIgnored) {
  Call call(compiled(kHotline));
  toMenu(call);
  EXPECT_EQ(call.digits("x"), "");
  EXPECT_EQ(describe(call.session.onPlayDone(1, call.now)), "");
  EXPECT_EQ(describe(call.session.onLookupDone(1, std::string("{}"), call.now)), "");
  EXPECT_EQ(describe(call.session.onRecordDone(1, true, "r", call.now)), "");
  EXPECT_EQ(call.transferFailed(), "");
  EXPECT_EQ(call.digits("A"), "play#3~(invalid)") << "A-D are keys, just not choices here";
}

}  // namespace
}  // namespace ting::ivr
