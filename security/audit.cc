// The audit rules (docs/audit.md lists them with their rationale) and the
// reachability questions they ask of the policy IR.
#include "security/audit.h"

#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <map>
#include <optional>

#include "security/arg_algebra.h"
#include "security/capabilities.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

const AuditRule& Rule(std::string_view id) {
  const AuditRule* r = FindAuditRule(id);
  return r ? *r : AuditRules().front();  // not reached: every id used here is in the table
}

Finding Make(std::string_view id, std::string message, SourcePos pos, std::string rationale = "") {
  const AuditRule& r = Rule(id);
  return Finding{r.id, r.severity, std::move(message), std::move(pos),
                 rationale.empty() ? r.rationale : rationale};
}

bool Runs(const Action& a) { return a.is_allow() || a.kind == Action::Kind::kLog; }

Conjunction With(Conjunction c, const Conjunction& extra) {
  c.insert(c.end(), extra.begin(), extra.end());
  return c;
}

// The smallest x >= lo with (x & mask) == value (value within mask), if any.
std::optional<uint64_t> MinMatchingAtLeast(uint64_t lo, uint64_t mask, uint64_t value) {
  // Walk from the top bit, copying lo while x equals lo's prefix; when a
  // fixed bit must differ, either x is already larger (done: free bits 0)
  // or x must be raised at the lowest free bit above where lo has a 0.
  uint64_t x = 0;
  int raise_at = -1;  // a free bit, above the current one, where lo has 0
  for (int b = 63; b >= 0; --b) {
    const uint64_t bit = 1ULL << b;
    const bool lo_bit = lo & bit;
    if (mask & bit) {
      const bool v = value & bit;
      if (v == lo_bit) {
        x |= v ? bit : 0;
        continue;
      }
      if (v && !lo_bit) return x | (value & (bit | (bit - 1)));  // larger from here on: free bits 0
      // v = 0 where lo has 1: x must be raised at a free bit above.
      if (raise_at < 0) return std::nullopt;
      const uint64_t r = 1ULL << raise_at;
      const uint64_t high = x & ~(r | (r - 1));  // bits above raise_at as chosen so far
      return high | r | (value & (r - 1));
    }
    if (lo_bit) {
      x |= bit;
    } else {
      raise_at = b;
    }
  }
  return x;  // x == lo
}

// Whether some argument vector satisfies `conj`, with the comparison
// semantics of ConditionHolds (32-bit arguments compare their low half).
// Exact: per argument, the interval set of the plain comparisons
// intersected with the combined masked equalities.
bool Satisfiable(const Conjunction& conj, const ArgWidths& w) {
  std::map<unsigned, std::vector<ArgCondition>> by_arg;
  for (const auto& c : conj) by_arg[c.index].push_back(c);
  for (const auto& [index, conds] : by_arg) {
    const uint64_t max = index < 6 && w.is32[index] ? 0xffffffffULL : ~0ULL;
    std::vector<std::pair<uint64_t, uint64_t>> ivs = {{0, max}};  // inclusive, disjoint
    uint64_t mask = 0, value = 0;
    for (ArgCondition c : conds) {
      c.value &= max;
      c.mask &= max;
      if (c.op == CmpOp::kMaskedEq) {
        if ((c.value & ~c.mask) != 0) return false;
        if ((value & c.mask & mask) != (c.value & mask)) return false;
        mask |= c.mask;
        value |= c.value;
        continue;
      }
      std::vector<std::pair<uint64_t, uint64_t>> allowed;  // what this comparison admits
      const uint64_t v = c.value;
      switch (c.op) {
        case CmpOp::kEq:
          allowed = {{v, v}};
          break;
        case CmpOp::kNe:
          if (v > 0) allowed.push_back({0, v - 1});
          if (v < max) allowed.push_back({v + 1, max});
          break;
        case CmpOp::kLt:
          if (v > 0) allowed = {{0, v - 1}};
          break;
        case CmpOp::kLe:
          allowed = {{0, v}};
          break;
        case CmpOp::kGt:
          if (v < max) allowed = {{v + 1, max}};
          break;
        case CmpOp::kGe:
          allowed = {{v, max}};
          break;
        case CmpOp::kMaskedEq:
          break;
      }
      std::vector<std::pair<uint64_t, uint64_t>> next;
      for (auto [a_lo, a_hi] : ivs)
        for (auto [b_lo, b_hi] : allowed) {
          uint64_t lo = std::max(a_lo, b_lo), hi = std::min(a_hi, b_hi);
          if (lo <= hi) next.push_back({lo, hi});
        }
      ivs = std::move(next);
      if (ivs.empty()) return false;
    }
    bool any = false;
    for (auto [lo, hi] : ivs) {
      auto x = MinMatchingAtLeast(lo, mask, value);
      if (x && *x <= hi) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

// ¬c as ORed single conditions (empty: c always holds).
std::vector<ArgCondition> Negations(const ArgCondition& c) {
  const unsigned i = c.index;
  switch (c.op) {
    case CmpOp::kEq:
      return {{i, CmpOp::kNe, c.value, 0}};
    case CmpOp::kNe:
      return {{i, CmpOp::kEq, c.value, 0}};
    case CmpOp::kLt:
      return {{i, CmpOp::kGe, c.value, 0}};
    case CmpOp::kLe:
      return {{i, CmpOp::kGt, c.value, 0}};
    case CmpOp::kGt:
      return {{i, CmpOp::kLe, c.value, 0}};
    case CmpOp::kGe:
      return {{i, CmpOp::kLt, c.value, 0}};
    case CmpOp::kMaskedEq: {
      std::vector<ArgCondition> out;
      for (int b = 0; b < 64; ++b) {
        const uint64_t bit = 1ULL << b;
        if (c.mask & bit) out.push_back({i, CmpOp::kMaskedEq, ~c.value & bit, bit});
      }
      if ((c.value & ~c.mask) != 0)
        out.push_back({i, CmpOp::kGe, 0, 0});  // c never holds: ¬c always
      return out;
    }
  }
  return {};
}

// Every argument vector satisfying `a` also satisfies `b`.
bool Implies(const Conjunction& a, const Conjunction& b, const ArgWidths& w) {
  for (const auto& c : b)
    for (const auto& n : Negations(c))
      if (Satisfiable(With(a, {n}), w)) return false;
  return true;
}

bool ReachableOn(const Policy& p, Arch arch, const std::string& name, const Conjunction& extra) {
  if (!SyscallNumber(arch, name)) return false;
  const SeccompPolicy& s = p.seccomp;
  const ArgWidths w = ArgWidths::For(arch, name);
  auto it = s.syscalls.find(name);
  if (it == s.syscalls.end()) return Runs(s.unknown_action) && Satisfiable(extra, w);
  const SyscallPolicy& sp = it->second;
  if (!sp.conditional()) return Runs(sp.action) && Satisfiable(extra, w);
  if (Runs(sp.action))
    for (const auto& conj : sp.any_of)
      if (Satisfiable(With(conj, extra), w)) return true;
  if (Runs(s.default_action)) {  // calls that match no condition
    auto rest = Complement(sp.any_of, w);
    if (!rest) return true;
    for (const auto& conj : *rest)
      if (Satisfiable(With(conj, extra), w)) return true;
  }
  return false;
}

const SyscallPolicy* Find(const Policy& p, const std::string& name) {
  auto it = p.seccomp.syscalls.find(name);
  return it == p.seccomp.syscalls.end() ? nullptr : &it->second;
}

// Where the statement deciding `name` is: its rule or list entry, or the
// `unknown` setting for names the profile never mentions.
SourcePos DecidedAt(const Policy& p, const std::string& name, const SourcePos& leaf) {
  const SyscallPolicy* sp = Find(p, name);
  SourcePos pos = sp ? sp->origin : p.seccomp.unknown_pos;
  return pos.file.empty() ? leaf : pos;
}

std::string Qualifier(const Policy& p, const std::string& name) {
  const SyscallPolicy* sp = Find(p, name);
  if (!sp)
    return " (not named by the profile: unknown is " + p.seccomp.unknown_action.ToString() + ")";
  return sp->conditional() ? " (by its argument rule)" : "";
}

ArgCondition BitSet(unsigned index, uint64_t bit) {
  return ArgCondition{index, CmpOp::kMaskedEq, bit, bit};
}
ArgCondition Equals(unsigned index, uint64_t v) { return ArgCondition{index, CmpOp::kEq, v, 0}; }

struct DangerousSyscall {
  const char* name;
  const char* why;
};

// RA001. unshare is judged by its flags (RA009, RA011).
constexpr DangerousSyscall kDangerous[] = {
    {"ptrace", "inspects and controls other processes"},
    {"process_vm_writev", "writes other processes' memory"},
    {"process_vm_readv", "reads other processes' memory"},
    {"pidfd_getfd", "steals file descriptors from other processes"},
    {"bpf", "loads programs into the kernel"},
    {"perf_event_open", "exposes kernel performance data and a large attack surface"},
    {"mount", "changes the mount table"},
    {"umount2", "changes the mount table"},
    {"fsopen", "changes the mount table (new mount API)"},
    {"fsmount", "changes the mount table (new mount API)"},
    {"fspick", "changes the mount table (new mount API)"},
    {"move_mount", "changes the mount table (new mount API)"},
    {"open_tree", "changes the mount table (new mount API)"},
    {"mount_setattr", "changes the mount table (new mount API)"},
    {"pivot_root", "changes the root"},
    {"setns", "joins other namespaces"},
    {"kexec_load", "replaces the running kernel"},
    {"kexec_file_load", "replaces the running kernel"},
    {"init_module", "loads kernel modules"},
    {"finit_module", "loads kernel modules"},
    {"delete_module", "unloads kernel modules"},
    {"open_by_handle_at", "opens files by handle, outside the container's root (Shocker)"},
    {"keyctl", "reaches the kernel keyring, which is not namespaced"},
    {"add_key", "reaches the kernel keyring, which is not namespaced"},
    {"request_key", "reaches the kernel keyring, which is not namespaced"},
    {"userfaultfd",
     "stalls kernel page faults at will, turning kernel races into reliable exploits"},
    {"iopl", "gives raw I/O port access"},
    {"ioperm", "gives raw I/O port access"},
    {"reboot", "reboots the host"},
    {"swapon", "changes host swap"},
    {"swapoff", "changes host swap"},
};

constexpr DangerousSyscall kAttackSurface[] = {
    // RA021
    {"io_uring_setup", "io_uring runs queued I/O outside seccomp"},
    {"modify_ldt", "old CPU-emulation path"},
    {"vm86", "old CPU-emulation path"},
    {"vm86old", "old CPU-emulation path"},
};

constexpr int kDangerousCaps[] = {
    CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_NET_ADMIN,
    CAP_SYS_RAWIO, CAP_SYS_BOOT,        CAP_BPF,        CAP_PERFMON,    CAP_SYS_TIME,
    CAP_MAC_ADMIN, CAP_MAC_OVERRIDE,    CAP_SYSLOG};

// RA017: the syscalls through which a capability acts. Only capabilities
// whose power is (nearly) all in these calls are listed: CAP_SYS_RAWIO
// also opens /dev/mem, CAP_NET_ADMIN acts through ioctl and netlink, ...
struct CapUse {
  int cap;
  std::vector<std::string> syscalls;
};
const std::vector<CapUse>& CapUses() {
  static const std::vector<CapUse> uses = {
      {CAP_SYS_ADMIN,
       {"mount",   "umount2",       "pivot_root",  "fsopen",          "fsmount",
        "fspick",  "move_mount",    "open_tree",   "mount_setattr",   "setns",
        "unshare", "quotactl",      "sethostname", "setdomainname",   "swapon",
        "swapoff", "fanotify_init", "bpf",         "perf_event_open", "lookup_dcookie"}},
      {CAP_SYS_MODULE, {"init_module", "finit_module", "delete_module"}},
      {CAP_SYS_PTRACE, {"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"}},
      {CAP_SYS_BOOT, {"reboot", "kexec_load", "kexec_file_load"}},
      {CAP_SYS_TIME,
       {"settimeofday", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
        "clock_adjtime64", "stime"}},
      {CAP_SYS_CHROOT, {"chroot"}},
      {CAP_BPF, {"bpf"}},
      {CAP_PERFMON, {"perf_event_open", "bpf"}},
      {CAP_SYSLOG, {"syslog"}},
      {CAP_MKNOD, {"mknod", "mknodat"}},
      {CAP_CHOWN, {"chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32"}},
      {CAP_SETUID,
       {"setuid", "setuid32", "setreuid", "setreuid32", "setresuid", "setresuid32", "setfsuid",
        "setfsuid32"}},
      {CAP_SETGID,
       {"setgid", "setgid32", "setregid", "setregid32", "setresgid", "setresgid32", "setgroups",
        "setgroups32", "setfsgid", "setfsgid32"}},
      {CAP_NET_BIND_SERVICE, {"bind", "socketcall"}},
      {CAP_KILL,
       {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"}},
      {CAP_SETPCAP, {"capset", "prctl"}},
      {CAP_SETFCAP, {"setxattr", "lsetxattr", "fsetxattr"}},
      {CAP_IPC_LOCK, {"mlock", "mlock2", "mlockall", "shmctl"}},
      {CAP_SYS_PACCT, {"acct"}},
      {CAP_SYS_NICE,
       {"setpriority", "sched_setscheduler", "sched_setattr", "sched_setparam", "sched_setaffinity",
        "ioprio_set", "mbind", "migrate_pages", "move_pages", "set_mempolicy", "nice"}},
  };
  return uses;
}

bool AnyReachable(const Policy& p, const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return SyscallReachable(p, n); });
}

bool HasArch(const Policy& p, Arch a) {
  return std::find(p.seccomp.arches.begin(), p.seccomp.arches.end(), a) != p.seccomp.arches.end();
}

// `path` is `prefix` or below it.
bool Under(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return true;
  return path == prefix ||
         (path.size() > prefix.size() && path.starts_with(prefix) && path[prefix.size()] == '/');
}

bool CoveredBy(const std::string& path, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& p) { return Under(path, p); });
}

// Landlock restricts the filesystem (not only TCP ports).
bool FsRestricted(const Policy& p) {
  return p.landlock.has_filesystem && p.landlock.mode != EnforceMode::kOff;
}

// The Landlock access at `path`: the union of every rule at or above it.
uint8_t LandlockAccess(const Policy& p, const std::string& path) {
  uint8_t a = 0;
  for (const auto& r : p.landlock.rules)
    if (Under(path, r.path)) a |= r.access;
  return a;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string ConjText(const Conjunction& c) {
  std::vector<std::string> parts;
  for (const auto& a : c) parts.push_back(a.ToString());
  return parts.empty() ? "(always)" : Join(parts, " and ");
}

void AuditSyscalls(const Policy& p, const SourcePos& leaf, std::vector<Finding>& out) {
  const SeccompPolicy& s = p.seccomp;
  for (const auto& d : kDangerous) {
    const std::string name = d.name;
    if (!IsKnownSyscall(name) || !SyscallReachable(p, name)) continue;
    out.push_back(Make("RA001",
                       "syscall " + name + " can run" + Qualifier(p, name) + ": it " + d.why,
                       DecidedAt(p, name, leaf)));
  }
  for (const auto& d : kAttackSurface) {
    const std::string name = d.name;
    if (!IsKnownSyscall(name) || !SyscallReachable(p, name)) continue;
    out.push_back(Make("RA021", "syscall " + name + " can run" + Qualifier(p, name) + ": " + d.why,
                       DecidedAt(p, name, leaf)));
  }

  // RA005 / RA006: the fallbacks.
  if (s.unknown_action.kind == Action::Kind::kErrno && s.unknown_action.errno_value != ENOSYS)
    out.push_back(Make("RA005",
                       "syscalls unknown to the profile get " + s.unknown_action.ToString() +
                           ", not errno(ENOSYS): libc cannot fall back (e.g. clone3 to clone)",
                       s.unknown_pos.file.empty() ? leaf : s.unknown_pos));
  if (Runs(s.unknown_action))
    out.push_back(Make("RA006",
                       "syscalls unknown to the profile run (unknown: " +
                           s.unknown_action.ToString() + "): the profile is a denylist",
                       s.unknown_pos.file.empty() ? leaf : s.unknown_pos));
  if (Runs(s.default_action))
    out.push_back(Make(
        "RA006",
        "syscalls the profile denies run anyway (default: " + s.default_action.ToString() + ")",
        s.default_pos.file.empty() ? leaf : s.default_pos));

  // RA007: x86 multiplexers.
  if (HasArch(p, Arch::kX86)) {
    for (const char* m : {"socketcall", "ipc"}) {
      if (ReachableOn(p, Arch::kX86, m, {}))
        out.push_back(
            Make("RA007",
                 std::string(m) +
                     " is allowed on x86: argument rules on its sub-calls cannot be enforced "
                     "through it",
                 DecidedAt(p, m, leaf)));
    }
  }

  // RA008: terminal injection.
  {
    std::vector<std::string> reachable;
    for (auto [word, value] :
         {std::pair<const char*, uint64_t>{"TIOCSTI", TIOCSTI}, {"TIOCLINUX", TIOCLINUX}})
      if (SyscallReachable(p, "ioctl", {Equals(1, value)})) reachable.push_back(word);
    if (!reachable.empty())
      out.push_back(Make("RA008",
                         "ioctl can run with request " + Join(reachable, " and ") +
                             Qualifier(p, "ioctl") +
                             ": terminal input injection; add a rule such as \"arg1 != TIOCSTI\"",
                         DecidedAt(p, "ioctl", leaf)));
  }

  // RA011 / RA009: namespaces through clone and unshare (flags in arg0).
  for (const char* call : {"clone", "unshare"}) {
    if (!IsKnownSyscall(call)) continue;
    if (SyscallReachable(p, call, {BitSet(0, CLONE_NEWUSER)}))
      out.push_back(Make("RA011",
                         std::string(call) + " can run with CLONE_NEWUSER" + Qualifier(p, call) +
                             ": the payload can create user namespaces",
                         DecidedAt(p, call, leaf)));
    std::vector<std::string> flags;
    for (auto [word, bit] : {std::pair<const char*, uint64_t>{"CLONE_NEWNS", CLONE_NEWNS},
                             {"CLONE_NEWNET", CLONE_NEWNET},
                             {"CLONE_NEWPID", CLONE_NEWPID},
                             {"CLONE_NEWIPC", CLONE_NEWIPC},
                             {"CLONE_NEWUTS", CLONE_NEWUTS},
                             {"CLONE_NEWCGROUP", CLONE_NEWCGROUP}})
      if (SyscallReachable(p, call, {BitSet(0, bit)})) flags.push_back(word);
    if (!flags.empty())
      out.push_back(Make("RA009",
                         std::string(call) + " can run with " + Join(flags, "|") +
                             Qualifier(p, call) +
                             "; exclude them with \"arg0 & CLONE_NEW_ANY == 0\"",
                         DecidedAt(p, call, leaf)));
  }
  if (SyscallReachable(p, "clone3"))
    out.push_back(Make("RA011",
                       "clone3 can run" + Qualifier(p, "clone3") +
                           ": its flags are in memory seccomp cannot read, so it can create any "
                           "namespace; give it "
                           "errno(ENOSYS) so libc falls back to clone",
                       DecidedAt(p, "clone3", leaf)));
}

void AuditCapabilities(const Policy& p, const SourcePos& leaf, std::vector<Finding>& out) {
  for (int cap : kDangerousCaps) {
    if (p.caps.bounding & (1ULL << cap))
      out.push_back(Make("RA002", "capability " + CapabilityName(cap) + " is kept", leaf));
  }
  uint64_t extra_inh = p.caps.inheritable & ~p.caps.ambient;
  if (extra_inh)
    out.push_back(
        Make("RA003",
             "inheritable capabilities " + CapabilityPolicy::MaskToNames(extra_inh) +
                 " can raise privileges across execve with file capabilities (CVE-2022-24769)",
             leaf));
  if (p.caps.ambient)
    out.push_back(Make("RA010",
                       "ambient capabilities " + CapabilityPolicy::MaskToNames(p.caps.ambient) +
                           " survive execve for non-root payloads",
                       leaf));
  // RA017: dead capabilities.
  for (const auto& use : CapUses()) {
    if (!(p.caps.bounding & (1ULL << use.cap))) continue;
    std::vector<std::string> known;
    for (const auto& n : use.syscalls)
      if (IsKnownSyscall(n)) known.push_back(n);
    if (known.empty() || AnyReachable(p, known)) continue;
    out.push_back(Make("RA017",
                       "capability " + CapabilityName(use.cap) +
                           " is kept but every syscall it governs is denied (" + Join(known) + ")",
                       leaf));
  }
  // CAP_NET_RAW: raw and packet sockets.
  if (p.caps.bounding & (1ULL << CAP_NET_RAW)) {
    bool raw = SyscallReachable(p, "socket", {ArgCondition{1, CmpOp::kMaskedEq, SOCK_RAW, 0xf}}) ||
               SyscallReachable(p, "socket", {Equals(0, AF_PACKET)}) ||
               (HasArch(p, Arch::kX86) && ReachableOn(p, Arch::kX86, "socketcall", {}));
    if (!raw)
      out.push_back(
          Make("RA017",
               "capability CAP_NET_RAW is kept but socket() with SOCK_RAW or AF_PACKET is denied",
               leaf));
  }
}

void AuditPaths(const Policy& p, const SourcePos& leaf, std::vector<Finding>& out) {
  auto writable = [&](const std::string& path) {
    if (CoveredBy(path, p.readonly_paths) || CoveredBy(path, p.masked_paths)) return false;
    if (FsRestricted(p) && !(LandlockAccess(p, path) & kFsWrite)) return false;
    return true;
  };
  for (const char* path : {"/proc/sys", "/proc/sysrq-trigger"})
    if (writable(path))
      out.push_back(
          Make("RA012",
               std::string(path) +
                   " is writable: it is neither in readonly_paths nor masked (nor closed by "
                   "the filesystem section)",
               leaf));
  auto readable = [&](const std::string& path) {
    if (CoveredBy(path, p.masked_paths)) return false;
    if (FsRestricted(p) && !(LandlockAccess(p, path) & kFsRead)) return false;
    return true;
  };
  for (const char* path :
       {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware"})
    if (readable(path))
      out.push_back(Make("RA013", std::string(path) + " is not in masked_paths", leaf));
}

// RA018: Landlock grants whose syscalls are all denied.
void AuditLandlockVsSeccomp(const Policy& p, std::vector<Finding>& out) {
  if (!FsRestricted(p)) return;
  struct Use {
    uint8_t bit;
    const char* word;
    std::vector<std::string> syscalls;
  };
  static const std::vector<Use> uses = {
      {kFsWrite,
       "write",
       {"write", "pwrite64", "writev", "pwritev", "pwritev2", "truncate", "ftruncate"}},
      {kFsCreate,
       "create",
       {"open", "openat", "openat2", "creat", "mkdir", "mkdirat", "unlink", "unlinkat", "rename",
        "renameat", "renameat2", "symlink", "symlinkat", "link", "linkat", "mknod", "mknodat",
        "rmdir"}},
      {kFsExec, "exec", {"execve", "execveat"}},
      {kFsRead,
       "read",
       {"read", "pread64", "readv", "preadv", "preadv2", "getdents", "getdents64"}},
  };
  for (const auto& use : uses) {
    if (AnyReachable(p, use.syscalls)) continue;
    for (const auto& r : p.landlock.rules) {
      if (!(r.access & use.bit)) continue;
      std::vector<std::string> known;
      for (const auto& n : use.syscalls)
        if (IsKnownSyscall(n)) known.push_back(n);
      out.push_back(Make("RA018",
                         "filesystem grants " + std::string(use.word) + " on " + r.path +
                             " but seccomp denies " + Join(known),
                         r.pos));
      break;  // one finding per access word
    }
  }
}

// RA019 / RA020: argument rules that decide nothing.
void AuditArgRules(const Policy& p, const SourcePos& leaf, std::vector<Finding>& out) {
  const Arch arch =
      p.seccomp.arches.empty() ? Arch::kX86_64 : p.seccomp.arches.front();  // x86_64 sorts first
  for (const auto& [name, sp] : p.seccomp.syscalls) {
    if (!sp.conditional()) continue;
    const SourcePos pos = sp.origin.file.empty() ? leaf : sp.origin;
    if (sp.action == p.seccomp.default_action) {
      out.push_back(Make("RA020",
                         "syscall " + name + ": its conditional rule's action " +
                             sp.action.ToString() +
                             " is also the default, so its conditions change nothing",
                         pos));
    }
    if (sp.any_of.size() > 32) continue;  // keep the pairwise checks cheap
    const ArgWidths w = ArgWidths::For(arch, name);
    std::vector<bool> dead(sp.any_of.size(), false);
    for (size_t i = 0; i < sp.any_of.size(); ++i) {
      if (!Satisfiable(sp.any_of[i], w)) {
        dead[i] = true;
        out.push_back(Make("RA019",
                           "syscall " + name + ": the alternative `" + ConjText(sp.any_of[i]) +
                               "` can never match on " + ArchName(arch),
                           pos));
      }
    }
    for (size_t i = 0; i < sp.any_of.size(); ++i) {
      if (dead[i]) continue;
      for (size_t j = 0; j < sp.any_of.size(); ++j) {
        if (i == j || dead[j]) continue;
        if (!Implies(sp.any_of[i], sp.any_of[j], w)) continue;
        if (sp.any_of[i] == sp.any_of[j] && i < j) continue;  // report the later of two copies
        out.push_back(Make("RA019",
                           "syscall " + name + ": the alternative `" + ConjText(sp.any_of[i]) +
                               "` is already covered by `" + ConjText(sp.any_of[j]) + "`",
                           pos));
        dead[i] = true;
        break;
      }
    }
  }
}

// RA022: LSM opt-outs.
void AuditLsm(const Policy& p, const SourcePos& leaf, std::vector<Finding>& out) {
  auto at = [&](const SourcePos& pos) { return pos.file.empty() ? leaf : pos; };
  if (p.apparmor.unconfined())
    out.push_back(
        Make("RA022",
             "apparmor profile is `unconfined` (enforce: " + EnforceModeName(p.apparmor.mode) + ")",
             at(p.apparmor.profile_pos)));
  if (p.selinux.type == "unconfined_t" || p.selinux.type == "spc_t")
    out.push_back(Make("RA022", "selinux type is " + p.selinux.type + ", an unconfined domain",
                       at(p.selinux.type_pos)));
}

void Sort(std::vector<Finding>& out) {
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.id < b.id;
  });
}

}  // namespace

bool SyscallReachable(const Policy& policy, const std::string& name,
                      const std::vector<ArgCondition>& extra) {
  for (Arch a : policy.seccomp.arches)
    if (ReachableOn(policy, a, name, extra)) return true;
  return false;
}

std::vector<Finding> AuditPolicy(const Policy& p) {
  std::vector<Finding> out;
  const SourcePos leaf{p.chain.empty() ? "" : p.chain.back(), 0, 0};
  AuditSyscalls(p, leaf, out);
  AuditCapabilities(p, leaf, out);
  if (!p.no_new_privileges)
    out.push_back(
        Make("RA004",
             "no_new_privileges is off: setuid and file-capability binaries can gain privileges",
             p.no_new_privileges_pos.file.empty() ? leaf : p.no_new_privileges_pos));
  AuditPaths(p, leaf, out);
  AuditLandlockVsSeccomp(p, out);
  AuditArgRules(p, leaf, out);
  AuditLsm(p, leaf, out);
  Sort(out);
  return out;
}

std::vector<Finding> AuditContainer(const Policy& p, const ContainerFacts& c) {
  std::vector<Finding> out = AuditPolicy(p);
  const SourcePos at{c.config_file, 0, 0};
  const std::string who = "container " + c.name;
  for (auto [shared, word] : {std::pair<bool, const char*>{!c.ns_pid, "pid"},
                              {!c.ns_net, "network"},
                              {!c.ns_mount, "mount"},
                              {!c.ns_ipc, "ipc"}})
    if (shared) out.push_back(Make("RA014", who + " shares the host's " + word + " namespace", at));
  for (auto [shared, word] :
       {std::pair<bool, const char*>{!c.ns_uts, "uts"}, {!c.ns_cgroup, "cgroup"}})
    if (shared) out.push_back(Make("RA015", who + " shares the host's " + word + " namespace", at));
  if (!c.ns_user && c.uid == 0)
    out.push_back(
        Make("RA016",
             who + " runs its payload as uid 0 without a user namespace (root on the host)", at));
  Sort(out);
  return out;
}

bool AnyAtOrAbove(const std::vector<Finding>& findings, Severity threshold) {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.severity >= threshold; });
}

Exposure ExposureScore(const Policy& p, const std::vector<Finding>& findings) {
  Exposure e;
  for (const auto& f : findings) {
    switch (f.severity) {
      case Severity::kHigh:
        e.findings_part += 2.0;
        break;
      case Severity::kMedium:
        e.findings_part += 0.8;
        break;
      case Severity::kLow:
        e.findings_part += 0.2;
        break;
      case Severity::kInfo:
        break;
    }
  }
  // Surface: every syscall of the first filtered architecture (x86_64 when
  // filtered); one that can run counts 1, one that runs only under its
  // argument rule counts 1/2.
  const Arch arch = p.seccomp.arches.empty() ? Arch::kX86_64 : p.seccomp.arches.front();
  double total = 0, open = 0;
  for (uint32_t nr = 0; nr < SyscallScanLimit(); ++nr) {
    uint32_t number = arch == Arch::kX32 ? (nr | kX32SyscallBit) : nr;
    auto name = SyscallName(arch, number);
    if (!name) continue;
    total += 1;
    if (!ReachableOn(p, arch, *name, {})) continue;
    const SyscallPolicy* sp = Find(p, *name);
    open += (sp && sp->conditional()) ? 0.5 : 1.0;
  }
  if (p.seccomp.arches.empty()) open = 0;  // nothing filtered: every call is killed
  e.surface = total > 0 ? open / total : 0;
  e.surface_part = 2.0 * e.surface;
  e.score = std::min(10.0, std::round((e.findings_part + e.surface_part) * 10.0) / 10.0);
  return e;
}

std::string ExposureRating(double score) {
  if (score <= 2.0) return "OK";
  if (score <= 5.0) return "MEDIUM";
  if (score <= 8.0) return "EXPOSED";
  return "UNSAFE";
}

nlohmann::json FindingsToJson(const std::vector<Finding>& findings) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : findings)
    arr.push_back({{"id", f.id},
                   {"severity", SeverityName(f.severity)},
                   {"message", f.message},
                   {"rationale", f.rationale},
                   {"location", f.pos.ToString()},
                   {"file", f.pos.file},
                   {"line", f.pos.line},
                   {"column", f.pos.column}});
  return arr;
}

}  // namespace rampart::security
