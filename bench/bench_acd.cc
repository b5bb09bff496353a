// The ACD routing decision at scale: 10,000 waiting callers and 1,000 agents
// logged in (half of them available), spread over 10 queues; each agent is a
// member of 3 queues (tiers 0, 1 and 2) and has 3 of 8 skills at levels 1-5;
// skills_based calls require 1 or 2 skills with a widening level.
//
// One decision is Router::next() on one queue. Each iteration then restores
// the steady state: a new caller arrives in that queue and the offered
// agent(s) become available again. Google Benchmark times decision plus
// restore; the loop after it times next() alone and prints p50/p99 per
// strategy (the target is p99 <= 20 us).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "acd/router.h"

namespace {

using namespace ting;
using namespace ting::acd;

constexpr int kQueues = 10;
constexpr int kAgents = 1000;
constexpr int kCallers = 10'000;
constexpr int kSkills = 8;
constexpr UnixMillis kStart = 1'700'000'000'000;

std::string queueName(int i) {
  std::string name = "q";
  name += std::to_string(i);
  return name;
}
std::string skillName(int i) {
  std::string name = "skill";
  name += std::to_string(i);
  return name;
}

class Center {
 public:
  explicit Center(Strategy strategy) : router_(7), rng_(11), strategy_(strategy) {
    for (int q = 0; q < kQueues; ++q) {
      queues_.push_back(queueName(q));
      (void)router_.addQueue(queues_.back(), strategy);
    }
    for (AgentId a = 1; a <= kAgents; ++a) {
      (void)router_.addAgent(a);
      for (int k = 0; k < 3; ++k) {
        (void)router_.setAgentSkill(a, skillName(pick(kSkills)), 1 + pick(5));
      }
      for (int t = 0; t < 3; ++t) {
        (void)router_.addMember(queueName(static_cast<int>((a + t * 3) % kQueues)), a, t);
      }
      if (a % 2 == 0) (void)router_.agentBecameAvailable(a, stats());
    }
    for (int i = 0; i < kCallers; ++i) arrive(i % kQueues, now_ - pick(120'000));
  }

  // Times one decision; restores the steady state afterwards (untimed when
  // `timed` is given).
  std::optional<Offer> decide(int queue, std::chrono::nanoseconds* timed) {
    now_ += 1;
    auto t0 = std::chrono::steady_clock::now();
    auto offer = router_.next(queues_[queue], now_);
    if (timed) *timed = std::chrono::steady_clock::now() - t0;
    arrive(queue, now_);
    if (offer) {
      for (AgentId a : offer->agents) (void)router_.agentBecameAvailable(a, stats());
    }
    return offer;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  AgentStats stats() {
    return {now_ - pick(60'000), pick(100), static_cast<std::int64_t>(pick(3'600'000))};
  }
  void arrive(int queue, UnixMillis at) {
    WaitingCall call{next_call_++, pick(10) == 0 ? 5 : 0, at, {}};
    if (strategy_ == Strategy::kSkillsBased) {
      call.skills.push_back({skillName(pick(kSkills)), {{0, 5}, {20, 4}, {40, 3}, {60, 1}}});
      if (pick(4) == 0) call.skills.push_back({skillName(pick(kSkills)), {{0, 2}, {30, 1}}});
    }
    (void)router_.enqueue(queues_[queue], std::move(call));
  }

  Router router_;
  std::vector<std::string> queues_;
  std::mt19937 rng_;
  Strategy strategy_;
  UnixMillis now_ = kStart;
  CallId next_call_ = 1;
};

constexpr Strategy kStrategies[] = {
    Strategy::kLongestIdle, Strategy::kRoundRobin, Strategy::kFewestCalls, Strategy::kLeastTalkTime,
    Strategy::kRingAll,     Strategy::kLinear,     Strategy::kRandom,      Strategy::kSkillsBased};

void BM_RoutingDecision(benchmark::State& state) {
  const Strategy strategy = kStrategies[state.range(0)];
  Center center(strategy);
  state.SetLabel(strategyName(strategy));
  int queue = 0;
  std::int64_t offers = 0;
  for (auto _ : state) {
    auto offer = center.decide(queue, nullptr);
    offers += offer.has_value();
    benchmark::DoNotOptimize(offer);
    queue = (queue + 1) % kQueues;
  }
  state.counters["offered"] =
      benchmark::Counter(static_cast<double>(offers) /
                         static_cast<double>(std::max<std::int64_t>(1, state.iterations())));
}
BENCHMARK(BM_RoutingDecision)->DenseRange(0, 7);

void printPercentiles() {
  constexpr int kWarmup = 2'000;
  constexpr int kDecisions = 50'000;
  std::printf("\nrouting decision, %d callers waiting, %d agents logged in, %d queues\n", kCallers,
              kAgents, kQueues);
  std::printf("%-16s %10s %10s %10s %9s\n", "strategy", "p50 (us)", "p99 (us)", "max (us)",
              "offered");
  for (Strategy strategy : kStrategies) {
    Center center(strategy);
    for (int i = 0; i < kWarmup; ++i) (void)center.decide(i % kQueues, nullptr);
    std::vector<double> us;
    us.reserve(kDecisions);
    int offered = 0;
    for (int i = 0; i < kDecisions; ++i) {
      std::chrono::nanoseconds d{};
      offered += center.decide(i % kQueues, &d).has_value();
      us.push_back(static_cast<double>(d.count()) / 1000.0);
    }
    std::sort(us.begin(), us.end());
    std::printf("%-16s %10.2f %10.2f %10.2f %8.1f%%\n", strategyName(strategy), us[us.size() / 2],
                us[us.size() * 99 / 100], us.back(), 100.0 * offered / kDecisions);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  printPercentiles();
  return 0;
}
