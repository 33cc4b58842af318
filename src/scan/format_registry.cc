// The list of format handlers, in order of detection precedence.
// Each format module adds its include and its handler here (one line each).
#include <array>

#include "mats/scan/registry.h"
#include "scan/builtin_formats.h"
// format includes: one line per module
#include "mats/jinja/jinja.h"

namespace mats::scan {

std::span<const FormatHandler* const> AllFormats() {
  static const FormatHandler* const kFormats[] = {
      // Strong-magic containers and formats first; add handlers here.
      &jinja::JinjaHandler(), &jinja::TokenizerConfigHandler(),
      // Fallbacks last:
      &TextFormat(),
      &UnknownFormat(),
  };
  return kFormats;
}

const FormatHandler* FindFormat(std::string_view id) {
  for (const FormatHandler* f : AllFormats()) {
    if (f->id == id) return f;
  }
  return nullptr;
}

}  // namespace mats::scan
