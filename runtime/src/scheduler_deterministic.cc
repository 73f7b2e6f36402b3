#include "scheduler_deterministic.h"

#include <algorithm>

#include "debug.h"
#include "park.h"

namespace weft::internal {

DeterministicScheduler::DeterministicScheduler(RuntimeCore& rt, sim::Strategy& strategy)
    : rt_(rt), strategy_(strategy) {
  interceptsOps_ = true;
  gInterceptingSchedulers.fetch_add(1, std::memory_order_relaxed);
}

DeterministicScheduler::~DeterministicScheduler() {
  gInterceptingSchedulers.fetch_sub(1, std::memory_order_relaxed);
}

void DeterministicScheduler::makeRunnable(G& g) {
  auto it = std::lower_bound(runnable_.begin(), runnable_.end(), &g,
                             [](const G* a, const G* b) { return a->id < b->id; });
  runnable_.insert(it, &g);
}

void DeterministicScheduler::spawn(G& g) {
  g.sched = this;
  makeRunnable(g);
}

void DeterministicScheduler::ready(G& g, bool /*handoff*/) {
  GState expected = GState::kWaiting;
  if (!g.state.compare_exchange_strong(expected, GState::kRunnable)) {
    checkFailed("ready() of a goroutine that is not waiting", std::source_location::current());
  }
  makeRunnable(g);
}

// choose() asks the strategy among runnable_ (plus `current`, still running, if non-null).
G* DeterministicScheduler::choose(G* current) {
  ids_.clear();
  G* only = nullptr;
  for (G* g : runnable_) ids_.push_back(g->id);
  if (current != nullptr) {
    ids_.insert(std::lower_bound(ids_.begin(), ids_.end(), current->id), current->id);
  }
  if (ids_.size() == 1) {
    only = current != nullptr ? current : runnable_.front();
    return only;
  }
  sim::GoroutineId pick = strategy_.next(
      ids_, current != nullptr ? std::optional<sim::GoroutineId>(current->id) : std::nullopt);
  if (current != nullptr && pick == current->id) return current;
  for (G* g : runnable_) {
    if (g->id == pick) return g;
  }
  usageError("weft: sim::Strategy::next returned a goroutine that is not runnable");
}

void DeterministicScheduler::schedulePoint(G& self, const Op& /*op*/) {
  ++steps_;
  if (runnable_.empty() || stop_) return;
  G* pick = choose(&self);
  if (pick == &self) return;
  // Preempt: self goes back to the runnable set and `pick` runs next.
  forcedNext_ = pick;
  self.waitReason = WaitReason::kPreempted;
  yieldCurrent(self);
}

bool DeterministicScheduler::fireDueTimers() {
  if (timers_.empty()) return false;
  now_ = std::max(now_, timers_.top()->when);
  while (!timers_.empty() && timers_.top()->when <= now_) {
    TimerNode* t = timers_.pop();
    if (t->period > 0) {
      t->when += t->period * (1 + (now_ - t->when) / t->period);
      timers_.push(t);
    }
    t->fire(*t, now_);
  }
  return true;
}

void DeterministicScheduler::run(G& main) {
  main_ = &main;
  main.sched = this;
  ctx_.initForThread();
  makeRunnable(main);
  while (!stop_ && !rt_.failed()) {
    G* g = forcedNext_;
    forcedNext_ = nullptr;
    if (g == nullptr) {
      if (mainExited_ && (runnable_.empty() || ++drainResumes_ > kDrainBudget)) break;
      if (runnable_.empty()) {
        if (fireDueTimers()) continue;
        rt_.recordFatal(FatalError("all goroutines are asleep - deadlock!", rt_.goroutineDump()));
        break;
      }
      g = choose(nullptr);
    }
    runnable_.erase(std::find(runnable_.begin(), runnable_.end(), g));
    for (;;) {
      rt_.resume(*g, ctx_);
      if (g->switchReason == SwitchReason::kPark) {
        if (!RuntimeCore::commitPark(*g)) continue;
      } else if (g->switchReason == SwitchReason::kYield) {
        g->state.store(GState::kRunnable, std::memory_order_relaxed);
        makeRunnable(*g);
      } else {
        const bool wasMain = g == main_;
        rt_.finishExit(*g);
        // Main returned: drain (see Scheduler::run), without advancing virtual time.
        if (wasMain) mainExited_ = true;
      }
      break;
    }
  }
  timers_.drain();
}

void DeterministicScheduler::addTimer(TimerNode& t) { timers_.push(&t); }

bool DeterministicScheduler::removeTimer(TimerNode& t) { return timers_.remove(&t); }

}  // namespace weft::internal
