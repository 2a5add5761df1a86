#include "runtime/monitor.h"

#include "runtime/networking.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <optional>
#include <nlohmann/json.hpp>

#include "base/fault.h"
#include "runtime/console.h"
#include "runtime/launcher.h"
#include "runtime/learn_supervisor.h"
#include "runtime/netns_ahead.h"
#include "runtime/policy_apply.h"
#include "security/landlock.h"

namespace rampart::runtime {
namespace {

int64_t Now() { return static_cast<int64_t>(time(nullptr)); }

nlohmann::json StateJson(const ContainerState& s) {
  nlohmann::json j = {{"name", s.name}, {"status", StatusName(s.status)}, {"pid", s.init_pid}};
  if (s.exit_code) j["exit_code"] = *s.exit_code;
  if (s.exit_signal) j["exit_signal"] = *s.exit_signal;
  return j;
}

Result<UniqueFd> ListenControlSocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error::Invalid("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::FromErrno(errno, "socket");
  unlink(path.c_str());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Error::FromErrno(errno, "bind " + path);
  chmod(path.c_str(), 0600);
  if (listen(fd.get(), 8) != 0) return Error::FromErrno(errno, "listen " + path);
  return fd;
}

// One read from the payload's output pipe into the log; false at EOF (or
// nothing more to read on a non-blocking pipe).
bool CopyOutput(int from, int log) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return false;
  if (log >= 0) (void)!write(log, buf, n);
  return true;
}

void SendLine(int fd, const std::string& line) {
  std::string l = line + "\n";
  (void)!send(fd, l.data(), l.size(), MSG_NOSIGNAL);
}

}  // namespace

Status TeardownContainer(const StateStore& store, ContainerState state, const Cgroup* cgroup,
                         const ContainerSpec* spec) {
  Status result = Ok();
  if (cgroup) {
    if (auto st = cgroup->Destroy(); !st) result = st.error().Wrap("remove cgroup");
  }
  if (spec && !spec->networks.empty()) {
    if (auto st = LeaveNetworks(store.paths(), *spec); !st && result) result = st;
  }
  state.status = ContainerStatus::kStopped;
  if (state.finished_at == 0) state.finished_at = Now();
  if (auto st = store.WriteState(state); !st && result) result = st;
  return result;
}

Result<int> RunMonitor(MonitorSetup setup, Logger& log) {
  StateStore store(setup.paths);
  const std::string& name = setup.spec.name;
  ContainerState state;
  if (auto prev = store.ReadState(name); prev) state = *prev;
  state.name = name;
  state.status = ContainerStatus::kStarting;
  state.profile = setup.spec.profile;
  state.policy_hash = setup.policy.hash;
  state.monitor_pid = getpid();
  if (auto t = StateStore::ProcessStartTime(getpid()); t) state.monitor_start_time = *t;
  state.cgroup_paths = setup.cgroup.Paths();
  state.stdio = setup.foreground ? "inherited" : setup.spec.tty ? "terminal" : "log";
  state.checkpoint.clear();
  state.restored_from = setup.restore ? setup.restore->meta.name : "";
  state.exit_code.reset();
  state.exit_signal.reset();
  state.finished_at = 0;
  state.started_at = Now();
  if (state.created_at == 0) state.created_at = state.started_at;  // no state written at create (foreground run --rm)
  auto notes = security::CheckEnforcement(setup.policy.policy, DetectHostSecurity());
  state.security_notes = notes ? *notes : std::vector<std::string>{};

  auto fail = [&](const Error& e) -> Error {
    (void)TeardownContainer(store, state, &setup.cgroup, &setup.spec);
    if (setup.ready_fd >= 0) {
      std::string msg = "ERR " + e.message();
      (void)!write(setup.ready_fd, msg.data(), msg.size());
    }
    return e;
  };
  RAMPART_TRY(store.WriteState(state));
  if (!notes) return fail(notes.error());
  auto labels = PrepareLsm(setup.policy, name, DetectHostSecurity(), setup.paths.ContainerDir(name));
  if (!labels) return fail(labels.error());

  // Forward termination signals to the container in the foreground.
  sigset_t mask;
  sigemptyset(&mask);
  UniqueFd sigfd;
  if (setup.foreground) {
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sigfd.reset(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  }

  LaunchRequest req;
  req.spec = &setup.spec;
  req.policy = &setup.policy;
  req.labels = &*labels;
  req.rootfs.rootfs = setup.spec.rootfs;
  // The profile's filesystem.tmpfs first, so that the config's own mounts
  // can go below them; filesystem.readonly_root remounts / last.
  for (const auto& t : setup.policy.policy.tmpfs_paths)
    req.rootfs.binds.push_back(BindMount{"", t, false, "tmpfs", {"mode=1777"}});
  req.rootfs.readonly_root = setup.policy.policy.readonly_root;
  req.rootfs.mount_label = labels->selinux_mount;
  for (const auto& m : setup.spec.mounts)
    req.rootfs.binds.push_back(BindMount{m.source, m.target, m.readonly, m.type, m.options});
  req.rootfs.masked_paths = setup.policy.policy.masked_paths;
  req.rootfs.readonly_paths = setup.policy.policy.readonly_paths;
  req.rootfs.user_namespace = setup.spec.namespaces.user;
  req.rootfs.new_ipc_ns = setup.spec.namespaces.ipc;
  req.rootfs.new_cgroup_ns = setup.spec.namespaces.cgroup;
  req.cgroup = &setup.cgroup;
  req.meanwhile = setup.meanwhile;
  std::unique_ptr<LearnRecorder> recorder;
  if (setup.learn) {
    req.learn = [&](UniqueFd listener) -> Status {
      RAMPART_ASSIGN_OR_RETURN(recorder, LearnRecorder::Start(std::move(listener)));
      return Ok();
    };
  }
  std::vector<net::Endpoint> endpoints;
  std::string resolv_conf;
  if (setup.spec.namespaces.net && !setup.spec.networks.empty()) {
    auto resolv = PrepareNetworks(setup.paths, setup.spec);
    if (!resolv) return fail(resolv.error());
    resolv_conf = *resolv;
    // First, so that a bind of the user's own on /etc/resolv.conf wins.
    if (!resolv->empty())
      req.rootfs.binds.insert(req.rootfs.binds.begin(), BindMount{*resolv, "/etc/resolv.conf", true, "bind", {}});
    req.join_networks = [&](pid_t pid) -> Status {
      // Into the namespace made ahead when there is one: the child joins it
      // on its own time, so /proc/PID/ns/net may still be ours here.
      if (req.netns_fd >= 0) {
        RAMPART_ASSIGN_OR_RETURN(endpoints, JoinNetworksIn(setup.paths, setup.spec, req.netns_fd));
      } else {
        RAMPART_ASSIGN_OR_RETURN(endpoints, JoinNetworks(setup.paths, setup.spec, pid));
      }
      return Ok();
    };
  }
  UniqueFd null_in, log_out;
  // A tty container's pty comes from its own devpts (the child opens it
  // after pivot_root and hands us the master), so tty/ttyname work inside.
  std::optional<PtyPair> pty;
  if (setup.spec.tty) {
    req.pty_inside = true;
    winsize ws{};
    if (setup.foreground && ioctl(0, TIOCGWINSZ, &ws) == 0) req.pty_size = ws;
  }
  // Detached: stdin is the container's own /dev/null, stdout and stderr a
  // pipe that we copy into the log (like conmon), so that every descriptor
  // of the payload can be checkpointed.
  UniqueFd out_rd, out_wr;
  if (!setup.foreground) {
    log_out.reset(open(setup.paths.LogFile(name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!log_out) return fail(Error::FromErrno(errno, "open " + setup.paths.LogFile(name)));
    if (!setup.spec.tty) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) return fail(Error::FromErrno(errno, "pipe"));
      out_rd.reset(p[0]);
      out_wr.reset(p[1]);
      req.stdin_null_inside = true;
      req.stdout_fd = req.stderr_fd = out_wr.get();
    }
  }
  if (setup.spec.tty) {
    // stdio is the pty's slave, set up by the child itself.
  } else if (setup.foreground) {
    req.stdin_fd = 0;
    req.stdout_fd = 1;
    req.stderr_fd = 2;
  }
  // The payload must not inherit our blocked signal mask.
  if (setup.foreground) sigprocmask(SIG_UNBLOCK, &mask, nullptr);
  FaultPoint("monitor:before-launch");
  Result<LaunchedInit> init = Error::Internal("not launched");
  if (setup.restore) {
    if (setup.meanwhile)
      if (auto st = setup.meanwhile(); !st) return fail(st.error());
    RestoreRequest rr;
    rr.criu = setup.restore->criu;
    rr.paths = setup.paths;
    rr.spec = &setup.spec;
    rr.policy = &setup.policy;
    rr.cgroup = &setup.cgroup;
    rr.images_dir = setup.restore->images_dir;
    rr.meta = setup.restore->meta;
    rr.resolv_conf = resolv_conf;
    rr.output_fd = out_wr.get();
    auto restored = RestoreContainer(rr);
    if (restored) {
      endpoints = std::move(restored->endpoints);
      init = std::move(restored->init);
    } else {
      init = restored.error();
    }
  } else {
    // The network namespace made ahead, if this container can use it; if it
    // could not be made, clone3 makes one as usual.
    UniqueFd netns;
    if (setup.netns_ahead) {
      auto made = setup.netns_ahead->Take();
      if (made && setup.spec.namespaces.net && !setup.spec.namespaces.user) {
        netns = std::move(*made);
        req.netns_fd = netns.get();
      } else if (!made) {
        log.Debug("network namespace not made ahead; clone3 makes it", {{"error", made.error().message()}});
      }
    }
    init = LaunchInit(req);
    netns.reset();
    // Fail-closed: the payload must really run under the labels asked for
    // (with --init, pid 1 is rampart's init and the payload is its child).
    if (init && !setup.spec.init)
      if (auto st = VerifyExecLabels(*labels, init->pid); !st) {
        kill(init->pid, SIGKILL);
        waitpid(init->pid, nullptr, 0);
        init = st.error();
      }
  }
  if (setup.foreground) sigprocmask(SIG_BLOCK, &mask, nullptr);
  if (!init) {
    if (setup.foreground) sigprocmask(SIG_UNBLOCK, &mask, nullptr);
    return fail(init.error());
  }
  null_in.reset();
  if (init->pty_master) pty.emplace(PtyPair{std::move(init->pty_master), UniqueFd()});
  out_wr.reset();
  // Foreground with a tty: our terminal goes raw and is proxied to the pty.
  std::optional<ScopedRawMode> raw;
  if (pty && setup.foreground) raw.emplace(0);
  UniqueFd console;  // the `rampart console` client, if one is attached
  bool stdin_open = setup.foreground && pty;
  FaultPoint("monitor:launched");
  state.init_pid = init->pid;
  state.init_start_time = init->start_time;
  state.ip = EndpointAddresses(endpoints);
  state.status = ContainerStatus::kRunning;
  if (auto st = store.WriteState(state); !st) {
    kill(init->pid, SIGKILL);
    waitpid(init->pid, nullptr, 0);
    return fail(st.error());
  }
  auto control = ListenControlSocket(setup.paths.MonitorSocket(name));
  if (!control) log.Warn("no control socket", {{"error", control.error().message()}});
  FaultPoint("monitor:running");
  if (setup.ready_fd >= 0) {
    (void)!write(setup.ready_fd, "OK\n", 3);
    close(setup.ready_fd);
    setup.ready_fd = -1;
  }

  std::vector<UniqueFd> waiters;  // clients of "wait", answered at exit
  int status = 0;
  bool exited = false;
  while (!exited) {
    std::vector<pollfd> fds = {{init->pidfd.get(), POLLIN, 0}};
    if (control) fds.push_back({control->get(), POLLIN, 0});
    if (sigfd) fds.push_back({sigfd.get(), POLLIN, 0});
    if (pty && pty->master) fds.push_back({pty->master.get(), POLLIN, 0});
    if (out_rd) fds.push_back({out_rd.get(), POLLIN, 0});
    if (console) fds.push_back({console.get(), POLLIN, 0});
    if (stdin_open) fds.push_back({0, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const auto& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP))) continue;
      if (p.fd == init->pidfd.get()) {
        exited = true;
      } else if (pty && pty->master && p.fd == pty->master.get()) {
        char buf[4096];
        ssize_t n = read(pty->master.get(), buf, sizeof buf);
        if (n <= 0) {
          pty->master.reset();  // EIO: every holder of the slave is gone
          continue;
        }
        if (setup.foreground) (void)!write(1, buf, n);
        if (log_out) (void)!write(log_out.get(), buf, n);
        if (console && send(console.get(), buf, n, MSG_NOSIGNAL) < 0) console.reset();
      } else if (out_rd && p.fd == out_rd.get()) {
        if (!CopyOutput(out_rd.get(), log_out.get())) out_rd.reset();  // every writer is gone
      } else if ((console && p.fd == console.get()) || (stdin_open && p.fd == 0)) {
        char buf[4096];
        ssize_t n = read(p.fd, buf, sizeof buf);
        if (n <= 0) {
          if (p.fd == 0) stdin_open = false;
          else console.reset();
          continue;
        }
        if (pty && pty->master) (void)!write(pty->master.get(), buf, n);
      } else if (sigfd && p.fd == sigfd.get()) {
        signalfd_siginfo si{};
        while (read(sigfd.get(), &si, sizeof si) == sizeof si)
          syscall(SYS_pidfd_send_signal, init->pidfd.get(), static_cast<int>(si.ssi_signo), nullptr, 0);
      } else if (control && p.fd == control->get()) {
        UniqueFd client(accept4(control->get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) continue;
        char buf[64] = {};
        timeval tv{1, 0};
        setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t n = recv(client.get(), buf, sizeof buf - 1, 0);
        std::string op = n > 0 ? std::string(buf, n) : "";
        while (!op.empty() && (op.back() == '\n' || op.back() == '\r')) op.pop_back();
        if (op == "wait") {
          waiters.push_back(std::move(client));
        } else if (op == "console") {
          if (!pty || !pty->master) {
            SendLine(client.get(), R"j({"error":"the container has no terminal (create it with tty: true)"})j");
          } else {
            SendLine(client.get(), "OK");
            timeval none{0, 0};
            setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
            console = std::move(client);  // a new console replaces the previous one
          }
        } else if (op == "status") {
          SendLine(client.get(), StateJson(state).dump());
        } else {
          SendLine(client.get(), R"j({"error":"unknown request (expected status, wait or console)"})j");
        }
      }
    }
  }
  while (waitpid(init->pid, &status, 0) < 0 && errno == EINTR) {
  }
  // What the payload wrote last is still in the pty.
  if (pty && pty->master) {
    fcntl(pty->master.get(), F_SETFL, O_NONBLOCK);
    char buf[4096];
    ssize_t n;
    while ((n = read(pty->master.get(), buf, sizeof buf)) > 0) {
      if (setup.foreground) (void)!write(1, buf, n);
      if (log_out) (void)!write(log_out.get(), buf, n);
      if (console) (void)!send(console.get(), buf, n, MSG_NOSIGNAL);
    }
  }
  if (out_rd) {
    fcntl(out_rd.get(), F_SETFL, O_NONBLOCK);
    while (CopyOutput(out_rd.get(), log_out.get())) {
    }
  }
  raw.reset();
  if (setup.wait_status) *setup.wait_status = status;
  state.finished_at = Now();
  int code;
  if (WIFSIGNALED(status)) {
    state.exit_signal = WTERMSIG(status);
    code = 128 + WTERMSIG(status);
  } else {
    state.exit_code = WEXITSTATUS(status);
    code = WEXITSTATUS(status);
  }
  Status torn = TeardownContainer(store, state, &setup.cgroup, &setup.spec);
  state.status = ContainerStatus::kStopped;
  // The teardown killed whatever was left in the cgroup: the listener
  // hangs up as soon as the last task under the filter is gone.
  Result<security::LearnObservations> learned = security::LearnObservations();
  if (recorder) learned = recorder->Finish(std::chrono::seconds(10));
  if (control) unlink(setup.paths.MonitorSocket(name).c_str());
  for (auto& w : waiters) SendLine(w.get(), StateJson(state).dump());
  if (setup.foreground) sigprocmask(SIG_UNBLOCK, &mask, nullptr);
  if (!torn) log.Warn("teardown incomplete", {{"container", name}, {"error", torn.error().message()}});
  if (!learned) return learned.error().Wrap("learn");
  if (setup.learn) *setup.learn = std::move(*learned);
  return code;
}

}  // namespace rampart::runtime
