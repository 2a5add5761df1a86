#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "base/file_lock.h"

namespace rampart {
namespace {

class BaseFileLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-lock-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/state.lock";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
  std::string path_;
};

// Runs `body` in a forked child (a separate process, so separate flock
// ownership) and returns its exit code. The child never returns into gtest.
int InChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) ::_exit(body());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Child exit codes for a non-waiting acquire.
constexpr int kAcquired = 0;
constexpr int kHeldElsewhere = 10;
constexpr int kOtherError = 20;

int TryAcquire(const std::string& path, bool exclusive) {
  Result<FileLock> lock = FileLock::Acquire(path, exclusive, /*wait=*/false);
  if (lock.has_value()) return kAcquired;
  const Error& e = lock.error();
  if (e.kind() == ErrorKind::kSystem && e.err() == EWOULDBLOCK &&
      e.message() == "lock " + path + ": held by another process")
    return kHeldElsewhere;
  return kOtherError;
}

TEST_F(BaseFileLockTest, CreatesLockFile0600) {
  mode_t old = ::umask(0);
  Result<FileLock> lock = FileLock::Acquire(path_);
  ::umask(old);
  ASSERT_TRUE(lock.has_value()) << lock.error().message();
  EXPECT_EQ(lock->path(), path_);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(BaseFileLockTest, NonWaitingAcquireFromChildFailsWhileHeld) {
  {
    Result<FileLock> lock = FileLock::Acquire(path_);
    ASSERT_TRUE(lock.has_value()) << lock.error().message();
    EXPECT_EQ(InChild([&] { return TryAcquire(path_, true); }), kHeldElsewhere);
    EXPECT_EQ(InChild([&] { return TryAcquire(path_, false); }), kHeldElsewhere);
  }
  // Released on destruction.
  EXPECT_EQ(InChild([&] { return TryAcquire(path_, true); }), kAcquired);
}

TEST_F(BaseFileLockTest, SecondAcquireInSameProcessAlsoConflicts) {
  Result<FileLock> first = FileLock::Acquire(path_);
  ASSERT_TRUE(first.has_value());
  Result<FileLock> second = FileLock::Acquire(path_, true, false);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().err(), EWOULDBLOCK);
}

TEST_F(BaseFileLockTest, SharedLocksCoexistButExcludeWriters) {
  Result<FileLock> shared = FileLock::Acquire(path_, /*exclusive=*/false);
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(InChild([&] { return TryAcquire(path_, false); }), kAcquired);
  EXPECT_EQ(InChild([&] { return TryAcquire(path_, true); }), kHeldElsewhere);
}

TEST_F(BaseFileLockTest, MovedLockStaysHeld) {
  Result<FileLock> lock = FileLock::Acquire(path_);
  ASSERT_TRUE(lock.has_value());
  FileLock moved = std::move(*lock);
  EXPECT_EQ(InChild([&] { return TryAcquire(path_, true); }), kHeldElsewhere);
  { FileLock sink = std::move(moved); }
  EXPECT_EQ(InChild([&] { return TryAcquire(path_, true); }), kAcquired);
}

TEST_F(BaseFileLockTest, WaitingAcquireBlocksUntilReleased) {
  Result<FileLock> lock = FileLock::Acquire(path_);
  ASSERT_TRUE(lock.has_value());
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    // fork copied the parent's locked descriptor; drop our copy, or the lock
    // would stay held by us after the parent releases it (flock semantics).
    ::close(lock->fd());
    // Tell the parent we are about to block, then wait for the lock.
    if (::write(ready[1], "r", 1) != 1) ::_exit(kOtherError);
    Result<FileLock> mine = FileLock::Acquire(path_, true, /*wait=*/true);
    ::_exit(mine.has_value() ? kAcquired : kOtherError);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::usleep(100 * 1000);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "child got the lock while we held it";
  { FileLock release = std::move(*lock); }
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kAcquired);
}

TEST_F(BaseFileLockTest, MissingDirectoryIsAnError) {
  const std::string path = dir_ + "/missing/state.lock";
  Result<FileLock> lock = FileLock::Acquire(path);
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().err(), ENOENT);
  EXPECT_EQ(lock.error().message(), "open " + path + ": no such file or directory");
}

}  // namespace
}  // namespace rampart
