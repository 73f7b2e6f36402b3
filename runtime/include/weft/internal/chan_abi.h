// The small type-erased vocabulary between the typed public channel API (chan.h, select.h) and
// the runtime's ChanCore. Not for users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <source_location>
#include <type_traits>
#include <utility>

namespace weft::internal {

class ChanCore;

// How the runtime moves and destroys elements of one channel's type.
struct ElemOps {
  std::size_t size;
  std::size_t align;
  void (*moveConstruct)(void* dst, void* src);  // dst is raw storage
  void (*destroy)(void* p);
};

template <class T>
inline constexpr ElemOps kElemOps{
    sizeof(T), alignof(T),
    [](void* dst, void* src) { ::new (dst) T(std::move(*static_cast<T*>(src))); },
    [](void* p) { static_cast<T*>(p)->~T(); }};

enum class RecvStatus : std::uint8_t {
  kWouldBlock,  // non-blocking receive found nothing
  kReceived,    // a value was constructed into the destination
  kClosed,      // the channel is closed and drained: zero value, ok = false
};

// One case of a select, type-erased.
struct SelectCase {
  ChanCore* chan = nullptr;  // null: a nil channel, never ready
  void* elem = nullptr;      // send: value to move from; recv: raw storage (or null)
  bool isSend = false;
  bool received = false;     // recv: set when a value was constructed into elem
};

// Entry points (defined in the runtime library).
ChanCore* chanMake(const ElemOps& ops, std::int64_t capacity, std::source_location site);
void chanRetain(ChanCore* c) noexcept;
void chanRelease(ChanCore* c) noexcept;
bool chanSend(ChanCore* c, void* elem, bool block,
              const std::source_location& where = std::source_location::current());
RecvStatus chanRecv(ChanCore* c, void* elem, bool block);
void chanClose(ChanCore* c, const std::source_location& where = std::source_location::current());
std::size_t chanLen(const ChanCore* c) noexcept;
std::size_t chanCap(const ChanCore* c) noexcept;
// selectGo(): returns the chosen case index, or -1 when !block and no case is ready.
// scratch must hold 2*n entries.
int selectGo(SelectCase* cases, std::size_t n, bool block, std::uint16_t* scratch);

}  // namespace weft::internal
