#include "scheduler_worksteal.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <limits>
#include <random>

#include "context/sanitizer_fiber.h"
#include "debug.h"
#include "park.h"
#include "race.h"

namespace weft::internal {

namespace {
constexpr Nanos kNever = std::numeric_limits<Nanos>::max();
// Steal attempts over all victims before a spinning worker gives up and sleeps (Go: stealTries
// in stealWork). Go's 4, not more: a worker that keeps spinning steals every goroutine the
// others ready at once, so goroutines that share a lock spread over the workers and every
// operation on it crosses cores. 64 rounds (with the wake-ups below going to the queue's tail)
// made the read-mostly RWMutex on two workers 57-76 ns an operation, 4 rounds and runnext 27.
constexpr int kSpinRounds = 4;
// Every kGlobalCheckInterval schedules a worker looks at the global queue first, then at the
// head of its local queue before runnext, so that neither a busy local queue nor a chain of
// hand-offs through runnext can starve them (Go: schedtick % 61 for the global queue; Go bounds
// the runnext chain by its time slice, which runnext inherits, and preemption).
constexpr std::uint32_t kGlobalCheckInterval = 61;
// While another worker runs, an idle worker sleeps at most this long before it looks for work
// again (doubling up to kIdleRecheckMax while it keeps finding none). See sleepIdle().
constexpr Nanos kIdleRecheckMin = 1'000'000;
constexpr Nanos kIdleRecheckMax = 10'000'000;

// wyrand: a tiny, fast, statistically good PRNG for steal victims and select order.
std::uint64_t wyrand(std::uint64_t& state) {
  state += 0xa0761d6478bd642full;
  __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbull);
  return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
}
}  // namespace

struct WorkStealScheduler::Worker {
  int index = 0;
  RunQueue runq;
  FiberContext ctx;  // this worker's scheduler context (its thread's native stack)
  std::thread thread;
  std::uint64_t rng = 0;
  std::uint32_t schedTick = 0;
  bool spinning = false;
  GFreeCache gFree;  // touched only by this worker's thread
  Nanos idleRecheck = kIdleRecheckMin;  // this worker's current bound on an idle sleep
  std::int64_t activeDelta = 0;  // this worker's changes to active_ not yet added (see .h)

  std::mutex sleepMu;
  std::condition_variable sleepCv;
  bool wakeup = false;  // guarded by sleepMu
};

namespace {
thread_local WorkStealScheduler* tScheduler = nullptr;
thread_local void* tWorker = nullptr;
thread_local std::uint64_t tForeignRng = 0;

// Not inlined: a goroutine that calls ready() may have migrated since it last looked.
[[gnu::noinline]] void* currentWorkerFor(const WorkStealScheduler* s) {
  return tScheduler == s ? tWorker : nullptr;
}
}  // namespace

WorkStealScheduler::WorkStealScheduler(RuntimeCore& rt, int workers)
    : rt_(rt), nextWhen_(kNever) {
  std::random_device rd;
  std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  for (int i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->rng = seed + static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ull;
    workers_.push_back(std::move(w));
  }
}

WorkStealScheduler::~WorkStealScheduler() = default;

Nanos WorkStealScheduler::now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {
// The same clock as now() (steady_clock is CLOCK_MONOTONIC), read at the last tick: ~4 ns
// instead of ~27 here, up to 4 ms behind, never ahead. Good enough to see that a timer is due.
Nanos coarseNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

GFreeCache* WorkStealScheduler::workerGFreeCache() {
  auto* w = static_cast<Worker*>(currentWorkerFor(this));
  return w != nullptr ? &w->gFree : nullptr;
}

std::uint64_t WorkStealScheduler::randomU64() {
  if (auto* w = static_cast<Worker*>(currentWorkerFor(this))) return wyrand(w->rng);
  if (tForeignRng == 0) tForeignRng = std::random_device{}() | 1;
  return wyrand(tForeignRng);
}

// ---- run / stop ----------------------------------------------------------------------------

void WorkStealScheduler::run(G& main) {
  main_ = &main;
  main.sched = this;
  rt_.setFailureHook(&WorkStealScheduler::onFailure, this);
  active_.store(1);
  pushGlobal(&main);
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([this, w] { workerLoop(*w); });
  }
  workerLoop(*workers_[0]);
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->thread.join();
  rt_.setFailureHook(nullptr, nullptr);
  // Pending timers never fire once the run is over (Go: the process exits).
  std::lock_guard lock(timerMu_);
  timers_.releaseAll();
}

void WorkStealScheduler::onFailure(void* self) { static_cast<WorkStealScheduler*>(self)->stopAll(); }

void WorkStealScheduler::stopAll() {
  stop_.store(true, std::memory_order_seq_cst);
  for (auto& w : workers_) {
    std::lock_guard lock(w->sleepMu);
    w->wakeup = true;
    w->sleepCv.notify_one();
  }
}

void WorkStealScheduler::workerLoop(Worker& w) {
  RuntimeScope runtime;  // a worker runs only runtime code outside its goroutines
  sanitizer::threadStartsHosting();
  tScheduler = this;
  tWorker = &w;
  ensureAltStack();
  w.ctx.initForThread();
  while (G* g = findRunnable(w)) execute(w, g);
  rt_.flushGFreeCache(w.gFree);
  tScheduler = nullptr;
  tWorker = nullptr;
  sanitizer::threadStopsHosting();  // before this thread's thread-locals are destroyed
}

// execute() runs g until it parks, yields or exits, then files it accordingly.
void WorkStealScheduler::execute(Worker& w, G* g) {
  ++w.schedTick;
  if (mainExited_.load(std::memory_order_relaxed) &&
      drainResumes_.fetch_add(1, std::memory_order_relaxed) >= kDrainBudget) [[unlikely]] {
    // The drain ran out of budget: leave g runnable; it will be reported and unwound.
    stopAll();
    return;
  }
  for (;;) {
    g = &rt_.resume(*g, w.ctx);  // maybe another G than the one resumed (a direct switch)
    switch (g->switchReason) {
      case SwitchReason::kPark:
        if (!RuntimeCore::commitPark(*g)) continue;  // commit said: don't sleep after all
        becameInactive(w);
        return;
      case SwitchReason::kYield:
        g->state.store(GState::kRunnable, std::memory_order_relaxed);
        pushLocal(w, g);
        // Go leaves the waking to preemption here; weft has none, so a goroutine queued behind
        // one that never blocks again (say, a mutex's new owner after a starvation hand-off)
        // would wait for ever with the other workers asleep.
        wakeIfNoneSpinning();
        return;
      case SwitchReason::kExit: {
        const bool wasMain = g == main_;
        rt_.finishExit(*g);
        if (wasMain) mainExited_.store(true, std::memory_order_seq_cst);
        becameInactive(w);
        return;
      }
    }
  }
}

// ---- direct switches ------------------------------------------------------------------------

// A goroutine that parks right after readying another into runnext (the hand-off of a channel
// operation, a mutex, a semaphore) switches straight to it, and a yielding goroutine straight
// to the next one in the local queue: one context switch instead of two and no pass through
// findRunnable, which is most of what a ping-pong round trip or a Gosched costs here.
// Everything findRunnable would have done first still happens: a stop, the drain (its
// budget counts in execute), the periodic look at the global queue and a due timer send the
// switch down the common path. The parked goroutine's commit, or the yielder's requeue, runs
// on the next goroutine's side (finishDirectSwitch), after the jump has saved its context.
//
// A park takes runnext only (the goroutine the hand-off just readied); a yield takes what
// findRunnable would, runnext and then the queue's head. With nobody there, a park takes the
// common path, which looks further (global queue, stealing), and a yield goes on if that
// search could only find the yielder (yieldsToNobody). Inlined into both: a round trip makes
// two.
[[gnu::always_inline]] inline bool WorkStealScheduler::switchDirect(G& self, bool queueToo) {
  if (stop_.load(std::memory_order_relaxed) || mainExited_.load(std::memory_order_relaxed) ||
      rt_.stopping()) {
    return false;
  }
  auto* w = static_cast<Worker*>(currentWorkerFor(this));
  // The common path's findRunnable would see this schedTick: on a fairness tick, let it.
  if (w == nullptr || w->schedTick % kGlobalCheckInterval == 0) return false;
  if (const Nanos when = nextWhen_.load(std::memory_order_acquire);
      when != kNever && when <= coarseNow()) {
    return false;
  }
  G* next = queueToo ? w->runq.pop() : w->runq.takeNext();
  if (next == nullptr) return queueToo && yieldsToNobody();
  ++w->schedTick;
  if (!self.stack.canaryIntact()) [[unlikely]] fatalStackOverflow(self);
  next->directFrom = &self;
  next->returnTo = self.returnTo;
  if (!next->started()) rt_.startG(*next);
  next->state.store(GState::kRunning, std::memory_order_relaxed);
  setCurrentG(next);
  FiberContext::switchTo(self.ctx, next->ctx);
  return true;
}

// A yield that finds nothing else to run here, in the global queue or due among the timers
// goes on at once: Go's Gosched would pass through schedule() only to pick the yielder again.
// Requeued instead, it costs two context switches and a pass through the worker loop, and on
// more workers the wake-up of an idle one, which steals it: a lone goroutine's yield took 72 ns
// on one worker and 400 ns on two, against 12 and 8 ns going on.
bool WorkStealScheduler::yieldsToNobody() {
  if (globalSize_.load(std::memory_order_acquire) != 0) return false;
  const Nanos when = nextWhen_.load(std::memory_order_acquire);
  return when == kNever || when > now();
}

// Go's conditions: another worker busy (not idle, not spinning: it may be the holder's), and
// nothing queued here. With goroutines waiting on this worker, spinning only delays them, and
// on a contended line it slows the holder down too: four goroutines sharing a Mutex on two
// workers spent 42% of their time spinning in lockSlow, at 50-58 ns an operation.
bool WorkStealScheduler::spinMayPay() {
  const int n = static_cast<int>(workers_.size());
  if (n <= 1) return false;
  if (nIdle_.load(std::memory_order_relaxed) + nSpinning_.load(std::memory_order_relaxed) + 1 >= n) {
    return false;
  }
  auto* w = static_cast<Worker*>(currentWorkerFor(this));
  return w != nullptr && w->runq.empty();
}

bool WorkStealScheduler::parkDirect(G& self) { return switchDirect(self, false); }
bool WorkStealScheduler::yieldDirect(G& self) { return switchDirect(self, true); }

void WorkStealScheduler::finishDirectSwitch(G& from) {
  Worker& w = *static_cast<Worker*>(currentWorkerFor(this));
  if (from.switchReason == SwitchReason::kPark) {
    if (RuntimeCore::commitPark(from)) {
      becameInactive(w);
      return;
    }
    // The commit cancelled the park: the goroutine runs again, after this one.
  }
  // A yield (or a cancelled park): runnable again, behind what is queued (as in execute).
  from.state.store(GState::kRunnable, std::memory_order_relaxed);
  pushLocal(w, &from);
  wakeIfNoneSpinning();
}

// ---- making goroutines runnable -----------------------------------------------------------

void WorkStealScheduler::spawn(G& g) {
  g.sched = this;
  auto* w = static_cast<Worker*>(currentWorkerFor(this));
  addActive(w, 1);
  if (w != nullptr) {
    pushLocal(*w, &g);
  } else {
    pushGlobal(&g);
  }
  wakeIfNoneSpinning();
}

void WorkStealScheduler::ready(G& g, bool handoff) {
  GState expected = GState::kWaiting;
  if (!g.state.compare_exchange_strong(expected, GState::kRunnable, std::memory_order_acq_rel)) {
    checkFailed("ready() of a goroutine that is not waiting", std::source_location::current());
  }
  auto* w = static_cast<Worker*>(currentWorkerFor(this));
  addActive(w, 1);
  if (w == nullptr) {
    pushGlobal(&g);
  } else {
    // Into runnext, as Go's goready does: g runs next on this worker, caches warm, and the
    // idle workers, which take runnext only after a back-off, leave it there. The previous
    // runnext goes to the queue's tail, where they may take it at once.
    if (G* displaced = w->runq.setNext(&g)) pushLocal(*w, displaced);
    // A hand-off's readier is about to block and this worker will run g next: waking a
    // sleeper would only cost a futex round trip for nothing, unless other work is queued.
    if (handoff && w->runq.size() == 0) return;
  }
  wakeIfNoneSpinning();
}

// Go: wakep(). Called after queueing work; a spinning worker will find it (and wake another
// if it finds more), so only wake a sleeper if nobody is spinning.
void WorkStealScheduler::wakeIfNoneSpinning() {
  sanitizer::fullFence();  // Dekker with sleepIdle(): our push, then its idle flag
  if (nIdle_.load(std::memory_order_relaxed) > 0 && nSpinning_.load(std::memory_order_relaxed) == 0)
    wakeOne();
}

void WorkStealScheduler::pushLocal(Worker& w, G* g) {
  while (!w.runq.pushBack(g)) {
    // Full: move half of it to the global queue, then retry (Go: runqputslow).
    G* batch[RunQueue::kSize / 2 + 1];
    std::uint32_t n = w.runq.popHalfForOverflow(batch);
    if (n == 0) continue;
    batch[n++] = g;
    pushGlobalBatch(batch, n);
    return;
  }
}

void WorkStealScheduler::pushGlobal(G* g) { pushGlobalBatch(&g, 1); }

void WorkStealScheduler::pushGlobalBatch(G** gs, std::uint32_t n) {
  std::lock_guard lock(globalMu_);
  for (std::uint32_t i = 0; i < n; ++i) {
    gs[i]->schedLink = nullptr;
    if (globalTail_ != nullptr) {
      globalTail_->schedLink = gs[i];
    } else {
      globalHead_ = gs[i];
    }
    globalTail_ = gs[i];
  }
  globalSize_.fetch_add(n, std::memory_order_release);
}

// popGlobal() takes one G to run and, for a worker, moves a fair share of the rest into its
// local queue (Go: globrunqget).
G* WorkStealScheduler::popGlobal(Worker* w) {
  if (globalSize_.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard lock(globalMu_);
  std::uint32_t size = globalSize_.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  std::uint32_t n = 1;
  if (w != nullptr) {
    n = std::min<std::uint32_t>(size, size / static_cast<std::uint32_t>(workers_.size()) + 1);
    // Never more than the local queue can take: a failed pushBack would lose a goroutine.
    // (Only the owner pushes, so the free space seen here can only grow meanwhile.)
    n = std::min<std::uint32_t>(n, 1 + (RunQueue::kSize - w->runq.size()) / 2);
  }
  G* first = globalHead_;
  globalHead_ = first->schedLink;
  for (std::uint32_t i = 1; i < n; ++i) {
    G* g = globalHead_;
    globalHead_ = g->schedLink;
    const bool pushed = w->runq.pushBack(g);
    WEFT_CHECK(pushed);
  }
  if (globalHead_ == nullptr) globalTail_ = nullptr;
  globalSize_.fetch_sub(n, std::memory_order_relaxed);
  return first;
}

// ---- finding work ---------------------------------------------------------------------------

G* WorkStealScheduler::stealFrom(Worker& w, bool stealNext) {
  const std::size_t n = workers_.size();
  if (n == 1) return nullptr;
  const std::size_t start = static_cast<std::size_t>(wyrand(w.rng) % n);
  for (std::size_t i = 0; i < n; ++i) {
    Worker& victim = *workers_[(start + i) % n];
    if (&victim == &w) continue;
    if (G* g = victim.runq.stealInto(w.runq)) return g;
  }
  if (!stealNext) return nullptr;
  // Go's runqgrab: a goroutine in runnext was readied by the one running there, which usually
  // blocks soon and then runs it on the same worker, caches warm. So back off before taking
  // it, the way Go does: usleep(3), which the kernel's default 50 us timer slack stretches to
  // ~80 us here. Taken at once, a producer filling a buffered channel lost its consumer to the
  // idle worker at every hand-off, and the pair ran on two cores trading cache lines: 40-50 ns
  // per item at capacity 100 and 128 on two workers, against 20 ns on one (and Go's 40).
  for (std::size_t i = 0; i < n; ++i) {
    Worker& victim = *workers_[(start + i) % n];
    if (&victim == &w) continue;
    G* seen = victim.runq.peekNext();
    if (seen == nullptr) continue;
    const timespec backOff{0, 3'000};
    nanosleep(&backOff, nullptr);
    if (victim.runq.stealNext(seen)) return seen;
  }
  return nullptr;
}

bool WorkStealScheduler::anyWork() {
  if (globalSize_.load(std::memory_order_acquire) != 0) return true;
  for (auto& w : workers_) {
    if (!w->runq.empty()) return true;
  }
  Nanos when = nextWhen_.load(std::memory_order_acquire);
  return when != kNever && when <= now();
}

G* WorkStealScheduler::findRunnable(Worker& w) {
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) return nullptr;
    // Due timers first (Go: checkTimers at the top of schedule()): goroutines that keep the
    // local queue from running dry (yielding, or handing work back and forth) must not starve
    // a timer that is due. The coarse clock keeps this cheap on every round; a
    // timer due while this worker is idle is fired on time further down.
    if (const Nanos when = nextWhen_.load(std::memory_order_acquire);
        when != kNever && when <= coarseNow()) {
      runDueTimers(now());
    }
    if (w.schedTick % kGlobalCheckInterval == 0) {
      if (G* g = popGlobal(nullptr)) return g;  // one only: the local queue may be full
      // Two goroutines handing a value back and forth keep runnext filled for ever.
      if (G* g = w.runq.popHead()) return g;
    }
    if (G* g = w.runq.pop()) return g;
    if (G* g = popGlobal(&w)) return g;
    if (nextWhen_.load(std::memory_order_acquire) != kNever) {
      Nanos t = now();
      if (nextWhen_.load(std::memory_order_acquire) <= t) {
        runDueTimers(t);
        continue;
      }
    }
    // Spin: steal from the others for a while, but keep at most half the workers spinning.
    const int maxSpinning = std::max<int>(1, static_cast<int>(workers_.size()) / 2);
    if (workers_.size() > 1 && nSpinning_.load(std::memory_order_relaxed) < maxSpinning) {
      nSpinning_.fetch_add(1, std::memory_order_seq_cst);
      G* found = nullptr;
      for (int round = 0; round < kSpinRounds && found == nullptr; ++round) {
        if (stop_.load(std::memory_order_relaxed)) break;
        found = stealFrom(w, round == kSpinRounds - 1);
        if (found == nullptr) found = popGlobal(&w);
        if (found == nullptr && nextWhen_.load(std::memory_order_relaxed) <= now()) break;
      }
      nSpinning_.fetch_sub(1, std::memory_order_seq_cst);
      if (found != nullptr) {
        w.idleRecheck = kIdleRecheckMin;
        // We were the spinner that absorbed a wake-up; pass it on if there is more to do.
        if (!w.runq.empty() && nIdle_.load(std::memory_order_relaxed) > 0) wakeOne();
        return found;
      }
    }
    sleepIdle(w);
  }
}

void WorkStealScheduler::sleepIdle(Worker& w) {
  bool everyoneIdle = false;
  {
    std::lock_guard lock(idleMu_);
    active_.fetch_add(w.activeDelta, std::memory_order_relaxed);
    w.activeDelta = 0;
    idle_.push_back(&w);
    everyoneIdle = nIdle_.fetch_add(1, std::memory_order_seq_cst) + 1 ==
                   static_cast<int>(workers_.size());
  }
  sanitizer::fullFence();
  // Re-check after publishing ourselves as idle: a producer that pushed before seeing us idle
  // must be seen here (Dekker with spawn/ready/addTimer).
  auto withdraw = [&] {
    std::lock_guard lock(idleMu_);
    auto it = std::find(idle_.begin(), idle_.end(), &w);
    if (it != idle_.end()) {
      idle_.erase(it);
      nIdle_.fetch_sub(1, std::memory_order_seq_cst);
    }
  };
  if (anyWork() || stop_.load(std::memory_order_seq_cst)) {
    withdraw();
    std::lock_guard lock(w.sleepMu);
    w.wakeup = false;
    return;
  }
  if (everyoneIdle) {
    checkEveryoneAsleep();
    if (stop_.load(std::memory_order_seq_cst)) {
      withdraw();
      return;
    }
  }
  Nanos when = nextWhen_.load(std::memory_order_acquire);
  // Go's sysmon, in its smallest form. A goroutine readied as a hand-off goes to its readier's
  // runnext without waking anyone (the readier is about to block, and a futex round trip costs
  // more than the whole hand-off); if the readier keeps running instead (polling with a
  // non-blocking select, spinning on an atomic), nobody else would ever run that goroutine.
  // So while another worker is busy, an idle worker's sleep is bounded and it comes back to
  // steal, runnext included. Go has preemption and sysmon's wake-ups for this.
  const bool othersBusy =
      nIdle_.load(std::memory_order_relaxed) < static_cast<int>(workers_.size());
  if (othersBusy) when = std::min(when, now() + w.idleRecheck);
  bool woken = false;
  {
    std::unique_lock lock(w.sleepMu);
    if (when == kNever) {
      w.sleepCv.wait(lock, [&] { return w.wakeup; });
    } else {
      auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(when));
      w.sleepCv.wait_until(lock, deadline, [&] { return w.wakeup; });
    }
    woken = w.wakeup;
    w.wakeup = false;
  }
  w.idleRecheck = woken ? kIdleRecheckMin : std::min(2 * w.idleRecheck, kIdleRecheckMax);
  withdraw();  // no-op if a waker already took us off the list
}

void WorkStealScheduler::wakeOne() {
  Worker* w = nullptr;
  {
    std::lock_guard lock(idleMu_);
    if (idle_.empty()) return;
    w = idle_.back();
    idle_.pop_back();
    nIdle_.fetch_sub(1, std::memory_order_seq_cst);
  }
  std::lock_guard lock(w->sleepMu);
  w->wakeup = true;
  w->sleepCv.notify_one();
}

// ---- timers ---------------------------------------------------------------------------------

void WorkStealScheduler::addTimer(TimerNode& t) {
  bool earliest;
  t.owner.store(this, std::memory_order_relaxed);
  {
    std::lock_guard lock(timerMu_);
    timers_.push(&t);
    earliest = timers_.top() == &t;
    nextWhen_.store(timers_.top()->when, std::memory_order_release);
  }
  if (earliest) {
    // A sleeping worker may be waiting for a later deadline (or none): let one re-evaluate.
    sanitizer::fullFence();
    if (nIdle_.load(std::memory_order_relaxed) > 0) wakeOne();
  }
}

bool WorkStealScheduler::removeTimer(TimerNode& t) {
  bool removed;
  {
    std::lock_guard lock(timerMu_);
    removed = timers_.remove(&t);
    if (!removed && t.firing.load(std::memory_order_relaxed)) t.stopWhileFiring = true;
    nextWhen_.store(timers_.empty() ? kNever : timers_.top()->when, std::memory_order_release);
  }
  // fire() runs outside timerMu_; wait for an in-flight one so the caller may free t.
  while (t.firing.load(std::memory_order_acquire)) std::this_thread::yield();
  return removed;
}

void WorkStealScheduler::runDueTimers(Nanos now) {
  std::unique_lock lock(timerMu_);
  while (!timers_.empty() && timers_.top()->when <= now) {
    TimerNode* t = timers_.pop();
    const bool periodic = t->period > 0;
    // A periodic timer is re-armed only after this firing returns: re-armed before, another
    // worker could fire it again concurrently (and a stop() between the two would free it
    // under the other firing).
    t->stopWhileFiring = false;
    t->firing.store(true, std::memory_order_relaxed);
    nextWhen_.store(timers_.empty() ? kNever : timers_.top()->when, std::memory_order_release);
    lock.unlock();
    t->fire(*t, now);
    if (periodic) {
      lock.lock();
      if (!t->stopWhileFiring) {
        // Next multiple of the period after now (Go drops missed ticks).
        t->when += t->period * (1 + (now - t->when) / t->period);
        timers_.push(t);
        nextWhen_.store(timers_.top()->when, std::memory_order_release);
      }
      t->firing.store(false, std::memory_order_release);
      lock.unlock();
    } else {
      releaseTimer(*t);
    }
    lock.lock();
  }
  nextWhen_.store(timers_.empty() ? kNever : timers_.top()->when, std::memory_order_release);
}

// ---- deadlock detection ---------------------------------------------------------------------

void WorkStealScheduler::addActive(Worker* w, std::int64_t delta) {
  if (w != nullptr) {
    w->activeDelta += delta;
  } else {
    active_.fetch_add(delta, std::memory_order_relaxed);
  }
}

void WorkStealScheduler::becameInactive(Worker& w) { --w.activeDelta; }

// Run by the worker whose entry into idle_ made it hold every worker: no goroutine runs and
// every count is in active_ (see the invariants).
void WorkStealScheduler::checkEveryoneAsleep() {
  if (active_.load(std::memory_order_acquire) != 0) return;
  if (mainExited_.load(std::memory_order_seq_cst)) {
    stopAll();  // drained: everyone left is blocked (leaked) or gone
    return;
  }
  std::unique_lock lock(timerMu_);
  if (!timers_.empty()) return;
  lock.unlock();
  if (stop_.load(std::memory_order_acquire) || rt_.failed()) return;
  declareDeadlock();
}

void WorkStealScheduler::declareDeadlock() {
  rt_.recordFatal(FatalError("all goroutines are asleep - deadlock!", rt_.goroutineDump()));
}

}  // namespace weft::internal
