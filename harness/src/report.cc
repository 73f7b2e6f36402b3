#include "weft/harness/report.h"

#include <fmt/format.h>

namespace weft::harness {

std::string_view toString(FailureKind k) {
  switch (k) {
    case FailureKind::kAssertion: return "assertion failure";
    case FailureKind::kPanic: return "panic";
    case FailureKind::kFatal: return "fatal error";
    case FailureKind::kDeadlock: return "deadlock";
    case FailureKind::kLeak: return "leaked goroutines";
    case FailureKind::kStepLimit: return "step limit exceeded";
    case FailureKind::kRace: return "data race";
    case FailureKind::kNondeterminism: return "nondeterminism";
  }
  return "failure";
}

std::string FailureReport::replayLine() const {
  return fmt::format("WEFT_REPLAY={}{}{}", token, command.empty() ? "" : " ", command);
}

std::string FailureReport::seedLine() const {
  return fmt::format("{} WEFT_SEED={} WEFT_ITERATIONS=1{}{}", strategy, seed,
                     command.empty() ? "" : " ", command);
}

std::string FailureReport::format() const {
  std::string out = fmt::format("weft: {} in execution {} ({})\n\n{}\n", toString(kind),
                                execution + 1, strategy, message);
  if (!details.empty()) out += "\n" + details + (details.back() == '\n' ? "" : "\n");
  if (!trace.empty()) out += "\nexecution:\n" + trace;
  out += fmt::format("\nsteps: {}, preemptions: {}, goroutines: {}, seed: {}\n", steps,
                     preemptions, goroutines, seed);
  if (!shrunk.empty()) out += shrunk + "\n";
  out += "replay: " + replayLine() + "\n";
  if (kind != FailureKind::kNondeterminism) out += "seed:   " + seedLine() + "\n";
  return out;
}

}  // namespace weft::harness
