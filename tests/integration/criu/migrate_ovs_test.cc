// Checkpoint/restore on an Open vSwitch network and migration between two
// rampart roots on two test hosts (root, criu): an established TCP
// connection from outside the container keeps echoing across both, the OVS
// port comes back with a valid ofport, and a migration that cannot be
// restored on the other side leaves the container running where it was.
//
// Two "hosts" are two private network namespaces, each with its own bridge
// (one L2 segment: a veth joins the two bridges) and its own rampart root
// and run dir. Nothing touches the machine's own network.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/criu.h"
#include "tests/integration/net/tcp_peer.h"
#include "tests/integration/net/net_e2e_fixture.h"

namespace rampart::testing_support {
namespace {

bool MustRun() {
  const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");
  return must != nullptr && std::string(must) == "1";
}

class CheckpointNetTest : public NetE2eTest {
 protected:
  void SetUp() override {
    NetE2eTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    auto criu = runtime::FindCriu("");
    if (!criu) {
      if (MustRun()) FAIL() << "no usable criu (" << criu.error().message() << ") and RAMPART_TESTS_MUST_RUN=1";
      GTEST_SKIP() << "no usable criu (" << criu.error().message() << "); scripts/install-criu installs it";
    }
  }

  void AfterNetworksRemoved() override {
    if (host_b_) {
      auto ls = RampartB({"--format", "json", "ls"});
      if (auto j = nlohmann::json::parse(ls.out, nullptr, false); j.is_array())
        for (const auto& c : j) (void)RampartB({"destroy", "-f", c.value("name", "")});
      auto nets = RampartB({"--format", "json", "net", "ls"});
      if (auto j = nlohmann::json::parse(nets.out, nullptr, false); j.is_array())
        for (const auto& n : j) (void)RampartB({"net", "rm", n.value("name", "")});
      (void)RampartB({"gc"});
    }
    if (ovs_started_) {
      auto st = Rampart({"ovs", "stop"});
      EXPECT_EQ(Code(st), 0) << Describe(st);
      for (pid_t pid : LiveProcesses({"ovsdb-server", "ovs-vswitchd"}, dir_)) {
        ADD_FAILURE() << "OVS process " << pid << " survived";
        kill(pid, SIGKILL);
      }
    }
    host_b_.reset();
  }

  // The second test host: its own netns, root and run dir.
  void MakeHostB() {
    auto b = TestNetns::Create();
    ASSERT_TRUE(b.has_value()) << b.error().message();
    host_b_.emplace(std::move(*b));
    env_b_ = {"RAMPART_ROOT=" + dir_ + "/rootB", "RAMPART_RUN=" + dir_ + "/runB", "RAMPART_CONF_DIR=" + dir_ + "/conf",
              "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  }

  CommandOutput RampartB(std::vector<std::string> args) {
    std::vector<std::string> argv = {"env"};
    for (const auto& e : env_b_) argv.push_back(e);
    argv.push_back(RAMPART_BIN);
    for (auto& a : args) argv.push_back(std::move(a));
    auto r = host_b_->Run(argv, {}, std::chrono::seconds(60));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? *r : CommandOutput{};
  }

  // Starts an echo server container on `net_entry` and connects `peer` to it from the test host.
  void EchoServer(const std::string& name, const std::string& net_entry, TcpPeer& peer) {
    auto r = Rampart({"run", "-d", name, "--net", net_entry, "--", "/bin/sh", "-c", "nc -ll -p 5000 -e /bin/cat"});
    ASSERT_EQ(Code(r), 0) << Describe(r);
    const std::string ip = ContainerIp(name);
    ASSERT_FALSE(ip.empty());
    const std::string err = peer.Connect(host_->fd(), ip, 5000);
    ASSERT_EQ(err, "") << "client in the test host could not reach " << ip;
    ASSERT_EQ(peer.Echo("before"), "");
  }

  std::optional<TestNetns> host_b_;
  std::vector<std::string> env_b_;
  bool ovs_started_ = false;
};

TEST_F(CheckpointNetTest, TcpSurvivesCheckpointRestoreOnOvs) {
  auto st = Rampart({"ovs", "start"});
  ASSERT_EQ(Code(st), 0) << Describe(st);
  ovs_started_ = true;
  auto c = Rampart({"net", "create", "ov", "--ovs", "--datapath", "netdev", "--subnet", "10.86.0.0/24", "--no-nat",
                    "--no-dhcp", "--no-dns"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  TcpPeer peer;
  ASSERT_NO_FATAL_FAILURE(EchoServer("ovc", "ov", peer));
  auto ports_before = nlohmann::json::parse(Rampart({"--format", "json", "net", "ports", "ov"}).out, nullptr, false);
  ASSERT_TRUE(ports_before.is_array() && ports_before.size() == 1) << ports_before.dump();

  auto ck = Rampart({"checkpoint", "ovc", "--name", "one"});
  ASSERT_EQ(Code(ck), 0) << Describe(ck);
  auto gone = nlohmann::json::parse(Rampart({"--format", "json", "net", "ports", "ov"}).out, nullptr, false);
  EXPECT_TRUE(gone.is_array() && gone.empty()) << "the stopped container still has a port: " << gone.dump();

  auto rs = Rampart({"restore", "ovc"});
  ASSERT_EQ(Code(rs), 0) << Describe(rs);
  auto ports = nlohmann::json::parse(Rampart({"--format", "json", "net", "ports", "ov"}).out, nullptr, false);
  ASSERT_TRUE(ports.is_array() && ports.size() == 1) << ports.dump();
  EXPECT_EQ(ports[0].value("container", ""), "ovc");
  EXPECT_GT(ports[0].value("ofport", -1), 0) << "the recreated port has no valid ofport: " << ports.dump();
  EXPECT_EQ(peer.Echo("after-restore"), "") << "the connection did not survive the restore";
  EXPECT_TRUE(peer.Established());
}

TEST_F(CheckpointNetTest, MigrationToAnotherRootKeepsTheConnection) {
  ASSERT_NO_FATAL_FAILURE(MakeHostB());
  // Host A and host B: one subnet, one L2 segment, gateways .1 and .254.
  auto a = Rampart({"net", "create", "seg", "--bridge", "--subnet", "10.85.0.0/24", "--no-dhcp", "--no-dns", "--no-nat"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  auto b = RampartB({"net", "create", "seg", "--bridge", "--subnet", "10.85.0.0/24", "--gateway", "10.85.0.254",
                     "--no-dhcp", "--no-dns", "--no-nat"});
  ASSERT_EQ(Code(b), 0) << Describe(b);
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "link", "add", "segA", "type", "veth", "peer", "name", "segB", "netns", host_b_->Path()},
           {"ip", "link", "set", "segA", "master", "seg", "up"}}) {
    auto r = InHost(cmd);
    ASSERT_EQ(Code(r), 0) << Describe(r);
  }
  auto up = host_b_->Run({"ip", "link", "set", "segB", "master", "seg", "up"});
  ASSERT_TRUE(up.has_value() && Code(*up) == 0);

  TcpPeer peer;
  ASSERT_NO_FATAL_FAILURE(EchoServer("mig", "seg", peer));
  const std::string ip = ContainerIp("mig");
  auto m = Rampart({"migrate", "mig", "--to", dir_ + "/rootB", "--to-run", dir_ + "/runB", "--to-netns", host_b_->Path()});
  ASSERT_EQ(Code(m), 0) << Describe(m);
  EXPECT_TRUE(Has(m.out, "migrated mig")) << Describe(m);

  // Gone from A, running on B with the same address.
  auto ls_a = nlohmann::json::parse(Rampart({"--format", "json", "ls"}).out, nullptr, false);
  EXPECT_TRUE(ls_a.is_array() && ls_a.empty()) << "still listed on host A: " << ls_a.dump();
  auto info_b = nlohmann::json::parse(RampartB({"--format", "json", "info", "mig"}).out, nullptr, false);
  ASSERT_TRUE(info_b.is_object()) << "not on host B";
  EXPECT_EQ(info_b.value("state", ""), "running") << info_b.dump();
  EXPECT_EQ(info_b.value("ip", ""), ip) << info_b.dump();
  // B's veth is on B's bridge; A has none left.
  EXPECT_TRUE(TaggedLinksSettled(0, "rampart:seg:").empty()) << "host A still has a container veth";
  auto links_b = host_b_->Run({"ip", "-o", "link", "show", "master", "seg"});
  ASSERT_TRUE(links_b.has_value());
  EXPECT_TRUE(Has(links_b->out, "vr")) << "no container veth on host B's bridge: " << links_b->out;

  // The client on host A talks to the container on host B, same connection.
  EXPECT_EQ(peer.Echo("after-migration"), "") << "the connection did not survive the migration";
}

TEST_F(CheckpointNetTest, FailedMigrationLeavesTheContainerRunningHere) {
  ASSERT_NO_FATAL_FAILURE(MakeHostB());
  auto a = Rampart({"net", "create", "only", "--bridge", "--subnet", "10.84.0.0/24", "--no-dhcp", "--no-dns", "--no-nat"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  TcpPeer peer;
  ASSERT_NO_FATAL_FAILURE(EchoServer("stay", "only", peer));
  // Host B has no network "only": the restore there must fail.
  auto m = Rampart({"migrate", "stay", "--to", dir_ + "/rootB", "--to-run", dir_ + "/runB", "--to-netns", host_b_->Path()});
  EXPECT_NE(Code(m), 0) << Describe(m);
  EXPECT_TRUE(Has(m.err, "only")) << "the error does not say what was missing" << Describe(m);
  EXPECT_TRUE(Has(m.err, "runs here again")) << Describe(m);
  EXPECT_EQ(std::count(m.err.begin(), m.err.end(), '\n'), 1) << "expected one error line" << Describe(m);

  auto info = nlohmann::json::parse(Rampart({"--format", "json", "info", "stay"}).out, nullptr, false);
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info.value("state", ""), "running") << info.dump();
  EXPECT_EQ(peer.Echo("still-here"), "") << "the connection broke in the failed migration";
  // Host B keeps nothing of it: no container, no veth.
  auto ls_b = nlohmann::json::parse(RampartB({"--format", "json", "ls"}).out, nullptr, false);
  EXPECT_TRUE(ls_b.is_array() && ls_b.empty()) << "host B kept: " << ls_b.dump();
  auto links_b = host_b_->Run({"ip", "-o", "link", "show"});
  ASSERT_TRUE(links_b.has_value());
  EXPECT_FALSE(Has(links_b->out, "vr")) << "host B kept a veth: " << links_b->out;
}

}  // namespace
}  // namespace rampart::testing_support
