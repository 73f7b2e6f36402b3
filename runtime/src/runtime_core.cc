#include "runtime_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "debug.h"
#include "park.h"
#include "race.h"
#include "scheduler.h"
#include "scheduler_deterministic.h"
#include "scheduler_worksteal.h"

namespace weft::internal {

namespace {
thread_local G* tCurrentG = nullptr;

// Reads a positive integer from the environment; a malformed value is a clear error, never a
// silent fallback.
std::optional<long long> envInt(const char* name, long long min, long long max) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  long long out = 0;
  auto [end, ec] = std::from_chars(v, v + std::strlen(v), out);
  if (ec != std::errc() || *end != '\0' || out < min || out > max) {
    throw UsageError(fmt::format("weft: {}={:?} is invalid: expected an integer in [{}, {}]",
                                 name, v, min, max));
  }
  return out;
}

std::string shortLocation(const std::source_location& loc) {
  if (loc.line() == 0) return "<unknown>";
  return fmt::format("{}:{}", loc.file_name(), loc.line());
}
}  // namespace

// Never instrumented: under ThreadSanitizer the goroutines sharing a thread are unordered, so
// their reads of this thread-local would race with the thread's own TLS initialization.
// Never inlined (g.h): inlined into a caller that parks in between, the thread-local's address
// could be computed once and used on two threads.
[[gnu::no_sanitize_thread, gnu::noinline]] G* currentG() noexcept { return tCurrentG; }
[[gnu::no_sanitize_thread, gnu::noinline]] G* currentGForSignal() noexcept { return tCurrentG; }
[[gnu::no_sanitize_thread, gnu::noinline]] void setCurrentG(G* g) noexcept { tCurrentG = g; }

const char* toString(GState s) {
  switch (s) {
    case GState::kIdle: return "idle";
    case GState::kRunnable: return "runnable";
    case GState::kRunning: return "running";
    case GState::kWaiting: return "waiting";
    case GState::kDead: return "dead";
  }
  return "?";
}

std::string formatGoroutine(const GoroutineInfo& g) {
  std::string out = fmt::format("goroutine {}", g.id);
  if (!g.name.empty()) out += fmt::format(" \"{}\"", g.name);
  out += fmt::format(" [{}]:\n", g.state);
  if (g.spawnSite.line() != 0) {
    out += fmt::format("\tcreated at {} in {}\n", shortLocation(g.spawnSite),
                       g.spawnSite.function_name());
  }
  return out;
}

namespace {

// addTo() adds to a counter that several threads may change, or, when `oneThread` (all writers
// are one thread), by a plain load and store: readers elsewhere still see whole values, and
// it saves a locked instruction (~6 ns here, a noticeable share of an execution when
// exploration runs over half a million of them a second).
template <class T>
T addTo(std::atomic<T>& counter, T delta, bool oneThread) {
  if (oneThread) {
    const T old = counter.load(std::memory_order_relaxed);
    counter.store(old + delta, std::memory_order_relaxed);
    return old;
  }
  return counter.fetch_add(delta, std::memory_order_relaxed);
}

}  // namespace

RuntimeCore::RuntimeCore(const Config& config) : config_(config), stacks_([&] {
  auto fromEnv = envInt("WEFT_STACK_SIZE", 16 * 1024, 1ll << 30);
  return fromEnv ? static_cast<std::size_t>(*fromEnv) : config.stackSize;
}()), oneThread_(config.strategy != nullptr) {
  if (auto w = envInt("WEFT_WORKERS", 1, 1024)) config_.workers = static_cast<int>(*w);
  if (config_.workers < 0) {
    throw UsageError(fmt::format("weft: Config::workers = {} is invalid: expected 0 (one per "
                                 "hardware thread) or a positive count",
                                 config_.workers));
  }
  if (config_.workers == 0) {
    config_.workers = std::max(1u, std::thread::hardware_concurrency());
  }
  if (config_.stackSize < 16 * 1024) {
    throw UsageError(fmt::format("weft: Config::stackSize = {} is too small: expected at least "
                                 "16384 bytes",
                                 config_.stackSize));
  }
  installOverflowHandler();
  sanitizer::leaveSingleThreadedMode();
}

RuntimeCore::~RuntimeCore() {
  // The deterministic scheduler's cache outlives its runs; its stacks go back before the pool
  // (destroyed after this body) unmaps them.
  if (simScheduler_ != nullptr) {
    if (GFreeCache* cache = simScheduler_->gFreeCache()) flushGFreeCache(*cache);
  }
  for (G* g = allFirst_; g != nullptr;) {
    G* next = g->allNext;
    if (g->stack) stacks_.release(g->stack);
    delete g;
    g = next;
  }
}

std::unique_ptr<Scheduler> RuntimeCore::makeScheduler() {
  if (config_.strategy != nullptr) {
    return std::make_unique<DeterministicScheduler>(*this, *config_.strategy, config_.observer,
                                                    config_.maxSteps);
  }
  return std::make_unique<WorkStealScheduler>(*this, config_.workers);
}

G* RuntimeCore::newG(Task&& body, std::string&& name, std::source_location spawnSite) {
  G* g = takeFreeG();
  const bool fresh = g == nullptr;
  if (fresh) g = new G;
  // The record's previous name, if it has a heap buffer, is freed here, in the runtime: a move
  // assignment would hand that buffer to the caller's string (libstdc++ recycles it), to be
  // freed in user code, where ThreadSanitizer sees a free of memory another goroutine's thread
  // allocated.
  std::string previousName;
  {
    std::lock_guard info(g->infoMu);
    g->id = addTo<std::uint64_t>(nextId_, 1, oneThread_);
    if (g->name.capacity() > std::string().capacity()) previousName = std::move(g->name);
    g->name = std::move(name);
    g->spawnSite = spawnSite;
  }
  g->rt = this;
  g->sched = sched_;
  g->body = std::move(body);
  g->waitReason = WaitReason::kNone;
  g->wakeWaiter = nullptr;
  g->waiting = nullptr;
  g->selectDone.store(0, std::memory_order_relaxed);
  g->unwinding = false;
  g->abandoned = false;
  g->schedLink = nullptr;
  g->state.store(GState::kRunnable, std::memory_order_release);
  raceGoStart(*g);
  if (fresh) {
    std::lock_guard lock(allMu_);
    g->allNext = allFirst_;
    allFirst_ = g;
  }
  addTo<std::size_t>(liveCount_, 1, oneThread_);
  return g;
}

// The free records form one LIFO stack per worker, its top in the cache and the rest on the
// shared list: refills take the shared list's most recently freed records and spills give
// back the cache's least recently freed ones, both in order. Reusing the most recently freed
// record first keeps its stack and record warm (a cache that broke this order made spawns
// ~10% slower on one worker).
G* RuntimeCore::takeFreeG() {
  GFreeCache* cache = sched_ != nullptr ? sched_->gFreeCache() : nullptr;
  if (cache == nullptr || cache->gs.empty()) [[unlikely]] return takeFreeGShared(cache);
  return cache->gs.pop();
}

// The hot paths above and below are leaves; what takes freeMu_ is outlined, so that they save
// no registers (a spawn and an exit each pass through one of them).
G* RuntimeCore::takeFreeGShared(GFreeCache* cache) {
  std::lock_guard lock(freeMu_);
  if (cache == nullptr) {
    if (freeGs_.empty()) return nullptr;
    G* g = freeGs_.back();
    freeGs_.pop_back();
    return g;
  }
  auto& top = cache->gs;
  const std::size_t take = std::min<std::size_t>(top.kBatch, freeGs_.size());
  std::copy(freeGs_.end() - static_cast<std::ptrdiff_t>(take), freeGs_.end(), top.items);
  freeGs_.resize(freeGs_.size() - take);
  top.n = static_cast<int>(take);
  if (take == 0) return nullptr;
  return top.pop();
}

void RuntimeCore::putFreeG(G& g) {
  GFreeCache* cache = sched_ != nullptr ? sched_->gFreeCache() : nullptr;
  if (cache == nullptr || cache->gs.full()) [[unlikely]] {
    putFreeGShared(g, cache);
    return;
  }
  cache->gs.push(&g);
}

void RuntimeCore::putFreeGShared(G& g, GFreeCache* cache) {
  if (cache == nullptr) {
    std::lock_guard lock(freeMu_);
    freeGs_.push_back(&g);
    return;
  }
  cache->gs.spillColdest([&](G* const* gs, int count) { releaseFreeGs(gs, count); });
  cache->gs.push(&g);
}

void RuntimeCore::releaseFreeGs(G* const* gs, int count) {
  std::lock_guard lock(freeMu_);
  freeGs_.insert(freeGs_.end(), gs, gs + count);
}

void RuntimeCore::flushGFreeCache(GFreeCache& cache) {
  releaseFreeGs(cache.gs.items, cache.gs.n);
  cache.gs.n = 0;
  stacks_.releaseSome(cache.stacks.items, static_cast<std::size_t>(cache.stacks.n));
  cache.stacks.n = 0;
}

// The stack caches work as the record caches above: LIFO per worker, the warmest stack on top.
Stack RuntimeCore::takeStack() {
  GFreeCache* cache = sched_ != nullptr ? sched_->gFreeCache() : nullptr;
  if (cache == nullptr || cache->stacks.empty()) [[unlikely]] return takeStackShared(cache);
  return cache->stacks.pop();
}

Stack RuntimeCore::takeStackShared(GFreeCache* cache) {
  try {
    if (cache == nullptr) return stacks_.acquire();
    auto& top = cache->stacks;
    top.n = static_cast<int>(stacks_.acquireSome(top.items, top.kBatch));
  } catch (const std::bad_alloc&) {
    fatalNoStack();
  }
  return cache->stacks.pop();
}

// Go's runtime throws "out of memory" when it cannot allocate a stack: unrecoverable. A stack
// is taken when a goroutine first runs, long after its go statement returned: there is nobody
// to hand an exception to.
void RuntimeCore::fatalNoStack() {
  std::fprintf(stderr,
               "fatal error: out of memory\n\nruntime: cannot map a %zu-byte goroutine stack "
               "(mmap failed: lower weft::Config::stackSize or WEFT_STACK_SIZE, or raise the "
               "process's memory or map limits)\n",
               stacks_.stackSize());
  std::abort();
}

void RuntimeCore::putStack(const Stack& s) {
  GFreeCache* cache = sched_ != nullptr ? sched_->gFreeCache() : nullptr;
  if (cache == nullptr || cache->stacks.full()) [[unlikely]] {
    putStackShared(s, cache);
    return;
  }
  cache->stacks.push(s);
}

void RuntimeCore::putStackShared(const Stack& s, GFreeCache* cache) {
  if (cache == nullptr) {
    stacks_.release(s);
    return;
  }
  cache->stacks.spillColdest([&](const Stack* stacks, int count) {
    stacks_.releaseSome(stacks, static_cast<std::size_t>(count));
  });
  cache->stacks.push(s);
}

void RuntimeCore::startG(G& g) {
  g.stack = takeStack();
  g.ctx.prepare(g.stack.low, g.stack.size, &RuntimeCore::goroutineEntry, &g);
}

std::size_t RuntimeCore::stacksInUse() {
  // Records holding a stack: between runs every one has given its stack back (recycle()).
  // Read between runs only (a running worker writes g->stack in startG).
  std::size_t inUse = 0;
  std::lock_guard lock(allMu_);
  for (G* g = allFirst_; g != nullptr; g = g->allNext) {
    if (g->stack) ++inUse;
  }
  return inUse;
}

void RuntimeCore::releaseG(G& g) {
  g.body.reset();
  raceForget(g);
  g.state.store(GState::kIdle, std::memory_order_release);
  addTo<std::size_t>(liveCount_, static_cast<std::size_t>(-1), oneThread_);
  // Main's record and stack stay out of the pools until the end of the run (run() recycles
  // them): goroutines that outlive main run in the drain, where a spawn would otherwise reuse
  // main's record (and every `== main_` test would take it for main), and C++ closures
  // commonly refer to main's locals (a use after their scope, but one that must not read
  // another goroutine's frames instead).
  if (&g != main_) recycle(g);
}

void RuntimeCore::recycle(G& g) {
  if (g.stack) {
    putStack(g.stack);
    g.stack.low = nullptr;  // no stack (the other fields are overwritten when it gets one)
  }
  putFreeG(g);
}

G& RuntimeCore::resume(G& g, FiberContext& here) {
  g.returnTo = &here;
  if (!g.started()) startG(g);
  g.state.store(GState::kRunning, std::memory_order_relaxed);
  setCurrentG(&g);
  FiberContext::switchTo(here, g.ctx);
  G& back = *currentG();  // whoever runs last sets the current G (a direct switch does)
  setCurrentG(nullptr);
  if (!back.stack.canaryIntact()) [[unlikely]] {
    fatalStackOverflow(back);
  }
  return back;
}

void RuntimeCore::finishExit(G& g) { releaseG(g); }

bool RuntimeCore::commitPark(G& g) {
  g.state.store(GState::kWaiting, std::memory_order_release);
  if (g.commit != nullptr && !g.commit(g, g.commitArg)) {
    g.state.store(GState::kRunning, std::memory_order_relaxed);
    return false;
  }
  return true;
}

// Entered inside a RuntimeScope (FiberContext's trampoline); only the body runs as user code.
void RuntimeCore::goroutineEntry(void* arg) {
  G& g = *static_cast<G*>(arg);
  completeDirectSwitch(g);  // a first run may come straight from a yield (yieldDirect)
  raceGoBegin(g);
  // Under TSan the body runs from this fiber's own stack: the G record is reused by later
  // goroutines, and its Task fields must not look like memory this goroutine raced on.
  Task local;
  if constexpr (sanitizer::kTsan) local = std::move(g.body);
  Task& body = sanitizer::kTsan ? local : g.body;
  {
    UserCodeScope user;
    try {
      body();
    } catch (const GoexitUnwind&) {
      // Forced unwinding at shutdown: destructors have run, nothing to report.
    } catch (...) {
      RuntimeScope runtime;
      g.rt->recordPanic(g, std::current_exception());
    }
    try {
      body.reset();  // the closure's destructors run on the goroutine, like deferred calls
    } catch (...) {
      RuntimeScope runtime;
      g.rt->recordPanic(g, std::current_exception());
    }
  }
  raceGoEnd(g);
  if (&g == g.rt->main_) g.rt->mainReturned();
  g.switchReason = SwitchReason::kExit;
  g.state.store(GState::kDead, std::memory_order_relaxed);
  g.sched->exitDirect(g);  // returns only if the scheduler declined
  FiberContext::switchToFinal(g.ctx, *g.returnTo);
}

void RuntimeCore::mainReturned() {
  // A deterministic scheduler intercepts every operation already and drains by itself.
  if (!sched_->interceptsOps()) gInterceptingSchedulers.fetch_add(1, std::memory_order_relaxed);
  mainDone_.store(true, std::memory_order_release);
}

void RuntimeCore::recordPanic(G& g, std::exception_ptr e) {
  std::exception_ptr stored;
  try {
    std::rethrow_exception(e);
  } catch (const FatalError& f) {
    recordFatal(f);
    return;
  } catch (const Panic& p) {
    Panic copy = p;
    GoroutineInfo info{g.id, g.name, "running", g.spawnSite};
    copy.setOrigin(g.id, g.name, fmt::format("panic: {}\n\n{}", p.message(), formatGoroutine(info)));
    stored = std::make_exception_ptr(copy);
  } catch (const std::exception& x) {
    Panic p(x.what());
    p.setCause(e);
    GoroutineInfo info{g.id, g.name, "running", g.spawnSite};
    p.setOrigin(g.id, g.name, fmt::format("panic: {}\n\n{}", p.message(), formatGoroutine(info)));
    stored = std::make_exception_ptr(p);
  } catch (...) {
    Panic p("unknown exception (not derived from std::exception)");
    p.setCause(e);
    GoroutineInfo info{g.id, g.name, "running", g.spawnSite};
    p.setOrigin(g.id, g.name, fmt::format("panic: {}\n\n{}", p.message(), formatGoroutine(info)));
    stored = std::make_exception_ptr(p);
  }
  std::lock_guard lock(failMu_);
  if (failed_.load(std::memory_order_relaxed)) return;
  failure_ = stored;
  failed_.store(true, std::memory_order_release);
  if (failureHook_ != nullptr) failureHook_(failureHookArg_);
}

void RuntimeCore::recordFatal(const FatalError& e) { recordFailure(std::make_exception_ptr(e)); }

void RuntimeCore::recordFailure(std::exception_ptr e) {
  std::lock_guard lock(failMu_);
  if (failed_.load(std::memory_order_relaxed)) return;
  failure_ = std::move(e);
  failed_.store(true, std::memory_order_release);
  if (failureHook_ != nullptr) failureHook_(failureHookArg_);
}

void RuntimeCore::readyWhileStopping(G& g) {
  // Shutdown is single-threaded; unwindLeaked() resumes every live goroutine anyway.
  GState expected = GState::kWaiting;
  g.state.compare_exchange_strong(expected, GState::kRunnable);
}

std::vector<GoroutineInfo> RuntimeCore::liveGoroutines(bool includeMain) {
  std::vector<GoroutineInfo> out;
  std::lock_guard lock(allMu_);
  for (G* g = allFirst_; g != nullptr; g = g->allNext) {
    std::lock_guard info(g->infoMu);
    GState s = g->state.load(std::memory_order_acquire);
    if (s == GState::kDead || s == GState::kIdle) continue;
    if (g == main_ && !includeMain) continue;
    std::string state;
    if (s == GState::kWaiting) {
      state = std::string(toString(g->waitReason));
    } else {
      state = toString(s);
    }
    out.push_back(GoroutineInfo{g->id, g->name, std::move(state), g->spawnSite});
  }
  std::sort(out.begin(), out.end(),
            [](const GoroutineInfo& a, const GoroutineInfo& b) { return a.id < b.id; });
  return out;
}

std::string RuntimeCore::goroutineDump() {
  std::string out;
  for (const auto& g : liveGoroutines(true)) {
    if (!out.empty()) out += "\n";
    out += formatGoroutine(g);
  }
  return out;
}

RunResult RuntimeCore::run(Task&& main, std::source_location where) {
  // Plain stores (not seq_cst, which is a locked xchg on x86 and costs ~6 ns here: exploration
  // runs over half a million executions a second): the scheduler starts after them, which
  // publishes them.
  // Ids restart at 1 (main) every run, so schedules name the same goroutines.
  nextId_.store(1, std::memory_order_relaxed);
  mainDone_.store(false, std::memory_order_relaxed);
  stopping_.store(false, std::memory_order_relaxed);
  failed_.store(false, std::memory_order_relaxed);
  failure_ = nullptr;
  // The deterministic scheduler is reused across runs (exploration runs thousands); the
  // production one owns threads and is made per run.
  std::unique_ptr<Scheduler> sched;
  if (config_.strategy != nullptr) {
    if (!simScheduler_) simScheduler_ = makeScheduler();
    sched_ = simScheduler_.get();
  } else {
    sched = makeScheduler();
    sched_ = sched.get();
  }
  RunResult result;
  {
    // The caller's thread becomes a scheduler (a worker, or the deterministic loop): runtime
    // code until every goroutine is gone. newG releases the caller's history to main.
    RuntimeScope runtime;
    sanitizer::threadStartsHosting();
    main_ = newG(std::move(main), "main", where);
    sched_->run(*main_);

    stopping_.store(true, std::memory_order_relaxed);  // the scheduler's threads are done
    // Every goroutine exited (the common case; explorations end thousands of runs a second
    // here): nothing leaked and nothing to unwind.
    if (liveCount_.load(std::memory_order_relaxed) != 0) {
      if (!failed()) result.leaked = liveGoroutines(false);
      unwindLeaked();
    }
    if (mainDone_.load(std::memory_order_relaxed) && !sched_->interceptsOps()) {
      gInterceptingSchedulers.fetch_sub(1, std::memory_order_relaxed);  // see mainReturned()
    }
    WEFT_CHECK(main_->state.load(std::memory_order_relaxed) == GState::kIdle);  // exited or unwound
    recycle(*main_);
    sched_ = nullptr;
    main_ = nullptr;
    sched.reset();
    sanitizer::threadStopsHosting();
  }
  sanitizer::tsanAcquire(raceRunEnd());
  if (failure_) std::rethrow_exception(failure_);
  return result;
}

void RuntimeCore::unwindLeaked() {
  // While unwinding, every operation reaches schedulePoint(), which sends a goroutine that
  // was not resumed inside a park (it was preempted, or never blocks) back here, or unwinds it.
  struct InterceptOps {
    InterceptOps() { gInterceptingSchedulers.fetch_add(1, std::memory_order_relaxed); }
    ~InterceptOps() { gInterceptingSchedulers.fetch_sub(1, std::memory_order_relaxed); }
  } interceptOps;
  FiberContext here;
  here.initForThread();
  std::vector<G*> live;
  {
    std::lock_guard lock(allMu_);
    for (G* g = allFirst_; g != nullptr; g = g->allNext) {
      if (g->state.load(std::memory_order_relaxed) != GState::kIdle) live.push_back(g);
    }
  }
  for (G* g : live) {
    if (!g->started()) {
      releaseG(*g);
      continue;
    }
    g->unwinding = true;
    // A goroutine that keeps running (spinning on an atomic inside a destructor, say) is given
    // this many switches back before it is abandoned like one that blocks.
    constexpr int kUnwindResumes = 10000;
    for (int resumes = 0;; ++resumes) {
      if (resumes == kUnwindResumes) {
        cancelWaits(*g);
        g->abandoned = true;
        releaseG(*g);
        break;
      }
      // Nothing switches directly while the runtime is stopping: g itself comes back.
      resume(*g, here);
      if (g->switchReason == SwitchReason::kExit) {
        finishExit(*g);
        break;
      }
      if (g->switchReason == SwitchReason::kPark) {
        // It blocked again while unwinding (a destructor waited on something). Undo its
        // registrations so no queue points into its stack, then drop it as is.
        RuntimeCore::commitPark(*g);
        cancelWaits(*g);
        g->abandoned = true;
        releaseG(*g);
        break;
      }
      // kYield: resume it again.
    }
  }
}

}  // namespace weft::internal

namespace weft {

std::string RunResult::leakReport() const {
  std::string out;
  if (leaked.empty()) return out;
  out = fmt::format("{} goroutine{} still alive when main returned:\n\n", leaked.size(),
                    leaked.size() == 1 ? "" : "s");
  for (const auto& g : leaked) out += internal::formatGoroutine(g) + "\n";
  return out;
}

Runtime::Runtime(Config config)
    : config_(config), core_(std::make_unique<internal::RuntimeCore>(config)) {}
Runtime::~Runtime() = default;

RunResult Runtime::runTask(internal::Task&& main, std::source_location where) {
  return core_->run(std::move(main), where);
}

std::size_t Runtime::mappedStacks() const { return core_->mappedStacks(); }
std::size_t Runtime::stacksInUse() const { return core_->stacksInUse(); }

}  // namespace weft
