// checkpoint_bench: checkpoint and restore time of a container holding 16
// MiB, 256 MiB and 1 GiB of touched memory, rampart side by side in one run
// with raw `criu dump` / `criu restore` of an equivalent process.
//
//   rampart: `rampart run -d NAME -t dir:ROOTFS --config CFG -- /memhog N`
//     (busybox rootfs made once; CFG: `networks: [none]` and the static
//     memhog binary bound read-only at /memhog). Once "ready" is in `rampart
//     logs NAME` (every page written), `rampart checkpoint NAME --name c1`
//     (the container stops) and `rampart restore NAME --from c1` are timed
//     from fork until the command returned; then, untimed, the restored
//     payload is checked (running, VmRSS ≥ 90 % of N) and the container is
//     destroyed.
//   rampart with a network (16 MiB only; --no-net skips it): the same in a
//     private test-host network namespace (`ip netns add rbench-PID`) where
//     `rampart net create benchnet --bridge --subnet 10.213.0.0/24 --no-dhcp
//     --no-dns --no-nat` was made, the container joined with `--net
//     benchnet`: restore then includes rewiring the network (fresh netns,
//     veth on the bridge, same address and MAC, traffic held until CRIU is
//     done). Every rampart command of this row runs in that namespace (a
//     thread of the bench setns()s into it and forks from there).
//   raw CRIU: the same memhog as pid 1 of its own pid + mount namespace
//     (clone; setsid; root pivoted into a bare directory holding a copy of
//     memhog and /proc; stdio to files in it), then `criu dump -t PID -D IMG
//     -o LOG -v4 --tcp-established --file-locks --network-lock nftables` and
//     `criu restore -D IMG -o LOG -v4 --root ROOT --restore-detached
//     --tcp-established --file-locks --pidfile F`: the flags rampart passes
//     (runtime/checkpoint.cc) minus its own extras (--freeze-cgroup,
//     --external for its netns and host binds, --restore-sibling, cgroup
//     roots, --inherit-fd). The restored process is checked like rampart's,
//     then killed.
//
// Before every timed step the bench calls sync(), so that write-back of the
// previous step's images does not land in it. The images of both sides go to
// the same temp dir (under /var/tmp: the same disk as RAMPART_ROOT, which is
// in it too). One warm-up cycle of each side (16 MiB) runs untimed first;
// then per size N runs, the order of the sides alternating every run. Also
// reported: how long CRIU itself ran inside each step (the last timestamp of
// its -v4 log), which splits rampart's time into CRIU's and its own; three
// phases of each dump from that log (the v1 freezer wait, the pages, the
// namespaces: mounts with tmpfs contents, ipc, uts, net); the image sizes.
//
// Usage: checkpoint_bench [--quick] [--runs=N] [--warmup=N] [--no-net]
//                         [--rampart=PATH] [--memhog=PATH] [--logs=DIR]
//   --quick: 16 and 256 MiB, 2 runs. Default: 16, 256 and 1024 MiB, 3 runs.
//   --logs=DIR: keep every CRIU log (rampart's and the raw runs') in DIR,
//   named after the container or raw run ("hog3.criu-dump.log", "raw4.dump.log").
// Needs root and CRIU 4.2+ (scripts/install-criu). All rampart state
// (RAMPART_ROOT, RAMPART_RUN, RAMPART_CONF_DIR) and every image live in a
// temp dir removed at the end; containers, the network and the test-host
// netns are removed too, also after a failure or SIGINT/SIGTERM. The host's
// own network namespace is never touched.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/result.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "bench/bench_util.h"
#include "runtime/criu.h"

namespace {

using rampart::bench::NowMs;
using rampart::bench::ParseIntFlag;
using rampart::bench::StatsOf;

namespace fs = std::filesystem;
using rampart::Error;
using rampart::Result;
using rampart::Status;

constexpr const char* kNetName = "benchnet";
constexpr const char* kSubnet = "10.213.0.0/24";
constexpr auto kStepTimeout = std::chrono::seconds(300);

struct Options {
  int runs = 3;
  int warmup = 1;
  bool quick = false;
  bool net = true;
  std::string rampart;  // default: ../cli/rampart next to this binary
  std::string memhog;   // default: memhog next to this binary
  std::string logs;     // non-empty: keep every CRIU log here
};

std::string g_logs_dir;  // Options::logs

// Copies a CRIU log to --logs=DIR as TAG.NAME (best effort).
void KeepLog(const std::string& path, const std::string& tag) {
  if (g_logs_dir.empty()) return;
  std::error_code ec;
  fs::copy_file(path, g_logs_dir + "/" + tag + "." + fs::path(path).filename().string(),
                fs::copy_options::overwrite_existing, ec);
}

// Everything the bench made, for the cleanup.
struct Env {
  std::string tmp;      // the temp dir (state, images, rootfs copies)
  std::string rampart;  // the rampart binary
  std::string criu;     // the criu binary (or wrapper)
  std::string criu_version;
  std::string memhog;      // TMP/memhog: bound into every container
  std::string rootfs;      // the busybox rootfs every container uses (dir:)
  std::string cfg_none;    // networks: [none] + the memhog bind
  std::string cfg_net;     // just the memhog bind (the network comes from --net)
  std::string raw_root;    // the raw side's root directory
  std::string raw_dir;     // the raw side's images, logs and pidfile
  std::string netns_name;  // test-host netns, "" if not made
  std::string netns_path;
  bool net_created = false;
  bool rootfs_created = false;
  std::map<std::string, bool> containers;  // not destroyed yet -> made in the netns
  pid_t raw_pid = -1;                      // our raw memhog child, if alive
  pid_t raw_restored = -1;                 // the restored raw memhog, if alive
};

// ---- running commands ---------------------------------------------------------

std::string Describe(const std::vector<std::string>& argv, const rampart::CommandOutput& out) {
  std::string err = rampart::bench::FirstLine(out.err);
  if (err.empty()) err = rampart::bench::FirstLine(out.out);
  return rampart::Join(argv, " ") + ": " +
         (out.timed_out ? std::string("timed out (killed)")
                        : "exit " + std::to_string(rampart::ExitCodeFromWaitStatus(out.status))) +
         (err.empty() ? "" : ": " + err);
}

struct Timed {
  rampart::CommandOutput out;
  double ms = 0;  // fork until the command exited and its output was read
};

// Runs `argv` to completion, in the network namespace at `netns` (a path; ""
// = ours) when given: a thread setns()s into it and forks from there. A
// non-zero exit is an error naming the command, its exit code and the first
// line of its stderr.
Result<Timed> Run(const std::vector<std::string>& argv, const std::string& netns = "") {
  Timed t;
  Result<rampart::CommandOutput> r = Error::Internal("not run");
  auto body = [&] {
    double t0 = NowMs();
    r = rampart::RunCommand(argv, {}, kStepTimeout);
    t.ms = NowMs() - t0;
  };
  if (netns.empty()) {
    body();
  } else {
    std::thread th([&] {
      int fd = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        r = Error::FromErrno(errno, "enter network namespace " + netns);
        if (fd >= 0) close(fd);
        return;
      }
      close(fd);
      body();
    });
    th.join();
  }
  if (!r) return r.error().Wrap(rampart::Join(argv, " "));
  t.out = std::move(*r);
  if (t.out.timed_out || rampart::ExitCodeFromWaitStatus(t.out.status) != 0)
    return Error::Internal(Describe(argv, t.out));
  return t;
}

sigset_t g_stop_signals;

bool Interrupted() {
  sigset_t pending;
  sigpending(&pending);
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    if (sigismember(&pending, s)) return true;
  return false;
}

Status CheckInterrupted() {
  if (Interrupted()) return Error::Internal("interrupted by a signal");
  return rampart::Ok();
}

// ---- measurements -------------------------------------------------------------

// One side of one row: wall time of each step, how long CRIU itself ran in
// it (its -v4 log's last timestamp) and three phases of each dump from that
// log (CRIU 4.2's messages; a phase whose markers are missing is left out).
struct Series {
  std::vector<double> ckpt, restore;
  std::vector<double> criu_dump, criu_restore;
  std::vector<double> freeze, pages, namespaces;  // of the dump
  std::vector<double> image_mib;
};

// A CRIU -v4 log: lines start with "(SS.ssssss)", seconds since CRIU started.
struct CriuLog {
  std::string text;
  // The timestamp of the first line containing `what` at or after `from`
  // (a byte offset, updated past it), in ms; -1 if none.
  double At(const std::string& what, size_t* from) const {
    size_t at = text.find(what, *from);
    if (at == std::string::npos) return -1;
    size_t line = text.rfind('\n', at);
    line = line == std::string::npos ? 0 : line + 1;
    *from = at + what.size();
    return text.compare(line, 1, "(") == 0 ? std::atof(text.c_str() + line + 1) * 1000 : -1;
  }
  // ms from the first `from` line to the first `to` line after it; -1 if either is missing.
  double Span(const std::string& from, const std::string& to) const {
    size_t pos = 0;
    double a = At(from, &pos);
    double b = a < 0 ? -1 : At(to, &pos);
    return a < 0 || b < 0 ? -1 : b - a;
  }
  // The last timestamp: how long CRIU ran.
  double Total() const {
    size_t pos = text.rfind("\n(");
    return pos == std::string::npos ? -1 : std::atof(text.c_str() + pos + 2) * 1000;
  }
};

CriuLog ReadCriuLog(const std::string& path) {
  auto text = rampart::ReadFile(path);
  return CriuLog{text ? *text : std::string()};
}

void AddIfKnown(std::vector<double>* v, double ms) {
  if (ms >= 0) v->push_back(ms);
}

void RecordDump(Series* s, const CriuLog& log) {
  AddIfKnown(&s->criu_dump, log.Total());
  // The v1 freezer: CRIU writes FROZEN, then polls in 100 ms steps.
  AddIfKnown(&s->freeze, log.Span("freezing cgroup", "freezer.state=FROZEN"));
  AddIfKnown(&s->pages, log.Span("Dumping pages", "Dumping core"));
  // Mounts (tmpfs contents go through tar), ipc, uts, net.
  AddIfKnown(&s->namespaces, log.Span("mnt: Dumping mountpoints", "Namespaces dump complete"));
}

double DirMiB(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return static_cast<double>(total) / 1048576.0;
}

// VmRSS of `pid` in KiB, -1 if unreadable.
long RssKiB(pid_t pid) {
  auto text = rampart::ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!text) return -1;
  size_t at = text->find("\nVmRSS:");
  if (at == std::string::npos) return -1;
  return std::atol(text->c_str() + at + 7);
}

Status CheckRestored(pid_t pid, int mib, const std::string& who) {
  long rss = RssKiB(pid);
  if (rss < 0)
    return Error::Internal(who + ": restored process " + std::to_string(pid) + " is not running");
  if (rss < static_cast<long>(mib) * 1024 * 9 / 10)
    return Error::Internal(who + ": restored process " + std::to_string(pid) + " has VmRSS " +
                           std::to_string(rss) + " KiB, expected about " +
                           std::to_string(mib * 1024));
  return rampart::Ok();
}

// ---- the rampart side ---------------------------------------------------------

Status WaitReady(const Env& env, const std::string& name) {
  const double deadline = NowMs() + 180000;
  for (;;) {
    RAMPART_TRY(CheckInterrupted());
    RAMPART_ASSIGN_OR_RETURN(auto logs, Run({env.rampart, "logs", name}));
    if (logs.out.out.find("ready") != std::string::npos) return rampart::Ok();
    // A payload that died (e.g. a memhog that cannot run there) fails fast.
    RAMPART_ASSIGN_OR_RETURN(auto ls, Run({env.rampart, "--format", "json", "ls"}));
    auto j = nlohmann::json::parse(ls.out.out, nullptr, false);
    if (j.is_array())
      for (const auto& c : j)
        if (c.value("name", "") == name && c.value("state", "") != "running")
          return Error::Internal("container " + name + " is " + c.value("state", "?") +
                                 " before \"ready\" (logs: '" +
                                 rampart::bench::FirstLine(logs.out.out) + "')");
    if (NowMs() > deadline)
      return Error::Internal("container " + name +
                             ": no \"ready\" in its logs after 180 s (logs: '" +
                             rampart::bench::FirstLine(logs.out.out) + "')");
    usleep(30000);
  }
}

Result<pid_t> ContainerPid(const Env& env, const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto ls, Run({env.rampart, "--format", "json", "ls"}));
  auto j = nlohmann::json::parse(ls.out.out, nullptr, false);
  if (j.is_array())
    for (const auto& c : j)
      if (c.value("name", "") == name) {
        if (c.value("state", "") != "running")
          return Error::Internal("container " + name + " is " + c.value("state", "?") +
                                 " after restore");
        return static_cast<pid_t>(c.value("pid", 0));
      }
  return Error::Internal("container " + name + " is not in `rampart ls` after restore");
}

Status RampartCycle(Env& env, int mib, const std::string& name, bool with_net, Series* s) {
  const std::string ns = with_net ? env.netns_path : "";
  std::vector<std::string> run = {env.rampart, "run",
                                  "-d",        name,
                                  "-t",        "dir:" + env.rootfs,
                                  "--config",  with_net ? env.cfg_net : env.cfg_none};
  if (with_net) run.insert(run.end(), {"--net", kNetName});
  run.insert(run.end(), {"--", "/memhog", std::to_string(mib)});
  env.containers[name] = with_net;
  RAMPART_TRY(Run(run, ns));
  RAMPART_TRY(WaitReady(env, name));
  RAMPART_TRY(CheckInterrupted());

  sync();
  RAMPART_ASSIGN_OR_RETURN(auto ck, Run({env.rampart, "checkpoint", name, "--name", "c1"}, ns));
  const std::string run_dir = env.tmp + "/run/" + name;
  const CriuLog dump_log = ReadCriuLog(run_dir + "/criu-dump.log");
  KeepLog(run_dir + "/criu-dump.log", name);
  const double image = DirMiB(env.tmp + "/root/containers/" + name + "/checkpoints/c1/images");
  RAMPART_TRY(CheckInterrupted());

  sync();
  RAMPART_ASSIGN_OR_RETURN(auto rs, Run({env.rampart, "restore", name, "--from", "c1"}, ns));
  const double restore_ms = ReadCriuLog(run_dir + "/criu-restore.log").Total();
  KeepLog(run_dir + "/criu-restore.log", name);
  RAMPART_ASSIGN_OR_RETURN(pid_t pid, ContainerPid(env, name));
  RAMPART_TRY(CheckRestored(pid, mib, "container " + name));

  RAMPART_TRY(Run({env.rampart, "destroy", "-f", name}, ns));
  env.containers.erase(name);
  if (s) {
    s->ckpt.push_back(ck.ms);
    s->restore.push_back(rs.ms);
    RecordDump(s, dump_log);
    AddIfKnown(&s->criu_restore, restore_ms);
    s->image_mib.push_back(image);
  }
  return rampart::Ok();
}

// ---- the raw CRIU side --------------------------------------------------------

struct RawChildArgs {
  const char* root;
  const char* mib;
};

// pid 1 of a new pid + mount namespace: its own session, root pivoted into
// `root` with a fresh /proc, stdio on files there, then memhog.
int RawChild(void* p) {
  auto* a = static_cast<RawChildArgs*>(p);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  auto die = [](const char* what) {
    dprintf(2, "checkpoint_bench: raw memhog: %s: %s\n", what, strerror(errno));
    _exit(120);
  };
  if (setsid() < 0) die("setsid");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die("make / private");
  if (mount(a->root, a->root, nullptr, MS_BIND, nullptr) != 0) die("bind the root onto itself");
  if (chdir(a->root) != 0) die("chdir root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) die("detach the old root");
  if (chdir("/") != 0) die("chdir /");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    die("mount /proc");
  int in = open("/in", O_RDONLY);
  int out = open("/out", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0) die("open /in or /out");
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  syscall(SYS_close_range, 3U, ~0U, 0U);
  execl("/memhog", "memhog", a->mib, static_cast<char*>(nullptr));
  die("exec /memhog");
  return 127;
}

void KillRaw(Env& env) {
  if (env.raw_pid > 0) {
    kill(env.raw_pid, SIGKILL);
    while (waitpid(env.raw_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    env.raw_pid = -1;
  }
  if (env.raw_restored > 0) {
    // Not our child (criu restore -d left it to init): wait on a pidfd.
    int fd = static_cast<int>(syscall(SYS_pidfd_open, env.raw_restored, 0));
    if (fd >= 0) {
      syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, 10000);
      close(fd);
    }
    env.raw_restored = -1;
  }
}

Status StartRaw(Env& env, int mib) {
  const std::string out = env.raw_root + "/out";
  unlink(out.c_str());
  const std::string mib_s = std::to_string(mib);
  RawChildArgs args{env.raw_root.c_str(), mib_s.c_str()};
  static char stack[256 * 1024] __attribute__((aligned(16)));
  pid_t pid = clone(RawChild, stack + sizeof stack, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, &args);
  if (pid < 0) return Error::FromErrno(errno, "clone the raw memhog");
  env.raw_pid = pid;
  const double deadline = NowMs() + 180000;
  for (;;) {
    RAMPART_TRY(CheckInterrupted());
    auto text = rampart::ReadFile(out);
    if (text && text->find("ready") != std::string::npos) return rampart::Ok();
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      env.raw_pid = -1;
      return Error::Internal("raw memhog exited (status " + std::to_string(st) +
                             ") before \"ready\"" +
                             (text ? ": " + rampart::bench::FirstLine(*text) : std::string()));
    }
    if (NowMs() > deadline) return Error::Internal("raw memhog: no \"ready\" after 180 s");
    usleep(20000);
  }
}

Status RawCycle(Env& env, int mib, const std::string& tag, Series* s) {
  const std::string images = env.raw_dir + "/images";
  const std::string dump_log = env.raw_dir + "/dump.log",
                    restore_log = env.raw_dir + "/restore.log";
  const std::string pidfile = env.raw_dir + "/restored.pid";
  std::error_code ec;
  fs::remove_all(images, ec);
  for (const auto& f : {dump_log, restore_log, pidfile}) unlink(f.c_str());
  RAMPART_TRY(rampart::MakeDirs(images, 0700));
  RAMPART_TRY(StartRaw(env, mib));

  sync();
  RAMPART_ASSIGN_OR_RETURN(auto dump, Run({env.criu, "dump", "-t", std::to_string(env.raw_pid),
                                           "-D", images, "-o", dump_log, "-v4", "--tcp-established",
                                           "--file-locks", "--network-lock", "nftables"}));
  // CRIU killed it: reap it (untimed).
  int st = 0;
  while (waitpid(env.raw_pid, &st, 0) < 0 && errno == EINTR) {
  }
  env.raw_pid = -1;
  const double image = DirMiB(images);
  RAMPART_TRY(CheckInterrupted());

  sync();
  RAMPART_ASSIGN_OR_RETURN(
      auto rs,
      Run({env.criu, "restore", "-D", images, "-o", restore_log, "-v4", "--root", env.raw_root,
           "--restore-detached", "--tcp-established", "--file-locks", "--pidfile", pidfile}));
  auto pid_text = rampart::ReadFile(pidfile);
  auto pid = pid_text ? rampart::ParseUint64(rampart::Trim(*pid_text))
                      : Result<uint64_t>(pid_text.error());
  if (!pid || *pid == 0) return Error::Internal("criu restore wrote no pid to " + pidfile);
  env.raw_restored = static_cast<pid_t>(*pid);
  RAMPART_TRY(CheckRestored(env.raw_restored, mib, "raw criu"));
  KillRaw(env);
  fs::remove_all(images, ec);
  KeepLog(dump_log, tag);
  KeepLog(restore_log, tag);
  if (s) {
    s->ckpt.push_back(dump.ms);
    s->restore.push_back(rs.ms);
    RecordDump(s, ReadCriuLog(dump_log));
    AddIfKnown(&s->criu_restore, ReadCriuLog(restore_log).Total());
    s->image_mib.push_back(image);
  }
  return rampart::Ok();
}

// ---- setup and cleanup --------------------------------------------------------

std::string NextTo(const char* argv0, const std::string& rel) {
  char self[4096] = {};
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string(argv0);
  return dir.substr(0, dir.rfind('/')) + "/" + rel;
}

Status Setup(Env& env, const Options& opt) {
  RAMPART_ASSIGN_OR_RETURN(auto criu, rampart::runtime::FindCriu(""));
  env.criu = criu.path;
  env.criu_version = criu.version_text;
  char tmpl[] = "/var/tmp/checkpoint_bench.XXXXXX";
  if (!mkdtemp(tmpl)) return Error::FromErrno(errno, "mkdtemp /var/tmp/checkpoint_bench.XXXXXX");
  env.tmp = tmpl;
  if (access(opt.rampart.c_str(), X_OK) != 0)
    return Error::FromErrno(errno, "rampart binary " + opt.rampart);
  // Copies, so that a rebuild during the run cannot swap them.
  env.rampart = env.tmp + "/rampart";
  env.memhog = env.tmp + "/memhog";
  env.raw_root = env.tmp + "/raw-root";
  env.raw_dir = env.tmp + "/raw";
  std::error_code ec;
  fs::copy_file(opt.rampart, env.rampart, ec);
  if (ec) return Error::FromErrno(ec.value(), "copy " + opt.rampart);
  fs::copy_file(opt.memhog, env.memhog, ec);
  if (ec) return Error::FromErrno(ec.value(), "copy " + opt.memhog + " (build the memhog target)");
  for (const auto& d : {env.raw_root + "/proc", env.raw_dir})
    RAMPART_TRY(rampart::MakeDirs(d, 0755));
  fs::copy_file(env.memhog, env.raw_root + "/memhog", ec);
  if (ec) return Error::FromErrno(ec.value(), "copy memhog into " + env.raw_root);
  chmod((env.raw_root + "/memhog").c_str(), 0755);
  RAMPART_TRY(rampart::WriteFileAtomic(env.raw_root + "/in", ""));

  setenv("RAMPART_ROOT", (env.tmp + "/root").c_str(), 1);
  setenv("RAMPART_RUN", (env.tmp + "/run").c_str(), 1);
  setenv("RAMPART_CONF_DIR", (env.tmp + "/conf").c_str(), 1);
  const std::string bind =
      "mounts:\n  - {source: " + env.memhog + ", target: /memhog, readonly: true}\n";
  env.cfg_none = env.tmp + "/none.yaml";
  env.cfg_net = env.tmp + "/net.yaml";
  RAMPART_TRY(rampart::WriteFileAtomic(env.cfg_none, "networks: [none]\n" + bind));
  RAMPART_TRY(rampart::WriteFileAtomic(env.cfg_net, bind));
  env.rootfs_created = true;
  RAMPART_TRY(Run(
      {env.rampart, "create", "rootfs-src", "--net", "none", "-t", "busybox", "--", "/bin/true"}));
  env.rootfs = env.tmp + "/root/containers/rootfs-src/rootfs";

  if (opt.net) {
    env.netns_name = "rbench-" + std::to_string(getpid());
    env.netns_path = "/run/netns/" + env.netns_name;
    auto add = Run({"ip", "netns", "add", env.netns_name});
    if (!add) {
      env.netns_name.clear();
      return add.error();
    }
    RAMPART_TRY(Run({"ip", "-n", env.netns_name, "link", "set", "lo", "up"}));
    env.net_created = true;
    RAMPART_TRY(Run({env.rampart, "net", "create", kNetName, "--bridge", "--subnet", kSubnet,
                     "--no-dhcp", "--no-dns", "--no-nat"},
                    env.netns_path));
  }
  return rampart::Ok();
}

// Best effort, every step whatever the others did; reports what it could
// not undo.
void Cleanup(Env& env) {
  KillRaw(env);
  for (const auto& [name, in_netns] : env.containers) {
    auto r = Run({env.rampart, "destroy", "-f", name}, in_netns ? env.netns_path : "");
    if (!r) std::fprintf(stderr, "checkpoint_bench: cleanup: %s\n", r.error().message().c_str());
  }
  env.containers.clear();
  if (env.rootfs_created) (void)Run({env.rampart, "destroy", "-f", "rootfs-src"});
  if (env.net_created) {
    auto r = Run({env.rampart, "net", "rm", kNetName}, env.netns_path);
    if (!r) std::fprintf(stderr, "checkpoint_bench: cleanup: %s\n", r.error().message().c_str());
    (void)Run({env.rampart, "gc"}, env.netns_path);
  }
  if (!env.rampart.empty() && !env.tmp.empty()) (void)Run({env.rampart, "gc"});
  if (!env.netns_name.empty()) {
    auto r = Run({"ip", "netns", "del", env.netns_name});
    if (!r) std::fprintf(stderr, "checkpoint_bench: cleanup: %s\n", r.error().message().c_str());
  }
  if (!env.tmp.empty()) {
    auto r = Run({"rm", "-rf", "--one-file-system", env.tmp});
    if (!r) std::fprintf(stderr, "checkpoint_bench: cleanup: %s\n", r.error().message().c_str());
  }
}

// ---- output -------------------------------------------------------------------

std::string SizeName(int mib) {
  return mib % 1024 == 0 ? std::to_string(mib / 1024) + " GiB" : std::to_string(mib) + " MiB";
}

struct Row {
  std::string label;  // "16 MiB", "16 MiB, network benchnet"
  int mib;
  bool net;  // the row with a network (its runs go with its size's)
  Series rampart;
  Series* raw;  // the raw CRIU series it is compared with
};

std::string MedianOrDash(const std::vector<double>& v) {
  if (v.empty()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", StatsOf(v).median);
  return buf;
}

void PrintStep(const Row& row, bool ckpt) {
  const Series& r = row.rampart;
  const Series& c = *row.raw;
  std::printf("%s, %s:\n\n", row.label.c_str(), ckpt ? "checkpoint" : "restore");
  std::vector<rampart::bench::TableRow> t = {
      {ckpt ? "rampart checkpoint" : "rampart restore", ckpt ? &r.ckpt : &r.restore, ""},
      {ckpt ? "criu dump" : "criu restore -d", ckpt ? &c.ckpt : &c.restore, ""},
  };
  rampart::bench::PrintRatioTable(t);
  const auto& rc = ckpt ? r.criu_dump : r.criu_restore;
  const auto& cc = ckpt ? c.criu_dump : c.criu_restore;
  std::printf(
      "\nCRIU's own run (its log), median: %s ms inside rampart, %s ms raw; rampart outside CRIU: "
      "%.1f ms\n",
      MedianOrDash(rc).c_str(), MedianOrDash(cc).c_str(),
      StatsOf(ckpt ? r.ckpt : r.restore).median - (rc.empty() ? 0 : StatsOf(rc).median));
  if (ckpt)
    std::printf(
        "dump phases in CRIU's log, median ms rampart / raw: freezer wait %s / %s, pages %s / %s, "
        "namespaces (mounts incl. tmpfs contents, ipc, uts, net) %s / %s\n",
        MedianOrDash(r.freeze).c_str(), MedianOrDash(c.freeze).c_str(),
        MedianOrDash(r.pages).c_str(), MedianOrDash(c.pages).c_str(),
        MedianOrDash(r.namespaces).c_str(), MedianOrDash(c.namespaces).c_str());
  std::printf("\n");
}

void Print(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    std::printf("### %s (images: rampart %.1f MiB, raw criu %.1f MiB)\n\n", row.label.c_str(),
                StatsOf(row.rampart.image_mib).median, StatsOf(row.raw->image_mib).median);
    PrintStep(row, true);
    PrintStep(row, false);
  }
  std::printf("## Summary (medians)\n\n");
  std::printf("| %-28s | %-10s | %10s | %10s | %13s |\n", "memory", "step", "rampart ms", "criu ms",
              "rampart/criu");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(12, '-').c_str(),
              std::string(12, '-').c_str(), std::string(12, '-').c_str(),
              std::string(15, '-').c_str());
  std::vector<std::string> missed;
  for (const auto& row : rows) {
    for (int k = 0; k < 2; ++k) {
      double r = StatsOf(k == 0 ? row.rampart.ckpt : row.rampart.restore).median;
      double c = StatsOf(k == 0 ? row.raw->ckpt : row.raw->restore).median;
      double ratio = c > 0 ? r / c : 0;
      std::printf("| %-28s | %-10s | %10.1f | %10.1f | %12.2fx |\n", row.label.c_str(),
                  k == 0 ? "checkpoint" : "restore", r, c, ratio);
      if (ratio > 1.1) missed.push_back(row.label + " " + (k == 0 ? "checkpoint" : "restore"));
    }
  }
  std::printf(
      "\n## Goal\n\n- rampart ≤ 1.1× raw CRIU (network rewiring included for restore): %s\n",
      missed.empty() ? "MET" : ("NOT MET (" + rampart::Join(missed, ", ") + ")").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  int runs = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--no-net") {
      opt.net = false;
    } else if (a.rfind("--rampart=", 0) == 0) {
      opt.rampart = a.substr(10);
    } else if (a.rfind("--logs=", 0) == 0) {
      opt.logs = a.substr(7);
    } else if (a.rfind("--memhog=", 0) == 0) {
      opt.memhog = a.substr(9);
    } else if (ParseIntFlag("checkpoint_bench", a, "--runs", &runs) ||
               ParseIntFlag("checkpoint_bench", a, "--warmup", &opt.warmup)) {
    } else {
      std::fprintf(
          stderr,
          "usage: checkpoint_bench [--quick] [--runs=N] [--warmup=N] [--no-net] [--rampart=PATH] "
          "[--memhog=PATH] [--logs=DIR]\n");
      return 2;
    }
  }
  opt.runs = runs >= 0 ? runs : opt.quick ? 2 : 3;
  if (opt.runs < 1) opt.runs = 1;
  if (opt.rampart.empty()) opt.rampart = NextTo(argv[0], "../cli/rampart");
  if (opt.memhog.empty()) opt.memhog = NextTo(argv[0], "memhog");
  if (!opt.logs.empty()) {
    if (auto st = rampart::MakeDirs(opt.logs, 0755); !st) {
      std::fprintf(stderr, "checkpoint_bench: --logs: %s\n", st.error().message().c_str());
      return 2;
    }
    g_logs_dir = opt.logs;
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "checkpoint_bench: needs root (CRIU, namespaces)\n");
    return 1;
  }
  const std::vector<int> sizes =
      opt.quick ? std::vector<int>{16, 256} : std::vector<int>{16, 256, 1024};

  // SIGINT/SIGTERM/SIGHUP stay pending until the bench looks (between
  // steps), then it cleans up; the commands it runs get them as usual.
  sigemptyset(&g_stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&g_stop_signals, s);
  sigprocmask(SIG_BLOCK, &g_stop_signals, nullptr);

  Env env;
  std::vector<Row> rows;
  std::vector<Series> raw(sizes.size());
  rows.reserve(sizes.size() + 1);
  for (size_t i = 0; i < sizes.size(); ++i) {
    rows.push_back({SizeName(sizes[i]), sizes[i], false, {}, &raw[i]});
    if (sizes[i] == 16 && opt.net)
      rows.push_back({SizeName(16) + ", network benchnet", 16, true, {}, &raw[i]});
  }

  auto fail = [&](const std::string& what, const Error& e) {
    std::printf("\nFAILED: %s: %s\n", what.c_str(), e.message().c_str());
    std::fflush(stdout);
    Cleanup(env);
    return 1;
  };
  if (auto st = Setup(env, opt); !st) return fail("setup", st.error());

  utsname u{};
  uname(&u);
  std::printf(
      "## checkpoint_bench: checkpoint and restore of touched memory, rampart vs raw CRIU\n\n");
  std::printf(
      "kernel %s, %ld cpus; criu %s (%s); runs per size: %d after %d warm-up cycle(s), sides "
      "alternating; state and images in %s\n\n",
      u.release, sysconf(_SC_NPROCESSORS_ONLN), env.criu_version.c_str(), env.criu.c_str(),
      opt.runs, opt.warmup, env.tmp.c_str());
  std::fflush(stdout);

  const double t_all = NowMs();
  int next = 0;
  for (int w = 0; w < opt.warmup; ++w) {
    if (auto st = RampartCycle(env, 16, "warm" + std::to_string(w), false, nullptr); !st)
      return fail("warm-up (rampart)", st.error());
    if (auto st = RawCycle(env, 16, "rawwarm" + std::to_string(w), nullptr); !st)
      return fail("warm-up (raw criu)", st.error());
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    Row& row = rows[i];
    if (row.net) continue;  // measured in its size's rounds
    Row* net_row = i + 1 < rows.size() && rows[i + 1].net ? &rows[i + 1] : nullptr;
    for (int it = 0; it < opt.runs; ++it) {
      // Sides alternate every run so that the VM's drift hits them alike.
      std::vector<std::function<Status()>> steps;
      steps.push_back([&] {
        return RampartCycle(env, row.mib, "hog" + std::to_string(next++), false, &row.rampart);
      });
      steps.push_back(
          [&] { return RawCycle(env, row.mib, "raw" + std::to_string(next++), row.raw); });
      if (net_row)
        steps.push_back([&] {
          return RampartCycle(env, row.mib, "net" + std::to_string(next++), true,
                              &net_row->rampart);
        });
      for (size_t k = 0; k < steps.size(); ++k) {
        auto st = steps[(k + static_cast<size_t>(it)) % steps.size()]();
        if (!st) return fail(row.label + ", run " + std::to_string(it + 1), st.error());
      }
      std::fprintf(stderr, "checkpoint_bench: %s run %d/%d done\n", row.label.c_str(), it + 1,
                   opt.runs);
    }
  }
  const double total_s = (NowMs() - t_all) / 1000;
  Cleanup(env);
  Print(rows);
  std::printf(
      "\nTimes: fork of the command until it exited. rampart/criu = rampart median / raw CRIU "
      "median.\n"
      "Total %.1f s.\n",
      total_s);
  return 0;
}
