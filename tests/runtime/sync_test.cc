// sync and atomics under every runtime configuration (deterministic seeds, 1/2/4/8 workers):
// Go's sync tests re-expressed (sync/mutex_test.go, rwmutex_test.go, cond_test.go,
// once_test.go, waitgroup_test.go), plus stress that checks exclusion and conservation with
// plain data, and Go's misuse texts.
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fixtures.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::WithRuntime;
using namespace std::chrono_literals;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 1;
#else
constexpr int kScale = 10;
#endif

class SyncTest : public WithRuntime {};

// Go: TestMutex (HammerMutex): goroutines lock and unlock in a loop; plain data under the lock
// must add up exactly.
TEST_P(SyncTest, MutexHammerKeepsPlainCounterExact) {
  const int goroutines = 8, rounds = 200 * kScale;
  long counter = 0;
  run([&] {
    Mutex mu;
    WaitGroup wg;
    wg.add(goroutines);
    for (int g = 0; g < goroutines; ++g) {
      go([&, g] {
        for (int i = 0; i < rounds; ++i) {
          if (i % 3 == g % 3 && mu.try_lock()) {
            ++counter;
            mu.unlock();
            continue;
          }
          std::lock_guard l(mu);
          ++counter;
          if (i % 16 == 0) yield();  // holding the lock across a switch
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(counter, static_cast<long>(goroutines) * rounds);
}

// Go: TestMutexFairness: a goroutine that keeps re-locking must not starve another one
// forever (starvation mode hands the lock over after 1 ms in production).
TEST_P(SyncTest, MutexFairnessLetsAWaiterIn) {
  run([&] {
    Mutex mu;
    auto stop = makeChan<Unit>();
    auto done = makeChan<Unit>(1);
    go([&, stop] {
      for (;;) {
        mu.lock();
        sleep(100us);
        mu.unlock();
        if (select(recv(stop), otherwise()) == 0) break;  // Go: select { case <-stop: return; default: }
        yield();
      }
      done.send({});
    });
    go([&, stop] {
      for (int i = 0; i < 10; ++i) {
        sleep(100us);
        mu.lock();
        mu.unlock();
      }
      stop.close();
    });
    done.recv();
  });
}

// Go: TestMutexMisuse "Mutex.Unlock" and "Mutex.Unlock2": fatal, not a panic.
TEST_P(SyncTest, UnlockOfUnlockedMutexIsFatal) {
  try {
    run([] {
      Mutex mu;
      mu.lock();
      mu.unlock();
      mu.unlock();
    });
    FAIL() << "expected a fatal error";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.message(), "sync: unlock of unlocked mutex");
  }
}

TEST_P(SyncTest, RWMutexMisuseIsFatalWithGoTexts) {
  for (auto [text, body] :
       std::vector<std::pair<std::string, std::function<void(RWMutex&)>>>{
           {"sync: Unlock of unlocked RWMutex", [](RWMutex& rw) { rw.unlock(); }},
           {"sync: RUnlock of unlocked RWMutex", [](RWMutex& rw) { rw.unlock_shared(); }},
           {"sync: RUnlock of unlocked RWMutex",
            [](RWMutex& rw) {
              rw.lock();
              rw.unlock_shared();
            }}}) {
    try {
      run([&] {
        RWMutex rw;
        body(rw);
      });
      ADD_FAILURE() << "expected: " << text;
    } catch (const FatalError& e) {
      EXPECT_EQ(e.message(), text);
    }
  }
}

// Go: TestParallelReaders: readers hold the lock at the same time.
TEST_P(SyncTest, ReadersShareTheLock) {
  run([&] {
    RWMutex rw;
    const int readers = 4;
    auto in = makeChan<Unit>();
    auto out = makeChan<Unit>();
    for (int i = 0; i < readers; ++i) {
      go([&, in, out] {
        rw.lock_shared();
        in.send({});   // every reader gets here while the others hold the read lock
        out.recv();
        rw.unlock_shared();
      });
    }
    for (int i = 0; i < readers; ++i) in.recv();
    EXPECT_FALSE(rw.try_lock()) << "a writer got in while readers held the lock";
    for (int i = 0; i < readers; ++i) out.send({});
    std::lock_guard l(rw);  // all readers gone
  });
}

// Go: TestRWMutex (HammerRWMutex): writers see no readers inside, readers see no writer.
TEST_P(SyncTest, RWMutexHammerKeepsReadersAndWritersApart) {
  std::atomic<int> activity{0};
  std::atomic<int> violations{0};
  run([&] {
    RWMutex rw;
    WaitGroup wg;
    const int goroutines = 6, rounds = 50 * kScale;
    wg.add(goroutines);
    for (int g = 0; g < goroutines; ++g) {
      go([&, writer = g < 2] {
        for (int i = 0; i < rounds; ++i) {
          if (writer) {
            std::lock_guard l(rw);
            if (activity.fetch_add(10000) != 0) violations.fetch_add(1);
            yield();
            if (activity.fetch_sub(10000) != 10000) violations.fetch_add(1);
          } else {
            std::shared_lock l(rw);
            if (activity.fetch_add(1) >= 10000) violations.fetch_add(1);
            yield();
            activity.fetch_sub(1);
          }
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(violations.load(), 0);
}

// Go: TestRLocker: a Cond over the read side.
TEST_P(SyncTest, RLockerIsALockerOverTheReadLock) {
  run([] {
    RWMutex rw;
    auto rl = rw.rlocker();
    rl.lock();
    EXPECT_TRUE(rw.try_lock_shared());
    EXPECT_FALSE(rw.try_lock());
    rw.unlock_shared();
    rl.unlock();
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

// Go: TestCondSignal: every signal wakes one waiter.
TEST_P(SyncTest, CondSignalWakesOneWaiterEach) {
  run([] {
    Mutex mu;
    Cond c(mu);
    const int n = 3;
    auto running = makeChan<Unit>(n);
    auto awake = makeChan<Unit>(n);
    for (int i = 0; i < n; ++i) {
      go([&, running, awake] {
        mu.lock();
        running.send({});
        c.wait();
        awake.send({});
        mu.unlock();
      });
    }
    for (int i = 0; i < n; ++i) running.recv();  // every waiter holds or waits on the lock
    for (int i = 0; i < n; ++i) {
      mu.lock();  // every waiter is now inside wait()
      EXPECT_FALSE(awake.tryRecv().has_value()) << "goroutine not asleep";
      mu.unlock();
      c.signal();
      awake.recv();  // exactly one woke
      EXPECT_FALSE(awake.tryRecv().has_value()) << "too many goroutines awake";
    }
    c.signal();  // no waiter: nothing happens
  });
}

// Go: TestCondBroadcast: broadcast wakes every waiter, repeatedly.
TEST_P(SyncTest, CondBroadcastWakesEveryWaiter) {
  run([] {
    Mutex mu;
    Cond c(mu);
    const int n = 5, rounds = 3;
    int generation = 0;
    auto awake = makeChan<int>(n);
    WaitGroup waiting;
    waiting.add(n);
    for (int i = 0; i < n; ++i) {
      go([&, awake] {
        for (int r = 0; r < rounds; ++r) {
          std::unique_lock l(mu);
          const int g = generation;
          waiting.done();
          while (generation == g) c.wait();
          l.unlock();
          awake.send(r);
        }
      });
    }
    for (int r = 0; r < rounds; ++r) {
      waiting.wait();  // every waiter has read its generation under the lock
      if (r + 1 < rounds) waiting.add(n);  // before anyone can reach the next round
      {
        std::lock_guard l(mu);
        ++generation;
      }
      c.broadcast();
      for (int i = 0; i < n; ++i) EXPECT_EQ(awake.recv(), r);
    }
  }, /*allowLeaks=*/false);
}

// Go: TestOnce, TestOncePanic.
TEST_P(SyncTest, OnceRunsOnceAndAPanicCountsAsDone) {
  run([] {
    Once once;
    std::atomic<int> runs{0};
    WaitGroup wg;
    wg.add(8);
    for (int i = 0; i < 8; ++i) {
      go([&] {
        once.call([&] {
          yield();  // others arrive while f runs
          runs.fetch_add(1);
        });
        EXPECT_EQ(runs.load(), 1) << "Do returned before f finished";
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(runs.load(), 1);

    Once panicking;
    EXPECT_THROW(panicking.call([] { throw Panic("failed"); }), Panic);
    bool ranAgain = false;
    panicking.call([&] { ranAgain = true; });
    EXPECT_FALSE(ranAgain) << "Once.Do called f after a panic";
  });
}

// Go: TestWaitGroup: reuse of one WaitGroup across rounds.
TEST_P(SyncTest, WaitGroupIsReusable) {
  run([] {
    WaitGroup wg1, wg2;
    const int n = 16;
    for (int round = 0; round < 3; ++round) {
      wg1.add(n);
      wg2.add(n);
      auto exited = makeChan<Unit>(n);
      for (int i = 0; i < n; ++i) {
        go([&, exited] {
          wg1.done();
          wg2.wait();
          exited.send({});
        });
      }
      wg1.wait();
      for (int i = 0; i < n; ++i) {
        EXPECT_FALSE(exited.tryRecv().has_value()) << "released group too soon";
        wg2.done();
      }
      for (int i = 0; i < n; ++i) exited.recv();
    }
  });
}

// Go: TestWaitGroupMisuse: a negative counter panics with Go's text, catchable like recover().
TEST_P(SyncTest, NegativeWaitGroupCounterPanics) {
  run([] {
    WaitGroup wg;
    wg.add(1);
    wg.done();
    try {
      wg.done();
      ADD_FAILURE() << "expected a panic";
    } catch (const Panic& p) {
      EXPECT_EQ(p.message(), "sync: negative WaitGroup counter");
    }
  });
}

// The waiter destroys the WaitGroup as soon as wait() returns (the usual "wait, then let it go
// out of scope"): the last done(), running on another goroutine, must not touch it after
// waking the waiter. (With several waiters each one still reads the WaitGroup after waking,
// for Go's reuse check, so only the last of them to return may destroy it, as in Go without
// a garbage collector.)
TEST_P(SyncTest, WaitGroupMayBeDestroyedByItsWaiter) {
  run([] {
    for (int round = 0; round < 20 * kScale; ++round) {
      auto finished = makeChan<Unit>(1);
      auto wg = std::make_unique<WaitGroup>();
      WaitGroup* raw = wg.get();
      raw->add(2);
      for (int i = 0; i < 2; ++i) go([raw] { raw->done(); });
      go([&wg, finished] {
        wg->wait();
        wg.reset();  // the owner frees it right away
        finished.send({});
      });
      finished.recv();
    }
  });
}

// Go: sync/atomic's hammer tests: Add and CompareAndSwap from many goroutines.
TEST_P(SyncTest, AtomicsAreLinearizableUnderContention) {
  run([] {
    Atomic<std::int64_t> sum{0, "sum"};
    Atomic<int> casCount{0};
    WaitGroup wg;
    const int goroutines = 8, rounds = 100 * kScale;
    wg.add(goroutines);
    for (int g = 0; g < goroutines; ++g) {
      go([&] {
        for (int i = 0; i < rounds; ++i) {
          sum.add(2);
          for (;;) {
            int v = casCount.load();
            if (casCount.compareAndSwap(v, v + 1)) break;
          }
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(sum.load(), 2L * goroutines * rounds);
    EXPECT_EQ(casCount.load(), goroutines * rounds);
    EXPECT_EQ(casCount.swap(0), goroutines * rounds);
    EXPECT_EQ(casCount.load(), 0);
  });
}

// A goroutine blocked on a Mutex counts as blocked: AB-BA is a deadlock with Go's dump.
TEST_P(SyncTest, LockOrderInversionIsADeadlockNamingTheWait) {
  try {
    run([] {
      Mutex a, b;
      auto bothHold = makeChan<Unit>();
      go([&, bothHold] {
        std::lock_guard la(a);
        bothHold.send({});
        std::lock_guard lb(b);
      });
      std::lock_guard lb(b);
      bothHold.recv();
      std::lock_guard la(a);
    });
    FAIL() << "expected a deadlock";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.message(), "all goroutines are asleep - deadlock!");
    EXPECT_NE(e.goroutineDump().find("[sync.Mutex.Lock]"), std::string::npos)
        << e.goroutineDump();
  }
}

WEFT_INSTANTIATE_ALL_RUNTIMES(SyncTest);

}  // namespace
}  // namespace weft
