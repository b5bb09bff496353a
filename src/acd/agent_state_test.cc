#include "acd/agent_state.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ting::acd {
namespace {

using namespace std::chrono_literals;

class AgentStateTest : public ::testing::Test {
 protected:
  UnixMillis now() const { return clock_.nowMillis(); }
  void advance(std::chrono::milliseconds d) { clock_.advance(d); }

  // Takes the agent from available through one answered call to the end of it.
  void handleCall(CallId call, std::chrono::milliseconds talk, std::int64_t wrap_up_ms) {
    ASSERT_TRUE(agent_.offer(call, now()).isOk());
    ASSERT_TRUE(agent_.answer(now()).isOk());
    advance(talk);
    ASSERT_TRUE(agent_.callEnded(wrap_up_ms, now()).isOk());
  }

  FakeClock clock_;
  AgentPolicy policy_;
  AgentStateMachine agent_{7, policy_};
};

TEST_F(AgentStateTest, StartsLoggedOutAndLogsIn) {
  EXPECT_EQ(agent_.state(), AgentState::kLoggedOut);
  auto t = agent_.login(now());
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->agent, 7u);
  EXPECT_EQ(t->from, AgentState::kLoggedOut);
  EXPECT_EQ(t->to, AgentState::kAvailable);
  EXPECT_EQ(t->reason, "login");
  EXPECT_EQ(t->at, now());
  EXPECT_EQ(agent_.stats().idle_since, now());
}

TEST_F(AgentStateTest, FullCallCycleRecordsEveryTransition) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  advance(5s);
  auto offer = agent_.offer(42, now());
  ASSERT_TRUE(offer.isOk());
  EXPECT_EQ(offer->to, AgentState::kRinging);
  EXPECT_EQ(agent_.currentCall(), 42u);
  advance(3s);
  auto answer = agent_.answer(now());
  ASSERT_TRUE(answer.isOk());
  EXPECT_EQ(answer->from, AgentState::kRinging);
  EXPECT_EQ(answer->to, AgentState::kOnCall);
  EXPECT_EQ(agent_.currentCall(), 42u);
  advance(60s);
  auto ended = agent_.callEnded(30'000, now());
  ASSERT_TRUE(ended.isOk());
  EXPECT_EQ(ended->to, AgentState::kWrapUp);
  EXPECT_EQ(agent_.currentCall(), std::nullopt);
  EXPECT_EQ(agent_.stats().calls_handled, 1);
  EXPECT_EQ(agent_.stats().talk_ms, 60'000);
  EXPECT_EQ(agent_.deadline(), now() + 30'000);
}

TEST_F(AgentStateTest, IllegalTransitionsNameBothStates) {
  auto r = agent_.offer(1, now());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(r.status().message(), "agent cannot go from logged_out to ringing");
  EXPECT_EQ(r.status().reason(), "illegal_transition");
  EXPECT_EQ(agent_.state(), AgentState::kLoggedOut);

  ASSERT_TRUE(agent_.login(now()).isOk());
  EXPECT_FALSE(agent_.login(now()).isOk());
  EXPECT_FALSE(agent_.answer(now()).isOk());
  EXPECT_FALSE(agent_.callEnded(0, now()).isOk());
  EXPECT_FALSE(agent_.endWrapUp(now()).isOk());
  EXPECT_FALSE(agent_.setAvailable(now()).isOk());
  ASSERT_TRUE(agent_.offer(1, now()).isOk());
  auto logout = agent_.logout(now());
  ASSERT_FALSE(logout.isOk());
  EXPECT_EQ(logout.status().message(), "agent cannot go from ringing to logged_out");
  EXPECT_FALSE(agent_.setNotReady("break", now()).isOk());
  ASSERT_TRUE(agent_.answer(now()).isOk());
  EXPECT_FALSE(agent_.logout(now()).isOk());
  EXPECT_FALSE(agent_.offer(2, now()).isOk());
  EXPECT_EQ(agent_.state(), AgentState::kOnCall);
}

TEST_F(AgentStateTest, NotReadyTakesOnlyConfiguredReasons) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  auto bad = agent_.setNotReady("nap", now());
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidValue);
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);

  auto t = agent_.setNotReady("meal", now());
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->reason, "meal");
  EXPECT_EQ(agent_.notReadyReason(), "meal");
  EXPECT_FALSE(agent_.offer(1, now()).isOk());
  advance(10min);
  auto back = agent_.setAvailable(now());
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->from, AgentState::kNotReady);
  EXPECT_EQ(agent_.notReadyReason(), "");
  EXPECT_EQ(agent_.stats().idle_since, now());
}

TEST_F(AgentStateTest, TenantReasonListIsUsed) {
  policy_.not_ready_reasons = {"coaching"};
  ASSERT_TRUE(agent_.login(now()).isOk());
  EXPECT_FALSE(agent_.setNotReady("break", now()).isOk());
  EXPECT_TRUE(agent_.setNotReady("coaching", now()).isOk());
}

TEST_F(AgentStateTest, WrapUpExpiresOnTimer) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  handleCall(1, 30s, 20'000);
  UnixMillis due = *agent_.deadline();
  advance(19s);
  EXPECT_EQ(agent_.onTimer(now()), std::nullopt);
  EXPECT_EQ(agent_.state(), AgentState::kWrapUp);
  advance(2s);  // the timer fires a second late
  auto t = agent_.onTimer(now());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->from, AgentState::kWrapUp);
  EXPECT_EQ(t->to, AgentState::kAvailable);
  EXPECT_EQ(t->reason, "wrap_up_expired");
  EXPECT_EQ(agent_.stats().idle_since, due);
  EXPECT_EQ(agent_.deadline(), std::nullopt);
  EXPECT_EQ(agent_.onTimer(now()), std::nullopt);
}

TEST_F(AgentStateTest, WrapUpMayEndEarly) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  handleCall(1, 30s, 60'000);
  advance(5s);
  auto t = agent_.endWrapUp(now());
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->reason, "wrap_up_ended");
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);
  EXPECT_EQ(agent_.deadline(), std::nullopt);
  EXPECT_EQ(agent_.stats().idle_since, now());
  advance(60s);
  EXPECT_EQ(agent_.onTimer(now()), std::nullopt);
}

TEST_F(AgentStateTest, ZeroWrapUpGoesStraightToAvailable) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  handleCall(1, 10s, 0);
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);
  EXPECT_EQ(agent_.deadline(), std::nullopt);
}

TEST_F(AgentStateTest, BreakFromWrapUpCancelsTheTimer) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  handleCall(1, 10s, 30'000);
  ASSERT_TRUE(agent_.setNotReady("break", now()).isOk());
  EXPECT_EQ(agent_.deadline(), std::nullopt);
  advance(60s);
  EXPECT_EQ(agent_.onTimer(now()), std::nullopt);
  EXPECT_EQ(agent_.state(), AgentState::kNotReady);
}

TEST_F(AgentStateTest, TalkTimeAndCallsAccumulate) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  handleCall(1, 30s, 0);
  handleCall(2, 45s, 0);
  EXPECT_EQ(agent_.stats().calls_handled, 2);
  EXPECT_EQ(agent_.stats().talk_ms, 75'000);
}

TEST_F(AgentStateTest, ForcedNotReadyAfterConsecutiveMissedOffers) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  UnixMillis idle = agent_.stats().idle_since;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(agent_.offer(i, now()).isOk());
    advance(15s);
    auto t = agent_.missed(now());
    ASSERT_TRUE(t.isOk());
    EXPECT_EQ(t->to, AgentState::kAvailable);
    EXPECT_EQ(t->reason, "missed");
  }
  EXPECT_EQ(agent_.consecutiveMissed(), 2);
  EXPECT_EQ(agent_.stats().idle_since, idle);  // a miss keeps the agent's place
  ASSERT_TRUE(agent_.offer(3, now()).isOk());
  auto forced = agent_.missed(now());
  ASSERT_TRUE(forced.isOk());
  EXPECT_EQ(forced->from, AgentState::kRinging);
  EXPECT_EQ(forced->to, AgentState::kNotReady);
  EXPECT_EQ(forced->reason, "missed_offers");
  EXPECT_EQ(agent_.notReadyReason(), "missed_offers");
  // The agent comes back with a fresh count.
  ASSERT_TRUE(agent_.setAvailable(now()).isOk());
  EXPECT_EQ(agent_.consecutiveMissed(), 0);
}

TEST_F(AgentStateTest, RejectedOfferIsNotAMissedOne) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  for (CallId c = 1; c <= 2; ++c) {
    ASSERT_TRUE(agent_.offer(c, now()).isOk());
    ASSERT_TRUE(agent_.missed(now()).isOk());
  }
  for (CallId c = 10; c < 20; ++c) {
    ASSERT_TRUE(agent_.offer(c, now()).isOk());
    auto t = agent_.reject(now());
    ASSERT_TRUE(t.isOk());
    EXPECT_EQ(t->to, AgentState::kAvailable);
    EXPECT_EQ(t->reason, "rejected");
  }
  EXPECT_EQ(agent_.consecutiveMissed(), 2);
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);
}

TEST_F(AgentStateTest, WithdrawnOfferIsNeitherMissedNorRejected) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  const UnixMillis idle = agent_.stats().idle_since;
  ASSERT_TRUE(agent_.offer(1, now()).isOk());
  ASSERT_TRUE(agent_.missed(now()).isOk());
  ASSERT_TRUE(agent_.offer(2, now()).isOk());
  advance(3s);
  auto t = agent_.withdraw(now());
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->reason, "withdrawn");
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);
  EXPECT_EQ(agent_.consecutiveMissed(), 1);
  EXPECT_EQ(agent_.stats().idle_since, idle);
  EXPECT_FALSE(agent_.currentCall().has_value());
  EXPECT_FALSE(agent_.withdraw(now()).isOk());
}

TEST_F(AgentStateTest, AnsweredOfferResetsTheMissedCount) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(agent_.offer(1, now()).isOk());
      ASSERT_TRUE(agent_.missed(now()).isOk());
    }
    handleCall(2, 5s, 0);
    EXPECT_EQ(agent_.consecutiveMissed(), 0);
  }
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);
}

TEST_F(AgentStateTest, ZeroMaxMissedNeverForces) {
  policy_.max_missed_offers = 0;
  ASSERT_TRUE(agent_.login(now()).isOk());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(agent_.offer(1, now()).isOk());
    ASSERT_TRUE(agent_.missed(now()).isOk());
  }
  EXPECT_EQ(agent_.state(), AgentState::kAvailable);
}

TEST_F(AgentStateTest, LogoutFromAvailableNotReadyAndWrapUp) {
  ASSERT_TRUE(agent_.login(now()).isOk());
  EXPECT_TRUE(agent_.logout(now()).isOk());
  ASSERT_TRUE(agent_.login(now()).isOk());
  ASSERT_TRUE(agent_.setNotReady("training", now()).isOk());
  auto t = agent_.logout(now());
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->from, AgentState::kNotReady);
  EXPECT_EQ(agent_.notReadyReason(), "");
  ASSERT_TRUE(agent_.login(now()).isOk());
  handleCall(1, 1s, 10'000);
  EXPECT_TRUE(agent_.logout(now()).isOk());
  EXPECT_EQ(agent_.deadline(), std::nullopt);
}

TEST(AgentStateName, NamesEveryState) {
  EXPECT_STREQ(agentStateName(AgentState::kLoggedOut), "logged_out");
  EXPECT_STREQ(agentStateName(AgentState::kAvailable), "available");
  EXPECT_STREQ(agentStateName(AgentState::kRinging), "ringing");
  EXPECT_STREQ(agentStateName(AgentState::kOnCall), "on_call");
  EXPECT_STREQ(agentStateName(AgentState::kWrapUp), "wrap_up");
  EXPECT_STREQ(agentStateName(AgentState::kNotReady), "not_ready");
}

}  // namespace
}  // namespace ting::acd
