// TimerHeap: pending timers ordered by (when, seq): a binary min-heap of intrusive TimerNodes.
// Not synchronized; each scheduler guards its own. seq (insertion order) breaks ties so that
// timers due at the same instant fire in the order they were set, in both schedulers.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler.h"

namespace weft::internal {

class TimerHeap {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  TimerNode* top() const { return heap_.front(); }

  void push(TimerNode* t) {
    t->seq = nextSeq_++;
    t->heapIndex = static_cast<std::int64_t>(heap_.size());
    heap_.push_back(t);
    siftUp(heap_.size() - 1);
  }
  TimerNode* pop() {
    TimerNode* t = heap_.front();
    removeAt(0);
    return t;
  }
  // remove() returns false if t is not in the heap.
  bool remove(TimerNode* t) {
    if (t->heapIndex < 0) return false;
    removeAt(static_cast<std::size_t>(t->heapIndex));
    return true;
  }
  // onlyPeriodic(): every pending timer is periodic (a Ticker), so firing them can only drop
  // ticks into channels nobody is receiving from.
  bool onlyPeriodic() const {
    for (const TimerNode* t : heap_) {
      if (t->period <= 0) return false;
    }
    return true;
  }
  // releaseAll() empties the heap at the end of a run: no pending timer will fire.
  void releaseAll() {
    std::vector<TimerNode*> pending = std::move(heap_);
    heap_.clear();
    for (TimerNode* t : pending) {
      t->heapIndex = -1;
      releaseTimer(*t);
    }
  }

 private:
  static bool less(const TimerNode* a, const TimerNode* b) {
    return a->when != b->when ? a->when < b->when : a->seq < b->seq;
  }
  void place(std::size_t i, TimerNode* t) {
    heap_[i] = t;
    t->heapIndex = static_cast<std::int64_t>(i);
  }
  void siftUp(std::size_t i) {
    TimerNode* t = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!less(t, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, t);
  }
  void siftDown(std::size_t i) {
    TimerNode* t = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && less(heap_[c + 1], heap_[c])) ++c;
      if (!less(heap_[c], t)) break;
      place(i, heap_[c]);
      i = c;
    }
    place(i, t);
  }
  void removeAt(std::size_t i) {
    heap_[i]->heapIndex = -1;
    TimerNode* last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    place(i, last);
    if (i > 0 && less(last, heap_[(i - 1) / 2])) {
      siftUp(i);
    } else {
      siftDown(i);
    }
  }

  std::vector<TimerNode*> heap_;
  std::uint64_t nextSeq_ = 0;
};

}  // namespace weft::internal
