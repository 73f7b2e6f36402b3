// Properties must have teeth: each property holds on the real primitive and fails on a
// deliberately broken variant of it (a mutant, compiled in only for this test: -DWEFT_MUTANTS).
// Each detection is reported with the executions it took and the shrunk schedule.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <functional>
#include <vector>

#include "weft/harness/explore.h"
#include "weft/internal/mutants.h"
#include "weft/weft.h"

namespace weft::props {
namespace {

using internal::mutants::Mutant;

struct MutantCase {
  const char* property;
  const char* mutantName;
  Mutant mutant;
  std::function<void()> body;
};

class ScopedMutant {
 public:
  explicit ScopedMutant(Mutant m) { internal::mutants::active = m; }
  ~ScopedMutant() { internal::mutants::active = Mutant::kNone; }
};

void fifoProperty() {
  auto ch = makeChan<int>(4);
  auto done = makeChan<Unit>();
  std::vector<int> got;
  go([ch, done, &got] {
    for (int v : ch) got.push_back(v);
    done.send({});
  });
  for (int i = 1; i <= 4; ++i) ch.send(i);
  ch.close();
  done.recv();
  if (got != std::vector<int>{1, 2, 3, 4}) harness::fail("channel is not FIFO");
}

void closeWakesEveryReceiver() {
  auto ch = makeChan<int>();
  auto done = makeChan<Unit>(2);
  for (int i = 0; i < 2; ++i) {
    go([ch, done] {
      auto [v, ok] = ch.recvOk();
      if (ok || v != 0) harness::fail("receiver woken by close got a value");
      done.send({});
    });
  }
  yield();
  yield();
  ch.close();
  done.recv();  // a receiver that close forgot never gets here: deadlock
  done.recv();
}

// Select fairness as an explorable property: over many executions both ready cases must be
// chosen (the statistical version lives in chan_prop.cc; here the mutant never picks case 1).
int selectedSecond = 0;
void selectChoosesAmongReadyCases() {
  auto a = makeChan<int>(1), b = makeChan<int>(1);
  a.send(1);
  b.send(2);
  if (select(recv(a), recv(b)) == 1) ++selectedSecond;
}

void onceRunsExactlyOnce() {
  Once once;
  Atomic<int> runs{0, "runs"};
  WaitGroup wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) {
    go([&] {
      once.call([&] { runs.add(1); });
      wg.done();
    });
  }
  wg.wait();
  if (runs.load() != 1) harness::fail("Once ran its function more than once");
}

void waitGroupReleasesAtZero() {
  WaitGroup wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) go([&] { wg.done(); });
  wg.wait();  // a missed wake-up leaves main asleep: deadlock
}

void condSignalIsFifo() {
  Mutex mu;
  Cond cond(mu);
  std::vector<int> entered, woken;
  Atomic<int> wokenCount{0, "woken"};
  WaitGroup wg;
  wg.add(2);
  for (int i = 0; i < 2; ++i) {
    go([&, i] {
      std::unique_lock l(mu);
      entered.push_back(i);
      cond.wait();
      woken.push_back(i);
      wokenCount.add(1);
      l.unlock();
      wg.done();
    });
  }
  for (;;) {
    mu.lock();
    const bool all = entered.size() == 2;
    mu.unlock();
    if (all) break;
    yield();
  }
  for (int k = 1; k <= 2; ++k) {
    cond.signal();
    while (wokenCount.load() < k) yield();
  }
  wg.wait();
  if (woken != entered) harness::fail("Cond.Signal did not wake the longest waiter first");
}

class Mutants : public ::testing::TestWithParam<MutantCase> {};

TEST_P(Mutants, PropertyHoldsOnTheRealPrimitiveAndFailsOnItsMutant) {
  const MutantCase& c = GetParam();
  harness::ExploreOptions o;
  o.iterations = 300;
  o.seed = 1;
  {
    harness::ExploreResult real = harness::explore(c.body, o);
    ASSERT_TRUE(real.ok()) << c.property << " fails on the real primitive:\n"
                           << real.failure->format();
  }
  ScopedMutant m(c.mutant);
  o.iterations = 5000;
  harness::ExploreResult r = harness::explore(c.body, o);
  ASSERT_FALSE(r.ok()) << c.property << " did not catch " << c.mutantName;
  std::printf("%s -> %s -> detected after %llu execution(s); %s; kind: %s\n", c.property,
              c.mutantName, static_cast<unsigned long long>(r.executions),
              r.failure->shrunk.c_str(), std::string(harness::toString(r.failure->kind)).c_str());
  EXPECT_FALSE(r.failure->token.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Channels, Mutants,
    ::testing::Values(
        MutantCase{"channel FIFO", "LIFO buffer", Mutant::kLifoBuffer, fifoProperty},
        MutantCase{"close wakes every blocked receiver", "close does not wake receivers",
                   Mutant::kCloseDoesNotWake, closeWakesEveryReceiver},
        MutantCase{"Once runs f exactly once", "Once without synchronization",
                   Mutant::kOnceUnsynchronized, onceRunsExactlyOnce},
        MutantCase{"WaitGroup wait returns at zero", "WaitGroup misses a wake-up",
                   Mutant::kWaitGroupMissesWakeup, waitGroupReleasesAtZero},
        MutantCase{"Cond signal is FIFO", "Cond signal wakes the newest waiter",
                   Mutant::kCondSignalNewest, condSignalIsFifo}),
    [](const auto& info) {
      std::string n = info.param.mutantName;
      for (char& ch : n) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

TEST(MutantsSelect, FairnessCatchesSelectAlwaysTakingTheFirstReadyCase) {
  harness::ExploreOptions o;
  o.iterations = 200;
  selectedSecond = 0;
  ASSERT_TRUE(harness::explore(selectChoosesAmongReadyCases, o).ok());
  EXPECT_GT(selectedSecond, 50) << "the real select picks either case";
  ScopedMutant m(Mutant::kSelectFirstReady);
  selectedSecond = 0;
  ASSERT_TRUE(harness::explore(selectChoosesAmongReadyCases, o).ok());
  EXPECT_EQ(selectedSecond, 0) << "the mutant never picks the second ready case";
  std::printf("select uniformity -> select always takes the first ready case -> detected "
              "over 200 executions (second case chosen 0 times; real select: > 50)\n");
}

}  // namespace
}  // namespace weft::props
