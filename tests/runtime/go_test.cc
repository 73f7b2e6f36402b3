// Goroutine lifecycle under every runtime configuration: spawn, ids and names, migration,
// panics escaping a goroutine, deadlock detection with a goroutine dump, and leaked goroutines
// being unwound (their destructors run) when main returns.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fixtures.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::WithRuntime;

class GoTest : public WithRuntime {};

TEST_P(GoTest, MainRunsAsGoroutineOne) {
  GoroutineId id = 0;
  run([&] { id = currentGoroutineId(); });
  EXPECT_EQ(id, 1u);
}

TEST_P(GoTest, GoRunsWithArgumentsAndIdsAreDistinct) {
  std::vector<GoroutineId> ids(10);
  run([&] {
    auto done = makeChan<int>(10);
    for (int i = 0; i < 10; ++i) {
      go(
          [&ids, done](int k) {
            ids[k] = currentGoroutineId();
            done.send(k);
          },
          i);
    }
    for (int i = 0; i < 10; ++i) done.recv();
  });
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  EXPECT_GT(ids.front(), 1u);
}

TEST_P(GoTest, MoveOnlyCapturesAndArguments) {
  int seen = 0;
  run([&] {
    auto done = makeChan<Unit>();
    auto p = std::make_unique<int>(42);
    go([done, &seen](std::unique_ptr<int> q) { seen = *q; done.send({}); }, std::move(p));
    done.recv();
  });
  EXPECT_EQ(seen, 42);
}

TEST_P(GoTest, YieldLetsOthersRun) {
  std::atomic<int> counter{0};
  run([&] {
    auto done = makeChan<Unit>(4);
    for (int i = 0; i < 4; ++i) {
      go([&, done] {
        for (int k = 0; k < 100; ++k) {
          counter.fetch_add(1);
          yield();
        }
        done.send({});
      });
    }
    for (int i = 0; i < 4; ++i) done.recv();
  });
  EXPECT_EQ(counter.load(), 400);
}

TEST_P(GoTest, PanicEscapingAGoroutineEndsTheRunAndNamesIt) {
  try {
    run([&] {
      auto block = makeChan<int>();
      go(Named{"closer"}, [] {
        auto c = makeChan<int>();
        c.close();
        c.close();
      });
      block.recv();  // never sent: the panic must end the run first
    });
    FAIL() << "expected a panic";
  } catch (const Panic& p) {
    EXPECT_STREQ(p.what(), "close of closed channel");
    ASSERT_TRUE(p.goroutineId().has_value());
    EXPECT_GT(*p.goroutineId(), 1u);
    EXPECT_EQ(p.goroutineName(), "closer");
    EXPECT_NE(p.report().find("panic: close of closed channel"), std::string::npos);
    EXPECT_NE(p.report().find("\"closer\""), std::string::npos);
  }
}

TEST_P(GoTest, ForeignExceptionBecomesAPanicWithCause) {
  try {
    run([] { throw std::runtime_error("boom"); });
    FAIL() << "expected a panic";
  } catch (const Panic& p) {
    EXPECT_STREQ(p.what(), "boom");
    EXPECT_EQ(*p.goroutineId(), 1u);
    EXPECT_THROW(std::rethrow_exception(p.cause()), std::runtime_error);
  }
}

TEST_P(GoTest, PanicIsRecoverableInsideTheGoroutine) {
  std::string text;
  run([&] {
    try {
      makeChan<int>().close();
      auto c = makeChan<int>();
      c.close();
      c.send(1);
    } catch (const Panic& p) {
      text = p.what();
    }
  });
  EXPECT_EQ(text, "send on closed channel");
}

TEST_P(GoTest, DeadlockIsFatalWithGoroutineDump) {
  try {
    run([] {
      auto c = makeChan<int>();
      go(Named{"stuck-sender"}, [c] { c.send(1); });
      Chan<int> nilChan;
      nilChan.recv();
    });
    FAIL() << "expected a deadlock";
  } catch (const FatalError& e) {
    EXPECT_STREQ(e.what(), "fatal error: all goroutines are asleep - deadlock!");
    EXPECT_EQ(e.message(), "all goroutines are asleep - deadlock!");
    const std::string& dump = e.goroutineDump();
    EXPECT_NE(dump.find("goroutine 1 \"main\" [chan receive (nil chan)]:"), std::string::npos)
        << dump;
    EXPECT_NE(dump.find("\"stuck-sender\" [chan send]:"), std::string::npos) << dump;
    EXPECT_NE(dump.find("go_test.cc"), std::string::npos) << dump;
  }
}

// A fatal error's goroutine dump reads every live goroutine's record while, on other workers,
// goroutines keep exiting and their records are reused by new spawns: the dump must list only
// whole names (a record being rewritten is skipped or read before, never torn). The names are
// longer than the small-string buffer, so a read of a freed name is an ASan report.
TEST_P(GoTest, GoroutineDumpIsConsistentWhileRecordsAreReused) {
  const std::string churnName(40, 'c');
  const std::string misuserName(40, 'm');
  for (int attempt = 0; attempt < 5; ++attempt) {
    try {
      run(
          [&] {
            Atomic<bool> stop{false};
            auto churning = makeChan<Unit>(1);
            go(Named{"churner"}, [&, churning] {
              bool announced = false;
              while (!stop.load()) {
                WaitGroup wg;
                wg.add(8);
                for (int i = 0; i < 8; ++i) go(Named{churnName}, [&wg] { wg.done(); });
                wg.wait();
                if (!announced) churning.send({});
                announced = true;
              }
            });
            churning.recv();
            auto misused = makeChan<Unit>(1);
            go(Named{misuserName}, [misused] {
              Mutex mu;
              mu.unlock();  // fatal: the dump is taken here, mid-churn
              misused.send({});
            });
            misused.recv();  // the fatal error ends the run first
            stop.store(true);
          },
          /*allowLeaks=*/true);
      ADD_FAILURE() << "expected the misuse to be fatal";
    } catch (const FatalError& e) {
      EXPECT_EQ(e.message(), "sync: unlock of unlocked mutex");
      const std::string& dump = e.goroutineDump();
      EXPECT_NE(dump.find("goroutine 1 \"main\""), std::string::npos) << dump;
      EXPECT_NE(dump.find("\"" + misuserName + "\" [running]"), std::string::npos) << dump;
      // Every named goroutine in the dump carries one of the names given.
      for (std::size_t at = dump.find("goroutine "); at != std::string::npos;
           at = dump.find("\ngoroutine ", at + 1)) {
        const std::size_t open = dump.find('"', at);
        const std::size_t close = dump.find('"', open + 1);
        ASSERT_NE(close, std::string::npos) << dump;
        const std::string name = dump.substr(open + 1, close - open - 1);
        EXPECT_TRUE(name == "main" || name == "churner" || name == churnName ||
                    name == misuserName)
            << "torn name '" << name << "' in\n" << dump;
      }
    }
  }
}

// A send hands the woken receiver to the sender's worker (runnext) without waking an idle
// worker, betting that the sender blocks soon. Here it never blocks: it polls for the reply
// with a non-blocking select. With a second worker the receiver must still run (an idle
// worker comes back to steal it); before, the idle worker slept for ever and this hung.
// (On one worker, as in Go before 1.14, a goroutine that never blocks keeps its worker.)
TEST_P(GoTest, HandedOffGoroutineRunsWhileItsSenderPolls) {
  if (!deterministic() && GetParam().workers < 2) GTEST_SKIP() << "needs a second worker";
  const bool production = !deterministic();
  run([production] {
    auto requests = makeChan<int>();
    auto replies = makeChan<int>(1);
    go([requests, replies] {
      for (int v : requests) replies.send(v * 2);
    });
    for (int round = 0; round < 3; ++round) {
      // Keep this worker busy for 1 ms without blocking, so that the others, finding nothing
      // to do, go to sleep before the send.
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
      while (production && std::chrono::steady_clock::now() < until) {
      }
      requests.send(round);
      for (;;) {
        int reply = 0;
        if (select(recv(replies, reply), otherwise()) == 0) {
          EXPECT_EQ(reply, round * 2);
          break;
        }
      }
    }
    requests.close();
  });
}

// A yield hands the worker straight to the next queued goroutine (a direct switch), which may
// be one that has never run: it starts, and the yielder is requeued behind it. Goroutines that
// yield in turn keep their identities and all finish; on one worker, as in Go with
// GOMAXPROCS=1, a goroutine spawned before a yield runs before the yielder resumes.
TEST_P(GoTest, YieldHandsTheWorkerToTheNextGoroutine) {
  const bool oneWorker = !deterministic() && GetParam().workers == 1;
  run([oneWorker] {
    Atomic<bool> started{false};
    WaitGroup wg;
    wg.add(1);
    go([&] {
      started.store(true);
      wg.done();
    });
    yield();
    if (oneWorker) {
      EXPECT_TRUE(started.load());
    }
    wg.wait();

    constexpr int kYielders = 3, kRounds = 200;
    Atomic<int> rounds[kYielders];
    wg.add(kYielders);
    for (int i = 0; i < kYielders; ++i) {
      go([&, i] {
        const GoroutineId me = currentGoroutineId();
        for (int r = 0; r < kRounds; ++r) {
          rounds[i].add(1);
          yield();
          EXPECT_EQ(currentGoroutineId(), me);
        }
        wg.done();
      });
    }
    wg.wait();
    for (auto& r : rounds) EXPECT_EQ(r.load(), kRounds);
  });
}

// A due timer fires even while the worker always has a runnable goroutine: here one that
// yields in a loop until main, asleep, wakes. On one worker the yielder was picked again from
// the local queue at every round and main's timer never fired (production only, as above).
TEST_P(GoTest, TimerFiresWhileAGoroutineKeepsYielding) {
  if (deterministic()) GTEST_SKIP() << "virtual time stands still while the yielder runs";
  run([] {
    Atomic<bool> awake{false};
    WaitGroup wg;
    wg.add(1);
    go([&] {
      while (!awake.load()) yield();
      wg.done();
    });
    sleep(std::chrono::milliseconds(1));
    awake.store(true);
    wg.wait();
  });
}

// A goroutine that parks right after a hand-off switches straight to the goroutine it woke,
// bypassing the scheduler loop; the loop's duties must still be done. Here a pair hands a
// token back and forth for ever (every park is such a switch) while main sleeps: on one
// worker main's timer fires only if the direct switch looks at due timers too.
TEST_P(GoTest, SleeperWakesWhileAPairKeepsHandingOff) {
  if (deterministic()) GTEST_SKIP() << "virtual time stands still while the pair runs";
  run([] {
    Atomic<bool> stop{false};
    auto ping = makeChan<int>(), pong = makeChan<int>();
    auto done = makeChan<Unit>();
    go([&stop, ping, pong, done] {
      for (int v = 0; !stop.load(); ++v) {
        ping.send(v);
        EXPECT_EQ(pong.recv(), v + 1);
      }
      ping.close();
      done.send({});
    });
    go([ping, pong] {
      for (int v : ping) pong.send(v + 1);
    });
    sleep(std::chrono::milliseconds(1));
    stop.store(true);
    done.recv();
  });
}

// Tokens around a ring of goroutines over unbuffered channels: every step is a hand-off
// followed by a park, so nearly every switch is a direct one, with goroutines migrating
// between workers, sleepers keeping timers pending and a mutex handing off too. Every token
// arrives exactly once after exactly its hops, and every goroutine keeps its own identity.
TEST_P(GoTest, HandOffRingKeepsEveryValueAndIdentity) {
  constexpr int kGoroutines = 8;
  constexpr long kTokens = 3;
  constexpr long kHops = 1500;
  constexpr long kHopsPerToken = 1'000'000;  // token = id * kHopsPerToken + hops so far
  long hops = 0;
  std::vector<long> arrived;
  run([&] {
    std::vector<Chan<long>> ring;
    for (int i = 0; i < kGoroutines; ++i) ring.push_back(makeChan<long>());
    auto results = makeChan<long>(kTokens);
    Mutex mu;
    for (int i = 0; i < kGoroutines; ++i) {
      go([&, i, in = ring[i], out = ring[(i + 1) % kGoroutines]] {
        const GoroutineId me = currentGoroutineId();
        for (long token : in) {
          EXPECT_EQ(currentGoroutineId(), me);
          {
            std::lock_guard l(mu);
            ++hops;
          }
          if (token % 97 == 0) sleep(std::chrono::microseconds(5));
          if (token % kHopsPerToken + 1 == kHops) {
            results.send(token + 1);
          } else {
            out.send(token + 1);
          }
        }
      });
    }
    for (long t = 0; t < kTokens; ++t) ring[t * kGoroutines / kTokens].send(t * kHopsPerToken);
    for (long t = 0; t < kTokens; ++t) arrived.push_back(results.recv());
    for (auto& c : ring) c.close();
  });
  std::sort(arrived.begin(), arrived.end());
  std::vector<long> expected;
  for (long t = 0; t < kTokens; ++t) expected.push_back(t * kHopsPerToken + kHops);
  EXPECT_EQ(arrived, expected);
  EXPECT_EQ(hops, kTokens * kHops);
}

TEST_P(GoTest, EmptySelectDeadlockSaysSelectNoCases) {
  try {
    run([] { select(); });
    FAIL() << "expected a deadlock";
  } catch (const FatalError& e) {
    EXPECT_NE(e.goroutineDump().find("[select (no cases)]"), std::string::npos)
        << e.goroutineDump();
  }
}

struct CountsDestruction {
  std::atomic<int>* n;
  ~CountsDestruction() { n->fetch_add(1); }
};

TEST_P(GoTest, LeakedGoroutinesAreReportedAndUnwound) {
  std::atomic<int> destroyed{0};
  RunResult r = run(
      [&] {
        auto never = makeChan<int>();
        auto started = makeChan<Unit>(3);
        for (int i = 0; i < 3; ++i) {
          go(Named{"leaker-" + std::to_string(i)}, [&destroyed, never, started] {
            CountsDestruction guard{&destroyed};
            auto big = std::make_unique<std::string>(1000, 'x');  // LSan: must be freed
            started.send({});
            never.recv();
          });
        }
        for (int i = 0; i < 3; ++i) started.recv();
      },
      /*allowLeaks=*/true);
  ASSERT_EQ(r.leaked.size(), 3u) << r.leakReport();
  EXPECT_EQ(r.leaked[0].name, "leaker-0");
  EXPECT_EQ(r.leaked[0].state, "chan receive");
  EXPECT_NE(r.leakReport().find("3 goroutines still alive when main returned"), std::string::npos);
  EXPECT_EQ(destroyed.load(), 3) << "leaked goroutines must be unwound";
}

// A goroutine whose operations never block (it shuttles a token between two buffered
// channels) keeps running after main returns. Go would just exit; the run must end too, report
// it as leaked and unwind it (its destructors run, if it started), under every scheduler.
// (Main does not wait for it to start: on one worker, without preemption, a goroutine that
// never blocks would keep main from ever running again.)
TEST_P(GoTest, GoroutineThatNeverBlocksDoesNotHangTheEndOfTheRun) {
  std::atomic<int> destroyed{0};
  std::atomic<bool> started{false};
  RunResult r = run(
      [&] {
        auto a = makeChan<int>(1), b = makeChan<int>(1);
        a.send(0);
        go(Named{"shuttle"}, [&destroyed, &started, a, b] {
          CountsDestruction guard{&destroyed};
          started.store(true);
          for (;;) {
            b.send(0);
            a.recv();
            a.send(0);
            b.recv();
          }
        });
      },
      /*allowLeaks=*/true);
  ASSERT_EQ(r.leaked.size(), 1u) << r.leakReport();
  EXPECT_EQ(r.leaked[0].name, "shuttle");
  EXPECT_EQ(destroyed.load(), started.load() ? 1 : 0) << "the leaked goroutine must be unwound";
}

// A goroutine spawned after main returned (in the drain) is a leak like any other, even when
// it gets the record main ran in: main's record is kept out of the pool until the run ends, or
// every test for "is this main" would take the newcomer for main and leave it out.
TEST_P(GoTest, GoroutineSpawnedAfterMainReturnedIsReportedAsLeaked) {
  std::atomic<bool> mainReturning{false};
  RunResult r = run(
      [&] {
        auto never = makeChan<int>();
        go(Named{"spawner"}, [&mainReturning, never] {
          while (!mainReturning.load()) yield();
          for (int i = 0; i < 3; ++i) yield();  // let main's exit complete
          go(Named{"late"}, [never] { never.recv(); });
        });
        mainReturning.store(true);
      },
      /*allowLeaks=*/true);
  ASSERT_EQ(r.leaked.size(), 1u) << r.leakReport();
  EXPECT_EQ(r.leaked[0].name, "late");
  EXPECT_EQ(r.leaked[0].state, "chan receive");
}

// A run that fails while main is still spawning: main, resumed only to be unwound, must not
// start goroutines that nobody would ever run or unwind (TearDown checks every stack is back).
TEST_P(GoTest, RunEndingMidSpawnLoopLeavesNoGoroutineBehind) {
  EXPECT_THROW(run(
                   [] {
                     for (int i = 0; i < 20; ++i) {
                       go([i] {
                         if (i == 3) throw Panic("boom");
                         yield();
                       });
                     }
                     yield();
                   },
                   /*allowLeaks=*/true),
               Panic);
}

TEST_P(GoTest, UsageErrorOutsideAGoroutine) {
  auto c = makeChan<int>(1);  // making and non-blocking use are fine anywhere
  EXPECT_TRUE(c.trySend(1));
  EXPECT_EQ(c.tryRecv(), 1);
  Chan<int> nilChan;
  EXPECT_THROW(nilChan.send(1), UsageError);
  EXPECT_THROW(go([] {}), UsageError);
}

TEST_P(GoTest, RuntimeIsReusableAndIdsRestart) {
  Runtime rt(config());
  for (int i = 0; i < 3; ++i) {
    GoroutineId child = 0;
    rt.run([&] {
      auto done = makeChan<GoroutineId>();
      go([done] { done.send(currentGoroutineId()); });
      child = done.recv();
    });
    EXPECT_EQ(child, 2u);
  }
  EXPECT_EQ(rt.stacksInUse(), 0u);
}

WEFT_INSTANTIATE_ALL_RUNTIMES(GoTest);

TEST(RuntimeConfig, RejectsBadValuesWithAClearMessage) {
  try {
    Runtime rt({.workers = -3});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("Config::workers = -3"), std::string::npos);
  }
  EXPECT_THROW(Runtime({.stackSize = 100}), UsageError);
}

TEST(RuntimeConfig, GoroutinesMigrateBetweenWorkersAndSeeTheirOwnId) {
  // Many goroutines hopping across 4 workers through yields: after every switch, the id read
  // through the thread-local current-G accessor must still be the goroutine's own.
  std::atomic<int> mismatches{0};
  weft::run(
      [&] {
        auto done = makeChan<Unit>(64);
        for (int i = 0; i < 64; ++i) {
          go([&, done] {
            GoroutineId me = currentGoroutineId();
            for (int k = 0; k < 200; ++k) {
              yield();
              if (currentGoroutineId() != me) mismatches.fetch_add(1);
            }
            done.send({});
          });
        }
        for (int i = 0; i < 64; ++i) done.recv();
      },
      {.workers = 4});
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace weft
