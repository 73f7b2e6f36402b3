// G: the goroutine control block (Go: runtime.g). One per goroutine, recycled through the
// runtime's free list (Go: gfput/gfget); its stack is bound when it first runs and given back
// when it exits (RuntimeCore::startG, releaseG).
//
// State machine (each transition names who performs it):
//   kIdle     -> kRunnable  RuntimeCore::newG + Scheduler::spawn
//   kRunnable -> kRunning   the scheduler, when it switches to the G
//   kRunning  -> kWaiting   park(): set by the G itself before it switches out
//   kWaiting  -> kRunnable  ready(): by whoever completes the wait, with no object lock held
//   kRunning  -> kRunnable  yield / deterministic preemption
//   kRunning  -> kDead      the G's body returned or unwound; then back to kIdle in the pool
#pragma once

#include <atomic>
#include <cstdint>
#include <source_location>
#include <string>

#include "context/fiber_context.h"
#include "context/stack.h"
#include "weft/internal/spin_lock.h"
#include "weft/internal/task.h"
#include "wait_reason.h"
#include "waiter.h"

namespace weft::internal {

class RuntimeCore;
class Scheduler;

enum class GState : std::uint8_t {
  kIdle,      // in the free pool; no body
  kRunnable,  // in a run queue, or being put into one
  kRunning,   // executing on a worker (or on the deterministic scheduler's thread)
  kWaiting,   // parked; only ready() (or forced unwinding at shutdown) moves it on
  kDead,      // body finished; about to return to the pool
};

const char* toString(GState s);

// What a goroutine asks its scheduler to do when it switches out (read by the scheduler right
// after the switch, on the same OS thread).
enum class SwitchReason : std::uint8_t { kPark, kYield, kExit };

// park() runs this on the scheduler side after the goroutine's context is saved; returning
// false cancels the park and resumes the goroutine (Go: gopark's unlockf).
using ParkCommit = bool (*)(G& g, void* arg);

struct G {
  // Immutable while the goroutine lives; newG writes them holding infoMu, which goroutine
  // dumps hold to read them (a record is reused while other threads may be dumping).
  SpinLock infoMu;
  std::uint64_t id = 0;
  std::string name;
  std::source_location spawnSite;
  RuntimeCore* rt = nullptr;
  Scheduler* sched = nullptr;
  Task body;

  FiberContext ctx;  // saved context while not running
  Stack stack;  // empty until the first run, and again once released
  // Started: has been given its stack and first frame, to be switched to (startG). A
  // never-started G is not unwound.
  bool started() const { return static_cast<bool>(stack); }
  // The scheduler context that last resumed this G; it switches back there. Written by the
  // resumer before every switch in (a G may resume on a different worker each time).
  FiberContext* returnTo = nullptr;

  std::atomic<GState> state{GState::kIdle};
  WaitReason waitReason = WaitReason::kNone;  // written by the G itself before parking

  // Park protocol. The switch fields are written by the G just before it switches out and
  // read by the scheduler right after, on the same OS thread.
  SwitchReason switchReason = SwitchReason::kPark;
  ParkCommit commit = nullptr;
  void* commitArg = nullptr;
  // A direct switch (Scheduler::parkDirect/yieldDirect) resumes this G straight from a parking
  // or yielding one, with no scheduler context in between: that G is left here, and this G
  // completes its park or requeues it (Scheduler::finishDirectSwitch) first thing after the
  // switch, once its context is saved.
  G* directFrom = nullptr;

  // Wake protocol (Go: g.param, g.selectDone, g.waiting). wakeWaiter is written by the waker
  // under the waited object's lock before ready(); waiting is the G's own list of linked
  // waiters for the current blocking operation (used by select and by forced unwinding).
  Waiter* wakeWaiter = nullptr;
  std::atomic<std::uint32_t> selectDone{0};
  Waiter* waiting = nullptr;

  // Set (only at shutdown, single-threaded) to make the next resume throw GoexitUnwind so the
  // goroutine's destructors run.
  bool unwinding = false;
  bool abandoned = false;  // blocked again while unwinding: its stack is dropped as is

  // ThreadSanitizer builds only (race.cc): this goroutine's own sync object, which carries
  // the go statement's edge from the spawner to its first step.
  void* raceToken = nullptr;

  // Scheduler-private.
  G* schedLink = nullptr;
  std::uint32_t schedIndex = 0;

  // RuntimeCore's list of every record it ever made (Go: allgs); guarded by its allMu_.
  G* allNext = nullptr;
};

// currentG() is the goroutine running on this OS thread, or null outside any goroutine.
// Not inlined on purpose (gnu::noinline, which link-time optimisation respects too): a goroutine
// may resume on another OS thread after any switch, so the address of a thread_local must never
// be cached across one (see the style guide, marl note).
G* currentG() noexcept;
// Async-signal-safe variant for the stack overflow handler.
G* currentGForSignal() noexcept;
void setCurrentG(G* g) noexcept;

// Thrown inside a goroutine to unwind it at shutdown; caught by the goroutine's entry only.
// Not derived from std::exception so that `catch (const std::exception&)` does not swallow it.
struct GoexitUnwind {};

}  // namespace weft::internal
