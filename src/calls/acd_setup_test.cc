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

}  // namespace
}  // namespace ting::calls
