// sync under every runtime configuration, beyond Go's own tests (those are in
// sync_go_test.cc): readers and writers kept apart under a hammer, a WaitGroup destroyed by its
// waiter as soon as wait() returns, and lock-order inversion reported as a deadlock.
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

constexpr int kScale = testing::kSanitized ? 1 : 10;

class SyncTest : public WithRuntime {};

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

// The same for a Mutex: the goroutine that locks it last may free it right after unlocking,
// while the goroutine whose unlock woke it may still be inside unlock(). A waiter that had not
// parked yet takes the count without being woken, so a release must not touch the Mutex after
// publishing the count (a use after free, seen by ASan and TSan, when it did). Probabilistic,
// like Go's hammer tests: the window is a few instructions wide.
TEST_P(SyncTest, MutexMayBeDestroyedByItsLastUser) {
  run([] {
    for (int round = 0; round < 200 * kScale; ++round) {
      auto mu = std::make_unique<Mutex>();
      Mutex* raw = mu.get();
      auto finished = makeChan<Unit>(1);
      raw->lock();
      go([&mu, raw, finished] {
        raw->lock();  // contends with the owner below
        raw->unlock();
        mu.reset();
        finished.send({});
      });
      if (round % 2 == 0) yield();  // sometimes parked, sometimes still arriving
      raw->unlock();
      finished.recv();
    }
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
