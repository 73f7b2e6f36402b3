// GoogleTest glue for explore(): a thin separate target (weft::gtest), like rapidcheck's.
//
//   TEST(Bank, TransfersKeepTheTotal) {
//     weft::harness::expectExplore([] {
//       ... EXPECT_EQ / ASSERT_TRUE inside any goroutine work as usual ...
//     });
//   }
//
// EXPECT/ASSERT failures inside the body are captured per execution (not reported once per
// explored schedule); the first failing execution is reported through ADD_FAILURE with the
// full weft report, ending in the one line that reproduces it:
//   WEFT_REPLAY=w1.... ./tests/runtime_x --gtest_filter=Bank.TransfersKeepTheTotal
#pragma once

#include <functional>
#include <source_location>

#include "weft/harness/explore.h"

namespace weft::harness {

// exploreWithGtest() is explore() with GoogleTest assertions captured and the reproduce command
// filled in. It reports nothing itself.
ExploreResult exploreWithGtest(const std::function<void()>& body, ExploreOptions options = {},
                               std::source_location where = std::source_location::current());

// expectExplore() explores and adds one GoogleTest failure (at `where`) for the first failing
// execution. Returns the result for further checks.
ExploreResult expectExplore(const std::function<void()>& body, ExploreOptions options = {},
                            std::source_location where = std::source_location::current());

// reproduceCommand() is how to run the current GoogleTest test alone:
// "<binary> --gtest_filter=<Suite.Name>".
std::string reproduceCommand();

}  // namespace weft::harness
