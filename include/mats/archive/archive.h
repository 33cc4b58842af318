// Archives (tar, 7z) and single-stream compression wrappers (gzip, zlib,
// bzip2, xz, lzma-alone, zstd, lz4 frame).
//
// Each analyser decompresses or unpacks into memory only, bounded by Limits,
// and hands every member (or the decompressed stream) to ctx.ScanNested(),
// which detects its format by content. Member names are data: names that
// would escape an extraction directory, links and device files are reported
// as findings, never followed.
//
//   const FormatHandler& h = archive::TarHandler();
//   Status s = h.analyze(bytes, ctx);
//
// Also shared with the zip module: CheckMemberName() and the MATS-ARC rules.
#ifndef MATS_ARCHIVE_ARCHIVE_H_
#define MATS_ARCHIVE_ARCHIVE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/scan_context.h"

namespace mats::archive {

// Rule ids.
inline constexpr std::string_view kRuleUnsafePath = "MATS-ARC-001";
inline constexpr std::string_view kRuleLinkMember = "MATS-ARC-002";
inline constexpr std::string_view kRuleDeviceMember = "MATS-ARC-003";
inline constexpr std::string_view kRuleDecompressionBomb = "MATS-ARC-004";
inline constexpr std::string_view kRuleOddName = "MATS-ARC-005";
inline constexpr std::string_view kRuleTrailingData = "MATS-ARC-006";

std::span<const RuleInfo> ArchiveRules();

const FormatHandler& TarHandler();
const FormatHandler& SevenZipHandler();
const FormatHandler& GzipHandler();
const FormatHandler& Bzip2Handler();
const FormatHandler& XzHandler();
const FormatHandler& LzmaHandler();
const FormatHandler& ZstdHandler();
const FormatHandler& Lz4Handler();
const FormatHandler& ZlibHandler();

Status AnalyzeTar(ByteSpan data, ScanContext& ctx);
Status AnalyzeSevenZip(ByteSpan data, ScanContext& ctx);

// What is wrong with a member name, if anything.
enum class NameIssue : uint8_t {
  kNone,
  kTraversal,     // a ".." path component
  kAbsolute,      // starts with '/' or '\'
  kDriveLetter,   // "C:" prefix
  kBackslash,     // '\' separators (Windows paths inside a posix archive)
  kControlChar,   // NUL or other control characters
  kEmpty,
};
std::string_view NameIssueText(NameIssue issue);
// Worst issue of `name` (traversal > absolute > drive > control > backslash).
NameIssue CheckMemberName(std::string_view name);
// Reports MATS-ARC-001 / MATS-ARC-005 for `name` if needed; `container` is
// "zip", "tar" or "7z".
void ReportMemberName(ScanContext& ctx, std::string_view container,
                      std::string_view name, uint64_t offset);
// Reports MATS-ARC-004 for a limit hit while decompressing `member`.
void ReportDecompressionBomb(ScanContext& ctx, std::string_view member,
                             uint64_t offset, const Status& limit_status);

// The file or member name without its compression suffix (".gz", ".tgz" ->
// ".tar", ...); "" when there is none to strip from.
std::string StripCompressionSuffix(std::string_view name);

}  // namespace mats::archive

#endif  // MATS_ARCHIVE_ARCHIVE_H_
