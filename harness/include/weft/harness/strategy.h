// harness::Strategy: a sim::Strategy that the explorer can drive over many executions.
// The engine's seam (sim::Strategy: next, nextU64, and the delegation a recorder uses) stays
// small; exploration adds beginExecution() and a description for the reproduce line.
// Strategies compose as decorators (RecordingStrategy wraps any of them; ReplayStrategy replays
// a recorded Schedule).
#pragma once

#include <cstdint>
#include <string>

#include "weft/sim/strategy.h"

namespace weft::harness {

class Strategy : public sim::Strategy {
 public:
  // beginExecution() prepares execution number `index` whose seed is `seed`. Returns false when
  // the strategy has nothing left to explore.
  virtual bool beginExecution(std::uint64_t seed, std::uint64_t index) = 0;
  // endExecution() is told how many decisions with >= 2 candidates the execution made.
  virtual void endExecution(std::uint64_t /*decisions*/) {}
  // describe() names the strategy and its parameters as environment assignments, e.g.
  // "WEFT_STRATEGY=pct WEFT_PCT_DEPTH=3".
  virtual std::string describe() const = 0;
};

// splitmix64: the harness's one PRNG (tiny state, any seed is good).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A number in [0, n) from splitmix64, by multiply-and-shift (Lemire) rather than `% n`: a
// strategy draws one at nearly every scheduling decision, and a 64-bit division costs more
// than the rest of the draw. The bias is the same as modulo's (at most n / 2^64).
inline std::uint64_t splitmix64Below(std::uint64_t& state, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(splitmix64(state)) * n) >> 64);
}

}  // namespace weft::harness
