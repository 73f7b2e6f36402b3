// Chan<T>: Go's channel. Defines:
//   Chan<T>      a reference to a channel (copies share it, like Go); default-constructed is nil
//   SendChan<T>  send-only view (Go: chan<- T), converts implicitly from Chan<T>
//   RecvChan<T>  receive-only view (Go: <-chan T), converts implicitly from Chan<T>
//   makeChan<T>(cap)  Go's make(chan T, cap)
//
//   auto ch = weft::makeChan<int>(10);
//   weft::go([ch]() mutable { for (int i = 0; i < 3; ++i) ch.send(i); ch.close(); });
//   for (int v : ch) use(v);                 // Go: for v := range ch
//   auto [v, ok] = ch.recvOk();              // Go: v, ok := <-ch
//
// Semantics are Go's: sends block until a receiver takes the value (unbuffered) or there is
// buffer room; receives block until a value is available or the channel is closed (then they
// return T{} and ok == false once the buffer is drained); operations on a nil channel block
// forever; close wakes every blocked receiver and makes blocked senders panic. T may be
// move-only; recv() of a closed channel needs T to be default-constructible (Go's zero value).
//
// Panics (weft::Panic, Go's texts): "send on closed channel", "close of closed channel",
// "close of nil channel", "makechan: size out of range".
//
// Memory ordering (Go memory model): a send happens before the corresponding receive
// completes; closing happens before a receive that returns because the channel is closed; the
// k-th receive on a channel of capacity C happens before the (k+C)-th send completes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <source_location>
#include <type_traits>
#include <utility>

#include "weft/internal/chan_abi.h"

namespace weft {

template <class T>
class Chan;
template <class T>
class SendChan;
template <class T>
class RecvChan;

template <class T>
struct RecvResult {
  T value;
  bool ok;  // false: the channel is closed and drained (value is T{})
};

namespace internal {
// ChanRef: the shared reference-counted handle under all three channel types.
class ChanRef {
 public:
  ChanRef() = default;
  explicit ChanRef(ChanCore* c) : c_(c) {}  // adopts one reference
  ChanRef(const ChanRef& o) : c_(o.c_) {
    if (c_ != nullptr) chanRetain(c_);
  }
  ChanRef(ChanRef&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  ChanRef& operator=(ChanRef o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~ChanRef() {
    if (c_ != nullptr) chanRelease(c_);
  }
  ChanCore* core() const { return c_; }

 private:
  ChanCore* c_ = nullptr;
};

// Raw storage for one received T; destroys the value if one was constructed and not taken.
template <class T>
struct RecvSlot {
  alignas(T) unsigned char bytes[sizeof(T)];
  bool full = false;
  void* raw() { return bytes; }
  T take() {
    T* p = std::launder(reinterpret_cast<T*>(bytes));
    T v = std::move(*p);
    p->~T();
    full = false;
    return v;
  }
  ~RecvSlot() {
    if (full) std::launder(reinterpret_cast<T*>(bytes))->~T();
  }
};

// SendOps/RecvOps: the operations of each direction, mixed into the views (CRTP: Self is the
// view, which exposes core()).
template <class T, class Self>
class SendOps {
 public:
  // send() blocks until the value is delivered or buffered. Panics if the channel is closed
  // (also when it is closed while send is blocked). Blocks forever on a nil channel.
  void send(T v, std::source_location where = std::source_location::current()) const {
    chanSend(chanOf(), &v, true, where);
  }
  // trySend() is select { case ch <- v: ... default: }: true if sent without blocking. On
  // false, v is left untouched.
  bool trySend(T& v) const { return chanSend(chanOf(), &v, false); }
  bool trySend(T&& v) const { return chanSend(chanOf(), &v, false); }

 private:
  ChanCore* chanOf() const { return static_cast<const Self&>(*this).core(); }
};

template <class T, class Self>
class RecvOps {
 public:
  // recv() blocks until a value arrives; on a closed, drained channel returns T{}.
  T recv() const
    requires std::is_default_constructible_v<T>
  {
    RecvSlot<T> s;
    if (chanRecv(chanOf(), s.raw(), true) == RecvStatus::kReceived) {
      s.full = true;
      return s.take();
    }
    return T{};
  }
  // recvOk() is Go's `v, ok := <-ch`.
  RecvResult<T> recvOk() const
    requires std::is_default_constructible_v<T>
  {
    RecvSlot<T> s;
    if (chanRecv(chanOf(), s.raw(), true) == RecvStatus::kReceived) {
      s.full = true;
      return {s.take(), true};
    }
    return {T{}, false};
  }
  // recvOpt() is recvOk() for any T: nullopt means closed and drained.
  std::optional<T> recvOpt() const {
    RecvSlot<T> s;
    if (chanRecv(chanOf(), s.raw(), true) == RecvStatus::kReceived) {
      s.full = true;
      return s.take();
    }
    return std::nullopt;
  }
  // tryRecv() never blocks: a value, or nullopt if none is ready or the channel is closed and
  // drained (to tell those apart, select with recvOk(ch, v, ok) and otherwise()).
  std::optional<T> tryRecv() const {
    RecvSlot<T> s;
    if (chanRecv(chanOf(), s.raw(), false) == RecvStatus::kReceived) {
      s.full = true;
      return s.take();
    }
    return std::nullopt;
  }

  // Range: `for (T v : ch)` receives until the channel is closed and drained.
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(ChanCore* c) : c_(c) { advance(); }
    T& operator*() { return *cur_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(std::default_sentinel_t) const { return !cur_.has_value(); }

   private:
    void advance() {
      RecvSlot<T> s;
      cur_.reset();
      if (chanRecv(c_, s.raw(), true) == RecvStatus::kReceived) {
        s.full = true;
        cur_.emplace(s.take());
      }
    }
    ChanCore* c_ = nullptr;
    std::optional<T> cur_;
  };
  iterator begin() const { return iterator(chanOf()); }
  std::default_sentinel_t end() const { return {}; }

 private:
  ChanCore* chanOf() const { return static_cast<const Self&>(*this).core(); }
};
}  // namespace internal

// Common to all three views.
template <class T>
class ChanBase {
 public:
  // len() and cap() are Go's len(ch) and cap(ch); 0 for a nil channel.
  std::size_t len() const { return internal::chanLen(ref_.core()); }
  std::size_t cap() const { return internal::chanCap(ref_.core()); }
  bool isNil() const { return ref_.core() == nullptr; }
  explicit operator bool() const { return !isNil(); }
  friend bool operator==(const ChanBase& a, const ChanBase& b) {
    return a.ref_.core() == b.ref_.core();
  }
  internal::ChanCore* core() const { return ref_.core(); }

 protected:
  ChanBase() = default;
  explicit ChanBase(internal::ChanRef r) : ref_(std::move(r)) {}
  internal::ChanRef ref_;
};

template <class T>
class Chan : public ChanBase<T>,
             public internal::SendOps<T, Chan<T>>,
             public internal::RecvOps<T, Chan<T>> {
 public:
  using value_type = T;
  Chan() = default;  // nil
  explicit Chan(internal::ChanRef r) : ChanBase<T>(std::move(r)) {}
  // close() is Go's close(ch). Panics on a nil or already closed channel.
  void close(std::source_location where = std::source_location::current()) const {
    internal::chanClose(this->ref_.core(), where);
  }
};

template <class T>
class SendChan : public ChanBase<T>, public internal::SendOps<T, SendChan<T>> {
 public:
  using value_type = T;
  SendChan() = default;
  SendChan(const Chan<T>& c) : ChanBase<T>(c) {}  // NOLINT: implicit, like Go's conversion
  // Go allows closing a send-only channel.
  void close(std::source_location where = std::source_location::current()) const {
    internal::chanClose(this->ref_.core(), where);
  }
};

template <class T>
class RecvChan : public ChanBase<T>, public internal::RecvOps<T, RecvChan<T>> {
 public:
  using value_type = T;
  RecvChan() = default;
  RecvChan(const Chan<T>& c) : ChanBase<T>(c) {}  // NOLINT: implicit, like Go's conversion
};

// makeChan<T>(capacity) is Go's make(chan T, capacity). Panics "makechan: size out of range"
// for a negative capacity.
template <class T>
Chan<T> makeChan(std::int64_t capacity = 0,
                 std::source_location site = std::source_location::current()) {
  return Chan<T>(internal::ChanRef(internal::chanMake(internal::kElemOps<T>, capacity, site)));
}

}  // namespace weft
