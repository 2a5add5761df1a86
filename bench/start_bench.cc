// start_bench: start-to-exit latency of /bin/true in a busybox container,
// rampart side by side in one run with crun, runc, lxc-execute and the bare
// `unshare ... chroot` floor, then 50 rampart containers started
// concurrently (wall time, and memory of their monitors).
//
//   1. latency: every command below runs /bin/true from the same
//      busybox-static rootfs (built in a temp dir); after a warm-up of 3,
//      N=30 timed runs, taken round robin over the commands so that drift
//      of the VM hits them all alike (each round starts one command further
//      on, so no command is always the one after the slowest). One run is timed from fork() until
//      the command *and every process it left behind* have exited: the
//      bench is a child subreaper, so a detached monitor is reparented to
//      it and waited for too. Median, min-max, rampart/this ratio and the
//      peak RSS of any process of the run (ru_maxrss from wait4);
//   2. concurrency: create 50 `sleep` containers, start them with 50
//      parallel `rampart start` processes (wall time until the last one
//      reports running), sum Pss from /proc/MONITOR/smaps_rollup of each
//      monitor (the parent of the container's init from `rampart --format
//      json ls`), then stop, destroy and gc them.
//
// Peers that are not installed are reported as such (scripts/
// install-bench-peers installs them). crun 1.8 refuses this host's hybrid
// cgroup layout unless /sys/fs/cgroup/unified/cgroup.controllers is hidden:
// the bench does that in a private mount namespace set up in the forked
// child (no extra process) and, for reference, also through the documented
// `unshare -m sh -c 'mount --bind ... && exec crun ...'` wrapper, whose own
// cost is a row of its own.
//
// Usage: start_bench [--quick] [--runs=N] [--warmup=N] [--containers=N]
//                    [--rampart=PATH] [--no-concurrency]
// Needs root. The rampart binary is copied into a temp dir first (so that a
// rebuild during the run cannot swap it); rampart's persistent state
// (RAMPART_ROOT, RAMPART_CONF_DIR) goes there too. The runtime state of
// every runtime (RAMPART_RUN, crun's and runc's --root) goes to a temp dir
// in /dev/shm: a tmpfs, as /run is on a usual host (not on this VM, where
// /run is on the root ext4). The
// cgroups crun and runc create are nested under the bench's own (deepest
// v1) cgroup and removed at the end, as is the lxc.pivot cgroup LXC leaves.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/result.h"
#include "bench/bench_util.h"
#include "base/spawn.h"
#include "base/strings.h"

namespace {

using rampart::bench::NowMs;
using rampart::bench::Stats;
using rampart::bench::StatsOf;
using rampart::bench::FirstLine;

namespace fs = std::filesystem;
using rampart::Error;
using rampart::Result;
using rampart::Status;

constexpr const char* kCgroup2Controllers = "/sys/fs/cgroup/unified/cgroup.controllers";
constexpr const char* kNotInstalled = "not installed (scripts/install-bench-peers)";
constexpr double kRunTimeoutMs = 20000;

std::optional<std::string> FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string p = path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& dir : rampart::Split(p, ':')) {
    if (dir.empty()) continue;
    std::string c = dir + "/" + name;
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return std::nullopt;
}

// ---- running one command and everything it leaves behind ---------------------

sigset_t g_old_mask;
sigset_t g_chld;
int g_devnull = -1;
int g_errfd = -1;  // memfd: the stderr of the current command

struct ExecSpec {
  ExecSpec(std::vector<std::string> a, bool hide = false) : argv(std::move(a)), hide_cgroup2(hide) {}
  std::vector<std::string> argv;
  // Run in a private mount namespace with kCgroup2Controllers hidden behind
  // /dev/null (what crun needs on this hybrid layout), set up in the forked
  // child before exec: no extra process.
  bool hide_cgroup2;
};

pid_t StartChild(const ExecSpec& s, int out_fd, int err_fd) {
  std::vector<char*> av;
  for (const auto& a : s.argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  sigprocmask(SIG_SETMASK, &g_old_mask, nullptr);
  dup2(g_devnull, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  if (s.hide_cgroup2) {
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("/dev/null", kCgroup2Controllers, nullptr, MS_BIND, nullptr) != 0) {
      dprintf(2, "hide %s: %s\n", kCgroup2Controllers, strerror(errno));
      _exit(125);
    }
  }
  execvp(av[0], av.data());
  dprintf(2, "exec %s: %s\n", av[0], strerror(errno));
  _exit(127);
}

std::vector<pid_t> OurChildren() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator("/proc/self/task", ec)) {
    auto text = rampart::ReadFile(t.path().string() + "/children");
    if (!text) continue;
    for (const auto& w : rampart::Split(rampart::Trim(*text), ' '))
      if (auto n = rampart::ParseUint64(w); n) out.push_back(static_cast<pid_t>(*n));
  }
  return out;
}

struct Reaped {
  int status = -1;         // wait status of `pid`
  double t_direct = 0;     // when `pid` was reaped
  double t_all = 0;        // when no child was left
  long maxrss_kib = 0;     // largest ru_maxrss of anything reaped
  bool timed_out = false;
};

// Reaps `pid` (if > 0) and then every other child until none is left. We are
// a subreaper, so that includes daemons the command left behind. On timeout
// the children still there (processes this bench started) are SIGKILLed by
// pid and reaped, so that one stuck run cannot stall the rest of the bench.
Reaped WaitAll(pid_t pid, double timeout_ms) {
  Reaped r;
  double deadline = NowMs() + timeout_ms;
  for (;;) {
    int st = 0;
    rusage ru{};
    pid_t p = wait4(-1, &st, WNOHANG, &ru);
    if (p > 0) {
      double t = NowMs();
      r.maxrss_kib = std::max(r.maxrss_kib, ru.ru_maxrss);
      if (p == pid) r.status = st, r.t_direct = t;
      continue;
    }
    if (p < 0 && errno == EINTR) continue;
    if (p < 0) {  // ECHILD: nothing left
      r.t_all = NowMs();
      return r;
    }
    double left = deadline - NowMs();
    if (left <= 0) {
      r.timed_out = true;
      for (pid_t c : OurChildren()) kill(c, SIGKILL);
      while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
      }
      r.t_all = NowMs();
      return r;
    }
    timespec ts{static_cast<time_t>(left / 1000), static_cast<long>(std::fmod(left, 1000.0) * 1e6)};
    sigtimedwait(&g_chld, nullptr, &ts);
  }
}

std::string ReadErr() {
  std::string s(4096, '\0');
  ssize_t n = pread(g_errfd, s.data(), s.size(), 0);
  s.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return s;
}

std::string DescribeStatus(int st) {
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return std::string("killed by ") + sigabbrev_np(WTERMSIG(st));
  return "status " + std::to_string(st);
}

struct Sample {
  double ms_direct = 0;  // fork until the command itself exited
  double ms_all = 0;     // fork until it and everything it left behind exited
  long maxrss_kib = 0;
};

std::string Shell(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" '\"$&|;<>()*?\\") == std::string::npos;
    s += plain ? a : "'" + a + "'";
  }
  return s;
}

// Runs one command to completion (stdout to /dev/null, stderr captured);
// a non-zero exit is an error carrying the first line of its stderr.
Result<Sample> Measure(const ExecSpec& s) {
  if (ftruncate(g_errfd, 0) != 0 || lseek(g_errfd, 0, SEEK_SET) != 0) return Error::FromErrno(errno, "reset stderr memfd");
  double t0 = NowMs();
  pid_t pid = StartChild(s, g_devnull, g_errfd);
  if (pid < 0) return Error::FromErrno(errno, "fork");
  Reaped r = WaitAll(pid, kRunTimeoutMs);
  if (r.timed_out) return Error::Internal(Shell(s.argv) + ": still running after 20 s (killed)");
  if (r.status != 0) {
    std::string err = FirstLine(ReadErr());
    return Error::Internal(Shell(s.argv) + ": " + DescribeStatus(r.status) + (err.empty() ? "" : ": " + err));
  }
  return Sample{r.t_direct - t0, r.t_all - t0, r.maxrss_kib};
}

// ---- rows and statistics -------------------------------------------------------

struct Row {
  Row(std::string l, std::string c) : label(std::move(l)), command(std::move(c)) {}
  std::string label;
  std::string command;  // the full command, printed under the table
  std::string skip;     // non-empty: not run, and why
  std::string error;    // first failure; the row stops there
  std::vector<double> ms;
  std::vector<long> rss;
};

long MedianOf(std::vector<long> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool Usable(const Row& r) { return r.skip.empty() && r.error.empty() && !r.ms.empty(); }

// A case runs once per round and records into one or more rows.
struct Case {
  std::vector<Row*> rows;
  std::function<Status(int iter, bool record)> step;
  bool dead = false;
};

// ---- the environment under test --------------------------------------------------

struct Options {
  int warmup = 3;
  int runs = 30;
  int containers = 50;
  bool concurrency = true;
  std::string rampart;
};

struct Env {
  std::string tmp;
  std::string state;  // on tmpfs: RAMPART_RUN, crun-state, runc-state
  std::string rootfs;
  std::string rampart;  // empty: not found
  std::string crun, runc, lxc_execute, unshare, sh;
  std::string rampart_ro, rampart_ro_error;  // the copy on a read-only mount, or why there is none
  std::string rampart_core;                  // rampart-core of the snapshot, if the build has the front
  bool hybrid = false;  // kCgroup2Controllers exists: crun needs it hidden
  std::string bench_cgroup;  // cgroupsPath parent for crun/runc
  // Per v1/v2 hierarchy mount: the directories of bench_cgroup's path, and
  // LXC's lxc.pivot, that did not exist before (removed, deepest first, at
  // the end).
  std::vector<std::string> cgroup_dirs_to_remove;
  std::set<std::string> rampart_names;  // everything we created, for cleanup
};

Status MakeRootfs(const std::string& root) {
  std::error_code ec;
  for (const char* d : {"bin", "proc", "sys", "dev", "tmp", "etc"}) {
    fs::create_directories(root + "/" + d, ec);
    if (ec) return Error::FromErrno(ec.value(), "mkdir " + root + "/" + d);
  }
  fs::copy_file("/bin/busybox", root + "/bin/busybox", ec);
  if (ec) return Error::FromErrno(ec.value(), "copy /bin/busybox (apt-get install busybox-static)");
  // sleep: for the concurrency part.
  for (const char* l : {"true", "sh", "sleep"}) {
    fs::create_symlink("busybox", root + "/bin/" + l, ec);
    if (ec) return Error::FromErrno(ec.value(), std::string("symlink bin/") + l);
  }
  return rampart::Ok();
}

// The deepest cgroup path among the v1 hierarchies we are in (here: the
// machine's memory cgroup), so that a cgroupsPath below it is nested under
// our own cgroup in every hierarchy.
std::string DeepestOwnCgroup() {
  auto text = rampart::ReadFile("/proc/self/cgroup");
  std::string best = "/";
  if (!text) return best;
  for (const auto& line : rampart::Split(*text, '\n')) {
    auto f = rampart::Split(line, ':');
    if (f.size() < 3 || f[0] == "0") continue;
    std::string path = line.substr(f[0].size() + f[1].size() + 2);
    if (path.size() > best.size()) best = path;
  }
  return best;
}

void PrepareCgroupParent(Env& env) {
  std::string own = DeepestOwnCgroup();
  env.bench_cgroup = (own == "/" ? "" : own) + "/rampart-start-bench." + std::to_string(getpid());
  std::error_code ec;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (h.is_symlink() || !h.is_directory()) continue;
    std::string dir = h.path().string();
    std::vector<std::string> created;
    for (const auto& comp : rampart::Split(env.bench_cgroup, '/')) {
      if (comp.empty()) continue;
      dir += "/" + comp;
      if (access(dir.c_str(), F_OK) != 0) created.push_back(dir);
    }
    env.cgroup_dirs_to_remove.insert(env.cgroup_dirs_to_remove.end(), created.begin(), created.end());
  }
}

// LXC parks its monitor in an `lxc.pivot` cgroup next to its own cgroup in
// every hierarchy and leaves it behind: remember which do not exist yet.
void PrepareLxcPivot(Env& env) {
  auto text = rampart::ReadFile("/proc/self/cgroup");
  if (!text) return;
  for (const auto& line : rampart::Split(*text, '\n')) {
    auto f = rampart::Split(line, ':');
    if (f.size() < 3) continue;
    std::string path = line.substr(f[0].size() + f[1].size() + 2);
    std::vector<std::string> candidates;
    if (f[0] == "0") candidates.push_back("unified");
    else {
      candidates.push_back(f[1]);
      for (const auto& c : rampart::Split(f[1], ',')) candidates.push_back(c.starts_with("name=") ? c.substr(5) : c);
    }
    for (const auto& c : candidates) {
      std::string h = "/sys/fs/cgroup/" + c;
      if (c.empty() || access(h.c_str(), F_OK) != 0) continue;
      std::string pivot = h + (path == "/" ? "" : path) + "/lxc.pivot";
      if (access(pivot.c_str(), F_OK) != 0) env.cgroup_dirs_to_remove.push_back(pivot);
      break;
    }
  }
}

void RemoveCgroupDirs(const Env& env) {
  // Leaves the runtimes might have left (crun/runc remove theirs), then ours
  // deepest first; rmdir of a non-empty cgroup just fails.
  std::vector<std::string> dirs = env.cgroup_dirs_to_remove;
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& d : dirs) {
    std::error_code ec;
    if (d.ends_with("/rampart-start-bench." + std::to_string(getpid())))
      for (const auto& c : fs::directory_iterator(d, ec))
        if (c.is_directory()) rmdir(c.path().c_str());
    rmdir(d.c_str());
  }
}

Status WriteBundle(const Env& env, const std::string& bundle, const std::string& leaf) {
  std::error_code ec;
  fs::create_directories(bundle, ec);
  if (ec) return Error::FromErrno(ec.value(), "mkdir " + bundle);
  std::string gen = !env.crun.empty() ? env.crun : env.runc;
  auto out = rampart::RunCommand({gen, "spec", "--bundle", bundle});
  if (!out) return out.error();
  if (out->status != 0) return Error::Internal(gen + " spec: " + FirstLine(out->err));
  auto text = rampart::ReadFile(bundle + "/config.json");
  if (!text) return text.error();
  nlohmann::json c = nlohmann::json::parse(*text, nullptr, false);
  if (c.is_discarded()) return Error::Invalid(bundle + "/config.json: not JSON");
  c["process"]["args"] = {"/bin/true"};
  c["process"]["terminal"] = false;
  c["root"] = {{"path", env.rootfs}, {"readonly", false}};
  c["linux"]["cgroupsPath"] = env.bench_cgroup + "/" + leaf;
  return rampart::WriteFileAtomic(bundle + "/config.json", c.dump(1));
}

Status WriteLxcConfig(const Env& env, const std::string& lxcpath, const std::string& name) {
  std::error_code ec;
  fs::create_directories(lxcpath + "/" + name, ec);
  if (ec) return Error::FromErrno(ec.value(), "mkdir " + lxcpath + "/" + name);
  std::string conf =
      "lxc.uts.name = " + name + "\n"
      "lxc.rootfs.path = dir:" + env.rootfs + "\n"
      "lxc.net.0.type = empty\n"
      "# stay under our own cgroup instead of escaping to the root cgroup\n"
      "lxc.cgroup.relative = 1\n";
  return rampart::WriteFileAtomic(lxcpath + "/" + name + "/config", conf);
}

std::string Version(const std::string& bin, const std::string& arg = "--version") {
  if (bin.empty()) return "-";
  auto out = rampart::RunCommand({bin, arg});
  if (!out) return "?";
  return FirstLine(out->out.empty() ? out->err : out->out);
}

// Runs a helper command (ls, gc, create in setup) with output captured.
Result<rampart::CommandOutput> Helper(const std::vector<std::string>& argv) {
  auto out = rampart::RunCommand(argv);
  if (!out) return out.error();
  if (out->status != 0)
    return Error::Internal(Shell(argv) + ": " + DescribeStatus(out->status) + ": " + FirstLine(out->err));
  return out;
}

// ---- part 1: latency ----------------------------------------------------------

Case SimpleCase(Row* row, std::function<ExecSpec(int)> make) {
  Case c;
  c.rows = {row};
  c.step = [row, make](int iter, bool record) -> Status {
    auto s = Measure(make(iter));
    if (!s) return s.error();
    if (record) row->ms.push_back(s->ms_all), row->rss.push_back(s->maxrss_kib);
    return rampart::Ok();
  };
  return c;
}

void PrintTable(const std::vector<Row*>& rows, const Row& base) {
  double bm = Usable(base) ? StatsOf(base.ms).median : 0;
  std::printf("| %-52s | %9s | %17s | %12s | %8s |\n", "command", "median ms", "min-max ms", "rampart/this", "peak RSS");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(54, '-').c_str(), std::string(11, '-').c_str(),
              std::string(19, '-').c_str(), std::string(14, '-').c_str(), std::string(10, '-').c_str());
  for (const Row* r : rows) {
    if (!r->skip.empty() || !r->error.empty()) {
      std::printf("| %-52s | %s\n", r->label.c_str(), (r->skip.empty() ? "FAILED: " + r->error : r->skip).c_str());
      continue;
    }
    Stats s = StatsOf(r->ms);
    char ratio[32] = "-";
    if (bm > 0 && s.median > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", bm / s.median);
    char range[48];
    std::snprintf(range, sizeof range, "%.2f-%.2f", s.min, s.max);
    char rss[32] = "-";
    if (!r->rss.empty()) std::snprintf(rss, sizeof rss, "%.1f MiB", static_cast<double>(MedianOf(r->rss)) / 1024.0);
    std::printf("| %-52s | %9.2f | %17s | %12s | %8s |\n", r->label.c_str(), s.median, range, ratio, rss);
  }
}

// ---- part 2: concurrency --------------------------------------------------------

struct SmapsRollup {
  long rss = 0, pss = 0, priv = 0;
};

std::optional<SmapsRollup> ReadRollup(pid_t pid) {
  auto text = rampart::ReadFile("/proc/" + std::to_string(pid) + "/smaps_rollup");
  if (!text) return std::nullopt;
  SmapsRollup r;
  for (const auto& line : rampart::Split(*text, '\n')) {
    long v = 0;
    char key[64];
    if (std::sscanf(line.c_str(), "%63[^:]: %ld kB", key, &v) != 2) continue;
    std::string k = key;
    if (k == "Rss") r.rss = v;
    else if (k == "Pss") r.pss = v;
    else if (k == "Private_Clean" || k == "Private_Dirty") r.priv += v;
  }
  return r;
}

std::optional<pid_t> ParentOf(pid_t pid) {
  auto text = rampart::ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!text) return std::nullopt;
  for (const auto& line : rampart::Split(*text, '\n'))
    if (line.starts_with("PPid:"))
      if (auto n = rampart::ParseUint64(rampart::Trim(line.substr(5))); n) return static_cast<pid_t>(*n);
  return std::nullopt;
}

std::string Comm(pid_t pid) {
  auto text = rampart::ReadFile("/proc/" + std::to_string(pid) + "/comm");
  return text ? std::string(rampart::Trim(*text)) : "?";
}

// Starts every command at once; returns the wall time until the last one
// exited, and the first failure. Other children (monitors reparented to us)
// are reaped if they happen to exit, and otherwise left alone.
Result<double> RunParallel(const std::vector<ExecSpec>& specs, double timeout_ms, int* failures) {
  if (ftruncate(g_errfd, 0) != 0 || lseek(g_errfd, 0, SEEK_SET) != 0) return Error::FromErrno(errno, "reset stderr memfd");
  std::set<pid_t> pending;
  std::map<pid_t, size_t> index;
  double t0 = NowMs();
  for (size_t i = 0; i < specs.size(); ++i) {
    pid_t p = StartChild(specs[i], g_devnull, g_errfd);
    if (p < 0) return Error::FromErrno(errno, "fork");
    pending.insert(p);
    index[p] = i;
  }
  double t_last = t0, deadline = t0 + timeout_ms;
  std::string first_error;
  *failures = 0;
  while (!pending.empty()) {
    int st = 0;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p > 0) {
      if (pending.erase(p)) {
        t_last = NowMs();
        if (st != 0) {
          ++*failures;
          if (first_error.empty()) first_error = Shell(specs[index[p]].argv) + ": " + DescribeStatus(st);
        }
      }
      continue;
    }
    if (p < 0 && errno == EINTR) continue;
    if (p < 0) break;
    double left = deadline - NowMs();
    if (left <= 0) {
      for (pid_t q : pending) kill(q, SIGKILL);
      for (pid_t q : pending) waitpid(q, nullptr, 0);
      return Error::Internal("still running after " + std::to_string(static_cast<int>(timeout_ms / 1000)) + " s");
    }
    timespec ts{static_cast<time_t>(left / 1000), static_cast<long>(std::fmod(left, 1000.0) * 1e6)};
    sigtimedwait(&g_chld, nullptr, &ts);
  }
  if (!first_error.empty()) {
    std::string err = FirstLine(ReadErr());
    std::fprintf(stderr, "  first failure: %s%s\n", first_error.c_str(), err.empty() ? "" : (": " + err).c_str());
  }
  return t_last - t0;
}

struct ConcurrencyResult {
  bool ran = false;
  std::string error;
  double start_wall_ms = 0;
  int running = 0;
  long mean_pss = 0, mean_rss = 0, mean_priv = 0, min_pss = 0, max_pss = 0;
  int monitors = 0;
};

ConcurrencyResult Concurrency(Env& env, int n) {
  ConcurrencyResult res;
  res.ran = true;
  const std::string& rp = env.rampart;
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("sb-cc-" + std::to_string(i));

  std::printf("\n## %d rampart containers started concurrently (/bin/sleep 3600)\n\n", n);
  double t0 = NowMs();
  for (const auto& name : names) {
    env.rampart_names.insert(name);
    auto out = Helper({rp, "create", name, "-t", "dir:" + env.rootfs, "--", "/bin/sleep", "3600"});
    if (!out) {
      res.error = out.error().message();
      return res;
    }
  }
  std::printf("create %d (sequential): %.0f ms (%.2f ms each)\n", n, NowMs() - t0, (NowMs() - t0) / n);

  std::vector<ExecSpec> starts;
  for (const auto& name : names) starts.push_back({{rp, "start", name}});
  int failures = 0;
  auto wall = RunParallel(starts, 120000, &failures);
  if (!wall) {
    res.error = "start: " + wall.error().message();
    return res;
  }
  res.start_wall_ms = *wall;
  std::printf("start %d in parallel (%d processes): wall %.1f ms until the last reported running (%.2f ms/container), %d failed\n",
              n, n, *wall, *wall / n, failures);

  auto ls = Helper({rp, "--format", "json", "ls"});
  if (!ls) {
    res.error = ls.error().message();
    return res;
  }
  nlohmann::json j = nlohmann::json::parse(ls->out, nullptr, false);
  if (!j.is_array()) {
    res.error = "rampart --format json ls: not a JSON array: " + FirstLine(ls->out);
    return res;
  }
  long sum_pss = 0, sum_rss = 0, sum_priv = 0;
  res.min_pss = -1;
  std::set<pid_t> seen;
  std::string monitor_comm;
  for (const auto& c : j) {
    std::string name = c.value("name", "");
    if (!name.starts_with("sb-cc-")) continue;
    if (c.value("state", "") != "running") continue;
    ++res.running;
    pid_t init = c.value("pid", 0);
    auto mon = init > 0 ? ParentOf(init) : std::nullopt;
    if (!mon || *mon <= 1 || !seen.insert(*mon).second) continue;
    auto r = ReadRollup(*mon);
    if (!r) continue;
    if (monitor_comm.empty()) monitor_comm = Comm(*mon);
    ++res.monitors;
    sum_pss += r->pss, sum_rss += r->rss, sum_priv += r->priv;
    res.min_pss = res.min_pss < 0 ? r->pss : std::min(res.min_pss, r->pss);
    res.max_pss = std::max(res.max_pss, r->pss);
  }
  std::printf("running per `rampart --format json ls`: %d of %d\n", res.running, n);
  if (res.monitors > 0) {
    res.mean_pss = sum_pss / res.monitors;
    res.mean_rss = sum_rss / res.monitors;
    res.mean_priv = sum_priv / res.monitors;
    std::printf("monitor memory (%d monitors, comm \"%s\", the parent of each init): mean Pss %ld KiB (min %ld, max %ld), "
                "mean Rss %ld KiB, mean Private %ld KiB; sum Pss %.1f MiB\n",
                res.monitors, monitor_comm.c_str(), res.mean_pss, res.min_pss, res.max_pss, res.mean_rss, res.mean_priv,
                static_cast<double>(sum_pss) / 1024.0);
  } else {
    std::printf("monitor memory: no monitor found (no running container with a live parent of its init)\n");
  }

  std::vector<ExecSpec> stops;
  for (const auto& name : names) stops.push_back({{rp, "stop", name, "-t", "0"}});
  auto stop_wall = RunParallel(stops, 120000, &failures);
  if (stop_wall) std::printf("stop -t 0, %d in parallel: wall %.1f ms, %d failed\n", n, *stop_wall, failures);
  else std::printf("stop: %s\n", stop_wall.error().message().c_str());
  t0 = NowMs();
  int destroy_failed = 0;
  for (const auto& name : names) {
    if (auto out = Helper({rp, "destroy", name, "--force"}); out) env.rampart_names.erase(name);
    else if (++destroy_failed == 1) std::printf("destroy: %s\n", out.error().message().c_str());
  }
  std::printf("destroy %d (sequential): %.0f ms, %d failed\n", n, NowMs() - t0, destroy_failed);
  // Monitors are our children (subreaper): they must all be gone now.
  Reaped r = WaitAll(-1, 20000);
  if (r.timed_out) std::printf("WARNING: processes still running 20 s after stop/destroy (killed)\n");
  return res;
}

void Cleanup(Env& env) {
  if (!env.rampart.empty()) {
    for (const auto& name : env.rampart_names) (void)rampart::RunCommand({env.rampart, "destroy", name, "--force"});
    auto gc = rampart::RunCommand({env.rampart, "gc"});
    if (gc && gc->status == 0) {
      std::string g = std::string(rampart::Trim(gc->out));
      std::printf("rampart gc: %s\n", g.empty() ? "(no output)" : rampart::Join(rampart::Split(g, '\n'), "; ").c_str());
    }
    auto ls = rampart::RunCommand({env.rampart, "--format", "json", "ls"});
    if (ls && ls->status == 0) std::printf("rampart ls after cleanup: %s\n", std::string(rampart::Trim(ls->out)).c_str());
  }
  (void)WaitAll(-1, 10000);
  RemoveCgroupDirs(env);
  // Ours, in the bench's own mount namespace.
  if (!env.rampart_ro.empty() && umount2((env.tmp + "/ro").c_str(), MNT_DETACH) == 0) env.rampart_ro.clear();
  // Never remove a tree something is still mounted in.
  auto mi = rampart::ReadFile("/proc/self/mountinfo");
  for (const std::string& dir : {env.tmp, env.state}) {
    if (!dir.empty() && mi && mi->find(" " + dir + "/") != std::string::npos) {
      std::printf("WARNING: mounts left under %s; not removing it\n", dir.c_str());
      return;
    }
  }
  std::error_code ec;
  for (const std::string& dir : {env.tmp, env.state})
    if (!dir.empty()) fs::remove_all(dir, ec);
}

bool ParseInt(const std::string& arg, const std::string& flag, int* out) {
  if (!arg.starts_with(flag + "=")) return false;
  auto n = rampart::ParseUint64(arg.substr(flag.size() + 1));
  if (!n || *n == 0 || *n > 100000) {
    std::fprintf(stderr, "start_bench: bad %s\n", arg.c_str());
    std::exit(2);
  }
  *out = static_cast<int>(*n);
  return true;
}

std::string DefaultRampart() {
  if (const char* e = std::getenv("RAMPART_BIN"); e && *e) return e;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path p = self.parent_path().parent_path() / "cli" / "rampart";
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return FindInPath("rampart").value_or("");
}

const char* Verdict(bool met) { return met ? "MET" : "NOT MET"; }

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--no-concurrency") opt.concurrency = false;
    else if (a.starts_with("--rampart=")) opt.rampart = a.substr(10);
    else if (ParseInt(a, "--runs", &opt.runs) || ParseInt(a, "--warmup", &opt.warmup) ||
             ParseInt(a, "--containers", &opt.containers)) {
    } else {
      std::fprintf(stderr,
                   "usage: start_bench [--quick] [--runs=N] [--warmup=N] [--containers=N] [--rampart=PATH] "
                   "[--no-concurrency]\n");
      return 2;
    }
  }
  if (quick) {
    bool runs_set = false, cont_set = false;
    for (int i = 1; i < argc; ++i) {
      runs_set |= std::string(argv[i]).starts_with("--runs=");
      cont_set |= std::string(argv[i]).starts_with("--containers=");
    }
    if (!runs_set) opt.runs = 8;
    if (!cont_set) opt.containers = 10;
    opt.warmup = std::min(opt.warmup, 2);
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "start_bench: needs root (namespaces, cgroups, mounts)\n");
    return 2;
  }
  setvbuf(stdout, nullptr, _IOLBF, 0);

  // Every process we start, and every daemon they leave, is ours to reap.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::perror("PR_SET_CHILD_SUBREAPER");
    return 1;
  }
  sigemptyset(&g_chld);
  sigaddset(&g_chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &g_chld, &g_old_mask);
  g_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  g_errfd = memfd_create("start_bench-stderr", MFD_CLOEXEC);
  if (g_devnull < 0 || g_errfd < 0) {
    std::perror("open");
    return 1;
  }

  Env env;
  char tmpl[] = "/tmp/start_bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  env.tmp = tmpl;
  char state_tmpl[] = "/dev/shm/start_bench.XXXXXX";
  if (!mkdtemp(state_tmpl)) {
    std::perror("mkdtemp /dev/shm");
    fs::remove_all(env.tmp);
    return 1;
  }
  env.state = state_tmpl;
  env.rootfs = env.tmp + "/rootfs";
  if (auto st = MakeRootfs(env.rootfs); !st) {
    std::fprintf(stderr, "start_bench: %s\n", st.error().message().c_str());
    return 1;
  }
  env.rampart = opt.rampart.empty() ? DefaultRampart() : opt.rampart;
  if (!env.rampart.empty() && access(env.rampart.c_str(), X_OK) != 0) env.rampart.clear();
  const std::string rampart_src = env.rampart;
  if (!env.rampart.empty()) {
    // A snapshot, so that a rebuild during the run cannot swap the binary
    // under the bench (ETXTBSY, a half-written file): the `rampart` front
    // and rampart-core beside it (an older single-binary build has none).
    const std::string src_dir = env.rampart.substr(0, env.rampart.rfind('/') + 1);
    auto snapshot = [&](const std::string& dir, std::error_code& ec) {
      fs::create_directories(dir, ec);
      if (!ec) fs::copy_file(env.rampart, dir + "/rampart", ec);
      if (!ec && fs::exists(src_dir + "rampart-core")) fs::copy_file(src_dir + "rampart-core", dir + "/rampart-core", ec);
    };
    std::error_code ec;
    snapshot(env.tmp + "/bin", ec);
    if (!ec) env.rampart = env.tmp + "/bin/rampart";
    if (!ec && fs::exists(env.tmp + "/bin/rampart-core")) env.rampart_core = env.tmp + "/bin/rampart-core";
    // A second copy under a read-only bind mount, as a read-only /usr would
    // be: there rampart needs no CVE-2019-5736 bind mount of its own. The
    // mount lives in the bench's own mount namespace (a slave of the
    // host's) and goes with it.
    const std::string ro_dir = env.tmp + "/ro";
    snapshot(ro_dir, ec);
    if (ec) {
      env.rampart_ro_error = "copy to " + ro_dir + ": " + ec.message();
    } else if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0 ||
               mount(ro_dir.c_str(), ro_dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
               mount(nullptr, ro_dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      env.rampart_ro_error = "read-only bind mount of " + ro_dir + ": " + std::strerror(errno);
    } else {
      env.rampart_ro = ro_dir + "/rampart";
    }
  }
  env.crun = FindInPath("crun").value_or("");
  env.runc = FindInPath("runc").value_or("");
  env.lxc_execute = FindInPath("lxc-execute").value_or("");
  env.unshare = FindInPath("unshare").value_or("");
  env.sh = FindInPath("sh").value_or("/bin/sh");
  env.hybrid = access(kCgroup2Controllers, F_OK) == 0;
  for (const char* d : {"root", "conf", "lxc"}) fs::create_directories(env.tmp + "/" + d);
  for (const char* d : {"run", "crun-state", "runc-state"}) fs::create_directories(env.state + "/" + d);
  setenv("RAMPART_ROOT", (env.tmp + "/root").c_str(), 1);
  setenv("RAMPART_RUN", (env.state + "/run").c_str(), 1);
  setenv("RAMPART_CONF_DIR", (env.tmp + "/conf").c_str(), 1);
  // Like for like with crun's default spec (a net namespace with lo only),
  // and the machine's own network is left alone.
  (void)rampart::WriteFileAtomic(env.tmp + "/conf/rampart.conf", "networks: [none]\n");
  PrepareCgroupParent(env);
  if (!env.lxc_execute.empty()) PrepareLxcPivot(env);

  utsname u{};
  uname(&u);
  std::string load = "?";
  if (auto l = rampart::ReadFile("/proc/loadavg"); l) load = *l;
  std::printf("# start_bench: start-to-exit of /bin/true from a busybox-static rootfs\n\n");
  std::printf("kernel %s, %ld CPUs, load %s\n", u.release, sysconf(_SC_NPROCESSORS_ONLN),
              std::string(rampart::Trim(load)).c_str());
  std::printf("rampart: %s (%s)\n", env.rampart.empty() ? "NOT FOUND (build it: ninja rampart)" : rampart_src.c_str(),
              env.rampart.empty() ? "-" : Version(env.rampart, "version").c_str());
  std::printf("crun: %s | runc: %s | lxc: %s | unshare: %s\n", Version(env.crun).c_str(), Version(env.runc).c_str(),
              Version(env.lxc_execute).c_str(), Version(env.unshare).c_str());
  std::printf("cgroups: %s; crun/runc cgroupsPath under %s\n",
              env.hybrid ? "hybrid (v1 + v2 at /sys/fs/cgroup/unified)" : "no hybrid v2 mount",
              env.bench_cgroup.c_str());
  std::printf("warm-up %d, then %d runs each, round robin; time = fork until the command and all it left behind exited\n\n",
              opt.warmup, opt.runs);

  // ---- rows ----
  const std::string rp = env.rampart;
  const std::string dir_tpl = "dir:" + env.rootfs;
  Row r_run{"rampart run --rm (create+start+exit+destroy)",
            Shell({"rampart", "run", "NAME", "--rm", "-t", dir_tpl, "--", "/bin/true"})};
  // A memory, pids or cpu limit puts the container into the v1 hierarchies
  // on a hybrid host: the cost of joining them (an RCU grace period).
  const std::string limits_yaml = env.tmp + "/limits.yaml";
  Row r_run_limits{"  rampart run --rm, pids limit (v1 cgroups)",
                   Shell({"rampart", "run", "NAME", "--rm", "-t", dir_tpl, "--config", limits_yaml, "--", "/bin/true"})};
  Row r_run_ro{"  rampart run --rm, binary on a read-only mount",
               "(binary copy under a read-only bind mount) " +
                   Shell({"rampart", "run", "NAME", "--rm", "-t", dir_tpl, "--", "/bin/true"})};
  if (env.rampart_ro.empty()) r_run_ro.error = env.rampart_ro_error;
  Row r_run_core{"  rampart-core run --rm (no front: re-exec)",
                 Shell({"rampart-core", "run", "NAME", "--rm", "-t", dir_tpl, "--", "/bin/true"})};
  if (env.rampart_core.empty()) r_run_core.skip = "this build has no rampart-core (single binary)";
  Row r_start{"rampart start, pre-created, until its monitor exits",
              "rampart create NAME -t " + dir_tpl + " -- /bin/true (untimed); then timed: rampart start NAME + wait for the "
              "detached monitor to exit; then rampart destroy NAME (untimed)"};
  Row r_start_ret{"  `rampart start` alone (returns once running)", "the `rampart start NAME` process alone"};
  Row r_create{"  rampart create -t dir:ROOTFS (alone)", "rampart create NAME -t " + dir_tpl + " -- /bin/true"};
  Row r_destroy{"  rampart destroy (alone, stopped container)", "rampart destroy NAME --force"};
  std::string crun_args = env.crun + " --root " + env.state + "/crun-state run --bundle " + env.tmp + "/bundle-crun ID";
  Row r_crun{"crun run", "(fork; unshare(CLONE_NEWNS); bind /dev/null over " + std::string(kCgroup2Controllers) +
                             "; exec) " + crun_args};
  Row r_crun_wrap{"crun run via `unshare -m sh -c 'mount --bind ...'`",
                  "unshare -m sh -c 'mount --bind /dev/null " + std::string(kCgroup2Controllers) + " && exec " + crun_args + "'"};
  Row r_wrap{"  the wrapper alone (exec /bin/true instead of crun)",
             "unshare -m sh -c 'mount --bind /dev/null " + std::string(kCgroup2Controllers) + " && exec /bin/true'"};
  Row r_crun_nocg{"crun --cgroup-manager=disabled run",
                  "(same private mount ns) " + env.crun + " --cgroup-manager=disabled --root ... run --bundle ... ID"};
  Row r_runc{"runc run", env.runc + " --root " + env.state + "/runc-state run --bundle " + env.tmp + "/bundle-runc ID"};
  Row r_lxc{"lxc-execute", env.lxc_execute + " -n sb-lxc -P " + env.tmp + "/lxc -- /bin/true"};
  Row r_floor{"unshare -pmnuif --mount-proc chroot (floor)",
              Shell({"unshare", "-pmnuif", "--mount-proc", "chroot", env.rootfs, "/bin/true"})};
  Row r_true{"fork+exec /bin/true", "/bin/true"};

  if (rp.empty()) {
    for (Row* r : {&r_run, &r_run_ro, &r_run_core, &r_run_limits, &r_start, &r_start_ret, &r_create, &r_destroy}) r->skip = "rampart binary not found";
  }
  if (env.crun.empty())
    for (Row* r : {&r_crun, &r_crun_wrap, &r_crun_nocg}) r->skip = kNotInstalled;
  if (env.unshare.empty())
    for (Row* r : {&r_crun_wrap, &r_wrap, &r_floor}) r->skip = "unshare not installed (util-linux)";
  if (!env.hybrid) {
    r_crun.label += " (no hybrid layout: nothing hidden)";
    for (Row* r : {&r_crun_wrap, &r_wrap}) r->skip = "not needed: no " + std::string(kCgroup2Controllers);
  }
  if (env.runc.empty()) r_runc.skip = kNotInstalled;
  if (env.lxc_execute.empty()) r_lxc.skip = kNotInstalled;

  if (!env.crun.empty() || !env.runc.empty()) {
    for (auto [bundle, leaf, rows] :
         {std::tuple{"bundle-crun", "crun", std::vector<Row*>{&r_crun, &r_crun_wrap, &r_crun_nocg}},
          std::tuple{"bundle-runc", "runc", std::vector<Row*>{&r_runc}}}) {
      if (auto st = WriteBundle(env, env.tmp + "/" + bundle, leaf); !st)
        for (Row* r : rows)
          if (r->skip.empty()) r->error = "bundle: " + st.error().message();
    }
  }
  if (!env.lxc_execute.empty())
    if (auto st = WriteLxcConfig(env, env.tmp + "/lxc", "sb-lxc"); !st) r_lxc.error = st.error().message();

  // ---- cases, in round-robin order ----
  std::vector<Case> cases;
  auto id = [](const char* p, int i) { return std::string(p) + std::to_string(i); };
  // `BIN run PREFIXi --rm -t dir:ROOTFS [EXTRA...] -- /bin/true`.
  auto run_rm = [&](Row* row, const std::string& bin, const char* prefix, std::vector<std::string> extra = {}) {
    return SimpleCase(row, [&, bin, prefix, extra](int i) {
      env.rampart_names.insert(id(prefix, i));
      std::vector<std::string> argv = {bin, "run", id(prefix, i), "--rm", "-t", dir_tpl};
      argv.insert(argv.end(), extra.begin(), extra.end());
      argv.insert(argv.end(), {"--", "/bin/true"});
      return ExecSpec{argv};
    });
  };
  cases.push_back(run_rm(&r_run, rp, "sb-run-"));
  if (!env.rampart_core.empty()) cases.push_back(run_rm(&r_run_core, env.rampart_core, "sb-core-"));
  if (!env.rampart_ro.empty()) cases.push_back(run_rm(&r_run_ro, env.rampart_ro, "sb-ro-"));
  if (auto st = rampart::WriteFileAtomic(limits_yaml, "limits:\n  pids: 1000\n"); !st)
    r_run_limits.error = st.error().message();
  cases.push_back(run_rm(&r_run_limits, rp, "sb-lim-", {"--config", limits_yaml}));
  {
    Case c;
    c.rows = {&r_start, &r_start_ret, &r_create, &r_destroy};
    c.step = [&](int i, bool record) -> Status {
      std::string name = id("sb-start-", i);
      env.rampart_names.insert(name);
      auto cr = Measure({{rp, "create", name, "-t", dir_tpl, "--", "/bin/true"}});
      if (!cr) return cr.error();
      auto st = Measure({{rp, "start", name}});
      if (!st) return st.error();
      auto de = Measure({{rp, "destroy", name, "--force"}});
      if (!de) return de.error();
      env.rampart_names.erase(name);
      if (record) {
        r_create.ms.push_back(cr->ms_all), r_create.rss.push_back(cr->maxrss_kib);
        r_start.ms.push_back(st->ms_all), r_start.rss.push_back(st->maxrss_kib);
        r_start_ret.ms.push_back(st->ms_direct);
        r_destroy.ms.push_back(de->ms_all), r_destroy.rss.push_back(de->maxrss_kib);
      }
      return rampart::Ok();
    };
    cases.push_back(std::move(c));
  }
  const std::string crun_state = env.state + "/crun-state", runc_state = env.state + "/runc-state";
  const std::string bundle_crun = env.tmp + "/bundle-crun", bundle_runc = env.tmp + "/bundle-runc";
  cases.push_back(SimpleCase(&r_crun, [&](int i) {
    return ExecSpec{{env.crun, "--root", crun_state, "run", "--bundle", bundle_crun, id("sb-crun-", i)}, env.hybrid};
  }));
  cases.push_back(SimpleCase(&r_crun_wrap, [&](int i) {
    return ExecSpec{{env.unshare, "-m", env.sh, "-c",
                     "mount --bind /dev/null " + std::string(kCgroup2Controllers) + " && exec " + env.crun + " --root " +
                         crun_state + " run --bundle " + bundle_crun + " " + id("sb-crunw-", i)}};
  }));
  cases.push_back(SimpleCase(&r_wrap, [&](int) {
    return ExecSpec{{env.unshare, "-m", env.sh, "-c",
                     "mount --bind /dev/null " + std::string(kCgroup2Controllers) + " && exec /bin/true"}};
  }));
  cases.push_back(SimpleCase(&r_crun_nocg, [&](int i) {
    return ExecSpec{{env.crun, "--cgroup-manager=disabled", "--root", crun_state, "run", "--bundle", bundle_crun,
                     id("sb-crunn-", i)},
                    env.hybrid};
  }));
  cases.push_back(SimpleCase(&r_runc, [&](int i) {
    return ExecSpec{{env.runc, "--root", runc_state, "run", "--bundle", bundle_runc, id("sb-runc-", i)}};
  }));
  cases.push_back(SimpleCase(&r_lxc, [&](int) {
    return ExecSpec{{env.lxc_execute, "-n", "sb-lxc", "-P", env.tmp + "/lxc", "--", "/bin/true"}};
  }));
  cases.push_back(SimpleCase(&r_floor, [&](int) {
    return ExecSpec{{env.unshare, "-pmnuif", "--mount-proc", "chroot", env.rootfs, "/bin/true"}};
  }));
  cases.push_back(SimpleCase(&r_true, [&](int) { return ExecSpec{{"/bin/true"}}; }));

  for (auto& c : cases)
    for (Row* r : c.rows) c.dead |= !r->skip.empty() || !r->error.empty();

  double t_lat = NowMs();
  // Each round starts one case further on: the first case of a round runs
  // while the kernel still cleans up after the last ones (namespaces,
  // cgroups, RCU callbacks on the same two CPUs), and a fixed order would
  // put that cost on the same row every time.
  for (int it = 0; it < opt.warmup + opt.runs; ++it) {
    for (size_t k = 0; k < cases.size(); ++k) {
      auto& c = cases[(static_cast<size_t>(it) + k) % cases.size()];
      if (c.dead) continue;
      if (auto st = c.step(it, it >= opt.warmup); !st) {
        c.dead = true;
        for (Row* r : c.rows) r->error = st.error().message();
      }
    }
  }
  double lat_s = (NowMs() - t_lat) / 1000;

  std::vector<Row*> rows = {&r_run, &r_run_ro, &r_run_core, &r_run_limits, &r_start, &r_start_ret, &r_create, &r_destroy, &r_crun,
                            &r_crun_wrap, &r_wrap, &r_crun_nocg, &r_runc, &r_lxc, &r_floor, &r_true};
  std::printf("## Start to exit of /bin/true (%d runs; %.1f s)\n\n", opt.runs, lat_s);
  PrintTable(rows, r_run);
  std::printf("\nrampart/this = rampart run --rm median / this median (below 1: rampart is faster).\n");
  std::printf("peak RSS = median over runs of the largest ru_maxrss of any process of the run.\n\ncommands:\n");
  for (Row* r : rows) std::printf("- %s: %s\n", std::string(rampart::Trim(r->label)).c_str(), r->command.c_str());

  ConcurrencyResult cc;
  if (opt.concurrency && Usable(r_run)) {
    cc = Concurrency(env, opt.containers);
    if (!cc.error.empty()) std::printf("concurrency FAILED: %s\n", cc.error.c_str());
  } else if (opt.concurrency) {
    std::printf("\n## concurrency: skipped (rampart run does not work here)\n");
  }

  // ---- goals ----
  std::printf("\n## Goals\n\n");
  auto goal_vs = [&](const char* who, const Row& ours, const Row& peer, double factor, const char* what) {
    if (!Usable(ours)) {
      std::printf("- %s median <= %.1fx %s: cannot evaluate (rampart: %s)\n", who, factor, what,
                  ours.skip.empty() ? ours.error.c_str() : ours.skip.c_str());
      return;
    }
    if (!Usable(peer)) {
      std::printf("- %s median <= %.1fx %s: cannot evaluate (%s)\n", who, factor, what,
                  peer.skip.empty() ? peer.error.c_str() : peer.skip.c_str());
      return;
    }
    double om = StatsOf(ours.ms).median, pm = StatsOf(peer.ms).median;
    std::printf("- %s median <= %.1fx %s: %.2f ms vs %.2f ms = %.2fx -> %s\n", who, factor, what, om, pm, om / pm,
                Verdict(om <= factor * pm));
  };
  for (auto [who, ours] : {std::pair{"rampart run --rm", &r_run},
                           std::pair{"rampart run --rm (binary on a read-only mount)", &r_run_ro}}) {
    goal_vs(who, *ours, r_crun, 0.6, "crun run (mount-ns hiding in-process, no wrapper process)");
    if (Usable(r_crun_wrap)) goal_vs(who, *ours, r_crun_wrap, 0.6, "crun run through the unshare+sh wrapper");
    goal_vs(who, *ours, r_floor, 1.5, "the unshare ... chroot floor");
  }
  if (cc.monitors > 0)
    std::printf("- monitor PSS <= 1 MiB per idle container: mean %ld KiB over %d monitors -> %s\n", cc.mean_pss,
                cc.monitors, Verdict(cc.mean_pss <= 1024));
  else
    std::printf("- monitor PSS <= 1 MiB per idle container: cannot evaluate (%s)\n",
                !cc.ran ? "concurrency part not run" : cc.error.empty() ? "no monitor found" : cc.error.c_str());

  std::printf("\n");
  Cleanup(env);
  return 0;
}
