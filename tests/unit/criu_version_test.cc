// runtime/criu: parsing `criu --version` and `criu check` output, the search
// order, and FindCriuIn against fake criu scripts (no root).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/atomic_file.h"
#include "runtime/criu.h"

namespace rampart::runtime {
namespace {

// Real outputs, captured on the Debian 12 / kernel 6.18 machine
// (MACHINE.md): criu 4.2.1 from sid through the install-criu wrapper, and
// bookworm's 3.17.1.
constexpr char kSid421Version[] = "Version: 4.2.1\n";
constexpr char kBookworm3171Version[] = "Version: 3.17.1\n";
// CRIU prints a GitID line for builds from git; minor-only releases have no
// patch number.
constexpr char kGitBuildVersion[] = "Version: 3.19\nGitID: v3.19-27-g4a0b1c9\n";
// `criu check` of 3.17.1 on this kernel (stderr, exit 1).
constexpr char kBookwormCheckErr[] =
    "Error (criu/util.c:642): exited, status=1\n"
    "Error (criu/util.c:642): exited, status=1\n"
    "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
    "Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n"
    "Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.\n"
    "Error (criu/crtools.c:260): Could not initialize kernel features detection.\n";

TEST(CriuVersionTest, ParsesSidOutput) {
  Result<std::string> v = ParseCriuVersion(kSid421Version);
  ASSERT_TRUE(v.has_value()) << v.error().message();
  EXPECT_EQ(*v, "4.2.1");

  Result<CriuInfo> info = CriuInfoFromVersionOutput("/opt/rampart/criu/bin/criu", kSid421Version);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->path, "/opt/rampart/criu/bin/criu");
  EXPECT_EQ(info->major, 4);
  EXPECT_EQ(info->minor, 2);
  EXPECT_EQ(info->patch, 1);
  EXPECT_EQ(info->version_text, "4.2.1");
  EXPECT_TRUE(CheckCriuVersion(*info).has_value());
}

TEST(CriuVersionTest, ParsesGitBuildWithoutPatch) {
  Result<CriuInfo> info = CriuInfoFromVersionOutput("/usr/local/sbin/criu", kGitBuildVersion);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->major, 3);
  EXPECT_EQ(info->minor, 19);
  EXPECT_EQ(info->patch, 0);
  EXPECT_EQ(info->version_text, "3.19");
}

TEST(CriuVersionTest, KeepsSuffixButIgnoresIt) {
  Result<CriuInfo> info = CriuInfoFromVersionOutput("c", "Version: 4.3-rc1\n");
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->version_text, "4.3-rc1");
  EXPECT_EQ(info->major, 4);
  EXPECT_EQ(info->minor, 3);
  EXPECT_TRUE(CheckCriuVersion(*info).has_value());
}

TEST(CriuVersionTest, RejectsOutputWithoutVersion) {
  for (const char* text :
       {"", "\n", "criu: command not found\n", "Version:\n", "Version: four.two\n", "Version: 4\n",
        "Version: 4.2.1.7\n", "Version: 4..1\n"}) {
    Result<CriuInfo> info = CriuInfoFromVersionOutput("c", text);
    ASSERT_FALSE(info.has_value()) << "accepted '" << text << "'";
    EXPECT_EQ(info.error().kind(), ErrorKind::kInvalid) << text;
  }
}

TEST(CriuVersionTest, RefusesOldVersionsWithExactMessage) {
  Result<CriuInfo> info = CriuInfoFromVersionOutput("/usr/sbin/criu", kBookworm3171Version);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  Status st = CheckCriuVersion(*info);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().kind(), ErrorKind::kUnsupported);
  EXPECT_EQ(st.error().message(),
            "criu 3.17.1 at /usr/sbin/criu is too old: rampart needs 4.2 or newer "
            "(scripts/install-criu installs 4.2.1)");

  info = CriuInfoFromVersionOutput("/usr/sbin/criu", "Version: 4.1.1\n");
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(CheckCriuVersion(*info).has_value());

  for (const char* ok : {"Version: 4.2\n", "Version: 4.10.0\n", "Version: 5.0\n"}) {
    info = CriuInfoFromVersionOutput("c", ok);
    ASSERT_TRUE(info.has_value()) << ok;
    EXPECT_TRUE(CheckCriuVersion(*info).has_value()) << ok;
  }
}

TEST(CriuCheckComplaintTest, PicksTheFirstInformativeError) {
  EXPECT_EQ(CriuCheckComplaint("", kBookwormCheckErr), "vdso: Unexpected rt vDSO area bounds");
}

TEST(CriuCheckComplaintTest, FallsBackToLastLine) {
  EXPECT_EQ(CriuCheckComplaint("", "Warn (criu/kerndat.c:1290): x\nsomething broke\n\n"),
            "something broke");
  EXPECT_EQ(CriuCheckComplaint("partial\nLooks bad.\n", ""), "Looks bad.");
  EXPECT_EQ(CriuCheckComplaint("", ""), "");
  EXPECT_EQ(CriuCheckComplaint("", "Error (criu/util.c:642): exited, status=1\n"),
            "Error (criu/util.c:642): exited, status=1");
}

TEST(CriuSearchTest, OrderIsConfiguredEnvDefaultPath) {
  CriuSearch s;
  s.configured = "/etc/criu-here";
  s.env = "/env/criu";
  s.path_env = "/usr/local/sbin::/usr/sbin/";
  std::vector<CriuCandidate> c = CriuCandidates(s);
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].path, "/etc/criu-here");
  EXPECT_EQ(c[0].origin, "configured");
  EXPECT_TRUE(c[0].required);
  EXPECT_EQ(c[1].path, "/env/criu");
  EXPECT_EQ(c[1].origin, "RAMPART_CRIU");
  EXPECT_TRUE(c[1].required);
  EXPECT_EQ(c[2].path, kDefaultCriuPath);
  EXPECT_FALSE(c[2].required);
  EXPECT_EQ(c[3].path, "/usr/local/sbin/criu");
  EXPECT_EQ(c[3].origin, "PATH");
  EXPECT_EQ(c[4].path, "/usr/sbin/criu");

  EXPECT_EQ(CriuCandidates(CriuSearch{"", "", "/d/criu", ""}).size(), 1u);
}

// A directory with fake criu scripts, removed at the end.
class CriuFakeBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-criu-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Writes DIR/name as a script printing `out` to stdout and `err` to stderr,
  // exiting with `code`.
  std::string Fake(const std::string& name, const std::string& out, int code = 0,
                   const std::string& err = "") {
    std::string path = dir_ + "/" + name;
    std::string script = "#!/bin/sh\nprintf '%s' '" + out + "'\nprintf '%s' '" + err +
                         "' >&2\nexit " + std::to_string(code) + "\n";
    EXPECT_TRUE(WriteFileAtomic(path, script, 0755).has_value());
    return path;
  }
  CriuSearch Search() {
    CriuSearch s;
    s.default_path = dir_ + "/none/criu";
    return s;
  }
  std::string dir_;
};

TEST_F(CriuFakeBinaryTest, FindsInPathAndRefusesOldOne) {
  std::filesystem::create_directories(dir_ + "/bin");
  Fake("bin/criu", kBookworm3171Version);
  CriuSearch s = Search();
  s.path_env = dir_ + "/empty:" + dir_ + "/bin";
  Result<CriuInfo> info = FindCriuIn(s);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().message(), "criu 3.17.1 at " + dir_ +
                                        "/bin/criu is too old: rampart needs 4.2 or newer "
                                        "(scripts/install-criu installs 4.2.1)");
}

TEST_F(CriuFakeBinaryTest, FirstExistingWinsAndDefaultBeatsPath) {
  std::filesystem::create_directories(dir_ + "/bin");
  Fake("bin/criu", kBookworm3171Version);
  CriuSearch s = Search();
  s.default_path = Fake("default-criu", kSid421Version);
  s.path_env = dir_ + "/bin";
  Result<CriuInfo> info = FindCriuIn(s);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->path, s.default_path);
  EXPECT_EQ(info->version_text, "4.2.1");

  s.env = Fake("env-criu", "Version: 4.3\n");
  info = FindCriuIn(s);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->path, s.env);
}

TEST_F(CriuFakeBinaryTest, BrokenConfiguredOneIsReportedNotSkipped) {
  CriuSearch s = Search();
  s.default_path = Fake("default-criu", kSid421Version);

  s.configured = dir_ + "/missing";
  Result<CriuInfo> info = FindCriuIn(s);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().message(),
            "criu " + dir_ + "/missing (configured): no such file or directory");

  s.configured = Fake("crashing", "", 2, "Segmentation fault\n");
  info = FindCriuIn(s);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().message(),
            "criu " + s.configured + " (configured): --version exited with 2: Segmentation fault");

  s.configured = Fake("garbage", "hello\n");
  info = FindCriuIn(s);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().message(), "criu " + s.configured +
                                        " (configured): no 'Version:' line in criu --version "
                                        "output 'hello'");

  s.configured = "";
  s.env = dir_ + "/missing-env";
  info = FindCriuIn(s);
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message().find("(RAMPART_CRIU): no such file"), std::string::npos)
      << info.error().message();
}

TEST_F(CriuFakeBinaryTest, NotFoundNamesInstallScript) {
  CriuSearch s = Search();
  s.path_env = dir_;
  Result<CriuInfo> info = FindCriuIn(s);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(info.error().message(), "criu not found at " + s.default_path +
                                        " or in PATH: scripts/install-criu installs 4.2.1");
}

TEST_F(CriuFakeBinaryTest, CheckCriuReportsComplaint) {
  CriuInfo info;
  info.path = Fake("check-fails", "", 1, kBookwormCheckErr);
  Status st = CheckCriu(info);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(),
            "criu check failed (" + info.path + "): vdso: Unexpected rt vDSO area bounds");

  info.path = Fake("check-silent", "", 3);
  st = CheckCriu(info);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(), "criu check failed (" + info.path + "): exit code 3");

  info.path = Fake("check-ok", "Looks good.\n");
  EXPECT_TRUE(CheckCriu(info).has_value());
}

}  // namespace
}  // namespace rampart::runtime
