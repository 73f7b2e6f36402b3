#include "scheduler_deterministic.h"

#include <fmt/format.h>

#include <algorithm>

#include "debug.h"
#include "park.h"

namespace weft::internal {

DeterministicScheduler::DeterministicScheduler(RuntimeCore& rt, sim::Strategy& strategy,
                                               sim::Observer* observer, std::uint64_t maxSteps)
    : rt_(rt), strategy_(strategy), observer_(observer), maxSteps_(maxSteps) {
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
  if (observer_ != nullptr) {
    observer_->onSpawn(current_ != nullptr ? current_->id : 0, g.id, g.name, g.spawnSite);
  }
}

void DeterministicScheduler::ready(G& g, bool /*handoff*/) {
  GState expected = GState::kWaiting;
  if (!g.state.compare_exchange_strong(expected, GState::kRunnable)) {
    checkFailed("ready() of a goroutine that is not waiting", std::source_location::current());
  }
  makeRunnable(g);
  if (observer_ != nullptr) observer_->onUnblock(g.id, current_ != nullptr ? current_->id : 0);
}

// choose() asks the strategy among runnable_ (plus `current`, still running, if non-null).
// With a single candidate there is nothing to decide and the strategy is not asked.
G* DeterministicScheduler::choose(G* current) {
  if (current == nullptr && runnable_.size() == 1) return runnable_.front();
  ids_.clear();
  for (G* g : runnable_) ids_.push_back(g->id);
  if (current != nullptr) {
    ids_.insert(std::lower_bound(ids_.begin(), ids_.end(), current->id), current->id);
  }
  sim::GoroutineId pick = strategy_.next(
      ids_, current != nullptr ? std::optional<sim::GoroutineId>(current->id) : std::nullopt);
  if (current != nullptr && pick == current->id) return current;
  for (G* g : runnable_) {
    if (g->id == pick) return g;
  }
  usageError(fmt::format("weft: sim::Strategy::next returned goroutine {}, which is not runnable",
                         pick));
}

void DeterministicScheduler::schedulePoint(G& self, const Op& op) {
  ++steps_;
  if (steps_ > maxSteps_) [[unlikely]] {
    if (!rt_.failed()) {
      rt_.recordFailure(std::make_exception_ptr(StepLimitExceeded(fmt::format(
          "weft: execution exceeded {} scheduling points (Config::maxSteps, WEFT_MAX_STEPS); "
          "a livelock, or a body too large to explore",
          maxSteps_))));
    }
    yieldCurrent(self);  // never resumed except to be unwound
    return;
  }
  G* pick = runnable_.empty() ? &self : choose(&self);
  if (pick != &self) {
    // Preempt: self goes back to the runnable set and `pick` runs next.
    if (observer_ != nullptr) observer_->onPreempt(self.id, pick->id);
    forcedNext_ = pick;
    yieldCurrent(self);
  }
  if (observer_ != nullptr) {
    observer_->onOp(sim::OpEvent{++ops_, self.id, op.kind, op.object, op.site, op.name});
  }
}

bool DeterministicScheduler::fireDueTimers() {
  if (timers_.empty()) return false;
  now_ = std::max(now_, timers_.top()->when);
  if (observer_ != nullptr) observer_->onTimeAdvance(now_);
  // Timers due at the same instant fire in an order the strategy chooses (a recorded decision).
  due_.clear();
  while (!timers_.empty() && timers_.top()->when <= now_) due_.push_back(timers_.pop());
  for (std::size_t i = due_.size(); i > 1; --i) {
    std::swap(due_[i - 1], due_[strategy_.nextU64() % i]);
  }
  for (TimerNode* t : due_) {
    if (t->period > 0) {
      t->when += t->period * (1 + (now_ - t->when) / t->period);
      timers_.push(t);
    }
    t->fire(*t, now_);
  }
  return true;
}

// runUntilSwitch() resumes g and files it by why it switched out.
void DeterministicScheduler::runUntilSwitch(G& g) {
  current_ = &g;
  for (;;) {
    rt_.resume(g, ctx_);
    if (g.switchReason == SwitchReason::kPark) {
      if (!RuntimeCore::commitPark(g)) continue;
      if (observer_ != nullptr) observer_->onBlock(g.id, toString(g.waitReason));
    } else if (g.switchReason == SwitchReason::kYield) {
      g.state.store(GState::kRunnable, std::memory_order_relaxed);
      makeRunnable(g);
    } else {
      const bool wasMain = &g == main_;
      if (observer_ != nullptr) observer_->onExit(g.id);
      rt_.finishExit(g);
      // Main returned: drain (see Scheduler::run), without advancing virtual time.
      if (wasMain) mainExited_ = true;
    }
    break;
  }
  current_ = nullptr;
}

void DeterministicScheduler::run(G& main) {
  main_ = &main;
  main.sched = this;
  ctx_.initForThread();
  makeRunnable(main);
  if (observer_ != nullptr) observer_->onSpawn(0, main.id, main.name, main.spawnSite);
  while (!rt_.failed()) {
    G* g = std::exchange(forcedNext_, nullptr);
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
    runUntilSwitch(*g);
  }
  timers_.drain();
}

void DeterministicScheduler::addTimer(TimerNode& t) { timers_.push(&t); }

bool DeterministicScheduler::removeTimer(TimerNode& t) { return timers_.remove(&t); }

}  // namespace weft::internal
