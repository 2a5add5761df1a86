#include "runtime/policy_apply.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace rampart::runtime {
namespace {

bool HasNotify(const security::SeccompPolicy& p) {
  if (p.unknown_action.kind == security::Action::Kind::kNotify || p.default_action.kind == security::Action::Kind::kNotify)
    return true;
  for (const auto& [name, sp] : p.syscalls)
    if (sp.action.kind == security::Action::Kind::kNotify) return true;
  return false;
}

Status SetCaps(uint64_t permitted, uint64_t effective, uint64_t inheritable) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].permitted = static_cast<uint32_t>(permitted >> (32 * i));
    data[i].effective = static_cast<uint32_t>(effective >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) != 0) return Error::FromErrno(errno, "capset");
  return Ok();
}

Result<uint64_t> CurrentPermitted() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return Error::FromErrno(errno, "capget");
  return static_cast<uint64_t>(data[0].permitted) | (static_cast<uint64_t>(data[1].permitted) << 32);
}

Status SwitchIdentity(const Identity& id) {
  if (setgroups(id.groups.size(), id.groups.data()) != 0) return Error::FromErrno(errno, "setgroups");
  if (setresgid(id.gid, id.gid, id.gid) != 0) return Error::FromErrno(errno, "setresgid " + std::to_string(id.gid));
  // Keep the permitted set across the uid change; capset below decides it.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::FromErrno(errno, "set keepcaps");
  if (setresuid(id.uid, id.uid, id.uid) != 0) return Error::FromErrno(errno, "setresuid " + std::to_string(id.uid));
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::FromErrno(errno, "clear keepcaps");
  return Ok();
}

// The kernel's Landlock ABI (or -errno); it cannot change while we run.
int LandlockAbi() {
  static const int abi = [] {
    long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? -errno : static_cast<int>(v);
  }();
  return abi;
}

// Builds and enforces the ruleset (after no_new_privs). Paths missing in the
// container are skipped; a rule on a non-directory takes only file rights.
Status ApplyLandlock(const security::Policy& p) {
  const security::LandlockPolicy& l = p.landlock;
  if (!l.active()) return Ok();
  const bool required = l.mode == security::EnforceMode::kRequired;
  int abi = LandlockAbi();
  if (abi < 0) {
    if (required) return Error::FromErrno(-abi, "profile " + p.name + " requires Landlock but landlock_create_ruleset failed");
    return Ok();
  }
  if (abi < static_cast<int>(l.min_abi) && required)
    return Error::Unsupported("profile " + p.name + " requires Landlock ABI " + std::to_string(l.min_abi) +
                              " but the kernel has ABI " + std::to_string(abi));
  if (!p.no_new_privileges) return Error::Invalid("landlock needs no_new_privileges (profile " + p.name + ")");
  // The UAPI structs as of ABI 4 (Debian 12's linux/landlock.h predates
  // the network fields). The short form is passed when no network right is
  // handled, so older kernels accept it.
  struct {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
  } attr{};
  attr.handled_access_fs = l.has_filesystem ? security::LandlockHandledRights(abi) : 0;
  attr.handled_access_net = security::LandlockHandledNetRights(p, abi);
  if (!attr.handled_access_fs && !attr.handled_access_net) return Ok();  // network.tcp on ABI < 4: CheckEnforcement noted it
  const size_t attr_size = attr.handled_access_net ? sizeof attr : sizeof attr.handled_access_fs;
  UniqueFd ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0)));
  if (!ruleset) return Error::FromErrno(errno, "landlock_create_ruleset");
  constexpr int kRuleNetPort = 2;  // LANDLOCK_RULE_NET_PORT
  struct {
    uint64_t allowed_access;
    uint64_t port;
  } __attribute__((packed)) port_rule{};
  for (auto [ports, right] : {std::pair{&p.network.tcp_bind, security::landlock_net::kBindTcp},
                              std::pair{&p.network.tcp_connect, security::landlock_net::kConnectTcp}}) {
    if (!(attr.handled_access_net & right)) continue;
    for (uint16_t port : **ports) {
      port_rule.allowed_access = right;
      port_rule.port = port;
      if (syscall(SYS_landlock_add_rule, ruleset.get(), kRuleNetPort, &port_rule, 0) != 0)
        return Error::FromErrno(errno, "landlock rule for TCP port " + std::to_string(port));
    }
  }
  for (const auto& rule : attr.handled_access_fs ? l.rules : std::vector<security::FsRule>{}) {
    uint64_t rights = security::LandlockRights(rule.access, attr.handled_access_fs);
    if (!rights) continue;  // none: no rule
    UniqueFd fd(open(rule.path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      return Error::FromErrno(errno, "open " + rule.path + " for a landlock rule");
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return Error::FromErrno(errno, "stat " + rule.path);
    if (!S_ISDIR(st.st_mode)) rights &= security::LandlockFileRights();
    if (!rights) continue;
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = rights;
    beneath.parent_fd = fd.get();
    if (syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0)
      return Error::FromErrno(errno, "landlock rule for " + rule.path);
  }
  if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) return Error::FromErrno(errno, "landlock_restrict_self");
  return Ok();
}

}  // namespace

namespace {

security::HostSecurity DetectHostSecurityNow() {
  security::HostSecurity h;
  int abi = LandlockAbi();
  if (abi > 0) h.landlock_abi = abi;
  else h.landlock_why = std::string("landlock_create_ruleset: ") + std::strerror(-abi);
  struct stat st {};
  h.apparmor = stat("/sys/kernel/security/apparmor", &st) == 0;
  h.apparmor_mount = stat("/sys/kernel/security/apparmor/features/mount", &st) == 0;
  h.selinux = stat("/sys/fs/selinux/enforce", &st) == 0;
  if (h.selinux) {
    auto enforce = ReadFile("/sys/fs/selinux/enforce");
    h.selinux_enforcing = enforce && Trim(*enforce) == "1";
  }
  return h;
}

}  // namespace

// Asked three times on the way to a start (enforcement check, monitor,
// LSM labels): the host's security layers do not change under one command.
security::HostSecurity DetectHostSecurity() {
  static const security::HostSecurity host = DetectHostSecurityNow();
  return host;
}

Status CheckApplicable(const security::CompiledPolicy& policy) {
  if (HasNotify(policy.policy.seccomp))
    return Error::Unsupported("profile " + policy.policy.name + " uses the notify action, which needs a supervisor; policy run has none");
  return Ok();
}

Status ApplyPolicy(const security::CompiledPolicy& compiled, const std::optional<Identity>& identity) {
  const security::Policy& p = compiled.policy;
  for (const auto& r : p.rlimits) {
    rlimit lim{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (setrlimit(r.resource, &lim) != 0) return Error::FromErrno(errno, "setrlimit " + r.name);
  }

  // Bounding set first (needs CAP_SETPCAP, which we still have).
  int last = 0;
  while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  for (int c = 0; c <= last; ++c) {
    if (p.caps.bounding & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      return Error::FromErrno(errno, "drop capability " + std::to_string(c) + " from the bounding set");
  }
  if (identity) RAMPART_TRY(SwitchIdentity(*identity));
  // Without no_new_privs the kernel wants CAP_SYS_ADMIN to install a filter:
  // keep it effective until then; execve recomputes the sets from the
  // bounding set (root) or the ambient set (other users).
  RAMPART_ASSIGN_OR_RETURN(uint64_t prm, CurrentPermitted());
  uint64_t keep_for_setup = p.no_new_privileges ? 0 : (prm & (1ULL << CAP_SYS_ADMIN));
  uint64_t permitted = (p.caps.bounding & prm) | keep_for_setup;
  RAMPART_TRY(SetCaps(permitted, permitted, p.caps.inheritable & permitted));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return Error::FromErrno(errno, "clear ambient capabilities");
  for (int c = 0; c <= last; ++c) {
    if (!(p.caps.ambient & (1ULL << c))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
      return Error::FromErrno(errno, "raise ambient capability " + std::to_string(c));
  }

  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::FromErrno(errno, "set no_new_privs");
  RAMPART_TRY(ApplyLandlock(p));

  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    return Error::FromErrno(errno, "mark descriptors close-on-exec");

  const auto& insns = compiled.seccomp.insns;
  sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
    return Error::FromErrno(errno, "install seccomp filter (" + std::to_string(insns.size()) + " instructions)");
  return Ok();
}

Result<RunResult> RunUnderPolicy(const security::CompiledPolicy& policy, const std::vector<std::string>& argv) {
  if (argv.empty()) return Error::Invalid("no command to run");
  RAMPART_TRY(CheckApplicable(policy));
  // Required security layers this host lacks refuse the run (fail-closed).
  RAMPART_TRY(security::CheckEnforcement(policy.policy, DetectHostSecurity()));
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  std::vector<char*> cargv = CStrings(argv);

  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    rd.reset();
    // Report "S<message>" for a setup failure, "E<errno>" for exec.
    auto st = ApplyPolicy(policy, std::nullopt);
    if (!st) {
      std::string msg = "S" + st.error().message();
      (void)!write(wr.get(), msg.data(), msg.size());
      _exit(125);
    }
    execvp(cargv[0], cargv.data());
    int err = errno;
    std::string msg = "E" + std::to_string(err);
    (void)!write(wr.get(), msg.data(), msg.size());
    _exit(err == ENOENT ? 127 : 126);
  }
  wr.reset();
  std::string report;
  char buf[512];
  ssize_t n;
  while ((n = read(rd.get(), buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    report.append(buf, n);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::FromErrno(errno, "waitpid");
  }
  RunResult out;
  if (report.starts_with("S")) return Error::Internal("apply policy " + policy.policy.name + ": " + report.substr(1));
  if (report.starts_with("E")) {
    out.exec_errno = std::atoi(report.c_str() + 1);
    return out;
  }
  out.wait_status = status;
  return out;
}

}  // namespace rampart::runtime
