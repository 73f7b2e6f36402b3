// WorkStealScheduler: the production M:N scheduler (Go: proc.go's schedule/findrunnable, marl's
// Worker). N OS threads ("workers", the calling thread being worker 0), each with a RunQueue;
// a mutex-protected global queue for overflow and for readies from outside any worker; idle
// workers steal half of a random victim's queue (its runnext only after a back-off, as Go's
// runqgrab does: see stealFrom()), spin briefly, then sleep on a condition variable (a futex
// round trip costs 8-17 us here, so waking a sleeper is kept off the hand-off path: a G
// readied into runnext by a goroutine that is about to block does not wake anyone;
// instead, while any worker is busy, an idle worker's sleep is bounded, see sleepIdle()).
//
// Deadlock detection (Go: checkdead): active_ plus every worker's activeDelta counts the
// goroutines that are runnable or running. When the last worker goes idle, every delta has
// been flushed into active_; if it is zero and no timer is pending while main is still alive,
// nothing can ever wake anyone again: fatal "all goroutines are asleep". (Counted per worker
// because a shared counter cost two contended read-modify-writes per goroutine: spawn + join
// of 100k goroutines on two workers spent 8% of its time in the decrement alone.)
//
// Invariants:
//  - A worker's activeDelta is touched only by its thread and is zero whenever the worker is
//    in idle_; it is added to active_ under idleMu_ just before the worker enters idle_.
//    Threads that are not workers change active_ directly.
//  - The zero check runs only in the worker that makes idle_ hold every worker (under
//    idleMu_), so no goroutine is running and no delta is outstanding; a timer is fired only
//    by a worker outside idle_.
//  - A worker sleeps only after publishing itself in idle_ and re-checking every queue (the
//    Dekker pattern with wakeOne(): no lost wake-ups).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "run_queue.h"
#include "runtime_core.h"
#include "scheduler.h"
#include "timer_heap.h"

namespace weft::internal {

class WorkStealScheduler final : public Scheduler {
 public:
  WorkStealScheduler(RuntimeCore& rt, int workers);
  ~WorkStealScheduler() override;

  void run(G& main) override;
  void spawn(G& g) override;
  void ready(G& g, bool handoff) override;
  bool parkDirect(G& self) override;
  bool yieldDirect(G& self) override;
  void finishDirectSwitch(G& from) override;
  void schedulePoint(G&, const Op&) override {}
  Nanos now() override;
  void addTimer(TimerNode& t) override;
  bool removeTimer(TimerNode& t) override;
  std::uint64_t randomU64() override;
  bool spinMayPay() override;
  GFreeCache* workerGFreeCache() override;

 private:
  struct Worker;

  void workerLoop(Worker& w);
  void execute(Worker& w, G* g);
  G* findRunnable(Worker& w);
  // The body of parkDirect (queueToo false) and yieldDirect (true).
  bool switchDirect(G& self, bool queueToo);
  bool yieldsToNobody();
  G* stealFrom(Worker& w, bool stealNext);
  void pushLocal(Worker& w, G* g);
  void pushGlobal(G* g);
  void pushGlobalBatch(G** gs, std::uint32_t n);
  G* popGlobal(Worker* w);
  bool anyWork();
  void wakeOne();
  void wakeIfNoneSpinning();
  void sleepIdle(Worker& w);
  void runDueTimers(Nanos now);
  void addActive(Worker* w, std::int64_t delta);
  void becameInactive(Worker& w);
  void checkEveryoneAsleep();
  void declareDeadlock();
  void stopAll();
  static void onFailure(void* self);

  RuntimeCore& rt_;
  std::vector<std::unique_ptr<Worker>> workers_;
  G* main_ = nullptr;

  std::atomic<bool> stop_{false};
  std::atomic<bool> mainExited_{false};
  std::atomic<std::uint64_t> drainResumes_{0};
  std::atomic<std::int64_t> active_{0};

  std::mutex globalMu_;
  G* globalHead_ = nullptr;  // guarded by globalMu_
  G* globalTail_ = nullptr;  // guarded by globalMu_
  std::atomic<std::uint32_t> globalSize_{0};

  std::mutex idleMu_;
  std::vector<Worker*> idle_;  // guarded by idleMu_
  std::atomic<int> nIdle_{0};
  std::atomic<int> nSpinning_{0};

  std::mutex timerMu_;
  TimerHeap timers_;  // guarded by timerMu_
  std::atomic<Nanos> nextWhen_;  // earliest pending deadline, or kNever
};

}  // namespace weft::internal
