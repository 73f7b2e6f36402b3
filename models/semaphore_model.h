// SemaphoreModel: a counting semaphore with `permits` permits (the worked example of
// docs/verifying-a-primitive.md).
#pragma once

#include <cstdint>
#include <optional>

namespace weft::models {

struct SemaphoreModel {
  enum class Op : std::uint8_t { kAcquire, kRelease, kTryAcquire };
  struct Input {
    Op op;
  };
  struct Output {
    bool acquired = true;  // kTryAcquire
  };
  int available = 0;

  std::optional<SemaphoreModel> step(const Input& in, const Output& out) const {
    SemaphoreModel next = *this;
    switch (in.op) {
      case Op::kAcquire:
        if (available == 0) return std::nullopt;
        --next.available;
        return next;
      case Op::kTryAcquire:
        if (out.acquired != (available > 0)) return std::nullopt;
        if (out.acquired) --next.available;
        return next;
      case Op::kRelease:
        ++next.available;
        return next;
    }
    return std::nullopt;
  }
  bool operator==(const SemaphoreModel& o) const { return available == o.available; }
  std::size_t hash() const { return static_cast<std::size_t>(available); }
};

}  // namespace weft::models
