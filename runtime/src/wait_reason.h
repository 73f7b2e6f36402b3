// Why a goroutine is parked: one enumerator per park site, never reused, so a goroutine dump
// says exactly where each goroutine waits. Texts are Go's (runtime2.go waitReasonStrings; the
// sync.* ones are the names Go 1.20+ prints instead of 1.19's generic "semacquire").
#pragma once

#include <cstdint>
#include <string_view>

namespace weft::internal {

enum class WaitReason : std::uint8_t {
  kNone,
  kChanReceive,         // Chan::recv on a non-nil channel
  kChanSend,            // Chan::send on a non-nil channel
  kChanReceiveNilChan,  // recv on a nil channel: blocks forever
  kChanSendNilChan,     // send on a nil channel: blocks forever
  kSelect,              // select with at least one non-nil case
  kSelectNoCases,       // select with no cases (or only nil ones): blocks forever
  kMutexLock,           // Mutex::lock
  kRWMutexRLock,        // RWMutex::lock_shared
  kRWMutexLock,         // RWMutex::lock
  kCondWait,            // Cond::wait
  kWaitGroupWait,       // WaitGroup::wait
  kSemacquire,          // any other semaphore acquire (Once slow path, user code)
  kSleep,               // weft::sleep
  kPreempted,           // deterministic mode: switched out at a scheduling point
};

constexpr std::string_view toString(WaitReason r) {
  switch (r) {
    case WaitReason::kNone: return "running";
    case WaitReason::kChanReceive: return "chan receive";
    case WaitReason::kChanSend: return "chan send";
    case WaitReason::kChanReceiveNilChan: return "chan receive (nil chan)";
    case WaitReason::kChanSendNilChan: return "chan send (nil chan)";
    case WaitReason::kSelect: return "select";
    case WaitReason::kSelectNoCases: return "select (no cases)";
    case WaitReason::kMutexLock: return "sync.Mutex.Lock";
    case WaitReason::kRWMutexRLock: return "sync.RWMutex.RLock";
    case WaitReason::kRWMutexLock: return "sync.RWMutex.Lock";
    case WaitReason::kCondWait: return "sync.Cond.Wait";
    case WaitReason::kWaitGroupWait: return "sync.WaitGroup.Wait";
    case WaitReason::kSemacquire: return "semacquire";
    case WaitReason::kSleep: return "sleep";
    case WaitReason::kPreempted: return "preempted";
  }
  return "unknown";
}

}  // namespace weft::internal
