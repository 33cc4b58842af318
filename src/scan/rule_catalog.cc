// Collects every module's rule table and default policy entries.
// Each format module adds its include and one line to each list below.
#include <algorithm>

#include "mats/scan/registry.h"
#include "scan/builtin_formats.h"
// rule includes: one line per module
#include "mats/onnx/onnx.h"
#include "mats/tensorflow/tensorflow.h"
#include "mats/tflite/tflite.h"
#include "mats/hdf5/hdf5.h"
#include "mats/keras/keras.h"
#include "mats/repo/repo.h"
#include "mats/archive/archive.h"
#include "mats/numpy/npy.h"
#include "mats/pytorch/layout.h"
#include "mats/zip/zip.h"
#include "mats/gguf/gguf.h"
#include "mats/jinja/jinja.h"
#include "mats/safetensors/safetensors.h"
#include "mats/pickle/pickle.h"

namespace mats::scan {
namespace {

using RulesFn = std::span<const RuleInfo> (*)();
using PolicyFn = std::span<const PolicyEntry> (*)();

constexpr RulesFn kRuleTables[] = {
    &ScanRules,
    &zip::ZipRules, &archive::ArchiveRules, &numpy::NumpyRules, &pytorch::PytorchRules,
    &jinja::JinjaRules, &safetensors::SafetensorsRules, &gguf::GgufRules,
    &pickle::PickleRules,
    &hdf5::Hdf5Rules,
    &keras::KerasRules,
    &repo::RepoRules,
    &onnx::OnnxRules, &tensorflow::TensorflowRules, &tflite::TfliteRules,
    // add module rule tables here
};

constexpr PolicyFn kPolicyTables[] = {
    &ScanPolicyEntries,
    &pickle::PicklePolicyEntries,
    &keras::KerasPolicyEntries,
    &onnx::OnnxPolicyEntries, &tensorflow::TensorflowPolicyEntries, &tflite::TflitePolicyEntries,
    // add module default policy entries here
};

}  // namespace

const std::vector<RuleInfo>& AllRules() {
  static const std::vector<RuleInfo> rules = [] {
    std::vector<RuleInfo> v;
    for (RulesFn fn : kRuleTables) {
      auto t = fn();
      v.insert(v.end(), t.begin(), t.end());
    }
    std::sort(v.begin(), v.end(),
              [](const RuleInfo& a, const RuleInfo& b) { return a.id < b.id; });
    return v;
  }();
  return rules;
}

const RuleInfo* FindRule(std::string_view id) {
  const auto& rules = AllRules();
  auto it = std::lower_bound(
      rules.begin(), rules.end(), id,
      [](const RuleInfo& r, std::string_view key) { return r.id < key; });
  if (it != rules.end() && it->id == id) return &*it;
  return nullptr;
}

Policy DefaultPolicy() {
  Policy p;
  for (PolicyFn fn : kPolicyTables) p.AddAll(fn());
  return p;
}

}  // namespace mats::scan
