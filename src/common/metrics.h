#pragma once
// Prometheus metrics: counters, gauges and histograms, rendered in the text
// exposition format. Hot paths hold references to their series (found once at
// set-up), so recording is a few relaxed atomic adds.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ting {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// Observations in seconds against fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);
  const std::vector<double>& bounds() const { return bounds_; }
  std::uint64_t bucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative, one per bound
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Bounds for request and query latencies: 100 µs .. 10 s.
const std::vector<double>& latencyBuckets();

class MetricsRegistry {
 public:
  // `labels` is the rendered label set without braces: route="/x",method="GET".
  // The returned reference lives as long as the registry.
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels);
  Histogram& histogram(const std::string& name, const std::string& help, const std::string& labels,
                       const std::vector<double>& bounds = latencyBuckets());
  // A gauge read when rendering. `read` must be thread-safe.
  void gauge(const std::string& name, const std::string& help, std::function<double()> read);

  std::string renderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, Counter*> counters;
    std::map<std::string, Histogram*> histograms;
    std::function<double()> gauge;
  };
  Family& family(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mu_;  // guards families_ and the deques' growth
  std::map<std::string, Family> families_;
  std::deque<Counter> counter_store_;
  std::deque<Histogram> histogram_store_;
};

// Adds process_* gauges (CPU seconds, resident memory, open fds, threads, start time).
void registerProcessMetrics(MetricsRegistry& registry);

// Escapes a label value for the exposition format.
std::string promLabel(const std::string& value);

}  // namespace ting
