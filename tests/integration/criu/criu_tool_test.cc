// The CRIU that scripts/install-criu installs (root): FindCriu finds 4.2 or
// newer, `criu check` passes, and a raw dump/restore of a tiny counter
// process works through the wrapper. No network is touched: the counter is a
// shell loop writing to a file.
//
// Without CRIU or root the tests skip with the reason, except under
// RAMPART_TESTS_MUST_RUN=1 (CI), where they fail.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/temp_dir.h"
#include "runtime/criu.h"

namespace rampart::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

bool MustRun() {
  const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");
  return must != nullptr && std::string(must) == "1";
}

// Skips (or fails under RAMPART_TESTS_MUST_RUN=1) with `why`.
#define RAMPART_CRIU_REQUIRE(cond, why)                                                 \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      if (MustRun()) {                                                                  \
        FAIL() << (why) << " and RAMPART_TESTS_MUST_RUN=1 forbids skipping";            \
      }                                                                                 \
      GTEST_SKIP() << (why) << "; set RAMPART_TESTS_MUST_RUN=1 to make this a failure"; \
    }                                                                                   \
  } while (0)

class CriuToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_CRIU_REQUIRE(::geteuid() == 0,
                         "criu tests need root (euid is " + std::to_string(::geteuid()) + ")");
    Result<CriuInfo> found = FindCriu("");
    RAMPART_CRIU_REQUIRE(found.has_value(),
                         "no usable criu (" + (found ? std::string() : found.error().message()) +
                             "); run scripts/install-criu as root to install 4.2.1");
    criu_ = *found;
  }
  CriuInfo criu_;
};

TEST_F(CriuToolTest, FindsRecentCriu) {
  EXPECT_TRUE(criu_.major > 4 || (criu_.major == 4 && criu_.minor >= 2)) << criu_.version_text;
  if (std::getenv("RAMPART_CRIU") == nullptr) {
    EXPECT_EQ(criu_.path, kDefaultCriuPath);
  }
  std::cout << "using criu " << criu_.version_text << " at " << criu_.path << "\n";
}

TEST_F(CriuToolTest, CheckPasses) {
  Status st = CheckCriu(criu_);
  EXPECT_TRUE(st.has_value()) << st.error().message();
}

TEST_F(CriuToolTest, ConfiguredBrokenPathIsReported) {
  Result<CriuInfo> found = FindCriu("/nonexistent/criu");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().message(),
            "criu /nonexistent/criu (configured): no such file or directory");
}

// Owns the counter's process group. The test is a child subreaper while it
// lives, so the counter (our child), its `sleep` children (orphaned when the
// dump kills the shell) and the restored tree (orphaned when `criu restore
// -d` exits) all come back to us: the destructor kills the group and reaps
// every child, whatever the test's outcome.
class CounterGuard {
 public:
  CounterGuard() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
  ~CounterGuard() {
    if (pgid_ > 0) {
      ::kill(-pgid_, SIGKILL);
    }
    ReapAll(milliseconds(5000));
    ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  }
  CounterGuard(const CounterGuard&) = delete;
  CounterGuard& operator=(const CounterGuard&) = delete;

  void set_pgid(pid_t pgid) { pgid_ = pgid; }

  // Reaps children until there are none left or `timeout` runs out.
  static void ReapAll(milliseconds timeout) {
    auto deadline = steady_clock::now() + timeout;
    while (steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(-1, &status, WNOHANG | __WALL);
      if (r < 0 && errno == ECHILD) {
        return;
      }
      if (r <= 0) {
        std::this_thread::sleep_for(milliseconds(10));
      }
    }
  }

 private:
  pid_t pgid_ = -1;
};


// The counter's last value, or -1 while the file is missing or half written.
long ReadCounter(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text) {
    return -1;
  }
  Result<uint64_t> v = ParseUint64(Trim(*text));
  return v ? static_cast<long>(*v) : -1;
}

// Polls until the counter reaches `at_least` or `timeout` runs out; returns
// the last value seen.
long WaitForCounter(const std::string& path, long at_least, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  long v = ReadCounter(path);
  while (v < at_least && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
    v = ReadCounter(path);
  }
  return v;
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

std::string Tail(const std::string& path, size_t max = 1500) {
  Result<std::string> text = ReadFile(path);
  if (!text) {
    return "(" + text.error().message() + ")";
  }
  return text->size() > max ? "..." + text->substr(text->size() - max) : *text;
}

// Starts `sh -c script` as a session leader with stdio on /dev/null and no
// other descriptors (criu would have to dump any it inherited), cwd "/".
pid_t StartSessionLeader(const std::string& script) {
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    return -1;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    if (::chdir("/") != 0) {
      ::_exit(126);
    }
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(devnull);
  return pid;
}

TEST_F(CriuToolTest, DumpAndRestoreKeepCounting) {
  ::rampart::TempDir dir("rampart-criu-it-");
  ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
  const std::string images = dir.path() + "/images";
  const std::string counter = dir.path() + "/counter";
  ASSERT_TRUE(MakeDirs(images, 0700).has_value());

  CounterGuard guard;
  // Written to a temp file and renamed: the dump may kill the loop between
  // a truncate and a write, and the file must never be seen empty.
  pid_t pid = StartSessionLeader("i=0; while :; do i=$((i+1)); echo $i > " + counter + ".tmp && mv " + counter +
                                 ".tmp " + counter + "; sleep 0.05; done");
  ASSERT_GT(pid, 0) << "fork failed";
  guard.set_pgid(pid);

  long before = WaitForCounter(counter, 10, milliseconds(10000));
  ASSERT_GE(before, 10) << "the counter did not start";

  Result<CommandOutput> dump = RunCommand(
      {criu_.path, "dump", "-t", std::to_string(pid), "-D", images, "-o", "dump.log", "-v4"}, {},
      std::chrono::seconds(120));
  ASSERT_TRUE(dump.has_value()) << dump.error().message();
  ASSERT_FALSE(dump->timed_out) << "criu dump timed out\n" << Tail(images + "/dump.log");
  ASSERT_EQ(ExitCodeFromWaitStatus(dump->status), 0) << "criu dump failed: " << dump->err << "\n"
                                                     << Tail(images + "/dump.log");

  // The dump killed the tree: reap it so its pids are free for the restore
  // ("Can't fork for PID: File exists" otherwise).
  CounterGuard::ReapAll(milliseconds(5000));
  ASSERT_FALSE(Alive(pid)) << "the dumped process is still there";
  long at_dump = ReadCounter(counter);
  ASSERT_GE(at_dump, before);
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_EQ(ReadCounter(counter), at_dump) << "the counter kept going after the dump";

  const std::string pidfile = dir.path() + "/restored.pid";
  Result<CommandOutput> restore = RunCommand(
      {criu_.path, "restore", "-D", images, "-d", "-o", "restore.log", "-v4", "--pidfile", pidfile},
      {}, std::chrono::seconds(120));
  ASSERT_TRUE(restore.has_value()) << restore.error().message();
  ASSERT_FALSE(restore->timed_out) << "criu restore timed out\n" << Tail(images + "/restore.log");
  ASSERT_EQ(ExitCodeFromWaitStatus(restore->status), 0)
      << "criu restore failed: " << restore->err << "\n"
      << Tail(images + "/restore.log");

  Result<std::string> restored_text = ReadFile(pidfile);
  ASSERT_TRUE(restored_text.has_value()) << restored_text.error().message();
  Result<uint64_t> restored = ParseUint64(Trim(*restored_text));
  ASSERT_TRUE(restored.has_value()) << "pidfile: " << *restored_text;
  EXPECT_EQ(static_cast<pid_t>(*restored), pid) << "criu restores the original pid";
  EXPECT_TRUE(Alive(pid));

  // It continues from the dumped value, not from 1: no value sampled from
  // now on is below the dump's, and it climbs well past it.
  long lowest = -1;
  long last = -1;
  auto deadline = steady_clock::now() + milliseconds(10000);
  while (last < at_dump + 20 && steady_clock::now() < deadline) {
    long v = ReadCounter(counter);
    if (v >= 0) {
      lowest = lowest < 0 ? v : std::min(lowest, v);
      last = v;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::cout << "counter: " << before << " before the dump, " << at_dump << " at the dump, "
            << lowest << " lowest and " << last << " last after the restore\n";
  EXPECT_GE(lowest, at_dump) << "the restored counter started over (dumped at " << at_dump
                             << ", saw " << lowest << ")";
  EXPECT_GE(last, at_dump + 20) << "the restored counter is not counting (dumped at " << at_dump
                                << ", now " << last << ")";
}

}  // namespace
}  // namespace rampart::runtime
