// TFLite walker, rules and handler. Table slots (schema.fbs):
//   Model:        version=0, operator_codes=1, subgraphs=2, description=3
//   OperatorCode: deprecated_builtin_code=0 (byte), custom_code=1,
//                 version=2, builtin_code=3 (int32)
//   SubGraph:     tensors=0, inputs=1, outputs=2, operators=3, name=4
//   Operator:     opcode_index=0 (uint32)
#include "mats/tflite/tflite.h"

#include <algorithm>
#include <string>

#include "mats/core/encoding.h"
#include "tflite/flatbuffer.h"

namespace mats::tflite {
namespace {

using internal::FlatBuffer;
using internal::FlatTable;
using internal::FlatVector;

constexpr std::string_view kPolicyDomain = "tflite-op";

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

Status CheckCount(uint64_t n, const Limits& limits, uint64_t pos, std::string_view what) {
  if (n > limits.max_entries) {
    return LimitExceededAt(pos, "tflite: {} {} at {}: {}", n, what, pos,
                           LimitMessage("max_entries", limits.max_entries));
  }
  return Status::Ok();
}

void Report(ScanContext& ctx, std::string_view rule, Severity sev, uint64_t offset,
            std::string message, std::string evidence) {
  ctx.Report({.rule_id = std::string(rule), .severity = sev, .member = {}, .offset = offset,
              .message = std::move(message), .evidence = std::move(evidence)});
}

Severity Max(Severity a, Severity b) { return a < b ? b : a; }

void Evaluate(const TfliteModel& m, ScanContext& ctx) {
  for (const TfliteOpCode& c : m.op_codes) {
    const int32_t code = EffectiveBuiltinCode(c);
    const std::string uses = fmt::format("{} operator(s), version {}", c.uses, c.version);
    if (code != kBuiltinCustom) {
      if (code < 0 || code > kMaxKnownBuiltin) {
        Report(ctx, kRuleUnknownBuiltin, Severity::kLow, c.offset,
               fmt::format("operator code {} is not a builtin operator mats knows", code),
               uses);
      }
      continue;
    }
    const std::string shown = EscapePreview(c.custom_code, 64);
    if (c.custom_code.starts_with("Flex") && c.custom_code.size() > 4) {
      const std::string_view tf_op = c.custom_code.substr(4);
      const std::string name = "Flex." + std::string(tf_op);
      PolicyDecision d = ctx.policy().Lookup(kPolicyDomain, name);
      PolicyDecision tf = ctx.policy().Lookup("tf-op", tf_op);
      if (d.kind == PolicyDecision::Kind::kAllowed && tf.kind != PolicyDecision::Kind::kDenied) {
        continue;
      }
      Severity sev = Severity::kMedium;
      std::string why = "runs a TensorFlow kernel through the Flex delegate";
      if (d.kind == PolicyDecision::Kind::kDenied && d.entry != nullptr) {
        sev = d.entry->severity;
        if (!d.entry->reason.empty()) why = d.entry->reason;
      }
      if (tf.kind == PolicyDecision::Kind::kDenied && tf.entry != nullptr) {
        sev = Max(sev, tf.entry->severity);
        why += fmt::format("; TensorFlow op {}: {}", EscapePreview(tf_op, 64), tf.entry->reason);
      }
      Report(ctx, kRuleFlexOp, sev, c.offset,
             fmt::format("Flex op {} ({})", shown, why), uses);
      continue;
    }
    PolicyDecision d = ctx.policy().Lookup(kPolicyDomain, c.custom_code);
    if (d.kind == PolicyDecision::Kind::kAllowed) continue;
    Severity sev = Severity::kMedium;
    std::string why = "needs a custom-op kernel registered by the application "
                      "(native code outside the model)";
    if (d.kind == PolicyDecision::Kind::kDenied && d.entry != nullptr) {
      sev = d.entry->severity;
      if (!d.entry->reason.empty()) why = d.entry->reason;
    }
    Report(ctx, kRuleCustomOp, sev, c.offset,
           fmt::format("custom op \"{}\": {}", c.has_custom_code ? shown : "", why), uses);
  }
}

constexpr std::string_view kAtlas[] = {"AML.T0011.000", "AML.T0010.003", "AML.T0018.001"};

constexpr RuleInfo kRules[] = {
    {kRuleCustomOp, "TFLite custom operator", Severity::kMedium,
     "The model uses an operator with builtin code CUSTOM whose custom_code is "
     "not allowed by policy. Custom ops are implemented by kernels the "
     "application registers — native code that does not come from the TFLite "
     "runtime — and a model that needs them is tied to that code.",
     "Identify the kernel library implementing the op and review it; allow "
     "known ops with --allow tflite-op:<custom_code>.",
     kAtlas, Goal::kIntegrity | Goal::kAvailability,
     "https://www.tensorflow.org/lite/guide/ops_custom"},
    {kRuleFlexOp, "TFLite Flex (select TensorFlow) operator", Severity::kLow,
     "The model uses a Flex op (custom_code Flex<Op>): the Flex delegate runs "
     "the TensorFlow kernel of that op inside the app. Severity follows the "
     "tf-op policy of the underlying op, so FlexReadFile, FlexWriteFile or "
     "FlexPyFunc are reported like ReadFile, WriteFile or PyFunc.",
     "Check every Flex op; avoid file-system and Python ops in deployed models.",
     kAtlas, Goal::kIntegrity | Goal::kConfidentiality,
     "https://www.tensorflow.org/lite/guide/ops_select"},
    {kRuleUnknownBuiltin, "TFLite operator code unknown", Severity::kLow,
     "An operator code is neither CUSTOM nor a builtin operator of the TFLite "
     "schema known to mats (or is negative). Newer runtimes may know it; older "
     "ones reject the model, and crafted codes have been used to reach unchecked "
     "paths in op resolvers.",
     "Check the TFLite version that produced the model.", kAtlas,
     static_cast<uint8_t>(Goal::kAvailability),
     "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/lite/schema/schema.fbs"},
};

PolicyEntry Allow(std::string name, std::string reason) {
  return {.domain = std::string(kPolicyDomain), .name = std::move(name),
          .action = PolicyAction::kAllow, .severity = Severity::kInfo, .exact = true,
          .category = "tflite runtime", .reason = std::move(reason), .source = "builtin"};
}

const std::vector<PolicyEntry>& PolicyTable() {
  static const std::vector<PolicyEntry> kPolicy = [] {
    std::vector<PolicyEntry> p;
    for (const char* op : {"TFLite_Detection_PostProcess", "Mfcc", "AudioSpectrogram"}) {
      p.push_back(Allow(op, "custom op registered by TFLite's BuiltinOpResolver"));
    }
    for (const char* op : {"MaxPoolingWithArgmax2D", "MaxUnpooling2D",
                           "Convolution2DTransposeBias", "Landmarks2TransformMatrix",
                           "TransformLandmarks", "TransformTensorBilinear"}) {
      p.push_back(Allow(op, "MediaPipe custom op built into MediaPipe's op resolver"));
    }
    p.push_back({.domain = std::string(kPolicyDomain), .name = "Flex",
                 .action = PolicyAction::kDeny, .severity = Severity::kLow, .exact = false,
                 .category = "flex delegate",
                 .reason = "runs a TensorFlow kernel through the Flex delegate",
                 .source = "builtin"});
    return p;
  }();
  return kPolicy;
}

Status Analyze(ByteSpan data, ScanContext& ctx) { return AnalyzeTflite(data, ctx); }

}  // namespace

int32_t EffectiveBuiltinCode(const TfliteOpCode& c) {
  return std::max<int32_t>(c.builtin_code, c.deprecated_builtin_code);
}

Status ParseTflite(ByteSpan data, const Limits& limits, TfliteModel* out) {
  FlatBuffer fb(data);
  MATS_ASSIGN_OR_RETURN(FlatTable model, fb.Root());
  MATS_ASSIGN_OR_RETURN(out->version, fb.U32(model, 0, 0));
  MATS_ASSIGN_OR_RETURN(std::optional<FlatVector> codes, fb.Vector(model, 1, 4));
  if (codes) {
    MATS_RETURN_IF_ERROR(CheckCount(codes->length, limits, codes->pos, "operator codes"));
    out->op_codes.reserve(codes->length);
    for (uint64_t i = 0; i < codes->length; ++i) {
      MATS_ASSIGN_OR_RETURN(FlatTable t, fb.TableAt(*codes, i));
      TfliteOpCode c;
      c.offset = t.pos;
      MATS_ASSIGN_OR_RETURN(c.deprecated_builtin_code, fb.I8(t, 0, 0));
      MATS_ASSIGN_OR_RETURN(std::optional<std::string_view> custom,
                            fb.String(t, 1, limits.max_string_bytes));
      if (custom) {
        c.has_custom_code = true;
        c.custom_code = *custom;
      }
      MATS_ASSIGN_OR_RETURN(c.version, fb.I32(t, 2, 1));
      MATS_ASSIGN_OR_RETURN(c.builtin_code, fb.I32(t, 3, 0));
      out->op_codes.push_back(c);
    }
  }
  MATS_ASSIGN_OR_RETURN(std::optional<FlatVector> subgraphs, fb.Vector(model, 2, 4));
  if (!subgraphs) return Status::Ok();
  MATS_RETURN_IF_ERROR(CheckCount(subgraphs->length, limits, subgraphs->pos, "subgraphs"));
  out->subgraph_count = subgraphs->length;
  for (uint64_t s = 0; s < subgraphs->length; ++s) {
    MATS_ASSIGN_OR_RETURN(FlatTable sg, fb.TableAt(*subgraphs, s));
    MATS_ASSIGN_OR_RETURN(std::optional<FlatVector> ops, fb.Vector(sg, 3, 4));
    if (!ops) continue;
    MATS_RETURN_IF_ERROR(
        CheckCount(out->operator_count + ops->length, limits, ops->pos, "operators"));
    for (uint64_t i = 0; i < ops->length; ++i) {
      MATS_ASSIGN_OR_RETURN(FlatTable op, fb.TableAt(*ops, i));
      MATS_ASSIGN_OR_RETURN(uint32_t index, fb.U32(op, 0, 0));
      if (index >= out->op_codes.size()) {
        return Malformed(op.pos, "tflite: operator at {} has opcode_index {}, want < {}",
                         op.pos, index, out->op_codes.size());
      }
      ++out->op_codes[index].uses;
      ++out->operator_count;
    }
  }
  return Status::Ok();
}

SniffResult SniffTflite(ByteSpan data, std::string_view name) {
  if (data.size() >= 8 && AsChars(data.subspan(4, 4)) == "TFL3") {
    FlatBuffer fb(data);
    if (fb.Root().ok()) return SniffResult::kStrong;
    return SniffResult::kWeak;  // identifier present, root broken: still ours
  }
  return EndsWithIgnoreCase(name, ".tflite") ? SniffResult::kWeak : SniffResult::kNo;
}

Status AnalyzeTflite(ByteSpan data, ScanContext& ctx) {
  TfliteModel m;
  Status st = ParseTflite(data, ctx.limits(), &m);
  Evaluate(m, ctx);
  return st;
}

const FormatHandler& TfliteHandler() {
  static const FormatHandler h{"tflite", "TensorFlow Lite model (flatbuffer, TFL3)",
                               &SniffTflite, &Analyze};
  return h;
}

std::span<const RuleInfo> TfliteRules() { return kRules; }
std::span<const PolicyEntry> TflitePolicyEntries() { return PolicyTable(); }

}  // namespace mats::tflite
