#include "context/stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

#include "context/sanitizer_fiber.h"
#include "g.h"

namespace weft::internal {

namespace {
std::size_t readMaxMapCount() {
  std::ifstream in("/proc/sys/vm/max_map_count");
  std::size_t n = 0;
  if (in >> n && n > 0) return n;
  return 65530;
}

// The process's spare stacks: a destroyed pool leaves up to kLimit of its stacks here, mapped,
// guarded and warm, for the next pool to adopt before it maps any (a test that explores runs
// one Runtime per explore() call, and mapping a batch costs an mmap, two madvise calls and, at
// the end, an munmap: ~80 us, as much as 70 executions of a small body). Sanitizer builds keep
// none: their shadow state belongs to the pool that used the stack.
class SpareStacks {
 public:
  static constexpr std::size_t kLimit = 2 * StackPool::kBatch;

  // Moves up to kLimit stacks out of `from`, the most recently released first. The oldest
  // spares make room (the next pool most likely wants the last one's stack size): they are
  // moved into `from`, for the caller to unmap.
  void give(std::vector<Stack>& from) {
    if (sanitizer::kTsan || sanitizer::kAsan) return;
    std::lock_guard lock(mu_);
    const std::size_t n = std::min(from.size(), kLimit);
    const std::size_t excess = stacks_.size() + n > kLimit ? stacks_.size() + n - kLimit : 0;
    std::vector<Stack> kept(from.end() - static_cast<std::ptrdiff_t>(n), from.end());
    from.resize(from.size() - n);
    from.insert(from.end(), stacks_.begin(), stacks_.begin() + static_cast<std::ptrdiff_t>(excess));
    stacks_.erase(stacks_.begin(), stacks_.begin() + static_cast<std::ptrdiff_t>(excess));
    stacks_.insert(stacks_.end(), kept.begin(), kept.end());
  }
  // Moves every spare of `usable` bytes into `to`; returns how many.
  std::size_t take(std::size_t usable, std::vector<Stack>& to) {
    std::lock_guard lock(mu_);
    std::size_t taken = 0;
    for (std::size_t i = stacks_.size(); i-- > 0;) {
      if (stacks_[i].size != usable) continue;
      to.push_back(stacks_[i]);
      stacks_[i] = stacks_.back();
      stacks_.pop_back();
      ++taken;
    }
    return taken;
  }

 private:
  std::mutex mu_;
  std::vector<Stack> stacks_;  // guarded by mu_
};

SpareStacks& spareStacks() {
  static SpareStacks* spares = new SpareStacks;  // never destroyed: pools may outlive statics
  return *spares;
}
}  // namespace

bool Stack::guardContains(const void* addr) const {
  if (!guarded || low == nullptr) return false;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto lo = reinterpret_cast<std::uintptr_t>(mapping);
  return a >= lo && a < reinterpret_cast<std::uintptr_t>(low);
}

// MADV_GUARD_INSTALL (Linux 6.13): guard pages kept in the page tables, not as mappings of
// their own, so a guarded stack costs no extra mapping and many stacks can share one.
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace {
bool probeLightGuards(std::size_t page) {
  void* m = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return false;
  bool ok = madvise(m, page, MADV_GUARD_INSTALL) == 0;
  munmap(m, 2 * page);
  return ok;
}

// adviseEach() applies `advice` to every range; out[i] says whether range i took it. One
// process_madvise call for all of them where the kernel accepts PIDFD_SELF_THREAD for it
// (Linux 6.15), else one madvise each. A syscall costs ~1 us here, so batching matters.
void adviseEach(const iovec* ranges, std::size_t n, int advice, bool* out) {
#ifdef SYS_process_madvise
  constexpr int kPidfdSelfThread = -10000;
  static std::atomic<bool> batched{true};
  if (batched.load(std::memory_order_relaxed)) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) total += ranges[i].iov_len;
    long r = syscall(SYS_process_madvise, kPidfdSelfThread, ranges, n, advice, 0u);
    if (r >= 0 && static_cast<std::size_t>(r) == total) {
      for (std::size_t i = 0; i < n; ++i) out[i] = true;
      return;
    }
    if (r < 0 && errno != ENOMEM && errno != EAGAIN) {
      batched.store(false, std::memory_order_relaxed);  // not this kernel; don't ask again
    }
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = madvise(ranges[i].iov_base, ranges[i].iov_len, advice) == 0;
  }
}
}  // namespace

StackPool::StackPool(std::size_t stackSize)
    : stackSize_(stackSize), pageSize_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
  static const bool lightGuards = probeLightGuards(pageSize_);
  lightGuards_ = lightGuards;
  // mprotect'ed guards: two mappings per stack; leave a quarter of the limit to the rest of
  // the process.
  static const std::size_t maxMapCount = readMaxMapCount();
  guardBudget_ = maxMapCount * 3 / 4 / 2;
}

StackPool::~StackPool() {
  // Stacks mapped one by one (mprotect'ed guards) are counted against this pool's budget only:
  // only batch-mapped ones, which cost no mapping of their own, are left as spares.
  if (lightGuards_) spareStacks().give(free_);
  // Batches (and often consecutive mmaps) are contiguous: one munmap per contiguous run, not
  // per stack. Each munmap flushes the TLBs of every CPU the process ran on (~10 us here).
  std::sort(free_.begin(), free_.end(),
            [](const Stack& a, const Stack& b) { return a.mapping < b.mapping; });
  char* runStart = nullptr;
  std::size_t runSize = 0;
  for (const Stack& s : free_) {
    if (runStart != nullptr && runStart + runSize == s.mapping) {
      runSize += s.mappingSize;
      continue;
    }
    if (runStart != nullptr) munmap(runStart, runSize);
    runStart = static_cast<char*>(s.mapping);
    runSize = s.mappingSize;
  }
  if (runStart != nullptr) munmap(runStart, runSize);
}

std::size_t StackPool::mappedCount() const {
  std::lock_guard lock(mu_);
  return mapped_;
}

std::size_t StackPool::pooledCount() const {
  std::lock_guard lock(mu_);
  return free_.size();
}

Stack StackPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      Stack s = free_.back();
      free_.pop_back();
      return s;
    }
  }
  if (lightGuards_) {
    {
      std::lock_guard lock(mu_);
      const std::size_t adopted =
          spareStacks().take((stackSize_ + pageSize_ - 1) / pageSize_ * pageSize_, free_);
      mapped_ += adopted;
      if (!free_.empty()) {
        Stack s = free_.back();
        free_.pop_back();
        return s;
      }
    }
    return mapBatch();
  }
  {
    std::lock_guard lock(mu_);
    ++mapped_;
  }
  try {
    return map();
  } catch (...) {
    std::lock_guard lock(mu_);
    --mapped_;
    throw;
  }
}

std::size_t StackPool::acquireSome(Stack* out, std::size_t n) {
  const Stack first = acquire();  // the warmest pooled one, or a fresh one
  std::lock_guard lock(mu_);
  const std::size_t more = std::min(n - 1, free_.size());
  std::copy(free_.end() - static_cast<std::ptrdiff_t>(more), free_.end(), out);
  free_.resize(free_.size() - more);
  out[more] = first;
  return more + 1;
}

void StackPool::release(Stack s) {
  std::lock_guard lock(mu_);
  free_.push_back(s);
}

void StackPool::releaseSome(const Stack* stacks, std::size_t n) {
  std::lock_guard lock(mu_);
  free_.insert(free_.end(), stacks, stacks + n);
}

// mapBatch(): kBatch guarded stacks from one mmap, each [guard page][usable bytes]; returns one
// and pools the rest. The top page of each (where its first frames go; a goroutine that does
// not recurse deeply touches no other) is populated here in one call: a first-touch page fault
// costs ~14 us on the target machines, populating a page from a syscall a fraction of that. So
// a fresh goroutine costs one resident page and no fault; the pooled ones one resident page
// each until they run.
Stack StackPool::mapBatch() {
  const std::size_t usable = (stackSize_ + pageSize_ - 1) / pageSize_ * pageSize_;
  const std::size_t stride = usable + pageSize_;
  void* m = mmap(nullptr, stride * kBatch, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  Stack batch[kBatch];
  iovec guards[kBatch];
  iovec tops[kBatch];
  for (std::size_t i = 0; i < kBatch; ++i) {
    Stack& s = batch[i];
    s.mapping = static_cast<char*>(m) + i * stride;
    s.mappingSize = stride;
    s.size = usable;
    s.low = static_cast<char*>(s.mapping) + pageSize_;
    guards[i] = {s.mapping, pageSize_};
    tops[i] = {static_cast<char*>(s.low) + usable - pageSize_, pageSize_};
  }
  bool guarded[kBatch];
  adviseEach(guards, kBatch, MADV_GUARD_INSTALL, guarded);
  bool populated[kBatch];  // best effort: a page that was not populated faults in when used
  adviseEach(tops, kBatch, MADV_POPULATE_WRITE, populated);
  for (std::size_t i = 0; i < kBatch; ++i) {
    // The probe succeeded, so a guard fails only for want of memory for page tables.
    batch[i].guarded = guarded[i];
    if (!guarded[i]) std::memcpy(batch[i].low, &Stack::kCanary, sizeof Stack::kCanary);
  }
  std::lock_guard lock(mu_);
  mapped_ += kBatch;
  // Pooled so that the lowest addresses are handed out first, as mmap places later batches
  // below this one: neighbouring goroutines' stacks stay close together.
  for (std::size_t i = kBatch - 1; i > 0; --i) free_.push_back(batch[i]);
  return batch[0];
}

Stack StackPool::map() {
  bool guard;
  {
    std::lock_guard lock(mu_);
    guard = guardedMapped_ < guardBudget_;
    if (guard) ++guardedMapped_;
  }
  Stack s;
  s.size = (stackSize_ + pageSize_ - 1) / pageSize_ * pageSize_;
  s.mappingSize = s.size + (guard ? pageSize_ : 0);
  void* m = mmap(nullptr, s.mappingSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) {
    if (guard) {
      std::lock_guard lock(mu_);
      --guardedMapped_;
    }
    throw std::bad_alloc();
  }
  s.mapping = m;
  if (guard && mprotect(m, pageSize_, PROT_NONE) != 0) {
    // Out of mappings after all: the page below stays as an unused part of the stack.
    guard = false;
    std::lock_guard lock(mu_);
    --guardedMapped_;
  }
  s.guarded = guard;
  s.low = static_cast<char*>(m) + (s.mappingSize - s.size);  // above the guard page, if any
  if (!guard) std::memcpy(s.low, &Stack::kCanary, sizeof Stack::kCanary);
  return s;
}

void StackPool::unmap(const Stack& s) { munmap(s.mapping, s.mappingSize); }

// ---- stack overflow reporting ----------------------------------------------------------------

namespace {
std::atomic<bool> gHandlerInstalled{false};
struct sigaction gPreviousSegv;
struct sigaction gPreviousBus;

void writeAll(const char* s) {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void onFault(int sig, siginfo_t* info, void* uctx) {
  G* g = currentGForSignal();
  if (g != nullptr && g->stack.guardContains(info->si_addr)) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "fatal error: stack overflow\n\ngoroutine %llu%s%s%s: stack of %zu bytes "
                  "exhausted (guard page hit).\nRaise weft::Config::stackSize (or WEFT_STACK_SIZE) "
                  "or reduce recursion depth.\n",
                  static_cast<unsigned long long>(g->id), g->name.empty() ? "" : " (",
                  g->name.c_str(), g->name.empty() ? "" : ")", g->stack.size);
    writeAll(buf);
    _exit(2);
  }
  // Not ours: chain to whatever handled it before (ASan, a debugger helper, the default).
  struct sigaction& prev = sig == SIGSEGV ? gPreviousSegv : gPreviousBus;
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, uctx);
  } else if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN) {
    signal(sig, SIG_DFL);
    raise(sig);
  } else {
    prev.sa_handler(sig);
  }
}
}  // namespace

void installOverflowHandler() {
  bool expected = false;
  if (!gHandlerInstalled.compare_exchange_strong(expected, true)) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = &onFault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &gPreviousSegv);
  sigaction(SIGBUS, &sa, &gPreviousBus);
}

namespace {
// The handler must not run on the overflowed stack itself, so every thread that runs goroutines
// needs an alternate signal stack. A thread may already have one that is not ours:
// AddressSanitizer gives every thread its own and unmaps it at thread exit, aborting ("unable to
// unmap") if it finds another in its place. So an existing alt stack that is big enough is left
// alone; otherwise ours is installed, and at thread exit the previous one is put back before ours
// is freed (a thread_local's destructor runs before the sanitizers' own thread-exit hooks).
constexpr std::size_t kAltSize = 64 * 1024;
constexpr std::size_t kAltMinSize = 16 * 1024;  // what onFault needs (snprintf, write)

struct AltStack {
  void* mine = nullptr;
  stack_t previous{};
  bool installed = false;

  void ensure() {
    if (installed) return;
    installed = true;
    stack_t current;
    if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0 &&
        current.ss_size >= kAltMinSize) {
      return;  // someone else's (ASan's) is fine for us too
    }
    mine = mmap(nullptr, kAltSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mine == MAP_FAILED) {
      mine = nullptr;
      return;
    }
    stack_t ss;
    ss.ss_sp = mine;
    ss.ss_size = kAltSize;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, &previous) != 0) {
      munmap(mine, kAltSize);
      mine = nullptr;
    }
  }

  ~AltStack() {
    if (mine == nullptr) return;
    stack_t current;
    if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == mine) {
      if ((previous.ss_flags & SS_DISABLE) != 0) {
        stack_t off{};
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, nullptr);
      } else {
        previous.ss_flags = 0;
        sigaltstack(&previous, nullptr);
      }
    }
    munmap(mine, kAltSize);
  }
};
thread_local AltStack tAltStack;
}  // namespace

void ensureAltStack() { tAltStack.ensure(); }

}  // namespace weft::internal
