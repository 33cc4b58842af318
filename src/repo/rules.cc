#include <vector>

#include "mats/repo/repo.h"

namespace mats::repo {

std::span<const RuleInfo> RepoRules() {
  static const std::vector<RuleInfo> rules = [] {
    std::vector<RuleInfo> v;
    for (auto t : {PythonRules(), HfConfigRules(), RepositoryRules()}) {
      v.insert(v.end(), t.begin(), t.end());
    }
    return v;
  }();
  return rules;
}

}  // namespace mats::repo
