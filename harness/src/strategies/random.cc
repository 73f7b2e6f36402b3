#include "weft/harness/strategies/random.h"

namespace weft::harness {

// splitmix64: tiny, seedable from any 64-bit value, good enough for schedule choices.
std::uint64_t RandomStrategy::nextU64() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

sim::GoroutineId RandomStrategy::next(std::span<const sim::GoroutineId> runnable,
                                      std::optional<sim::GoroutineId>) {
  return runnable[nextU64() % runnable.size()];
}

}  // namespace weft::harness
