#include "workorders/sla_worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "workorders/sla.h"

namespace ting::workorders {

SlaWorker::SlaWorker(store::Store& store, std::chrono::milliseconds interval)
    : store_(store), interval_(interval) {}

SlaWorker::~SlaWorker() {
  stop();
}

void SlaWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void SlaWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlaWorker::run() {
  pthread_setname_np(pthread_self(), "sla");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next_statistics_) {
      if (Status st = store::refreshStatistics(store_.db()); !st.isOk()) {
        spdlog::warn("refreshing planner statistics failed: {}", st.message());
      }
      next_statistics_ = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    // A full batch means more are due: go on at once.
    for (;;) {
      auto handled = sweepSla(store_);
      if (!handled.isOk()) {
        spdlog::warn("SLA sweep failed: {}", handled.status().message());
        break;
      }
      if (*handled < 500) break;
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace ting::workorders
