// The "zip" format handler: lists a zip with ReadZip(), reports every reader
// divergence (MATS-ZIP rules), interprets PyTorch / TorchScript / .npz /
// .pt2 / .mar layouts (refining the format id), and hands every member to
// ctx.ScanNested() except raw PyTorch tensor storages, whose first bytes are
// only sniffed for a pickle/zip/7z magic.
//
//   Status s = zip::ZipHandler().analyze(bytes, ctx);
#ifndef MATS_ZIP_ZIP_H_
#define MATS_ZIP_ZIP_H_

#include <span>
#include <string_view>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/scan_context.h"

namespace mats::zip {

inline constexpr std::string_view kRuleDuplicateName = "MATS-ZIP-001";
inline constexpr std::string_view kRuleNameMismatch = "MATS-ZIP-002";
inline constexpr std::string_view kRuleFlagBits = "MATS-ZIP-003";
inline constexpr std::string_view kRuleCrcMismatch = "MATS-ZIP-004";
inline constexpr std::string_view kRulePrependedData = "MATS-ZIP-005";
inline constexpr std::string_view kRuleGapData = "MATS-ZIP-006";
inline constexpr std::string_view kRuleTrailingData = "MATS-ZIP-007";
inline constexpr std::string_view kRuleLocalOnly = "MATS-ZIP-008";
inline constexpr std::string_view kRuleCentralWithoutLocal = "MATS-ZIP-009";
inline constexpr std::string_view kRuleOverlap = "MATS-ZIP-010";
inline constexpr std::string_view kRuleUnsupportedMethod = "MATS-ZIP-011";
inline constexpr std::string_view kRuleDataDescriptor = "MATS-ZIP-012";
inline constexpr std::string_view kRuleNoCentralDirectory = "MATS-ZIP-013";
inline constexpr std::string_view kRuleFieldMismatch = "MATS-ZIP-014";
inline constexpr std::string_view kRuleSizeMismatch = "MATS-ZIP-015";

std::span<const RuleInfo> ZipRules();

const FormatHandler& ZipHandler();

Status AnalyzeZip(ByteSpan data, ScanContext& ctx);

}  // namespace mats::zip

#endif  // MATS_ZIP_ZIP_H_
