// tty containers: the payload gets a fresh pty from its own devpts,
// `rampart console` reaches it and `run --tty` proxies it in the foreground.
#include "tests/integration/cli_harness.h"

namespace rampart {
namespace {

class ConsoleTest : public testing_support::CliTest {};

TEST_F(ConsoleTest, ConsoleReachesTheTerminalOfADetachedContainer) {
  auto c = Rampart({"create", name_, "--tty", "--", "/bin/sh"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto s = Rampart({"start", name_});
  ASSERT_EQ(Code(s), 0) << Describe(s);
  // $((6*7)) is expanded by the shell in the container: the echo of the
  // input alone cannot produce "marker-42".
  auto con = Rampart({"console", name_}, "echo marker-$((6*7)); [ -t 0 ] && echo stdin-is-a-tty; exit\n");
  EXPECT_EQ(Code(con), 0) << Describe(con);
  EXPECT_NE(con.out.find("marker-42"), std::string::npos) << Describe(con);
  EXPECT_NE(con.out.find("stdin-is-a-tty"), std::string::npos) << Describe(con);
  // The terminal output also lands in the log.
  auto logs = Rampart({"logs", name_});
  EXPECT_NE(logs.out.find("marker-42"), std::string::npos) << Describe(logs);
}

TEST_F(ConsoleTest, ConsoleOfAContainerWithoutTtyIsRefused) {
  ASSERT_EQ(Code(Rampart({"create", name_, "--", "/bin/sleep", "100"})), 0);
  ASSERT_EQ(Code(Rampart({"start", name_})), 0);
  auto con = Rampart({"console", name_}, "");
  EXPECT_EQ(Code(con), 125) << Describe(con);
  EXPECT_NE(con.err.find("no terminal"), std::string::npos) << Describe(con);
}

TEST_F(ConsoleTest, ForegroundRunWithTtyProxiesAndPassesTheExitCode) {
  auto r = Rampart({"run", name_, "--rm", "--tty", "--", "/bin/sh"}, "echo fg-$((2*21)); exit 3\n");
  EXPECT_EQ(Code(r), 3) << Describe(r);
  EXPECT_NE(r.out.find("fg-42"), std::string::npos) << Describe(r);
}

// The pty comes from the container's own devpts instance: `tty` names it
// and it is listed in the container's /dev/pts (a host pty would be
// "not a tty" there).
TEST_F(ConsoleTest, TheTerminalIsFromTheContainersOwnDevpts) {
  auto r = Rampart({"run", name_, "--rm", "--tty", "--", "/bin/sh", "-c", "tty; ls /dev/pts"}, "");
  EXPECT_EQ(Code(r), 0) << Describe(r);
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << Describe(r);
  EXPECT_EQ(r.out.find("not a tty"), std::string::npos) << Describe(r);
}

}  // namespace
}  // namespace rampart
