// Library logging shim. Library code never prints; it logs here, and logging
// is off unless the CLI turns it on (--verbose). Never log key material or
// raw input: log offsets, sizes and digests.
//
//   MATS_LOG_DEBUG("zip: {} entries in central directory", n);
#ifndef MATS_CORE_LOG_H_
#define MATS_CORE_LOG_H_

#include <fmt/core.h>

#include <string_view>

namespace mats::log {

enum class Level : uint8_t { kOff, kError, kWarn, kInfo, kDebug };

void SetLevel(Level level);
Level GetLevel();
void Write(Level level, std::string_view message);

template <typename... Args>
void Logf(Level level, fmt::format_string<Args...> f, Args&&... args) {
  if (level <= GetLevel() && GetLevel() != Level::kOff)
    Write(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace mats::log

#define MATS_LOG_DEBUG(...) ::mats::log::Logf(::mats::log::Level::kDebug, __VA_ARGS__)
#define MATS_LOG_INFO(...) ::mats::log::Logf(::mats::log::Level::kInfo, __VA_ARGS__)
#define MATS_LOG_WARN(...) ::mats::log::Logf(::mats::log::Level::kWarn, __VA_ARGS__)

#endif  // MATS_CORE_LOG_H_
