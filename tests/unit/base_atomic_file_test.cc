#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/atomic_file.h"

namespace rampart {
namespace {

// A fresh directory under /tmp, removed (with its plain files and empty
// subdirectories) at the end of the test.
class BaseAtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-atomic-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& name : List()) {
      std::string path = dir_ + "/" + name;
      if (::unlink(path.c_str()) != 0) ::rmdir(path.c_str());
    }
    ::rmdir(dir_.c_str());
  }
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string dir_;
};

TEST_F(BaseAtomicFileTest, WritesAndReplacesLeavingNoTempFiles) {
  const std::string path = dir_ + "/state.json";
  ASSERT_TRUE(WriteFileAtomic(path, "first").has_value());
  Result<std::string> got = ReadFile(path);
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got, "first");

  struct stat before;
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(WriteFileAtomic(path, "second, longer content").has_value());
  got = ReadFile(path);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "second, longer content");
  struct stat after;
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino) << "replaced by rename, not rewritten in place";

  ASSERT_TRUE(WriteFileAtomic(path, "").has_value());
  EXPECT_EQ(*ReadFile(path), "");
  EXPECT_EQ(List(), std::vector<std::string>{"state.json"});
}

TEST_F(BaseAtomicFileTest, AppliesModeRegardlessOfUmask) {
  const std::string path = dir_ + "/secret";
  mode_t old = ::umask(077);
  Status s = WriteFileAtomic(path, "x", 0640);
  ::umask(old);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  ASSERT_TRUE(WriteFileAtomic(path, "y").has_value());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(BaseAtomicFileTest, BinaryAndLargeContentRoundTrips) {
  std::string data;
  for (size_t i = 0; i < (3 << 20) + 17; ++i) data.push_back(static_cast<char>(i * 131 % 251));
  data[5] = '\0';
  const std::string path = dir_ + "/blob";
  ASSERT_TRUE(WriteFileAtomic(path, data).has_value());
  Result<std::string> got = ReadFile(path);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
}

TEST_F(BaseAtomicFileTest, MissingDirectoryIsAnErrorNamingThePath) {
  const std::string path = dir_ + "/no/such/dir/file";
  Status s = WriteFileAtomic(path, "x");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind(), ErrorKind::kSystem);
  EXPECT_EQ(s.error().err(), ENOENT);
  EXPECT_NE(s.error().message().find(path), std::string::npos) << s.error().message();
  EXPECT_TRUE(List().empty());
}

TEST_F(BaseAtomicFileTest, DirectoryIsNotReplacedAndNoTempFileIsLeft) {
  // A directory is refused before any temporary file is made.
  const std::string path = dir_ + "/occupied";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(path + "/inner", "x").has_value());
  Status s = WriteFileAtomic(path, "x");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(s.error().message(), "write " + path + ": exists and is not a regular file");
  EXPECT_EQ(List(), std::vector<std::string>{"occupied"});
  ::unlink((path + "/inner").c_str());
}

TEST_F(BaseAtomicFileTest, NeverReplacesASpecialFile) {
  // `-o /dev/null` once replaced the host's /dev/null with a regular file.
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Status s = WriteFileAtomic(fifo, "x");
  ASSERT_FALSE(s.has_value()) << "renamed a regular file over a FIFO";
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(s.error().message(), "write " + fifo + ": exists and is not a regular file");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "mode " << std::oct << st.st_mode;
  EXPECT_EQ(List(), std::vector<std::string>{"fifo"});

  // WriteFileOrDevice writes into it in place.
  int rd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(rd, 0);
  EXPECT_TRUE(IsSpecialFile(fifo));
  Status w = WriteFileOrDevice(fifo, "through");
  ASSERT_TRUE(w.has_value()) << w.error().message();
  char buf[16] = {};
  EXPECT_EQ(::read(rd, buf, sizeof(buf)), 7);
  EXPECT_EQ(std::string(buf), "through");
  ::close(rd);
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));

  // A regular file still goes through the atomic path.
  const std::string reg = dir_ + "/reg";
  EXPECT_FALSE(IsSpecialFile(reg));
  ASSERT_TRUE(WriteFileOrDevice(reg, "abc").has_value());
  EXPECT_EQ(ReadFile(reg).value(), "abc");
  ::unlink(reg.c_str());
  ::unlink(fifo.c_str());
}

TEST_F(BaseAtomicFileTest, TrailingSlashIsInvalid) {
  Status s = WriteFileAtomic(dir_ + "/", "x");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
}

TEST_F(BaseAtomicFileTest, ReadMissingFile) {
  const std::string path = dir_ + "/nope";
  Result<std::string> got = ReadFile(path);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().err(), ENOENT);
  EXPECT_EQ(got.error().message(), "open " + path + ": no such file or directory");
}

TEST_F(BaseAtomicFileTest, ReadDirectoryFails) {
  Result<std::string> got = ReadFile(dir_);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().err(), EISDIR);
  EXPECT_EQ(got.error().message(), "read " + dir_ + ": is a directory");
}

}  // namespace
}  // namespace rampart
