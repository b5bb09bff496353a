#pragma once
// The SLA thread: every few seconds it sweeps the clocks due to warn, breach
// or escalate (sweepSla). One per server; sweeps never overlap. At start and
// hourly it also refreshes the database planner's statistics, which the
// work-order views' partial indexes depend on (store::refreshStatistics).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace ting::workorders {

class SlaWorker {
 public:
  SlaWorker(store::Store& store, std::chrono::milliseconds interval);
  ~SlaWorker();
  SlaWorker(const SlaWorker&) = delete;
  SlaWorker& operator=(const SlaWorker&) = delete;

  void start();
  void stop();

 private:
  void run();

  store::Store& store_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::chrono::steady_clock::time_point next_statistics_{};
};

}  // namespace ting::workorders
