// The format and rule registries of the scanner.
//
// Format modules never register themselves; this module lists them, in order
// of detection precedence, in src/scan/format_registry.cc, and collects their
// rule tables and default policy entries in src/scan/rule_catalog.cc.
#ifndef MATS_SCAN_REGISTRY_H_
#define MATS_SCAN_REGISTRY_H_

#include <span>
#include <string_view>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/policy.h"

namespace mats::scan {

// Every format handler, strongest-precedence first.
std::span<const FormatHandler* const> AllFormats();
const FormatHandler* FindFormat(std::string_view id);

// Every rule of every module, sorted by id. Ids are unique (tested).
const std::vector<RuleInfo>& AllRules();
const RuleInfo* FindRule(std::string_view id);

// The built-in policy: every module's default entries.
Policy DefaultPolicy();

}  // namespace mats::scan

#endif  // MATS_SCAN_REGISTRY_H_
