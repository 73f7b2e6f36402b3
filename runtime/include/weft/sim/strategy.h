// sim::Strategy: who runs next in deterministic mode. The engine (DeterministicScheduler) is
// fixed; strategies are policy and live in harness/ (random walk, PCT, round-robin, replay...).
//
// At every scheduling point (each visible operation: go, send, recv, close, select, lock,
// unlock, wait, signal, add, done, atomics, timers, yield) the engine asks next() which
// goroutine runs; every other choice the runtime makes (select's pick among ready cases, which
// of several due timers fires first, user randomness) comes from nextU64(). A strategy that
// answers the same way given the same questions reproduces the execution exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace weft::sim {

using GoroutineId = std::uint64_t;

class Strategy {
 public:
  virtual ~Strategy() = default;

  // next() picks one of `runnable` (at least two, sorted by id). `current` is the goroutine that
  // reached the scheduling point when it could go on (choosing anything else preempts it; it is
  // one of `runnable`); nullopt when the previous goroutine blocked or exited. `yielding`: the
  // current goroutine called weft::yield() (a spin loop, typically), so a strategy that keeps
  // favouring it would livelock (PCT deprioritizes it).
  virtual GoroutineId next(std::span<const GoroutineId> runnable,
                           std::optional<GoroutineId> current, bool yielding) = 0;

  // nextU64() is every random number the runtime needs.
  virtual std::uint64_t nextU64() = 0;
};

}  // namespace weft::sim
