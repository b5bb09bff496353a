#include "common/event_loop.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/log.h"

namespace ting {
namespace {

timespec toTimespec(std::chrono::nanoseconds ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns.count() % 1'000'000'000);
  return ts;
}

void addToEpoll(int epoll_fd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
}

}  // namespace

EventLoop::EventLoop(std::string name) : name_(std::move(name)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  period_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0 || timer_fd_ < 0 || period_fd_ < 0) {
    throw std::runtime_error("event loop: cannot create descriptors");
  }
  addToEpoll(epoll_fd_, wake_fd_);
  addToEpoll(epoll_fd_, timer_fd_);
  addToEpoll(epoll_fd_, period_fd_);
}

EventLoop::~EventLoop() {
  stop();
  for (int fd : {epoll_fd_, wake_fd_, timer_fd_, period_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void EventLoop::start() {
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void EventLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable() && !inLoopThread()) thread_.join();
}

void EventLoop::post(Fn fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !running_) return;
    posted_.push_back(std::move(fn));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::watch(int fd, std::function<void(std::uint32_t)> fn) {
  assert(!running_ || inLoopThread());
  watches_[fd] = std::move(fn);
  addToEpoll(epoll_fd_, fd);
}

void EventLoop::unwatch(int fd) {
  assert(!running_ || inLoopThread());
  if (watches_.erase(fd) > 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::addTimer(SteadyTime when, Fn fn) {
  TimerId id = next_timer_++;
  timers_.emplace(id, std::make_pair(when, std::move(fn)));
  bool earliest = timer_order_.empty() || when < timer_order_.begin()->first;
  timer_order_.emplace(when, id);
  if (earliest) armTimerFd();
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto [lo, hi] = timer_order_.equal_range(it->second.first);
  for (auto o = lo; o != hi; ++o) {
    if (o->second == id) {
      timer_order_.erase(o);
      break;
    }
  }
  timers_.erase(it);
}

void EventLoop::setPeriodic(std::chrono::microseconds period, Fn fn) {
  periodic_ = std::move(fn);
  itimerspec spec{};
  spec.it_interval = toTimespec(period);
  spec.it_value = toTimespec(period);
  ::timerfd_settime(period_fd_, 0, &spec, nullptr);
}

void EventLoop::armTimerFd() {
  itimerspec spec{};
  if (!timer_order_.empty()) {
    auto when = timer_order_.begin()->first.time_since_epoch();
    if (when.count() <= 0) when = std::chrono::nanoseconds(1);
    spec.it_value = toTimespec(std::chrono::duration_cast<std::chrono::nanoseconds>(when));
  }
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::fireTimers() {
  std::uint64_t expirations;
  [[maybe_unused]] auto n = ::read(timer_fd_, &expirations, sizeof expirations);
  auto now = std::chrono::steady_clock::now();
  while (!timer_order_.empty() && timer_order_.begin()->first <= now) {
    TimerId id = timer_order_.begin()->second;
    timer_order_.erase(timer_order_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    Fn fn = std::move(it->second.second);
    timers_.erase(it);
    fn();
  }
  armTimerFd();
}

void EventLoop::drainPosted() {
  std::vector<Fn> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::run() {
  ::pthread_setname_np(::pthread_self(), name_.substr(0, 15).c_str());
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("{}: epoll_wait: {}", name_, std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == period_fd_) {
        std::uint64_t expirations;
        [[maybe_unused]] auto r = ::read(period_fd_, &expirations, sizeof expirations);
        if (periodic_) periodic_();
      } else if (fd == timer_fd_) {
        fireTimers();
      } else if (fd == wake_fd_) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
      } else if (auto it = watches_.find(fd); it != watches_.end()) {
        // Copy: the callback may unwatch its own fd.
        auto fn = it->second;
        fn(events[i].events);
      }
    }
    drainPosted();
    bool stop_now;
    {
      std::lock_guard lock(mu_);
      stop_now = stopping_;
    }
    if (stop_now) {
      drainPosted();
      std::lock_guard lock(mu_);
      running_ = false;
      posted_.clear();
      break;
    }
  }
}

}  // namespace ting
