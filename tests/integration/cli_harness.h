// A fixture for integration tests that drive the rampart CLI as root with
// all state in a fresh temp dir (RAMPART_ROOT, RAMPART_RUN,
// RAMPART_CONF_DIR), cleaned up even when the test fails.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"

namespace rampart::testing_support {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      const char* must = getenv("RAMPART_TESTS_MUST_RUN");
      if (must && std::string(must) == "1") FAIL() << "needs root (RAMPART_TESTS_MUST_RUN=1)";
      GTEST_SKIP() << "needs root: containers need namespaces and cgroups";
    }
    char tmpl[] = "/tmp/rampart-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_ = {"RAMPART_ROOT=" + dir_ + "/root", "RAMPART_RUN=" + dir_ + "/run", "RAMPART_CONF_DIR=" + dir_ + "/conf",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    // In the machine's own network namespace: loopback only, never the
    // default network's bridge (network tests use a test-host namespace).
    ASSERT_EQ(mkdir((dir_ + "/conf").c_str(), 0700), 0);
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/conf/rampart.conf", conf_text_).has_value());
    name_ = "t" + std::to_string(getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (name_.size() > 60) name_.resize(60);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    (void)Rampart({"destroy", "-f", name_});
    (void)Rampart({"gc"});
    (void)RunCommand({"rm", "-rf", "--one-file-system", dir_});
  }
  CommandOutput Rampart(std::vector<std::string> args, std::string_view input = {},
                        const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv = {"env"};
    for (const auto& e : env_) argv.push_back(e);
    for (const auto& e : extra_env) argv.push_back(e);
    argv.push_back(bin_);
    for (auto& a : args) argv.push_back(std::move(a));
    auto r = RunCommand(argv, input);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? *r : CommandOutput{};
  }
  static int Code(const CommandOutput& r) { return ExitCodeFromWaitStatus(r.status); }
  static std::string Describe(const CommandOutput& r) {
    return "\n  exit " + std::to_string(Code(r)) + "\n  --- stdout ---\n" + r.out + "\n  --- stderr ---\n" + r.err;
  }
  std::string dir_, name_;
  std::string conf_text_ = "networks: [none]\n";
  std::string bin_ = RAMPART_BIN;
  std::vector<std::string> env_;
};

}  // namespace rampart::testing_support
