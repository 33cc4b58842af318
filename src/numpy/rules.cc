#include "mats/numpy/npy.h"

namespace mats::numpy {
namespace {

constexpr std::string_view kAtlasPickle[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasParser[] = {"AML.T0011.000", "AML.T0029"};
constexpr std::string_view kAtlasHide[] = {"AML.T0018.002", "AML.T0010.002"};

constexpr RuleInfo kRules[] = {
    {kRuleObjectArray, "Object array: the data is a pickle", Severity::kInfo,
     "The array's dtype is object ('|O'), or a structured dtype with an "
     "object field at any depth, so the data section is a pickle that "
     "np.load(allow_pickle=True) runs (CVE-2019-6446). The pickle is scanned "
     "by the pickle analyser, whose findings decide the verdict.",
     "Store numeric data without object dtypes; load with allow_pickle=False.",
     kAtlasPickle, static_cast<uint8_t>(Goal::kIntegrity),
     "CVE-2019-6446; https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html"},
    {kRuleHeaderTooLarge, "Oversized .npy header", Severity::kMedium,
     "The header is longer than numpy's max_header_size (10000 bytes). "
     "numpy parses headers with ast.literal_eval and refuses large ones "
     "because they can exhaust memory or CPU; older numpy accepts them.",
     "Reject the file; np.save never writes such headers.", kAtlasParser,
     Goal::kAvailability | Goal::kIntegrity,
     "https://numpy.org/doc/stable/reference/generated/numpy.load.html"},
    {kRuleDataSizeMismatch, "Array data size differs from shape x dtype",
     Severity::kMedium,
     "The number of data bytes differs from the product of the shape and the "
     "item size: the file is truncated, or bytes are appended after the array "
     "(a place to hide a payload; they are scanned), or the shape overflows.",
     "Reject the file or re-save the array with np.save.", kAtlasHide,
     static_cast<uint8_t>(Goal::kIntegrity),
     "https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html"},
    {kRuleHeaderAnomaly, "Inconsistent .npy header", Severity::kLow,
     "The header dict has keys numpy does not write or rejects, duplicate "
     "keys, a non-bool fortran_order, no final newline, or misaligned data. "
     "np.save never produces this; readers may disagree on such headers.",
     "Re-save the array with np.save.", kAtlasHide,
     static_cast<uint8_t>(Goal::kIntegrity),
     "https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html"},
};

}  // namespace

std::span<const RuleInfo> NumpyRules() { return kRules; }

}  // namespace mats::numpy
