// The race detector on sync, atomics, timers and context, edge by edge (Go memory model and
// the sync package docs): for each edge a race-free program that must stay silent under every
// explored schedule, and a racy twin that must be reported within a small budget. Plus Go's
// misuse report for a WaitGroup Add concurrent with Wait.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <shared_mutex>

#include "weft/harness/explore.h"
#include "weft/weft.h"

namespace weft::harness {
namespace {

using namespace std::chrono_literals;

void expectSilent(const std::function<void()>& body, const char* what) {
  ExploreOptions random;
  random.iterations = 300;
  ExploreResult r = explore(body, random);
  EXPECT_TRUE(r.ok()) << what << "\n" << r.failure->format();
  ExploreOptions dfs;
  dfs.strategy = "dfs";
  dfs.preemptionBound = 2;
  dfs.iterations = 20000;
  ExploreResult d = explore(body, dfs);
  EXPECT_TRUE(d.ok()) << what << " (dfs)\n" << d.failure->format();
}

void expectRace(const std::function<void()>& body, const char* what, const char* variable) {
  ExploreOptions o;
  o.iterations = 100;
  ExploreResult r = explore(body, o);
  ASSERT_FALSE(r.ok()) << what << ": race not reported in 100 executions";
  EXPECT_EQ(r.failure->kind, FailureKind::kRace) << what << "\n" << r.failure->format();
  EXPECT_NE(r.failure->message.find(variable), std::string::npos) << r.failure->message;
}

// Two goroutines each write x once, in a critical section (or not).
void twoWriters(bool locked) {
  Mutex mu;
  Shared<int> x{0, "x"};
  WaitGroup wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) {
    go([&, locked] {
      if (locked) mu.lock();
      x.store(x.load() + 1);
      if (locked) mu.unlock();
      wg.done();
    });
  }
  wg.wait();
}

TEST(RaceSyncEdges, UnlockHappensBeforeTheNextLock) {
  expectSilent([] { twoWriters(true); }, "increments under a Mutex");
  expectRace([] { twoWriters(false); }, "increments without the Mutex", "x");
}

TEST(RaceSyncEdges, TryLockThatSucceedsCountsAsALock) {
  expectSilent(
      [] {
        Mutex mu;
        Shared<int> x{0, "x"};
        WaitGroup wg;
        wg.add(2);
        for (int i = 0; i < 2; ++i) {
          go([&] {
            if (!mu.try_lock()) mu.lock();
            x.store(x.load() + 1);
            mu.unlock();
            wg.done();
          });
        }
        wg.wait();
      },
      "increments under try_lock");
}

void readersAndWriter(bool readerLocks) {
  RWMutex rw;
  Shared<int> x{0, "x"};
  WaitGroup wg;
  wg.add(3);
  go([&] {
    {
      std::lock_guard l(rw);
      x.store(1);
    }
    wg.done();
  });
  for (int i = 0; i < 2; ++i) {
    go([&, readerLocks] {
      if (readerLocks) {
        std::shared_lock l(rw);
        (void)x.load();
      } else {
        (void)x.load();
      }
      wg.done();
    });
  }
  wg.wait();
}

TEST(RaceSyncEdges, RWMutexUnlockBeforeRLockAndRUnlockBeforeLock) {
  expectSilent([] { readersAndWriter(true); }, "readers under RLock, writer under Lock");
  expectRace([] { readersAndWriter(false); }, "a reader without RLock", "x");
}

void onceInit(bool viaOnce) {
  Once once;
  Shared<int> config{0, "config"};
  Shared<bool> initialized{false, "initialized"};
  WaitGroup wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) {
    go([&, viaOnce] {
      if (viaOnce) {
        once.call([&] { config.store(42); });
      } else if (!initialized.load()) {
        initialized.store(true);
        config.store(42);
      }
      (void)config.load();
      wg.done();
    });
  }
  wg.wait();
}

TEST(RaceSyncEdges, OncesFunctionHappensBeforeEveryCallReturns) {
  expectSilent([] { onceInit(true); }, "lazy init with Once");
  expectRace([] { onceInit(false); }, "lazy init with a plain flag", "");
}

void doneBeforeWait(bool waitFirst) {
  WaitGroup wg;
  Shared<int> x{0, "x"};
  wg.add(1);
  go([&] {
    x.store(1);
    wg.done();
  });
  if (waitFirst) wg.wait();
  (void)x.load();
  if (!waitFirst) wg.wait();
}

TEST(RaceSyncEdges, DoneHappensBeforeTheWaitItReleases) {
  expectSilent([] { doneBeforeWait(true); }, "read after Wait");
  expectRace([] { doneBeforeWait(false); }, "read before Wait", "x");
}

void condHandoff(bool underLock) {
  Mutex mu;
  Cond cond(mu);
  Shared<int> x{0, "x"};
  bool ready = false;
  auto done = makeChan<Unit>();
  go([&, underLock] {
    std::unique_lock l(mu);
    while (!ready) cond.wait();
    l.unlock();
    if (underLock) {
      std::lock_guard g(mu);
      (void)x.load();
    } else {
      (void)x.load();
    }
    done.send({});
  });
  {
    std::lock_guard l(mu);
    ready = true;
  }
  cond.signal();
  if (underLock) {
    std::lock_guard l(mu);
    x.store(1);
  } else {
    x.store(1);  // after the hand-off: not ordered with the waiter's read
  }
  done.recv();
}

TEST(RaceSyncEdges, CondSynchronizesThroughItsLocker) {
  expectSilent([] { condHandoff(true); }, "data under the Cond's lock");
  expectRace([] { condHandoff(false); }, "data outside the Cond's lock", "x");
}

void atomicFlag(bool atomic) {
  Shared<int> data{0, "data"};
  Atomic<bool> flag{false, "flag"};
  Shared<bool> plainFlag{false, "plainFlag"};
  WaitGroup wg;
  wg.add(1);
  go([&, atomic] {
    data.store(42);
    atomic ? flag.store(true) : plainFlag.store(true);
    wg.done();
  });
  if (atomic ? flag.load() : plainFlag.load()) (void)data.load();
  wg.wait();
}

TEST(RaceSyncEdges, AtomicsSynchronize) {
  expectSilent([] { atomicFlag(true); }, "message passing through an atomic flag");
  expectRace([] { atomicFlag(false); }, "message passing through a plain flag", "Flag");
}

void afterFuncSeesCreatorWrites(bool writeBeforeTimer) {
  auto x = std::make_shared<Shared<int>>(0, "x");
  auto done = makeChan<Unit>(1);
  if (writeBeforeTimer) x->store(1);
  Timer t = afterFunc(1ms, [x, done] {
    (void)x->load();
    done.send({});
  });
  if (!writeBeforeTimer) x->store(1);
  done.recv();
}

TEST(RaceSyncEdges, TimerCreationHappensBeforeItFires) {
  expectSilent([] { afterFuncSeesCreatorWrites(true); }, "write before afterFunc");
  expectRace([] { afterFuncSeesCreatorWrites(false); }, "write after afterFunc", "x");
}

void cancelBeforeDone(bool writeBeforeCancel) {
  Shared<int> x{0, "x"};
  auto [ctx, cancel] = withCancel(background());
  auto done = makeChan<Unit>();
  go([&, ctx = ctx] {
    ctx.done().recv();
    (void)x.load();
    done.send({});
  });
  if (writeBeforeCancel) x.store(1);
  cancel();
  if (!writeBeforeCancel) x.store(1);
  done.recv();
}

TEST(RaceSyncEdges, CancelHappensBeforeDoneIsObservedClosed) {
  expectSilent([] { cancelBeforeDone(true); }, "write before cancel");
  expectRace([] { cancelBeforeDone(false); }, "write after cancel", "x");
}

// Go: "WaitGroup is reused before previous Wait has returned" / Add concurrent with Wait is
// reported by the race detector as a race on the WaitGroup.
TEST(RaceSyncMisuse, WaitGroupAddConcurrentWithWaitIsReported) {
  ExploreOptions o;
  o.iterations = 200;
  ExploreResult r = explore(
      [] {
        WaitGroup wg{"wg"};
        auto started = makeChan<Unit>();
        go([&] {
          wg.add(1);  // BUG: should happen before wg.wait() below
          wg.done();
          started.send({});
        });
        wg.wait();
        started.recv();
      },
      o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kRace) << r.failure->format();
  EXPECT_NE(r.failure->message.find("wg"), std::string::npos) << r.failure->message;
}

}  // namespace
}  // namespace weft::harness
