#include "mats/pickle/pickle.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "pickle/machine.h"

namespace mats::pickle {
namespace {

bool HasPickleExtension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 8> kExts = {
      "pkl", "pickle", "pt", "pth", "bin", "ckpt", "joblib", "p"};
  return std::find(kExts.begin(), kExts.end(), ext) != kExts.end();
}

// First opcodes a protocol 0/1 pickle plausibly starts with.
bool PlausibleFirstOpcode(uint8_t b) {
  switch (b) {
    case '(': case 'c': case '}': case ']': case ')': case 'N': case 'I':
    case 'S': case 'V': case 'X': case 'U': case 'T': case 'K': case 'J':
    case 'M': case 'L': case 'F': case 'G':
      return true;
    default:
      return false;
  }
}

constexpr uint64_t kSniffWindow = 1 << 20;

}  // namespace

SniffResult SniffPickle(ByteSpan data, std::string_view name) {
  if (data.size() >= 3 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5) {
    return SniffResult::kStrong;
  }
  if (data.size() >= 2 && data[0] == 0x80 && data[1] <= 1) {
    // PROTO 0/1 is legal though picklers never write it.
    internal::TokenScan t = internal::TokenizePickle(data, kSniffWindow);
    if (t.ops >= 2) return SniffResult::kStrong;
  }
  if (data.empty() || !PlausibleFirstOpcode(data[0])) return SniffResult::kNo;
  internal::TokenScan t = internal::TokenizePickle(data, kSniffWindow);
  // A whole stream up to STOP, or an identifier-like GLOBAL/INST among the
  // first opcodes (a broken tail after a payload), is structure, not chance.
  if (t.reached_stop && t.ops >= 2) {
    // The STOP must end the data, or be followed by another stream.
    uint64_t next = t.stop_offset + 1;
    if (next >= data.size() || data[next] == 0x80 ||
        PlausibleFirstOpcode(data[next])) {
      return SniffResult::kStrong;
    }
  }
  if (t.saw_call_after_global) return SniffResult::kStrong;
  if (HasPickleExtension(name)) return SniffResult::kWeak;
  return SniffResult::kNo;
}

Status AnalyzePickle(ByteSpan data, ScanContext& ctx) {
  return internal::RunPickleMachine(data, ctx);
}

const FormatHandler& PickleHandler() {
  static const FormatHandler h{
      "pickle",
      "Python pickle streams (protocols 0-5), joblib dumps, PyTorch legacy "
      "checkpoints",
      &SniffPickle, &AnalyzePickle};
  return h;
}

namespace {

constexpr std::string_view kAtlasExec[] = {"AML.T0011.000", "AML.T0010.003",
                                           "AML.T0018.002"};
constexpr std::string_view kAtlasUnsafe[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasEvasion[] = {"AML.T0011.000",
                                              "AML.T0018.002"};
constexpr std::string_view kAtlasInfo[] = {"AML.T0011.000"};

constexpr RuleInfo kRules[] = {
    {kRuleDeniedCallable, "Pickle imports or calls a denied callable",
     Severity::kCritical,
     "The pickle imports a global that the policy denies (code execution, "
     "process spawning, import resolvers, code runners, call chaining, file "
     "or network I/O, package installers, nested deserializers, native "
     "code). Loading the file runs it with the loader's privileges. The "
     "finding names the resolved callable and previews its arguments; its "
     "severity comes from the policy entry.",
     "Do not load the file. Obtain the model in a format that cannot execute "
     "code (safetensors, GGUF, ONNX) or from a trusted publisher, and report "
     "the file to the hosting platform.",
     kAtlasExec,
     Goal::kConfidentiality | Goal::kIntegrity | Goal::kAvailability,
     "CWE-502; https://docs.python.org/3/library/pickle.html; "
     "GHSA-vvpj-8cmc-gx39; GHSA-955r-x9j8-7rhh; CVE-2025-71351; "
     "CVE-2025-1716; CVE-2025-71365"},
    {kRuleUnknownCallable, "Pickle imports or calls a callable not on the "
                           "allowlist",
     Severity::kMedium,
     "The pickle imports a global that is neither allowlisted (PyTorch, "
     "NumPy, scikit-learn, joblib and stdlib data types) nor denied. Any "
     "callable can be a gadget (the Hide and Seek study lists 133); mats "
     "treats unknown callables as suspicious instead of trusting a "
     "denylist.",
     "Review the named callable. If it is a legitimate class of your "
     "project, allow it with --allow pickle:<name> or a policy file; "
     "otherwise do not load the file.",
     kAtlasUnsafe, Goal::kIntegrity | Goal::kAuthenticity,
     "arXiv 2508.19774; https://github.com/trailofbits/fickling/pull/323"},
    {kRuleRuntimeCallable, "Pickle calls a callable computed at load time",
     Severity::kHigh,
     "A call opcode (REDUCE, OBJ, NEWOBJ, INST, BUILD) calls a value that "
     "was itself produced by a call, or STACK_GLOBAL imports a name whose "
     "module or name operands are computed at load time. Static scanners "
     "cannot know the target; this is how denylists are bypassed.",
     "Do not load the file; such indirection has no use in model "
     "checkpoints.",
     kAtlasEvasion, Goal::kIntegrity | Goal::kConfidentiality,
     "https://github.com/mmaitre314/picklescan/issues/14"},
    {kRuleMalformed, "Malformed or ambiguous pickle stream", Severity::kMedium,
     "The stream has a defect on which loaders and scanners disagree: a "
     "FRAME whose length splits an opcode, a new FRAME inside a frame, a "
     "memo GET of an index never stored, STACK_GLOBAL operands that are "
     "not strings, a call of a non-callable value, bad joblib padding. "
     "Such streams are crafted to hide payloads from linear scanners.",
     "Treat the file as hostile unless its producer can explain the "
     "defect; regenerate it with a standard pickler.",
     kAtlasEvasion, static_cast<uint8_t>(Goal::kIntegrity),
     "https://github.com/mmaitre314/picklescan/issues/14; nullifAI "
     "(ReversingLabs, Feb 2025)"},
    {kRuleEmbedded, "Serialized payload embedded in a pickle bytes value",
     Severity::kLow,
     "A bytes value holds a complete pickle stream or a zip archive. It is "
     "harmless unless something deserializes it, which is how nested "
     "deserializer gadgets (pickle.loads, torch.load of bytes) deliver a "
     "second payload; mats scans the embedded content as a nested member.",
     "Check the nested member's findings; remove embedded serialized data "
     "from model files.",
     kAtlasEvasion, static_cast<uint8_t>(Goal::kIntegrity),
     "picklescan advisories on torch.serialization.load"},
    {kRuleDottedName, "Pickle uses a dotted global name not allowlisted "
                      "verbatim",
     Severity::kHigh,
     "At protocol 4 and above, a global's name is resolved attribute by "
     "attribute, so module 'pathlib' with name 'os.system' yields os.system. "
     "The name sits below an allowlisted module or class but the full "
     "dotted name is not itself allowlisted.",
     "Do not load the file; allow the exact dotted name only if it is a "
     "legitimate nested class.",
     kAtlasEvasion, Goal::kIntegrity | Goal::kConfidentiality,
     "GHSA-5j3x-jp52-966f"},
    {kRuleExtension, "Pickle uses a copyreg extension code",
     Severity::kMedium,
     "EXT1/EXT2/EXT4 look a callable up in copyreg's extension registry, "
     "which is empty in a default interpreter. A loader that registered "
     "codes resolves them to arbitrary callables that a static scanner "
     "cannot see.",
     "Do not load the file unless your environment registers the code on "
     "purpose.",
     kAtlasUnsafe, static_cast<uint8_t>(Goal::kIntegrity),
     "https://docs.python.org/3/library/copyreg.html"},
    {kRuleImports, "Allowlisted globals imported by a pickle stream",
     Severity::kInfo,
     "Lists, per stream, the allowlisted globals the stream imports (bounded "
     "to about 1 KB). It does not change the verdict; it tells auditors "
     "what the loader will construct.",
     "None needed.", kAtlasInfo, static_cast<uint8_t>(Goal::kIntegrity), ""},
};

}  // namespace

std::span<const RuleInfo> PickleRules() { return kRules; }

}  // namespace mats::pickle
