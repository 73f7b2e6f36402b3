#include "weft/harness/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace weft::harness {

namespace {
std::string_view objectPrefix(sim::OpKind k) {
  using K = sim::OpKind;
  switch (k) {
    case K::kChanMake: case K::kChanSend: case K::kChanRecv: case K::kChanClose:
    case K::kChanLen: return "chan";
    case K::kMutexLock: case K::kMutexUnlock: return "mutex";
    case K::kRLock: case K::kRUnlock: return "rwmutex";
    case K::kCondWait: case K::kCondSignal: case K::kCondBroadcast: return "cond";
    case K::kOnce: return "once";
    case K::kWaitGroupAdd: case K::kWaitGroupWait: return "wg";
    case K::kAtomicLoad: case K::kAtomicStore: case K::kAtomicRmw: return "atomic";
    case K::kTimer: case K::kSleep: return "timer";
    case K::kContext: return "ctx";
    case K::kCellRead: case K::kCellWrite: return "cell";
    case K::kGo: case K::kYield: case K::kSelect: return "";
  }
  return "obj";
}

std::string shortSite(const std::source_location& s) {
  if (s.line() == 0) return {};
  std::string_view f = s.file_name();
  if (auto slash = f.rfind('/'); slash != std::string_view::npos) f = f.substr(slash + 1);
  return fmt::format("{}:{}", f, s.line());
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

const std::string& Trace::objectName(const sim::OpEvent& e) {
  // A channel made at an address that held an earlier object is a new object.
  auto it = objectNames_.find(e.object);
  if (it != objectNames_.end() && e.kind != sim::OpKind::kChanMake) return it->second;
  std::string prefix(objectPrefix(e.kind));
  std::string name = e.name != nullptr ? std::string(e.name)
                                       : fmt::format("{}#{}", prefix, ++kindCounters_[prefix]);
  std::string site = e.site != nullptr ? shortSite(*e.site) : std::string();
  if (e.name != nullptr) site = prefix + (site.empty() ? "" : " made at " + site);
  else if (!site.empty()) site = "made at " + site;
  objectLegend_.emplace_back(name, site);
  return objectNames_[e.object] = std::move(name);
}

void Trace::onOp(const sim::OpEvent& e) {
  ops_ = e.step;
  std::string text(sim::toString(e.kind));
  if (e.object != nullptr && !objectPrefix(e.kind).empty()) {
    text += " " + objectName(e);
  }
  events_.push_back({TraceEvent::Kind::kOp, e.step, e.goroutine, std::move(text)});
}

void Trace::onPreempt(sim::GoroutineId g, sim::GoroutineId next) {
  ++preemptions_;
  events_.push_back({TraceEvent::Kind::kPreempt, ops_, g, fmt::format("preempted -> g{}", next)});
}

void Trace::onSpawn(sim::GoroutineId parent, sim::GoroutineId child, std::string_view name,
                    const std::source_location& site) {
  goroutines_[child] = GoroutineRow{std::string(name), shortSite(site)};
  if (!events_.empty() && events_.back().kind == TraceEvent::Kind::kOp &&
      events_.back().goroutine == parent && events_.back().text == "go") {
    events_.back().text = fmt::format("go g{}", child);  // the go statement and what it made
  } else if (parent != 0) {
    events_.push_back({TraceEvent::Kind::kSpawn, ops_, parent, fmt::format("go g{}", child)});
  }
}

void Trace::onBlock(sim::GoroutineId g, std::string_view reason) {
  events_.push_back({TraceEvent::Kind::kBlock, ops_, g, fmt::format("blocked: {}", reason)});
}

void Trace::onUnblock(sim::GoroutineId g, sim::GoroutineId by) {
  events_.push_back({TraceEvent::Kind::kUnblock, ops_, g,
                     by == 0 ? std::string("woken by timer") : fmt::format("woken by g{}", by)});
}

void Trace::onExit(sim::GoroutineId g) {
  events_.push_back({TraceEvent::Kind::kExit, ops_, g, "exit"});
}

void Trace::onTimeAdvance(std::int64_t nanos) {
  if (startNanos_ < 0) startNanos_ = 1'000'000'000;  // the deterministic clock's epoch
  events_.push_back({TraceEvent::Kind::kTime, ops_, 0,
                     fmt::format("time +{}ns", nanos - startNanos_)});
}

std::string Trace::text() const {
  std::string out;
  for (const auto& e : events_) {
    out += fmt::format("{} g{} {}\n", e.step, e.goroutine, e.text);
  }
  return out;
}

std::uint64_t Trace::hash() const {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Trace::table() const {
  std::vector<sim::GoroutineId> ids;
  for (const auto& [id, row] : goroutines_) ids.push_back(id);
  std::string out;
  constexpr std::size_t kMaxColumns = 6;
  if (ids.size() <= kMaxColumns) {
    std::size_t width = 14;
    for (const auto& e : events_) width = std::max(width, e.text.size());
    width = std::min<std::size_t>(width, 28);
    auto header = [&](sim::GoroutineId id) {
      const auto& row = goroutines_.at(id);
      return row.name.empty() ? fmt::format("g{}", id) : fmt::format("g{} {}", id, row.name);
    };
    out += fmt::format(" {:>5} ", "step");
    for (auto id : ids) out += fmt::format("| {:<{}} ", header(id).substr(0, width), width);
    out += "\n-------";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      out += '+';
      out.append(width + 2, '-');  // append(): GCC 12 -O3 warns (-Wrestrict) on "+" + string
    }
    out += "\n";
    for (const auto& e : events_) {
      if (e.kind == TraceEvent::Kind::kTime) {
        out += fmt::format(" {:>5}   ~~ {} ~~\n", "", e.text);
        continue;
      }
      out += e.kind == TraceEvent::Kind::kOp ? fmt::format(" {:>5} ", e.step)
                                             : fmt::format(" {:>5} ", "");
      for (auto id : ids) {
        std::string cell = id == e.goroutine ? e.text.substr(0, width) : std::string();
        out += fmt::format("| {:<{}} ", cell, width);
      }
      out += "\n";
    }
  } else {
    for (const auto& e : events_) {
      out += e.kind == TraceEvent::Kind::kOp ? fmt::format(" {:>5}  ", e.step)
                                             : std::string(8, ' ');
      out += e.kind == TraceEvent::Kind::kTime ? fmt::format("~~ {} ~~\n", e.text)
                                               : fmt::format("g{}: {}\n", e.goroutine, e.text);
    }
  }
  out += "\n";
  for (auto id : ids) {
    const auto& row = goroutines_.at(id);
    out += fmt::format("  g{}{}: created at {}\n", id,
                       row.name.empty() ? "" : " \"" + row.name + "\"",
                       row.site.empty() ? "?" : row.site);
  }
  for (const auto& [name, site] : objectLegend_) {
    out += fmt::format("  {}: {}\n", name, site.empty() ? "(no creation site)" : site);
  }
  return out;
}

std::string Trace::json() const {
  static constexpr std::string_view kKinds[] = {"op", "preempt", "spawn", "block",
                                                "unblock", "exit", "time"};
  std::string out = "{\"goroutines\":[";
  bool first = true;
  for (const auto& [id, row] : goroutines_) {
    out += fmt::format("{}{{\"id\":{},\"name\":\"{}\",\"site\":\"{}\"}}", first ? "" : ",", id,
                       jsonEscape(row.name), jsonEscape(row.site));
    first = false;
  }
  out += "],\"objects\":[";
  first = true;
  for (const auto& [name, site] : objectLegend_) {
    out += fmt::format("{}{{\"name\":\"{}\",\"site\":\"{}\"}}", first ? "" : ",", jsonEscape(name),
                       jsonEscape(site));
    first = false;
  }
  out += "],\"events\":[";
  first = true;
  for (const auto& e : events_) {
    out += fmt::format("{}{{\"step\":{},\"g\":{},\"kind\":\"{}\",\"text\":\"{}\"}}",
                       first ? "" : ",", e.step, e.goroutine,
                       kKinds[static_cast<int>(e.kind)], jsonEscape(e.text));
    first = false;
  }
  out += "]}";
  return out;
}

}  // namespace weft::harness
