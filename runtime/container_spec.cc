#include "runtime/container_spec.h"

#include "net/attachment.h"
#include "net/nat.h"

#include <dirent.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "base/atomic_file.h"
#include "base/strings.h"

namespace rampart::runtime {

std::vector<std::string> DefaultEnv() {
  return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
          "TERM=xterm"};
}

namespace {

constexpr uint64_t kMaxId = 4294967294ULL;
constexpr uint64_t kMaxCpuWeight = 10000;

const char* const kNoRangeMessage =
    "user namespace requested but no id range: add root:100000:65536 to /etc/subuid or set idmap";

bool AbsoluteClean(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  for (const auto& part : Split(p, '/'))
    if (part == "..") return false;
  return true;
}

bool ValidHostname(std::string_view h) {
  if (h.empty() || h.size() > 64 || h[0] == '-' || h[0] == '.') return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A problem found by the cross-field checks: which top-level key it is about
// (so Parse can point at where that key was last set) and the message.
struct Problem {
  std::string field;
  std::string message;
};

std::optional<Problem> Check(const ContainerSpec& s, bool complete) {
  auto P = [](std::string field, std::string msg) {
    return std::optional<Problem>(Problem{std::move(field), std::move(msg)});
  };
  if (complete && s.name.empty()) return P("name", "name is not set");
  if (!s.name.empty()) {
    if (auto st = ValidateName(s.name); !st) return P("name", st.error().message());
  }
  if (complete && s.rootfs.empty()) return P("rootfs", "rootfs is not set");
  if (!s.rootfs.empty() && !AbsoluteClean(s.rootfs))
    return P("rootfs", "rootfs '" + s.rootfs + "' must be an absolute path without '..'");
  if ((complete || !s.hostname.empty()) && !ValidHostname(s.hostname))
    return P("hostname",
             "hostname '" + s.hostname +
                 "' must be 1-64 letters, digits, '-', '_' or '.', not starting with '-' or '.'");
  if (!AbsoluteClean(s.cwd))
    return P("cwd", "cwd '" + s.cwd + "' must be an absolute path without '..'");
  if (s.command.empty() || s.command[0].empty()) return P("command", "command must not be empty");
  for (const auto& e : s.env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return P("env", "env entry '" + e + "' must look like KEY=value");
  }
  if (s.profile.empty()) return P("profile", "profile must not be empty");
  if (!s.namespaces.mount)
    return P("namespaces",
             "namespaces.mount cannot be false: the rootfs is set up in a private mount namespace");
  if (s.namespaces.user) {
    if (s.uid_map.empty() || s.gid_map.empty()) return P("namespaces", kNoRangeMessage);
    if (auto st = ValidateIdMap(s.uid_map, "idmap.uid"); !st)
      return P("idmap", st.error().message());
    if (auto st = ValidateIdMap(s.gid_map, "idmap.gid"); !st)
      return P("idmap", st.error().message());
    if (!MapToHost(s.uid_map, 0)) return P("idmap", "idmap.uid must map container uid 0");
    if (!MapToHost(s.gid_map, 0)) return P("idmap", "idmap.gid must map container gid 0");
    if (!MapToHost(s.uid_map, s.uid))
      return P("user", "user: uid " + std::to_string(s.uid) + " is not in idmap.uid");
    if (!MapToHost(s.gid_map, s.gid))
      return P("user", "user: gid " + std::to_string(s.gid) + " is not in idmap.gid");
    for (uint32_t g : s.additional_gids)
      if (!MapToHost(s.gid_map, g))
        return P("additional_gids",
                 "additional_gids: gid " + std::to_string(g) + " is not in idmap.gid");
  } else if (!s.uid_map.empty() || !s.gid_map.empty()) {
    return P("idmap", "idmap is set but namespaces.user is false");
  }
  for (const auto& m : s.mounts) {
    if (!AbsoluteClean(m.target))
      return P("mounts", "mount target '" + m.target + "' must be an absolute path without '..'");
    if (m.type.empty()) return P("mounts", "mount type for " + m.target + " must not be empty");
    if (m.type == "bind" && !AbsoluteClean(m.source))
      return P("mounts", "bind mount source '" + m.source + "' for " + m.target +
                             " must be an absolute path without '..'");
    if (m.source.empty()) return P("mounts", "mount source for " + m.target + " must not be empty");
  }
  const auto& l = s.limits;
  if (l.memory_bytes && *l.memory_bytes == 0)
    return P("limits", "limits.memory must be greater than 0");
  if (l.pids_max && *l.pids_max == 0) return P("limits", "limits.pids must be greater than 0");
  if (l.cpu_weight && (*l.cpu_weight == 0 || *l.cpu_weight > kMaxCpuWeight))
    return P("limits", "limits.cpu_weight must be between 1 and 10000");
  if (l.cpus && !(std::isfinite(*l.cpus) && *l.cpus > 0))
    return P("limits", "limits.cpus must be greater than 0");
  for (const auto& n : s.networks)
    if (n.empty()) return P("networks", "networks entries must not be empty");
  if (auto a = net::ParseNetAttachments(s.networks); !a) return P("networks", a.error().message());
  if (!s.namespaces.net && !s.networks.empty())
    return P("networks", "networks need the container's own network namespace (namespaces.net: true)");
  for (const auto& p : s.publish)
    if (auto f = net::ParsePublish(p); !f) return P("publish", f.error().message());
  if (!s.publish.empty() && s.networks.empty())
    return P("publish", "publish needs a network to forward to");
  return std::nullopt;
}

enum class Layer { kDefaults, kContainer };

// What the layers accumulate: the spec plus what Parse needs afterwards.
struct ParseState {
  ContainerSpec spec;
  std::vector<IdMapRange> default_uid_map, default_gid_map;
  std::map<std::string, std::string> pos_of;  // top-level key → "file:line:column" where last set
};

class Parser {
 public:
  Parser(std::string file, Layer layer, std::string_view expected_name, ParseState& st)
      : file_(std::move(file)), layer_(layer), expected_name_(expected_name), st_(st) {}

  std::string Pos(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return file_;
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  Error Err(const YAML::Node& n, const std::string& msg) const {
    return Error::Invalid(Pos(n) + ": " + msg);
  }

  Status CheckMap(const YAML::Node& n, const std::string& what,
                  std::initializer_list<std::string_view> allowed) const {
    if (!n.IsMap()) return Err(n, what + " must be a mapping");
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) return Err(kv.first, "keys in " + what + " must be plain words");
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) return Err(kv.first, "duplicate key '" + key + "' in " + what);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string expected;
        for (auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
        return Err(kv.first,
                   "unknown key '" + key + "' in " + what + " (expected one of: " + expected + ")");
      }
    }
    return Ok();
  }

  Result<std::string> Str(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) return Err(n, what + " must be a string");
    return n.Scalar();
  }
  Result<bool> Bool(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false"))
      return n.Scalar() == "true";
    return Err(n, what + " must be true or false");
  }
  Result<uint64_t> Uint(const YAML::Node& n, const std::string& what,
                        uint64_t max = UINT64_MAX) const {
    if (!n.IsScalar()) return Err(n, what + " must be a number");
    auto v = ParseUint64(n.Scalar());
    if (!v) return Err(n, what + " must be a non-negative integer, not '" + n.Scalar() + "'");
    if (*v > max) return Err(n, what + " " + n.Scalar() + " is larger than " + std::to_string(max));
    return *v;
  }
  Result<std::vector<std::string>> StrList(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) return Err(n, what + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : n) {
      RAMPART_ASSIGN_OR_RETURN(std::string s, Str(item, "each entry of " + what));
      out.push_back(std::move(s));
    }
    return out;
  }
  Status AbsPath(const YAML::Node& n, const std::string& value, const std::string& what) const {
    if (!AbsoluteClean(value))
      return Err(n, what + " '" + value + "' must be an absolute path without '..'");
    return Ok();
  }

  Status Apply(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) return Ok();  // an empty file: nothing to set
    const bool defaults = layer_ == Layer::kDefaults;
    if (defaults) {
      RAMPART_TRY(CheckMap(
          root, "defaults",
          {"command", "env", "cwd", "user", "additional_gids", "hostname", "namespaces",
           "default_idmap", "mounts", "limits", "profile", "networks", "publish", "tty", "init", "allow_dangerous",
           "criu"}));
    } else {
      RAMPART_TRY(CheckMap(root, "container config",
                           {"name", "rootfs", "template", "command", "env", "cwd", "user",
                            "additional_gids", "hostname", "namespaces", "idmap", "mounts",
                            "limits", "profile", "networks", "publish", "tty", "init", "allow_dangerous",
                            "criu"}));
    }
    ContainerSpec& s = st_.spec;
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      st_.pos_of[key] = Pos(v);
      if (key == "name") {
        RAMPART_ASSIGN_OR_RETURN(std::string name, Str(v, "name"));
        if (auto ok = ValidateName(name); !ok) return Err(v, ok.error().message());
        if (!expected_name_.empty() && name != expected_name_)
          return Err(v, "name '" + name + "' does not match the container name '" +
                            std::string(expected_name_) + "'");
        s.name = name;
      } else if (key == "rootfs") {
        RAMPART_ASSIGN_OR_RETURN(s.rootfs, Str(v, "rootfs"));
        RAMPART_TRY(AbsPath(v, s.rootfs, "rootfs"));
      } else if (key == "template") {
        RAMPART_ASSIGN_OR_RETURN(s.template_ref, Str(v, "template"));
      } else if (key == "command") {
        RAMPART_ASSIGN_OR_RETURN(s.command, StrList(v, "command"));
        if (s.command.empty() || s.command[0].empty()) return Err(v, "command must not be empty");
      } else if (key == "env") {
        RAMPART_TRY(ApplyEnv(v));
      } else if (key == "cwd") {
        RAMPART_ASSIGN_OR_RETURN(s.cwd, Str(v, "cwd"));
        RAMPART_TRY(AbsPath(v, s.cwd, "cwd"));
      } else if (key == "user") {
        RAMPART_TRY(ApplyUser(v));
      } else if (key == "additional_gids") {
        if (!v.IsSequence()) return Err(v, "additional_gids must be a list");
        s.additional_gids.clear();
        for (const auto& g : v) {
          RAMPART_ASSIGN_OR_RETURN(uint64_t gid, Uint(g, "each of additional_gids", kMaxId));
          s.additional_gids.push_back(static_cast<uint32_t>(gid));
        }
      } else if (key == "hostname") {
        RAMPART_ASSIGN_OR_RETURN(s.hostname, Str(v, "hostname"));
        if (!ValidHostname(s.hostname))
          return Err(
              v,
              "hostname '" + s.hostname +
                  "' must be 1-64 letters, digits, '-', '_' or '.', not starting with '-' or '.'");
      } else if (key == "namespaces") {
        RAMPART_TRY(ApplyNamespaces(v));
      } else if (key == "idmap") {
        RAMPART_TRY(ParseIdMaps(v, "idmap", s.uid_map, s.gid_map));
      } else if (key == "default_idmap") {
        RAMPART_TRY(ParseIdMaps(v, "default_idmap", st_.default_uid_map, st_.default_gid_map));
      } else if (key == "mounts") {
        RAMPART_TRY(ApplyMounts(v));
      } else if (key == "limits") {
        RAMPART_TRY(ApplyLimits(v));
      } else if (key == "profile") {
        RAMPART_ASSIGN_OR_RETURN(s.profile, Str(v, "profile"));
        if (s.profile.empty()) return Err(v, "profile must not be empty");
      } else if (key == "networks") {
        RAMPART_ASSIGN_OR_RETURN(s.networks, StrList(v, "networks"));
        for (const auto& n : s.networks)
          if (n.empty()) return Err(v, "networks entries must not be empty");
      } else if (key == "publish") {
        RAMPART_ASSIGN_OR_RETURN(s.publish, StrList(v, "publish"));
      } else if (key == "criu") {
        RAMPART_ASSIGN_OR_RETURN(s.criu, Str(v, "criu"));
        RAMPART_TRY(AbsPath(v, s.criu, "criu"));
      } else if (key == "init") {
        RAMPART_ASSIGN_OR_RETURN(s.init, Bool(v, "init"));
      } else if (key == "tty") {
        RAMPART_ASSIGN_OR_RETURN(s.tty, Bool(v, "tty"));
      } else if (key == "allow_dangerous") {
        RAMPART_ASSIGN_OR_RETURN(s.allow_dangerous, Bool(v, "allow_dangerous"));
      }
    }
    return Ok();
  }

 private:
  // A list replaces the environment; a map merges into it key by key (a
  // null value removes the key).
  Status ApplyEnv(const YAML::Node& v) {
    auto& env = st_.spec.env;
    if (v.IsSequence()) {
      RAMPART_ASSIGN_OR_RETURN(auto list, StrList(v, "env"));
      size_t i = 0;
      for (const auto& item : v) {
        const std::string& e = list[i++];
        size_t eq = e.find('=');
        if (eq == std::string::npos || eq == 0)
          return Err(item, "env entry '" + e + "' must look like KEY=value");
      }
      env = std::move(list);
      return Ok();
    }
    if (!v.IsMap()) return Err(v, "env must be a list of KEY=value or a mapping");
    std::set<std::string> seen;
    for (const auto& kv : v) {
      if (!kv.first.IsScalar()) return Err(kv.first, "env keys must be plain words");
      const std::string k = kv.first.Scalar();
      if (k.empty() || k.find('=') != std::string::npos)
        return Err(kv.first, "env key '" + k + "' must be non-empty without '='");
      if (!seen.insert(k).second) return Err(kv.first, "duplicate key '" + k + "' in env");
      auto it = std::find_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.starts_with(k + "="); });
      if (kv.second.IsNull()) {
        if (it != env.end()) env.erase(it);
        continue;
      }
      RAMPART_ASSIGN_OR_RETURN(std::string val, Str(kv.second, "env." + k));
      if (it != env.end()) {
        *it = k + "=" + val;
      } else {
        env.push_back(k + "=" + val);
      }
    }
    return Ok();
  }

  // "1000" (gid = uid) or "1000:100".
  Status ApplyUser(const YAML::Node& v) {
    if (!v.IsScalar()) return Err(v, "user must be a uid or \"uid:gid\"");
    auto parts = Split(v.Scalar(), ':');
    if (parts.size() > 2)
      return Err(v, "user must be a uid or \"uid:gid\", not '" + v.Scalar() + "'");
    auto uid = ParseUint64(parts[0]);
    auto gid = parts.size() == 2 ? ParseUint64(parts[1]) : uid;
    if (!uid || !gid || *uid > kMaxId || *gid > kMaxId)
      return Err(
          v, "user must be a numeric uid or \"uid:gid\" (0-4294967294), not '" + v.Scalar() + "'");
    st_.spec.uid = static_cast<uint32_t>(*uid);
    st_.spec.gid = static_cast<uint32_t>(*gid);
    return Ok();
  }

  Status ApplyNamespaces(const YAML::Node& v) {
    RAMPART_TRY(
        CheckMap(v, "namespaces", {"pid", "mount", "ipc", "uts", "net", "cgroup", "user", "time"}));
    NamespaceSet& ns = st_.spec.namespaces;
    for (const auto& kv : v) {
      const std::string k = kv.first.Scalar();
      RAMPART_ASSIGN_OR_RETURN(bool b, Bool(kv.second, "namespaces." + k));
      bool* field = k == "pid"      ? &ns.pid
                    : k == "mount"  ? &ns.mount
                    : k == "ipc"    ? &ns.ipc
                    : k == "uts"    ? &ns.uts
                    : k == "net"    ? &ns.net
                    : k == "cgroup" ? &ns.cgroup
                    : k == "user"   ? &ns.user
                                    : &ns.time;
      if (k == "mount" && !b)
        return Err(
            kv.second,
            "namespaces.mount cannot be false: the rootfs is set up in a private mount namespace");
      *field = b;
    }
    return Ok();
  }

  // {uid: "0:100000:65536" | [..], gid: ...}; a missing side copies the other.
  Status ParseIdMaps(const YAML::Node& v, const std::string& what, std::vector<IdMapRange>& uids,
                     std::vector<IdMapRange>& gids) {
    RAMPART_TRY(CheckMap(v, what, {"uid", "gid"}));
    bool have_uid = false, have_gid = false;
    for (const auto& kv : v) {
      const std::string k = kv.first.Scalar();
      const std::string field = what + "." + k;
      std::vector<IdMapRange> map;
      auto one = [&](const YAML::Node& item) -> Status {
        RAMPART_ASSIGN_OR_RETURN(std::string text, Str(item, field + " ranges"));
        auto r = ParseIdMapRange(text);
        if (!r) return Err(item, field + ": " + r.error().message());
        map.push_back(*r);
        return Ok();
      };
      if (kv.second.IsSequence()) {
        for (const auto& item : kv.second) RAMPART_TRY(one(item));
      } else {
        RAMPART_TRY(one(kv.second));
      }
      if (map.empty()) return Err(kv.second, field + " must have at least one range");
      if (auto st = ValidateIdMap(map, field); !st) return Err(kv.second, st.error().message());
      if (!MapToHost(map, 0)) return Err(kv.second, field + " must map container id 0");
      (k == "uid" ? have_uid : have_gid) = true;
      (k == "uid" ? uids : gids) = std::move(map);
    }
    if (have_uid && !have_gid) gids = uids;
    if (have_gid && !have_uid) uids = gids;
    return Ok();
  }

  Status ApplyMounts(const YAML::Node& v) {
    if (!v.IsSequence()) return Err(v, "mounts must be a list");
    std::vector<MountSpec> mounts;
    for (const auto& item : v) {
      RAMPART_TRY(CheckMap(item, "mount", {"source", "target", "readonly", "type", "options"}));
      MountSpec m;
      bool have_source = false, have_target = false;
      for (const auto& kv : item) {
        const std::string k = kv.first.Scalar();
        if (k == "source") {
          RAMPART_ASSIGN_OR_RETURN(m.source, Str(kv.second, "mount source"));
          have_source = true;
        } else if (k == "target") {
          RAMPART_ASSIGN_OR_RETURN(m.target, Str(kv.second, "mount target"));
          RAMPART_TRY(AbsPath(kv.second, m.target, "mount target"));
          have_target = true;
        } else if (k == "readonly") {
          RAMPART_ASSIGN_OR_RETURN(m.readonly, Bool(kv.second, "mount readonly"));
        } else if (k == "type") {
          RAMPART_ASSIGN_OR_RETURN(m.type, Str(kv.second, "mount type"));
          if (m.type.empty()) return Err(kv.second, "mount type must not be empty");
        } else if (k == "options") {
          RAMPART_ASSIGN_OR_RETURN(m.options, StrList(kv.second, "mount options"));
        }
      }
      if (!have_target) return Err(item, "mount needs a target");
      if (m.type != "bind" && m.type != "tmpfs")
        return Err(item, "mount type '" + m.type + "' of " + m.target + " is not supported (bind or tmpfs)");
      if (m.type == "bind" && !m.options.empty())
        return Err(item, "bind mount of " + m.target + " takes no options (use readonly: true)");
      if (!have_source) {
        if (m.type == "bind") return Err(item, "bind mount of " + m.target + " needs a source");
        m.source = m.type;
      }
      if (m.type == "bind" && !AbsoluteClean(m.source))
        return Err(item,
                   "bind mount source '" + m.source + "' must be an absolute path without '..'");
      mounts.push_back(std::move(m));
    }
    st_.spec.mounts = std::move(mounts);
    return Ok();
  }

  Status ApplyLimits(const YAML::Node& v) {
    RAMPART_TRY(CheckMap(v, "limits", {"memory", "pids", "cpu_weight", "cpus"}));
    LimitsSpec& l = st_.spec.limits;
    for (const auto& kv : v) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& n = kv.second;
      const std::string field = "limits." + k;
      if (n.IsNull()) {  // removes a default
        if (k == "memory") l.memory_bytes.reset();
        if (k == "pids") l.pids_max.reset();
        if (k == "cpu_weight") l.cpu_weight.reset();
        if (k == "cpus") l.cpus.reset();
        continue;
      }
      if (!n.IsScalar()) return Err(n, field + " must be a number");
      if (k == "memory") {
        auto size = ParseSize(n.Scalar());
        if (!size) return Err(n, field + ": " + size.error().message());
        if (*size == 0) return Err(n, field + " must be greater than 0");
        l.memory_bytes = *size;
      } else if (k == "pids") {
        RAMPART_ASSIGN_OR_RETURN(uint64_t p, Uint(n, field));
        if (p == 0) return Err(n, field + " must be greater than 0");
        l.pids_max = p;
      } else if (k == "cpu_weight") {
        RAMPART_ASSIGN_OR_RETURN(uint64_t w, Uint(n, field));
        if (w == 0 || w > kMaxCpuWeight) return Err(n, field + " must be between 1 and 10000");
        l.cpu_weight = w;
      } else if (k == "cpus") {
        const std::string& t = n.Scalar();
        double d = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
        if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(d) || d <= 0)
          return Err(n, field + " must be a number greater than 0, not '" + t + "'");
        l.cpus = d;
      }
    }
    return Ok();
  }

  std::string file_;
  Layer layer_;
  std::string_view expected_name_;
  ParseState& st_;
};

Result<YAML::Node> ParseYaml(std::string_view text, const std::string& file) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return Error::Invalid(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Error::Invalid(file + ": malformed YAML: " + e.what());
  }
}

Status ApplyNode(const YAML::Node& root, const std::string& file, Layer layer, std::string_view name,
                 ParseState& st) {
  try {
    Parser p(file, layer, name, st);
    return p.Apply(root);
  } catch (const YAML::Exception& e) {
    return Error::Invalid(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Status ApplyText(std::string_view text, const std::string& file, Layer layer, std::string_view name,
                 ParseState& st) {
  RAMPART_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(text, file));
  return ApplyNode(root, file, layer, name, st);
}

// A defaults layer: the tree LoadDefaults kept, else its text.
Status ApplyLayer(const ConfigSource& layer, std::string_view name, ParseState& st) {
  if (layer.parsed) return ApplyNode(*layer.parsed, layer.file, Layer::kDefaults, name, st);
  return ApplyText(layer.text, layer.file, Layer::kDefaults, name, st);
}

// First range of `root` (or uid 0) in a subid file, as a map starting at 0.
Result<std::vector<IdMapRange>> FirstSubidRange(const std::optional<std::string>& text,
                                                const char* file) {
  if (!text) return std::vector<IdMapRange>{};
  auto ranges = SubidRanges(*text, "root", 0);
  if (!ranges) return ranges.error().Wrap(file);
  if (ranges->empty()) return ranges;
  return std::vector<IdMapRange>{{0, (*ranges)[0].host_start, (*ranges)[0].count}};
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  std::string_view t = Trim(text);
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  if (digits == 0)
    return Error::Invalid("size '" + std::string(text) +
                          "' must be a number with an optional K, M, G or T suffix");
  std::string_view suffix = t.substr(digits);
  uint64_t mult = 1;
  if (!suffix.empty()) {
    char c = suffix[0];
    int shift = (c == 'K' || c == 'k')   ? 10
                : (c == 'M' || c == 'm') ? 20
                : (c == 'G' || c == 'g') ? 30
                : (c == 'T' || c == 't') ? 40
                                         : -1;
    std::string_view rest = suffix.substr(1);
    if (shift < 0 || !(rest.empty() || rest == "B" || rest == "iB"))
      return Error::Invalid("size '" + std::string(text) +
                            "' has an unknown suffix (expected K, M, G or T)");
    mult = uint64_t{1} << shift;
  }
  auto n = ParseUint64(t.substr(0, digits));
  if (!n || *n > UINT64_MAX / mult)
    return Error::Invalid("size '" + std::string(text) + "' is too large");
  return *n * mult;
}

Status ValidateContainerSpec(const ContainerSpec& spec, bool complete) {
  if (auto p = Check(spec, complete)) return Error::Invalid(p->message);
  return Ok();
}

namespace {

// `yaml_text` null: no config of the container's own (only `name`).
Result<ContainerSpec> ParseOver(const std::string_view* yaml_text, const std::string& file,
                                const ConfigDefaults& defaults, std::string_view name) {
  if (!name.empty()) RAMPART_TRY(ValidateName(name));
  ParseState st;
  for (const auto& layer : defaults.layers) RAMPART_TRY(ApplyLayer(layer, name, st));
  // Positions in defaults files are only useful while they are the last word.
  if (yaml_text) RAMPART_TRY(ApplyText(*yaml_text, file, Layer::kContainer, name, st));
  ContainerSpec& s = st.spec;
  if (!name.empty()) s.name = std::string(name);
  if (s.hostname.empty()) s.hostname = s.name;
  // Sharing the host's network namespace: no default network to join.
  if (!s.namespaces.net && !st.pos_of.count("networks")) s.networks.clear();
  if (s.networks == std::vector<std::string>{net::kNoNetwork}) s.networks.clear();
  if (s.namespaces.user) {
    const std::string where = st.pos_of.count("namespaces") ? st.pos_of["namespaces"] : file;
    if (s.uid_map.empty()) {
      RAMPART_ASSIGN_OR_RETURN(s.uid_map, FirstSubidRange(defaults.subuid, "/etc/subuid"));
      if (s.uid_map.empty()) s.uid_map = st.default_uid_map;
      if (s.uid_map.empty()) return Error::Invalid(where + ": " + kNoRangeMessage);
    }
    if (s.gid_map.empty()) {
      RAMPART_ASSIGN_OR_RETURN(s.gid_map, FirstSubidRange(defaults.subgid, "/etc/subgid"));
      if (s.gid_map.empty()) s.gid_map = st.default_gid_map;
      if (s.gid_map.empty())
        return Error::Invalid(
            where +
            ": user namespace requested but no id range: add root:100000:65536 to "
            "/etc/subgid or set idmap");
    }
  }
  if (auto p = Check(s, false)) {
    auto it = st.pos_of.find(p->field);
    return Error::Invalid((it != st.pos_of.end() ? it->second : file) + ": " + p->message);
  }
  return s;
}

}  // namespace

Result<ContainerSpec> ParseContainerSpec(std::string_view yaml_text, const std::string& file,
                                         const ConfigDefaults& defaults, std::string_view name) {
  return ParseOver(&yaml_text, file, defaults, name);
}

Result<ContainerSpec> ContainerSpecFromDefaults(const std::string& file, const ConfigDefaults& defaults,
                                                std::string_view name) {
  if (name.empty()) return Error::Invalid(file + ": a container needs a name");
  return ParseOver(nullptr, file, defaults, name);
}

Result<ConfigDefaults> LoadDefaults(const Paths& paths, const std::string& subuid_file,
                                    const std::string& subgid_file) {
  ConfigDefaults d;
  auto read_optional = [](const std::string& path) -> Result<std::optional<std::string>> {
    auto text = ReadFile(path);
    if (!text) {
      if (text.error().err() == ENOENT) return std::optional<std::string>();
      return text.error();
    }
    return std::optional<std::string>(std::move(*text));
  };
  RAMPART_ASSIGN_OR_RETURN(auto main_conf, read_optional(paths.ConfFile()));
  if (main_conf) d.layers.push_back({paths.ConfFile(), std::move(*main_conf)});

  const std::string dir = paths.ConfDir();
  std::vector<std::string> names;
  if (DIR* dp = ::opendir(dir.c_str())) {
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dp, ::closedir);
    while (struct dirent* e = ::readdir(dp)) {
      std::string n = e->d_name;
      if (n.empty() || n[0] == '.' || !n.ends_with(".conf")) continue;
      names.push_back(std::move(n));
    }
  } else if (errno != ENOENT) {
    return Error::FromErrno(errno, "open " + dir);
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    const std::string path = dir + "/" + n;
    RAMPART_ASSIGN_OR_RETURN(auto text, read_optional(path));
    if (text) d.layers.push_back({path, std::move(*text)});
  }
  // Report a broken defaults file now, whichever container is involved;
  // the tree is kept for parsing the container (ApplyLayer).
  for (auto& layer : d.layers) {
    RAMPART_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(layer.text, layer.file));
    ParseState scratch;
    RAMPART_TRY(ApplyNode(root, layer.file, Layer::kDefaults, {}, scratch));
    layer.parsed = std::make_shared<const YAML::Node>(std::move(root));
  }
  RAMPART_ASSIGN_OR_RETURN(d.subuid, read_optional(subuid_file));
  RAMPART_ASSIGN_OR_RETURN(d.subgid, read_optional(subgid_file));
  return d;
}

std::string SerializeContainerSpec(const ContainerSpec& s) {
  YAML::Emitter out;
  auto str = [&](const char* key, const std::string& v) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << v;
  };
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& e : v) out << YAML::DoubleQuoted << e;
    out << YAML::EndSeq;
  };
  auto opt = [&](const char* key, const auto& v) {
    out << YAML::Key << key << YAML::Value;
    if (v) {
      out << *v;
    } else {
      out << YAML::Null;
    }
  };
  out << YAML::BeginMap;
  // name, rootfs and hostname are only empty in a spec not yet complete.
  if (!s.name.empty()) str("name", s.name);
  if (!s.rootfs.empty()) str("rootfs", s.rootfs);
  if (!s.template_ref.empty()) str("template", s.template_ref);
  if (!s.hostname.empty()) str("hostname", s.hostname);
  str("profile", s.profile);
  list("command", s.command);
  // A list replaces the defaults' environment entirely.
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  for (const auto& e : s.env) out << YAML::DoubleQuoted << e;
  out << YAML::EndSeq;
  str("cwd", s.cwd);
  str("user", std::to_string(s.uid) + ":" + std::to_string(s.gid));
  out << YAML::Key << "additional_gids" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (uint32_t g : s.additional_gids) out << g;
  out << YAML::EndSeq;
  const NamespaceSet& ns = s.namespaces;
  out << YAML::Key << "namespaces" << YAML::Value << YAML::BeginMap;
  for (auto [k, v] : {std::pair{"pid", ns.pid},
                      {"mount", ns.mount},
                      {"ipc", ns.ipc},
                      {"uts", ns.uts},
                      {"net", ns.net},
                      {"cgroup", ns.cgroup},
                      {"user", ns.user},
                      {"time", ns.time}})
    out << YAML::Key << k << YAML::Value << v;
  out << YAML::EndMap;
  if (!s.uid_map.empty() || !s.gid_map.empty()) {
    out << YAML::Key << "idmap" << YAML::Value << YAML::BeginMap;
    for (auto [k, map] : {std::pair{"uid", &s.uid_map}, {"gid", &s.gid_map}}) {
      std::vector<std::string> ranges;
      for (const auto& r : *map) ranges.push_back(IdMapRangeString(r));
      list(k, ranges);
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "mounts" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : s.mounts) {
    out << YAML::BeginMap;
    str("source", m.source);
    str("target", m.target);
    out << YAML::Key << "readonly" << YAML::Value << m.readonly;
    str("type", m.type);
    list("options", m.options);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  opt("memory", s.limits.memory_bytes);
  opt("pids", s.limits.pids_max);
  opt("cpu_weight", s.limits.cpu_weight);
  out << YAML::Key << "cpus" << YAML::Value;
  if (s.limits.cpus) {
    out << YAML::Precision(17) << *s.limits.cpus;
  } else {
    out << YAML::Null;
  }
  out << YAML::EndMap;
  list("networks", s.networks);
  list("publish", s.publish);
  out << YAML::Key << "tty" << YAML::Value << s.tty;
  if (s.init) out << YAML::Key << "init" << YAML::Value << true;
  if (!s.criu.empty()) str("criu", s.criu);
  out << YAML::Key << "allow_dangerous" << YAML::Value << s.allow_dangerous;
  out << YAML::EndMap;
  return std::string("# written by rampart create; see docs/container-config.md\n") + out.c_str() +
         "\n";
}

}  // namespace rampart::runtime
