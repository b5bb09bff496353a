#include "ivr/calendar.h"

#include <chrono>

namespace ting::ivr {

namespace {

constexpr std::int64_t kMillisPerMinute = 60'000;
constexpr std::int64_t kMinutesPerDay = 1440;

// Two decimal digits at s[pos], or -1.
int twoDigits(std::string_view s, std::size_t pos) {
  if (pos + 2 > s.size()) return -1;
  char a = s[pos], b = s[pos + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

// "HH:MM" → minutes; "24:00" allowed when `allow_24`.
std::optional<int> parseClock(std::string_view s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  int h = twoDigits(s, 0), m = twoDigits(s, 3);
  if (h < 0 || m < 0 || m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return 1440;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool inRanges(const std::vector<TimeRange>& ranges, int minute) {
  for (const auto& r : ranges) {
    if (minute >= r.start_minute && minute < r.end_minute) return true;
  }
  return false;
}

}  // namespace

std::optional<int> parseUtcOffset(std::string_view s) {
  if (s == "Z") return 0;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  int h = twoDigits(s, 1), m = twoDigits(s, 4);
  if (h < 0 || m < 0 || m > 59) return std::nullopt;
  int minutes = (h * 60 + m) * (s[0] == '-' ? -1 : 1);
  if (minutes < -12 * 60 || minutes > 14 * 60) return std::nullopt;
  return minutes;
}

std::optional<TimeRange> parseTimeRange(std::string_view s) {
  if (s.size() != 11 || s[5] != '-') return std::nullopt;
  auto start = parseClock(s.substr(0, 5), false);
  auto end = parseClock(s.substr(6), true);
  if (!start || !end || *start >= *end) return std::nullopt;
  return TimeRange{*start, *end};
}

std::optional<CivilDay> parseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y1 = twoDigits(s, 0), y2 = twoDigits(s, 2), m = twoDigits(s, 5), d = twoDigits(s, 8);
  if (y1 < 0 || y2 < 0 || m < 0 || d < 0) return std::nullopt;
  int year = y1 * 100 + y2;
  if (year < 1970 || year > 2199) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{year},
                                  std::chrono::month{static_cast<unsigned>(m)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return CivilDay{std::chrono::sys_days{ymd}.time_since_epoch().count()};
}

int weekdayOf(CivilDay day) {
  // 1970-01-01 was a Thursday (index 3).
  return static_cast<int>(((day + 3) % 7 + 7) % 7);
}

std::optional<int> parseWeekday(std::string_view s) {
  static constexpr std::string_view kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < 7; ++i) {
    if (s == kNames[i]) return i;
  }
  return std::nullopt;
}

const std::vector<TimeRange>& Calendar::hoursOfWorkday() const {
  return workday_hours ? *workday_hours : weekly[0];
}

bool Calendar::isOpen(UnixMillis now) const {
  std::int64_t local_minutes = floorDiv(now, kMillisPerMinute) + utc_offset_minutes;
  CivilDay day = floorDiv(local_minutes, kMinutesPerDay);
  int minute = static_cast<int>(local_minutes - day * kMinutesPerDay);
  if (holidays.contains(day)) return false;
  if (workdays.contains(day)) return inRanges(hoursOfWorkday(), minute);
  return inRanges(weekly[weekdayOf(day)], minute);
}

}  // namespace ting::ivr
