// Mutants: deliberately broken variants of primitives, used ONLY to prove that the property
// suite has teeth (properties/mutants_prop.cc). They exist only when the runtime is compiled
// with -DWEFT_MUTANTS, which only the mutation-test target does; in every other build
// WEFT_MUTANT(x) is the constant false and the broken code is compiled out.
#pragma once

#ifdef WEFT_MUTANTS
#include "weft/internal/mutants.h"
#define WEFT_MUTANT(m) (::weft::internal::mutants::active == ::weft::internal::mutants::Mutant::m)
#else
#define WEFT_MUTANT(m) false
#endif
