// LXC seccomp policy files, version 2 (lxc.container.conf(5),
// lxc.seccomp.profile) → ForeignFilter and back. On an x86_64 host LXC
// filters x86_64, x86 and x32; `[all]` rules apply to each.
#include <sys/mount.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "security/seccomp_formats.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

std::optional<uint64_t> Number(const std::string& s) {
  if (s.empty() || s[0] == '-') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0') return std::nullopt;
  return v;
}

// `words[i..]` starts with an action: kill | errno N | allow | trap | notify.
// Advances `i` past it; nullopt when there is no action word there.
Result<std::optional<Action>> ParseLxcAction(const std::vector<std::string>& words, size_t& i) {
  if (i >= words.size()) return std::optional<Action>{};
  const std::string w = words[i];
  if (w == "kill") return ++i, std::optional<Action>{Action{Action::Kind::kKillThread, 0}};
  if (w == "allow") return ++i, std::optional<Action>{Action::Allow()};
  if (w == "trap") return ++i, std::optional<Action>{Action{Action::Kind::kTrap, 0}};
  if (w == "notify") return ++i, std::optional<Action>{Action{Action::Kind::kNotify, 0}};
  if (w == "errno") {
    auto n = i + 1 < words.size() ? Number(words[i + 1]) : std::nullopt;
    if (!n || *n > 4095) return Error::Invalid("'errno' needs a number from 0 to 4095");
    i += 2;
    return std::optional<Action>{Action::Errno(static_cast<uint16_t>(*n))};
  }
  if (w.starts_with("[")) return std::optional<Action>{};
  return Error::Invalid("unknown action '" + w + "' (expected kill, errno N, allow, trap or notify)");
}

Result<ArgCondition> ParseLxcArg(const std::string& text) {
  // [index,value,op] or [index,value,op,mask]
  std::string inner = text.substr(1, text.size() - 2);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = inner.find(',', start);
    parts.push_back(Trim(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.size() != 3 && parts.size() != 4)
    return Error::Invalid("argument condition '" + text + "' must be [index,value,op] or [index,value,op,mask]");
  auto index = Number(parts[0]);
  if (!index || *index > 5) return Error::Invalid("argument index '" + parts[0] + "' must be 0 to 5");
  auto value = Number(parts[1]);
  if (!value) return Error::Invalid("argument value '" + parts[1] + "' is not an unsigned number");
  static const std::pair<const char*, CmpOp> kOps[] = {
      {"SCMP_CMP_NE", CmpOp::kNe}, {"!=", CmpOp::kNe}, {"SCMP_CMP_LT", CmpOp::kLt}, {"<", CmpOp::kLt},
      {"SCMP_CMP_LE", CmpOp::kLe}, {"<=", CmpOp::kLe}, {"SCMP_CMP_EQ", CmpOp::kEq}, {"==", CmpOp::kEq},
      {"SCMP_CMP_GE", CmpOp::kGe}, {">=", CmpOp::kGe}, {"SCMP_CMP_GT", CmpOp::kGt}, {">", CmpOp::kGt},
      {"SCMP_CMP_MASKED_EQ", CmpOp::kMaskedEq}, {"&=", CmpOp::kMaskedEq}};
  auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& k) { return parts[2] == k.first; });
  if (it == std::end(kOps))
    return Error::Invalid("unknown operator '" + parts[2] + "' (expected SCMP_CMP_* or != < <= == >= > &=)");
  ArgCondition c{static_cast<unsigned>(*index), it->second, *value, 0};
  if (parts.size() == 4) {
    auto mask = Number(parts[3]);
    if (!mask) return Error::Invalid("argument mask '" + parts[3] + "' is not an unsigned number");
    if (c.op == CmpOp::kMaskedEq) c.mask = *mask;  // LXC: (arg & mask) == value
  } else if (c.op == CmpOp::kMaskedEq) {
    c.mask = 0;  // LXC's mask defaults to 0: (arg & 0) == value
  }
  return c;
}

}  // namespace

Result<ForeignFilter> ParseLxcSeccomp(std::string_view text, const std::string& file) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    lines.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  auto err = [&](size_t line, const std::string& msg) {
    return Error::Invalid(file + ":" + std::to_string(line) + ": " + msg);
  };
  const std::string version = lines.empty() ? "" : Trim(lines[0]);
  if (version == "1") return err(1, "version 1 (numeric syscall lists) is not supported; write version 2");
  if (version != "2") return err(1, "the first line must be the policy version '2'");
  if (lines.size() < 2) return err(2, "missing 'allowlist' or 'denylist' line");
  ForeignFilter f;
  f.arches = {Arch::kX86_64, Arch::kX86, Arch::kX32};  // LXC on an x86_64 host
  auto head = Words(Trim(lines[1]));
  Action rule_default;
  if (head.empty()) return err(2, "expected 'allowlist' or 'denylist' (or 'whitelist'/'blacklist')");
  if (head[0] == "allowlist" || head[0] == "whitelist") {
    f.default_action = Action{Action::Kind::kKillThread, 0};
    rule_default = Action::Allow();
  } else if (head[0] == "denylist" || head[0] == "blacklist") {
    f.default_action = Action::Allow();
    rule_default = Action{Action::Kind::kKillThread, 0};
  } else {
    return err(2, "unknown policy style '" + head[0] + "' (expected allowlist, denylist, whitelist or blacklist)");
  }
  size_t i = 1;
  if (i < head.size() && head[i] == "debug") return err(2, "'debug' is not implemented by LXC either");
  auto def = ParseLxcAction(head, i);
  if (!def) return err(2, def.error().message());
  if (*def) f.default_action = **def;
  if (i < head.size()) return err(2, "unexpected '" + head[i] + "' after the default action");

  std::vector<Arch> section;  // empty: rules are for an architecture rampart does not filter
  bool section_known = true;
  for (size_t n = 2; n < lines.size(); ++n) {
    const size_t lineno = n + 1;
    std::string line = Trim(lines[n]);
    if (auto hash = line.find('#'); hash != std::string::npos) line = Trim(line.substr(0, hash));
    if (line.empty()) continue;
    if (line.front() == '[' && line.find(',') == std::string::npos) {
      if (line.back() != ']') return err(lineno, "unterminated section '" + line + "'");
      const std::string name = Lower(line.substr(1, line.size() - 2));
      section_known = true;
      if (name == "all") section = {};
      else if (name == "x86" || name == "i386") section = {Arch::kX86};
      else if (name == "x32") section = {Arch::kX32};
      else if (name == "x86_64" || name == "amd64") section = {Arch::kX86_64};
      else {
        static const char* kOther[] = {"arm", "arm64", "ppc", "ppc64", "ppc64le", "mips", "mips64", "mips64n32",
                                       "mipsel", "mipsel64", "mipsel64n32", "s390", "s390x", "riscv64", "loongarch64"};
        if (std::none_of(std::begin(kOther), std::end(kOther), [&](const char* k) { return name == k; }))
          return err(lineno, "unknown architecture section '" + line + "'");
        section_known = false;
        f.notes.push_back(file + ":" + std::to_string(lineno) + ": section " + line + " ignored (not an x86 architecture)");
      }
      continue;
    }
    if (!section_known) continue;
    // name [action] [args...]; args may hold spaces inside the brackets.
    auto words = Words(line);
    const std::string name = words[0];
    size_t w = 1;
    auto action = ParseLxcAction(words, w);
    if (!action) return err(lineno, action.error().message());
    std::string rest;
    for (size_t k = w; k < words.size(); ++k) rest += words[k];
    std::vector<ArgCondition> args;
    while (!rest.empty()) {
      if (rest.front() != '[') return err(lineno, "unexpected '" + rest + "' (expected [index,value,op] conditions)");
      size_t close = rest.find(']');
      if (close == std::string::npos) return err(lineno, "unterminated argument condition '" + rest + "'");
      auto c = ParseLxcArg(rest.substr(0, close + 1));
      if (!c) return err(lineno, c.error().message());
      args.push_back(*c);
      rest = rest.substr(close + 1);
    }
    if (args.size() > 6) return err(lineno, "at most 6 argument conditions per rule");
    for (size_t a = 0; a < args.size(); ++a)
      for (size_t b = 0; b < a; ++b)
        if (args[a].index == args[b].index)
          return err(lineno, "two conditions on arg" + std::to_string(args[a].index) +
                                 " in one rule (libseccomp takes one comparison per argument)");
    const std::string where = file + ":" + std::to_string(lineno);
    if (name == "reject_force_umount") {
      // LXC: umount2(target, flags & MNT_FORCE) fails with EACCES.
      f.rules.push_back({"umount2", Action::Errno(EACCES), {ArgCondition{1, CmpOp::kMaskedEq, MNT_FORCE, MNT_FORCE}},
                         section, where});
      continue;
    }
    f.rules.push_back({name, action->value_or(rule_default), args, section, where});
  }
  return f;
}

namespace {

Result<std::string> LxcAction(const Action& a, const std::string& what) {
  switch (a.kind) {
    case Action::Kind::kAllow: return std::string("allow");
    case Action::Kind::kErrno: return "errno " + std::to_string(a.errno_value);
    case Action::Kind::kKillThread: return std::string("kill");
    case Action::Kind::kTrap: return std::string("trap");
    case Action::Kind::kNotify: return std::string("notify");
    case Action::Kind::kKillProcess:
    case Action::Kind::kLog: break;
  }
  return Error::Invalid(what + ": LXC has no action for " + a.ToString() + " (it knows kill, errno N, allow, trap and notify)");
}

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Result<std::string> WriteLxcSeccomp(const ForeignFilter& f) {
  std::vector<Arch> all = {Arch::kX86_64, Arch::kX86, Arch::kX32};
  std::vector<Arch> sorted = f.arches;
  std::sort(sorted.begin(), sorted.end());
  std::sort(all.begin(), all.end());
  if (sorted != all)
    return Error::Invalid("architectures: LXC on an x86_64 host always filters x86_64, x86 and x32; a profile that "
                          "kills the other architectures cannot be written as an LXC policy");
  std::string out = "2\n";
  if (f.default_action.is_allow()) {
    out += "denylist\n";
  } else {
    RAMPART_ASSIGN_OR_RETURN(auto a, LxcAction(f.default_action, "unknown"));
    out += "allowlist " + a + "\n";
  }
  out += "# Written by `rampart policy export --to lxc`: actions are always explicit.\n";
  // A name that exists on one architecture only goes into that section, so
  // that LXC versions resolving names per section find it.
  std::map<std::string, std::vector<std::string>> sections;  // "all", "x86", ...
  for (const auto& r : f.rules) {
    RAMPART_ASSIGN_OR_RETURN(auto a, LxcAction(r.action, r.where));
    std::string line = r.syscall + " " + a;
    for (const auto& c : r.args) {
      if (c.op == CmpOp::kMaskedEq) line += " [" + std::to_string(c.index) + "," + Hex(c.value) + ",SCMP_CMP_MASKED_EQ," + Hex(c.mask) + "]";
      else line += " [" + std::to_string(c.index) + "," + Hex(c.value) + "," + ScmpCmpName(c.op) + "]";
    }
    std::vector<Arch> on;
    for (Arch arch : f.arches)
      if (SyscallNumber(arch, r.syscall)) on.push_back(arch);
    const std::string section = on.size() == 1 ? ArchName(on[0]) : "all";
    sections[section].push_back(line);
  }
  for (const char* s : {"all", "x86_64", "x86", "x32"}) {
    if (!sections.count(s)) continue;
    out += std::string("[") + s + "]\n";
    for (const auto& l : sections[s]) out += l + "\n";
  }
  return out;
}

}  // namespace rampart::security
