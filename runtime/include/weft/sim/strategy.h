// sim::Strategy: who runs next in deterministic mode. The engine (DeterministicScheduler) is
// fixed; strategies are policy and live in harness/ (random walk, PCT, round-robin, replay...).
//
// At every scheduling point (each visible operation: go, send, recv, close, select, lock,
// unlock, wait, signal, add, done, atomics, timers, yield) the engine asks next() which
// goroutine runs; every other choice the runtime makes (select's pick among ready cases, which
// of several due timers fires first, user randomness) comes from nextU64(). A strategy that
// answers the same way given the same questions reproduces the execution exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace weft::sim {

using GoroutineId = std::uint64_t;
// Goroutine ids start at 1 (main); 0 names no goroutine (no current one, a timer's wake-up).
inline constexpr GoroutineId kNoGoroutine = 0;

// Decision: one answer a strategy gave, which is all a replay needs of it.
struct Decision {
  enum class Kind : std::uint8_t { kRun, kRandom };
  Kind kind;
  std::uint64_t value;  // goroutine id (kRun) or the random number (kRandom)
  friend bool operator==(const Decision&, const Decision&) = default;
};

// DecisionLog: the answers of one run in order, and how many of its run decisions preempted
// (switched away from the goroutine that could have gone on, when it was not yielding).
struct DecisionLog {
  std::vector<Decision> decisions;
  std::uint64_t preemptions = 0;
  std::uint64_t runDecisions = 0;

  void clear() {
    decisions.clear();
    preemptions = runDecisions = 0;
  }
  // The engine records a run decision, then, when it switches away from a goroutine that
  // could have gone on and was not yielding, the preemption.
  void recordRun(GoroutineId pick) {
    append({Decision::Kind::kRun, pick});
    ++runDecisions;
  }
  void recordPreemption() { ++preemptions; }
  // Both at once, for a strategy that records the answers of another.
  void recordRun(GoroutineId pick, GoroutineId current, bool yielding) {
    recordRun(pick);
    // Bitwise, not &&: under a random walk whether a decision preempts is a coin flip, and a
    // mispredicted branch here would cost more than the rest of the recording.
    preemptions += static_cast<std::uint64_t>((current != kNoGoroutine) & (current != pick) &
                                              !yielding);
  }
  void recordRandom(std::uint64_t value) { append({Decision::Kind::kRandom, value}); }

 private:
  // The engine appends at nearly every scheduling point: the growth is outlined, so that the
  // append inlined there is a store and an increment (and needs no spare registers).
  void append(Decision d) {
    if (decisions.size() == decisions.capacity()) [[unlikely]] grow();
    if (decisions.size() == decisions.capacity()) __builtin_unreachable();
    decisions.push_back(d);
  }
  [[gnu::noinline, gnu::cold]] void grow() {
    decisions.reserve(std::max<std::size_t>(64, 2 * decisions.capacity()));
  }
};

class Strategy {
 public:
  virtual ~Strategy() = default;

  // delegation(), asked by the engine at the start of every run: who answers this run's
  // questions, and the log the engine appends each answer to (null: none). A strategy that
  // only forwards to another and logs the answers (a recorder) returns the other and its log,
  // so that a decision costs the engine one virtual call instead of one per layer.
  struct Delegation {
    Strategy* answerer;
    DecisionLog* log;
  };
  virtual Delegation delegation() { return {this, nullptr}; }

  // next() picks one of `runnable` (at least two, sorted by id). `current` is the goroutine that
  // reached the scheduling point when it could go on (choosing anything else preempts it; it is
  // one of `runnable`); kNoGoroutine when the previous goroutine blocked or exited. `yielding`:
  // the current goroutine called weft::yield() (a spin loop, typically), so a strategy that
  // keeps favouring it would livelock (PCT deprioritizes it).
  // (`current` is a plain id, not a std::optional, so that the call passes everything in
  // registers: it is made at nearly every scheduling point of every execution.)
  virtual GoroutineId next(std::span<const GoroutineId> runnable, GoroutineId current,
                           bool yielding) = 0;

  // nextU64() is every random number the runtime needs.
  virtual std::uint64_t nextU64() = 0;
};

}  // namespace weft::sim
