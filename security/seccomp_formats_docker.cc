// Docker/moby seccomp JSON (a superset of the OCI `linux.seccomp` object)
// → ForeignFilter, and ForeignFilter → OCI JSON as runc, crun and podman
// take it. Facts from moby profiles/seccomp and runc's libcontainer/seccomp.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

#include "security/seccomp_formats.h"

namespace rampart::security {
namespace {

using Json = nlohmann::json;

struct Ctx {
  const std::string& file;
  Error Err(const std::string& path, const std::string& msg) const {
    return Error::Invalid(file + ": " + path + ": " + msg);
  }
};

std::string LineCol(std::string_view text, size_t byte) {
  int line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

// Docker's action names → rampart actions. `errno_ret` is errnoRet when set.
Result<Action> ParseDockerAction(const Ctx& c, const std::string& path, const Json& v, const Json* errno_ret) {
  if (!v.is_string()) return c.Err(path, "must be a string such as \"SCMP_ACT_ALLOW\"");
  const std::string a = v.get<std::string>();
  if (errno_ret && a != "SCMP_ACT_ERRNO" && a != "SCMP_ACT_TRACE")
    return c.Err(path, "errnoRet is only valid with SCMP_ACT_ERRNO (the action is " + a + ")");
  if (a == "SCMP_ACT_ALLOW") return Action::Allow();
  if (a == "SCMP_ACT_ERRNO") {
    // runc: EPERM when errnoRet is not given.
    uint64_t e = 1;
    if (errno_ret) {
      if (!errno_ret->is_number_unsigned() || errno_ret->get<uint64_t>() > 4095)
        return c.Err(path, "errnoRet must be a number from 0 to 4095");
      e = errno_ret->get<uint64_t>();
    }
    return Action::Errno(static_cast<uint16_t>(e));
  }
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return Action{Action::Kind::kKillThread, 0};
  if (a == "SCMP_ACT_KILL_PROCESS") return Action::KillProcess();
  if (a == "SCMP_ACT_TRAP") return Action{Action::Kind::kTrap, 0};
  if (a == "SCMP_ACT_LOG") return Action{Action::Kind::kLog, 0};
  if (a == "SCMP_ACT_NOTIFY") return Action{Action::Kind::kNotify, 0};
  if (a == "SCMP_ACT_TRACE") return c.Err(path, "SCMP_ACT_TRACE (hand the call to a ptrace tracer) has no rampart action");
  return c.Err(path, "unknown action '" + a +
                         "' (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
                         "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_LOG or SCMP_ACT_NOTIFY)");
}

std::optional<Arch> ScmpArch(const std::string& name) {
  if (name == "SCMP_ARCH_X86_64") return Arch::kX86_64;
  if (name == "SCMP_ARCH_X86") return Arch::kX86;
  if (name == "SCMP_ARCH_X32") return Arch::kX32;
  return std::nullopt;
}

Result<std::vector<std::string>> StringList(const Ctx& c, const std::string& path, const Json& v) {
  if (v.is_null()) return std::vector<std::string>{};
  if (!v.is_array()) return c.Err(path, "must be a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return c.Err(path + "[" + std::to_string(i) + "]", "must be a string");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::string CapName(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s.starts_with("CAP_") ? s : "CAP_" + s;
}

// One `includes` or `excludes` object: the list of conditions that hold.
struct Filter {
  bool any = false;    // any listed condition holds
  bool all = true;     // every listed condition holds
};

Result<Filter> EvalConditions(const Ctx& c, const std::string& path, const Json& v, const ImportOptions& o,
                              const std::vector<std::string>& caps) {
  Filter f;
  if (v.is_null()) return f;
  if (!v.is_object()) return c.Err(path, "must be an object with caps, arches or minKernel");
  for (const auto& [key, val] : v.items()) {
    const std::string p = path + "." + key;
    if (key == "caps") {
      RAMPART_ASSIGN_OR_RETURN(auto list, StringList(c, p, val));
      for (const auto& cap : list) {
        bool held = std::find(caps.begin(), caps.end(), CapName(cap)) != caps.end();
        f.any |= held;
        f.all &= held;
      }
    } else if (key == "arches") {
      RAMPART_ASSIGN_OR_RETURN(auto list, StringList(c, p, val));
      if (list.empty()) continue;
      bool held = std::find(list.begin(), list.end(), o.host_arch) != list.end();
      f.any |= held;
      f.all &= held;
    } else if (key == "minKernel") {
      if (val.is_null()) continue;
      unsigned major = 0, minor = 0;
      char tail = 0;
      if (!val.is_string() ||
          std::sscanf(val.get<std::string>().c_str(), "%u.%u%c", &major, &minor, &tail) != 2)
        return c.Err(p, "must be \"<major>.<minor>\" such as \"5.8\"");
      if (major == 0 && minor == 0) return c.Err(p, "\"0.0\" is not a valid kernel version");
      bool held = o.kernel_major > major || (o.kernel_major == major && o.kernel_minor >= minor);
      f.any |= held;
      f.all &= held;
    } else {
      return c.Err(p, "unknown key (expected caps, arches or minKernel)");
    }
  }
  return f;
}

Result<std::vector<ArgCondition>> ParseArgs(const Ctx& c, const std::string& path, const Json& v) {
  std::vector<ArgCondition> out;
  if (v.is_null()) return out;
  if (!v.is_array()) return c.Err(path, "must be a list of {index, value, valueTwo, op}");
  if (v.size() > 6) return c.Err(path, "at most 6 argument conditions per rule");
  static const std::pair<const char*, CmpOp> kOps[] = {
      {"SCMP_CMP_EQ", CmpOp::kEq}, {"SCMP_CMP_NE", CmpOp::kNe}, {"SCMP_CMP_LT", CmpOp::kLt},
      {"SCMP_CMP_LE", CmpOp::kLe}, {"SCMP_CMP_GT", CmpOp::kGt}, {"SCMP_CMP_GE", CmpOp::kGe},
      {"SCMP_CMP_MASKED_EQ", CmpOp::kMaskedEq}};
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const Json& a = v[i];
    if (!a.is_object()) return c.Err(p, "must be an object {index, value, valueTwo, op}");
    for (const auto& [key, val] : a.items())
      if (key != "index" && key != "value" && key != "valueTwo" && key != "op")
        return c.Err(p + "." + key, "unknown key (expected index, value, valueTwo or op)");
    if (!a.contains("index") || !a["index"].is_number_unsigned() || a["index"].get<uint64_t>() > 5)
      return c.Err(p + ".index", "must be an argument index from 0 to 5");
    for (const char* k : {"value", "valueTwo"})
      if (a.contains(k) && !a[k].is_number_unsigned())
        return c.Err(p + "." + k, "must be an unsigned 64-bit number");
    if (!a.contains("op") || !a["op"].is_string()) return c.Err(p + ".op", "must be a SCMP_CMP_* operator");
    const std::string op = a["op"].get<std::string>();
    auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& k) { return op == k.first; });
    if (it == std::end(kOps))
      return c.Err(p + ".op", "unknown operator '" + op + "' (expected SCMP_CMP_EQ, NE, LT, LE, GT, GE or MASKED_EQ)");
    ArgCondition cond;
    cond.index = static_cast<unsigned>(a["index"].get<uint64_t>());
    cond.op = it->second;
    const uint64_t value = a.value("value", uint64_t{0}), two = a.value("valueTwo", uint64_t{0});
    if (cond.op == CmpOp::kMaskedEq) {
      cond.mask = value;  // libseccomp: (arg & datum_a) == datum_b
      cond.value = two;
    } else {
      cond.value = value;
    }
    for (const auto& prev : out)
      if (prev.index == cond.index)
        return c.Err(p, "a second condition on arg" + std::to_string(cond.index) +
                            " in one rule: runc adds such conditions as separate (ORed) rules while libseccomp ANDs " +
                            "them; write one rule per meaning");
    out.push_back(cond);
  }
  return out;
}

}  // namespace

Result<ForeignFilter> ParseDockerSeccomp(std::string_view text, const std::string& file, const ImportOptions& o) {
  Ctx c{file};
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    auto colon = what.find("syntax error");
    return Error::Invalid(file + ":" + LineCol(text, e.byte == 0 ? 0 : e.byte - 1) + ": invalid JSON: " +
                          (colon == std::string::npos ? what : what.substr(colon)));
  } catch (const Json::exception& e) {  // e.g. out_of_range: a number too large for a double (1e400)
    std::string what = e.what();
    auto bracket = what.find("] ");
    return Error::Invalid(file + ": invalid JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  if (!j.is_object()) return Error::Invalid(file + ": the top level must be a JSON object (a seccomp profile)");
  std::vector<std::string> caps;
  for (const auto& cap : o.caps.empty() ? DockerDefaultCaps() : o.caps) caps.push_back(CapName(cap));

  ForeignFilter f;
  const bool has_default = j.contains("defaultAction") && !j["defaultAction"].is_null();
  const bool has_syscalls = j.contains("syscalls") && j["syscalls"].is_array() && !j["syscalls"].empty();
  if (!has_default && !has_syscalls)
    return Error::Invalid(file + ": the profile has no defaultAction and no syscalls, which disables seccomp in Docker; " +
                          "there is nothing to import");
  if (!has_default) return c.Err("defaultAction", "is missing");
  const Json* def_errno = j.contains("defaultErrnoRet") && !j["defaultErrnoRet"].is_null() ? &j["defaultErrnoRet"] : nullptr;
  RAMPART_ASSIGN_OR_RETURN(f.default_action, ParseDockerAction(c, "defaultAction", j["defaultAction"], def_errno));

  for (const auto& [key, val] : j.items()) {
    static const char* kKnown[] = {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                                   "flags", "listenerPath", "listenerMetadata"};
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return key == k; }))
      return c.Err(key, "unknown key (expected defaultAction, defaultErrnoRet, architectures, archMap, syscalls, "
                        "flags, listenerPath or listenerMetadata)");
  }
  if (j.contains("flags") && !j["flags"].is_null() && !j["flags"].empty())
    f.notes.push_back("flags " + j["flags"].dump() + " ignored (rampart sets its own filter flags)");

  // Architectures: libseccomp always filters the native one (x86_64 here).
  f.arches = {Arch::kX86_64};
  auto add_arch = [&](const std::string& path, const std::string& name) {
    auto a = ScmpArch(name);
    if (!a) {
      f.notes.push_back(path + ": " + name + " ignored (rampart filters x86_64, x86 and x32)");
      return;
    }
    if (std::find(f.arches.begin(), f.arches.end(), *a) == f.arches.end()) f.arches.push_back(*a);
  };
  const bool has_arches = j.contains("architectures") && !j["architectures"].is_null();
  const bool has_map = j.contains("archMap") && !j["archMap"].is_null();
  if (has_arches && has_map) return c.Err("archMap", "'architectures' and 'archMap' cannot both be given");
  if (has_arches) {
    RAMPART_ASSIGN_OR_RETURN(auto list, StringList(c, "architectures", j["architectures"]));
    for (size_t i = 0; i < list.size(); ++i) add_arch("architectures[" + std::to_string(i) + "]", list[i]);
  } else if (has_map) {
    const Json& m = j["archMap"];
    if (!m.is_array()) return c.Err("archMap", "must be a list of {architecture, subArchitectures}");
    for (size_t i = 0; i < m.size(); ++i) {
      const std::string p = "archMap[" + std::to_string(i) + "]";
      if (!m[i].is_object() || !m[i].contains("architecture") || !m[i]["architecture"].is_string())
        return c.Err(p, "must be an object with an 'architecture' string");
      RAMPART_ASSIGN_OR_RETURN(auto subs, StringList(c, p + ".subArchitectures",
                                                     m[i].contains("subArchitectures") ? m[i]["subArchitectures"] : Json()));
      const std::string arch = m[i]["architecture"].get<std::string>();
      if (arch != "SCMP_ARCH_X86_64") {  // Docker expands only the host's entry
        f.notes.push_back(p + ": " + arch + " ignored (not this host's architecture)");
        continue;
      }
      for (size_t k = 0; k < subs.size(); ++k) add_arch(p + ".subArchitectures[" + std::to_string(k) + "]", subs[k]);
    }
  }
  std::sort(f.arches.begin(), f.arches.end());

  const Json& calls = j.contains("syscalls") ? j["syscalls"] : Json();
  if (!calls.is_null() && !calls.is_array()) return c.Err("syscalls", "must be a list");
  for (size_t i = 0; !calls.is_null() && i < calls.size(); ++i) {
    const std::string p = "syscalls[" + std::to_string(i) + "]";
    const Json& s = calls[i];
    if (!s.is_object()) return c.Err(p, "must be an object");
    for (const auto& [key, val] : s.items()) {
      static const char* kKnown[] = {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"};
      if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return key == k; }))
        return c.Err(p + "." + key, "unknown key (expected names, name, action, errnoRet, args, comment, includes "
                                    "or excludes)");
    }
    std::vector<std::string> names;
    const bool has_names = s.contains("names") && !s["names"].is_null();
    const bool has_name = s.contains("name") && !s["name"].is_null();
    if (has_names && has_name) return c.Err(p, "'name' and 'names' cannot both be given");
    if (has_names) {
      RAMPART_ASSIGN_OR_RETURN(names, StringList(c, p + ".names", s["names"]));
    } else if (has_name) {
      if (!s["name"].is_string()) return c.Err(p + ".name", "must be a string");
      names.push_back(s["name"].get<std::string>());
    }
    if (names.empty()) return c.Err(p, "names no syscall");
    if (!s.contains("action")) return c.Err(p + ".action", "is missing");
    const Json* errno_ret = s.contains("errnoRet") && !s["errnoRet"].is_null() ? &s["errnoRet"] : nullptr;
    RAMPART_ASSIGN_OR_RETURN(Action action, ParseDockerAction(c, p + ".action", s["action"], errno_ret));
    RAMPART_ASSIGN_OR_RETURN(auto args, ParseArgs(c, p + ".args", s.contains("args") ? s["args"] : Json()));
    RAMPART_ASSIGN_OR_RETURN(Filter inc, EvalConditions(c, p + ".includes", s.contains("includes") ? s["includes"] : Json(), o, caps));
    RAMPART_ASSIGN_OR_RETURN(Filter exc, EvalConditions(c, p + ".excludes", s.contains("excludes") ? s["excludes"] : Json(), o, caps));
    // Docker: dropped when any excludes condition holds, kept only when every includes condition holds.
    if (exc.any || !inc.all) continue;
    for (const auto& n : names) f.rules.push_back({n, action, args, {}, file + ": " + p});
  }
  return f;
}

namespace {

nlohmann::ordered_json ActionJson(nlohmann::ordered_json& obj, const char* key, const char* errno_key, const Action& a) {
  switch (a.kind) {
    case Action::Kind::kAllow: obj[key] = "SCMP_ACT_ALLOW"; break;
    case Action::Kind::kErrno:
      obj[key] = "SCMP_ACT_ERRNO";
      obj[errno_key] = a.errno_value;
      break;
    case Action::Kind::kKillThread: obj[key] = "SCMP_ACT_KILL_THREAD"; break;
    case Action::Kind::kKillProcess: obj[key] = "SCMP_ACT_KILL_PROCESS"; break;
    case Action::Kind::kTrap: obj[key] = "SCMP_ACT_TRAP"; break;
    case Action::Kind::kLog: obj[key] = "SCMP_ACT_LOG"; break;
    case Action::Kind::kNotify: obj[key] = "SCMP_ACT_NOTIFY"; break;
  }
  return obj;
}

const char* ScmpArchName(Arch a) {
  switch (a) {
    case Arch::kX86_64: return "SCMP_ARCH_X86_64";
    case Arch::kX86: return "SCMP_ARCH_X86";
    case Arch::kX32: return "SCMP_ARCH_X32";
  }
  return "?";
}

}  // namespace

std::string WriteOciSeccomp(const ForeignFilter& f) {
  using OJson = nlohmann::ordered_json;
  OJson out;
  ActionJson(out, "defaultAction", "defaultErrnoRet", f.default_action);
  OJson arches = OJson::array();
  for (Arch a : f.arches) arches.push_back(ScmpArchName(a));
  out["architectures"] = arches;
  OJson calls = OJson::array();
  // Unconditional rules grouped by action (in first-seen order), then one
  // entry per conditional rule.
  std::vector<std::pair<Action, std::vector<std::string>>> groups;
  for (const auto& r : f.rules) {
    if (!r.args.empty()) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == r.action; });
    if (it == groups.end()) groups.push_back({r.action, {r.syscall}});
    else it->second.push_back(r.syscall);
  }
  for (const auto& [action, names] : groups) {
    OJson e;
    e["names"] = names;
    ActionJson(e, "action", "errnoRet", action);
    calls.push_back(e);
  }
  for (const auto& r : f.rules) {
    if (r.args.empty()) continue;
    OJson e;
    e["names"] = OJson::array({r.syscall});
    ActionJson(e, "action", "errnoRet", r.action);
    OJson args = OJson::array();
    for (const auto& c : r.args) {
      OJson a;
      a["index"] = c.index;
      a["value"] = c.op == CmpOp::kMaskedEq ? c.mask : c.value;
      a["valueTwo"] = c.op == CmpOp::kMaskedEq ? c.value : 0;
      a["op"] = ScmpCmpName(c.op);
      args.push_back(a);
    }
    e["args"] = args;
    calls.push_back(e);
  }
  out["syscalls"] = calls;
  return out.dump(2) + "\n";
}

}  // namespace rampart::security
