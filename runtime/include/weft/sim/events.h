// sim::Observer: what deterministic mode tells the harness about an execution, in order. The
// harness builds traces, reports and (issue #4) race detection from these events; the runtime
// never formats anything itself.
//
// Identity: goroutines by id (restarting at 1 every run); objects by address, which the
// observer must map to a stable name (e.g. "chan#2, made at file:line") because addresses
// differ between runs.
#pragma once

#include <cstdint>
#include <source_location>
#include <string_view>

namespace weft::sim {

using GoroutineId = std::uint64_t;

// Visible operations: each is a scheduling point in deterministic mode.
enum class OpKind : std::uint8_t {
  kGo, kYield,
  kChanMake, kChanSend, kChanRecv, kChanClose, kChanLen, kSelect,
  kMutexLock, kMutexUnlock, kRLock, kRUnlock,
  kCondWait, kCondSignal, kCondBroadcast,
  kOnce, kWaitGroupAdd, kWaitGroupWait,
  kAtomicLoad, kAtomicStore, kAtomicRmw,
  kTimer, kSleep, kContext,
  kCellRead, kCellWrite,
};

std::string_view toString(OpKind k);

// An operation about to take effect: reported when it proceeds, i.e. after any preemption at
// its scheduling point (so the trace shows operations in the order they happened).
struct OpEvent {
  std::uint64_t step;        // 1-based index of this operation in the execution
  GoroutineId goroutine;     // who performs it
  OpKind kind;
  const void* object;        // the channel, mutex, cell... (null for go/yield)
  const std::source_location* site;  // where the object was created, when known
  const char* name;                  // the object's user-given name, or null
};

// Groups of Observer events, as bits of Observer::interests().
enum Interest : std::uint32_t {
  kOpEvents = 1u << 0,         // onOp
  kLifecycleEvents = 1u << 1,  // onSpawn, onExit
  kScheduleEvents = 1u << 2,   // onPreempt, onBlock, onUnblock, onTimeAdvance
  kEdgeEvents = 1u << 3,       // onRelease, onAcquire, onAccess
  kAllEvents = kOpEvents | kLifecycleEvents | kScheduleEvents | kEdgeEvents,
};

class Observer {
 public:
  virtual ~Observer() = default;
  // interests(): the event groups this observer wants. The engine reads it once at the start
  // of every run and makes no call of the other groups during that run (exploration runs
  // thousands of executions, most of them with nobody listening to most events).
  virtual std::uint32_t interests() const { return kAllEvents; }
  // receiver(group): who gets the events of `group` (one bit of Interest) during this run,
  // also read once per run. A multiplexer whose group has a single listener returns that
  // listener, so the engine calls it directly instead of through the multiplexer.
  virtual Observer* receiver(Interest /*group*/) { return this; }
  virtual void onOp(const OpEvent& e) = 0;
  // The strategy switched away from `g` (which could have continued) to `next`.
  virtual void onPreempt(GoroutineId g, GoroutineId next) = 0;
  // A goroutine started (parent 0 for main).
  virtual void onSpawn(GoroutineId parent, GoroutineId child, std::string_view name,
                       const std::source_location& site) = 0;
  // `g` blocked with Go's wait reason text ("chan receive", "sync.Mutex.Lock", ...).
  virtual void onBlock(GoroutineId g, std::string_view reason) = 0;
  // `g` was made runnable by `by` (0: by a timer / the scheduler).
  virtual void onUnblock(GoroutineId g, GoroutineId by) = 0;
  virtual void onExit(GoroutineId g) = 0;
  // The virtual clock moved to `nanos` (timers are about to fire).
  virtual void onTimeAdvance(std::int64_t nanos) = 0;

  // Happens-before edges, reported by the primitives exactly where Go's runtime calls its race
  // hooks (see each primitive's "Memory ordering" paragraph). `g` is the goroutine on whose
  // behalf the edge is taken (not always the running one: a sender completes a blocked
  // receiver's receive). Release joins g's clock into the sync object; acquire joins the sync
  // object's clock into g's.
  virtual void onRelease(GoroutineId /*g*/, const void* /*sync*/) {}
  virtual void onAcquire(GoroutineId /*g*/, const void* /*sync*/) {}
  // A memory access the race detector should check: watched cells, annotated memory, and the
  // runtime's own "object accesses" that make misuse a race (close concurrent with send).
  virtual void onAccess(GoroutineId /*g*/, const void* /*addr*/, bool /*write*/,
                        const std::source_location* /*object site*/, const char* /*name*/,
                        const std::source_location& /*where*/) {}
};

}  // namespace weft::sim
