// Repository-level analysis: what a model folder or Hugging Face snapshot
// contains and what a loader would execute, after every file was scanned.
//
// The scanner calls SummarizeRepository() once per scanned directory root
// with one RepoFile per file it scanned (paths relative to the root). The
// function classifies each file (weights / code / data / config / docs /
// other), lists what loaders execute (pickle-bearing weights, auto_map
// targets, Keras Lambdas, chat templates, custom handlers), cross-checks
// auto_map and custom_pipelines references against the .py files present
// (it re-reads the small *config*.json files under `root` for that, bounded
// by Limits::max_json_bytes), names Hugging Face cache snapshots
// (models--org--name/snapshots/<rev>) and returns MATS-REPO findings and
// the overall verdict.
//
//   std::vector<RepoFile> files = ...;  // from the scan report
//   RepositorySummary s = SummarizeRepository(root, files, limits);
//   // s.name == "org/name@rev", s.verdict == "malicious", s.findings ...
//
// Thread-compatible; reads only files below `root` named in `files`.
#ifndef MATS_REPO_REPOSITORY_H_
#define MATS_REPO_REPOSITORY_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/limits.h"

namespace mats::repo {

// One scanned file, as the scanner saw it.
struct RepoFile {
  std::string path;     // relative to the root, '/'-separated
  std::string format;   // detected format id ("safetensors", "python", ...)
  std::string verdict;  // "clean", "suspicious", "not_analysable", "malicious"
  std::vector<std::pair<std::string, Severity>> findings;  // rule id, severity
  uint64_t size = 0;
};

enum class FileRole : uint8_t { kWeights, kCode, kData, kConfig, kDocs, kOther };
// "weights", "code", "data", "config", "docs", "other".
std::string_view FileRoleName(FileRole role);

struct RepoFileSummary {
  std::string path;
  FileRole role = FileRole::kOther;
  std::string format;
  std::string verdict;
  // Non-empty when a loader runs this file's content: the reason
  // ("unpickled by torch.load", "imported for auto_map AutoModel", ...).
  std::string executes;
};

struct RepositorySummary {
  std::string root;
  // "org/name@rev" for a Hugging Face cache snapshot (or "org/name" for the
  // models--org--name folder itself); empty otherwise.
  std::string name;
  std::vector<RepoFileSummary> files;  // in input order
  // One line per thing a loader would execute.
  std::vector<std::string> executes;
  // MATS-REPO-* findings; `member` is the file they concern ("" = the
  // repository).
  std::vector<Finding> findings;
  // Worst of the file verdicts and the repository findings:
  // "malicious" > "not_analysable" > "suspicious" > "clean".
  std::string verdict = "clean";
  uint64_t counts[6] = {0, 0, 0, 0, 0, 0};  // indexed by FileRole
};

RepositorySummary SummarizeRepository(const std::string& root,
                                      std::span<const RepoFile> files,
                                      const Limits& limits);

std::span<const RuleInfo> RepositoryRules();

inline constexpr std::string_view kRuleRepoRemoteCode = "MATS-REPO-001";
inline constexpr std::string_view kRuleRepoMissingModule = "MATS-REPO-002";
inline constexpr std::string_view kRuleRepoPickleWithSafetensors = "MATS-REPO-003";
inline constexpr std::string_view kRuleRepoPickleOnly = "MATS-REPO-004";
inline constexpr std::string_view kRuleRepoHandler = "MATS-REPO-005";

}  // namespace mats::repo

#endif  // MATS_REPO_REPOSITORY_H_
