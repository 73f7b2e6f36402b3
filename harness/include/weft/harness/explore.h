// explore(): run a test body many times under the deterministic scheduler, each time with a
// different schedule, and report the first failure, shrunk to its replay line.
//
//   TEST(Bank, Transfers) {
//     weft::harness::ExploreOptions o;
//     o.iterations = 2000;
//     auto r = weft::harness::explore([] { ...goroutines, channels, mutexes... }, o);
//     EXPECT_TRUE(r.ok()) << r.failure->format();
//   }
//
// (weft/harness/gtest.h wraps this as expectExplore(), catching EXPECT/ASSERT failures inside
// goroutines and printing the reproduce command.)
//
// Every option can be overridden from the environment so CI can scale the budget and a person
// can replay a failure without recompiling; a malformed value is a weft::UsageError naming the
// variable and the expected form.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <source_location>
#include <string>

#include "weft/harness/report.h"

namespace weft::harness {

// Hooks around each execution (the gtest glue uses them to capture assertion failures).
class ExecutionHooks {
 public:
  virtual ~ExecutionHooks() = default;
  virtual void beforeExecution() {}
  // A description of assertion failures recorded during the execution, if any.
  virtual std::optional<std::string> afterExecution() { return std::nullopt; }
};

struct ExploreOptions {
  std::string strategy = "random";  // WEFT_STRATEGY: random | pct | roundrobin | dfs
  std::uint64_t seed = 1;           // WEFT_SEED: execution i uses seed + i
  std::uint64_t iterations = 1000;  // WEFT_ITERATIONS: executions to explore
  int pctDepth = 3;                 // WEFT_PCT_DEPTH: PCT's bug depth d (>= 1)
  std::uint64_t pctSteps = 0;       // WEFT_PCT_STEPS: PCT's initial k (0: learn it)
  int preemptionBound = 2;          // WEFT_PREEMPTION_BOUND: dfs explores every schedule with
                                    // at most this many preemptions (then stops early)
  std::uint64_t maxSteps = 20000;   // WEFT_MAX_STEPS: scheduling points per execution
  bool checkLeaks = true;           // WEFT_CHECK_LEAKS: goroutines left blocked are failures
  // WEFT_RACE: detect data races (watched cells, annotated memory, close vs send) with the
  // happens-before edges of the Go memory model. A race is reported when no assertion, panic,
  // fatal error or leak ended the execution first (then it is listed in the details).
  bool detectRaces = true;
  // WEFT_CHECK_DETERMINISM: replay every Nth execution (and the first) and compare
  // fingerprints, to catch bodies that depend on real time or unseeded randomness. 0: off.
  std::uint64_t determinismCheckEvery = 64;
  std::string replay;          // WEFT_REPLAY: run exactly this schedule token once
  std::string regressionFile;  // WEFT_REGRESSION_FILE: replay these tokens first; append new
  std::string traceJsonPath;   // WEFT_TRACE_JSON: write the failing execution's trace here
  bool shrink = true;                  // WEFT_SHRINK: shrink failures before reporting them
  std::uint64_t shrinkBudget = 2000;   // WEFT_SHRINK_BUDGET: replays the shrinker may use
  // Called once, with the minimal schedule's token, right before the minimal failing execution
  // is replayed for the report: set a breakpoint here to debug exactly that execution
  // (rapidcheck's beforeMinimalTestCase).
  std::function<void(const std::string& token)> beforeMinimal;
  std::size_t stackSize = 128 * 1024;  // per goroutine, in deterministic mode
  ExecutionHooks* hooks = nullptr;

  // withEnvironment() returns these options with WEFT_* variables applied.
  ExploreOptions withEnvironment() const;
};

struct ExploreResult {
  std::uint64_t executions = 0;
  std::optional<FailureReport> failure;
  bool ok() const { return !failure.has_value(); }
};

// explore() runs body repeatedly (options overridden by the environment). Exploration stops at
// the first failure.
// `where` is reported as the main goroutine's creation site.
ExploreResult explore(const std::function<void()>& body, const ExploreOptions& options = {},
                      std::source_location where = std::source_location::current());

class Strategy;

// runWith() runs body once under `strategy` (e.g. a RapidCheck-generated schedule) and reports
// a failure like explore() does, without shrinking (the caller's shrinker is in charge). The
// report's token replays the execution whatever strategy produced it.
ExploreResult runWith(const std::function<void()>& body, Strategy& strategy,
                      const ExploreOptions& options = {},
                      std::source_location where = std::source_location::current());

// shrinkToken() replays `token` (which must fail under `body`) and shrinks it, reporting the
// result like explore() does. Shrinking its result again changes nothing (a fixpoint).
ExploreResult shrinkToken(const std::function<void()>& body, const std::string& token,
                          const ExploreOptions& options = {},
                          std::source_location where = std::source_location::current());

// fail() records an assertion failure in the current execution (for code that does not use
// GoogleTest). The body goes on; the execution is reported as failing.
void fail(std::string message);

}  // namespace weft::harness
