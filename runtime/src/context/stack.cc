#include "context/stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

#include "g.h"

namespace weft::internal {

namespace {
constexpr std::uint64_t kCanary = 0x57454654'53544b21ull;  // "WEFTSTK!"

std::size_t readMaxMapCount() {
  std::ifstream in("/proc/sys/vm/max_map_count");
  std::size_t n = 0;
  if (in >> n && n > 0) return n;
  return 65530;
}
}  // namespace

bool Stack::guardContains(const void* addr) const {
  if (!guarded) return false;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto lo = reinterpret_cast<std::uintptr_t>(mapping);
  return a >= lo && a < reinterpret_cast<std::uintptr_t>(low);
}

bool Stack::canaryIntact() const {
  if (guarded || low == nullptr) return true;
  return *static_cast<const std::uint64_t*>(low) == kCanary;
}

StackPool::StackPool(std::size_t stackSize)
    : stackSize_(stackSize), pageSize_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
  // Two mappings per guarded stack; leave a quarter of the limit to the rest of the process.
  guardBudget_ = readMaxMapCount() * 3 / 4 / 2;
}

StackPool::~StackPool() {
  for (auto& s : free_) unmap(s);
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

void StackPool::release(Stack s) {
  {
    std::lock_guard lock(mu_);
    if (free_.size() < kMaxPooled) {
      free_.push_back(s);
      return;
    }
    --mapped_;
    if (s.guarded) --guardedMapped_;
  }
  unmap(s);
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
  s.guarded = guard;
  if (guard) {
    mprotect(m, pageSize_, PROT_NONE);
    s.low = static_cast<char*>(m) + pageSize_;
  } else {
    s.low = m;
    std::memcpy(s.low, &kCanary, sizeof kCanary);
  }
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
