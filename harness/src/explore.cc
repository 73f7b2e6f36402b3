#include "weft/harness/explore.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "weft/harness/race_detector.h"
#include "weft/harness/schedule.h"
#include "weft/harness/shrink.h"
#include "weft/harness/strategies/dfs.h"
#include "weft/harness/strategies/pct.h"
#include "weft/harness/strategies/random.h"
#include "weft/harness/strategies/replay.h"
#include "weft/harness/strategies/round_robin.h"
#include "weft/harness/trace.h"
#include "weft/runtime.h"
#include "weft/sim/events.h"

namespace weft::harness {

namespace {

// ---- options from the environment ------------------------------------------------------

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

std::uint64_t envU64(const char* name, std::uint64_t fallback, std::uint64_t min) {
  const char* v = env(name);
  if (v == nullptr) return fallback;
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(v, v + std::strlen(v), out);
  if (ec != std::errc() || *end != '\0' || out < min) {
    throw UsageError(fmt::format("weft: {}='{}' is invalid: expected an integer >= {}", name, v,
                                 min));
  }
  return out;
}

bool envBool(const char* name, bool fallback) {
  const char* v = env(name);
  if (v == nullptr) return fallback;
  std::string s(v);
  if (s == "1" || s == "true" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "no") return false;
  throw UsageError(fmt::format("weft: {}='{}' is invalid: expected 1/0, true/false or yes/no",
                               name, v));
}

std::unique_ptr<Strategy> makeStrategy(const ExploreOptions& o) {
  if (o.strategy == "random") return std::make_unique<RandomStrategy>();
  if (o.strategy == "pct") {
    // An explicit WEFT_PCT_STEPS fixes k (so a seed line reproduces exactly); 0 learns it.
    return o.pctSteps == 0 ? std::make_unique<PctStrategy>(o.pctDepth)
                           : std::make_unique<PctStrategy>(o.pctDepth, o.pctSteps, false);
  }
  if (o.strategy == "roundrobin") return std::make_unique<RoundRobinStrategy>();
  if (o.strategy == "dfs") return std::make_unique<DfsStrategy>(o.preemptionBound);
  throw UsageError(fmt::format("weft: unknown strategy '{}' (WEFT_STRATEGY): expected random, "
                               "pct, roundrobin or dfs",
                               o.strategy));
}

// ---- one execution ------------------------------------------------------------------------

// Forwards the engine's questions and events to whichever strategy/observer is current, so
// that one Runtime (and its warm stacks) serves exploring, checking and replaying.
class Dispatch final : public sim::Strategy, public sim::Observer {
 public:
  sim::Strategy* strategy = nullptr;
  sim::Observer* observer = nullptr;
  RaceDetector* race = nullptr;  // sees the spawn, edge and access events too

  // What the current observer and race detector want, read by the engine at each run's start;
  // a group only one of them wants goes to it directly.
  std::uint32_t interests() const override {
    return (observer != nullptr ? observer->interests() : 0) |
           (race != nullptr ? race->interests() : 0);
  }
  sim::Observer* receiver(sim::Interest group) override {
    const bool toObserver = observer != nullptr && (observer->interests() & group) != 0;
    const bool toRace = race != nullptr && (race->interests() & group) != 0;
    if (toObserver && !toRace) return observer->receiver(group);
    if (toRace && !toObserver) return race;
    return this;
  }
  // The engine asks the configured strategy for this run's answerer (the recorder's inner
  // strategy, normally), so next() and nextU64() below are only its fallback.
  Delegation delegation() override { return strategy->delegation(); }
  sim::GoroutineId next(std::span<const sim::GoroutineId> r,
                        sim::GoroutineId c, bool y) override {
    return strategy->next(r, c, y);
  }
  std::uint64_t nextU64() override { return strategy->nextU64(); }
  void onOp(const sim::OpEvent& e) override {
    if (observer) observer->onOp(e);
    if (race) race->onOp(e);
  }
  void onPreempt(sim::GoroutineId g, sim::GoroutineId n) override {
    if (observer) observer->onPreempt(g, n);
  }
  void onSpawn(sim::GoroutineId p, sim::GoroutineId c, std::string_view name,
               const std::source_location& site) override {
    if (observer) observer->onSpawn(p, c, name, site);
    if (race) race->onSpawn(p, c, name, site);
  }
  void onBlock(sim::GoroutineId g, std::string_view r) override {
    if (observer) observer->onBlock(g, r);
  }
  void onUnblock(sim::GoroutineId g, sim::GoroutineId by) override {
    if (observer) observer->onUnblock(g, by);
  }
  void onExit(sim::GoroutineId g) override {
    if (observer) observer->onExit(g);
  }
  void onTimeAdvance(std::int64_t n) override {
    if (observer) observer->onTimeAdvance(n);
  }
  void onRelease(sim::GoroutineId g, const void* sync) override {
    if (race) race->onRelease(g, sync);
  }
  void onAcquire(sim::GoroutineId g, const void* sync) override {
    if (race) race->onAcquire(g, sync);
  }
  void onAccess(sim::GoroutineId g, const void* addr, bool write,
                const std::source_location* site, const char* name,
                const std::source_location& where) override {
    if (race) race->onAccess(g, addr, write, site, name, where);
  }
};

// Counts operations (the "steps" of an execution) and nothing else.
class OpCounter final : public sim::Observer {
 public:
  std::uint64_t ops = 0;
  std::uint32_t interests() const override { return sim::kOpEvents; }
  void onOp(const sim::OpEvent&) override { ++ops; }
  void onPreempt(sim::GoroutineId, sim::GoroutineId) override {}
  void onSpawn(sim::GoroutineId, sim::GoroutineId, std::string_view,
               const std::source_location&) override {}
  void onBlock(sim::GoroutineId, std::string_view) override {}
  void onUnblock(sim::GoroutineId, sim::GoroutineId) override {}
  void onExit(sim::GoroutineId) override {}
  void onTimeAdvance(std::int64_t) override {}
};

thread_local std::vector<std::string>* tFailures = nullptr;

struct Outcome {
  std::optional<FailureKind> kind;
  std::string message;
  std::string details;
  bool sameAs(const Outcome& o) const { return kind == o.kind && message == o.message; }
  // "panic: boom", not "panic: panic: boom": messages that already name their kind (Go's
  // panic and fatal texts) are not prefixed again.
  std::string describe() const {
    if (!kind) return "no failure";
    const std::string_view name = toString(*kind);
    if (message.size() > name.size() && message.compare(0, name.size(), name) == 0 &&
        message[name.size()] == ':') {
      return message;
    }
    return fmt::format("{}: {}", name, message);
  }
};

class Explorer {
 public:
  Explorer(const std::function<void()>& body, const ExploreOptions& o, std::source_location where)
      : body_(body), o_(o), where_(where), rt_(makeConfig()) {}

  ExploreResult run();
  ExploreResult shrinkFrom(const std::string& token);
  ExploreResult runWith(Strategy& strategy);

 private:
  Config makeConfig() {
    Config c;
    c.workers = 1;
    c.stackSize = o_.stackSize;
    c.strategy = &dispatch_;
    c.observer = &dispatch_;
    c.maxSteps = o_.maxSteps;
    return c;
  }

  Outcome runOnce(sim::Strategy& s, sim::Observer* obs);
  Replayed replayForShrink(const Schedule& s, FailureKind kind);
  std::optional<Replayed> searchBounded(FailureKind kind, std::uint64_t bound,
                                        std::uint64_t budget, std::uint64_t& used);
  FailureReport report(const Outcome& first, const Schedule& schedule, std::uint64_t seed,
                       std::uint64_t index, std::string strategy);
  std::optional<FailureReport> replayToken(const std::string& token, std::uint64_t index);
  std::optional<FailureReport> checkDeterminism(const Schedule& s, std::uint64_t fingerprint,
                                                std::uint64_t seed, std::uint64_t index,
                                                const std::string& strategy);
  void remember(const FailureReport& r);
  FailureReport reportWithoutShrink(const Outcome& o, const Schedule& s, std::uint64_t index) {
    const bool saved = shrinkEnabled_;
    shrinkEnabled_ = false;
    FailureReport r = report(o, s, 0, index, "WEFT_REPLAY");
    r.strategy = "WEFT_REPLAY";
    shrinkEnabled_ = saved;
    return r;
  }
  bool shrinkEnabled_ = true;

  const std::function<void()>& body_;
  const ExploreOptions& o_;
  std::source_location where_;
  Dispatch dispatch_;
  RaceDetector race_;
  Runtime rt_;
};

Outcome Explorer::runOnce(sim::Strategy& s, sim::Observer* obs) {
  dispatch_.strategy = &s;
  dispatch_.observer = obs;
  dispatch_.race = o_.detectRaces ? &race_ : nullptr;
  if (o_.detectRaces) race_.reset();  // otherwise it saw nothing and holds no race
  std::vector<std::string> failures;
  tFailures = &failures;
  if (o_.hooks != nullptr) o_.hooks->beforeExecution();
  Outcome out;
  try {
    RunResult r = rt_.run([this] { body_(); }, where_);
    if (o_.checkLeaks && !r.ok()) {
      out = {FailureKind::kLeak,
             fmt::format("{} goroutine{} still blocked when the body returned", r.leaked.size(),
                         r.leaked.size() == 1 ? "" : "s"),
             r.leakReport()};
    }
  } catch (const Panic& p) {
    out = {FailureKind::kPanic, "panic: " + p.message(), p.report()};
  } catch (const FatalError& f) {
    bool deadlock = f.message().rfind("all goroutines are asleep", 0) == 0;
    out = {deadlock ? FailureKind::kDeadlock : FailureKind::kFatal, f.what(), f.goroutineDump()};
  } catch (const StepLimitExceeded& e) {
    out = {FailureKind::kStepLimit, e.what(), {}};
  }
  tFailures = nullptr;
  if (const auto& race = race_.race()) {
    if (!out.kind) {
      out = {FailureKind::kRace, race->summary(), race->format()};
    } else {
      out.details += "\n(the execution also had a " + race->summary() + ")\n";
    }
  }
  if (o_.hooks != nullptr) {
    if (auto a = o_.hooks->afterExecution()) failures.push_back(*a);
  }
  if (!failures.empty()) {
    std::string all;
    for (const auto& f : failures) all += f + (f.empty() || f.back() != '\n' ? "\n" : "");
    std::string first = failures.front().substr(0, failures.front().find('\n'));
    std::string details = failures.size() == 1 && all == first + "\n" ? std::string() : all;
    if (out.kind) details += "\n(the execution also ended with " + out.describe() + ")\n";
    out = {FailureKind::kAssertion, first, details};
  }
  return out;
}

void Explorer::remember(const FailureReport& r) {
  if (o_.regressionFile.empty()) return;
  {
    std::ifstream in(o_.regressionFile);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(r.token, 0) == 0) return;
    }
  }
  std::ofstream out(o_.regressionFile, std::ios::app);
  out << r.token << "  # " << toString(r.kind) << ": " << r.message << "\n";
}

Replayed Explorer::replayForShrink(const Schedule& s, FailureKind kind) {
  ReplayStrategy replay(s);
  RecordingStrategy rec(replay, RecordingStrategy::Preempted::kRecord);
  rec.beginExecution(0, 0);
  OpCounter ops;
  Outcome o = runOnce(rec, &ops);
  Replayed r;
  r.fails = o.kind == kind;
  r.schedule = rec.schedule();
  r.preempted = rec.preemptedAll();
  std::vector<std::uint64_t> involved;
  for (const auto& d : r.schedule.decisions) {
    if (d.kind == Decision::Kind::kRun) involved.push_back(d.value);
  }
  std::sort(involved.begin(), involved.end());
  r.size = {rec.preemptions(), ops.ops,
            static_cast<std::uint64_t>(std::unique(involved.begin(), involved.end()) -
                                       involved.begin())};
  return r;
}

std::optional<Replayed> Explorer::searchBounded(FailureKind kind, std::uint64_t bound,
                                                std::uint64_t budget, std::uint64_t& used) {
  DfsStrategy dfs(static_cast<int>(bound));
  RecordingStrategy rec(dfs);
  used = 0;
  while (used < budget && rec.beginExecution(0, used)) {
    ++used;
    Outcome o = runOnce(rec, nullptr);
    rec.endExecution(0);
    if (o.kind == kind) return replayForShrink(rec.schedule(), kind);
  }
  if (!dfs.exhausted()) used = budget;  // ran out: the search proved nothing
  return std::nullopt;
}

FailureReport Explorer::report(const Outcome& first, const Schedule& original,
                               std::uint64_t seed, std::uint64_t index, std::string strategy) {
  Schedule schedule = original;
  FailureReport r;
  if (o_.shrink && shrinkEnabled_ && first.kind != FailureKind::kNondeterminism) {
    Replayed start = replayForShrink(original, *first.kind);
    if (start.fails) {
      ShrinkResult sr = shrinkSchedule(
          start, [&](const Schedule& c) { return replayForShrink(c, *first.kind); },
          o_.shrinkBudget,
          [&](std::uint64_t bound, std::uint64_t budget, std::uint64_t& used) {
            return searchBounded(*first.kind, bound, budget, used);
          });
      schedule = sr.schedule;
      r.shrunk = sr.summary();
      r.shrinkPath = sr.path;
    }
  }
  r.kind = *first.kind;
  r.strategy = std::move(strategy);
  r.seed = seed;
  r.execution = index;
  r.token = encodeSchedule(schedule);
  if (o_.beforeMinimal) o_.beforeMinimal(r.token);
  // Replay the (shrunk) schedule with a full trace: the report shows that replay, which also
  // proves the failure reproduces from the token alone.
  Trace trace;
  ReplayStrategy replay(schedule);
  replay.beginExecution(0, 0);
  Outcome again = runOnce(replay, &trace);
  // The minimal execution's own message and dump (the shrunk run may differ in details, e.g.
  // which deposit was lost).
  const Outcome& shown = again.kind == first.kind ? again : first;
  r.message = shown.message;
  r.details = shown.details;
  r.steps = trace.ops();
  r.preemptions = trace.preemptions();
  r.goroutines = trace.goroutines();
  r.trace = trace.table();
  r.traceText = trace.text();
  r.traceJson = trace.json();
  if (again.kind != first.kind || (schedule == original && !again.sameAs(first)) ||
      replay.divergence()) {
    r.kind = FailureKind::kNondeterminism;
    r.message = fmt::format(
        "the test body is nondeterministic: replaying the schedule of a failing execution did "
        "not reproduce it (first run: {}; replay: {}{})",
        first.describe(), again.describe(),
        replay.divergence() ? "; " + *replay.divergence() : std::string());
    r.details = "Make the body depend only on weft: use weft::now() for time and "
                "weft::randomU64() for randomness, and no state that outlives one execution.\n" +
                first.details;
  }
  if (!o_.traceJsonPath.empty()) std::ofstream(o_.traceJsonPath) << r.traceJson;
  if (r.kind != FailureKind::kNondeterminism) remember(r);
  return r;
}

std::optional<FailureReport> Explorer::checkDeterminism(const Schedule& s, std::uint64_t fp,
                                                        std::uint64_t seed, std::uint64_t index,
                                                        const std::string& strategy) {
  Fingerprint again;
  ReplayStrategy replay(s);
  replay.beginExecution(0, 0);
  Outcome o = runOnce(replay, &again);
  if (again.value() == fp && !replay.divergence() && !o.kind) return std::nullopt;
  // Name the first difference: replay twice with full traces.
  Trace t1, t2;
  ReplayStrategy r1(s), r2(s);
  r1.beginExecution(0, 0);
  r2.beginExecution(0, 0);
  runOnce(r1, &t1);
  runOnce(r2, &t2);
  std::istringstream a(t1.text()), b(t2.text());
  std::string la, lb, where = "the replay differs from the original execution";
  for (int line = 1;; ++line) {
    bool ga = static_cast<bool>(std::getline(a, la));
    bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) break;
    if (la != lb || ga != gb) {
      where = fmt::format("event {} differs between two replays: '{}' vs '{}'", line,
                          ga ? la : "<end>", gb ? lb : "<end>");
      break;
    }
  }
  FailureReport r;
  r.kind = FailureKind::kNondeterminism;
  r.message = fmt::format(
      "the test body is nondeterministic: the same schedule gave a different execution ({}{})",
      where, replay.divergence() ? "; " + *replay.divergence() : std::string());
  r.details = "Make the body depend only on weft: use weft::now() for time and weft::randomU64() "
              "for randomness, and no state that outlives one execution.\n";
  r.strategy = strategy;
  r.seed = seed;
  r.execution = index;
  r.token = encodeSchedule(s);
  r.steps = t1.ops();
  r.preemptions = t1.preemptions();
  r.goroutines = t1.goroutines();
  r.trace = t1.table();
  r.traceText = t1.text();
  r.traceJson = t1.json();
  return r;
}

std::optional<FailureReport> Explorer::replayToken(const std::string& token, std::uint64_t index) {
  Schedule s = decodeSchedule(token);
  ReplayStrategy replay(s);
  replay.beginExecution(0, 0);
  Outcome o = runOnce(replay, nullptr);
  if (o.kind) {
    // A replayed token is reported as it is: shrinking it would change the schedule the user
    // asked to see.
    return reportWithoutShrink(o, s, index);
  }
  if (!replay.divergence() && !replay.exhausted()) {
    replay.noteUnconsumed();
  }
  if (replay.divergence()) {
    FailureReport r;
    r.kind = FailureKind::kNondeterminism;
    r.message = fmt::format(
        "the replay token does not fit this test ({}). Was it printed by a different test, or "
        "by an older version of this one?",
        *replay.divergence());
    r.strategy = "WEFT_REPLAY";
    r.token = token;
    return r;
  }
  return std::nullopt;
}

ExploreResult Explorer::runWith(Strategy& strategy) {
  ExploreResult result;
  RecordingStrategy rec(strategy);
  rec.beginExecution(0, 0);
  Outcome o = runOnce(rec, nullptr);
  result.executions = 1;
  if (o.kind) result.failure = reportWithoutShrink(o, rec.schedule(), 0);
  return result;
}

ExploreResult Explorer::shrinkFrom(const std::string& token) {
  ExploreResult result;
  Schedule s = decodeSchedule(token);
  ReplayStrategy replay(s);
  replay.beginExecution(0, 0);
  Outcome o = runOnce(replay, nullptr);
  result.executions = 1;
  if (!o.kind) return result;  // it does not fail: nothing to shrink
  result.failure = report(o, s, 0, 0, "WEFT_REPLAY");
  return result;
}

ExploreResult Explorer::run() {
  ExploreResult result;
  if (!o_.replay.empty()) {
    result.executions = 1;
    result.failure = replayToken(o_.replay, 0);
    return result;
  }
  if (!o_.regressionFile.empty()) {
    std::ifstream in(o_.regressionFile);
    std::string line;
    while (std::getline(in, line)) {
      std::string token = line.substr(0, line.find_first_of(" \t#"));
      if (token.empty()) continue;
      ++result.executions;
      if (auto f = replayToken(token, result.executions - 1)) {
        result.failure = std::move(f);
        return result;
      }
    }
  }
  std::unique_ptr<Strategy> strategy = makeStrategy(o_);
  RecordingStrategy rec(*strategy);
  Fingerprint fp;
  for (std::uint64_t i = 0; i < o_.iterations; ++i) {
    const std::uint64_t seed = o_.seed + i;
    if (!rec.beginExecution(seed, i)) break;
    const bool check =
        o_.determinismCheckEvery != 0 && (i == 0 || i % o_.determinismCheckEvery == 0);
    fp.reset();
    Outcome o = runOnce(rec, check ? &fp : nullptr);
    ++result.executions;
    // Described before endExecution() moves the strategy on (PCT's parameters may change),
    // and only when a report needs it.
    const bool reporting = o.kind.has_value() || check;
    std::string describe = reporting ? rec.describe() : std::string();
    rec.endExecution(rec.runDecisions());
    if (o.kind) {
      result.failure = report(o, rec.schedule(), seed, i, describe);
      return result;
    }
    if (check) {
      if (auto f = checkDeterminism(rec.schedule(), fp.value(), seed, i, describe)) {
        result.failure = std::move(f);
        return result;
      }
    }
  }
  return result;
}

}  // namespace

ExploreOptions ExploreOptions::withEnvironment() const {
  ExploreOptions o = *this;
  if (const char* v = env("WEFT_STRATEGY")) o.strategy = v;
  o.seed = envU64("WEFT_SEED", o.seed, 0);
  o.iterations = envU64("WEFT_ITERATIONS", o.iterations, 1);
  o.pctDepth = static_cast<int>(envU64("WEFT_PCT_DEPTH", static_cast<std::uint64_t>(o.pctDepth), 1));
  o.pctSteps = envU64("WEFT_PCT_STEPS", o.pctSteps, 1);
  o.maxSteps = envU64("WEFT_MAX_STEPS", o.maxSteps, 1);
  o.checkLeaks = envBool("WEFT_CHECK_LEAKS", o.checkLeaks);
  o.detectRaces = envBool("WEFT_RACE", o.detectRaces);
  o.determinismCheckEvery = envU64("WEFT_CHECK_DETERMINISM", o.determinismCheckEvery, 0);
  o.shrink = envBool("WEFT_SHRINK", o.shrink);
  o.shrinkBudget = envU64("WEFT_SHRINK_BUDGET", o.shrinkBudget, 0);
  o.preemptionBound = static_cast<int>(
      envU64("WEFT_PREEMPTION_BOUND", static_cast<std::uint64_t>(o.preemptionBound), 0));
  if (const char* v = env("WEFT_REPLAY")) o.replay = v;
  if (const char* v = env("WEFT_REGRESSION_FILE")) o.regressionFile = v;
  if (const char* v = env("WEFT_TRACE_JSON")) o.traceJsonPath = v;
  return o;
}

ExploreResult explore(const std::function<void()>& body, const ExploreOptions& options,
                      std::source_location where) {
  ExploreOptions o = options.withEnvironment();
  if (o.strategy != "random" && o.strategy != "pct" && o.strategy != "roundrobin" &&
      o.strategy != "dfs") {
    makeStrategy(o);  // throws the UsageError naming the variable
  }
  if (!o.replay.empty()) decodeSchedule(o.replay);  // a malformed token fails before running
  Explorer e(body, o, where);
  return e.run();
}

ExploreResult runWith(const std::function<void()>& body, Strategy& strategy,
                      const ExploreOptions& options, std::source_location where) {
  Explorer e(body, options, where);
  return e.runWith(strategy);
}

ExploreResult shrinkToken(const std::function<void()>& body, const std::string& token,
                          const ExploreOptions& options, std::source_location where) {
  ExploreOptions o = options.withEnvironment();
  o.shrink = true;
  Explorer e(body, o, where);
  return e.shrinkFrom(token);
}

void fail(std::string message) {
  if (tFailures == nullptr) {
    throw UsageError("weft::harness::fail() called outside an explored execution: " + message);
  }
  tFailures->push_back(std::move(message));
}

}  // namespace weft::harness
