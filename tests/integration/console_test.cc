// tty containers: the payload gets a fresh pty, `rampart console` reaches it
// and `run --tty` proxies it in the foreground.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/spawn.h"

namespace rampart {
namespace {

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      const char* must = getenv("RAMPART_TESTS_MUST_RUN");
      if (must && std::string(must) == "1") FAIL() << "needs root (RAMPART_TESTS_MUST_RUN=1)";
      GTEST_SKIP() << "needs root: containers need namespaces and cgroups";
    }
    char tmpl[] = "/tmp/rampart-console-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_ = {"RAMPART_ROOT=" + dir_ + "/root", "RAMPART_RUN=" + dir_ + "/run", "RAMPART_CONF_DIR=" + dir_ + "/conf",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    name_ = "console" + std::to_string(getpid());
  }
  void TearDown() override {
    if (dir_.empty()) return;
    (void)Rampart({"destroy", "-f", name_});
    (void)Rampart({"gc"});
    (void)RunCommand({"rm", "-rf", "--one-file-system", dir_});
  }
  CommandOutput Rampart(std::vector<std::string> args, std::string_view input = {}) {
    std::vector<std::string> argv = {"env"};
    for (const auto& e : env_) argv.push_back(e);
    argv.push_back(RAMPART_BIN);
    for (auto& a : args) argv.push_back(std::move(a));
    auto r = RunCommand(argv, input);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? *r : CommandOutput{};
  }
  static std::string Describe(const CommandOutput& r) {
    return "\n  exit " + std::to_string(ExitCodeFromWaitStatus(r.status)) + "\n  --- stdout ---\n" + r.out +
           "\n  --- stderr ---\n" + r.err;
  }
  std::string dir_, name_;
  std::vector<std::string> env_;
};

TEST_F(ConsoleTest, ConsoleReachesTheTerminalOfADetachedContainer) {
  auto c = Rampart({"create", name_, "--tty", "--", "/bin/sh"});
  ASSERT_EQ(ExitCodeFromWaitStatus(c.status), 0) << Describe(c);
  auto s = Rampart({"start", name_});
  ASSERT_EQ(ExitCodeFromWaitStatus(s.status), 0) << Describe(s);
  // $((6*7)) is expanded by the shell in the container: the echo of the
  // input alone cannot produce "marker-42".
  auto con = Rampart({"console", name_}, "echo marker-$((6*7)); [ -t 0 ] && echo stdin-is-a-tty; exit\n");
  EXPECT_EQ(ExitCodeFromWaitStatus(con.status), 0) << Describe(con);
  EXPECT_NE(con.out.find("marker-42"), std::string::npos) << Describe(con);
  EXPECT_NE(con.out.find("stdin-is-a-tty"), std::string::npos) << Describe(con);
  // The terminal output also lands in the log.
  auto logs = Rampart({"logs", name_});
  EXPECT_NE(logs.out.find("marker-42"), std::string::npos) << Describe(logs);
}

TEST_F(ConsoleTest, ConsoleOfAContainerWithoutTtyIsRefused) {
  ASSERT_EQ(ExitCodeFromWaitStatus(Rampart({"create", name_, "--", "/bin/sleep", "100"}).status), 0);
  ASSERT_EQ(ExitCodeFromWaitStatus(Rampart({"start", name_}).status), 0);
  auto con = Rampart({"console", name_}, "");
  EXPECT_EQ(ExitCodeFromWaitStatus(con.status), 125) << Describe(con);
  EXPECT_NE(con.err.find("no terminal"), std::string::npos) << Describe(con);
}

TEST_F(ConsoleTest, ForegroundRunWithTtyProxiesAndPassesTheExitCode) {
  auto r = Rampart({"run", name_, "--rm", "--tty", "--", "/bin/sh"}, "echo fg-$((2*21)); exit 3\n");
  EXPECT_EQ(ExitCodeFromWaitStatus(r.status), 3) << Describe(r);
  EXPECT_NE(r.out.find("fg-42"), std::string::npos) << Describe(r);
}

}  // namespace
}  // namespace rampart
