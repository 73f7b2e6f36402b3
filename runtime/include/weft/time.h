// Go's time package, on the scheduler's clock. Defines:
//   Clock, TimePoint, Duration     a monotonic std::chrono clock: real time in production,
//                                  virtual time in deterministic mode
//   sleep(d)                       Go: time.Sleep
//   after(d)                       Go: time.After: a channel that receives the time after d
//   Timer                          Go: time.NewTimer / time.AfterFunc: c(), stop(), reset(d)
//   Ticker                         Go: time.NewTicker: c(), stop(), reset(d)
//
//   using namespace std::chrono_literals;
//   switch (weft::select(weft::recv(results, r), weft::recv(weft::after(50ms)))) { ... }
//
// In deterministic mode the clock stands still while any goroutine can run and jumps to the
// next deadline when every goroutine is blocked (goroutines waiting on a Mutex count as
// blocked), so a 10-minute timeout takes microseconds. Timers due at the same instant fire in
// an order the strategy chooses.
//
// A timer's channel has capacity 1 and the timer never blocks on it: a tick nobody received is
// dropped, as in Go. Timer and Ticker stop themselves when destroyed (Go would garbage-collect
// them); channels already handed out stay valid.
//
// Panics (weft::Panic, Go's texts): "non-positive interval for NewTicker",
// "non-positive interval for Ticker.Reset".
//
// Memory ordering: creating or resetting a timer happens before it fires; after(d) and a
// Timer's channel deliver like any channel send; an afterFunc's function runs in a new
// goroutine, and the timer's creation happens before that goroutine starts.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <source_location>

#include "weft/chan.h"

namespace weft {

using Duration = std::chrono::nanoseconds;

struct Clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock>;
  static constexpr bool is_steady = true;
  // now() is the running goroutine's scheduler clock (outside any goroutine: steady_clock).
  static time_point now() noexcept;
};
using TimePoint = Clock::time_point;

// sleep() pauses the current goroutine for at least d; d <= 0 returns at once (Go: time.Sleep).
void sleep(Duration d);

// after(d) is a channel that receives the current time once, d from now (Go: time.After).
RecvChan<TimePoint> after(Duration d, std::source_location site = std::source_location::current());

namespace internal {
struct TimerState;
}

// Timer: Go's time.Timer. Either a channel timer (c() receives the time when it fires) or a
// function timer made by afterFunc (c() is nil; the function runs in its own goroutine).
class Timer {
 public:
  // Go: time.NewTimer(d).
  explicit Timer(Duration d, std::source_location site = std::source_location::current());
  Timer(Timer&&) noexcept;
  Timer& operator=(Timer&&) noexcept;
  ~Timer();

  RecvChan<TimePoint> c() const;
  // stop() prevents the timer from firing: true if that stopped it, false if it had already
  // fired or been stopped. It does not drain c() (Go 1.19 semantics).
  bool stop();
  // reset() changes the timer to fire d from now: true if it had been active. For a channel
  // timer, call it only on a stopped or fired timer whose channel was drained, as in Go.
  bool reset(Duration d);

 private:
  friend Timer afterFunc(Duration, std::function<void()>, std::source_location);
  explicit Timer(std::unique_ptr<internal::TimerState> s);
  std::unique_ptr<internal::TimerState> s_;
};

// afterFunc(d, f) runs f in its own goroutine once d has elapsed (Go: time.AfterFunc); the
// returned Timer's stop() cancels it.
Timer afterFunc(Duration d, std::function<void()> f,
                std::source_location site = std::source_location::current());

// Ticker: Go's time.Ticker; c() receives the time every d (ticks nobody takes are dropped).
class Ticker {
 public:
  explicit Ticker(Duration d, std::source_location site = std::source_location::current());
  Ticker(Ticker&&) noexcept;
  Ticker& operator=(Ticker&&) noexcept;
  ~Ticker();

  RecvChan<TimePoint> c() const;
  void stop();
  // reset() stops the ticker and restarts it with period d (Go: Ticker.Reset).
  void reset(Duration d);

 private:
  std::unique_ptr<internal::TimerState> s_;
};

}  // namespace weft
