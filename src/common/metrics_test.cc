#include "common/metrics.h"

#include <gtest/gtest.h>

namespace ting {

TEST(Metrics, RendersCountersAndCumulativeHistograms) {
  MetricsRegistry r;
  r.counter("ting_things_total", "Things.", "kind=\"a\"").inc(3);
  auto& h = r.histogram("ting_wait_seconds", "Waits.", "", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = r.renderPrometheus();
  EXPECT_NE(text.find("# TYPE ting_things_total counter"), std::string::npos);
  EXPECT_NE(text.find("ting_things_total{kind=\"a\"} 3"), std::string::npos);
  EXPECT_NE(text.find("ting_wait_seconds_bucket{le=\"0.1\"} 1"), std::string::npos);
  EXPECT_NE(text.find("ting_wait_seconds_bucket{le=\"1\"} 2"), std::string::npos);
  EXPECT_NE(text.find("ting_wait_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("ting_wait_seconds_count 3"), std::string::npos);
}

TEST(Metrics, SameLabelsGiveTheSameSeries) {
  MetricsRegistry r;
  Counter& a = r.counter("c_total", "C.", "x=\"1\"");
  Counter& b = r.counter("c_total", "C.", "x=\"1\"");
  EXPECT_EQ(&a, &b);
}

TEST(Metrics, ProcessGaugesReadProc) {
  MetricsRegistry r;
  registerProcessMetrics(r);
  std::string text = r.renderPrometheus();
  auto pos = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_GT(std::stod(text.substr(pos + 31)), 1e6);
}

TEST(Metrics, EscapesLabelValues) {
  EXPECT_EQ(promLabel("a\"b\\c"), "a\\\"b\\\\c");
}

}  // namespace ting
