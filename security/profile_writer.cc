#include "security/profile_writer.h"

#include <cctype>
#include <cstdio>
#include <string_view>

namespace rampart::security {
namespace {

// Words a YAML 1.1 or 1.2 reader may turn into something other than a string.
bool IsReservedWord(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y",   "n",    "yes",   "no",  "on",   "off", "true",
                                                "false", "null", "~",     ".nan", ".inf", "-.inf", "+.inf"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto w : kWords)
    if (lower == w) return true;
  return false;
}

// A plain (unquoted) scalar is written only for simple words that every YAML
// reader takes as the same string: names, "errno(EPERM)", "kill-process".
bool PlainSafe(std::string_view s) {
  if (s.empty() || IsReservedWord(s)) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) && s[0] != '_') return false;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '(' ||
                    c == ')' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string DoubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string Scalar(std::string_view s) { return PlainSafe(s) ? std::string(s) : DoubleQuoted(s); }

std::string FlowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + Scalar(items[i]);
  return out + "]";
}

// Comment text (possibly several lines) as `# ` lines at `indent`.
void Comment(std::string& out, const std::string& indent, std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    std::string clean;
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      clean += (c == '\r' || c == '\t') ? ' ' : (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    while (!clean.empty() && clean.back() == ' ') clean.pop_back();
    out += indent + (clean.empty() ? "#" : "# " + clean) + "\n";
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
}

void NameList(std::string& out, const char* key, const std::vector<DraftName>& names) {
  if (names.empty()) return;
  out += std::string("  ") + key + ":\n";
  for (const auto& n : names) {
    if (!n.comment.empty()) Comment(out, "    ", n.comment);
    out += "    - " + Scalar(n.name) + "\n";
  }
}

void Rule(std::string& out, const DraftRule& r) {
  if (r.syscalls.size() == 1) {
    out += "    - syscall: " + Scalar(r.syscalls[0]) + "\n";
  } else {
    out += "    - syscalls: " + FlowList(r.syscalls) + "\n";
  }
  if (!r.action.empty()) out += "      action: " + Scalar(r.action) + "\n";
  if (!r.args.empty()) {
    out += "      args: [";
    for (size_t i = 0; i < r.args.size(); ++i) out += (i ? ", " : "") + DoubleQuoted(r.args[i]);
    out += "]\n";
  }
  if (!r.comment.empty()) out += "      comment: " + DoubleQuoted(r.comment) + "\n";
}

}  // namespace

std::string WriteProfileYaml(const ProfileDraft& d) {
  std::string out;
  for (const auto& h : d.header) Comment(out, "", h);
  if (!d.header.empty()) out += "\n";
  out += "name: " + Scalar(d.name) + "\n";
  if (!d.description.empty()) out += "description: " + DoubleQuoted(d.description) + "\n";
  if (d.extends) out += "extends: " + Scalar(*d.extends) + "\n";

  const bool seccomp = d.default_action || d.unknown_action || !d.architectures.empty() || !d.allow.empty() ||
                       !d.deny.empty() || !d.rules.empty();
  if (seccomp) {
    out += "\nseccomp:\n";
    if (d.default_action) out += "  default: " + Scalar(*d.default_action) + "\n";
    if (d.unknown_action) out += "  unknown: " + Scalar(*d.unknown_action) + "\n";
    if (!d.architectures.empty()) out += "  architectures: " + FlowList(d.architectures) + "\n";
    NameList(out, "allow", d.allow);
    NameList(out, "deny", d.deny);
    if (!d.rules.empty()) {
      out += "  rules:\n";
      for (const auto& r : d.rules) Rule(out, r);
    }
  }
  if (d.caps_drop || d.caps_keep) {
    out += "\ncapabilities:\n";
    if (d.caps_drop) out += "  drop: " + FlowList(*d.caps_drop) + "\n";
    if (d.caps_keep) out += "  keep: " + FlowList(*d.caps_keep) + "\n";
  }
  if (d.no_new_privileges) out += std::string("\nno_new_privileges: ") + (*d.no_new_privileges ? "true" : "false") + "\n";
  return out;
}

}  // namespace rampart::security
