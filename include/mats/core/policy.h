// Policy — the allow/deny decisions for names that artifacts ask a loader to
// resolve: pickle callables, Keras module/class names, TensorFlow and TFLite
// ops, ONNX operator domains, Python imports.
//
// Names live in a domain ("pickle", "keras", "tf-op", "tflite-op",
// "onnx-domain") and are dotted ("os.system", "torch._utils._rebuild_tensor").
// An entry matches its own name and, unless `exact`, every name below it
// ("os" covers "os.path.join"). The longest matching entry wins; between two
// entries of the same name, deny wins. A name no entry matches is "unknown",
// which analysers report as suspicious (allowlist first: denylists only set
// severity).
//
//   Policy p;
//   p.Add({.domain = "pickle", .name = "collections.OrderedDict",
//          .action = PolicyAction::kAllow, .exact = true});
//   PolicyDecision d = p.Lookup("pickle", "os.system");
//
// Each format module provides its default entries; the scan module merges
// them with a user policy file (JSON, see docs/policy.md) and CLI flags.
// Thread-safe for concurrent Lookup() once built.
#ifndef MATS_CORE_POLICY_H_
#define MATS_CORE_POLICY_H_

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/result.h"

namespace mats {

enum class PolicyAction : uint8_t { kAllow, kDeny };

struct PolicyEntry {
  std::string domain;
  std::string name;
  PolicyAction action = PolicyAction::kDeny;
  Severity severity = Severity::kHigh;  // for kDeny
  bool exact = false;                   // true: does not cover children
  std::string category;                 // e.g. "process spawning"
  std::string reason;                   // shown in findings
  std::string source = "builtin";       // "builtin", a policy file, "cli"
};

struct PolicyDecision {
  enum class Kind : uint8_t { kUnknown, kAllowed, kDenied };
  Kind kind = Kind::kUnknown;
  const PolicyEntry* entry = nullptr;  // the matching entry, if any
  bool exact_match = false;            // entry name == looked-up name
};

class Policy {
 public:
  Policy() = default;

  // Adds or replaces (same domain, name and action) an entry.
  void Add(PolicyEntry entry);
  void AddAll(std::span<const PolicyEntry> entries);

  PolicyDecision Lookup(std::string_view domain, std::string_view name) const;

  // Loads a policy file (JSON, docs/policy.md) and adds its entries.
  // kMalformed / kInvalidArgument name the entry at fault.
  Status LoadFile(const std::string& path);
  Status LoadJson(std::string_view text, std::string_view source);

  // Parses a CLI flag value "domain:name" or "domain:name=severity" for
  // --allow / --deny.
  Status AddFromFlag(std::string_view value, PolicyAction action);

  // All entries, sorted by domain and name (for `mats policy show`).
  std::vector<const PolicyEntry*> Entries() const;

 private:
  // key: domain + '\0' + name
  std::map<std::string, std::vector<PolicyEntry>> entries_;
};

}  // namespace mats

#endif  // MATS_CORE_POLICY_H_
