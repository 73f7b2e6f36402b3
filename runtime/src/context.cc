// Go's context package (context/context.go, Go 1.19) on weft's Mutex, channels and timers.
#include "weft/context.h"

#include <string>
#include <algorithm>
#include <vector>

#include "debug.h"
#include "weft/sync.h"
#include "race.h"

namespace weft {

namespace {
class ContextCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "context"; }
  std::string message(int e) const override {
    switch (static_cast<ContextError>(e)) {
      case ContextError::canceled: return "context canceled";
      case ContextError::deadlineExceeded: return "context deadline exceeded";
    }
    return "unknown context error";
  }
};
}  // namespace

const std::error_category& contextCategory() noexcept {
  static const ContextCategory category;
  return category;
}

namespace internal {

// One context. Background is the node with no parent; a cancelable node (withCancel,
// withDeadline) has a done channel; a value node only carries key/value.
//
// Invariants: err, children and timer are guarded by mu; err is set at most once and done is
// closed exactly when it is set; a node is in its cancelable ancestor's children iff neither
// has been canceled.
struct ContextNode : std::enable_shared_from_this<ContextNode> {
  std::shared_ptr<ContextNode> parent;
  bool cancelable = false;
  std::optional<TimePoint> deadline;
  const void* key = nullptr;
  std::any val;

  Mutex mu{"context"};
  Chan<Unit> done;
  std::error_code err;
  std::vector<std::shared_ptr<ContextNode>> children;  // in creation order: deterministic
  std::optional<Timer> timer;

  static Context handle(std::shared_ptr<ContextNode> n) { return Context(std::move(n)); }

  // The nearest cancelable node at or above this one (null: none, as under background()).
  ContextNode* nearestCancelable() {
    for (ContextNode* n = this; n != nullptr; n = n->parent.get()) {
      if (n->cancelable) return n;
    }
    return nullptr;
  }

  // Go: propagateCancel. Link this new cancelable node under its cancelable ancestor, or
  // cancel it at once if that ancestor is already canceled.
  void propagateCancel() {
    ContextNode* p = parent ? parent->nearestCancelable() : nullptr;
    if (p == nullptr) return;  // never canceled from above
    std::error_code parentErr;
    {
      std::lock_guard l(p->mu);
      if (p->err) {
        parentErr = p->err;
      } else {
        p->children.push_back(shared_from_this());
      }
    }
    if (parentErr) cancel(false, parentErr);
  }

  // Go: cancelCtx.cancel. Closes done, cancels every child, stops the deadline timer.
  void cancel(bool removeFromParent, std::error_code why) {
    std::vector<std::shared_ptr<ContextNode>> kids;
    std::optional<Timer> t;
    {
      std::lock_guard l(mu);
      if (err) return;  // already canceled
      err = why;
      done.close();
      kids.swap(children);
      t.swap(timer);
    }
    for (const auto& child : kids) child->cancel(false, why);
    if (t) t->stop();
    if (removeFromParent && parent) {
      if (ContextNode* p = parent->nearestCancelable()) {
        std::lock_guard l(p->mu);
        auto self = shared_from_this();
        std::erase(p->children, self);
      }
    }
  }

  static std::shared_ptr<ContextNode> makeCancelable(const Context& parent);
  static std::shared_ptr<ContextNode> makeValue(const Context& parent, const void* key,
                                                std::any value) {
    auto n = std::make_shared<ContextNode>();
    n->parent = parent.n_;
    n->key = key;
    n->val = std::move(value);
    return n;
  }
};

}  // namespace internal

using internal::ContextNode;

namespace {
std::shared_ptr<ContextNode> backgroundNode() {
  static const auto node = std::make_shared<ContextNode>();
  return node;
}
}  // namespace

Context::Context() : n_(backgroundNode()) {}
Context background() { return Context(); }
Context todo() { return Context(); }

RecvChan<Unit> Context::done() const {
  internal::RuntimeScope runtime;
  ContextNode* c = n_->nearestCancelable();
  return c != nullptr ? RecvChan<Unit>(c->done) : RecvChan<Unit>();
}

std::error_code Context::err() const {
  internal::RuntimeScope runtime;
  ContextNode* c = n_->nearestCancelable();
  if (c == nullptr) return {};
  std::lock_guard l(c->mu);
  return c->err;
}

std::optional<TimePoint> Context::deadline() const {
  internal::RuntimeScope runtime;
  for (ContextNode* n = n_.get(); n != nullptr; n = n->parent.get()) {
    if (n->deadline) return n->deadline;
  }
  return std::nullopt;
}

const std::any* Context::value(const void* key) const {
  internal::RuntimeScope runtime;
  if (key == nullptr) return nullptr;
  // The nearest binding wins, even an empty one (Go: WithValue(ctx, k, nil) hides k above).
  for (ContextNode* n = n_.get(); n != nullptr; n = n->parent.get()) {
    if (n->key == key) return &n->val;
  }
  return nullptr;
}

std::shared_ptr<ContextNode> ContextNode::makeCancelable(const Context& parent) {
  auto n = std::make_shared<ContextNode>();
  n->parent = parent.n_;
  n->cancelable = true;
  n->done = makeChan<Unit>();
  return n;
}

namespace {
CancelFunc cancelFuncFor(const std::shared_ptr<ContextNode>& n) {
  return [n] {
    internal::RuntimeScope runtime;
    n->cancel(true, ContextError::canceled);
  };
}
}  // namespace

std::pair<Context, CancelFunc> withCancel(const Context& parent) {
  internal::RuntimeScope runtime;
  auto n = ContextNode::makeCancelable(parent);
  n->propagateCancel();
  return {ContextNode::handle(n), cancelFuncFor(n)};
}

std::pair<Context, CancelFunc> withDeadline(const Context& parent, TimePoint deadline) {
  internal::RuntimeScope runtime;
  if (auto current = parent.deadline(); current && *current < deadline) {
    return withCancel(parent);  // the parent's earlier deadline governs
  }
  auto n = ContextNode::makeCancelable(parent);
  n->deadline = deadline;
  n->propagateCancel();
  const Duration left = deadline - Clock::now();
  if (left.count() <= 0) {
    n->cancel(true, ContextError::deadlineExceeded);  // deadline already passed
    return {ContextNode::handle(n), cancelFuncFor(n)};
  }
  {
    std::lock_guard l(n->mu);
    if (!n->err) {
      std::weak_ptr<ContextNode> weak = n;
      n->timer.emplace(afterFunc(left, [weak] {
        if (auto live = weak.lock()) live->cancel(true, ContextError::deadlineExceeded);
      }));
    }
  }
  return {ContextNode::handle(n), cancelFuncFor(n)};
}

std::pair<Context, CancelFunc> withTimeout(const Context& parent, Duration timeout) {
  internal::RuntimeScope runtime;
  const TimePoint now = Clock::now();
  // Clamp instead of overflowing: a huge timeout means "never" (Go does the same in when()).
  const TimePoint deadline =
      timeout > TimePoint::max() - now ? TimePoint::max() : now + timeout;
  return withDeadline(parent, deadline);
}

Context withValue(const Context& parent, const void* key, std::any value) {
  internal::RuntimeScope runtime;
  if (key == nullptr) internal::panicWith("nil key");
  return ContextNode::handle(ContextNode::makeValue(parent, key, std::move(value)));
}

}  // namespace weft
