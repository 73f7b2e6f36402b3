// Goroutine stacks: mmap'd, with a guard page below each one, and pooled so that the hot path
// (spawn/exit) never maps memory. A first-touch page fault costs ~14 us and an mmap+munmap
// ~18 us on the target machines, so a reused stack is worth keeping warm, and a fresh one
// should touch as few pages as possible: only its top page, where the first frames go.
//
// Guard pages, two ways:
//  - Linux >= 6.13: MADV_GUARD_INSTALL marks the guard page in the page tables only. Stacks are
//    mapped kBatch at a time (one mmap, one madvise per stack, no extra mappings), so there is
//    no limit on guarded stacks.
//  - Otherwise mprotect(PROT_NONE), which costs two kernel mappings per stack, and Linux caps a
//    process at vm.max_map_count mappings (65530 by default). Past a budget derived from that
//    limit the pool hands out unguarded stacks whose lowest word holds a canary; the scheduler
//    checks it at every switch, so an overflow there is still reported (after the fact)
//    instead of corrupting silently. (Writing the canary also costs a second page per stack.)
// Stacks that keep their guard page report an overflow at the faulting access.
//
// Invariants:
//  - Every Stack returned by acquire() has size() == stackSize() usable bytes above its guard.
//  - A released stack keeps its pages (warm) until the pool is destroyed. (RuntimeCore's
//    workers cache the stacks their goroutines free and come here in batches; at teardown the
//    pool leaves up to 64 batch-mapped stacks to the process's spares, which the
//    next pool adopts before mapping any, and unmaps the rest a contiguous run at a time.)
//  - mappedCount() counts the stacks this pool mapped or adopted.
//  - Nothing here touches a stack's usable pages except the canary of an unguarded stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace weft::internal {

struct Stack {
  // The lowest word of an unguarded stack ("WEFTSTK!").
  static constexpr std::uint64_t kCanary = 0x57454654'53544b21ull;

  void* low = nullptr;     // lowest usable byte (just above the guard page, if any)
  std::size_t size = 0;    // usable bytes
  void* mapping = nullptr;  // what was mmap'd (guard included)
  std::size_t mappingSize = 0;
  bool guarded = false;

  explicit operator bool() const { return low != nullptr; }
  bool guardContains(const void* addr) const;
  // Unguarded stacks: the canary at `low` must survive; false means the stack overflowed.
  // Inline: the schedulers check it at every switch.
  bool canaryIntact() const {
    if (guarded || low == nullptr) return true;
    return *static_cast<const std::uint64_t*>(low) == kCanary;
  }
};

class StackPool {
 public:
  static constexpr std::size_t kBatch = 32;  // stacks per mmap with lightweight guards

  explicit StackPool(std::size_t stackSize);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // acquire() returns a stack, reusing a pooled one when possible. Throws std::bad_alloc when
  // the kernel refuses the mapping.
  Stack acquire();
  // acquireSome() is acquire() for a cache: it puts between 1 and n stacks into out, the most
  // recently released (warmest) last, and returns how many.
  std::size_t acquireSome(Stack* out, std::size_t n);
  void release(Stack s);
  // releaseSome() pools n stacks; the last is taken back first.
  void releaseSome(const Stack* stacks, std::size_t n);

  std::size_t stackSize() const { return stackSize_; }
  std::size_t mappedCount() const;
  std::size_t pooledCount() const;

 private:
  Stack map();
  Stack mapBatch();
  static void unmap(const Stack& s);

  const std::size_t stackSize_;
  const std::size_t pageSize_;
  mutable std::mutex mu_;
  std::vector<Stack> free_;        // guarded by mu_
  std::size_t mapped_ = 0;         // guarded by mu_
  std::size_t guardedMapped_ = 0;  // guarded by mu_
  std::size_t guardBudget_;        // immutable after construction
  bool lightGuards_ = false;       // immutable after construction: MADV_GUARD_INSTALL works
};

// Process-wide registry used by the SIGSEGV handler to turn a guard-page fault into a clear
// "stack overflow" message naming the goroutine. installOverflowHandler() is idempotent; each
// thread that runs goroutines calls ensureAltStack() once.
void installOverflowHandler();
void ensureAltStack();

}  // namespace weft::internal
