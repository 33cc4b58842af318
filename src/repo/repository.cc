// Repository summary: roles, what loaders execute, auto_map cross-checks.
#include "mats/repo/repository.h"

#include <algorithm>
#include <map>
#include <set>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/repo/hf_config.h"

namespace mats::repo {
namespace {

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string()
                                         : std::string(path.substr(0, slash));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsPickleFormat(std::string_view f) {
  return f == "pickle" || f == "joblib" || StartsWith(f, "pytorch") ||
         f.find("pickle") != std::string_view::npos;
}

constexpr std::string_view kWeightFormats[] = {
    "safetensors", "gguf", "onnx", "keras", "keras-h5", "hdf5", "tflite",
    "numpy-npy", "numpy-npz", "npy", "npz", "tensorflow", "saved-model",
    "graphdef", "torchscript", "ggml", "pt2", "torchserve-mar"};
constexpr std::string_view kWeightExtensions[] = {
    ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".ggml", ".onnx",
    ".h5", ".hdf5", ".keras", ".pb", ".tflite", ".msgpack", ".npz", ".npy",
    ".pkl", ".pickle", ".joblib", ".mlmodel", ".ot", ".pte", ".pt2", ".mar",
    ".nemo", ".model.weights.h5"};
constexpr std::string_view kCodeExtensions[] = {".py", ".pyw", ".sh", ".ipynb",
                                                ".jinja", ".j2", ".js", ".bat"};
constexpr std::string_view kConfigExtensions[] = {".json", ".yaml", ".yml",
                                                  ".toml", ".cfg", ".ini"};
constexpr std::string_view kTokenizerFiles[] = {
    "tokenizer.model", "vocab.txt", "merges.txt", "spiece.model",
    "sentencepiece.bpe.model", "vocab.json", "tokenizer.json"};
constexpr std::string_view kDataExtensions[] = {
    ".csv", ".tsv", ".parquet", ".arrow", ".jsonl", ".tfrecord", ".wav",
    ".mp3", ".flac", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".txt", ".zip",
    ".tar", ".gz", ".7z"};
constexpr std::string_view kDocExtensions[] = {".md", ".rst", ".pdf", ".html"};

bool AnyEnds(std::string_view s, std::span<const std::string_view> list) {
  return std::any_of(list.begin(), list.end(),
                     [&](std::string_view e) { return EndsWith(s, e); });
}

FileRole Classify(const RepoFile& f) {
  std::string name = Lower(BaseName(f.path));
  std::string_view fmt = f.format;
  if (fmt == "python" || fmt == "jinja") return FileRole::kCode;
  if (IsPickleFormat(fmt) ||
      std::find(std::begin(kWeightFormats), std::end(kWeightFormats), fmt) !=
          std::end(kWeightFormats)) {
    return FileRole::kWeights;
  }
  if (fmt == "keras-config" || fmt == "hf-config" || fmt == "tokenizer-config") {
    return FileRole::kConfig;
  }
  if (StartsWith(name, "readme") || StartsWith(name, "license") ||
      StartsWith(name, "notice") || StartsWith(name, "citation") ||
      AnyEnds(name, kDocExtensions)) {
    return FileRole::kDocs;
  }
  if (std::find(std::begin(kTokenizerFiles), std::end(kTokenizerFiles), name) !=
      std::end(kTokenizerFiles)) {
    return FileRole::kConfig;
  }
  if (AnyEnds(name, kCodeExtensions)) return FileRole::kCode;
  if (AnyEnds(name, kWeightExtensions)) return FileRole::kWeights;
  if (AnyEnds(name, kConfigExtensions)) return FileRole::kConfig;
  if (AnyEnds(name, kDataExtensions)) return FileRole::kData;
  return FileRole::kOther;
}

int VerdictRank(std::string_view v) {
  if (v == "malicious") return 3;
  if (v == "not_analysable") return 2;
  if (v == "suspicious") return 1;
  return 0;
}

constexpr std::string_view kVerdicts[] = {"clean", "suspicious",
                                          "not_analysable", "malicious"};

// "models--org--name" -> "org/name".
std::string CacheRepoName(std::string_view component) {
  for (std::string_view kind : {"models--", "datasets--", "spaces--"}) {
    if (StartsWith(component, kind) && component.size() > kind.size()) {
      std::string rest(component.substr(kind.size()));
      size_t sep = rest.find("--");
      if (sep != std::string::npos) rest.replace(sep, 2, "/");
      return rest;
    }
  }
  return {};
}

std::string DetectCacheName(const std::string& root,
                            std::span<const RepoFile> files) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= root.size()) {
    size_t slash = root.find('/', start);
    if (slash == std::string::npos) slash = root.size();
    if (slash > start) parts.push_back(root.substr(start, slash - start));
    start = slash + 1;
  }
  for (size_t i = parts.size(); i > 0; --i) {
    std::string name = CacheRepoName(parts[i - 1]);
    if (name.empty()) continue;
    if (i + 1 < parts.size() && parts[i] == "snapshots") {
      return name + "@" + parts[i + 1];
    }
    if (i == parts.size()) {
      // The models--org--name folder itself: one revision under snapshots/?
      std::set<std::string> revs;
      for (const RepoFile& f : files) {
        if (StartsWith(f.path, "snapshots/")) {
          std::string_view rest = std::string_view(f.path).substr(10);
          revs.insert(std::string(rest.substr(0, rest.find('/'))));
        }
      }
      if (revs.size() == 1) return name + "@" + *revs.begin();
    }
    return name;
  }
  return {};
}

constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.003",
                                           "AML.T0010.001"};
constexpr std::string_view kAtlasPickle[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr uint8_t kExecGoals =
    Goal::kConfidentiality | Goal::kIntegrity | Goal::kAvailability;

constexpr RuleInfo kRules[] = {
    {kRuleRepoRemoteCode, "repository ships code that runs with trust_remote_code",
     Severity::kMedium,
     "Config files of the repository map classes to Python modules that are "
     "present in the repository: loading it with trust_remote_code=True imports "
     "and runs them. High when one of those modules has a high or critical "
     "finding of its own.",
     "Review the listed modules (their python findings are in the report), pin "
     "the revision, and load without trust_remote_code when possible.",
     kAtlasCode, kExecGoals,
     "https://huggingface.co/docs/transformers/custom_models"},
    {kRuleRepoMissingModule, "auto_map references a missing module",
     Severity::kMedium,
     "A config's auto_map or custom_pipelines names a module file that is not "
     "in the scanned folder: the code that would run was not scanned (the "
     "loader may fetch it from the Hub at load time), or the files were "
     "removed to hide them from review.",
     "Scan the complete repository including the named module, or do not "
     "load it with trust_remote_code.",
     kAtlasCode, kExecGoals, ""},
    {kRuleRepoPickleWithSafetensors,
     "pickle-based weights next to a safetensors copy", Severity::kLow,
     "The repository ships weights both as safetensors and in a pickle-based "
     "format (PyTorch .bin/.pt, joblib, pickle). Loaders prefer safetensors, "
     "but tools that pick the pickle copy run its code; the redundant copy is "
     "attack surface.",
     "Use the safetensors files (e.g. use_safetensors=True) and delete or "
     "ignore the pickle copies.",
     kAtlasPickle, static_cast<uint8_t>(Goal::kIntegrity), ""},
    {kRuleRepoPickleOnly, "weights only in a pickle-based format", Severity::kMedium,
     "The repository's weights exist only in a pickle-based format, so every "
     "loader unpickles them, which can run code; there is no safetensors "
     "alternative.",
     "Ask the publisher for safetensors weights or convert them in a sandbox "
     "after the scan is clean.",
     kAtlasPickle, kExecGoals, "https://huggingface.co/docs/safetensors"},
    {kRuleRepoHandler, "repository ships a custom inference handler",
     Severity::kLow,
     "handler.py (Inference Endpoints EndpointHandler) or pipeline.py is run "
     "by deployment tooling when the model is served.",
     "Review the handler code before deploying the model.",
     kAtlasCode, kExecGoals,
     "https://huggingface.co/docs/inference-endpoints/guides/custom_handler"},
};

}  // namespace

std::string_view FileRoleName(FileRole role) {
  switch (role) {
    case FileRole::kWeights: return "weights";
    case FileRole::kCode: return "code";
    case FileRole::kData: return "data";
    case FileRole::kConfig: return "config";
    case FileRole::kDocs: return "docs";
    case FileRole::kOther: return "other";
  }
  return "other";
}

RepositorySummary SummarizeRepository(const std::string& root,
                                      std::span<const RepoFile> files,
                                      const Limits& limits) {
  RepositorySummary s;
  s.root = root;
  s.name = DetectCacheName(root, files);
  std::map<std::string, size_t, std::less<>> index;
  bool has_safetensors = false;
  std::vector<size_t> pickles;
  int worst = 0;
  for (const RepoFile& f : files) {
    RepoFileSummary fs;
    fs.path = f.path;
    fs.role = Classify(f);
    fs.format = f.format;
    fs.verdict = f.verdict;
    worst = std::max(worst, VerdictRank(f.verdict));
    if (f.format == "safetensors") has_safetensors = true;
    if (IsPickleFormat(f.format)) {
      fs.executes = "unpickled by its loader (torch.load / joblib.load / pickle)";
      pickles.push_back(s.files.size());
    }
    if (f.format.find("torchscript") != std::string::npos) {
      fs.executes = "TorchScript code run by torch.jit.load";
    }
    if (f.format == "torchserve-mar") {
      fs.executes = "TorchServe archive: its handler code runs when served";
    }
    for (const auto& [rule, sev] : f.findings) {
      (void)sev;
      if (rule == "MATS-KERAS-001") fs.executes = "Keras Lambda bytecode";
    }
    if (f.format == "jinja") fs.executes = "chat template rendered by apply_chat_template";
    std::string base = Lower(BaseName(f.path));
    if (fs.role == FileRole::kCode && (base == "handler.py" || base == "pipeline.py")) {
      fs.executes = "custom inference handler run when the model is served";
      s.findings.push_back({.rule_id = std::string(kRuleRepoHandler),
                            .severity = Severity::kLow,
                            .member = f.path,
                            .offset = 0,
                            .message = "custom inference handler " +
                                       EscapePreview(f.path, 128),
                            .evidence = ""});
    }
    index[f.path] = s.files.size();
    s.counts[static_cast<size_t>(fs.role)]++;
    s.files.push_back(std::move(fs));
  }

  // auto_map / custom_pipelines cross-check and chat templates.
  std::vector<std::string> remote_modules;
  bool remote_dangerous = false;
  for (const RepoFile& f : files) {
    std::string base = Lower(BaseName(f.path));
    if (!EndsWith(base, "config.json") || f.size > limits.max_json_bytes) continue;
    Result<std::string> text =
        ReadFileToString(root + "/" + f.path, limits.max_json_bytes);
    if (!text.ok()) continue;  // the file's own report says why
    JsonOptions opts{.max_depth = limits.max_depth,
                     .reject_duplicate_keys = false,
                     .what = "repository config"};
    Result<nlohmann::json> doc = ParseJson(*text, opts);
    if (!doc.ok() || !doc->is_object()) continue;
    if (base == "tokenizer_config.json") {
      auto ct = doc->find("chat_template");
      if (ct != doc->end() && !ct->is_null()) {
        s.files[index[f.path]].executes =
            "chat template rendered by apply_chat_template";
      }
    }
    std::string dir = DirName(f.path);
    for (const AutoMapRef& r : AutoMapRefs(*doc)) {
      if (r.escapes) continue;  // MATS-HF-005 in the file's report
      if (!r.other_repo.empty()) {
        s.executes.push_back(fmt::format("{} from repository {} ({} in {})",
                                         EscapePreview(r.module_file, 96),
                                         EscapePreview(r.other_repo, 96),
                                         EscapePreview(r.key, 64), f.path));
        continue;
      }
      std::string module = dir.empty() ? r.module_file : dir + "/" + r.module_file;
      auto it = index.find(module);
      if (it == index.end()) {
        s.findings.push_back(
            {.rule_id = std::string(kRuleRepoMissingModule),
             .severity = Severity::kMedium,
             .member = f.path,
             .offset = 0,
             .message = fmt::format("{} names {}, which is not in the repository",
                                    EscapePreview(r.key, 64),
                                    EscapePreview(module, 128)),
             .evidence = EscapePreview(r.reference, 160)});
        continue;
      }
      RepoFileSummary& target = s.files[it->second];
      std::string why = fmt::format("imported with trust_remote_code for {} ({})",
                                    r.key, BaseName(f.path));
      if (target.executes.empty()) target.executes = why;
      if (std::find(remote_modules.begin(), remote_modules.end(), module) ==
          remote_modules.end()) {
        remote_modules.push_back(module);
        if (VerdictRank(target.verdict) == 3) remote_dangerous = true;
      }
    }
  }
  if (!remote_modules.empty()) {
    std::string list;
    for (const std::string& m : remote_modules) {
      if (!list.empty()) list += ", ";
      list += EscapePreview(m, 96);
    }
    s.findings.push_back(
        {.rule_id = std::string(kRuleRepoRemoteCode),
         .severity = remote_dangerous ? Severity::kHigh : Severity::kMedium,
         .member = {},
         .offset = 0,
         .message = remote_dangerous
                        ? "repository code that runs with trust_remote_code has "
                          "dangerous findings"
                        : "repository ships code that runs with trust_remote_code",
         .evidence = "modules: " + list});
  }

  // Weight formats.
  if (!pickles.empty()) {
    std::string list;
    for (size_t i : pickles) {
      if (!list.empty()) list += ", ";
      list += EscapePreview(s.files[i].path, 96);
      if (list.size() > 400) {
        list += ", ...";
        break;
      }
    }
    if (has_safetensors) {
      s.findings.push_back({.rule_id = std::string(kRuleRepoPickleWithSafetensors),
                            .severity = Severity::kLow,
                            .member = {},
                            .offset = 0,
                            .message = "pickle-based weights ship next to "
                                       "safetensors weights",
                            .evidence = list});
    } else {
      s.findings.push_back({.rule_id = std::string(kRuleRepoPickleOnly),
                            .severity = Severity::kMedium,
                            .member = {},
                            .offset = 0,
                            .message = "weights exist only in a pickle-based format",
                            .evidence = list});
    }
  }

  for (const RepoFileSummary& f : s.files) {
    if (!f.executes.empty()) {
      s.executes.push_back(f.path + ": " + f.executes);
    }
  }
  for (const Finding& f : s.findings) {
    if (f.severity >= Severity::kHigh) {
      worst = std::max(worst, 3);
    } else if (f.severity >= Severity::kLow) {
      worst = std::max(worst, 1);
    }
  }
  s.verdict = std::string(kVerdicts[worst]);
  return s;
}

std::span<const RuleInfo> RepositoryRules() { return kRules; }

}  // namespace mats::repo
