// Go 1.19's context tests (context/context_test.go) re-expressed for weft, so that a Go user
// can rely on the same behaviour. Every test runs under every runtime configuration: the
// deterministic scheduler (3 seeds, virtual time: deadlines are exact and cost nothing) and the
// production work-stealing scheduler at 1, 2, 4 and 8 workers (real time: only lower bounds).
//
// What differs from Go throughout:
//   - Go's tests look inside the implementation (parent.(*cancelCtx).children). weft's internals
//     differ, so linkage is observed from outside instead: a child is created under a value node
//     that carries a token, so the token is freed exactly when the child's node is; after the
//     test drops its own handles (the context and its cancel function), the token is alive iff
//     the parent still references the child. See Watched below.
//   - Go's otherContext (a user type embedding a Context, which hides the cancelCtx from
//     propagation) has no counterpart: weft::Context is a concrete type. The nearest thing, a
//     non-cancelable layer between parent and child, is a withValue() context; it is used
//     where Go uses otherContext.
//   - Go's String() texts, allocation counts, custom Context implementations and nil parents
//     do not apply.
//   - Go's "quiescent" guard timers (fail if nothing happens within the test deadline) are
//     dropped: if done() is never closed, every goroutine is asleep and weft reports a deadlock
//     (FatalError) in both schedulers, so the test still fails.
//   - Go tests discard cancel functions; here every one is called at the end (Go's `defer
//     stop()`): without a garbage collector, a never-canceled child stays linked to its
//     never-canceled parent for good (context.h says to call cancel, as Go's vet does).
#include <algorithm>
#include <any>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "fixtures.h"
#include "weft/weft.h"

namespace weft {
namespace {

using testing::WithRuntime;
using namespace std::chrono_literals;

constexpr Duration kShortDuration = 1ms;       // Go: shortDuration
constexpr Duration kVeryLongDuration = 1000h;  // Go: veryLongDuration

const int kProbeKey = 0;
const int kKey = 0;

class ContextGoTest : public WithRuntime {
 protected:
  // Elapsed time: exactly `want` in deterministic mode, at least `want` in production.
  void expectElapsed(Duration got, Duration want, const std::string& what = "") const {
    if (deterministic()) {
      EXPECT_EQ(got, want) << what;
    } else {
      EXPECT_GE(got, want) << what;
    }
  }
};

// Go's `select { case <-c.Done(): return true; default: return false }`.
bool isDone(const Context& c) { return select(recv(c.done()), otherwise()) == 0; }

// A child whose node's lifetime can be watched: withCancel (or withTimeout) over a value node
// holding a token, so the token lives exactly as long as the child's node. release() drops the
// test's own references; then alive() says whether anything else (the parent) still holds it.
struct Watched {
  Context ctx;
  CancelFunc cancel;
  std::weak_ptr<int> token;

  void release() {
    ctx = Context();
    cancel = nullptr;
  }
  bool alive() const { return !token.expired(); }
};

Watched watched(const Context& parent, std::optional<Duration> timeout = std::nullopt) {
  auto token = std::make_shared<int>(0);
  Watched w;
  w.token = token;
  Context holder = withValue(parent, &kProbeKey, std::move(token));
  auto [ctx, cancel] = timeout ? withTimeout(holder, *timeout) : withCancel(holder);
  w.ctx = ctx;
  w.cancel = cancel;
  return w;
}

// Go: TestBackground, TestTODO. Never canceled: Done is nil (a receive blocks), Err is nil, no
// deadline, no values; a default-constructed Context is Background. Not ported: String().
TEST_P(ContextGoTest, BackgroundAndTodo) {
  run([] {
    for (const Context& c : {background(), todo(), Context()}) {
      EXPECT_TRUE(c.done().isNil());
      EXPECT_FALSE(isDone(c)) << "<-c.Done() should block";
      EXPECT_FALSE(c.err());
      EXPECT_FALSE(c.deadline().has_value());
      EXPECT_EQ(c.value(&kKey), nullptr);
    }
  });
}

// Go: TestWithCancel. c1 = WithCancel(Background), o wraps c1 (here: a value layer), c2 =
// WithCancel(o). Before cancel: Done non-nil and open, Err nil. cancel() propagates
// synchronously: every Done is closed and every Err is Canceled. Beyond Go's test: Done returns
// the same channel every time, and cancel is idempotent.
TEST_P(ContextGoTest, WithCancel) {
  run([] {
    auto [c1, cancel] = withCancel(background());
    Context o = withValue(c1, &kKey, 1);
    auto [c2, cancel2] = withCancel(o);
    const std::vector<Context> contexts = {c1, o, c2};
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const Context& c = contexts[i];
      EXPECT_FALSE(c.done().isNil()) << "c[" << i << "].Done() == nil";
      EXPECT_TRUE(c.done() == c.done()) << "c[" << i << "].Done() changes";
      EXPECT_FALSE(c.err()) << "c[" << i << "].Err() == " << c.err().message();
      EXPECT_FALSE(isDone(c)) << "<-c[" << i << "].Done() should block";
    }
    cancel();  // should propagate synchronously
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const Context& c = contexts[i];
      EXPECT_TRUE(isDone(c)) << "<-c[" << i << "].Done() blocked, but shouldn't have";
      EXPECT_EQ(c.err(), ContextError::canceled) << "c[" << i << "]";
      EXPECT_EQ(c.err().message(), "context canceled");
    }
    cancel();  // idempotent
    cancel2();
    EXPECT_EQ(c2.err(), ContextError::canceled);
  });
}

// Go: TestParentFinishesChild. Tree: parent -> cancelChild; parent -> valueChild -> timerChild.
// Nothing is done before; after canceling the parent all four are done with Canceled, and a
// value child made afterwards is done at once. Go's linkage checks (pc.children holds both
// cancelable children; cancel empties it) become: children whose handles were dropped without
// being canceled are kept alive by the parent, and released by the parent's cancel.
TEST_P(ContextGoTest, ParentFinishesChild) {
  run([] {
    auto [parent, cancel] = withCancel(background());
    auto [cancelChild, stop1] = withCancel(parent);
    Context valueChild = withValue(parent, &kKey, std::string("value"));
    auto [timerChild, stop2] = withTimeout(valueChild, kVeryLongDuration);

    for (const Context* c : {&parent, &cancelChild, &valueChild, &timerChild}) {
      EXPECT_FALSE(isDone(*c)) << "should block";
    }

    Watched linkedCancel = watched(parent);
    Watched linkedTimer = watched(valueChild, kVeryLongDuration);
    linkedCancel.release();
    linkedTimer.release();
    EXPECT_TRUE(linkedCancel.alive()) << "bad linkage: the parent does not hold its child";
    EXPECT_TRUE(linkedTimer.alive()) << "bad linkage: the parent does not hold its timer child";

    cancel();

    EXPECT_FALSE(linkedCancel.alive()) << "cancel didn't clear the parent's children";
    EXPECT_FALSE(linkedTimer.alive()) << "cancel didn't clear the parent's children";
    const std::pair<const char*, const Context*> all[] = {{"parent", &parent},
                                                          {"cancelChild", &cancelChild},
                                                          {"valueChild", &valueChild},
                                                          {"timerChild", &timerChild}};
    for (const auto& [name, c] : all) {
      EXPECT_TRUE(isDone(*c)) << "<-" << name << ".Done() blocked, but shouldn't have";
      EXPECT_EQ(c->err(), ContextError::canceled) << name;
    }

    // A context derived from a canceled parent is canceled from the start.
    Context precanceledChild = withValue(parent, &kKey, std::string("value"));
    EXPECT_TRUE(isDone(precanceledChild));
    EXPECT_EQ(precanceledChild.err(), ContextError::canceled);
    stop1();
    stop2();
  });
}

// Go: TestChildFinishesFirst. For a Background parent and a cancelable parent: canceling the
// child closes its Done with Canceled and leaves the parent alone; the canceled child is
// removed from the parent. Go's linkage checks become: an uncanceled child whose handles are
// dropped is kept alive by a cancelable parent but not by Background (Go: parentCancelCtx is
// false for Background); a canceled child is not kept by either.
TEST_P(ContextGoTest, ChildFinishesFirst) {
  run([] {
    auto [cancelable, stop] = withCancel(background());
    for (const Context& parent : {background(), cancelable}) {
      const bool parentCancelable = !parent.done().isNil();

      Watched dropped = watched(parent);
      dropped.release();
      EXPECT_EQ(dropped.alive(), parentCancelable) << "bad linkage";

      Watched child = watched(parent);
      EXPECT_FALSE(isDone(parent)) << "<-parent.Done() should block";
      EXPECT_FALSE(isDone(child.ctx)) << "<-child.Done() should block";

      child.cancel();

      EXPECT_TRUE(isDone(child.ctx)) << "<-child.Done() blocked, but shouldn't have";
      EXPECT_EQ(child.ctx.err(), ContextError::canceled);
      EXPECT_FALSE(isDone(parent)) << "<-parent.Done() should block";
      EXPECT_FALSE(parent.err()) << "parent.Err() == " << parent.err().message();

      child.release();
      EXPECT_FALSE(child.alive()) << "child's cancel didn't remove self from the parent";
    }
    stop();
  });
}

// Go: TestDeadline. WithDeadline(now+shortDuration) ends with DeadlineExceeded; also through a
// non-cancelable layer (Go: otherContext); a child with a much later deadline under such a
// layer inherits the earlier one; a deadline in the past or right now is exceeded at once
// (synchronously, in WithDeadline itself). Deterministic mode: Done is closed at exactly the
// deadline; production: not before it.
TEST_P(ContextGoTest, Deadline) {
  run([&] {
    std::vector<CancelFunc> cancels;
    auto testDeadline = [&](const Context& c, const std::string& name, TimePoint deadline) {
      c.done().recv();
      expectElapsed(Clock::now() - deadline, Duration(0), name + ": done before the deadline");
      EXPECT_EQ(c.err(), ContextError::deadlineExceeded) << name;
      EXPECT_EQ(c.err().message(), "context deadline exceeded") << name;
    };
    {
      const TimePoint d = Clock::now() + kShortDuration;
      auto [c, cancel] = withDeadline(background(), d);
      cancels.push_back(cancel);
      EXPECT_EQ(c.deadline(), std::optional(d));
      testDeadline(c, "WithDeadline", d);
    }
    {
      const TimePoint d = Clock::now() + kShortDuration;
      auto [c, cancel] = withDeadline(background(), d);
      cancels.push_back(cancel);
      Context o = withValue(c, &kKey, 1);
      EXPECT_EQ(o.deadline(), std::optional(d));
      testDeadline(o, "WithDeadline+otherContext", d);
    }
    {
      const TimePoint d = Clock::now() + kShortDuration;
      auto [c, cancel] = withDeadline(background(), d);
      cancels.push_back(cancel);
      Context o = withValue(c, &kKey, 1);
      auto [c2, cancel2] = withDeadline(o, Clock::now() + kVeryLongDuration);
      cancels.push_back(cancel2);
      EXPECT_EQ(c2.deadline(), std::optional(d)) << "the earlier deadline governs";
      testDeadline(c2, "WithDeadline+otherContext+WithDeadline", d);
    }
    for (Duration offset : {-kShortDuration, Duration(0)}) {
      const std::string name = offset < Duration(0) ? "WithDeadline+inthepast" : "WithDeadline+now";
      auto [c, cancel] = withDeadline(background(), Clock::now() + offset);
      cancels.push_back(cancel);
      EXPECT_TRUE(isDone(c)) << name << ": not exceeded at once";
      EXPECT_EQ(c.err(), ContextError::deadlineExceeded) << name;
    }
    for (auto& cancel : cancels) cancel();
  });
}

// Go: TestTimeout. As TestDeadline with WithTimeout(shortDuration): directly, through a
// non-cancelable layer, and under a much longer WithTimeout through such a layer.
TEST_P(ContextGoTest, Timeout) {
  run([&] {
    std::vector<CancelFunc> cancels;
    auto testTimeout = [&](const Context& c, const std::string& name, TimePoint start) {
      c.done().recv();
      expectElapsed(Clock::now() - start, kShortDuration, name);
      EXPECT_EQ(c.err(), ContextError::deadlineExceeded) << name;
    };
    {
      const TimePoint start = Clock::now();
      auto [c, cancel] = withTimeout(background(), kShortDuration);
      cancels.push_back(cancel);
      ASSERT_TRUE(c.deadline().has_value());
      expectElapsed(*c.deadline() - start, kShortDuration, "Deadline() of WithTimeout");
      testTimeout(c, "WithTimeout", start);
    }
    {
      const TimePoint start = Clock::now();
      auto [c, cancel] = withTimeout(background(), kShortDuration);
      cancels.push_back(cancel);
      testTimeout(withValue(c, &kKey, 1), "WithTimeout+otherContext", start);
    }
    {
      const TimePoint start = Clock::now();
      auto [c, cancel] = withTimeout(background(), kShortDuration);
      cancels.push_back(cancel);
      auto [c2, cancel2] = withTimeout(withValue(c, &kKey, 1), kVeryLongDuration);
      cancels.push_back(cancel2);
      testTimeout(c2, "WithTimeout+otherContext+WithTimeout", start);
    }
    for (auto& cancel : cancels) cancel();
  });
}

// Go: TestCanceledTimeout. WithTimeout(o, veryLong) under a 1s timeout through a non-cancelable
// layer: its cancel propagates synchronously and Err is Canceled, not DeadlineExceeded. Beyond
// Go's test: the parent is unaffected.
TEST_P(ContextGoTest, CanceledTimeout) {
  run([] {
    auto [c, stop] = withTimeout(background(), 1s);
    Context o = withValue(c, &kKey, 1);
    auto [c2, cancel] = withTimeout(o, kVeryLongDuration);
    cancel();  // should propagate synchronously
    EXPECT_TRUE(isDone(c2)) << "<-c.Done() blocked, but shouldn't have";
    EXPECT_EQ(c2.err(), ContextError::canceled);
    EXPECT_FALSE(isDone(c));
    EXPECT_FALSE(c.err());
    stop();
  });
}

// Go: TestValues. Value looks the key up through the ancestors, the nearest binding wins, other
// keys are not confused with it. Go's keys k1 = key1(1), k2 = key2(1) (same int, different
// type) and k3 = key2(3) are distinct keys; weft's keys are addresses, so three distinct
// objects. The WithValue(c3, k1, nil) part of Go's test is ValuesNilValueShadowsAncestor.
const int k1 = 1, k2 = 1, k3 = 3;

std::string valueString(const Context& c, const void* key) {
  const std::any* v = c.value(key);
  if (v == nullptr) return "";
  const std::string* s = std::any_cast<std::string>(v);
  return s == nullptr ? "" : *s;
}

void checkValues(const Context& c, const std::string& nm, const std::string& v1,
                 const std::string& v2, const std::string& v3) {
  EXPECT_EQ(valueString(c, &k1), v1) << nm << ".Value(k1)";
  EXPECT_EQ(valueString(c, &k2), v2) << nm << ".Value(k2)";
  EXPECT_EQ(valueString(c, &k3), v3) << nm << ".Value(k3)";
}

TEST_P(ContextGoTest, Values) {
  run([] {
    Context c0 = background();
    checkValues(c0, "c0", "", "", "");
    Context c1 = withValue(background(), &k1, std::string("c1k1"));
    checkValues(c1, "c1", "c1k1", "", "");
    Context c2 = withValue(c1, &k2, std::string("c2k2"));
    checkValues(c2, "c2", "c1k1", "c2k2", "");
    Context c3 = withValue(c2, &k3, std::string("c3k3"));
    checkValues(c3, "c3", "c1k1", "c2k2", "c3k3");

    // Go's o0..o2 (the same through otherContext): through a cancelable layer instead.
    auto [o1, cancel] = withCancel(withValue(background(), &k1, std::string("c1k1")));
    checkValues(o1, "o1", "c1k1", "", "");
    Context o2 = withValue(o1, &k2, std::string("o2k2"));
    checkValues(o2, "o2", "c1k1", "o2k2", "");
    // A nearer binding of the same key wins.
    Context c5 = withValue(c3, &k1, std::string("c5k1"));
    checkValues(c5, "c5", "c5k1", "c2k2", "c3k3");
    // Values are still there once the context is canceled.
    cancel();
    checkValues(o2, "o2 (canceled)", "c1k1", "o2k2", "");
  });
}

// Go: TestValues, the nil part: c4 := WithValue(c3, k1, nil) makes c4.Value(k1) nil, hiding
// c1's "c1k1"; o4 := WithValue(o3, k3, nil) likewise hides "c3k3". weft's nil value is an empty
// std::any, and value() should return null (or the empty any) for it.
TEST_P(ContextGoTest, ValuesNilValueShadowsAncestor) {
  run([] {
    Context c1 = withValue(background(), &k1, std::string("c1k1"));
    Context c2 = withValue(c1, &k2, std::string("c2k2"));
    Context c3 = withValue(c2, &k3, std::string("c3k3"));
    Context c4 = withValue(c3, &k1, std::any{});
    checkValues(c4, "c4", "", "c2k2", "c3k3");
    const std::any* v = c4.value(&k1);
    EXPECT_TRUE(v == nullptr || !v->has_value()) << "c4.Value(k1) is not nil";
    Context o4 = withValue(c4, &k3, std::any{});
    checkValues(o4, "o4", "", "c2k2", "");
  });
}

// Go: TestWithValueChecksKey: WithValue with a nil key panics "nil key" (Go also rejects
// non-comparable keys; every weft key, an address, is comparable).
TEST_P(ContextGoTest, WithValueNilKeyPanics) {
  run([] {
    try {
      withValue(background(), nullptr, std::string("bar"));
      ADD_FAILURE() << "expected panic";
    } catch (const Panic& p) {
      EXPECT_EQ(p.message(), "nil key");
    }
  });
}

// Go: TestSimultaneousCancels. A tree of about 100 contexts (each node with four children,
// breadth first); every cancel function runs in its own goroutine, started in a random order;
// every Done must close, and every cancel must return. The random orders come from the
// scheduler (seeded, replayable in deterministic mode) where Go uses map iteration order.
TEST_P(ContextGoTest, SimultaneousCancels) {
  run([] {
    std::vector<std::pair<Context, CancelFunc>> m;
    m.push_back(withCancel(background()));
    for (std::size_t q = 0; q < m.size() && m.size() < 100; ++q) {
      for (int i = 0; i < 4; ++i) m.push_back(withCancel(m[q].first));
    }
    auto shuffled = [&] {
      std::vector<std::size_t> order(m.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (std::size_t k = order.size(); k > 1; --k)
        std::swap(order[k - 1], order[randomU64() % k]);
      return order;
    };
    WaitGroup wg;
    wg.add(static_cast<int>(m.size()));
    for (std::size_t i : shuffled()) {
      go(
          [&wg](CancelFunc cancel) {
            cancel();
            wg.done();
          },
          m[i].second);
    }
    for (std::size_t i : shuffled()) {
      m[i].first.done().recv();  // a context never canceled would be a deadlock
      EXPECT_EQ(m[i].first.err(), ContextError::canceled);
    }
    wg.wait();  // every cancel function returned
  });
}

// Go: TestInterlockedCancels. A goroutine cancels the child when it sees the parent done;
// canceling the parent (which also cancels the child itself) must not deadlock with it.
// Differs: the goroutine is joined.
TEST_P(ContextGoTest, InterlockedCancels) {
  run([] {
    auto [parent, cancelParent] = withCancel(background());
    auto [child, cancelChild] = withCancel(parent);
    auto exited = makeChan<Unit>(1);
    go([parent = parent, cancelChild = cancelChild, exited] {
      parent.done().recv();
      cancelChild();
      exited.send({});
    });
    cancelParent();
    child.done().recv();
    EXPECT_EQ(child.err(), ContextError::canceled);
    exited.recv();
  });
}

// Go: testLayers (TestLayersCancel, TestLayersTimeout). At least 30 random layers of WithValue,
// WithCancel and WithTimeout (with at least one of each): every value stays visible through all
// layers, before and after the end; canceling a random cancelable layer cancels the bottom
// context synchronously; with short timeouts the bottom context times out (deterministic mode:
// exactly shortDuration after the layers were built, which takes no virtual time). The
// randomness is the scheduler's (Go seeds with the time and logs the seed).
class ContextLayersTest : public ContextGoTest {
 protected:
  void testLayers(bool testTimeout) {
    run([&] {
      std::vector<std::unique_ptr<int>> vals;
      std::vector<CancelFunc> cancels;
      int numTimers = 0;
      Context ctx = background();
      const TimePoint start = Clock::now();
      for (int i = 0; i < 30 || numTimers == 0 || cancels.empty() || vals.empty(); ++i) {
        switch (randomU64() % 3) {
          case 0: {
            vals.push_back(std::make_unique<int>(i));
            int* v = vals.back().get();
            ctx = withValue(ctx, v, v);
            break;
          }
          case 1: {
            auto [c, cancel] = withCancel(ctx);
            ctx = c;
            cancels.push_back(cancel);
            break;
          }
          default: {
            auto [c, cancel] = withTimeout(ctx, testTimeout ? kShortDuration : kVeryLongDuration);
            ctx = c;
            cancels.push_back(cancel);
            ++numTimers;
            break;
          }
        }
      }
      auto checkValues = [&](const char* when) {
        for (const auto& key : vals) {
          const std::any* v = ctx.value(key.get());
          ASSERT_NE(v, nullptr) << when;
          EXPECT_EQ(std::any_cast<int*>(*v), key.get()) << when;
        }
      };
      if (!testTimeout) {
        EXPECT_FALSE(isDone(ctx)) << "ctx should not be canceled yet";
      }
      checkValues("before cancel");
      if (testTimeout) {
        ctx.done().recv();
        expectElapsed(Clock::now() - start, kShortDuration, "timed out");
        EXPECT_EQ(ctx.err(), ContextError::deadlineExceeded);
        checkValues("after timeout");
      } else {
        cancels[randomU64() % cancels.size()]();
        EXPECT_TRUE(isDone(ctx)) << "ctx should be canceled";
        EXPECT_EQ(ctx.err(), ContextError::canceled);
        checkValues("after cancel");
      }
      for (auto& cancel : cancels) cancel();
    });
  }
};

TEST_P(ContextLayersTest, LayersCancel) { testLayers(false); }
TEST_P(ContextLayersTest, LayersTimeout) { testLayers(true); }

// Go: TestCancelRemoves. Canceling a WithCancel child, and a WithTimeout(60 min) child, removes
// it from its parent (Go: len(children) goes 0 -> 1 -> 0). Observed from outside (see the top
// of the file): once the test has dropped the child's handles, nothing keeps it alive. Beyond
// Go's test, the control case: a child whose handles are dropped WITHOUT calling cancel stays
// referenced by the parent until the parent is canceled (Go documents that as a leak, which is
// why vet insists on calling cancel).
TEST_P(ContextGoTest, CancelRemovesChildFromParent) {
  run([] {
    for (std::optional<Duration> timeout :
         {std::optional<Duration>(), std::optional<Duration>(60min)}) {
      const char* kind = timeout ? "WithTimeout" : "WithCancel";
      auto [ctx, stop] = withCancel(background());

      Watched child = watched(ctx, timeout);
      EXPECT_TRUE(child.alive());
      child.cancel();
      child.release();
      EXPECT_FALSE(child.alive()) << "after canceling " << kind << " child";

      Watched uncanceled = watched(ctx, timeout);
      uncanceled.release();
      EXPECT_TRUE(uncanceled.alive()) << "an uncanceled " << kind << " child was dropped";
      stop();
      EXPECT_FALSE(uncanceled.alive()) << "the parent's cancel kept its " << kind << " child";
      EXPECT_EQ(ctx.err(), ContextError::canceled);
    }
  });
}

// Go: TestWithCancelCanceledParent. A child of a canceled parent is done immediately upon
// construction with Canceled. Beyond Go's test: the same for WithTimeout and WithDeadline
// children, with Canceled even for a deadline already in the past (Go's WithDeadline runs
// propagateCancel, which cancels the child with the parent's error, before it checks whether
// the deadline has passed).
TEST_P(ContextGoTest, WithCancelCanceledParent) {
  run([] {
    auto [parent, pcancel] = withCancel(background());
    pcancel();
    auto [c, cancel] = withCancel(parent);
    EXPECT_TRUE(isDone(c)) << "child not done immediately upon construction";
    EXPECT_EQ(c.err(), ContextError::canceled);
    auto [t, cancelT] = withTimeout(parent, 1h);
    EXPECT_TRUE(isDone(t));
    EXPECT_EQ(t.err(), ContextError::canceled);
    auto [d, cancelD] = withDeadline(parent, Clock::now() - 1ms);
    EXPECT_TRUE(isDone(d));
    EXPECT_EQ(d.err(), ContextError::canceled);
    cancel();
    cancelT();
    cancelD();
  });
}

// Go's error values: Canceled.Error() == "context canceled", DeadlineExceeded.Error() ==
// "context deadline exceeded"; in weft they are std::error_code values of the "context"
// category that compare equal to ContextError enumerators. (Go's
// TestDeadlineExceededSupportsTimeout, DeadlineExceeded.Timeout() == true, has no counterpart.)
TEST_P(ContextGoTest, ErrTexts) {
  run([] {
    const std::error_code canceled = ContextError::canceled;
    const std::error_code exceeded = ContextError::deadlineExceeded;
    EXPECT_EQ(canceled.message(), "context canceled");
    EXPECT_EQ(exceeded.message(), "context deadline exceeded");
    EXPECT_STREQ(canceled.category().name(), "context");
    EXPECT_NE(canceled, exceeded);
    EXPECT_TRUE(canceled);

    auto [c, cancel] = withCancel(background());
    EXPECT_FALSE(c.err()) << "Err is nil before cancel";
    cancel();
    EXPECT_EQ(c.err(), canceled);
    EXPECT_EQ(c.err().message(), "context canceled");

    auto [d, cancelD] = withTimeout(background(), kShortDuration);
    d.done().recv();
    EXPECT_EQ(d.err(), exceeded);
    EXPECT_EQ(d.err().message(), "context deadline exceeded");
    cancelD();
    EXPECT_EQ(d.err(), exceeded) << "cancel after the deadline changed Err";
  });
}

// A ten-minute timeout around work that never finishes. In deterministic mode the wait is
// virtual: the select returns through ctx.done() exactly ten minutes of virtual time later,
// with DeadlineExceeded, and the test takes microseconds of real time (checked as: less real
// time passed than virtual time, by a factor of millions in practice). In production waiting
// ten minutes is not an option: the context must not be done after a moment (a lower bound:
// it must not fire early), and cancel ends it with Canceled. Not a Go test.
TEST_P(ContextGoTest, TenMinuteTimeoutIsInstantInDeterministicMode) {
  run([&] {
    const auto wallStart = std::chrono::steady_clock::now();
    const TimePoint t0 = Clock::now();
    auto [ctx, cancel] = withTimeout(background(), 10min);
    ASSERT_TRUE(ctx.deadline().has_value());
    expectElapsed(*ctx.deadline() - t0, 10min, "Deadline()");
    auto never = makeChan<int>();
    if (deterministic()) {
      int v = 0;
      EXPECT_EQ(select(recv(never, v), recv(ctx.done())), 1);
      EXPECT_EQ(Clock::now() - t0, 10min);
      EXPECT_EQ(ctx.err(), ContextError::deadlineExceeded);
      EXPECT_LT(std::chrono::steady_clock::now() - wallStart, Clock::now() - t0)
          << "virtual time did not run ahead of the wall clock";
    } else {
      sleep(1ms);
      EXPECT_FALSE(isDone(ctx)) << "a ten-minute timeout fired after a millisecond";
      go([cancel = cancel] { cancel(); });
      int v = 0;
      EXPECT_EQ(select(recv(never, v), recv(ctx.done())), 1);
      EXPECT_EQ(ctx.err(), ContextError::canceled);
    }
    cancel();
  });
}

WEFT_INSTANTIATE_ALL_RUNTIMES(ContextGoTest);
WEFT_INSTANTIATE_ALL_RUNTIMES(ContextLayersTest);

}  // namespace
}  // namespace weft
