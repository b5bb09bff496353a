#include "acd/router.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace ting::acd {
namespace {

using namespace std::chrono_literals;

class RouterTest : public ::testing::Test {
 protected:
  UnixMillis now() const { return clock_.nowMillis(); }

  void makeQueue(Strategy strategy, const QueueId& queue = "sales") {
    ASSERT_TRUE(router_.addQueue(queue, strategy).isOk());
  }
  // Adds agent `id` to the queue and makes it available with these stats.
  void member(AgentId id, int tier = 0, UnixMillis idle_since = 0, std::int64_t calls = 0,
              std::int64_t talk_ms = 0, const QueueId& queue = "sales") {
    (void)router_.addAgent(id);  // kConflict when already added for another queue
    ASSERT_TRUE(router_.addMember(queue, id, tier).isOk());
    ASSERT_TRUE(router_.agentBecameAvailable(id, {idle_since, calls, talk_ms}).isOk());
  }
  void call(CallId id, int priority = 0, std::vector<SkillRequirement> skills = {},
            const QueueId& queue = "sales") {
    ASSERT_TRUE(router_.enqueue(queue, {id, priority, now(), std::move(skills)}).isOk());
  }
  // The agent the next offer goes to (0 when none), checking it is one agent.
  AgentId nextAgent(const QueueId& queue = "sales") {
    auto offer = router_.next(queue, now());
    if (!offer) return 0;
    EXPECT_EQ(offer->agents.size(), 1u);
    return offer->agents.front();
  }
  CallId nextCall(const QueueId& queue = "sales") {
    auto offer = router_.next(queue, now());
    return offer ? offer->call : 0;
  }
  // Many calls, so that offers are limited by agents only.
  void manyCalls(int n = 20) {
    for (int i = 0; i < n; ++i) call(1000 + i);
  }

  FakeClock clock_;
  Router router_{42};
};

TEST_F(RouterTest, LongestIdleGetsTheCall) {
  makeQueue(Strategy::kLongestIdle);
  member(1, 0, 3000);
  member(2, 0, 1000);
  member(3, 0, 2000);
  manyCalls();
  EXPECT_EQ(nextAgent(), 2u);
  EXPECT_EQ(nextAgent(), 3u);
  EXPECT_EQ(nextAgent(), 1u);
  EXPECT_EQ(nextAgent(), 0u);
  EXPECT_FALSE(router_.isAvailable(2));
}

TEST_F(RouterTest, NoAgentNoOfferAndTheCallKeepsWaiting) {
  makeQueue(Strategy::kLongestIdle);
  call(1);
  EXPECT_EQ(router_.next("sales", now()), std::nullopt);
  EXPECT_EQ(router_.waitingCount("sales"), 1u);
  member(5);
  EXPECT_EQ(nextCall(), 1u);
  EXPECT_EQ(router_.waitingCount("sales"), 0u);
}

TEST_F(RouterTest, FewestCallsThenLongestIdle) {
  makeQueue(Strategy::kFewestCalls);
  member(1, 0, 1000, 5);
  member(2, 0, 3000, 2);
  member(3, 0, 2000, 2);
  manyCalls();
  EXPECT_EQ(nextAgent(), 3u);
  EXPECT_EQ(nextAgent(), 2u);
  EXPECT_EQ(nextAgent(), 1u);
}

TEST_F(RouterTest, LeastTalkTimeThenLongestIdle) {
  makeQueue(Strategy::kLeastTalkTime);
  member(1, 0, 1000, 1, 90'000);
  member(2, 0, 3000, 9, 30'000);
  member(3, 0, 2000, 9, 30'000);
  manyCalls();
  EXPECT_EQ(nextAgent(), 3u);
  EXPECT_EQ(nextAgent(), 2u);
  EXPECT_EQ(nextAgent(), 1u);
}

TEST_F(RouterTest, LinearTakesMembersTopDown) {
  makeQueue(Strategy::kLinear);
  member(30, 0, 1);
  member(10, 0, 2);
  member(20, 0, 3);
  manyCalls();
  EXPECT_EQ(nextAgent(), 30u);
  ASSERT_TRUE(router_.agentBecameAvailable(30, {9, 1, 0}).isOk());
  EXPECT_EQ(nextAgent(), 30u);  // back at the top: first again
  EXPECT_EQ(nextAgent(), 10u);
  EXPECT_EQ(nextAgent(), 20u);
}

TEST_F(RouterTest, RoundRobinContinuesAfterTheLastOffered) {
  makeQueue(Strategy::kRoundRobin);
  member(30);
  member(10);
  member(20);
  manyCalls();
  EXPECT_EQ(nextAgent(), 30u);
  ASSERT_TRUE(router_.agentBecameAvailable(30, {}).isOk());
  EXPECT_EQ(nextAgent(), 10u);
  ASSERT_TRUE(router_.agentBecameAvailable(10, {}).isOk());
  EXPECT_EQ(nextAgent(), 20u);
  ASSERT_TRUE(router_.agentBecameAvailable(20, {}).isOk());
  EXPECT_EQ(nextAgent(), 30u);  // wraps around
  // 10 is busy: skipped.
  ASSERT_TRUE(router_.agentBecameUnavailable(10).isOk());
  ASSERT_TRUE(router_.agentBecameAvailable(30, {}).isOk());
  EXPECT_EQ(nextAgent(), 20u);
}

TEST_F(RouterTest, RingAllOffersEveryAvailableAgentOfTheTier) {
  makeQueue(Strategy::kRingAll);
  member(1, 0, 300);
  member(2, 0, 100);
  member(3, 1, 50);
  member(4, 0, 200);
  call(7);
  call(8);
  auto offer = router_.next("sales", now());
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->call, 7u);
  EXPECT_EQ(offer->agents, (std::vector<AgentId>{2, 4, 1}));
  EXPECT_EQ(offer->tier, 0);
  for (AgentId a : {1, 2, 4}) EXPECT_FALSE(router_.isAvailable(a));
  auto second = router_.next("sales", now());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->agents, (std::vector<AgentId>{3}));
  EXPECT_EQ(second->tier, 1);
}

TEST_F(RouterTest, RandomIsSeededAndUniformOverAvailable) {
  auto sequence = [](std::uint64_t seed) {
    Router r(seed);
    EXPECT_TRUE(r.addQueue("q", Strategy::kRandom).isOk());
    for (AgentId a = 1; a <= 5; ++a) {
      EXPECT_TRUE(r.addAgent(a).isOk());
      EXPECT_TRUE(r.addMember("q", a).isOk());
      EXPECT_TRUE(r.agentBecameAvailable(a, {}).isOk());
    }
    std::vector<AgentId> picks;
    for (CallId c = 1; c <= 200; ++c) {
      EXPECT_TRUE(r.enqueue("q", {c, 0, 0, {}}).isOk());
      auto offer = r.next("q", 0);
      EXPECT_TRUE(offer.has_value());
      picks.push_back(offer->agents.front());
      EXPECT_TRUE(r.agentBecameAvailable(offer->agents.front(), {}).isOk());
    }
    return picks;
  };
  auto a = sequence(7);
  EXPECT_EQ(a, sequence(7));
  EXPECT_NE(a, sequence(8));
  std::set<AgentId> seen(a.begin(), a.end());
  EXPECT_EQ(seen, (std::set<AgentId>{1, 2, 3, 4, 5}));
}

TEST_F(RouterTest, RandomNeverPicksAnUnavailableAgent) {
  makeQueue(Strategy::kRandom);
  for (AgentId a = 1; a <= 4; ++a) member(a);
  ASSERT_TRUE(router_.agentBecameUnavailable(2).isOk());
  manyCalls();
  std::set<AgentId> got;
  for (int i = 0; i < 3; ++i) got.insert(nextAgent());
  EXPECT_EQ(got, (std::set<AgentId>{1, 3, 4}));
  EXPECT_EQ(nextAgent(), 0u);
}

TEST_F(RouterTest, LowerTierFirstNextTierOnlyWhenNobodyAvailable) {
  makeQueue(Strategy::kLongestIdle);
  member(1, 2, 100);  // tier 2, idle longest of all
  member(2, 1, 500);
  member(3, 1, 400);
  manyCalls();
  EXPECT_EQ(nextAgent(), 3u);
  EXPECT_EQ(nextAgent(), 2u);
  EXPECT_EQ(nextAgent(), 1u);
  // A tier-1 agent back: preferred again over the tier-2 one.
  ASSERT_TRUE(router_.agentBecameAvailable(1, {100, 0, 0}).isOk());
  ASSERT_TRUE(router_.agentBecameAvailable(2, {900, 1, 0}).isOk());
  EXPECT_EQ(nextAgent(), 2u);
}

TEST_F(RouterTest, AgentInSeveralQueuesIsTakenFromAll) {
  makeQueue(Strategy::kLongestIdle, "sales");
  makeQueue(Strategy::kLongestIdle, "support");
  member(1, 0, 0, 0, 0, "sales");
  ASSERT_TRUE(router_.addMember("support", 1).isOk());
  call(10, 0, {}, "sales");
  call(11, 0, {}, "support");
  EXPECT_EQ(nextAgent("support"), 1u);
  EXPECT_EQ(nextAgent("sales"), 0u);
}

TEST_F(RouterTest, HigherPriorityFirstThenArrival) {
  makeQueue(Strategy::kLongestIdle);
  call(1, 0);
  clock_.advance(1s);
  call(2, 5);
  clock_.advance(1s);
  call(3, 0);
  clock_.advance(1s);
  call(4, 5);
  for (AgentId a = 1; a <= 4; ++a) member(a, 0, a);
  EXPECT_EQ(nextCall(), 2u);
  EXPECT_EQ(nextCall(), 4u);
  EXPECT_EQ(nextCall(), 1u);
  EXPECT_EQ(nextCall(), 3u);
}

TEST_F(RouterTest, PriorityChangeWhileWaiting) {
  makeQueue(Strategy::kLongestIdle);
  call(1);
  clock_.advance(1s);
  call(2);
  clock_.advance(1s);
  call(3);
  ASSERT_TRUE(router_.changePriority(3, 10).isOk());
  ASSERT_TRUE(router_.changePriority(1, -1).isOk());
  EXPECT_FALSE(router_.changePriority(99, 1).isOk());
  for (AgentId a = 1; a <= 3; ++a) member(a, 0, a);
  EXPECT_EQ(nextCall(), 3u);
  EXPECT_EQ(nextCall(), 2u);
  EXPECT_EQ(nextCall(), 1u);
}

TEST_F(RouterTest, CancelRemovesTheCall) {
  makeQueue(Strategy::kLongestIdle);
  call(1);
  call(2);
  ASSERT_TRUE(router_.cancel(1).isOk());
  EXPECT_EQ(router_.cancel(1).code(), StatusCode::kNotFound);
  member(1);
  EXPECT_EQ(nextCall(), 2u);
  EXPECT_EQ(router_.waitingCount("sales"), 0u);
}

TEST_F(RouterTest, RequeuedCallKeepsItsPlace) {
  makeQueue(Strategy::kLongestIdle);
  UnixMillis first = now();
  call(1);
  clock_.advance(5s);
  call(2);
  member(9);
  auto offer = router_.next("sales", now());
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->call, 1u);
  // Not answered: the call goes back with its arrival time, the agent too.
  ASSERT_TRUE(router_.enqueue("sales", {1, 0, first, {}}).isOk());
  ASSERT_TRUE(router_.agentBecameAvailable(9, {}).isOk());
  EXPECT_EQ(nextCall(), 1u);
}

TEST_F(RouterTest, RejectsBadInput) {
  makeQueue(Strategy::kSkillsBased);
  EXPECT_EQ(router_.addQueue("sales").code(), StatusCode::kConflict);
  EXPECT_EQ(router_.enqueue("nope", {1, 0, 0, {}}).code(), StatusCode::kNotFound);
  EXPECT_EQ(router_.addMember("sales", 77).code(), StatusCode::kNotFound);
  ASSERT_TRUE(router_.addAgent(1).isOk());
  EXPECT_EQ(router_.setAgentSkill(1, "en", 6).code(), StatusCode::kInvalidValue);
  EXPECT_EQ(router_.enqueue("sales", {1, 0, 0, {{"en", {{0, 9}}}}}).code(),
            StatusCode::kInvalidValue);
  EXPECT_EQ(router_.enqueue("sales", {1, 0, 0, {{"en", {{10, 3}, {5, 2}}}}}).code(),
            StatusCode::kInvalidValue);
  ASSERT_TRUE(router_.enqueue("sales", {1, 0, 0, {}}).isOk());
  EXPECT_EQ(router_.enqueue("sales", {1, 0, 0, {}}).code(), StatusCode::kConflict);
  EXPECT_EQ(router_.removeQueue("sales").code(), StatusCode::kConflict);
}

TEST_F(RouterTest, RemovedMemberAndAgentAreNotOffered) {
  makeQueue(Strategy::kLongestIdle);
  member(1, 0, 1);
  member(2, 0, 2);
  member(3, 0, 3);
  ASSERT_TRUE(router_.removeMember("sales", 1).isOk());
  ASSERT_TRUE(router_.removeAgent(2).isOk());
  manyCalls();
  EXPECT_EQ(nextAgent(), 3u);
  EXPECT_EQ(nextAgent(), 0u);
}

TEST(StrategyName, RoundTrips) {
  for (Strategy s : {Strategy::kLongestIdle, Strategy::kRoundRobin, Strategy::kFewestCalls,
                     Strategy::kLeastTalkTime, Strategy::kRingAll, Strategy::kLinear,
                     Strategy::kRandom, Strategy::kSkillsBased}) {
    EXPECT_EQ(parseStrategy(strategyName(s)), s);
  }
  EXPECT_EQ(parseStrategy("nearest"), std::nullopt);
}

TEST_F(RouterTest, PositionCountsCallsAheadByPriorityThenArrival) {
  makeQueue(Strategy::kLongestIdle);
  call(1);
  clock_.advance(1s);
  call(2);
  clock_.advance(1s);
  call(3, /*priority=*/5);
  EXPECT_EQ(router_.position(3), 1u);
  EXPECT_EQ(router_.position(1), 2u);
  EXPECT_EQ(router_.position(2), 3u);
  ASSERT_TRUE(router_.cancel(1).isOk());
  EXPECT_EQ(router_.position(2), 2u);
  EXPECT_FALSE(router_.position(1).has_value());
  ASSERT_TRUE(router_.changePriority(2, 9).isOk());
  EXPECT_EQ(router_.position(2), 1u);
}

TEST_F(RouterTest, RingAllRingsAtMostTheLimitLongestIdleFirst) {
  makeQueue(Strategy::kRingAll);
  for (AgentId id = 1; id <= kRingAllLimit + 5; ++id) member(id, 0, 1000 * (20 - id));
  call(1);
  call(2);
  auto offer = router_.next("sales", now());
  ASSERT_TRUE(offer.has_value());
  ASSERT_EQ(offer->agents.size(), kRingAllLimit);
  EXPECT_EQ(offer->agents.front(), kRingAllLimit + 5);  // idle since 5000: the longest
  // The ones not rung stay available for the next caller.
  auto second = router_.next("sales", now());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->agents.size(), 5u);
}

}  // namespace
}  // namespace ting::acd
