// TensorFlow rules, sniffing and format handlers.
#include <set>
#include <string>
#include <vector>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/protobuf/wire.h"
#include "mats/tensorflow/tensorflow.h"

namespace mats::tensorflow {
namespace {

using protobuf::WireField;
using protobuf::WireReader;
using protobuf::WireType;

constexpr std::string_view kPolicyDomain = "tf-op";
constexpr std::string_view kCategoryPython = "python callback";
constexpr std::string_view kCategoryFile = "file system";

bool NameIs(std::string_view name, std::string_view want) {
  // Base name match, case-sensitive (file names on disk keep their case).
  return name == want || (name.size() > want.size() && name.ends_with(want) &&
                          name[name.size() - want.size() - 1] == '/');
}

// Reads up to `max_fields` top-level fields; returns false on any parse error.
// `check` returns false to reject a field.
template <typename Check>
bool TopLevelFields(ByteSpan data, int max_fields, Check check) {
  WireReader r(data, 0, 8);
  WireField f;
  for (int i = 0; i < max_fields; ++i) {
    Result<bool> more = r.Next(&f);
    if (!more.ok()) return false;
    if (!*more) return true;
    if (!check(f)) return false;
  }
  return true;
}

bool IsOpName(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '>' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// True when `node` parses as a NodeDef with a name and an op-like op.
bool LooksLikeNodeDef(const WireField& node) {
  bool name = false;
  bool op = false;
  bool ok = TopLevelFields(node.bytes, 1 << 20, [&](const WireField& f) {
    if (f.number < 1 || f.number > 7) return false;
    if (f.type != WireType::kLen) return false;
    if (f.number == 1) name = true;
    if (f.number == 2) op = IsOpName(f.chars());
    return true;
  });
  return ok && name && op;
}

// A frozen GraphDef has no fixed file name, so only content counts.
SniffResult SniffGraphDefImpl(ByteSpan data, std::string_view /*name*/) {
  bool first_node_ok = false;
  bool saw_node = false;
  bool ok = TopLevelFields(data, 64, [&](const WireField& f) {
    switch (f.number) {
      case 1:
        if (f.type != WireType::kLen) return false;
        if (!saw_node) {
          saw_node = true;
          first_node_ok = LooksLikeNodeDef(f);
        }
        return true;
      case 2: case 4: return f.type == WireType::kLen;
      case 3: return f.type == WireType::kVarint;
      default: return false;
    }
  });
  if (ok && saw_node && first_node_ok) return SniffResult::kStrong;
  return SniffResult::kNo;
}

SniffResult SniffSavedModelImpl(ByteSpan data, std::string_view name) {
  bool meta_ok = false;
  bool saw_meta = false;
  bool ok = TopLevelFields(data, 1 << 16, [&](const WireField& f) {
    if (f.number == 1) return f.type == WireType::kVarint && !saw_meta;
    if (f.number != 2 || f.type != WireType::kLen) return false;
    if (!saw_meta) {
      saw_meta = true;
      bool graph = false;
      meta_ok = TopLevelFields(f.bytes, 1 << 16, [&](const WireField& g) {
        if (g.number < 1 || g.number > 7 || g.type != WireType::kLen) return false;
        if (g.number == 1 || g.number == 2) graph = true;
        return true;
      }) && graph;
    }
    return true;
  });
  if (ok && saw_meta && meta_ok) return SniffResult::kStrong;
  return NameIs(name, "saved_model.pb") ? SniffResult::kWeak : SniffResult::kNo;
}

SniffResult SniffKerasMetadataImpl(ByteSpan data, std::string_view name) {
  bool first_ok = false;
  bool saw = false;
  bool ok = TopLevelFields(data, 1 << 16, [&](const WireField& f) {
    if (f.number != 1 || f.type != WireType::kLen) return false;
    if (!saw) {
      saw = true;
      bool keras_identifier = false;
      first_ok = TopLevelFields(f.bytes, 64, [&](const WireField& g) {
        switch (g.number) {
          case 2: return g.type == WireType::kVarint;
          case 3: case 5: case 6: return g.type == WireType::kLen;
          case 4:
            if (g.type != WireType::kLen) return false;
            keras_identifier = g.chars().starts_with("_tf_keras");
            return true;
          default: return false;
        }
      }) && keras_identifier;
    }
    return true;
  });
  if (ok && saw && first_ok) return SniffResult::kStrong;
  return NameIs(name, "keras_metadata.pb") ? SniffResult::kWeak : SniffResult::kNo;
}

// ---------------------------------------------------------------------------

void Report(ScanContext& ctx, std::string_view rule, Severity sev, uint64_t offset,
            std::string message, std::string evidence) {
  ctx.Report({.rule_id = std::string(rule), .severity = sev, .member = {}, .offset = offset,
              .message = std::move(message), .evidence = std::move(evidence)});
}

std::string Where(const TfOpUse& use) {
  std::string s = fmt::format("{} node(s); first \"{}\"", use.count,
                              EscapePreview(use.first_node, 64));
  if (!use.first_function.empty()) {
    s += fmt::format(" in function \"{}\"", EscapePreview(use.first_function, 64));
  }
  return s;
}

std::string AttrEvidence(const TfGraph& g, std::string_view op) {
  std::string s;
  int n = 0;
  for (const TfStringAttr& a : g.attrs) {
    if (a.op != op || n >= 4) continue;
    s += fmt::format("; {}=\"{}\"", a.attr, EscapePreview(a.value, 64));
    ++n;
  }
  return s;
}

void EvaluateGraph(const TfGraph& g, ScanContext& ctx) {
  for (const auto& [op, use] : g.ops) {
    PolicyDecision d = ctx.policy().Lookup(kPolicyDomain, op);
    const std::string shown = EscapePreview(op, 64);
    if (d.kind == PolicyDecision::Kind::kAllowed) continue;
    if (d.kind == PolicyDecision::Kind::kDenied && d.entry != nullptr) {
      std::string_view rule = kRuleDeniedOp;
      if (d.entry->category == kCategoryPython) rule = kRulePythonOp;
      if (d.entry->category == kCategoryFile) rule = kRuleFileOp;
      Report(ctx, rule, d.entry->severity, use.first_offset,
             fmt::format("graph uses op {}: {}", shown, d.entry->reason),
             Where(use) + AttrEvidence(g, op));
      continue;
    }
    if (!IsStandardTfOp(op)) {
      Report(ctx, kRuleCustomOp, Severity::kMedium, use.first_offset,
             fmt::format("graph uses op {}, which is not a standard TensorFlow op; "
                         "running it needs a custom-op library",
                         op.empty() ? std::string("\"\"") : shown),
             Where(use));
    }
  }
  for (const TfStringAttr& a : g.attrs) {
    if (a.op == "PrintV2" && a.attr == "output_stream" && a.value.starts_with("file://")) {
      Report(ctx, kRulePrintToFile, Severity::kHigh, a.offset,
             fmt::format("PrintV2 node \"{}\" writes to a file",
                         EscapePreview(a.node, 64)),
             fmt::format("output_stream=\"{}\"", EscapePreview(a.value, 128)));
    }
  }
}

Status AnalyzeGraphImpl(ByteSpan data, ScanContext& ctx, bool saved_model) {
  TfGraph g;
  Status st = saved_model ? ParseSavedModel(data, ctx.limits(), &g)
                          : ParseGraphDef(data, ctx.limits(), &g);
  EvaluateGraph(g, ctx);
  return st;
}

// Walks a Keras JSON config with an explicit stack and reports Lambda layers
// and classes from outside Keras' namespace.
void EvaluateKerasJson(const nlohmann::json& root, const KerasObject& o, ScanContext& ctx,
                       std::set<std::string>* lambdas, std::set<std::string>* customs) {
  std::vector<const nlohmann::json*> stack{&root};
  while (!stack.empty()) {
    const nlohmann::json* j = stack.back();
    stack.pop_back();
    if (j->is_array()) {
      for (const auto& v : *j) stack.push_back(&v);
      continue;
    }
    if (!j->is_object()) continue;
    for (auto it = j->begin(); it != j->end(); ++it) {
      if (it.value().is_structured()) stack.push_back(&it.value());
    }
    auto cls = j->find("class_name");
    if (cls == j->end() || !cls->is_string()) continue;
    const std::string& class_name = cls->get_ref<const std::string&>();
    std::string layer_name;
    auto cfg = j->find("config");
    if (cfg != j->end() && cfg->is_object()) {
      auto n = cfg->find("name");
      if (n != cfg->end() && n->is_string()) layer_name = n->get<std::string>();
    }
    if (layer_name.empty()) {
      auto n = j->find("name");
      if (n != j->end() && n->is_string()) layer_name = n->get<std::string>();
    }
    std::string module;
    auto mod = j->find("module");
    if (mod != j->end() && mod->is_string()) module = mod->get<std::string>();
    if (class_name == "Lambda") {
      if (!lambdas->insert(layer_name).second) continue;
      std::string evidence = fmt::format("node_path \"{}\"", EscapePreview(o.node_path, 64));
      if (cfg != j->end() && cfg->is_object()) {
        auto fn = cfg->find("function");
        if (fn != cfg->end()) {
          evidence += fmt::format("; function {}", EscapePreview(DumpJson(*fn), 160));
        }
        auto ft = cfg->find("function_type");
        if (ft != cfg->end() && ft->is_string()) {
          evidence += fmt::format("; function_type {}", EscapePreview(ft->get<std::string>(), 32));
        }
      }
      Report(ctx, kRuleKerasLambda, Severity::kHigh, o.metadata_offset,
             fmt::format("keras_metadata.pb: Lambda layer \"{}\" carries Python code "
                         "that runs when the model is loaded",
                         EscapePreview(layer_name, 64)),
             evidence);
      continue;
    }
    const bool custom_class = class_name.find('>') != std::string::npos;
    const bool foreign_module =
        !module.empty() && !module.starts_with("keras") && !module.starts_with("tf_keras") &&
        !module.starts_with("tensorflow");
    if ((custom_class || foreign_module) &&
        customs->insert(class_name + "\n" + module).second) {
      Report(ctx, kRuleKerasCustomClass, Severity::kMedium, o.metadata_offset,
             fmt::format("keras_metadata.pb: object \"{}\" uses class \"{}\" from "
                         "outside Keras",
                         EscapePreview(layer_name, 64), EscapePreview(class_name, 64)),
             module.empty() ? std::string("registered custom object")
                            : fmt::format("module \"{}\"", EscapePreview(module, 64)));
    }
  }
}

Status AnalyzeKerasMetadataImpl(ByteSpan data, ScanContext& ctx) {
  std::vector<KerasObject> objects;
  Status st = ParseKerasMetadata(data, ctx.limits(), &objects);
  std::set<std::string> lambdas;
  std::set<std::string> customs;
  for (const KerasObject& o : objects) {
    if (o.metadata.empty()) continue;
    const std::string member = fmt::format("keras_metadata.pb/{}", EscapePreview(o.node_path, 128));
    JsonOptions opts{.max_depth = ctx.limits().max_depth, .reject_duplicate_keys = true,
                     .what = "keras_metadata: metadata"};
    Result<nlohmann::json> doc = ParseJson(o.metadata, opts);
    if (!doc.ok()) {
      ctx.ReportError(member, doc.status().ShiftOffset(o.metadata_offset));
      continue;
    }
    EvaluateKerasJson(*doc, o, ctx, &lambdas, &customs);
    // Hand the config to the Keras analyser for its deeper rules.
    ctx.ScanNested(AsBytes(o.metadata), member, "keras-config").IgnoreError();
  }
  return st;
}

// ---------------------------------------------------------------------------

constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.003", "AML.T0018.002"};
constexpr std::string_view kAtlasFile[] = {"AML.T0011.000", "AML.T0010.003", "AML.T0025"};
constexpr std::string_view kAtlasCustom[] = {"AML.T0011.000", "AML.T0010.003",
                                             "AML.T0018.001"};

constexpr RuleInfo kRules[] = {
    {kRulePythonOp, "TensorFlow graph calls Python", Severity::kHigh,
     "The graph or its function library contains PyFunc, PyFuncStateless or "
     "EagerPyFunc. These ops call a Python function of the loading process by "
     "token; a model that relies on them is not a self-contained graph and is a "
     "vehicle for code that must be supplied beside it.",
     "Do not load the model in a process that registers py_func callbacks; "
     "re-export without tf.py_function / tf.numpy_function.",
     kAtlasCode, Goal::kIntegrity | Goal::kConfidentiality,
     "https://github.com/tensorflow/tensorflow/blob/master/SECURITY.md"},
    {kRuleFileOp, "TensorFlow graph reads or writes files", Severity::kHigh,
     "The graph uses an op that touches the file system (ReadFile, WriteFile, "
     "MatchingFiles, ImmutableConst, readers and file datasets, summary writers). "
     "Running the graph can read local files into outputs or overwrite files.",
     "Inspect what paths the ops receive; serve the model in a sandbox without "
     "file-system access, or allow the op with --allow tf-op:<Op>.",
     kAtlasFile, Goal::kConfidentiality | Goal::kIntegrity,
     "https://github.com/tensorflow/tensorflow/blob/master/SECURITY.md"},
    {kRulePrintToFile, "TensorFlow PrintV2 writes to a file", Severity::kHigh,
     "A PrintV2 node has an output_stream of the form file://path: each run "
     "appends tensor values to that file on the serving machine.",
     "Remove the node or re-export the model printing to stderr.", kAtlasFile,
     Goal::kIntegrity | Goal::kConfidentiality,
     "https://www.tensorflow.org/api_docs/python/tf/print"},
    {kRuleCustomOp, "TensorFlow op outside the standard op registry", Severity::kMedium,
     "The graph uses an op name that is not a standard TensorFlow op. Loading it "
     "requires a custom-op shared library (tf.load_op_library), i.e. native code "
     "shipped with or fetched for the model.",
     "Find out which library implements the op and review it; allow known ops "
     "with --allow tf-op:<Op>.",
     kAtlasCustom, static_cast<uint8_t>(Goal::kIntegrity),
     "https://www.tensorflow.org/guide/create_op"},
    {kRuleKerasLambda, "Keras Lambda layer in keras_metadata.pb", Severity::kHigh,
     "A Keras object in keras_metadata.pb is a Lambda layer: its config holds "
     "marshalled Python bytecode (or a function name) that Keras runs when the "
     "SavedModel is loaded with keras.models.load_model.",
     "Load only with safe_mode and without the Keras metadata, or rebuild the "
     "layer in code.",
     kAtlasCode, Goal::kIntegrity | Goal::kConfidentiality,
     "CVE-2024-3660"},
    {kRuleKerasCustomClass, "Keras object class from outside Keras", Severity::kMedium,
     "A Keras object in keras_metadata.pb names a registered custom class "
     "(Package>Name) or a module outside keras/tensorflow: loading it imports "
     "and runs that code.",
     "Review the custom class before loading; never load with custom objects "
     "you did not write.",
     kAtlasCode, static_cast<uint8_t>(Goal::kIntegrity),
     "CVE-2025-1550"},
    {kRuleDeniedOp, "TensorFlow op denied by policy", Severity::kHigh,
     "The graph uses an op that the policy (domain tf-op) denies for a reason "
     "other than Python callbacks or file access.",
     "See the policy entry's reason; allow the op explicitly if it is expected.",
     kAtlasCustom, static_cast<uint8_t>(Goal::kIntegrity), ""},
};

PolicyEntry Deny(std::string name, Severity sev, std::string_view category,
                 std::string reason) {
  return {.domain = std::string(kPolicyDomain), .name = std::move(name),
          .action = PolicyAction::kDeny, .severity = sev, .exact = true,
          .category = std::string(category), .reason = std::move(reason),
          .source = "builtin"};
}

const std::vector<PolicyEntry>& PolicyTable() {
  static const std::vector<PolicyEntry> kPolicy = [] {
    std::vector<PolicyEntry> p;
    const std::string py = "calls a Python function of the loading process";
    for (const char* op : {"PyFunc", "PyFuncStateless", "EagerPyFunc"}) {
      p.push_back(Deny(op, Severity::kHigh, kCategoryPython, py));
    }
    p.push_back(Deny("WriteFile", Severity::kHigh, kCategoryFile, "writes a file"));
    p.push_back(Deny("ReadFile", Severity::kHigh, kCategoryFile, "reads a file"));
    p.push_back(Deny("MatchingFiles", Severity::kMedium, kCategoryFile,
                     "lists files matching a pattern"));
    p.push_back(Deny("MatchingFilesDataset", Severity::kMedium, kCategoryFile,
                     "lists files matching a pattern"));
    p.push_back(Deny("ImmutableConst", Severity::kMedium, kCategoryFile,
                     "memory-maps a file region named by an attribute"));
    for (const char* op : {"WholeFileReader", "WholeFileReaderV2", "TextLineReader",
                           "TextLineReaderV2", "FixedLengthRecordReader",
                           "FixedLengthRecordReaderV2", "TFRecordReader", "TFRecordReaderV2",
                           "LMDBReader", "IdentityReader", "IdentityReaderV2"}) {
      p.push_back(Deny(op, Severity::kMedium, kCategoryFile, "reads files"));
    }
    for (const char* op : {"TextLineDataset", "TFRecordDataset", "TFRecordDatasetV2",
                           "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2",
                           "CSVDataset", "CSVDatasetV2", "SqlDataset", "LMDBDataset",
                           "LoadDataset"}) {
      p.push_back(Deny(op, Severity::kMedium, kCategoryFile, "reads files as a dataset"));
    }
    for (const char* op : {"SaveDataset", "SaveDatasetV2", "CreateSummaryFileWriter",
                           "CreateSummaryDbWriter"}) {
      p.push_back(Deny(op, Severity::kMedium, kCategoryFile, "writes files"));
    }
    for (const char* op : {"InitializeTableFromTextFile", "InitializeTableFromTextFileV2"}) {
      p.push_back(Deny(op, Severity::kLow, kCategoryFile,
                       "reads a vocabulary file (usually an asset of the model)"));
    }
    for (const char* op : {"DebugIdentity", "DebugIdentityV2", "DebugIdentityV3",
                           "DebugNanCount", "DebugNumericSummary", "DebugNumericSummaryV2"}) {
      p.push_back(Deny(op, Severity::kLow, kCategoryFile,
                       "tfdbg op that can dump tensors to file:// or grpc:// URLs"));
    }
    return p;
  }();
  return kPolicy;
}

}  // namespace

SniffResult SniffSavedModel(ByteSpan data, std::string_view name) {
  return SniffSavedModelImpl(data, name);
}
SniffResult SniffGraphDef(ByteSpan data, std::string_view name) {
  return SniffGraphDefImpl(data, name);
}
SniffResult SniffKerasMetadata(ByteSpan data, std::string_view name) {
  return SniffKerasMetadataImpl(data, name);
}
Status AnalyzeSavedModel(ByteSpan data, ScanContext& ctx) {
  return AnalyzeGraphImpl(data, ctx, true);
}
Status AnalyzeGraphDef(ByteSpan data, ScanContext& ctx) {
  return AnalyzeGraphImpl(data, ctx, false);
}
Status AnalyzeKerasMetadata(ByteSpan data, ScanContext& ctx) {
  return AnalyzeKerasMetadataImpl(data, ctx);
}

const FormatHandler& TfSavedModelHandler() {
  static const FormatHandler h{"tf-savedmodel", "TensorFlow SavedModel (saved_model.pb)",
                               &SniffSavedModel, &AnalyzeSavedModel};
  return h;
}
const FormatHandler& TfGraphDefHandler() {
  static const FormatHandler h{"tf-graphdef", "TensorFlow frozen GraphDef (.pb)",
                               &SniffGraphDef, &AnalyzeGraphDef};
  return h;
}
const FormatHandler& TfKerasMetadataHandler() {
  static const FormatHandler h{"tf-keras-metadata",
                               "Keras SavedMetadata of a SavedModel (keras_metadata.pb)",
                               &SniffKerasMetadata, &AnalyzeKerasMetadata};
  return h;
}

std::span<const RuleInfo> TensorflowRules() { return kRules; }
std::span<const PolicyEntry> TensorflowPolicyEntries() { return PolicyTable(); }

}  // namespace mats::tensorflow
