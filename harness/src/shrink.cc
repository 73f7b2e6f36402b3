#include "weft/harness/shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>

namespace weft::harness {

namespace {
std::string thousands(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string sizeText(const ScheduleSize& s) {
  return fmt::format("{} step{} / {} preemption{}", thousands(s.steps), s.steps == 1 ? "" : "s",
                     s.preemptions, s.preemptions == 1 ? "" : "s");
}

class Shrinker {
 public:
  Shrinker(const Replayed& failing, const ReplayFn& replay, std::uint64_t budget,
           const SearchFn& search)
      : best_(failing), replay_(replay), search_(search), budget_(budget) {}

  ShrinkResult run() {
    ShrinkResult r;
    r.before = best_.size;
    bool improved = true;
    while (improved && replays_ < budget_) {
      improved = truncate() || unpreempt() || drop() || lower() || searchFewerPreemptions();
    }
    r.schedule = best_.schedule;
    r.after = best_.size;
    r.replays = replays_;
    r.path = std::move(path_);
    return r;
  }

 private:
  // try_() replays a candidate and keeps it if it is a smaller failure.
  bool try_(const Schedule& candidate, std::string move) {
    if (replays_ >= budget_) return false;
    ++replays_;
    Replayed got = replay_(candidate);
    if (!got.fails || !(got.size < best_.size)) return false;
    path_.push_back(fmt::format("{} -> {}", move, sizeText(got.size)));
    best_ = std::move(got);
    return true;
  }

  std::vector<std::size_t> preemptionPoints() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < best_.preempted.size(); ++i) {
      if (best_.preempted[i] != 0) out.push_back(i);
    }
    return out;
  }

  bool truncate() {
    for (std::size_t i : preemptionPoints()) {
      Schedule c;
      c.decisions.assign(best_.schedule.decisions.begin(),
                         best_.schedule.decisions.begin() + static_cast<std::ptrdiff_t>(i));
      if (try_(c, fmt::format("truncate at decision {}", i + 1))) return true;
    }
    return false;
  }

  bool unpreempt() {
    for (std::size_t i : preemptionPoints()) {
      Schedule c = best_.schedule;
      c.decisions[i].value = best_.preempted[i];
      if (try_(c, fmt::format("unpreempt decision {}", i + 1))) return true;
    }
    return false;
  }

  bool drop() {
    const std::size_t n = best_.schedule.decisions.size();
    for (std::size_t chunk = n / 2; chunk >= 1; chunk /= 2) {
      for (std::size_t start = 0; start + chunk <= n; start += chunk) {
        Schedule c;
        const auto& d = best_.schedule.decisions;
        c.decisions.assign(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(start));
        c.decisions.insert(c.decisions.end(), d.begin() + static_cast<std::ptrdiff_t>(start + chunk),
                           d.end());
        if (try_(c, fmt::format("drop decisions {}-{}", start + 1, start + chunk))) return true;
      }
      if (chunk == 1) break;
    }
    return false;
  }

  bool lower() {
    const auto& d = best_.schedule.decisions;
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (d[i].kind == Decision::Kind::kRun && d[i].value > 1) {
        for (std::uint64_t g = 1; g < d[i].value; ++g) {
          Schedule c = best_.schedule;
          c.decisions[i].value = g;
          if (try_(c, fmt::format("run g{} at decision {}", g, i + 1))) return true;
        }
      } else if (d[i].kind == Decision::Kind::kRandom && d[i].value != 0) {
        Schedule c = best_.schedule;
        c.decisions[i].value = 0;
        if (try_(c, fmt::format("zero random number {}", i + 1))) return true;
      }
    }
    return false;
  }

  // Bounds below provenNone_ were searched exhaustively and nothing failed there.
  bool searchFewerPreemptions() {
    if (!search_ || searchGaveUp_) return false;
    for (std::uint64_t bound = provenNone_; bound < best_.size.preemptions; ++bound) {
      if (replays_ >= budget_) return false;
      const std::uint64_t allowed = budget_ - replays_;
      std::uint64_t used = 0;
      std::optional<Replayed> found = search_(bound, allowed, used);
      replays_ += used;
      if (found && found->fails && found->size < best_.size) {
        path_.push_back(fmt::format("search with at most {} preemption{} -> {}", bound,
                                    bound == 1 ? "" : "s", sizeText(found->size)));
        best_ = std::move(*found);
        return true;
      }
      if (used >= allowed) {
        searchGaveUp_ = true;  // out of budget: this bound was not searched to the end
        return false;
      }
      provenNone_ = bound + 1;
    }
    return false;
  }

  Replayed best_;
  const ReplayFn& replay_;
  const SearchFn& search_;
  std::uint64_t provenNone_ = 0;
  bool searchGaveUp_ = false;
  std::uint64_t budget_;
  std::uint64_t replays_ = 0;
  std::vector<std::string> path_;
};
}  // namespace

std::string ShrinkResult::summary() const {
  return fmt::format("shrunk {} -> {} ({} replays)", sizeText(before), sizeText(after), replays);
}

ShrinkResult shrinkSchedule(const Replayed& failing, const ReplayFn& replay, std::uint64_t budget,
                            const SearchFn& search) {
  return Shrinker(failing, replay, budget, search).run();
}

}  // namespace weft::harness
