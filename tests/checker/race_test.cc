// The race detector follows the Go memory model: for each happens-before edge, a race-free
// program that must stay silent under every explored schedule (random walk and exhaustive DFS),
// and a racy twin that must be reported within a small budget. Plus Go's misuse report for a
// close concurrent with a send.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <vector>

#include "weft/harness/explore.h"
#include "weft/weft.h"

namespace weft::harness {
namespace {

void expectSilent(const std::function<void()>& body, const char* what) {
  ExploreOptions random;
  random.iterations = 300;
  ExploreResult r = explore(body, random);
  EXPECT_TRUE(r.ok()) << what << "\n" << r.failure->format();
  ExploreOptions dfs;
  dfs.strategy = "dfs";
  dfs.preemptionBound = 2;
  dfs.iterations = 20000;
  ExploreResult d = explore(body, dfs);
  EXPECT_TRUE(d.ok()) << what << " (dfs)\n" << d.failure->format();
}

void expectRace(const std::function<void()>& body, const char* what, const char* variable) {
  ExploreOptions o;
  o.iterations = 50;
  ExploreResult r = explore(body, o);
  ASSERT_FALSE(r.ok()) << what << ": race not reported in 50 executions";
  EXPECT_EQ(r.failure->kind, FailureKind::kRace) << what << "\n" << r.failure->format();
  EXPECT_NE(r.failure->details.find("WARNING: DATA RACE"), std::string::npos);
  EXPECT_NE(r.failure->message.find(variable), std::string::npos) << r.failure->message;
  EXPECT_NE(r.failure->details.find("race_test.cc:"), std::string::npos)
      << "both accesses name their source lines\n" << r.failure->details;
}

// ---- the go statement -----------------------------------------------------------------------

TEST(RaceEdges, GoStatementHappensBeforeTheGoroutine) {
  expectSilent(
      [] {
        auto x = std::make_shared<Shared<int>>(0, "x");
        auto done = makeChan<Unit>();
        x->store(1);
        go([x, done] {
          (void)x->load();
          done.send({});
        });
        done.recv();
      },
      "write before go, read in the goroutine");
  expectRace(
      [] {
        auto x = std::make_shared<Shared<int>>(0, "x");
        auto done = makeChan<Unit>();
        go([x, done] {
          (void)x->load();
          done.send({});
        });
        x->store(1);  // after the go statement: unordered with the goroutine's read
        done.recv();
      },
      "write after go", "x");
}

// ---- channels -----------------------------------------------------------------------------

void sendThenReceive(int capacity, bool writeAfterSend) {
  Shared<int> x{0, "x"};
  auto ch = makeChan<int>(capacity);
  auto done = makeChan<Unit>();
  go([&x, ch, done, writeAfterSend] {
    if (!writeAfterSend) x.store(1);
    ch.send(1);
    if (writeAfterSend) x.store(1);
    done.send({});
  });
  ch.recv();
  (void)x.load();
  done.recv();
}

TEST(RaceEdges, SendHappensBeforeTheReceiveCompletes) {
  for (int cap : {0, 1, 3}) {
    expectSilent([cap] { sendThenReceive(cap, false); }, "write; send / recv; read");
    expectRace([cap] { sendThenReceive(cap, true); }, "send; write / recv; read", "x");
  }
}

TEST(RaceEdges, UnbufferedReceiveHappensBeforeTheSendCompletes) {
  auto body = [](int capacity) {
    Shared<int> x{0, "x"};
    auto ch = makeChan<int>(capacity);
    auto done = makeChan<Unit>();
    go([&x, ch, done] {
      x.store(1);
      ch.recv();
      done.send({});
    });
    ch.send(1);
    (void)x.load();  // ordered only if the receive completed before the send did
    done.recv();
  };
  expectSilent([&] { body(0); }, "unbuffered: recv before send completes");
  expectRace([&] { body(1); }, "buffered: the send does not wait for the receive", "x");
}

TEST(RaceEdges, KthReceiveHappensBeforeKPlusCthSend) {
  // A channel of capacity C as a counting semaphore (Go memory model's example): with C = 1 it
  // is a mutex, and the critical sections are ordered; with C = 2 two may overlap.
  auto body = [](int capacity) {
    Shared<int> counter{0, "counter"};
    auto sem = makeChan<Unit>(capacity);
    auto done = makeChan<Unit>(2);
    for (int i = 0; i < 2; ++i) {
      go([&counter, sem, done] {
        sem.send({});
        counter.store(counter.load() + 1);
        sem.recv();
        done.send({});
      });
    }
    done.recv();
    done.recv();
  };
  expectSilent([&] { body(1); }, "capacity-1 semaphore");
  expectRace([&] { body(2); }, "capacity-2 semaphore admits two", "counter");
}

TEST(RaceEdges, CloseHappensBeforeAReceiveThatSeesIt) {
  auto body = [](bool writeAfterClose) {
    Shared<int> x{0, "x"};
    auto ch = makeChan<int>();
    auto done = makeChan<Unit>();
    go([&x, ch, done, writeAfterClose] {
      if (!writeAfterClose) x.store(1);
      ch.close();
      if (writeAfterClose) x.store(1);
      done.send({});
    });
    auto [v, ok] = ch.recvOk();
    (void)v;
    (void)ok;
    (void)x.load();
    done.recv();
  };
  expectSilent([&] { body(false); }, "write; close / recv sees close; read");
  expectRace([&] { body(true); }, "close; write", "x");
}

TEST(RaceEdges, SelectCasesCarryTheSameEdges) {
  auto body = [](bool writeAfterSend) {
    Shared<int> x{0, "x"};
    auto a = makeChan<int>(), b = makeChan<int>(1);
    auto done = makeChan<Unit>();
    go([&x, a, b, done, writeAfterSend] {
      if (!writeAfterSend) x.store(1);
      select(send(a, 1), send(b, 2));
      if (writeAfterSend) x.store(1);
      done.send({});
    });
    int v = 0;
    select(recv(a, v), recv(b, v));
    (void)x.load();
    done.recv();
  };
  expectSilent([&] { body(false); }, "write; select send / select recv; read");
  expectRace([&] { body(true); }, "select send; write", "x");
}

TEST(RaceMisuse, CloseConcurrentWithSendIsReported) {
  ExploreOptions o;
  o.iterations = 50;
  ExploreResult r = explore(
      [] {
        auto ch = makeChan<int>(4);
        auto done = makeChan<Unit>();
        go([ch, done] {
          ch.send(1);
          done.send({});
        });
        ch.close();  // not ordered with the send: Go's race detector reports this
        done.recv();
      },
      o);
  ASSERT_FALSE(r.ok());
  // Either the race is seen first, or (in schedules where close wins) the send panics.
  EXPECT_TRUE(r.failure->kind == FailureKind::kRace || r.failure->kind == FailureKind::kPanic)
      << r.failure->format();
  bool sawRace = false;
  // Among all schedules, the one where the send completes first must report the race.
  for (std::uint64_t seed = 1; seed <= 50 && !sawRace; ++seed) {
    ExploreOptions one;
    one.seed = seed;
    one.iterations = 1;
    ExploreResult x = explore(
        [] {
          auto ch = makeChan<int>(4);
          auto done = makeChan<Unit>();
          go([ch, done] {
            ch.send(1);
            done.send({});
          });
          ch.close();
          done.recv();
        },
        one);
    sawRace = !x.ok() && x.failure->kind == FailureKind::kRace;
    if (sawRace) {
      EXPECT_NE(x.failure->message.find("data race on chan made at race_test.cc"),
                std::string::npos)
          << x.failure->message;
    }
  }
  EXPECT_TRUE(sawRace);
}

// ---- annotations (weft/race.h): memory and primitives weft cannot see ---------------------

// Existing memory (not a Shared cell) made visible to the detector by annotations only, with
// no plain access: the racy twin must not race for ThreadSanitizer too.
void annotatedTable(bool readAfterReceive) {
  auto table = std::make_shared<std::vector<int>>(4);
  auto done = makeChan<Unit>();
  go([table, done] {
    raceWrite(table->data(), table->size() * sizeof(int), "table");
    done.send({});
  });
  if (readAfterReceive) done.recv();
  raceRead(table->data() + 2, sizeof(int), "table");
  if (!readAfterReceive) done.recv();
}

TEST(RaceAnnotations, AnnotatedMemoryIsCheckedLikeACell) {
  expectRace([] { annotatedTable(false); },
             "annotated write of the whole table, unordered read of one element", "table");
  expectSilent([] { annotatedTable(true); }, "the read after the receive");
}

// A one-shot flag built on std::atomic, which weft cannot see: raceRelease/raceAcquire say
// what it orders, as weft's own primitives do.
void flagHandOff(bool annotateEdges) {
  auto x = std::make_shared<int>(0);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  auto done = makeChan<Unit>();
  go([=] {
    raceWrite(x.get(), sizeof(int), "x");
    *x = 1;
    if (annotateEdges) raceRelease(flag.get());
    flag->store(true, std::memory_order_release);
    done.send({});
  });
  while (!flag->load(std::memory_order_acquire)) yield();
  if (annotateEdges) raceAcquire(flag.get());
  raceRead(x.get(), sizeof(int), "x");
  EXPECT_EQ(*x, 1);
  done.recv();
}

TEST(RaceAnnotations, ReleaseAndAcquireOrderAPrimitiveOfYourOwn) {
  // Random walk and PCT only: the spin makes exhaustive search pointlessly long.
  for (const char* strategy : {"random", "pct"}) {
    ExploreOptions o;
    o.strategy = strategy;
    o.iterations = 300;
    ExploreResult r = explore([] { flagHandOff(true); }, o);
    EXPECT_TRUE(r.ok()) << strategy << "\n" << r.failure->format();
  }
  expectRace([] { flagHandOff(false); }, "the same flag without its edges", "x");
}

TEST(RaceReport, NamesBothAccessesTheVariableAndTheGoroutines) {
  ExploreOptions o;
  o.iterations = 10;
  ExploreResult r = explore(
      [] {
        Shared<int> balance{100, "balance"};
        auto done = makeChan<Unit>();
        go(Named{"depositor"}, [&balance, done] {
          balance.store(balance.load() + 10);
          done.send({});
        });
        balance.store(balance.load() + 20);
        done.recv();
      },
      o);
  ASSERT_FALSE(r.ok());
  const std::string& d = r.failure->details;
  EXPECT_NE(d.find("WARNING: DATA RACE"), std::string::npos) << d;
  EXPECT_NE(d.find("Previous "), std::string::npos) << d;
  EXPECT_NE(d.find("balance (made at race_test.cc:"), std::string::npos) << d;
  EXPECT_NE(d.find("\"depositor\""), std::string::npos) << d;
  EXPECT_NE(d.find("(step "), std::string::npos) << d;
  EXPECT_NE(r.failure->format().find("replay: WEFT_REPLAY="), std::string::npos);
}

}  // namespace
}  // namespace weft::harness
