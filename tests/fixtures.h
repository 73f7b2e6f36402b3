// WithRuntime: the fixture every runtime test uses. Parameterised over runtime configurations,
// so each scenario runs under the deterministic scheduler (several seeds) AND the production
// work-stealing scheduler at 1, 2, 4 and 8 workers (the style guide's rule: every primitive,
// every configuration). TearDown checks that no goroutine outlived its run and that goroutine
// stacks are pooled rather than leaked.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "weft/harness/strategies/random.h"
#include "weft/internal/sanitizers.h"
#include "weft/weft.h"

namespace weft::testing {

// Sanitizers make everything 5-15x slower: loops scale down under them.
#if defined(WEFT_TSAN) || defined(WEFT_ASAN)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

struct RuntimeParam {
  std::string name;
  int workers = 1;                     // production scheduler worker threads
  std::optional<std::uint64_t> seed;   // set: deterministic scheduler with a random walk
};

inline void PrintTo(const RuntimeParam& p, std::ostream* os) { *os << p.name; }

inline std::string paramName(const ::testing::TestParamInfo<RuntimeParam>& info) {
  return info.param.name;
}

inline auto allRuntimes() {
  return ::testing::Values(RuntimeParam{"sim_seed1", 1, 1}, RuntimeParam{"sim_seed2", 1, 2},
                           RuntimeParam{"sim_seed3", 1, 3}, RuntimeParam{"workers1", 1, {}},
                           RuntimeParam{"workers2", 2, {}}, RuntimeParam{"workers4", 4, {}},
                           RuntimeParam{"workers8", 8, {}});
}

class WithRuntime : public ::testing::TestWithParam<RuntimeParam> {
 protected:
  bool deterministic() const { return GetParam().seed.has_value(); }

  Config config() {
    Config c;
    c.workers = GetParam().workers;
    c.stackSize = 256 * 1024;
    if (GetParam().seed) {
      strategy_ = std::make_unique<harness::RandomStrategy>(*GetParam().seed);
      c.strategy = strategy_.get();
    }
    return c;
  }

  // run() runs `main` on a fresh runtime of this test's configuration. Expects no leaked
  // goroutines unless allowLeaks.
  template <class F>
  RunResult run(F&& main, bool allowLeaks = false) {
    runtime_ = std::make_unique<Runtime>(config());
    RunResult r = runtime_->run(std::forward<F>(main));
    if (!allowLeaks) {
      EXPECT_TRUE(r.ok()) << r.leakReport();
    }
    return r;
  }

  void TearDown() override {
    if (runtime_) {
      // Every goroutine is gone (finished or unwound), so every stack is back in the pool.
      EXPECT_EQ(runtime_->stacksInUse(), 0u) << "goroutine stacks leaked";
    }
  }

  std::unique_ptr<harness::RandomStrategy> strategy_;
  std::unique_ptr<Runtime> runtime_;
};

#define WEFT_INSTANTIATE_ALL_RUNTIMES(Suite) \
  INSTANTIATE_TEST_SUITE_P(AllRuntimes, Suite, ::weft::testing::allRuntimes(), \
                           ::weft::testing::paramName)

}  // namespace weft::testing
