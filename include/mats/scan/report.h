// Scan report writers: human-readable text, versioned JSON, SARIF 2.1.0.
//
//   std::string json = RenderJson(report, ReportOptions{});
//
// The JSON layout is documented in docs/formats/scan-report.md and by the
// JSON Schema docs/schemas/scan-report-v1.schema.json (tests validate our
// output against it). SARIF output validates against the official SARIF
// 2.1.0 schema and follows GitHub code scanning's requirements.
#ifndef MATS_SCAN_REPORT_H_
#define MATS_SCAN_REPORT_H_

#include <string>

#include "mats/core/finding.h"
#include "mats/scan/scanner.h"

namespace mats::scan {

inline constexpr int kScanReportVersion = 1;

struct ReportOptions {
  std::string tool_version = "0.0.0";
  Severity fail_on = Severity::kHigh;  // shown in summaries
  bool verbose = false;                // text: also list clean files' members
};

std::string RenderText(const ScanReport& report, const ReportOptions& options);
std::string RenderJson(const ScanReport& report, const ReportOptions& options);
std::string RenderSarif(const ScanReport& report, const ReportOptions& options);

// The rule catalog as Markdown (docs/rules.md), JSON or plain text.
std::string RenderRulesMarkdown();
std::string RenderRulesJson();

// "confidentiality", "integrity", ... for the bits set in `goals`.
std::vector<std::string_view> GoalNames(uint8_t goals);

}  // namespace mats::scan

#endif  // MATS_SCAN_REPORT_H_
