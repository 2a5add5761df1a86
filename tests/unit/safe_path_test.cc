// Unit tests for runtime/safe_path: resolution stays inside the root (no
// root privileges needed; openat2 is a plain syscall).

#include "runtime/safe_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace rampart::runtime {
namespace {

namespace fs = std::filesystem;

class SafePathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-safepath-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "etc");
    fs::create_directories(dir_ / "a" / "b");
    std::ofstream(dir_ / "file") << "plain";
    fs::create_symlink("/etc", dir_ / "escape");                     // absolute, would leave
    fs::create_symlink("../../../../../../etc", dir_ / "a" / "up");  // relative, would leave
    fs::create_symlink("/proc/self/root", dir_ / "magic");
    root_ = UniqueFd(open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string ReadAll(int fd) {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

  fs::path dir_;
  UniqueFd root_;
};

TEST(CleanContainerPath, Cases) {
  EXPECT_EQ(CleanContainerPath(""), "/");
  EXPECT_EQ(CleanContainerPath("/"), "/");
  EXPECT_EQ(CleanContainerPath("proc"), "/proc");
  EXPECT_EQ(CleanContainerPath("//proc///sys/"), "/proc/sys");
  EXPECT_EQ(CleanContainerPath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(CleanContainerPath("a/../../b/"), "/b");
  EXPECT_EQ(CleanContainerPath("/../../.."), "/");
}

TEST_F(SafePathTest, AbsoluteSymlinkEscapeStaysInRoot) {
  // Without a root/etc/passwd, "escape/passwd" must not find the host's.
  auto missing = OpenInRoot(root_.get(), "/escape/passwd", O_RDONLY);
  ASSERT_FALSE(missing.has_value()) << "reached a passwd file outside the root";
  EXPECT_EQ(missing.error().err(), ENOENT) << missing.error().message();
  EXPECT_NE(missing.error().message().find("/escape/passwd"), std::string::npos)
      << missing.error().message();

  std::ofstream(dir_ / "etc" / "passwd") << "inside";
  auto inside = OpenInRoot(root_.get(), "/escape/passwd", O_RDONLY);
  ASSERT_TRUE(inside.has_value()) << inside.error().message();
  EXPECT_EQ(ReadAll(inside->get()), "inside");
}

TEST_F(SafePathTest, RelativeSymlinkAndDotDotStayInRoot) {
  std::ofstream(dir_ / "etc" / "passwd") << "inside";
  for (const char* p : {"a/up/passwd", "../../../../etc/passwd", "/a/b/../../../../etc/passwd",
                        "a/b/../up/passwd"}) {
    auto fd = OpenInRoot(root_.get(), p, O_RDONLY);
    ASSERT_TRUE(fd.has_value()) << p << ": " << fd.error().message();
    EXPECT_EQ(ReadAll(fd->get()), "inside") << p;
  }
  // ".." at the root is the root.
  auto up = OpenInRoot(root_.get(), "../..", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(up.has_value()) << up.error().message();
  struct stat a {
  }, b{};
  ASSERT_EQ(fstat(up->get(), &a), 0);
  ASSERT_EQ(fstat(root_.get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_dev, b.st_dev);
}

TEST_F(SafePathTest, MagicLinksRefused) {
  // Inside the temp root "/proc/self/root" does not exist at all.
  EXPECT_FALSE(OpenInRoot(root_.get(), "/magic/etc", O_PATH).has_value());
  // With the real root, the magic link itself is refused.
  UniqueFd slash(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(slash.valid());
  auto r = OpenInRoot(slash.get(), "/proc/self/root/etc", O_PATH);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().err(), ELOOP) << r.error().message();
}

TEST_F(SafePathTest, CreateFlagsRefused) {
  auto r = OpenInRoot(root_.get(), "/new", O_CREAT | O_WRONLY);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  EXPECT_FALSE(fs::exists(dir_ / "new"));
}

TEST_F(SafePathTest, ResultIsCloexec) {
  auto fd = OpenInRoot(root_.get(), "/file", O_RDONLY);
  ASSERT_TRUE(fd.has_value()) << fd.error().message();
  EXPECT_TRUE(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(SafePathTest, MkdirAllCreatesInsideRootThroughSymlinks) {
  auto d = MkdirAllInRoot(root_.get(), "/x/y/z", 0755);
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_TRUE(fs::is_directory(dir_ / "x" / "y" / "z"));

  // "escape" → /etc is followed inside the root: root/etc/rampart-..., never /etc/...
  const std::string name = "rampart-safepath-test-" + std::to_string(getpid());
  auto e = MkdirAllInRoot(root_.get(), "/escape/" + name, 0755);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_TRUE(fs::is_directory(dir_ / "etc" / name));
  EXPECT_FALSE(fs::exists(fs::path("/etc") / name));

  // The returned fd is the directory that was made.
  struct stat a {
  }, b{};
  ASSERT_EQ(fstat(e->get(), &a), 0);
  ASSERT_EQ(stat((dir_ / "etc" / name).c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);

  // Existing path: fine, idempotent.
  EXPECT_TRUE(MkdirAllInRoot(root_.get(), "/x/y/z", 0755).has_value());
}

TEST_F(SafePathTest, MkdirAllRefusesNonDirectoryComponent) {
  auto r = MkdirAllInRoot(root_.get(), "/file/sub", 0755);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("/file is not a directory"), std::string::npos)
      << r.error().message();
}

TEST_F(SafePathTest, OpenNoFollowTargetRefusesSymlink) {
  auto r = OpenNoFollowTarget(root_.get(), "/escape", /*want_dir=*/true);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "/escape is a symlink: refusing to mount over it");

  // Intermediate symlinks are still followed (inside the root).
  auto rel = OpenNoFollowTarget(root_.get(), "/a/up", true);
  ASSERT_FALSE(rel.has_value());
  EXPECT_EQ(rel.error().message(), "/a/up is a symlink: refusing to mount over it");
  auto through = OpenNoFollowTarget(root_.get(), "/escape/../a/b", true);
  EXPECT_TRUE(through.has_value()) << through.error().message();
}

TEST_F(SafePathTest, OpenNoFollowTargetChecksType) {
  EXPECT_TRUE(OpenNoFollowTarget(root_.get(), "/a", true).has_value());
  EXPECT_TRUE(OpenNoFollowTarget(root_.get(), "/file", false).has_value());
  auto notdir = OpenNoFollowTarget(root_.get(), "/file", true);
  ASSERT_FALSE(notdir.has_value());
  EXPECT_EQ(notdir.error().message(), "/file is not a directory");
  auto notfile = OpenNoFollowTarget(root_.get(), "/a", false);
  ASSERT_FALSE(notfile.has_value());
  EXPECT_EQ(notfile.error().message(), "/a is not a regular file or character device");
  auto missing = OpenNoFollowTarget(root_.get(), "/nope", true);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().err(), ENOENT);
}

TEST_F(SafePathTest, PrepareMountTargetCreatesAndRefusesSymlinks) {
  auto f = PrepareMountTarget(root_.get(), "/new/dir/file", /*want_dir=*/false);
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_TRUE(fs::is_regular_file(dir_ / "new" / "dir" / "file"));
  auto d = PrepareMountTarget(root_.get(), "/new/dir2", /*want_dir=*/true);
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_TRUE(fs::is_directory(dir_ / "new" / "dir2"));

  // A symlinked last component is neither followed for creation nor accepted.
  fs::create_symlink("/etc/rampart-created-by-test", dir_ / "etc" / "target");
  auto s = PrepareMountTarget(root_.get(), "/etc/target", /*want_dir=*/false);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("/etc/target is a symlink: refusing to mount over it"),
            std::string::npos)
      << s.error().message();
  EXPECT_FALSE(fs::exists(dir_ / "etc" / "rampart-created-by-test"));
  EXPECT_FALSE(fs::exists("/etc/rampart-created-by-test"));
}

}  // namespace
}  // namespace rampart::runtime
