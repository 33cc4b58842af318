// PyTorch (and NumPy .npz / TorchServe .mar / torch.export .pt2) layouts of
// zip and tar containers, recognised from member names.
//
// The zip analyser lists a zip, asks ClassifyZipLayout() what it is, refines
// the format id ("pytorch-zip", "torchscript", "numpy-npz", "pt2",
// "torchserve-mar") and skips reading raw tensor storages
// (IsTensorStorageMember) so that scan time does not grow with the weights.
//
//   ZipLayout layout = ClassifyZipLayout(names);
//   if (layout.kind == ZipLayoutKind::kTorchScript) ReportZipLayout(layout, ctx);
//
// Pure functions over names; no I/O, thread-compatible.
#ifndef MATS_PYTORCH_LAYOUT_H_
#define MATS_PYTORCH_LAYOUT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/scan_context.h"

namespace mats::pytorch {

inline constexpr std::string_view kRuleTorchScript = "MATS-PT-001";
inline constexpr std::string_view kRuleStoragePayload = "MATS-PT-002";
inline constexpr std::string_view kRuleMarHandlerCode = "MATS-PT-003";
inline constexpr std::string_view kRuleOutsidePrefix = "MATS-PT-004";
inline constexpr std::string_view kRuleLegacyTar = "MATS-PT-005";
inline constexpr std::string_view kRuleStoragesNotRead = "MATS-PT-006";

std::span<const RuleInfo> PytorchRules();

enum class ZipLayoutKind : uint8_t {
  kGeneric,      // any other zip
  kPytorch,      // torch.save: <dir>/data.pkl, <dir>/data/<key>, version
  kTorchScript,  // torch.jit.save: adds <dir>/constants.pkl and <dir>/code/
  kNpz,          // np.savez: every member is <name>.npy
  kPt2,          // torch.export archive
  kMar,          // TorchServe model archive (MAR-INF/MANIFEST.json)
};

struct ZipLayout {
  ZipLayoutKind kind = ZipLayoutKind::kGeneric;
  // Record prefix ("archive/") of PyTorch / TorchScript archives.
  std::string prefix;
  // TorchScript code/ members or .mar Python files, at most kMaxListed.
  std::vector<std::string> code_files;
  uint64_t code_file_count = 0;
  // Members outside `prefix` in a PyTorch / TorchScript archive (bounded).
  std::vector<std::string> outside_prefix;
  uint64_t outside_prefix_count = 0;
};
inline constexpr size_t kMaxListed = 20;

ZipLayout ClassifyZipLayout(std::span<const std::string> names);

// Format id for reports: "zip", "pytorch-zip", "torchscript", "numpy-npz",
// "pt2", "torchserve-mar".
std::string_view LayoutFormatId(ZipLayoutKind kind);

// True for `<prefix>data/<key>` members of PyTorch / TorchScript archives:
// raw tensor bytes that torch.load never unpickles.
bool IsTensorStorageMember(const ZipLayout& layout, std::string_view name);

// Magic of an executable/container payload at the start of a tensor storage
// ("pickle", "zip", "7z"), or "" when the bytes look like plain data.
std::string_view SniffStoragePayload(std::span<const uint8_t> head);

// Reports the layout-level findings: MATS-PT-001 (TorchScript code),
// MATS-PT-003 (.mar handler code), MATS-PT-004 (members outside the prefix).
void ReportZipLayout(const ZipLayout& layout, ScanContext& ctx);

// The legacy tar checkpoint of early PyTorch releases: members sys_info,
// pickle, storages and tensors.
bool IsLegacyTorchTar(std::span<const std::string> names);

}  // namespace mats::pytorch

#endif  // MATS_PYTORCH_LAYOUT_H_
