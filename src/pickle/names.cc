#include "pickle/names.h"

#include <algorithm>

#include "mats/pickle/pickle.h"

namespace mats::pickle::internal {
namespace {

struct CompatName {
  std::string_view module;
  std::string_view name;
  std::string_view new_module;
  std::string_view new_name;
};
struct CompatModule {
  std::string_view module;
  std::string_view new_module;
};

#include "pickle/compat_names.inc"

}  // namespace

ResolvedName ResolveName(std::string_view module, std::string_view name,
                         int protocol) {
  ResolvedName out;
  out.module = std::string(module);
  out.name = std::string(name);
  if (protocol < 3) {
    const auto* nit = std::lower_bound(
        std::begin(kNameMapping), std::end(kNameMapping),
        std::pair(module, name), [](const CompatName& c, const auto& key) {
          return std::pair(c.module, c.name) < key;
        });
    if (nit != std::end(kNameMapping) && nit->module == module &&
        nit->name == name) {
      out.module = std::string(nit->new_module);
      out.name = std::string(nit->new_name);
      out.remapped = true;
    } else {
      const auto* mit = std::lower_bound(
          std::begin(kImportMapping), std::end(kImportMapping), module,
          [](const CompatModule& c, std::string_view key) {
            return c.module < key;
          });
      if (mit != std::end(kImportMapping) && mit->module == module) {
        out.module = std::string(mit->new_module);
        out.remapped = true;
      }
    }
  }
  out.dotted = out.name.find('.') != std::string::npos;
  out.full = out.module + "." + out.name;
  return out;
}

Classification ClassifyName(const Policy& policy, const ResolvedName& n) {
  Classification c;
  PolicyDecision d = policy.Lookup(kPolicyDomain, n.full);
  if (d.kind == PolicyDecision::Kind::kDenied) {
    c.kind = NameClass::kDenied;
    c.entry = d.entry;
    c.matched = n.full;
    return c;
  }
  if (n.dotted) {
    // `module` + "a.b.c" resolves attribute by attribute; whatever the module
    // re-exports, a suffix such as "os.system" names the real target.
    size_t pos = 0;
    while ((pos = n.full.find('.', pos)) != std::string::npos) {
      ++pos;
      std::string_view suffix = std::string_view(n.full).substr(pos);
      PolicyDecision sd = policy.Lookup(kPolicyDomain, suffix);
      if (sd.kind == PolicyDecision::Kind::kDenied) {
        c.kind = NameClass::kDenied;
        c.entry = sd.entry;
        c.matched = std::string(suffix);
        return c;
      }
    }
    if (d.kind == PolicyDecision::Kind::kAllowed && d.exact_match) {
      c.kind = NameClass::kAllowed;
      c.entry = d.entry;
      return c;
    }
    if (d.kind == PolicyDecision::Kind::kAllowed) {
      c.kind = NameClass::kDotted;
      return c;
    }
    // An allowlisted prefix (module or class, even an exact entry) with an
    // attribute path below it is the dotted-name bypass pattern.
    std::string_view prefix = n.full;
    size_t dot;
    while ((dot = prefix.rfind('.')) != std::string_view::npos) {
      prefix = prefix.substr(0, dot);
      PolicyDecision pd = policy.Lookup(kPolicyDomain, prefix);
      if (pd.kind == PolicyDecision::Kind::kAllowed) {
        c.kind = NameClass::kDotted;
        return c;
      }
    }
    return c;
  }
  if (d.kind == PolicyDecision::Kind::kAllowed) {
    c.kind = NameClass::kAllowed;
    c.entry = d.entry;
  }
  return c;
}

}  // namespace mats::pickle::internal
