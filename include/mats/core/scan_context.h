// ScanContext — what a format analyser sees of the scan in progress.
//
// Every analyser has the signature
//
//   Status AnalyzeXxx(ByteSpan data, ScanContext& ctx);
//
// It reports findings through ctx.Report(), hands embedded content (a zip
// member, a decompressed stream, a pickle inside an .npy) to ctx.ScanNested(),
// and returns an error Status only when it could not analyse the input.
// Findings reported before an error are kept: a payload followed by a broken
// stream is still reported as malicious.
//
// The scan module implements this interface; format modules depend only on
// it, never on the scan module.
#ifndef MATS_CORE_SCAN_CONTEXT_H_
#define MATS_CORE_SCAN_CONTEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/limits.h"
#include "mats/core/policy.h"
#include "mats/core/status.h"

namespace mats {

class ScanContext {
 public:
  virtual ~ScanContext() = default;

  virtual const Limits& limits() const = 0;
  // Allow/deny decisions for callables, classes, ops and domains.
  virtual const Policy& policy() const = 0;

  // Records a finding. `f.member` is relative to the content being analysed;
  // the context prefixes it with the current member path.
  virtual void Report(Finding f) = 0;

  // Detects the format of `data` (by content; `name` is only a hint used for
  // reporting and for formats without magic) and analyses it as a member
  // called `name` of the current content. Errors of the nested analysis are
  // recorded by the context (the member is "not analysable"); the returned
  // Status is not ok only when a limit of the nesting itself was hit, which
  // the caller may ignore after the context has recorded it.
  // `format_hint`, if not empty, forces a format id (e.g. "pickle" for the
  // body of an object-dtype .npy).
  virtual Status ScanNested(ByteSpan data, std::string_view name,
                            std::string_view format_hint = {}) = 0;

  // Records that part of the content could not be analysed (e.g. one zip
  // member used an unsupported compression). The whole file then gets the
  // verdict "not analysable" unless a malicious finding outranks it.
  virtual void ReportError(std::string_view member, const Status& status) = 0;

  // Refines the format id of the content being analysed (the zip analyser
  // says "pytorch-zip" once it has seen data.pkl, for example).
  virtual void RefineFormat(std::string_view format) = 0;

  // Member path of the content being analysed ("" at the top level).
  virtual const std::string& member_path() const = 0;
  // Container nesting depth (0 = the file itself).
  virtual uint32_t depth() const = 0;
  // On-disk path of the top-level file (for formats that reference sibling
  // files, e.g. ONNX external data). Empty when scanning a buffer.
  virtual const std::string& file_path() const = 0;
};

}  // namespace mats

#endif  // MATS_CORE_SCAN_CONTEXT_H_
