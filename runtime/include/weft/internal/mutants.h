// The mutant switch (see runtime/src/mutants.h). Declared only in -DWEFT_MUTANTS builds.
#pragma once

#ifndef WEFT_MUTANTS
#error "weft/internal/mutants.h is only for the mutation-test build (-DWEFT_MUTANTS)"
#endif

namespace weft::internal::mutants {

enum class Mutant {
  kNone,
  kSelectFirstReady,     // select always takes the first ready case (no random poll order)
  kCloseDoesNotWake,     // close forgets the blocked receivers
  kLifoBuffer,           // a buffered channel hands out its newest value first
  kOnceUnsynchronized,   // Once runs f without marking done under synchronization
  kWaitGroupMissesWakeup,  // the last Done does not wake waiters
  kCondSignalNewest,     // Cond.Signal wakes the newest waiter instead of the oldest
};

inline Mutant active = Mutant::kNone;

}  // namespace weft::internal::mutants
