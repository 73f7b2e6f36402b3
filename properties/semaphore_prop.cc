// The worked example of docs/verifying-a-primitive.md: a counting semaphore built on a weft
// channel, verified against its model by linearizability over RapidCheck-generated scenarios
// and schedules, and a broken variant that the same property catches.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "models/linearizability.h"
#include "models/semaphore_model.h"
#include "properties/history.h"
#include "weft/harness/rapidcheck.h"
#include "weft/weft.h"

namespace weft::props {
namespace {

using models::SemaphoreModel;

// The primitive under test: permits are tokens in a buffered channel.
class Semaphore {
 public:
  explicit Semaphore(int permits) : tokens_(makeChan<Unit>(permits)) {
    for (int i = 0; i < permits; ++i) tokens_.send({});
  }
  void acquire() { tokens_.recv(); }
  bool tryAcquire() { return tokens_.tryRecv().has_value(); }
  void release() { tokens_.send({}); }

 private:
  Chan<Unit> tokens_;
};

// A broken variant: tryAcquire checks, then takes without re-checking, and claims success even
// when another goroutine took the last permit in between (a check-then-act race).
class RacySemaphore {
 public:
  explicit RacySemaphore(int permits) : tokens_(makeChan<Unit>(permits)) {
    for (int i = 0; i < permits; ++i) tokens_.send({});
  }
  void acquire() { tokens_.recv(); }
  bool tryAcquire() {
    if (tokens_.len() == 0) return false;
    yield();  // the window another goroutine can slip into
    (void)tokens_.tryRecv();
    return true;
  }
  void release() { tokens_.send({}); }

 private:
  Chan<Unit> tokens_;
};

// Each worker does a generated sequence of operations; the history is recorded with
// invocation/response steps and checked against the model.
template <class Sem>
bool linearizableRun(const std::vector<std::vector<int>>& plans, int permits,
                     const harness::RcSchedule& schedule, std::string* report) {
  History<SemaphoreModel> h;
  harness::ExploreResult r = harness::simulate(schedule, [&] {
    Sem sem(permits);
    auto done = makeChan<Unit>(static_cast<std::int64_t>(plans.size()));
    for (const auto& plan : plans) {
      go([&h, &sem, &plan, done] {
        int held = 0;
        for (int op : plan) {
          auto c = h.call();
          if (op == 0) {
            if (sem.tryAcquire()) {
              ++held;
              h.ret(c, {SemaphoreModel::Op::kTryAcquire}, {true});
            } else {
              h.ret(c, {SemaphoreModel::Op::kTryAcquire}, {false});
            }
          } else if (held > 0) {
            sem.release();
            --held;
            h.ret(c, {SemaphoreModel::Op::kRelease}, {});
          }
        }
        while (held-- > 0) {
          auto c = h.call();
          sem.release();
          h.ret(c, {SemaphoreModel::Op::kRelease}, {});
        }
        done.send({});
      });
    }
    for (std::size_t i = 0; i < plans.size(); ++i) done.recv();
  });
  if (r.failure) {
    *report = r.failure->format();
    return false;
  }
  return models::linearizable(h.ops(), SemaphoreModel{permits});
}

auto plansGen() {
  return rc::gen::container<std::vector<std::vector<int>>>(
      static_cast<std::size_t>(3),
      rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 2)));
}

RC_GTEST_PROP(Semaphore, IsLinearizable, (harness::RcSchedule schedule)) {
  const auto plans = *plansGen();
  const int permits = *rc::gen::inRange(1, 3);
  std::string report;
  RC_ASSERT(linearizableRun<Semaphore>(plans, permits, schedule, &report));
}

TEST(Semaphore, TheSamePropertyCatchesTheRacyVariant) {
  // rc::check returns false when RapidCheck falsifies the property (it prints the shrunk
  // counterexample: the plans and the schedule).
  bool holds = rc::check("racy semaphore is linearizable", [](harness::RcSchedule schedule) {
    const auto plans = *plansGen();
    const int permits = *rc::gen::inRange(1, 3);
    std::string report;
    RC_ASSERT(linearizableRun<RacySemaphore>(plans, permits, schedule, &report));
  });
  EXPECT_FALSE(holds) << "the property should falsify the check-then-act tryAcquire";
}

}  // namespace
}  // namespace weft::props
