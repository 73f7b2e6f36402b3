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

#include <cstdint>
#include <optional>
#include <source_location>
#include <string>
#include <unordered_map>
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
    std::vector<RaceAccess> readInfo;  // by goroutine id: the last read of each reader
    // What the report calls the variable; formatted only when a race is reported (naming
    // every variable of every execution up front cost more than the detection itself).
    const void* addr = nullptr;
    const std::source_location* site = nullptr;
    const char* name = nullptr;
  };
  static std::string variableName(const Variable& v);
  struct Goroutine {
    std::string name;
    std::source_location site;
  };

  VectorClock& clock(sim::GoroutineId g);
  static void join(VectorClock& into, const VectorClock& from);
  bool happensBefore(const Epoch& e, const VectorClock& now) const {
    return e.g == 0 || (e.g < now.size() && e.c <= now[e.g]);
  }
  void report(const Variable& v, const RaceAccess& current, const RaceAccess& previous);

  std::vector<VectorClock> clocks_;  // by goroutine id
  std::unordered_map<const void*, VectorClock> syncs_;
  std::unordered_map<const void*, Variable> vars_;
  std::unordered_map<sim::GoroutineId, Goroutine> goroutines_;
  std::uint64_t step_ = 0;
  std::optional<RaceReport> race_;
};

}  // namespace weft::harness
