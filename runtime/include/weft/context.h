// Go's context package: cancellation, deadlines and request-scoped values. Defines:
//   Context                 an immutable handle (copies share state), Go's context.Context
//   background(), todo()    the root contexts; never canceled, no deadline, done() is nil
//   withCancel(parent)      -> {ctx, cancel}
//   withDeadline(parent, t) -> {ctx, cancel}; canceled with deadlineExceeded at t
//   withTimeout(parent, d)  -> withDeadline(parent, now + d)
//   withValue(parent, key, value)
//   ContextError            canceled ("context canceled"), deadlineExceeded ("context deadline
//                           exceeded"), as std::error_code values
//
//   auto [ctx, cancel] = weft::withTimeout(weft::background(), 100ms);
//   switch (weft::select(weft::recv(results, r), weft::recv(ctx.done()))) {
//     case 1: return ctx.err();   // == weft::ContextError::deadlineExceeded
//   }
//   cancel();
//
// Semantics are Go's: canceling a context cancels all its descendants and removes it from its
// parent; err() is empty until done() is closed and then says why; cancel functions may be
// called any number of times, from any goroutine. As in Go, call cancel when done with a
// context: a canceled-never context stays linked into its cancelable parent until the parent
// is canceled. Deadlines run on weft's Clock (virtual in deterministic mode).
//
// Memory ordering: a cancel (or the deadline) happens before done() is observed closed and
// before err() returns non-empty.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "weft/chan.h"
#include "weft/select.h"
#include "weft/time.h"

namespace weft {

enum class ContextError { canceled = 1, deadlineExceeded = 2 };
const std::error_category& contextCategory() noexcept;
inline std::error_code make_error_code(ContextError e) noexcept {
  return {static_cast<int>(e), contextCategory()};
}

namespace internal {
struct ContextNode;
}

class Context {
 public:
  // A default-constructed Context is background().
  Context();

  // done() is closed when the context is canceled; nil (never ready) for background().
  RecvChan<Unit> done() const;
  // err() is empty while done() is open, then canceled or deadlineExceeded.
  std::error_code err() const;
  // deadline() is when the context will be canceled automatically, if ever.
  std::optional<TimePoint> deadline() const;
  // value(key) is the value of the nearest withValue(…, key, …) ancestor (an empty std::any if
  // that binding is empty, which hides bindings further up, like Go's nil), or null.
  const std::any* value(const void* key) const;

 private:
  friend struct internal::ContextNode;
  explicit Context(std::shared_ptr<internal::ContextNode> n) : n_(std::move(n)) {}
  std::shared_ptr<internal::ContextNode> n_;
};

using CancelFunc = std::function<void()>;

Context background();
Context todo();
std::pair<Context, CancelFunc> withCancel(const Context& parent);
std::pair<Context, CancelFunc> withDeadline(const Context& parent, TimePoint deadline);
std::pair<Context, CancelFunc> withTimeout(const Context& parent, Duration timeout);
// withValue panics "nil key" for a null key, as Go's WithValue does.
Context withValue(const Context& parent, const void* key, std::any value);

}  // namespace weft

template <>
struct std::is_error_code_enum<weft::ContextError> : std::true_type {};
