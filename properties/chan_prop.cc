// Channel properties over RapidCheck-generated scenarios AND schedules, checked against the
// executable model (models/chan_model.h). A failing case is shrunk by RapidCheck in both
// dimensions (fewer values and goroutines, fewer decisions and preemptions); its message ends
// with weft's replay line.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "models/chan_model.h"
#include "properties/history.h"
#include "weft/harness/rapidcheck.h"
#include "weft/internal/sanitizers.h"
#include "weft/weft.h"

namespace weft::props {
namespace {

// Statistical self-tests of the single-threaded explorer need tens of thousands of executions;
// under a sanitizer that is minutes, and a sanitizer adds nothing to code that runs on one
// thread. They run in the normal build.
#if defined(WEFT_TSAN) || defined(WEFT_ASAN)
#define WEFT_SKIP_STATISTICAL_UNDER_SANITIZER() \
  GTEST_SKIP() << "statistical: runs in the normal build (too slow under a sanitizer)"
#else
#define WEFT_SKIP_STATISTICAL_UNDER_SANITIZER() \
  do {                                          \
  } while (0)
#endif

using harness::RcSchedule;
using harness::simulate;
using models::ChanModel;

// Runs body under the schedule and fails the property (with weft's report) if the execution
// failed in any way the runtime detects.
using harness::ExploreResult;

// races=false for bodies that close a channel concurrently with sends on purpose (to test the
// panic): Go's race detector rightly reports that as a race, and so does weft's.
void run(const RcSchedule& schedule, const std::function<void()>& body, bool races = true) {
  harness::ExploreOptions o;
  o.detectRaces = races;
  ExploreResult r = simulate(schedule, body, o);
  if (r.failure) RC_FAIL(r.failure->format());
}

// ---- FIFO, conservation, linearizability ---------------------------------------------------

RC_GTEST_PROP(ChanProps, OneSenderOneReceiverSeesTheSentSequence,
              (std::vector<int> values, RcSchedule schedule)) {
  const auto capacity = *rc::gen::inRange(0, 4);
  std::vector<int> received;
  run(schedule, [&] {
    auto ch = makeChan<int>(capacity);
    go([&values, ch] {
      for (int v : values) ch.send(v);
      ch.close();
    });
    for (int v : ch) received.push_back(v);
  });
  RC_ASSERT(received == values);
}

RC_GTEST_PROP(ChanProps, NoValueLostOrDuplicatedAndEachSenderIsFifo,
              (RcSchedule schedule)) {
  const int senders = *rc::gen::inRange(1, 4);
  const int receivers = *rc::gen::inRange(1, 4);
  const int perSender = *rc::gen::inRange(0, 6);
  const auto capacity = *rc::gen::inRange(0, 3);
  std::vector<std::vector<int>> got(static_cast<std::size_t>(receivers));
  run(schedule, [&] {
    auto ch = makeChan<int>(capacity);
    auto sent = makeChan<Unit>(senders);
    auto done = makeChan<Unit>(receivers);
    for (int s = 0; s < senders; ++s) {
      go([=] {
        for (int i = 0; i < perSender; ++i) ch.send(s * 100 + i);
        sent.send({});
      });
    }
    for (int r = 0; r < receivers; ++r) {
      go([&got, ch, done, r] {
        for (int v : ch) got[static_cast<std::size_t>(r)].push_back(v);
        done.send({});
      });
    }
    for (int s = 0; s < senders; ++s) sent.recv();
    ch.close();
    for (int r = 0; r < receivers; ++r) done.recv();
  });
  std::multiset<int> all;
  for (const auto& g : got) {
    all.insert(g.begin(), g.end());
    // Per receiver, each sender's values arrive in send order.
    std::map<int, int> last;
    for (int v : g) {
      auto it = last.find(v / 100);
      RC_ASSERT(it == last.end() || it->second < v % 100);
      last[v / 100] = v % 100;
    }
  }
  std::multiset<int> expected;
  for (int s = 0; s < senders; ++s) {
    for (int i = 0; i < perSender; ++i) expected.insert(s * 100 + i);
  }
  RC_ASSERT(all == expected);
}

RC_GTEST_PROP(ChanProps, HistoryIsLinearizableAgainstTheModel, (RcSchedule schedule)) {
  const auto capacity = *rc::gen::inRange(0, 3);
  const int senders = *rc::gen::inRange(1, 3);
  const int receivers = *rc::gen::inRange(1, 3);
  const int perSender = *rc::gen::inRange(1, 4);
  const bool closeEarly = *rc::gen::arbitrary<bool>();
  History<ChanModel> h;
  run(schedule, [&] {
    auto ch = makeChan<int>(capacity);
    auto done = makeChan<Unit>(senders + receivers);
    for (int s = 0; s < senders; ++s) {
      go([&h, ch, done, s, perSender] {
        for (int i = 0; i < perSender; ++i) {
          const int v = 1 + s * 100 + i;
          auto c = h.call();
          try {
            ch.send(v);
            h.ret(c, {ChanModel::Op::kSend, v}, {0, true, false});
          } catch (const Panic&) {
            h.ret(c, {ChanModel::Op::kSend, v}, {0, true, true});
            break;
          }
        }
        done.send({});
      });
    }
    for (int r = 0; r < receivers; ++r) {
      go([&h, ch, done] {
        for (;;) {
          auto c = h.call();
          auto [v, ok] = ch.recvOk();
          h.ret(c, {ChanModel::Op::kRecv}, {v, ok, false});
          if (!ok) break;
        }
        done.send({});
      });
    }
    if (closeEarly) yield();
    auto c = h.call();
    ch.close();
    h.ret(c, {ChanModel::Op::kClose}, {0, true, false});
    for (int i = 0; i < senders + receivers; ++i) done.recv();
  }, /*races=*/false);
  ChanModel initial;
  initial.capacity = static_cast<std::size_t>(capacity);
  RC_ASSERT(models::linearizable(h.ops(), initial));
  if (capacity == 0) RC_ASSERT(models::rendezvousHolds(h.ops()));
}

// ---- close semantics -------------------------------------------------------------------------

RC_GTEST_PROP(ChanProps, CloseDrainsThenReturnsZeroAndWakesEveryReceiver,
              (std::vector<int> buffered, RcSchedule schedule)) {
  const int blocked = *rc::gen::inRange(0, 4);
  const auto capacity = static_cast<std::int64_t>(buffered.size());
  std::vector<int> drained;
  std::vector<std::pair<int, bool>> byReceivers;  // what the blocked receivers got
  std::vector<int> after;                          // what main drained after close
  run(schedule, [&] {
    auto ch = makeChan<int>(capacity);
    for (int v : buffered) ch.send(v);
    for (std::size_t i = 0; i < buffered.size(); ++i) drained.push_back(ch.recv());
    auto done = makeChan<Unit>(blocked);
    for (int i = 0; i < blocked; ++i) {
      go([&byReceivers, ch, done] {
        auto [v, ok] = ch.recvOk();
        RaceIgnored observer;  // the test's own record, not the program under test
        byReceivers.emplace_back(v, ok);
        done.send({});
      });
    }
    for (int v : buffered) ch.send(v);
    ch.close();
    for (;;) {
      auto [v, ok] = ch.recvOk();
      if (!ok) {
        RecvResult<int> again = ch.recvOk();  // stays closed: zero value, ok = false
        if (again.ok || again.value != 0) after.push_back(-999999);
        break;
      }
      after.push_back(v);
    }
    for (int i = 0; i < blocked; ++i) done.recv();
  });
  RC_ASSERT(drained == buffered);  // the buffer is FIFO
  // Every blocked receiver was woken (by a value or by the close), and the values buffered
  // before close were each received exactly once, either by them or by the drain.
  RC_ASSERT(byReceivers.size() == static_cast<std::size_t>(blocked));
  std::multiset<int> got(after.begin(), after.end());
  for (auto [v, ok] : byReceivers) {
    if (ok) {
      got.insert(v);
    } else {
      RC_ASSERT(v == 0);
    }
  }
  RC_ASSERT(got == std::multiset<int>(buffered.begin(), buffered.end()));
}

RC_GTEST_PROP(ChanProps, SendOnClosedChannelPanicsAlsoWhenBlocked, (RcSchedule schedule)) {
  int panics = 0;
  run(schedule, [&] {
    auto ch = makeChan<int>();
    auto done = makeChan<Unit>(2);
    for (int i = 0; i < 2; ++i) {
      go([&panics, ch, done] {
        try {
          ch.send(1);
        } catch (const Panic& p) {
          RaceIgnored observer;  // the test's own tally, not the program under test
          if (std::string(p.what()) == "send on closed channel") ++panics;
        }
        done.send({});
      });
    }
    ch.close();
    done.recv();
    done.recv();
  }, /*races=*/false);
  RC_ASSERT(panics == 2);  // nobody receives: both senders end in the panic
}

// ---- nil channels and select -------------------------------------------------------------------

RC_GTEST_PROP(ChanProps, SelectChoosesOnlyReadyCasesAndDefaultOnlyWhenNoneIs,
              (RcSchedule schedule)) {
  // Four channels in generated states; one select over receives from all with a default.
  enum State { kNil, kEmpty, kHasValue, kClosed };
  std::vector<int> states = *rc::gen::container<std::vector<int>>(4, rc::gen::inRange(0, 4));
  int chosen = -2;
  run(schedule, [&] {
    std::vector<Chan<int>> chans(4);
    for (int i = 0; i < 4; ++i) {
      if (states[static_cast<std::size_t>(i)] == kNil) continue;
      chans[static_cast<std::size_t>(i)] = makeChan<int>(1);
      if (states[static_cast<std::size_t>(i)] == kHasValue) chans[static_cast<std::size_t>(i)].send(i);
      if (states[static_cast<std::size_t>(i)] == kClosed) chans[static_cast<std::size_t>(i)].close();
    }
    chosen = select(recv(chans[0]), recv(chans[1]), recv(chans[2]), recv(chans[3]), otherwise());
  });
  const bool anyReady = std::any_of(states.begin(), states.end(),
                                    [](int s) { return s == kHasValue || s == kClosed; });
  if (!anyReady) {
    RC_ASSERT(chosen == 4);
  } else {
    RC_ASSERT(chosen >= 0 && chosen < 4);
    const int s = states[static_cast<std::size_t>(chosen)];
    RC_ASSERT(s == kHasValue || s == kClosed);
  }
}

TEST(ChanProps, NilChannelOperationsBlockForever) {
  for (int op = 0; op < 3; ++op) {
    harness::ExploreResult r = harness::explore([op] {
      Chan<int> nil;
      if (op == 0) nil.send(1);
      if (op == 1) nil.recv();
      if (op == 2) select(recv(nil), send(nil, 1));
    });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.failure->kind, harness::FailureKind::kDeadlock);
    const char* reasons[] = {"[chan send (nil chan)]", "[chan receive (nil chan)]",
                             "[select (no cases)]"};
    EXPECT_NE(r.failure->details.find(reasons[op]), std::string::npos) << r.failure->details;
  }
}

// ---- select uniformity -------------------------------------------------------------------------
//
// With k always-ready cases, each is chosen with probability 1/k. Over n selects the count of
// case 0 is Binomial(n, 1/k); |count - n/k| > 5.33 sd has two-sided probability < 1e-7 under
// the normal approximation, so with the handful of checks below the false-failure probability
// is well under 1e-6.
constexpr double kSigmas = 5.33;

void expectUniform(const std::vector<int>& counts, int n, const char* mode) {
  const double k = static_cast<double>(counts.size());
  const double mean = n / k;
  const double sd = std::sqrt(n * (1 / k) * (1 - 1 / k));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    EXPECT_LE(std::abs(counts[i] - mean), kSigmas * sd)
        << mode << ": case " << i << " chosen " << counts[i] << " times of " << n;
  }
}

TEST(SelectUniformity, ProductionModeOneAndTwoWorkers) {
  for (int workers : {1, 2}) {
    const int n = 60000;
    std::vector<int> counts(3, 0);
    weft::run(
        [&] {
          auto a = makeChan<int>(1), b = makeChan<int>(1), c = makeChan<int>(1);
          a.send(0);
          b.send(1);
          c.send(2);
          for (int i = 0; i < n; ++i) {
            int v = -1;
            int idx = select(recv(a, v), recv(b, v), recv(c, v));
            ++counts[static_cast<std::size_t>(idx)];
            std::vector<Chan<int>> refill{a, b, c};
            refill[static_cast<std::size_t>(idx)].send(v);
          }
        },
        {.workers = workers});
    expectUniform(counts, n, workers == 1 ? "production, 1 worker" : "production, 2 workers");
  }
}

TEST(SelectUniformity, DeterministicModeOverExploredDecisions) {
  WEFT_SKIP_STATISTICAL_UNDER_SANITIZER();
  const int n = 20000;
  std::vector<int> counts(3, 0);
  harness::ExploreOptions o;
  o.iterations = static_cast<std::uint64_t>(n);
  o.determinismCheckEvery = 0;
  harness::ExploreResult r = harness::explore(
      [&] {
        auto a = makeChan<int>(1), b = makeChan<int>(1), c = makeChan<int>(1);
        a.send(0);
        b.send(1);
        c.send(2);
        ++counts[static_cast<std::size_t>(select(recv(a), recv(b), recv(c)))];
      },
      o);
  ASSERT_TRUE(r.ok());
  expectUniform(counts, n, "deterministic");
}

}  // namespace
}  // namespace weft::props
