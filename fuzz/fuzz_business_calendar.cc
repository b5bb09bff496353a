// Business calendars: parsing, the JSON round trip, and SLA arithmetic checked
// against itself (business time from start to addBusinessTime(start, ms) is ms).
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "workorders/business_calendar.h"

namespace {

using ting::UnixMillis;
using ting::workorders::BusinessCalendar;

constexpr std::int64_t kDay = 86'400'000;

// The fuzzer cannot see a wrong answer unless the target crashes on it.
void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::uint64_t hashOf(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return 0;
  auto cal = BusinessCalendar::fromJson(v);
  if (!cal.isOk()) {
    check(!cal.status().message().empty());
    return 0;
  }

  auto again = BusinessCalendar::fromJson(cal->toJson());
  check(again.isOk());
  check(again->toJson() == cal->toJson());

  // Instants from 2020 to 2030 and SLAs up to 30 days, picked by the input.
  std::uint64_t h = hashOf(text);
  UnixMillis start = 1'577'836'800'000 + static_cast<UnixMillis>(h % (3653 * kDay));
  std::int64_t ms = static_cast<std::int64_t>((h >> 17) % (30 * kDay)) + 1;
  UnixMillis horizon = start + 120 * kDay;

  std::int64_t open = cal->businessTimeBetween(start, horizon);
  check(open >= 0 && open <= horizon - start);
  UnixMillis end = cal->addBusinessTime(start, ms);
  check(end >= start + (cal->alwaysOpen() ? ms : 0));
  if (open >= ms) {
    check(end <= horizon);
    check(cal->businessTimeBetween(start, end) == ms);
    check(cal->isOpen(end - 1));
  }
  (void)cal->isOpen(start);
  (void)cal->localDay(start);

  // Far and extreme instants must neither overflow nor loop.
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  (void)cal->addBusinessTime(kMax - static_cast<std::int64_t>(h % 1000), kMax);
  (void)cal->addBusinessTime(start, kMax);
  (void)cal->businessTimeBetween(kMin, kMax);
  (void)cal->localDay(kMin);
  (void)cal->isOpen(kMax);
  return 0;
}
