// FiberContext, the one machine-dependent seam (context/jump.h picks the switch routine): values
// live across switches survive, a fiber starts on a correctly aligned stack, data and control
// pass both ways, a finished context can be prepared again on the same stack, and exceptions
// thrown and caught inside a fiber unwind its frames. Runs in every build preset, the
// sanitizers' included.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "context/fiber_context.h"
#include "context/stack.h"

namespace weft::internal {
namespace {

constexpr std::size_t kStackSize = 64 * 1024;

// A host thread's context and one fiber, switched by hand the way the schedulers do.
struct Harness {
  FiberContext host;
  FiberContext fiber;
  StackPool pool{kStackSize};
  Stack stack = pool.acquire();
  Harness() { host.initForThread(); }
  ~Harness() { pool.release(stack); }
  void start(FiberContext::Entry entry, void* arg) {
    fiber.prepare(stack.low, stack.size, entry, arg);
  }
};

// Many values live across each switch: the compiler keeps them in callee-saved registers (or
// spills them), so a switch that lost one of rbx, rbp, r12-r15 (or their counterparts) shows
// up as a wrong sum.
struct PingPong {
  Harness* h;
  int rounds;
  std::uint64_t fiberSum = 0;
};

[[gnu::noinline]] std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return a * 0x9e3779b97f4a7c15ull + (b ^ (b >> 7));
}

// Six integers and a double, stirred once per step: kept in locals by the caller of step()
// (inlined), so they live in registers across the switch that follows each step.
struct Stirred {
  std::uint64_t a, b, c, d, e, f;
  double x;
  void step() {
    a = mix(a, b);
    b = mix(b, c);
    c = mix(c, d);
    d = mix(d, e);
    e = mix(e, f);
    f = mix(f, a);
    x = x * 1.5 + 1.0;
  }
  std::uint64_t sum() const { return a ^ b ^ c ^ d ^ e ^ f ^ static_cast<std::uint64_t>(x); }
};

Stirred stirredAfter(Stirred s, int steps) {
  for (int i = 0; i < steps; ++i) s.step();
  return s;
}

void pingPongEntry(void* arg) {
  auto& p = *static_cast<PingPong*>(arg);
  Stirred s{1, 2, 3, 4, 5, 6, 0.5};
  for (int i = 0; i < p.rounds; ++i) {
    s.step();
    FiberContext::switchTo(p.h->fiber, p.h->host);
  }
  p.fiberSum = s.sum();
  FiberContext::switchToFinal(p.h->fiber, p.h->host);
}

TEST(FiberContextTest, ValuesLiveAcrossSwitchesSurviveOnBothSides) {
  Harness h;
  PingPong p{&h, 50, 0};
  h.start(&pingPongEntry, &p);
  Stirred s{11, 12, 13, 14, 15, 16, 0.5};
  for (int i = 0; i <= p.rounds; ++i) {  // the last switch in lets the fiber finish
    s.step();
    FiberContext::switchTo(h.host, h.fiber);
  }
  EXPECT_EQ(s.sum(), stirredAfter({11, 12, 13, 14, 15, 16, 0.5}, p.rounds + 1).sum());
  EXPECT_EQ(p.fiberSum, stirredAfter({1, 2, 3, 4, 5, 6, 0.5}, p.rounds).sum());
}

// The ABI promises a 16-byte aligned stack at every call; the compiler relies on it for
// alignas(16) locals (and aligned SSE spills) without realigning.
struct Alignment {
  Harness* h;
  std::uintptr_t atEntry = 1;
  std::uintptr_t nested = 1;
};

[[gnu::noinline]] std::uintptr_t localMisalignment() {
  alignas(16) volatile char buf[16] = {};
  return reinterpret_cast<std::uintptr_t>(&buf[0]) % 16;
}

void alignmentEntry(void* arg) {
  auto& a = *static_cast<Alignment*>(arg);
  alignas(16) volatile char buf[16] = {};
  a.atEntry = reinterpret_cast<std::uintptr_t>(&buf[0]) % 16;
  a.nested = localMisalignment();
  FiberContext::switchToFinal(a.h->fiber, a.h->host);
}

TEST(FiberContextTest, AFiberStartsOnAnAlignedStack) {
  Harness h;
  Alignment a{&h, 1, 1};
  h.start(&alignmentEntry, &a);
  FiberContext::switchTo(h.host, h.fiber);
  EXPECT_EQ(a.atEntry, 0u);
  EXPECT_EQ(a.nested, 0u);
}

// Three fibers in a ring: each resumes the next, and the order of their steps is the ring's.
struct Ring {
  FiberContext host;
  FiberContext fibers[3];
  std::vector<int> order;
  int rounds = 4;
};
struct RingMember {
  Ring* ring;
  int index;
};

void ringEntry(void* arg) {
  auto& m = *static_cast<RingMember*>(arg);
  Ring& r = *m.ring;
  for (int i = 0; i < r.rounds; ++i) {
    r.order.push_back(m.index);
    FiberContext& next = m.index == 2 ? r.host : r.fibers[m.index + 1];
    FiberContext::switchTo(r.fibers[m.index], next);
  }
  FiberContext::switchToFinal(r.fibers[m.index], m.index == 2 ? r.host : r.fibers[m.index + 1]);
}

TEST(FiberContextTest, ControlPassesAroundARingOfFibers) {
  Ring r;
  r.host.initForThread();
  StackPool pool(kStackSize);
  Stack stacks[3] = {pool.acquire(), pool.acquire(), pool.acquire()};
  RingMember members[3] = {{&r, 0}, {&r, 1}, {&r, 2}};
  for (int i = 0; i < 3; ++i) {
    r.fibers[i].prepare(stacks[i].low, stacks[i].size, &ringEntry, &members[i]);
  }
  for (int i = 0; i <= r.rounds; ++i) FiberContext::switchTo(r.host, r.fibers[0]);
  std::vector<int> expected;
  for (int i = 0; i < r.rounds; ++i) expected.insert(expected.end(), {0, 1, 2});
  EXPECT_EQ(r.order, expected);
  for (Stack& s : stacks) pool.release(s);
}

// A finished fiber's context and stack serve the next fiber (the runtime's record pool does
// this for every goroutine).
struct Counter {
  Harness* h;
  int runs = 0;
};

void countEntry(void* arg) {
  auto& c = *static_cast<Counter*>(arg);
  ++c.runs;
  FiberContext::switchTo(c.h->fiber, c.h->host);
  ++c.runs;
  FiberContext::switchToFinal(c.h->fiber, c.h->host);
}

TEST(FiberContextTest, AFinishedContextIsPreparedAgainOnTheSameStack) {
  Harness h;
  Counter c{&h, 0};
  for (int i = 0; i < 100; ++i) {
    h.start(&countEntry, &c);
    FiberContext::switchTo(h.host, h.fiber);
    FiberContext::switchTo(h.host, h.fiber);
  }
  EXPECT_EQ(c.runs, 200);
}

// An exception thrown deep inside a fiber unwinds its frames to a handler on the same fiber,
// across a switch made in between.
struct Thrower {
  Harness* h;
  std::string caught;
};

[[gnu::noinline]] void throwAfterSwitch(Thrower& t, int depth) {
  if (depth == 0) {
    FiberContext::switchTo(t.h->fiber, t.h->host);
    throw std::runtime_error("from the fiber");
  }
  throwAfterSwitch(t, depth - 1);
}

void throwEntry(void* arg) {
  auto& t = *static_cast<Thrower*>(arg);
  try {
    throwAfterSwitch(t, 8);
  } catch (const std::runtime_error& e) {
    t.caught = e.what();
  }
  FiberContext::switchToFinal(t.h->fiber, t.h->host);
}

TEST(FiberContextTest, ExceptionsUnwindInsideAFiber) {
  Harness h;
  Thrower t{&h, {}};
  h.start(&throwEntry, &t);
  FiberContext::switchTo(h.host, h.fiber);
  EXPECT_EQ(t.caught, "");
  FiberContext::switchTo(h.host, h.fiber);
  EXPECT_EQ(t.caught, "from the fiber");
}

}  // namespace
}  // namespace weft::internal
