// time and context under every runtime configuration, beyond Go's own tests (those are in
// time_go_test.cc and context_go_test.cc): sleepers wake in deadline order, after() as a
// select timeout, one cancel releasing many waiters. Deterministic mode checks exact virtual
// time; production checks only lower bounds (the machine is noisy).
#include <atomic>
#include <chrono>
#include <string>

#include "fixtures.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::WithRuntime;
using namespace std::chrono_literals;

class TimeTest : public WithRuntime {};

TEST_P(TimeTest, ManySleepersWakeInDeadlineOrder) {
  std::vector<int> order;
  run([&] {
    Mutex mu;
    WaitGroup wg;
    wg.add(5);
    for (int i = 5; i >= 1; --i) {
      go([&, i] {
        sleep(std::chrono::milliseconds(i * 3));
        {
          std::lock_guard l(mu);
          order.push_back(i);
        }
        // After the unlock: the last done() lets main return, and `mu` lives on its stack.
        wg.done();
      });
    }
    wg.wait();
  });
  if (deterministic()) {
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
  }
  EXPECT_EQ(order.size(), 5u);
}

TEST_P(TimeTest, SelectWithAfterAsTimeout) {
  run([&] {
    auto never = makeChan<int>();
    int v = 0;
    EXPECT_EQ(select(recv(never, v), recv(after(2ms))), 1);
  });
}

// ---- context ----------------------------------------------------------------------------------

// Many goroutines waiting on one context are all released by one cancel.
TEST_P(TimeTest, CancelReleasesEveryWaiter) {
  run([] {
    auto [ctx, cancel] = withCancel(background());
    WaitGroup wg;
    wg.add(10);
    for (int i = 0; i < 10; ++i) {
      go([&wg, ctx = ctx] {
        select(recv(ctx.done()));
        wg.done();
      });
    }
    yield();
    cancel();
    wg.wait();
  });
}

// A Ticker with a period shorter than a firing: it must never be fired by two workers at
// once, and stopping (destroying) it while it fires must wait for that firing to finish.
// (Regression: the periodic timer used to be re-armed before fire(), so another worker could
// fire it concurrently and ~Ticker freed it under that firing.)
TEST_P(TimeTest, FastTickerIsNeverFiredConcurrentlyOrAfterItIsDestroyed) {
  run([] {
    for (int round = 0; round < (testing::kSanitized ? 50 : 500); ++round) {
      Ticker t(std::chrono::nanoseconds(1));
      for (int i = 0; i < 20; ++i) t.c().recv();
    }
  });
}

WEFT_INSTANTIATE_ALL_RUNTIMES(TimeTest);

}  // namespace
}  // namespace weft
