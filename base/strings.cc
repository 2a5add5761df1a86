#include "base/strings.h"

#include <limits>

namespace rampart {

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Value of one digit in `base`, or -1 if `c` is not such a digit.
int DigitValue(char c, unsigned base) {
  int v = -1;
  if (c >= '0' && c <= '9') {
    v = c - '0';
  } else if (c >= 'a' && c <= 'f') {
    v = c - 'a' + 10;
  } else if (c >= 'A' && c <= 'F') {
    v = c - 'A' + 10;
  }
  return v >= 0 && static_cast<unsigned>(v) < base ? v : -1;
}

}  // namespace

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

Result<uint64_t> ParseUint64(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view digits = text;
  unsigned base = 10;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return Error::Invalid("parse integer " + quoted + ": no digits");
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t value = 0;
  for (char c : digits) {
    int d = DigitValue(c, base);
    if (d < 0) return Error::Invalid("parse integer " + quoted + ": invalid character");
    if (value > (kMax - static_cast<uint64_t>(d)) / base)
      return Error::Invalid("parse integer " + quoted + ": out of range");
    value = value * base + static_cast<uint64_t>(d);
  }
  return value;
}

std::string FirstLine(std::string_view text) {
  std::string_view t = Trim(text);
  return std::string(Trim(t.substr(0, t.find('\n'))));
}

}  // namespace rampart
