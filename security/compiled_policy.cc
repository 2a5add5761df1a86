#include "security/compiled_policy.h"

#include <seccomp.h>
#include <sys/stat.h>

#include <cstring>

#include "base/atomic_file.h"
#include "base/sha256.h"
#include "security/capabilities.h"
#include "security/syscall_table.h"

#ifndef RAMPART_COMPILER_VERSION
#define RAMPART_COMPILER_VERSION "rampart-policy-compiler/5"
#endif

namespace rampart::security {
namespace {

nlohmann::json SyscallToJson(const SyscallPolicy& sp) {
  nlohmann::json j;
  j["action"] = sp.action.ToString();
  if (sp.conditional()) {
    nlohmann::json any = nlohmann::json::array();
    for (const auto& conj : sp.any_of) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& c : conj) all.push_back(c.ToString());
      any.push_back(all);
    }
    j["when_any"] = any;
  }
  return j;
}

nlohmann::json PosToJson(const SourcePos& pos) {
  return {{"file", pos.file}, {"line", pos.line}, {"column", pos.column}};
}

SourcePos PosFromJson(const nlohmann::json& j) {
  return {j.at("file").get<std::string>(), j.at("line").get<int>(), j.at("column").get<int>()};
}

Result<EnforceMode> ModeFromJson(const nlohmann::json& j) {
  auto m = ParseEnforceMode(j.get<std::string>());
  if (!m) return Error::Invalid("unknown enforce mode " + j.dump());
  return *m;
}

// The enforcement fields: landlock (mode, min_abi, rules) and the LSM
// enforce modes, with their locations (start reports them).
nlohmann::json EnforcementToJson(const Policy& p) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : p.landlock.rules)
    rules.push_back({{"path", r.path}, {"access", r.access}, {"pos", PosToJson(r.pos)}});
  const NetworkPolicy& n = p.network;
  nlohmann::json net = {{"restricts_families", n.restricts_families},
                        {"families", n.families},
                        {"pos", PosToJson(n.pos)},
                        {"tcp_bind_pos", PosToJson(n.tcp_bind_pos)},
                        {"tcp_connect_pos", PosToJson(n.tcp_connect_pos)}};
  nlohmann::json fam_pos = nlohmann::json::object();
  for (const auto& [bit, pos] : n.family_pos) fam_pos[std::to_string(bit)] = PosToJson(pos);
  net["family_pos"] = fam_pos;
  if (n.tcp_bind) net["tcp_bind"] = *n.tcp_bind;
  if (n.tcp_connect) net["tcp_connect"] = *n.tcp_connect;
  return {{"readonly_root", p.readonly_root},
          {"tmpfs", p.tmpfs_paths},
          {"network", net},
          {"landlock",
           {{"has_filesystem", p.landlock.has_filesystem},
            {"has_network", p.landlock.has_network},
            {"mode", EnforceModeName(p.landlock.mode)},
            {"mode_pos", PosToJson(p.landlock.mode_pos)},
            {"min_abi", p.landlock.min_abi},
            {"rules", rules}}},
          {"apparmor",
           {{"enforce", EnforceModeName(p.apparmor.mode)},
            {"pos", PosToJson(p.apparmor.pos)},
            {"profile", p.apparmor.profile},
            {"profile_pos", PosToJson(p.apparmor.profile_pos)}}},
          {"selinux",
           {{"enforce", EnforceModeName(p.selinux.mode)},
            {"pos", PosToJson(p.selinux.pos)},
            {"type", p.selinux.type},
            {"type_pos", PosToJson(p.selinux.type_pos)},
            {"level", p.selinux.level},
            {"level_pos", PosToJson(p.selinux.level_pos)},
            {"mount_label", p.selinux.mount_label}}}};
}

// Throws nlohmann::json::exception on a missing or mistyped field.
Status EnforcementFromJson(const nlohmann::json& j, Policy& p) {
  p.readonly_root = j.at("readonly_root").get<bool>();
  p.tmpfs_paths = j.at("tmpfs").get<std::vector<std::string>>();
  const auto& n = j.at("network");
  p.network.restricts_families = n.at("restricts_families").get<bool>();
  p.network.families = n.at("families").get<uint8_t>();
  p.network.pos = PosFromJson(n.at("pos"));
  p.network.tcp_bind_pos = PosFromJson(n.at("tcp_bind_pos"));
  p.network.tcp_connect_pos = PosFromJson(n.at("tcp_connect_pos"));
  for (const auto& [bit, pos] : n.at("family_pos").items())
    p.network.family_pos[static_cast<uint8_t>(std::stoi(bit))] = PosFromJson(pos);
  if (n.contains("tcp_bind")) p.network.tcp_bind = n.at("tcp_bind").get<std::vector<uint16_t>>();
  if (n.contains("tcp_connect")) p.network.tcp_connect = n.at("tcp_connect").get<std::vector<uint16_t>>();
  const auto& l = j.at("landlock");
  p.landlock.has_filesystem = l.at("has_filesystem").get<bool>();
  p.landlock.has_network = l.at("has_network").get<bool>();
  RAMPART_ASSIGN_OR_RETURN(p.landlock.mode, ModeFromJson(l.at("mode")));
  p.landlock.mode_pos = PosFromJson(l.at("mode_pos"));
  p.landlock.min_abi = l.at("min_abi").get<uint32_t>();
  for (const auto& r : l.at("rules"))
    p.landlock.rules.push_back({r.at("path").get<std::string>(), r.at("access").get<uint8_t>(), PosFromJson(r.at("pos"))});
  RAMPART_ASSIGN_OR_RETURN(p.apparmor.mode, ModeFromJson(j.at("apparmor").at("enforce")));
  p.apparmor.pos = PosFromJson(j.at("apparmor").at("pos"));
  p.apparmor.profile = j.at("apparmor").at("profile").get<std::string>();
  p.apparmor.profile_pos = PosFromJson(j.at("apparmor").at("profile_pos"));
  RAMPART_ASSIGN_OR_RETURN(p.selinux.mode, ModeFromJson(j.at("selinux").at("enforce")));
  p.selinux.pos = PosFromJson(j.at("selinux").at("pos"));
  const auto& se = j.at("selinux");
  p.selinux.type = se.at("type").get<std::string>();
  p.selinux.type_pos = PosFromJson(se.at("type_pos"));
  p.selinux.level = se.at("level").get<std::string>();
  p.selinux.level_pos = PosFromJson(se.at("level_pos"));
  p.selinux.mount_label = se.at("mount_label").get<std::string>();
  return Ok();
}

std::string LibseccompVersion() {
  const scmp_version* v = seccomp_version();
  return "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace

nlohmann::json PolicyToJson(const Policy& p) {
  nlohmann::json j;
  j["name"] = p.name;
  j["description"] = p.description;
  j["chain"] = p.chain;
  nlohmann::json s;
  s["default"] = p.seccomp.default_action.ToString();
  s["unknown"] = p.seccomp.unknown_action.ToString();
  nlohmann::json arches = nlohmann::json::array();
  for (Arch a : p.seccomp.arches) arches.push_back(ArchName(a));
  s["architectures"] = arches;
  s["optimize"] = p.seccomp.optimize == Optimize::kTree ? "tree" : p.seccomp.optimize == Optimize::kLinear ? "linear" : "auto";
  nlohmann::json calls = nlohmann::json::object();
  for (const auto& [name, sp] : p.seccomp.syscalls) calls[name] = SyscallToJson(sp);
  s["syscalls"] = calls;
  j["seccomp"] = s;
  j["capabilities"] = {{"bounding", CapabilityNames(p.caps.bounding)},
                       {"ambient", CapabilityNames(p.caps.ambient)},
                       {"inheritable", CapabilityNames(p.caps.inheritable)}};
  j["no_new_privileges"] = p.no_new_privileges;
  nlohmann::json rl = nlohmann::json::object();
  for (const auto& r : p.rlimits) rl[r.name] = {r.soft, r.hard};
  j["rlimits"] = rl;
  j["masked_paths"] = p.masked_paths;
  j["readonly_paths"] = p.readonly_paths;
  if (p.network.restricts_families || p.network.restricts_tcp()) {
    nlohmann::json net = nlohmann::json::object();
    if (p.network.restricts_families) {
      nlohmann::json fams = nlohmann::json::array();
      for (const auto& [bit, pos] : p.network.family_pos) fams.push_back(NetFamilyName(bit));
      net["families"] = fams;
    }
    if (p.network.tcp_bind) net["tcp"]["bind"] = *p.network.tcp_bind;
    if (p.network.tcp_connect) net["tcp"]["connect"] = *p.network.tcp_connect;
    j["network"] = net;
  } else {
    j["network"] = nullptr;
  }
  nlohmann::json fs = nlohmann::json::array();
  for (const auto& r : p.landlock.rules)
    fs.push_back({{"path", r.path}, {"access", FsAccessToString(r.access)}, {"at", r.pos.ToString()}});
  j["filesystem"] = p.landlock.has_filesystem ? nlohmann::json{{"paths", fs}} : nlohmann::json::object();
  j["filesystem"]["readonly_root"] = p.readonly_root;
  j["filesystem"]["tmpfs"] = p.tmpfs_paths;
  j["landlock"] = {{"mode", EnforceModeName(p.landlock.mode)}, {"min_abi", p.landlock.min_abi},
                   {"active", p.landlock.active()}};
  j["apparmor"] = {{"enforce", EnforceModeName(p.apparmor.mode)}, {"profile", p.apparmor.profile}};
  j["selinux"] = {{"enforce", EnforceModeName(p.selinux.mode)},
                  {"type", p.selinux.type},
                  {"level", p.selinux.level},
                  {"mount_label", p.selinux.mount_label}};
  return j;
}

// The canonical text hashed for the cache key: every field that changes the
// compiled artefacts, in a fixed order (not the file chain or description).
// Built by hand: this runs on every start, and JSON would cost ~10x more.
std::string PolicyHash(const Policy& p) {
  std::string t;
  t.reserve(16384);
  auto num = [&](uint64_t v) {
    t += std::to_string(v);
    t += ' ';
  };
  auto action = [&](const Action& a) {
    num(static_cast<uint64_t>(a.kind));
    num(a.errno_value);
  };
  t += "name ";
  t += p.name;
  t += "\nseccomp ";
  action(p.seccomp.default_action);
  action(p.seccomp.unknown_action);
  num(static_cast<uint64_t>(p.seccomp.optimize));
  for (Arch a : p.seccomp.arches) num(static_cast<uint64_t>(a));
  t += '\n';
  for (const auto& [name, sp] : p.seccomp.syscalls) {
    t += name;
    t += ' ';
    action(sp.action);
    for (const auto& conj : sp.any_of) {
      t += '|';
      for (const auto& c : conj) {
        num(c.index);
        num(static_cast<uint64_t>(c.op));
        num(c.value);
        num(c.mask);
      }
    }
    t += '\n';
  }
  t += "caps ";
  num(p.caps.bounding);
  num(p.caps.ambient);
  num(p.caps.inheritable);
  t += "nnp ";
  num(p.no_new_privileges);
  for (const auto& r : p.rlimits) {
    t += "rlimit " + r.name + ' ';
    num(r.soft);
    num(r.hard);
  }
  for (const auto& m : p.masked_paths) t += "\nmasked " + m;
  for (const auto& m : p.readonly_paths) t += "\nreadonly " + m;
  t += "\nreadonly_root ";
  num(p.readonly_root);
  for (const auto& m : p.tmpfs_paths) t += "\ntmpfs " + m;
  t += "\nnetwork ";
  num(p.network.restricts_families);
  num(p.network.families);
  for (const auto* ports : {&p.network.tcp_bind, &p.network.tcp_connect}) {
    t += ports->has_value() ? "ports " : "any ";
    if (*ports)
      for (uint16_t port : **ports) num(port);
  }
  t += "\nlandlock ";
  num(p.landlock.has_filesystem);
  num(p.landlock.has_network);
  num(static_cast<uint64_t>(p.landlock.mode));
  num(p.landlock.min_abi);
  for (const auto& r : p.landlock.rules) {
    t += "\nfs " + r.path + ' ';
    num(r.access);
  }
  t += "\nlsm ";
  num(static_cast<uint64_t>(p.apparmor.mode));
  t += p.apparmor.profile + ' ';
  num(static_cast<uint64_t>(p.selinux.mode));
  t += p.selinux.type + ' ' + p.selinux.level + ' ' + p.selinux.mount_label;
  t += "\n" + LibseccompVersion() + "\n" RAMPART_COMPILER_VERSION;
  return Sha256Hex(t);
}

Result<CompiledPolicy> CompilePolicy(const Policy& policy, const SeccompCompileOptions& options) {
  CompiledPolicy out;
  out.policy = policy;
  RAMPART_ASSIGN_OR_RETURN(out.seccomp, CompileSeccomp(policy.seccomp, options));
  out.hash = PolicyHash(policy);
  return out;
}

std::string BpfBytes(const std::vector<sock_filter>& insns) {
  return std::string(reinterpret_cast<const char*>(insns.data()), insns.size() * sizeof(sock_filter));
}

Result<nlohmann::json> CompiledSummary(const CompiledPolicy& c, bool per_arch_counts) {
  nlohmann::json j;
  j["name"] = c.policy.name;
  j["hash"] = c.hash;
  j["instructions"] = c.seccomp.insns.size();
  j["optimize"] = c.seccomp.tree ? "tree" : "linear";
  nlohmann::json arches = nlohmann::json::object();
  for (Arch a : c.policy.seccomp.arches) {
    nlohmann::json aj;
    aj["rules"] = c.seccomp.rules_per_arch.count(a) ? c.seccomp.rules_per_arch.at(a) : 0;
    if (per_arch_counts) {
      RAMPART_ASSIGN_OR_RETURN(size_t n, CountInstructions(c.policy.seccomp, a));
      aj["instructions_alone"] = n;
    }
    arches[ArchName(a)] = aj;
  }
  j["architectures"] = arches;
  j["syscalls_known"] = c.policy.seccomp.syscalls.size();
  j["default"] = c.policy.seccomp.default_action.ToString();
  j["unknown"] = c.policy.seccomp.unknown_action.ToString();
  j["capabilities"] = {{"bounding", CapabilityNames(c.policy.caps.bounding)},
                       {"ambient", CapabilityNames(c.policy.caps.ambient)},
                       {"inheritable", CapabilityNames(c.policy.caps.inheritable)}};
  j["no_new_privileges"] = c.policy.no_new_privileges;
  j["libseccomp"] = LibseccompVersion();
  return j;
}

// A cache entry is HASH.bpf (the program) and HASH.json (sha256 of those
// bytes and what the summary needs). An entry whose bytes do not match is
// treated as a miss and rewritten: the cache never hands out a program it
// cannot vouch for.
std::string FrozenPolicyJson(const CompiledPolicy& c) { return FrozenPolicyObject(c).dump(2) + "\n"; }

nlohmann::json FrozenPolicyObject(const CompiledPolicy& c) {
  const Policy& p = c.policy;
  nlohmann::json rl = nlohmann::json::array();
  for (const auto& r : p.rlimits) rl.push_back({{"name", r.name}, {"resource", r.resource}, {"soft", r.soft}, {"hard", r.hard}});
  nlohmann::json arches = nlohmann::json::array();
  for (Arch a : p.seccomp.arches) arches.push_back(ArchName(a));
  nlohmann::json j = {{"version", 2},
                      {"name", p.name},
                      {"hash", c.hash},
                      {"bpf_sha256", c.bpf_sha256.empty() ? Sha256Hex(BpfBytes(c.seccomp.insns)) : c.bpf_sha256},
                      {"tree", c.seccomp.tree},
                      {"default", p.seccomp.default_action.ToString()},
                      {"unknown", p.seccomp.unknown_action.ToString()},
                      {"architectures", arches},
                      {"bounding", p.caps.bounding},
                      {"ambient", p.caps.ambient},
                      {"inheritable", p.caps.inheritable},
                      {"no_new_privileges", p.no_new_privileges},
                      {"rlimits", rl},
                      {"masked_paths", p.masked_paths},
                      {"readonly_paths", p.readonly_paths},
                      {"chain", p.chain},
                      {"enforcement", EnforcementToJson(p)}};
  return j;
}

Result<CompiledPolicy> ThawPolicy(std::string_view json, std::string_view bpf, const std::string& where) {
  return ThawPolicyObject(nlohmann::json::parse(json, nullptr, false), bpf, where);
}

Result<CompiledPolicy> ThawPolicyObject(const nlohmann::json& j, std::string_view bpf, const std::string& where) {
  auto bad = [&](const std::string& what) { return Error::Invalid("frozen policy " + where + ": " + what); };
  if (!j.is_object() || j.value("version", 0) != 2) return bad("unreadable or of an unknown version");
  if (bpf.empty() || bpf.size() % sizeof(sock_filter) != 0) return bad("the BPF program is truncated");
  const std::string bpf_sha256 = Sha256Hex(bpf);
  if (j.value("bpf_sha256", "") != bpf_sha256) return bad("the BPF program does not match its recorded hash");
  CompiledPolicy c;
  c.bpf_sha256 = bpf_sha256;
  try {
    Policy& p = c.policy;
    p.name = j.at("name").get<std::string>();
    c.hash = j.at("hash").get<std::string>();
    c.seccomp.tree = j.at("tree").get<bool>();
    RAMPART_ASSIGN_OR_RETURN(p.seccomp.default_action, ParseAction(j.at("default").get<std::string>()));
    RAMPART_ASSIGN_OR_RETURN(p.seccomp.unknown_action, ParseAction(j.at("unknown").get<std::string>()));
    for (const auto& a : j.at("architectures")) {
      auto arch = ParseArch(a.get<std::string>());
      if (!arch) return bad("unknown architecture " + a.dump());
      p.seccomp.arches.push_back(*arch);
    }
    p.caps.bounding = j.at("bounding").get<uint64_t>();
    p.caps.ambient = j.at("ambient").get<uint64_t>();
    p.caps.inheritable = j.at("inheritable").get<uint64_t>();
    p.no_new_privileges = j.at("no_new_privileges").get<bool>();
    for (const auto& r : j.at("rlimits"))
      p.rlimits.push_back({r.at("resource").get<int>(), r.at("name").get<std::string>(), r.at("soft").get<uint64_t>(),
                           r.at("hard").get<uint64_t>()});
    p.masked_paths = j.at("masked_paths").get<std::vector<std::string>>();
    p.readonly_paths = j.at("readonly_paths").get<std::vector<std::string>>();
    p.chain = j.at("chain").get<std::vector<std::string>>();
    if (auto st = EnforcementFromJson(j.at("enforcement"), p); !st) return bad(st.error().message());
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("missing or mistyped field: ") + e.what());
  }
  c.seccomp.insns.resize(bpf.size() / sizeof(sock_filter));
  std::memcpy(c.seccomp.insns.data(), bpf.data(), bpf.size());
  return c;
}

Result<CompiledPolicy> PolicyCache::Get(const Policy& policy, bool* hit) const {
  const std::string hash = PolicyHash(policy);
  const std::string bpf_path = dir_ + "/" + hash + ".bpf";
  const std::string meta_path = dir_ + "/" + hash + ".json";
  auto bytes = ReadFile(bpf_path);
  auto meta_text = ReadFile(meta_path);
  if (bytes && meta_text && !bytes->empty() && bytes->size() % sizeof(sock_filter) == 0) {
    auto meta = nlohmann::json::parse(*meta_text, nullptr, false);
    const std::string digest = Sha256Hex(*bytes);
    if (meta.is_object() && meta.value("sha256", "") == digest) {
      CompiledPolicy out;
      out.bpf_sha256 = digest;
      out.policy = policy;
      out.hash = hash;
      out.seccomp.insns.resize(bytes->size() / sizeof(sock_filter));
      std::memcpy(out.seccomp.insns.data(), bytes->data(), bytes->size());
      out.seccomp.tree = meta.value("tree", false);
      if (meta.contains("rules_per_arch") && meta["rules_per_arch"].is_object()) {
        for (auto it = meta["rules_per_arch"].begin(); it != meta["rules_per_arch"].end(); ++it)
          if (auto a = ParseArch(it.key()); a && it.value().is_number_unsigned()) out.seccomp.rules_per_arch[*a] = it.value();
      }
      if (hit) *hit = true;
      return out;
    }
  }
  if (hit) *hit = false;
  RAMPART_ASSIGN_OR_RETURN(auto compiled, CompilePolicy(policy));
  if (mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return Error::FromErrno(errno, "mkdir " + dir_);
  const std::string program = BpfBytes(compiled.seccomp.insns);
  nlohmann::json meta = {{"sha256", Sha256Hex(program)}, {"tree", compiled.seccomp.tree}};
  nlohmann::json rules = nlohmann::json::object();
  for (const auto& [a, n] : compiled.seccomp.rules_per_arch) rules[ArchName(a)] = n;
  meta["rules_per_arch"] = rules;
  RAMPART_TRY(WriteFileAtomic(bpf_path, program, 0600));
  RAMPART_TRY(WriteFileAtomic(meta_path, meta.dump() + "\n", 0600));
  return compiled;
}

}  // namespace rampart::security
