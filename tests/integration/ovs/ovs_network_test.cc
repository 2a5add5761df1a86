// OVS networks end to end: `rampart ovs start` runs a private ovsdb-server +
// ovs-vswitchd (netdev datapath) inside the test-host namespace, networks
// are made with `net create --ovs`, containers join them like any network.
// `ovs-vsctl` on the private database is the independent oracle.
#include "tests/integration/net/net_e2e_fixture.h"
#include "tests/integration/net/tcp_peer.h"

namespace rampart::testing_support {
namespace {

class OvsNetworkTest : public NetE2eTest {
 protected:
  void SetUp() override {
    NetE2eTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    auto st = Rampart({"ovs", "start"});
    ASSERT_EQ(Code(st), 0) << Describe(st);
    ovs_started_ = true;
  }
  void AfterNetworksRemoved() override {
    if (!ovs_started_) return;
    auto st = Rampart({"ovs", "stop"});
    EXPECT_EQ(Code(st), 0) << Describe(st);
    // No OVS daemon of ours may survive.
    for (pid_t pid : LiveProcesses({"ovsdb-server", "ovs-vswitchd"}, dir_)) {
      ADD_FAILURE() << "OVS process " << pid << " survived";
      kill(pid, SIGKILL);
    }
  }
  CommandOutput Vsctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {"ovs-vsctl", "--db=unix:" + dir_ + "/run/.ovs/db.sock", "--timeout=10"};
    for (auto& a : args) argv.push_back(std::move(a));
    return InHost(argv);
  }
  bool ovs_started_ = false;
};

TEST_F(OvsNetworkTest, ContainersPingAcrossTheOvsBridgeWithDhcpAndDns) {
  auto c = Rampart({"net", "create", "ov", "--ovs", "--datapath", "netdev", "--subnet", "10.87.0.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto a = Rampart({"run", "oa", "-d", "--net", "ov", "--", "/bin/sleep", "1000"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  const std::string ip_a = ContainerIp("oa");
  ASSERT_FALSE(ip_a.empty());
  auto ping = Rampart({"run", "ob", "--rm", "--net", "ov", "--", "/bin/ping", "-c", "1", "-W", "3", ip_a});
  EXPECT_EQ(Code(ping), 0) << "no ping across the OVS bridge to " << ip_a << Describe(ping);
  auto dns = Rampart({"run", "oc", "--rm", "--net", "ov", "--", "/bin/busybox", "nslookup", "oa.ov", "10.87.0.1"});
  EXPECT_TRUE(Has(dns.out, ip_a)) << Describe(dns);
  auto dhcp = Rampart({"run", "od", "--net", "ov", "--", "/bin/busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f",
                       "-t", "5", "-s", "/bin/true"});
  const std::string ip_d = ContainerIp("od");
  EXPECT_TRUE(Has(dhcp.out + dhcp.err, "lease of " + ip_d + " obtained")) << Describe(dhcp);

  // The oracle: our port is there, tagged as ours, with an ofport.
  auto ports = Rampart({"--format", "json", "net", "ports", "ov"});
  auto j = nlohmann::json::parse(ports.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << Describe(ports);
  ASSERT_EQ(j.size(), 1u) << "only oa runs: " << j.dump();
  EXPECT_EQ(j[0].value("container", ""), "oa");
  EXPECT_GT(j[0].value("ofport", -1), 0) << j.dump();
  const std::string port = j[0].value("port", "");
  auto list = Vsctl({"--columns=name,external_ids", "list", "port", port});
  EXPECT_TRUE(Has(list.out, "rampart-container=oa") || Has(list.out, "rampart-container=\"oa\""))
      << Describe(list);

  // Stop removes the port row; destroy keeps nothing of it.
  auto stop = Rampart({"stop", "oa", "-t", "1"});
  EXPECT_EQ(Code(stop), 0) << Describe(stop);
  auto after = Vsctl({"list-ports", "ov"});
  EXPECT_FALSE(Has(after.out, port)) << "port left after stop" << Describe(after);
}

// The userspace datapath forwards what it reads from a veth as it is: with
// checksum offload left on in the container, TCP segments arrive with no
// checksum and are dropped (ping still works). Rampart turns it off.
TEST_F(OvsNetworkTest, TcpCrossesTheOvsBridge) {
  auto c = Rampart({"net", "create", "tc", "--ovs", "--datapath", "netdev", "--subnet", "10.87.2.0/24", "--no-nat",
                    "--no-dhcp", "--no-dns"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto r = Rampart({"run", "-d", "echo", "--net", "tc", "--", "/bin/sh", "-c", "nc -ll -p 5000 -e /bin/cat"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  TcpPeer peer;
  ASSERT_EQ(peer.Connect(host_->fd(), ContainerIp("echo"), 5000), "") << "no TCP from the test host across OVS";
  EXPECT_EQ(peer.Echo("across-ovs", std::chrono::seconds(5)), "");
  auto other = Rampart({"run", "probe", "--rm", "--net", "tc", "--", "/bin/sh", "-c",
                        "echo hi | nc -w 3 " + ContainerIp("echo") + " 5000"});
  EXPECT_EQ(Code(other), 0) << Describe(other);
  EXPECT_TRUE(Has(other.out, "hi")) << "no TCP between two containers across OVS" << Describe(other);
}

TEST_F(OvsNetworkTest, VlanTagsIsolateContainers) {
  auto c = Rampart({"net", "create", "vl", "--ovs", "--datapath", "netdev", "--subnet", "10.87.1.0/24", "--no-nat",
                    "--no-dhcp", "--no-dns"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  for (const auto& [name, spec] : std::vector<std::pair<std::string, std::string>>{
           {"t10a", "vl:vlan=10,ip=10.87.1.10"}, {"t10b", "vl:vlan=10,ip=10.87.1.11"}, {"t20", "vl:vlan=20,ip=10.87.1.20"}}) {
    auto r = Rampart({"run", name, "-d", "--net", spec, "--", "/bin/sleep", "1000"});
    ASSERT_EQ(Code(r), 0) << name << Describe(r);
  }
  auto same = Rampart({"exec", "t10a", "--", "/bin/ping", "-c", "1", "-W", "3", "10.87.1.11"});
  EXPECT_EQ(Code(same), 0) << "tag 10 must reach tag 10" << Describe(same);
  auto other = Rampart({"exec", "t10a", "--", "/bin/ping", "-c", "1", "-W", "2", "10.87.1.20"});
  EXPECT_NE(Code(other), 0) << "tag 10 reached tag 20" << Describe(other);
  auto tags = Vsctl({"--columns=name,tag", "list", "port"});
  EXPECT_TRUE(Has(tags.out, "10")) << Describe(tags);
  EXPECT_TRUE(Has(tags.out, "20")) << Describe(tags);
}

TEST_F(OvsNetworkTest, GcRemovesOnlyOurStalePortsAndVswitchdRestartBringsPortsBack) {
  auto c = Rampart({"net", "create", "gc", "--ovs", "--datapath", "netdev", "--subnet", "10.87.2.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto a = Rampart({"run", "ga", "-d", "--net", "gc", "--", "/bin/sleep", "1000"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  // A foreign port named like one of ours (no external_ids).
  auto add = InHost({"ip", "link", "add", "vrforeign0", "type", "veth", "peer", "name", "vrforeign1"});
  ASSERT_EQ(Code(add), 0) << Describe(add);
  auto fp = Vsctl({"add-port", "gc", "vrforeign0"});
  ASSERT_EQ(Code(fp), 0) << Describe(fp);

  // ovs-vswitchd killed and started again: OVSDB is the truth, ports return.
  auto pid_text = ReadFile(dir_ + "/run/.ovs/ovs-vswitchd.pid");
  ASSERT_TRUE(pid_text.has_value());
  ASSERT_EQ(kill(std::atoi(pid_text->c_str()), SIGKILL), 0);
  std::this_thread::sleep_for(milliseconds(300));
  auto restart = Rampart({"ovs", "start"});
  ASSERT_EQ(Code(restart), 0) << Describe(restart);
  nlohmann::json j;
  for (int i = 0; i < 50; ++i) {
    auto ports = Rampart({"--format", "json", "net", "ports", "gc"});
    j = nlohmann::json::parse(ports.out, nullptr, false);
    if (j.is_array() && j.size() == 1 && j[0].value("ofport", -1) > 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(j.is_array() && j.size() == 1) << j.dump();
  EXPECT_GT(j[0].value("ofport", -1), 0) << "port did not come back after the restart: " << j.dump();
  auto ping = Rampart({"exec", "ga", "--", "/bin/ping", "-c", "1", "-W", "3", "10.87.2.1"});
  EXPECT_EQ(Code(ping), 0) << Describe(ping);

  auto stop = Rampart({"stop", "ga", "-t", "1"});
  ASSERT_EQ(Code(stop), 0) << Describe(stop);

  // rampart killed (SIGKILL) mid-attach, right after its port was added:
  // the port row of ours stays behind, gc removes it and only it.
  env_.push_back("RAMPART_FAULT=net:ovs-port-added");
  auto crash = Rampart({"run", "gb", "--rm", "--net", "gc", "--", "/bin/true"});
  env_.pop_back();
  EXPECT_NE(Code(crash), 0) << Describe(crash);
  auto stale = Rampart({"--format", "json", "net", "ports", "gc"});
  auto sj = nlohmann::json::parse(stale.out, nullptr, false);
  ASSERT_TRUE(sj.is_array() && sj.size() == 1) << "expected the crashed attach's port: " << stale.out;
  EXPECT_EQ(sj[0].value("container", ""), "gb") << sj.dump();
  auto gc = Rampart({"gc"});
  EXPECT_EQ(Code(gc), 0) << Describe(gc);
  auto ports = Vsctl({"list-ports", "gc"});
  EXPECT_TRUE(Has(ports.out, "vrforeign0")) << "gc removed a foreign port" << Describe(ports);
  auto ours = Rampart({"--format", "json", "net", "ports", "gc"});
  auto oj = nlohmann::json::parse(ours.out, nullptr, false);
  EXPECT_TRUE(oj.is_array() && oj.empty()) << "a stale port of ours survived gc: " << ours.out;
  (void)Vsctl({"del-port", "gc", "vrforeign0"});
  (void)InHost({"ip", "link", "del", "vrforeign0"});
}

TEST_F(OvsNetworkTest, NoOvsdbServerIsOneClearError) {
  auto stop = Rampart({"ovs", "stop"});
  ASSERT_EQ(Code(stop), 0) << Describe(stop);
  env_.push_back("RAMPART_OVSDB=unix:" + dir_ + "/run/.ovs/db.sock");
  auto c = Rampart({"net", "create", "no", "--ovs", "--datapath", "netdev", "--subnet", "10.87.3.0/24"});
  EXPECT_EQ(Code(c), 125) << Describe(c);
  EXPECT_TRUE(Has(c.err, "ovsdb")) << Describe(c);
  EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << Describe(c);
  auto ls = Rampart({"--format", "json", "net", "ls"});
  EXPECT_EQ(nlohmann::json::parse(ls.out, nullptr, false), nlohmann::json::array()) << Describe(ls);
}

}  // namespace
}  // namespace rampart::testing_support
