#pragma once
// Business calendars for SLA clocks: opening hours per weekday in an IANA time
// zone (daylight saving included, through ICU), holidays closed all day and
// extra working days (a weekend worked in exchange for a holiday). SLA targets
// count only open time: "8 business hours" from Friday 17:00 ends Monday
// 16:00 when the center opens 09:00-18:00 on weekdays.

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "ivr/calendar.h"

namespace ting::workorders {

using ivr::CivilDay;
using ivr::TimeRange;

class BusinessCalendar {
 public:
  // Always open: SLA time is wall-clock time.
  BusinessCalendar();
  ~BusinessCalendar();
  BusinessCalendar(const BusinessCalendar&);
  BusinessCalendar& operator=(const BusinessCalendar&);

  // {"time_zone": "Asia/Shanghai",
  //  "weekly": {"mon": ["09:00-12:00", "13:00-18:00"], ..., "sun": []},
  //  "holidays": ["2026-10-01", ...], "workdays": ["2026-10-11"],
  //  "workday_hours": ["09:00-18:00"]}
  // Weekdays not named are closed; a calendar must be open at some time of
  // the week. kInvalidValue naming the field ("weekly.mon[1]", "holidays[3]",
  // "time_zone") otherwise. Ranges of one day must not overlap.
  static Result<BusinessCalendar> fromJson(const boost::json::value& v);
  boost::json::object toJson() const;

  bool alwaysOpen() const { return always_open_; }
  const std::string& timeZone() const { return time_zone_; }

  // True when `t` is inside opening hours.
  bool isOpen(UnixMillis t) const;
  // The instant at which `business_ms` of open time has passed since `start`
  // (`start` itself when business_ms <= 0 — even outside hours).
  UnixMillis addBusinessTime(UnixMillis start, std::int64_t business_ms) const;
  // Open time within [from, to); 0 when to <= from.
  std::int64_t businessTimeBetween(UnixMillis from, UnixMillis to) const;
  // The local civil day of `t` in the calendar's zone (for references such
  // as C20261122-0042).
  CivilDay localDay(UnixMillis t) const;

 private:
  struct Zone;
  bool always_open_ = true;
  std::string time_zone_ = "UTC";
  std::array<std::vector<TimeRange>, 7> weekly_;  // 0 = Monday
  std::set<CivilDay> holidays_;
  std::set<CivilDay> workdays_;
  std::optional<std::vector<TimeRange>> workday_hours_;
  std::shared_ptr<const Zone> zone_;  // immutable once built; shared by copies
};

// Whether `name` is an IANA zone ICU knows ("Asia/Shanghai", "UTC").
bool isKnownTimeZone(const std::string& name);
// The local civil day of `t` in zone `name` (UTC for an unknown zone).
CivilDay localDayIn(const std::string& name, UnixMillis t);
// The offset from UTC of zone `name` at `t`, in ms (0 for an unknown zone).
std::int64_t utcOffsetIn(const std::string& name, UnixMillis t);
// "2026-11-23 18:00": `t` as a local date and time in zone `name`.
std::string formatLocalMinute(const std::string& name, UnixMillis t);

}  // namespace ting::workorders
