// ChanModel: Go's channel as a sequential specification. Buffered channels are a bounded FIFO;
// an unbuffered channel is a one-slot hand-off register whose send and receive must also
// overlap in time (checked separately, see rendezvousHolds()), since a linearization of single
// operations cannot express a rendezvous. Operations that would block are not in histories:
// only completed ones are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "models/linearizability.h"

namespace weft::models {

struct ChanModel {
  enum class Op : std::uint8_t { kSend, kRecv, kClose };
  struct Input {
    Op op;
    int value = 0;  // kSend
  };
  struct Output {
    int value = 0;      // kRecv
    bool ok = true;     // kRecv: false when closed and drained
    bool panicked = false;  // kSend / kClose: Go panicked ("send on closed channel", ...)
  };

  std::size_t capacity = 0;
  std::deque<int> buffer;
  bool closed = false;

  std::optional<ChanModel> step(const Input& in, const Output& out) const {
    ChanModel next = *this;
    const std::size_t room = capacity == 0 ? 1 : capacity;  // unbuffered: a one-slot hand-off
    switch (in.op) {
      case Op::kSend:
        if (closed) return out.panicked ? std::optional(next) : std::nullopt;
        if (out.panicked || buffer.size() >= room) return std::nullopt;
        next.buffer.push_back(in.value);
        return next;
      case Op::kRecv:
        if (!buffer.empty()) {
          if (!out.ok || out.value != buffer.front()) return std::nullopt;
          next.buffer.pop_front();
          return next;
        }
        if (closed && !out.ok && out.value == 0) return next;
        return std::nullopt;
      case Op::kClose:
        if (closed) return out.panicked ? std::optional(next) : std::nullopt;
        if (out.panicked) return std::nullopt;
        next.closed = true;
        return next;
    }
    return std::nullopt;
  }

  bool operator==(const ChanModel& o) const {
    return capacity == o.capacity && buffer == o.buffer && closed == o.closed;
  }
  std::size_t hash() const {
    std::size_t h = closed ? 7 : 3;
    for (int v : buffer) h = h * 31 + static_cast<std::size_t>(v);
    return h;
  }
};

// rendezvousHolds(): on an unbuffered channel every completed send's interval overlaps the
// interval of the receive that got its value (values must be unique in the history).
inline bool rendezvousHolds(const std::vector<Operation<ChanModel>>& history) {
  for (const auto& s : history) {
    if (s.input.op != ChanModel::Op::kSend || s.output.panicked) continue;
    for (const auto& r : history) {
      if (r.input.op == ChanModel::Op::kRecv && r.output.ok && r.output.value == s.input.value) {
        if (s.ret < r.call || r.ret < s.call) return false;
      }
    }
  }
  return true;
}

}  // namespace weft::models
