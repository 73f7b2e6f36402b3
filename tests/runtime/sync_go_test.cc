// Go 1.19's sync tests (sync/mutex_test.go, rwmutex_test.go, cond_test.go, once_test.go,
// waitgroup_test.go) and the hammer tests of sync/atomic/atomic_test.go, re-expressed for weft
// so that a Go user can rely on the same behaviour. Every test runs under every runtime
// configuration: the deterministic scheduler (3 seeds, virtual time) and the production
// work-stealing scheduler at 1, 2, 4 and 8 workers.
//
// What differs from Go throughout:
//   - Go's GOMAXPROCS variations are the worker counts of the fixture.
//   - Go's "fail after a long timeout" guards are dropped: a goroutine that is never woken
//     makes every goroutine asleep, which weft reports as a deadlock (FatalError) in both
//     schedulers, so the test still fails, and fails faster.
//   - Loops are shorter in deterministic mode (every operation is a scheduling point there and
//     an execution is capped at Config::maxSteps) and under sanitizers.
//   - Goroutines are joined before main returns: the fixture reports leaked goroutines, where
//     Go just drops them.
//   - Deterministic-mode trick used below: virtual time only advances when every goroutine is
//     blocked, so after sleep() returns in deterministic mode, every other goroutine has reached
//     a blocking point (or finished).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "fixtures.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::WithRuntime;
using namespace std::chrono_literals;

constexpr int kSanitizerDivisor = testing::kSanitized ? 10 : 1;

class SyncGoTest : public WithRuntime {
 protected:
  // Iterations: `production` under the work-stealing scheduler, `sim` under the deterministic
  // one; a tenth of either under sanitizers (at least 1).
  int iters(int production, int sim) const {
    return std::max(1, (deterministic() ? sim : production) / kSanitizerDivisor);
  }
};

// ---- Mutex ------------------------------------------------------------------------------------

// Go: TestMutex. TryLock fails on a locked mutex and succeeds on an unlocked one; then ten
// goroutines run HammerMutex (every third iteration a TryLock, otherwise Lock/Unlock).
// Differs: Go also turns on the mutex profiler (weft has none); 1000 loops in production,
// 200 in deterministic mode.
TEST_P(SyncGoTest, MutexTryLockAndHammer) {
  const int loops = iters(1000, 200);
  run([&] {
    Mutex m;
    m.lock();
    EXPECT_FALSE(m.try_lock()) << "TryLock succeeded with mutex locked";
    m.unlock();
    EXPECT_TRUE(m.try_lock()) << "TryLock failed with mutex unlocked";
    m.unlock();

    auto c = makeChan<bool>();
    for (int i = 0; i < 10; ++i) {
      go([&m, c, loops] {
        for (int k = 0; k < loops; ++k) {
          if (k % 3 == 0) {
            if (m.try_lock()) m.unlock();
            continue;
          }
          m.lock();
          m.unlock();
        }
        c.send(true);
      });
    }
    for (int i = 0; i < 10; ++i) c.recv();
  });
}

// Mutual exclusion, checked with plain (non-atomic) data: a counter that must add up exactly
// and an "inside" count that must never exceed one. Goroutines sometimes yield while holding
// the lock. Not a Go test: what TestMutex relies on, made explicit (and TSan-checked).
TEST_P(SyncGoTest, MutexExcludesPlainCounterStress) {
  const int goroutines = 8;
  const int rounds = iters(2000, 250);
  long counter = 0;
  int inside = 0;
  int overlaps = 0;
  run([&] {
    Mutex mu;
    WaitGroup wg;
    wg.add(goroutines);
    for (int g = 0; g < goroutines; ++g) {
      go([&, g] {
        for (int i = 0; i < rounds; ++i) {
          mu.lock();
          if (inside++ != 0) ++overlaps;
          ++counter;
          if ((i + g) % 7 == 0) yield();  // hold the lock across a switch
          --inside;
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_EQ(counter, static_cast<long>(goroutines) * rounds);
  EXPECT_EQ(overlaps, 0);
}

// Go: TestMutexMisuse. Every misuse ends the program with a fatal error about an unlocked lock.
// Differs: Go runs each case in a child process and greps its output for "unlocked"; weft's
// run() throws FatalError and we check Go's exact text for each case.
TEST_P(SyncGoTest, MutexMisuseIsFatalWithGoTexts) {
  struct Case {
    const char* goName;
    const char* text;
    void (*body)();
  };
  const Case cases[] = {
      {"Mutex.Unlock", "sync: unlock of unlocked mutex",
       [] {
         Mutex mu;
         mu.unlock();
       }},
      {"Mutex.Unlock2", "sync: unlock of unlocked mutex",
       [] {
         Mutex mu;
         mu.lock();
         mu.unlock();
         mu.unlock();
       }},
      {"RWMutex.Unlock", "sync: Unlock of unlocked RWMutex",
       [] {
         RWMutex mu;
         mu.unlock();
       }},
      {"RWMutex.Unlock2", "sync: Unlock of unlocked RWMutex",
       [] {
         RWMutex mu;
         mu.lock_shared();
         mu.unlock();
       }},
      {"RWMutex.Unlock3", "sync: Unlock of unlocked RWMutex",
       [] {
         RWMutex mu;
         mu.lock();
         mu.unlock();
         mu.unlock();
       }},
      {"RWMutex.RUnlock", "sync: RUnlock of unlocked RWMutex",
       [] {
         RWMutex mu;
         mu.unlock_shared();
       }},
      {"RWMutex.RUnlock2", "sync: RUnlock of unlocked RWMutex",
       [] {
         RWMutex mu;
         mu.lock();
         mu.unlock_shared();
       }},
      {"RWMutex.RUnlock3", "sync: RUnlock of unlocked RWMutex",
       [] {
         RWMutex mu;
         mu.lock_shared();
         mu.unlock_shared();
         mu.unlock_shared();
       }},
  };
  for (const Case& c : cases) {
    try {
      run([&] { c.body(); }, /*allowLeaks=*/true);
      ADD_FAILURE() << c.goName << ": run() returned normally";
    } catch (const FatalError& e) {
      EXPECT_EQ(e.message(), c.text) << c.goName;
      EXPECT_EQ(std::string(e.what()), std::string("fatal error: ") + c.text) << c.goName;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.goName << ": expected FatalError, got: " << e.what();
    }
  }
}

// Go: TestMutexMisuse wraps each case in `defer func() { recover() }()` and still expects the
// process to die: a fatal error is not a panic. In weft, catching the FatalError inside the
// goroutine does not save the run either, also when it happens in a goroutine other than main.
TEST_P(SyncGoTest, MutexMisuseCannotBeRecovered) {
  try {
    run(
        [] {
          auto done = makeChan<Unit>();
          go(Named{"misuser"}, [done] {
            Mutex mu;
            try {
              mu.unlock();
            } catch (...) {
              // Go: recover() returns nil for a fatal error; the program dies anyway.
            }
            done.send({});
          });
          done.recv();
        },
        /*allowLeaks=*/true);
    FAIL() << "a swallowed fatal error let the run finish";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.message(), "sync: unlock of unlocked mutex");
  }
}

// Go: TestMutexFairness. One goroutine keeps the mutex almost always locked (re-locking right
// after each unlock); another must still get it ten times (Go 1.9+ starvation mode hands the
// lock to a waiter that has waited 1 ms). Differs: Go's 10 s limit is dropped (see the top of
// the file), and main stops and joins the greedy goroutine instead of leaking it.
TEST_P(SyncGoTest, MutexFairness) {
  run([] {
    Mutex mu;
    auto stop = makeChan<bool>();
    auto greedyExited = makeChan<Unit>(1);
    go([&mu, stop, greedyExited] {
      for (;;) {
        mu.lock();
        sleep(100us);
        mu.unlock();
        if (select(recv(stop), otherwise()) == 0) break;
      }
      greedyExited.send({});
    });
    auto done = makeChan<bool>(1);
    go([&mu, done] {
      for (int i = 0; i < 10; ++i) {
        sleep(100us);
        mu.lock();
        mu.unlock();
      }
      done.send(true);
    });
    done.recv();
    stop.close();  // Go: defer close(stop)
    greedyExited.recv();
  });
}

// ---- RWMutex ----------------------------------------------------------------------------------

// Go: TestParallelReaders. 1, 3 and 4 readers all hold the read lock at the same time (each
// reports in while holding it and waits for main's go-ahead before releasing it). Differs: Go
// varies GOMAXPROCS (here: the worker counts); we also check that no writer gets in meanwhile.
TEST_P(SyncGoTest, ParallelReaders) {
  run([] {
    for (int numReaders : {1, 3, 4}) {
      RWMutex m;
      auto clocked = makeChan<bool>();
      auto cunlock = makeChan<bool>();
      auto cdone = makeChan<bool>();
      for (int i = 0; i < numReaders; ++i) {
        go([&m, clocked, cunlock, cdone] {
          m.lock_shared();
          clocked.send(true);
          cunlock.recv();
          m.unlock_shared();
          cdone.send(true);
        });
      }
      for (int i = 0; i < numReaders; ++i) clocked.recv();  // every RLock succeeded together
      EXPECT_FALSE(m.try_lock()) << numReaders << " readers hold the lock";
      for (int i = 0; i < numReaders; ++i) cunlock.send(true);
      for (int i = 0; i < numReaders; ++i) cdone.recv();
    }
  });
}

// Go: TestRWMutex. TryLock / TryRLock against a write-locked, unlocked and read-locked mutex,
// then HammerRWMutex: two writers and N readers; "activity" counts active readers plus 10000
// per active writer and must show a writer alone and readers without a writer. Differs: Go
// panics inside the goroutine; here violations are counted. Go's GOMAXPROCS sweep
// (1, 4, 10) is the fixture's worker counts; the reader counts 1, 3, 10, 5 are kept; 1000
// iterations (Go's default) in production, 50 in deterministic mode.
TEST_P(SyncGoTest, RWMutexTryLocksAndHammer) {
  const int n = iters(1000, 50);
  run([&] {
    {
      RWMutex m;
      m.lock();
      EXPECT_FALSE(m.try_lock()) << "TryLock succeeded with mutex locked";
      EXPECT_FALSE(m.try_lock_shared()) << "TryRLock succeeded with mutex locked";
      m.unlock();
      EXPECT_TRUE(m.try_lock()) << "TryLock failed with mutex unlocked";
      m.unlock();
      EXPECT_TRUE(m.try_lock_shared()) << "TryRLock failed with mutex unlocked";
      EXPECT_TRUE(m.try_lock_shared()) << "TryRLock failed with mutex rlocked";
      EXPECT_FALSE(m.try_lock()) << "TryLock succeeded with mutex rlocked";
      m.unlock_shared();
      m.unlock_shared();
    }
    for (int numReaders : {1, 3, 10, 5}) {
      Atomic<std::int32_t> activity{0, "activity"};
      Atomic<std::int32_t> violations{0, "violations"};
      RWMutex rwm;
      auto cdone = makeChan<bool>();
      auto writer = [&, cdone] {
        for (int i = 0; i < n; ++i) {
          rwm.lock();
          if (activity.add(10000) != 10000) violations.add(1);
          if (i % 8 == 0) yield();
          activity.add(-10000);
          rwm.unlock();
        }
        cdone.send(true);
      };
      auto reader = [&, cdone] {
        for (int i = 0; i < n; ++i) {
          rwm.lock_shared();
          const std::int32_t a = activity.add(1);
          if (a < 1 || a >= 10000) violations.add(1);
          if (i % 8 == 0) yield();
          activity.add(-1);
          rwm.unlock_shared();
        }
        cdone.send(true);
      };
      go(Named{"writer"}, writer);
      int i = 0;
      for (; i < numReaders / 2; ++i) go(Named{"reader"}, reader);
      go(Named{"writer"}, writer);
      for (; i < numReaders; ++i) go(Named{"reader"}, reader);
      for (int k = 0; k < 2 + numReaders; ++k) cdone.recv();
      EXPECT_EQ(violations.load(), 0) << numReaders << " readers";
      EXPECT_EQ(activity.load(), 0);
    }
  });
}

// Go: TestRLocker. rlocker() is a Locker over the read side: two read locks by one goroutine,
// a write lock that waits for both to be released, and read locks that wait for the writer.
TEST_P(SyncGoTest, RLocker) {
  run([] {
    RWMutex wl;
    auto rl = wl.rlocker();
    static_assert(Locker<decltype(rl)>);
    auto wlocked = makeChan<bool>(1);
    auto rlocked = makeChan<bool>(1);
    const int n = 10;
    go([&wl, rl, wlocked, rlocked]() mutable {
      for (int i = 0; i < n; ++i) {
        rl.lock();
        rl.lock();
        rlocked.send(true);
        wl.lock();
        wlocked.send(true);
      }
    });
    for (int i = 0; i < n; ++i) {
      rlocked.recv();
      rl.unlock();
      EXPECT_FALSE(wlocked.tryRecv().has_value()) << "RLocker() didn't read-lock it";
      rl.unlock();
      wlocked.recv();
      EXPECT_FALSE(rlocked.tryRecv().has_value()) << "RLocker() didn't respect the write lock";
      wl.unlock();  // locked by the other goroutine: allowed, as in Go
    }
  });
}

// Writer preference (Go's RWMutex documentation: "If a goroutine holds a RWMutex for reading
// and another goroutine might call Lock, no goroutine should expect to be able to acquire a
// read lock until the initial read lock is released"). Main holds a read lock; a writer blocks
// in Lock; from then on TryRLock fails and a new reader blocks; when main releases its read
// lock the writer goes first, then the new reader. Deterministic in every configuration: main
// polls TryRLock until the writer has announced itself. Not a test in Go's suite.
TEST_P(SyncGoTest, RWMutexBlockedWriterStopsNewReaders) {
  std::vector<char> order;
  run([&] {
    RWMutex rw;
    Mutex logMu;
    auto log = [&](char c) {
      std::lock_guard l(logMu);
      order.push_back(c);
    };
    rw.lock_shared();  // the initial reader
    auto writerDone = makeChan<Unit>(1);
    auto readerDone = makeChan<Unit>(1);
    go([&, writerDone] {
      rw.lock();
      log('W');
      rw.unlock();
      writerDone.send({});
    });
    // The writer has announced itself once TryRLock fails (main's read lock keeps it waiting).
    while (rw.try_lock_shared()) {
      rw.unlock_shared();
      yield();
    }
    go([&, readerDone] {
      rw.lock_shared();
      log('R');
      rw.unlock_shared();
      readerDone.send({});
    });
    sleep(1ms);  // deterministic mode: the new reader has certainly reached lock_shared()
    EXPECT_FALSE(rw.try_lock_shared()) << "a read lock was granted past a waiting writer";
    {
      std::lock_guard l(logMu);
      EXPECT_TRUE(order.empty()) << "someone got in while the initial reader held the lock";
    }
    rw.unlock_shared();
    writerDone.recv();
    readerDone.recv();
  });
  EXPECT_EQ(order, (std::vector<char>{'W', 'R'}));
}

// ---- Cond -------------------------------------------------------------------------------------

// Go: TestCondSignal. Two waiters; each Signal (under the lock) wakes exactly one.
TEST_P(SyncGoTest, CondSignal) {
  // Outside the run: the last waiter unlocks after main has seen its wake-up and returned.
  Mutex m;
  Cond c(m);
  run([&] {
    int n = 2;
    auto running = makeChan<bool>(n);
    auto awake = makeChan<bool>(n);
    for (int i = 0; i < n; ++i) {
      go([&m, &c, running, awake] {
        m.lock();
        running.send(true);
        c.wait();
        awake.send(true);
        m.unlock();
      });
    }
    for (int i = 0; i < n; ++i) running.recv();  // wait for everyone to run
    while (n > 0) {
      EXPECT_FALSE(awake.tryRecv().has_value()) << "goroutine not asleep";
      m.lock();
      c.signal();
      m.unlock();
      awake.recv();  // deadlocks (FatalError) if no goroutine wakes up
      EXPECT_FALSE(awake.tryRecv().has_value()) << "too many goroutines awake";
      --n;
    }
    c.signal();  // no waiter left: a no-op
  });
}

// Go: TestCondSignalGenerations. Waiter i starts, waits; main signals once per waiter; the
// waiter woken by the signal after waiter i registered must be waiter i-1's successor in wait
// order, i.e. exactly i-1 (main receives i-1's wake-up before signalling for i).
TEST_P(SyncGoTest, CondSignalGenerations) {
  // Outside the run: the last waiter unlocks after main has seen its wake-up and returned.
  Mutex m;
  Cond c(m);
  run([&] {
    const int n = 100;
    auto running = makeChan<bool>(n);
    auto awake = makeChan<int>(n);
    for (int i = 0; i < n; ++i) {
      go(
          [&m, &c, running, awake](int me) {
            m.lock();
            running.send(true);
            c.wait();
            awake.send(me);
            m.unlock();
          },
          i);
      if (i > 0) {
        const int a = awake.recv();
        EXPECT_EQ(a, i - 1) << "wrong goroutine woke up";
      }
      running.recv();
      m.lock();
      c.signal();
      m.unlock();
    }
    EXPECT_EQ(awake.recv(), n - 1);
  });
}

// Signal wakes the longest-waiting goroutine (Go's notifyList is FIFO; sync.h promises it).
// Waiter i is started only after waiter i-1 is inside wait() (main takes and drops the lock
// after the waiter reported in, which it can only do once the waiter's wait() released it), so
// the wait order is 0, 1, ..., n-1; each signal must then wake the next one in that order.
TEST_P(SyncGoTest, CondSignalWakesInWaitOrder) {
  // Outside the run: the last waiter unlocks after main has seen its wake-up and returned.
  Mutex mu;
  Cond c(mu);
  run([&] {
    const int n = 8;
    auto registered = makeChan<int>(n);
    auto woke = makeChan<int>(n);
    for (int i = 0; i < n; ++i) {
      go(
          [&mu, &c, registered, woke](int me) {
            mu.lock();
            registered.send(me);
            c.wait();
            woke.send(me);
            mu.unlock();
          },
          i);
      EXPECT_EQ(registered.recv(), i);
      mu.lock();  // waiter i has released mu inside wait(): it is queued behind 0..i-1
      mu.unlock();
    }
    for (int i = 0; i < n; ++i) {
      c.signal();
      EXPECT_EQ(woke.recv(), i) << "signal did not wake the longest waiter";
      EXPECT_FALSE(woke.tryRecv().has_value()) << "one signal woke two waiters";
    }
  });
}

// Go: TestCondBroadcast. n goroutines loop waiting on the Cond; each Broadcast wakes every one
// of them exactly once; after the last round they all exit. Differs: n is 200 in production (as
// in Go) and 25 in deterministic mode; main joins the goroutines at the end.
TEST_P(SyncGoTest, CondBroadcast) {
  const int n = iters(200, 25);
  run([&] {
    Mutex m;
    Cond c(m);
    auto running = makeChan<int>(n);
    auto awake = makeChan<int>(n);
    bool exit = false;  // guarded by m
    WaitGroup exited;
    exited.add(n);
    for (int i = 0; i < n; ++i) {
      go(
          [&, running, awake](int g) {
            m.lock();
            while (!exit) {
              running.send(g);
              c.wait();
              awake.send(g);
            }
            m.unlock();
            exited.done();
          },
          i);
    }
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < n; ++k) running.recv();  // deadlocks unless n are running
      if (i == n - 1) {
        m.lock();
        exit = true;
        m.unlock();
      }
      EXPECT_FALSE(awake.tryRecv().has_value()) << "goroutine not asleep";
      m.lock();
      c.broadcast();
      m.unlock();
      std::vector<bool> seen(static_cast<std::size_t>(n));
      for (int k = 0; k < n; ++k) {
        const int g = awake.recv();
        EXPECT_FALSE(seen[static_cast<std::size_t>(g)]) << "goroutine woke up twice";
        seen[static_cast<std::size_t>(g)] = true;
      }
    }
    exited.wait();
    EXPECT_FALSE(running.tryRecv().has_value()) << "goroutine did not exit";
    c.broadcast();
  });
}

// Go: TestRace. Three goroutines hand a plain variable x through 1 -> 2 -> 3 with Signal and
// Wait, two of them polling with Gosched (here: yield()). Data is plain: TSan and the
// deterministic race detector would catch a missing happens-before edge.
TEST_P(SyncGoTest, CondRace) {
  run([] {
    int x = 0;
    Mutex l;
    Cond c(l);
    auto done = makeChan<bool>();
    go([&, done] {
      l.lock();
      x = 1;
      c.wait();
      EXPECT_EQ(x, 2) << "want 2";
      x = 3;
      c.signal();
      l.unlock();
      done.send(true);
    });
    go([&, done] {
      l.lock();
      for (;;) {
        if (x == 1) {
          x = 2;
          c.signal();
          break;
        }
        l.unlock();
        yield();
        l.lock();
      }
      l.unlock();
      done.send(true);
    });
    go([&, done] {
      l.lock();
      for (;;) {
        if (x == 2) {
          c.wait();
          EXPECT_EQ(x, 3) << "want 3";
          break;
        }
        if (x == 3) break;
        l.unlock();
        yield();
        l.lock();
      }
      l.unlock();
      done.send(true);
    });
    done.recv();
    done.recv();
    done.recv();
  });
}

// Go: TestCondSignalStealing. A waiter is known to be inside Wait; then a Broadcast races
// with a second goroutine starting to Wait. The second may or may not be woken, but the first
// must be. Differs: Go gives up after 2 s; here an unwoken first waiter is a deadlock
// (FatalError). 1000 iterations in production (as in Go), 50 in deterministic mode.
TEST_P(SyncGoTest, CondSignalStealing) {
  const int iterations = iters(1000, 50);
  run([&] {
    for (int it = 0; it < iterations; ++it) {
      Mutex m;
      Cond cond(m);
      auto ch = makeChan<Unit>();
      go([&m, &cond, ch] {
        m.lock();
        ch.send({});
        cond.wait();
        m.unlock();
        ch.send({});
      });
      ch.recv();
      m.lock();  // the waiter is inside wait(): it released m there
      m.unlock();

      bool done = false;  // guarded by m
      WaitGroup racers;
      racers.add(2);
      go([&] {
        cond.broadcast();
        racers.done();
      });
      go([&] {
        m.lock();
        while (!done) cond.wait();
        m.unlock();
        racers.done();
      });
      ch.recv();  // the first waiter must get the broadcast

      m.lock();  // release the second waiter in case it missed the broadcast
      done = true;
      m.unlock();
      cond.broadcast();
      racers.wait();
    }
  });
}

// Go: TestCondCopy expects the panic "sync.Cond is copied" when a used Cond is copied. In weft
// copying (or moving) any sync object is a compile error instead (Go vet's copylocks check,
// enforced by the type system), so the "test" is a set of static assertions.
static_assert(!std::is_copy_constructible_v<Cond> && !std::is_copy_assignable_v<Cond>);
static_assert(!std::is_move_constructible_v<Cond> && !std::is_move_assignable_v<Cond>);
static_assert(!std::is_copy_constructible_v<Mutex> && !std::is_move_constructible_v<Mutex>);
static_assert(!std::is_copy_constructible_v<RWMutex> && !std::is_move_constructible_v<RWMutex>);
static_assert(!std::is_copy_constructible_v<WaitGroup> && !std::is_move_constructible_v<WaitGroup>);
static_assert(!std::is_copy_constructible_v<Once> && !std::is_move_constructible_v<Once>);

// ---- Once -------------------------------------------------------------------------------------

// Go: TestOnce. Ten goroutines call Do with the same function; it runs once, and every Do
// returns only after it has run (each caller sees o == 1, a plain variable).
TEST_P(SyncGoTest, Once) {
  int o = 0;
  run([&] {
    Once once;
    auto c = makeChan<bool>();
    const int n = 10;
    for (int i = 0; i < n; ++i) {
      go([&, c] {
        once.call([&] {
          yield();  // let the others arrive while f runs
          ++o;
        });
        EXPECT_EQ(o, 1) << "once failed inside run";
        c.send(true);
      });
    }
    for (int i = 0; i < n; ++i) c.recv();
    EXPECT_EQ(o, 1) << "once failed outside run";
  });
  EXPECT_EQ(o, 1);
}

// Go: TestOncePanic. If f panics, Do re-panics and the Once still counts as done: a later Do
// does not call its function. Differs: Go's panic is any C++ exception here (weft::Panic and a
// foreign exception alike). Note this is unlike std::call_once, which retries after a throw.
TEST_P(SyncGoTest, OncePanicCountsAsDone) {
  run([] {
    {
      Once once;
      try {
        once.call([] { throw Panic("failed"); });
        ADD_FAILURE() << "Once.Do did not panic";
      } catch (const Panic& p) {
        EXPECT_EQ(p.message(), "failed");
      }
      once.call([] { ADD_FAILURE() << "Once.Do called twice"; });
    }
    {
      Once once;
      EXPECT_THROW(once.call([] { throw std::runtime_error("failed"); }), std::runtime_error);
      once.call([] { ADD_FAILURE() << "Once.Do called twice after a foreign exception"; });
    }
  });
}

// Once whose f throws while another goroutine is waiting in call(): the waiter returns
// normally, after f has finished, without running its own function. Go's once.go gets this
// from `defer o.m.Unlock()` and `defer atomic.StoreUint32(&o.done, 1)`; not a separate Go test.
TEST_P(SyncGoTest, OncePanicReleasesConcurrentCallers) {
  run([] {
    Once once;
    bool fFinished = false;  // plain: ordered by the Once
    auto inF = makeChan<Unit>();
    auto release = makeChan<Unit>();
    auto outcome = makeChan<std::string>(2);
    go([&, inF, release, outcome] {
      try {
        once.call([&] {
          inF.send({});
          release.recv();
          fFinished = true;
          throw Panic("failed");
        });
        outcome.send("first returned");
      } catch (const Panic&) {
        outcome.send("first panicked");
      }
    });
    inF.recv();  // f is running
    go([&, outcome] {
      bool ran = false;
      try {
        once.call([&] { ran = true; });
      } catch (...) {
        outcome.send("second panicked");
        return;
      }
      EXPECT_TRUE(fFinished) << "Do returned before the first f finished";
      outcome.send(ran ? "second ran f" : "second returned");
    });
    yield();
    release.send({});
    std::vector<std::string> got{outcome.recv(), outcome.recv()};
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"first panicked", "second returned"}));
  });
}

// ---- WaitGroup --------------------------------------------------------------------------------

// Go: TestWaitGroup. Two WaitGroups used as barriers, eight times over the same objects (reuse
// must leave them in a proper state): wg2 must not release anyone before its n Done calls.
TEST_P(SyncGoTest, WaitGroupReuse) {
  run([] {
    WaitGroup wg1, wg2;
    const int n = 16;
    for (int round = 0; round != 8; ++round) {
      wg1.add(n);
      wg2.add(n);
      auto exited = makeChan<bool>(n);
      for (int i = 0; i != n; ++i) {
        go([&wg1, &wg2, exited] {
          wg1.done();
          wg2.wait();
          exited.send(true);
        });
      }
      wg1.wait();
      for (int i = 0; i != n; ++i) {
        EXPECT_FALSE(exited.tryRecv().has_value()) << "WaitGroup released group too soon";
        wg2.done();
      }
      for (int i = 0; i != n; ++i) exited.recv();  // blocks if the barrier failed to release
    }
  });
}

// Go: TestWaitGroupMisuse. A negative counter panics "sync: negative WaitGroup counter". The
// panic is recoverable (catchable) in the goroutine that made the bad call, main or another;
// escaping a goroutine, it ends the run and run() rethrows it naming the goroutine.
TEST_P(SyncGoTest, WaitGroupNegativeCounterPanics) {
  run([] {
    WaitGroup wg;
    wg.add(1);
    wg.done();
    try {
      wg.done();
      ADD_FAILURE() << "Should panic";
    } catch (const Panic& p) {
      EXPECT_EQ(p.message(), "sync: negative WaitGroup counter");
    }
    auto result = makeChan<std::string>(1);
    go([result] {
      WaitGroup other;
      try {
        other.add(-1);
        result.send("no panic");
      } catch (const Panic& p) {
        result.send(p.message());
      }
    });
    EXPECT_EQ(result.recv(), "sync: negative WaitGroup counter");
  });

  try {
    run(
        [] {
          auto block = makeChan<int>();
          go(Named{"negative"}, [] {
            WaitGroup wg;
            wg.done();
          });
          block.recv();  // never sent: the panic must end the run
        },
        /*allowLeaks=*/true);
    FAIL() << "expected the panic to end the run";
  } catch (const Panic& p) {
    EXPECT_EQ(p.message(), "sync: negative WaitGroup counter");
    EXPECT_EQ(p.goroutineName(), "negative");
    ASSERT_TRUE(p.goroutineId().has_value());
    EXPECT_GT(*p.goroutineId(), 1u);
  }
}

// Go: TestWaitGroupRace. Two goroutines increment an atomic and call Done; Wait must not return
// before both increments (no spurious wake-up). 1000 iterations in production (as in Go), 200
// in deterministic mode.
TEST_P(SyncGoTest, WaitGroupRace) {
  const int iterations = iters(1000, 200);
  run([&] {
    for (int i = 0; i < iterations; ++i) {
      WaitGroup wg;
      Atomic<std::int32_t> n{0};
      wg.add(1);
      go([&] {
        n.add(1);
        wg.done();
      });
      wg.add(1);
      go([&] {
        n.add(1);
        wg.done();
      });
      wg.wait();
      ASSERT_EQ(n.load(), 2) << "Spurious wakeup from Wait";
    }
  });
}

// Go: TestWaitGroupAlign. A WaitGroup placed after a byte in a struct works (Go cares about
// 64-bit alignment of its state on 32-bit platforms; std::atomic<uint64_t> is aligned by the
// type system, but the scenario is kept).
TEST_P(SyncGoTest, WaitGroupAlign) {
  run([] {
    struct X {
      char x;
      WaitGroup wg;
    } x;
    x.x = 'x';
    x.wg.add(1);
    go([](X* p) { p->wg.done(); }, &x);
    x.wg.wait();
  });
}

// ---- atomics (sync/atomic/atomic_test.go) -----------------------------------------------------

// Go: TestHammer64 with hammerAddInt64, hammerCompareAndSwapInt64 and hammerSwapInt64. Four
// goroutines each add 1 n times / CAS-increment n times: the total is exactly 4n. For Swap,
// every value swapped out must be one that was stored whole (its two halves equal). Go's n is
// 100000 (1000 with -short); here 20000 in production, 1000 in deterministic mode.
TEST_P(SyncGoTest, AtomicHammer) {
  const int p = 4;
  const int n = iters(20000, 1000);
  run([&] {
    Atomic<std::int64_t> added{0, "added"};
    Atomic<std::int64_t> cased{0, "cased"};
    Atomic<std::uint64_t> swapped{0, "swapped"};
    Atomic<std::int32_t> tornSwaps{0};
    auto c = makeChan<int>();
    for (int g = 0; g < p; ++g) {
      go([&, c, g] {
        for (int i = 0; i < n; ++i) {
          added.add(1);
          for (;;) {
            const std::int64_t v = cased.load();
            if (cased.compareAndSwap(v, v + 1)) break;
          }
          const std::uint64_t k = static_cast<std::uint64_t>(g) * static_cast<std::uint64_t>(n) +
                                  static_cast<std::uint64_t>(i) + 1;
          const std::uint64_t old = swapped.swap(k << 32 | k);
          if (old >> 32 != (old & 0xffffffffu)) tornSwaps.add(1);
        }
        c.send(1);
      });
    }
    for (int g = 0; g < p; ++g) c.recv();
    EXPECT_EQ(added.load(), static_cast<std::int64_t>(n) * p);
    EXPECT_EQ(cased.load(), static_cast<std::int64_t>(n) * p);
    EXPECT_EQ(tornSwaps.load(), 0) << "Swap is not atomic";
    EXPECT_FALSE(cased.compareAndSwap(0, 1)) << "CompareAndSwap succeeded on a wrong old value";
    EXPECT_EQ(cased.swap(0), static_cast<std::int64_t>(n) * p);
    EXPECT_EQ(cased.load(), 0);
  });
}

// Go: TestStoreLoadSeqCst64. Dekker-style: each of two goroutines stores its own counter and
// loads the other's; they exchange what they saw; at least one must have seen the other's
// latest store (sequential consistency). Go's N is 1000 (100 with -short) and it yields every
// 1000 spins; here N is 1000 in production and 100 in deterministic mode. Go skips it on one
// CPU; weft runs it everywhere (at one worker the goroutines interleave at the yields).
TEST_P(SyncGoTest, AtomicStoreLoadSeqCst) {
  const std::int64_t N = iters(1000, 100);
  run([&] {
    Atomic<std::int64_t> X[2];
    Atomic<std::int64_t> ack[2][3];
    for (auto& row : ack) {
      for (auto& a : row) a.store(-1);
    }
    auto c = makeChan<bool>(2);
    for (int p = 0; p < 2; ++p) {
      go(
          [&, c](int me) {
            const int he = 1 - me;
            bool failed = false;
            for (std::int64_t i = 1; i < N; ++i) {
              X[me].store(i);
              const std::int64_t my = X[he].load();
              ack[me][i % 3].store(my);
              for (int w = 1; ack[he][i % 3].load() == -1; ++w) {
                if (w % 1000 == 0) yield();
              }
              const std::int64_t his = ack[he][i % 3].load();
              // Go breaks out of the loop on the first error, which leaves the other goroutine
              // spinning forever; here the first error is reported and both keep going.
              if (!failed && ((my != i && my != i - 1) || (his != i && his != i - 1))) {
                ADD_FAILURE() << "invalid values: " << my << "/" << his << " (" << i << ")";
                failed = true;
              }
              if (!failed && my != i && his != i) {
                ADD_FAILURE() << "store/load are not sequentially consistent: " << my << "/" << his
                              << " (" << i << ")";
                failed = true;
              }
              ack[me][(i - 1) % 3].store(-1);
            }
            c.send(true);
          },
          p);
    }
    c.recv();
    c.recv();
  });
}

WEFT_INSTANTIATE_ALL_RUNTIMES(SyncGoTest);

}  // namespace
}  // namespace weft
