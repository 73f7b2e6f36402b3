// RaceDetector: a happens-before data race detector for deterministic mode, fed by the
// runtime's sim::Observer events: spawn (the go statement happens before the goroutine
// starts), release/acquire edges reported by each primitive where Go's runtime calls its race
// hooks, and checked accesses (watched cells, annotated memory, the channel-object accesses
// that make close-concurrent-with-send a race).
//
// Algorithm: FastTrack (Flanagan & Freund, "FastTrack: Efficient and Precise Dynamic Race
// Detection", PLDI 2009). Each goroutine has a vector clock; each sync object a vector clock;
// each variable its last write as an epoch (clock@goroutine) and its reads as an epoch while
// they are totally ordered, promoted to a vector clock only for concurrent reads. So the common
// cases (thread-local, lock-protected, read-shared) cost O(1).
//
// The first race of an execution is kept, with both accesses (kind, goroutine, source
// location, step) and the variable (name or creation site).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "weft/sim/events.h"

namespace weft::harness {

struct RaceAccess {
  sim::GoroutineId goroutine = 0;
  bool write = false;
  std::uint64_t step = 0;
  std::source_location where;
};

struct RaceReport {
  RaceAccess current;
  RaceAccess previous;
  std::string variable;  // "balance (cell made at bank.cc:12)"
  std::string goroutines;  // "goroutine 3 \"deposit 20\" created at bank.cc:20\n..."
  // "WARNING: DATA RACE\nWrite at balance by goroutine 3:\n  bank.cc:21 (step 12)\n..."
  std::string format() const;
  // One line: "data race on balance: write by goroutine 3 at bank.cc:21 vs read by ..."
  std::string summary() const;
};

// AddressMap: the detector's tables from object addresses to state, open addressing with
// linear probing (a lookup is a multiply, a shift and usually one probe: no modulo, no node).
// Values live in one vector and keep their own buffers when reset() empties them, because the
// executions of one body reuse the same stacks and objects, hence mostly the same addresses.
// A reference from operator[] is valid until the next insertion.
template <class V>
class AddressMap {
 public:
  V* find(const void* key) {
    if (key == nullptr) return nullIndex_ != kNone ? &values_[nullIndex_] : nullptr;
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &values_[slots_[i].index];
      if (slots_[i].key == nullptr) return nullptr;
    }
  }
  V& operator[](const void* key) {
    if (V* v = find(key)) return *v;
    return insert(key);
  }
  std::size_t size() const { return values_.size(); }
  std::vector<V>& values() { return values_; }
  void clear() {
    slots_.clear();
    values_.clear();
    nullIndex_ = kNone;
    mask_ = 0;
    shift_ = 64;
  }

 private:
  struct Slot {
    const void* key = nullptr;  // null: empty (a null key is kept in nullIndex_)
    std::uint32_t index = 0;    // into values_
  };
  static constexpr std::uint32_t kNone = ~0u;

  std::size_t home(const void* key) const {
    return static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(key) *
                                     0x9e3779b97f4a7c15ull) >> shift_);
  }
  V& insert(const void* key) {
    const auto index = static_cast<std::uint32_t>(values_.size());
    values_.emplace_back();
    if (key == nullptr) {
      nullIndex_ = index;
      return values_.back();
    }
    if (2 * (values_.size() + 1) > slots_.size()) {
      rehash(std::max<std::size_t>(16, 2 * slots_.size()));  // load factor <= 1/2
    }
    std::size_t i = home(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{key, index};
    return values_.back();
  }
  void rehash(std::size_t capacity) {  // capacity: a power of two
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - std::countr_zero(capacity);
    for (const Slot& s : old) {
      if (s.key == nullptr) continue;
      std::size_t i = home(s.key);
      while (slots_[i].key != nullptr) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::vector<V> values_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::uint32_t nullIndex_ = kNone;
};

class RaceDetector final : public sim::Observer {
 public:
  void reset();
  const std::optional<RaceReport>& race() const { return race_; }

  // The op events give the step numbers of reports; spawns start clocks; edges and accesses
  // are the detection itself.
  std::uint32_t interests() const override {
    return sim::kOpEvents | sim::kLifecycleEvents | sim::kEdgeEvents;
  }
  void onOp(const sim::OpEvent& e) override { step_ = e.step; }
  void onPreempt(sim::GoroutineId, sim::GoroutineId) override {}
  void onSpawn(sim::GoroutineId parent, sim::GoroutineId child, std::string_view name,
               const std::source_location& site) override;
  void onBlock(sim::GoroutineId, std::string_view) override {}
  void onUnblock(sim::GoroutineId, sim::GoroutineId) override {}
  void onExit(sim::GoroutineId) override {}
  void onTimeAdvance(std::int64_t) override {}
  void onRelease(sim::GoroutineId g, const void* sync) override;
  void onAcquire(sim::GoroutineId g, const void* sync) override;
  void onAccess(sim::GoroutineId g, const void* addr, bool write,
                const std::source_location* objectSite, const char* name,
                const std::source_location& where) override;

 private:
  using Clock = std::uint32_t;
  using VectorClock = std::vector<Clock>;  // indexed by goroutine id
  struct Epoch {
    sim::GoroutineId g = 0;  // 0: none
    Clock c = 0;
  };
  struct Variable {
    Epoch write;
    RaceAccess writeInfo;
    Epoch read;             // valid when !readShared
    bool readShared = false;
    VectorClock reads;      // valid when readShared
    // By goroutine id: the last read of each reader; meaningful only for the readers that
    // read or reads name (other entries may be stale, from before the last write).
    std::vector<RaceAccess> readInfo;
    // What the report calls the variable; formatted only when a race is reported (naming
    // every variable of every execution up front cost more than the detection itself).
    const void* addr = nullptr;
    const std::source_location* site = nullptr;
    const char* name = nullptr;
  };
  static std::string variableName(const Variable& v);
  struct Goroutine {
    bool known = false;  // spawned in this execution
    std::string name;
    std::source_location site;
  };

  // clock() is g's vector clock, created at clock 1 of its own component. Invariant: a
  // goroutine's clock is either empty (not seen in this execution) or longer than g with
  // c[g] >= 1, so the common case is two bounds checks.
  VectorClock& clock(sim::GoroutineId g) {
    if (g < clocks_.size()) [[likely]] {
      VectorClock& c = clocks_[g];
      if (c.size() > g) [[likely]] return c;
    }
    return newClock(g);
  }
  VectorClock& newClock(sim::GoroutineId g);
  static void join(VectorClock& into, const VectorClock& from) {
    if (into.size() < from.size()) [[unlikely]] grow(into, from.size());
    for (std::size_t i = 0; i < from.size(); ++i) into[i] = std::max(into[i], from[i]);
  }
  static void grow(VectorClock& c, std::size_t size);
  bool happensBefore(const Epoch& e, const VectorClock& now) const {
    return e.g == 0 || (e.g < now.size() && e.c <= now[e.g]);
  }
  void report(const Variable& v, const RaceAccess& current, const RaceAccess& previous);

  std::vector<VectorClock> clocks_;  // by goroutine id
  AddressMap<VectorClock> syncs_;
  AddressMap<Variable> vars_;
  std::vector<Goroutine> goroutines_;  // by goroutine id
  std::uint64_t step_ = 0;
  std::optional<RaceReport> race_;
};

}  // namespace weft::harness
