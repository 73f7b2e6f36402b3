#include "scheduler_deterministic.h"

#include "race.h"

#include <fmt/format.h>

#include <algorithm>

#include "debug.h"
#include "park.h"

namespace weft::internal {

DeterministicScheduler::DeterministicScheduler(RuntimeCore& rt, sim::Strategy& strategy,
                                               sim::Observer* observer, std::uint64_t maxSteps)
    : rt_(rt),
      strategy_(strategy),
      answerer_(&strategy),
      observer_(observer),
      maxSteps_(maxSteps) {
  interceptsOps_ = true;
  // Kept across runs: this is the only scheduler that ever runs this runtime's goroutines.
  fixedGFreeCache_ = &gFree_;
  // Counted for the scheduler's life, not per run: exploration runs hundreds of thousands of
  // executions a second, and a pair of locked RMWs per run was ~1% of each.
  gInterceptingSchedulers.fetch_add(1, std::memory_order_relaxed);
}

DeterministicScheduler::~DeterministicScheduler() {
  gInterceptingSchedulers.fetch_sub(1, std::memory_order_relaxed);
}

// The candidate set is tiny (the runnable goroutines) and changes at every park and ready:
// insertion and removal move elements by hand, with no allocation once the arrays have grown
// (growing is the cold path) and no generic insert/erase or memmove calls.
void DeterministicScheduler::growCandidates() {
  const std::size_t capacity = std::max<std::size_t>(8, 2 * ids_.size());
  ids_.resize(capacity);
  cands_.resize(capacity);
}

void DeterministicScheduler::addCandidate(G& g) {
  if (count_ == ids_.size()) [[unlikely]] growCandidates();
  const sim::GoroutineId id = g.id;
  std::size_t i = count_++;
  for (; i > 0 && ids_[i - 1] > id; --i) {
    ids_[i] = ids_[i - 1];
    cands_[i] = cands_[i - 1];
  }
  ids_[i] = id;
  cands_[i] = &g;
}

void DeterministicScheduler::removeCandidate(G& g) {
  // One compacting pass: every element after g moves down by one.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    if (cands_[i] == &g) continue;
    ids_[kept] = ids_[i];
    cands_[kept] = cands_[i];
    ++kept;
  }
  WEFT_CHECK(kept + 1 == count_);
  count_ = kept;
}

void DeterministicScheduler::selectObservers() {
  const std::uint32_t wants = observer_ != nullptr ? observer_->interests() : 0;
  auto pick = [&](sim::Interest group) {
    return (wants & group) != 0 ? observer_->receiver(group) : nullptr;
  };
  opObserver_ = pick(sim::kOpEvents);
  lifecycleObserver_ = pick(sim::kLifecycleEvents);
  scheduleObserver_ = pick(sim::kScheduleEvents);
  edgeObserver_ = pick(sim::kEdgeEvents);
}

void DeterministicScheduler::spawn(G& g) {
  g.sched = this;
  addCandidate(g);
  if (lifecycleObserver_ != nullptr) {
    lifecycleObserver_->onSpawn(current_ != nullptr ? current_->id : 0, g.id, g.name,
                                g.spawnSite);
  }
}

void DeterministicScheduler::ready(G& g, bool /*handoff*/) {
  // One thread: nobody else can change g.state between the test and the store.
  if (g.state.load(std::memory_order_relaxed) != GState::kWaiting) [[unlikely]] {
    checkFailed("ready() of a goroutine that is not waiting", std::source_location::current());
  }
  g.state.store(GState::kRunnable, std::memory_order_relaxed);
  addCandidate(g);
  if (scheduleObserver_ != nullptr) {
    scheduleObserver_->onUnblock(g.id, current_ != nullptr ? current_->id : 0);
  }
}

// A strategy that names a goroutine that cannot run is broken, not the body: the run stops
// with a UsageError that Runtime::run (and so explore) throws, rather than a panic thrown into
// the user's goroutine (which exploration would report as the body's failure). The candidate
// returned (not `running`, which preempt() would switch from) keeps the scheduler consistent
// until the run winds down.
G& DeterministicScheduler::unrunnablePick(sim::GoroutineId pick, const G* running) {
  if (!rt_.failed()) {
    rt_.recordFailure(std::make_exception_ptr(UsageError(fmt::format(
        "weft: sim::Strategy::next returned goroutine {}, which is not runnable (the runnable "
        "ones were {}): a bug in the strategy, which must answer one of the ids it is given",
        pick, fmt::join(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(count_), ", ")))));
  }
  return *cands_[cands_[0] == running ? 1 : 0];
}

// ask() is the strategy's answer among ids_ (at least two candidates), which include `current`
// when it may go on; find() is the candidate it names. They are apart so that a scheduling
// point whose goroutine goes on never searches: under a random walk where a search stops is a
// coin flip, one more mispredicted branch on top of the switch decision itself.
// (A branch-free search, scanning all of ids_ with a conditional move, measured 2.5% slower
// than this early-exit one.)
inline sim::GoroutineId DeterministicScheduler::ask(sim::GoroutineId current, bool yielding) {
  const sim::GoroutineId pick =
      answerer_->next(std::span<const sim::GoroutineId>(ids_.data(), count_), current, yielding);
  if (log_ != nullptr) log_->recordRun(pick);
  return pick;
}

inline G& DeterministicScheduler::find(sim::GoroutineId pick, const G* running) {
  for (std::size_t i = 0; i < count_; ++i) {
    if (ids_[i] == pick) return *cands_[i];
  }
  return unrunnablePick(pick, running);
}

G* DeterministicScheduler::chooseAmong() {
  return &find(ask(sim::kNoGoroutine, false), nullptr);
}

void DeterministicScheduler::enter(G& g) {
  g.returnTo = &ctx_;
  if (!g.started()) rt_.startG(g);
  g.state.store(GState::kRunning, std::memory_order_relaxed);
  current_ = &g;
  setCurrentG(&g);
}

// switchDirect() hands the CPU from `from` (running, already filed as runnable or waiting) to
// `to`, and returns when some goroutine (or the loop) switches back to `from`.
void DeterministicScheduler::switchDirect(G& from, G& to) {
  if (!from.stack.canaryIntact()) [[unlikely]] fatalStackOverflow(from);
  if (mainExited_) ++drainResumes_;
  enter(to);
  FiberContext::switchTo(from.ctx, to.ctx);
}

void DeterministicScheduler::switchToLoop(G& from) {
  if (!from.stack.canaryIntact()) [[unlikely]] fatalStackOverflow(from);
  FiberContext::switchTo(from.ctx, ctx_);
}

// schedulePoint() runs at every visible operation, so it is kept a small leaf-like function:
// the rare paths (unwinding, step limit) and the switch of a preemption are outlined.
void DeterministicScheduler::schedulePoint(G& self, const Op& op) {
  if (self.unwinding || ++steps_ > maxSteps_) [[unlikely]] {
    if (self.unwinding) {
      unwindingPoint(self, op.kind);  // resumed after the run, to be unwound
    } else {
      stopAtStepLimit(self);
    }
    return;
  }
  if (count_ > 1 && !rt_.failed()) {
    const bool yielding = op.kind == OpKind::kYield;
    const sim::GoroutineId pick = ask(self.id, yielding);
    if (pick != self.id) preempt(self, pick, yielding);
  }
  if (opObserver_ != nullptr) reportOp(self, op);
}

void DeterministicScheduler::reportOp(G& self, const Op& op) {
  opObserver_->onOp(sim::OpEvent{++ops_, self.id, op.kind, op.object, op.site, op.name});
}

void DeterministicScheduler::stopAtStepLimit(G& self) {
  self.switchReason = SwitchReason::kYield;
  self.state.store(GState::kRunnable, std::memory_order_relaxed);
  if (mainExited_) {
    // Main has returned (Go would have exited): a goroutine still running is a leak, not a
    // livelock. End the drain here; the goroutine is reported and unwound.
    drainResumes_ = kDrainBudget + 1;
    switchToLoop(self);
    return;
  }
  if (!rt_.failed()) {
    rt_.recordFailure(std::make_exception_ptr(StepLimitExceeded(fmt::format(
        "weft: execution exceeded {} scheduling points (Config::maxSteps, WEFT_MAX_STEPS); "
        "a livelock, or a body too large to explore",
        maxSteps_))));
  }
  switchToLoop(self);  // never resumed except to be unwound
}

void DeterministicScheduler::preempt(G& self, sim::GoroutineId pickId, bool yielding) {
  // Two candidates, and the pick is not self: it must be the other one, found without a
  // search (whose exit branch is a coin flip under a random walk).
  G* pickG;
  if (count_ == 2) {
    const std::size_t other = cands_[0] == &self ? 1 : 0;
    pickG = ids_[other] == pickId ? cands_[other] : &unrunnablePick(pickId, &self);
  } else {
    pickG = &find(pickId, &self);
  }
  G& pick = *pickG;
  if (log_ != nullptr && !yielding) log_->recordPreemption();
  if (scheduleObserver_ != nullptr) scheduleObserver_->onPreempt(self.id, pick.id);
  self.state.store(GState::kRunnable, std::memory_order_relaxed);
  if (drainExhausted()) {
    self.switchReason = SwitchReason::kYield;
    switchToLoop(self);
  } else {
    switchDirect(self, pick);
  }
}

bool DeterministicScheduler::parkDirect(G& self) {
  if (rt_.stopping()) return false;  // shutdown unwinding: the common path
  // Single-threaded, so the commit may run before the switch: nobody can ready self meanwhile.
  self.state.store(GState::kWaiting, std::memory_order_relaxed);
  if (self.commit != nullptr && !self.commit(self, self.commitArg)) {
    self.state.store(GState::kRunning, std::memory_order_relaxed);
    return true;  // the park was cancelled; go on
  }
  removeCandidate(self);
  if (scheduleObserver_ != nullptr) scheduleObserver_->onBlock(self.id, toString(self.waitReason));
  if (count_ != 0 && !rt_.failed() && !drainExhausted()) {
    switchDirect(self, *choose());
  } else {
    switchToLoop(self);  // nobody runnable: timers, deadlock or the end of the run
  }
  return true;
}

bool DeterministicScheduler::yieldDirect(G& /*self*/) {
  // weft::yield()'s scheduling point (OpKind::kYield) already let the strategy pick anyone,
  // with `yielding` set; there is nothing more to do.
  return !rt_.stopping();
}

// An exit is committed on the exiting goroutine's own stack, like a park: the record and its
// stack go back to the pool before the switch, and nothing can take them before the switch
// is over (one thread; the next newG runs on another goroutine) except the next goroutine's
// start, which is why it is entered first. Main's exit, and an exit that leaves nobody to
// run, go through run(), which handles the end of the run.
void DeterministicScheduler::exitDirect(G& self) {
  if (&self == main_ || count_ <= 1 || rt_.failed() || drainExhausted()) return;
  if (!self.stack.canaryIntact()) [[unlikely]] fatalStackOverflow(self);
  removeExited(self);
  G& next = *choose();
  if (mainExited_) ++drainResumes_;
  enter(next);
  rt_.finishExit(self);
  FiberContext::switchToFinal(self.ctx, next.ctx);
}

void DeterministicScheduler::removeExited(G& g) {
  removeCandidate(g);
  if (lifecycleObserver_ != nullptr) lifecycleObserver_->onExit(g.id);
}

void DeterministicScheduler::finishExit(G& g) {
  removeExited(g);
  rt_.finishExit(g);
}

bool DeterministicScheduler::fireDueTimers() {
  if (timers_.empty()) return false;
  now_ = std::max(now_, timers_.top()->when);
  if (scheduleObserver_ != nullptr) scheduleObserver_->onTimeAdvance(now_);
  // Timers due at the same instant fire in an order the strategy chooses (a recorded decision).
  due_.clear();
  while (!timers_.empty() && timers_.top()->when <= now_) due_.push_back(timers_.pop());
  for (std::size_t i = due_.size(); i > 1; --i) {
    std::swap(due_[i - 1], due_[randomU64() % i]);
  }
  // Timer callbacks act as Go's timer context (race detector pseudo-goroutine 0).
  TimerContextScope timerContext(*this);
  for (TimerNode* t : due_) {
    const bool oneShot = t->period <= 0;
    if (!oneShot) {
      t->when += t->period * (1 + (now_ - t->when) / t->period);
      timers_.push(t);
    }
    t->fire(*t, now_);
    if (oneShot) releaseTimer(*t);
  }
  return true;
}

void DeterministicScheduler::run(G& main) {
  // Fresh state for this run (the scheduler object is reused across runs of one Runtime).
  main_ = &main;
  current_ = nullptr;
  count_ = 0;
  now_ = kEpoch;
  steps_ = ops_ = drainResumes_ = 0;
  mainExited_ = false;
  const sim::Strategy::Delegation d = strategy_.delegation();
  answerer_ = d.answerer;
  log_ = d.log;
  selectObservers();
  if (edgeObserver_ != nullptr) gEdgeObservingSchedulers.fetch_add(1, std::memory_order_relaxed);
  main.sched = this;
  // A stack overflow is reported from the signal handler, which cannot run on the overflowed
  // stack: this thread runs goroutines like any worker.
  ensureAltStack();
  ctx_.initForThread();
  addCandidate(main);
  if (lifecycleObserver_ != nullptr) {
    lifecycleObserver_->onSpawn(0, main.id, main.name, main.spawnSite);
  }
  while (!rt_.failed()) {
    if (mainExited_ && (count_ == 0 || drainExhausted())) break;
    if (count_ == 0) {
      if (fireDueTimers()) {
        // Go would hang forever here: nobody can run and only Tickers remain, ticking into
        // channels nobody receives from. Virtual time would spin without end, so report it.
        if (count_ != 0 || !timers_.onlyPeriodic()) continue;
        rt_.recordFatal(FatalError("all goroutines are asleep - deadlock!",
                                   rt_.goroutineDump() +
                                       "\n(only Tickers were left running; no goroutine was "
                                       "receiving their ticks)\n"));
        break;
      }
      rt_.recordFatal(FatalError("all goroutines are asleep - deadlock!", rt_.goroutineDump()));
      break;
    }
    G* g = choose();
    enter(*g);
    FiberContext::switchTo(ctx_, g->ctx);
    // Some goroutine switched back here: it exited, or parked/was preempted with nobody (or
    // nobody allowed) to hand over to.
    G* back = current_;
    current_ = nullptr;
    setCurrentG(nullptr);
    if (!back->stack.canaryIntact()) [[unlikely]] fatalStackOverflow(*back);
    if (back->switchReason == SwitchReason::kExit) {
      const bool wasMain = back == main_;
      finishExit(*back);
      // Main returned: drain (see Scheduler::run), without advancing virtual time.
      if (wasMain) mainExited_ = true;
    }
  }
  timers_.releaseAll();
  if (edgeObserver_ != nullptr) gEdgeObservingSchedulers.fetch_sub(1, std::memory_order_relaxed);
}

void DeterministicScheduler::addTimer(TimerNode& t) {
  t.owner.store(this, std::memory_order_relaxed);
  timers_.push(&t);
}

bool DeterministicScheduler::removeTimer(TimerNode& t) { return timers_.remove(&t); }

}  // namespace weft::internal
