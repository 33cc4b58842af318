// The hf-config analyser.
#include "mats/repo/hf_config.h"

#include <algorithm>

#include "mats/core/encoding.h"
#include "mats/core/json.h"

namespace mats::repo {
namespace {

constexpr size_t kSniffWindow = 64 * 1024;

AutoMapRef MakeRef(std::string key, const std::string& reference) {
  AutoMapRef r;
  r.key = std::move(key);
  r.reference = reference;
  std::string_view ref = reference;
  if (size_t sep = ref.find("--"); sep != std::string_view::npos) {
    r.other_repo = std::string(ref.substr(0, sep));
    ref.remove_prefix(sep + 2);
  }
  size_t dot = ref.rfind('.');
  std::string_view module = dot == std::string_view::npos ? ref : ref.substr(0, dot);
  std::string file(module);
  std::replace(file.begin(), file.end(), '.', '/');
  r.module_file = file + ".py";
  r.escapes = module.find("..") != std::string_view::npos ||
              (!module.empty() && (module[0] == '/' || module[0] == '\\')) ||
              module.find(':') != std::string_view::npos ||
              module.find('\\') != std::string_view::npos;
  return r;
}

bool HasKey(std::string_view text, std::string_view key) {
  return text.find(key) != std::string_view::npos;
}

SniffResult SniffHfConfig(ByteSpan data, std::string_view name) {
  std::string_view base = name.substr(name.find_last_of("/\\") == std::string_view::npos
                                          ? 0
                                          : name.find_last_of("/\\") + 1);
  if (base == "tokenizer_config.json") return SniffResult::kNo;
  std::string_view text = AsChars(data.first(std::min(data.size(), kSniffWindow)));
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' ||
                             text[i] == '\r' || text[i] == '\t')) {
    ++i;
  }
  if (i >= text.size() || text[i] != '{') return SniffResult::kNo;
  if (HasKey(text, "\"model_type\"") || HasKey(text, "\"architectures\"") ||
      HasKey(text, "\"auto_map\"")) {
    return SniffResult::kStrong;
  }
  return SniffResult::kNo;
}

constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.003",
                                           "AML.T0010.001"};
constexpr uint8_t kExecGoals =
    Goal::kConfidentiality | Goal::kIntegrity | Goal::kAvailability;

constexpr RuleInfo kRules[] = {
    {kRuleHfAutoMap, "config maps Auto classes to repository code",
     Severity::kMedium,
     "config.json has an auto_map: with trust_remote_code=True transformers "
     "downloads and imports the named Python modules of the repository and "
     "runs them as part of loading the model. The code is reviewed by the "
     "python analyser and the repository summary checks that it exists.",
     "Read the named modules before loading with trust_remote_code=True, or "
     "pin a reviewed revision (revision=<commit>).",
     kAtlasCode, kExecGoals,
     "https://huggingface.co/docs/transformers/custom_models"},
    {kRuleHfOtherRepo, "auto_map imports code from another repository",
     Severity::kHigh,
     "An auto_map entry has the form \"org/repo--module.Class\": the loader "
     "fetches and runs code from a different repository than the one being "
     "scanned, which a scan of this repository cannot see and whose owner "
     "can change it at any time.",
     "Scan the referenced repository at a pinned revision, or copy the code "
     "into this repository and review it.",
     kAtlasCode, kExecGoals,
     "https://huggingface.co/docs/transformers/custom_models"},
    {kRuleHfPipelines, "config declares custom pipelines", Severity::kMedium,
     "custom_pipelines maps tasks to pipeline classes in repository modules; "
     "pipeline() imports and runs them with trust_remote_code=True.",
     "Review the pipeline modules before use.",
     kAtlasCode, kExecGoals,
     "https://huggingface.co/docs/transformers/add_new_pipeline"},
    {kRuleHfTrustRemote, "config asks for trust_remote_code", Severity::kLow,
     "The config sets trust_remote_code (a hint some tools and wrappers "
     "follow) so that repository code runs without the user opting in.",
     "Ignore the hint; decide about remote code per load.",
     kAtlasCode, static_cast<uint8_t>(Goal::kIntegrity), ""},
    {kRuleHfEscape, "auto_map module path leaves the repository",
     Severity::kHigh,
     "An auto_map module name is absolute or contains \"..\", \":\" or "
     "backslashes: it points outside the repository folder, at files a "
     "loader must never import.",
     "Reject the repository.",
     kAtlasCode, kExecGoals, ""},
};

}  // namespace

std::vector<AutoMapRef> AutoMapRefs(const nlohmann::json& config) {
  std::vector<AutoMapRef> out;
  if (!config.is_object()) return out;
  if (auto am = config.find("auto_map"); am != config.end() && am->is_object()) {
    for (auto it = am->begin(); it != am->end(); ++it) {
      if (it->is_string()) {
        out.push_back(MakeRef(it.key(), it->get<std::string>()));
      } else if (it->is_array()) {
        for (const auto& v : *it) {
          if (v.is_string()) out.push_back(MakeRef(it.key(), v.get<std::string>()));
        }
      }
    }
  }
  if (auto cp = config.find("custom_pipelines"); cp != config.end() && cp->is_object()) {
    for (auto it = cp->begin(); it != cp->end(); ++it) {
      if (!it->is_object()) continue;
      for (const char* impl : {"impl", "pt", "tf"}) {
        auto v = it->find(impl);
        if (v == it->end()) continue;
        std::vector<std::string> refs;
        if (v->is_string()) refs.push_back(v->get<std::string>());
        if (v->is_array()) {
          for (const auto& e : *v)
            if (e.is_string()) refs.push_back(e.get<std::string>());
        }
        for (const std::string& r : refs) {
          // "pt"/"tf" list model classes (often transformers built-ins);
          // only dotted module references point at repository code.
          if (std::string_view(impl) != "impl" && r.find('.') == std::string::npos) continue;
          out.push_back(MakeRef("custom_pipelines." + it.key() + "." + impl, r));
        }
      }
    }
  }
  return out;
}

Status AnalyzeHfConfig(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  if (data.size() > limits.max_json_bytes) {
    return LimitExceeded("hf-config: {} bytes: {}", data.size(),
                         LimitMessage("max_json_bytes", limits.max_json_bytes));
  }
  JsonOptions opts{.max_depth = limits.max_depth,
                   .reject_duplicate_keys = true,
                   .what = "hf-config"};
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(AsChars(data), opts));
  if (!doc.is_object()) {
    return Malformed(0, "hf-config: top level is a JSON {}, want an object",
                     doc.type_name());
  }
  std::string classes;
  bool any_local = false;
  bool any_pipeline = false;
  for (const AutoMapRef& r : AutoMapRefs(doc)) {
    bool pipeline = r.key.rfind("custom_pipelines.", 0) == 0;
    if (r.escapes) {
      ctx.Report({.rule_id = std::string(kRuleHfEscape), .severity = Severity::kHigh,
                  .member = {}, .offset = 0,
                  .message = fmt::format("{} names module file {} outside the "
                                         "repository",
                                         EscapePreview(r.key, 64),
                                         EscapePreview(r.module_file, 128)),
                  .evidence = EscapePreview(r.reference, 160)});
      continue;
    }
    if (!r.other_repo.empty()) {
      ctx.Report({.rule_id = std::string(kRuleHfOtherRepo), .severity = Severity::kHigh,
                  .member = {}, .offset = 0,
                  .message = fmt::format("{} imports {} from repository {}",
                                         EscapePreview(r.key, 64),
                                         EscapePreview(r.module_file, 96),
                                         EscapePreview(r.other_repo, 96)),
                  .evidence = EscapePreview(r.reference, 160)});
      continue;
    }
    if (pipeline) {
      any_pipeline = true;
      ctx.Report({.rule_id = std::string(kRuleHfPipelines), .severity = Severity::kMedium,
                  .member = {}, .offset = 0,
                  .message = fmt::format("{} runs {} from the repository",
                                         EscapePreview(r.key, 64),
                                         EscapePreview(r.module_file, 96)),
                  .evidence = EscapePreview(r.reference, 160)});
      continue;
    }
    any_local = true;
    if (!classes.empty()) classes += ", ";
    classes += EscapePreview(r.key, 48) + " -> " + EscapePreview(r.reference, 96);
  }
  (void)any_pipeline;
  if (any_local) {
    std::string arch;
    if (auto a = doc.find("architectures"); a != doc.end() && a->is_array()) {
      for (const auto& v : *a) {
        if (!v.is_string()) continue;
        if (!arch.empty()) arch += ", ";
        arch += EscapePreview(v.get_ref<const std::string&>(), 64);
      }
    }
    ctx.Report({.rule_id = std::string(kRuleHfAutoMap), .severity = Severity::kMedium,
                .member = "auto_map", .offset = 0,
                .message = "auto_map makes transformers import repository code "
                           "with trust_remote_code=True",
                .evidence = fmt::format("{}{}", classes,
                                        arch.empty() ? std::string()
                                                     : "; architectures: " + arch)});
  }
  if (auto t = doc.find("trust_remote_code"); t != doc.end() && t->is_boolean() &&
                                                t->get<bool>()) {
    ctx.Report({.rule_id = std::string(kRuleHfTrustRemote), .severity = Severity::kLow,
                .member = "trust_remote_code", .offset = 0,
                .message = "config sets trust_remote_code: true",
                .evidence = ""});
  }
  return Status::Ok();
}

const FormatHandler& HfConfigHandler() {
  static const FormatHandler h{"hf-config",
                               "Hugging Face config.json (auto_map, custom pipelines)",
                               &SniffHfConfig, &AnalyzeHfConfig};
  return h;
}

std::span<const RuleInfo> HfConfigRules() { return kRules; }

}  // namespace mats::repo
