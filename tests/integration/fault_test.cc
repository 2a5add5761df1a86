// rampart killed at every step of a start (RAMPART_FAULT, base/fault.h):
// afterwards `gc` leaves no cgroup, process, mount or run state behind, the
// container is not reported running, and the name is reusable.
#include <dirent.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "base/atomic_file.h"
#include "tests/integration/cli_harness.h"

namespace rampart {
namespace {

namespace fs = std::filesystem;

class FaultTest : public testing_support::CliTest {
 protected:
  // Every cgroup directory named `name` on this host (any hierarchy).
  static std::vector<std::string> CgroupDirsNamed(const std::string& name) {
    std::vector<std::string> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it.depth() > 6) it.disable_recursion_pending();
      if (it->is_directory(ec) && it->path().filename() == name) found.push_back(it->path().string());
    }
    return found;
  }
  // Processes whose command line mentions `marker`.
  static std::vector<int> ProcessesWith(const std::string& marker) {
    std::vector<int> pids;
    for (const auto& e : fs::directory_iterator("/proc")) {
      int pid = std::atoi(e.path().filename().c_str());
      if (pid <= 0 || pid == getpid()) continue;
      // A process may exit while we read it (ESRCH): skip it.
      auto text = ReadFile((e.path() / "cmdline").string());
      if (!text) continue;
      std::string cmd = *text;
      for (char& c : cmd)
        if (c == '\0') c = ' ';
      if (cmd.find(marker) != std::string::npos) pids.push_back(pid);
    }
    return pids;
  }
};

TEST_F(FaultTest, KillingRampartAtAnyStepOfStartLeavesNothingAfterGc) {
  const std::vector<std::string> points = {"start:locked",        "start:cgroup-created", "start:monitor-forked",
                                           "monitor:forked",      "monitor:before-launch", "launch:cloned",
                                           "init:before-policy",  "monitor:launched",     "monitor:running"};
  for (const auto& point : points) {
    SCOPED_TRACE("fault point " + point);
    // A marker in the payload's argv finds its processes from the host.
    const std::string marker = "7" + std::to_string(getpid()) + "1";
    auto c = Rampart({"create", name_, "--", "/bin/sleep", marker});
    ASSERT_EQ(Code(c), 0) << Describe(c);
    auto s = Rampart({"start", name_}, {}, {"RAMPART_FAULT=" + point});
    // Depending on the step, the killed start either left a running
    // container (its monitor was already on its own) or nothing alive.
    for (int i = 0; i < 50; ++i) usleep(20000);
    auto gc = Rampart({"gc"});
    EXPECT_EQ(Code(gc), 0) << Describe(gc);
    auto info = Rampart({"--format", "json", "info", name_});
    const bool running = info.out.find("\"state\": \"running\"") != std::string::npos;
    if (!running) {
      // Nothing of it may remain after gc: no payload, no cgroup.
      EXPECT_TRUE(ProcessesWith("sleep " + marker).empty()) << "payload outlived its monitor (" << point << ")"
                                                              << Describe(s) << Describe(info);
      auto dirs = CgroupDirsNamed(name_);
      EXPECT_TRUE(dirs.empty()) << "cgroup left after gc (" << point << "): " << (dirs.empty() ? "" : dirs[0])
                                << Describe(s) << Describe(info);
    }
    auto d = Rampart({"destroy", "-f", name_});
    EXPECT_EQ(Code(d), 0) << Describe(d);
    // Whatever the step, destroy -f leaves nothing.
    for (int i = 0; i < 50 && !ProcessesWith("sleep " + marker).empty(); ++i) usleep(20000);
    EXPECT_TRUE(ProcessesWith("sleep " + marker).empty()) << "payload survived destroy -f (" << point << ")";
    EXPECT_TRUE(CgroupDirsNamed(name_).empty()) << "cgroup survived destroy -f (" << point << ")";
    // The name is reusable and a container starts normally.
    auto again = Rampart({"run", name_, "--rm", "--", "/bin/true"});
    EXPECT_EQ(Code(again), 0) << Describe(again);
    EXPECT_TRUE(CgroupDirsNamed(name_).empty());
  }
}

}  // namespace
}  // namespace rampart
