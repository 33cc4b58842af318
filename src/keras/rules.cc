#include <vector>

#include "mats/keras/keras.h"

namespace mats::keras {
namespace {

constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.003",
                                           "AML.T0018.002"};
constexpr std::string_view kAtlasArch[] = {"AML.T0011.000", "AML.T0010.003",
                                           "AML.T0018.001"};
constexpr std::string_view kAtlasUnsafe[] = {"AML.T0011.000", "AML.T0010.003"};

constexpr uint8_t kCodeGoals =
    Goal::kConfidentiality | Goal::kIntegrity | Goal::kAvailability;

constexpr RuleInfo kRules[] = {
    {kRuleLambda, "Keras Lambda layer with Python bytecode", Severity::kCritical,
     "A Lambda layer stores a Python function as base64 marshal bytecode "
     "(Keras 3 \"__lambda__\", tf.keras \"function\"). Loading the model "
     "rebuilds and runs it: with safe_mode=False in .keras files and always in "
     "legacy .h5 files. mats decodes the marshal stream and lists the names "
     "and string constants the code uses; critical when it names process, "
     "import, eval/exec, file or network functions, high otherwise.",
     "Do not load the model with safe_mode=False. Replace the Lambda with a "
     "registered custom layer whose source you review, or re-export the model "
     "without it.",
     kAtlasCode, kCodeGoals,
     "CVE-2024-3660; CVE-2025-9905; https://github.com/protectai/modelscan/issues/343"},
    {kRuleForeignCallable, "Keras config names a callable or class outside Keras",
     Severity::kMedium,
     "A serialized object's module/class_name (or a serialized function) "
     "points outside Keras' own namespaces (keras, keras.src, tf_keras, "
     "keras_hub/keras_nlp/keras_cv). The loader imports that module and "
     "calls the object, which reaches arbitrary Python even in safe mode on "
     "affected versions. Severity comes from policy domain \"keras\": denied "
     "modules such as os or subprocess are critical, unknown ones medium.",
     "Check that the named module is a package you trust and intend to import; "
     "add it to the policy (--allow keras:<name>) once reviewed, otherwise "
     "reject the model.",
     kAtlasCode, kCodeGoals, "CVE-2025-1550"},
    {kRuleUnsafeMode, "Keras config turns off safe mode", Severity::kCritical,
     "The config calls keras.config.enable_unsafe_deserialization as part of "
     "deserialization, so later Lambda layers and arbitrary callables load "
     "even though the user asked for safe_mode=True.",
     "Reject the model; no legitimate config needs to change the loader's "
     "safety settings.",
     kAtlasCode, kCodeGoals, "CVE-2025-9906"},
    {kRuleGetFile, "Keras config downloads a file", Severity::kHigh,
     "The config names keras.utils.get_file as a callable: loading the model "
     "fetches a remote file (and may extract it over local files).",
     "Reject the model or load it offline in a sandbox; configs do not need "
     "to download anything.",
     kAtlasUnsafe, Goal::kIntegrity | Goal::kConfidentiality, "CVE-2025-8747"},
    {kRuleTorchWrapper, "Keras TorchModuleWrapper layer", Severity::kHigh,
     "TorchModuleWrapper stores a whole torch module; Keras 3.11.0-3.11.2 "
     "restore it with torch.load(weights_only=False), i.e. an unrestricted "
     "pickle that can run code.",
     "Upgrade Keras past 3.11.2 and scan the embedded torch module; prefer "
     "native Keras layers.",
     kAtlasCode, kCodeGoals, "CVE-2025-49655"},
    {kRuleTfsmLayer, "Keras TFSMLayer loads an external SavedModel",
     Severity::kHigh,
     "TFSMLayer loads a TensorFlow SavedModel from its filepath when the "
     "model is built; that graph can read and write files on the loading "
     "machine, and the path may point anywhere.",
     "Upgrade Keras to 3.13.2 or later and load only SavedModels you scanned "
     "yourself.",
     kAtlasArch, Goal::kIntegrity | Goal::kConfidentiality, "CVE-2026-1462"},
    {kRuleLookupPath, "Keras lookup layer vocabulary from a path or URL",
     Severity::kHigh,
     "A StringLookup, IntegerLookup or TextVectorization layer names its "
     "vocabulary as a string, which Keras opens with tf.io.gfile: a local "
     "file (information disclosure into the model) or a remote URL.",
     "Ship the vocabulary inside the model (a list or the assets folder) and "
     "reject configs that point at paths or URLs.",
     kAtlasUnsafe, Goal::kConfidentiality | Goal::kIntegrity, "CVE-2025-12058"},
    {kRuleCustomObject, "Keras custom object needs outside code", Severity::kLow,
     "A serialized class is neither a Keras built-in nor module-qualified "
     "(tf.keras 2 style) or carries a custom registered name (package>Name): "
     "loading it runs code registered through custom_objects, which comes "
     "from outside the file.",
     "Review the custom layer code you are asked to register before loading.",
     kAtlasArch, static_cast<uint8_t>(Goal::kIntegrity), ""},
    {kRuleTfOp, "Keras TFOpLambda calls a file, Python or library op",
     Severity::kHigh,
     "A TFOpLambda (tf.keras 2 functional op layer) calls a TensorFlow API "
     "under tf.io, tf.raw_ops, tf.py_function/numpy_function, "
     "load_library or similar, which reads or writes files or runs Python "
     "when the model runs.",
     "Reject the model, or rebuild the layer from reviewed code.",
     kAtlasCode, kCodeGoals, ""},
};

std::vector<PolicyEntry> MakePolicy() {
  std::vector<PolicyEntry> v;
  auto allow = [&](const char* name) {
    v.push_back({.domain = "keras", .name = name,
                 .action = PolicyAction::kAllow,
                 .severity = Severity::kInfo, .exact = false,
                 .category = "keras namespace",
                 .reason = "Keras and its official packages"});
  };
  auto deny = [&](const char* name, Severity s, const char* category) {
    v.push_back({.domain = "keras", .name = name,
                 .action = PolicyAction::kDeny, .severity = s, .exact = false,
                 .category = category,
                 .reason = "reaches code execution or the file system"});
  };
  for (const char* n : {"keras", "tf_keras", "tensorflow.keras",
                        "tensorflow.python.keras", "keras_hub", "keras_nlp",
                        "keras_cv"}) {
    allow(n);
  }
  for (const char* n : {"os", "posix", "nt", "subprocess", "pty", "commands",
                        "popen2"}) {
    deny(n, Severity::kCritical, "process spawning");
  }
  for (const char* n : {"builtins.eval", "builtins.exec", "builtins.compile",
                        "builtins.__import__", "builtins.getattr",
                        "builtins.open", "__builtin__", "importlib", "runpy",
                        "marshal", "pickle", "_pickle", "dill", "types",
                        "code", "ctypes", "sys"}) {
    deny(n, Severity::kCritical, "dynamic code");
  }
  for (const char* n : {"shutil", "pathlib", "io", "tempfile", "glob"}) {
    deny(n, Severity::kHigh, "file system");
  }
  for (const char* n : {"socket", "urllib", "requests", "http", "ftplib",
                        "webbrowser", "smtplib"}) {
    deny(n, Severity::kHigh, "network");
  }
  for (const char* n : {"tensorflow.io", "tensorflow.raw_ops",
                        "tensorflow.py_function", "tensorflow.numpy_function",
                        "tensorflow.load_library",
                        "tensorflow.load_op_library", "torch.load"}) {
    deny(n, Severity::kHigh, "file system or native code");
  }
  // Keras' own functions that load other files or models.
  for (const char* n : {"keras.models.load_model", "keras.saving.load_model",
                        "keras.src.saving.saving_api.load_model",
                        "keras.src.saving.saving_lib.load_model",
                        "keras.src.legacy.saving.legacy_h5_format",
                        "keras.src.utils.file_utils", "keras.utils.file_utils",
                        "keras.utils.extract_archive"}) {
    deny(n, Severity::kHigh, "file loading");
  }
  return v;
}

}  // namespace

std::span<const RuleInfo> KerasRules() { return kRules; }

std::span<const PolicyEntry> KerasPolicyEntries() {
  static const std::vector<PolicyEntry> entries = MakePolicy();
  return entries;
}

}  // namespace mats::keras
