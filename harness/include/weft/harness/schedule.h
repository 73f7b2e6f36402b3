// Schedule: one execution's decisions as plain data, and its compact text token.
//
// A decision is either which goroutine ran at a scheduling point with two or more candidates
// (Run), or a random number the runtime drew (Random: select's choice, timer order, user
// randomness). Replaying the decisions in order reproduces the execution exactly, whatever
// strategy produced them: the token does not depend on the strategy.
//
// Token format: "w1." + base64url(varints) + "." + 8 hex digits of an FNV-1a checksum.
//   Run g      -> varint(2*g)        (g >= 1, so never 0 or 1)
//   Random v   -> varint(1), varint(v)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/sim/strategy.h"

namespace weft::harness {

using Decision = sim::Decision;  // {kind: kRun or kRandom, value}

struct Schedule {
  std::vector<Decision> decisions;
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

std::string encodeSchedule(const Schedule& s);
// decodeSchedule() throws weft::UsageError naming what is wrong with a malformed token.
Schedule decodeSchedule(std::string_view token);

}  // namespace weft::harness
