// Integration tests for the container lifecycle: `rampart create / start /
// run / stop / freeze / unfreeze / ls / info / attach / destroy / gc`.
//
// Every test drives the real CLI (fork/exec, output captured) with its state
// relocated to fresh temp dirs (RAMPART_ROOT, RAMPART_RUN, RAMPART_CONF_DIR)
// and a test rootfs built with the `dir:` template: a static busybox plus
// tests/helpers/syscall_probe (static) as /probe, which reports from inside
// the container what it sees (its pid, open fds, /proc/self/status, errno of
// denied syscalls, writes to read-only paths, a fork bomb).
//
// Assertions are on behaviour seen from outside: exit codes, what the probe
// printed, host /proc and cgroup files. Every failure message prints the whole
// output of the command involved. Container names carry the test's pid so
// parallel ctest runs do not collide; each test destroys its containers and
// runs gc in TearDown, also when it failed.
//
// Needs root; skipped otherwise unless RAMPART_TESTS_MUST_RUN=1.

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/list_dir.h"
#include "tests/integration/probe_output.h"

#ifndef RAMPART_BIN
#error "RAMPART_BIN must be defined (path of the rampart binary)"
#endif
#ifndef RAMPART_PROBE_STATIC
#error "RAMPART_PROBE_STATIC must be defined (static build of tests/helpers/syscall_probe)"
#endif

extern char** environ;

namespace {

using rampart::testing_support::ListDir;
using rampart::testing_support::ParseProbe;
using rampart::testing_support::Probe;

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Json = nlohmann::json;

// ---- running a command with captured output --------------------------------

struct RunResult {
  std::vector<std::string> argv;
  int exit_code = -1;  // exit status, 128+sig if killed, -1 if it never ran
  bool timed_out = false;
  double seconds = 0;
  std::string out;
  std::string err;

  std::string Describe() const {
    std::ostringstream s;
    s << "\n  command:";
    for (const auto& a : argv) s << " '" << a << "'";
    s << "\n  exit code: " << exit_code << (timed_out ? " (timed out, killed)" : "") << " after "
      << seconds << " s"
      << "\n  --- stdout ---\n"
      << out << (out.empty() || out.back() == '\n' ? "" : "\n") << "  --- stderr ---\n"
      << err << (err.empty() || err.back() == '\n' ? "" : "\n") << "  --------------\n";
    return s.str();
  }
};

// A started child whose output has not been collected yet.
struct Spawned {
  RunResult result;
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  Clock::time_point started;
};

// Forks `argv` with `env` (full "KEY=value" list), stdin on /dev/null. When
// `gate_fd` >= 0 the child waits until it reads one byte there before exec
// (so several children can be released at once).
Spawned Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              int gate_fd = -1) {
  Spawned s;
  s.result.argv = argv;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    s.result.err = std::string("test harness: pipe2: ") + std::strerror(errno);
    return s;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    s.result.err = std::string("test harness: pipe2: ") + std::strerror(errno);
    return s;
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  std::fflush(nullptr);
  s.started = Clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    s.result.err = std::string("test harness: fork: ") + std::strerror(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return s;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    if (gate_fd >= 0) {
      char c;
      while (read(gate_fd, &c, 1) < 0 && errno == EINTR) {
      }
    }
    execve(cargv[0], cargv.data(), cenv.data());
    const char* msg = "test harness: execve failed: ";
    (void)!write(STDERR_FILENO, msg, std::strlen(msg));
    const char* e = std::strerror(errno);
    (void)!write(STDERR_FILENO, e, std::strlen(e));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  s.pid = pid;
  s.out_fd = out_pipe[0];
  s.err_fd = err_pipe[0];
  return s;
}

RunResult Collect(Spawned s, milliseconds timeout) {
  RunResult r = std::move(s.result);
  if (s.pid < 0) return r;
  const auto deadline = s.started + timeout;
  struct pollfd fds[2] = {{s.out_fd, POLLIN, 0}, {s.err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      kill(s.pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  while (waitpid(s.pid, &status, 0) < 0) {
    if (errno != EINTR) return r;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - s.started).count();
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.exit_code = 128 + WTERMSIG(status);
  return r;
}

// ---- small file-system helpers ---------------------------------------------

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteText(const std::string& path, const std::string& text, mode_t mode = 0644) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok && chmod(path.c_str(), mode) == 0;
}

std::string JoinLines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "    " + x + "\n";
  return s.empty() ? "    (none)\n" : s;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Collapses runs of whitespace to one space and trims.
std::string Squash(const std::string& s) {
  std::istringstream in(s);
  std::string w, out;
  while (in >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

int CountLines(const std::string& path) {
  auto t = ReadText(path);
  if (!t) return -1;
  return static_cast<int>(std::count(t->begin(), t->end(), '\n'));
}

int CountOwnFds() { return static_cast<int>(ListDir("/proc/self/fd").size()) - 1; }

// Removes a tree without following symlinks or crossing into other mounts (a
// leaked bind mount must never make us delete what it points to).
int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}
void RemoveTree(const std::string& dir) {
  if (!dir.empty()) nftw(dir.c_str(), RemoveEntry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

// ---- host processes ---------------------------------------------------------

// Field 22 of /proc/PID/stat (start time), 0 when the process is gone.
unsigned long long StartTime(pid_t pid) {
  auto t = ReadText("/proc/" + std::to_string(pid) + "/stat");
  if (!t) return 0;
  auto close_paren = t->rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream in(t->substr(close_paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && (in >> field); ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

char ProcState(pid_t pid) {
  auto t = ReadText("/proc/" + std::to_string(pid) + "/stat");
  if (!t) return 0;
  auto close_paren = t->rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= t->size()) return 0;
  return (*t)[close_paren + 2];
}

// Alive = same process (start time) and not a zombie.
bool Alive(pid_t pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  char st = ProcState(pid);
  if (st == 0 || st == 'Z' || st == 'X') return false;
  return StartTime(pid) == start_time;
}

std::string StatusField(pid_t pid, const std::string& key) {
  auto t = ReadText("/proc/" + std::to_string(pid) + "/status");
  if (!t) return "";
  std::istringstream in(*t);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return Trim(line.substr(key.size() + 1));
  }
  return "";
}

template <typename Pred>
bool WaitFor(Pred pred, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

// ---- our cgroups --------------------------------------------------------------

// "<mount><our own cgroup>/rampart" in every cgroup hierarchy of this host
// (v1 controllers and the v2 tree), whether or not it exists.
std::vector<std::string> RampartCgroupParents() {
  std::vector<std::string> out;
  auto self = ReadText("/proc/self/cgroup");
  auto mountinfo = ReadText("/proc/self/mountinfo");
  if (!self || !mountinfo) return out;
  // controllers ("memory", "name=systemd", "" for v2) -> our path
  std::vector<std::pair<std::set<std::string>, std::string>> own;
  {
    std::istringstream in(*self);
    std::string line;
    while (std::getline(in, line)) {
      auto a = line.find(':');
      auto b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::set<std::string> ctrls;
      std::istringstream cs(line.substr(a + 1, b - a - 1));
      std::string c;
      while (std::getline(cs, c, ',')) ctrls.insert(c);
      own.emplace_back(ctrls, line.substr(b + 1));
    }
  }
  std::istringstream in(*mountinfo);
  std::string line;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    std::string w;
    while (ls >> w) f.push_back(w);
    const size_t dash = static_cast<size_t>(std::find(f.begin(), f.end(), "-") - f.begin());
    if (f.size() < 5 || dash + 3 >= f.size()) continue;
    const std::string fstype = f[dash + 1];
    const std::string mount_root = f[3];
    const std::string mount_point = f[4];
    std::set<std::string> super;
    {
      std::istringstream ss(f[dash + 3]);
      std::string o;
      while (std::getline(ss, o, ',')) super.insert(o);
    }
    for (const auto& [ctrls, path] : own) {
      bool match = false;
      if (fstype == "cgroup2") {
        match = ctrls.size() == 1 && ctrls.count("") == 1;
      } else if (fstype == "cgroup") {
        match = !ctrls.empty() && ctrls.count("") == 0 &&
                std::all_of(ctrls.begin(), ctrls.end(),
                            [&](const std::string& c) { return super.count(c) == 1; });
      }
      if (!match) continue;
      std::string rel = path;
      if (mount_root != "/" && rel.rfind(mount_root, 0) == 0) rel = rel.substr(mount_root.size());
      std::string dir = mount_point + (rel == "/" ? "" : rel) + "/rampart";
      if (seen.insert(dir).second) out.push_back(dir);
    }
  }
  return out;
}

// Container cgroup directories whose name starts with `prefix`, anywhere
// below our rampart parents.
std::vector<std::string> CgroupDirsWithPrefix(const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& parent : RampartCgroupParents()) {
    for (const auto& n : ListDir(parent)) {
      if (n.rfind(prefix, 0) == 0) found.push_back(parent + "/" + n);
    }
  }
  return found;
}

// ---- the fixture ----------------------------------------------------------------

// The keys the shipped `default` profile keeps (CapBnd in /proc/PID/status).
constexpr const char* kDefaultCapBnd = "00000000a80425fb";

bool MustRun() {
  const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");
  return must != nullptr && std::string(must) == "1";
}

// One set of state dirs (RAMPART_ROOT, RAMPART_RUN, RAMPART_CONF_DIR).
struct StateDirs {
  std::string root, run, conf;
  std::vector<std::string> Env() const {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      if (kv.rfind("RAMPART_ROOT=", 0) == 0 || kv.rfind("RAMPART_RUN=", 0) == 0 ||
          kv.rfind("RAMPART_CONF_DIR=", 0) == 0)
        continue;
      env.push_back(kv);
    }
    env.push_back("RAMPART_ROOT=" + root);
    env.push_back("RAMPART_RUN=" + run);
    env.push_back("RAMPART_CONF_DIR=" + conf);
    return env;
  }
};

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      if (MustRun()) {
        FAIL() << "container tests need root (euid is " << geteuid()
               << ") and RAMPART_TESTS_MUST_RUN=1 forbids skipping";
      }
      GTEST_SKIP() << "container tests need root (euid is " << geteuid()
                   << "); set RAMPART_TESTS_MUST_RUN=1 to make this a failure";
    }
    char tmpl[] = "/tmp/rampart-container-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << "mkdtemp: " << std::strerror(errno);
    base_ = tmpl;
    ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
    dirs_ = MakeStateDirs("state");
    rootfs_ = base_ + "/rootfs";
    BuildRootfs(rootfs_);
    prefix_ =
        std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()).substr(0, 12) +
        std::to_string(getpid());
    std::transform(prefix_.begin(), prefix_.end(), prefix_.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
  }

  void TearDown() override {
    if (base_.empty()) return;
    for (const auto& [name, dirs] : created_) {
      RunResult r = RunIn(dirs, {"destroy", "-f", name}, milliseconds(30000));
      if (r.exit_code != 0 && Exists(dirs.root + "/containers/" + name)) {
        ADD_FAILURE() << "cleanup: destroy -f " << name << " failed" << r.Describe();
      }
    }
    std::map<std::string, StateDirs> roots = {{dirs_.root, dirs_}};
    for (const auto& [name, dirs] : created_) roots.emplace(dirs.root, dirs);
    for (const auto& [root, dirs] : roots) RunIn(dirs, {"gc"}, milliseconds(30000));
    // What the container processes may have left is ours to remove.
    for (const auto& d : CgroupDirsWithPrefix(prefix_)) rmdir(d.c_str());
    if (std::getenv("RAMPART_TESTS_KEEP") == nullptr) RemoveTree(base_);
  }

  StateDirs MakeStateDirs(const std::string& tag) {
    StateDirs d{base_ + "/" + tag + "-root", base_ + "/" + tag + "-run",
                base_ + "/" + tag + "-conf"};
    for (const auto& p : {d.root, d.run, d.conf}) {
      EXPECT_EQ(mkdir(p.c_str(), 0755), 0) << p << ": " << std::strerror(errno);
    }
    // These tests run in the machine's own network namespace: containers get
    // loopback only, never the default network's bridge (network tests build
    // their own test-host namespace).
    EXPECT_TRUE(WriteText(d.conf + "/rampart.conf", "networks: [none]\n"));
    return d;
  }

  void BuildRootfs(const std::string& root) {
    namespace fs = std::filesystem;
    for (const char* d : {"", "/bin", "/proc", "/sys", "/dev", "/tmp", "/etc"}) {
      ASSERT_EQ(mkdir((root + d).c_str(), 0755), 0) << root << d << ": " << std::strerror(errno);
    }
    std::error_code ec;
    fs::copy_file("/bin/busybox", root + "/bin/busybox", ec);
    ASSERT_FALSE(ec) << "copy /bin/busybox (busybox-static): " << ec.message();
    ASSERT_EQ(chmod((root + "/bin/busybox").c_str(), 0755), 0);
    for (const char* applet :
         {"sh", "cat", "hostname", "sleep", "ls", "dd", "head", "stat", "true", "id"}) {
      std::string link = root + "/bin/" + applet;
      ASSERT_EQ(symlink("busybox", link.c_str()), 0) << link << ": " << std::strerror(errno);
    }
    fs::copy_file(RAMPART_PROBE_STATIC, root + "/probe", ec);
    ASSERT_FALSE(ec) << "copy " << RAMPART_PROBE_STATIC << ": " << ec.message();
    ASSERT_EQ(chmod((root + "/probe").c_str(), 0755), 0);
    // A script that would run fine if it were executable.
    ASSERT_TRUE(WriteText(root + "/notexec", "#!/bin/sh\nexit 0\n", 0644));
    ASSERT_TRUE(WriteText(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644));
  }

  // A container name unique to this test and process; registered for cleanup.
  std::string Name(const std::string& suffix, const StateDirs* dirs = nullptr) {
    std::string n = UnregisteredName(suffix);
    created_.emplace_back(n, dirs ? *dirs : dirs_);
    return n;
  }
  std::string UnregisteredName(const std::string& suffix) const { return prefix_ + "-" + suffix; }

  RunResult RunIn(const StateDirs& dirs, const std::vector<std::string>& args,
                  milliseconds timeout = milliseconds(30000)) {
    std::vector<std::string> argv = {RAMPART_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return Collect(Spawn(argv, dirs.Env()), timeout);
  }
  RunResult Rampart(const std::vector<std::string>& args,
                    milliseconds timeout = milliseconds(30000)) {
    return RunIn(dirs_, args, timeout);
  }

  // `run NAME --rm -t dir:ROOTFS [extra...] -- CMD...`
  RunResult RunRm(const std::string& name, const std::vector<std::string>& cmd,
                  const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"run", name, "--rm", "-t", "dir:" + rootfs_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--");
    args.insert(args.end(), cmd.begin(), cmd.end());
    return Rampart(args);
  }

  std::string WriteConfig(const std::string& file, const std::string& yaml) {
    std::string path = base_ + "/" + file;
    EXPECT_TRUE(WriteText(path, yaml)) << path;
    return path;
  }

  // `--format json ls` parsed; an array (or null with the failure recorded).
  Json Ls(const StateDirs& dirs, RunResult* raw = nullptr) {
    RunResult r = RunIn(dirs, {"--format", "json", "ls"});
    if (raw) *raw = r;
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << "ls --format json is not a JSON array" << r.Describe();
    return j.is_array() ? j : Json();
  }
  // The ls entry of `name` (null when absent).
  Json LsEntry(const std::string& name, RunResult* raw = nullptr, const StateDirs* dirs = nullptr) {
    Json all = Ls(dirs ? *dirs : dirs_, raw);
    if (all.is_array()) {
      for (const auto& e : all)
        if (e.is_object() && e.value("name", "") == name) return e;
    }
    return Json();
  }
  Json Info(const std::string& name, RunResult* raw = nullptr) {
    RunResult r = Rampart({"--format", "json", "info", name});
    if (raw) *raw = r;
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << "info --format json is not a JSON object" << r.Describe();
    return j.is_object() ? j : Json();
  }

  static std::vector<std::string> CgroupsOf(const Json& info) {
    std::vector<std::string> out;
    if (info.is_object() && info.contains("cgroups") && info["cgroups"].is_array()) {
      for (const auto& c : info["cgroups"])
        if (c.is_string()) out.push_back(c.get<std::string>());
    }
    return out;
  }

  static pid_t PidOf(const Json& entry) {
    if (!entry.is_object() || !entry.contains("pid") || !entry["pid"].is_number_integer())
      return -1;
    return entry["pid"].get<pid_t>();
  }

  std::string base_, rootfs_, prefix_;
  StateDirs dirs_;
  std::vector<std::pair<std::string, StateDirs>> created_;
};

// ---- 1. isolation ------------------------------------------------------------

TEST_F(ContainerTest, PayloadIsIsolatedAndConfined) {
  // The sysrq probe writes "1" (console loglevel) if /proc/sysrq-trigger is
  // writable: put the host's printk setting back whatever happens.
  const auto printk = ReadText("/proc/sys/kernel/printk");
  struct RestorePrintk {
    std::optional<std::string> saved;
    ~RestorePrintk() {
      auto now = ReadText("/proc/sys/kernel/printk");
      if (saved && now && Squash(*now) != Squash(*saved)) {
        std::istringstream in(*saved);
        std::string first;
        in >> first;
        WriteText("/proc/sys/kernel/printk", first + "\n");
      }
    }
  } restore{printk};

  const std::string name = Name("iso");
  RunResult r = RunRm(name, {"/probe", "pid", "fds", "status", "mount", "umount", "unshare_user",
                             "keyctl", "ptrace_traceme", "socket_vsock",
                             "write:/proc/sys/kernel/hostname", "write:/proc/sys/kernel/domainname",
                             "write:/proc/sysrq-trigger", "write:/proc/timer_list"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  Probe p = ParseProbe(r.out);
  EXPECT_EQ(p.Get("pid"), "1") << "the payload must be pid 1 of its pid namespace" << r.Describe();
  EXPECT_EQ(p.Get("fds"), "none") << "fds beyond 0-2 leaked into the payload" << r.Describe();
  EXPECT_EQ(p.Status("Seccomp"), "2") << r.Describe();
  EXPECT_EQ(p.Status("NoNewPrivs"), "1") << r.Describe();
  EXPECT_EQ(p.Status("CapInh"), "0000000000000000") << r.Describe();
  EXPECT_EQ(p.Status("CapAmb"), "0000000000000000") << r.Describe();
  EXPECT_EQ(p.Status("CapBnd"), kDefaultCapBnd) << r.Describe();
  for (const char* probe : {"mount", "umount", "unshare_user", "keyctl", "ptrace_traceme"}) {
    EXPECT_EQ(p.Get(probe), "EPERM") << "probe " << probe << r.Describe();
  }
  // Read-only /proc/sys (both files are UTS-namespaced: harmless if writable)
  // and /proc/sysrq-trigger; a masked file is read-only too.
  const bool host_has_sysrq = Exists("/proc/sysrq-trigger");  // CONFIG_MAGIC_SYSRQ
  for (const char* w : {"write:/proc/sys/kernel/hostname", "write:/proc/sys/kernel/domainname",
                        "write:/proc/sysrq-trigger", "write:/proc/timer_list"}) {
    const std::string v = p.Get(w);
    const bool absent_ok = !host_has_sysrq && std::string(w) == "write:/proc/sysrq-trigger";
    EXPECT_TRUE(v == "EROFS" || v == "EACCES" || v == "EPERM" || (absent_ok && v == "ENOENT"))
        << w << " must fail with EROFS/EACCES/EPERM, got " << v << r.Describe();
  }

  const std::string host = Name("hn");
  RunResult hn = RunRm(host, {"/bin/hostname"});
  EXPECT_EQ(hn.exit_code, 0) << hn.Describe();
  EXPECT_EQ(Trim(hn.out), host) << "hostname must default to the container name" << hn.Describe();

  // Masked files read as empty (/proc/kcore does not exist on every kernel;
  // /proc/timer_list is readable by root and not empty when unmasked).
  RunResult cat = RunRm(Name("cat"), {"/bin/cat", "/proc/kcore", "/proc/timer_list", "/proc/keys"});
  EXPECT_EQ(cat.out, "") << "masked /proc files printed something" << cat.Describe();
  RunResult st =
      RunRm(Name("st"), {"/bin/stat", "-c", "%n|%F|%t:%T", "/proc/timer_list", "/proc/keys"});
  EXPECT_EQ(st.exit_code, 0) << st.Describe();
  for (const char* f : {"/proc/timer_list", "/proc/keys"}) {
    // Masked by an empty read-only file of rampart's own (reads nothing,
    // writes fail with EROFS), not by /dev/null (which would swallow writes).
    EXPECT_NE(st.out.find(std::string(f) + "|regular empty file|"), std::string::npos)
        << f << " must be masked by an empty read-only file" << st.Describe();
  }

  RunResult fw = RunRm(Name("fw"), {"/bin/ls", "-A", "/sys/firmware"});
  EXPECT_EQ(Trim(fw.out), "") << "/sys/firmware must be masked (empty)" << fw.Describe();
  EXPECT_FALSE(ListDir("/sys/firmware").empty())
      << "control: the host's /sys/firmware is empty, so the mask check proves nothing";
}

TEST_F(ContainerTest, CgroupNamespaceIsRootedAtTheContainersCgroup) {
  // Inside, every hierarchy shows the container's own cgroup as "/", and the
  // cgroup2 view under /sys/fs/cgroup holds no other cgroups (a namespace
  // rooted at the monitor's cgroup showed the host's and the siblings').
  const std::string name = Name("cgns");
  RunResult r = RunRm(name, {"/bin/sh", "-c", "cat /proc/self/cgroup; echo ---; ls -A /sys/fs/cgroup"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const auto sep = r.out.find("---\n");
  ASSERT_NE(sep, std::string::npos) << r.Describe();
  std::istringstream lines(r.out.substr(0, sep));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_TRUE(line.ends_with(":/")) << "cgroup seen from inside is not the namespace root: " << line << r.Describe();
  }
  EXPECT_GT(n, 0) << r.Describe();
  std::istringstream entries(r.out.substr(sep + 4));
  std::string e;
  while (std::getline(entries, e))
    EXPECT_NE(e.find('.'), std::string::npos) << "a cgroup directory is visible in the container: " << e << r.Describe();
}

TEST_F(ContainerTest, NetworkNamespaceIsItsOwnWithLoopbackUp) {
  // In the foreground `run` makes the network namespace on a thread while it
  // creates the container, and the init joins it (runtime/netns_ahead.h);
  // `run -d` leaves it to clone3. Either way the payload sees a namespace
  // that is not the host's, with lo alone and up, and a /sys that shows it.
  std::error_code ec;
  const std::string host_ns = std::filesystem::read_symlink("/proc/self/ns/net", ec).string();
  ASSERT_FALSE(host_ns.empty()) << ec.message();
  const std::vector<std::string> probe = {"/bin/sh", "-c",
                                          "readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/flags"};
  auto check = [&](const RunResult& r, const char* how) {
    ASSERT_EQ(r.exit_code, 0) << how << r.Describe();
    std::istringstream in(r.out);
    std::string ns, ifaces, flags, extra;
    std::getline(in, ns);
    std::getline(in, ifaces);
    std::getline(in, flags);
    std::getline(in, extra);
    EXPECT_TRUE(ns.starts_with("net:[")) << how << r.Describe();
    EXPECT_NE(ns, host_ns) << how << ": the payload runs in the host's network namespace" << r.Describe();
    EXPECT_EQ(ifaces, "lo") << how << ": /sys/class/net is not the container's own" << r.Describe();
    EXPECT_EQ(extra, "") << how << r.Describe();
    EXPECT_EQ(std::strtoul(flags.c_str(), nullptr, 16) & IFF_UP, static_cast<unsigned long>(IFF_UP))
        << how << ": lo is not up (flags " << flags << ")" << r.Describe();
  };
  check(RunRm(Name("netfg"), probe), "run --rm (foreground)");
  const std::string bg = Name("netbg");
  RunResult d = Rampart({"run", bg, "-d", "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  ASSERT_EQ(d.exit_code, 0) << d.Describe();
  std::vector<std::string> attach = {"attach", bg, "--"};
  attach.insert(attach.end(), probe.begin(), probe.end());
  check(Rampart(attach), "run -d, then attach");
}

// A foreground `run --rm` on a dir: rootfs keeps its container directory in
// the run dir: containers/NAME links to run/NAME/container, and attach and
// kill work through the link; nothing is left after. A detached one and one
// with a busybox rootfs of its own keep a directory under the root.
TEST_F(ContainerTest, ForegroundRunRmKeepsItsDirectoryInTheRunDir) {
  // Starts `run NAME --rm ARGS -- sleep`, and once it runs: `check`, then
  // `rampart END... NAME` (which must succeed); returns the run's result.
  auto while_running = [&](const std::string& name, const std::vector<std::string>& args, auto check,
                           std::vector<std::string> end = {"kill", "-s", "KILL"}) {
    std::vector<std::string> argv = {RAMPART_BIN, "run", name, "--rm"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* a : {"--", "/bin/sleep", "1000"}) argv.push_back(a);
    Spawned fg = Spawn(argv, dirs_.Env());
    RunResult ls_raw;
    const bool up = WaitFor(
        [&] {
          Json e = LsEntry(name, &ls_raw);
          return e.is_object() && e.value("state", "") == "running";
        },
        milliseconds(10000));
    EXPECT_TRUE(up) << name << " never ran" << ls_raw.Describe();
    if (up) check();
    end.push_back(name);
    RunResult k = Rampart(end);
    EXPECT_EQ(k.exit_code, 0) << k.Describe();
    return Collect(std::move(fg), milliseconds(30000));
  };
  const std::string name = Name("fgdir");
  const std::string link = dirs_.root + "/containers/" + name;
  const std::string inner = dirs_.run + "/" + name + "/container";
  RunResult fg = while_running(name, {"-t", "dir:" + rootfs_}, [&] {
    std::error_code ec;
    EXPECT_EQ(std::filesystem::read_symlink(link, ec).string(), inner) << link << ": " << ec.message();
    for (const char* f : {"config.yaml", "policy.bpf", "policy.json"})
      EXPECT_TRUE(Exists(inner + "/" + f)) << inner << "/" << f << " missing";
    RunResult a = Rampart({"attach", name, "--", "/probe", "exit:5"});
    EXPECT_EQ(a.exit_code, 5) << "attach through the link" << a.Describe();
  });
  EXPECT_EQ(fg.exit_code, 137) << fg.Describe();
  struct stat st;
  EXPECT_NE(lstat(link.c_str(), &st), 0) << link << " left behind";
  EXPECT_FALSE(Exists(dirs_.run + "/" + name)) << dirs_.run << "/" << name << " left behind";

  auto on_disk = [&](const std::string& n) {
    const std::string dir = dirs_.root + "/containers/" + n;
    EXPECT_TRUE(lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) << dir << " is not a directory";
    EXPECT_FALSE(Exists(dirs_.run + "/" + n + "/container"));
  };
  const std::string bb = Name("fgbb");
  RunResult b = while_running(bb, {"-t", "busybox"}, [&] { on_disk(bb); });
  EXPECT_EQ(b.exit_code, 137) << b.Describe();
  const std::string bg = Name("bgdir");
  RunResult d = Rampart({"run", bg, "--rm", "-d", "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  ASSERT_EQ(d.exit_code, 0) << d.Describe();
  on_disk(bg);

  // stop and destroy -f of a foreground run --rm: the run ends (SIGKILL)
  // and removes the container itself; stop and destroy say they are done.
  for (const std::vector<std::string>& verb : {std::vector<std::string>{"stop", "-t", "0"}, {"destroy", "-f"}}) {
    const std::string n = Name("fg" + verb[0]);
    RunResult out = while_running(n, {"-t", "dir:" + rootfs_}, [] {}, verb);
    EXPECT_EQ(out.exit_code, 137) << out.Describe();
    EXPECT_NE(lstat((dirs_.root + "/containers/" + n).c_str(), &st), 0) << verb[0] << " left the container";
    EXPECT_FALSE(Exists(dirs_.run + "/" + n));
  }

  // A foreground run killed with its rampart, then a reboot (the run dir
  // emptied): ls names the dangling link, gc removes it, the name is free.
  const std::string cut = Name("fgcut");
  const std::string cut_link = dirs_.root + "/containers/" + cut;
  Spawned s = Spawn({RAMPART_BIN, "run", cut, "--rm", "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"}, dirs_.Env());
  RunResult ls_raw;
  pid_t init = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        Json e = LsEntry(cut, &ls_raw);
        init = e.is_object() && e.value("state", "") == "running" ? PidOf(e) : 0;
        return init > 1;
      },
      milliseconds(10000)))
      << ls_raw.Describe();
  const unsigned long long init_start = init > 1 ? StartTime(init) : 0;
  ASSERT_EQ(kill(s.pid, SIGKILL), 0);
  RunResult killed = Collect(std::move(s), milliseconds(30000));
  EXPECT_TRUE(init <= 1 || WaitFor([&] { return !Alive(init, init_start); }, milliseconds(2000)))
      << "init survived its foreground rampart" << killed.Describe();
  ASSERT_TRUE(lstat(cut_link.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) << "no link left to test with";
  RemoveTree(dirs_.run + "/" + cut);
  Json e = LsEntry(cut, &ls_raw);
  EXPECT_NE(e.is_object() ? e.value("error", "") : "", "") << ls_raw.Describe();
  EXPECT_NE(ls_raw.out.find("dangling link"), std::string::npos) << ls_raw.Describe();
  RunResult gc = Rampart({"gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.Describe();
  EXPECT_NE(lstat(cut_link.c_str(), &st), 0) << "gc left " << cut_link << gc.Describe();
  RunResult again = RunRm(cut, {"/bin/true"});
  EXPECT_EQ(again.exit_code, 0) << "the name must be reusable" << again.Describe();
}

// ---- 2. exit codes -----------------------------------------------------------

TEST_F(ContainerTest, ExitCodesPassThrough) {
  // First, while the state root is empty: a bad profile is a rampart error
  // and leaves nothing behind.
  const std::string bad = Name("badprof");
  RunResult np = RunRm(bad, {"/bin/true"}, {"--profile", "nosuch"});
  EXPECT_EQ(np.exit_code, 125) << np.Describe();
  {
    std::vector<std::string> lines;
    std::istringstream in(np.err);
    std::string line;
    while (std::getline(in, line))
      if (!Trim(line).empty()) lines.push_back(line);
    EXPECT_EQ(lines.size(), 1u) << "expected exactly one stderr line" << np.Describe();
    EXPECT_NE(np.err.find("nosuch"), std::string::npos)
        << "the error must name the profile" << np.Describe();
  }
  RunResult ls_raw;
  Json all = Ls(dirs_, &ls_raw);
  EXPECT_TRUE(all.is_array() && all.empty())
      << "a failed create left a container" << ls_raw.Describe();
  std::vector<std::string> left_dirs;
  for (const auto& n : ListDir(dirs_.root + "/containers")) {
    struct stat s;
    if (stat((dirs_.root + "/containers/" + n).c_str(), &s) == 0 && S_ISDIR(s.st_mode))
      left_dirs.push_back(n);
  }
  EXPECT_TRUE(left_dirs.empty()) << "directories left under " << dirs_.root << "/containers:\n"
                                 << JoinLines(left_dirs);

  RunResult r7 = RunRm(Name("e7"), {"/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(r7.exit_code, 7) << r7.Describe();
  RunResult r0 = RunRm(Name("e0"), {"/probe", "exit:0"});
  EXPECT_EQ(r0.exit_code, 0) << r0.Describe();
  RunResult nf = RunRm(Name("e127"), {"/nonexistent"});
  EXPECT_EQ(nf.exit_code, 127) << nf.Describe();
  RunResult nx = RunRm(Name("e126"), {"/notexec"});
  EXPECT_EQ(nx.exit_code, 126) << nx.Describe();
  RunResult r3 = RunRm(Name("e3"), {"/probe", "exit:3"});
  EXPECT_EQ(r3.exit_code, 3) << r3.Describe();
}

// ---- 3. resource limits ----------------------------------------------------

TEST_F(ContainerTest, PidsLimitStopsForkBomb) {
  const std::string cfg = WriteConfig("pids.yaml", "limits:\n  pids: 20\n");
  RunResult r = RunRm(Name("pids"), {"/probe", "forkbomb:200"}, {"--config", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string v = ParseProbe(r.out).Get("forkbomb");
  std::istringstream in(v);
  long forks = -1;
  std::string err;
  in >> forks >> err;
  EXPECT_GE(forks, 0) << "no forkbomb line" << r.Describe();
  EXPECT_LT(forks, 20) << "pids.max 20 did not stop the fork bomb" << r.Describe();
  EXPECT_EQ(err, "EAGAIN") << r.Describe();
}

TEST_F(ContainerTest, MemoryLimitIsEnforced) {
  // Control: without a limit, 48 MiB fit in the container's /dev/shm (so a
  // failure below is the memory limit, not a small tmpfs).
  RunResult ctl =
      RunRm(Name("memctl"), {"/bin/dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=48"});
  EXPECT_EQ(ctl.exit_code, 0) << "control: 48 MiB in /dev/shm without a memory limit must work"
                              << ctl.Describe();

  const std::string cfg = WriteConfig("mem.yaml", "limits:\n  memory: \"32M\"\n");
  RunResult small =
      RunRm(Name("mem48"), {"/bin/dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=48"},
            {"--config", cfg});
  EXPECT_NE(small.exit_code, 0) << "48 MiB of tmpfs fit under a 32M memory limit"
                                << small.Describe();
  EXPECT_NE(small.exit_code, 125) << "rampart itself failed, not the payload" << small.Describe();
  RunResult big =
      RunRm(Name("mem200"), {"/bin/dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=200"},
            {"--config", cfg});
  EXPECT_NE(big.exit_code, 0) << "200 MiB of tmpfs fit under a 32M memory limit" << big.Describe();
  EXPECT_NE(big.exit_code, 125) << "rampart itself failed, not the payload" << big.Describe();
}

// ---- 4. lifecycle ----------------------------------------------------------

TEST_F(ContainerTest, LifecycleCreateStartFreezeAttachStopDestroy) {
  const std::string name = Name("life");
  RunResult c = Rampart({"create", name, "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  ASSERT_EQ(c.exit_code, 0) << c.Describe();
  RunResult ls_raw;
  Json e = LsEntry(name, &ls_raw);
  EXPECT_EQ(e.value("state", "<none>"), "created") << ls_raw.Describe();

  RunResult s = Rampart({"start", name});
  ASSERT_EQ(s.exit_code, 0) << s.Describe();
  e = LsEntry(name, &ls_raw);
  ASSERT_TRUE(e.is_object()) << "no ls entry for " << name << ls_raw.Describe();
  EXPECT_EQ(e.value("state", "<none>"), "running") << ls_raw.Describe();
  const pid_t pid = PidOf(e);
  ASSERT_GT(pid, 1) << "ls must show the init's host pid" << ls_raw.Describe();
  ASSERT_TRUE(Exists("/proc/" + std::to_string(pid) + "/status")) << ls_raw.Describe();
  const unsigned long long start_time = StartTime(pid);
  char own_ns[64] = {}, init_ns[64] = {};
  (void)!readlink("/proc/self/ns/pid", own_ns, sizeof own_ns - 1);
  (void)!readlink(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), init_ns,
                  sizeof init_ns - 1);
  EXPECT_STRNE(own_ns, init_ns) << "the init must be in its own pid namespace";

  RunResult info_raw;
  Json info = Info(name, &info_raw);
  const std::vector<std::string> cgroups = CgroupsOf(info);
  ASSERT_FALSE(cgroups.empty()) << "info lists no cgroups" << info_raw.Describe();
  // The v1 freezer (freezer.state), or the v2 directory (cgroup.freeze and
  // cgroup.events): on a hybrid host a container without v1 limits lives in
  // the v2 tree alone.
  std::string freezer, v2_freezer;
  bool init_in_cgroup = false;
  for (const auto& cg : cgroups) {
    EXPECT_TRUE(Exists(cg)) << "cgroup " << cg << " from info does not exist"
                            << info_raw.Describe();
    if (cg.find("/freezer/") != std::string::npos) freezer = cg;
    if (Exists(cg + "/cgroup.freeze")) v2_freezer = cg;
    auto procs = ReadText(cg + "/cgroup.procs");
    if (procs &&
        (" " + Squash(*procs) + " ").find(" " + std::to_string(pid) + " ") != std::string::npos)
      init_in_cgroup = true;
  }
  EXPECT_TRUE(init_in_cgroup) << "init " << pid << " is in none of its cgroups"
                              << info_raw.Describe();
  ASSERT_FALSE(freezer.empty() && v2_freezer.empty())
      << "no freezer cgroup in info (neither a v1 freezer nor a v2 directory)" << info_raw.Describe();
  auto freezer_state = [&]() -> std::string {
    if (!freezer.empty()) return Trim(ReadText(freezer + "/freezer.state").value_or("<unreadable>"));
    std::string events = ReadText(v2_freezer + "/cgroup.events").value_or("<unreadable>");
    return events.find("frozen 1") != std::string::npos   ? "FROZEN"
           : events.find("frozen 0") != std::string::npos ? "THAWED"
                                                          : events;
  };

  RunResult fr = Rampart({"freeze", name});
  EXPECT_EQ(fr.exit_code, 0) << fr.Describe();
  info = Info(name, &info_raw);
  EXPECT_EQ(info.value("state", "<none>"), "frozen") << info_raw.Describe();
  EXPECT_EQ(freezer_state(), "FROZEN");

  RunResult uf = Rampart({"unfreeze", name});
  EXPECT_EQ(uf.exit_code, 0) << uf.Describe();
  info = Info(name, &info_raw);
  EXPECT_EQ(info.value("state", "<none>"), "running") << info_raw.Describe();
  EXPECT_EQ(freezer_state(), "THAWED");

  RunResult ah = Rampart({"attach", name, "--", "/bin/hostname"});
  EXPECT_EQ(ah.exit_code, 0) << ah.Describe();
  EXPECT_EQ(Trim(ah.out), name) << "attach must join the UTS namespace" << ah.Describe();
  RunResult ap = Rampart({"exec", name, "--", "/probe", "pid", "fds", "status", "mount"});
  EXPECT_EQ(ap.exit_code, 0) << ap.Describe();
  Probe p = ParseProbe(ap.out);
  const std::string apid = p.Get("pid");
  EXPECT_TRUE(apid != "1" && apid.find_first_not_of("0123456789") == std::string::npos &&
              !apid.empty())
      << "attached process must be in the container's pid namespace but not its init"
      << ap.Describe();
  EXPECT_LT(std::atoi(apid.c_str()), 1000) << "attached pid looks like a host pid" << ap.Describe();
  EXPECT_EQ(p.Get("fds"), "none") << ap.Describe();
  EXPECT_EQ(p.Status("Seccomp"), "2") << "attach must apply the same policy" << ap.Describe();
  EXPECT_EQ(p.Status("NoNewPrivs"), "1") << ap.Describe();
  EXPECT_EQ(p.Status("CapBnd"), kDefaultCapBnd) << ap.Describe();
  EXPECT_EQ(p.Get("mount"), "EPERM") << ap.Describe();
  EXPECT_TRUE(Alive(pid, start_time)) << "attach disturbed the init";

  const auto t0 = Clock::now();
  RunResult stop = Rampart({"stop", name, "-t", "1"});
  EXPECT_EQ(stop.exit_code, 0) << stop.Describe();
  std::string state;
  bool stopped = WaitFor(
      [&] {
        state = LsEntry(name, &ls_raw).value("state", "<none>");
        return state == "stopped" && !Alive(pid, start_time);
      },
      milliseconds(2500) - std::chrono::duration_cast<milliseconds>(Clock::now() - t0));
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(stopped) << "after stop -t 1 (" << took << " s): state " << state << ", init "
                       << (Alive(pid, start_time) ? "alive" : "gone") << stop.Describe()
                       << ls_raw.Describe();

  RunResult d = Rampart({"destroy", name});
  EXPECT_EQ(d.exit_code, 0) << d.Describe();
  EXPECT_FALSE(LsEntry(name, &ls_raw).is_object())
      << "destroyed container still listed" << ls_raw.Describe();
  for (const auto& cg : cgroups) EXPECT_FALSE(Exists(cg)) << "cgroup left after destroy: " << cg;
  EXPECT_FALSE(Exists(dirs_.root + "/containers/" + name));
  EXPECT_FALSE(Exists(dirs_.run + "/" + name));
  EXPECT_TRUE(Exists(rootfs_ + "/bin/busybox")) << "destroy must not touch a dir: rootfs";
}

// ---- 5. user namespace -----------------------------------------------------

// Root inside a user-namespaced container is an unprivileged id on the host.
// The template is "dir:ROOTFS" (our rootfs, owned by host root, world-readable)
// or "busybox" (built by create and shifted into the id range, below the
// state root's own directories).
class UserNsTest : public ContainerTest {
 protected:
  void Check(const std::string& tmpl, const std::string& tag) {
    const std::string cfg = WriteConfig(tag + "-userns.yaml",
                                        "namespaces:\n  user: true\n"
                                        "idmap:\n  uid: \"0:100000:65536\"\n"
                                        "  gid: \"0:100000:65536\"\n");
    const std::string n1 = Name(tag + "map");
    RunResult map = Rampart({"run", n1, "--rm", "-t", tmpl, "--config", cfg, "--", "/bin/cat",
                             "/proc/self/uid_map", "/proc/self/gid_map"});
    EXPECT_EQ(map.exit_code, 0) << map.Describe();
    EXPECT_EQ(Squash(map.out), "0 100000 65536 0 100000 65536") << map.Describe();

    const std::string n2 = Name(tag + "uid");
    RunResult d =
        Rampart({"run", n2, "-d", "-t", tmpl, "--config", cfg, "--", "/bin/sleep", "1000"});
    ASSERT_EQ(d.exit_code, 0) << d.Describe();
    RunResult ls_raw;
    const pid_t pid = PidOf(LsEntry(n2, &ls_raw));
    ASSERT_GT(pid, 1) << ls_raw.Describe();
    EXPECT_EQ(Squash(StatusField(pid, "Uid")), "100000 100000 100000 100000")
        << "host view of the container's root (pid " << pid << ")" << ls_raw.Describe();
    EXPECT_EQ(Squash(StatusField(pid, "Gid")), "100000 100000 100000 100000") << ls_raw.Describe();
  }
};

TEST_F(UserNsTest, UserNamespacedRootIsNotHostRoot) {
  Check("dir:" + rootfs_, "d");
  // The same payload without a user namespace runs as host root: the check
  // above is not vacuous.
  const std::string n3 = Name("nouid");
  RunResult d3 = Rampart({"run", n3, "-d", "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  ASSERT_EQ(d3.exit_code, 0) << d3.Describe();
  RunResult ls_raw;
  const pid_t pid3 = PidOf(LsEntry(n3, &ls_raw));
  ASSERT_GT(pid3, 1) << ls_raw.Describe();
  EXPECT_EQ(Squash(StatusField(pid3, "Uid")), "0 0 0 0") << ls_raw.Describe();
}

TEST_F(UserNsTest, UserNamespacedBusyboxTemplateContainerRuns) { Check("busybox", "b"); }

// ---- 6. concurrency --------------------------------------------------------

TEST_F(ContainerTest, OfSixteenConcurrentCreatesExactlyOneWins) {
  const std::string name = Name("race");
  int gate[2];
  ASSERT_EQ(pipe2(gate, O_CLOEXEC), 0);
  std::vector<Spawned> running;
  for (int i = 0; i < 16; ++i) {
    running.push_back(
        Spawn({RAMPART_BIN, "create", name, "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"},
              dirs_.Env(), gate[0]));
  }
  close(gate[0]);
  const std::string go(running.size(), 'g');
  EXPECT_EQ(write(gate[1], go.data(), go.size()), static_cast<ssize_t>(go.size()));  // all at once
  close(gate[1]);
  std::vector<RunResult> results;
  for (auto& s : running) results.push_back(Collect(std::move(s), milliseconds(30000)));
  std::string all;
  int winners = 0, clean_losers = 0;
  for (const auto& r : results) {
    all += r.Describe();
    if (r.exit_code == 0) ++winners;
    if (r.exit_code == 125 && r.err.find("already exists") != std::string::npos) ++clean_losers;
  }
  EXPECT_EQ(winners, 1) << all;
  EXPECT_EQ(clean_losers, 15) << "the others must exit 125 with an 'already exists' line" << all;
  RunResult ls_raw;
  Json ls = Ls(dirs_, &ls_raw);
  EXPECT_TRUE(ls.is_array() && ls.size() == 1 && ls[0].value("name", "") == name &&
              ls[0].value("state", "") == "created")
      << ls_raw.Describe();
  RunResult s = Rampart({"start", name});
  EXPECT_EQ(s.exit_code, 0) << "the winner's container must be usable" << s.Describe();
}

// ---- 7. faults -------------------------------------------------------------

TEST_F(ContainerTest, KilledMonitorTakesInitAlongAndNameIsReusable) {
  const std::string name = Name("mon");
  RunResult d = Rampart({"run", name, "-d", "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  ASSERT_EQ(d.exit_code, 0) << d.Describe();
  RunResult ls_raw, info_raw;
  const pid_t pid = PidOf(LsEntry(name, &ls_raw));
  ASSERT_GT(pid, 1) << ls_raw.Describe();
  const unsigned long long start_time = StartTime(pid);
  const std::vector<std::string> cgroups = CgroupsOf(Info(name, &info_raw));
  ASSERT_FALSE(cgroups.empty()) << info_raw.Describe();
  const std::string ppid = StatusField(pid, "PPid");
  const pid_t monitor = std::atoi(ppid.c_str());
  ASSERT_GT(monitor, 1) << "init " << pid << " has no monitor parent (PPid '" << ppid << "', init "
                        << (Alive(pid, start_time) ? "alive" : "gone") << ")" << ls_raw.Describe()
                        << info_raw.Describe();
  ASSERT_NE(monitor, getpid()) << "the monitor must be a daemon, not the test";

  ASSERT_EQ(kill(monitor, SIGKILL), 0) << std::strerror(errno);
  EXPECT_TRUE(WaitFor([&] { return !Alive(pid, start_time); }, milliseconds(2000)))
      << "init " << pid << " survived its monitor " << monitor << " (state " << ProcState(pid)
      << ")";
  Json e = LsEntry(name, &ls_raw);
  EXPECT_TRUE(e.is_object()) << ls_raw.Describe();
  const std::string state = e.value("state", "<none>");
  EXPECT_TRUE(state != "running" && state != "frozen")
      << "status must be recomputed from the live process" << ls_raw.Describe();

  RunResult gc = Rampart({"gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.Describe();
  for (const auto& cg : cgroups)
    EXPECT_FALSE(Exists(cg)) << "cgroup left after gc: " << cg << gc.Describe();
  RunResult destroy = Rampart({"destroy", "-f", name});
  EXPECT_EQ(destroy.exit_code, 0) << destroy.Describe();
  EXPECT_FALSE(Exists(dirs_.root + "/containers/" + name));
  EXPECT_FALSE(Exists(dirs_.run + "/" + name));

  RunResult again = Rampart({"create", name, "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  EXPECT_EQ(again.exit_code, 0) << "the name must be reusable" << again.Describe();
  RunResult start = Rampart({"start", name});
  EXPECT_EQ(start.exit_code, 0) << start.Describe();
}

// gc in one state root must not touch containers of another one (other
// users of the same host, parallel test runs): cgroups are shared by name
// below our cgroup, the state roots are not.
TEST_F(ContainerTest, GcLeavesContainersOfOtherStateRootsAlone) {
  const std::string name = Name("keep");
  RunResult d = Rampart({"run", name, "-d", "-t", "dir:" + rootfs_, "--", "/bin/sleep", "1000"});
  ASSERT_EQ(d.exit_code, 0) << d.Describe();
  RunResult ls_raw, info_raw;
  const pid_t pid = PidOf(LsEntry(name, &ls_raw));
  ASSERT_GT(pid, 1) << ls_raw.Describe();
  const unsigned long long start_time = StartTime(pid);
  const std::vector<std::string> cgroups = CgroupsOf(Info(name, &info_raw));

  const StateDirs other = MakeStateDirs("other");
  RunResult gc = RunIn(other, {"gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.Describe();
  EXPECT_TRUE(Alive(pid, start_time))
      << "gc of another state root killed " << name << gc.Describe();
  for (const auto& cg : cgroups)
    EXPECT_TRUE(Exists(cg)) << "gc of another state root removed " << cg << gc.Describe();
  EXPECT_EQ(LsEntry(name, &ls_raw).value("state", "<none>"), "running") << ls_raw.Describe();
}

// A container directory without config.yaml is a leftover of a killed
// create, unless a rampart command is working on it right now (it holds the
// container's lock: a create or run in progress). gc leaves that one alone
// and removes it, with its lock file, once the lock is free.
TEST_F(ContainerTest, GcLeavesAContainerBeingCreatedAlone) {
  const std::string name = Name("busy");
  const std::string dir = dirs_.root + "/containers/" + name;
  const std::string lock_file = dirs_.root + "/containers/." + name + ".lock";
  ASSERT_TRUE(mkdir((dirs_.root + "/containers").c_str(), 0700) == 0 || errno == EEXIST) << std::strerror(errno);
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0) << dir << ": " << std::strerror(errno);
  int fd = open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << lock_file << ": " << std::strerror(errno);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0) << std::strerror(errno);
  RunResult busy = Rampart({"gc"});
  EXPECT_EQ(busy.exit_code, 0) << busy.Describe();
  EXPECT_TRUE(Exists(dir)) << "gc removed a container whose lock is held" << busy.Describe();
  close(fd);
  RunResult gc = Rampart({"gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.Describe();
  EXPECT_FALSE(Exists(dir)) << "gc left a half-created container once its lock was free" << gc.Describe();
  EXPECT_FALSE(Exists(lock_file)) << "gc left its lock file" << gc.Describe();
  EXPECT_NE(gc.out.find("container directory " + dir), std::string::npos) << gc.Describe();
}

// ---- 8. soak ---------------------------------------------------------------

TEST_F(ContainerTest, TwoHundredRunRmCyclesLeaveNothingBehind) {
  const int mounts_before = CountLines("/proc/self/mountinfo");
  const int fds_before = CountOwnFds();
  const std::string soak_prefix = prefix_ + "-s";
  const auto t0 = Clock::now();
  int done = 0;
  for (int i = 0; i < 200; ++i) {
    // Not registered for cleanup one by one (200 destroy -f would dominate
    // the run time); a failed cycle is.
    const std::string name = UnregisteredName("s" + std::to_string(i));
    RunResult r = RunRm(name, {"/bin/true"});
    if (r.exit_code != 0) {
      Name("s" + std::to_string(i));
      ADD_FAILURE() << "cycle " << i << " failed" << r.Describe();
      break;
    }
    ++done;
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("[ soak     ] %d run --rm cycles of /bin/true in %.2f s (%.1f ms each)\n", done, wall,
              done ? wall * 1000 / done : 0.0);
  EXPECT_EQ(done, 200);

  const auto containers = ListDir(dirs_.root + "/containers");
  EXPECT_TRUE(containers.empty()) << "left in " << dirs_.root << "/containers:\n"
                                  << JoinLines(containers);
  const auto run = ListDir(dirs_.run);
  EXPECT_TRUE(run.empty()) << "left in " << dirs_.run << ":\n" << JoinLines(run);
  const auto cgroups = CgroupDirsWithPrefix(soak_prefix);
  EXPECT_TRUE(cgroups.empty()) << "cgroups left:\n" << JoinLines(cgroups);
  EXPECT_EQ(CountLines("/proc/self/mountinfo"), mounts_before) << "mounts leaked into the host";
  EXPECT_EQ(CountOwnFds(), fds_before) << "the test process leaked fds";
}

}  // namespace
