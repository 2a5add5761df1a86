// `--init` (config `init: true`): a small pid 1 runs the payload as its
// child, forwards signals to it, reaps orphans and exits with its status.
// Without it the payload is pid 1 and, like any pid 1, ignores SIGTERM it
// has no handler for (a plain `sh` then dies only by SIGKILL at `stop`).
#include <nlohmann/json.hpp>

#include "tests/integration/cli_harness.h"

namespace rampart {
namespace {

class InitTest : public testing_support::CliTest {
 protected:
  nlohmann::json Info() {
    auto r = Rampart({"--format", "json", "info", name_});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  }
};

TEST_F(InitTest, PayloadIsPid2AndItsExitCodeComesThrough) {
  auto r = Rampart({"run", name_, "--rm", "--init", "--", "/bin/sh", "-c", "echo pid=$$; exit 7"});
  EXPECT_EQ(Code(r), 7) << Describe(r);
  EXPECT_NE(r.out.find("pid=2"), std::string::npos) << Describe(r);
}

TEST_F(InitTest, StopReachesAShellThroughTheInit) {
  auto r = Rampart({"run", "-d", name_, "--init", "--", "/bin/sh", "-c", "sleep 1000"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  auto s = Rampart({"stop", name_, "-t", "30"});
  ASSERT_EQ(Code(s), 0) << Describe(s);
  auto j = Info();
  // The shell died of the forwarded SIGTERM (143), not of the SIGKILL that
  // ends the grace period (which would show as signal 9).
  EXPECT_EQ(j.value("exit_code", -1), 128 + SIGTERM) << j.dump();
  EXPECT_FALSE(j.contains("exit_signal")) << j.dump();
}

TEST_F(InitTest, OrphansAreReaped) {
  auto r = Rampart({"run", name_, "--rm", "--init", "--", "/bin/sh", "-c",
                    "sh -c 'sleep 0.1 & exit 0'; sleep 1; "
                    "z=0; for s in /proc/[0-9]*/stat; do read -r l < $s; case \"$l\" in *') Z '*) z=$((z+1));; esac; done; "
                    "echo zombies=$z"});
  EXPECT_EQ(Code(r), 0) << Describe(r);
  EXPECT_NE(r.out.find("zombies=0"), std::string::npos) << Describe(r);
}

}  // namespace
}  // namespace rampart
