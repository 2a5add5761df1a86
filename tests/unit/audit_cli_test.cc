// `rampart policy audit` as a child process (no root): exit codes of
// --fail-on, JSON and SARIF output, --baseline, and auditing a container's
// frozen policy and configuration. The binary is found next to this test's
// build tree: BUILD/tests/<test> → BUILD/cli/rampart.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/spawn.h"
#include "runtime/container_spec.h"
#include "security/compiled_policy.h"
#include "security/resolver.h"

namespace rampart {
namespace {

std::string Binary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : (self.parent_path().parent_path() / "cli" / "rampart").string();
}

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-audit-cli-XXXXXX";
    const char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    std::filesystem::create_directories(dir_ + "/root");
    std::filesystem::create_directories(dir_ + "/conf");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Run {
    int code = -1;
    std::string out, err;
    std::string Describe() const {
      return "exit " + std::to_string(code) + "\n--- stdout ---\n" + out.substr(0, 3000) +
             "\n--- stderr ---\n" + err;
    }
  };

  Run Rampart(const std::vector<std::string>& args) {
    Run r;
    const std::string bin = Binary();
    if (access(bin.c_str(), X_OK) != 0) {
      ADD_FAILURE() << "rampart binary not found at '" << bin << "' (build the rampart target)";
      return r;
    }
    std::vector<std::string> argv = {"env", "RAMPART_ROOT=" + dir_ + "/root",
                                     "RAMPART_CONF_DIR=" + dir_ + "/conf",
                                     "RAMPART_RUN=" + dir_ + "/run", bin};
    argv.insert(argv.end(), args.begin(), args.end());
    auto out = RunCommand(argv, {}, std::chrono::seconds(60));
    if (!out) {
      ADD_FAILURE() << "run rampart: " << out.error().message();
      return r;
    }
    r.code = ExitCodeFromWaitStatus(out->status);
    r.out = out->out;
    r.err = out->err;
    return r;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST_F(AuditCli, DefaultIsCleanAtEveryThreshold) {
  for (const char* level : {"low", "medium", "high"}) {
    auto r = Rampart({"policy", "audit", "default", "--fail-on", level});
    EXPECT_EQ(r.code, 0) << level << "\n" << r.Describe();
  }
  auto r = Rampart({"policy", "audit", "default"});
  EXPECT_EQ(r.code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "exposure")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "0 high")) << r.Describe();
}

TEST_F(AuditCli, FailOnExitCodes) {
  const std::string ptrace =
      Write("ptrace.yaml", "name: t\nextends: default\nseccomp:\n  allow: [ptrace]\n");
  const std::string low =
      Write("low.yaml", "name: l\nextends: default\nseccomp:\n  allow: [socketcall]\n");
  struct Case {
    std::string profile;
    std::vector<std::string> opts;
    int code;
  } cases[] = {
      {ptrace, {}, 0},
      {ptrace, {"--fail-on", "high"}, 1},
      {ptrace, {"--fail-on-high"}, 1},
      {ptrace, {"--fail-on=medium"}, 1},
      {low, {"--fail-on", "low"}, 1},
      {low, {"--fail-on", "medium"}, 0},
      {low, {"--fail-on-high"}, 0},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"policy", "audit", c.profile};
    args.insert(args.end(), c.opts.begin(), c.opts.end());
    auto r = Rampart(args);
    EXPECT_EQ(r.code, c.code) << c.profile << " " << (c.opts.empty() ? "" : c.opts[0]) << "\n"
                              << r.Describe();
  }
  auto r = Rampart({"policy", "audit", ptrace});
  EXPECT_TRUE(Contains(r.out, ptrace + ":4:")) << "finding without its position\n" << r.Describe();
  EXPECT_TRUE(Contains(r.out, "[RA001]")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "why: ")) << r.Describe();
}

TEST_F(AuditCli, BadFailOnIsOneErrorLine) {
  for (const char* bad : {"critical", "info", ""}) {
    auto r = Rampart({"policy", "audit", "default", "--fail-on", bad});
    EXPECT_EQ(r.code, 125) << bad << "\n" << r.Describe();
    EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
    EXPECT_TRUE(Contains(r.err, "--fail-on")) << r.Describe();
    EXPECT_TRUE(r.out.empty()) << r.Describe();
  }
}

TEST_F(AuditCli, JsonOutputAndBaseline) {
  const std::string p = Write("p.yaml", "name: t\nextends: default\nseccomp:\n  allow: [ptrace]\n");
  auto r = Rampart({"--format", "json", "policy", "audit", p, "--baseline", "default"});
  ASSERT_EQ(r.code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.Describe();
  ASSERT_TRUE(j["findings"].is_array()) << r.Describe();
  bool ra001 = false;
  for (const auto& f : j["findings"]) {
    ra001 |= f["id"] == "RA001";
    EXPECT_TRUE(f.contains("rationale")) << f.dump();
    EXPECT_TRUE(f.contains("severity")) << f.dump();
  }
  EXPECT_TRUE(ra001) << r.Describe();
  EXPECT_TRUE(j["exposure"]["score"].is_number()) << r.Describe();
  bool ptrace_more = false;
  for (const auto& e : j["baseline"]["difference"]["more"])
    ptrace_more |= e["subject"] == "syscall ptrace";
  EXPECT_TRUE(ptrace_more) << r.Describe();

  r = Rampart({"policy", "audit", p, "--baseline", "default"});
  EXPECT_TRUE(Contains(r.out, "syscall ptrace")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "allows more than default")) << r.Describe();
}

TEST_F(AuditCli, SarifOutput) {
  auto r = Rampart({"--format", "sarif", "policy", "audit", "default"});
  if (r.code == 125 && Contains(r.err, "--format")) {
    const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");
    if (must && std::string(must) == "1")
      FAIL() << "global --format does not accept sarif yet\n" << r.Describe();
    GTEST_SKIP() << "the global --format option does not accept 'sarif' yet (cli/main.cc): "
                 << r.err;
  }
  ASSERT_EQ(r.code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.Describe();
  EXPECT_EQ(j["version"], "2.1.0");
  EXPECT_EQ(j["runs"][0]["tool"]["driver"]["name"], "rampart-audit");
}

// A container in a scratch state root: its config (written the way create
// writes it) and its frozen policy.
TEST_F(AuditCli, ContainerUsesFrozenPolicyAndSpec) {
  const std::string root = dir_ + "/root";
  const std::string cdir = root + "/containers/box";
  std::filesystem::create_directories(cdir);
  runtime::ContainerSpec spec;
  spec.name = "box";
  spec.rootfs = cdir + "/rootfs";
  spec.namespaces.net = false;  // host network
  spec.networks = {};           // (which takes no networks)
  spec.uid = 0;
  spec.profile = "default";
  Write("root/containers/box/config.yaml", runtime::SerializeContainerSpec(spec));
  auto loader = security::ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value());
  auto policy = loader->Load("default");
  ASSERT_TRUE(policy.has_value()) << policy.error().message();
  auto compiled = security::CompilePolicy(*policy);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
  Write("root/containers/box/policy.json", security::FrozenPolicyJson(*compiled));
  Write("root/containers/box/policy.bpf", security::BpfBytes(compiled->seccomp.insns));

  auto r = Rampart({"policy", "audit", "box"});
  EXPECT_EQ(r.code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "[RA014]")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "network namespace")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "[RA016]")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "container box")) << r.Describe();
  EXPECT_FALSE(Contains(r.out, "note:"))
      << "the frozen policy matches the profile: no note expected\n"
      << r.Describe();
  r = Rampart({"policy", "audit", "box", "--fail-on", "high"});
  EXPECT_EQ(r.code, 1) << "host network namespace is high\n" << r.Describe();

  // The profile changes after create: the frozen copy is audited, from its BPF.
  const std::string prof =
      Write("changing.yaml", "name: changing\nextends: default\nseccomp:\n  allow: [ioctl]\n");
  auto changing = loader->Load(prof);
  ASSERT_TRUE(changing.has_value()) << changing.error().message();
  auto c2 = security::CompilePolicy(*changing);
  ASSERT_TRUE(c2.has_value());
  spec.profile = prof;
  spec.namespaces.net = true;
  Write("root/containers/box/config.yaml", runtime::SerializeContainerSpec(spec));
  Write("root/containers/box/policy.json", security::FrozenPolicyJson(*c2));
  Write("root/containers/box/policy.bpf", security::BpfBytes(c2->seccomp.insns));
  Write("changing.yaml", "name: changing\nextends: default\n");
  r = Rampart({"policy", "audit", "box"});
  EXPECT_EQ(r.code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "note: ")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "[RA008]")) << "the frozen policy still allows TIOCSTI\n"
                                          << r.Describe();
  EXPECT_FALSE(Contains(r.out, "[RA014]")) << r.Describe();
}

}  // namespace
}  // namespace rampart
