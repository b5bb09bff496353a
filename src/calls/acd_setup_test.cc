#include "calls/acd_setup.h"

#include <gtest/gtest.h>

namespace ting::calls {
namespace {

TEST(QueueSkills, ParsesStepsAndRoundTrips) {
  auto s = parseQueueSkills(
      R"([{"skill":"billing","steps":[{"after_seconds":0,"min_level":5},)"
      R"({"after_seconds":30,"min_level":2}]}])");
  ASSERT_TRUE(s.isOk()) << s.status().message();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].skill, "billing");
  ASSERT_EQ((*s)[0].steps.size(), 2u);
  EXPECT_EQ((*s)[0].steps[1].after_seconds, 30);
  EXPECT_EQ((*s)[0].steps[1].min_level, 2);
  auto again = parseQueueSkills(queueSkillsJson(*s));
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(queueSkillsJson(*again), queueSkillsJson(*s));
}

TEST(QueueSkills, RejectsWithTheFieldNamed) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (const Case& c : {
           Case{"{", "skills"},
           Case{"{}", "skills"},
           Case{"[1]", "skills[0]"},
           Case{R"([{"skill":"a b","steps":[{"after_seconds":0,"min_level":1}]}])", "skills[0].skill"},
           Case{R"([{"skill":"a","steps":[]}])", "skills[0].steps"},
           Case{R"([{"skill":"a","steps":[{"after_seconds":0,"min_level":6}]}])",
                "skills[0].steps[0].min_level"},
           Case{R"([{"skill":"a","steps":[{"after_seconds":5,"min_level":3},)"
                R"({"after_seconds":5,"min_level":2}]}])",
                "skills[0].steps[1].after_seconds"},
           Case{R"([{"skill":"a","steps":[{"after_seconds":"0","min_level":3}]}])",
                "skills[0].steps[0]"},
       }) {
    auto s = parseQueueSkills(c.json);
    ASSERT_FALSE(s.isOk()) << c.json;
    EXPECT_EQ(s.status().field(), c.field) << c.json << ": " << s.status().message();
  }
}

TEST(Overflow, NamesRoundTrip) {
  for (Overflow o : {Overflow::kFallback, Overflow::kQueue, Overflow::kCallback, Overflow::kHangup}) {
    EXPECT_EQ(parseOverflow(overflowName(o)), o);
  }
  EXPECT_FALSE(parseOverflow("voicemail").has_value());
}

TEST(CallSkills, ParsesNamesWithOptionalLevels) {
  auto skills = parseCallSkills(" english:4, billing ,,vip:5");
  ASSERT_TRUE(skills.isOk()) << skills.status().message();
  ASSERT_EQ(skills->size(), 3u);
  EXPECT_EQ((*skills)[0].skill, "english");
  EXPECT_EQ((*skills)[0].steps.front().min_level, 4);
  EXPECT_EQ((*skills)[1].skill, "billing");
  EXPECT_EQ((*skills)[1].steps.front().min_level, 1);
  EXPECT_EQ((*skills)[2].steps.front().after_seconds, 0);
  // Named twice: the last wins.
  auto twice = parseCallSkills("english:2,english:3");
  ASSERT_TRUE(twice.isOk());
  ASSERT_EQ(twice->size(), 1u);
  EXPECT_EQ(twice->front().steps.front().min_level, 3);
  EXPECT_TRUE(parseCallSkills("")->empty());
}

TEST(CallSkills, RejectsBadLevelsAndNames) {
  for (const char* bad : {"english:0", "english:6", "english:", "english:44", "bad name",
                          ":3", "a,b,c,d,e,f,g,h,i"}) {
    auto r = parseCallSkills(bad);
    EXPECT_FALSE(r.isOk()) << bad;
    if (!r.isOk()) EXPECT_EQ(r.status().field(), "skills") << bad;
  }
}

TEST(CallSkills, TheCallsRequirementReplacesTheQueuesForTheSameSkill) {
  auto queue = parseQueueSkills(
      R"([{"skill":"billing","steps":[{"after_seconds":0,"min_level":4},)"
      R"({"after_seconds":30,"min_level":2}]},{"skill":"chinese","steps":[{"after_seconds":0,"min_level":3}]}])");
  ASSERT_TRUE(queue.isOk()) << queue.status().message();
  auto merged = withCallSkills(*queue, *parseCallSkills("billing:5,english:2"));
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].skill, "chinese");
  EXPECT_EQ(merged[1].skill, "billing");
  ASSERT_EQ(merged[1].steps.size(), 1u);
  EXPECT_EQ(merged[1].steps.front().min_level, 5);
  EXPECT_EQ(merged[2].skill, "english");
}

}  // namespace
}  // namespace ting::calls
