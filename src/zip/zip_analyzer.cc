#include <algorithm>
#include <string>
#include <vector>

#include "mats/archive/archive.h"
#include "mats/archive/decompress.h"
#include "mats/core/byte_reader.h"
#include "mats/core/encoding.h"
#include "mats/pytorch/layout.h"
#include "mats/zip/zip.h"
#include "mats/zip/zip_reader.h"

namespace mats::zip {
namespace {

struct AnomalyRule {
  std::string_view rule;
  Severity severity;
};

AnomalyRule RuleFor(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kDuplicateName:
      return {kRuleDuplicateName, Severity::kMedium};
    case AnomalyKind::kNameMismatch:
      return {kRuleNameMismatch, Severity::kHigh};
    case AnomalyKind::kFlagBits:
      return {kRuleFlagBits, Severity::kMedium};
    case AnomalyKind::kPrependedData:
      return {kRulePrependedData, Severity::kMedium};
    case AnomalyKind::kGapData:
      return {kRuleGapData, Severity::kMedium};
    case AnomalyKind::kTrailingData:
      return {kRuleTrailingData, Severity::kMedium};
    case AnomalyKind::kLocalOnly:
      return {kRuleLocalOnly, Severity::kHigh};
    case AnomalyKind::kCentralWithoutLocal:
      return {kRuleCentralWithoutLocal, Severity::kMedium};
    case AnomalyKind::kOverlap:
      return {kRuleOverlap, Severity::kHigh};
    case AnomalyKind::kFieldMismatch:
      return {kRuleFieldMismatch, Severity::kMedium};
    case AnomalyKind::kNoCentralDirectory:
      return {kRuleNoCentralDirectory, Severity::kMedium};
    case AnomalyKind::kDataDescriptor:
      return {kRuleDataDescriptor, Severity::kInfo};
    case AnomalyKind::kCountMismatch:
      return {kRuleGapData, Severity::kMedium};
  }
  return {kRuleGapData, Severity::kMedium};
}

SniffResult SniffZip(ByteSpan data, std::string_view /*name*/) {
  if (data.size() >= 4 && data[0] == 'P' && data[1] == 'K' &&
      ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6))) {
    return SniffResult::kStrong;
  }
  // An end of central directory record near the end whose central directory
  // is where it says (or shifted by prepended bytes): weak, another format
  // with a magic of its own wins.
  if (data.size() < 22) return SniffResult::kNo;
  uint64_t last = data.size() - 22;
  uint64_t first = last > 0xFFFF ? last - 0xFFFF : 0;
  for (uint64_t off = last + 1; off-- > first;) {
    if (LoadU32Le(data.subspan(off, 4)) != kEocdSig) continue;
    uint64_t cd_size = LoadU32Le(data.subspan(off + 12, 4));
    uint64_t cd_off = LoadU32Le(data.subspan(off + 16, 4));
    if (cd_size <= off && cd_off <= off - cd_size) {
      uint64_t shifted = off - cd_size;
      if (cd_size == 0 ||
          (cd_off + 4 <= data.size() && LoadU32Le(data.subspan(cd_off, 4)) == kCentralSig) ||
          (shifted + 4 <= data.size() && LoadU32Le(data.subspan(shifted, 4)) == kCentralSig)) {
        return SniffResult::kWeak;
      }
    }
    return SniffResult::kNo;
  }
  return SniffResult::kNo;
}

std::string MemberLabel(const ZipEntry& e, size_t index) {
  if (!e.name.empty()) return e.name;
  return fmt::format("#{}", index);
}

}  // namespace

Status AnalyzeZip(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  MATS_ASSIGN_OR_RETURN(ZipListing z, ReadZip(data, limits));
  for (const ZipAnomaly& a : z.anomalies) {
    AnomalyRule r = RuleFor(a.kind);
    ctx.Report({.rule_id = std::string(r.rule),
                .severity = r.severity,
                .member = a.member.empty() ? std::string() : EscapePreview(a.member, 256),
                .offset = a.offset,
                .message = "zip: " + a.detail,
                .evidence = {}});
  }

  std::vector<std::string> names;
  names.reserve(z.entries.size());
  for (const ZipEntry& e : z.entries) names.push_back(e.name);
  pytorch::ZipLayout layout = pytorch::ClassifyZipLayout(names);
  if (layout.kind != pytorch::ZipLayoutKind::kGeneric) {
    ctx.RefineFormat(pytorch::LayoutFormatId(layout.kind));
  }
  pytorch::ReportZipLayout(layout, ctx);

  uint64_t total_out = 0;
  uint64_t storages_skipped = 0;
  uint64_t storage_bytes_skipped = 0;
  for (size_t i = 0; i < z.entries.size(); ++i) {
    const ZipEntry& e = z.entries[i];
    std::string label = MemberLabel(e, i);
    archive::ReportMemberName(ctx, "zip", e.name, e.local_header_offset);
    if (e.local_valid && e.local_name != e.name) {
      archive::ReportMemberName(ctx, "zip", e.local_name, e.local_header_offset);
    }
    if (e.is_directory()) continue;
    if (!e.local_valid) {
      ctx.ReportError(label, Malformed(e.local_header_offset,
                                       "zip: no valid local header for member at offset {}",
                                       e.local_header_offset));
      continue;
    }
    // Storages that torch itself would read (stored or deflated) are only
    // sniffed; any other method is unusual and decoded like a member.
    if (pytorch::IsTensorStorageMember(layout, e.name) &&
        (e.method == kMethodStored || e.method == kMethodDeflate)) {
      // Raw tensor bytes: not read (scan time must not grow with the
      // weights), so not CRC-checked either; only sniffed for a payload.
      Bytes head = ReadMemberPrefix(data, e, 16);
      std::string_view payload = pytorch::SniffStoragePayload(head);
      if (payload.empty()) {
        ++storages_skipped;
        storage_bytes_skipped += e.compressed_size;
        continue;
      }
      ctx.Report({.rule_id = std::string(pytorch::kRuleStoragePayload),
                  .severity = Severity::kHigh,
                  .member = EscapePreview(e.name, 256),
                  .offset = e.data_offset,
                  .message = fmt::format("tensor storage '{}' starts with a {} magic",
                                         EscapePreview(e.name), payload),
                  .evidence = HexEncode(head)});
    }
    if (!IsDecodableMethod(e.method)) {
      ctx.Report({.rule_id = std::string(kRuleUnsupportedMethod),
                  .severity = Severity::kMedium,
                  .member = EscapePreview(e.name, 256),
                  .offset = e.local_header_offset,
                  .message = fmt::format("zip: member uses compression method {}, which "
                                         "mats does not decode; its content was not scanned",
                                         e.method),
                  .evidence = {}});
      ctx.ReportError(label, UnsupportedAt(e.local_header_offset,
                                           "zip: compression method {}", e.method));
      continue;
    }
    archive::DecompressLimits dl = archive::DecompressLimits::From(limits);
    uint64_t budget = limits.max_uncompressed_bytes - std::min(limits.max_uncompressed_bytes, total_out);
    if (budget < dl.max_output) {
      dl.max_output = budget;
      dl.output_limit_name = "max_uncompressed_bytes";
      dl.output_limit_value = limits.max_uncompressed_bytes;
    }
    Result<MemberData> md = ReadMemberData(data, e, dl);
    if (!md.ok()) {
      if (md.status().code() == ErrorCode::kLimitExceeded) {
        archive::ReportDecompressionBomb(ctx, EscapePreview(e.name, 256), e.data_offset,
                                         md.status());
      }
      ctx.ReportError(label, md.status());
      continue;
    }
    total_out += md->inflated_size();
    ByteSpan body = md->bytes();
    uint32_t crc = archive::Crc32(body);
    if (crc != e.crc32) {
      ctx.Report({.rule_id = std::string(kRuleCrcMismatch),
                  .severity = Severity::kMedium,
                  .member = EscapePreview(e.name, 256),
                  .offset = e.local_header_offset,
                  .message = fmt::format("zip: CRC-32 of the member data is {:#010x}, the "
                                         "header declares {:#010x}",
                                         crc, e.crc32),
                  .evidence = {}});
    }
    if (body.size() != e.uncompressed_size) {
      ctx.Report({.rule_id = std::string(kRuleSizeMismatch),
                  .severity = Severity::kMedium,
                  .member = EscapePreview(e.name, 256),
                  .offset = e.local_header_offset,
                  .message = fmt::format("zip: member holds {} bytes, the header declares {}",
                                         body.size(), e.uncompressed_size),
                  .evidence = {}});
    }
    ctx.ScanNested(body, label).IgnoreError();  // recorded by the context
  }
  if (storages_skipped != 0) {
    ctx.Report({.rule_id = std::string(pytorch::kRuleStoragesNotRead),
                .severity = Severity::kInfo,
                .member = {},
                .offset = 0,
                .message = fmt::format("{} tensor storage member(s), {} bytes, not read "
                                       "(first bytes sniffed, CRC not verified)",
                                       storages_skipped, storage_bytes_skipped),
                .evidence = {}});
  }
  return Status::Ok();
}

const FormatHandler& ZipHandler() {
  static const FormatHandler h{
      "zip",
      "zip archive (PyTorch, TorchScript, .npz, .pt2, .mar, .keras and others)",
      &SniffZip, &AnalyzeZip};
  return h;
}

}  // namespace mats::zip
