#include "workorders/business_calendar.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/ucal.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string_view>

namespace ting::workorders {

namespace json = boost::json;

// The calendar's ICU zone. Only const ICU methods are called on it after it
// is built, and ICU promises that const methods of one object may run on many
// threads at once (ICU User Guide, "Thread-safe const APIs"). So one instance
// is shared, without a lock or per-call clones, by every copy of a calendar,
// every calendar of the same zone and localDayIn().
struct BusinessCalendar::Zone {
  std::shared_ptr<const icu::BasicTimeZone> tz;
};

namespace {

constexpr std::int64_t kMillisPerMinute = 60'000;
constexpr std::int64_t kMillisPerDay = 86'400'000;
constexpr std::size_t kMaxRangesPerDay = 8;
// Bounds what a tenant (or a fuzzer) can make us allocate.
constexpr std::size_t kMaxDates = 1000;
constexpr std::size_t kMaxZoneNameLength = 64;
// There are about 600 IANA names; the bound only guards against a flood of
// aliases.
constexpr std::size_t kMaxCachedZones = 1024;
constexpr std::string_view kDefaultTimeZone = "Asia/Shanghai";
// A calendar is open some time every week, so the walk of addBusinessTime()
// only runs this long when holidays close weeks on end. It then gives up and
// answers wall-clock time rather than loop for years.
constexpr std::int64_t kMaxWalkDays = 3700;
// businessTimeBetween() counts at most ~10 years from `from`; no SLA spans more.
constexpr std::int64_t kMaxSpanMillis = 3653 * kMillisPerDay;

constexpr std::int64_t daysFromCivil(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} /
                               std::chrono::day{day}}
      .time_since_epoch()
      .count();
}

// Instants outside [kMinInstant, kMaxInstant) count as open (wall-clock time):
// they are corrupt input rather than SLA deadlines, and keeping every walk
// inside a few centuries keeps the day arithmetic far from overflow.
constexpr UnixMillis kMinInstant = daysFromCivil(1900, 1, 1) * kMillisPerDay;
constexpr UnixMillis kMaxInstant = daysFromCivil(2400, 1, 1) * kMillisPerDay;
// What ICU is asked about; wider than the window because walks may run
// kMaxWalkDays past it.
constexpr UnixMillis kMinIcuInstant = daysFromCivil(1800, 1, 1) * kMillisPerDay;
constexpr UnixMillis kMaxIcuInstant = daysFromCivil(2600, 1, 1) * kMillisPerDay;

std::int64_t saturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

std::int64_t saturatingSub(std::int64_t a, std::int64_t b) {
  std::int64_t diff = 0;
  if (__builtin_sub_overflow(a, b, &diff)) {
    return b < 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return diff;
}

// The civil day of `t` shifted by `offset` ms, without overflow for any `t`.
CivilDay localDayAt(UnixMillis t, std::int64_t offset) {
  CivilDay day = t / kMillisPerDay;
  std::int64_t ms_of_day = t % kMillisPerDay;
  if (ms_of_day < 0) {
    --day;
    ms_of_day += kMillisPerDay;
  }
  std::int64_t shifted = ms_of_day + offset;  // |offset| is less than a day
  if (shifted < 0) return day - 1;
  if (shifted >= kMillisPerDay) return day + 1;
  return day;
}

// UTC offset (ms, DST included) of `tz` at instant `t`.
std::int64_t offsetAt(const icu::BasicTimeZone& tz, UnixMillis t) {
  std::int32_t raw = 0, dst = 0;
  UErrorCode ec = U_ZERO_ERROR;
  tz.getOffset(static_cast<UDate>(std::clamp(t, kMinIcuInstant, kMaxIcuInstant)), false, raw, dst,
               ec);
  return U_SUCCESS(ec) ? std::int64_t{raw} + dst : 0;
}

// The instant at which the wall clock of `tz` shows `local` (ms since
// 1970-01-01 00:00 local). A duplicated wall time (clocks set back) is its
// first occurrence; a skipped one (clocks set forward) is the end of the gap,
// which keeps the mapping monotonic: a range starting or ending inside the gap
// starts or ends when the clocks jump. The caller keeps `local` within a few
// centuries of now.
UnixMillis localToUtc(const icu::BasicTimeZone& tz, std::int64_t local) {
  std::int32_t raw = 0, dst = 0;
  UErrorCode ec = U_ZERO_ERROR;
  tz.getOffsetFromLocal(static_cast<UDate>(local), UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw,
                        dst, ec);
  if (U_FAILURE(ec)) return local;
  UnixMillis t = local - (std::int64_t{raw} + dst);
  if (t + offsetAt(tz, t) == local) return t;
  // `local` is in a gap. FORMER read it with the offset from before the jump,
  // which puts `t` at or after the transition by as much as `local` is past
  // the gap's start; the transition itself is the gap's end.
  icu::TimeZoneTransition transition;
  if (tz.getPreviousTransition(static_cast<UDate>(t), true, transition)) {
    auto at = static_cast<UnixMillis>(transition.getTime());
    if (at <= t && t - at < kMillisPerDay) return at;
  }
  return t;
}

std::shared_ptr<const icu::BasicTimeZone> loadZone(const std::string& name) {
  if (name.empty() || name.size() > kMaxZoneNameLength) return nullptr;
  icu::UnicodeString id = icu::UnicodeString::fromUTF8(name);
  // Only IANA names: ICU would also build custom zones such as "GMT+08:00",
  // and "Etc/Unknown" is its placeholder for a name it does not know.
  icu::UnicodeString canonical;
  UBool is_system_id = false;
  UErrorCode ec = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, is_system_id, ec);
  if (U_FAILURE(ec) || !is_system_id) return nullptr;
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(id));
  if (!tz || *tz == icu::TimeZone::getUnknown()) return nullptr;
  // Zones built from IANA data are OlsonTimeZone, a BasicTimeZone.
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get());
  if (basic == nullptr) return nullptr;
  tz.release();
  return std::shared_ptr<const icu::BasicTimeZone>(basic);
}

// The zone named `name`, or null when ICU does not know it as an IANA zone.
std::shared_ptr<const icu::BasicTimeZone> zoneNamed(const std::string& name) {
  static std::mutex mu;
  // Guarded by mu. Leaked on purpose: calendars may be used during exit.
  static auto& cache =
      *new std::map<std::string, std::shared_ptr<const icu::BasicTimeZone>, std::less<>>();
  std::lock_guard lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  auto zone = loadZone(name);
  if (zone && cache.size() < kMaxCachedZones) cache.emplace(name, zone);
  return zone;
}

struct Interval {
  UnixMillis begin = 0;
  UnixMillis end = 0;
};

// The open intervals of one civil day, in order.
struct DayIntervals {
  std::array<Interval, kMaxRangesPerDay> items;
  std::size_t size = 0;

  const Interval* begin() const { return items.data(); }
  const Interval* end() const { return items.data() + size; }
};

// The opening hours of a calendar with hours, mapped to instants day by day.
// Every query (isOpen, the walks) goes through intervals(), so they agree on
// what DST gaps and repeats mean.
class OpenHours {
 public:
  OpenHours(const std::array<std::vector<TimeRange>, 7>& weekly, const std::set<CivilDay>& holidays,
            const std::set<CivilDay>& workdays,
            const std::optional<std::vector<TimeRange>>& workday_hours,
            const icu::BasicTimeZone& tz)
      : weekly_(weekly),
        holidays_(holidays),
        workdays_(workdays),
        workday_hours_(workday_hours),
        tz_(tz) {}

  CivilDay localDay(UnixMillis t) const { return localDayAt(t, offsetAt(tz_, t)); }

  // Intervals of different days never overlap and come in day order, because
  // localToUtc() is monotonic.
  DayIntervals intervals(CivilDay day) const {
    DayIntervals out;
    std::int64_t midnight = day * kMillisPerDay;
    for (const auto& range : hoursOf(day)) {
      UnixMillis begin = localToUtc(tz_, midnight + range.start_minute * kMillisPerMinute);
      UnixMillis end = localToUtc(tz_, midnight + range.end_minute * kMillisPerMinute);
      // A range inside a DST gap never happens.
      if (begin < end && out.size < out.items.size()) out.items[out.size++] = {begin, end};
    }
    return out;
  }

  bool isOpen(UnixMillis t) const {
    // An interval of day d lies between the instants of d 00:00 and d+1 00:00,
    // and local days are never shifted by a whole day, so the neighbours suffice.
    CivilDay day = localDay(t);
    for (CivilDay d = day - 1; d <= day + 1; ++d) {
      for (const auto& interval : intervals(d)) {
        if (interval.begin <= t && t < interval.end) return true;
      }
    }
    return false;
  }

  // nullopt when the walk ends before `business_ms` of open time.
  std::optional<UnixMillis> add(UnixMillis start, std::int64_t business_ms) const {
    // No day has more than 48 hours of open time; skip a walk that must fail.
    if (business_ms > 2 * kMaxWalkDays * kMillisPerDay) return std::nullopt;
    std::int64_t remaining = business_ms;
    UnixMillis cursor = start;
    CivilDay first = localDay(start) - 1;
    for (CivilDay day = first; day < first + kMaxWalkDays; ++day) {
      for (const auto& interval : intervals(day)) {
        UnixMillis begin = std::max(interval.begin, cursor);
        if (interval.end <= begin) continue;
        if (remaining <= interval.end - begin) return begin + remaining;
        remaining -= interval.end - begin;
        cursor = interval.end;
      }
    }
    return std::nullopt;
  }

  // Requires kMinInstant <= from < to <= kMaxInstant.
  std::int64_t between(UnixMillis from, UnixMillis to) const {
    to = std::min(to, from + kMaxSpanMillis);
    std::int64_t total = 0;
    CivilDay last = localDay(to) + 1;
    for (CivilDay day = localDay(from) - 1; day <= last; ++day) {
      for (const auto& interval : intervals(day)) {
        UnixMillis begin = std::max(interval.begin, from);
        UnixMillis end = std::min(interval.end, to);
        if (begin < end) total += end - begin;
      }
    }
    return total;
  }

 private:
  const std::vector<TimeRange>& hoursOf(CivilDay day) const {
    static const std::vector<TimeRange> kClosed;
    if (holidays_.contains(day)) return kClosed;
    if (workdays_.contains(day)) return workday_hours_ ? *workday_hours_ : weekly_[0];
    return weekly_[ivr::weekdayOf(day)];
  }

  const std::array<std::vector<TimeRange>, 7>& weekly_;
  const std::set<CivilDay>& holidays_;
  const std::set<CivilDay>& workdays_;
  const std::optional<std::vector<TimeRange>>& workday_hours_;
  const icu::BasicTimeZone& tz_;
};

bool inWindow(UnixMillis t) {
  return t >= kMinInstant && t < kMaxInstant;
}

std::string formatRange(const TimeRange& range) {
  char buf[32];  // room for any int, though minutes stay within 0..1440
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", range.start_minute / 60,
                range.start_minute % 60, range.end_minute / 60, range.end_minute % 60);
  return buf;
}

std::string formatDate(CivilDay day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string itemField(const std::string& field, std::size_t index) {
  return field + "[" + std::to_string(index) + "]";
}

// Ranges of one day, sorted by start.
Result<std::vector<TimeRange>> readRanges(const json::value& v, const std::string& field) {
  const json::array* items = v.if_array();
  if (items == nullptr)
    return invalidValue("must be an array of hours like \"09:00-18:00\"", field);
  if (items->size() > kMaxRangesPerDay) {
    return invalidValue("at most " + std::to_string(kMaxRangesPerDay) + " ranges of hours a day",
                        field);
  }
  std::vector<TimeRange> ranges;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const json::string* s = (*items)[i].if_string();
    auto range = s ? ivr::parseTimeRange(std::string_view(s->data(), s->size())) : std::nullopt;
    if (!range) {
      return invalidValue("must be hours like \"09:00-18:00\" (start before end)",
                          itemField(field, i));
    }
    for (const auto& other : ranges) {
      if (range->start_minute < other.end_minute && other.start_minute < range->end_minute) {
        return invalidValue("overlaps " + formatRange(other), itemField(field, i));
      }
    }
    ranges.push_back(*range);
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const TimeRange& a, const TimeRange& b) { return a.start_minute < b.start_minute; });
  return ranges;
}

// Dates with the index each first appeared at (for error fields).
Result<std::map<CivilDay, std::size_t>> readDates(const json::value& v, const std::string& field) {
  const json::array* items = v.if_array();
  if (items == nullptr) return invalidValue("must be an array of dates like \"2026-10-01\"", field);
  if (items->size() > kMaxDates) {
    return invalidValue("at most " + std::to_string(kMaxDates) + " dates", field);
  }
  std::map<CivilDay, std::size_t> dates;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const json::string* s = (*items)[i].if_string();
    auto day = s ? ivr::parseDate(std::string_view(s->data(), s->size())) : std::nullopt;
    if (!day) return invalidValue("must be a date like \"2026-10-01\"", itemField(field, i));
    dates.emplace(*day, i);
  }
  return dates;
}

json::array rangesJson(const std::vector<TimeRange>& ranges) {
  json::array out;
  for (const auto& range : ranges) out.emplace_back(formatRange(range));
  return out;
}

json::array datesJson(const std::set<CivilDay>& days) {
  json::array out;
  for (CivilDay day : days) out.emplace_back(formatDate(day));
  return out;
}

}  // namespace

BusinessCalendar::BusinessCalendar() = default;
BusinessCalendar::~BusinessCalendar() = default;
BusinessCalendar::BusinessCalendar(const BusinessCalendar&) = default;
BusinessCalendar& BusinessCalendar::operator=(const BusinessCalendar&) = default;

Result<BusinessCalendar> BusinessCalendar::fromJson(const json::value& v) {
  const json::object* obj = v.if_object();
  if (obj == nullptr) return invalidValue("a business calendar must be a JSON object");
  static constexpr std::string_view kKeys[] = {"time_zone", "weekly",        "holidays",
                                               "workdays",  "workday_hours", "always_open"};
  for (const auto& entry : *obj) {
    std::string_view key(entry.key().data(), entry.key().size());
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return invalidValue("unknown field", std::string(key));
    }
  }

  if (const json::value* always = obj->if_contains("always_open")) {
    if (!always->is_bool() || !always->get_bool()) {
      return invalidValue("must be true (leave it out for a calendar with hours)", "always_open");
    }
    if (obj->size() != 1) {
      return invalidValue("an always-open calendar has no other fields", "always_open");
    }
    return BusinessCalendar();
  }

  BusinessCalendar cal;
  cal.always_open_ = false;
  cal.time_zone_ = std::string(kDefaultTimeZone);
  if (const json::value* tz = obj->if_contains("time_zone")) {
    const json::string* name = tz->if_string();
    if (name == nullptr) {
      return invalidValue("must be an IANA time zone name such as \"Asia/Shanghai\"", "time_zone");
    }
    cal.time_zone_ = std::string(name->data(), name->size());
  }
  auto zone = zoneNamed(cal.time_zone_);
  if (!zone) {
    return invalidValue("unknown time zone (use an IANA name such as \"Asia/Shanghai\")",
                        "time_zone");
  }
  cal.zone_ = std::make_shared<const Zone>(Zone{std::move(zone)});

  if (const json::value* weekly = obj->if_contains("weekly")) {
    const json::object* days = weekly->if_object();
    if (days == nullptr) {
      return invalidValue("must be an object of hours per day (\"mon\" ... \"sun\")", "weekly");
    }
    for (const auto& entry : *days) {
      std::string_view key(entry.key().data(), entry.key().size());
      std::string field = "weekly." + std::string(key);
      auto index = ivr::parseWeekday(key);
      if (!index) return invalidValue("unknown day (mon, tue, wed, thu, fri, sat, sun)", field);
      TING_ASSIGN_OR_RETURN(cal.weekly_[*index], readRanges(entry.value(), field));
    }
  }
  bool open_some_day = std::any_of(cal.weekly_.begin(), cal.weekly_.end(),
                                   [](const auto& ranges) { return !ranges.empty(); });
  if (!open_some_day) {
    return invalidValue("the calendar must be open at some time of the week", "weekly");
  }

  if (const json::value* hours = obj->if_contains("workday_hours")) {
    TING_ASSIGN_OR_RETURN(cal.workday_hours_, readRanges(*hours, "workday_hours"));
  }
  if (const json::value* holidays = obj->if_contains("holidays")) {
    TING_ASSIGN_OR_RETURN(auto dates, readDates(*holidays, "holidays"));
    for (const auto& [day, index] : dates) cal.holidays_.insert(day);
  }
  if (const json::value* workdays = obj->if_contains("workdays")) {
    TING_ASSIGN_OR_RETURN(auto dates, readDates(*workdays, "workdays"));
    for (const auto& [day, index] : dates) {
      // Holidays would win, so such a workday would be silently ignored.
      if (cal.holidays_.contains(day)) {
        return invalidValue("is also a holiday", itemField("workdays", index));
      }
      cal.workdays_.insert(day);
    }
  }
  return cal;
}

json::object BusinessCalendar::toJson() const {
  json::object out;
  if (always_open_) {
    out["always_open"] = true;
    return out;
  }
  static constexpr std::string_view kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  out["time_zone"] = time_zone_;
  json::object weekly;
  for (std::size_t i = 0; i < weekly_.size(); ++i) {
    if (!weekly_[i].empty()) weekly[kDayNames[i]] = rangesJson(weekly_[i]);
  }
  out["weekly"] = std::move(weekly);
  if (!holidays_.empty()) out["holidays"] = datesJson(holidays_);
  if (!workdays_.empty()) out["workdays"] = datesJson(workdays_);
  if (workday_hours_) out["workday_hours"] = rangesJson(*workday_hours_);
  return out;
}

bool BusinessCalendar::isOpen(UnixMillis t) const {
  if (always_open_ || !zone_ || !inWindow(t)) return true;
  OpenHours hours(weekly_, holidays_, workdays_, workday_hours_, *zone_->tz);
  return hours.isOpen(t);
}

UnixMillis BusinessCalendar::addBusinessTime(UnixMillis start, std::int64_t business_ms) const {
  if (business_ms <= 0) return start;
  if (always_open_ || !zone_ || !inWindow(start)) return saturatingAdd(start, business_ms);
  OpenHours hours(weekly_, holidays_, workdays_, workday_hours_, *zone_->tz);
  // Past the walk's bound, wall-clock time is the best answer left (see kMaxWalkDays).
  return hours.add(start, business_ms).value_or(saturatingAdd(start, business_ms));
}

std::int64_t BusinessCalendar::businessTimeBetween(UnixMillis from, UnixMillis to) const {
  if (to <= from) return 0;
  if (always_open_ || !zone_) return saturatingSub(to, from);
  // Time outside the window is open, as in isOpen().
  std::int64_t total = 0;
  if (from < kMinInstant) {
    total = saturatingAdd(total, saturatingSub(std::min(to, kMinInstant), from));
    from = kMinInstant;
  }
  if (to > kMaxInstant) {
    total = saturatingAdd(total, saturatingSub(to, std::max(from, kMaxInstant)));
    to = kMaxInstant;
  }
  if (from < to) {
    OpenHours hours(weekly_, holidays_, workdays_, workday_hours_, *zone_->tz);
    total = saturatingAdd(total, hours.between(from, to));
  }
  return total;
}

CivilDay BusinessCalendar::localDay(UnixMillis t) const {
  return localDayAt(t, zone_ ? offsetAt(*zone_->tz, t) : 0);
}

bool isKnownTimeZone(const std::string& name) {
  return zoneNamed(name) != nullptr;
}

CivilDay localDayIn(const std::string& name, UnixMillis t) {
  auto zone = zoneNamed(name);
  return localDayAt(t, zone ? offsetAt(*zone, t) : 0);
}

std::int64_t utcOffsetIn(const std::string& name, UnixMillis t) {
  auto zone = zoneNamed(name);
  return zone ? offsetAt(*zone, t) : 0;
}

std::string formatLocalMinute(const std::string& name, UnixMillis t) {
  const std::int64_t local = t + utcOffsetIn(name, t);
  const CivilDay day = localDayAt(local, 0);
  const std::int64_t minute = (local - day * kMillisPerDay) / 60'000;
  char hm[8];
  std::snprintf(hm, sizeof hm, " %02d:%02d", static_cast<int>(minute / 60),
                static_cast<int>(minute % 60));
  return formatDate(day) + hm;
}

}  // namespace ting::workorders
