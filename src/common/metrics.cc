#include "common/metrics.h"

#include <dirent.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace ting {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::observe(double seconds) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (seconds <= bounds_[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e9),
                    std::memory_order_relaxed);
}

const std::vector<double>& latencyBuckets() {
  static const std::vector<double> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                              0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                              1,      2.5,     5,      10};
  return kBounds;
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help,
                                                 const char* type) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.help = help;
    f.type = type;
  }
  return f;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, "counter");
  auto it = f.counters.find(labels);
  if (it != f.counters.end()) return *it->second;
  Counter& c = counter_store_.emplace_back();
  f.counters.emplace(labels, &c);
  return c;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::string& labels,
                                      const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, "histogram");
  auto it = f.histograms.find(labels);
  if (it != f.histograms.end()) return *it->second;
  Histogram& h = histogram_store_.emplace_back(bounds);
  f.histograms.emplace(labels, &h);
  return h;
}

void MetricsRegistry::gauge(const std::string& name, const std::string& help,
                            std::function<double()> read) {
  std::lock_guard lock(mu_);
  family(name, help, "gauge").gauge = std::move(read);
}

namespace {

std::string braces(const std::string& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  if (labels.empty()) return "{" + extra + "}";
  if (extra.empty()) return "{" + labels + "}";
  return "{" + labels + "," + extra + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

std::string MetricsRegistry::renderPrometheus() const {
  std::string out;
  out.reserve(16384);
  std::lock_guard lock(mu_);
  for (const auto& [name, f] : families_) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, f.help, name,
                   f.type);
    for (const auto& [labels, c] : f.counters) {
      fmt::format_to(std::back_inserter(out), "{}{} {}\n", name, braces(labels), c->value());
    }
    for (const auto& [labels, h] : f.histograms) {
      std::uint64_t cumulative = 0;
      for (size_t i = 0; i < h->bounds().size(); ++i) {
        cumulative += h->bucketCount(i);
        fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", name,
                       braces(labels, "le=\"" + number(h->bounds()[i]) + "\""), cumulative);
      }
      fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", name,
                     braces(labels, "le=\"+Inf\""), h->count());
      fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n", name, braces(labels),
                     number(h->sum()));
      fmt::format_to(std::back_inserter(out), "{}_count{} {}\n", name, braces(labels), h->count());
    }
    if (f.gauge) fmt::format_to(std::back_inserter(out), "{} {}\n", name, number(f.gauge()));
  }
  return out;
}

std::string promLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// Fields of /proc/self/stat after the command name.
std::vector<std::string> procStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;
}

double procStatField(size_t stat_index) {
  // stat_index counts as in proc(5), where field 3 (state) is the first after the name.
  auto fields = procStatFields();
  size_t i = stat_index - 3;
  return i < fields.size() ? std::stod(fields[i]) : 0.0;
}

}  // namespace

void registerProcessMetrics(MetricsRegistry& registry) {
  static const double kTicks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double kPage = static_cast<double>(sysconf(_SC_PAGESIZE));
  registry.gauge("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                 [] { return (procStatField(14) + procStatField(15)) / kTicks; });
  registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                 [] { return procStatField(24) * kPage; });
  registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                 [] { return procStatField(23); });
  registry.gauge("process_threads", "Number of OS threads.", [] { return procStatField(20); });
  registry.gauge("process_open_fds", "Number of open file descriptors.", [] {
    double n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (readdir(d)) ++n;
      closedir(d);
      n -= 3;  // ".", ".." and the descriptor of the listing itself
    }
    return n;
  });
  static const double kStart = [] {
    std::ifstream in("/proc/stat");
    std::string key;
    double btime = 0;
    while (in >> key) {
      if (key == "btime") {
        in >> btime;
        break;
      }
    }
    return btime + procStatField(22) / kTicks;
  }();
  registry.gauge("process_start_time_seconds", "Start time of the process since the epoch.",
                 [] { return kStart; });
}

}  // namespace ting
