// WaitGroupModel, OnceModel, CondModel: sequential specifications of the rest of Go's sync.
#pragma once

#include <cstdint>
#include <algorithm>
#include <deque>
#include <optional>

namespace weft::models {

// WaitGroupModel: wait returns only when the counter is zero; a negative counter panics.
struct WaitGroupModel {
  enum class Op : std::uint8_t { kAdd, kWaitReturned };
  struct Input {
    Op op;
    int delta = 0;
  };
  struct Output {
    bool panicked = false;
  };
  int counter = 0;

  std::optional<WaitGroupModel> step(const Input& in, const Output& out) const {
    WaitGroupModel next = *this;
    if (in.op == Op::kAdd) {
      next.counter += in.delta;
      if (next.counter < 0) return out.panicked ? std::optional(*this) : std::nullopt;
      return out.panicked ? std::nullopt : std::optional(next);
    }
    return counter == 0 ? std::optional(next) : std::nullopt;
  }
  bool operator==(const WaitGroupModel& o) const { return counter == o.counter; }
  std::size_t hash() const { return static_cast<std::size_t>(counter); }
};

// OnceModel: the function runs exactly once, before any call returns.
struct OnceModel {
  enum class Op : std::uint8_t { kRanFunction, kCallReturned };
  struct Input {
    Op op;
  };
  struct Output {};
  bool ran = false;

  std::optional<OnceModel> step(const Input& in, const Output&) const {
    OnceModel next = *this;
    if (in.op == Op::kRanFunction) {
      if (ran) return std::nullopt;
      next.ran = true;
      return next;
    }
    return ran ? std::optional(next) : std::nullopt;
  }
  bool operator==(const OnceModel& o) const { return ran == o.ran; }
  std::size_t hash() const { return ran; }
};

// CondModel: waiters queue in order; signal wakes the oldest, broadcast wakes all.
struct CondModel {
  enum class Op : std::uint8_t { kWait, kSignal, kBroadcast, kWoken };
  struct Input {
    Op op;
    std::uint64_t who = 0;
  };
  struct Output {};
  std::deque<std::uint64_t> waiting;
  std::deque<std::uint64_t> wakeable;  // signalled, not yet returned

  std::optional<CondModel> step(const Input& in, const Output&) const {
    CondModel next = *this;
    switch (in.op) {
      case Op::kWait:
        next.waiting.push_back(in.who);
        return next;
      case Op::kSignal:
        if (!next.waiting.empty()) {
          next.wakeable.push_back(next.waiting.front());
          next.waiting.pop_front();
        }
        return next;
      case Op::kBroadcast:
        for (auto w : next.waiting) next.wakeable.push_back(w);
        next.waiting.clear();
        return next;
      case Op::kWoken: {
        auto it = std::find(next.wakeable.begin(), next.wakeable.end(), in.who);
        if (it == next.wakeable.end()) return std::nullopt;
        next.wakeable.erase(it);
        return next;
      }
    }
    return std::nullopt;
  }
  bool operator==(const CondModel& o) const {
    return waiting == o.waiting && wakeable == o.wakeable;
  }
  std::size_t hash() const { return waiting.size() * 131 + wakeable.size(); }
};

}  // namespace weft::models
