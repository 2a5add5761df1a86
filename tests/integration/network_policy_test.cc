// The profile's network section inside a real container: network.families
// narrows socket(2) in the kernel's seccomp filter (a family not listed gets
// EPERM, listed ones work), and network.tcp ports are Landlock rules (bind
// or connect to a port not listed gets EACCES; an allowed connect reaches
// the container's own loopback and gets ECONNREFUSED). The probe is
// tests/helpers/syscall_probe (static), bound read-only into the container.
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/integration/cli_harness.h"
#include "tests/integration/probe_output.h"

#ifndef RAMPART_PROBE_STATIC
#error "RAMPART_PROBE_STATIC must be defined (static build of tests/helpers/syscall_probe)"
#endif

namespace rampart {
namespace {

class NetworkPolicyTest : public testing_support::CliTest {
 protected:
  void Profile(const std::string& name, const std::string& body) {
    const std::string dir = dir_ + "/root/policies";
    ASSERT_TRUE(RunCommand({"mkdir", "-p", dir}).has_value());
    ASSERT_TRUE(WriteFileAtomic(dir + "/" + name + ".yaml", "name: " + name + "\nextends: default\n" + body).has_value());
  }
  // Runs the probe under `profile` in a fresh container; the probe's
  // directory is bound read-only at /t.
  CommandOutput RunProbe(const std::string& profile, const std::vector<std::string>& probes) {
    std::string probe_dir = RAMPART_PROBE_STATIC;
    std::string probe_name = probe_dir.substr(probe_dir.rfind('/') + 1);
    probe_dir.resize(probe_dir.rfind('/'));
    const std::string cfg = dir_ + "/probe.yaml";
    EXPECT_TRUE(WriteFileAtomic(cfg, "mounts:\n  - {source: " + probe_dir + ", target: /t, readonly: true}\n").has_value());
    std::vector<std::string> cmd = {"run", name_, "--rm", "--profile", profile, "--config", cfg, "--", "/t/" + probe_name};
    cmd.insert(cmd.end(), probes.begin(), probes.end());
    return Rampart(cmd);
  }
  static int LandlockAbi() {
    long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : static_cast<int>(abi);
  }
  void SkipOrFail(const std::string& why) {
    const char* must = getenv("RAMPART_TESTS_MUST_RUN");
    if (must && std::string(must) == "1") FAIL() << why << " (RAMPART_TESTS_MUST_RUN=1)";
    GTEST_SKIP() << why;
  }
};

TEST_F(NetworkPolicyTest, FamiliesNotListedGetEpermInTheContainer) {
  Profile("unixonly", "network:\n  families: [unix]\n");
  auto r = RunProbe("unixonly", {"socket_unix", "socket_inet", "socket_inet6", "socket_netlink", "socket_packet"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  testing_support::Probe p = testing_support::ParseProbe(r.out);
  EXPECT_EQ(p.Get("socket_unix"), "OK") << Describe(r);
  for (const char* denied : {"socket_inet", "socket_inet6", "socket_netlink", "socket_packet"})
    EXPECT_EQ(p.Get(denied), "EPERM") << denied << Describe(r);

  // The same probes under the default profile: every one of these works,
  // so the EPERMs above come from the network section.
  auto d = RunProbe("default", {"socket_unix", "socket_inet", "socket_inet6", "socket_netlink", "socket_packet"});
  ASSERT_EQ(Code(d), 0) << Describe(d);
  testing_support::Probe dp = testing_support::ParseProbe(d.out);
  for (const char* ok : {"socket_unix", "socket_inet", "socket_inet6", "socket_netlink", "socket_packet"})
    EXPECT_EQ(dp.Get(ok), "OK") << ok << Describe(d);
}

TEST_F(NetworkPolicyTest, RawNeedsToBeListed) {
  Profile("inet", "network:\n  families: [inet]\n");
  Profile("inetraw", "network:\n  families: [inet, raw]\n");
  auto r = RunProbe("inet", {"socket_inet", "socket_inet_raw"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  testing_support::Probe p = testing_support::ParseProbe(r.out);
  EXPECT_EQ(p.Get("socket_inet"), "OK") << Describe(r);
  EXPECT_EQ(p.Get("socket_inet_raw"), "EPERM") << Describe(r);
  auto raw = RunProbe("inetraw", {"socket_inet_raw"});
  ASSERT_EQ(Code(raw), 0) << Describe(raw);
  EXPECT_EQ(testing_support::ParseProbe(raw.out).Get("socket_inet_raw"), "OK") << Describe(raw);
}

TEST_F(NetworkPolicyTest, TcpPortsAreEnforcedByLandlock) {
  if (LandlockAbi() < 4) return SkipOrFail("the kernel's Landlock has no TCP rules (ABI < 4)");
  Profile("ports", "network:\n  tcp: {bind: [8080], connect: [9000]}\n");
  auto r = RunProbe("ports", {"tcp_bind:8080", "tcp_bind:8081", "tcp_connect:9000", "tcp_connect:9001", "socket_unix"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  testing_support::Probe p = testing_support::ParseProbe(r.out);
  EXPECT_EQ(p.Get("tcp_bind:8080"), "OK") << Describe(r);
  EXPECT_EQ(p.Get("tcp_bind:8081"), "EACCES") << Describe(r);
  EXPECT_EQ(p.Get("tcp_connect:9000"), "ECONNREFUSED") << "allowed: reaches the empty loopback" << Describe(r);
  EXPECT_EQ(p.Get("tcp_connect:9001"), "EACCES") << Describe(r);
  EXPECT_EQ(p.Get("socket_unix"), "OK") << "no families list: every family" << Describe(r);

  // Without the section both ports behave alike.
  auto d = RunProbe("default", {"tcp_bind:8081", "tcp_connect:9001"});
  ASSERT_EQ(Code(d), 0) << Describe(d);
  testing_support::Probe dp = testing_support::ParseProbe(d.out);
  EXPECT_EQ(dp.Get("tcp_bind:8081"), "OK") << Describe(d);
  EXPECT_EQ(dp.Get("tcp_connect:9001"), "ECONNREFUSED") << Describe(d);
}

TEST_F(NetworkPolicyTest, AContradictionIsRefusedWithBothPlaces) {
  Profile("contra", "seccomp:\n  deny: [socket]\nnetwork:\n  families: [inet]\n");
  auto r = Rampart({"run", name_, "--rm", "--profile", "contra", "--", "/bin/true"});
  EXPECT_NE(Code(r), 0) << Describe(r);
  const std::string file = dir_ + "/root/policies/contra.yaml";
  EXPECT_NE(r.err.find(file + ":6:14: network family 'inet' is allowed here but seccomp denies socket(2) for it (" +
                       file + ":4:10)"),
            std::string::npos)
      << Describe(r);
  auto ls = Rampart({"ls"});
  EXPECT_EQ(ls.out.find(name_), std::string::npos) << "nothing is left behind" << Describe(ls);
}

}  // namespace
}  // namespace rampart
