// Integration tests for runtime/rootfs: SetupRootfs in real namespaces on a
// tiny busybox rootfs, observed from inside by a busybox shell script.
//
// Needs root (and /bin/busybox, static, from busybox-static); skipped
// otherwise unless RAMPART_TESTS_MUST_RUN=1, which turns the skip into a
// failure.

#include "runtime/rootfs.h"

#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace rampart::runtime {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBusybox = "/bin/busybox";
constexpr uid_t kUsernsBase = 100000;

// Returns a reason to skip, or "" when the test can run.
std::string MissingRequirement() {
  if (geteuid() != 0) return "needs root";
  struct stat st {};
  if (stat(kBusybox, &st) != 0) return std::string("needs ") + kBusybox + " (busybox-static)";
  return "";
}

#define REQUIRE_ROOT()                                                                             \
  do {                                                                                             \
    std::string why = MissingRequirement();                                                        \
    if (!why.empty()) {                                                                            \
      const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");                                    \
      if (must && std::string(must) == "1") FAIL() << "RAMPART_TESTS_MUST_RUN=1 but test " << why; \
      std::cout << "[  SKIPPED ] rootfs test: " << why << "\n";                                    \
      GTEST_SKIP() << why;                                                                         \
    }                                                                                              \
  } while (0)

// Lines of `path` that mention `needle` (all lines when it is empty). The
// leak check counts only mounts under this test's own base directory, so
// tests running in parallel cannot disturb each other's counts.
size_t CountLines(const std::string& path, const std::string& needle = "") {
  std::ifstream in(path);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line))
    if (needle.empty() || line.find(needle) != std::string::npos) ++n;
  return n;
}

std::string ReadFd(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

bool WriteFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

struct RunOutcome {
  int status = -1;          // wait status of the outer child
  std::string setup_error;  // SetupRootfs's error, empty on success
  std::string output;       // the script's stdout+stderr, or the post-failure probe
  std::string Describe() const {
    std::ostringstream s;
    s << "\n  wait status: " << status
      << "\n  setup error: " << (setup_error.empty() ? "(none)" : setup_error)
      << "\n  --- output ---\n"
      << output << "\n  --------------\n";
    return s.str();
  }
};

// Mount points (field 5 of mountinfo) of this process, for the "nothing was
// mounted there" checks after a failed setup.
std::string MountPointsOfSelf() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, out;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mp;
    f >> id >> parent >> devno >> root >> mp;
    out += mp + "\n";
  }
  return out;
}

// fork → (unshare namespaces) → fork (pid 1 of the new pid ns) →
// SetupRootfs → exec busybox sh -c script. With `userns`, the parent writes
// uid/gid maps 0 → 100000 (65536) before the child goes on.
RunOutcome RunInContainer(const RootfsPlan& plan, const std::string& script, int ns_flags,
                          bool userns) {
  RunOutcome r;
  int out[2], err[2], ready[2], go[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(ready, O_CLOEXEC) ||
      pipe2(go, O_CLOEXEC)) {
    r.setup_error = "test harness: pipe2 failed";
    return r;
  }
  pid_t pid = fork();
  if (pid < 0) {
    r.setup_error = "test harness: fork failed";
    return r;
  }
  if (pid == 0) {
    close(out[0]);
    close(err[0]);
    close(ready[0]);
    close(go[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int flags = ns_flags | (userns ? CLONE_NEWUSER : 0);
    if (unshare(flags) != 0) {
      dprintf(err[1], "unshare: %s", strerror(errno));
      _exit(100);
    }
    if (userns) {
      char c = 'r';
      if (write(ready[1], &c, 1) != 1) _exit(100);
      if (read(go[0], &c, 1) != 1 || c != 'g') _exit(100);
      if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
        dprintf(err[1], "become root in userns: %s", strerror(errno));
        _exit(100);
      }
    }
    pid_t init = fork();
    if (init < 0) _exit(100);
    if (init == 0) {
      auto st = SetupRootfs(plan);
      if (!st) {
        WriteAll(err[1], st.error().message());
        // Report where things are mounted in this (the container's) mount
        // namespace, so the test can check nothing landed at the redirect.
        WriteAll(out[1], MountPointsOfSelf());
        _exit(111);
      }
      if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(100);
      const char* argv[] = {"busybox", "sh", "-c", script.c_str(), nullptr};
      const char* envp[] = {"PATH=/bin", nullptr};
      execve("/bin/busybox", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      dprintf(err[1], "exec /bin/busybox: %s", strerror(errno));
      _exit(112);
    }
    int status = 0;
    while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  close(out[1]);
  close(err[1]);
  close(ready[1]);
  close(go[0]);
  if (userns) {
    char c = 0;
    if (read(ready[0], &c, 1) == 1) {
      const std::string proc = "/proc/" + std::to_string(pid);
      const std::string map = "0 " + std::to_string(kUsernsBase) + " 65536\n";
      bool ok = WriteFile(proc + "/uid_map", map) && WriteFile(proc + "/gid_map", map);
      c = ok ? 'g' : 'x';
      if (write(go[1], &c, 1) != 1) {
      }
    }
  }
  close(ready[0]);
  close(go[1]);
  r.output = ReadFd(out[0]);
  r.setup_error = ReadFd(err[0]);
  close(out[0]);
  close(err[0]);
  while (waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

// key=value lines of the script's output.
std::map<std::string, std::string> Values(const std::string& output) {
  std::map<std::string, std::string> v;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos && line.find(' ') > eq) v[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return v;
}

// Mount lines from the "cat /proc/self/mounts" section: mount point → "fstype opts".
std::map<std::string, std::string> Mounts(const std::string& output) {
  std::map<std::string, std::string> m;
  std::istringstream in(output);
  std::string line;
  bool on = false;
  while (std::getline(in, line)) {
    if (line == "MOUNTS_BEGIN")
      on = true;
    else if (line == "MOUNTS_END")
      on = false;
    else if (on) {
      std::istringstream f(line);
      std::string dev, mp, type, opts;
      f >> dev >> mp >> type >> opts;
      m[mp] = type + " " + opts;
    }
  }
  return m;
}

bool HasOpt(const std::string& type_opts, const std::string& opt) {
  auto sp = type_opts.find(' ');
  std::string opts = "," + type_opts.substr(sp + 1) + ",";
  return opts.find("," + opt + ",") != std::string::npos;
}

int Lchown(const char* path, const struct stat*, int, struct FTW*) {
  return lchown(path, kUsernsBase, kUsernsBase) == 0 ? 0 : -1;
}

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MissingRequirement().empty()) return;
    char tmpl[] = "/tmp/rampart-rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    // The rootfs lives on a *shared* mount so that, if SetupRootfs did not
    // make propagation private first, its mounts under the rootfs would
    // propagate back into this (the host's) namespace and the mountinfo
    // count below would catch it. (This VM's / is not shared at all.)
    ASSERT_EQ(mount("rampart-test", base_.c_str(), "tmpfs", 0, "mode=0755"), 0) << strerror(errno);
    mounted_ = true;
    ASSERT_EQ(mount(nullptr, base_.c_str(), nullptr, MS_SHARED, nullptr), 0) << strerror(errno);
    root_ = base_ / "root";
    for (const char* d : {"bin", "proc", "sys", "dev", "tmp", "etc", "mnt"})
      fs::create_directories(root_ / d);
    fs::copy_file(kBusybox, root_ / "bin" / "busybox");
    fs::permissions(root_ / "bin" / "busybox", fs::perms(0755));
    fs::create_symlink("busybox", root_ / "bin" / "sh");
    // A host directory to bind in, and a host marker that must stay invisible.
    fs::create_directories(base_ / "data");
    std::ofstream(base_ / "data" / "hello") << "from-host";
    marker_ = "/tmp/rampart-rootfs-marker-" + std::to_string(getpid());
    std::ofstream(marker_) << "host";
    mountinfo_before_ = CountLines("/proc/self/mountinfo", base_.string());
  }
  void TearDown() override {
    if (base_.empty()) return;
    EXPECT_EQ(CountLines("/proc/self/mountinfo", base_.string()), mountinfo_before_)
        << "mounts leaked into the host namespace";
    if (mounted_) {
      EXPECT_EQ(umount2(base_.c_str(), MNT_DETACH), 0) << strerror(errno);
    }
    std::error_code ec;
    fs::remove_all(base_, ec);
    fs::remove(marker_, ec);
  }

  RootfsPlan DefaultPlan() const {
    RootfsPlan p;
    p.rootfs = root_;
    p.masked_paths = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
                      "/proc/acpi",  "/proc/scsi", "/sys/firmware"};
    p.binds.push_back(BindMount{(base_ / "data").string(), "/mnt/data", /*readonly=*/true, "bind", {}});
    p.new_ipc_ns = true;
    return p;
  }

  // What every container must look like, whatever the namespaces.
  std::string Script() const {
    return R"(
echo MOUNTS_BEGIN; cat /proc/self/mounts; echo MOUNTS_END
echo pid=$$
for n in null zero full random urandom tty; do echo dev_$n=$(busybox stat -c %F:%t:%T /dev/$n); done
echo ptmx=$(busybox readlink /dev/ptmx)
echo fdlink=$(busybox readlink /dev/fd)
if echo x > /proc/sys/kernel/hostname 2>/dev/null; then echo hostname_write=ok; else echo hostname_write=fail; fi
if echo x > /proc/sysrq-trigger 2>/dev/null; then echo sysrq_write=ok; else echo sysrq_write=fail; fi
echo keys_bytes=$(busybox wc -c < /proc/keys)
echo keys_type=$(busybox stat -c %F:%t:%T /proc/keys)
echo timer_list_type=$(busybox stat -c %F:%t:%T /proc/timer_list)
echo acpi_entries=$(busybox ls -A /proc/acpi 2>/dev/null | busybox wc -l)
if busybox touch /sys/x 2>/dev/null; then echo sys_touch=ok; else echo sys_touch=fail; fi
if [ -e )" +
           marker_ + R"( ]; then echo marker=visible; else echo marker=hidden; fi
echo tmp_entries=$(busybox ls -A /tmp | busybox wc -l)
echo bind_read=$(cat /mnt/data/hello)
if busybox touch /mnt/data/new 2>/dev/null; then echo bind_write=ok; else echo bind_write=fail; fi
if busybox touch /dev/shm/x 2>/dev/null; then echo shm_write=ok; else echo shm_write=fail; fi
if busybox touch /x 2>/dev/null; then echo root_write=ok; else echo root_write=fail; fi
echo cgroup_v1_reachable=$(busybox find /sys/fs/cgroup -maxdepth 2 -exec busybox stat -f -c %t {} + 2>/dev/null | busybox grep -c '^27e0eb$')
echo cgroup_entries=$(busybox ls -A /sys/fs/cgroup | busybox wc -l)
echo id=$(busybox id -u):$(busybox id -g)
echo done=yes
)";
  }

  // Checks shared by the root and user-namespace runs.
  void ExpectHardenedView(const RunOutcome& r) {
    ASSERT_TRUE(r.setup_error.empty()) << r.Describe();
    ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.Describe();
    auto v = Values(r.output);
    auto m = Mounts(r.output);
    EXPECT_EQ(v["done"], "yes") << r.Describe();
    EXPECT_EQ(v["pid"], "1") << r.Describe();
    ASSERT_TRUE(m.count("/proc")) << r.Describe();
    EXPECT_EQ(m["/proc"].substr(0, 5), "proc ") << r.Describe();
    ASSERT_TRUE(m.count("/sys")) << r.Describe();
    EXPECT_EQ(m["/sys"].substr(0, 6), "sysfs ") << r.Describe();
    EXPECT_TRUE(HasOpt(m["/sys"], "ro")) << r.Describe();
    ASSERT_TRUE(m.count("/dev")) << r.Describe();
    EXPECT_EQ(m["/dev"].substr(0, 6), "tmpfs ") << r.Describe();
    EXPECT_TRUE(HasOpt(m["/dev"], "nosuid")) << r.Describe();
    ASSERT_TRUE(m.count("/dev/pts")) << r.Describe();
    EXPECT_EQ(m["/dev/pts"].substr(0, 7), "devpts ") << r.Describe();
    EXPECT_TRUE(m.count("/dev/shm")) << r.Describe();
    EXPECT_TRUE(m.count("/dev/mqueue")) << r.Describe();
    EXPECT_TRUE(m.count("/proc/sys") && HasOpt(m["/proc/sys"], "ro")) << r.Describe();
    // busybox stat %t:%T prints hex major:minor.
    EXPECT_EQ(v["dev_null"], "character special file:1:3") << r.Describe();
    EXPECT_EQ(v["dev_zero"], "character special file:1:5") << r.Describe();
    EXPECT_EQ(v["dev_full"], "character special file:1:7") << r.Describe();
    EXPECT_EQ(v["dev_random"], "character special file:1:8") << r.Describe();
    EXPECT_EQ(v["dev_urandom"], "character special file:1:9") << r.Describe();
    EXPECT_EQ(v["dev_tty"], "character special file:5:0") << r.Describe();
    EXPECT_EQ(v["ptmx"], "pts/ptmx") << r.Describe();
    EXPECT_EQ(v["fdlink"], "/proc/self/fd") << r.Describe();
    EXPECT_EQ(v["hostname_write"], "fail") << r.Describe();
    EXPECT_EQ(v["sysrq_write"], "fail") << r.Describe();
    // /proc/kcore does not exist on every kernel (CONFIG_PROC_KCORE; not on
    // this test VM's): /proc/keys and /proc/timer_list always do.
    EXPECT_EQ(v["keys_bytes"], "0") << r.Describe();
    // Masked by an empty file on a private read-only tmpfs.
    EXPECT_EQ(v["keys_type"], "regular empty file:0:0") << r.Describe();
    EXPECT_EQ(v["timer_list_type"], "regular empty file:0:0") << r.Describe();
    EXPECT_EQ(v["sys_touch"], "fail") << r.Describe();
    EXPECT_EQ(v["marker"], "hidden") << r.Describe();
    EXPECT_EQ(v["tmp_entries"], "0") << r.Describe();
    EXPECT_EQ(v["bind_read"], "from-host") << r.Describe();
    EXPECT_EQ(v["bind_write"], "fail") << r.Describe();
    EXPECT_FALSE(fs::exists(base_ / "data" / "new"));
    EXPECT_EQ(v["shm_write"], "ok") << r.Describe();
    // /sys/fs/cgroup is read-only and no cgroup v1 hierarchy is reachable
    // (under a recursive bind of the host's /sys they are listed in
    // /proc/self/mounts, but covered).
    ASSERT_TRUE(m.count("/sys/fs/cgroup")) << r.Describe();
    EXPECT_NE(m["/sys/fs/cgroup"].substr(0, 7), "cgroup ") << r.Describe();
    EXPECT_TRUE(HasOpt(m["/sys/fs/cgroup"], "ro")) << r.Describe();
    EXPECT_EQ(v["cgroup_v1_reachable"], "0") << r.Describe();
  }

  fs::path base_, root_;
  std::string marker_;
  size_t mountinfo_before_ = 0;
  bool mounted_ = false;
};

constexpr int kFlags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

TEST_F(RootfsTest, BuildsHardenedView) {
  REQUIRE_ROOT();
  RootfsPlan plan = DefaultPlan();
  RunOutcome r = RunInContainer(plan, Script(), kFlags, /*userns=*/false);
  ExpectHardenedView(r);
  auto v = Values(r.output);
  auto m = Mounts(r.output);
  EXPECT_EQ(v["root_write"], "ok") << r.Describe();
  EXPECT_EQ(m["/sys/fs/cgroup"].substr(0, 8), "cgroup2 ") << r.Describe();
  EXPECT_TRUE(HasOpt(m["/sys/fs/cgroup"], "ro")) << r.Describe();
  EXPECT_TRUE(m.count("/proc/acpi") == 0 || m["/proc/acpi"].substr(0, 6) == "tmpfs ")
      << r.Describe();
  EXPECT_EQ(v["acpi_entries"], "0") << r.Describe();
  // gid=5 is mapped (we are real root), so devpts carries it.
  EXPECT_TRUE(HasOpt(m["/dev/pts"], "gid=5")) << r.Describe();
}

TEST_F(RootfsTest, ReadonlyRootAndNoCgroupNamespace) {
  REQUIRE_ROOT();
  RootfsPlan plan = DefaultPlan();
  plan.readonly_root = true;
  plan.new_cgroup_ns = false;
  RunOutcome r = RunInContainer(plan, Script(), kFlags & ~CLONE_NEWCGROUP, /*userns=*/false);
  ExpectHardenedView(r);
  auto v = Values(r.output);
  EXPECT_EQ(v["root_write"], "fail") << r.Describe();
  auto m = Mounts(r.output);
  EXPECT_EQ(m["/sys/fs/cgroup"].substr(0, 6), "tmpfs ") << r.Describe();
  EXPECT_EQ(v["cgroup_entries"], "0") << r.Describe();
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

TEST_F(RootfsTest, RefusesSymlinkedProc) {
  REQUIRE_ROOT();
  fs::remove(root_ / "proc");
  fs::create_symlink("/tmp", root_ / "proc");
  RunOutcome r = RunInContainer(DefaultPlan(), "echo should-not-run", kFlags, /*userns=*/false);
  std::cout << "setup error (expected): " << r.setup_error << "\n";
  EXPECT_NE(r.setup_error.find("symlink"), std::string::npos) << r.Describe();
  EXPECT_NE(r.setup_error.find("/proc"), std::string::npos) << r.Describe();
  EXPECT_EQ(r.output.find("should-not-run"), std::string::npos) << r.Describe();
  // Nothing mounted on the host's /tmp nor the rootfs's /tmp, even in the
  // container's own mount namespace.
  std::istringstream mps(r.output);
  std::string mp;
  while (std::getline(mps, mp)) {
    EXPECT_NE(mp, "/tmp") << r.Describe();
    EXPECT_NE(mp, (root_ / "tmp").string()) << r.Describe();
    EXPECT_NE(mp, (root_ / "proc").string()) << r.Describe();
  }
}

TEST_F(RootfsTest, RefusesSymlinkedBindTarget) {
  REQUIRE_ROOT();
  fs::create_symlink("/etc/passwd", root_ / "etc" / "target");
  RootfsPlan plan = DefaultPlan();
  std::ofstream(base_ / "evil") << "evil";
  plan.binds.push_back(BindMount{(base_ / "evil").string(), "/etc/target", false, "bind", {}});
  RunOutcome r = RunInContainer(plan, "echo should-not-run", kFlags, /*userns=*/false);
  std::cout << "setup error (expected): " << r.setup_error << "\n";
  EXPECT_NE(r.setup_error.find("/etc/target is a symlink: refusing to mount over it"),
            std::string::npos)
      << r.Describe();
  EXPECT_NE(r.setup_error.find("bind " + (base_ / "evil").string() + " on /etc/target"),
            std::string::npos)
      << r.Describe();
  std::istringstream mps(r.output);
  std::string mp;
  while (std::getline(mps, mp)) {
    EXPECT_NE(mp, "/etc/passwd") << r.Describe();
    EXPECT_NE(mp, (root_ / "etc" / "passwd").string()) << r.Describe();
    EXPECT_NE(mp, (root_ / "etc" / "target").string()) << r.Describe();
  }
  EXPECT_FALSE(fs::exists(root_ / "etc" / "passwd"));
}

TEST_F(RootfsTest, RefusesSymlinkedMaskTarget) {
  REQUIRE_ROOT();
  // A masked path the container controls (not in /proc), swapped for a
  // symlink: refused rather than masking whatever it points at.
  fs::create_symlink("/bin/busybox", root_ / "etc" / "secret");
  RootfsPlan plan = DefaultPlan();
  plan.masked_paths.push_back("/etc/secret");
  RunOutcome r = RunInContainer(plan, "echo should-not-run", kFlags, /*userns=*/false);
  std::cout << "setup error (expected): " << r.setup_error << "\n";
  EXPECT_NE(r.setup_error.find("mask /etc/secret: /etc/secret is a symlink"), std::string::npos)
      << r.Describe();
}

TEST_F(RootfsTest, ErrorNamesTheBindSource) {
  REQUIRE_ROOT();
  RootfsPlan plan = DefaultPlan();
  plan.binds.push_back(BindMount{"/nonexistent-rampart-source", "/mnt/x", false, "bind", {}});
  RunOutcome r = RunInContainer(plan, "true", kFlags, /*userns=*/false);
  EXPECT_NE(
      r.setup_error.find(
          "bind /nonexistent-rampart-source on /mnt/x: open_tree /nonexistent-rampart-source: "
          "no such file or directory"),
      std::string::npos)
      << r.Describe();
}

// In a user namespace (0 → 100000, 65536 ids): the rootfs is shifted into
// that range; /dev nodes must come from the host (no mknod); sysfs needs a
// netns owned by the userns, otherwise /sys is a read-only rbind of the host's.
class RootfsUsernsTest : public RootfsTest {
 protected:
  void ShiftRootfs() {
    // mkdtemp made the base 0700: the shifted root must be able to reach it.
    fs::permissions(base_, fs::perms(0755));
    ASSERT_EQ(nftw(root_.c_str(), Lchown, 16, FTW_PHYS), 0) << strerror(errno);
  }
};

TEST_F(RootfsUsernsTest, WithoutNetns) {
  REQUIRE_ROOT();
  ShiftRootfs();
  RootfsPlan plan = DefaultPlan();
  plan.user_namespace = true;
  RunOutcome r = RunInContainer(plan, Script(), kFlags, /*userns=*/true);
  std::cout << "---- user namespace, no netns ----" << r.Describe();
  ExpectHardenedView(r);
  auto v = Values(r.output);
  EXPECT_EQ(v["id"], "0:0") << r.Describe();
  EXPECT_EQ(v["root_write"], "ok") << r.Describe();
}

TEST_F(RootfsUsernsTest, WithNetns) {
  REQUIRE_ROOT();
  ShiftRootfs();
  RootfsPlan plan = DefaultPlan();
  plan.user_namespace = true;
  plan.readonly_root = true;
  RunOutcome r = RunInContainer(plan, Script(), kFlags | CLONE_NEWNET, /*userns=*/true);
  std::cout << "---- user namespace + netns ----" << r.Describe();
  ExpectHardenedView(r);
  auto m = Mounts(r.output);
  // With a netns owned by the userns, sysfs itself can be mounted.
  EXPECT_EQ(m["/sys"].substr(0, 6), "sysfs ") << r.Describe();
  EXPECT_EQ(Values(r.output)["root_write"], "fail") << r.Describe();
}

}  // namespace
}  // namespace rampart::runtime
