#include "runtime/mountinfo.h"

namespace rampart::runtime {

std::vector<std::string_view> MountInfoLines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

std::optional<MountInfoLine> SplitMountInfoLine(std::string_view line) {
  std::vector<std::string_view> f;
  for (size_t i = 0; i < line.size();) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) f.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  if (f.size() < 5) return std::nullopt;
  MountInfoLine m;
  m.id = f[0];
  m.parent = f[1];
  m.dev = f[2];
  m.root = f[3];
  m.mountpoint = f[4];
  for (size_t i = 6; i < f.size(); ++i) {
    if (f[i] != "-") continue;
    m.has_separator = true;
    m.after_separator = f.size() - i - 1;
    if (i + 1 < f.size()) m.fstype = f[i + 1];
    if (i + 2 < f.size()) m.source = f[i + 2];
    if (i + 3 < f.size()) m.super_options = f[i + 3];
    break;
  }
  return m;
}

std::string UnescapeMountField(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto octal = [&](size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace rampart::runtime
