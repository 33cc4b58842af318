// Static analysis of Python pickle streams (protocols 0-5), joblib dumps and
// PyTorch legacy (non-zip) checkpoints, without executing anything.
//
// A symbolic pickle machine runs every opcode over symbolic values (strings,
// numbers, containers, imported globals, call results), models the stack,
// the mark stack and the memo exactly, resolves every imported callable to
// its real module and qualified name (Python 2 name remapping, dotted names
// at protocol >= 4), and reports each import and call that the policy does
// not allow, with a bounded, escaped preview of the arguments:
//
//   mats::testing::RecordingContext ctx(limits, policy);
//   mats::Status s = mats::pickle::AnalyzePickle(bytes, ctx);
//   // ctx.findings holds e.g. MATS-PKL-001 "os.system('echo hi')" even if
//   // `s` is an error because the stream is broken after the payload.
//
// Several pickles stacked in one buffer are all analysed (until EOF). A
// joblib NumpyArrayWrapper's inline array bytes are skipped exactly (object
// arrays are analysed as the nested pickle they are); a PyTorch legacy stream
// (magic, protocol, sys_info, object, storage keys) is analysed up to its raw
// storage data.
//
// Thread-safety: all functions are re-entrant; no global mutable state.
#ifndef MATS_PICKLE_PICKLE_H_
#define MATS_PICKLE_PICKLE_H_

#include <span>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/policy.h"
#include "mats/core/scan_context.h"
#include "mats/core/status.h"

namespace mats::pickle {

// Rule ids (see PickleRules() for the descriptions).
inline constexpr std::string_view kRuleDeniedCallable = "MATS-PKL-001";
inline constexpr std::string_view kRuleUnknownCallable = "MATS-PKL-002";
inline constexpr std::string_view kRuleRuntimeCallable = "MATS-PKL-003";
inline constexpr std::string_view kRuleMalformed = "MATS-PKL-004";
inline constexpr std::string_view kRuleEmbedded = "MATS-PKL-005";
inline constexpr std::string_view kRuleDottedName = "MATS-PKL-006";
inline constexpr std::string_view kRuleExtension = "MATS-PKL-007";
inline constexpr std::string_view kRuleImports = "MATS-PKL-008";

// The policy domain of pickle globals ("module.qualname").
inline constexpr std::string_view kPolicyDomain = "pickle";

// Analyses `data` as one or more stacked pickle streams (or a joblib dump, or
// a PyTorch legacy checkpoint). Findings go to ctx.Report(); embedded pickles
// and zips found in bytes values go to ctx.ScanNested(). Refines the format to
// "joblib" or "pytorch-legacy" when recognised.
// Returns kMalformed (with the offset) for a stream the loader could not
// read, kLimitExceeded naming the Limits field (max_pickle_ops,
// max_memo_entries, max_stack_items, max_depth, max_string_bytes) when one is
// hit, kUnsupported when a joblib array size cannot be determined. Findings
// reported before an error are kept.
Status AnalyzePickle(ByteSpan data, ScanContext& ctx);

// Content sniffer: kStrong for a protocol 2-5 header (`80 0N`) followed by a
// valid opcode, or a protocol 0/1 stream whose first opcodes and STOP are
// plausible; kWeak for a plausible protocol 0/1 start under a pickle-like file
// name (.pkl .pickle .pt .pth .bin .ckpt .joblib). Text files are not
// claimed.
SniffResult SniffPickle(ByteSpan data, std::string_view name);

// The scanner's handler, id "pickle".
const FormatHandler& PickleHandler();

// Rule descriptions for the rule catalog.
std::span<const RuleInfo> PickleRules();

// Default allow/deny entries of the "pickle" policy domain (see
// docs/policy.md for the categories).
std::span<const PolicyEntry> PicklePolicyEntries();

}  // namespace mats::pickle

#endif  // MATS_PICKLE_PICKLE_H_
