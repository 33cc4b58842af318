// Hugging Face transformers config.json (and other *config.json files with
// an auto_map): the "hf-config" format analyser.
//
// transformers imports repository code when a config maps Auto classes to
// modules of the repository (`auto_map`) and the user passes
// trust_remote_code=True; `custom_pipelines` does the same for pipelines.
// tokenizer_config.json belongs to the jinja module's "tokenizer-config"
// handler, which reports its auto_map itself.
//
//   std::vector<AutoMapRef> refs = AutoMapRefs(doc);
//   Status s = AnalyzeHfConfig(bytes, ctx);
#ifndef MATS_REPO_HF_CONFIG_H_
#define MATS_REPO_HF_CONFIG_H_

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/scan_context.h"

namespace mats::repo {

// One class reference of auto_map / custom_pipelines.
struct AutoMapRef {
  std::string key;          // "AutoModel", "custom_pipelines.text-gen.impl"
  std::string reference;    // as written: "modeling_x.MyModel"
  std::string other_repo;   // "org/repo" for "org/repo--modeling_x.MyModel"
  std::string module_file;  // "modeling_x.py" (relative to the config)
  bool escapes = false;     // module path absolute or with ".."
};

// Every class reference under "auto_map" (string or list values) and
// "custom_pipelines.*.impl" of a parsed config object.
std::vector<AutoMapRef> AutoMapRefs(const nlohmann::json& config);

// Handler id "hf-config": a JSON object with "model_type", "architectures"
// or "auto_map" near its start; not tokenizer_config.json and not a Keras
// config.
const FormatHandler& HfConfigHandler();
std::span<const RuleInfo> HfConfigRules();
Status AnalyzeHfConfig(ByteSpan data, ScanContext& ctx);

inline constexpr std::string_view kRuleHfAutoMap = "MATS-HF-001";
inline constexpr std::string_view kRuleHfOtherRepo = "MATS-HF-002";
inline constexpr std::string_view kRuleHfPipelines = "MATS-HF-003";
inline constexpr std::string_view kRuleHfTrustRemote = "MATS-HF-004";
inline constexpr std::string_view kRuleHfEscape = "MATS-HF-005";

}  // namespace mats::repo

#endif  // MATS_REPO_HF_CONFIG_H_
