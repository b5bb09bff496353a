#include "workorders/business_calendar.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

namespace ting::workorders {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr int kShanghai = 8 * 60;
constexpr int kEst = -5 * 60;
constexpr int kEdt = -4 * 60;

// Local wall-clock time at a UTC offset (minutes), as UnixMillis.
UnixMillis at(std::string_view date, int hour, int minute, int offset_minutes) {
  auto day = ivr::parseDate(date);
  EXPECT_TRUE(day.has_value()) << date;
  return ((day.value_or(0) * 1440 + hour * 60 + minute) - offset_minutes) * kMinute;
}

Result<BusinessCalendar> parse(std::string_view text) {
  return BusinessCalendar::fromJson(boost::json::parse(text));
}

// The calendar described by `text`; a test failure when it does not parse.
BusinessCalendar calendar(std::string_view text) {
  auto cal = parse(text);
  if (!cal.isOk()) {
    ADD_FAILURE() << text << ": " << cal.status().field() << " " << cal.status().message();
    return BusinessCalendar();
  }
  return *cal;
}

constexpr std::string_view kShanghaiOffice = R"({
  "time_zone": "Asia/Shanghai",
  "weekly": {"mon": ["09:00-12:00", "13:00-18:00"], "tue": ["09:00-12:00", "13:00-18:00"],
             "wed": ["09:00-12:00", "13:00-18:00"], "thu": ["09:00-12:00", "13:00-18:00"],
             "fri": ["09:00-12:00", "13:00-18:00"]}})";

constexpr std::string_view kGoldenWeek = R"({
  "weekly": {"mon": ["09:00-12:00", "13:00-18:00"], "tue": ["09:00-12:00", "13:00-18:00"],
             "wed": ["09:00-12:00", "13:00-18:00"], "thu": ["09:00-12:00", "13:00-18:00"],
             "fri": ["09:00-12:00", "13:00-18:00"]},
  "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
  "workdays": ["2026-09-27", "2026-10-11"]})";

constexpr std::string_view kNewYork = R"({
  "time_zone": "America/New_York",
  "weekly": {"sun": ["00:00-24:00"], "mon": ["09:00-17:00"]}})";

TEST(BusinessCalendar, EightHoursFromFridayEveningEndMondayAfternoon) {
  // The example of the header: open 09:00-18:00, no lunch break.
  BusinessCalendar plain = calendar(R"({"weekly": {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"],
      "wed": ["09:00-18:00"], "thu": ["09:00-18:00"], "fri": ["09:00-18:00"]}})");
  EXPECT_EQ(plain.timeZone(), "Asia/Shanghai") << "the default zone";
  UnixMillis friday_five = at("2026-10-16", 17, 0, kShanghai);
  EXPECT_EQ(plain.addBusinessTime(friday_five, 8 * kHour), at("2026-10-19", 16, 0, kShanghai));

  // With a lunch break 12:00-13:00 the same SLA ends an hour later.
  BusinessCalendar office = calendar(kShanghaiOffice);
  UnixMillis due = office.addBusinessTime(friday_five, 8 * kHour);
  EXPECT_EQ(due, at("2026-10-19", 17, 0, kShanghai));
  EXPECT_EQ(office.businessTimeBetween(friday_five, due), 8 * kHour);
  // Three hours from Monday 11:00 skip lunch.
  EXPECT_EQ(office.addBusinessTime(at("2026-10-19", 11, 0, kShanghai), 3 * kHour),
            at("2026-10-19", 15, 0, kShanghai));
  // Ending exactly at a closing time stays on that day.
  EXPECT_EQ(office.addBusinessTime(at("2026-10-19", 13, 0, kShanghai), 5 * kHour),
            at("2026-10-19", 18, 0, kShanghai));
}

TEST(BusinessCalendar, StartOutsideHoursCountsFromTheNextOpening) {
  BusinessCalendar office = calendar(kShanghaiOffice);
  UnixMillis saturday = at("2026-10-17", 10, 30, kShanghai);
  EXPECT_FALSE(office.isOpen(saturday));
  EXPECT_EQ(office.addBusinessTime(saturday, 1), at("2026-10-19", 9, 0, kShanghai) + 1);
  EXPECT_EQ(office.addBusinessTime(saturday, 2 * kHour), at("2026-10-19", 11, 0, kShanghai));
  EXPECT_EQ(office.addBusinessTime(saturday, 0), saturday) << "no time asked, no time moved";
  EXPECT_EQ(office.addBusinessTime(saturday, -kHour), saturday);
  // During lunch.
  EXPECT_EQ(office.addBusinessTime(at("2026-10-19", 12, 15, kShanghai), 30 * kMinute),
            at("2026-10-19", 13, 30, kShanghai));

  EXPECT_EQ(office.businessTimeBetween(saturday, at("2026-10-19", 10, 0, kShanghai)), kHour);
  EXPECT_EQ(office.businessTimeBetween(saturday, saturday), 0);
  EXPECT_EQ(office.businessTimeBetween(saturday + kHour, saturday), 0);

  EXPECT_FALSE(office.isOpen(at("2026-10-19", 8, 59, kShanghai)));
  EXPECT_TRUE(office.isOpen(at("2026-10-19", 9, 0, kShanghai)));
  EXPECT_FALSE(office.isOpen(at("2026-10-19", 12, 0, kShanghai))) << "ends are exclusive";
  EXPECT_TRUE(office.isOpen(at("2026-10-19", 17, 59, kShanghai)));
  EXPECT_FALSE(office.isOpen(at("2026-10-19", 18, 0, kShanghai)));
}

TEST(BusinessCalendar, HolidaysAreSkippedAndWorkdaysCounted) {
  BusinessCalendar cal = calendar(kGoldenWeek);
  // Wednesday 2026-09-30 17:00; Thursday 10-01 and Friday 10-02 are holidays,
  // so the second hour falls on the next Thursday (10-05..07 are holidays too).
  UnixMillis wednesday = at("2026-09-30", 17, 0, kShanghai);
  EXPECT_FALSE(cal.isOpen(at("2026-10-01", 10, 0, kShanghai)));
  EXPECT_EQ(cal.addBusinessTime(wednesday, 2 * kHour), at("2026-10-08", 10, 0, kShanghai));

  // Friday 10-09 17:30 + 1 hour: Sunday 10-11 is a workday with Monday's hours.
  EXPECT_TRUE(cal.isOpen(at("2026-10-11", 9, 0, kShanghai)));
  EXPECT_FALSE(cal.isOpen(at("2026-10-11", 12, 30, kShanghai)));
  EXPECT_EQ(cal.addBusinessTime(at("2026-10-09", 17, 30, kShanghai), kHour),
            at("2026-10-11", 9, 30, kShanghai));
  // The whole week from Monday 10-05: Thursday, Friday and Sunday are open.
  EXPECT_EQ(
      cal.businessTimeBetween(at("2026-10-05", 0, 0, kShanghai), at("2026-10-12", 0, 0, kShanghai)),
      3 * 8 * kHour);

  // Explicit workday hours replace Monday's.
  BusinessCalendar short_workday = calendar(R"({"weekly": {"mon": ["09:00-18:00"]},
      "workdays": ["2026-10-11"], "workday_hours": ["10:00-12:00"]})");
  EXPECT_FALSE(short_workday.isOpen(at("2026-10-11", 9, 30, kShanghai)));
  EXPECT_TRUE(short_workday.isOpen(at("2026-10-11", 11, 0, kShanghai)));
  EXPECT_EQ(short_workday.businessTimeBetween(at("2026-10-11", 0, 0, kShanghai),
                                              at("2026-10-12", 0, 0, kShanghai)),
            2 * kHour);
}

// businessTimeBetween() undoes addBusinessTime(), and addBusinessTime() of what
// businessTimeBetween() found never overshoots.
void checkInverse(const BusinessCalendar& cal, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const UnixMillis first = at("2026-01-01", 0, 0, 0);
  std::uniform_int_distribution<UnixMillis> instant(first, first + 540 * kDay);
  std::uniform_int_distribution<std::int64_t> duration(1, 120 * kHour);
  for (int i = 0; i < 300; ++i) {
    UnixMillis start = instant(rng);
    std::int64_t ms = duration(rng);
    UnixMillis end = cal.addBusinessTime(start, ms);
    ASSERT_EQ(cal.businessTimeBetween(start, end), ms) << "start " << start << " ms " << ms;
    ASSERT_TRUE(cal.isOpen(end - 1)) << "the last counted millisecond is open, start " << start;

    UnixMillis to = start + duration(rng) * 3;
    std::int64_t open = cal.businessTimeBetween(start, to);
    if (open == 0) continue;
    UnixMillis reached = cal.addBusinessTime(start, open);
    ASSERT_LE(reached, to) << "start " << start;
    ASSERT_EQ(cal.businessTimeBetween(reached, to), 0) << "start " << start;
  }
}

TEST(BusinessCalendar, BetweenIsTheInverseOfAdd) {
  checkInverse(calendar(kGoldenWeek), 20261122);
  checkInverse(calendar(kNewYork), 1101);
  checkInverse(calendar(R"({"time_zone": "Australia/Lord_Howe",
      "weekly": {"sun": ["01:00-03:00", "22:00-24:00"], "wed": ["00:00-24:00"]}})"),
               42);
}

TEST(BusinessCalendar, NewYorkDaysAcrossDaylightSaving) {
  BusinessCalendar cal = calendar(kNewYork);
  // Sunday 2026-03-08 has 23 hours: clocks jump from 02:00 EST to 03:00 EDT.
  UnixMillis spring_start = at("2026-03-08", 0, 0, kEst);
  UnixMillis spring_end = at("2026-03-09", 0, 0, kEdt);
  EXPECT_EQ(spring_end - spring_start, 23 * kHour);
  EXPECT_EQ(cal.businessTimeBetween(spring_start - kDay, spring_end + kDay),
            23 * kHour + 8 * kHour);
  EXPECT_EQ(cal.businessTimeBetween(spring_start, spring_end), 23 * kHour);
  EXPECT_FALSE(cal.isOpen(spring_start - 1));
  EXPECT_TRUE(cal.isOpen(spring_start));
  EXPECT_TRUE(cal.isOpen(spring_end - 1));
  EXPECT_FALSE(cal.isOpen(spring_end));
  EXPECT_EQ(cal.addBusinessTime(at("2026-03-07", 12, 0, kEst), 23 * kHour), spring_end);
  EXPECT_EQ(cal.addBusinessTime(at("2026-03-07", 12, 0, kEst), 24 * kHour),
            at("2026-03-09", 10, 0, kEdt));

  // Sunday 2026-11-01 has 25 hours: 01:00-02:00 happens twice.
  UnixMillis fall_start = at("2026-11-01", 0, 0, kEdt);
  UnixMillis fall_end = at("2026-11-02", 0, 0, kEst);
  EXPECT_EQ(fall_end - fall_start, 25 * kHour);
  EXPECT_EQ(cal.businessTimeBetween(fall_start, fall_end), 25 * kHour);
  EXPECT_EQ(cal.addBusinessTime(at("2026-10-31", 12, 0, kEdt), 25 * kHour), fall_end);
  // Monday after: 09:00-17:00 EST is still 8 hours.
  EXPECT_EQ(cal.businessTimeBetween(fall_end, fall_end + kDay), 8 * kHour);
  EXPECT_TRUE(cal.isOpen(at("2026-11-02", 9, 0, kEst)));
  EXPECT_FALSE(cal.isOpen(at("2026-11-02", 9, 0, kEdt))) << "08:00 EST";

  // A 09:00-17:00 day on the day of each change is 8 hours, at local 09:00.
  BusinessCalendar sunday = calendar(R"({"time_zone": "America/New_York",
      "weekly": {"sun": ["09:00-17:00"]}})");
  EXPECT_EQ(sunday.businessTimeBetween(spring_start, spring_end), 8 * kHour);
  EXPECT_EQ(sunday.addBusinessTime(spring_start, 1), at("2026-03-08", 9, 0, kEdt) + 1);
  EXPECT_EQ(sunday.businessTimeBetween(fall_start, fall_end), 8 * kHour);
  EXPECT_EQ(sunday.addBusinessTime(fall_start, 1), at("2026-11-01", 9, 0, kEst) + 1);

  EXPECT_EQ(cal.localDay(spring_start - 1), *ivr::parseDate("2026-03-07"));
  EXPECT_EQ(cal.localDay(spring_start), *ivr::parseDate("2026-03-08"));
  EXPECT_EQ(cal.localDay(fall_end - 1), *ivr::parseDate("2026-11-01"));
  EXPECT_EQ(cal.localDay(fall_end), *ivr::parseDate("2026-11-02"));
}

TEST(BusinessCalendar, SkippedWallTimesStartAtTheJumpAndRepeatedOnesAtTheFirstOccurrence) {
  // 02:30 does not exist on 2026-03-08: the range opens when clocks reach 03:00 EDT.
  BusinessCalendar gap = calendar(R"({"time_zone": "America/New_York",
      "weekly": {"sun": ["02:30-04:00"]}})");
  UnixMillis jump = at("2026-03-08", 3, 0, kEdt);
  EXPECT_EQ(jump, at("2026-03-08", 2, 0, kEst));
  EXPECT_FALSE(gap.isOpen(jump - 1));
  EXPECT_TRUE(gap.isOpen(jump));
  EXPECT_EQ(gap.businessTimeBetween(jump - kDay, jump + kDay), kHour);
  EXPECT_EQ(gap.addBusinessTime(jump - 5 * kHour, kHour), at("2026-03-08", 4, 0, kEdt));

  // 01:00-01:30 happens twice on 2026-11-01; the range is the first (EDT) one.
  BusinessCalendar repeat = calendar(R"({"time_zone": "America/New_York",
      "weekly": {"sun": ["01:00-01:30"]}})");
  EXPECT_TRUE(repeat.isOpen(at("2026-11-01", 1, 15, kEdt)));
  EXPECT_FALSE(repeat.isOpen(at("2026-11-01", 1, 15, kEst)));
  EXPECT_EQ(repeat.businessTimeBetween(at("2026-11-01", 0, 0, kEdt), at("2026-11-02", 0, 0, kEst)),
            30 * kMinute);
  EXPECT_EQ(repeat.addBusinessTime(at("2026-11-01", 0, 0, kEdt), 10 * kMinute),
            at("2026-11-01", 1, 10, kEdt));
}

TEST(BusinessCalendar, ParseErrorsNameTheField) {
  std::string nine_ranges = R"({"weekly": {"mon": [)";
  for (int h = 0; h < 9; ++h) {
    nine_ranges += (h ? ", \"" : "\"") + std::string("0") + std::to_string(h) + ":00-0" +
                   std::to_string(h) + ":30\"";
  }
  nine_ranges += "]}}";
  std::string many_holidays = R"({"weekly": {"mon": ["09:00-18:00"]}, "holidays": [)";
  for (int i = 0; i < 1001; ++i) many_holidays += (i ? ", " : "") + std::string("\"2026-10-01\"");
  many_holidays += "]}";

  struct Case {
    std::string json;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"weekly": {"mon": ["09:00-12:00", "11:00-13:00"]}})", "weekly.mon[1]"},
      {R"({"weekly": {"mon": ["09:00-12:00", "13:00-18:00", "08:00-09:30"]}})", "weekly.mon[2]"},
      {R"({"weekly": {"funday": ["09:00-12:00"]}})", "weekly.funday"},
      {R"({"weekly": {"Mon": ["09:00-12:00"]}})", "weekly.Mon"},
      {R"({"weekly": {"mon": ["9:00-18:00"]}})", "weekly.mon[0]"},
      {R"({"weekly": {"mon": [900]}})", "weekly.mon[0]"},
      {R"({"weekly": {"mon": "09:00-18:00"}})", "weekly.mon"},
      {R"({"weekly": ["09:00-18:00"]})", "weekly"},
      {R"({"weekly": {"mon": [], "sun": []}})", "weekly"},
      {R"({"time_zone": "UTC"})", "weekly"},
      {nine_ranges, "weekly.mon"},
      {R"({"weekly": {"mon": ["09:00-18:00"]},
           "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-02-30"]})",
       "holidays[3]"},
      {R"({"weekly": {"mon": ["09:00-18:00"]}, "holidays": "2026-10-01"})", "holidays"},
      {many_holidays, "holidays"},
      {R"({"weekly": {"mon": ["09:00-18:00"]}, "workdays": ["2026/10/11"]})", "workdays[0]"},
      {R"({"weekly": {"mon": ["09:00-18:00"]}, "holidays": ["2026-10-11"],
           "workdays": ["2026-10-10", "2026-10-11"]})",
       "workdays[1]"},
      {R"({"weekly": {"mon": ["09:00-18:00"]}, "workday_hours": ["18:00-09:00"]})",
       "workday_hours[0]"},
      {R"({"time_zone": "Mars/Olympus", "weekly": {"mon": ["09:00-18:00"]}})", "time_zone"},
      {R"({"time_zone": "GMT+08:00", "weekly": {"mon": ["09:00-18:00"]}})", "time_zone"},
      {R"({"time_zone": "asia/shanghai", "weekly": {"mon": ["09:00-18:00"]}})", "time_zone"},
      {R"({"time_zone": 8, "weekly": {"mon": ["09:00-18:00"]}})", "time_zone"},
      {R"({"weekly": {"mon": ["09:00-18:00"]}, "colour": "blue"})", "colour"},
      {R"({"always_open": true, "time_zone": "UTC"})", "always_open"},
      {R"({"always_open": false})", "always_open"},
      {R"(["09:00-18:00"])", ""},
  };
  for (const auto& c : cases) {
    auto cal = parse(c.json);
    ASSERT_FALSE(cal.isOk()) << c.json;
    EXPECT_EQ(cal.status().code(), StatusCode::kInvalidValue) << c.json;
    EXPECT_EQ(cal.status().field(), c.field) << c.json << ": " << cal.status().message();
    EXPECT_FALSE(cal.status().message().empty());
  }
}

TEST(BusinessCalendar, JsonRoundTrip) {
  BusinessCalendar cal = calendar(R"({"time_zone": "Asia/Shanghai",
      "weekly": {"sat": ["10:00-24:00"], "mon": ["13:00-18:00", "09:00-12:00"], "sun": []},
      "holidays": ["2026-10-02", "2026-10-01", "2026-10-01"], "workdays": ["2026-10-11"],
      "workday_hours": ["09:00-18:00"]})");
  EXPECT_FALSE(cal.alwaysOpen());
  EXPECT_EQ(boost::json::serialize(cal.toJson()),
            R"({"time_zone":"Asia/Shanghai",)"
            R"("weekly":{"mon":["09:00-12:00","13:00-18:00"],"sat":["10:00-24:00"]},)"
            R"("holidays":["2026-10-01","2026-10-02"],"workdays":["2026-10-11"],)"
            R"("workday_hours":["09:00-18:00"]})");

  auto again = BusinessCalendar::fromJson(cal.toJson());
  ASSERT_TRUE(again.isOk()) << again.status().message();
  EXPECT_EQ(again->toJson(), cal.toJson());
  UnixMillis t = at("2026-09-28", 0, 0, kShanghai);
  for (int i = 0; i < 14 * 24; ++i, t += kHour) {
    EXPECT_EQ(again->isOpen(t), cal.isOpen(t)) << t;
    EXPECT_EQ(again->addBusinessTime(t, 5 * kHour), cal.addBusinessTime(t, 5 * kHour)) << t;
  }

  // Without time_zone, the default is written out.
  BusinessCalendar implicit = calendar(R"({"weekly": {"fri": ["09:00-18:00"]}})");
  EXPECT_EQ(boost::json::serialize(implicit.toJson()),
            R"({"time_zone":"Asia/Shanghai","weekly":{"fri":["09:00-18:00"]}})");

  BusinessCalendar always;
  EXPECT_EQ(boost::json::serialize(always.toJson()), R"({"always_open":true})");
  auto always_again = BusinessCalendar::fromJson(always.toJson());
  ASSERT_TRUE(always_again.isOk()) << always_again.status().message();
  EXPECT_TRUE(always_again->alwaysOpen());
}

TEST(BusinessCalendar, AlwaysOpenIsWallClockArithmetic) {
  BusinessCalendar cal;
  EXPECT_TRUE(cal.alwaysOpen());
  EXPECT_EQ(cal.timeZone(), "UTC");
  UnixMillis saturday = at("2026-10-17", 3, 0, 0);
  EXPECT_TRUE(cal.isOpen(saturday));
  EXPECT_EQ(cal.addBusinessTime(saturday, 8 * kHour), saturday + 8 * kHour);
  EXPECT_EQ(cal.addBusinessTime(saturday, -5), saturday);
  EXPECT_EQ(cal.businessTimeBetween(saturday, saturday + 3 * kDay), 3 * kDay);
  EXPECT_EQ(cal.businessTimeBetween(saturday, saturday - 1), 0);
  EXPECT_EQ(cal.localDay(at("2026-11-22", 23, 59, 0)), *ivr::parseDate("2026-11-22"));
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(cal.addBusinessTime(kMax - 10, 100), kMax) << "saturates";
  EXPECT_EQ(cal.businessTimeBetween(kMin, kMax), kMax) << "saturates";
}

TEST(BusinessCalendar, LocalDayAtShanghaiMidnight) {
  BusinessCalendar cal = calendar(kShanghaiOffice);
  UnixMillis before = at("2026-11-22", 23, 59, kShanghai);
  UnixMillis midnight = at("2026-11-23", 0, 0, kShanghai);
  EXPECT_EQ(midnight, at("2026-11-22", 16, 0, 0)) << "UTC+8, no DST";
  EXPECT_EQ(cal.localDay(before), *ivr::parseDate("2026-11-22"));
  EXPECT_EQ(cal.localDay(midnight - 1), *ivr::parseDate("2026-11-22"));
  EXPECT_EQ(cal.localDay(midnight), *ivr::parseDate("2026-11-23"));
  // In UTC it is still the 22nd.
  EXPECT_EQ(localDayIn("UTC", midnight), *ivr::parseDate("2026-11-22"));
  EXPECT_EQ(localDayIn("Asia/Shanghai", midnight), *ivr::parseDate("2026-11-23"));
  EXPECT_EQ(localDayIn("No/Such_Zone", midnight), *ivr::parseDate("2026-11-22")) << "UTC";
  // Before 1970 days are negative.
  EXPECT_EQ(localDayIn("UTC", -1), -1);
  EXPECT_EQ(localDayIn("Asia/Shanghai", -1), 0);
}

TEST(BusinessCalendar, KnownTimeZones) {
  EXPECT_TRUE(isKnownTimeZone("Asia/Shanghai"));
  EXPECT_TRUE(isKnownTimeZone("America/New_York"));
  EXPECT_TRUE(isKnownTimeZone("UTC"));
  EXPECT_FALSE(isKnownTimeZone(""));
  EXPECT_FALSE(isKnownTimeZone("Mars/Olympus"));
  EXPECT_FALSE(isKnownTimeZone("Etc/Unknown"));
  EXPECT_FALSE(isKnownTimeZone("GMT+08:00")) << "custom offsets are not IANA names";
  EXPECT_FALSE(isKnownTimeZone(std::string(100, 'A')));
  EXPECT_FALSE(isKnownTimeZone(std::string("Asia/Shanghai\0", 14)));
}

TEST(BusinessCalendar, WalkGivesUpOnYearsOfHolidays) {
  // Open on Sundays only, and the next 1000 Sundays (19 years) are holidays:
  // past the walk's bound the answer is wall-clock time.
  std::string text = R"({"weekly": {"sun": ["09:00-18:00"]}, "holidays": [)";
  const CivilDay first_sunday = *ivr::parseDate("2026-10-04");
  for (int i = 0; i < 1000; ++i) {
    std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{first_sunday + 7 * i}}};
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    text += (i ? ", \"" : "\"") + std::string(date) + "\"";
  }
  text += "]}";
  BusinessCalendar cal = calendar(text);
  UnixMillis start = at("2026-10-01", 12, 0, kShanghai);
  EXPECT_EQ(cal.addBusinessTime(start, kHour), start + kHour);
  EXPECT_EQ(cal.businessTimeBetween(start, start + 365 * kDay), 0);
  // Sunday 2026-09-27 was not a holiday.
  EXPECT_EQ(cal.addBusinessTime(at("2026-09-27", 12, 0, kShanghai), kHour),
            at("2026-09-27", 13, 0, kShanghai));
}

TEST(BusinessCalendar, FarInstantsCountAsOpen) {
  BusinessCalendar cal = calendar(kShanghaiOffice);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_TRUE(cal.isOpen(kMin));
  EXPECT_TRUE(cal.isOpen(kMax));
  EXPECT_EQ(cal.addBusinessTime(kMax - 10, kMax), kMax);
  EXPECT_EQ(cal.addBusinessTime(kMin, 5), kMin + 5);
  EXPECT_GT(cal.businessTimeBetween(kMin, kMax), 0);
  EXPECT_LT(cal.localDay(kMin), 0);
  EXPECT_GT(cal.localDay(kMax), 0);
  // A huge SLA from a normal instant: the walk gives up rather than loop.
  UnixMillis monday = at("2026-10-19", 9, 0, kShanghai);
  EXPECT_EQ(cal.addBusinessTime(monday, kMax), kMax);
}

TEST(BusinessCalendar, CopiesShareTheZoneAndOutliveTheOriginal) {
  BusinessCalendar copy;
  {
    BusinessCalendar original = calendar(kNewYork);
    copy = original;
  }
  EXPECT_EQ(copy.timeZone(), "America/New_York");
  EXPECT_EQ(copy.businessTimeBetween(at("2026-03-08", 0, 0, kEst), at("2026-03-09", 0, 0, kEdt)),
            23 * kHour);
}

TEST(BusinessCalendar, ConcurrentQueriesAgree) {
  const BusinessCalendar cal = calendar(kNewYork);
  auto run = [&cal](std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<UnixMillis> instant(at("2026-01-01", 0, 0, 0),
                                                      at("2027-01-01", 0, 0, 0));
    std::vector<UnixMillis> out;
    for (int i = 0; i < 200; ++i) {
      out.push_back(cal.addBusinessTime(instant(rng), 30 * kHour));
      out.push_back(cal.localDay(instant(rng)));
    }
    return out;
  };
  std::vector<std::vector<UnixMillis>> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = run(7); });
  }
  for (auto& t : threads) t.join();
  const auto expected = run(7);
  for (const auto& r : results) EXPECT_EQ(r, expected);
}

}  // namespace
}  // namespace ting::workorders
