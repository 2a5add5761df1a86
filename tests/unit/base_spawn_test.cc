#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/spawn.h"
#include "base/unique_fd.h"

namespace rampart {
namespace {

int RunToExitCode(std::vector<std::string> argv) {
  SpawnOptions options;
  options.argv = std::move(argv);
  Result<ScopedChild> child = Spawn(options);
  if (!child.has_value()) {
    ADD_FAILURE() << child.error().message();
    return -1000;
  }
  Result<int> status = child->Wait();
  if (!status.has_value()) {
    ADD_FAILURE() << status.error().message();
    return -1000;
  }
  return ExitCodeFromWaitStatus(*status);
}

bool ProcessExists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

TEST(BaseSpawnTest, TrueAndFalseExitCodes) {
  EXPECT_EQ(RunToExitCode({"/bin/true"}), 0);
  EXPECT_EQ(RunToExitCode({"/bin/false"}), 1);
  EXPECT_EQ(RunToExitCode({"true"}), 0);  // PATH lookup
  EXPECT_EQ(RunToExitCode({"/bin/sh", "-c", "exit 42"}), 42);
}

TEST(BaseSpawnTest, MissingCommandIsAnErrorWithEnoent) {
  SpawnOptions options;
  options.argv = {"rampart-no-such-command-x7"};
  Result<ScopedChild> child = Spawn(options);
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().kind(), ErrorKind::kSystem);
  EXPECT_EQ(child.error().err(), ENOENT);
  EXPECT_EQ(child.error().message(), "exec rampart-no-such-command-x7: no such file or directory");

  options.argv = {"/nonexistent/dir/cmd"};
  child = Spawn(options);
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().err(), ENOENT);
}

TEST(BaseSpawnTest, NonExecutableFileIsEacces) {
  char dir[] = "/tmp/rampart-spawn-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/script";
  {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd.valid());
  }
  SpawnOptions options;
  options.argv = {path};
  Result<ScopedChild> child = Spawn(options);
  ::unlink(path.c_str());
  ::rmdir(dir);
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().err(), EACCES);
  EXPECT_EQ(child.error().message(), "exec " + path + ": permission denied");
}

TEST(BaseSpawnTest, EmptyArgvIsInvalid) {
  Result<ScopedChild> child = Spawn(SpawnOptions{});
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().kind(), ErrorKind::kInvalid);
  Result<CommandOutput> run = RunCommand({});
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().kind(), ErrorKind::kInvalid);
}

TEST(BaseSpawnTest, SignalGives128PlusSignal) {
  SpawnOptions options;
  options.argv = {"sleep", "100"};
  Result<ScopedChild> child = Spawn(options);
  ASSERT_TRUE(child.has_value()) << child.error().message();
  ASSERT_TRUE(child->Kill(SIGTERM).has_value());
  Result<int> status = child->Wait();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(ExitCodeFromWaitStatus(*status), 128 + SIGTERM);

  EXPECT_EQ(RunToExitCode({"/bin/sh", "-c", "kill -KILL $$"}), 128 + SIGKILL);
}

TEST(BaseSpawnTest, WaitTwiceAndKillAfterReap) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "exit 3"};
  Result<ScopedChild> child = Spawn(options);
  ASSERT_TRUE(child.has_value());
  pid_t pid = child->pid();
  Result<int> first = child->Wait();
  Result<int> second = child->Wait();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(ExitCodeFromWaitStatus(*first), 3);
  EXPECT_EQ(child->pid(), pid);
  Status killed = child->Kill(SIGTERM);
  ASSERT_FALSE(killed.has_value());
  EXPECT_EQ(killed.error().err(), ESRCH);
}

TEST(BaseSpawnTest, DestructorKillsAndReaps) {
  pid_t pid;
  {
    SpawnOptions options;
    options.argv = {"sleep", "100"};
    Result<ScopedChild> child = Spawn(options);
    ASSERT_TRUE(child.has_value()) << child.error().message();
    pid = child->pid();
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  // Killed and reaped: not even a zombie remains.
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(BaseSpawnTest, MoveAssignmentKillsThePreviousChild) {
  SpawnOptions options;
  options.argv = {"sleep", "100"};
  Result<ScopedChild> a = Spawn(options);
  Result<ScopedChild> b = Spawn(options);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  pid_t old_pid = a->pid();
  pid_t kept_pid = b->pid();
  *a = std::move(*b);
  EXPECT_FALSE(ProcessExists(old_pid));
  EXPECT_EQ(a->pid(), kept_pid);
  EXPECT_EQ(b->pid(), -1);
  EXPECT_TRUE(ProcessExists(kept_pid));
}

TEST(BaseSpawnTest, ReleaseLeavesTheChildRunning) {
  SpawnOptions options;
  options.argv = {"sleep", "100"};
  pid_t pid;
  {
    Result<ScopedChild> child = Spawn(options);
    ASSERT_TRUE(child.has_value());
    pid = child->Release();
    EXPECT_EQ(child->pid(), -1);
  }
  EXPECT_EQ(::kill(pid, 0), 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(ExitCodeFromWaitStatus(status), 128 + SIGKILL);
}

TEST(BaseSpawnTest, EnvironmentAndStdioRedirection) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "echo \"$GREETING\"; echo err >&2; echo \"${HOME-unset}\""};
  options.env = std::vector<std::string>{"GREETING=hello there"};
  options.stdout_fd = write_end.get();
  options.stderr_fd = write_end.get();  // one fd may serve two slots
  Result<ScopedChild> child = Spawn(options);
  ASSERT_TRUE(child.has_value()) << child.error().message();
  write_end.reset();
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(read_end.get(), buf, sizeof(buf))) > 0)
    out.append(buf, static_cast<size_t>(n));
  ASSERT_TRUE(child->Wait().has_value());
  EXPECT_EQ(out, "hello there\nerr\nunset\n");
}

TEST(BaseSpawnTest, StdioSourceThatIsAnotherSlotIsNotClobbered) {
  // stderr_fd = 1 means "our stdout"; a naive dup2 sequence would install the
  // pipe as fd 1 first and then copy it to fd 2 as well.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "echo out; echo '(expected test noise on stdout)' >&2"};
  options.stdout_fd = write_end.get();
  options.stderr_fd = 1;
  Result<ScopedChild> child = Spawn(options);
  ASSERT_TRUE(child.has_value()) << child.error().message();
  write_end.reset();
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(read_end.get(), buf, sizeof(buf))) > 0)
    out.append(buf, static_cast<size_t>(n));
  ASSERT_TRUE(child->Wait().has_value());
  EXPECT_EQ(out, "out\n");
}

TEST(BaseSpawnTest, ChildDoesNotInheritIgnoredSigpipe) {
  // Even if we ignore SIGPIPE, the child starts with the default action.
  struct sigaction ign = {}, old = {};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ign, &old), 0);
  Result<CommandOutput> run =
      RunCommand({"/bin/sh", "-c", "grep -q SigIgn /proc/self/status && cat /proc/self/status"});
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(run.has_value()) << run.error().message();
  size_t at = run->out.find("SigIgn:");
  ASSERT_NE(at, std::string::npos) << run->out;
  std::string ignored = run->out.substr(at + 7, run->out.find('\n', at) - at - 7);
  unsigned long long mask = std::strtoull(ignored.c_str(), nullptr, 16);
  EXPECT_EQ(mask & (1ULL << (SIGPIPE - 1)), 0u) << ignored;
}

std::string Pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    seed = seed * 1103515245u + 12345u;
    s[i] = static_cast<char>(seed >> 16);
  }
  return s;
}

TEST(BaseSpawnTest, RunCommandCapturesLargeStdoutAndStderr) {
  // A writer that fills stderr while nobody would read it in a naive
  // read-stdout-then-stderr loop.
  Result<CommandOutput> run = RunCommand(
      {"/bin/sh", "-c", "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero | tr '\\0' x >&2"});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(ExitCodeFromWaitStatus(run->status), 0);
  EXPECT_EQ(run->out, std::string(3000000, '\0'));
  EXPECT_EQ(run->err, std::string(2000000, 'x'));
}

TEST(BaseSpawnTest, RunCommandFeedsLargeStdinWhileReading) {
  // tee copies stdin to stdout and stderr at once: all three pipes are busy.
  const std::string input = Pattern(3 << 20, 7);
  Result<CommandOutput> run = RunCommand({"tee", "/dev/stderr"}, input);
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(ExitCodeFromWaitStatus(run->status), 0);
  EXPECT_TRUE(run->out == input) << "stdout size " << run->out.size();
  EXPECT_TRUE(run->err == input) << "stderr size " << run->err.size();
}

TEST(BaseSpawnTest, RunCommandChildIgnoringStdinDoesNotKillUs) {
  // true exits without reading 8 MiB of input: we get EPIPE, not SIGPIPE.
  Result<CommandOutput> run = RunCommand({"/bin/true"}, std::string(8 << 20, 'a'));
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(ExitCodeFromWaitStatus(run->status), 0);
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "a SIGPIPE was left pending";
}

TEST(BaseSpawnTest, RunCommandWithoutInputSeesEof) {
  Result<CommandOutput> run = RunCommand({"cat"});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(run->out, "");
  EXPECT_EQ(ExitCodeFromWaitStatus(run->status), 0);

  run = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 5"});
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->out, "out\n");
  EXPECT_EQ(run->err, "err\n");
  EXPECT_EQ(ExitCodeFromWaitStatus(run->status), 5);
}

TEST(BaseSpawnTest, RunCommandMissingCommand) {
  Result<CommandOutput> run = RunCommand({"rampart-no-such-command-x7"});
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().err(), ENOENT);
}

TEST(BaseSpawnTest, ExitCodeFromWaitStatus) {
  EXPECT_EQ(ExitCodeFromWaitStatus(0), 0);
  EXPECT_EQ(ExitCodeFromWaitStatus(42 << 8), 42);
  EXPECT_EQ(ExitCodeFromWaitStatus(SIGKILL), 128 + SIGKILL);
  EXPECT_EQ(ExitCodeFromWaitStatus(SIGSEGV | 0x80), 128 + SIGSEGV);  // with core dump bit
  EXPECT_EQ(ExitCodeFromWaitStatus((SIGSTOP << 8) | 0x7f), -1);      // stopped
}

}  // namespace
}  // namespace rampart

namespace rampart {
namespace {

TEST(BaseSpawnTimeoutTest, RunCommandKillsAChildThatOutlivesItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({"/bin/sh", "-c", "echo started; exec sleep 30"}, {}, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(ExitCodeFromWaitStatus(r->status), 128 + SIGKILL);
  EXPECT_EQ(r->out, "started\n") << "output before the timeout is kept";
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(BaseSpawnTimeoutTest, RunCommandWithinItsTimeoutIsUntouched) {
  auto r = RunCommand({"/bin/sh", "-c", "echo fine; exit 3"}, {}, std::chrono::seconds(30));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(ExitCodeFromWaitStatus(r->status), 3);
  EXPECT_EQ(r->out, "fine\n");
}

}  // namespace
}  // namespace rampart
