// Name resolution for pickle globals, as CPython's Unpickler.find_class does
// it, and classification against the policy. Private to the pickle module;
// exposed for unit tests.
#ifndef MATS_PICKLE_NAMES_H_
#define MATS_PICKLE_NAMES_H_

#include <string>
#include <string_view>

#include "mats/core/finding.h"
#include "mats/core/policy.h"

namespace mats::pickle::internal {

struct ResolvedName {
  std::string module;  // after Python 2 remapping
  std::string name;    // qualified name inside the module
  std::string full;    // module + "." + name
  bool remapped = false;
  bool dotted = false;  // name contains '.'
};

// Applies _compat_pickle's NAME_MAPPING / IMPORT_MAPPING when `protocol` < 3
// (fix_imports), then joins module and name.
ResolvedName ResolveName(std::string_view module, std::string_view name,
                         int protocol);

enum class NameClass : uint8_t {
  kAllowed,   // allowlisted (verbatim for dotted names)
  kDenied,    // a deny entry matches the name or a dotted suffix of it
  kDotted,    // dotted name under an allowlisted module, not allowlisted verbatim
  kUnknown,   // no entry
};

struct Classification {
  NameClass kind = NameClass::kUnknown;
  const PolicyEntry* entry = nullptr;  // for kDenied / kAllowed
  std::string matched;                 // the name the deny entry matched
};

Classification ClassifyName(const Policy& policy, const ResolvedName& n);

}  // namespace mats::pickle::internal

#endif  // MATS_PICKLE_NAMES_H_
