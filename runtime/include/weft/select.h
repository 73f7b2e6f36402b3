// select: Go's select statement.
//
//   int v; bool ok;
//   switch (weft::select(weft::recv(in, v),              // case v = <-in
//                        weft::recvOk(done, x, ok),      // case x, ok = <-done
//                        weft::send(out, 42),            // case out <- 42
//                        weft::otherwise())) {           // default
//     case 0: ...; case 1: ...; case 2: ...; case 3: ...;
//   }
//
// or with handlers, run for the chosen case only:
//
//   weft::select(weft::recv(in, [&](int v) { ... }),
//                weft::recv(quit, [&](Unit, bool ok) { ... }),
//                weft::send(out, 42, [&] { ... }));
//
// select() returns the argument position of the case that ran. Semantics are Go's: it blocks
// until some case can proceed (unless otherwise() is given, which runs only when none can); if
// several can, one is chosen uniformly at random (the randomness comes from the scheduler, so it
// is recorded and replayable in deterministic mode); a case on a nil channel never proceeds; a
// send case on a closed channel panics "send on closed channel" when chosen; select() with no
// cases (or only nil channels and no otherwise) blocks forever. Every value given to a send
// case is moved into the channel only if that case is chosen.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/chan.h"
#include "weft/internal/chan_abi.h"

namespace weft {

// An empty value type for signal-only channels (Go's chan struct{}).
struct Unit {
  friend bool operator==(Unit, Unit) { return true; }
};

namespace internal {

struct NoHandler {};

template <class T, class H>
struct RecvCase {
  static constexpr bool kIsDefault = false;
  ChanCore* chan;
  T* out = nullptr;
  bool* ok = nullptr;
  H handler;
  RecvSlot<T> slot{};

  SelectCase toCase() { return SelectCase{chan, slot.raw(), false, false}; }
  void finish(const SelectCase& c) {
    slot.full = c.received;
    if constexpr (std::is_same_v<H, NoHandler>) {
      if (out != nullptr) {
        if (c.received) {
          *out = slot.take();
        } else {
          if constexpr (std::is_default_constructible_v<T>) *out = T{};
        }
      }
      if (ok != nullptr) *ok = c.received;
    } else if constexpr (std::is_invocable_v<H&, T, bool>) {
      if (c.received) {
        handler(slot.take(), true);
      } else {
        handler(T{}, false);
      }
    } else if constexpr (std::is_invocable_v<H&, T>) {
      if (c.received) {
        handler(slot.take());
      } else {
        handler(T{});
      }
    } else {
      handler();
    }
  }
};

template <class T, class H>
struct SendCase {
  static constexpr bool kIsDefault = false;
  ChanCore* chan;
  T value;
  H handler;
  SelectCase toCase() { return SelectCase{chan, &value, true, false}; }
  void finish(const SelectCase&) {
    if constexpr (!std::is_same_v<H, NoHandler>) handler();
  }
};

template <class H>
struct DefaultCase {
  static constexpr bool kIsDefault = true;
  H handler;
  void finish() {
    if constexpr (!std::is_same_v<H, NoHandler>) handler();
  }
};

template <class C>
inline constexpr bool kIsDefaultCase = std::remove_cvref_t<C>::kIsDefault;

// Channel direction, as Go's type checker enforces it in select cases (test/chan/perm.go):
// a send case needs a channel that can send, a receive case one that can receive.
template <class Ch>
concept SendableChan =
    std::is_base_of_v<SendOps<typename Ch::value_type, Ch>, std::remove_cvref_t<Ch>>;
template <class Ch>
concept ReceivableChan =
    std::is_base_of_v<RecvOps<typename Ch::value_type, Ch>, std::remove_cvref_t<Ch>>;

}  // namespace internal

// recv(ch): receive and discard. recv(ch, out): store the value (T{} if closed).
// recv(ch, handler): handler(T), handler(T, bool ok) or handler() runs if chosen.
template <internal::ReceivableChan Ch>
auto recv(const Ch& ch) {
  using T = typename Ch::value_type;
  return internal::RecvCase<T, internal::NoHandler>{ch.core(), nullptr, nullptr, {}, {}};
}
template <internal::ReceivableChan Ch, class Out>
auto recv(const Ch& ch, Out&& outOrHandler) {
  using T = typename Ch::value_type;
  if constexpr (std::is_invocable_v<Out&, T> || std::is_invocable_v<Out&, T, bool> ||
                std::is_invocable_v<Out&>) {
    return internal::RecvCase<T, std::decay_t<Out>>{ch.core(), nullptr, nullptr,
                                                    std::forward<Out>(outOrHandler), {}};
  } else {
    static_assert(std::is_same_v<Out, T&>, "weft::recv(ch, out): out must be a T& lvalue");
    return internal::RecvCase<T, internal::NoHandler>{ch.core(), &outOrHandler, nullptr, {}, {}};
  }
}
// recvOk(ch, out, ok): Go's `case out, ok = <-ch`.
template <internal::ReceivableChan Ch>
auto recvOk(const Ch& ch, typename Ch::value_type& out, bool& ok) {
  using T = typename Ch::value_type;
  return internal::RecvCase<T, internal::NoHandler>{ch.core(), &out, &ok, {}, {}};
}
// send(ch, value[, handler]): Go's `case ch <- value`.
template <internal::SendableChan Ch, class V>
auto send(const Ch& ch, V&& value) {
  using T = typename Ch::value_type;
  return internal::SendCase<T, internal::NoHandler>{ch.core(), T(std::forward<V>(value)), {}};
}
template <internal::SendableChan Ch, class V, class H>
auto send(const Ch& ch, V&& value, H&& handler) {
  using T = typename Ch::value_type;
  return internal::SendCase<T, std::decay_t<H>>{ch.core(), T(std::forward<V>(value)),
                                                std::forward<H>(handler)};
}
// otherwise([handler]): Go's `default:`.
inline auto otherwise() { return internal::DefaultCase<internal::NoHandler>{}; }
template <class H>
auto otherwise(H&& handler) {
  return internal::DefaultCase<std::decay_t<H>>{std::forward<H>(handler)};
}

// select(cases...) runs one case and returns its argument position.
template <class... Cases>
int select(Cases&&... cases) {
  constexpr std::size_t kDefaults = (std::size_t{0} + ... + (internal::kIsDefaultCase<Cases> ? 1 : 0));
  static_assert(kDefaults <= 1, "weft::select: at most one otherwise() case");
  constexpr std::size_t kChanCases = sizeof...(Cases) - kDefaults;
  constexpr std::size_t kSlots = kChanCases == 0 ? 1 : kChanCases;

  std::array<internal::SelectCase, kSlots> raw{};
  std::array<int, kSlots> argIndex{};
  std::array<std::uint16_t, 2 * kSlots> scratch{};
  int defaultArg = -1;
  {
    std::size_t k = 0;
    int arg = 0;
    [[maybe_unused]] auto add = [&](auto& c) {
      if constexpr (std::remove_cvref_t<decltype(c)>::kIsDefault) {
        defaultArg = arg;
      } else {
        raw[k] = c.toCase();
        argIndex[k] = arg;
        ++k;
      }
      ++arg;
    };
    (add(cases), ...);
  }
  const int chosen = internal::selectGo(raw.data(), kChanCases, kDefaults == 0, scratch.data());
  const int chosenArg = chosen < 0 ? defaultArg : argIndex[static_cast<std::size_t>(chosen)];
  {
    int arg = 0;
    [[maybe_unused]] auto finish = [&](auto& c) {
      if (arg == chosenArg) {
        if constexpr (std::remove_cvref_t<decltype(c)>::kIsDefault) {
          c.finish();
        } else {
          c.finish(raw[static_cast<std::size_t>(chosen)]);
        }
      }
      ++arg;
    };
    (finish(cases), ...);
  }
  return chosenArg;
}

}  // namespace weft
