// The repo module: Python source review ("python"), Hugging Face configs
// ("hf-config") and the repository summary. This header gathers what the
// scan module registers:
//
//   &repo::HfConfigHandler(), &repo::PythonHandler()   (format_registry.cc)
//   &repo::RepoRules                                   (rule_catalog.cc)
#ifndef MATS_REPO_REPO_H_
#define MATS_REPO_REPO_H_

#include <span>

#include "mats/core/finding.h"
#include "mats/repo/hf_config.h"
#include "mats/repo/python.h"
#include "mats/repo/repository.h"

namespace mats::repo {

// MATS-PY-*, MATS-HF-* and MATS-REPO-* rules.
std::span<const RuleInfo> RepoRules();

}  // namespace mats::repo

#endif  // MATS_REPO_REPO_H_
