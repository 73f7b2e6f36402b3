// Atomic<T>: Go's sync/atomic for integers, bool and pointers (atomic.Int64, atomic.Bool,
// atomic.Pointer...).
//
//   weft::Atomic<std::int64_t> hits{0, "hits"};
//   hits.add(1);                                  // Go: hits.Add(1); returns the new value
//   if (flag.compareAndSwap(false, true)) ...
//
// Every operation is sequentially consistent, as Go's are, and is a visible operation (a
// scheduling point in deterministic mode). In production an operation is the std::atomic
// operation plus one relaxed load of a process-wide flag.
//
// Memory ordering (Go memory model): if the effect of an atomic operation A is observed by an
// atomic operation B, A happens before B. The race detector models a load as an acquire, a
// store as a release and a read-modify-write as both, on the variable.
#pragma once

#include <atomic>
#include <source_location>
#include <type_traits>

#include "weft/internal/sync_abi.h"

namespace weft {

template <class T>
class Atomic {
  static_assert(std::is_integral_v<T> || std::is_pointer_v<T>,
                "weft::Atomic<T>: T must be an integer, bool or pointer type");

 public:
  explicit Atomic(T initial = T{}, const char* name = nullptr,
                  std::source_location site = std::source_location::current())
      : value_(initial), id_{site, name} {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load() const {
    hook(sim::OpKind::kAtomicLoad);
    return value_.load(std::memory_order_seq_cst);
  }
  void store(T v) {
    hook(sim::OpKind::kAtomicStore);
    value_.store(v, std::memory_order_seq_cst);
  }
  // swap() stores v and returns the old value (Go: Swap).
  T swap(T v) {
    hook(sim::OpKind::kAtomicRmw);
    return value_.exchange(v, std::memory_order_seq_cst);
  }
  // compareAndSwap() stores desired iff the value is expected (Go: CompareAndSwap).
  bool compareAndSwap(T expected, T desired) {
    hook(sim::OpKind::kAtomicRmw);
    return value_.compare_exchange_strong(expected, desired, std::memory_order_seq_cst);
  }
  // add() adds delta and returns the NEW value, as Go's Add does.
  template <class U = T>
    requires(std::is_integral_v<U> && !std::is_same_v<U, bool>)
  T add(T delta) {
    hook(sim::OpKind::kAtomicRmw);
    return value_.fetch_add(delta, std::memory_order_seq_cst) + delta;
  }

  const char* name() const { return id_.name; }

 private:
  void hook(sim::OpKind kind) const {
    if (internal::hooksActive()) [[unlikely]] internal::atomicHook(kind, this, id_);
  }

  std::atomic<T> value_;
  internal::ObjectId id_;
};

}  // namespace weft
