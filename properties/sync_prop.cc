// Sync properties over RapidCheck-generated scenarios AND schedules, checked against the
// executable models (models/mutex_model.h, models/sync_models.h): Mutex and RWMutex exclusion,
// a pending writer blocking new readers, Cond FIFO signalling and no lost wake-ups, Once
// running exactly once before any call returns, WaitGroup releasing exactly at zero. A failing
// case is shrunk by RapidCheck in both dimensions; its message ends with weft's replay line.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "models/mutex_model.h"
#include "models/sync_models.h"
#include "properties/history.h"
#include "weft/harness/rapidcheck.h"
#include "weft/weft.h"

namespace weft::props {
namespace {

using harness::RcSchedule;
using namespace std::chrono_literals;

void run(const RcSchedule& schedule, const std::function<void()>& body) {
  harness::ExploreOptions o;
  o.detectRaces = true;
  harness::ExploreResult r = harness::simulate(schedule, body, o);
  if (r.failure) RC_FAIL(r.failure->format());
}

// ---- Mutex ----------------------------------------------------------------------------------

RC_GTEST_PROP(SyncProps, MutexHistoryIsLinearizableAndProtectsPlainData, (RcSchedule schedule)) {
  const int goroutines = *rc::gen::inRange(1, 4);
  const int rounds = *rc::gen::inRange(1, 4);
  const bool useTryLock = *rc::gen::arbitrary<bool>();
  History<models::MutexModel> h;
  int total = -1;
  run(schedule, [&] {
    Mutex mu;
    Shared<int> counter{0, "counter"};
    WaitGroup wg;
    wg.add(goroutines);
    for (int g = 0; g < goroutines; ++g) {
      go([&, who = static_cast<std::uint64_t>(g + 1)] {
        for (int i = 0; i < rounds; ++i) {
          auto c = h.call();
          if (useTryLock && i % 2 == 1) {
            const bool got = mu.try_lock();
            h.ret(c, {models::MutexModel::Op::kTryLock, who}, {got});
            if (!got) continue;
          } else {
            mu.lock();
            h.ret(c, {models::MutexModel::Op::kLock, who}, {});
          }
          counter.store(counter.load() + 1);  // a lost update if exclusion failed
          c = h.call();
          mu.unlock();
          h.ret(c, {models::MutexModel::Op::kUnlock, who}, {});
        }
        wg.done();
      });
    }
    wg.wait();
    total = counter.load();
  });
  int acquisitions = 0;
  for (const auto& op : h.ops()) {
    if (op.input.op == models::MutexModel::Op::kUnlock) ++acquisitions;
  }
  RC_ASSERT(total == acquisitions);
  RC_ASSERT(models::linearizable(h.ops(), models::MutexModel{}));
}

TEST(SyncProps, UnlockOfUnlockedMutexIsFatal) {
  harness::ExploreOptions o;
  o.iterations = 20;
  harness::ExploreResult r = harness::explore([] {
    Mutex mu;
    mu.unlock();
  }, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, harness::FailureKind::kFatal);
  EXPECT_NE(r.failure->message.find("sync: unlock of unlocked mutex"), std::string::npos)
      << r.failure->message;
}

// ---- RWMutex --------------------------------------------------------------------------------

RC_GTEST_PROP(SyncProps, RWMutexHistoryIsLinearizable, (RcSchedule schedule)) {
  const int readers = *rc::gen::inRange(0, 4);
  const int writers = *rc::gen::inRange(1, 3);
  History<models::RWMutexModel> h;
  using Op = models::RWMutexModel::Op;
  run(schedule, [&] {
    RWMutex rw;
    Shared<int> data{0, "data"};
    WaitGroup wg;
    wg.add(readers + writers);
    for (int i = 0; i < readers + writers; ++i) {
      const bool writer = i < writers;
      go([&, writer, who = static_cast<std::uint64_t>(i + 1)] {
        for (int round = 0; round < 2; ++round) {
          auto c = h.call();
          writer ? rw.lock() : rw.lock_shared();
          h.ret(c, {writer ? Op::kLock : Op::kRLock, who}, {});
          if (writer) {
            data.store(data.load() + 1);
          } else {
            (void)data.load();
          }
          c = h.call();
          writer ? rw.unlock() : rw.unlock_shared();
          h.ret(c, {writer ? Op::kUnlock : Op::kRUnlock, who}, {});
        }
        wg.done();
      });
    }
    wg.wait();
    if (data.load() != 2 * writers) harness::fail("a writer's update was lost");
  });
  RC_ASSERT(models::linearizable(h.ops(), models::RWMutexModel{}));
}

// A blocked writer stops new readers (Go's writer preference): with a reader inside and a
// writer waiting, try_lock_shared fails and a new reader gets in only after the writer.
RC_GTEST_PROP(SyncProps, PendingWriterBlocksNewReaders, (RcSchedule schedule)) {
  std::string order;
  run(schedule, [&] {
    RWMutex rw;
    rw.lock_shared();
    auto done = makeChan<Unit>(2);
    go([&] {
      rw.lock();
      order += 'W';
      rw.unlock();
      done.send({});
    });
    // Virtual time only moves when every goroutine is blocked: after this sleep the writer
    // is certainly waiting for our read lock.
    sleep(1ms);
    if (rw.try_lock_shared()) harness::fail("a new reader got in past a waiting writer");
    go([&] {
      rw.lock_shared();
      order += 'R';
      rw.unlock_shared();
      done.send({});
    });
    sleep(1ms);
    rw.unlock_shared();
    done.recv();
    done.recv();
  });
  RC_ASSERT(order == "WR");
}

// ---- Cond -----------------------------------------------------------------------------------

// Waiters enter wait() in a known order; each signal wakes the longest-waiting one (FIFO), and
// each woken waiter holds the lock again when wait() returns.
RC_GTEST_PROP(SyncProps, CondSignalWakesWaitersInFifoOrder, (RcSchedule schedule)) {
  const int waiters = *rc::gen::inRange(1, 5);
  std::vector<int> entered, woken;
  run(schedule, [&] {
    Mutex mu;
    Cond cond(mu);
    Atomic<int> wokenCount{0, "woken"};
    WaitGroup wg;
    wg.add(waiters);
    for (int i = 0; i < waiters; ++i) {
      go([&, i] {
        std::unique_lock l(mu);
        entered.push_back(i);  // under the lock, so this is the order of wait() calls
        cond.wait();
        if (mu.try_lock()) harness::fail("wait() returned without the lock");
        woken.push_back(i);
        wokenCount.add(1);
        l.unlock();
        wg.done();
      });
    }
    // Wait until everyone is waiting, then signal one at a time.
    for (;;) {
      mu.lock();
      const bool all = static_cast<int>(entered.size()) == waiters;
      mu.unlock();
      if (all) break;
      yield();
    }
    for (int k = 1; k <= waiters; ++k) {
      cond.signal();
      while (wokenCount.load() < k) yield();
    }
    wg.wait();
  });
  RC_ASSERT(woken == entered);
}

// The predicate loop never loses a wake-up, whether the producer signals or broadcasts, and
// whatever the interleaving of its update with the waiters' checks.
RC_GTEST_PROP(SyncProps, CondWithPredicateLoopNeverLosesAWakeup, (RcSchedule schedule)) {
  const int waiters = *rc::gen::inRange(1, 4);
  const bool broadcast = *rc::gen::arbitrary<bool>();
  run(schedule, [&] {
    Mutex mu;
    Cond cond(mu);
    int items = 0;
    WaitGroup wg;
    wg.add(waiters);
    for (int i = 0; i < waiters; ++i) {
      go([&] {
        std::unique_lock l(mu);
        while (items == 0) cond.wait();
        --items;
        l.unlock();
        wg.done();  // last: once it runs, main may return and destroy mu
      });
    }
    for (int i = 0; i < waiters; ++i) {
      {
        std::lock_guard l(mu);
        ++items;
      }
      broadcast ? cond.broadcast() : cond.signal();
    }
    wg.wait();  // a lost wake-up leaves a waiter asleep: deadlock
  });
}

// ---- Once -----------------------------------------------------------------------------------

RC_GTEST_PROP(SyncProps, OnceRunsExactlyOnceBeforeAnyCallReturns, (RcSchedule schedule)) {
  const int callers = *rc::gen::inRange(1, 5);
  const bool panics = *rc::gen::arbitrary<bool>();
  History<models::OnceModel> h;
  int panicsSeen = 0;
  run(schedule, [&] {
    Once once;
    Shared<int> runs{0, "runs"};
    WaitGroup wg;
    wg.add(callers);
    for (int i = 0; i < callers; ++i) {
      go([&] {
        auto c = h.call();
        try {
          once.call([&] {
            runs.store(runs.load() + 1);
            h.ret(h.call(), {models::OnceModel::Op::kRanFunction}, {});
            if (panics) throw Panic("boom");
          });
        } catch (const Panic&) {
          ++panicsSeen;  // only the first call sees f's panic; it still counts as done
        }
        h.ret(c, {models::OnceModel::Op::kCallReturned}, {});
        if (runs.load() != 1) harness::fail("a call returned before f completed");
        wg.done();
      });
    }
    wg.wait();
  });
  RC_ASSERT(panicsSeen == (panics ? 1 : 0));
  RC_ASSERT(models::linearizable(h.ops(), models::OnceModel{}));
}

// ---- WaitGroup ------------------------------------------------------------------------------

RC_GTEST_PROP(SyncProps, WaitGroupWaitReturnsExactlyAtZero, (RcSchedule schedule)) {
  const int workers = *rc::gen::inRange(0, 4);
  const int waiters = *rc::gen::inRange(1, 3);
  History<models::WaitGroupModel> h;
  using Op = models::WaitGroupModel::Op;
  run(schedule, [&] {
    WaitGroup wg;
    std::array<Shared<int>, 4> finished;  // one cell per worker, written by it alone
    auto c = h.call();
    wg.add(workers);
    h.ret(c, {Op::kAdd, workers}, {});
    WaitGroup all;
    all.add(workers + waiters);
    for (int i = 0; i < workers; ++i) {
      go([&, i] {
        finished[static_cast<std::size_t>(i)].store(1);
        auto cc = h.call();
        wg.done();
        h.ret(cc, {Op::kAdd, -1}, {});
        all.done();
      });
    }
    for (int i = 0; i < waiters; ++i) {
      go([&] {
        auto cc = h.call();
        wg.wait();
        h.ret(cc, {Op::kWaitReturned}, {});
        // Every done() happens before wait() returns: their writes are visible, race-free.
        int sum = 0;
        for (int w = 0; w < workers; ++w) sum += finished[static_cast<std::size_t>(w)].load();
        if (sum != workers) harness::fail("wait returned before the counter hit 0");
        all.done();
      });
    }
    all.wait();
  });
  RC_ASSERT(models::linearizable(h.ops(), models::WaitGroupModel{}));
}

TEST(SyncProps, WaitGroupMisusePanicsWithGoText) {
  harness::ExploreOptions o;
  o.iterations = 10;
  std::string text;
  ASSERT_TRUE(harness::explore([&] {
    WaitGroup wg;
    try {
      wg.done();
    } catch (const Panic& p) {
      text = p.message();
    }
  }, o).ok());
  EXPECT_EQ(text, "sync: negative WaitGroup counter");
}

}  // namespace
}  // namespace weft::props
