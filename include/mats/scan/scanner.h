// The scanner: walks paths, detects each file's format from its content,
// runs the format analysers, and gives every file a verdict.
//
//   ScanOptions opts;
//   opts.policy = DefaultPolicy();
//   MATS_ASSIGN_OR_RETURN(ScanReport report, ScanPaths({"models/"}, opts));
//   for (const FileReport& f : report.files) ...
//
// Every file found under the given paths gets a FileReport, including files
// that could not be analysed (with the reason) and entries that are not
// regular files. Nothing is skipped silently: VCS folders are listed as
// skipped unless ScanOptions::include_vcs is set.
//
// Thread-safe: ScanPaths runs files in parallel on its own pool; the report
// is in sorted path order whatever the thread count.
#ifndef MATS_SCAN_SCANNER_H_
#define MATS_SCAN_SCANNER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/limits.h"
#include "mats/core/policy.h"
#include "mats/core/result.h"
#include "mats/repo/repository.h"

namespace mats::scan {

enum class Verdict : uint8_t { kClean, kSuspicious, kNotAnalysable, kMalicious };

// "clean", "suspicious", "not_analysable", "malicious".
std::string_view VerdictName(Verdict v);

struct ScanOptions {
  Limits limits;
  Policy policy;              // usually DefaultPolicy() plus user entries
  size_t threads = 0;         // 0 = all cores
  bool include_vcs = false;   // scan .git/.hg/.svn folders too
};

// A part of the file that could not be analysed.
struct FileError {
  std::string member;  // "" = the file itself
  Status status;
};

// Nested content the analysers handed to the scanner (zip members,
// decompressed streams, embedded pickles).
struct MemberInfo {
  std::string path;    // member path inside the file, '/'-joined per level
  std::string format;  // detected format id
  uint64_t size = 0;
};

struct FileReport {
  std::string path;            // as found by the walk
  std::string link_target;     // for symlinks (HF cache snapshots → blobs)
  std::string format;          // detected (and refined) format id
  uint64_t size = 0;
  Verdict verdict = Verdict::kClean;
  std::vector<Finding> findings;  // in the order found
  uint64_t findings_dropped = 0;  // past Limits::max_findings
  std::vector<FileError> errors;
  std::vector<MemberInfo> members;
  bool skipped = false;        // listed but deliberately not read (VCS)
  std::string skip_reason;
};

struct ScanReport {
  std::vector<std::string> roots;  // the paths given
  std::vector<FileReport> files;   // sorted by path
  // One per directory root: what the folder holds and what a loader would
  // execute (src/repo). Its findings count towards --fail-on.
  std::vector<repo::RepositorySummary> repositories;

  // Highest severity of any finding, file or repository (kInfo when none).
  Severity MaxSeverity() const;
  size_t CountVerdict(Verdict v) const;
};

// Scans files and directories (recursively, following symlinks to files and
// directories with loop detection). Fails only for usage errors (a path that
// does not exist is reported as a not-analysable entry, not an error).
Result<ScanReport> ScanPaths(std::span<const std::string> paths,
                             const ScanOptions& options);

// Scans one in-memory buffer as if it were a file called `name`.
FileReport ScanBytes(ByteSpan data, std::string_view name,
                     const ScanOptions& options);

// The verdict rule: any finding >= high → malicious; else any error → not
// analysable; else any finding >= low → suspicious; else clean.
Verdict ComputeVerdict(const FileReport& report);

}  // namespace mats::scan

#endif  // MATS_SCAN_SCANNER_H_
