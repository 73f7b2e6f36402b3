// Shrinking and exhaustive search: a shrunk schedule still fails the same way, is no larger,
// is a fixpoint (shrinking it again changes nothing), and on small planted bugs has the
// minimum number of preemptions, as an exhaustive preemption-bounded search (DFS) confirms.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "weft/harness/explore.h"
#include "weft/harness/gtest.h"
#include "weft/weft.h"

namespace weft::harness {
namespace {

void lostUpdate() {
  Shared<int> balance{100, "balance"};
  auto done = makeChan<Unit>();
  for (int amount : {10, 20, 30}) {
    go([&balance, done, amount] {
      balance.store(balance.load() + amount);
      done.send({});
    });
  }
  for (int i = 0; i < 3; ++i) done.recv();
  if (balance.load() != 160) fail("lost update");
}

// The same deposits without the final check: the only failure is the data race itself.
void racyDeposits() {
  Shared<int> balance{100, "balance"};
  auto done = makeChan<Unit>();
  for (int amount : {10, 20}) {
    go([&balance, done, amount] {
      balance.store(balance.load() + amount);
      done.send({});
    });
  }
  done.recv();
  done.recv();
}

void doubleClose() {
  auto ch = makeChan<int>();
  Shared<bool> closed{false, "closed"};
  auto done = makeChan<Unit>(3);
  for (int i = 0; i < 3; ++i) {
    go([&closed, ch, done] {
      if (!closed.load()) {
        closed.store(true);
        ch.close();
      }
      done.send({});
    });
  }
  for (int i = 0; i < 3; ++i) done.recv();
}

void lockOrderDeadlock() {
  auto a = makeChan<Unit>(1), b = makeChan<Unit>(1);
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
}

struct Planted {
  const char* name;
  void (*body)();
  FailureKind kind;
  bool races = false;  // detect data races (the check-then-act bodies are races too)
};

class ShrinkTest : public ::testing::TestWithParam<Planted> {};

TEST_P(ShrinkTest, ShrunkScheduleFailsTheSameWayAndIsMinimal) {
  const Planted& p = GetParam();
  ExploreOptions o;
  o.iterations = 2000;
  o.seed = 3;
  o.detectRaces = p.races;
  ExploreResult r = explore(p.body, o);
  ASSERT_FALSE(r.ok()) << p.name;
  const FailureReport& f = *r.failure;
  EXPECT_EQ(f.kind, p.kind) << f.format();
  EXPECT_NE(f.shrunk.find("shrunk "), std::string::npos) << f.format();
  std::printf("%s: %s\n", p.name, f.shrunk.c_str());

  // The shrunk token replays to the same kind of failure.
  ExploreOptions replay;
  replay.detectRaces = p.races;
  replay.replay = f.token;
  ExploreResult again = explore(p.body, replay);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure->kind, p.kind);
  EXPECT_EQ(again.failure->preemptions, f.preemptions);
  EXPECT_EQ(again.failure->traceText, f.traceText);

  // Minimality: every schedule with fewer preemptions passes (exhaustive DFS), and the DFS
  // with the shrunk count finds a failure.
  if (f.preemptions > 0) {
    ExploreOptions below;
    below.detectRaces = p.races;
    below.strategy = "dfs";
    below.preemptionBound = static_cast<int>(f.preemptions) - 1;
    below.iterations = 200000;
    below.shrink = false;
    ExploreResult none = explore(p.body, below);
    EXPECT_TRUE(none.ok()) << "a schedule with fewer preemptions fails:\n"
                           << none.failure->format();
    EXPECT_LT(none.executions, below.iterations) << "the bounded search did not finish";
  }
  ExploreOptions at;
  at.detectRaces = p.races;
  at.strategy = "dfs";
  at.preemptionBound = static_cast<int>(f.preemptions);
  at.iterations = 200000;
  ExploreResult some = explore(p.body, at);
  ASSERT_FALSE(some.ok());
  EXPECT_EQ(some.failure->kind, p.kind);
  EXPECT_EQ(some.failure->preemptions, f.preemptions);
}

TEST_P(ShrinkTest, ShrinkingIsAFixpoint) {
  const Planted& p = GetParam();
  ExploreOptions o;
  o.iterations = 2000;
  o.seed = 11;
  o.detectRaces = p.races;
  ExploreResult first = explore(p.body, o);
  ASSERT_FALSE(first.ok());
  // Shrinking the shrunk schedule again finds nothing smaller: the same size, the same token.
  ExploreOptions again;
  again.detectRaces = p.races;
  ExploreResult second = shrinkToken(p.body, first.failure->token, again);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.failure->kind, first.failure->kind);
  EXPECT_EQ(second.failure->preemptions, first.failure->preemptions);
  EXPECT_EQ(second.failure->steps, first.failure->steps);
  EXPECT_EQ(second.failure->token, first.failure->token);
}

TEST_P(ShrinkTest, ShrinkingFromAnUnshrunkTokenReachesTheSameMinimum) {
  const Planted& p = GetParam();
  ExploreOptions o;
  o.iterations = 2000;
  o.seed = 5;
  o.shrink = false;
  o.detectRaces = p.races;
  ExploreResult raw = explore(p.body, o);
  ASSERT_FALSE(raw.ok());
  ASSERT_EQ(raw.failure->kind, p.kind) << raw.failure->format();
  ExploreOptions s2;
  s2.detectRaces = p.races;
  ExploreResult shrunk = shrinkToken(p.body, raw.failure->token, s2);
  ASSERT_FALSE(shrunk.ok());
  EXPECT_LE(shrunk.failure->preemptions, raw.failure->preemptions);
  EXPECT_LE(shrunk.failure->steps, raw.failure->steps);
  // A race needs no preemption at all (the accesses are unordered in any interleaving).
  EXPECT_EQ(shrunk.failure->preemptions, p.races ? 0u : 1u) << shrunk.failure->format();
}

INSTANTIATE_TEST_SUITE_P(
    Planted, ShrinkTest,
    ::testing::Values(Planted{"lost_update", lostUpdate, FailureKind::kAssertion},
                      Planted{"double_close", doubleClose, FailureKind::kPanic},
                      Planted{"lock_order_deadlock", lockOrderDeadlock, FailureKind::kDeadlock},
                      Planted{"race_on_balance", racyDeposits, FailureKind::kRace, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Shrink, ReportShowsBothSizes) {
  ExploreOptions o;
  o.detectRaces = false;
  o.iterations = 500;
  o.seed = 1;
  ExploreResult r = explore(lostUpdate, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure->format().find("shrunk "), std::string::npos);
  EXPECT_NE(r.failure->format().find(" -> "), std::string::npos);
  EXPECT_FALSE(r.failure->shrinkPath.empty());
}

TEST(Shrink, BeforeMinimalHookSeesTheFinalToken) {
  std::string seen;
  ExploreOptions o;
  o.detectRaces = false;
  o.iterations = 500;
  o.beforeMinimal = [&](const std::string& token) { seen = token; };
  ExploreResult r = explore(lostUpdate, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(seen, r.failure->token);
}

// ---- exhaustive exploration as an outcome-set test (loom litmus style) ----------------------

TEST(Dfs, EnumeratesEveryOutcomeOfARace) {
  std::set<int> outcomes;
  ExploreOptions o;
  o.detectRaces = false;  // the race is the point: enumerate its outcomes
  o.strategy = "dfs";
  o.preemptionBound = 100;  // effectively unbounded for this body
  o.iterations = 100000;
  ExploreResult r = explore(
      [&] {
        Shared<int> x{0, "x"};
        auto done = makeChan<Unit>(2);
        go([&x, done] {
          x.store(1);
          done.send({});
        });
        go([&x, done] {
          x.store(2);
          done.send({});
        });
        done.recv();
        done.recv();
        outcomes.insert(x.load());
      },
      o);
  EXPECT_TRUE(r.ok());
  EXPECT_LT(r.executions, o.iterations);  // finished: the space is exhausted
  EXPECT_EQ(outcomes, (std::set<int>{1, 2}));
}

TEST(Dfs, PreemptionBoundZeroOnlyBranchesAtBlockingPoints) {
  std::set<std::vector<int>> orders;
  ExploreOptions o;
  o.detectRaces = false;
  o.strategy = "dfs";
  o.preemptionBound = 0;
  o.iterations = 1000;
  ExploreResult r = explore(
      [&] {
        std::vector<int> order;
        auto done = makeChan<Unit>(2);
        for (int g = 0; g < 2; ++g) {
          go([&order, done, g] {
            for (int i = 0; i < 3; ++i) {
              {
                RaceIgnored observer;  // the test's record of the schedule
                order.push_back(g);
              }
              yield();
            }
            done.send({});
          });
        }
        done.recv();
        done.recv();
        orders.insert(order);
      },
      o);
  EXPECT_TRUE(r.ok());
  EXPECT_LT(r.executions, o.iterations);
  EXPECT_GE(orders.size(), 2u);  // yields are free choices, so both goroutines lead sometimes
}

}  // namespace
}  // namespace weft::harness
