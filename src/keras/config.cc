// The keras-config analyser: walks a Keras model config with an explicit
// stack and reports what a loader would resolve or execute.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/keras/keras.h"
#include "mats/keras/marshal.h"

namespace mats::keras {
namespace {

using nlohmann::json;

constexpr size_t kSniffWindow = 64 * 1024;

// Class names tf.keras 2.x and Keras 3 resolve without a module: layers,
// models, initializers, regularizers, constraints, optimizers, losses and
// metrics, and the internal markers of the serialization format.
constexpr std::string_view kBuiltinClassNames[] = {
    "Activation", "ActivityRegularization", "Adadelta", "Adafactor", "Adagrad",
    "Adam", "AdamW", "Adamax", "Add", "AdditiveAttention", "AlphaDropout",
    "Attention", "Average", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "BatchNormalization", "BinaryAccuracy",
    "BinaryCrossentropy", "Bidirectional", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CategoryEncoding", "CenterCrop",
    "Concatenate", "Constant", "Conv1D", "Conv1DTranspose", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM1D",
    "ConvLSTM2D", "ConvLSTM3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "DTypePolicy", "Dense", "DepthwiseConv1D", "DepthwiseConv2D",
    "Discretization", "Dot", "Dropout", "ELU", "EinsumDense", "Embedding",
    "ExponentialDecay", "Flatten", "FloatDTypePolicy", "Functional", "GRU",
    "GRUCell", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlorotNormal",
    "GlorotUniform", "GroupNormalization", "HeNormal", "HeUniform",
    "Hashing", "Identity", "InputLayer", "InputSpec", "L1", "L1L2", "L2",
    "LSTM", "LSTMCell", "LayerNormalization", "LeakyReLU", "LecunNormal",
    "LecunUniform", "Masking", "MaxNorm", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "Maximum", "MeanAbsoluteError", "MeanSquaredError",
    "Minimum", "MinMaxNorm", "Model", "MultiHeadAttention", "Multiply",
    "Nadam", "NonNeg", "Normalization", "Ones", "Orthogonal", "PReLU",
    "Permute", "RMSprop", "RNN", "RandomContrast", "RandomCrop", "RandomFlip",
    "RandomHeight", "RandomNormal", "RandomRotation", "RandomTranslation",
    "RandomUniform", "RandomWidth", "RandomZoom", "ReLU", "RepeatVector",
    "Rescaling", "Reshape", "Resizing", "SGD", "SeparableConv1D",
    "SeparableConv2D", "Sequential", "SimpleRNN", "SimpleRNNCell", "Softmax",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "StackedRNNCells", "Subtract", "TFOpLambda", "SlicingOpLambda",
    "ThresholdedReLU", "TimeDistributed", "TruncatedNormal", "UnitNorm",
    "UnitNormalization", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "VarianceScaling", "Wrapper", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D", "Zeros", "Lambda", "StringLookup", "IntegerLookup",
    "TextVectorization", "Policy", "Accuracy", "AUC", "Precision", "Recall",
    "Mean", "Sum", "Huber", "LogCosh", "Hinge", "KLDivergence", "Poisson",
    "MeanMetricWrapper", "MeanSquaredLogarithmicError",
    "MeanAbsolutePercentageError", "CosineSimilarity",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "BinaryFocalCrossentropy", "CategoricalHinge", "SquaredHinge",
    "LossScaleOptimizer", "Ftrl", "Lion", "LossFunctionWrapper",
    "PiecewiseConstantDecay", "CosineDecay", "CosineDecayRestarts",
    "InverseTimeDecay", "PolynomialDecay", "TFOpLambda", "GroupQueryAttention",
    "RMSNormalization", "SpectralNormalization", "Pipeline", "AutoContrast",
    "RandomBrightness", "MelSpectrogram", "STFTSpectrogram", "Conv", "Layer",
    "ReversibleEmbedding", "LinearWarmup", "Ones", "Zeros", "IdentityInitializer",
};

// tf.keras 2.11+ writes built-in optimizers as "Custom>Adam".
std::string_view StripCustomPrefix(std::string_view cls) {
  constexpr std::string_view kCustom = "Custom>";
  return cls.substr(0, kCustom.size()) == kCustom ? cls.substr(kCustom.size()) : cls;
}

// TFOpLambda functions (tf API paths without the "tf." prefix) that read or
// write files, run Python or load native code.
constexpr std::string_view kDangerousTfFunctionPrefixes[] = {
    "io.", "raw_ops.", "py_func", "numpy_function", "py_function",
    "compat.v1.py_func", "compat.v1.io.", "load_library", "load_op_library",
    "saved_model.", "data.experimental.load", "debugging.", "print",
    "compat.v1.gfile", "compat.v1.data",
};

constexpr std::string_view kLookupLayers[] = {"StringLookup", "IntegerLookup",
                                              "TextVectorization"};

bool Contains(std::span<const std::string_view> set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

std::string_view LastComponent(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

const std::string* GetString(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

const json* GetObject(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_object()) return nullptr;
  return &*it;
}

bool IsDunder(std::string_view s) {
  return s.size() > 4 && s.substr(0, 2) == "__" && s.substr(s.size() - 2) == "__";
}

class Walker {
 public:
  explicit Walker(ScanContext& ctx) : ctx_(ctx) {}

  // Depth-first, pre-order walk with an explicit stack of iterators: the
  // stack is as deep as the JSON (bounded by max_depth at parse time) and
  // holds one path string per level, cut at kMaxPath bytes.
  void Walk(const json& root) {
    struct Frame {
      const json* node;
      json::const_iterator it;
      size_t index;
      std::string path;
    };
    Visit(root, "$");
    if (!root.is_structured()) return;
    std::vector<Frame> stack;
    stack.push_back({&root, root.cbegin(), 0, "$"});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.it == f.node->cend()) {
        stack.pop_back();
        continue;
      }
      const json& child = *f.it;
      std::string path = f.path;
      if (path.size() < kMaxPath) {
        path += f.node->is_object() ? "." + f.it.key()
                                    : "[" + std::to_string(f.index) + "]";
      } else if (path.back() != '.') {
        path += "...";
      }
      ++f.it;
      ++f.index;
      Visit(child, path);
      if (child.is_structured() && !child.empty()) {
        stack.push_back({&child, child.cbegin(), 0, std::move(path)});
      }
    }
  }

 private:
  static constexpr size_t kMaxPath = 512;

  void Visit(const json& node, const std::string& path) {
    if (node.is_object()) {
      VisitObject(node, path);
    } else if (node.is_string()) {
      VisitString(node.get_ref<const std::string&>(), path);
    }
  }

  void Report(std::string_view rule, Severity severity, std::string message,
              std::string evidence) {
    ctx_.Report(Finding{.rule_id = std::string(rule),
                        .severity = severity,
                        .member = {},
                        .offset = 0,
                        .message = std::move(message),
                        .evidence = std::move(evidence)});
  }

  void VisitString(const std::string& s, const std::string& path) {
    if (!unsafe_reported_ &&
        s.find("enable_unsafe_deserialization") != std::string::npos) {
      unsafe_reported_ = true;
      Report(kRuleUnsafeMode, Severity::kCritical,
             "config names keras.config.enable_unsafe_deserialization, which "
             "turns off safe mode before later objects load",
             "at " + path + ": " + EscapePreview(s, 96));
    }
  }

  // Checks a dotted callable or class name resolved by the loader. Returns
  // true when a finding was reported.
  bool CheckName(const std::string& full, std::string_view what,
                 const std::string& path) {
    std::string_view last = LastComponent(full);
    std::string shown = EscapePreview(full, 128);
    if (last == "enable_unsafe_deserialization") {
      unsafe_reported_ = true;
      Report(kRuleUnsafeMode, Severity::kCritical,
             fmt::format("{} {} disables Keras safe mode while loading", what,
                         shown),
             "at " + path);
      return true;
    }
    if (last == "get_file") {
      Report(kRuleGetFile, Severity::kHigh,
             fmt::format("{} {} downloads a file when the model loads", what,
                         shown),
             "at " + path);
      return true;
    }
    PolicyDecision d = ctx_.policy().Lookup("keras", full);
    if (d.kind == PolicyDecision::Kind::kAllowed) return false;
    if (d.kind == PolicyDecision::Kind::kDenied) {
      Report(kRuleForeignCallable, d.entry->severity,
             fmt::format("{} {} is denied by policy ({})", what, shown,
                         d.entry->category.empty() ? d.entry->reason
                                                   : d.entry->category),
             fmt::format("at {}; policy entry keras:{} ({})", path,
                         d.entry->name, d.entry->source));
      return true;
    }
    Report(kRuleForeignCallable, Severity::kMedium,
           fmt::format("{} {} is outside Keras' own namespaces; the loader "
                       "imports its module",
                       what, shown),
           "at " + path);
    return true;
  }

  void ReportLambda(const std::string* code, const std::string& path,
                    std::string_view form) {
    if (code == nullptr) {
      Report(kRuleLambda, Severity::kHigh,
             fmt::format("Lambda layer ({}) without readable bytecode", form),
             "at " + path);
      return;
    }
    std::string compact;
    compact.reserve(code->size());
    for (char c : *code) {
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact.push_back(c);
    }
    Result<Bytes> raw = Base64Decode(compact);
    if (!raw.ok()) {
      Report(kRuleLambda, Severity::kCritical,
             fmt::format("Lambda layer ({}) whose code is not valid base64 "
                         "marshal data",
                         form),
             fmt::format("at {}: {}; {}", path, raw.status().message(),
                         EscapePreview(*code, 64)));
      return;
    }
    Result<CodeSummary> summary = SummarizeMarshalCode(*raw, ctx_.limits());
    if (!summary.ok()) {
      Report(kRuleLambda, Severity::kCritical,
             fmt::format("Lambda layer ({}) with {} bytes of bytecode that "
                         "could not be disassembled",
                         form, raw->size()),
             fmt::format("at {}: {}", path, summary.status().ToString()));
      return;
    }
    std::vector<std::string> bad = DangerousNames(*summary);
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const std::string& s : v) {
        if (!out.empty()) out += ", ";
        out += EscapePreview(s, 64);
        if (out.size() > 512) {
          out += ", ...";
          break;
        }
      }
      return out;
    };
    std::string evidence = fmt::format(
        "at {}; python {} code objects={} names=[{}] string constants=[{}] "
        "functions=[{}]",
        path, summary->layout, summary->code_objects, join(summary->names),
        join(summary->string_constants), join(summary->code_names));
    if (bad.empty()) {
      Report(kRuleLambda, Severity::kHigh,
             fmt::format("Lambda layer ({}) carries Python bytecode that runs "
                         "when the model loads",
                         form),
             std::move(evidence));
    } else {
      Report(kRuleLambda, Severity::kCritical,
             fmt::format("Lambda layer ({}) carries Python bytecode that "
                         "references {}",
                         form, join(bad)),
             std::move(evidence));
    }
  }

  void VisitLambdaLayer(const json& config, const std::string& path) {
    auto fn = config.find("function");
    if (fn == config.end()) {
      ReportLambda(nullptr, path, "tf.keras");
      return;
    }
    const std::string* type = GetString(config, "function_type");
    if (fn->is_string()) {
      if (type != nullptr && *type == "function") {
        const std::string* module = GetString(config, "module");
        std::string full = (module ? *module + "." : std::string()) +
                           fn->get_ref<const std::string&>();
        CheckName(full, "Lambda function", path + ".config.function");
        return;
      }
      ReportLambda(fn->get_ptr<const std::string*>(), path + ".config.function",
                   "tf.keras");
      return;
    }
    if (fn->is_array()) {
      const std::string* code =
          !fn->empty() && (*fn)[0].is_string()
              ? (*fn)[0].get_ptr<const std::string*>()
              : nullptr;
      ReportLambda(code, path + ".config.function", "tf.keras");
    }
    // An object is a Keras 3 serialized function; the walk reaches it.
  }

  void VisitObject(const json& o, const std::string& path) {
    const std::string* cls = GetString(o, "class_name");
    if (cls == nullptr) return;
    const std::string* module = GetString(o, "module");
    const std::string* registered = GetString(o, "registered_name");
    const json* config = GetObject(o, "config");

    if (*cls == "__lambda__") {
      const std::string* code = nullptr;
      if (config != nullptr) {
        code = GetString(*config, "code");
        auto value = config->find("value");
        if (code == nullptr && value != config->end() && value->is_array() &&
            !value->empty() && (*value)[0].is_string()) {
          code = (*value)[0].get_ptr<const std::string*>();
        }
      }
      ReportLambda(code, path, "Keras 3 __lambda__");
      return;
    }
    // Keras 3 serializes a function as
    // {"module": m, "class_name": "function", "config": name}.
    auto cfg_it = o.find("config");
    if (*cls == "function" && cfg_it != o.end() && cfg_it->is_string()) {
      std::string full = (module ? *module + "." : std::string()) +
                         cfg_it->get_ref<const std::string&>();
      CheckName(full, "function", path);
      return;
    }
    bool reported = false;
    if (*cls == "TorchModuleWrapper") {
      reported = true;
      Report(kRuleTorchWrapper, Severity::kHigh,
             "TorchModuleWrapper layer: Keras unpickles the wrapped torch "
             "module with torch.load(weights_only=False)",
             "at " + path);
    } else if (*cls == "TFSMLayer") {
      reported = true;
      std::string target;
      if (config != nullptr) {
        if (const std::string* fp = GetString(*config, "filepath")) {
          target = "; filepath=" + EscapePreview(*fp, 128);
        }
      }
      Report(kRuleTfsmLayer, Severity::kHigh,
             "TFSMLayer layer loads an external TensorFlow SavedModel with its "
             "own graph ops",
             "at " + path + target);
    }
    if (!reported && module != nullptr) {
      reported = CheckName(*module + "." + *cls, "class", path);
    } else if (!reported && registered == nullptr &&
               !Contains(kBuiltinClassNames, StripCustomPrefix(*cls)) &&
               !IsDunder(*cls)) {
      Report(kRuleCustomObject, Severity::kLow,
             fmt::format("class {} is not a Keras built-in; loading needs "
                         "custom_objects code from outside the file",
                         EscapePreview(*cls, 96)),
             "at " + path);
      reported = true;
    }
    if (!reported && registered != nullptr &&
        registered->find('>') != std::string::npos && module == nullptr) {
      Report(kRuleCustomObject, Severity::kLow,
             fmt::format("custom registered object {}",
                         EscapePreview(*registered, 96)),
             "at " + path);
    }
    if (config == nullptr) return;
    if (*cls == "Lambda") VisitLambdaLayer(*config, path);
    if (Contains(kLookupLayers, *cls)) {
      if (const std::string* vocab = GetString(*config, "vocabulary")) {
        Report(kRuleLookupPath, Severity::kHigh,
               fmt::format("{} vocabulary is read from a path or URL when the "
                           "layer is built",
                           *cls),
               "at " + path + ".config.vocabulary: " + EscapePreview(*vocab, 128));
      }
    }
    if (*cls == "TFOpLambda" || *cls == "SlicingOpLambda") {
      if (const std::string* fn = GetString(*config, "function")) {
        std::string_view name = *fn;
        if (name.substr(0, 3) == "tf.") name.remove_prefix(3);
        for (std::string_view p : kDangerousTfFunctionPrefixes) {
          if (name.substr(0, p.size()) == p) {
            Report(kRuleTfOp, Severity::kHigh,
                   fmt::format("TFOpLambda calls tf.{}, which reaches files, "
                               "Python or native code",
                               EscapePreview(name, 96)),
                   "at " + path + ".config.function");
            break;
          }
        }
      }
    }
  }

  ScanContext& ctx_;
  bool unsafe_reported_ = false;
};

SniffResult SniffKerasConfig(ByteSpan data, std::string_view /*name*/) {
  std::string_view text = AsChars(data.first(std::min(data.size(), kSniffWindow)));
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' ||
                             text[i] == '\r' || text[i] == '\t')) {
    ++i;
  }
  if (i >= text.size() || text[i] != '{') return SniffResult::kNo;
  // Hugging Face configs belong to hf-config.
  std::string_view start = text.substr(0, std::min<size_t>(text.size(), 4096));
  for (std::string_view key : {"\"model_type\"", "\"architectures\"",
                               "\"auto_map\"", "\"transformers_version\""}) {
    if (start.find(key) != std::string_view::npos) return SniffResult::kNo;
  }
  if (text.find("\"class_name\"") == std::string_view::npos) {
    return SniffResult::kNo;
  }
  if (text.find("\"config\"") != std::string_view::npos ||
      text.find("\"module\"") != std::string_view::npos ||
      text.find("\"registered_name\"") != std::string_view::npos) {
    return SniffResult::kStrong;
  }
  return SniffResult::kNo;
}

}  // namespace

Status AnalyzeKerasConfig(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  if (data.size() > limits.max_json_bytes) {
    return LimitExceeded("keras: config of {} bytes: {}", data.size(),
                         LimitMessage("max_json_bytes", limits.max_json_bytes));
  }
  JsonOptions opts{.max_depth = limits.max_depth,
                   .reject_duplicate_keys = true,
                   .what = "keras: config"};
  MATS_ASSIGN_OR_RETURN(json doc, ParseJson(AsChars(data), opts));
  if (!doc.is_object()) {
    return Malformed(0, "keras: config is a JSON {}, want an object",
                     doc.type_name());
  }
  Walker w(ctx);
  w.Walk(doc);
  return Status::Ok();
}

const FormatHandler& KerasConfigHandler() {
  static const FormatHandler h{
      "keras-config",
      "Keras model config JSON (.keras config.json, .h5 model_config)",
      &SniffKerasConfig, &AnalyzeKerasConfig};
  return h;
}

}  // namespace mats::keras
