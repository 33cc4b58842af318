// The "hdf5" analyser: findings from the reader's summary, and the Keras
// config attributes handed to the keras-config analyser.
#include <string>

#include "mats/core/encoding.h"
#include "mats/hdf5/hdf5.h"

namespace mats::hdf5 {
namespace {

constexpr std::string_view kAtlasFiles[] = {"AML.T0011.000", "AML.T0010.003",
                                            "AML.T0037"};
constexpr std::string_view kAtlasHide[] = {"AML.T0011.000", "AML.T0010.003"};

constexpr RuleInfo kRules[] = {
    {kRuleExternalLink, "HDF5 external link", Severity::kHigh,
     "A group holds an external link: opening the path makes the HDF5 library "
     "open another file named by the model (any local path), so a model can "
     "read files of the loading machine into its weights or config.",
     "Reject model files with external links; legitimate Keras files never "
     "use them.",
     kAtlasFiles, Goal::kConfidentiality | Goal::kIntegrity, "CVE-2026-1669"},
    {kRuleExternalStorage, "HDF5 dataset with external raw-data files",
     Severity::kHigh,
     "A dataset keeps its raw data in external files (external data files "
     "message): reading the weights reads whatever local file the model names.",
     "Reject the file, or re-save it with contiguous/chunked storage after "
     "checking the named files.",
     kAtlasFiles, Goal::kConfidentiality | Goal::kIntegrity, "CVE-2026-1669"},
    {kRuleVirtualDataset, "HDF5 virtual dataset", Severity::kHigh,
     "A dataset uses the virtual layout: its data is mapped from datasets in "
     "other files named in the file, which the library opens when the "
     "weights are read.",
     "Reject the file; model weights do not need virtual datasets.",
     kAtlasFiles, Goal::kConfidentiality | Goal::kIntegrity, "CVE-2026-12480"},
    {kRuleUserBlock, "HDF5 user block with content", Severity::kLow,
     "Non-zero bytes precede the HDF5 superblock (a user block). Tools that "
     "look only at offset 0 see a different format there; the block can hide "
     "a second payload (polyglot file).",
     "Inspect the first bytes of the file; re-save without a user block.",
     kAtlasHide, static_cast<uint8_t>(Goal::kIntegrity), ""},
    {kRuleKerasModel, "Legacy Keras HDF5 model", Severity::kInfo,
     "The file is a legacy tf.keras / Keras HDF5 model (root attribute "
     "model_config); the finding records keras_version, backend and whether "
     "a training_config is present. Keras' HDF5 loader ignored safe_mode "
     "before 3.11 (CVE-2025-9905), so Lambda layers in such files run "
     "whatever the caller asked for; the config itself is analysed by the "
     "keras-config rules.",
     "Prefer the .keras format with safe_mode=True and an up-to-date Keras.",
     kAtlasHide, static_cast<uint8_t>(Goal::kIntegrity), "CVE-2025-9905"},
};

SniffResult SniffHdf5(ByteSpan data, std::string_view /*name*/) {
  return FindSignature(data) >= 0 ? SniffResult::kStrong : SniffResult::kNo;
}

}  // namespace

Status AnalyzeHdf5(ByteSpan data, ScanContext& ctx) {
  FileSummary s;
  Status st = ReadHdf5(data, ctx.limits(), &s);
  if (s.user_block_nonzero) {
    ctx.Report({.rule_id = std::string(kRuleUserBlock),
                .severity = Severity::kLow,
                .member = {},
                .offset = 0,
                .message = fmt::format("{} bytes before the HDF5 signature are "
                                       "not all zero",
                                       s.signature_offset),
                .evidence = "first bytes " +
                            HexEncode(data.first(std::min<size_t>(16, data.size())))});
  }
  for (const ExternalLink& l : s.external_links) {
    ctx.Report({.rule_id = std::string(kRuleExternalLink),
                .severity = Severity::kHigh,
                .member = {},
                .offset = l.offset,
                .message = fmt::format("external link {} points to file {}",
                                       l.path, EscapePreview(l.target_file, 128)),
                .evidence = "target object " + EscapePreview(l.target_object, 128)});
  }
  for (const ExternalStorage& e : s.external_storage) {
    std::string files;
    for (const std::string& f : e.files) {
      if (!files.empty()) files += ", ";
      files += EscapePreview(f, 128);
    }
    ctx.Report({.rule_id = std::string(kRuleExternalStorage),
                .severity = Severity::kHigh,
                .member = {},
                .offset = e.offset,
                .message = fmt::format("dataset {} reads its data from external "
                                       "files",
                                       e.path),
                .evidence = "files: " + files});
  }
  for (const VirtualDataset& v : s.virtual_datasets) {
    ctx.Report({.rule_id = std::string(kRuleVirtualDataset),
                .severity = Severity::kHigh,
                .member = {},
                .offset = v.offset,
                .message = fmt::format("virtual dataset {} maps data from other "
                                       "files",
                                       v.path),
                .evidence = v.first_source_file.empty()
                                ? std::string("source mapping not decoded")
                                : fmt::format("{} mapping(s); first source {}:{}",
                                              v.mappings,
                                              EscapePreview(v.first_source_file, 128),
                                              EscapePreview(v.first_source_dataset, 128))});
  }
  bool keras = false;
  std::string version = "unknown";
  std::string backend = "unknown";
  bool training = false;
  for (const Attribute& a : s.root_attributes) {
    if (a.name == "model_config") keras = true;
    if (a.name == "training_config") training = true;
    if (a.name == "keras_version" && a.values.size() == 1) {
      version = EscapePreview(a.values[0], 32);
    }
    if (a.name == "backend" && a.values.size() == 1) {
      backend = EscapePreview(a.values[0], 32);
    }
  }
  if (keras) {
    ctx.RefineFormat("keras-h5");
    ctx.Report({.rule_id = std::string(kRuleKerasModel),
                .severity = Severity::kInfo,
                .member = {},
                .offset = 0,
                .message = "legacy Keras HDF5 model",
                .evidence = fmt::format("keras_version={} backend={} "
                                        "training_config={}",
                                        version, backend,
                                        training ? "yes" : "no")});
  }
  for (const Attribute& a : s.root_attributes) {
    if ((a.name == "model_config" || a.name == "training_config") &&
        a.values.size() == 1 && !a.values[0].empty()) {
      ctx.ScanNested(AsBytes(a.values[0]), a.name, "keras-config").IgnoreError();
    }
  }
  for (const UnsupportedPart& u : s.unsupported) {
    ctx.ReportError(u.path == "/" ? std::string() : u.path, u.status);
  }
  return st;
}

const FormatHandler& Hdf5Handler() {
  static const FormatHandler h{
      "hdf5", "HDF5 file (legacy tf.keras .h5 model, Keras weights)",
      &SniffHdf5, &AnalyzeHdf5};
  return h;
}

std::span<const RuleInfo> Hdf5Rules() { return kRules; }

}  // namespace mats::hdf5
