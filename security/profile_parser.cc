#include "security/profile_parser.h"

#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "base/strings.h"
#include "security/constants.h"

namespace rampart::security {
namespace {

constexpr unsigned kMaxArgIndex = 5;

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  SourcePos Pos(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    return {file_, m.line + 1, m.column + 1};
  }
  Error Err(const YAML::Node& n, const std::string& msg) const {
    return Error::Invalid(Pos(n).ToString() + ": " + msg);
  }
  Error Err(const SourcePos& p, const std::string& msg) const {
    return Error::Invalid(p.ToString() + ": " + msg);
  }

  // Checks that `n` is a map with only `allowed` keys and no duplicates.
  Status CheckMap(const YAML::Node& n, const std::string& what,
                  std::initializer_list<std::string_view> allowed) const {
    if (!n.IsMap()) return Err(n, what + " must be a mapping");
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return Err(kv.first, "keys must be plain words");
      std::string key = kv.first.Scalar();
      if (!seen.insert(key).second)
        return Err(kv.first, "duplicate key '" + key + "' in " + what);
      bool ok = false;
      for (auto a : allowed) ok |= (a == key);
      if (!ok) {
        std::string expected;
        for (auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
        return Err(kv.first, "unknown key '" + key + "' in " + what + " (expected one of: " + expected + ")");
      }
    }
    return Ok();
  }

  Result<std::string> Str(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) return Err(n, what + " must be a string");
    return n.Scalar();
  }

  Result<Located<std::string>> LocStr(const YAML::Node& n, const std::string& what) const {
    RAMPART_ASSIGN_OR_RETURN(std::string s, Str(n, what));
    return Located<std::string>{s, Pos(n)};
  }

  Result<std::vector<Located<std::string>>> StrList(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) return Err(n, what + " must be a list");
    std::vector<Located<std::string>> out;
    for (const auto& item : n) {
      RAMPART_ASSIGN_OR_RETURN(auto s, LocStr(item, "each entry of " + what));
      if (s.value.empty()) return Err(item, "empty entry in " + what);
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<Located<Action>> LocAction(const YAML::Node& n, const std::string& what) const {
    RAMPART_ASSIGN_OR_RETURN(std::string s, Str(n, what));
    auto a = ParseAction(s);
    if (!a) return Err(n, what + ": " + a.error().message());
    return Located<Action>{*a, Pos(n)};
  }

  Result<bool> Bool(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
    return Err(n, what + " must be true or false");
  }

  Result<Profile> ParseRoot(const YAML::Node& root) {
    Profile p;
    p.path = file_;
    if (!root.IsDefined() || root.IsNull()) return Err(SourcePos{file_, 1, 1}, "empty profile (expected a mapping with at least 'name')");
    RAMPART_TRY(CheckMap(root, "profile",
                         {"name", "description", "extends", "seccomp", "capabilities",
                          "no_new_privileges", "rlimits", "masked_paths", "readonly_paths",
                          "apparmor", "selinux", "filesystem", "landlock", "network"}));
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "name") {
        RAMPART_ASSIGN_OR_RETURN(p.name, LocStr(v, "name"));
        RAMPART_TRY(CheckName(v, p.name.value));
      } else if (key == "description") {
        RAMPART_ASSIGN_OR_RETURN(p.description, Str(v, "description"));
      } else if (key == "extends") {
        RAMPART_ASSIGN_OR_RETURN(auto e, LocStr(v, "extends"));
        if (e.value.empty()) return Err(v, "extends must name a profile or a path");
        p.extends = e;
      } else if (key == "seccomp") {
        RAMPART_ASSIGN_OR_RETURN(p.seccomp, ParseSeccomp(v));
      } else if (key == "capabilities") {
        RAMPART_ASSIGN_OR_RETURN(p.capabilities, ParseCaps(v));
      } else if (key == "no_new_privileges") {
        RAMPART_ASSIGN_OR_RETURN(bool b, Bool(v, "no_new_privileges"));
        p.no_new_privileges = Located<bool>{b, Pos(v)};
      } else if (key == "rlimits") {
        RAMPART_ASSIGN_OR_RETURN(p.rlimits, ParseRlimits(v));
      } else if (key == "masked_paths" || key == "readonly_paths") {
        RAMPART_ASSIGN_OR_RETURN(auto paths, StrList(v, key));
        for (const auto& path : paths)
          if (!path.value.starts_with("/") || path.value.find("/../") != std::string::npos || path.value.ends_with("/.."))
            return Err(path.pos, key + ": '" + path.value + "' must be an absolute path without '..'");
        (key == "masked_paths" ? p.masked_paths : p.readonly_paths) = std::move(paths);
      } else if (key == "filesystem") {
        RAMPART_ASSIGN_OR_RETURN(p.filesystem, ParseFilesystem(v));
      } else if (key == "landlock") {
        RAMPART_ASSIGN_OR_RETURN(p.landlock, ParseLandlock(v));
      } else if (key == "network") {
        RAMPART_ASSIGN_OR_RETURN(p.network, ParseNetwork(v));
      } else if (key == "apparmor") {
        RAMPART_ASSIGN_OR_RETURN(p.apparmor, ParseAppArmor(v));
      } else if (key == "selinux") {
        RAMPART_ASSIGN_OR_RETURN(p.selinux, ParseSelinux(v));
      }
    }
    if (p.name.value.empty()) return Err(root, "profile has no 'name'");
    return p;
  }

  Result<NetworkSpec> ParseNetwork(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "network", {"families", "tcp"}));
    NetworkSpec net;
    net.pos = Pos(n);
    if (const YAML::Node& f = n["families"]) {
      if (!f.IsSequence()) return Err(f, "network.families must be a list (unix, inet, inet6, netlink, packet, raw; [] for none)");
      uint8_t bits = 0;
      for (const auto& w : f) {
        RAMPART_ASSIGN_OR_RETURN(std::string word, Str(w, "each network family"));
        uint8_t bit = 0;
        for (uint8_t b = 1; b && b <= kNetRaw; b <<= 1)
          if (NetFamilyName(b) == word) bit = b;
        if (!bit) return Err(w, "unknown network family '" + word + "' (expected unix, inet, inet6, netlink, packet or raw)");
        if (bits & bit) return Err(w, "network family '" + word + "' is listed twice");
        bits |= bit;
        net.family_pos[bit] = Pos(w);
      }
      if ((bits & kNetRaw) && !(bits & (kNetInet | kNetInet6)))
        return Err(f, "network family 'raw' stands for raw inet sockets: list inet or inet6 with it");
      net.families = Located<uint8_t>{bits, Pos(f)};
    }
    if (const YAML::Node& t = n["tcp"]) {
      RAMPART_TRY(CheckMap(t, "network.tcp", {"bind", "connect"}));
      for (const char* dir : {"bind", "connect"}) {
        const YAML::Node& d = t[dir];
        if (!d) continue;
        const std::string what = std::string("network.tcp.") + dir;
        if (d.IsScalar() && d.Scalar() == "any") continue;  // the same as leaving it out
        if (!d.IsSequence()) return Err(d, what + " must be a list of ports (1-65535, or 0 for bind), [] for none, or any");
        TcpPortsSpec ports;
        ports.pos = Pos(d);
        for (const auto& e : d) {
          std::optional<uint64_t> v;
          if (e.IsScalar())
            if (auto parsed = ParseUint64(e.Scalar())) v = *parsed;
          const bool zero_ok = std::string(dir) == "bind";  // bind(0): an ephemeral port
          if (!v || *v > 65535 || (*v == 0 && !zero_ok))
            return Err(e, what + ": '" + (e.IsScalar() ? e.Scalar() : std::string("?")) + "' is not a port (" +
                              (zero_ok ? "0-65535" : "1-65535") + ")");
          ports.ports.push_back(static_cast<uint16_t>(*v));
        }
        if (ports.ports.size() > 1024) return Err(d, what + " lists more than 1024 ports");
        std::sort(ports.ports.begin(), ports.ports.end());
        ports.ports.erase(std::unique(ports.ports.begin(), ports.ports.end()), ports.ports.end());
        (std::string(dir) == "bind" ? net.tcp_bind : net.tcp_connect) = std::move(ports);
      }
    }
    return net;
  }

  Result<AppArmorSpec> ParseAppArmor(const YAML::Node& n) const {
    AppArmorSpec a;
    a.pos = Pos(n);
    if (n.IsScalar()) {  // `apparmor: unconfined` is short for {profile: unconfined}
      RAMPART_ASSIGN_OR_RETURN(a.profile, LocStr(n, "apparmor"));
    } else {
      RAMPART_TRY(CheckMap(n, "apparmor", {"profile", "enforce"}));
      if (n["profile"]) {
        RAMPART_ASSIGN_OR_RETURN(a.profile, LocStr(n["profile"], "apparmor.profile"));
      }
      if (n["enforce"]) {
        RAMPART_ASSIGN_OR_RETURN(a.enforce, ParseMode(n["enforce"], "apparmor.enforce"));
      }
    }
    const std::string& name = a.profile.value;
    bool ok = !name.empty() && name.size() <= 200 && name[0] != '-';
    for (char c : name) ok &= std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_.-/+:", c) != nullptr;
    if (!ok) return Err(a.profile.pos, "apparmor.profile '" + name + "' must be generate, unconfined or a profile name ([A-Za-z0-9_.+:/-])");
    return a;
  }

  Result<SelinuxSpec> ParseSelinux(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "selinux", {"type", "level", "mount_label", "enforce"}));
    SelinuxSpec se;
    se.pos = Pos(n);
    if (n["type"]) {
      RAMPART_ASSIGN_OR_RETURN(se.type, LocStr(n["type"], "selinux.type"));
      bool ok = se.type.value == "generate" || (se.type.value.size() > 2 && se.type.value.ends_with("_t"));
      for (char c : se.type.value) ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      if (!ok) return Err(n["type"], "selinux.type '" + se.type.value + "' must be generate or a type name ending in _t");
    }
    if (n["level"]) {
      RAMPART_ASSIGN_OR_RETURN(se.level, LocStr(n["level"], "selinux.level"));
      bool ok = se.level.value == "auto" || se.level.value.starts_with("s");
      for (char c : se.level.value) ok &= std::isalnum(static_cast<unsigned char>(c)) || std::strchr(":,.-", c) != nullptr;
      if (!ok) return Err(n["level"], "selinux.level '" + se.level.value + "' must be auto or an MLS/MCS level such as s0:c1,c2");
    }
    if (n["mount_label"]) {
      RAMPART_ASSIGN_OR_RETURN(auto m, LocStr(n["mount_label"], "selinux.mount_label"));
      if (std::count(m.value.begin(), m.value.end(), ':') < 3 || m.value.find_first_of(" \t\n\"\\") != std::string::npos)
        return Err(n["mount_label"], "selinux.mount_label '" + m.value + "' must be a full context user:role:type:level");
      se.mount_label = m;
    }
    if (n["enforce"]) {
      RAMPART_ASSIGN_OR_RETURN(se.enforce, ParseMode(n["enforce"], "selinux.enforce"));
    }
    return se;
  }

  Result<Located<EnforceMode>> ParseMode(const YAML::Node& n, const std::string& what) const {
    RAMPART_ASSIGN_OR_RETURN(std::string word, Str(n, what));
    auto mode = ParseEnforceMode(word);
    if (!mode) return Err(n, what + ": unknown mode '" + word + "' (expected required, if-available or off)");
    return Located<EnforceMode>{*mode, Pos(n)};
  }

  // An absolute path without '.' or '..' components, '//' and a trailing
  // '/' folded away.
  Result<std::string> NormalisePath(const YAML::Node& n, const std::string& path) const {
    if (!path.starts_with("/")) return Err(n, "filesystem path '" + path + "' must be absolute");
    std::string out;
    for (const auto& part : Split(path, '/')) {
      if (part.empty()) continue;
      if (part == "." || part == "..")
        return Err(n, "filesystem path '" + path + "' must not contain '" + part + "' components");
      out += "/" + part;
    }
    return out.empty() ? "/" : out;
  }

  Result<uint8_t> ParseAccess(const YAML::Node& n) const {
    if (!n.IsScalar() && !n.IsSequence()) return Err(n, "access must be a word or a list of words");
    std::vector<YAML::Node> words;
    if (n.IsScalar()) words.push_back(n);
    else
      for (const auto& w : n) words.push_back(w);
    if (words.empty()) return Err(n, "access must not be empty (use none to deny everything)");
    uint8_t access = 0;
    bool none = false;
    for (const auto& w : words) {
      RAMPART_ASSIGN_OR_RETURN(std::string word, Str(w, "each access word"));
      if (word == "none") none = true;
      else if (word == "read") access |= kFsRead;
      else if (word == "write") access |= kFsWrite;
      else if (word == "exec") access |= kFsExec;
      else if (word == "create") access |= kFsCreate;
      else return Err(w, "unknown access '" + word + "' (expected read, write, exec, create or none)");
      if (none && words.size() > 1) return Err(w, "access 'none' cannot be combined with other access words");
    }
    return access;
  }

  Result<FilesystemSpec> ParseFilesystem(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "filesystem", {"paths", "readonly_root", "tmpfs"}));
    FilesystemSpec f;
    f.pos = Pos(n);
    if (!n["paths"] && !n["readonly_root"] && !n["tmpfs"])
      return Err(n, "filesystem needs 'paths', 'readonly_root' or 'tmpfs'");
    if (const YAML::Node& ro = n["readonly_root"]) {
      RAMPART_ASSIGN_OR_RETURN(bool b, Bool(ro, "filesystem.readonly_root"));
      f.readonly_root = Located<bool>{b, Pos(ro)};
    }
    if (const YAML::Node& t = n["tmpfs"]) {
      RAMPART_ASSIGN_OR_RETURN(auto list, StrList(t, "filesystem.tmpfs"));
      for (auto& e : list) {
        RAMPART_ASSIGN_OR_RETURN(e.value, NormalisePath(t, e.value));
        if (e.value == "/") return Err(e.pos, "filesystem.tmpfs: '/' cannot be a tmpfs (use readonly_root and tmpfs paths below it)");
        for (const auto& prev : f.tmpfs)
          if (prev.value == e.value) return Err(e.pos, "filesystem.tmpfs: '" + e.value + "' is listed twice");
        f.tmpfs.push_back(e);
      }
    }
    if (!n["paths"]) return f;
    f.has_paths = true;
    const YAML::Node& paths = n["paths"];
    if (!paths.IsSequence()) return Err(paths, "filesystem.paths must be a list");
    std::map<std::string, size_t> seen;
    for (const auto& e : paths) {
      RAMPART_TRY(CheckMap(e, "filesystem.paths entry", {"path", "access"}));
      if (!e["path"] || !e["access"]) return Err(e, "a filesystem.paths entry needs path and access");
      FsPathSpec spec;
      RAMPART_ASSIGN_OR_RETURN(spec.path, LocStr(e["path"], "path"));
      RAMPART_ASSIGN_OR_RETURN(spec.path.value, NormalisePath(e["path"], spec.path.value));
      RAMPART_ASSIGN_OR_RETURN(spec.access, ParseAccess(e["access"]));
      spec.pos = spec.path.pos;
      if (auto it = seen.find(spec.path.value); it != seen.end()) {
        const FsPathSpec& prev = f.paths[it->second];
        if (prev.access != spec.access)
          return Err(spec.pos, "filesystem path '" + spec.path.value + "' has access " + FsAccessToString(spec.access) +
                                   " here but " + FsAccessToString(prev.access) + " at " + prev.pos.ToString() +
                                   "; one path takes one access");
        continue;
      }
      seen[spec.path.value] = f.paths.size();
      f.paths.push_back(std::move(spec));
    }
    return f;
  }

  Result<LandlockSpec> ParseLandlock(const YAML::Node& n) const {
    LandlockSpec l;
    if (n.IsScalar()) {
      RAMPART_ASSIGN_OR_RETURN(l.mode, ParseMode(n, "landlock"));
      return l;
    }
    RAMPART_TRY(CheckMap(n, "landlock", {"mode", "min_abi"}));
    if (!n["mode"]) return Err(n, "landlock needs 'mode' (required, if-available or off)");
    RAMPART_ASSIGN_OR_RETURN(l.mode, ParseMode(n["mode"], "landlock.mode"));
    if (n["min_abi"]) {
      const YAML::Node& m = n["min_abi"];
      if (!m.IsScalar()) return Err(m, "landlock.min_abi must be a number from 1 (the Landlock ABI version)");
      auto v = ParseUint64(m.Scalar());
      if (!v || *v < 1 || *v > 1000) return Err(m, "landlock.min_abi must be a number from 1 (the Landlock ABI version)");
      l.min_abi = static_cast<uint32_t>(*v);
    }
    return l;
  }

  Status CheckName(const YAML::Node& n, const std::string& name) const {
    bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name) ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    if (!ok) return Err(n, "name '" + name + "' must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64 characters)");
    return Ok();
  }

  Result<SeccompSpec> ParseSeccomp(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "seccomp", {"default", "unknown", "architectures", "allow", "deny", "rules", "optimize"}));
    SeccompSpec s;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "default") {
        RAMPART_ASSIGN_OR_RETURN(s.default_action, LocAction(v, "seccomp.default"));
        if (s.default_action->value.is_allow())
          return Err(v, "seccomp.default may not be allow (it applies to denied syscalls); for a denylist profile set 'unknown: allow'");
      } else if (key == "unknown") {
        RAMPART_ASSIGN_OR_RETURN(s.unknown_action, LocAction(v, "seccomp.unknown"));
      } else if (key == "architectures") {
        RAMPART_ASSIGN_OR_RETURN(auto names, StrList(v, "seccomp.architectures"));
        Located<std::vector<Arch>> arches{{}, Pos(v)};
        for (const auto& name : names) {
          auto a = ParseArch(name.value);
          if (!a) return Err(name.pos, "unknown architecture '" + name.value + "' (expected native, x86_64, x86 or x32)");
          arches.value.push_back(*a);
        }
        if (arches.value.empty()) return Err(v, "seccomp.architectures must not be empty");
        s.architectures = arches;
      } else if (key == "allow") {
        RAMPART_ASSIGN_OR_RETURN(s.allow, StrList(v, "seccomp.allow"));
      } else if (key == "deny") {
        RAMPART_ASSIGN_OR_RETURN(s.deny, StrList(v, "seccomp.deny"));
      } else if (key == "optimize") {
        RAMPART_ASSIGN_OR_RETURN(auto o, LocStr(v, "seccomp.optimize"));
        if (o.value != "auto" && o.value != "linear" && o.value != "tree")
          return Err(v, "seccomp.optimize must be auto, linear or tree");
        s.optimize = o;
      } else if (key == "rules") {
        if (!v.IsSequence()) return Err(v, "seccomp.rules must be a list");
        for (const auto& r : v) {
          RAMPART_ASSIGN_OR_RETURN(auto rule, ParseRule(r));
          s.rules.push_back(std::move(rule));
        }
      }
    }
    return s;
  }

  Result<SeccompRuleSpec> ParseRule(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "seccomp rule", {"syscall", "syscalls", "action", "args", "comment"}));
    SeccompRuleSpec r;
    r.pos = Pos(n);
    r.action = Located<Action>{Action::Allow(), Pos(n)};
    if (n["syscall"] && n["syscalls"]) return Err(n, "a rule takes 'syscall' or 'syscalls', not both");
    if (n["syscall"]) {
      RAMPART_ASSIGN_OR_RETURN(auto s, LocStr(n["syscall"], "syscall"));
      r.syscalls.push_back(s);
    } else if (n["syscalls"]) {
      RAMPART_ASSIGN_OR_RETURN(r.syscalls, StrList(n["syscalls"], "syscalls"));
    }
    if (r.syscalls.empty()) return Err(n, "a rule needs 'syscall' or a non-empty 'syscalls' list");
    if (n["action"]) {
      RAMPART_ASSIGN_OR_RETURN(r.action, LocAction(n["action"], "action"));
    }
    if (n["comment"]) {
      RAMPART_ASSIGN_OR_RETURN(r.comment, Str(n["comment"], "comment"));
    }
    if (n["args"]) {
      const YAML::Node& args = n["args"];
      if (!args.IsSequence()) return Err(args, "args must be a list of conditions");
      for (const auto& a : args) {
        RAMPART_ASSIGN_OR_RETURN(auto c, ParseArg(a));
        r.args.push_back(c);
      }
      if (r.args.size() > 6) return Err(args, "at most 6 argument conditions per rule");
    }
    return r;
  }

  Result<ArgCondition> ParseArg(const YAML::Node& n) const {
    if (n.IsScalar()) {
      auto c = ParseCondition(n.Scalar());
      if (!c) return Err(n, c.error().message());
      return *c;
    }
    RAMPART_TRY(CheckMap(n, "argument condition", {"index", "op", "value", "mask"}));
    if (!n["index"] || !n["op"] || !n["value"]) return Err(n, "an argument condition needs index, op and value");
    ArgCondition c;
    auto idx = ParseUint64(n["index"].Scalar());
    if (!idx || *idx > kMaxArgIndex) return Err(n["index"], "argument index must be 0-5");
    c.index = static_cast<unsigned>(*idx);
    const std::string op = n["op"].Scalar();
    static const std::pair<std::string_view, CmpOp> kOps[] = {
        {"==", CmpOp::kEq}, {"!=", CmpOp::kNe}, {"<", CmpOp::kLt}, {"<=", CmpOp::kLe},
        {">", CmpOp::kGt}, {">=", CmpOp::kGe}, {"&==", CmpOp::kMaskedEq}, {"masked==", CmpOp::kMaskedEq}};
    bool found = false;
    for (const auto& [w, o] : kOps)
      if (w == op) c.op = o, found = true;
    if (!found) return Err(n["op"], "unknown operator '" + op + "' (expected ==, !=, <, <=, >, >= or masked==)");
    auto v = ParseValueExpr(n["value"].Scalar());
    if (!v) return Err(n["value"], v.error().message());
    c.value = *v;
    if (c.op == CmpOp::kMaskedEq) {
      if (!n["mask"]) return Err(n, "masked== needs a mask");
      auto m = ParseValueExpr(n["mask"].Scalar());
      if (!m) return Err(n["mask"], m.error().message());
      c.mask = *m;
    } else if (n["mask"]) {
      return Err(n["mask"], "mask is only allowed with masked==");
    }
    return c;
  }

  Result<CapabilitiesSpec> ParseCaps(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "capabilities", {"keep", "drop", "ambient", "dangerous_inheritable"}));
    CapabilitiesSpec c;
    if (n["keep"]) {
      RAMPART_ASSIGN_OR_RETURN(c.keep, StrList(n["keep"], "capabilities.keep"));
    }
    if (n["drop"]) {
      RAMPART_ASSIGN_OR_RETURN(c.drop, StrList(n["drop"], "capabilities.drop"));
    }
    if (n["ambient"]) {
      RAMPART_ASSIGN_OR_RETURN(c.ambient, StrList(n["ambient"], "capabilities.ambient"));
    }
    if (n["dangerous_inheritable"]) {
      RAMPART_ASSIGN_OR_RETURN(c.dangerous_inheritable,
                               StrList(n["dangerous_inheritable"], "capabilities.dangerous_inheritable"));
    }
    return c;
  }

  Result<uint64_t> RlimitValue(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) return Err(n, what + " must be a number or unlimited");
    if (n.Scalar() == "unlimited" || n.Scalar() == "infinity") return static_cast<uint64_t>(RLIM_INFINITY);
    auto v = ParseUint64(n.Scalar());
    if (!v) return Err(n, what + ": '" + n.Scalar() + "' is not a number or unlimited");
    return *v;
  }

  Result<std::vector<RlimitSpec>> ParseRlimits(const YAML::Node& n) const {
    RAMPART_TRY(CheckMap(n, "rlimits",
                         {"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                          "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}));
    std::vector<RlimitSpec> out;
    for (const auto& kv : n) {
      RlimitSpec r;
      r.name = kv.first.Scalar();
      r.pos = Pos(kv.second);
      const YAML::Node& v = kv.second;
      const std::string what = "rlimits." + r.name;
      if (v.IsScalar()) {
        RAMPART_ASSIGN_OR_RETURN(r.soft, RlimitValue(v, what));
        r.hard = r.soft;
      } else if (v.IsSequence() && v.size() == 2) {
        RAMPART_ASSIGN_OR_RETURN(r.soft, RlimitValue(v[0], what));
        RAMPART_ASSIGN_OR_RETURN(r.hard, RlimitValue(v[1], what));
      } else if (v.IsMap()) {
        RAMPART_TRY(CheckMap(v, what, {"soft", "hard"}));
        if (!v["soft"] || !v["hard"]) return Err(v, what + " needs soft and hard");
        RAMPART_ASSIGN_OR_RETURN(r.soft, RlimitValue(v["soft"], what));
        RAMPART_ASSIGN_OR_RETURN(r.hard, RlimitValue(v["hard"], what));
      } else {
        return Err(v, what + " must be N, [soft, hard] or {soft: N, hard: N}");
      }
      if (r.soft > r.hard) return Err(v, what + ": soft limit is above the hard limit");
      out.push_back(r);
    }
    return out;
  }

 private:
  std::string file_;
};

// Finds duplicate keys anywhere in the document (yaml-cpp keeps both).
Status CheckDuplicates(const YAML::Node& n, const Parser& p) {
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second)
        return p.Err(kv.first, "duplicate key '" + kv.first.Scalar() + "'");
      RAMPART_TRY(CheckDuplicates(kv.second, p));
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) RAMPART_TRY(CheckDuplicates(item, p));
  }
  return Ok();
}

}  // namespace

std::string SourcePos::ToString() const {
  std::string s = file.empty() ? "<input>" : file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  return s;
}

Result<ArgCondition> ParseCondition(std::string_view text) {
  std::string_view t = Trim(text);
  const std::string shown = "condition '" + std::string(text) + "'";
  if (!t.starts_with("arg") || t.size() < 4 || t[3] < '0' || t[3] > '9')
    return Error::Invalid(shown + ": expected 'argN OP VALUE' or 'argN & MASK == VALUE'");
  size_t i = 3;
  unsigned index = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    index = index * 10 + (t[i++] - '0');
    if (index > kMaxArgIndex) {
      return Error::Invalid(shown + ": argument index " + std::string(t.substr(3, i - 3)) +
                            (i < t.size() && t[i] >= '0' && t[i] <= '9' ? "..." : "") + " is out of range 0-5");
    }
  }
  std::string_view rest = Trim(t.substr(i));
  ArgCondition c;
  c.index = index;
  if (rest.starts_with("&") && !rest.starts_with("&&")) {
    size_t eq = rest.find("==");
    if (eq == std::string_view::npos) return Error::Invalid(shown + ": a masked condition needs '== VALUE'");
    RAMPART_ASSIGN_OR_RETURN(c.mask, ParseValueExpr(Trim(rest.substr(1, eq - 1))));
    RAMPART_ASSIGN_OR_RETURN(c.value, ParseValueExpr(Trim(rest.substr(eq + 2))));
    c.op = CmpOp::kMaskedEq;
    return c;
  }
  static const std::pair<std::string_view, CmpOp> kOps[] = {
      {"==", CmpOp::kEq}, {"!=", CmpOp::kNe}, {"<=", CmpOp::kLe},
      {">=", CmpOp::kGe}, {"<", CmpOp::kLt},  {">", CmpOp::kGt}};
  for (const auto& [word, op] : kOps) {
    if (rest.starts_with(word)) {
      c.op = op;
      auto v = ParseValueExpr(Trim(rest.substr(word.size())));
      if (!v) return Error::Invalid(shown + ": " + v.error().message());
      c.value = *v;
      return c;
    }
  }
  return Error::Invalid(shown + ": expected an operator (==, !=, <, <=, >, >=, or & MASK ==)");
}

Result<Profile> ParseProfile(std::string_view text, const std::string& file) {
  Parser p(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    SourcePos pos{file, e.mark.line + 1, e.mark.column + 1};
    return Error::Invalid(pos.ToString() + ": malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Error::Invalid(file + ": malformed YAML: " + e.what());
  }
  try {
    RAMPART_TRY(CheckDuplicates(root, p));
    return p.ParseRoot(root);
  } catch (const YAML::Exception& e) {
    SourcePos pos{file, e.mark.line + 1, e.mark.column + 1};
    return Error::Invalid(pos.ToString() + ": " + e.msg);
  }
}

}  // namespace rampart::security
