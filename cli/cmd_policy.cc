// rampart policy list|show|compile|check|run
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstring>

#include "base/atomic_file.h"
#include "base/strings.h"
#include "cli/command.h"
#include "cli/policy_common.h"
#include "runtime/policy_apply.h"
#include "security/audit.h"
#include "security/bpf_interpreter.h"
#include "security/capabilities.h"
#include "security/apparmor.h"
#include "security/compiled_policy.h"
#include "security/selinux.h"
#include "security/constants.h"
#include "runtime/paths.h"
#include "security/embedded.h"
#include "security/landlock.h"
#include "security/resolver.h"
#include "security/syscall_table.h"

namespace rampart::cli {

std::vector<std::string> ProfileDirs(const Context& ctx) { return runtime::Paths::From(ctx.root_flag).ProfileDirs(); }

Result<security::Policy> LoadPolicy(const Context& ctx, const std::string& ref) {
  RAMPART_ASSIGN_OR_RETURN(auto loader, security::ProfileLoader::Create(ProfileDirs(ctx)));
  return loader.Load(ref);
}

Result<std::string> OnePositional(const ParsedArgs& a, const std::string& what) {
  if (a.positional.size() != 1) return Error::Invalid("expected exactly one " + what + " (see --help)");
  return a.positional[0];
}

namespace {

using security::Action;
using security::Arch;

std::string ShowText(const security::Policy& p, int host_abi, uint64_t handled) {
  std::string out = "name:         " + p.name + "\n";
  if (!p.description.empty()) out += "description:  " + p.description + "\n";
  out += "chain:        " + Join(p.chain, " <- ") + "\n";
  const auto& s = p.seccomp;
  std::string arches;
  for (Arch a : s.arches) arches += (arches.empty() ? "" : ", ") + security::ArchName(a);
  out += "seccomp:\n  architectures: " + arches + " (others: kill-process)\n";
  out += "  known but not allowed: " + s.default_action.ToString() + "\n";
  out += "  not named by the profile: " + s.unknown_action.ToString() + "\n";
  std::map<std::string, std::vector<std::string>> by_action;
  std::vector<std::string> conditional;
  for (const auto& [name, sp] : s.syscalls) {
    if (sp.conditional()) {
      std::string alts;
      for (const auto& conj : sp.any_of) {
        std::vector<std::string> parts;
        for (const auto& c : conj) parts.push_back(c.ToString());
        alts += (alts.empty() ? "" : " or ") + ("(" + Join(parts, " and ") + ")");
      }
      conditional.push_back("    " + name + ": " + sp.action.ToString() + " when " + alts + ", else " +
                            s.default_action.ToString());
    } else {
      by_action[sp.action.ToString()].push_back(name);
    }
  }
  for (const auto& [action, names] : by_action) {
    out += "  " + action + " (" + std::to_string(names.size()) + "):\n";
    std::string line = "   ";
    for (const auto& n : names) {
      if (line.size() + n.size() > 78) out += line + "\n", line = "   ";
      line += " " + n;
    }
    out += line + "\n";
  }
  if (!conditional.empty()) out += "  argument rules:\n" + Join(conditional, "\n") + "\n";
  out += "capabilities:\n  kept: " + security::CapabilityPolicy::MaskToNames(p.caps.bounding) + "\n";
  out += "  ambient: " + security::CapabilityPolicy::MaskToNames(p.caps.ambient) + "\n";
  out += "  inheritable: " + security::CapabilityPolicy::MaskToNames(p.caps.inheritable) + "\n";
  out += std::string("no_new_privileges: ") + (p.no_new_privileges ? "true" : "false") + "\n";
  if (!p.rlimits.empty()) {
    out += "rlimits:\n";
    for (const auto& r : p.rlimits)
      out += "  " + r.name + ": " + (r.soft == RLIM_INFINITY ? "unlimited" : std::to_string(r.soft)) + " / " +
             (r.hard == RLIM_INFINITY ? "unlimited" : std::to_string(r.hard)) + "\n";
  }
  if (!p.masked_paths.empty()) out += "masked_paths: " + Join(p.masked_paths, " ") + "\n";
  if (!p.readonly_paths.empty()) out += "readonly_paths: " + Join(p.readonly_paths, " ") + "\n";
  if (p.readonly_root) out += "readonly_root: true (/ is remounted read-only)\n";
  if (!p.tmpfs_paths.empty()) out += "tmpfs: " + Join(p.tmpfs_paths, " ") + "\n";
  const auto& l = p.landlock;
  out += "landlock: " + security::EnforceModeName(l.mode) + (l.min_abi ? ", min_abi " + std::to_string(l.min_abi) : "") +
         (l.active() ? "" : l.mode == security::EnforceMode::kOff ? " (off)" : " (inactive: no filesystem section or network.tcp)") +
         "\n";
  if (l.has_filesystem) {
    out += "  handled rights (ABI " + std::to_string(host_abi) + " on this host): " +
           Join(security::LandlockRightNames(handled), ", ") + "\n";
    out += "  paths no rule covers are denied these rights; rules:\n";
    for (const auto& r : l.rules) {
      uint64_t rights = security::LandlockRights(r.access, handled);
      out += "    " + r.path + ": " + security::FsAccessToString(r.access) + " -> " +
             (rights ? Join(security::LandlockRightNames(rights), ",") : "no rule") + "  (" + r.pos.ToString() + ")\n";
    }
  }
  const auto& n = p.network;
  if (n.restricts_families || n.restricts_tcp()) {
    out += "network:\n";
    if (n.restricts_families)
      out += "  families: " + security::NetFamiliesToString(n.families) + " (socket(2) narrowed in seccomp)\n";
    auto ports = [](const std::optional<std::vector<uint16_t>>& v) {
      if (!v) return std::string("any");
      std::vector<std::string> s;
      for (uint16_t port : *v) s.push_back(std::to_string(port));
      return s.empty() ? std::string("none") : Join(s, ",");
    };
    out += "  tcp bind: " + ports(n.tcp_bind) + ", connect: " + ports(n.tcp_connect) +
           (n.restricts_tcp() ? " (Landlock, ABI 4)" : "") + "\n";
  }
  out += "apparmor: " + p.apparmor.profile + ", enforce " + security::EnforceModeName(p.apparmor.mode) + "\n";
  out += "selinux: type " + p.selinux.type + ", level " + p.selinux.level +
         (p.selinux.mount_label.empty() ? "" : ", mount label " + p.selinux.mount_label) + ", enforce " +
         security::EnforceModeName(p.selinux.mode) + "\n";
  return out;
}

// PolicyToJson plus the Landlock rights for this host's ABI.
nlohmann::json ShowJson(const security::Policy& p, int host_abi, uint64_t handled) {
  nlohmann::json j = security::PolicyToJson(p);
  j["landlock"]["host_abi"] = host_abi;
  j["landlock"]["handled_rights"] = security::LandlockRightNames(handled);
  if (p.landlock.has_filesystem) {
    for (size_t i = 0; i < p.landlock.rules.size(); ++i)
      j["filesystem"]["paths"][i]["rights"] =
          security::LandlockRightNames(security::LandlockRights(p.landlock.rules[i].access, handled));
  }
  return j;
}

Result<int> List(Context& ctx, const ParsedArgs&) {
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"NAME", "EXTENDS", "DESCRIPTION"}};
  for (const auto& name : security::EmbeddedProfileNames()) {
    RAMPART_ASSIGN_OR_RETURN(auto p, LoadPolicy(ctx, name));
    std::string base = p.chain.size() > 1 ? p.chain[p.chain.size() - 2] : "";
    if (base.starts_with("<shipped>/")) base = base.substr(10, base.size() - 15);
    j.push_back({{"name", name}, {"extends", base}, {"description", p.description}});
    rows.push_back({name, base.empty() ? "-" : base, p.description});
  }
  Emit(ctx.format, j, FormatTable(rows));
  return 0;
}

Result<int> Show(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(std::string ref, OnePositional(a, "PROFILE"));
  RAMPART_ASSIGN_OR_RETURN(auto p, LoadPolicy(ctx, ref));
  // Rights are shown for this host's Landlock ABI (the newest rampart knows
  // when the host has none).
  int abi = runtime::DetectHostSecurity().landlock_abi;
  uint64_t handled = security::LandlockHandledRights(abi > 0 ? abi : 3);
  if (a.Has("selinux")) {
    const std::string cil = security::GenerateSelinuxCil(p);
    Emit(ctx.format, {{"selinux_type", security::SelinuxTypeName(p)}, {"selinux_cil", cil}}, cil);
    return 0;
  }
  if (a.Has("apparmor")) {
    // The generated profile itself, as `policy compile -o` writes it.
    const std::string text = security::GenerateAppArmorProfile(p, security::AppArmorProfileName(p, security::PolicyHash(p)));
    Emit(ctx.format, {{"apparmor_profile", text}}, text);
    return 0;
  }
  Emit(ctx.format, ShowJson(p, abi, handled), ShowText(p, abi, handled));
  return 0;
}

Result<int> Compile(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(std::string ref, OnePositional(a, "PROFILE"));
  RAMPART_ASSIGN_OR_RETURN(auto p, LoadPolicy(ctx, ref));
  security::SeccompCompileOptions opts;
  if (a.Has("optimize")) {
    std::string o = a.Get("optimize");
    if (o == "tree") opts.optimize = security::Optimize::kTree;
    else if (o == "linear") opts.optimize = security::Optimize::kLinear;
    else if (o != "auto") return Error::Invalid("--optimize must be auto, linear or tree");
  }
  RAMPART_ASSIGN_OR_RETURN(auto compiled, security::CompilePolicy(p, opts));
  RAMPART_ASSIGN_OR_RETURN(auto summary, security::CompiledSummary(compiled, true));
  if (a.Has("output")) {
    const std::string out = a.Get("output");
    summary["bpf_file"] = out;
    if (IsSpecialFile(out)) {
      // A device or pipe (/dev/null, /dev/stdout): the program is written into
      // it as it is; there is no directory to put a summary beside it.
      RAMPART_TRY(WriteFileOrDevice(out, security::BpfBytes(compiled.seccomp.insns)));
    } else {
      summary["summary_file"] = out + ".json";
      // The other layers from the same policy, beside the BPF: the AppArmor
      // profile (checked with apparmor_parser when it is installed) and the
      // Landlock rules with the rights they map to on this host.
      const std::string aa_name = security::AppArmorProfileName(p, compiled.hash);
      const std::string aa = security::GenerateAppArmorProfile(p, aa_name);
      if (auto v = security::ValidateAppArmorProfile(aa); !v && v.error().kind() != ErrorKind::kUnsupported)
        return v.error().Wrap("generated AppArmor profile");
      int abi = runtime::DetectHostSecurity().landlock_abi;
      nlohmann::json landlock = ShowJson(p, abi, security::LandlockHandledRights(abi > 0 ? abi : 3));
      // The SELinux module is written, not compiled here: secilc against
      // the full reference policy takes seconds (the tests check it).
      const std::string cil = security::GenerateSelinuxCil(p);
      summary["apparmor_profile"] = aa_name;
      summary["apparmor_file"] = out + ".apparmor";
      summary["selinux_type"] = security::SelinuxTypeName(p);
      summary["selinux_file"] = out + ".cil";
      summary["landlock_file"] = out + ".landlock.json";
      const std::vector<std::pair<std::string, std::string>> files = {
          {out, security::BpfBytes(compiled.seccomp.insns)},
          {out + ".apparmor", aa},
          {out + ".cil", cil},
          {out + ".landlock.json",
           nlohmann::json{{"landlock", landlock["landlock"]}, {"filesystem", landlock.value("filesystem", nlohmann::json())}}
                   .dump(2) +
               "\n"}};
      // All files or none: the summary is written last and names the others.
      std::vector<std::string> written;
      for (const auto& [path, data] : files) {
        if (auto st = WriteFileAtomic(path, data, 0644); !st) {
          for (const auto& w : written) unlink(w.c_str());
          return st.error();
        }
        written.push_back(path);
      }
      auto st = WriteFileAtomic(out + ".json", summary.dump(2) + "\n", 0644);
      if (!st) {
        for (const auto& w : written) unlink(w.c_str());
        return st.error();
      }
    }
  }
  std::string human = "profile:      " + p.name + "\nhash:         " + compiled.hash + "\n";
  human += "instructions: " + std::to_string(compiled.seccomp.insns.size()) + " (" +
           (compiled.seccomp.tree ? "binary tree" : "linear") + ", all architectures in one program)\n";
  for (auto it = summary["architectures"].begin(); it != summary["architectures"].end(); ++it)
    human += "  " + it.key() + ": " + std::to_string(it.value()["instructions_alone"].get<size_t>()) +
             " instructions alone, " + std::to_string(it.value()["rules"].get<size_t>()) + " rules\n";
  human += "capabilities: " + security::CapabilityPolicy::MaskToNames(p.caps.bounding) + "\n";
  human += std::string("no_new_privileges: ") + (p.no_new_privileges ? "true" : "false") + "\n";
  if (summary.contains("summary_file"))
    human += "wrote " + a.Get("output") + ", " + a.Get("output") + ".apparmor, " + a.Get("output") + ".cil, " +
             a.Get("output") + ".landlock.json and " + a.Get("output") + ".json\n";
  else if (a.Has("output"))
    human += "wrote " + a.Get("output") + " (not a regular file: no summary beside it)\n";
  Emit(ctx.format, summary, human);
  return 0;
}

Result<int> Check(Context& ctx, const ParsedArgs& a) {
  if (a.positional.size() < 2) return Error::Invalid("usage: rampart policy check PROFILE SYSCALL [ARGS...]");
  if (a.positional.size() > 8) return Error::Invalid("at most 6 syscall arguments");
  RAMPART_ASSIGN_OR_RETURN(auto p, LoadPolicy(ctx, a.positional[0]));
  auto arch = security::ParseArch(a.Get("arch", "native"));
  if (!arch) return Error::Invalid("--arch: unknown architecture '" + a.Get("arch") + "' (expected native, x86_64, x86 or x32)");
  const std::string& call = a.positional[1];
  seccomp_data d{};
  d.arch = security::AuditArch(*arch);
  uint32_t nr;
  if (auto n = security::SyscallNumber(*arch, call)) {
    nr = *n;
  } else if (auto num = ParseUint64(call); num && *num <= 0xffffffff) {
    nr = static_cast<uint32_t>(*num);
    if (*arch == Arch::kX32) nr |= security::kX32SyscallBit;
  } else {
    return Error::Invalid("'" + call + "' is not a syscall on " + security::ArchName(*arch));
  }
  d.nr = static_cast<int>(nr);
  for (size_t i = 2; i < a.positional.size(); ++i) {
    auto v = security::ParseValueExpr(a.positional[i]);
    if (!v) return v.error().Wrap("argument " + std::to_string(i - 2));
    d.args[i - 2] = *v;
  }
  RAMPART_ASSIGN_OR_RETURN(auto compiled, security::CompilePolicy(p));
  RAMPART_ASSIGN_OR_RETURN(uint32_t ret, security::RunBpf(compiled.seccomp.insns, d));
  auto action = Action::FromSeccompRet(ret);
  std::string verdict = action ? action->ToString() : "raw 0x" + std::to_string(ret);
  Action intended = p.seccomp.Evaluate(d);
  std::string args;
  for (size_t i = 2; i < a.positional.size(); ++i) args += (i > 2 ? ", " : "") + a.positional[i];
  nlohmann::json j = {{"profile", p.name}, {"arch", security::ArchName(*arch)}, {"syscall", call},
                      {"nr", nr}, {"action", verdict}, {"seccomp_ret", ret}, {"intended", intended.ToString()}};
  Emit(ctx.format, j, security::ArchName(*arch) + " " + call + "(" + args + ") [nr " + std::to_string(nr) + "] -> " + verdict + "\n");
  if (!action || *action != intended)
    return Error::Internal("the compiled filter returns " + verdict + " but the policy intends " + intended.ToString());
  return 0;
}

Result<int> Run(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(std::string ref, OnePositional(a, "PROFILE"));
  if (!a.has_rest || a.rest.empty()) return Error::Invalid("no command: rampart policy run PROFILE -- CMD [ARGS...]");
  RAMPART_ASSIGN_OR_RETURN(auto p, LoadPolicy(ctx, ref));
  security::CompiledPolicy compiled;
  if (a.Has("no-cache")) {
    RAMPART_ASSIGN_OR_RETURN(compiled, security::CompilePolicy(p));
  } else {
    // Compiled programs are cached by content hash; a cache that cannot be
    // written only costs a compile.
    bool hit = false;
    std::string dir = ctx.root + "/cache/bpf";
    (void)MakeDirs(ctx.root + "/cache", 0700);  // a cache that cannot be made only costs a compile
    auto cached = security::PolicyCache(dir).Get(p, &hit);
    if (cached) {
      compiled = std::move(*cached);
      ctx.log.Debug("policy cache", {{"hit", hit ? "true" : "false"}, {"hash", compiled.hash}});
    } else {
      ctx.log.Info("policy cache unavailable, compiling", {{"error", cached.error().message()}});
      RAMPART_ASSIGN_OR_RETURN(compiled, security::CompilePolicy(p));
    }
  }
  RAMPART_ASSIGN_OR_RETURN(auto notes, security::CheckEnforcement(p, runtime::DetectHostSecurity()));
  for (const auto& n : notes) ctx.log.Warn("security layer not enforced: " + n, {{"profile", p.name}});
  ctx.log.Info("running under policy", {{"profile", p.name}, {"hash", compiled.hash}});
  RAMPART_ASSIGN_OR_RETURN(auto res, runtime::RunUnderPolicy(compiled, a.rest));
  if (res.exec_errno != 0) {
    ctx.log.Error("exec " + a.rest[0] + ": " + std::strerror(res.exec_errno));
    return res.exec_errno == ENOENT ? kExitNotFound : kExitCannotInvoke;
  }
  if (WIFEXITED(res.wait_status)) return WEXITSTATUS(res.wait_status);
  if (WIFSIGNALED(res.wait_status)) return 128 + WTERMSIG(res.wait_status);
  return kExitError;
}

}  // namespace

std::vector<Command> PolicyCommands() {
  std::vector<Command> c;
  c.push_back({"policy list", "", "list the shipped profiles", "", {}, List});
  c.push_back({"policy show", "PROFILE [--apparmor | --selinux]", "show the resolved policy (extends and groups expanded)",
               "PROFILE is a shipped name (see 'policy list') or a path to a YAML/JSON profile.",
               {{"apparmor", 0, false, "", "print the AppArmor profile generated from it"},
                {"selinux", 0, false, "", "print the SELinux CIL module generated from it"}},
               Show});
  c.push_back({"policy compile", "PROFILE [-o FILE]", "compile a profile to a seccomp BPF program",
               "Prints a summary (instructions per architecture, capability sets, hash). With -o,\n"
               "writes the raw BPF (struct sock_filter array) to FILE, the AppArmor profile to\n"
               "FILE.apparmor, the SELinux CIL module to FILE.cil, the Landlock rules to\n"
               "FILE.landlock.json and the summary to FILE.json.\n"
               "The same profile always gives the same bytes.",
               {{"output", 'o', true, "FILE", "write the BPF program to FILE and the summary to FILE.json"},
                {"optimize", 0, true, "auto|linear|tree", "override the profile's syscall dispatch"}},
               Compile});
  c.push_back({"policy check", "PROFILE SYSCALL [ARGS...] [--arch A]",
               "what the compiled filter does for one call",
               "Runs the compiled BPF program in rampart's own cBPF interpreter over a\n"
               "struct seccomp_data built from SYSCALL (a name or number) and ARGS (numbers,\n"
               "0x hex or constants such as AF_VSOCK), and prints the action.",
               {{"arch", 0, true, "ARCH", "native (default), x86_64, x86 or x32"}}, Check});
  c.push_back({"policy run", "PROFILE -- CMD [ARGS...]", "run a command on this host under the compiled policy",
               "Applies rlimits, the capability sets, no_new_privs, Landlock and the seccomp filter\n"
               "(last), then execs CMD. The exit code is CMD's (128+N if killed by signal N).",
               {{"no-cache", 0, false, "", "compile instead of using ROOT/cache/bpf"}}, Run});
  return c;
}

}  // namespace rampart::cli
