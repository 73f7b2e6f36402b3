// time and context under every runtime configuration. In deterministic mode time is virtual
// and exact; in production only lower bounds are checked (the machine is noisy). Go's tests
// re-expressed: time/sleep_test.go (TestSleep, TestAfter, TestAfterStop, TestReset,
// TestAfterFunc), time/tick_test.go (TestTicker, TestNewTickerLtZeroDuration,
// TestTickerResetLtZeroDuration), context/context_test.go (TestBackground, TestWithCancel,
// TestParentFinishesChild, TestChildFinishesFirst, TestDeadline, TestTimeout,
// TestCanceledTimeout, TestValues, TestWithCancelCanceledParent).
#include <atomic>
#include <chrono>
#include <string>

#include "fixtures.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::WithRuntime;
using namespace std::chrono_literals;

const int kKey = 0;

class TimeTest : public WithRuntime {
 protected:
  // Elapsed time: exactly `d` in deterministic mode, at least `d` in production.
  void expectElapsed(Duration got, Duration d) {
    if (deterministic()) {
      EXPECT_EQ(got, d);
    } else {
      EXPECT_GE(got, d);
    }
  }
};

TEST_P(TimeTest, SleepPausesAtLeastTheDuration) {
  run([&] {
    const TimePoint t0 = Clock::now();
    sleep(5ms);
    expectElapsed(Clock::now() - t0, 5ms);
    const TimePoint t1 = Clock::now();
    sleep(0ns);
    sleep(-1ms);  // Go: returns immediately
    if (deterministic()) {
      EXPECT_EQ(Clock::now(), t1);
    }
  });
}

TEST_P(TimeTest, ManySleepersWakeInDeadlineOrder) {
  std::vector<int> order;
  run([&] {
    Mutex mu;
    WaitGroup wg;
    wg.add(5);
    for (int i = 5; i >= 1; --i) {
      go([&, i] {
        sleep(std::chrono::milliseconds(i * 3));
        std::lock_guard l(mu);
        order.push_back(i);
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

TEST_P(TimeTest, AfterDeliversTheTimeOnce) {
  run([&] {
    const TimePoint t0 = Clock::now();
    auto c = after(4ms);
    const TimePoint fired = c.recv();
    expectElapsed(Clock::now() - t0, 4ms);
    EXPECT_GE(fired - t0, 4ms);
    EXPECT_FALSE(c.tryRecv().has_value()) << "after() delivered twice";
  });
}

TEST_P(TimeTest, SelectWithAfterAsTimeout) {
  run([&] {
    auto never = makeChan<int>();
    int v = 0;
    EXPECT_EQ(select(recv(never, v), recv(after(2ms))), 1);
  });
}

// Go: TestAfterStop.
TEST_P(TimeTest, StoppedTimerNeverFires) {
  run([&] {
    Timer t(1ms);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop()) << "second stop of the same timer";
    std::atomic<bool> ran{false};
    Timer f = afterFunc(1ms, [&] { ran = true; });
    EXPECT_TRUE(f.stop());
    sleep(5ms);
    EXPECT_FALSE(t.c().tryRecv().has_value()) << "stopped timer fired";
    EXPECT_FALSE(ran.load()) << "stopped afterFunc ran";
  });
}

// Go: TestReset.
TEST_P(TimeTest, ResetReArmsAndReportsWhetherItWasActive) {
  run([&] {
    Timer t(100ms);
    const TimePoint t0 = Clock::now();
    EXPECT_TRUE(t.reset(2ms));
    t.c().recv();
    expectElapsed(Clock::now() - t0, 2ms);
    EXPECT_FALSE(t.reset(1ms)) << "reset of a fired timer reports it active";
    t.c().recv();
  });
}

// Go: TestAfterFunc: the function runs in its own goroutine.
TEST_P(TimeTest, AfterFuncRunsInANewGoroutine) {
  run([&] {
    auto done = makeChan<GoroutineId>(1);
    const GoroutineId me = currentGoroutineId();
    Timer t = afterFunc(1ms, [done] { done.send(currentGoroutineId()); });
    const GoroutineId ran = done.recv();
    EXPECT_NE(ran, me);
    EXPECT_NE(ran, 0u);
  });
}

// Go: TestTicker (shortened), TestNewTickerLtZeroDuration, TestTickerResetLtZeroDuration.
TEST_P(TimeTest, TickerTicksAndRejectsNonPositiveIntervals) {
  run([&] {
    Ticker tk(2ms);
    const TimePoint t0 = Clock::now();
    for (int i = 0; i < 3; ++i) tk.c().recv();
    expectElapsed(Clock::now() - t0, 6ms);
    tk.reset(1ms);
    tk.c().recv();
    tk.stop();
    try {
      Ticker bad(0ns);
      ADD_FAILURE() << "NewTicker(0) did not panic";
    } catch (const Panic& p) {
      EXPECT_EQ(p.message(), "non-positive interval for NewTicker");
    }
    try {
      tk.reset(-1ms);
      ADD_FAILURE() << "Ticker.Reset(-1) did not panic";
    } catch (const Panic& p) {
      EXPECT_EQ(p.message(), "non-positive interval for Ticker.Reset");
    }
  });
}

// Tickers nobody listens to drop ticks instead of blocking or queueing them.
TEST_P(TimeTest, UnreadTickerDropsTicks) {
  run([&] {
    Ticker tk(1ms);
    sleep(10ms);
    EXPECT_TRUE(tk.c().tryRecv().has_value());
    EXPECT_FALSE(tk.c().tryRecv().has_value()) << "ticks queued up";
  });
}

// ---- context ----------------------------------------------------------------------------------

TEST_P(TimeTest, BackgroundIsNeverCanceled) {
  run([] {
    Context bg = background();
    EXPECT_TRUE(bg.done().isNil());
    EXPECT_FALSE(bg.err());
    EXPECT_FALSE(bg.deadline().has_value());
    EXPECT_TRUE(todo().done().isNil());
  });
}

TEST_P(TimeTest, CancelPropagatesToDescendantsNotAncestors) {
  run([] {
    auto [parent, cancelParent] = withCancel(background());
    auto [child, cancelChild] = withCancel(parent);
    auto [grandchild, cancelGrandchild] = withTimeout(child, 1h);
    Context valued = withValue(grandchild, &kKey, std::string("v"));
    auto [sibling, cancelSibling] = withCancel(parent);

    cancelChild();
    EXPECT_FALSE(child.done().recvOk().ok);  // closed
    EXPECT_EQ(child.err(), ContextError::canceled);
    EXPECT_EQ(child.err().message(), "context canceled");
    grandchild.done().recvOpt();  // closed: returns at once
    EXPECT_EQ(grandchild.err(), ContextError::canceled);
    EXPECT_EQ(valued.err(), ContextError::canceled);
    EXPECT_FALSE(parent.err()) << "cancel went up";
    EXPECT_FALSE(sibling.err()) << "cancel went sideways";
    cancelParent();
    sibling.done().recvOpt();
    EXPECT_EQ(sibling.err(), ContextError::canceled);
    cancelParent();  // idempotent
    cancelGrandchild();
    cancelSibling();
  });
}

TEST_P(TimeTest, WithCancelOfACanceledParentIsCanceled) {
  run([] {
    auto [parent, cancel] = withCancel(background());
    cancel();
    auto [child, cancelChild] = withCancel(parent);
    EXPECT_EQ(child.err(), ContextError::canceled);
    cancelChild();
  });
}

TEST_P(TimeTest, TimeoutCancelsWithDeadlineExceeded) {
  run([&] {
    const TimePoint t0 = Clock::now();
    auto [ctx, cancel] = withTimeout(background(), 3ms);
    ASSERT_TRUE(ctx.deadline().has_value());
    EXPECT_EQ(*ctx.deadline() - t0 >= 3ms, true);
    ctx.done().recvOpt();
    expectElapsed(Clock::now() - t0, 3ms);
    EXPECT_EQ(ctx.err(), ContextError::deadlineExceeded);
    EXPECT_EQ(ctx.err().message(), "context deadline exceeded");
    cancel();  // after the deadline: the error stays
    EXPECT_EQ(ctx.err(), ContextError::deadlineExceeded);

    // A child cannot extend its parent's deadline; a past deadline is exceeded at once.
    auto [parent, cancelParent] = withTimeout(background(), 2ms);
    auto [child, cancelChild] = withTimeout(parent, 1h);
    EXPECT_EQ(child.deadline(), parent.deadline());
    child.done().recvOpt();
    EXPECT_EQ(child.err(), ContextError::deadlineExceeded);
    auto [past, cancelPast] = withDeadline(background(), Clock::now() - 1ms);
    EXPECT_EQ(past.err(), ContextError::deadlineExceeded);
    cancelChild();
    cancelParent();
    cancelPast();
  });
}

// Go: TestCanceledTimeout: cancel before the deadline says canceled.
TEST_P(TimeTest, CancelBeforeTheDeadlineSaysCanceled) {
  run([] {
    auto [ctx, cancel] = withTimeout(background(), 1h);
    cancel();
    ctx.done().recvOpt();
    EXPECT_EQ(ctx.err(), ContextError::canceled);
  });
}

TEST_P(TimeTest, ValuesAreFoundThroughAncestors) {
  static const int kA = 0, kB = 0;
  run([] {
    Context c1 = withValue(background(), &kA, 1);
    Context c2 = withValue(c1, &kB, std::string("two"));
    Context c3 = withValue(c2, &kA, 3);  // shadows kA
    EXPECT_EQ(std::any_cast<int>(*c1.value(&kA)), 1);
    EXPECT_EQ(c1.value(&kB), nullptr);
    EXPECT_EQ(std::any_cast<std::string>(*c3.value(&kB)), "two");
    EXPECT_EQ(std::any_cast<int>(*c3.value(&kA)), 3);
  });
}

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

WEFT_INSTANTIATE_ALL_RUNTIMES(TimeTest);

}  // namespace
}  // namespace weft
