#include "veil/base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace veil::log {

namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
std::function<void(Level, std::string_view)> g_sink;

const char* level_name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    default: return "off";
  }
}
}  // namespace

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(std::memory_order_relaxed); }

void set_sink(std::function<void(Level, std::string_view)> sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}

void write(Level lvl, std::string_view line) {
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(lvl, line);
    return;
  }
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::fprintf(stderr, "%s.%03dZ %s %.*s\n", ts, static_cast<int>(ms), level_name(lvl),
               static_cast<int>(line.size()), line.data());
}

}  // namespace veil::log
