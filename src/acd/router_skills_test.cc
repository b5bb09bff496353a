#include <gtest/gtest.h>

#include <chrono>

#include "acd/router.h"

namespace ting::acd {
namespace {

using namespace std::chrono_literals;

// A skills_based queue "vip" with agents given as (id, tier, idle_since, skills).
class SkillsRouterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(router_.addQueue("vip", Strategy::kSkillsBased).isOk()); }

  UnixMillis now() const { return clock_.nowMillis(); }
  void agent(AgentId id, std::vector<std::pair<SkillId, int>> skills, UnixMillis idle_since = 0,
             int tier = 0) {
    ASSERT_TRUE(router_.addAgent(id).isOk());
    for (const auto& [skill, level] : skills) {
      ASSERT_TRUE(router_.setAgentSkill(id, skill, level).isOk());
    }
    ASSERT_TRUE(router_.addMember("vip", id, tier).isOk());
    ASSERT_TRUE(router_.agentBecameAvailable(id, {idle_since, 0, 0}).isOk());
  }
  void call(CallId id, std::vector<SkillRequirement> skills, int priority = 0) {
    ASSERT_TRUE(router_.enqueue("vip", {id, priority, now(), std::move(skills)}).isOk());
  }
  // (call, agent) of the next offer, or (0, 0).
  std::pair<CallId, AgentId> next() {
    auto offer = router_.next("vip", now());
    if (!offer) return {0, 0};
    EXPECT_EQ(offer->agents.size(), 1u);
    return {offer->call, offer->agents.front()};
  }

  FakeClock clock_;
  Router router_;
};

// Bullseye: level 5 at first, 4 after 20 s, 2 after 60 s.
const std::vector<LevelStep> kWidening = {{0, 5}, {20, 4}, {60, 2}};

TEST_F(SkillsRouterTest, HighestProficiencyFirstThenLongestIdle) {
  agent(1, {{"billing", 3}}, 100);
  agent(2, {{"billing", 5}}, 300);
  agent(3, {{"billing", 5}}, 200);
  agent(4, {{"tech", 5}}, 50);
  for (CallId c = 1; c <= 4; ++c) call(c, {{"billing", {{0, 1}}}});
  EXPECT_EQ(next().second, 3u);
  EXPECT_EQ(next().second, 2u);
  EXPECT_EQ(next().second, 1u);
  EXPECT_EQ(next(), (std::pair<CallId, AgentId>{0, 0}));  // agent 4 lacks billing
}

TEST_F(SkillsRouterTest, BullseyeWidensAsTheCallerWaits) {
  agent(1, {{"billing", 3}});
  call(1, {{"billing", kWidening}});
  EXPECT_EQ(next().first, 0u);
  EXPECT_EQ(router_.nextWidening("vip", now()), now() + 20'000);
  clock_.advance(20s);
  EXPECT_EQ(next().first, 0u);  // level 4 still above 3
  EXPECT_EQ(router_.nextWidening("vip", now()), now() + 40'000);
  clock_.advance(39s);
  EXPECT_EQ(next().first, 0u);
  clock_.advance(1s);
  EXPECT_EQ(next(), (std::pair<CallId, AgentId>{1, 1}));
  EXPECT_EQ(router_.nextWidening("vip", now()), std::nullopt);
}

TEST_F(SkillsRouterTest, WideningPrefersAnAgentAtTheNarrowLevelWhenThere) {
  agent(1, {{"billing", 2}}, 100);
  agent(2, {{"billing", 4}}, 900);
  call(1, {{"billing", kWidening}});
  clock_.advance(70s);
  EXPECT_EQ(next().second, 2u);  // best proficiency first, even if idle less long
}

TEST_F(SkillsRouterTest, AllRequiredSkillsMustBeMet) {
  agent(1, {{"billing", 5}}, 100);
  agent(2, {{"billing", 4}, {"english", 2}}, 200);
  agent(3, {{"billing", 4}, {"english", 4}}, 300);
  call(1, {{"billing", {{0, 3}}}, {"english", {{0, 3}}}});
  EXPECT_EQ(next(), (std::pair<CallId, AgentId>{1, 3}));
}

TEST_F(SkillsRouterTest, UnservableHeadDoesNotBlockOtherCalls) {
  agent(1, {{"tech", 3}});
  call(1, {{"billing", {{0, 1}}}}, 9);  // nobody has billing
  call(2, {{"tech", {{0, 1}}}});
  EXPECT_EQ(next(), (std::pair<CallId, AgentId>{2, 1}));
  EXPECT_EQ(router_.waitingCount("vip"), 1u);
}

TEST_F(SkillsRouterTest, PriorityAcrossRequirementGroups) {
  agent(1, {{"tech", 3}, {"billing", 3}});
  call(1, {{"billing", {{0, 1}}}});
  clock_.advance(1s);
  call(2, {{"tech", {{0, 1}}}}, 5);
  EXPECT_EQ(next().first, 2u);
}

TEST_F(SkillsRouterTest, TiersApplyBeforeProficiency) {
  agent(1, {{"billing", 5}}, 0, 1);
  agent(2, {{"billing", 2}}, 0, 0);
  call(1, {{"billing", {{0, 1}}}});
  call(2, {{"billing", {{0, 1}}}});
  EXPECT_EQ(next().second, 2u);
  EXPECT_EQ(next().second, 1u);
}

TEST_F(SkillsRouterTest, NextTierWhenTheFirstHasNobodyQualified) {
  agent(1, {{"billing", 2}}, 0, 0);
  agent(2, {{"billing", 5}}, 0, 1);
  call(1, {{"billing", {{0, 4}}}});
  EXPECT_EQ(next().second, 2u);
}

TEST_F(SkillsRouterTest, SkillChangeWhileAvailableIsSeen) {
  agent(1, {{"billing", 2}});
  call(1, {{"billing", {{0, 4}}}});
  EXPECT_EQ(next().first, 0u);
  ASSERT_TRUE(router_.setAgentSkill(1, "billing", 4).isOk());
  EXPECT_EQ(next(), (std::pair<CallId, AgentId>{1, 1}));
}

TEST_F(SkillsRouterTest, CallWithoutRequirementsTakesLongestIdle) {
  agent(1, {{"billing", 5}}, 500);
  agent(2, {}, 100);
  call(1, {});
  EXPECT_EQ(next().second, 2u);
}

}  // namespace
}  // namespace ting::acd
