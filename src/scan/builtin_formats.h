// Formats and rules that belong to the scanner itself: plain text, empty
// files, the "unknown format" fallback, and generic cross-format rules.
#ifndef MATS_SCAN_BUILTIN_FORMATS_H_
#define MATS_SCAN_BUILTIN_FORMATS_H_

#include <span>
#include <string_view>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/policy.h"

namespace mats::scan {

// UTF-8 text without NUL bytes (README, licences, configs no other handler
// claims). Clean by itself; other handlers with content rules come first.
const FormatHandler& TextFormat();
// The fallback: claims everything and reports "unrecognised format".
const FormatHandler& UnknownFormat();

std::span<const RuleInfo> ScanRules();
std::span<const PolicyEntry> ScanPolicyEntries();

// Generic rule: content whose format contradicts its file extension.
inline constexpr std::string_view kRuleDisguisedFormat = "MATS-GEN-001";
// Generic rule: containers nested past the max_nesting limit.
inline constexpr std::string_view kRuleNestedLimit = "MATS-GEN-002";

}  // namespace mats::scan

#endif  // MATS_SCAN_BUILTIN_FORMATS_H_
