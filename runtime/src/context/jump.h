// jump: the context switch itself, two functions behind one header, one implementation per
// target. FiberContext (fiber_context.h) is the only caller.
//
//   x86-64 System V (Linux): weft's own routine (jump_x86_64_sysv.cc). It saves what the ABI
//     makes callee-saved in general registers (rbx, rbp, r12-r15) and the return address, and
//     nothing else: ~2.8 ns a switch here against ~5.6 ns for Boost.Context's jump_fcontext,
//     which also saves and reloads MXCSR and the x87 control word (ldmxcsr and fldcw are
//     microcoded and account for the difference).
//   everything else (or -DWEFT_CONTEXT_BOOST): Boost.Context's fcontext (jump_boost.cc), which
//     covers every architecture Boost does.
//
// What a switch does not carry, on either path: the floating-point control state (rounding
// mode, exception masks) belongs to the OS thread, as in Go (runtime.gogo restores general
// registers only) and marl; a goroutine that changes it with fesetround() changes it for
// whatever runs next on that thread. (Boost's path happens to carry it; do not rely on that.)
#pragma once

#include <cstddef>

namespace weft::internal::jump {

// What a jump hands over: the suspended context's handle (only now known) and a word.
struct Transfer {
  void* from;
  void* data;
};
// A context's first function. Receives the first jump's Transfer; must never return.
using Entry = void (*)(Transfer);

}  // namespace weft::internal::jump

#if defined(__x86_64__) && defined(__linux__) && !defined(WEFT_CONTEXT_BOOST)
#define WEFT_CONTEXT_X86_64_SYSV 1
extern "C" {
weft::internal::jump::Transfer weft_context_jump(void* to, void* data);
void* weft_context_make(void* top, weft::internal::jump::Entry entry);
}
#else
#define WEFT_CONTEXT_X86_64_SYSV 0
#endif

namespace weft::internal::jump {

// make() lays out, at the high end `top` of a stack of `size` bytes, a suspended context that
// the first jump to it starts in entry(). Returns its handle.
#if WEFT_CONTEXT_X86_64_SYSV
inline void* make(void* top, std::size_t, Entry entry) { return weft_context_make(top, entry); }
#else
void* make(void* top, std::size_t size, Entry entry);  // jump_boost.cc
#endif

// jump() suspends the running context and resumes `to` (a handle from make() or from a
// previous Transfer::from), handing it `data`. It returns when some context jumps back here,
// with that context's handle and word.
#if WEFT_CONTEXT_X86_64_SYSV
inline Transfer jump(void* to, void* data) { return weft_context_jump(to, data); }
#else
Transfer jump(void* to, void* data);  // jump_boost.cc
#endif

}  // namespace weft::internal::jump
