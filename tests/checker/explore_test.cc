// The explorer's self-tests: planted bugs it must find and classify, the replay round trip,
// determinism, nondeterminism detection, and clear errors for bad input.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "weft/harness/explore.h"
#include "weft/harness/gtest.h"
#include "weft/harness/schedule.h"
#include "weft/harness/strategy.h"
#include "weft/internal/sanitizers.h"
#include "weft/weft.h"

namespace weft::harness {
namespace {

// These planted bugs are check-then-act sequences on unsynchronized watched cells, which are
// also data races; the tests here are about the other failure kinds, so race detection is off
// (race_test.cc covers it).
ExploreOptions quick(std::uint64_t iterations = 500) {
  ExploreOptions o;
  o.iterations = iterations;
  o.seed = 7;
  o.detectRaces = false;
  return o;
}

// The token is everything after "WEFT_REPLAY=" up to the first space.
std::string tokenFromReplayLine(const std::string& line) {
  auto start = line.find("WEFT_REPLAY=");
  EXPECT_NE(start, std::string::npos) << line;
  start += std::strlen("WEFT_REPLAY=");
  return line.substr(start, line.find(' ', start) - start);
}

// ---- planted bugs ------------------------------------------------------------------------------

void lostUpdate() {
  Shared<int> counter{0, "counter"};
  auto done = makeChan<Unit>(2);
  for (int i = 0; i < 2; ++i) {
    go([&counter, done] {
      counter.store(counter.load() + 1);  // read-modify-write without a lock
      done.send({});
    });
  }
  done.recv();
  done.recv();
  EXPECT_EQ(counter.load(), 2) << "lost update";
}

TEST(Explore, FindsLostUpdateOnWatchedCellAsAssertionFailure) {
  ExploreResult r = exploreWithGtest(lostUpdate, quick());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kAssertion) << r.failure->format();
  EXPECT_NE(r.failure->message.find("lost update"), std::string::npos) << r.failure->format();
  EXPECT_GE(r.failure->preemptions, 1u);
  std::string text = r.failure->format();
  EXPECT_NE(text.find("read counter"), std::string::npos) << text;
  EXPECT_NE(text.find("write counter"), std::string::npos) << text;
  EXPECT_NE(text.find("replay: WEFT_REPLAY=w1."), std::string::npos) << text;
  EXPECT_NE(text.find("--gtest_filter='Explore.FindsLostUpdateOnWatchedCellAsAssertionFailure'"),
            std::string::npos)
      << text;
}

TEST(Explore, FixedVersionPasses) {
  ExploreResult r = exploreWithGtest(
      [] {
        Shared<int> counter{0, "counter"};
        auto lock = makeChan<Unit>(1);  // a channel used as a mutex
        auto done = makeChan<Unit>(2);
        for (int i = 0; i < 2; ++i) {
          go([&counter, lock, done] {
            lock.send({});
            counter.store(counter.load() + 1);
            lock.recv();
            done.send({});
          });
        }
        done.recv();
        done.recv();
        EXPECT_EQ(counter.load(), 2);
      },
      quick(300));
  EXPECT_TRUE(r.ok()) << r.failure->format();
  EXPECT_EQ(r.executions, 300u);
}

TEST(Explore, FindsDoubleCloseThatNeedsAnInterleavingAsPanic) {
  ExploreResult r = exploreWithGtest(
      [] {
        auto ch = makeChan<int>();
        Shared<bool> closed{false, "closed"};
        auto done = makeChan<Unit>(2);
        for (int i = 0; i < 2; ++i) {
          go([&closed, ch, done] {
            if (!closed.load()) {  // check-then-act race
              closed.store(true);
              ch.close();
            }
            done.send({});
          });
        }
        done.recv();
        done.recv();
      },
      quick());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kPanic) << r.failure->format();
  EXPECT_EQ(r.failure->message, "panic: close of closed channel");
}

TEST(Explore, FindsLockOrderDeadlock) {
  ExploreResult r = exploreWithGtest(
      [] {
        auto a = makeChan<Unit>(1), b = makeChan<Unit>(1);  // channels as locks
        auto done = makeChan<Unit>(2);
        go([=] {
          a.send({});
          b.send({});
          b.recv();
          a.recv();
          done.send({});
        });
        go([=] {
          b.send({});
          a.send({});
          a.recv();
          b.recv();
          done.send({});
        });
        done.recv();
        done.recv();
      },
      quick());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kDeadlock) << r.failure->format();
  EXPECT_NE(r.failure->details.find("[chan send]"), std::string::npos) << r.failure->details;
}

TEST(Explore, FindsGoroutineLeakedOnNeverClosedChannel) {
  ExploreResult r = exploreWithGtest(
      [] {
        auto results = makeChan<int>();
        go(Named{"forgotten"}, [results] {
          for (int v : results) (void)v;  // waits for a close that never comes
        });
        results.send(1);
      },
      quick(20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kLeak) << r.failure->format();
  EXPECT_NE(r.failure->details.find("\"forgotten\" [chan receive]"), std::string::npos)
      << r.failure->details;
}

TEST(Explore, StepLimitCatchesLivelock) {
  ExploreOptions o = quick(5);
  o.maxSteps = 500;
  ExploreResult r = exploreWithGtest(
      [] {
        auto stop = makeChan<Unit>();
        go([stop] {
          while (!stop.tryRecv()) yield();  // nobody ever sends
        });
        while (!stop.tryRecv()) yield();
      },
      o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kStepLimit) << r.failure->format();
}

// A bug of depth 2: it needs g2 to run both between g1's two writes and before main reads.
void depthTwoBug() {
  Shared<int> x{0, "x"};
  auto done = makeChan<Unit>(2);
  go([&x, done] {
    for (int i = 0; i < 5; ++i) x.store(x.load() + 1);
    done.send({});
  });
  go([&x, done] {
    if (x.load() == 2) x.store(100);  // only if it lands exactly after the second increment
    done.send({});
  });
  done.recv();
  done.recv();
  if (x.load() == 103) fail("planted depth-2 bug reached");
}

TEST(Explore, PctFindsDepthTwoBug) {
  ExploreOptions o = quick(2000);
  o.strategy = "pct";
  o.pctDepth = 2;
  ExploreResult r = explore(depthTwoBug, o);
  ASSERT_FALSE(r.ok()) << "PCT did not find the planted bug in 2000 executions";
  EXPECT_EQ(r.failure->kind, FailureKind::kAssertion);
  EXPECT_NE(r.failure->strategy.find("WEFT_STRATEGY=pct"), std::string::npos);
}

// ---- replay -------------------------------------------------------------------------------------

TEST(Replay, RoundTripGivesTheIdenticalFailureAndTrace) {
  ExploreResult first = exploreWithGtest(lostUpdate, quick());
  ASSERT_FALSE(first.ok());
  ExploreOptions o;
  o.detectRaces = false;
  o.replay = tokenFromReplayLine(first.failure->replayLine());
  ExploreResult again = exploreWithGtest(lostUpdate, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.executions, 1u);
  EXPECT_EQ(again.failure->kind, first.failure->kind);
  EXPECT_EQ(again.failure->message, first.failure->message);
  EXPECT_EQ(again.failure->traceText, first.failure->traceText);
  EXPECT_EQ(again.failure->token, first.failure->token);
}

TEST(Replay, SeedLineReproducesTheSameExecution) {
  ExploreResult first = explore(depthTwoBug, [] {
    ExploreOptions o = quick(2000);
    o.strategy = "pct";
    o.pctDepth = 2;
    return o;
  }());
  ASSERT_FALSE(first.ok());
  // The seed line names the strategy, its parameters and the failing execution's own seed.
  ExploreOptions o;
  o.detectRaces = false;
  o.strategy = "pct";
  o.pctDepth = 2;
  std::string s = first.failure->strategy;
  o.pctSteps = std::stoull(s.substr(s.find("WEFT_PCT_STEPS=") + 15));
  o.seed = first.failure->seed;
  o.iterations = 1;
  ExploreResult again = explore(depthTwoBug, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure->traceText, first.failure->traceText);
}

TEST(Replay, RegressionFileIsReplayedFirst) {
  std::string path = ::testing::TempDir() + "weft_regressions.txt";
  std::remove(path.c_str());
  ExploreOptions o = quick();
  o.regressionFile = path;
  ExploreResult first = exploreWithGtest(lostUpdate, o);
  ASSERT_FALSE(first.ok());
  // Next run: the persisted schedule fails immediately, before any new exploration.
  ExploreResult again = exploreWithGtest(lostUpdate, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.executions, 1u);
  EXPECT_EQ(again.failure->token, first.failure->token);
  std::remove(path.c_str());
}

TEST(Replay, MalformedTokenIsAClearError) {
  ExploreOptions o;
  o.replay = "w1.AAAA.0000000";
  try {
    explore([] {}, o);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
  o.replay = "hello";
  EXPECT_THROW(explore([] {}, o), UsageError);
}

TEST(Replay, StaleTokenIsReportedNotCrashed) {
  ExploreResult first = exploreWithGtest(lostUpdate, quick());
  ASSERT_FALSE(first.ok());
  ExploreOptions o;
  o.replay = first.failure->token;
  ExploreResult r = explore([] {}, o);  // a different body: asks for no decisions at all
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kNondeterminism) << r.failure->format();
  EXPECT_NE(r.failure->message.find("does not fit this test"), std::string::npos);
}

TEST(Schedule, CodecRoundTrips) {
  Schedule s;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 500; ++i) {
    if (rng() % 3 == 0) {
      s.decisions.push_back({Decision::Kind::kRandom, rng()});
    } else {
      s.decisions.push_back({Decision::Kind::kRun, 1 + rng() % 300});
    }
  }
  EXPECT_EQ(decodeSchedule(encodeSchedule(s)), s);
  EXPECT_EQ(decodeSchedule(encodeSchedule(Schedule{})), Schedule{});
}

// ---- determinism ------------------------------------------------------------------------------

void mixedBody() {
  auto ch = makeChan<int>(2);
  auto out = makeChan<int>();
  // Shared by pointer: the last goroutines may still run after mixedBody has returned.
  auto total = std::make_shared<Shared<int>>(0, "total");
  for (int p = 0; p < 3; ++p) {
    go([=] {
      for (int i = 0; i < 3; ++i) ch.send(p * 10 + i);
    });
  }
  go([=] {
    for (int i = 0; i < 9; ++i) {
      int v = 0;
      select(recv(ch, v), otherwise([] { yield(); }));
      total->store(total->load() + v);
    }
    out.send(total->load());
  });
  out.tryRecv();
  go([=] { out.recv(); });
}

TEST(Determinism, SameSeedGivesIdenticalTraceOver1000Seeds) {
#if defined(WEFT_TSAN) || defined(WEFT_ASAN)
  const std::uint64_t seeds = 100;  // single-threaded: the normal build runs all 1000
#else
  const std::uint64_t seeds = 1000;
#endif
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    ExploreOptions o;
    o.detectRaces = false;
    o.iterations = 1;
    o.seed = seed;
    o.checkLeaks = false;
    o.determinismCheckEvery = 0;
    o.shrink = false;  // about determinism; shrinking every run would only cost time
    // A failing run carries its trace; make every run "fail" so both traces are reported.
    auto body = [] {
      mixedBody();
      fail("collect trace");
    };
    ExploreResult a = explore(body, o);
    ExploreResult b = explore(body, o);
    ASSERT_FALSE(a.ok());
    ASSERT_FALSE(b.ok());
    ASSERT_EQ(a.failure->traceText, b.failure->traceText) << "seed " << seed;
    ASSERT_EQ(a.failure->token, b.failure->token) << "seed " << seed;
  }
}

TEST(Determinism, BodyReadingRealTimeIsReportedAsNondeterministic) {
  ExploreOptions o = quick(50);
  o.determinismCheckEvery = 1;
  ExploreResult r = explore(
      [] {
        auto ch = makeChan<int>(4);
        // Branching on the wall clock: the number of goroutines differs between runs.
        auto n = std::chrono::steady_clock::now().time_since_epoch().count();
        int k = 2 + static_cast<int>((n / 1000) % 3);
        for (int i = 0; i < k; ++i) go([ch] { ch.trySend(1); });
      },
      o);
  ASSERT_FALSE(r.ok()) << "nondeterminism went unnoticed";
  EXPECT_EQ(r.failure->kind, FailureKind::kNondeterminism) << r.failure->format();
}

TEST(Determinism, BodyUsingUnseededRandomnessIsReported) {
  ExploreOptions o = quick(50);
  o.determinismCheckEvery = 1;
  ExploreResult r = explore(
      [] {
        std::random_device rd;
        auto ch = makeChan<int>(8);
        int k = 1 + static_cast<int>(rd() % 4);
        for (int i = 0; i < k; ++i) go([ch] { ch.trySend(1); });
      },
      o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kNondeterminism) << r.failure->format();
}

TEST(Determinism, SeededRandomnessFromWeftIsDeterministic) {
  ExploreOptions o = quick(100);
  o.determinismCheckEvery = 1;
  ExploreResult r = explore(
      [] {
        auto ch = makeChan<int>(8);
        int k = 1 + static_cast<int>(randomU64() % 4);
        for (int i = 0; i < k; ++i) go([ch] { ch.trySend(1); });
      },
      o);
  EXPECT_TRUE(r.ok()) << r.failure->format();
}

// ---- options ---------------------------------------------------------------------------------

TEST(Options, UnknownStrategyIsAClearError) {
  ExploreOptions o;
  o.strategy = "bfs";
  try {
    explore([] {}, o);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown strategy 'bfs' (WEFT_STRATEGY)"),
              std::string::npos);
  }
}

TEST(Options, EnvironmentOverridesAndBadValuesNameTheVariable) {
  ::setenv("WEFT_ITERATIONS", "-5", 1);
  try {
    explore([] {});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("WEFT_ITERATIONS='-5' is invalid"), std::string::npos)
        << e.what();
  }
  ::setenv("WEFT_ITERATIONS", "3", 1);
  ExploreResult r = explore([] {});
  EXPECT_EQ(r.executions, 3u);
  ::unsetenv("WEFT_ITERATIONS");
}

// A strategy that answers with a goroutine that cannot run is a bug in the strategy: reported
// as such, both among two candidates (where the scheduler finds the pick without a search)
// and among more. This one answers wrongly once `candidates` goroutines are runnable.
class PicksTheUnrunnable : public Strategy {
 public:
  explicit PicksTheUnrunnable(std::size_t candidates) : candidates_(candidates) {}
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable, sim::GoroutineId current,
                        bool) override {
    if (runnable.size() < candidates_) return current != sim::kNoGoroutine ? current : runnable[0];
    return runnable.back() + 100;
  }
  std::uint64_t nextU64() override { return 0; }
  bool beginExecution(std::uint64_t, std::uint64_t) override { return true; }
  std::string describe() const override { return "picks-the-unrunnable"; }

 private:
  std::size_t candidates_;
};

TEST(Strategies, AnswerNamingAGoroutineThatCannotRunIsAClearError) {
  for (std::size_t candidates : {2, 3}) {
    PicksTheUnrunnable strategy(candidates);
    try {
      ExploreResult r = runWith(
          [] {
            WaitGroup wg;
            wg.add(2);
            for (int i = 0; i < 2; ++i) go([&] { wg.done(); });
            wg.wait();
          },
          strategy);
      ADD_FAILURE() << candidates << " candidates: no error; "
                    << (r.failure ? r.failure->message : std::string("passed"));
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("returned goroutine 10"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("which is not runnable"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace weft::harness
