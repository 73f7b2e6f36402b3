// RapidCheck glue: a schedule as a RapidCheck-generated value, so that a property over
// (scenario, schedule) is shrunk by RapidCheck in both dimensions at once.
//
//   RC_GTEST_PROP(Chan, NoValueLostOrDuplicated,
//                 (std::vector<int> values, weft::harness::RcSchedule schedule)) {
//     auto r = weft::harness::simulate(schedule, [&] { ... });
//     RC_ASSERT(r.ok());        // on failure RapidCheck prints the minimal case; the message
//   }                           // carries weft's replay line too
//
// Encoding (chosen so that RapidCheck's generic shrinking moves towards "no preemption"): a
// schedule is a list of small integers, one per decision. At a scheduling decision, 0 means
// "the current goroutine continues" and k means the k-th other runnable goroutine (by id,
// wrapping); after a block, 0 is the lowest-numbered runnable goroutine. A random number the
// runtime asks for takes the next entry as is. Past the end of the list every answer is 0.
// RapidCheck shrinks lists by dropping elements and integers towards 0: fewer decisions, fewer
// preemptions.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <vector>

#include "weft/harness/explore.h"
#include "weft/harness/strategy.h"

namespace weft::harness {

struct RcSchedule {
  std::vector<std::uint32_t> choices;
};

class ChoiceStrategy final : public Strategy {
 public:
  explicit ChoiceStrategy(const RcSchedule& s) : s_(s) {}
  bool beginExecution(std::uint64_t, std::uint64_t) override {
    pos_ = 0;
    return true;
  }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId current, bool yielding) override;
  std::uint64_t nextU64() override { return take(); }
  std::string describe() const override { return "rapidcheck schedule"; }

 private:
  std::uint32_t take() { return pos_ < s_.choices.size() ? s_.choices[pos_++] : 0; }
  const RcSchedule& s_;
  std::size_t pos_ = 0;
};

// simulate() runs body once under the schedule (deterministic mode, race detection on, leak
// checks on) and returns the result; a failure's format() ends with the replay line.
ExploreResult simulate(const RcSchedule& schedule, const std::function<void()>& body,
                       ExploreOptions options = {});

inline void showValue(const RcSchedule& s, std::ostream& os) {
  os << "RcSchedule{";
  for (std::size_t i = 0; i < s.choices.size(); ++i) os << (i ? "," : "") << s.choices[i];
  os << "}";
}

}  // namespace weft::harness

namespace rc {
template <>
struct Arbitrary<weft::harness::RcSchedule> {
  static Gen<weft::harness::RcSchedule> arbitrary() {
    // Mostly 0 (continue), sometimes a switch: half of the entries preempt.
    return gen::map(gen::container<std::vector<std::uint32_t>>(gen::weightedOneOf<std::uint32_t>(
                        {{1, gen::just<std::uint32_t>(0)}, {1, gen::inRange<std::uint32_t>(1, 4)}})),
                    [](std::vector<std::uint32_t> v) { return weft::harness::RcSchedule{std::move(v)}; });
  }
};
}  // namespace rc
