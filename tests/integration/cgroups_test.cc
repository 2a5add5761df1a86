// Integration tests for runtime/cgroups: real cgroups on this host.
//
// Every test uses its own parent directory ("rampart-test-PID") and
// container names, so parallel ctest runs never share a cgroup; each test
// destroys what it made in destructors, even when an assertion fails.
//
// Needs root; skipped otherwise unless RAMPART_TESTS_MUST_RUN=1 (then fails).

#include "runtime/cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace rampart::runtime {
namespace {

using std::chrono::milliseconds;

bool MustRun() {
  const char* v = getenv("RAMPART_TESTS_MUST_RUN");
  return v != nullptr && std::string(v) == "1";
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Kills and reaps a forked child unless it was reaped already.
class ScopedChild {
 public:
  explicit ScopedChild(pid_t pid) : pid_(pid) {}
  ScopedChild(const ScopedChild&) = delete;
  ScopedChild& operator=(const ScopedChild&) = delete;
  ~ScopedChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Waits (bounded) for the child to end; returns its wait status.
  std::optional<int> Wait(milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return status;
      }
      if (r < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

 private:
  pid_t pid_;
};

// Destroys the cgroup at scope exit and reports (not hides) a failure.
class CgroupGuard {
 public:
  CgroupGuard() = default;
  CgroupGuard(const CgroupGuard&) = delete;
  CgroupGuard& operator=(const CgroupGuard&) = delete;
  ~CgroupGuard() {
    if (cg) {
      Status s = cg->Destroy();
      if (!s) ADD_FAILURE() << "cleanup: " << s.error().message();
    }
  }
  std::optional<Cgroup> cg;
};

// A pipe the child blocks on until the parent has put it into the cgroup.
struct Gate {
  int fds[2] = {-1, -1};
  Gate() {
    if (::pipe2(fds, O_CLOEXEC) != 0) fds[0] = fds[1] = -1;
  }
  ~Gate() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void WaitInChild() {
    ::close(fds[1]);
    char c;
    while (::read(fds[0], &c, 1) < 0 && errno == EINTR) {
    }
  }
  void Open() {
    ::close(fds[1]);
    fds[1] = -1;
  }
};

class CgroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      if (MustRun()) FAIL() << "cgroup tests need root (RAMPART_TESTS_MUST_RUN=1)";
      GTEST_SKIP() << "cgroup tests need root";
    }
    parent_ = "rampart-test-" + std::to_string(getpid());
    auto m = CgroupManager::Detect(parent_);
    ASSERT_TRUE(m) << m.error().message();
    manager_.emplace(std::move(m).value());
    for (const char* c : {"memory", "pids", "freezer"}) {
      if (!manager_->HasController(c)) {
        if (MustRun()) FAIL() << "the " << c << " controller is not available";
        GTEST_SKIP() << "the " << c << " controller is not available";
      }
    }
  }

  void TearDown() override {
    if (!manager_) return;
    // The per-run parent directories: every test removed its container
    // cgroups, so they must be empty now.
    for (const CgroupHierarchy& h : manager_->hierarchies()) {
      std::string dir = h.own_dir + "/" + parent_;
      if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
        ADD_FAILURE() << "rmdir " << dir << ": " << strerror(errno);
    }
  }

  std::string Name(const std::string& what) const { return what + "-" + std::to_string(getpid()); }

  const CgroupManager& m() const { return *manager_; }

  // The paths (from PathsFor) that lie in the v2 tree.
  std::vector<std::string> V2Only(const std::vector<std::string>& paths) const {
    std::vector<std::string> out;
    for (const auto& p : paths)
      for (const auto& h : m().hierarchies())
        if (h.v2 && p.starts_with(h.mount_point + "/")) out.push_back(p);
    return out;
  }

  std::string parent_;
  std::optional<CgroupManager> manager_;
};

TEST_F(CgroupsTest, PathsLieBelowOurOwnCgroup) {
  auto paths = m().PathsFor("x");
  ASSERT_TRUE(paths);
  for (size_t i = 0; i < paths->size(); ++i)
    EXPECT_EQ((*paths)[i], m().hierarchies()[i].own_dir + "/" + parent_ + "/x");
  std::string self = Slurp("/proc/self/cgroup");
  for (const CgroupHierarchy& h : m().hierarchies()) {
    // own_dir is mount point + our path from /proc/self/cgroup.
    std::string rel = h.own_dir.substr(h.mount_point.size());
    if (!rel.empty()) {
      EXPECT_NE(self.find(":" + rel + "\n"), std::string::npos) << rel << " not in\n" << self;
    }
  }
}

TEST_F(CgroupsTest, PidsLimitIsEnforced) {
  CgroupLimits limits;
  limits.memory_bytes = 64ull << 20;
  limits.pids_max = 16;
  CgroupGuard guard;
  auto created = m().Create(Name("pids"), limits);
  ASSERT_TRUE(created) << created.error().message();
  guard.cg.emplace(*created);
  const Cgroup& cg = *guard.cg;
  for (const std::string& p : cg.Paths()) EXPECT_TRUE(Exists(p)) << p;

  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  Gate gate;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gate.WaitInChild();
    int ok = 0, eagain = 0, other = 0;
    for (int i = 0; i < 64; ++i) {
      pid_t c = ::fork();
      if (c == 0) {
        for (;;) ::pause();
      }
      if (c > 0)
        ++ok;
      else if (errno == EAGAIN)
        ++eagain;
      else
        ++other;
    }
    std::string msg =
        std::to_string(ok) + " " + std::to_string(eagain) + " " + std::to_string(other) + "\n";
    (void)!::write(report[1], msg.data(), msg.size());
    for (;;) ::pause();
  }
  ScopedChild child(pid);
  ::close(report[1]);
  Status added = cg.AddProcess(pid);
  gate.Open();
  ASSERT_TRUE(added) << added.error().message();

  char buf[64] = {};
  ssize_t n = ::read(report[0], buf, sizeof(buf) - 1);
  ::close(report[0]);
  ASSERT_GT(n, 0);
  int ok = -1, eagain = -1, other = -1;
  ASSERT_EQ(sscanf(buf, "%d %d %d", &ok, &eagain, &other), 3) << buf;
  printf("pids.max 16: %d forks succeeded, %d failed with EAGAIN, %d otherwise\n", ok, eagain,
         other);
  EXPECT_GT(eagain, 0);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(ok, 15);  // the child itself is the 16th

  auto pids = cg.Pids();
  ASSERT_TRUE(pids) << pids.error().message();
  EXPECT_EQ(pids->size(), 16u);
  auto stats = cg.ReadStats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->pids_current, 16u);
  EXPECT_GT(stats->memory_current, 0u);

  Status killed = cg.KillAll();
  ASSERT_TRUE(killed) << killed.error().message();
  auto status = child.Wait(milliseconds(5000));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << *status;
  auto after = cg.Pids();
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
}

TEST_F(CgroupsTest, MemoryLimitOomKills) {
  CgroupLimits limits;
  limits.memory_bytes = 64ull << 20;
  limits.pids_max = 16;
  CgroupGuard guard;
  auto created = m().Create(Name("oom"), limits);
  ASSERT_TRUE(created) << created.error().message();
  guard.cg.emplace(*created);

  Gate gate;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gate.WaitInChild();
    const size_t size = 200u << 20;
    char* p = static_cast<char*>(
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) ::_exit(2);
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    ::_exit(0);
  }
  ScopedChild child(pid);
  Status added = guard.cg->AddProcess(pid);
  gate.Open();
  ASSERT_TRUE(added) << added.error().message();
  auto status = child.Wait(milliseconds(30000));
  ASSERT_TRUE(status) << "the child touching 200 MiB did not end";
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
      << "wait status " << *status << " (exited "
      << (WIFEXITED(*status) ? WEXITSTATUS(*status) : -1) << ")";
  for (const std::string& p : guard.cg->Paths()) {
    if (Exists(p + "/memory.oom_control"))
      printf("%s/memory.oom_control:\n%s\n", p.c_str(), Slurp(p + "/memory.oom_control").c_str());
    if (Exists(p + "/memory.memsw.limit_in_bytes")) {
      EXPECT_EQ(Slurp(p + "/memory.memsw.limit_in_bytes"), std::to_string(64ull << 20));
    }
  }
}

TEST_F(CgroupsTest, FreezeStopsAndThawResumes) {
  CgroupGuard guard;
  auto created = m().Create(Name("freeze"), {});
  ASSERT_TRUE(created) << created.error().message();
  guard.cg.emplace(*created);
  const Cgroup& cg = *guard.cg;

  void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* counter = new (shared) std::atomic<uint64_t>(0);
  struct Unmap {
    void* p;
    ~Unmap() { ::munmap(p, 4096); }
  } unmap{shared};

  Gate gate;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gate.WaitInChild();
    for (;;) counter->fetch_add(1, std::memory_order_relaxed);
  }
  ScopedChild child(pid);
  Status added = cg.AddProcess(pid);
  gate.Open();
  ASSERT_TRUE(added) << added.error().message();

  auto advances = [&](milliseconds within) {
    uint64_t start = counter->load();
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (counter->load() != start) return true;
      std::this_thread::sleep_for(milliseconds(1));
    }
    return false;
  };
  ASSERT_TRUE(advances(milliseconds(2000))) << "the child never ran";

  auto frozen = cg.Frozen();
  ASSERT_TRUE(frozen) << frozen.error().message();
  EXPECT_FALSE(*frozen);
  Status f = cg.Freeze();
  ASSERT_TRUE(f) << f.error().message();
  frozen = cg.Frozen();
  ASSERT_TRUE(frozen) << frozen.error().message();
  EXPECT_TRUE(*frozen);
  bool v1_freezer = false;
  for (const std::string& p : cg.Paths()) {
    if (Exists(p + "/freezer.state")) {
      v1_freezer = true;
      EXPECT_EQ(Slurp(p + "/freezer.state"), "FROZEN");
    }
  }
  if (!v1_freezer) {
    for (const std::string& p : cg.Paths())
      if (Exists(p + "/cgroup.events")) {
        EXPECT_NE(Slurp(p + "/cgroup.events").find("frozen 1"), std::string::npos);
      }
  }
  EXPECT_FALSE(advances(milliseconds(300))) << "a frozen process advanced the counter";

  Status t = cg.Thaw();
  ASSERT_TRUE(t) << t.error().message();
  frozen = cg.Frozen();
  ASSERT_TRUE(frozen);
  EXPECT_FALSE(*frozen);
  EXPECT_TRUE(advances(milliseconds(2000))) << "the thawed process did not resume";

  // KillAll works on a frozen cgroup too.
  ASSERT_TRUE(cg.Freeze());
  Status killed = cg.KillAll();
  ASSERT_TRUE(killed) << killed.error().message();
  auto status = child.Wait(milliseconds(5000));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

TEST_F(CgroupsTest, DestroyRemovesEveryDirectoryAndTheNameCanBeReused) {
  const std::string name = Name("destroy");
  CgroupLimits limits;
  limits.pids_max = 8;
  limits.cpu_weight = 50;
  limits.cpus = 0.5;
  auto created = m().Create(name, limits);
  ASSERT_TRUE(created) << created.error().message();
  CgroupGuard guard;
  guard.cg.emplace(*created);
  std::vector<std::string> paths = guard.cg->Paths();
  ASSERT_FALSE(paths.empty());
  auto expected = m().PathsFor(name);
  ASSERT_TRUE(expected);
  EXPECT_EQ(paths, *expected);
  for (const std::string& p : paths) {
    if (Exists(p + "/cpu.shares")) {
      EXPECT_EQ(Slurp(p + "/cpu.shares"), "512");
    }
    if (Exists(p + "/cpu.cfs_quota_us")) {
      EXPECT_EQ(Slurp(p + "/cpu.cfs_quota_us"), "50000");
    }
    if (Exists(p + "/cpu.cfs_period_us")) {
      EXPECT_EQ(Slurp(p + "/cpu.cfs_period_us"), "100000");
    }
    if (Exists(p + "/cpu.max")) {
      EXPECT_EQ(Slurp(p + "/cpu.max"), "50000 100000");
    }
  }

  // A process inside, moved into a nested cgroup of the pids hierarchy (as
  // a container managing its own cgroups would).
  Gate gate;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gate.WaitInChild();
    for (;;) ::pause();
  }
  ScopedChild child(pid);
  Status added = guard.cg->AddProcess(pid);
  gate.Open();
  ASSERT_TRUE(added) << added.error().message();
  std::string nested;
  for (const std::string& p : paths)
    if (Exists(p + "/pids.max")) nested = p + "/nested";
  ASSERT_FALSE(nested.empty());
  ASSERT_EQ(::mkdir(nested.c_str(), 0755), 0) << strerror(errno);
  {
    std::ofstream procs(nested + "/cgroup.procs");
    procs << pid << "\n";
  }
  EXPECT_EQ(Slurp(nested + "/cgroup.procs"), std::to_string(pid));

  auto listed = m().List();
  ASSERT_TRUE(listed) << listed.error().message();
  EXPECT_EQ(*listed, std::vector<std::string>{name});
  auto opened = m().Open(name);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->Paths(), paths);

  Status destroyed = opened->Destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  for (const std::string& p : paths) EXPECT_FALSE(Exists(p)) << p << " still exists";
  auto status = child.Wait(milliseconds(5000));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
  Status again = guard.cg->Destroy();  // idempotent
  EXPECT_TRUE(again) << again.error().message();
  auto missing = m().Open(name);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);

  // The same name again, with its default limits (nothing stale).
  auto recreated = m().Create(name, {});
  ASSERT_TRUE(recreated) << recreated.error().message();
  guard.cg.emplace(*recreated);
  for (const std::string& p : recreated->Paths())
    if (Exists(p + "/pids.max")) {
      EXPECT_EQ(Slurp(p + "/pids.max"), "max");
    }
  Status d2 = guard.cg->Destroy();
  ASSERT_TRUE(d2) << d2.error().message();
  for (const std::string& p : paths) EXPECT_FALSE(Exists(p)) << p;
}

TEST_F(CgroupsTest, LeftoverEmptyDirectoryIsReused) {
  const std::string name = Name("leftover");
  auto paths = m().PathsFor(name);
  ASSERT_TRUE(paths);
  CgroupGuard guard;
  // A crashed run's leftovers: the directories, a stale limit and a nested
  // empty cgroup.
  for (const std::string& p : *paths) {
    std::string parent = p.substr(0, p.rfind('/'));
    ASSERT_TRUE(::mkdir(parent.c_str(), 0755) == 0 || errno == EEXIST)
        << parent << ": " << strerror(errno);
    ASSERT_EQ(::mkdir(p.c_str(), 0755), 0) << p << ": " << strerror(errno);
    if (Exists(p + "/pids.max")) {
      std::ofstream(p + "/pids.max") << "5\n";
      ASSERT_EQ(Slurp(p + "/pids.max"), "5");
      ASSERT_EQ(::mkdir((p + "/sub").c_str(), 0755), 0);
    }
  }
  auto created = m().Create(name, {});
  ASSERT_TRUE(created) << created.error().message();
  guard.cg.emplace(*created);
  // Without limits a hybrid host uses the v2 tree alone: the v1 leftovers
  // are removed, not reused.
  const std::vector<std::string> used =
      m().mode() == CgroupMode::kHybrid ? V2Only(*paths) : *paths;
  EXPECT_EQ(created->Paths(), used);
  for (const std::string& p : *paths) {
    const bool in_use = std::find(used.begin(), used.end(), p) != used.end();
    EXPECT_EQ(Exists(p), in_use) << p << (in_use ? " missing" : ": leftover survived");
    if (Exists(p + "/pids.max")) {
      EXPECT_EQ(Slurp(p + "/pids.max"), "max") << "stale limit survived";
    }
    EXPECT_FALSE(Exists(p + "/sub"));
  }
}

TEST_F(CgroupsTest, LeftoverWithProcessesIsAnError) {
  const std::string name = Name("busy");
  auto first = m().Create(name, {});
  ASSERT_TRUE(first) << first.error().message();
  CgroupGuard guard;
  guard.cg.emplace(*first);
  Gate gate;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gate.WaitInChild();
    for (;;) ::pause();
  }
  ScopedChild child(pid);
  Status added = guard.cg->AddProcess(pid);
  gate.Open();
  ASSERT_TRUE(added) << added.error().message();

  auto second = m().Create(name, {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), ErrorKind::kExists);
  EXPECT_NE(second.error().message().find(first->Paths()[0]), std::string::npos)
      << second.error().message();
  EXPECT_NE(second.error().message().find(std::to_string(pid)), std::string::npos)
      << second.error().message();
  // The failed Create left the live cgroup alone.
  for (const std::string& p : first->Paths()) EXPECT_TRUE(Exists(p)) << p;
  auto pids = guard.cg->Pids();
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{pid});
}

// CLONE_INTO_CGROUP is possible when the container lives in the v2 tree
// alone: always on v2, on hybrid hosts when no v1 limit is asked for.
TEST_F(CgroupsTest, OpenV2DirMatchesTheMode) {
  auto created = m().Create(Name("v2dir"), {});
  ASSERT_TRUE(created) << created.error().message();
  CgroupGuard guard;
  guard.cg.emplace(*created);
  auto fd = guard.cg->OpenV2Dir();
  if (m().mode() != CgroupMode::kV1) {
    ASSERT_TRUE(fd) << fd.error().message();
    EXPECT_TRUE(fd->valid());
    EXPECT_EQ(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  } else {
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().kind(), ErrorKind::kUnsupported);
  }
  if (m().mode() != CgroupMode::kHybrid) return;
  auto paths = m().PathsFor(Name("v2dir"));
  ASSERT_TRUE(paths);
  EXPECT_EQ(created->Paths(), V2Only(*paths)) << "no limits: the v2 tree alone";
  // A v1 limit needs the v1 hierarchies: then the v2 fd is refused.
  CgroupLimits limits;
  limits.pids_max = 10;
  auto limited = m().Create(Name("v1dirs"), limits);
  ASSERT_TRUE(limited) << limited.error().message();
  CgroupGuard guard2;
  guard2.cg.emplace(*limited);
  auto lpaths = m().PathsFor(Name("v1dirs"));
  ASSERT_TRUE(lpaths);
  EXPECT_EQ(limited->Paths(), *lpaths);
  auto lfd = guard2.cg->OpenV2Dir();
  ASSERT_FALSE(lfd);
  EXPECT_EQ(lfd.error().kind(), ErrorKind::kUnsupported);
}

TEST_F(CgroupsTest, KillAllOnAnEmptyCgroupIsANoOp) {
  // Never put the test process itself into a container cgroup; instead check
  // that an empty cgroup is a no-op and a second KillAll stays harmless.
  auto created = m().Create(Name("empty"), {});
  ASSERT_TRUE(created) << created.error().message();
  CgroupGuard guard;
  guard.cg.emplace(*created);
  EXPECT_TRUE(guard.cg->KillAll());
  EXPECT_TRUE(guard.cg->KillAll(SIGTERM));
  auto stats = guard.cg->ReadStats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->pids_current, 0u);
}

// The freeze / kill / thaw loop KillAll falls back on without cgroup.kill:
// the host's real layout with the cgroup2 lines dropped (so mode kV1 and no
// v2 directory), against a process that keeps forking.
TEST_F(CgroupsTest, KillAllWithoutCgroupKillStopsAForkingProcess) {
  std::string mountinfo, self;
  for (const std::string& path :
       {std::string("/proc/self/mountinfo"), std::string("/proc/self/cgroup")}) {
    std::ifstream in(path);
    std::string line, kept;
    while (std::getline(in, line)) {
      if (line.find(" - cgroup2 ") != std::string::npos || line.rfind("0::", 0) == 0) continue;
      kept += line + "\n";
    }
    (path == "/proc/self/mountinfo" ? mountinfo : self) = kept;
  }
  auto v1 = CgroupManager::FromText(mountinfo, self, parent_);
  ASSERT_TRUE(v1) << v1.error().message();
  ASSERT_EQ(v1->mode(), CgroupMode::kV1);
  CgroupLimits limits;
  limits.pids_max = 64;
  auto created = v1->Create(Name("forker"), limits);
  ASSERT_TRUE(created) << created.error().message();
  CgroupGuard guard;
  guard.cg.emplace(*created);
  for (const std::string& p : created->Paths())
    EXPECT_EQ(p.find("/unified/"), std::string::npos) << p;

  Gate gate;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gate.WaitInChild();
    // Every process forks forever; the pids limit keeps it bounded.
    for (;;) {
      if (::fork() < 0) ::usleep(1000);
    }
  }
  ScopedChild child(pid);
  Status added = guard.cg->AddProcess(pid);
  gate.Open();
  ASSERT_TRUE(added) << added.error().message();
  std::this_thread::sleep_for(milliseconds(100));
  auto before = guard.cg->Pids();
  ASSERT_TRUE(before);
  printf("forking cgroup holds %zu processes before KillAll\n", before->size());
  EXPECT_GT(before->size(), 1u);

  auto start = std::chrono::steady_clock::now();
  Status killed = guard.cg->KillAll();
  ASSERT_TRUE(killed) << killed.error().message();
  printf("KillAll took %lld ms\n",
         static_cast<long long>(
             std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start)
                 .count()));
  auto after = guard.cg->Pids();
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
  auto status = child.Wait(milliseconds(5000));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
  Status destroyed = guard.cg->Destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  for (const std::string& p : created->Paths()) EXPECT_FALSE(Exists(p)) << p;
}

}  // namespace
}  // namespace rampart::runtime
