// The weft demo: find a concurrency bug, replay it from one line, verify the fix.
//
// A bank account whose deposits run in parallel goroutines. The buggy version reads the
// balance and writes it back without a lock (a lost update); weft's deterministic mode explores
// interleavings until one loses a deposit, shrinks it to the fewest preemptions, prints the
// report with the replay token, and replays that exact execution from the token. The race
// detector then flags the same bug on the very first execution, before any deposit is lost.
// Finally the fixed version (a channel used as a lock around the update) passes every explored
// schedule, race detector on.
#include <cstdio>
#include <string>

#include "weft/harness/explore.h"
#include "weft/weft.h"

namespace {

// deposit() is the code under test. `locked` selects the fix.
void bank(bool locked) {
  weft::Shared<int> balance{100, "balance"};
  auto lock = weft::makeChan<weft::Unit>(1);  // capacity-1 channel: a mutex, Go style
  auto done = weft::makeChan<weft::Unit>();
  for (int amount : {10, 20, 30}) {
    weft::go(weft::Named{"deposit " + std::to_string(amount)}, [&, amount] {
      if (locked) lock.send({});
      int b = balance.load();
      balance.store(b + amount);
      if (locked) lock.recv();
      done.send({});
    });
  }
  for (int i = 0; i < 3; ++i) done.recv();
  if (balance.load() != 160) {
    weft::harness::fail("balance is " + std::to_string(balance.load()) + ", expected 160");
  }
}

void section(const char* title) { std::printf("\n==== %s ====\n\n", title); }

}  // namespace

int main() {
  weft::harness::ExploreOptions options;
  options.iterations = 1000;
  options.detectRaces = false;  // first, find the lost deposit itself

  section("1. explore the buggy bank (random walk, up to 1000 schedules)");
  auto buggy = weft::harness::explore([] { bank(false); }, options);
  if (buggy.ok()) {
    std::printf("no failure found (unexpected)\n");
    return 1;
  }
  std::printf("found after %llu executions:\n\n%s",
              static_cast<unsigned long long>(buggy.executions), buggy.failure->format().c_str());

  section("2. replay that exact execution from its token");
  weft::harness::ExploreOptions replay;
  replay.detectRaces = false;
  replay.replay = buggy.failure->token;
  auto again = weft::harness::explore([] { bank(false); }, replay);
  bool same = !again.ok() && again.failure->traceText == buggy.failure->traceText;
  std::printf("WEFT_REPLAY=%s\n-> %s; trace %s the original, byte for byte\n",
              buggy.failure->token.c_str(), again.ok() ? "passed" : again.failure->message.c_str(),
              same ? "identical to" : "DIFFERENT from");

  section("3. the race detector flags the same code before any deposit is lost");
  weft::harness::ExploreOptions raceOptions;
  raceOptions.iterations = 1000;
  auto race = weft::harness::explore([] { bank(false); }, raceOptions);
  if (race.ok()) return 1;
  std::printf("found after %llu execution%s:\n\n%s",
              static_cast<unsigned long long>(race.executions), race.executions == 1 ? "" : "s",
              race.failure->format().c_str());

  section("4. explore the fixed bank (PCT, depth 3, 1000 schedules, race detector on)");
  options.detectRaces = true;
  options.strategy = "pct";
  auto fixed = weft::harness::explore([] { bank(true); }, options);
  if (!fixed.ok()) {
    std::printf("%s", fixed.failure->format().c_str());
    return 1;
  }
  std::printf("all %llu explored executions passed\n",
              static_cast<unsigned long long>(fixed.executions));
  return same ? 0 : 1;
}
