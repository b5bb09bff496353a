// Session: collecting digits (account numbers, PINs).
#include <gtest/gtest.h>

#include "ivr/session.h"
#include "ivr/session_test_util.h"

namespace ting::ivr {
namespace {

using ivr_test::Call;
using ivr_test::compiled;

constexpr std::string_view kAccount = R"({"start": "acct", "nodes": {
    "acct": {"type": "collect", "prompt": "account please", "variable": "account",
             "min_digits": 4, "max_digits": 6, "terminator": "#", "pattern": "^[1-9]",
             "timeout_ms": 5000, "inter_digit_timeout_ms": 3000, "retries": 2,
             "invalid_prompt": "invalid", "next": "done", "fallback": "agent"},
    "done": {"type": "hangup", "prompt": "account ${account}"},
    "agent": {"type": "transfer", "extension": "1001"}}})";

void toCollect(Call& call) {
  EXPECT_EQ(call.start(), "enter(acct) play#1~(account please)");
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.session.deadline(), call.now + 5000);
}

TEST(SessionCollect, TerminatorEnds) {
  Call call(compiled(kAccount));
  toCollect(call);
  EXPECT_EQ(call.digits("1234"), "");
  EXPECT_EQ(call.session.deadline(), call.now + 3000) << "inter-digit timeout";
  EXPECT_EQ(call.digits("#"), "enter(done) play#2(account 1234)");
  EXPECT_EQ(call.session.variables().at("account"), "1234");
  EXPECT_EQ(call.outcomes(), "acct:ok[1234#] done:hangup");
}

TEST(SessionCollect, MaxDigitsEnds) {
  Call call(compiled(kAccount));
  toCollect(call);
  EXPECT_EQ(call.digits("12345"), "");
  EXPECT_EQ(call.digits("6"), "enter(done) play#2(account 123456)");
}

TEST(SessionCollect, InterDigitTimeoutEnds) {
  Call call(compiled(kAccount));
  toCollect(call);
  call.digits("4321");
  call.advance(2000);
  call.digits("0");
  EXPECT_EQ(call.session.deadline(), call.now + 3000) << "each key restarts it";
  EXPECT_EQ(call.timeout(), "enter(done) play#2(account 43210)");
}

TEST(SessionCollect, TooFewDigitsAreInvalid) {
  Call call(compiled(kAccount));
  toCollect(call);
  call.digits("12");
  EXPECT_EQ(call.timeout(), "play#2~(invalid)");
  EXPECT_EQ(call.playDone(), "play#3~(account please)");
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.digits("5555#"), "enter(done) play#4(account 5555)");
  EXPECT_EQ(call.outcomes(), "acct:ok[125555#] done:hangup");
}

TEST(SessionCollect, PatternFailureIsInvalidAndRetriesEndInTheFallback) {
  Call call(compiled(kAccount));
  toCollect(call);
  EXPECT_EQ(call.digits("0123#"), "play#2~(invalid)") << "the pattern wants no leading 0";
  EXPECT_EQ(call.digits("#"), "stop#2 enter(agent) transfer(ext=1001)")
      << "keys during the invalid prompt start the next try; '#' alone is too short";
  EXPECT_EQ(call.outcomes(), "acct:invalid[0123##] agent:transfer");
  EXPECT_FALSE(call.session.variables().contains("account"));
}

TEST(SessionCollect, TypeAheadDuringThePrompt) {
  Call call(compiled(kAccount));
  EXPECT_EQ(call.start(), "enter(acct) play#1~(account please)");
  EXPECT_EQ(call.digits("9"), "stop#1");
  EXPECT_EQ(call.session.deadline(), call.now + 3000);
  EXPECT_EQ(call.playDone(), "") << "the stopped prompt";
  EXPECT_EQ(call.digits("876#"), "enter(done) play#2(account 9876)");
}

TEST(SessionCollect, NoDigitsTimesOut) {
  Call call(compiled(kAccount));
  toCollect(call);
  EXPECT_EQ(call.timeout(), "play#2~(account please)") << "no timeout prompt: the prompt again";
  EXPECT_EQ(call.playDone(), "");
  EXPECT_EQ(call.timeout(), "enter(agent) transfer(ext=1001)");
  EXPECT_EQ(call.outcomes(), "acct:timeout agent:transfer");
}

TEST(SessionCollect, MaskedInputStaysOutOfThePath) {
  Call call(compiled(R"({"start": "pin", "nodes": {
      "pin": {"type": "collect", "prompt": "PIN", "variable": "pin", "min_digits": 4,
              "max_digits": 4, "terminator": "", "mask": true, "next": "h"},
      "h": {"type": "hangup"}}})"));
  call.start();
  call.playDone();
  EXPECT_EQ(call.digits("#12"), "") << "no terminator: '#' is a key like any other";
  EXPECT_EQ(call.digits("3"), "enter(h) hangup(normal)");
  EXPECT_EQ(call.session.variables().at("pin"), "#123");
  EXPECT_EQ(call.outcomes(), "pin:ok[xxxx] h:hangup");
  EXPECT_EQ(call.session.pathJson().find("123"), std::string::npos);
}

TEST(SessionCollect, ZeroMinimumAcceptsJustTheTerminator) {
  Call call(compiled(R"({"start": "ext", "nodes": {
      "ext": {"type": "collect", "prompt": "extension or #", "variable": "ext", "min_digits": 0,
              "max_digits": 4, "next": "h"},
      "h": {"type": "hangup", "prompt": "[${ext}]"}}})"));
  call.start();
  EXPECT_EQ(call.digits("#"), "stop#1 enter(h) play#2([])");
}

TEST(SessionCollect, ACardNumberIsCollectedWithTheRecordingPaused) {
  Call call(compiled(R"({"start": "card", "nodes": {
      "card": {"type": "collect", "prompt": "card number", "variable": "card", "min_digits": 4,
               "max_digits": 4, "pause_recording": true, "mask": true, "retries": 1,
               "next": "again", "fallback": "bye"},
      "again": {"type": "collect", "prompt": "expiry", "variable": "expiry", "min_digits": 4,
                "max_digits": 4, "pause_recording": true, "next": "bye"},
      "bye": {"type": "hangup", "prompt": "thanks"}}})"));
  EXPECT_EQ(call.start(), "pause_recording enter(card) play#1~(card number)");
  EXPECT_EQ(call.digits("1234"), "stop#1 enter(again) play#2~(expiry)")
      << "still paused: no resume between two paused nodes";
  EXPECT_EQ(call.digits("0128"), "stop#2 resume_recording enter(bye) play#3(thanks)");
}

}  // namespace
}  // namespace ting::ivr
