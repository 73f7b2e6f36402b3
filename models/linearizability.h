// Linearizability checking (Herlihy & Wing 1990) of a recorded history against a sequential
// model: Wing & Gong's backtracking search over the operations whose invocation precedes every
// pending response, with Lowe's / porcupine's memoization of (set of linearized operations,
// model state), so that equivalent search states are visited once. Histories of different
// objects are checked separately (P-compositionality: Horn & Kroening, "Faster
// linearizability checking via P-compositionality", FORTE 2015).
//
// A Model is a value type with nested Input and Output types, operator== and a hash(), and
//   std::optional<Model> step(const Input&, const Output&) const;
// returning the state after the operation, or nullopt if that output is impossible there.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_set>
#include <vector>

namespace weft::models {

template <class Model>
struct Operation {
  typename Model::Input input;
  typename Model::Output output;
  std::uint64_t call = 0;    // when it was invoked (a step counter)
  std::uint64_t ret = 0;     // when it returned; call < ret
  std::uint64_t object = 0;  // which object (histories are checked per object)
};

namespace detail {
struct BitsHash {
  std::size_t operator()(const std::vector<std::uint64_t>& v) const {
    std::size_t h = 1469598103934665603ull;
    for (auto x : v) h = (h ^ x) * 1099511628211ull;
    return h;
  }
};

template <class Model>
bool linearizableOne(const std::vector<Operation<Model>>& ops, const Model& initial,
                     std::vector<std::size_t>* order) {
  const std::size_t n = ops.size();
  std::vector<std::uint64_t> done((n + 63) / 64, 0);
  auto isDone = [&](std::size_t i) { return (done[i / 64] >> (i % 64)) & 1; };
  auto flip = [&](std::size_t i) { done[i / 64] ^= std::uint64_t{1} << (i % 64); };
  struct Key {
    std::vector<std::uint64_t> bits;
    Model state;
    bool operator==(const Key& o) const { return bits == o.bits && state == o.state; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return BitsHash{}(k.bits) ^ (k.state.hash() * 31); }
  };
  std::unordered_set<Key, KeyHash> seen;
  std::vector<std::size_t> stack;
  std::vector<Model> states{initial};
  std::vector<std::size_t> nextTry{0};  // per depth: next candidate index to try

  while (true) {
    if (stack.size() == n) {
      if (order != nullptr) *order = stack;
      return true;
    }
    // The earliest response among pending operations bounds which ones may go next.
    std::uint64_t minRet = UINT64_MAX;
    for (std::size_t i = 0; i < n; ++i) {
      if (!isDone(i)) minRet = std::min(minRet, ops[i].ret);
    }
    bool advanced = false;
    for (std::size_t i = nextTry.back(); i < n; ++i) {
      if (isDone(i) || ops[i].call > minRet) continue;
      std::optional<Model> next = states.back().step(ops[i].input, ops[i].output);
      if (!next) continue;
      flip(i);
      Key key{done, *next};
      if (seen.count(key) != 0) {
        flip(i);
        continue;
      }
      seen.insert(std::move(key));
      nextTry.back() = i + 1;
      stack.push_back(i);
      states.push_back(std::move(*next));
      nextTry.push_back(0);
      advanced = true;
      break;
    }
    if (advanced) continue;
    if (stack.empty()) return false;
    // Backtrack.
    flip(stack.back());
    stack.pop_back();
    states.pop_back();
    nextTry.pop_back();
  }
}
}  // namespace detail

// linearizable() checks every object's sub-history; on success `order` (if given) receives,
// per object, one linearization (indices into that object's operations).
template <class Model>
bool linearizable(const std::vector<Operation<Model>>& history, const Model& initial) {
  std::map<std::uint64_t, std::vector<Operation<Model>>> byObject;
  for (const auto& op : history) byObject[op.object].push_back(op);
  for (const auto& [object, ops] : byObject) {
    if (!detail::linearizableOne(ops, initial, nullptr)) return false;
  }
  return true;
}

}  // namespace weft::models
