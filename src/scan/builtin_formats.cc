#include "scan/builtin_formats.h"

#include <algorithm>
#include <cstring>

#include "mats/core/encoding.h"

namespace mats::scan {
namespace {

SniffResult SniffText(ByteSpan data, std::string_view /*name*/) {
  if (data.empty()) return SniffResult::kNo;
  ByteSpan head = data.first(std::min<size_t>(data.size(), 64 * 1024));
  if (std::memchr(head.data(), 0, head.size()) != nullptr) return SniffResult::kNo;
  // Allow a UTF-8 sequence cut at the end of the sniffed window.
  std::string_view text = AsChars(head);
  size_t cut = 0;
  while (cut < 3 && cut < text.size() &&
         (static_cast<unsigned char>(text[text.size() - 1 - cut]) & 0xC0) == 0x80) {
    ++cut;
  }
  if (cut < text.size() &&
      static_cast<unsigned char>(text[text.size() - 1 - cut]) >= 0xC0 &&
      head.size() < data.size()) {
    text = text.substr(0, text.size() - 1 - cut);
  }
  if (!IsValidUtf8(text)) return SniffResult::kNo;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') {
      return SniffResult::kNo;
    }
  }
  return SniffResult::kStrong;
}

Status AnalyzeText(ByteSpan /*data*/, ScanContext& /*ctx*/) {
  return Status::Ok();
}

SniffResult SniffAnything(ByteSpan, std::string_view) {
  return SniffResult::kWeak;
}

Status AnalyzeUnknown(ByteSpan data, ScanContext& /*ctx*/) {
  size_t n = std::min<size_t>(data.size(), 8);
  return Unsupported("unrecognised format (first bytes {})",
                     HexEncode(data.first(n)));
}

constexpr std::string_view kAtlasUnsafe[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasLimits[] = {"AML.T0011.000"};

constexpr RuleInfo kRules[] = {
    {kRuleDisguisedFormat, "Content disguised by its file extension",
     Severity::kHigh,
     "The file's content is a format that executes code on load (for example "
     "a pickle) while its name claims a format that cannot (for example "
     ".safetensors, .json, .png). Scanners and loaders that trust extensions "
     "see different files; mats detects formats from content only.",
     "Treat the file as the format its content has; rename it, or reject it "
     "if the publisher cannot explain the mismatch.",
     kAtlasUnsafe, Goal::kIntegrity | Goal::kAuthenticity,
     "CVE-2025-1889; CVE-2025-10155"},
    {kRuleNestedLimit, "Container nesting limit reached", Severity::kMedium,
     "Containers are nested deeper than the max_nesting limit (zip in 7z in "
     "gzip ...). The innermost content was not analysed; deep nesting is a "
     "known way to hide payloads from scanners with small limits.",
     "Inspect the innermost content by hand, or raise --limit max_nesting.",
     kAtlasLimits, Goal::kIntegrity | Goal::kAvailability,
     "https://www.bamsoftware.com/hacks/zipbomb/"},
};

}  // namespace

const FormatHandler& TextFormat() {
  static const FormatHandler h{"text", "UTF-8 text without executable content rules",
                               &SniffText, &AnalyzeText};
  return h;
}

const FormatHandler& UnknownFormat() {
  static const FormatHandler h{"unknown", "content no handler recognises",
                               &SniffAnything, &AnalyzeUnknown};
  return h;
}

std::span<const RuleInfo> ScanRules() { return kRules; }
std::span<const PolicyEntry> ScanPolicyEntries() { return {}; }

}  // namespace mats::scan
