// The busybox template and ShiftOwnership on a real file system.
// Needs root (chroot, chown); skipped otherwise unless RAMPART_TESTS_MUST_RUN=1.
#include "runtime/template.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "runtime/idmap.h"
#include "runtime/state_store.h"

namespace rampart::runtime {
namespace {

#define RAMPART_TEMPLATE_REQUIRE_ROOT()                                         \
  do {                                                                          \
    if (::geteuid() != 0) {                                                     \
      const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");                 \
      if (must != nullptr && std::string(must) == "1") {                        \
        FAIL() << "template tests need root (euid is " << ::geteuid()           \
               << ") and RAMPART_TESTS_MUST_RUN=1 forbids skipping";            \
      }                                                                         \
      GTEST_SKIP() << "template tests need root (euid is " << ::geteuid()       \
                   << "); set RAMPART_TESTS_MUST_RUN=1 to make this a failure"; \
    }                                                                           \
  } while (0)

// A temporary directory removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rampart-template-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (path_.empty()) return;
    auto rm = RunCommand({"rm", "-rf", "--one-file-system", path_});
    if (!rm.has_value() || rm->status != 0)
      std::fprintf(stderr, "could not remove %s\n", path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs argv, returns (exit code, stdout).
std::pair<int, std::string> RunCapture(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return {-1, ""};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

TEST(TemplateTest, BusyboxBuildsFastAndRuns) {
  RAMPART_TEMPLATE_REQUIRE_ROOT();
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string rootfs = tmp.path() + "/rootfs";
  auto t0 = std::chrono::steady_clock::now();
  auto built = ResolveTemplate("busybox", rootfs);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  if (!built.has_value() && built.error().kind() == ErrorKind::kUnsupported) {
    const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");
    if (must != nullptr && std::string(must) == "1") FAIL() << built.error().message();
    GTEST_SKIP() << built.error().message();
  }
  ASSERT_TRUE(built.has_value()) << built.error().message();
  EXPECT_EQ(*built, rootfs);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 1000);
  std::printf("busybox template built in %lld us\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));

  struct stat st;
  ASSERT_EQ(::stat((rootfs + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(::stat((rootfs + "/bin/busybox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((rootfs + "/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::lstat((rootfs + "/usr/bin/env").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFile(rootfs + "/etc/passwd")->rfind("root:x:0:0:root:/root:/bin/sh\n", 0), 0u);
  EXPECT_NE(ReadFile(rootfs + "/etc/passwd")->find("nobody:x:65534:65534:"), std::string::npos);
  for (const char* f : {"/etc/group", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"})
    EXPECT_EQ(::stat((rootfs + f).c_str(), &st), 0) << f;

  auto [code, out] = RunCapture({"/usr/sbin/chroot", rootfs, "/bin/sh", "-c", "echo ok"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "ok\n");

  // A non-empty target is refused; dir: points at the built tree.
  auto again = ResolveTemplate("busybox", rootfs);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message(), "rootfs " + rootfs + " is not empty");
  auto dir = ResolveTemplate("dir:" + rootfs + "/./", tmp.path() + "/unused");
  ASSERT_TRUE(dir.has_value()) << dir.error().message();
  EXPECT_EQ(*dir, rootfs);
  EXPECT_NE(::stat((tmp.path() + "/unused").c_str(), &st), 0);  // nothing copied or created
}

TEST(TemplateTest, BadRefsAndDirs) {
  // No root needed.
  auto unknown = ResolveTemplate("ubuntu", "/nonexistent/rootfs");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message(), "unknown template 'ubuntu' (known: busybox, dir:PATH)");
  EXPECT_FALSE(BuildTemplate("ubuntu", "/nonexistent/rootfs").has_value());
  auto slash = ResolveTemplate("dir:/", "/nonexistent/rootfs");
  ASSERT_FALSE(slash.has_value());
  EXPECT_EQ(slash.error().message(), "template dir:/ would share the host's root file system");
  auto missing = ResolveTemplate("dir:/nonexistent/x", "/nonexistent/rootfs");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "template dir:/nonexistent/x: no such file or directory");
  TempDir tmp;
  auto empty = ResolveTemplate("dir:" + tmp.path(), "/nonexistent/rootfs");
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().message().find("does not look like a root file system"),
            std::string::npos);
  // The ELF check itself.
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/script", "#!/bin/sh\n", 0755).has_value());
  EXPECT_EQ(CheckStaticElf(tmp.path() + "/script").error().message(),
            tmp.path() + "/script is not an ELF file");
  auto dynamic = CheckStaticElf("/bin/ls");
  ASSERT_FALSE(dynamic.has_value());
  EXPECT_EQ(dynamic.error().message(), "/bin/ls is dynamically linked (has an ELF interpreter)");
}

TEST(ShiftOwnershipTest, ShiftsTreeKeepsSetuidNeverFollowsSymlinks) {
  RAMPART_TEMPLATE_REQUIRE_ROOT();
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string r = tmp.path() + "/rootfs";
  ASSERT_EQ(::mkdir(r.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((r + "/bin").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((r + "/home").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((r + "/home/user").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomic(r + "/bin/su", "binary", 04755).has_value());
  ASSERT_TRUE(WriteFileAtomic(r + "/bin/wall", "binary", 02755).has_value());
  ASSERT_TRUE(WriteFileAtomic(r + "/home/user/file", "data", 0600).has_value());
  ASSERT_EQ(::chown((r + "/home/user").c_str(), 1000, 1000), 0);
  ASSERT_EQ(::chown((r + "/home/user/file").c_str(), 1000, 5), 0);
  ASSERT_EQ(::chown((r + "/bin/wall").c_str(), 0, 5), 0);
  ASSERT_EQ(::chmod((r + "/bin/wall").c_str(), 02755), 0);  // chown cleared it
  ASSERT_EQ(::link((r + "/home/user/file").c_str(), (r + "/home/hardlink").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (r + "/passwd-link").c_str()), 0);
  ASSERT_EQ(::mkfifo((r + "/fifo").c_str(), 0644), 0);

  struct stat passwd_before;
  ASSERT_EQ(::stat("/etc/passwd", &passwd_before), 0);

  const std::vector<IdMapRange> map = {{0, 100000, 65536}};
  auto st = ShiftOwnership(r, map, map);
  ASSERT_TRUE(st.has_value()) << st.error().message();

  auto owner = [](const std::string& p) {
    struct stat s;
    EXPECT_EQ(::lstat(p.c_str(), &s), 0) << p;
    return std::make_tuple(s.st_uid, s.st_gid, s.st_mode & 07777);
  };
  EXPECT_EQ(owner(r), std::make_tuple(100000u, 100000u, 0755u));
  EXPECT_EQ(owner(r + "/bin"), std::make_tuple(100000u, 100000u, 0755u));
  EXPECT_EQ(owner(r + "/bin/su"), std::make_tuple(100000u, 100000u, 04755u));
  EXPECT_EQ(owner(r + "/bin/wall"), std::make_tuple(100000u, 100005u, 02755u));
  EXPECT_EQ(owner(r + "/home/user"), std::make_tuple(101000u, 101000u, 0700u));
  EXPECT_EQ(owner(r + "/home/user/file"),
            std::make_tuple(101000u, 100005u, 0600u));  // hard link shifted once
  EXPECT_EQ(owner(r + "/fifo"), std::make_tuple(100000u, 100000u, 0644u));
  struct stat link;
  ASSERT_EQ(::lstat((r + "/passwd-link").c_str(), &link), 0);
  EXPECT_EQ(link.st_uid, 100000u);  // the link itself moved...
  struct stat passwd_after;
  ASSERT_EQ(::stat("/etc/passwd", &passwd_after), 0);
  EXPECT_EQ(passwd_after.st_uid, passwd_before.st_uid);  // ...its target did not
  EXPECT_EQ(passwd_after.st_gid, passwd_before.st_gid);
  EXPECT_EQ(passwd_after.st_mode, passwd_before.st_mode);

  // Shifted ids are outside the map: a second run fails and names the file.
  auto twice = ShiftOwnership(r, map, map);
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message().find("is outside the uid map"), std::string::npos)
      << twice.error().message();
}

TEST(ShiftOwnershipTest, DoesNotCrossMountPoints) {
  RAMPART_TEMPLATE_REQUIRE_ROOT();
  TempDir tmp;
  const std::string r = tmp.path() + "/rootfs";
  ASSERT_EQ(::mkdir(r.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((r + "/proc").c_str(), 0555), 0);
  // A private mount namespace in a child, so a failed test leaks no mount.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) _exit(10);
    if (::system(("mount --make-rprivate / && mount -t tmpfs none '" + r + "/proc'").c_str()) != 0)
      _exit(11);
    if (::chown((r + "/proc").c_str(), 7, 7) != 0)
      _exit(12);  // the tmpfs root: outside the map below
    auto st = ShiftOwnership(r, {{0, 100000, 5}}, {{0, 100000, 5}});
    if (!st.has_value()) _exit(13);
    struct stat s;
    if (::stat((r + "/proc").c_str(), &s) != 0 || s.st_uid != 7) _exit(14);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  struct stat s;
  ASSERT_EQ(::stat(r.c_str(), &s), 0);
  EXPECT_EQ(s.st_uid, 100000u);
}

// StateStore::Remove lives in the unit tests; refusing to remove through a
// mount point needs root, so it is checked here.
TEST(StateStoreRemoveTest, RefusesWhileSomethingIsMounted) {
  RAMPART_TEMPLATE_REQUIRE_ROOT();
  TempDir tmp;
  Paths paths;
  paths.root = tmp.path() + "/root";
  paths.run = tmp.path() + "/run";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    StateStore store(paths);
    if (!store.Claim("web")) _exit(10);
    const std::string mnt = paths.ContainerDir("web") + "/rootfs";
    if (::mkdir(mnt.c_str(), 0755) != 0 || ::unshare(CLONE_NEWNS) != 0) _exit(11);
    if (::system(("mount --make-rprivate / && mount -t tmpfs none '" + mnt + "' && touch '" + mnt +
                  "/precious'")
                     .c_str()) != 0)
      _exit(12);
    auto st = store.Remove("web");
    if (st.has_value()) _exit(13);
    if (st.error().message() !=
        "refusing to remove " + paths.ContainerDir("web") + ": " + mnt + " is still mounted")
      _exit(14);
    if (::access((mnt + "/precious").c_str(), F_OK) != 0) _exit(15);
    if (::system(("umount '" + mnt + "'").c_str()) != 0) _exit(16);
    if (!store.Remove("web")) _exit(17);
    _exit(::access(paths.ContainerDir("web").c_str(), F_OK) == 0 ? 18 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace rampart::runtime
