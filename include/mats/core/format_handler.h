// FormatHandler — how a format module plugs into the scanner.
//
// Each format module exposes one or more handlers, e.g.
//
//   const FormatHandler& PickleHandler();
//
// and the scan module lists them in order of precedence in
// src/scan/format_registry.cc. Detection is by content: `sniff` looks at the
// bytes (the whole span is available; sniffers must look only at what they
// need) and the member/file name is a hint for formats without a magic
// number (e.g. protocol-0 pickles, ONNX protobufs, Python source).
#ifndef MATS_CORE_FORMAT_HANDLER_H_
#define MATS_CORE_FORMAT_HANDLER_H_

#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/scan_context.h"

namespace mats {

enum class SniffResult : uint8_t {
  kNo,        // not this format
  kWeak,      // plausible (e.g. only the file name matches)
  kStrong,    // magic number or structure matches
};

struct FormatHandler {
  std::string_view id;           // stable format id used in reports
  std::string_view description;  // one line for docs and `mats formats`
  SniffResult (*sniff)(ByteSpan data, std::string_view name);
  Status (*analyze)(ByteSpan data, ScanContext& ctx);
};

}  // namespace mats

#endif  // MATS_CORE_FORMAT_HANDLER_H_
