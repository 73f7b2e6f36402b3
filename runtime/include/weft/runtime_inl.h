// Template bodies for runtime.h.
#pragma once

#include "weft/internal/task.h"

namespace weft {

template <class F>
RunResult Runtime::run(F&& main, std::source_location where) {
  return runTask(internal::Task(std::forward<F>(main)), where);
}

template <class F>
RunResult run(F&& main, Config config, std::source_location where) {
  Runtime rt(config);
  return rt.run(std::forward<F>(main), where);
}

}  // namespace weft
