// PCT's probabilistic guarantee, measured: on synthetic bugs of depth d among n goroutines with
// k decisions, the hit rate per execution must be at least 1/(n * k^(d-1)) (Burckhardt et al.,
// ASPLOS 2010, Theorem 9), and PCT must beat the random walk on a bug that needs two
// preemptions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include "weft/harness/explore.h"
#include "weft/harness/strategies/pct.h"
#include "weft/harness/strategies/random.h"
#include "weft/internal/sanitizers.h"
#include "weft/weft.h"

namespace weft::harness {
namespace {

// Statistical self-tests of the single-threaded explorer need tens of thousands of executions;
// under a sanitizer that is minutes, and a sanitizer adds nothing to code that runs on one
// thread. They run in the normal build.
#if defined(WEFT_TSAN) || defined(WEFT_ASAN)
#define WEFT_SKIP_STATISTICAL_UNDER_SANITIZER() \
  GTEST_SKIP() << "statistical: runs in the normal build (too slow under a sanitizer)"
#else
#define WEFT_SKIP_STATISTICAL_UNDER_SANITIZER() \
  do {                                          \
  } while (0)
#endif

// A body with n goroutines of `steps` visible operations each. `bug` inspects the global order
// of (goroutine, step) events and says whether the planted bug fired.
struct Synthetic {
  int n;
  int steps;
  std::function<bool(const std::vector<std::pair<int, int>>&)> bug;
};

// Runs `executions` executions of the synthetic body under `strategy` (fixed k) and returns
// how many hit the bug, plus the largest number of decisions an execution made.
std::pair<int, std::uint64_t> hits(const Synthetic& s, Strategy& strategy, int executions) {
  std::vector<std::pair<int, int>> order;
  int hit = 0;
  std::uint64_t maxDecisions = 0;
  // Count decisions through a decorator.
  struct Counting : Strategy {
    Strategy& inner;
    std::uint64_t decisions = 0;
    explicit Counting(Strategy& i) : inner(i) {}
    bool beginExecution(std::uint64_t seed, std::uint64_t i) override {
      decisions = 0;
      return inner.beginExecution(seed, i);
    }
    sim::GoroutineId next(std::span<const sim::GoroutineId> r,
                          sim::GoroutineId c, bool y) override {
      ++decisions;
      return inner.next(r, c, y);
    }
    std::uint64_t nextU64() override { return inner.nextU64(); }
    std::string describe() const override { return inner.describe(); }
  } counting(strategy);
  Config c;
  c.strategy = &counting;
  c.stackSize = 64 * 1024;
  Runtime rt(c);
  for (int e = 0; e < executions; ++e) {
    counting.beginExecution(1000 + static_cast<std::uint64_t>(e), static_cast<std::uint64_t>(e));
    order.clear();
    rt.run([&] {
      // All goroutines wait for one start signal, so that spawn order adds no hidden ordering
      // constraint: after the close they are all runnable at once, and the bug's depth is
      // exactly the constraints `bug` checks.
      auto start = makeChan<Unit>();
      auto done = makeChan<Unit>(s.n);
      Shared<int> cell{0, "cell"};
      for (int g = 0; g < s.n; ++g) {
        go([&, g, start, done] {
          start.recv();
          for (int i = 0; i < s.steps; ++i) {
            cell.store(i);  // one visible operation (not yield(): PCT treats yielders as spinning)
            RaceIgnored observer;  // the test's record of the schedule
            order.emplace_back(g, i);
          }
          done.send({});
        });
      }
      start.close();
      for (int g = 0; g < s.n; ++g) done.recv();
    });
    maxDecisions = std::max(maxDecisions, counting.decisions);
    hit += s.bug(order) ? 1 : 0;
  }
  return {hit, maxDecisions};
}

std::size_t position(const std::vector<std::pair<int, int>>& order, int g, int step) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == std::make_pair(g, step)) return i;
  }
  return order.size();
}

void checkBound(const char* name, const Synthetic& s, int depth, int executions) {
  // First learn k (the decisions one execution makes), then measure with k fixed.
  PctStrategy probe(depth, 16, true);
  auto [unused, k] = hits(s, probe, 20);
  (void)unused;
  PctStrategy pct(depth, k, false);
  auto [hit, k2] = hits(s, pct, executions);
  (void)k2;
  // n counts every goroutine that competes for the CPU: the synthetic ones plus main.
  const int n = s.n + 1;
  double bound = 1.0 / (n * std::pow(static_cast<double>(k), depth - 1));
  double rate = static_cast<double>(hit) / executions;
  std::printf("%s: n=%d k=%llu d=%d: hit rate %.4f (%d/%d), bound 1/(n*k^(d-1)) = %.4f\n", name,
              n, static_cast<unsigned long long>(k), depth, rate, hit, executions, bound);
  EXPECT_GE(rate, bound) << name;
}

TEST(Pct, DepthOneBugMeetsTheBound) {
  // Depth 1: goroutine 1's first step comes before goroutine 0's first step.
  Synthetic s{2, 4, [](const auto& o) { return position(o, 1, 0) < position(o, 0, 0); }};
  checkBound("depth 1", s, 1, 400);
}

TEST(Pct, DepthTwoBugMeetsTheBound) {
  WEFT_SKIP_STATISTICAL_UNDER_SANITIZER();
  // Depth 2: goroutine 1's first step lands between goroutine 0's steps 2 and 3.
  Synthetic s{2, 5, [](const auto& o) {
                auto p = position(o, 1, 0);
                return position(o, 0, 2) < p && p < position(o, 0, 3);
              }};
  checkBound("depth 2", s, 2, 2000);
}

TEST(Pct, DepthThreeBugMeetsTheBound) {
  WEFT_SKIP_STATISTICAL_UNDER_SANITIZER();
  // Depth 3 (three ordering constraints) among three goroutines: g1 step 0 between g0 steps 1
  // and 2, and g2 step 0 before g0 step 0.
  Synthetic s{3, 3, [](const auto& o) {
                auto a = position(o, 1, 0);
                return position(o, 0, 1) < a && a < position(o, 0, 2) &&
                       position(o, 2, 0) < position(o, 0, 0);
              }};
  checkBound("depth 3", s, 3, 20000);
}

void compareWithRandom(const char* name, const Synthetic& s, int depth, int executions,
                       double factor) {
  PctStrategy probe(depth, 16, true);
  auto [u, k] = hits(s, probe, 20);
  (void)u;
  PctStrategy pct(depth, k, false);
  RandomStrategy random;
  int pctHits = hits(s, pct, executions).first;
  int randomHits = hits(s, random, executions).first;
  std::printf("%s over %d executions: PCT(d=%d) %d hits, random walk %d hits\n", name, executions,
              depth, pctHits, randomHits);
  EXPECT_GT(pctHits, factor * randomHits + 5) << name;
}

TEST(Pct, BeatsRandomWalkWhenAGoroutineMustWaitLong) {
  WEFT_SKIP_STATISTICAL_UNDER_SANITIZER();
  // Depth 2: goroutine 1 must stay out of the way for 14 of goroutine 0's steps, then run
  // exactly between steps 14 and 15. PCT: one priority order and one change point; random
  // walk: about 2^-15.
  Synthetic s{2, 20, [](const auto& o) {
                auto p = position(o, 1, 0);
                return position(o, 0, 14) < p && p < position(o, 0, 15);
              }};
  compareWithRandom("long-wait bug", s, 2, 2000, 10.0);
}

TEST(Pct, BeatsRandomWalkOnABugThatNeedsTwoPreemptions) {
  WEFT_SKIP_STATISTICAL_UNDER_SANITIZER();
  // Depth 3: goroutine 0 is preempted between its steps 14 and 15 for exactly one step of
  // goroutine 1, which is then preempted until goroutine 0 has finished. Random walk needs
  // goroutine 1 to sit out about 20 coin flips (~1e-6); PCT needs two change points (~1/k^2).
  Synthetic s{2, 20, [](const auto& o) {
                auto a = position(o, 1, 0);
                return position(o, 0, 14) < a && a < position(o, 0, 15) &&
                       position(o, 1, 1) > position(o, 0, 19);
              }};
  compareWithRandom("two-preemption bug", s, 3, 20000, 5.0);
}

}  // namespace
}  // namespace weft::harness
