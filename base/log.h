// Leveled logging to a file descriptor, as text for people or JSON lines for
// machines (the same shape as runc --log-format json). There is no global
// logger: whoever needs one is handed a Logger& (CONVENTIONS.md, principle 5).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace rampart {

// Ordered by verbosity: a logger at kInfo emits kError, kWarn and kInfo.
enum class LogLevel { kError, kWarn, kInfo, kDebug };
enum class LogFormat { kText, kJson };

// One structured field, e.g. {"path", path}.
using LogField = std::pair<std::string_view, std::string>;

// "error", "warning", "info", "debug".
std::string_view LogLevelName(LogLevel level);

// Accepts the names above and "warn"; anything else is kInvalid.
Result<LogLevel> ParseLogLevel(std::string_view text);
// "text" or "json".
Result<LogFormat> ParseLogFormat(std::string_view text);

class Logger {
 public:
  // Does not own `fd`; the caller keeps it open for the logger's lifetime.
  explicit Logger(int fd = 2, LogLevel level = LogLevel::kWarn, LogFormat format = LogFormat::kText)
      : fd_(fd), level_(level), format_(format) {}

  void set_level(LogLevel level) { level_ = level; }
  void set_format(LogFormat format) { format_ = format; }
  LogLevel level() const { return level_; }
  LogFormat format() const { return format_; }
  bool Enabled(LogLevel level) const { return level <= level_; }

  // Writes one line with a single write(2), so lines from several processes
  // sharing the fd do not interleave. Text:
  //   rampart: warning: msg key=value key2="quoted if spaces"
  // JSON:
  //   {"time":"2026-11-29T04:37:35.123Z","level":"warning","msg":"msg","key":"value"}
  // Logging is best effort: a failed write is not reported.
  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }

 private:
  int fd_;
  LogLevel level_;
  LogFormat format_;
};

// The line Log() would write (with its trailing newline); exposed for tests.
// `time_ns` is CLOCK_REALTIME in nanoseconds since the epoch.
std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields, int64_t time_ns);

}  // namespace rampart
