#include "base/log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace rampart {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "unknown";
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warning" || text == "warn") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return Error::Invalid("log level \"" + std::string(text) +
                        "\": want error, warning, info or debug");
}

Result<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return Error::Invalid("log format \"" + std::string(text) + "\": want text or json");
}

namespace {

// Appends `s` with control characters escaped, so an entry stays one line;
// with `quote`, also escapes '"' and '\' for use inside double quotes.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else if (quote && (c == '"' || c == '\\')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
}

// A text value is quoted when it would otherwise be ambiguous to split on.
bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

std::string FormatText(LogLevel level, std::string_view msg,
                       std::initializer_list<LogField> fields) {
  std::string line = "rampart: ";
  line += LogLevelName(level);
  line += ": ";
  AppendEscaped(line, msg, false);
  for (const LogField& field : fields) {
    line += ' ';
    line += field.first;
    line += '=';
    if (NeedsQuotes(field.second)) {
      line += '"';
      AppendEscaped(line, field.second, true);
      line += '"';
    } else {
      line += field.second;
    }
  }
  line += '\n';
  return line;
}

// RFC 3339 in UTC with milliseconds: 2026-11-29T04:37:35.123Z.
std::string FormatTime(int64_t time_ns) {
  time_t secs = static_cast<time_t>(time_ns / 1000000000);
  int millis = static_cast<int>((time_ns % 1000000000) / 1000000);
  if (millis < 0) {  // before the epoch: keep the fraction positive
    secs -= 1;
    millis += 1000;
  }
  struct tm tm = {};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  snprintf(frac, sizeof(frac), ".%03dZ", millis);
  return std::string(buf, n) + frac;
}

std::string FormatJson(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields,
                       int64_t time_ns) {
  // ordered_json keeps time, level, msg first, then fields as given.
  nlohmann::ordered_json entry;
  entry["time"] = FormatTime(time_ns);
  entry["level"] = std::string(LogLevelName(level));
  entry["msg"] = std::string(msg);
  for (const LogField& field : fields) {
    std::string key(field.first);
    // Like logrus, do not let a field overwrite the fixed keys.
    if (key == "time" || key == "level" || key == "msg") key = "fields." + key;
    entry[key] = field.second;
  }
  // Invalid UTF-8 is replaced rather than thrown on (no exceptions here).
  return entry.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

int64_t NowNs() {
  timespec ts = {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields, int64_t time_ns) {
  if (format == LogFormat::kJson) return FormatJson(level, msg, fields, time_ns);
  return FormatText(level, msg, fields);
}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  const std::string line = FormatLogLine(format_, level, msg, fields, NowNs());
  int saved = errno;  // logging must not disturb the caller's errno
  std::string_view rest = line;
  // One write(2) per line; the loop only finishes a rare short write.
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  errno = saved;
}

}  // namespace rampart
