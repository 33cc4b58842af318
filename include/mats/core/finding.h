// Findings and rule descriptions shared by every analyser.
//
// A format analyser (pickle, zip, gguf, ...) reports what it found as a
// Finding carrying a stable rule id. Each module describes its rules once in
// a RuleInfo table (exposed as `std::span<const RuleInfo> Rules()` in the
// module's public header); the scan module collects those tables into the
// rule catalog, which adds ATLAS techniques, protection goals and remediation
// to every finding in reports, and generates docs/rules.md.
//
//   ctx.Report({.rule_id = "MATS-PKL-001", .severity = Severity::kCritical,
//               .offset = op.offset, .message = "calls os.system",
//               .evidence = "os.system('echo MATS-MARKER')"});
#ifndef MATS_CORE_FINDING_H_
#define MATS_CORE_FINDING_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mats/core/result.h"

namespace mats {

enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };

// "info", "low", "medium", "high", "critical".
std::string_view SeverityName(Severity s);
Result<Severity> ParseSeverity(std::string_view name);

// Protection goals (bit set). See ../shared/reference/threat-mapping.md.
enum class Goal : uint8_t {
  kConfidentiality = 1 << 0,
  kIntegrity = 1 << 1,
  kAvailability = 1 << 2,
  kAuthenticity = 1 << 3,
  kPrivacy = 1 << 4,
  kSafety = 1 << 5,
};
constexpr uint8_t operator|(Goal a, Goal b) {
  return static_cast<uint8_t>(static_cast<uint8_t>(a) | static_cast<uint8_t>(b));
}
constexpr uint8_t operator|(uint8_t a, Goal b) {
  return static_cast<uint8_t>(a | static_cast<uint8_t>(b));
}

struct Finding {
  std::string rule_id;         // stable id, e.g. "MATS-PKL-001"
  Severity severity = Severity::kInfo;
  std::string member;          // path inside the file ("" = the file itself);
                               // containers prefix their member names
  uint64_t offset = 0;         // byte offset inside `member` (or the file)
  std::string message;         // what was found, one line, escaped
  std::string evidence;        // e.g. resolved call with argument preview
};

// Static description of one rule. All strings are literals.
struct RuleInfo {
  std::string_view id;           // "MATS-PKL-001"
  std::string_view title;        // short noun phrase
  Severity severity;             // default severity (findings may differ)
  std::string_view description;  // what it detects and why it matters
  std::string_view remediation;  // what the user should do
  std::span<const std::string_view> atlas;  // ATLAS technique ids
  uint8_t goals;                 // Goal bits violated
  std::string_view references;   // CVEs, advisories, spec links; "; "-separated
};

}  // namespace mats

#endif  // MATS_CORE_FINDING_H_
