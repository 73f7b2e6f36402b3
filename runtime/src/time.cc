// Go's time package on the scheduler's timers (Go: runtime/time.go + time/sleep.go, tick.go).
#include "weft/time.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "debug.h"
#include "park.h"
#include "race.h"
#include "runtime_core.h"

namespace weft {

namespace internal {

// deadlineAfter(): now + d, clamped to the end of time instead of wrapping around (Go: when()
// and maxWhen), so that sleep(Duration::max()) sleeps "forever" rather than not at all.
Nanos deadlineAfter(Nanos now, Duration d) {
  const Nanos delta = std::max<Nanos>(d.count(), 0);
  return delta > std::numeric_limits<Nanos>::max() - now ? std::numeric_limits<Nanos>::max()
                                                         : now + delta;
}

// One timer: a channel timer (ch non-nil), a function timer (fn set), or after()'s
// fire-and-forget channel timer (selfOwned: freed by the scheduler when done with it).
struct TimerState {
  TimerNode node;
  Chan<TimePoint> ch;
  std::function<void()> fn;
  RuntimeCore* rt = nullptr;
  std::source_location site;

  TimerState() {
    node.arg = this;
    node.fire = &TimerState::fire;
  }

  static void fire(TimerNode& t, Nanos now) {
    auto& s = *static_cast<TimerState*>(t.arg);
    hbAcquire(&s.node);  // the timer was set (or reset) before it fires
    if (s.fn) {
      // Go: goFunc; the function runs in a goroutine of its own.
      auto fn = s.fn;
      const void* sync = &s.node;
      G* g = s.rt->newG(
          Task([fn = std::move(fn), sync] {
            hbAcquire(sync);
            fn();
          }),
          "time.AfterFunc", s.site);
      t.owner.load(std::memory_order_relaxed)->spawn(*g);
      return;
    }
    // Go: sendTime, a non-blocking send; a tick nobody has taken yet makes this one drop.
    TimePoint tp{Duration(now)};
    chanSend(s.ch.core(), &tp, false);
  }

  // arm() sets the timer d from now on the current goroutine's scheduler.
  void arm(Duration d, Duration period, const char* what) {
    G& self = requireG(what);
    rt = self.rt;
    node.period = period.count();
    node.when = deadlineAfter(self.sched->now(), d);
    hbRelease(&node);
    // Not during the unwinding at the end of a run: the run's timers are gone (it never fires).
    if (!rt->stopping()) self.sched->addTimer(node);
  }

  // disarm() returns true if the timer was pending and now will not fire; either way, when it
  // returns the scheduler no longer touches the node (unless it is re-armed).
  bool disarm() {
    if (Scheduler* s = node.owner.load(std::memory_order_acquire)) {
      const bool removed = s->removeTimer(node);
      if (removed) node.owner.store(nullptr, std::memory_order_relaxed);
      return removed;
    }
    while (node.firing.load(std::memory_order_acquire)) std::this_thread::yield();
    return false;
  }
};

}  // namespace internal

using internal::TimerState;

Clock::time_point Clock::now() noexcept {
  internal::RuntimeScope runtime;
  if (internal::G* g = internal::currentG()) return time_point(duration(g->sched->now()));
  return time_point(std::chrono::duration_cast<duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

namespace {
// The part of sleep() that blocks, outlined so that sleep(0) does not set up its frame (the
// timer node and the park).
[[gnu::noinline]] void sleepFor(Duration d) {
  internal::G& self = internal::requireG("weft::sleep");
  internal::TimerNode node;
  node.when = internal::deadlineAfter(self.sched->now(), d);
  node.arg = &self;
  node.fire = [](internal::TimerNode& t, internal::Nanos) {
    internal::ready(*static_cast<internal::G*>(t.arg));
  };
  // Arm the timer only once this goroutine is parked, so that the wake-up cannot come first.
  // A goroutine that sleeps while being unwound at the end of a run stays parked for good: the
  // run's timers are gone, and arming one would leak it into the next run.
  auto commit = [&node](internal::G& g) {
    if (!g.rt->stopping()) g.sched->addTimer(node);
  };
  try {
    internal::parkWith(self, internal::WaitReason::kSleep, commit);
  } catch (const internal::GoexitUnwind&) {
    if (internal::Scheduler* s = node.owner.load()) s->removeTimer(node);
    throw;
  }
  // The worker that fired the timer readied us from inside fire() and may still be finishing
  // with the node, which lives in this frame: wait until it has let go.
  while (node.firing.load(std::memory_order_acquire)) std::this_thread::yield();
}
}  // namespace

void sleep(Duration d) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kSleep, nullptr);
  if (d.count() <= 0) return;  // Go: returns at once
  sleepFor(d);
}

RecvChan<TimePoint> after(Duration d, std::source_location site) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, nullptr);
  auto* s = new TimerState();
  s->site = site;
  s->ch = makeChan<TimePoint>(1, site);
  s->node.drop = [](internal::TimerNode& t) { delete static_cast<TimerState*>(t.arg); };
  RecvChan<TimePoint> c = s->ch;
  try {
    s->arm(d, Duration(0), "weft::after");
  } catch (...) {
    delete s;
    throw;
  }
  return c;
}

// ---- Timer ----------------------------------------------------------------------------------

Timer::Timer(Duration d, std::source_location site) : s_(std::make_unique<TimerState>()) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, s_.get());
  s_->site = site;
  s_->ch = makeChan<TimePoint>(1, site);
  s_->arm(d, Duration(0), "weft::Timer");
}

Timer::Timer(std::unique_ptr<internal::TimerState> s) : s_(std::move(s)) {}
Timer::Timer(Timer&&) noexcept = default;
Timer& Timer::operator=(Timer&& o) noexcept {
  internal::RuntimeScope runtime;
  if (this != &o) {
    if (s_) s_->disarm();
    s_ = std::move(o.s_);
  }
  return *this;
}
Timer::~Timer() {
  internal::RuntimeScope runtime;
  if (s_) s_->disarm();
}

RecvChan<TimePoint> Timer::c() const { return s_ ? RecvChan<TimePoint>(s_->ch) : RecvChan<TimePoint>(); }

bool Timer::stop() {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, s_.get());
  return s_ && s_->disarm();
}

bool Timer::reset(Duration d) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, s_.get());
  if (!s_) internal::usageError("weft::Timer::reset on a moved-from Timer");
  const bool wasActive = s_->disarm();
  s_->arm(d, Duration(0), "weft::Timer::reset");
  return wasActive;
}

Timer afterFunc(Duration d, std::function<void()> f, std::source_location site) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, nullptr);
  if (!f) internal::usageError("weft::afterFunc: the function is empty");
  auto s = std::make_unique<TimerState>();
  s->site = site;
  s->fn = std::move(f);
  s->arm(d, Duration(0), "weft::afterFunc");
  return Timer(std::move(s));
}

// ---- Ticker ---------------------------------------------------------------------------------

Ticker::Ticker(Duration d, std::source_location site) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, nullptr);
  if (d.count() <= 0) internal::panicWith("non-positive interval for NewTicker");
  s_ = std::make_unique<TimerState>();
  s_->site = site;
  s_->ch = makeChan<TimePoint>(1, site);
  s_->arm(d, d, "weft::Ticker");
}

Ticker::Ticker(Ticker&&) noexcept = default;
Ticker& Ticker::operator=(Ticker&& o) noexcept {
  internal::RuntimeScope runtime;
  if (this != &o) {
    if (s_) s_->disarm();
    s_ = std::move(o.s_);
  }
  return *this;
}
Ticker::~Ticker() {
  internal::RuntimeScope runtime;
  if (s_) s_->disarm();
}

RecvChan<TimePoint> Ticker::c() const {
  internal::RuntimeScope runtime;
  return s_ ? RecvChan<TimePoint>(s_->ch) : RecvChan<TimePoint>();
}

void Ticker::stop() {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, s_.get());
  if (s_) s_->disarm();
}

void Ticker::reset(Duration d) {
  internal::RuntimeScope runtime;
  internal::schedulePoint(internal::OpKind::kTimer, s_.get());
  if (d.count() <= 0) internal::panicWith("non-positive interval for Ticker.Reset");
  if (!s_) internal::usageError("weft::Ticker::reset on a moved-from Ticker");
  s_->disarm();
  s_->arm(d, d, "weft::Ticker::reset");
}

}  // namespace weft
