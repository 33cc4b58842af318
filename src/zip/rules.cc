#include "mats/zip/zip.h"

namespace mats::zip {
namespace {

constexpr std::string_view kAtlasEvasion[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasHide[] = {"AML.T0018.002", "AML.T0011.000",
                                           "AML.T0010.003"};
constexpr std::string_view kAtlasDos[] = {"AML.T0029"};
constexpr std::string_view kAtlasInfo[] = {"AML.T0010.003"};

constexpr uint8_t kIntegrity = static_cast<uint8_t>(Goal::kIntegrity);

constexpr RuleInfo kRules[] = {
    {kRuleDuplicateName, "Duplicate zip member names", Severity::kMedium,
     "Two zip members have the same name. Readers disagree on which one wins "
     "(Python's zipfile takes the last, others the first), so a scanner can "
     "see a benign member while the loader reads a malicious one. mats scans "
     "all of them.",
     "Reject the archive or re-create it without duplicates.", kAtlasEvasion,
     kIntegrity, "PKWARE APPNOTE 4.3; https://github.com/mmaitre314/picklescan"},
    {kRuleNameMismatch, "Local header and central directory name differ",
     Severity::kHigh,
     "A member's name in its local file header differs from the name in the "
     "central directory. Readers that trust one or the other see different "
     "members: a scanner checks 'weights.bin' while torch.load reads "
     "'archive/data.pkl' (CVE-2025-1944).",
     "Reject the archive; legitimate writers never produce this.",
     kAtlasEvasion, kIntegrity, "CVE-2025-1944; GHSA-7q5r-7gvp-wc82"},
    {kRuleFlagBits, "Encryption or patched-data flag on a member",
     Severity::kMedium,
     "A member sets general-purpose flag 0x1 (encrypted), 0x20 (patched "
     "data) or 0x40 (strong encryption). Scanners skip or fail on such "
     "members while lenient loaders such as torch's miniz read them anyway "
     "(CVE-2025-1945). mats reads the data as the loader would and scans it.",
     "Reject encrypted or patched members in model files.", kAtlasEvasion,
     kIntegrity, "CVE-2025-1945; GHSA-w8jq-xcqf-f792"},
    {kRuleCrcMismatch, "CRC-32 mismatch", Severity::kMedium,
     "The CRC-32 of a member's data differs from the declared one. Strict "
     "readers (and scanners) stop at such members while lenient loaders "
     "ignore the checksum, so the content can be hidden from the scanner "
     "(CVE-2025-10156). Raw tensor storages of PyTorch archives are not read "
     "and therefore not checked.",
     "Reject the archive; a corrupted model file should be downloaded again.",
     kAtlasEvasion, kIntegrity, "CVE-2025-10156; GHSA-mjqp-26hc-grxg"},
    {kRulePrependedData, "Data before the first zip entry", Severity::kMedium,
     "Bytes precede the first local header (or every central-directory "
     "offset is shifted by prepended bytes). A file can then be a pickle "
     "for one loader and a zip for another (polyglot), or hide a payload "
     "from readers that start at the central directory.",
     "Reject the file, or strip the prepended bytes after inspection.",
     kAtlasHide, kIntegrity, "ClamAV PR #1460; PKWARE APPNOTE 4.3.6"},
    {kRuleGapData, "Unaccounted data between zip entries", Severity::kMedium,
     "Bytes between entries, between the central directory and its end "
     "record, or left over in the central directory belong to no member. "
     "Hidden members and payloads live there.",
     "Reject the archive or re-create it with a standard writer.",
     kAtlasHide, kIntegrity, "PKWARE APPNOTE 4.3.6; CVE-2026-115905"},
    {kRuleTrailingData, "Data after the end of central directory",
     Severity::kMedium,
     "Bytes follow the end-of-central-directory record (beyond its comment), "
     "for example a second concatenated archive. Readers that search for the "
     "record from the end and readers that walk from the start see different "
     "archives. mats walks and scans local entries found there.",
     "Reject the file or remove the appended bytes.", kAtlasHide, kIntegrity,
     "ClamAV PR #1460 (concatenation evasion)"},
    {kRuleLocalOnly, "Local entry missing from the central directory",
     Severity::kHigh,
     "A local file header found by walking the file is not listed in the "
     "central directory. Readers that use the central directory never see "
     "it; streaming readers and loaders that walk local headers do. The "
     "hidden member is scanned.",
     "Reject the archive.", kAtlasHide, kIntegrity,
     "ClamAV PR #1460; CVE-2026-115905"},
    {kRuleCentralWithoutLocal, "Central entry without a valid local header",
     Severity::kMedium,
     "A central-directory entry points at an offset without a valid local "
     "file header. The member cannot be read consistently; readers differ in "
     "how they recover.",
     "Reject the archive or re-create it.", kAtlasEvasion, kIntegrity,
     "PKWARE APPNOTE 4.3.7"},
    {kRuleOverlap, "Overlapping zip entries", Severity::kHigh,
     "Two entries (or an entry and the central directory) share bytes. This "
     "is how non-recursive zip bombs reach huge expansion ratios, and how one "
     "member's data can pass for another's.",
     "Reject the archive.", kAtlasDos, kIntegrity | Goal::kAvailability,
     "https://www.bamsoftware.com/hacks/zipbomb/"},
    {kRuleUnsupportedMethod, "Unsupported compression method",
     Severity::kMedium,
     "A member uses a compression method mats does not decode (it decodes "
     "stored 0, deflate 8, bzip2 12, LZMA 14, zstd 93 and xz 95), e.g. "
     "PPMd (98) or an encrypted member, so the member was not scanned; "
     "scanners that skip such members silently are a known evasion path.",
     "Re-create the archive with stored or deflated members, or inspect the "
     "member by hand.",
     kAtlasEvasion, kIntegrity, "PKWARE APPNOTE 4.4.5"},
    {kRuleDataDescriptor, "Members use data descriptors", Severity::kInfo,
     "Members carry their sizes and CRC after the data (flag 0x8). PyTorch "
     "writes every member this way; it is reported for completeness because "
     "streaming readers then depend on the data to find the next header.",
     "None needed for PyTorch checkpoints.", kAtlasInfo, kIntegrity,
     "PKWARE APPNOTE 4.3.9"},
    {kRuleNoCentralDirectory, "No central directory", Severity::kMedium,
     "The file starts with a zip local header but has no end-of-central-"
     "directory record. Central-directory readers reject it while streaming "
     "readers still extract its members; mats walks the local headers and "
     "scans what it finds.",
     "Reject the file.", kAtlasEvasion, kIntegrity, "PKWARE APPNOTE 4.3.16"},
    {kRuleFieldMismatch, "Local and central headers disagree",
     Severity::kMedium,
     "A member's compression method, flags, CRC or sizes in its local header "
     "differ from the central directory. Readers pick one or the other and "
     "then decode different data.",
     "Reject the archive.", kAtlasEvasion, kIntegrity,
     "CVE-2025-1944; PKWARE APPNOTE 4.3.7"},
    {kRuleSizeMismatch, "Declared size differs from the data",
     Severity::kMedium,
     "The decompressed size of a member differs from the size in its "
     "headers. Readers that allocate or stop by the declared size see "
     "truncated or different content; declared sizes are also used to hide "
     "bombs.",
     "Reject the archive.", kAtlasEvasion, kIntegrity | Goal::kAvailability,
     "https://www.bamsoftware.com/hacks/zipbomb/"},
};

}  // namespace

std::span<const RuleInfo> ZipRules() { return kRules; }

}  // namespace mats::zip
