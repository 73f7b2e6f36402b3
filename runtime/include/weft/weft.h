// weft: Go's concurrency model for C++20. Umbrella header.
#pragma once

#include "weft/atomic.h"
#include "weft/chan.h"
#include "weft/context.h"
#include "weft/errors.h"
#include "weft/go.h"
#include "weft/runtime.h"
#include "weft/select.h"
#include "weft/race.h"
#include "weft/shared.h"
#include "weft/sync.h"
#include "weft/time.h"
