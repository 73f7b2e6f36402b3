// ThreadSanitizer sees goroutines as weft's memory model does: every plain access is watched,
// fiber switches do not synchronize, and only the Go memory model's edges (reported by the
// primitives) order goroutines. So a race on a plain int between two goroutines is reported
// even when both run on the same worker thread, in production and in deterministic mode, and
// each edge's race-free program stays silent.
//
// Each case runs in a death-test child (TSan ends a process that raced with exit code 66; a
// clean one exits 0). Only meaningful in a TSan build; elsewhere the tests skip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <ostream>
#include <memory>
#include <optional>
#include <string>

#include "weft/harness/explore.h"
#include "weft/internal/sanitizers.h"
#include "weft/harness/strategies/random.h"
#include "weft/weft.h"


namespace weft {
namespace {

constexpr int kTsanExitCode = 66;  // TSan's default `exitcode` after a report

struct Mode {
  const char* name;
  int workers;
  std::optional<std::uint64_t> seed;  // set: deterministic scheduler
};
void PrintTo(const Mode& m, std::ostream* os) { *os << m.name; }

class TsanRace : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
#if !WEFT_TSAN
    GTEST_SKIP() << "ThreadSanitizer build only (scripts/build.sh tsan)";
#endif
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }

  // Runs `body` once on a runtime of this test's mode, in this (child) process.
  template <class F>
  static void runOnce(F&& body) {
    const Mode m = GetParam();
    Config c;
    c.workers = m.workers;
    std::unique_ptr<harness::RandomStrategy> strategy;
    if (m.seed) {
      strategy = std::make_unique<harness::RandomStrategy>(*m.seed);
      c.strategy = strategy.get();
    }
    Runtime rt(c);
    rt.run(std::forward<F>(body));
  }

  template <class F>
  void expectSilent(F body) {
    EXPECT_EXIT(
        {
          runOnce(body);
          std::exit(0);
        },
        ::testing::ExitedWithCode(0), "");
  }
  template <class F>
  void expectRace(F body) {
    EXPECT_EXIT(
        {
          runOnce(body);
          std::exit(0);
        },
        ::testing::ExitedWithCode(kTsanExitCode), "WARNING: ThreadSanitizer: data race");
  }
};

// Plain memory shared by the goroutines of one run (heap: TSan tracks it like any variable).
struct Plain {
  int x = 0;
};
// A read the optimizer cannot drop (`(void)p->x` compiles to nothing, so TSan would never see
// it and a silent twin would pass for the wrong reason).
[[gnu::noinline]] void observe(const int& x) { asm volatile("" : : "r"(x)); }

// Runs body(i) in n goroutines, i = 0..n-1, and waits for them with a WaitGroup (each done()
// happens before wait() returns, so the caller may read what they wrote).
template <class F>
void inGoroutines(int n, F body) {
  WaitGroup wg;
  wg.add(n);
  for (int i = 0; i < n; ++i) {
    go([&body, &wg, i] {
      body(i);
      wg.done();
    });
  }
  wg.wait();
}

// ---- races TSan must report ----------------------------------------------------------------

TEST_P(TsanRace, PlainIntWrittenByTwoGoroutines) {
  expectRace([] {
    auto p = std::make_shared<Plain>();
    inGoroutines(2, [&](int) { p->x++; });
  });
}

TEST_P(TsanRace, WriteUnderReadLock) {
  // Readers do not order each other: writing under lock_shared() is a race.
  expectRace([] {
    auto p = std::make_shared<Plain>();
    RWMutex mu;
    inGoroutines(2, [&](int) {
      mu.lock_shared();
      p->x++;
      mu.unlock_shared();
    });
  });
}

TEST_P(TsanRace, TwoSendersOnABufferedChannel) {
  // Sends on one channel do not order the senders (only each send before its receive).
  expectRace([] {
    auto p = std::make_shared<Plain>();
    auto ch = makeChan<int>(2);
    inGoroutines(2, [&](int i) {
      p->x = i;
      ch.send(i);
    });
  });
}

TEST_P(TsanRace, ReadAfterSignalWithoutTheLock) {
  // Cond orders through its locker only: a write the signaller made without holding the lock
  // is not ordered before the waiter's read.
  expectRace([] {
    auto p = std::make_shared<Plain>();
    Mutex mu;
    Cond cond(mu);
    bool ready = false;
    WaitGroup wg;
    wg.add(1);
    go([&] {
      mu.lock();
      while (!ready) cond.wait();
      mu.unlock();
      observe(p->x);
      wg.done();
    });
    mu.lock();
    ready = true;
    mu.unlock();
    p->x = 1;  // after the unlock: unordered with the waiter's read
    cond.signal();
    wg.wait();
  });
}

// Production modes only: in deterministic mode weft's own detector owns the channel's checked
// accesses (race_test.cc, RaceMisuse), so TSan is not told about them there.
class TsanRaceProduction : public TsanRace {};

TEST_P(TsanRaceProduction, CloseConcurrentWithSend) {
  // Go's race detector reports this misuse as a race on the channel.
  expectRace([] {
    auto ch = makeChan<int>(1);
    WaitGroup wg;
    wg.add(1);
    go([&] {
      try {
        (void)ch.trySend(1);
      } catch (const Panic&) {
        // "send on closed channel" when the close came first: TSan has reported it by then.
      }
      wg.done();
    });
    ch.close();
    wg.wait();
  });
}

// ---- each Go memory model edge keeps its race-free program silent ---------------------------

TEST_P(TsanRace, GoStatementOrdersTheSpawnerBeforeTheGoroutine) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    WaitGroup wg;
    wg.add(1);
    p->x = 1;
    go([&] {
      p->x++;
      wg.done();
    });
    wg.wait();
    observe(p->x);
  });
}

TEST_P(TsanRace, SendHappensBeforeReceive) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    auto ch = makeChan<int>();
    auto done = makeChan<Unit>();
    go([&] {
      p->x = 1;
      ch.send(1);
    });
    go([&] {
      (void)ch.recv();
      p->x++;
      done.send({});
    });
    done.recv();
  });
}

TEST_P(TsanRace, UnbufferedReceiveHappensBeforeSendCompletes) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    auto ch = makeChan<int>();
    auto done = makeChan<Unit>();
    go([&] {
      p->x = 1;
      (void)ch.recv();
      done.send({});
    });
    ch.send(0);
    p->x++;
    done.recv();
  });
}

TEST_P(TsanRace, BufferedReceiveHappensBeforeTheSendCapacityLater) {
  // A channel of capacity 1 as a mutex (Go memory model's counting-semaphore example).
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    auto sem = makeChan<Unit>(1);
    inGoroutines(2, [&](int) {
      sem.send({});
      p->x++;
      (void)sem.recv();
    });
  });
}

TEST_P(TsanRace, CloseHappensBeforeTheReceiveItUnblocks) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    auto ch = makeChan<int>();
    auto done = makeChan<Unit>();
    go([&] {
      (void)ch.recvOk();
      p->x++;
      done.send({});
    });
    p->x = 1;
    ch.close();
    done.recv();
  });
}

TEST_P(TsanRace, SelectReceiveHappensAfterTheSend) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    auto a = makeChan<int>();
    auto b = makeChan<int>();
    auto done = makeChan<Unit>();
    go([&] {
      select(recv(a, [&](int) { p->x++; }), recv(b, [&](int) { p->x++; }));
      done.send({});
    });
    p->x = 1;
    b.send(2);
    done.recv();
  });
}

TEST_P(TsanRace, MutexOrdersCriticalSections) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    Mutex mu;
    inGoroutines(3, [&](int) {
      mu.lock();
      p->x++;
      mu.unlock();
    });
  });
}

TEST_P(TsanRace, RWMutexOrdersWritersBeforeReaders) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    RWMutex mu;
    WaitGroup wg;
    wg.add(3);
    go([&] {
      mu.lock();
      p->x = 1;
      mu.unlock();
      wg.done();
    });
    for (int i = 0; i < 2; ++i) {
      go([&] {
        mu.lock_shared();
        observe(p->x);
        mu.unlock_shared();
        wg.done();
      });
    }
    wg.wait();
  });
}

TEST_P(TsanRace, CondWithTheLockHeld) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    Mutex mu;
    Cond cond(mu);
    bool ready = false;
    auto done = makeChan<Unit>();
    go([&] {
      mu.lock();
      while (!ready) cond.wait();
      p->x++;
      mu.unlock();
      done.send({});
    });
    mu.lock();
    p->x = 1;
    ready = true;
    cond.signal();
    mu.unlock();
    done.recv();
  });
}

TEST_P(TsanRace, OnceFunctionHappensBeforeEveryCallReturns) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    Once once;
    inGoroutines(2, [&](int) {
      once.call([&] { p->x = 1; });
      observe(p->x);
    });
  });
}

TEST_P(TsanRace, AtomicsSynchronize) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    Atomic<int> flag{0};
    auto done = makeChan<Unit>();
    go([&] {
      while (flag.load() == 0) yield();
      observe(p->x);
      done.send({});
    });
    p->x = 1;
    flag.store(1);
    done.recv();
  });
}

TEST_P(TsanRace, TimerCreationHappensBeforeItsFiring) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    p->x = 1;
    auto done = makeChan<Unit>();
    Timer t = afterFunc(std::chrono::milliseconds(1), [&] {
      p->x++;
      done.send({});
    });
    done.recv();
  });
}

TEST_P(TsanRace, CancelHappensBeforeDoneIsObservedClosed) {
  expectSilent([] {
    auto p = std::make_shared<Plain>();
    auto [ctx, cancel] = withCancel(background());
    auto done = makeChan<Unit>();
    go([&, ctx = ctx] {
      (void)ctx.done().recvOk();
      observe(p->x);
      done.send({});
    });
    p->x = 1;
    cancel();
    done.recv();
  });
}

TEST_P(TsanRace, GoroutinesEndBeforeRunReturns) {
  EXPECT_EXIT(
      {
        auto p = std::make_shared<Plain>();
        runOnce([p] {
          go([p] { p->x = 1; });
          yield();
        });
        observe(p->x);  // the caller, after run(): ordered after every goroutine's end
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_P(TsanRace, RunsOfOneRuntimeAreOrdered) {
  // Goroutines of consecutive runs may reuse each other's stacks and records: not a race.
  expectSilent([] {
    for (int i = 0; i < 50; ++i) {
      auto done = makeChan<Unit>();
      go([done] {
        char frame[512];
        std::fill(std::begin(frame), std::end(frame), 1);  // stack memory the next one reuses
        volatile char sink = frame[511];
        (void)sink;
        done.send({});
      });
      done.recv();
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, TsanRace,
                         ::testing::Values(Mode{"workers1", 1, {}}, Mode{"workers2", 2, {}},
                                           Mode{"sim_seed1", 1, 1}),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(Modes, TsanRaceProduction,
                         ::testing::Values(Mode{"workers1", 1, {}}, Mode{"workers2", 2, {}}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- deterministic mode: exploring schedules reaches races one run may miss ----------------

TEST(TsanExplore, ExplorationReachesARaceOnlySomeSchedulesExecute) {
#if !WEFT_TSAN
  GTEST_SKIP() << "ThreadSanitizer build only (scripts/build.sh tsan)";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The second goroutine writes only if it runs before the first has closed `done`; when it
  // runs after, the close orders the two and there is nothing to report.
  auto body = [] {
    auto p = std::make_shared<Plain>();
    auto done = makeChan<Unit>();
    WaitGroup wg;
    wg.add(2);
    go([&] {
      p->x = 1;
      done.close();
      wg.done();
    });
    go([&] {
      select(recv(done), otherwise([&] { p->x = 2; }));
      wg.done();
    });
    wg.wait();
  };
  EXPECT_EXIT(
      {
        harness::ExploreOptions o;
        o.iterations = 200;
        (void)harness::explore(body, o);
        std::exit(0);
      },
      ::testing::ExitedWithCode(kTsanExitCode), "WARNING: ThreadSanitizer: data race");
}

}  // namespace
}  // namespace weft
