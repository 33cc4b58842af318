#include "mats/pytorch/layout.h"

namespace mats::pytorch {
namespace {

constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasEmbed[] = {"AML.T0018.002", "AML.T0011.000",
                                            "AML.T0010.003"};
constexpr std::string_view kAtlasSupply[] = {"AML.T0010.003"};

constexpr RuleInfo kRules[] = {
    {kRuleTorchScript, "TorchScript code runs on load", Severity::kMedium,
     "The archive is a TorchScript model (torch.jit.save): its code/ "
     "directory holds TorchScript programs that run when the model is "
     "loaded and can call torch.ops, including file I/O. "
     "torch.load(weights_only=True) did not protect against TorchScript "
     "archives before PyTorch 2.6 (CVE-2025-32434); constants.pkl and "
     ".debug_pkl members are pickles and are scanned as such.",
     "Load TorchScript only from trusted publishers, review the listed code "
     "files, and use PyTorch >= 2.6; prefer safetensors for weights.",
     kAtlasCode, Goal::kIntegrity | Goal::kConfidentiality,
     "CVE-2025-32434; GHSA-53q9-r3pm-6pq6; CVE-2022-45907"},
    {kRuleStoragePayload, "Tensor storage carries an executable payload",
     Severity::kHigh,
     "A raw tensor storage member (<dir>/data/<key>) of a PyTorch archive "
     "starts with the magic of a pickle, zip or 7z archive. torch.load never "
     "unpickles storages, so a payload there targets tools that load members "
     "by content or by a second loader; hiding data in weights is a known "
     "malware-embedding technique. The member is scanned as nested content.",
     "Reject the checkpoint; legitimate tensor storages hold raw numbers.",
     kAtlasEmbed, static_cast<uint8_t>(Goal::kIntegrity),
     "https://github.com/pytorch/pytorch/blob/main/torch/serialization.py"},
    {kRuleMarHandlerCode, "TorchServe archive ships handler code",
     Severity::kMedium,
     "The TorchServe model archive (.mar) contains Python files (custom "
     "handlers, model definitions) that TorchServe imports and executes when "
     "the model is registered.",
     "Review the listed Python files before serving the model; serve only "
     "archives from trusted publishers.",
     kAtlasCode, Goal::kIntegrity | Goal::kConfidentiality,
     "https://github.com/pytorch/serve/blob/master/model-archiver/README.md"},
    {kRuleOutsidePrefix, "Members outside the PyTorch record directory",
     Severity::kLow,
     "A PyTorch or TorchScript zip has members outside its single record "
     "directory. torch.load ignores them, but other tools and loaders may "
     "read them; they are scanned like every other member.",
     "Re-save the checkpoint with torch.save, or remove the extra members.",
     kAtlasSupply, static_cast<uint8_t>(Goal::kIntegrity),
     "https://pytorch.org/docs/stable/notes/serialization.html"},
    {kRuleLegacyTar, "Legacy PyTorch tar checkpoint", Severity::kInfo,
     "The tar archive has the layout of the legacy PyTorch checkpoint format "
     "(members sys_info, pickle, storages, tensors). torch.load unpickles "
     "those members; each is scanned as a pickle.",
     "Re-save the model with a current PyTorch release, or as safetensors.",
     kAtlasSupply, static_cast<uint8_t>(Goal::kIntegrity),
     "https://github.com/pytorch/pytorch/blob/main/torch/serialization.py"},
    {kRuleStoragesNotRead, "Tensor storages not read", Severity::kInfo,
     "Raw tensor storages (<dir>/data/<key>) of a PyTorch or TorchScript zip "
     "were not read, so that scan time does not grow with the weights: only "
     "their first bytes were checked for a pickle, zip or 7z magic, and "
     "their CRC-32 was not verified. torch.load never unpickles storage "
     "bytes.",
     "None needed; sign checkpoints to protect the integrity of the weights.",
     kAtlasSupply, static_cast<uint8_t>(Goal::kIntegrity),
     "https://pytorch.org/docs/stable/notes/serialization.html"},
};

}  // namespace

std::span<const RuleInfo> PytorchRules() { return kRules; }

}  // namespace mats::pytorch
