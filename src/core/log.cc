#include "mats/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace mats::log {
namespace {
std::atomic<Level> g_level{Level::kOff};
std::mutex g_write_mu;
}  // namespace

void SetLevel(Level level) { g_level.store(level); }
Level GetLevel() { return g_level.load(); }

void Write(Level level, std::string_view message) {
  static constexpr const char* kNames[] = {"off", "error", "warn", "info", "debug"};
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::fprintf(stderr, "mats [%s] %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace mats::log
