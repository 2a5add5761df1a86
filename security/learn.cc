#include "security/learn.h"

#include <linux/audit.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "base/strings.h"
#include "security/capabilities.h"
#include "security/constants.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

struct Named {
  uint64_t value;
  const char* name;
};

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Lookup(const Named* table, size_t n, uint64_t v) {
  for (size_t i = 0; i < n; ++i)
    if (table[i].value == v) return table[i].name;
  return Hex(v);
}

// A value as a rule may spell it: the display name when the profile
// language knows that constant with that value, otherwise hex.
std::string RuleValue(uint64_t v, const std::string& display) {
  if (auto c = LookupConstant(display); c && *c == v) return display;
  return v < 10 ? std::to_string(v) : Hex(v);
}

constexpr Named kFamilies[] = {
    {AF_UNSPEC, "AF_UNSPEC"},
    {AF_UNIX, "AF_UNIX"},
    {AF_INET, "AF_INET"},
    {AF_INET6, "AF_INET6"},
    {AF_NETLINK, "AF_NETLINK"},
    {AF_PACKET, "AF_PACKET"},
    {AF_KEY, "AF_KEY"},
    {AF_BLUETOOTH, "AF_BLUETOOTH"},
    {AF_ALG, "AF_ALG"},
    {AF_VSOCK, "AF_VSOCK"},
    {44, "AF_XDP"},
};
constexpr Named kSockTypes[] = {
    {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_DGRAM, "SOCK_DGRAM"},         {SOCK_RAW, "SOCK_RAW"},
    {SOCK_RDM, "SOCK_RDM"},       {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_PACKET, "SOCK_PACKET"},
};
constexpr Named kCloneFlags[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},
    {0x8000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},
    {0x80000000ULL, "CLONE_IO"},
};
constexpr Named kIoctls[] = {
    {0x5401, "TCGETS"},       {0x5402, "TCSETS"},         {0x5403, "TCSETSW"},
    {0x5404, "TCSETSF"},      {0x5409, "TCSBRK"},         {0x540B, "TCFLSH"},
    {0x540E, "TIOCSCTTY"},    {0x540F, "TIOCGPGRP"},      {0x5410, "TIOCSPGRP"},
    {0x5411, "TIOCOUTQ"},     {0x5412, "TIOCSTI"},        {0x5413, "TIOCGWINSZ"},
    {0x5414, "TIOCSWINSZ"},   {0x541B, "FIONREAD"},       {0x541C, "TIOCLINUX"},
    {0x5421, "FIONBIO"},      {0x5422, "TIOCNOTTY"},      {0x5429, "TIOCGSID"},
    {0x5450, "FIONCLEX"},     {0x5451, "FIOCLEX"},        {0x5452, "FIOASYNC"},
    {0x80045430, "TIOCGPTN"}, {0x40045431, "TIOCSPTLCK"}, {0x8933, "SIOCGIFINDEX"},
    {0x8913, "SIOCGIFFLAGS"}, {0x8914, "SIOCSIFFLAGS"},   {0x8915, "SIOCGIFADDR"},
    {0x8901, "FIOSETOWN"},    {0x8902, "SIOCSPGRP"},      {0x4B4E, "KDSIGACCEPT"},
};
constexpr Named kPrctls[] = {
    {PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"},
    {PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG"},
    {PR_GET_DUMPABLE, "PR_GET_DUMPABLE"},
    {PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
    {PR_GET_KEEPCAPS, "PR_GET_KEEPCAPS"},
    {PR_SET_KEEPCAPS, "PR_SET_KEEPCAPS"},
    {PR_SET_NAME, "PR_SET_NAME"},
    {PR_GET_NAME, "PR_GET_NAME"},
    {PR_GET_SECCOMP, "PR_GET_SECCOMP"},
    {PR_SET_SECCOMP, "PR_SET_SECCOMP"},
    {PR_CAPBSET_READ, "PR_CAPBSET_READ"},
    {PR_CAPBSET_DROP, "PR_CAPBSET_DROP"},
    {PR_GET_SECUREBITS, "PR_GET_SECUREBITS"},
    {PR_SET_SECUREBITS, "PR_SET_SECUREBITS"},
    {PR_SET_TIMERSLACK, "PR_SET_TIMERSLACK"},
    {PR_GET_TIMERSLACK, "PR_GET_TIMERSLACK"},
    {PR_SET_MM, "PR_SET_MM"},
    {PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER"},
    {PR_GET_CHILD_SUBREAPER, "PR_GET_CHILD_SUBREAPER"},
    {PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"},
    {PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"},
    {PR_SET_THP_DISABLE, "PR_SET_THP_DISABLE"},
    {PR_GET_THP_DISABLE, "PR_GET_THP_DISABLE"},
    {PR_CAP_AMBIENT, "PR_CAP_AMBIENT"},
    {0x53564d41, "PR_SET_VMA"},
};
constexpr Named kPersonalities[] = {
    {0x0, "PER_LINUX"},
    {0x8, "PER_LINUX32"},
    {0x20000, "UNAME26"},
    {0xffffffff, "PER_QUERY"},
};

template <size_t N>
std::string Lookup(const Named (&t)[N], uint64_t v) {
  return Lookup(t, N, v);
}

std::string Times(uint64_t n) { return std::to_string(n) + "x"; }  // "12x"

// What the baseline says about one name (its `unknown` action when it
// never names it).
SyscallPolicy BaseDecision(const SeccompPolicy& base, const std::string& name) {
  auto it = base.syscalls.find(name);
  if (it != base.syscalls.end()) return it->second;
  SyscallPolicy sp;
  sp.action = base.unknown_action;
  return sp;
}

bool Permissive(const Action& a) {
  return a.kind == Action::Kind::kAllow || a.kind == Action::Kind::kLog;
}

std::string ArchProfileName(Arch a) {
  switch (a) {
    case Arch::kX86_64:
      return "native";
    case Arch::kX86:
      return "x86";
    case Arch::kX32:
      return "x32";
  }
  return "native";
}

// One argument rule per recorded value (or value pair).
std::vector<DraftRule> ArgRules(const std::string& name,
                                const std::map<std::vector<uint64_t>, uint64_t>& values) {
  std::vector<DraftRule> rules;
  auto rule = [&](std::vector<std::string> args, std::string comment) {
    DraftRule r;
    r.syscalls = {name};
    r.action = "allow";
    r.args = std::move(args);
    r.comment = std::move(comment);
    rules.push_back(std::move(r));
  };
  if (name == "clone") {
    // Namespace flags decide; the other flags (thread vs process) are
    // listed in the comment.
    uint64_t any = *LookupConstant("CLONE_NEW_ANY");
    std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>>
        by_ns;  // ns bits → (flags, count)
    for (const auto& [key, n] : values) by_ns[key[0] & any].push_back({key[0], n});
    for (const auto& [ns, seen] : by_ns) {
      std::string ns_text = "0";
      if (ns) {
        std::vector<std::string> parts;
        for (const auto& f : kCloneFlags)
          if (ns & f.value) parts.push_back(f.name);
        ns_text = Join(parts, "|");
      }
      uint64_t total = 0;
      std::vector<std::string> shapes;
      for (const auto& [flags, n] : seen) {
        total += n;
        shapes.push_back(CloneFlagsName(flags) + " " + Times(n));
      }
      rule({"arg0 & CLONE_NEW_ANY == " + ns_text},
           "observed " + Times(total) +
               (ns ? " with namespace flags " : " without namespace flags") + ": " +
               Join(shapes, ", "));
    }
    return rules;
  }
  for (const auto& [key, n] : values) {
    if (name == "socket" && key.size() == 2) {
      std::string fam = SocketFamilyName(key[0]), type = SocketTypeName(key[1]);
      rule({"arg0 == " + RuleValue(key[0], fam),
            "arg1 & " + Hex(kSocketTypeMask) + " == " + RuleValue(key[1], type)},
           "observed " + Times(n) + ": " + fam + ", " + type);
    } else if (name == "ioctl") {
      std::string req = IoctlName(key[0]);
      rule({"arg1 == " + RuleValue(key[0], req)}, "observed " + Times(n) + ": " + req);
    } else if (name == "prctl") {
      std::string opt = PrctlName(key[0]);
      rule({"arg0 == " + RuleValue(key[0], opt)}, "observed " + Times(n) + ": " + opt);
    } else if (name == "personality") {
      std::string per = PersonalityName(key[0]);
      rule({"arg0 == " + RuleValue(key[0], per)}, "observed " + Times(n) + ": " + per);
    }
  }
  return rules;
}

struct GroupInfo {
  std::string name;                  // without '@'
  std::vector<std::string> members;  // on the selected architectures
};

// Greedy cover: the biggest groups first; a group is taken when all its
// members are `ok` and it covers at least one name of `want` not covered yet.
std::vector<GroupInfo> CoverWithGroups(const std::vector<GroupInfo>& groups,
                                       const std::set<std::string>& want,
                                       const std::function<bool(const std::string&)>& ok,
                                       std::set<std::string>* covered) {
  std::vector<GroupInfo> sorted = groups;
  std::stable_sort(sorted.begin(), sorted.end(), [](const GroupInfo& a, const GroupInfo& b) {
    return a.members.size() > b.members.size();
  });
  std::vector<GroupInfo> chosen;
  for (const auto& g : sorted) {
    if (g.members.size() < 2) continue;
    if (!std::all_of(g.members.begin(), g.members.end(), ok)) continue;
    bool adds = std::any_of(g.members.begin(), g.members.end(), [&](const std::string& m) {
      return want.count(m) && !covered->count(m);
    });
    if (!adds) continue;
    for (const auto& m : g.members)
      if (want.count(m)) covered->insert(m);
    chosen.push_back(g);
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const GroupInfo& a, const GroupInfo& b) { return a.name < b.name; });
  return chosen;
}

// What an argument value means to the kernel: ints are the low 32 bits.
uint64_t Int(uint64_t v) { return v & 0xffffffffULL; }
uint64_t IoctlType(uint64_t request) { return (request >> 8) & 0xff; }  // _IOC_TYPE

// A recorded value as a comment spells it: "socket(AF_INET, SOCK_RAW)".
std::string DescribeArgs(const std::string& name, const std::vector<uint64_t>& key) {
  if (name == "socket" && key.size() == 2)
    return "socket(" + SocketFamilyName(Int(key[0])) + ", " + SocketTypeName(key[1]) + ")";
  if (name == "ioctl") return "ioctl(" + IoctlName(Int(key[0])) + ")";
  if (name == "prctl") return "prctl(" + PrctlName(Int(key[0])) + ")";
  if (name == "clone") return "clone(" + CloneFlagsName(key[0]) + ")";
  return name + "(" + Hex(key[0]) + ")";
}

// Why a capability outside CapabilityUses is always kept.
std::string AlwaysKeptReason(const std::string& cap) {
  static const std::map<std::string, std::string> kWhy = {
      {"DAC_OVERRIDE", "checked on every file access (open, exec, unlink, ...)"},
      {"DAC_READ_SEARCH", "checked on every file access (open, stat, ...)"},
      {"FOWNER", "checked when acting on files of other owners (chmod, utimes, xattrs, ...)"},
      {"FSETID", "checked when writing or changing files (write, chmod, chown, ...)"},
      {"SYS_ADMIN", "checked by many syscalls, ioctls and files"},
      {"SYS_PTRACE", "/proc/PID files of other processes (open, readlink) are checked against it"},
      {"SYSLOG", "reading /dev/kmsg and kernel addresses in /proc files is checked against it"},
      {"SYS_RESOURCE", "limits are checked inside ordinary calls (write, mmap, fcntl, ...)"},
      {"IPC_LOCK", "checked by mmap, mlock, shm and io_uring buffers"},
      {"SYS_NICE", "checked by priority and scheduling arguments of many calls"},
      {"NET_ADMIN", "checked by socket options, ioctls and netlink messages"},
  };
  auto it = kWhy.find(cap);
  return "not decidable from syscalls: " +
         (it != kWhy.end() ? it->second : "not tied to calls learning can tell apart");
}

// Whether a call of `name` can get past the baseline's filter (and so the
// learned one's, which never lets more run): an unconditional errno, kill
// or trap means the kernel never ran it.
bool BaselineMayRun(const SeccompPolicy& base, const std::string& name) {
  SyscallPolicy sp = BaseDecision(base, name);
  if (sp.conditional()) return true;
  switch (sp.action.kind) {
    case Action::Kind::kErrno:
    case Action::Kind::kKillThread:
    case Action::Kind::kKillProcess:
    case Action::Kind::kTrap:
      return false;
    default:
      return true;
  }
}

// capabilities: which of the baseline's to drop (into the draft and `d`),
// and the header lines that say why for each.
std::vector<std::string> NarrowCapabilities(const LearnObservations& obs, const Policy& baseline,
                                            LearnDecisions& d, ProfileDraft& draft) {
  const CapabilityPolicy& base = baseline.caps;
  const auto counts = obs.CountsByName();
  const auto args = obs.ArgsByName();
  std::map<std::string, const CapabilityUse*> uses;
  for (const auto& u : CapabilityUses()) uses[u.cap] = &u;

  for (const auto& full : CapabilityNames(base.bounding)) {
    const std::string cap = full.starts_with("CAP_") ? full.substr(4) : full;
    auto parsed = ParseCapability(cap);
    const int bit = parsed.has_value() ? *parsed : -1;
    auto keep = [&](std::string why) {
      d.kept_caps.push_back(cap);
      d.cap_reasons[cap] = std::move(why);
    };
    auto it = uses.find(cap);
    if (it == uses.end()) {
      keep(AlwaysKeptReason(cap));
      continue;
    }
    const CapabilityUse& u = *it->second;
    std::vector<std::string> seen, denied;  // "chown 3x"; observed, but never run
    for (const auto& a : u.args) {
      auto values = args.find(a.syscall);
      if (values == args.end()) continue;
      for (const auto& [key, n] : values->second) {
        if (!a.uses(key)) continue;
        (BaselineMayRun(baseline.seccomp, a.syscall) ? seen : denied)
            .push_back(DescribeArgs(a.syscall, key) + " " + Times(n));
      }
    }
    for (const auto& name : u.syscalls) {
      auto c = counts.find(name);
      if (c == counts.end()) continue;
      (BaselineMayRun(baseline.seccomp, name) ? seen : denied)
          .push_back(name + " " + Times(c->second));
    }
    if (!seen.empty()) {
      keep("observed " + Join(seen, ", "));
    } else if (!d.unnamed.empty() || !obs.foreign_arches().empty()) {
      keep("calls rampart cannot name were observed: any of them could have used it");
    } else if (bit >= 0 && ((base.ambient >> bit) & 1)) {
      keep("in the baseline's ambient set, which `extends` cannot take it out of");
    } else if (bit >= 0 && ((base.inheritable >> bit) & 1)) {
      keep("in the baseline's inheritable set, which `extends` cannot take it out of");
    } else {
      std::vector<std::string> ways;
      for (const auto& a : u.args) ways.push_back(a.what);
      d.dropped_caps.push_back(cap);
      d.cap_reasons[cap] =
          "no " + Join(u.syscalls, "/") + (ways.empty() ? "" : " or " + Join(ways, ", ")) +
          " observed" +
          (denied.empty() ? "" : " (only " + Join(denied, ", ") + ", which the baseline denies)");
    }
  }
  if (!d.dropped_caps.empty()) draft.caps_drop = d.dropped_caps;

  std::vector<std::string> h;
  if (d.dropped_caps.empty() && d.kept_caps.empty()) {
    h.push_back("Capabilities: the baseline has none, and none are added.");
    return h;
  }
  h.push_back("Capabilities: of the baseline's " +
              std::to_string(d.dropped_caps.size() + d.kept_caps.size()) + ", " +
              std::to_string(d.dropped_caps.size()) + " dropped (capabilities.drop below), " +
              std::to_string(d.kept_caps.size()) + " kept.");
  for (const auto& cap : d.dropped_caps)
    h.push_back("  dropped " + cap + ": " + d.cap_reasons[cap]);
  for (const auto& cap : d.kept_caps) h.push_back("  kept " + cap + ": " + d.cap_reasons[cap]);
  return h;
}

}  // namespace

const std::vector<CapabilityUse>& CapabilityUses() {
  // Shared ways in: io_uring runs socket, bind, setsockopt (URING_CMD),
  // sendmsg and setxattr without those syscalls; x86's socketcall hides
  // its arguments; a new user namespace's uid_map/gid_map is written with
  // write(2), which needs SETUID/SETGID (and SETFCAP to map uid 0), so the
  // calls that create one stand for it.
  static const std::vector<CapabilityUse> kUses = [] {
    const std::vector<std::string> io_uring = {"io_uring_setup", "io_uring_enter",
                                               "io_uring_register"};
    const CapabilityArgUse new_userns = {
        "clone", "clone(CLONE_NEWUSER)",
        [](const std::vector<uint64_t>& k) { return (k[0] & CLONE_NEWUSER) != 0; }};
    auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
      a.insert(a.end(), b.begin(), b.end());
      return a;
    };
    return std::vector<CapabilityUse>{
        {"CHOWN", {"chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32"}, {}},
        {"MKNOD", {"mknod", "mknodat"}, {}},
        // Also: forging SCM_CREDENTIALS in sendmsg, writing a uid_map.
        {"SETUID",
         with({"setuid", "setreuid", "setresuid", "setfsuid", "setuid32", "setreuid32",
               "setresuid32", "setfsuid32", "sendmsg", "sendmmsg", "socketcall", "unshare",
               "clone3"},
              io_uring),
         {new_userns}},
        {"SETGID",
         with({"setgid", "setregid", "setresgid", "setfsgid", "setgroups", "setgid32", "setregid32",
               "setresgid32", "setfsgid32", "setgroups32", "sendmsg", "sendmmsg", "socketcall",
               "unshare", "clone3"},
              io_uring),
         {new_userns}},
        // Setting or removing security.capability; mapping uid 0 in a new
        // user namespace.
        {"SETFCAP",
         with({"setxattr", "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr",
               "fremovexattr", "removexattrat", "unshare", "clone3"},
              io_uring),
         {new_userns}},
        {"SETPCAP",
         {"capset"},
         {{"prctl", "prctl(PR_CAPBSET_DROP, PR_SET_SECUREBITS or PR_CAP_AMBIENT)",
           [](const std::vector<uint64_t>& k) {
             uint64_t o = Int(k[0]);
             return o == PR_CAPBSET_DROP || o == PR_SET_SECUREBITS || o == PR_CAP_AMBIENT;
           }}}},
        // setns into a mount namespace needs SYS_CHROOT as well.
        {"SYS_CHROOT", {"chroot", "setns"}, {}},
        // fcntl(F_SETOWN) and FIOSETOWN/SIOCSPGRP direct SIGIO at other
        // processes; KDSIGACCEPT checks KILL itself.
        {"KILL",
         {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal",
          "fcntl", "fcntl64"},
         {{"ioctl", "ioctl(FIOSETOWN, SIOCSPGRP or KDSIGACCEPT)",
           [](const std::vector<uint64_t>& k) {
             uint64_t r = Int(k[0]);
             return r == 0x8901 || r == 0x8902 || r == 0x4B4E;
           }}}},
        // Raw and packet sockets; SO_MARK, IP_TRANSPARENT and IPv6 hop-by-hop
        // options (setsockopt, or a sendmsg control message).
        {"NET_RAW",
         with({"setsockopt", "sendmsg", "sendmmsg", "socketcall"}, io_uring),
         {{"socket", "socket(AF_PACKET, SOCK_RAW or SOCK_PACKET)",
           [](const std::vector<uint64_t>& k) {
             uint64_t family = Int(k[0]), type = k[1] & 0xf;
             if (family == AF_PACKET || type == SOCK_PACKET) return true;
             return type == SOCK_RAW && family != AF_NETLINK && family != AF_UNIX;
           }}}},
        // bind, and SCTP's bindx (a socket option).
        {"NET_BIND_SERVICE", with({"bind", "setsockopt", "socketcall"}, io_uring), {}},
        // Audit records go over NETLINK_AUDIT; the protocol is not recorded.
        {"AUDIT_WRITE",
         with({"socketcall"}, io_uring),
         {{"socket", "socket(AF_NETLINK)",
           [](const std::vector<uint64_t>& k) { return Int(k[0]) == AF_NETLINK; }}}},
        {"SYS_TIME",
         {"settimeofday", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64",
          "adjtimex", "stime"},
         {{"ioctl", "ioctl(RTC_*)",
           [](const std::vector<uint64_t>& k) { return IoctlType(Int(k[0])) == 'p'; }}}},
        {"SYS_BOOT", {"reboot", "kexec_load", "kexec_file_load"}, {}},
        // SIOCGIF* on an unknown device name loads a module when the caller
        // has SYS_MODULE.
        {"SYS_MODULE",
         {"init_module", "finit_module", "delete_module"},
         {{"ioctl", "ioctl(SIOC*)",
           [](const std::vector<uint64_t>& k) { return IoctlType(Int(k[0])) == 0x89; }}}},
        {"SYS_PACCT", {"acct"}, {}},
        {"SYS_TTY_CONFIG",
         {"vhangup"},
         {{"ioctl", "ioctl(KD*, VT_* or TIOCLINUX)",
           [](const std::vector<uint64_t>& k) {
             uint64_t r = Int(k[0]);
             return IoctlType(r) == 'K' || IoctlType(r) == 'V' || r == 0x541C;
           }}}},
        {"LEASE", {"fcntl", "fcntl64"}, {}},
        {"BPF", {"bpf"}, {}},
        {"PERFMON", {"perf_event_open", "bpf"}, {}},
    };
  }();
  return kUses;
}

bool HasRecordedArgs(const std::string& s) {
  return s == "socket" || s == "clone" || s == "ioctl" || s == "prctl" || s == "personality";
}

void LearnObservations::Record(const seccomp_data& d, pid_t tid) {
  ++total_;
  tids_.insert(tid);
  Arch arch;
  uint32_t nr = static_cast<uint32_t>(d.nr);
  if (d.arch == AUDIT_ARCH_X86_64) {
    arch = (nr & kX32SyscallBit) ? Arch::kX32 : Arch::kX86_64;
  } else if (d.arch == AUDIT_ARCH_I386) {
    arch = Arch::kX86;
  } else {
    ++foreign_[d.arch];
    return;
  }
  auto [it, inserted] = calls_.try_emplace({arch, nr});
  ObservedSyscall& o = it->second;
  if (inserted) o.name = SyscallName(arch, nr).value_or("");
  ++o.count;
  if (!HasRecordedArgs(o.name)) return;
  const bool narrow = Is32BitArgs(arch);
  auto arg = [&](int i) {
    return narrow ? (d.args[i] & 0xffffffffULL) : static_cast<uint64_t>(d.args[i]);
  };
  std::vector<uint64_t> key;
  if (o.name == "socket")
    key = {arg(0), arg(1) & kSocketTypeMask};
  else if (o.name == "ioctl")
    key = {arg(1)};
  else
    key = {arg(0)};
  ++o.arg_values[key];
}

std::set<Arch> LearnObservations::arches() const {
  std::set<Arch> out;
  for (const auto& [k, v] : calls_) out.insert(k.first);
  return out;
}

std::map<std::string, uint64_t> LearnObservations::CountsByName() const {
  std::map<std::string, uint64_t> out;
  for (const auto& [k, v] : calls_)
    if (!v.name.empty()) out[v.name] += v.count;
  return out;
}

std::map<std::string, std::map<std::vector<uint64_t>, uint64_t>> LearnObservations::ArgsByName()
    const {
  std::map<std::string, std::map<std::vector<uint64_t>, uint64_t>> out;
  for (const auto& [k, v] : calls_)
    for (const auto& [key, n] : v.arg_values) out[v.name][key] += n;
  return out;
}

const std::vector<std::string>& RuntimeSyscalls() {
  static const std::vector<std::string> kNames = {"execve", "exit_group"};
  return kNames;
}

std::string SocketFamilyName(uint64_t v) { return Lookup(kFamilies, v); }
std::string SocketTypeName(uint64_t v) { return Lookup(kSockTypes, v); }
std::string IoctlName(uint64_t v) { return Lookup(kIoctls, v); }
std::string PrctlName(uint64_t v) { return Lookup(kPrctls, v); }
std::string PersonalityName(uint64_t v) { return Lookup(kPersonalities, v); }

std::string CloneFlagsName(uint64_t flags) {
  std::vector<std::string> parts;
  uint64_t rest = flags & ~0xffULL;
  for (const auto& f : kCloneFlags) {
    if (rest & f.value) {
      parts.push_back(f.name);
      rest &= ~f.value;
    }
  }
  if (rest) parts.push_back(Hex(rest));
  uint64_t sig = flags & 0xff;
  if (sig == 17)
    parts.push_back("SIGCHLD");
  else if (sig)
    parts.push_back("signal " + std::to_string(sig));
  return parts.empty() ? "0" : Join(parts, "|");
}

std::string ProfileNameFromPath(const std::string& path) {
  std::string base =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  for (const char* ext : {".yaml", ".yml", ".json"})
    if (base.size() > std::string(ext).size() && base.ends_with(ext))
      base.resize(base.size() - std::string(ext).size());
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '-';
  while (!base.empty() && !std::isalnum(static_cast<unsigned char>(base[0]))) base.erase(0, 1);
  if (base.size() > 64) base.resize(64);
  return base.empty() ? "learned" : base;
}

Result<LearnedProfile> BuildLearnedProfile(const LearnObservations& obs, const Policy& baseline,
                                           const SyscallGroups& groups, const LearnOptions& opts) {
  LearnedProfile out;
  LearnDecisions& d = out.decisions;
  ProfileDraft& draft = out.draft;
  const SeccompPolicy& base = baseline.seccomp;

  std::set<Arch> arches = obs.arches();
  arches.insert(Arch::kX86_64);  // execve of the workload is always native here
  for (Arch a : arches) d.architectures.push_back(ArchProfileName(a));
  auto exists = [&](const std::string& n) {
    return std::any_of(arches.begin(), arches.end(),
                       [&](Arch a) { return SyscallNumber(a, n).has_value(); });
  };

  const auto counts = obs.CountsByName();
  const auto args = obs.ArgsByName();
  std::set<std::string> observed;
  for (const auto& [name, n] : counts) observed.insert(name);
  for (const auto& name : RuntimeSyscalls()) {
    SyscallPolicy bp = BaseDecision(base, name);
    if (!observed.count(name) && bp.action.is_allow() && !bp.conditional()) {
      observed.insert(name);
      d.added_for_runtime.push_back(name);
    }
  }

  std::set<std::string> allow_set, rule_set;
  for (const auto& name : observed) {
    SyscallPolicy bp = BaseDecision(base, name);
    if (HasRecordedArgs(name) && bp.action.is_allow() && args.count(name)) {
      rule_set.insert(name);
    } else if (bp.action.is_allow() && !bp.conditional()) {
      allow_set.insert(name);
    } else {
      d.left_to_baseline.push_back(name);
    }
  }
  std::set<std::string> deny_set;
  for (const auto& [name, sp] : base.syscalls)
    if (!observed.count(name) && Permissive(sp.action) && exists(name)) deny_set.insert(name);
  if (Permissive(base.unknown_action)) d.unknown_tightened = true;

  std::vector<GroupInfo> group_infos;
  for (const auto& g : groups.Names()) {
    RAMPART_ASSIGN_OR_RETURN(auto members, groups.Expand(g));
    GroupInfo gi{g, {}};
    for (const auto& m : members)
      if (exists(m)) gi.members.push_back(m);
    group_infos.push_back(std::move(gi));
  }

  // allow: whole groups where every member was observed, then single names.
  std::set<std::string> covered;
  auto allowed_groups = CoverWithGroups(
      group_infos, allow_set,
      [&](const std::string& m) { return allow_set.count(m) || rule_set.count(m); }, &covered);
  for (const auto& g : allowed_groups) {
    uint64_t calls = 0;
    for (const auto& m : g.members)
      if (auto it = counts.find(m); it != counts.end()) calls += it->second;
    d.allowed_groups.push_back("@" + g.name);
    draft.allow.push_back({"@" + g.name, "all " + std::to_string(g.members.size()) +
                                             " members observed (" + std::to_string(calls) +
                                             " calls)"});
  }
  for (const auto& name : allow_set) {
    if (covered.count(name)) continue;
    d.allowed_names.push_back(name);
    auto it = counts.find(name);
    std::string comment = it != counts.end()
                              ? "observed " + Times(it->second)
                              : "not observed: rampart needs it to start the workload";
    draft.allow.push_back({name, comment});
  }

  // rules: the observed argument values of the recorded syscalls.
  for (const auto& name : rule_set) {
    d.rule_syscalls.push_back(name);
    for (auto& r : ArgRules(name, args.at(name))) draft.rules.push_back(std::move(r));
  }

  // deny: what the baseline allows and the workload never did. Whole groups
  // only where every member is denied here or already denied by the
  // baseline with the same action (so no syscall changes its errno).
  std::set<std::string> deny_covered;
  auto denied_groups = CoverWithGroups(
      group_infos, deny_set,
      [&](const std::string& m) {
        if (deny_set.count(m)) return true;
        if (observed.count(m)) return false;
        auto it = base.syscalls.find(m);
        return it != base.syscalls.end() && !it->second.conditional() &&
               it->second.action == base.default_action;
      },
      &deny_covered);
  const std::string why = "never observed, but the baseline allows it: denied here";
  for (const auto& g : denied_groups) {
    d.denied_groups.push_back("@" + g.name);
    draft.deny.push_back({"@" + g.name, (draft.deny.empty() ? why + "; " : std::string()) +
                                            "none of its " + std::to_string(g.members.size()) +
                                            " members was observed"});
  }
  for (const auto& name : deny_set) {
    d.denied.push_back(name);
    if (deny_covered.count(name)) continue;
    draft.deny.push_back({name, draft.deny.empty() ? why : ""});
  }

  for (const auto& [k, v] : obs.calls())
    if (v.name.empty())
      d.unnamed.push_back(ArchName(k.first) + " #" + std::to_string(k.second & ~kX32SyscallBit));

  // capabilities: the baseline's, less those no observed call could use.
  const std::vector<std::string> caps_header = NarrowCapabilities(obs, baseline, d, draft);

  // The file itself.
  draft.name = opts.name;
  std::string cmd = Join(opts.command, " ");
  draft.description = "learned from: " + (cmd.size() > 200 ? cmd.substr(0, 197) + "..." : cmd);
  draft.extends = opts.extends;
  draft.architectures = d.architectures;
  if (d.unknown_tightened) draft.unknown_action = "errno(ENOSYS)";

  auto& h = draft.header;
  h.push_back("Learned by `rampart policy learn`" + (opts.when.empty() ? "" : " on " + opts.when) +
              " from:");
  h.push_back("  " + cmd);
  for (const auto& n : opts.notes) h.push_back(n);
  std::string per_arch;
  std::map<Arch, uint64_t> arch_calls;
  for (const auto& [k, v] : obs.calls()) arch_calls[k.first] += v.count;
  for (const auto& [a, n] : arch_calls)
    per_arch += (per_arch.empty() ? "" : ", ") + ArchName(a) + " " + std::to_string(n);
  h.push_back("Observed " + std::to_string(obs.total()) + " calls of " +
              std::to_string(obs.calls().size()) + " syscalls from " + std::to_string(obs.tasks()) +
              " tasks (" + (per_arch.empty() ? "none" : per_arch) + ").");
  for (const auto& [arch, n] : obs.foreign_arches())
    h.push_back("Also " + std::to_string(n) + " calls from unfiltered architecture " + Hex(arch) +
                ": not allowed here (such calls are killed).");
  h.push_back("");
  h.push_back("How this profile is built:");
  h.push_back("- `extends: " + opts.extends + "` keeps the baseline's no_new_privileges, rlimits,");
  h.push_back("  paths, Landlock and LSM settings; seccomp and capabilities are narrowed here.");
  h.push_back("- capabilities: each of the baseline's that only certain syscalls can use,");
  h.push_back("  none of which was observed, is dropped; the others are kept (listed below).");
  h.push_back("  None is ever added.");
  h.push_back("- The workload ran under the baseline's own filter while it was learned, so");
  h.push_back("  everything below was allowed by the baseline too.");
  h.push_back("- allow / rules: what the workload was seen doing, with counts. Arguments");
  h.push_back("  of socket, clone, ioctl, prctl and personality are limited to the values seen.");
  h.push_back("- deny: every syscall the baseline allows that was never seen. `extends`");
  h.push_back("  keeps whatever this file does not name, so without these entries the");
  h.push_back("  baseline would still allow them; they now fail with the baseline's `default`.");
  h.push_back("  Syscalls the baseline denies, or never names, keep its answer (clone3 keeps");
  h.push_back("  ENOSYS, so libc still falls back to clone).");
  if (d.unknown_tightened)
    h.push_back("- The baseline lets unknown syscalls run; `unknown: errno(ENOSYS)` stops that.");
  h.push_back("- architectures: only those seen; a call from any other one kills the process.");
  h.push_back("- A code path the learning run did not take (error handling, rare options)");
  h.push_back("  will be denied: learn again with that path exercised, or edit this file.");
  h.push_back("- The deny list reflects the baseline as it was when this was learned.");
  if (!d.left_to_baseline.empty())
    h.push_back("Observed, but still decided by the baseline's own rule: " +
                Join(d.left_to_baseline, ", ") + ".");
  if (!d.unnamed.empty())
    h.push_back("Observed numbers without a name (cannot be allowed by name): " +
                Join(d.unnamed, ", ") + ".");
  for (const auto& line : caps_header) h.push_back(line);
  return out;
}

}  // namespace rampart::security
