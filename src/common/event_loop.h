#pragma once
// A single-threaded event loop: epoll over file descriptors, timers from one
// timerfd, and a message queue other threads post closures to (woken by an
// eventfd). The loop owns everything its callbacks touch; other threads talk
// to it only through post().

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ting {

class EventLoop {
 public:
  using Fn = std::function<void()>;
  using TimerId = std::uint64_t;
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit EventLoop(std::string name);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop on its own thread. Callbacks then run on that thread only.
  void start();
  // Runs the remaining posted closures, then stops and joins the thread.
  // Timers and watches that have not fired are dropped. Idempotent.
  void stop();

  // Thread-safe: queues `fn` to run on the loop thread. Closures posted after
  // stop() are dropped (destroyed on the poster's thread).
  void post(Fn fn);

  // Loop thread only. Calls `fn(events)` when `fd` is readable (EPOLLIN).
  // The fd stays owned by the caller; unwatch() before closing it.
  void watch(int fd, std::function<void(std::uint32_t events)> fn);
  void unwatch(int fd);

  // Loop thread only. Runs `fn` once at `when`; cancel() before it fires to
  // drop it (cancelling an id that already fired is harmless).
  TimerId addTimer(SteadyTime when, Fn fn);
  TimerId addTimerAfter(std::chrono::milliseconds after, Fn fn) {
    return addTimer(std::chrono::steady_clock::now() + after, std::move(fn));
  }
  void cancel(TimerId id);

  // Loop thread only. Calls `fn` every `period`, aligned to an absolute
  // schedule (a late tick does not shift the next ones). One per loop.
  void setPeriodic(std::chrono::microseconds period, Fn fn);

  bool inLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }
  const std::string& name() const { return name_; }

 private:
  void run();
  void drainPosted();
  void armTimerFd();
  void fireTimers();

  std::string name_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;   // eventfd: post() wakes the loop
  int timer_fd_ = -1;  // one-shot timers
  int period_fd_ = -1; // the periodic tick
  std::thread thread_;
  bool running_ = false;  // loop thread only

  std::mutex mu_;
  std::vector<Fn> posted_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_

  std::unordered_map<int, std::function<void(std::uint32_t)>> watches_;
  std::multimap<SteadyTime, TimerId> timer_order_;
  std::unordered_map<TimerId, std::pair<SteadyTime, Fn>> timers_;
  TimerId next_timer_ = 1;
  Fn periodic_;
};

}  // namespace ting
