#include "weft/sim/events.h"

namespace weft::sim {

std::string_view toString(OpKind k) {
  switch (k) {
    case OpKind::kGo: return "go";
    case OpKind::kYield: return "yield";
    case OpKind::kChanMake: return "make";
    case OpKind::kChanSend: return "send";
    case OpKind::kChanRecv: return "recv";
    case OpKind::kChanClose: return "close";
    case OpKind::kChanLen: return "len";
    case OpKind::kSelect: return "select";
    case OpKind::kMutexLock: return "lock";
    case OpKind::kMutexUnlock: return "unlock";
    case OpKind::kRLock: return "rlock";
    case OpKind::kRUnlock: return "runlock";
    case OpKind::kCondWait: return "cond.wait";
    case OpKind::kCondSignal: return "cond.signal";
    case OpKind::kCondBroadcast: return "cond.broadcast";
    case OpKind::kOnce: return "once";
    case OpKind::kWaitGroupAdd: return "wg.add";
    case OpKind::kWaitGroupWait: return "wg.wait";
    case OpKind::kAtomicLoad: return "atomic.load";
    case OpKind::kAtomicStore: return "atomic.store";
    case OpKind::kAtomicRmw: return "atomic.rmw";
    case OpKind::kTimer: return "timer";
    case OpKind::kSleep: return "sleep";
    case OpKind::kContext: return "context";
    case OpKind::kCellRead: return "read";
    case OpKind::kCellWrite: return "write";
  }
  return "?";
}

}  // namespace weft::sim
