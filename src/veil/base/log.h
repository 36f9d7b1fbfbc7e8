// Content-free structured logging.
//
// Privacy invariant: log lines carry ids, sizes, timings and status codes —
// never prompt or completion text, never secrets. Callers pass only such
// values; there is deliberately no helper that logs a request or body.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

namespace veil::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
// Replaces the sink (default: one line to stderr). Tests use it to capture
// every line; pass nullptr to restore stderr.
void set_sink(std::function<void(Level, std::string_view)> sink);
void write(Level level, std::string_view line);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::debug) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::info) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::warn) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::error) write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace veil::log
