#include "runtime/launcher.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/atomic_file.h"
#include "base/fault.h"
#include "base/spawn.h"
#include "runtime/console.h"
#include "runtime/idmap.h"
#include "runtime/learn_supervisor.h"
#include "runtime/netns_ahead.h"
#include "runtime/state_store.h"

namespace rampart::runtime {
namespace {

// What the child reports through the close-on-exec error pipe: nothing
// (EOF) when execve succeeded.
void Report(int fd, char kind, const std::string& text) {
  std::string msg = std::string(1, kind) + text;
  (void)!write(fd, msg.data(), msg.size());
}

// One fd over a unix socket (SCM_RIGHTS) with one byte of data.
bool SendFd(int sock, int fd) {
  char byte = 'P';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1;
}

UniqueFd ReceiveFd(int sock) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return UniqueFd();
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      return UniqueFd(fd);
    }
  }
  return UniqueFd();
}

// In the child, after pivot_root: a pty from the container's devpts; the
// slave becomes stdio and the controlling terminal, the master goes to the
// parent over `sock`.
Status SetUpPtyInside(int sock, const std::optional<winsize>& size) {
  RAMPART_ASSIGN_OR_RETURN(PtyPair pty, OpenPty(size ? &*size : nullptr));
  for (int to = 0; to < 3; ++to)
    if (dup2(pty.slave.get(), to) < 0) return Error::FromErrno(errno, "dup2 pty");
  if (ioctl(0, TIOCSCTTY, 0) != 0) return Error::FromErrno(errno, "set controlling terminal");
  if (!SendFd(sock, pty.master.get())) return Error::FromErrno(errno, "hand the pty to the monitor");
  return Ok();
}

uint64_t NamespaceFlags(const NamespaceSet& ns) {
  uint64_t f = 0;
  if (ns.pid) f |= CLONE_NEWPID;
  if (ns.mount) f |= CLONE_NEWNS;
  if (ns.ipc) f |= CLONE_NEWIPC;
  if (ns.uts) f |= CLONE_NEWUTS;
  if (ns.net) f |= CLONE_NEWNET;
  if (ns.cgroup) f |= CLONE_NEWCGROUP;
  if (ns.user) f |= CLONE_NEWUSER;
  if (ns.time) f |= 0x80;  // CLONE_NEWTIME
  return f;
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.starts_with(key + "=")) return e.substr(key.size() + 1);
  return "";
}

// execve with a PATH search in the container's environment; returns errno.
int ExecPayload(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> cargv = CStrings(argv), cenv = CStrings(env);
  if (argv[0].find('/') != std::string::npos) {
    execve(cargv[0], cargv.data(), cenv.data());
    return errno;
  }
  std::string path = EnvValue(env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int err = ENOENT;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start) + "/" + argv[0];
    execve(candidate.c_str(), cargv.data(), cenv.data());
    if (errno != ENOENT && errno != ENOTDIR) err = errno;  // remember EACCES and the like
    start = end + 1;
  }
  return err;
}

Status EnterCwd(const std::string& cwd) {
  if (chdir(cwd.c_str()) != 0) return Error::FromErrno(errno, "chdir " + cwd);
  char buf[4096];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    return Error::Invalid("cwd " + cwd + " is not reachable inside the container root");
  return Ok();
}

Identity IdentityOf(const ContainerSpec& spec) {
  Identity id;
  id.uid = spec.uid;
  id.gid = spec.gid;
  for (uint32_t g : spec.additional_gids) id.groups.push_back(g);
  return id;
}

// `init: true`: we stay pid 1 (already under the container's policy) and
// run the payload as our child: every signal we get is forwarded to it,
// orphans are reaped, and we exit with its status (128+N for signal N).
[[noreturn]] void RunInitShim(const ContainerSpec& spec, int err_fd) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    Report(err_fd, 'S', "init: fork: " + std::string(std::strerror(errno)));
    _exit(125);
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    int err = ExecPayload(spec.command, spec.env);
    Report(err_fd, 'E', std::to_string(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  close(err_fd);
  // Nothing in the container may read our memory or open /proc/1/exe.
  prctl(PR_SET_DUMPABLE, 0);
  syscall(SYS_close_range, 3U, ~0U, 0U);
  while (true) {
    siginfo_t si{};
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue;
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
    }
  }
}

// `wait_ready`: the parent still has work to do after 'G' while we set up
// (join v1 cgroups, which has no CLONE_INTO_CGROUP; wire the network) and
// says 'C' when done. With `late_cgroup` our cgroup namespace is made only
// then, so that its root is the container's cgroup and not the monitor's.
[[noreturn]] void ChildMain(const LaunchRequest& req, int sync_fd, int err_fd, bool wait_ready, bool late_cgroup) {
  const ContainerSpec& spec = *req.spec;
  // getppid() is 0 in a new pid namespace, so the sync socket is what
  // tells us the parent is gone: EOF instead of 'G'.
  if (req.kill_on_parent_death) prctl(PR_SET_PDEATHSIG, SIGKILL);
  char go = 0;
  if (read(sync_fd, &go, 1) != 1 || go != 'G') _exit(125);  // parent gave up or died
  if (!wait_ready && !req.pty_inside) close(sync_fd);
  auto fail = [&](const std::string& stage, const Error& e) {
    Report(err_fd, 'S', stage + ": " + e.message());
    _exit(125);
  };
  // A network namespace made ahead (NetnsAhead): joined before the rootfs,
  // whose /sys must show it.
  const bool joined_netns = req.netns_fd >= 0;
  if (joined_netns && setns(req.netns_fd, CLONE_NEWNET) != 0)
    fail("network", Error::FromErrno(errno, "join the network namespace made ahead"));
  // Open the rootfs (in our new mount namespace) while we still carry the
  // creating user's credentials: as the user namespace's root we may not be
  // able to traverse the 0700 state directories above it.
  UniqueFd rootfs_fd(open(req.rootfs.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs_fd) fail("rootfs", Error::FromErrno(errno, "open " + req.rootfs.rootfs));
  RootfsPlan plan = req.rootfs;
  plan.rootfs_fd = rootfs_fd.get();
  if (spec.namespaces.user) {
    // Become the namespace's root (mapped to an unprivileged host id).
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail("user namespace", Error::FromErrno(errno, "become root"));
  }
  for (auto [from, to] : {std::pair{req.stdin_fd, 0}, std::pair{req.stdout_fd, 1}, std::pair{req.stderr_fd, 2}}) {
    if (from >= 0 && from != to && dup2(from, to) < 0) fail("stdio", Error::FromErrno(errno, "dup2"));
  }
  if (setsid() < 0) fail("session", Error::FromErrno(errno, "setsid"));

  if (spec.namespaces.uts && sethostname(spec.hostname.c_str(), spec.hostname.size()) != 0)
    fail("hostname", Error::FromErrno(errno, "sethostname " + spec.hostname));
  if (wait_ready) {
    if (read(sync_fd, &go, 1) != 1 || go != 'C') _exit(125);  // not in the cgroup: never run anything
    if (!req.pty_inside) close(sync_fd);
  }
  if (late_cgroup) {
    if (spec.namespaces.cgroup && unshare(CLONE_NEWCGROUP) != 0)
      fail("cgroup namespace", Error::FromErrno(errno, "unshare"));
  }
  if (auto st = SetupRootfs(plan); !st) fail("rootfs", st.error());
  rootfs_fd.reset();
  if (req.pty_inside) {
    if (auto st = SetUpPtyInside(sync_fd, req.pty_size); !st) fail("tty", st.error());
    close(sync_fd);
  }
  if (spec.namespaces.net && !joined_netns) {  // one made ahead has lo up already
    if (auto st = LoopbackUp(); !st) fail("network", st.error());
  }
  if (req.stdin_null_inside) {
    UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    if (!null_fd || fstat(null_fd.get(), &st) != 0) fail("stdio", Error::FromErrno(errno, "open the container's /dev/null"));
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) fail("stdio", Error::Invalid("/dev/null in the container is not the null device"));
    if (dup2(null_fd.get(), 0) < 0) fail("stdio", Error::FromErrno(errno, "dup2 /dev/null"));
  }
  if (auto st = EnterCwd(spec.cwd); !st) fail("cwd", st.error());
  FaultPoint("init:before-policy");
  if (req.labels)
    if (auto st = SetExecLabels(*req.labels); !st) fail("lsm", st.error());
  if (auto st = ApplyPolicy(*req.policy, IdentityOf(spec)); !st) fail("policy", st.error());
  if (req.learn)
    if (auto st = InstallLearnFilter(err_fd); !st) fail("learn", st.error());
  if (spec.init) RunInitShim(spec, err_fd);
  int err = ExecPayload(spec.command, spec.env);
  Report(err_fd, 'E', std::to_string(err));
  _exit(err == ENOENT ? 127 : 126);
}

Status WriteIdMaps(pid_t pid, const ContainerSpec& spec) {
  const std::string base = "/proc/" + std::to_string(pid);
  auto write_file = [](const std::string& path, const std::string& text) -> Status {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Error::FromErrno(errno, "open " + path);
    if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      return Error::FromErrno(errno, "write " + path);
    return Ok();
  };
  RAMPART_TRY(write_file(base + "/uid_map", FormatIdMap(spec.uid_map)));
  RAMPART_TRY(write_file(base + "/gid_map", FormatIdMap(spec.gid_map)));
  return Ok();
}

// Reads the child's report; empty = exec succeeded.
std::string ReadReport(int fd) {
  std::string report;
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    report.append(buf, n);
  }
  return report;
}

Error ReportToError(const std::string& report, const std::string& what) {
  if (report.starts_with("E")) {
    int err = std::atoi(report.c_str() + 1);
    if (err == ENOENT) return Error(ErrorKind::kNotFound, "exec " + what + ": " + std::strerror(err), err);
    return Error(ErrorKind::kInvalid, "exec " + what + ": " + std::strerror(err), err);
  }
  return Error::Internal(report.size() > 1 ? report.substr(1) : "container init died during setup");
}

}  // namespace

Result<LaunchedInit> LaunchInit(const LaunchRequest& req) {
  RAMPART_TRY(CheckApplicable(*req.policy));
  int sync[2], err[2];
  // A socket, not a pipe: send(MSG_NOSIGNAL) to a child that died early
  // must not SIGPIPE the monitor.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) return Error::FromErrno(errno, "socketpair");
  UniqueFd sync_rd(sync[0]), sync_wr(sync[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe");
  UniqueFd err_rd(err[0]), err_wr(err[1]);

  clone_args args{};
  int pidfd = -1;
  args.flags = CLONE_PIDFD | NamespaceFlags(req.spec->namespaces);
  if (req.netns_fd >= 0) {
    if (!req.spec->namespaces.net || req.spec->namespaces.user)
      return Error::Internal("a network namespace made ahead is only for an init with a network namespace and no user namespace");
    args.flags &= ~static_cast<uint64_t>(CLONE_NEWNET);  // the child joins req.netns_fd
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  UniqueFd cgroup_fd;
  if (req.cgroup) {
    if (auto fd = req.cgroup->OpenV2Dir(); fd) {
      cgroup_fd = std::move(*fd);
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(cgroup_fd.get());
    }
  }
  // Joining v1 cgroups after the clone costs the kernel an RCU grace period
  // (5-20 ms here): the child does what comes before its cgroup namespace
  // meanwhile (network namespace, rootfs fd, session, hostname), then waits
  // for 'C'.
  const bool late_cgroup = req.cgroup && !cgroup_fd;
  if (late_cgroup) args.flags &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);
  const bool wait_ready = late_cgroup || static_cast<bool>(req.join_networks);
  long rc = syscall(SYS_clone3, &args, sizeof args);
  if (rc < 0) return Error::FromErrno(errno, "clone3 container init");
  if (rc == 0) {
    sync_wr.reset();
    err_rd.reset();
    ChildMain(req, sync_rd.get(), err_wr.get(), wait_ready, late_cgroup);
  }
  const pid_t pid = static_cast<pid_t>(rc);
  LaunchedInit out;
  out.pid = pid;
  out.pidfd.reset(pidfd);
  sync_rd.reset();
  err_wr.reset();
  FaultPoint("launch:cloned");
  auto abort_child = [&](const Error& e) -> Error {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return e;
  };
  if (req.spec->namespaces.user) {
    if (auto st = WriteIdMaps(pid, *req.spec); !st) return abort_child(st.error().Wrap("id maps"));
  }
  auto release = [&](const char* what) -> Status {
    if (send(sync_wr.get(), what, 1, MSG_NOSIGNAL) == 1) return Ok();
    std::string report = ReadReport(err_rd.get());
    return abort_child(report.empty() ? Error::FromErrno(errno, "release container init")
                                      : ReportToError(report, req.spec->command[0]));
  };
  RAMPART_TRY(release("G"));
  // The v1 cgroup join (a kernel grace period), the caller's bookkeeping
  // and the network setup are independent: they run side by side, on a
  // thread and here.
  Status joined = Ok();
  std::thread cgroup_join;
  if (late_cgroup && (req.join_networks || req.meanwhile)) {
    cgroup_join = std::thread([&] { joined = req.cgroup->AddProcess(pid); });
  } else if (late_cgroup) {
    joined = req.cgroup->AddProcess(pid);
  }
  Status meanwhile = req.meanwhile ? req.meanwhile() : Ok();
  if (!meanwhile) {
    if (cgroup_join.joinable()) cgroup_join.join();
    return abort_child(meanwhile.error());
  }
  Status wired = Ok();
  if (req.join_networks) {
    FaultPoint("launch:before-network");
    wired = req.join_networks(pid);
  }
  if (cgroup_join.joinable()) cgroup_join.join();
  if (!joined) return abort_child(joined.error().Wrap("cgroup"));
  if (!wired) return abort_child(wired.error().Wrap("network"));
  if (wait_ready) {
    RAMPART_TRY(release("C"));
  }
  if (req.pty_inside) {
    out.pty_master = ReceiveFd(sync_wr.get());
    if (!out.pty_master) {
      std::string report = ReadReport(err_rd.get());
      return abort_child(report.empty() ? Error::Internal("the container init gave no terminal")
                                        : ReportToError(report, req.spec->command[0]));
    }
  }
  sync_wr.reset();
  std::string report;
  if (req.learn) {
    // The init's first report is the learning listener (or why it has none).
    LearnSyncMsg msg{};
    ssize_t n;
    do {
      n = read(err_rd.get(), &msg, sizeof msg);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof msg) || msg.kind != 'L') {
      if (n > 0) report.assign(reinterpret_cast<const char*>(&msg), static_cast<size_t>(n));
      report += ReadReport(err_rd.get());
      return abort_child(report.empty() ? Error::Internal("the container init ended before it learned")
                                        : ReportToError(report, req.spec->command[0]));
    }
    auto listener = TakeLearnListener(out.pidfd.get(), msg);
    if (!listener) return abort_child(listener.error());
    if (auto st = req.learn(std::move(*listener)); !st) return abort_child(st.error().Wrap("learn"));
  }
  report = ReadReport(err_rd.get());
  if (!report.empty()) return abort_child(ReportToError(report, req.spec->command[0]));
  auto start = StateStore::ProcessStartTime(pid);
  out.start_time = start ? *start : 0;
  return out;
}

Result<pid_t> Attach(const AttachRequest& req) {
  RAMPART_TRY(CheckApplicable(*req.policy));
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe");
  UniqueFd err_rd(err[0]), err_wr(err[1]);
  int sync[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) return Error::FromErrno(errno, "socketpair");
  UniqueFd sync_rd(sync[0]), sync_wr(sync[1]);
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    err_rd.reset();
    sync_wr.reset();
    // Nothing in the container may ptrace us or read our memory before exec
    // (CVE-2016-9962): non-dumpable until execve resets it.
    prctl(PR_SET_DUMPABLE, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char go = 0;
    if (read(sync_rd.get(), &go, 1) != 1) _exit(125);  // wait until the parent put us in the cgroup
    sync_rd.reset();
    auto fail = [&](const std::string& stage, const Error& e) {
      Report(err_wr.get(), 'S', stage + ": " + e.message());
      _exit(125);
    };
    uint64_t flags = NamespaceFlags(req.spec->namespaces) & ~static_cast<uint64_t>(0x80);
    if (setns(req.init_pidfd, static_cast<int>(flags)) != 0) fail("attach", Error::FromErrno(errno, "setns"));
    if (req.spec->namespaces.user && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0))
      fail("attach", Error::FromErrno(errno, "become namespace root"));
    // A new pid namespace applies to children: fork once more.
    pid_t inner = fork();
    if (inner < 0) fail("attach", Error::FromErrno(errno, "fork"));
    if (inner == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (auto [from, to] : {std::pair{req.stdin_fd, 0}, std::pair{req.stdout_fd, 1}, std::pair{req.stderr_fd, 2}})
        if (from >= 0 && from != to) dup2(from, to);
      if (auto st = EnterCwd(req.spec->cwd); !st) fail("cwd", st.error());
      if (req.labels)
        if (auto st = SetExecLabels(*req.labels); !st) fail("lsm", st.error());
      if (auto st = ApplyPolicy(*req.policy, IdentityOf(*req.spec)); !st) fail("policy", st.error());
      int e = ExecPayload(req.argv, req.spec->env);
      Report(err_wr.get(), 'E', std::to_string(e));
      _exit(e == ENOENT ? 127 : 126);
    }
    err_wr.reset();
    int status = 0;
    while (waitpid(inner, &status, 0) < 0) {
      if (errno != EINTR) _exit(125);
    }
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    _exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
  }
  err_wr.reset();
  sync_rd.reset();
  if (req.cgroup) {
    if (auto st = req.cgroup->AddProcess(pid); !st) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return st.error().Wrap("attach: cgroup");
    }
  }
  if (send(sync_wr.get(), "G", 1, MSG_NOSIGNAL) != 1) {
    waitpid(pid, nullptr, 0);
    return Error::FromErrno(errno, "release attach");
  }
  sync_wr.reset();
  std::string report = ReadReport(err_rd.get());
  if (!report.empty()) {
    int status = 0;
    waitpid(pid, &status, 0);
    return ReportToError(report, req.argv.empty() ? "?" : req.argv[0]);
  }
  return pid;
}

}  // namespace rampart::runtime
