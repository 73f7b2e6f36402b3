#include "debug.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "g.h"
#include "runtime_core.h"
#include "weft/errors.h"

namespace weft::internal {

void panicWith(const char* goText) { throw Panic(goText); }

void fatal(const std::string& goText) {
  FatalError e(goText);
  if (G* g = currentG()) {
    e.setGoroutineDump(g->rt->goroutineDump());
    g->rt->recordFatal(e);
  }
  throw e;
}

void fatalStackOverflow(G& g) {
  std::fprintf(stderr,
               "fatal error: stack overflow\n\ngoroutine %llu%s%s%s: wrote below its %zu-byte "
               "stack (canary overwritten).\nRaise weft::Config::stackSize (or WEFT_STACK_SIZE) "
               "or reduce recursion depth.\n",
               static_cast<unsigned long long>(g.id), g.name.empty() ? "" : " (", g.name.c_str(),
               g.name.empty() ? "" : ")", g.stack.size);
  std::abort();
}

void checkFailed(const char* cond, std::source_location where) {
  std::fprintf(stderr, "weft: internal check failed: %s at %s:%u (%s)\n", cond, where.file_name(),
               where.line(), where.function_name());
  std::abort();
}

void usageError(const std::string& text) { throw UsageError(text); }

}  // namespace weft::internal
