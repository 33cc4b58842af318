#include "mats/archive/archive.h"

namespace mats::archive {
namespace {

constexpr std::string_view kAtlasPath[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasDos[] = {"AML.T0029", "AML.T0011.000"};
constexpr std::string_view kAtlasHide[] = {"AML.T0018.002", "AML.T0010.003"};

constexpr RuleInfo kRules[] = {
    {kRuleUnsafePath, "Archive member name escapes the extraction directory",
     Severity::kHigh,
     "A zip, tar or 7z member name contains a '..' component, is absolute, "
     "or starts with a drive letter. Tools that extract the archive (model "
     "hubs, Keras, TorchServe, users' unzip) write outside the target "
     "directory and can overwrite code or configuration (zip slip). mats "
     "never extracts; names are treated as data.",
     "Do not extract the archive; reject it, or extract with a tool that "
     "refuses such names.",
     kAtlasPath, static_cast<uint8_t>(Goal::kIntegrity),
     "https://security.snyk.io/research/zip-slip-vulnerability; CWE-22"},
    {kRuleLinkMember, "Symbolic or hard link in an archive", Severity::kMedium,
     "A tar or 7z member is a symbolic or hard link. Extracting it lets later "
     "members, or the loader, read or write the link target outside the "
     "archive (e.g. a link to ~/.ssh or to a Python package). Links are "
     "reported with their target and never followed.",
     "Reject archives with links, or extract with link creation disabled.",
     kAtlasPath, Goal::kIntegrity | Goal::kConfidentiality,
     "CVE-2007-4559; CWE-59"},
    {kRuleDeviceMember, "Device, FIFO or socket in an archive",
     Severity::kMedium,
     "A tar or 7z member is a character or block device, FIFO or socket. "
     "Model archives never need one; extracting it as root creates device "
     "nodes, and reading it can block or leak data.",
     "Reject the archive.", kAtlasPath, Goal::kIntegrity | Goal::kAvailability,
     "CWE-67"},
    {kRuleDecompressionBomb, "Decompression bomb", Severity::kMedium,
     "Decompressing a member or stream hit max_inflate_bytes, "
     "max_uncompressed_bytes or max_compression_ratio (checked once more "
     "than 1 MiB has been produced). Such inputs exhaust memory or disk of "
     "loaders and scanners; the rest of that content was not analysed.",
     "Inspect the file by hand; raise the limits with --limit only if the "
     "content is expected to be that large.",
     kAtlasDos, static_cast<uint8_t>(Goal::kAvailability),
     "https://www.bamsoftware.com/hacks/zipbomb/; CWE-409"},
    {kRuleOddName, "Archive member name with control characters or backslashes",
     Severity::kMedium,
     "A member name contains NUL or control characters, backslash separators "
     "or is empty. Readers disagree on such names (NUL truncation, '\\' as a "
     "separator on Windows), which lets one member pass for another.",
     "Reject the archive or re-create it with plain names.", kAtlasHide,
     static_cast<uint8_t>(Goal::kIntegrity), "CWE-158; PKWARE APPNOTE 4.4.17"},
    {kRuleTrailingData, "Data after a compressed stream", Severity::kMedium,
     "Bytes follow the end of a gzip or zlib stream. Decompressors stop at "
     "the end of the stream and ignore them, so a payload appended there is "
     "invisible to tools that decompress while another reader may use it. "
     "The trailing bytes are scanned as nested content.",
     "Reject the file or strip the trailing bytes.", kAtlasHide,
     static_cast<uint8_t>(Goal::kIntegrity), "RFC 1950; RFC 1952"},
};

}  // namespace

std::span<const RuleInfo> ArchiveRules() { return kRules; }

}  // namespace mats::archive
