#include "common/event_loop.h"

#include <gtest/gtest.h>

#include <future>
#include <vector>

namespace ting {
namespace {

TEST(EventLoop, RunsPostedClosuresInOrderOnItsThread) {
  EventLoop loop("test");
  loop.start();
  std::vector<int> seen;
  std::promise<bool> on_loop;
  for (int i = 0; i < 100; ++i) loop.post([&seen, i] { seen.push_back(i); });
  loop.post([&] { on_loop.set_value(loop.inLoopThread()); });
  EXPECT_TRUE(on_loop.get_future().get());
  loop.stop();
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoop, TimersFireInDeadlineOrderAndCancelledOnesNever) {
  EventLoop loop("timers");
  loop.start();
  std::vector<int> fired;
  std::promise<void> done;
  loop.post([&] {
    auto now = std::chrono::steady_clock::now();
    loop.addTimer(now + std::chrono::milliseconds(30), [&] { fired.push_back(3); });
    loop.addTimer(now + std::chrono::milliseconds(10), [&] { fired.push_back(1); });
    auto cancelled = loop.addTimer(now + std::chrono::milliseconds(20), [&] { fired.push_back(2); });
    loop.cancel(cancelled);
    loop.addTimer(now + std::chrono::milliseconds(40), [&] { done.set_value(); });
  });
  done.get_future().wait();
  loop.stop();
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST(EventLoop, PeriodicTickKeepsItsSchedule) {
  EventLoop loop("tick");
  loop.start();
  std::promise<void> done;
  int ticks = 0;
  loop.post([&] {
    loop.setPeriodic(std::chrono::milliseconds(5), [&] {
      if (++ticks == 10) done.set_value();
    });
  });
  done.get_future().wait();
  loop.stop();
  EXPECT_GE(ticks, 10);
}

}  // namespace
}  // namespace ting
