// The x86-64 System V context switch (see jump.h for why it is ours and what it leaves out).
// Written as top-level assembly in a C++ file so that the build needs no assembler language of
// its own and the frame layout below can be checked by the compiler.
#include "context/jump.h"

#if WEFT_CONTEXT_X86_64_SYSV

#include <cstddef>

namespace weft::internal::jump {
namespace {

// The frame a suspended context leaves at its handle, lowest address first: the callee-saved
// registers weft_context_jump pushed, then the return address its call pushed. The assembly
// spells these offsets as numbers; the asserts tie the two together.
struct SavedFrame {
  void* r12;
  void* r13;
  void* r14;
  void* r15;
  void* rbx;
  void* rbp;
  void* resume;
};
static_assert(offsetof(SavedFrame, r12) == 0x00 && offsetof(SavedFrame, r13) == 0x08 &&
              offsetof(SavedFrame, r14) == 0x10 && offsetof(SavedFrame, r15) == 0x18 &&
              offsetof(SavedFrame, rbx) == 0x20 && offsetof(SavedFrame, rbp) == 0x28 &&
              offsetof(SavedFrame, resume) == 0x30 && sizeof(SavedFrame) == 0x38);

}  // namespace
}  // namespace weft::internal::jump

// weft_context_jump(to: rdi, data: rsi) -> Transfer{from: rax, data: rdx}
//   Pushes the callee-saved registers (the call already pushed the return address), so the
//   stack pointer is now the suspended context's handle; loads `to` as the stack pointer and
//   pops its frame. The resumed side sees {from, data} as jump's return value (rax:rdx) or, on
//   a first entry, as weft_context_start's arguments (rdi:rsi).
//   The resume is a `ret`, not an indirect jump (Boost's choice): every context suspends at the
//   one call in FiberContext::switchTo, so the address on top of the return-stack predictor
//   (pushed by this switch's own call) is where the resumed context continues too, and the
//   predictor stays in step for the returns after it. With an indirect jump it was one entry
//   off, and the resumed context's returns all mispredicted.
//
// weft_context_make(top: rdi, entry: rsi) -> handle
//   Lays a SavedFrame below the 16-byte-aligned top whose registers are zero except rbx (the
//   entry) and whose return address is weft_context_start. Once the first jump has popped it,
//   the stack pointer is the aligned top; the `call` then leaves it 8 mod 16 at the entry's
//   first instruction, as the ABI wants.
//
// weft_context_start: the outermost frame of every fiber (its CFI says there is no caller, so
//   debuggers and unwinders stop here). Entries never return; if one did, ud2 traps.
__asm__(R"(
    .text
    .globl  weft_context_jump
    .type   weft_context_jump, @function
    .p2align 4
weft_context_jump:
    .cfi_startproc
    pushq   %rbp
    pushq   %rbx
    pushq   %r15
    pushq   %r14
    pushq   %r13
    pushq   %r12
    movq    %rsp, %rax
    movq    %rdi, %rsp
    popq    %r12
    popq    %r13
    popq    %r14
    popq    %r15
    popq    %rbx
    popq    %rbp
    movq    %rsi, %rdx
    movq    %rax, %rdi
    ret
    .cfi_endproc
    .size   weft_context_jump, .-weft_context_jump

    .globl  weft_context_make
    .type   weft_context_make, @function
    .p2align 4
weft_context_make:
    .cfi_startproc
    movq    %rdi, %rax
    andq    $-16, %rax
    leaq    -0x38(%rax), %rax
    xorl    %ecx, %ecx
    movq    %rcx, 0x00(%rax)
    movq    %rcx, 0x08(%rax)
    movq    %rcx, 0x10(%rax)
    movq    %rcx, 0x18(%rax)
    movq    %rsi, 0x20(%rax)
    movq    %rcx, 0x28(%rax)
    leaq    weft_context_start(%rip), %rcx
    movq    %rcx, 0x30(%rax)
    ret
    .cfi_endproc
    .size   weft_context_make, .-weft_context_make

    .type   weft_context_start, @function
    .p2align 4
weft_context_start:
    .cfi_startproc
    .cfi_undefined rip
    callq   *%rbx
    ud2
    .cfi_endproc
    .size   weft_context_start, .-weft_context_start
)");

#endif  // WEFT_CONTEXT_X86_64_SYSV
