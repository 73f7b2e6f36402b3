// Race-detector annotations for memory and synchronization weft cannot see on its own (Go:
// runtime.RaceReadRange, RaceWriteRange, RaceAcquire, RaceRelease).
//
//   std::vector<int> table(64);            // existing memory, not a weft::Shared cell
//   weft::raceWrite(table.data(), table.size() * sizeof(int), "table");
//   table[3] = 7;
//
// Where the annotations go:
//  - deterministic mode (harness explore): to weft's happens-before detector, which then
//    reports an unordered pair of annotated accesses as a data race with both source lines,
//    exactly like a race on a Shared<T>. An annotated access is also a scheduling point, so
//    the explorer can interleave other goroutines around it.
//  - production under ThreadSanitizer: to TSan (which already watches every plain access; the
//    annotation adds accesses the compiler did not instrument, e.g. inside a library).
//  - otherwise nowhere (one relaxed load).
//
// raceAcquire/raceRelease give a primitive of your own the happens-before edges the Go memory
// model would give it: release(x) by one goroutine happens before a later acquire(x) by
// another returns. Use them where the primitive hands data over, as weft's own do.
#pragma once

#include <cstddef>
#include <source_location>

namespace weft {

// raceRead/raceWrite: a read or write of [addr, addr + size) by the current goroutine, checked
// in 8-byte words. `name` (static storage) names the memory in a report.
void raceRead(const void* addr, std::size_t size, const char* name = nullptr,
              std::source_location where = std::source_location::current());
void raceWrite(const void* addr, std::size_t size, const char* name = nullptr,
               std::source_location where = std::source_location::current());

// raceRelease(sync) then, in another goroutine, raceAcquire(sync): everything before the
// release happens before everything after the acquire. `sync` is any stable address.
void raceRelease(const void* sync);
void raceAcquire(const void* sync);

// RaceIgnored: while one is alive, ThreadSanitizer neither checks the current goroutine's
// plain memory accesses nor records them (Go's internal race.Disable/Enable). For bookkeeping
// that observes an execution from outside the program under test, such as a test's history of
// operations or a count of the panics it saw, which the deterministic scheduler orders by
// running one goroutine at a time. Never for the program's own data: a race hidden there is a
// bug missed. Nests; free outside ThreadSanitizer builds.
class RaceIgnored {
 public:
  RaceIgnored();
  ~RaceIgnored();
  RaceIgnored(const RaceIgnored&) = delete;
  RaceIgnored& operator=(const RaceIgnored&) = delete;
};

}  // namespace weft
