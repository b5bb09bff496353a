#pragma once
// Time is injected: domain code asks a Clock, tests give it a FakeClock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace ting {

// Milliseconds since the Unix epoch, UTC. The unit of every stored timestamp.
using UnixMillis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis nowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixMillis nowMillis() const override;
  // The process-wide instance.
  static const SystemClock& instance();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixMillis start = 1'700'000'000'000) : now_(start) {}
  UnixMillis nowMillis() const override { return now_.load(); }
  void advance(std::chrono::milliseconds d) { now_ += d.count(); }
  void set(UnixMillis t) { now_ = t; }

 private:
  std::atomic<UnixMillis> now_;
};

// RFC 3339 UTC with milliseconds: 2026-11-22T09:30:00.000Z.
std::string formatTimestamp(UnixMillis t);
// Parses what formatTimestamp writes, also without fraction or with an offset
// (+08:00). Returns false on anything else.
bool parseTimestamp(std::string_view s, UnixMillis& out);

}  // namespace ting
