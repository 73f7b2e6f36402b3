// History: records operations with invocation and response steps for linearizability checks.
// In deterministic mode everything runs on one thread, so a plain counter orders events exactly
// as they happened in the execution. The history observes the execution from outside: its
// accesses are hidden from ThreadSanitizer (weft::RaceIgnored), which would otherwise report
// them as races between the goroutines that record.
#pragma once

#include <cstdint>
#include <vector>

#include "models/linearizability.h"
#include "weft/race.h"

namespace weft::props {

template <class Model>
class History {
 public:
  std::uint64_t call() {
    RaceIgnored observer;
    return ++clock_;
  }
  void ret(std::uint64_t callStep, typename Model::Input in, typename Model::Output out,
           std::uint64_t object = 0) {
    RaceIgnored observer;
    ops_.push_back({in, out, callStep, ++clock_, object});
  }
  const std::vector<models::Operation<Model>>& ops() const { return ops_; }

 private:
  std::uint64_t clock_ = 0;
  std::vector<models::Operation<Model>> ops_;
};

}  // namespace weft::props
