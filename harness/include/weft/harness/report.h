// FailureReport: everything a person needs to understand and reproduce one failing execution:
// the kind and message, the execution as a table (one column per goroutine), a Go-style dump of
// the goroutines involved, the numbers (seed, strategy, steps, preemptions), and the one line
// that replays it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::harness {

enum class FailureKind : std::uint8_t {
  kAssertion,       // a GoogleTest EXPECT/ASSERT or harness::fail() inside the body
  kPanic,           // a weft::Panic (or any exception) escaped a goroutine
  kFatal,           // a Go fatal error other than deadlock ("sync: unlock of unlocked mutex")
  kDeadlock,        // every goroutine blocked, no timer pending
  kLeak,            // goroutines still blocked when main returned
  kStepLimit,       // more scheduling points than maxSteps: a livelock
  kRace,            // two accesses, at least one a write, not ordered by happens-before
  kNondeterminism,  // replaying the same schedule did not give the same execution
};
std::string_view toString(FailureKind k);

struct FailureReport {
  FailureKind kind = FailureKind::kAssertion;
  std::string message;  // one line: Go's panic/fatal text, the assertion, ...
  std::string details;  // goroutine dump, leak report, assertion locations
  std::string strategy;  // e.g. "WEFT_STRATEGY=pct WEFT_PCT_DEPTH=3 WEFT_PCT_STEPS=40"
  std::uint64_t seed = 0;  // the seed of the failing execution itself
  std::uint64_t execution = 0;  // 0-based index among the executions explored
  std::string token;            // the schedule: WEFT_REPLAY=<token>
  std::uint64_t steps = 0;
  std::uint64_t preemptions = 0;
  std::size_t goroutines = 0;
  std::string trace;      // the table
  std::string traceText;  // one line per event (byte-identical on replay)
  std::string traceJson;
  std::string command;  // how to run the test again (binary + filter), set by the gtest glue
  std::string shrunk;   // "shrunk 1,204 steps / 9 preemptions -> 23 steps / 1 preemption"
  std::vector<std::string> shrinkPath;  // the shrinker's accepted moves

  // replayLine(): the one line that reproduces this failure.
  std::string replayLine() const;
  std::string seedLine() const;
  std::string format() const;
};

}  // namespace weft::harness
