// Goroutine stacks: a stack overflow ends with a clear message naming the goroutine (never
// silent corruption); 100k parked goroutines fit and are reclaimed; stacks are pooled.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "context/stack.h"
#include "weft/internal/sanitizers.h"
#include "weft/sim/strategy.h"
#include "weft/weft.h"

namespace weft {
namespace {

#if defined(WEFT_ASAN) || defined(WEFT_TSAN)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

[[gnu::noinline]] int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth == 0) return frame[0];
  return recurse(depth - 1) + frame[0];
}

#if GTEST_HAS_DEATH_TEST
TEST(StackDeathTest, OverflowIsReportedWithTheGoroutineName) {
  if (kSanitized) GTEST_SKIP() << "ASan/TSan report stack overflows themselves";
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(
      {
        weft::run(
            [] {
              auto done = makeChan<int>();
              go(Named{"deep-recursion"}, [done] { done.send(recurse(1 << 20)); });
              done.recv();
            },
            {.workers = 1, .stackSize = 64 * 1024});
      },
      "stack overflow(.|\n)*goroutine 2 \\(deep-recursion\\)(.|\n)*stackSize");
}

// Always runs the lowest runnable goroutine; takes no random decisions.
class LowestFirst : public sim::Strategy {
 public:
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId, bool) override {
    return runnable[0];
  }
  std::uint64_t nextU64() override { return 0; }
};

// The deterministic scheduler's thread needs the alternate signal stack as much as a worker.
TEST(StackDeathTest, OverflowIsReportedInDeterministicMode) {
  if (kSanitized) GTEST_SKIP() << "ASan/TSan report stack overflows themselves";
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(
      {
        LowestFirst strategy;
        weft::run(
            [] {
              auto done = makeChan<int>();
              go(Named{"deep-recursion"}, [done] { done.send(recurse(1 << 20)); });
              done.recv();
            },
            {.stackSize = 64 * 1024, .strategy = &strategy});
      },
      "stack overflow(.|\n)*goroutine 2 \\(deep-recursion\\)(.|\n)*stackSize");
}
#endif

long rssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(Stack, HundredThousandParkedGoroutinesFitAndAreReclaimed) {
  // Sanitizers shadow every stack mapping: RSS says nothing there, and TSan runs out of
  // mappings long before 100k stacks.
  if (kSanitized) GTEST_SKIP() << "RSS per goroutine is measured in the normal build only";
  const int n = 100000;
  Runtime rt({.workers = 2, .stackSize = 64 * 1024});
  std::atomic<int> woken{0};
  long before = rssKiB();
  long peak = 0;
  RunResult r = rt.run([&] {
    auto gate = makeChan<Unit>();
    auto parked = makeChan<Unit>(n);
    for (int i = 0; i < n; ++i) {
      go([gate, parked, &woken] {
        parked.send({});
        gate.recv();  // parked here until close
        woken.fetch_add(1);
      });
    }
    for (int i = 0; i < n; ++i) parked.recv();
    peak = rssKiB();
    gate.close();
  });
  EXPECT_TRUE(r.ok()) << r.leakReport();
  EXPECT_EQ(woken.load(), n);
  EXPECT_EQ(rt.stacksInUse(), 0u);
  std::printf("%d parked goroutines: RSS grew by %ld KiB (%.2f KiB per goroutine)\n", n,
              peak - before, static_cast<double>(peak - before) / n);
  // Generous bound: well under the 64 KiB each stack reserves (only touched pages count).
  EXPECT_LT(peak - before, static_cast<long>(n) * 24);
}

TEST(Stack, StacksArePooledAcrossGoroutinesAndRuns) {
  Runtime rt({.workers = 1, .stackSize = 64 * 1024});
  for (int round = 0; round < 3; ++round) {
    rt.run([] {
      auto done = makeChan<Unit>(100);
      for (int i = 0; i < 100; ++i) go([done] { done.send({}); });
      for (int i = 0; i < 100; ++i) done.recv();
    });
  }
  // One worker runs goroutines to completion in turn, so few stacks are ever needed at once,
  // and later rounds map nothing new.
  std::size_t mapped = rt.mappedStacks();
  rt.run([] {
    auto done = makeChan<Unit>(100);
    for (int i = 0; i < 100; ++i) go([done] { done.send({}); });
    for (int i = 0; i < 100; ++i) done.recv();
  });
  EXPECT_EQ(rt.mappedStacks(), mapped);
  EXPECT_EQ(rt.stacksInUse(), 0u);
}

// A goroutine takes a stack when it first runs, not when it is spawned: on one worker a loop
// of `go` spawns every goroutine before any runs, and they then run one after another on the
// same few stacks. (Bound at spawn, each held a stack of its own: 1024 mapped here.)
TEST(Stack, GoroutinesThatHaveNotRunHoldNoStack) {
  Runtime rt({.workers = 1, .stackSize = 64 * 1024});
  constexpr int n = 1000;
  std::atomic<int> ran = 0;
  RunResult r = rt.run([&] {
    WaitGroup wg;
    wg.add(n);
    for (int i = 0; i < n; ++i) {
      go([&] {
        ran.fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
    }
    wg.wait();
  });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(ran, n);
  // Main's and the first batches: the pool maps 32 at a time and may adopt up to 64 spares
  // that earlier pools left.
  EXPECT_LE(rt.mappedStacks(), 3 * internal::StackPool::kBatch);
  EXPECT_EQ(rt.stacksInUse(), 0u);
}

// A pool that is destroyed leaves its stacks to the next pool of the same stack size, mapped
// and warm: the bytes written there survive (a fresh mapping would read as zeros), and a pool
// of another size does not take them.
TEST(Stack, ANewPoolAdoptsTheStacksOfADestroyedOne) {
  if (kSanitized) GTEST_SKIP() << "sanitizer builds keep no spare stacks";
  constexpr std::size_t kOddSize = 88 * 1024;  // a size no other test's pools use
  constexpr unsigned char kMark = 0xA5;
  void* low = nullptr;
  {
    internal::StackPool pool(kOddSize);
    internal::Stack s = pool.acquire();
    low = s.low;
    static_cast<unsigned char*>(s.low)[s.size - 1] = kMark;
    pool.release(s);
  }
  {
    internal::StackPool otherSize(kOddSize + 4096);
    internal::Stack s = otherSize.acquire();
    EXPECT_NE(s.low, low);
    otherSize.release(s);
  }
  internal::StackPool pool(kOddSize);
  bool adopted = false;
  std::vector<internal::Stack> taken;
  for (std::size_t i = 0; i < internal::StackPool::kBatch && !adopted; ++i) {
    taken.push_back(pool.acquire());
    const internal::Stack& s = taken.back();
    if (s.low != low) continue;
    adopted = true;
    EXPECT_EQ(static_cast<unsigned char*>(s.low)[s.size - 1], kMark);
  }
  EXPECT_TRUE(adopted) << "the destroyed pool's stack was not handed out again";
  for (const internal::Stack& s : taken) pool.release(s);
}

}  // namespace
}  // namespace weft
