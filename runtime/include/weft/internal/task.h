// Task: a move-only, type-erased `void()` callable with inline storage, the body of a
// goroutine. std::function would refuse move-only captures (a goroutine owning a unique_ptr
// is ordinary C++), and std::move_only_function is C++23.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace weft::internal {

class Task {
 public:
  static constexpr std::size_t kInlineSize = 64;

  Task() = default;
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, Task> && std::is_invocable_v<D&>>>
  Task(F&& f) {  // NOLINT(google-explicit-constructor): a Task is made from any callable
    if constexpr (sizeof(D) <= kInlineSize && alignof(D) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &inlineOps<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &heapOps<D>;
    }
  }
  Task(Task&& o) noexcept { moveFrom(o); }
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      moveFrom(o);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()() { ops_->call(buf_); }
  void reset() {
    if (ops_ != nullptr) {
      ops_->destroy(buf_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    void (*call)(void*);
    void (*move)(void* dst, void* src);  // move-constructs into dst and destroys src
    void (*destroy)(void*);
  };
  // Safety for the casts below: buf_ holds either a D (inline) or a D* (heap), as ops_ says.
  template <class D>
  static constexpr Ops inlineOps{
      [](void* p) { (*static_cast<D*>(p))(); },
      [](void* dst, void* src) {
        ::new (dst) D(std::move(*static_cast<D*>(src)));
        static_cast<D*>(src)->~D();
      },
      [](void* p) { static_cast<D*>(p)->~D(); }};
  template <class D>
  static constexpr Ops heapOps{
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* dst, void* src) { *static_cast<D**>(dst) = *static_cast<D**>(src); },
      [](void* p) { delete *static_cast<D**>(p); }};

  void moveFrom(Task& o) noexcept {
    ops_ = o.ops_;
    if (ops_ != nullptr) ops_->move(buf_, o.buf_);
    o.ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char buf_[kInlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace weft::internal
