// Planted bugs in code that uses sync and time, the classic ones the explorer must find: a
// WaitGroup.Add inside the goroutine, a Cond waited on with `if` instead of `for`, lock-order
// inversion (AB-BA), a timeout racing with the work it guards, a forgotten Unlock. Each must
// be found, classified, shrunk and replayable; each fixed twin must pass. Virtual time makes
// the timeout scenarios exact and instant.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <memory>
#include <string>

#include "weft/harness/explore.h"
#include "weft/harness/gtest.h"
#include "weft/weft.h"

namespace weft::harness {
namespace {

using namespace std::chrono_literals;

ExploreOptions budget(std::uint64_t iterations = 2000) {
  ExploreOptions o;
  o.iterations = iterations;
  o.seed = 11;
  return o;
}

// Replaying the reported token gives the same failure kind.
void expectReplays(const ExploreResult& r, const std::function<void()>& body) {
  ExploreOptions o = budget(1);
  o.replay = r.failure->token;
  ExploreResult again = explore(body, o);
  ASSERT_FALSE(again.ok()) << "replay of " << r.failure->token << " passed";
  EXPECT_EQ(again.failure->kind, r.failure->kind);
}

// ---- WaitGroup.Add inside the goroutine ----------------------------------------------------

void addInsideGoroutine(bool fixed) {
  // Shared ownership: with the bug, main may return while a worker still runs, and C++ has no
  // garbage collector to keep main's locals alive for it.
  struct State {
    WaitGroup wg;
    Shared<int> results{0, "results"};
    Mutex mu;
  };
  auto st = std::make_shared<State>();
  for (int i = 0; i < 2; ++i) {
    if (fixed) st->wg.add(1);
    go([st, fixed] {
      if (!fixed) st->wg.add(1);  // BUG: Wait may run before this Add
      std::lock_guard l(st->mu);
      st->results.store(st->results.load() + 1);
      st->wg.done();
    });
  }
  st->wg.wait();
  std::lock_guard l(st->mu);
  if (st->results.load() != 2) fail("wait returned before both workers finished");
}

TEST(SyncBugs, WaitGroupAddInsideTheGoroutineIsFound) {
  auto body = [] { addInsideGoroutine(false); };
  ExploreResult r = explore(body, budget());
  ASSERT_FALSE(r.ok());
  // Either the early return is observed, or the race detector flags the unsynchronized Add
  // against Wait first (Go's race detector reports this misuse the same way).
  EXPECT_TRUE(r.failure->kind == FailureKind::kAssertion || r.failure->kind == FailureKind::kRace ||
              r.failure->kind == FailureKind::kLeak)
      << r.failure->format();
  expectReplays(r, body);
  EXPECT_TRUE(explore([] { addInsideGoroutine(true); }, budget(500)).ok());
}

// ---- Cond with `if` instead of `for` --------------------------------------------------------

void condIfInsteadOfFor(bool fixed) {
  Mutex mu;
  Cond cond(mu);
  int items = 0;
  WaitGroup wg;
  wg.add(2);
  for (int c = 0; c < 2; ++c) {
    go([&, fixed] {
      std::unique_lock l(mu);
      if (fixed) {
        while (items == 0) cond.wait();
      } else if (items == 0) {
        cond.wait();  // BUG: another consumer may take the item before we re-lock
      }
      if (items == 0) fail("consumer woke up to an empty queue");
      --items;
      l.unlock();
      wg.done();  // last: once it runs, main may return and destroy mu
    });
  }
  for (int p = 0; p < 2; ++p) {
    {
      std::lock_guard l(mu);
      ++items;
    }
    cond.broadcast();
  }
  wg.wait();
}

TEST(SyncBugs, CondWaitedWithIfInsteadOfForIsFound) {
  auto body = [] { condIfInsteadOfFor(false); };
  ExploreResult r = explore(body, budget());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kAssertion) << r.failure->format();
  expectReplays(r, body);
  EXPECT_TRUE(explore([] { condIfInsteadOfFor(true); }, budget(500)).ok());
}

// ---- Cond lost wake-up: the predicate checked outside the lock ------------------------------

void condLostWakeup(bool fixed) {
  Mutex mu;
  Cond cond(mu);
  Atomic<bool> ready{false, "ready"};
  auto done = makeChan<Unit>(1);
  go([&, done] {
    if (fixed) {
      std::lock_guard l(mu);
      ready.store(true);
    } else {
      ready.store(true);  // BUG: not under the Cond's lock
    }
    cond.signal();
    done.send({});
  });
  if (fixed) {
    std::unique_lock l(mu);
    while (!ready.load()) cond.wait();
  } else if (!ready.load()) {  // BUG: checked outside the lock; the signal can come before wait
    std::unique_lock l(mu);
    cond.wait();
  }
  done.recv();
}

TEST(SyncBugs, CondLostWakeupIsADeadlock) {
  auto body = [] { condLostWakeup(false); };
  ExploreResult r = explore(body, budget());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kDeadlock) << r.failure->format();
  EXPECT_NE(r.failure->format().find("sync.Cond.Wait"), std::string::npos);
  expectReplays(r, body);
  EXPECT_TRUE(explore([] { condLostWakeup(true); }, budget(500)).ok());
}

// ---- AB-BA lock-order inversion ----------------------------------------------------------------

void abba(bool fixed) {
  Mutex a{"a"}, b{"b"};
  WaitGroup wg;
  wg.add(2);
  go([&] {
    {
      std::lock_guard la(a);
      std::lock_guard lb(b);
    }
    wg.done();
  });
  go([&, fixed] {
    if (fixed) {
      std::lock_guard la(a);
      std::lock_guard lb(b);
    } else {
      std::lock_guard lb(b);  // BUG: the opposite order
      std::lock_guard la(a);
    }
    wg.done();
  });
  wg.wait();
}

TEST(SyncBugs, LockOrderInversionDeadlockIsFoundWithOnePreemption) {
  auto body = [] { abba(false); };
  ExploreResult r = explore(body, budget());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kDeadlock) << r.failure->format();
  EXPECT_LE(r.failure->preemptions, 1u) << r.failure->format();  // shrunk to the minimum
  const std::string text = r.failure->format();
  EXPECT_NE(text.find("sync.Mutex.Lock"), std::string::npos) << text;
  expectReplays(r, body);
  EXPECT_TRUE(explore([] { abba(true); }, budget(500)).ok());
}

// ---- a timeout racing with the work it guards (virtual time) ---------------------------------

// The worker takes exactly 10 ms of virtual time and the caller gives up after 10 ms: which
// timer fires first is a recorded decision, and the buggy caller, which forgets that the worker
// will still write its result, leaves it blocked on an unbuffered channel: a goroutine leak.
void timeoutRace(bool fixed) {
  auto result = makeChan<int>(fixed ? 1 : 0);  // fix: room for the late result
  go([result] {
    sleep(10ms);
    result.send(42);
  });
  const TimePoint t0 = Clock::now();
  auto [ctx, cancel] = withTimeout(background(), 10ms);
  int v = 0;
  select(recv(result, v), recv(ctx.done()));
  // Virtual time: whichever case won, exactly 10 ms passed, whatever the real time was.
  if (Clock::now() - t0 != 10ms) fail("virtual time is not exact");
  cancel();
}

TEST(SyncBugs, TimeoutRaceLeaksTheWorkerInExactVirtualTime) {
  auto body = [] { timeoutRace(false); };
  ExploreResult r = explore(body, budget(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kLeak) << r.failure->format();
  expectReplays(r, body);
  EXPECT_TRUE(explore([] { timeoutRace(true); }, budget(200)).ok());
}

// A 10-minute timeout in deterministic mode: the virtual clock jumps.
TEST(SyncBugs, TenMinuteTimeoutRunsInVirtualTime) {
  ExploreOptions o = budget(20);
  ExploreResult r = explore([] {
    const TimePoint t0 = Clock::now();
    auto [ctx, cancel] = withTimeout(background(), std::chrono::minutes(10));
    ctx.done().recv();
    if (ctx.err() != ContextError::deadlineExceeded) fail("expected deadline exceeded");
    if (Clock::now() - t0 != std::chrono::minutes(10)) fail("virtual time is not exact");
    cancel();
  }, o);
  EXPECT_TRUE(r.ok()) << r.failure->format();
}

// ---- forgotten unlock on an early return -------------------------------------------------------

void forgottenUnlock(bool fixed) {
  Mutex mu;
  Shared<int> balance{10, "balance"};
  auto withdraw = [&](int amount) {
    mu.lock();
    if (balance.load() < amount) {
      if (fixed) mu.unlock();
      return false;  // BUG when !fixed: returns with the lock held
    }
    balance.store(balance.load() - amount);
    mu.unlock();
    return true;
  };
  WaitGroup wg;
  wg.add(2);
  go([&] { withdraw(8); wg.done(); });
  go([&] { withdraw(8); wg.done(); });
  wg.wait();
  std::lock_guard l(mu);  // the audit: blocks forever if a withdrawal kept the lock
  if (balance.load() != 2) fail("exactly one withdrawal succeeds");
}

TEST(SyncBugs, ForgottenUnlockIsADeadlockNamingTheMutex) {
  auto body = [] { forgottenUnlock(false); };
  ExploreResult r = explore(body, budget(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kDeadlock) << r.failure->format();
  expectReplays(r, body);
  EXPECT_TRUE(explore([] { forgottenUnlock(true); }, budget(200)).ok());
}

// ---- Once / atomics are explorable and race-free when used right --------------------------

TEST(SyncBugs, LazyInitWithOnceIsRaceFreeUnderEverySchedule) {
  ExploreResult r = explore([] {
    Once once;
    Shared<int> config{0, "config"};
    WaitGroup wg;
    wg.add(3);
    for (int i = 0; i < 3; ++i) {
      go([&] {
        once.call([&] { config.store(42); });
        if (config.load() != 42) fail("saw the config before its initialization");
        wg.done();
      });
    }
    wg.wait();
  }, budget(1000));
  EXPECT_TRUE(r.ok()) << r.failure->format();
}

TEST(SyncBugs, DoubleCheckedLockingWithoutAtomicsIsARace) {
  ExploreResult r = explore([] {
    Mutex mu;
    Shared<bool> ready{false, "ready"};
    Shared<int> config{0, "config"};
    WaitGroup wg;
    wg.add(2);
    for (int i = 0; i < 2; ++i) {
      go([&] {
        if (!ready.load()) {  // BUG: unsynchronized fast path
          std::lock_guard l(mu);
          if (!ready.load()) {
            config.store(42);
            ready.store(true);
          }
        }
        (void)config.load();
        wg.done();
      });
    }
    wg.wait();
  }, budget(2000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kRace) << r.failure->format();
}

}  // namespace
}  // namespace weft::harness
