// The audit rule table (ids, severities, titles, rationales) and the
// severity words. docs/audit.md documents every rule; ids are stable.
#include "security/audit.h"

namespace rampart::security {
namespace {

const std::vector<AuditRule> kRules = {
    {"RA001", Severity::kHigh, "a dangerous syscall can run",
     "the syscall reaches kernel code that containers must not use (debugging other processes, "
     "loading kernel "
     "code, changing the mount table, the keyring): each one has been the first step of known "
     "container escapes"},
    {"RA002", Severity::kHigh, "a dangerous capability is kept",
     "the capability gives powers over the host kernel or other processes that namespaces do not "
     "contain "
     "(CAP_SYS_ADMIN alone is close to root on the host)"},
    {"RA003", Severity::kHigh, "inheritable capabilities beyond the ambient set",
     "with file capabilities, inheritable capabilities raise the privileges of a program across "
     "execve "
     "(CVE-2022-24769); they are almost never needed"},
    {"RA004", Severity::kHigh, "no_new_privileges is off",
     "setuid-root and file-capability binaries in the container can gain privileges, and Landlock "
     "cannot be used"},
    {"RA005", Severity::kMedium,
     "syscalls unknown to the profile fail with an errno other than ENOSYS",
     "libc and runtimes probe new syscalls and fall back to older ones only on ENOSYS (glibc: "
     "clone3 to clone); "
     "another errno makes them fail hard"},
    {"RA006", Severity::kHigh, "syscalls the profile does not allow still run",
     "an `unknown` (or `default`) action of allow or log turns the profile into a denylist: every "
     "syscall it "
     "does not name, including ones added to future kernels, runs"},
    {"RA007", Severity::kLow, "an x86 multiplexer (socketcall, ipc) is allowed",
     "the sub-call and its arguments live in memory the filter cannot read, so argument rules on "
     "socket and "
     "the System V IPC calls cannot be enforced through the multiplexer"},
    {"RA008", Severity::kMedium, "ioctl can push input into a terminal (TIOCSTI, TIOCLINUX)",
     "a payload sharing a terminal with the host can type commands into it (CVE-2016-9016, "
     "CVE-2017-5226)"},
    {"RA009", Severity::kMedium, "namespace creation is reachable (clone, unshare)",
     "new mount, network, pid, ipc, uts or cgroup namespaces expose kernel code meant for the "
     "host's "
     "administrator; with CAP_SYS_ADMIN in the new namespace, more"},
    {"RA010", Severity::kInfo, "ambient capabilities",
     "ambient capabilities survive execve of ordinary (non-setuid, no file capability) programs "
     "run by a "
     "non-root user; make sure each is needed"},
    {"RA011", Severity::kHigh, "user namespace creation is reachable",
     "an unprivileged user namespace gives the payload CAP_SYS_ADMIN over new namespaces and "
     "exposes a large "
     "part of the kernel (netfilter, mounts of some filesystems) to it: the first step of many "
     "kernel exploits "
     "(CVE-2022-0185, CVE-2022-0492, CVE-2023-0386); clone3 hides its flags from seccomp, so "
     "allowing it allows "
     "them all"},
    {"RA012", Severity::kMedium, "a host-wide /proc setting is writable",
     "most of /proc/sys is not namespaced and /proc/sysrq-trigger acts on the host: a container "
     "that can write "
     "them changes the host kernel (kernel.core_pattern runs a program on the host)"},
    {"RA013", Severity::kLow, "a /proc or /sys path with host information is not masked",
     "these files expose host kernel memory, keys, timers or firmware: masking them (runc's "
     "default) removes "
     "information leaks and side channels"},
    {"RA014", Severity::kHigh, "the container shares a critical namespace with the host",
     "without its own pid, network, mount or ipc namespace the payload sees and acts on the host's "
     "processes, "
     "network, file systems or shared memory"},
    {"RA015", Severity::kLow, "the container shares a namespace with the host",
     "without its own uts or cgroup namespace the payload sees (and with the capability changes) "
     "host-wide "
     "names and the host's cgroup tree"},
    {"RA016", Severity::kMedium, "the payload runs as root without a user namespace",
     "uid 0 in the container is uid 0 on the host: any escape (a kernel bug, a leaked file "
     "descriptor, a "
     "writable host mount) is an escape as root; a user namespace maps it to an unprivileged host "
     "uid"},
    {"RA017", Severity::kInfo, "a capability is kept but every syscall it governs is denied",
     "the capability is dead weight: either the seccomp denial or the capability is a mistake; "
     "keeping only "
     "what is used makes the profile easier to review"},
    {"RA018", Severity::kLow,
     "the filesystem section grants an access the seccomp filter makes unusable",
     "Landlock grants an access (write, create, exec, read) for which every syscall is denied: one "
     "of the two "
     "sections does not say what its author meant"},
    {"RA019", Severity::kLow, "an argument rule can never decide anything",
     "an alternative whose conditions can never hold, or which another alternative of the same "
     "syscall already "
     "covers, is dead: it usually hides a typo in a value or an operator"},
    {"RA020", Severity::kInfo, "a conditional rule has no effect",
     "its action is what a call that matches no condition gets anyway, so the conditions change "
     "nothing"},
    {"RA021", Severity::kMedium, "a syscall with a large kernel attack surface can run",
     "io_uring performs queued I/O from kernel threads, outside seccomp, and has had many "
     "privilege "
     "escalations; modify_ldt and vm86 are old CPU-emulation paths with a long history of kernel "
     "bugs"},
    {"RA022", Severity::kMedium, "the payload runs unconfined by the LSM",
     "an AppArmor profile `unconfined` or an unconfined SELinux type (unconfined_t, spc_t) turns "
     "the mandatory "
     "access control layer off for the container: it no longer backs up seccomp and capabilities "
     "when one of "
     "them has a gap"},
};

}  // namespace

std::string SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
  }
  return "?";
}

std::optional<Severity> ParseSeverity(std::string_view word) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh})
    if (word == SeverityName(s)) return s;
  return std::nullopt;
}

const std::vector<AuditRule>& AuditRules() { return kRules; }

const AuditRule* FindAuditRule(std::string_view id) {
  for (const auto& r : kRules)
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace rampart::security
