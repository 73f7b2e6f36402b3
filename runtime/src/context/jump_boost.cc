// The portable context switch: Boost.Context's fcontext, for every target without a routine of
// weft's own (see jump.h).
#include "context/jump.h"

#if !WEFT_CONTEXT_X86_64_SYSV

#include <boost/context/detail/fcontext.hpp>

namespace weft::internal::jump {

namespace fc = boost::context::detail;

static_assert(sizeof(Transfer) == sizeof(fc::transfer_t) &&
              alignof(Transfer) == alignof(fc::transfer_t));

void* make(void* top, std::size_t size, Entry entry) {
  // Safety: Transfer and transfer_t have the same layout (asserted above), so the two function
  // types have the same calling convention.
  return fc::make_fcontext(
      top, size, reinterpret_cast<void (*)(fc::transfer_t)>(reinterpret_cast<void (*)()>(entry)));
}

Transfer jump(void* to, void* data) {
  const fc::transfer_t t = fc::jump_fcontext(to, data);
  return {t.fctx, t.data};
}

}  // namespace weft::internal::jump

#endif  // !WEFT_CONTEXT_X86_64_SYSV
