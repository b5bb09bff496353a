#include "common/clock.h"

#include <gtest/gtest.h>

namespace ting {

TEST(Timestamp, FormatsUtcWithMillis) {
  EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatTimestamp(1795339800123), "2026-11-22T09:30:00.123Z");
}

TEST(Timestamp, ParsesWhatItFormats) {
  for (UnixMillis t : {UnixMillis{0}, UnixMillis{1795339800123}, UnixMillis{951782400000}}) {
    UnixMillis back = -1;
    ASSERT_TRUE(parseTimestamp(formatTimestamp(t), back)) << t;
    EXPECT_EQ(back, t);
  }
}

TEST(Timestamp, HonoursOffsetsAndRejectsGarbage) {
  UnixMillis t = 0;
  ASSERT_TRUE(parseTimestamp("2026-11-22T17:30:00+08:00", t));
  EXPECT_EQ(formatTimestamp(t), "2026-11-22T09:30:00.000Z");
  EXPECT_FALSE(parseTimestamp("2026-11-22", t));
  EXPECT_FALSE(parseTimestamp("2026-13-22T00:00:00Z", t));
  EXPECT_FALSE(parseTimestamp("2026-11-22T00:00:00Zjunk", t));
  EXPECT_FALSE(parseTimestamp("2026-11-22T00:00:00.Z", t));
}

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.nowMillis(), 1000);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(clock.nowMillis(), 3000);
}

}  // namespace ting
