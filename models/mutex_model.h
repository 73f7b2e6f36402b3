// MutexModel: a lock is held by at most one owner; unlock by a non-holder is Go's fatal error
// (which the runtime reports, so histories contain only legal unlocks).
#pragma once

#include <cstdint>
#include <optional>

namespace weft::models {

struct MutexModel {
  enum class Op : std::uint8_t { kLock, kUnlock, kTryLock };
  struct Input {
    Op op;
    std::uint64_t who;
  };
  struct Output {
    bool acquired = true;  // kTryLock
  };
  std::uint64_t holder = 0;  // 0: free

  std::optional<MutexModel> step(const Input& in, const Output& out) const {
    MutexModel next = *this;
    switch (in.op) {
      case Op::kLock:
        if (holder != 0) return std::nullopt;
        next.holder = in.who;
        return next;
      case Op::kTryLock:
        if (out.acquired != (holder == 0)) return std::nullopt;
        if (out.acquired) next.holder = in.who;
        return next;
      case Op::kUnlock:
        if (holder != in.who) return std::nullopt;
        next.holder = 0;
        return next;
    }
    return std::nullopt;
  }
  bool operator==(const MutexModel& o) const { return holder == o.holder; }
  std::size_t hash() const { return holder; }
};

// RWMutexModel: any number of readers or one writer.
struct RWMutexModel {
  enum class Op : std::uint8_t { kLock, kUnlock, kRLock, kRUnlock };
  struct Input {
    Op op;
    std::uint64_t who;
  };
  struct Output {};
  std::uint64_t writer = 0;
  int readers = 0;

  std::optional<RWMutexModel> step(const Input& in, const Output&) const {
    RWMutexModel next = *this;
    switch (in.op) {
      case Op::kLock:
        if (writer != 0 || readers != 0) return std::nullopt;
        next.writer = in.who;
        return next;
      case Op::kUnlock:
        if (writer != in.who) return std::nullopt;
        next.writer = 0;
        return next;
      case Op::kRLock:
        if (writer != 0) return std::nullopt;
        ++next.readers;
        return next;
      case Op::kRUnlock:
        if (readers == 0) return std::nullopt;
        --next.readers;
        return next;
    }
    return std::nullopt;
  }
  bool operator==(const RWMutexModel& o) const {
    return writer == o.writer && readers == o.readers;
  }
  std::size_t hash() const { return writer * 131 + static_cast<std::size_t>(readers); }
};

}  // namespace weft::models
