// Errors a weft program can end with. Defines:
//   weft::Panic       a recoverable Go panic ("send on closed channel", ...), thrown at the
//                     faulting operation; catch it like Go's recover(). If it escapes a
//                     goroutine the run ends and Runtime::run rethrows it, naming the goroutine.
//   weft::FatalError  an unrecoverable Go fatal error ("all goroutines are asleep - deadlock!",
//                     "sync: unlock of unlocked mutex", ...). The run ends with it even if user
//                     code catches it; goroutineDump() is Go's "goroutine N [reason]:" listing.
//   weft::StepLimitExceeded  deterministic mode: the execution exceeded Config::maxSteps.
//   weft::UsageError  misuse of weft's own API that Go cannot express (a blocking operation
//                     outside any goroutine, a bad configuration value).
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace weft {

class Panic : public std::exception {
 public:
  explicit Panic(std::string message) : message_(std::move(message)) {}

  // what() and message() are Go's panic value text, e.g. "send on closed channel".
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const noexcept { return message_; }

  // Set when the panic escaped goroutine `goroutineId()` and ended the run.
  std::optional<std::uint64_t> goroutineId() const noexcept { return goroutineId_; }
  const std::string& goroutineName() const noexcept { return goroutineName_; }
  // report() is Go's crash text: "panic: <message>\n\ngoroutine N [running]:" plus the spawn
  // site, once the panic has escaped a goroutine.
  const std::string& report() const noexcept { return report_.empty() ? message_ : report_; }
  // cause() is the original exception when a non-weft exception escaped a goroutine.
  std::exception_ptr cause() const noexcept { return cause_; }

  // Used by the runtime when the panic ends a run.
  void setOrigin(std::uint64_t id, std::string name, std::string report) {
    goroutineId_ = id;
    goroutineName_ = std::move(name);
    report_ = std::move(report);
  }
  void setCause(std::exception_ptr cause) { cause_ = std::move(cause); }

 private:
  std::string message_;
  std::optional<std::uint64_t> goroutineId_;
  std::string goroutineName_;
  std::string report_;
  std::exception_ptr cause_;
};

class FatalError : public std::exception {
 public:
  explicit FatalError(std::string message, std::string goroutineDump = {})
      : message_(std::move(message)),
        what_("fatal error: " + message_),
        dump_(std::move(goroutineDump)) {}

  // what() is Go's first line, e.g. "fatal error: all goroutines are asleep - deadlock!".
  const char* what() const noexcept override { return what_.c_str(); }
  // message() is the text after "fatal error: ".
  const std::string& message() const noexcept { return message_; }
  // goroutineDump() lists every goroutine with its id, name, wait reason and spawn site.
  const std::string& goroutineDump() const noexcept { return dump_; }
  std::string report() const { return dump_.empty() ? what_ : what_ + "\n\n" + dump_; }
  void setGoroutineDump(std::string dump) { dump_ = std::move(dump); }

 private:
  std::string message_;
  std::string what_;
  std::string dump_;
};

// StepLimitExceeded: deterministic mode only; an execution ran more scheduling points than
// Config::maxSteps (a livelock, such as two goroutines yielding to each other forever).
class StepLimitExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace weft
