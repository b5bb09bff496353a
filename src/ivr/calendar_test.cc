#include "ivr/calendar.h"

#include <gtest/gtest.h>

namespace ting::ivr {
namespace {

// Local wall-clock time at a UTC offset, as UnixMillis.
UnixMillis at(std::string_view date, int hour, int minute, int offset_minutes) {
  auto day = parseDate(date);
  EXPECT_TRUE(day.has_value()) << date;
  return ((*day * 1440 + hour * 60 + minute) - offset_minutes) * 60'000LL;
}

Calendar chinaOffice() {
  Calendar cal;
  cal.utc_offset_minutes = 8 * 60;
  for (int d = 0; d < 5; ++d) cal.weekly[d] = {*parseTimeRange("09:00-18:00")};
  cal.weekly[1] = {*parseTimeRange("09:00-12:00"), *parseTimeRange("13:00-18:00")};  // tue
  cal.holidays.insert(*parseDate("2026-10-01"));
  cal.workdays.insert(*parseDate("2026-10-11"));  // a Sunday
  return cal;
}

TEST(Calendar, ParsesOffsetsRangesAndDates) {
  EXPECT_EQ(parseUtcOffset("+08:00"), 480);
  EXPECT_EQ(parseUtcOffset("-05:30"), -330);
  EXPECT_EQ(parseUtcOffset("Z"), 0);
  EXPECT_EQ(parseUtcOffset("+14:00"), 840);
  EXPECT_FALSE(parseUtcOffset("+15:00"));
  EXPECT_FALSE(parseUtcOffset("-12:30"));
  EXPECT_FALSE(parseUtcOffset("08:00"));
  EXPECT_FALSE(parseUtcOffset("+8:00"));
  EXPECT_FALSE(parseUtcOffset("+08:60"));

  auto r = parseTimeRange("09:30-24:00");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->start_minute, 570);
  EXPECT_EQ(r->end_minute, 1440);
  EXPECT_FALSE(parseTimeRange("18:00-09:00")) << "overnight ranges are split by the admin";
  EXPECT_FALSE(parseTimeRange("09:00-09:00"));
  EXPECT_FALSE(parseTimeRange("24:00-24:00"));
  EXPECT_FALSE(parseTimeRange("9:00-18:00"));
  EXPECT_FALSE(parseTimeRange("09:00~18:00"));

  EXPECT_EQ(parseDate("1970-01-01"), 0);
  EXPECT_EQ(parseDate("1970-01-02"), 1);
  EXPECT_TRUE(parseDate("2028-02-29"));
  EXPECT_FALSE(parseDate("2026-02-29"));
  EXPECT_FALSE(parseDate("2026-13-01"));
  EXPECT_FALSE(parseDate("2026-1-01"));
  EXPECT_FALSE(parseDate("1969-12-31"));

  EXPECT_EQ(weekdayOf(0), 3) << "1970-01-01 was a Thursday";
  EXPECT_EQ(weekdayOf(*parseDate("2026-10-11")), 6) << "a Sunday";
  EXPECT_EQ(weekdayOf(-1), 2);
  EXPECT_EQ(parseWeekday("sun"), 6);
  EXPECT_FALSE(parseWeekday("Mon"));
}

TEST(Calendar, WeeklyHoursAtTheOffset) {
  Calendar cal = chinaOffice();
  // 2026-10-12 is a Monday.
  EXPECT_FALSE(cal.isOpen(at("2026-10-12", 8, 59, 480)));
  EXPECT_TRUE(cal.isOpen(at("2026-10-12", 9, 0, 480)));
  EXPECT_TRUE(cal.isOpen(at("2026-10-12", 17, 59, 480)));
  EXPECT_FALSE(cal.isOpen(at("2026-10-12", 18, 0, 480))) << "the end is exclusive";
  // Tuesday has a lunch break.
  EXPECT_TRUE(cal.isOpen(at("2026-10-13", 11, 59, 480)));
  EXPECT_FALSE(cal.isOpen(at("2026-10-13", 12, 30, 480)));
  EXPECT_TRUE(cal.isOpen(at("2026-10-13", 13, 0, 480)));
  // Saturday: not listed, closed.
  EXPECT_FALSE(cal.isOpen(at("2026-10-17", 10, 0, 480)));
}

TEST(Calendar, OffsetMovesTheDayAcrossUtcMidnight) {
  Calendar cal = chinaOffice();
  cal.weekly[0] = {*parseTimeRange("07:00-18:00")};
  // Monday 2026-10-12 07:30 in Beijing is Sunday 2026-10-11 23:30 UTC.
  UnixMillis t = at("2026-10-11", 23, 30, 0);
  EXPECT_EQ(t, at("2026-10-12", 7, 30, 480));
  EXPECT_TRUE(cal.isOpen(t));
  cal.utc_offset_minutes = 0;
  EXPECT_FALSE(cal.isOpen(t)) << "23:30 on a Sunday in UTC";
  // Negative offsets: Friday 17:00 in New York (-05:00) is Saturday 22:00 UTC.
  Calendar ny;
  ny.utc_offset_minutes = -300;
  ny.weekly[4] = {*parseTimeRange("09:00-18:00")};
  EXPECT_TRUE(ny.isOpen(at("2026-10-16", 17, 0, -300)));
  EXPECT_EQ(at("2026-10-16", 17, 0, -300), at("2026-10-16", 22, 0, 0));
  EXPECT_FALSE(ny.isOpen(at("2026-10-16", 18, 0, -300)));
}

TEST(Calendar, HolidaysCloseAndWorkdaysOpen) {
  Calendar cal = chinaOffice();
  // 2026-10-01 is a Thursday, but a holiday.
  EXPECT_FALSE(cal.isOpen(at("2026-10-01", 10, 0, 480)));
  EXPECT_TRUE(cal.isOpen(at("2026-10-08", 10, 0, 480))) << "the Thursday after";
  // 2026-10-11 is a Sunday made a workday: Monday's hours.
  EXPECT_TRUE(cal.isOpen(at("2026-10-11", 10, 0, 480)));
  EXPECT_FALSE(cal.isOpen(at("2026-10-11", 18, 30, 480)));
  EXPECT_FALSE(cal.isOpen(at("2026-10-18", 10, 0, 480))) << "the next Sunday is closed";
  // The holiday is a Beijing date: 2026-09-30 23:30 UTC is already 10-01 07:30 there.
  cal.weekly[2] = {*parseTimeRange("00:00-24:00")};  // Wednesday
  cal.weekly[3] = {*parseTimeRange("00:00-24:00")};  // Thursday
  EXPECT_FALSE(cal.isOpen(at("2026-09-30", 23, 30, 0)));
  EXPECT_TRUE(cal.isOpen(at("2026-09-30", 15, 0, 0)));
}

TEST(Calendar, WorkdayHoursOverrideMonday) {
  Calendar cal = chinaOffice();
  cal.workday_hours = std::vector<TimeRange>{*parseTimeRange("10:00-16:00")};
  EXPECT_FALSE(cal.isOpen(at("2026-10-11", 9, 30, 480)));
  EXPECT_TRUE(cal.isOpen(at("2026-10-11", 15, 59, 480)));
}

TEST(Calendar, TimesBeforeTheEpochAndFarAway) {
  Calendar cal;
  for (auto& day : cal.weekly) day = {*parseTimeRange("00:00-24:00")};
  EXPECT_TRUE(cal.isOpen(-1));
  EXPECT_TRUE(cal.isOpen(INT64_MIN));
  EXPECT_TRUE(cal.isOpen(INT64_MAX));
  cal.holidays.insert(-1);
  EXPECT_FALSE(cal.isOpen(-1)) << "1969-12-31";
}

}  // namespace
}  // namespace ting::ivr
