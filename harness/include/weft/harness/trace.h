// Trace: a sim::Observer that records one execution for its report. Objects are named by kind
// and order of first appearance ("chan#2"), never by address, and goroutines by id, so that
// the same schedule gives a byte-identical trace in every run. Recording happens only when the
// explorer replays a failing schedule (exploration itself runs with a Fingerprint, which only
// hashes), so it is built for clarity rather than speed.
#pragma once

#include <cstdint>
#include <map>
#include <source_location>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/sim/events.h"

namespace weft::harness {

struct TraceEvent {
  enum class Kind : std::uint8_t { kOp, kPreempt, kSpawn, kBlock, kUnblock, kExit, kTime };
  Kind kind;
  std::uint64_t step;         // op events: their 1-based op number; others: the last op's
  sim::GoroutineId goroutine;
  std::string text;           // "send chan#1", "blocked: chan receive", "go g3", ...
};

class Trace : public sim::Observer {
 public:
  std::uint32_t interests() const override {
    return sim::kOpEvents | sim::kLifecycleEvents | sim::kScheduleEvents;
  }
  void onOp(const sim::OpEvent& e) override;
  void onPreempt(sim::GoroutineId g, sim::GoroutineId next) override;
  void onSpawn(sim::GoroutineId parent, sim::GoroutineId child, std::string_view name,
               const std::source_location& site) override;
  void onBlock(sim::GoroutineId g, std::string_view reason) override;
  void onUnblock(sim::GoroutineId g, sim::GoroutineId by) override;
  void onExit(sim::GoroutineId g) override;
  void onTimeAdvance(std::int64_t nanos) override;

  const std::vector<TraceEvent>& events() const { return events_; }
  std::uint64_t ops() const { return ops_; }
  std::uint64_t preemptions() const { return preemptions_; }
  std::size_t goroutines() const { return goroutines_.size(); }

  // table(): one column per goroutine, one row per event (a list when there are too many
  // goroutines for a table), then the legend of objects and goroutines.
  std::string table() const;
  // text(): one line per event; the byte-identity checked by determinism tests.
  std::string text() const;
  std::uint64_t hash() const;
  std::string json() const;

 private:
  struct GoroutineRow {
    std::string name;
    std::string site;
  };
  const std::string& objectName(const sim::OpEvent& e);

  std::vector<TraceEvent> events_;
  std::uint64_t ops_ = 0;
  std::uint64_t preemptions_ = 0;
  std::int64_t startNanos_ = -1;
  std::map<sim::GoroutineId, GoroutineRow> goroutines_;
  std::unordered_map<const void*, std::string> objectNames_;
  std::vector<std::pair<std::string, std::string>> objectLegend_;  // name, creation site
  std::map<std::string, int> kindCounters_;
};

// Fingerprint: a cheap observer that hashes the sequence of events (who did what kind of
// operation, who blocked and woke) for nondeterminism checks during exploration.
class Fingerprint : public sim::Observer {
 public:
  std::uint32_t interests() const override {
    return sim::kOpEvents | sim::kLifecycleEvents | sim::kScheduleEvents;
  }
  void onOp(const sim::OpEvent& e) override { mix(1, e.goroutine, static_cast<int>(e.kind)); }
  void onPreempt(sim::GoroutineId g, sim::GoroutineId next) override { mix(2, g, next); }
  void onSpawn(sim::GoroutineId p, sim::GoroutineId c, std::string_view,
               const std::source_location&) override {
    mix(3, p, c);
  }
  void onBlock(sim::GoroutineId g, std::string_view reason) override {
    mix(4, g, reason.size());
  }
  void onUnblock(sim::GoroutineId g, sim::GoroutineId by) override { mix(5, g, by); }
  void onExit(sim::GoroutineId g) override { mix(6, g, 0); }
  void onTimeAdvance(std::int64_t nanos) override {
    mix(7, static_cast<std::uint64_t>(nanos), 0);
  }
  std::uint64_t value() const { return h_; }
  void reset() { h_ = 1469598103934665603ull; }

 private:
  void mix(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    for (std::uint64_t v : {a, b, c}) {
      h_ ^= v;
      h_ *= 1099511628211ull;
    }
  }
  std::uint64_t h_ = 1469598103934665603ull;
};

}  // namespace weft::harness
