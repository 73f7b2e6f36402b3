#include "weft/harness/race_detector.h"

#include <fmt/format.h>

#include <algorithm>

namespace weft::harness {

namespace {
std::string shortSite(const std::source_location& s) {
  if (s.line() == 0) return "?";
  std::string_view f = s.file_name();
  if (auto slash = f.rfind('/'); slash != std::string_view::npos) f = f.substr(slash + 1);
  return fmt::format("{}:{}", f, s.line());
}
}  // namespace

void RaceDetector::reset() {
  // Executions of one body reuse the same stacks and objects, hence mostly the same
  // addresses: keep the tables' entries and vectors and only empty them, so that an execution
  // allocates nothing for objects an earlier one already saw. (Bounded: past kKeep entries,
  // a table is released for real.)
  constexpr std::size_t kKeep = 4096;
  for (auto& c : clocks_) c.clear();
  if (syncs_.size() > kKeep) {
    syncs_.clear();
  } else {
    for (auto& c : syncs_.values()) c.clear();
  }
  if (vars_.size() > kKeep) {
    vars_.clear();
  } else {
    for (Variable& v : vars_.values()) {
      v.write = v.read = Epoch{};
      v.readShared = false;
      v.reads.clear();
      v.addr = nullptr;  // readInfo: stale but never consulted, as after a write
    }
  }
  for (Goroutine& g : goroutines_) g.known = false;
  step_ = 0;
  race_.reset();
}

RaceDetector::VectorClock& RaceDetector::newClock(sim::GoroutineId g) {
  if (g >= clocks_.size()) clocks_.resize(g + 1);
  VectorClock& c = clocks_[g];
  if (c.size() <= g) c.resize(g + 1, 0);
  if (c[g] == 0) c[g] = 1;  // every goroutine starts at clock 1 of its own component
  return c;
}

void RaceDetector::grow(VectorClock& c, std::size_t size) { c.resize(size, 0); }

void RaceDetector::onSpawn(sim::GoroutineId parent, sim::GoroutineId child, std::string_view name,
                           const std::source_location& site) {
  if (child >= goroutines_.size()) goroutines_.resize(child + 1);
  Goroutine& record = goroutines_[child];
  record.known = true;
  record.name.assign(name);  // keeps the string's buffer from earlier executions
  record.site = site;
  clock(std::max(parent, child));  // size clocks_ first: the references below must stay valid
  VectorClock& c = clock(child);
  if (parent != 0) {
    // The go statement happens before the goroutine's execution begins.
    VectorClock& p = clock(parent);
    join(c, p);
    p[parent]++;
  }
}

void RaceDetector::onRelease(sim::GoroutineId g, const void* sync) {
  VectorClock& c = clock(g);
  join(syncs_[sync], c);
  c[g]++;
}

void RaceDetector::onAcquire(sim::GoroutineId g, const void* sync) {
  if (const VectorClock* s = syncs_.find(sync)) join(clock(g), *s);
}

void RaceDetector::onAccess(sim::GoroutineId g, const void* addr, bool write,
                            const std::source_location* objectSite, const char* name,
                            const std::source_location& where) {
  if (race_) return;  // the first race is the report; later ones are usually its echoes
  VectorClock& now = clock(g);
  Variable& v = vars_[addr];
  if (v.addr == nullptr) {
    v.addr = addr;
    v.site = objectSite;
    v.name = name;
  }
  const Epoch me{g, now[g]};
  const RaceAccess access{g, write, step_, where};

  if (!write) {
    if (!v.readShared && v.read.g == g && v.read.c == me.c) return;  // same epoch
    if (!happensBefore(v.write, now)) return report(v, access, v.writeInfo);
    if (!v.readShared) {
      if (happensBefore(v.read, now)) {
        v.read = me;  // reads still totally ordered
      } else {
        v.readShared = true;  // concurrent reads: promote to a vector clock
        v.reads.assign(std::max<std::size_t>(v.read.g, g) + 1, 0);
        v.reads[v.read.g] = v.read.c;
        v.reads[g] = me.c;
      }
    } else {
      if (v.reads.size() <= g) v.reads.resize(g + 1, 0);
      v.reads[g] = me.c;
    }
    if (v.readInfo.size() <= g) v.readInfo.resize(g + 1);
    v.readInfo[g] = access;
    return;
  }

  if (v.write.g == g && v.write.c == me.c) return;  // same epoch
  if (!happensBefore(v.write, now)) return report(v, access, v.writeInfo);
  if (!v.readShared) {
    if (!happensBefore(v.read, now)) return report(v, access, v.readInfo[v.read.g]);
  } else {
    for (std::size_t u = 0; u < v.reads.size(); ++u) {
      if (v.reads[u] > (u < now.size() ? now[u] : 0)) {
        return report(v, access, v.readInfo[u]);
      }
    }
  }
  // The write supersedes every read. readInfo keeps its (stale) entries and size: an entry is
  // only consulted for a reader that read or reads name, so no resize on every next read.
  v.readShared = false;
  v.reads.clear();
  v.read = Epoch{};
  v.write = me;
  v.writeInfo = access;
}

std::string RaceDetector::variableName(const Variable& v) {
  const std::string site = v.site != nullptr ? shortSite(*v.site) : std::string();
  if (v.name != nullptr) {
    return site.empty() ? std::string(v.name) : fmt::format("{} (made at {})", v.name, site);
  }
  return site.empty() ? fmt::format("object {}", v.addr) : fmt::format("chan made at {}", site);
}

void RaceDetector::report(const Variable& v, const RaceAccess& current,
                          const RaceAccess& previous) {
  RaceReport r;
  r.current = current;
  r.previous = previous;
  r.variable = variableName(v);
  for (sim::GoroutineId id : {current.goroutine, previous.goroutine}) {
    if (id >= goroutines_.size() || !goroutines_[id].known) continue;
    const Goroutine& it = goroutines_[id];
    r.goroutines += fmt::format("goroutine {}{} created at {}\n", id,
                                it.name.empty() ? "" : " \"" + it.name + "\"",
                                shortSite(it.site));
  }
  race_ = std::move(r);
}

std::string RaceReport::summary() const {
  return fmt::format("data race on {}: {} by goroutine {} at {} and {} by goroutine {} at {}",
                     variable, current.write ? "write" : "read", current.goroutine,
                     shortSite(current.where), previous.write ? "write" : "read",
                     previous.goroutine, shortSite(previous.where));
}

std::string RaceReport::format() const {
  return fmt::format(
      "WARNING: DATA RACE\n{} at {} by goroutine {}:\n  {} (step {})\n\nPrevious {} at {} by "
      "goroutine {}:\n  {} (step {})\n\n{}",
      current.write ? "Write" : "Read", variable, current.goroutine, shortSite(current.where),
      current.step, previous.write ? "write" : "read", variable, previous.goroutine,
      shortSite(previous.where), previous.step, goroutines);
}

}  // namespace weft::harness
