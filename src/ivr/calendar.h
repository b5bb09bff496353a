#pragma once
// Business hours: when is a tenant's contact center open? A Calendar holds
// opening hours per weekday in one fixed UTC offset (no global time zone, no
// daylight saving), plus holidays (closed all day) and extra working days.

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace ting::ivr {

// Minutes since local midnight, start inclusive, end exclusive; end may be
// 1440 ("24:00").
struct TimeRange {
  int start_minute = 0;
  int end_minute = 0;
};

// Days since 1970-01-01 (negative before it).
using CivilDay = std::int64_t;

struct Calendar {
  int utc_offset_minutes = 0;
  // Opening hours, index 0 = Monday ... 6 = Sunday. An empty vector means
  // closed that day.
  std::array<std::vector<TimeRange>, 7> weekly;
  std::set<CivilDay> holidays;  // closed all day
  std::set<CivilDay>
      workdays;  // open with workday_hours (e.g. a Sunday worked instead of a holiday)
  // The hours of a workday; when not given, Monday's hours.
  std::optional<std::vector<TimeRange>> workday_hours;

  // The hours that apply to a workday.
  const std::vector<TimeRange>& hoursOfWorkday() const;
  // True when `now` falls inside opening hours at the calendar's UTC offset.
  // Holidays win over the weekly hours; workdays replace them.
  bool isOpen(UnixMillis now) const;
};

// "+08:00", "-05:30", "+00:00" (also "Z"), from -12:00 to +14:00.
std::optional<int> parseUtcOffset(std::string_view s);
// "09:00-18:00" (end may be "24:00", start before end).
std::optional<TimeRange> parseTimeRange(std::string_view s);
// "2026-10-01", a real date between 1970 and 2199.
std::optional<CivilDay> parseDate(std::string_view s);
// 0 = Monday ... 6 = Sunday.
int weekdayOf(CivilDay day);
// "mon" ... "sun" → 0 ... 6.
std::optional<int> parseWeekday(std::string_view s);

}  // namespace ting::ivr
