// go: start a goroutine (Go's `go f(args...)`), plus yield and the current goroutine's id.
//
//   weft::go([&] { worker(jobs, results); });
//   weft::go(worker, jobs, results);                    // arguments are moved/copied in
//   weft::go(weft::Named{"producer"}, [&] { ... });     // a name for dumps and reports
//   GoroutineId id = weft::go(f).id;
//
// Must be called from a goroutine (main's body counts). The spawn site (file:line) is recorded
// for goroutine dumps, leak and race reports.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/internal/task.h"
#include "weft/runtime.h"

namespace weft {

// A goroutine name for reports; the first argument of go().
struct Named {
  std::string name;
};

namespace internal {
GoroutineId spawnGoroutine(Task&& body, std::string&& name, std::source_location site);

template <class F, class... Args>
Task bindTask(F&& f, Args&&... args) {
  return Task([fn = std::decay_t<F>(std::forward<F>(f)),
               tup = std::make_tuple(std::decay_t<Args>(std::forward<Args>(args))...)]() mutable {
    std::apply(fn, std::move(tup));
  });
}
}  // namespace internal

// go(f, args...) spawns a goroutine running f(args...). It is a class only so that the spawn
// site can be captured after a parameter pack; use it like a function.
template <class F, class... Args>
struct go {
  explicit go(F&& f, Args&&... args,
              std::source_location site = std::source_location::current()) {
    if constexpr (std::is_same_v<std::decay_t<F>, Named>) {
      static_assert(sizeof...(Args) >= 1, "weft::go(Named, f, args...) needs a function");
      spawnNamed(std::string(f.name), site, std::forward<Args>(args)...);
    } else {
      id = internal::spawnGoroutine(
          internal::bindTask(std::forward<F>(f), std::forward<Args>(args)...), {}, site);
    }
  }
  GoroutineId id = 0;

 private:
  template <class Fn, class... Rest>
  void spawnNamed(std::string name, std::source_location site, Fn&& fn, Rest&&... rest) {
    id = internal::spawnGoroutine(
        internal::bindTask(std::forward<Fn>(fn), std::forward<Rest>(rest)...), std::move(name),
        site);
  }
};
template <class F, class... Args>
go(F&&, Args&&...) -> go<F, Args...>;

// yield() lets other goroutines run (Go: runtime.Gosched). A scheduling point.
void yield();

// currentGoroutineId() is the running goroutine's id (0 outside any goroutine). Ids start at 1
// (main) in every run.
GoroutineId currentGoroutineId();

// randomU64() is a random number from the scheduler: seeded and replayable in deterministic
// mode. Use it instead of an unseeded RNG in code under test.
std::uint64_t randomU64();

}  // namespace weft
