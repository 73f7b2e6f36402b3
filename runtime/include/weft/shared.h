// Shared<T>: a watched shared variable, weft's counterpart of a plain variable that goroutines
// share (usually under a lock, sometimes by mistake without one).
//
//   weft::Shared<int> balance{100, "balance"};
//   balance.store(balance.load() + 10);   // two visible operations: a lost update is explorable
//
// In production a Shared<T> is exactly a T (load/store are plain accesses). In deterministic
// mode every load and store is a scheduling point, so the explorer can interleave other
// goroutines between a read and the write that depends on it (lost updates, atomicity
// violations), and the race detector (issue #4) sees each access. It is NOT a synchronization
// primitive: protect it with a Mutex, a channel or an atomic as you would the plain variable.
#pragma once

#include <source_location>
#include <string>
#include <utility>

#include "weft/internal/sanitizers.h"

namespace weft {

namespace internal {
void cellAccess(const void* cell, bool write, const std::source_location* site, const char* name,
                const std::source_location& where);
// In deterministic mode weft's own detector checks every access to a cell; ThreadSanitizer
// (which would see the same racy accesses and stop the process) is told to look away from the
// value itself. In production TSan checks cells like any other memory.
#if WEFT_TSAN
void cellValueBegin();
void cellValueEnd();
#else
inline void cellValueBegin() {}
inline void cellValueEnd() {}
#endif
struct CellValueScope {
  CellValueScope() { cellValueBegin(); }
  ~CellValueScope() { cellValueEnd(); }
  CellValueScope(const CellValueScope&) = delete;
  CellValueScope& operator=(const CellValueScope&) = delete;
};
}  // namespace internal

template <class T>
class Shared {
 public:
  explicit Shared(T initial = T{}, const char* name = nullptr,
                  std::source_location site = std::source_location::current())
      : value_(std::move(initial)), name_(name), site_(site) {}
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  // load() reads the value (a scheduling point in deterministic mode, and a checked read for
  // the race detector).
  T load(std::source_location where = std::source_location::current()) const {
    internal::cellAccess(this, false, &site_, name_, where);
    internal::CellValueScope checkedByWeft;
    return value_;
  }
  // store() writes the value (a scheduling point, and a checked write).
  void store(T v, std::source_location where = std::source_location::current()) {
    internal::cellAccess(this, true, &site_, name_, where);
    internal::CellValueScope checkedByWeft;
    value_ = std::move(v);
  }
  const char* name() const { return name_; }
  const std::source_location& site() const { return site_; }

 private:
  T value_;
  const char* name_;
  std::source_location site_;
};

}  // namespace weft
