// Go 1.19's channel and select tests, re-expressed for weft so that a Go user can rely on the
// same behaviour: runtime/chan_test.go and runtime/chanbarrier_test.go, and the programs of
// test/chan/ (doubleselect, fifo, goroutines, nonblock, select, select2..select8, sendstmt,
// sieve1, sieve2, zerosize, perm). Every test runs under every runtime configuration: the
// deterministic scheduler (3 seeds, virtual time) and the production work-stealing scheduler at
// 1, 2, 4 and 8 workers.
//
// What differs from Go throughout:
//   - Go's GOMAXPROCS variations are the worker counts of the fixture.
//   - Go's time.Sleep "let the other goroutine get there first" pauses are kept as weft::sleep
//     (real time in production, where, as in Go, they only make the interesting interleaving
//     likely; virtual time in deterministic mode, where sleep returns only once every other
//     goroutine is blocked, so the interleaving is guaranteed). Nothing asserts on time.
//   - Go's "fail after a long timeout" guards are dropped: a goroutine that is never woken makes
//     every goroutine asleep, which weft reports as a deadlock (FatalError) under both
//     schedulers. test/chan/select3.go's testBlock(always, f), which in Go waits 10 ms and
//     guesses, becomes exact here: f, run as main, must end the run with that deadlock.
//   - Goroutines are joined (or stopped through a quit channel) before main returns: the
//     fixture reports leaked goroutines, where Go programs just exit.
//   - Loops are shorter in deterministic mode (every channel operation is a scheduling point
//     there, and an execution is capped at Config::maxSteps) and under sanitizers; the counts
//     quoted per test are the production ones.
#include <algorithm>
#include <any>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <queue>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/internal/sanitizers.h"

#if !defined(WEFT_TSAN) && !defined(WEFT_ASAN)
#include <malloc.h>

#include <cstdlib>
#include <new>
#define WEFT_CHAN_GO_TEST_COUNTS_HEAP 1
#endif

#include "fixtures.h"
#include "weft/weft.h"

#if defined(WEFT_CHAN_GO_TEST_COUNTS_HEAP)
// Live heap bytes, for the test/chan/select2.go port (Go reads runtime.MemStats.Alloc). Only
// the replaceable global operator new/delete are counted; everything else forwards to them.
namespace {
std::atomic<long long> gLiveHeapBytes{0};
}  // namespace
__attribute__((noinline)) void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  gLiveHeapBytes.fetch_add(static_cast<long long>(malloc_usable_size(p)),
                           std::memory_order_relaxed);
  return p;
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  gLiveHeapBytes.fetch_sub(static_cast<long long>(malloc_usable_size(p)),
                           std::memory_order_relaxed);
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}
#endif

namespace weft {
namespace {

using testing::WithRuntime;
using namespace std::chrono_literals;

#if defined(WEFT_TSAN) || defined(WEFT_ASAN)
constexpr int kSanitizerDivisor = 10;
#else
constexpr int kSanitizerDivisor = 1;
#endif
// Under ThreadSanitizer, creating a goroutine (a fresh stack mapping and a TSan fiber) costs
// milliseconds; loops that spawn a goroutine per iteration are cut further there.
#if defined(WEFT_TSAN)
constexpr int kSpawnDivisor = 100;
#else
constexpr int kSpawnDivisor = kSanitizerDivisor;
#endif

constexpr const char* kDeadlock = "all goroutines are asleep - deadlock!";

class ChanGoTest : public WithRuntime {
 protected:
  // Iterations: `production` under the work-stealing scheduler, `sim` under the deterministic
  // one; a tenth of either under sanitizers (at least 1).
  int iters(int production, int sim) const {
    return std::max(1, (deterministic() ? sim : production) / kSanitizerDivisor);
  }
  // The same for loops that spawn goroutines in every iteration.
  int spawnIters(int production, int sim) const {
    return std::max(1, (deterministic() ? sim : production) / kSpawnDivisor);
  }

  // test/chan/select3.go testBlock(always, f): f, run as main with no other goroutine, must
  // block forever, which weft reports as a deadlock.
  void expectBlocksForever(const char* what, std::function<void()> f) {
    try {
      run(std::move(f));
      ADD_FAILURE() << what << ": returned, expected to block forever";
    } catch (const FatalError& e) {
      EXPECT_EQ(e.message(), kDeadlock) << what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": ended with " << e.what() << ", expected to block forever";
    }
  }
  // testBlock(never, f): f returns, and does not panic.
  void expectNeverBlocks(const char* what, std::function<void()> f) {
    try {
      run(std::move(f));
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": expected to return, ended with " << e.what();
    }
  }
};

// Runs f (a non-blocking attempt) until it succeeds, yielding in between; Go's nonblock.go
// retries with short sleeps and gives up after maxTries. A give-up is a failure, not a timing
// assertion: under correct semantics the partner goroutine eventually gets there.
template <class F>
bool retryNonblocking(const char* what, F&& f) {
  constexpr long kMaxTries = 10'000'000;
  for (long tries = 0; !f(); ++tries) {
    if (tries > kMaxTries) {
      ADD_FAILURE() << what << ": non-blocking operation never succeeded";
      return false;
    }
    yield();
  }
  return true;
}

// Exact two-sided binomial test: P(|X - np| >= |k - np|) for X ~ Binomial(n, p). A fair select
// produces a p-value at or below alpha with probability at most alpha.
double binomialTwoSidedPValue(int n, double p, int k) {
  const double mu = n * p;
  const double dev = std::abs(k - mu) - 1e-9;
  const double logC = std::lgamma(n + 1.0);
  double tail = 0;
  for (int j = 0; j <= n; ++j) {
    if (std::abs(j - mu) < dev) continue;
    tail += std::exp(logC - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) + j * std::log(p) +
                     (n - j) * std::log1p(-p));
  }
  return std::min(1.0, tail);
}

// Counts constructions and destructions of a value type, to check that channel operations move
// every value exactly once and never leak or double-destroy one.
struct Tracked {
  static inline std::atomic<long> live{0};
  int id = -1;
  explicit Tracked(int i) : id(i) { live.fetch_add(1); }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  ~Tracked() { live.fetch_sub(1); }
};

// ---- runtime/chan_test.go: TestChan --------------------------------------------------------

// Capacities TestChan iterates over: Go uses 0..199 (0..19 with -short).
// Under ThreadSanitizer, a sample of them.
std::vector<int> testChanCaps() {
#if defined(WEFT_TSAN)
  return {0, 1, 2, 5, 19};
#else
  std::vector<int> caps(20);
  std::iota(caps.begin(), caps.end(), 0);
  return caps;
#endif
}

// Go: TestChan, "receive from empty chan blocks" and "non-blocking receive does not block".
// Two receivers (plain and comma-ok) must still be blocked after the pause; select with a
// default (both receive forms) takes the default; two sends then release both receivers.
// Differs: the receivers are joined; the flags are atomics (Go reads them racily).
TEST_P(ChanGoTest, TestChanReceiveFromEmptyChanBlocks) {
  run([&] {
    for (int cap : testChanCaps()) {
      auto c = makeChan<int>(cap);
      std::atomic<bool> recv1{false}, recv2{false};
      auto done = makeChan<Unit>(2);
      go([&recv1, c, done] {
        (void)c.recv();
        recv1 = true;
        done.send({});
      });
      go([&recv2, c, done] {
        (void)c.recvOk();
        recv2 = true;
        done.send({});
      });
      sleep(1ms);
      EXPECT_FALSE(recv1 || recv2) << "chan[" << cap << "]: receive from empty chan";
      int v = -1;
      bool ok = true;
      EXPECT_EQ(select(recv(c, v), otherwise()), 1) << "chan[" << cap << "]";
      EXPECT_EQ(select(recvOk(c, v, ok), otherwise()), 1) << "chan[" << cap << "]";
      EXPECT_EQ(v, -1) << "an unchosen receive case must not write its destination";
      c.send(0);
      c.send(0);
      done.recv();
      done.recv();
      EXPECT_TRUE(recv1 && recv2);
    }
  });
}

// Go: TestChan, "send to full chan blocks" and "non-blocking send does not block".
// Differs: the blocked sender is joined after the receive that releases it.
TEST_P(ChanGoTest, TestChanSendToFullChanBlocks) {
  run([&] {
    for (int cap : testChanCaps()) {
      auto c = makeChan<int>(cap);
      for (int i = 0; i < cap; ++i) c.send(i);
      std::atomic<bool> sent{false};
      auto done = makeChan<Unit>();
      go([&sent, c, done] {
        c.send(0);
        sent = true;
        done.send({});
      });
      sleep(1ms);
      EXPECT_FALSE(sent) << "chan[" << cap << "]: send to full chan";
      EXPECT_EQ(select(send(c, 0), otherwise()), 1) << "chan[" << cap << "]: send to full chan";
      int v = 0;
      EXPECT_FALSE(c.trySend(v));
      (void)c.recv();
      done.recv();
      EXPECT_TRUE(sent);
    }
  });
}

// Go: TestChan, "receive 0 from closed chan": buffered values first, in order, then the zero
// value, and (0, false) from the comma-ok form.
TEST_P(ChanGoTest, TestChanReceiveZeroFromClosedChan) {
  run([&] {
    for (int cap : testChanCaps()) {
      auto c = makeChan<int>(cap);
      for (int i = 0; i < cap; ++i) c.send(i);
      c.close();
      for (int i = 0; i < cap; ++i) EXPECT_EQ(c.recv(), i) << "chan[" << cap << "]";
      EXPECT_EQ(c.recv(), 0) << "chan[" << cap << "]";
      auto [v, ok] = c.recvOk();
      EXPECT_EQ(v, 0) << "chan[" << cap << "]";
      EXPECT_FALSE(ok) << "chan[" << cap << "]";
    }
  });
}

// Go: TestChan, "close unblocks receive".
TEST_P(ChanGoTest, TestChanCloseUnblocksReceive) {
  run([&] {
    for (int cap : testChanCaps()) {
      auto c = makeChan<int>(cap);
      auto done = makeChan<bool>();
      go([c, done] {
        auto [v, ok] = c.recvOk();
        done.send(v == 0 && !ok);
      });
      sleep(1ms);
      c.close();
      EXPECT_TRUE(done.recv()) << "chan[" << cap << "]: received non zero from closed chan";
    }
  });
}

// Go: TestChan, "send 100 integers, receive them non-corrupted in FIFO order" (with both
// receive forms), then "send L integers in P goroutines, receive what we send": P receivers
// each take L values and report a histogram; every value 0..L-1 arrives exactly P times.
// Differs: a run per capacity (the deterministic scheduler's step budget is per run); L is
// 1000 in production as in Go, 40 in deterministic mode; the histograms travel as
// std::vector<int> through a channel (a non-trivial element type).
TEST_P(ChanGoTest, TestChanFifoAndManySenders) {
  const int kP = 4;
  const int kL = iters(1000, 40);
  for (int cap : testChanCaps()) {
    run([&] {
      auto c = makeChan<int>(cap);
      go([c] {
        for (int i = 0; i < 100; ++i) c.send(i);
      });
      for (int i = 0; i < 100; ++i) EXPECT_EQ(c.recv(), i) << "chan[" << cap << "]";
      go([c] {
        for (int i = 0; i < 100; ++i) c.send(i);
      });
      for (int i = 0; i < 100; ++i) {
        auto [v, ok] = c.recvOk();
        EXPECT_TRUE(ok) << "chan[" << cap << "]: receive failed, expected " << i;
        EXPECT_EQ(v, i) << "chan[" << cap << "]";
      }

      for (int p = 0; p < kP; ++p) {
        go([c, kL] {
          for (int i = 0; i < kL; ++i) c.send(i);
        });
      }
      auto done = makeChan<std::vector<int>>();
      for (int p = 0; p < kP; ++p) {
        go([c, done, kL] {
          std::vector<int> hist(static_cast<std::size_t>(kL), 0);
          for (int i = 0; i < kL; ++i) {
            const int v = c.recv();
            if (v < 0 || v >= kL) {
              ADD_FAILURE() << "received out-of-range value " << v;
              continue;
            }
            ++hist[static_cast<std::size_t>(v)];
          }
          done.send(std::move(hist));
        });
      }
      std::vector<int> total(static_cast<std::size_t>(kL), 0);
      for (int p = 0; p < kP; ++p) {
        std::vector<int> hist = done.recv();
        ASSERT_EQ(hist.size(), total.size());
        for (std::size_t k = 0; k < hist.size(); ++k) total[k] += hist[k];
      }
      for (int k = 0; k < kL; ++k) {
        EXPECT_EQ(total[static_cast<std::size_t>(k)], kP)
            << "chan[" << cap << "]: value " << k << " received a wrong number of times";
      }
    });
  }
}

// Go: TestChan, "len/cap".
TEST_P(ChanGoTest, TestChanLenCap) {
  run([&] {
    for (int cap : testChanCaps()) {
      auto c = makeChan<int>(cap);
      EXPECT_EQ(c.len(), 0u);
      EXPECT_EQ(c.cap(), static_cast<std::size_t>(cap));
      for (int i = 0; i < cap; ++i) c.send(i);
      EXPECT_EQ(c.len(), static_cast<std::size_t>(cap));
      EXPECT_EQ(c.cap(), static_cast<std::size_t>(cap));
    }
    Chan<int> nilChan;  // Go: len and cap of a nil channel are 0
    EXPECT_EQ(nilChan.len(), 0u);
    EXPECT_EQ(nilChan.cap(), 0u);
  });
}

// ---- runtime/chan_test.go: the non-blocking races ------------------------------------------

// Go: TestNonblockRecvRace. A buffered value is ready when the goroutine starts; main closes
// the channel and receives concurrently. Whatever the interleaving, the goroutine's
// non-blocking select sees the value or the close and never takes the default.
// Differs: 2000 iterations (Go: 10000, 100 with -short); the goroutine is joined.
TEST_P(ChanGoTest, TestNonblockRecvRace) {
  const int n = spawnIters(2000, 100);
  run([&] {
    auto done = makeChan<bool>(1);
    for (int i = 0; i < n; ++i) {
      auto c = makeChan<int>(1);
      c.send(1);
      go([c, done] { done.send(select(recv(c), otherwise()) == 0); });
      c.close();
      (void)c.recv();
      if (!done.recv()) {
        ADD_FAILURE() << "chan is not ready (iteration " << i << ")";
        return;
      }
    }
  });
}

// Go: TestNonblockSelectRace. From the goroutine's creation on, at least one of c1 and c2 is
// always ready, so its non-blocking select on both must never take the default: select acts on
// the channels' state at one instant, not over a smeared window.
// Differs: 5000 iterations (Go: 100000, 1000 with -short).
TEST_P(ChanGoTest, TestNonblockSelectRace) {
  const int n = spawnIters(5000, 100);
  run([&] {
    auto done = makeChan<bool>(1);
    for (int i = 0; i < n; ++i) {
      auto c1 = makeChan<int>(1), c2 = makeChan<int>(1);
      c1.send(1);
      go([c1, c2, done] { done.send(select(recv(c1), recv(c2), otherwise()) != 2); });
      c2.send(1);
      select(recv(c1), otherwise());
      if (!done.recv()) {
        ADD_FAILURE() << "no chan is ready (iteration " << i << ")";
        return;
      }
    }
  });
}

// Go: TestNonblockSelectRace2: as above with close(c2) (c2 unbuffered) in place of c2 <- 1.
TEST_P(ChanGoTest, TestNonblockSelectRace2) {
  const int n = spawnIters(5000, 100);
  run([&] {
    auto done = makeChan<bool>(1);
    for (int i = 0; i < n; ++i) {
      auto c1 = makeChan<int>(1), c2 = makeChan<int>();
      c1.send(1);
      go([c1, c2, done] { done.send(select(recv(c1), recv(c2), otherwise()) != 2); });
      c2.close();
      select(recv(c1), otherwise());
      if (!done.recv()) {
        ADD_FAILURE() << "no chan is ready (iteration " << i << ")";
        return;
      }
    }
  });
}

// ---- runtime/chan_test.go: select ------------------------------------------------------------

// Go: TestSelfSelect. Two goroutines select on sending to and receiving from the same channel
// (case order varying): no crash, no deadlock, and on an unbuffered channel a goroutine never
// receives its own value (a select's cases never match each other).
// Differs: 1000 iterations in production as in Go, 100 in deterministic mode.
TEST_P(ChanGoTest, TestSelfSelect) {
  const int n = iters(1000, 100);
  run([&] {
    for (int cap : {0, 10}) {
      WaitGroup wg;
      wg.add(2);
      auto c = makeChan<int>(cap);
      for (int p = 0; p < 2; ++p) {
        go([&wg, c, p, cap, n] {
          for (int i = 0; i < n; ++i) {
            int v = -1;
            bool received = false;
            if (p == 0 || i % 2 == 0) {
              received = select(send(c, p), recv(c, v)) == 1;
            } else {
              received = select(recv(c, v), send(c, p)) == 0;
            }
            if (received && cap == 0 && v == p) {
              ADD_FAILURE() << "self receive";
              break;
            }
          }
          wg.done();
        });
      }
      wg.wait();
    }
  });
}

// Go: TestSelectStress. Four channels (two unbuffered, capacities 2 and 3); per channel one
// goroutine sends N values and one receives N; one more goroutine sends N on each through a
// single four-way select, and one receives N from each the same way, setting a channel to nil
// once it has had its N. All of it interacts chaotically and must not deadlock.
// Differs: N = 5000 (Go: 100000, 10000 with -short); the case order of Go's two selects
// (3, 2, 0, 1 and 0, 1, 2, 3) is kept.
TEST_P(ChanGoTest, TestSelectStress) {
  const int n = iters(5000, 60);
  run([&] {
    std::array<Chan<int>, 4> c = {makeChan<int>(), makeChan<int>(), makeChan<int>(2),
                                  makeChan<int>(3)};
    WaitGroup wg;
    wg.add(10);
    for (std::size_t k = 0; k < 4; ++k) {
      go([&wg, ch = c[k], n] {
        for (int i = 0; i < n; ++i) ch.send(0);
        wg.done();
      });
      go([&wg, ch = c[k], n] {
        for (int i = 0; i < n; ++i) (void)ch.recv();
        wg.done();
      });
    }
    go([&wg, c, n] {
      std::array<int, 4> cnt{};
      std::array<Chan<int>, 4> c1 = c;
      for (int i = 0; i < 4 * n; ++i) {
        static constexpr std::array<std::size_t, 4> kOrder = {3, 2, 0, 1};
        const auto k = kOrder[static_cast<std::size_t>(
            select(send(c1[3], 0), send(c1[2], 0), send(c1[0], 0), send(c1[1], 0)))];
        if (++cnt[k] == n) c1[k] = {};
      }
      wg.done();
    });
    go([&wg, c, n] {
      std::array<int, 4> cnt{};
      std::array<Chan<int>, 4> c1 = c;
      for (int i = 0; i < 4 * n; ++i) {
        const auto k =
            static_cast<std::size_t>(select(recv(c1[0]), recv(c1[1]), recv(c1[2]), recv(c1[3])));
        if (++cnt[k] == n) c1[k] = {};
      }
      wg.done();
    });
    wg.wait();
  });
}

// Go: TestSelectFairness. c1 and c2 are full; c3 and c4 never ready. A goroutine's four-way
// select (c3, c4, c1, c2) forwards what it got; c1 and c2 must each win about half the time.
// Go accepts |cnt1/n - 1/2| <= 4.891676 / (2 sqrt(n)), a normal approximation at 1e-6.
// Differs: the check is an exact two-sided binomial test at alpha = 2.5e-7 per instance: with
// n = 10000 that fails a fair select iff |cnt1 - 5000| >= 259 (P = 2.33e-7; for comparison
// alpha = 1e-6 would be |cnt1 - 5000| >= 246, P = 9.06e-7). The four work-stealing instances
// are independent random trials, so together they fail a fair select with probability
// <= 4 * 2.5e-7 = 1e-6; the deterministic instances are fixed seeds, so they pass or fail
// reproducibly. n = 2000 in deterministic mode, a tenth under sanitizers (the threshold
// follows n).
TEST_P(ChanGoTest, TestSelectFairness) {
  const int trials = iters(10000, 2000);
  int cnt1 = 0, cnt2 = 0;
  run([&] {
    auto c1 = makeChan<std::uint8_t>(trials + 1), c2 = makeChan<std::uint8_t>(trials + 1);
    for (int i = 0; i < trials + 1; ++i) {
      c1.send(1);
      c2.send(2);
    }
    auto c3 = makeChan<std::uint8_t>(), c4 = makeChan<std::uint8_t>();
    auto out = makeChan<std::uint8_t>();
    auto done = makeChan<std::uint8_t>();
    WaitGroup wg;
    wg.add(1);
    go([&wg, c1, c2, c3, c4, out, done] {
      for (;;) {
        std::uint8_t b = 0;
        select(recv(c3, b), recv(c4, b), recv(c1, b), recv(c2, b));
        if (select(send(out, b), recv(done)) == 1) break;
      }
      wg.done();
    });
    for (int i = 0; i < trials; ++i) {
      const std::uint8_t b = out.recv();
      if (b == 1) {
        ++cnt1;
      } else if (b == 2) {
        ++cnt2;
      } else {
        ADD_FAILURE() << "unexpected value " << int{b} << " on channel";
      }
    }
    done.close();
    wg.wait();
  });
  EXPECT_EQ(cnt1 + cnt2, trials);
  const double pValue = binomialTwoSidedPValue(trials, 0.5, cnt1);
  EXPECT_GT(pValue, 2.5e-7) << "unfair select: in " << trials << " trials, results were " << cnt1
                            << ", " << cnt2;
}

// Extends TestSelectFairness to four ready cases (Go's test has two): a select over four
// always-ready buffered channels picks each with probability 1/4. Exact binomial test per
// channel at alpha = 6.25e-8, union bound over the 4 channels: a fair select fails an instance
// with probability <= 2.5e-7, the four work-stealing instances together <= 1e-6. With
// n = 20000 a channel fails iff its count is >= 333 away from 5000 (P = 5.73e-8).
TEST_P(ChanGoTest, SelectFairnessAmongFourReadyCases) {
  const int trials = iters(20000, 6000);
  std::array<int, 4> count{};
  run([&] {
    std::array<Chan<int>, 4> c = {makeChan<int>(1), makeChan<int>(1), makeChan<int>(1),
                                  makeChan<int>(1)};
    for (auto& ch : c) ch.send(0);
    for (int i = 0; i < trials; ++i) {
      const auto k =
          static_cast<std::size_t>(select(recv(c[0]), recv(c[1]), recv(c[2]), recv(c[3])));
      ++count[k];
      c[k].send(0);
    }
  });
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_GT(binomialTwoSidedPValue(trials, 0.25, count[k]), 6.25e-8)
        << "unfair select: case " << k << " chosen " << count[k] << " times in " << trials;
  }
}

// Go: TestChanSendInterface (a select sending an interface value to a full channel, once
// alone with a default and once next to a second send case, used to crash the garbage
// collector's write barrier). Re-expressed for C++ value semantics: heap-owning values
// (std::shared_ptr to a polymorphic type, std::any) given to send cases that are not chosen
// are destroyed exactly once and never reach the channel, and the one that is chosen arrives.
TEST_P(ChanGoTest, TestChanSendInterface) {
  struct Iface {
    virtual ~Iface() = default;
    virtual int kind() const = 0;
  };
  struct Mt : Iface {
    int kind() const override { return 7; }
  };
  run([] {
    auto m = std::make_shared<Mt>();
    auto c = makeChan<std::shared_ptr<Iface>>(1);
    c.send(m);
    EXPECT_EQ(select(send(c, m), otherwise()), 1);
    EXPECT_EQ(select(send(c, m), send(c, std::make_shared<Mt>()), otherwise()), 2);
    EXPECT_EQ(m.use_count(), 2) << "unchosen send cases must not keep or leak their values";
    std::shared_ptr<Iface> got = c.recv();
    EXPECT_EQ(got, m);
    EXPECT_EQ(got->kind(), 7);
    got.reset();
    EXPECT_EQ(m.use_count(), 1);

    auto a = makeChan<std::any>(1);
    a.send(std::any(m));
    EXPECT_EQ(select(send(a, std::any(m)), send(a, std::any(std::string(100, 'x'))), otherwise()),
              2);
    EXPECT_EQ(m.use_count(), 2);
    std::any any = a.recv();
    EXPECT_EQ(std::any_cast<std::shared_ptr<Mt>>(any), m);
  });
}

// Go: TestPseudoRandomSend. A receiver (yielding before each receive) takes n values that main
// sends through a two-case select (send 1 | send 0) on one channel, unbuffered and buffered:
// both values must appear more than n/10 times. Go's check, kept: a fair choice fails it with
// probability 2 * P(Binomial(100, 1/2) <= 10) = 3.1e-17.
// Differs: as in Go, main waits on a Mutex the receiver unlocks (weft's Mutex, like Go's, may
// be unlocked by another goroutine).
TEST_P(ChanGoTest, TestPseudoRandomSend) {
  const int n = 100;
  run([&] {
    for (int cap : {0, n}) {
      auto c = makeChan<int>(cap);
      std::vector<int> l(static_cast<std::size_t>(n));
      Mutex m;
      m.lock();
      go([&l, &m, c, n] {
        for (int i = 0; i < n; ++i) {
          yield();
          l[static_cast<std::size_t>(i)] = c.recv();
        }
        m.unlock();
      });
      for (int i = 0; i < n; ++i) select(send(c, 1), send(c, 0));
      m.lock();  // wait
      m.unlock();
      int n0 = 0, n1 = 0;
      for (int v : l) {
        n0 += (v + 1) % 2;
        n1 += v;
      }
      EXPECT_TRUE(n0 > n / 10 && n1 > n / 10) << "want pseudorandom, got " << n0 << " zeros and "
                                              << n1 << " ones (chan cap " << cap << ")";
    }
  });
}

// Go: TestMultiConsumer. 23 workers range over a work channel (yielding now and then to mess
// with the FIFO-ish nature of range) and forward to a result channel; a feeder sends the work,
// closes it, waits for the workers and closes the results. Count and sum must match.
// Differs: 27183 items (Go: 271828).
TEST_P(ChanGoTest, TestMultiConsumer) {
  constexpr int kNwork = 23;
  const int niter = iters(27183, 600);
  static constexpr std::array<int, 10> kPn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
  long expect = 0;
  long n = 0, s = 0;
  run([&] {
    auto q = makeChan<int>(kNwork * 3), r = makeChan<int>(kNwork * 3);
    WaitGroup wg;
    for (int i = 0; i < kNwork; ++i) {
      wg.add(1);
      go(
          [&wg, q, r](int w) {
            for (int v : q) {
              if (kPn[static_cast<std::size_t>(w) % kPn.size()] == v) yield();
              r.send(v);
            }
            wg.done();
          },
          i);
    }
    go([&expect, &wg, q, r, niter] {
      for (int i = 0; i < niter; ++i) {
        const int v = kPn[static_cast<std::size_t>(i) % kPn.size()];
        expect += v;
        q.send(v);
      }
      q.close();
      wg.wait();
      r.close();
    });
    for (int v : r) {
      ++n;
      s += v;
    }
  });
  EXPECT_EQ(n, niter);
  EXPECT_EQ(s, expect);
}

// Go: TestShrinkStackDuringBlockedSend. A sender uses a lot of stack between sends; the value
// of a blocked send lives in the sender's frame until a receiver copies it out. Differs: weft
// stacks are fixed-size and never shrink or move (there is no GC to trigger), so what remains
// is that a receiver, possibly on another worker, reads the blocked sender's value intact while
// the sender's stack has been used deeply in between.
int stackGrowthRecursive(int i) {
  volatile char pad[1024];
  for (auto& b : pad) b = static_cast<char>(i);
  if (i == 0) return pad[0];
  return stackGrowthRecursive(i - 1) + pad[512];
}

TEST_P(ChanGoTest, TestShrinkStackDuringBlockedSend) {
  const int n = 10;
  run([&] {
    auto c = makeChan<int>();
    auto done = makeChan<Unit>();
    go([c, done, n] {
      for (int i = 0; i < n; ++i) {
        c.send(i);
        EXPECT_EQ(stackGrowthRecursive(20), 210);  // 1 + 2 + ... + 20
      }
      done.send({});
    });
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(c.recv(), i) << "bad channel read";
      sleep(1ms);  // Go: let the sender use its stack and block in the next send
    }
    done.recv();
  });
}

// Go: TestSelectDuplicateChannel. Goroutine A selects on c, c (the same channel twice) and d;
// goroutine B then blocks receiving on c. Waking A through d must dequeue both of A's waiters
// from c, or the later send on c would try to wake A again instead of B.
TEST_P(ChanGoTest, TestSelectDuplicateChannel) {
  run([] {
    auto c = makeChan<int>(), d = makeChan<int>(), e = makeChan<int>();
    go([c, d, e] {  // A
      select(recv(c), recv(c), recv(d));
      e.send(9);
    });
    sleep(1ms);  // make sure A gets queued first on c
    auto bDone = makeChan<int>(1);
    // B
    go([c, bDone] { bDone.send(c.recv()); });
    sleep(1ms);  // make sure B gets queued on c before continuing
    d.send(7);   // wake A; it dequeues itself from c
    EXPECT_EQ(e.recv(), 9);
    c.send(8);  // wake B
    EXPECT_EQ(bDone.recv(), 8);
  });
}

// ---- runtime/chanbarrier_test.go -------------------------------------------------------------

// Go: TestChanSendSelectBarrier and TestChanSendBarrier. Each request starts a goroutine that
// sends a freshly allocated {resp, err} record, plainly or through a select with a never-ready
// second case, on an unbuffered channel; the requester receives it, yields, and checks that the
// error is intact. Go's point was the GC write barrier on the sender-to-receiver copy; here it
// is a heap-owning, move-only record handed from one goroutine's stack to another's.
// Differs: 10 goroutines x 300 requests (Go: 100 x 100000, 10 x 1000 with -short); Go's
// garbage []byte churn is dropped.
struct BarrierResponse {};
struct BarrierError : std::exception {};
struct BarrierAsync {
  std::unique_ptr<BarrierResponse> resp;
  std::exception_ptr err;
};

std::unique_ptr<BarrierAsync> doRequest(bool useSelect) {
  auto ch = makeChan<std::unique_ptr<BarrierAsync>>(0);
  auto done = makeChan<Unit>(0);
  auto make = [] {
    return std::make_unique<BarrierAsync>(
        BarrierAsync{nullptr, std::make_exception_ptr(BarrierError{})});
  };
  if (useSelect) {
    go([ch, done, make] { select(send(ch, make()), recv(done)); });
  } else {
    go([ch, make] { ch.send(make()); });
  }
  auto r = ch.recv();
  yield();
  return r;
}

void testChanSendBarrier(bool useSelect, int outer, int inner) {
  WaitGroup wg;
  for (int i = 0; i < outer; ++i) {
    wg.add(1);
    go([&wg, useSelect, inner] {
      for (int j = 0; j < inner; ++j) {
        auto r = doRequest(useSelect);
        bool isMyError = false;
        try {
          if (r && r->err) std::rethrow_exception(r->err);
        } catch (const BarrierError&) {
          isMyError = true;
        }
        if (!isMyError || r->resp != nullptr) {
          ADD_FAILURE() << "request " << j << " lost its error";
          break;
        }
      }
      wg.done();
    });
  }
  wg.wait();
}

TEST_P(ChanGoTest, TestChanSendSelectBarrier) {
  const int inner = spawnIters(300, 10);
  run([&] { testChanSendBarrier(true, 10, inner); });
}

TEST_P(ChanGoTest, TestChanSendBarrier) {
  const int inner = spawnIters(300, 10);
  run([&] { testChanSendBarrier(false, 10, inner); });
}

// ---- test/chan/*.go --------------------------------------------------------------------------

// Go: test/chan/doubleselect.go. A sender sends a counter through a four-way select over four
// unbuffered channels (closing all four at the end); four muxes forward to one channel; the
// receiver checks for duplicates: if two cases of one select both ran, a value would arrive
// twice. Differs: 20000 values (Go: 100000); also checks that every value arrives (Go only
// checks for duplicates).
TEST_P(ChanGoTest, DoubleSelect) {
  const int iterations = iters(20000, 300);
  std::vector<char> seen(static_cast<std::size_t>(iterations), 0);
  run([&] {
    auto c1 = makeChan<int>(), c2 = makeChan<int>(), c3 = makeChan<int>(), c4 = makeChan<int>();
    auto done = makeChan<bool>();
    auto cmux = makeChan<int>();
    go([=] {  // sender
      for (int i = 0; i < iterations; ++i) {
        select(send(c1, i), send(c2, i), send(c3, i), send(c4, i));
      }
      c4.close();
      c3.close();
      c2.close();
      c1.close();
    });
    for (const auto& in : {c1, c2, c3, c4}) {
      go([out = SendChan<int>(cmux), in = RecvChan<int>(in), done] {  // mux
        for (int v : in) out.send(v);
        done.send(true);
      });
    }
    go([done, cmux] {
      for (int i = 0; i < 4; ++i) done.recv();
      cmux.close();
    });
    for (int v : cmux) {  // recver
      if (v < 0 || v >= iterations) {
        ADD_FAILURE() << "got out-of-range value " << v;
        continue;
      }
      if (seen[static_cast<std::size_t>(v)]++ != 0) ADD_FAILURE() << "got duplicate value " << v;
    }
  });
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), iterations) << "values lost";
}

// Go: test/chan/fifo.go. AsynchFifo: a buffered channel is FIFO. SynchFifo: a daisy chain of
// goroutines, each waiting for its predecessor's token before receiving from a shared
// unbuffered channel, must receive 0..N-1 in order: a sender blocked on an unbuffered channel
// hands its values over in order to receivers that arrive in order.
TEST_P(ChanGoTest, Fifo) {
  constexpr int kN = 10;
  run([] {
    {
      auto ch = makeChan<int>(kN);
      for (int i = 0; i < kN; ++i) ch.send(i);
      for (int i = 0; i < kN; ++i) EXPECT_EQ(ch.recv(), i) << "bad receive";
    }
    {
      auto ch = makeChan<int>();
      auto in = makeChan<int>();
      auto start = in;
      for (int i = 0; i < kN; ++i) {
        auto out = makeChan<int>();
        go(
            [](RecvChan<int> ch, int val, RecvChan<int> in, SendChan<int> out) {
              (void)in.recv();
              EXPECT_EQ(ch.recv(), val);
              out.send(1);
            },
            ch, i, in, out);
        in = out;
      }
      start.send(0);
      for (int i = 0; i < kN; ++i) ch.send(i);
      (void)in.recv();
    }
  });
}

// Go: test/chan/goroutines.go. A chain of n goroutines, each doing left <- <-right; one value
// sent into the rightmost end travels to the leftmost. Differs: n = 10000 in production as in
// Go, 3000 in deterministic mode, fewer under sanitizers.
TEST_P(ChanGoTest, Goroutines) {
  const int n = spawnIters(10000, 3000);
  run([&] {
    auto leftmost = makeChan<int>();
    auto left = leftmost;
    auto right = leftmost;
    for (int i = 0; i < n; ++i) {
      right = makeChan<int>();
      go([left, right] { left.send(right.recv()); });
      left = right;
    }
    go([right] { right.send(1); });
    EXPECT_EQ(leftmost.recv(), 1);
  });
}

// Go: test/chan/nonblock.go. For unbuffered and 1-buffered channels of int32, int64, bool and
// string: a non-blocking receive on an empty channel takes the default; a non-blocking send
// retried until it succeeds reaches a receiver goroutine; a non-blocking receive retried until
// it succeeds gets a sender goroutine's value. Differs: retries yield instead of sleeping on a
// 10 us ticker; both the select-with-default and the trySend/tryRecv forms are used.
template <class T>
void nonblockRoundTrip(int buffer, T toReceiver, T fromSender) {
  auto c = makeChan<T>(buffer);
  auto sync = makeChan<bool>();
  {
    T v{};
    EXPECT_EQ(select(recv(c, v), otherwise()), 1) << "blocked sender";
    EXPECT_FALSE(c.tryRecv().has_value()) << "blocked sender";
  }

  go([c, sync, toReceiver] {
    EXPECT_EQ(c.recv(), toReceiver) << "receiver value";
    sync.send(true);
  });
  retryNonblocking("send to receiver",
                   [&] { return select(send(c, toReceiver), otherwise()) == 0; });
  sync.recv();

  go([c, sync, fromSender] {
    c.send(fromSender);
    sync.send(true);
  });
  if (buffer > 0) sync.recv();
  T got{};
  retryNonblocking("receive from sender", [&] { return select(recv(c, got), otherwise()) == 0; });
  EXPECT_EQ(got, fromSender) << "sender value";
  if (buffer == 0) sync.recv();

  // The same round trip through trySend / tryRecv.
  go([c, sync, toReceiver] {
    EXPECT_EQ(c.recv(), toReceiver) << "receiver value";
    sync.send(true);
  });
  retryNonblocking("trySend to receiver", [&] {
    T v = toReceiver;
    return c.trySend(v);
  });
  sync.recv();
  go([c, sync, fromSender] {
    c.send(fromSender);
    sync.send(true);
  });
  std::optional<T> opt;
  retryNonblocking("tryRecv from sender", [&] { return (opt = c.tryRecv()).has_value(); });
  EXPECT_EQ(opt, fromSender);
  sync.recv();
}

TEST_P(ChanGoTest, Nonblock) {
  run([] {
    for (int buffer = 0; buffer < 2; ++buffer) {
      nonblockRoundTrip<std::int32_t>(buffer, 123, 234);
      nonblockRoundTrip<std::int64_t>(buffer, 123456, 234567);
      nonblockRoundTrip<bool>(buffer, true, true);
      nonblockRoundTrip<std::string>(buffer, "hello", "hello again");
    }
  });
}

// Go: test/chan/select.go. A loop of selects with two send cases and a default, setting a
// channel to nil once sent on: it sends exactly once on each non-nil, 1-buffered channel, and
// every send case's value expression is evaluated on every select entry, nil channel or not
// (10 evaluations in all).
TEST_P(ChanGoTest, SelectEvaluatesEverySendValueOnce) {
  run([] {
    unsigned counter = 0, shift = 0;
    auto getValue = [&] {
      ++counter;
      return 1u << shift;
    };
    auto sendLoop = [&](Chan<unsigned> a, Chan<unsigned> b) {
      int i = 0;
      for (;;) {
        const int k = select(send(a, getValue()), send(b, getValue()), otherwise());
        if (k == 2) break;
        ++i;
        (k == 0 ? a : b) = {};
        ++shift;
      }
      return i;
    };
    auto a = makeChan<unsigned>(1), b = makeChan<unsigned>(1);
    EXPECT_EQ(sendLoop(a, b), 2);
    const unsigned av = a.recv(), bv = b.recv();
    EXPECT_EQ(av | bv, 3u) << "bad values " << av << " " << bv;
    EXPECT_EQ(sendLoop(a, Chan<unsigned>{}), 1);
    EXPECT_EQ(counter, 10u);
  });
}

// Go: test/chan/select2.go. 100000 selects (a receive from a sending goroutine, next to a
// never-ready dummy case), twice: the second batch must not grow the live heap by more than
// about a byte per select (Go: 1.1e5 bytes for 1e5 selects, after a GC). Differs: live heap is
// the bytes held by global operator new (replaced in this binary), read after joining the
// sender; 20000 selects; not available under sanitizers (their allocators replace new), where
// the selects still run.
TEST_P(ChanGoTest, SelectDoesNotGrowTheHeap) {
  const int n = iters(20000, 2000);
  long long growth = 0;
  run([&] {
    auto c = makeChan<int>(), dummy = makeChan<int>();
    auto batch = [&] {
      auto done = makeChan<Unit>();
      go([c, done, n] {
        for (int i = 0; i < n; ++i) c.send(1);
        done.send({});
      });
      for (int i = 0; i < n; ++i) {
        select(recv(c), recv(dummy, [] { ADD_FAILURE() << "dummy"; }));
      }
      done.recv();
    };
    batch();  // warm up
#if defined(WEFT_CHAN_GO_TEST_COUNTS_HEAP)
    const long long before = gLiveHeapBytes.load();
    batch();
    growth = gLiveHeapBytes.load() - before;
#else
    batch();
#endif
  });
#if defined(WEFT_CHAN_GO_TEST_COUNTS_HEAP)
  EXPECT_LE(growth, n) << "too much memory for " << n << " selects: " << growth << " bytes";
#else
  (void)growth;
  GTEST_SKIP() << "heap accounting needs the default allocator (sanitizer build)";
#endif
}

// Go: test/chan/select3.go: which operations block forever, which never block, which panic.
// testBlock(always, f) is exact here: f, run as main alone, must end the run with
// "all goroutines are asleep - deadlock!"; testBlock(never, f): f returns.
TEST_P(ChanGoTest, Select3BlockingAndPanics) {
  auto expectPanics = [](const char* what, auto&& f) {
    try {
      f();
      ADD_FAILURE() << what << ": did not panic";
    } catch (const Panic&) {
    }
  };
  Chan<int> nilch;
  // Sending to / receiving from a nil channel blocks.
  expectBlocksForever("nil send", [nilch] { nilch.send(7); });
  expectBlocksForever("nil receive", [nilch] { (void)nilch.recv(); });
  expectBlocksForever("nil range", [nilch] {
    for (int v : nilch) (void)v;
  });
  // Sending / receiving on a nil channel inside a select is never selected.
  expectNeverBlocks("select nil send, default", [nilch] {
    EXPECT_EQ(select(send(nilch, 7, [] { ADD_FAILURE() << "unreachable"; }), otherwise()), 1);
  });
  expectNeverBlocks("select nil receive, default", [nilch] {
    EXPECT_EQ(select(recv(nilch, [] { ADD_FAILURE() << "unreachable"; }), otherwise()), 1);
  });
  // Sending to an async channel with free buffer space never blocks.
  expectNeverBlocks("send with buffer space", [] { makeChan<int>(1).send(7); });
  // Receiving from a closed channel never blocks.
  expectNeverBlocks("receive from closed", [] {
    auto closedch = makeChan<int>();
    closedch.close();
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(closedch.recv(), 0) << "expected zero value when reading from closed channel";
      auto [x, ok] = closedch.recvOk();
      EXPECT_EQ(x, 0);
      EXPECT_FALSE(ok);
    }
  });
  // Sending to a closed channel panics (plainly, non-blocking, or in a select).
  run([&] {
    auto closedch = makeChan<int>();
    closedch.close();
    expectPanics("send to closed", [&] { closedch.send(7); });
    expectPanics("trySend to closed", [&] { closedch.trySend(7); });
    expectPanics("select send to closed, default", [&] { select(send(closedch, 7), otherwise()); });
    expectPanics("select send to closed", [&] { select(send(closedch, 7)); });
    // A send case on a closed channel panics even next to a ready receive case, when chosen;
    // the receive case may be chosen instead. Either way no value goes anywhere.
    auto ready = makeChan<int>(1);
    for (int i = 0; i < 20; ++i) {
      ready.send(1);
      try {
        if (select(send(closedch, 7), recv(ready)) == 0) ADD_FAILURE() << "sent on closed";
      } catch (const Panic& p) {
        EXPECT_EQ(p.message(), "send on closed channel");
        (void)ready.recv();
      }
    }
  });
  // Receiving from a non-ready channel always blocks.
  expectBlocksForever("receive from empty", [] { (void)makeChan<int>().recv(); });
  // Empty selects always block.
  expectBlocksForever("select {}", [] { select(); });
  // Selects with only nil channels always block.
  expectBlocksForever("select nil receive", [nilch] { select(recv(nilch)); });
  expectBlocksForever("select nil send", [nilch] { select(send(nilch, 7)); });
  expectBlocksForever("select nil send/receive", [nilch] { select(recv(nilch), send(nilch, 7)); });
  // Selects with non-ready non-nil channels always block.
  expectBlocksForever("select not ready", [] { select(recv(makeChan<int>())); });
  // Selects with default cases don't block.
  expectNeverBlocks("select default", [] { EXPECT_EQ(select(otherwise()), 0); });
  expectNeverBlocks("select nil receive, default",
                    [nilch] { EXPECT_EQ(select(recv(nilch), otherwise()), 1); });
  expectNeverBlocks("select nil send, default",
                    [nilch] { EXPECT_EQ(select(send(nilch, 7), otherwise()), 1); });
  // Selects with ready channels don't block.
  expectNeverBlocks("select ready send", [] {
    auto ch = makeChan<int>(1);
    EXPECT_EQ(select(send(ch, 7), otherwise([] { ADD_FAILURE() << "unreachable"; })), 0);
  });
  expectNeverBlocks("select ready receive", [] {
    auto ch = makeChan<int>(1);
    ch.send(7);
    EXPECT_EQ(select(recv(ch), otherwise([] { ADD_FAILURE() << "unreachable"; })), 0);
  });
  // Selects with closed channels behave like ordinary operations.
  expectNeverBlocks("select closed receive", [] {
    auto closedch = makeChan<int>();
    closedch.close();
    int x = -1;
    bool ok = true;
    EXPECT_EQ(select(recv(closedch)), 0);
    EXPECT_EQ(select(recv(closedch, x)), 0);
    EXPECT_EQ(x, 0);
    x = -1;
    EXPECT_EQ(select(recvOk(closedch, x, ok)), 0);
    EXPECT_EQ(x, 0);
    EXPECT_FALSE(ok);
  });
  // Select should not get confused if it sees itself.
  expectBlocksForever("self select", [] {
    auto c = makeChan<int>();
    select(send(c, 1), recv(c));
  });
}

// Go: test/chan/select4.go. In a select, a receive case that is not chosen must not touch its
// destination (Go: the address expression *f() is never evaluated). In C++ the destination
// reference is an argument and so is formed eagerly; what is re-expressed is that neither an
// unchosen destination nor an unchosen handler is written or run.
TEST_P(ChanGoTest, Select4UnchosenCaseDestinationUntouched) {
  run([] {
    struct {
      int a = 0;
    } x;
    int decoy = -1;
    auto c = makeChan<int>(1), c1 = makeChan<int>();
    c.send(42);
    EXPECT_EQ(select(recv(c1, decoy), recv(c, x.a)), 1);
    EXPECT_EQ(x.a, 42);
    EXPECT_EQ(decoy, -1);
    c.send(43);
    EXPECT_EQ(select(recv(c1, [](int) { ADD_FAILURE() << "BUG: called f"; }), recv(c, x.a)), 1);
    EXPECT_EQ(x.a, 43);
  });
}

// Go: test/chan/select5.go (generated): every way of phrasing one real send or receive as a select
// (a default before or after it or none; a dummy never-ready send and receive; a nil-channel
// send and receive; receiving into a variable, a handler, a comma-ok pair or a map element),
// single-goroutine on a 1-buffered channel: the real case is the one chosen, the value arrives
// intact, and every channel and value operand is evaluated exactly once. Plus Go's "nonblock"
// template: a select of never-ready cases with a default takes the default and writes no
// receive destination. Differs: C++ leaves the evaluation order of function arguments
// unspecified, so Go's left-to-right order checks (recvOrder, sendOrder) become
// "exactly once" checks.
struct Select5 {
  Chan<int> c = makeChan<int>(1);
  Chan<int> dummy = makeChan<int>();
  Chan<int> nilch;
  int n = 1;
  int evals = 0;
  const Chan<int>& fc(const Chan<int>& ch) {
    ++evals;
    return ch;
  }
  int fn(int v) {
    ++evals;
    return v;
  }
};

// Handlers of cases that must never run. One type for all of them keeps the number of distinct
// select instantiations (and the compile time) down.
struct Unreachable {
  const char* what;
  void operator()() const { ADD_FAILURE() << what; }
};
// A receive handler that would write through a null pointer (Go's `**(**int)(nil) = <-c`).
struct WritesThroughNull {
  int* null;
  void operator()(int v) const { *null = v; }
};
// The real receive case's handler.
struct StoreTo {
  int* x;
  void operator()(int v) const { *x = v; }
};
struct SetFlag {
  bool* flag;
  void operator()() const { *flag = true; }
};

template <bool B, class F>
auto optionalCase(F&& make) {
  if constexpr (B) {
    return std::make_tuple(make());
  } else {
    return std::tuple<>{};
  }
}

template <class Tuple>
int selectTuple(Tuple& cases) {
  return std::apply([](auto&... cs) { return select(cs...); }, cases);
}

// Dummy cases present per bit of Mask: 1 dummy send, 2 dummy receive, 4 nil send, 8 nil
// receive. Operand evaluations each adds.
constexpr int dummyEvals(int mask) {
  return ((mask & 1) ? 2 : 0) + ((mask & 2) ? 1 : 0) + ((mask & 4) ? 2 : 0) + ((mask & 8) ? 1 : 0);
}

template <int Mask>
auto dummyCases(Select5& t) {
  return std::tuple_cat(optionalCase<(Mask & 1) != 0>([&] {
                          return send(t.fc(t.dummy), t.fn(1), Unreachable{"dummy send"});
                        }),
                        optionalCase<(Mask & 2) != 0>(
                            [&] { return recv(t.fc(t.dummy), Unreachable{"dummy receive"}); }),
                        optionalCase<(Mask & 4) != 0>([&] {
                          return send(t.fc(t.nilch), t.fn(1), Unreachable{"nilch send"});
                        }),
                        optionalCase<(Mask & 8) != 0>(
                            [&] { return recv(t.fc(t.nilch), Unreachable{"nilch recv"}); }));
}

struct Select5Outcome {
  const char* shape;
  int real, def, mask;
  int chosen, wantChosen;
  int x, wantX;
  bool flag;  // comma-ok / handler ran; must be true
  int evals, wantEvals;
};

void checkSelect5(const Select5Outcome& o) {
  SCOPED_TRACE(::testing::Message()
               << o.shape << " real=" << o.real << " def=" << o.def << " mask=" << o.mask);
  EXPECT_EQ(o.chosen, o.wantChosen);
  EXPECT_EQ(o.x, o.wantX);
  EXPECT_TRUE(o.flag);
  EXPECT_EQ(o.evals, o.wantEvals);
}

// Def: 0 no default, 1 default first, 2 default right after the real case.
template <int Real, int Def, int Mask>
void select5Recv(Select5& t) {
  t.c.send(t.n);
  t.evals = 0;
  int x = -1;
  bool ok = Real != 2;
  std::map<int, int> m;
  auto real = [&] {
    if constexpr (Real == 0) {
      return recv(t.fc(t.c), x);
    } else if constexpr (Real == 1) {
      return recv(t.fc(t.c), StoreTo{&x});
    } else if constexpr (Real == 2) {
      return recvOk(t.fc(t.c), x, ok);
    } else {
      return recv(t.fc(t.c), m[13]);
    }
  };
  auto cases =
      std::tuple_cat(optionalCase<Def == 1>([] { return otherwise(Unreachable{"nonblock"}); }),
                     std::make_tuple(real()),
                     optionalCase<Def == 2>([] { return otherwise(Unreachable{"nonblock"}); }),
                     dummyCases<Mask>(t));
  const int chosen = selectTuple(cases);
  if constexpr (Real == 3) x = m[13];
  checkSelect5({"recv", Real, Def, Mask, chosen, Def == 1 ? 1 : 0, x, t.n, ok, t.evals,
                1 + dummyEvals(Mask)});
  ++t.n;
}

template <int Real, int Def, int Mask>
void select5Send(Select5& t) {
  t.evals = 0;
  bool ran = Real == 0;
  auto real = [&] {
    if constexpr (Real == 0) {
      return send(t.fc(t.c), t.fn(t.n));
    } else {
      return send(t.fc(t.c), t.fn(t.n), SetFlag{&ran});
    }
  };
  auto cases =
      std::tuple_cat(optionalCase<Def == 1>([] { return otherwise(Unreachable{"nonblock"}); }),
                     std::make_tuple(real()),
                     optionalCase<Def == 2>([] { return otherwise(Unreachable{"nonblock"}); }),
                     dummyCases<Mask>(t));
  const int chosen = selectTuple(cases);
  const int evals = t.evals;
  checkSelect5({"send", Real, Def, Mask, chosen, Def == 1 ? 1 : 0, t.c.recv(), t.n, ran, evals,
                2 + dummyEvals(Mask)});
  ++t.n;
}

// Go's nonblock template; bits: 1 dummy send, 2 nil send, 4 dummy receive into x, 8 dummy
// receive into a handler that would write through null, 16 nil receive into x, 32 nil receive
// into such a handler. Default first (DefFirst) or last.
template <bool DefFirst, int Mask>
void select5Nonblock(Select5& t) {
  int x = t.n;
  const WritesThroughNull bad{nullptr};
  auto cases = std::tuple_cat(optionalCase<DefFirst>([] { return otherwise(); }),
                              optionalCase<(Mask & 1) != 0>([&] { return send(t.dummy, 1); }),
                              optionalCase<(Mask & 2) != 0>([&] { return send(t.nilch, 1); }),
                              optionalCase<(Mask & 4) != 0>([&] { return recv(t.dummy, x); }),
                              optionalCase<(Mask & 8) != 0>([&] { return recv(t.dummy, bad); }),
                              optionalCase<(Mask & 16) != 0>([&] { return recv(t.nilch, x); }),
                              optionalCase<(Mask & 32) != 0>([&] { return recv(t.nilch, bad); }),
                              optionalCase<!DefFirst>([] { return otherwise(); }));
  const int chosen = selectTuple(cases);
  const int last = static_cast<int>(std::tuple_size_v<decltype(cases)>) - 1;
  checkSelect5(
      {"nonblock", 0, DefFirst ? 1 : 2, Mask, chosen, DefFirst ? 0 : last, x, t.n, true, 0, 0});
  ++t.n;
}

template <int Real, int Def, int... Masks>
void select5RecvAll(Select5& t, std::integer_sequence<int, Masks...>) {
  (select5Recv<Real, Def, Masks>(t), ...);
}
template <int Real, int Def, int... Masks>
void select5SendAll(Select5& t, std::integer_sequence<int, Masks...>) {
  (select5Send<Real, Def, Masks>(t), ...);
}
template <bool DefFirst, int... Masks>
void select5NonblockAll(Select5& t, std::integer_sequence<int, Masks...>) {
  (select5Nonblock<DefFirst, Masks>(t), ...);
}

template <int... Reals>
void select5RecvReals(Select5& t, std::integer_sequence<int, Reals...>) {
  using Masks = std::make_integer_sequence<int, 16>;
  ((select5RecvAll<Reals, 0>(t, Masks{}), select5RecvAll<Reals, 1>(t, Masks{}),
    select5RecvAll<Reals, 2>(t, Masks{})),
   ...);
}

TEST_P(ChanGoTest, Select5EveryPhrasingOfOneOperation) {
  run([] {
    Select5 t;
    using Masks = std::make_integer_sequence<int, 16>;
    select5RecvReals(t, std::make_integer_sequence<int, 4>{});
    select5SendAll<0, 0>(t, Masks{});
    select5SendAll<0, 1>(t, Masks{});
    select5SendAll<0, 2>(t, Masks{});
    select5SendAll<1, 0>(t, Masks{});
    select5SendAll<1, 1>(t, Masks{});
    select5SendAll<1, 2>(t, Masks{});
    select5NonblockAll<true>(t, std::make_integer_sequence<int, 64>{});
    select5NonblockAll<false>(t, std::make_integer_sequence<int, 64>{});
    EXPECT_EQ(t.c.len(), 0u);
  });
}

// Go: test/chan/select6.go (issue 2075). A goroutine blocked in a select on c1 and c2 and woken
// through c2 must leave c1's receive queue: both later sends on c1 must reach the two plain
// receivers (the first goroutine, and the select goroutine's own second receive), not a stale
// select waiter. Differs: repeated, to vary the interleaving.
TEST_P(ChanGoTest, Select6WokenSelectLeavesOtherQueues) {
  const int rounds = spawnIters(300, 30);
  run([&] {
    for (int r = 0; r < rounds; ++r) {
      auto c1 = makeChan<bool>(), c2 = makeChan<bool>(), c3 = makeChan<bool>();
      go([c1] { (void)c1.recv(); });
      go([c1, c2, c3] {
        select(recv(c1, [] { ADD_FAILURE() << "dummy"; }), recv(c2, [c3] { c3.send(true); }));
        (void)c1.recv();
      });
      go([c2] { c2.send(true); });
      (void)c3.recv();
      c1.send(true);
      c1.send(true);
    }
  });
}

// Go: test/chan/select7.go. Every pairing of three ways to receive (plain; a one-case select;
// a two-case select next to a never-ready channel) with three ways to send (the same three
// shapes) completes a rendezvous on an unbuffered channel.
TEST_P(ChanGoTest, Select7SendRecvShapes) {
  using Op = std::function<void(Chan<int>)>;
  const std::vector<Op> recvs = {[](Chan<int> c) { EXPECT_EQ(c.recv(), 1); },
                                 [](Chan<int> c) {
                                   int v = 0;
                                   select(recv(c, v));
                                   EXPECT_EQ(v, 1);
                                 },
                                 [](Chan<int> c) {
                                   auto c2 = makeChan<int>();
                                   int v = 0;
                                   EXPECT_EQ(select(recv(c, v), recv(c2)), 0);
                                   EXPECT_EQ(v, 1);
                                 }};
  const std::vector<Op> sends = {[](Chan<int> c) { c.send(1); },
                                 [](Chan<int> c) { select(send(c, 1)); },
                                 [](Chan<int> c) {
                                   auto c2 = makeChan<int>();
                                   EXPECT_EQ(select(send(c, 1), send(c2, 1)), 0);
                                 }};
  const int rounds = spawnIters(50, 5);
  run([&] {
    for (int r = 0; r < rounds; ++r) {
      for (const Op& rcv : recvs) {
        for (const Op& snd : sends) {
          auto c = makeChan<int>();
          auto done = makeChan<Unit>();
          go([rcv, c, done] {
            rcv(c);
            done.send({});
          });
          yield();
          snd(c);
          done.recv();
        }
      }
    }
  });
}

// Go: test/chan/select8.go. With a goroutine sending forever: a one-case receive select
// completes; a default-only select takes the default; a receive-or-default select takes either;
// and in a select of receive, send and default on that channel, the send case never runs
// (nobody receives, and a select never rendezvous with itself). Differs: Go's `break` inside a
// case is syntax; the sender is stopped through a quit channel instead of being left running.
TEST_P(ChanGoTest, Select8) {
  run([] {
    auto ch = makeChan<int>();
    auto quit = makeChan<Unit>();
    auto stopped = makeChan<Unit>();
    go([ch, quit, stopped] {
      while (select(send(ch, 5), recv(quit)) == 0) {
      }
      stopped.send({});
    });
    int v = 0;
    EXPECT_EQ(select(recv(ch, v)), 0);
    EXPECT_EQ(v, 5);
    EXPECT_EQ(select(otherwise()), 0);
    const int k = select(recv(ch), otherwise());
    EXPECT_TRUE(k == 0 || k == 1);
    for (int i = 0; i < 20; ++i) {
      EXPECT_NE(select(recv(ch), send(ch, 10), otherwise()), 1) << "unreachable";
    }
    quit.close();
    stopped.recv();
  });
}

// Go: test/chan/sendstmt.go chanchan: in `case <-cc <- 2`, the channel operand is itself a
// receive, evaluated on entering the select. Go's sendprec (operator precedence) is syntax.
TEST_P(ChanGoTest, SendStmtChanOfChan) {
  run([] {
    auto cc = makeChan<Chan<int>>(1);
    auto c = makeChan<int>(1);
    cc.send(c);
    EXPECT_EQ(select(send(cc.recv(), 2), otherwise([] { ADD_FAILURE() << "nonblock"; })), 0);
    EXPECT_EQ(c.recv(), 2) << "bad receive";
    auto b = makeChan<bool>(1);
    b.send(false || true);
    EXPECT_TRUE(b.recv()) << "sent false";
  });
}

// Helpers for goroutines that Go leaves running forever: here every blocking operation also
// watches a quit channel, so that the test can stop them (Go programs just exit).
template <class T>
bool sendOrQuit(const Chan<T>& c, T v, const Chan<Unit>& quit) {
  return select(send(c, std::move(v)), recv(quit)) == 0;
}
template <class T>
std::optional<T> recvOrQuit(const Chan<T>& c, const Chan<Unit>& quit) {
  T v{};
  if (select(recv(c, v), recv(quit)) == 0) return v;
  return std::nullopt;
}

const std::vector<int> kPrimesBelow100 = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41,
                                          43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97};

// Go: test/chan/sieve1.go: the concurrent prime sieve (a generator and a daisy chain of
// filters, one per prime found) yields the primes below 100 in order. Differs: every goroutine
// also selects on a quit channel and is joined.
TEST_P(ChanGoTest, Sieve1) {
  run([] {
    auto quit = makeChan<Unit>();
    WaitGroup wg;
    auto spawn = [&wg](auto f) {
      wg.add(1);
      go([&wg, f] {
        f();
        wg.done();
      });
    };
    auto primes = makeChan<int>();
    spawn([=] {  // Sieve
      auto ch = makeChan<int>();
      spawn([ch, quit] {  // Generate
        for (int i = 2;; ++i) {
          if (!sendOrQuit(ch, i, quit)) return;
        }
      });
      for (;;) {
        auto prime = recvOrQuit(ch, quit);
        if (!prime || !sendOrQuit(primes, *prime, quit)) return;
        auto ch1 = makeChan<int>();
        spawn([in = ch, out = ch1, p = *prime, quit] {  // Filter
          for (;;) {
            auto i = recvOrQuit(in, quit);
            if (!i) return;
            if (*i % p != 0 && !sendOrQuit(out, *i, quit)) return;
          }
        });
        ch = ch1;
      }
    });
    for (int want : kPrimesBelow100) EXPECT_EQ(primes.recv(), want);
    quit.close();
    wg.wait();
  });
}

// Go: test/chan/sieve2.go: the prime sieve with a feedback loop: a heap merges the channels of
// odd multiples of each prime into one ordered stream of composites, sifted out of the odd
// candidates; the primes found are fed back to the merger through a proxy goroutine with an
// unbounded buffer (a select whose send case is disabled with a nil channel when the buffer is
// empty). Differs: std::priority_queue and std::deque replace container/heap and
// container/ring; every goroutine also selects on a quit channel and is joined.
TEST_P(ChanGoTest, Sieve2) {
  run([] {
    auto quit = makeChan<Unit>();
    WaitGroup wg;
    auto spawn = [&wg](auto f) {
      wg.add(1);
      go([&wg, f] {
        f();
        wg.done();
      });
    };
    // A chan of odd numbers, starting from 5.
    auto odds = [&] {
      auto out = makeChan<int>(50);
      spawn([out, quit] {
        for (int n = 5; sendOrQuit(out, n, quit); n += 2) {
        }
      });
      return out;
    };
    // A chan of odd multiples of the prime p, starting from p*p.
    auto multiples = [&](int p) {
      auto out = makeChan<int>(10);
      spawn([out, p, quit] {
        for (int n = p * p; sendOrQuit(out, n, quit); n += 2 * p) {
        }
      });
      return out;
    };
    // A channel serving as a never-blocking sending proxy to `out`.
    auto sendproxy = [&](Chan<int> out) {
      auto proxy = makeChan<int>(10);
      spawn([out, proxy, quit] {
        std::deque<int> buf;
        for (;;) {
          Chan<int> c = buf.empty() ? Chan<int>{} : out;  // buffer empty: disable output
          const int e = buf.empty() ? 0 : buf.front();
          int got = 0;
          switch (select(recv(proxy, got), send(c, e), recv(quit))) {
            case 0:
              buf.push_back(got);
              break;
            case 1:
              buf.pop_front();
              break;
            default:
              return;
          }
        }
      });
      return proxy;
    };

    auto out = makeChan<int>(10);
    out.send(2);
    out.send(3);
    auto composites = makeChan<int>(50);
    auto primes = makeChan<int>(10);
    primes.send(3);

    // Merge channels of multiples of `primes` into `composites`.
    spawn([=] {
      struct PeekCh {
        int head;
        Chan<int> ch;
      };
      auto later = [](const PeekCh& a, const PeekCh& b) { return a.head > b.head; };
      std::priority_queue<PeekCh, std::vector<PeekCh>, decltype(later)> h(later);
      auto advance = [&](int& min) {
        PeekCh minchan = h.top();
        h.pop();
        min = minchan.head;
        auto next = recvOrQuit(minchan.ch, quit);
        if (!next) return false;
        minchan.head = *next;
        h.push(minchan);
        return true;
      };
      int min = 15;
      for (;;) {
        auto p = recvOrQuit(primes, quit);
        if (!p) return;
        auto m = multiples(*p);
        auto head = recvOrQuit(m, quit);
        if (!head) return;
        while (min < *head) {
          if (!sendOrQuit(composites, min, quit) || !advance(min)) return;
        }
        while (min == *head) {
          if (!advance(min)) return;
        }
        if (!sendOrQuit(composites, *head, quit)) return;
        auto next = recvOrQuit(m, quit);
        if (!next) return;
        h.push(PeekCh{*next, m});
      }
    });

    // Sieve out `composites` from `candidates`.
    spawn([=] {
      auto primesProxy = sendproxy(primes);
      auto candidates = odds();
      auto p = recvOrQuit(candidates, quit);
      if (!p) return;
      for (;;) {
        auto c = recvOrQuit(composites, quit);
        if (!c) return;
        while (*p < *c) {
          if (!sendOrQuit(primesProxy, *p, quit) || !sendOrQuit(out, *p, quit)) return;
          if (!(p = recvOrQuit(candidates, quit))) return;
        }
        if (*p == *c && !(p = recvOrQuit(candidates, quit))) return;
      }
    });

    for (int want : kPrimesBelow100) EXPECT_EQ(out.recv(), want);
    quit.close();
    wg.wait();
  });
}

// Go: test/chan/zerosize.go: channels of zero-size element types can be made, buffered or not.
// C++ has no zero-size objects; the nearest are empty types (Unit, an empty struct,
// std::array<int, 0>). Differs: also sends, receives and closes on them, and makes a large
// buffer of them.
TEST_P(ChanGoTest, ZeroSizeElements) {
  struct Empty {};
  run([] {
    auto a = makeChan<std::array<int, 0>>();
    auto b = makeChan<std::array<int, 0>>(1);
    auto c = makeChan<Empty>();
    auto d = makeChan<Empty>(1);
    auto u = makeChan<Unit>(1 << 12);
    b.send({});
    d.send({});
    (void)b.recv();
    (void)d.recv();
    for (int i = 0; i < (1 << 12); ++i) u.send({});
    EXPECT_EQ(u.len(), std::size_t{1} << 12);
    u.close();
    int n = 0;
    for (Unit x : u) {
      (void)x;
      ++n;
    }
    EXPECT_EQ(n, 1 << 12);
    go([a, c] {
      a.send({});
      c.send({});
    });
    (void)a.recv();
    (void)c.recv();
  });
}

// ---- Conservation stress (beyond Go's tests) -------------------------------------------------

// Many senders and receivers over a buffered and an unbuffered channel (capacity 0/1/16 for
// the first, 0 or 4 for the second), senders mixing plain sends, non-blocking sends retried,
// and two-way select sends; receivers mixing range-like recvOk loops, select with comma-ok,
// and select with handlers, until both channels are closed. Every value must be received
// exactly once: checked per value (a histogram) and by the sum. Receivers keep local tallies
// and hand them back through a channel, so the check itself shares no memory.
TEST_P(ChanGoTest, ConservationManySendersAndReceivers) {
  constexpr int kSenders = 6, kReceivers = 6;
  const int perSender = iters(3000, 40);
  const int total = kSenders * perSender;
  for (int cap : {0, 1, 16}) {
    SCOPED_TRACE(::testing::Message() << "cap " << cap);
    std::vector<int> hist(static_cast<std::size_t>(total), 0);
    long long sum = 0;
    run([&] {
      auto a = makeChan<int>(cap);
      auto b = makeChan<int>(cap == 0 ? 4 : 0);
      struct Tally {
        std::vector<int> hist;
        long long sum = 0;
      };
      auto results = makeChan<Tally>(kReceivers);
      WaitGroup senders;
      senders.add(kSenders);
      for (int s = 0; s < kSenders; ++s) {
        go([&senders, a, b, s, perSender] {
          for (int i = 0; i < perSender; ++i) {
            const int v = s * perSender + i;
            switch ((i + s) % 4) {
              case 0:
                a.send(v);
                break;
              case 1:
                b.send(v);
                break;
              case 2: {
                int copy = v;
                retryNonblocking("trySend", [&] { return a.trySend(copy) || b.trySend(copy); });
                break;
              }
              default:
                select(send(a, v), send(b, v));
                break;
            }
          }
          senders.done();
        });
      }
      for (int r = 0; r < kReceivers; ++r) {
        go([a, b, results, r, total] {
          Tally t{std::vector<int>(static_cast<std::size_t>(total), 0), 0};
          auto take = [&t, total](int v) {
            if (v < 0 || v >= total) {
              ADD_FAILURE() << "received out-of-range value " << v;
              return;
            }
            ++t.hist[static_cast<std::size_t>(v)];
            t.sum += v;
          };
          if (r % 3 == 2) {
            // Plain receives: drain a, then b (the select receivers serve b meanwhile).
            for (int v : a) take(v);
            for (;;) {
              auto [v, ok] = b.recvOk();
              if (!ok) break;
              take(v);
            }
          } else {
            Chan<int> ca = a, cb = b;  // a closed channel is set to nil, as in Go
            while (!ca.isNil() || !cb.isNil()) {
              int v = 0;
              bool ok = false;
              int k = 0;
              if (r % 3 == 0) {
                k = select(recvOk(ca, v, ok), recvOk(cb, v, ok));
              } else {
                auto handler = [&v, &ok](int x, bool o) {
                  v = x;
                  ok = o;
                };
                k = select(recv(ca, handler), recv(cb, handler));
              }
              if (ok) {
                take(v);
              } else {
                (k == 0 ? ca : cb) = {};
              }
            }
          }
          results.send(std::move(t));
        });
      }
      senders.wait();
      a.close();
      b.close();
      for (int r = 0; r < kReceivers; ++r) {
        Tally t = results.recv();
        for (std::size_t v = 0; v < hist.size(); ++v) hist[v] += t.hist[v];
        sum += t.sum;
      }
    });
    for (std::size_t v = 0; v < hist.size(); ++v) {
      ASSERT_EQ(hist[v], 1) << "value " << v << " received " << hist[v] << " times";
    }
    EXPECT_EQ(sum, static_cast<long long>(total) * (total - 1) / 2);
  }
}

// Conservation of move-only, heap-owning values: the same traffic shape with
// std::unique_ptr<Tracked> elements, including select send cases that lose (their value is
// destroyed, never delivered) and values still buffered when the channel is dropped. Every
// delivered id arrives exactly once and, at the end, no Tracked object is alive.
TEST_P(ChanGoTest, ConservationOfMoveOnlyValues) {
  constexpr int kSenders = 4, kReceivers = 4;
  const int perSender = iters(2000, 40);
  const int total = kSenders * perSender;
  std::vector<int> hist(static_cast<std::size_t>(total), 0);
  const long liveBefore = Tracked::live.load();
  run([&] {
    using P = std::unique_ptr<Tracked>;
    auto a = makeChan<P>(8), b = makeChan<P>();
    auto results = makeChan<std::vector<int>>(kReceivers);
    WaitGroup senders;
    senders.add(kSenders);
    for (int s = 0; s < kSenders; ++s) {
      go([&senders, a, b, s, perSender] {
        for (int i = 0; i < perSender; ++i) {
          const int v = s * perSender + i;
          if (i % 2 == 0) {
            select(send(a, std::make_unique<Tracked>(v)), send(b, std::make_unique<Tracked>(v)));
          } else {
            (i % 4 == 1 ? a : b).send(std::make_unique<Tracked>(v));
          }
        }
        senders.done();
      });
    }
    for (int r = 0; r < kReceivers; ++r) {
      go([a, b, results, total] {
        std::vector<int> mine(static_cast<std::size_t>(total), 0);
        Chan<P> ca = a, cb = b;
        while (!ca.isNil() || !cb.isNil()) {
          P p;
          bool ok = false;
          const int k = select(recvOk(ca, p, ok), recvOk(cb, p, ok));
          if (!ok) {
            (k == 0 ? ca : cb) = {};
          } else if (p == nullptr || p->id < 0 || p->id >= total) {
            ADD_FAILURE() << "received a bad value";
          } else {
            ++mine[static_cast<std::size_t>(p->id)];
          }
        }
        results.send(std::move(mine));
      });
    }
    senders.wait();
    a.close();
    b.close();
    for (int r = 0; r < kReceivers; ++r) {
      std::vector<int> mine = results.recv();
      for (std::size_t v = 0; v < hist.size(); ++v) hist[v] += mine[v];
    }
    // Values left in a buffer when the last reference to the channel goes are destroyed.
    auto leftover = makeChan<P>(4);
    leftover.send(std::make_unique<Tracked>(-1));
    leftover.send(std::make_unique<Tracked>(-2));
  });
  for (std::size_t v = 0; v < hist.size(); ++v) {
    ASSERT_EQ(hist[v], 1) << "value " << v << " received " << hist[v] << " times";
  }
  EXPECT_EQ(Tracked::live.load(), liveBefore) << "Tracked values leaked or destroyed twice";
}

WEFT_INSTANTIATE_ALL_RUNTIMES(ChanGoTest);

// ---- test/chan/perm.go (compile time) -------------------------------------------------------

// Go: test/chan/perm.go: channel direction is a compile-time property. A bidirectional channel
// converts to either direction, never back nor across; a receive-only channel has no send and
// no close; a send-only channel has no receive and cannot be ranged over.
static_assert(std::is_convertible_v<Chan<int>, RecvChan<int>>);
static_assert(std::is_convertible_v<Chan<int>, SendChan<int>>);
static_assert(!std::is_convertible_v<RecvChan<int>, Chan<int>>);
static_assert(!std::is_convertible_v<SendChan<int>, Chan<int>>);
static_assert(!std::is_convertible_v<RecvChan<int>, SendChan<int>>);
static_assert(!std::is_convertible_v<SendChan<int>, RecvChan<int>>);
template <class C>
concept CanSend = requires(C c) {
  c.send(0);
};
template <class C>
concept CanRecv = requires(C c) {
  c.recv();
  c.recvOk();
};
template <class C>
concept CanRange = requires(C c) {
  c.begin();
  c.end();
};
template <class C>
concept CanClose = requires(C c) {
  c.close();
};
static_assert(CanSend<Chan<int>> && CanRecv<Chan<int>> && CanRange<Chan<int>> &&
              CanClose<Chan<int>>);
static_assert(!CanSend<RecvChan<int>> && CanRecv<RecvChan<int>> && CanRange<RecvChan<int>> &&
              !CanClose<RecvChan<int>>);
static_assert(CanSend<SendChan<int>> && !CanRecv<SendChan<int>> && !CanRange<SendChan<int>> &&
              CanClose<SendChan<int>>);
static_assert(!CanSend<int> && !CanRecv<int> && !CanClose<int>);  // Go: <-n, n <- 2, close(n)

// Go: perm.go's select cases: `case cr <- 0` (send on receive-only) and `case x := <-cs`
// (receive from send-only) are compile errors. Checked as constraints on weft::send/recv.
template <class Ch>
constexpr bool kCanSelectSend = requires(Ch ch) {
  weft::send(ch, 0);
};
template <class Ch>
constexpr bool kCanSelectRecv = requires(Ch ch) {
  weft::recv(ch);
};

static_assert(kCanSelectSend<Chan<int>> && kCanSelectRecv<Chan<int>>);
static_assert(kCanSelectSend<SendChan<int>> && kCanSelectRecv<RecvChan<int>>);
static_assert(!kCanSelectSend<RecvChan<int>>, "send case on a receive-only channel");
static_assert(!kCanSelectRecv<SendChan<int>>, "receive case on a send-only channel");

}  // namespace
}  // namespace weft
