// The scheduling point behind weft::Shared<T> (shared.h).
#include "park.h"
#include "race.h"
#include "weft/shared.h"

namespace weft::internal {

void cellAccess(const void* cell, bool write, const std::source_location* site, const char* name,
                const std::source_location& where) {
  schedulePoint(write ? OpKind::kCellWrite : OpKind::kCellRead, cell, site, name);
  raceAccess(cell, write, site, name, where);
}

}  // namespace weft::internal
