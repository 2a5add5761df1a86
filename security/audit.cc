#include "security/audit.h"

#include <linux/capability.h>

#include <algorithm>

#include "security/capabilities.h"

namespace rampart::security {
namespace {

struct DangerousSyscall {
  const char* name;
  const char* why;
};

constexpr DangerousSyscall kDangerous[] = {
    {"ptrace", "inspects and controls other processes"},
    {"bpf", "loads kernel programs"},
    {"mount", "changes the mount table"},
    {"umount2", "changes the mount table"},
    {"pivot_root", "changes the root"},
    {"unshare", "creates namespaces (user namespaces expose kernel attack surface)"},
    {"setns", "joins other namespaces"},
    {"kexec_load", "replaces the running kernel"},
    {"kexec_file_load", "replaces the running kernel"},
    {"init_module", "loads kernel modules"},
    {"finit_module", "loads kernel modules"},
    {"delete_module", "unloads kernel modules"},
    {"open_by_handle_at", "opens files by handle, outside the mount tree (Shocker)"},
    {"keyctl", "reaches the kernel keyring, which is not namespaced"},
    {"add_key", "reaches the kernel keyring, which is not namespaced"},
    {"request_key", "reaches the kernel keyring, which is not namespaced"},
    {"userfaultfd", "a common exploitation primitive for kernel races"},
    {"perf_event_open", "exposes kernel performance data and attack surface"},
    {"iopl", "gives raw I/O port access"},
    {"ioperm", "gives raw I/O port access"},
    {"reboot", "reboots the host"},
    {"swapon", "changes host swap"},
    {"process_vm_writev", "writes other processes' memory"},
};

constexpr int kDangerousCaps[] = {CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH, CAP_SYS_MODULE, CAP_SYS_PTRACE,
                                  CAP_NET_ADMIN, CAP_SYS_RAWIO,       CAP_SYS_BOOT,   CAP_BPF,
                                  CAP_PERFMON,   CAP_SYS_TIME,        CAP_MAC_ADMIN,  CAP_MAC_OVERRIDE,
                                  CAP_SYSLOG};

}  // namespace

std::string SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
  }
  return "?";
}

std::vector<Finding> AuditPolicy(const Policy& p) {
  std::vector<Finding> out;
  const SeccompPolicy& s = p.seccomp;
  SourcePos leaf{p.chain.empty() ? "" : p.chain.back(), 0, 0};
  auto find = [&](const std::string& name) -> const SyscallPolicy* {
    auto it = s.syscalls.find(name);
    return it == s.syscalls.end() ? nullptr : &it->second;
  };
  auto allows = [&](const SyscallPolicy* sp) { return sp && (sp->action.is_allow() || sp->action.kind == Action::Kind::kLog); };

  for (const auto& d : kDangerous) {
    const SyscallPolicy* sp = find(d.name);
    if (allows(sp) || (!sp && s.unknown_action.is_allow())) {
      out.push_back({"RA001", Severity::kHigh,
                     std::string("syscall ") + d.name + " is allowed" + (sp && sp->conditional() ? " (with conditions)" : "") +
                         ": it " + d.why,
                     sp ? sp->origin : s.unknown_pos});
    }
  }
  for (int cap : kDangerousCaps) {
    if (p.caps.bounding & (1ULL << cap))
      out.push_back({"RA002", Severity::kHigh, "capability " + CapabilityName(cap) + " is kept", leaf});
  }
  uint64_t extra_inh = p.caps.inheritable & ~p.caps.ambient;
  if (extra_inh)
    out.push_back({"RA003", Severity::kHigh,
                   "inheritable capabilities " + CapabilityPolicy::MaskToNames(extra_inh) +
                       " can raise privileges across execve with file capabilities (CVE-2022-24769)",
                   leaf});
  if (!p.no_new_privileges)
    out.push_back({"RA004", Severity::kHigh, "no_new_privileges is off: setuid and file-capability binaries can gain privileges",
                   p.no_new_privileges_pos});
  if (s.unknown_action.kind == Action::Kind::kErrno && s.unknown_action.errno_value != ENOSYS)
    out.push_back({"RA005", Severity::kMedium,
                   "syscalls unknown to the profile get " + s.unknown_action.ToString() +
                       ", not errno(ENOSYS): libc cannot fall back (e.g. clone3 to clone)",
                   s.unknown_pos});
  if (s.unknown_action.is_allow())
    out.push_back({"RA006", Severity::kHigh, "syscalls unknown to the profile are allowed (denylist profile)", s.unknown_pos});
  bool x86 = std::find(s.arches.begin(), s.arches.end(), Arch::kX86) != s.arches.end();
  if (x86) {
    for (const char* m : {"socketcall", "ipc"}) {
      const SyscallPolicy* sp = find(m);
      if (allows(sp))
        out.push_back({"RA007", Severity::kLow,
                       std::string(m) + " is allowed on x86: argument rules on its sub-calls cannot be enforced through it",
                       sp->origin});
    }
  }
  if (const SyscallPolicy* sp = find("ioctl"); allows(sp) && !sp->conditional())
    out.push_back({"RA008", Severity::kMedium, "ioctl is allowed without excluding TIOCSTI/TIOCLINUX (terminal injection)",
                   sp->origin});
  if (const SyscallPolicy* sp = find("clone"); allows(sp) && !sp->conditional())
    out.push_back({"RA009", Severity::kMedium, "clone is allowed with any flags, including namespace creation", sp->origin});
  if (p.caps.ambient)
    out.push_back({"RA010", Severity::kInfo, "ambient capabilities " + CapabilityPolicy::MaskToNames(p.caps.ambient) +
                                                 " survive execve for non-root payloads", leaf});
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

nlohmann::json FindingsToJson(const std::vector<Finding>& findings) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : findings)
    arr.push_back({{"id", f.id}, {"severity", SeverityName(f.severity)}, {"message", f.message}, {"location", f.pos.ToString()}});
  return arr;
}

}  // namespace rampart::security
