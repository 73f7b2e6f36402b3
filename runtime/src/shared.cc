// The scheduling point behind weft::Shared<T> (shared.h).
#include "park.h"
#include "weft/shared.h"

namespace weft::internal {

void cellAccess(const void* cell, bool write, const std::source_location* site,
                const char* name) {
  schedulePoint(write ? OpKind::kCellWrite : OpKind::kCellRead, cell, site, name);
}

}  // namespace weft::internal
