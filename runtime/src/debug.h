// How the runtime fails. Go has three levels and so do we:
//   panicWith(text)   a recoverable Go panic: throws weft::Panic with Go's exact text.
//   fatal(text)       a Go fatal error (unrecoverable): the run is marked failed first, so it
//                     ends with weft::FatalError even if user code catches the exception.
//   WEFT_CHECK(cond)  an internal invariant of weft itself; a failure is a weft bug and aborts
//                     with the condition and location (Go: throw).
#pragma once

#include <source_location>
#include <string>

namespace weft::internal {

struct G;

[[noreturn]] void panicWith(const char* goText);
[[noreturn]] void fatal(const std::string& goText);
[[noreturn]] void fatalStackOverflow(G& g);
[[noreturn]] void checkFailed(const char* cond, std::source_location where);
// usageError(text) throws weft::UsageError (misuse of weft's own API).
[[noreturn]] void usageError(const std::string& text);

}  // namespace weft::internal

#define WEFT_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) [[unlikely]]                                                            \
      ::weft::internal::checkFailed(#cond, std::source_location::current());             \
  } while (0)

#ifdef NDEBUG
#define WEFT_DCHECK(cond) \
  do {                    \
  } while (0)
#else
#define WEFT_DCHECK(cond) WEFT_CHECK(cond)
#endif
