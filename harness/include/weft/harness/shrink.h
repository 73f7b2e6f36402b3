// Shrinking a failing schedule to a minimal one: fewest preemptions first, then fewest steps,
// then fewest goroutines involved (rapidcheck's Testing.cpp/Shrink.h approach, shuttle's replay
// scheduler semantics). Deterministic and bounded by a replay budget.
//
// The moves, tried in order until none helps (a fixpoint) or the budget runs out:
//   truncate   keep only a prefix of the decisions: past its end the replay never preempts,
//              so every later preemption disappears at once (tried at each preemption, earliest
//              first)
//   unpreempt  turn one preemption into "the current goroutine continues"
//   drop       remove chunks of decisions (halves, quarters, ... single ones)
//   lower      let a lower-numbered goroutine run at a decision (rapidcheck's `towards`)
//   search     when local moves are stuck, an exhaustive preemption-bounded search (DFS) with
//              bounds 0, 1, ... below the best so far, within the remaining budget: this is
//              what reaches the true minimum number of preemptions on small programs
// A candidate is accepted when its replay fails with the same kind of failure and is smaller
// in (preemptions, steps, goroutines). Every accepted candidate is re-recorded from its replay,
// so the result is exactly what the execution did and replays from its token.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "weft/harness/schedule.h"

namespace weft::harness {

struct ScheduleSize {
  std::uint64_t preemptions = 0;
  std::uint64_t steps = 0;
  std::uint64_t goroutines = 0;
  friend auto operator<=>(const ScheduleSize&, const ScheduleSize&) = default;
};

// What the shrinker asks of a candidate: replay it (leniently) and say whether it still fails
// the same way, how big the execution was, and which schedule it actually followed (with, for
// each decision, the goroutine it preempted or 0).
struct Replayed {
  bool fails = false;
  ScheduleSize size;
  Schedule schedule;
  std::vector<std::uint64_t> preempted;
};
using ReplayFn = std::function<Replayed(const Schedule&)>;
// Bounded exhaustive search: a failing execution (same failure kind) with at most `bound`
// preemptions, using at most `budget` executions; reports how many it used.
using SearchFn = std::function<std::optional<Replayed>(std::uint64_t bound, std::uint64_t budget,
                                                       std::uint64_t& used)>;

struct ShrinkResult {
  Schedule schedule;
  ScheduleSize before;
  ScheduleSize after;
  std::uint64_t replays = 0;
  std::vector<std::string> path;  // accepted moves, in order ("truncate at 14", ...)
  // "shrunk 1,204 steps / 9 preemptions -> 23 steps / 1 preemption"
  std::string summary() const;
};

// shrinkSchedule() starts from `failing` (which must fail) and returns the smallest schedule it
// finds within `budget` replays.
ShrinkResult shrinkSchedule(const Replayed& failing, const ReplayFn& replay,
                            std::uint64_t budget = 2000, const SearchFn& search = {});

}  // namespace weft::harness
