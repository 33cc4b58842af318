// The symbolic pickle machine. Private to the pickle module.
//
// Runs the opcodes of one buffer (one or more stacked pickle streams) over
// symbolic values without executing anything, and reports imports and calls
// to a ScanContext. See docs/formats/pickle.md.
#ifndef MATS_PICKLE_MACHINE_H_
#define MATS_PICKLE_MACHINE_H_

#include <cstdint>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/scan_context.h"
#include "mats/core/status.h"

namespace mats::pickle::internal {

// Analyses every stream in `data` (see AnalyzePickle).
Status RunPickleMachine(ByteSpan data, ScanContext& ctx);

// Structural check used by the sniffer: walks opcodes (lengths only, no
// values) from the start of `data`, looking at most at `max_bytes`.
struct TokenScan {
  bool valid_start = false;  // at least one opcode decoded
  bool reached_stop = false;
  bool saw_global = false;   // a GLOBAL/INST with identifier-like lines
  bool saw_call_after_global = false;  // then REDUCE/OBJ/NEWOBJ/BUILD/INST
  uint64_t ops = 0;
  uint64_t stop_offset = 0;
};
TokenScan TokenizePickle(ByteSpan data, uint64_t max_bytes);

}  // namespace mats::pickle::internal

#endif  // MATS_PICKLE_MACHINE_H_
