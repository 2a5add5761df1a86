// End to end: rampart networks seen from outside. Every test builds a
// private test-host network namespace and runs the rampart CLI inside it
// (nsenter), so bridges, veths, nft tables and dnsmasq all live there; an
// "outside" namespace linked to the test host by a veth stands for the rest
// of the world. Addresses (10.88.x, 10.89.x) exist only in these namespaces.
#include "tests/integration/net/net_e2e_fixture.h"

namespace rampart::testing_support {
namespace {

using std::chrono::milliseconds;

TEST_F(NetE2eTest, TwoContainersPingAndResolveEachOtherAndTheHostResolvesThem) {
  auto c = Rampart({"net", "create", "lan", "--bridge", "--subnet", "10.88.0.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto a = Rampart({"run", "alpha", "-d", "--net", "lan", "--", "/bin/sleep", "1000"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  const std::string ip_a = ContainerIp("alpha");
  ASSERT_FALSE(ip_a.empty()) << "no ip for alpha in rampart info";
  EXPECT_EQ(ip_a.rfind("10.88.0.", 0), 0u) << ip_a;

  auto ping = Rampart({"run", "beta", "--rm", "--net", "lan", "--", "/bin/ping", "-c", "1", "-W", "3", ip_a});
  EXPECT_EQ(Code(ping), 0) << "beta cannot ping alpha at " << ip_a << Describe(ping);
  EXPECT_TRUE(Has(ping.out, "1 packets received")) << Describe(ping);

  // Container beta resolves alpha by name through the network's dnsmasq.
  auto dns = Rampart({"run", "gamma", "--rm", "--net", "lan", "--", "/bin/busybox", "nslookup", "alpha.lan", "10.88.0.1"});
  EXPECT_EQ(Code(dns), 0) << Describe(dns);
  EXPECT_TRUE(Has(dns.out, ip_a)) << "alpha.lan did not resolve to " << ip_a << Describe(dns);

  // The host side resolves it too.
  auto host_dns = InHost({"busybox", "nslookup", "alpha.lan", "10.88.0.1"});
  EXPECT_TRUE(Has(host_dns.out, ip_a)) << Describe(host_dns);

  // Stopping removes its veth; destroying releases its address.
  auto stop = Rampart({"stop", "alpha", "-t", "1"});
  EXPECT_EQ(Code(stop), 0) << Describe(stop);
  for (const auto& l : TaggedLinksSettled(0, "rampart:lan:")) ADD_FAILURE() << "left behind after stop: " << l;
  auto destroy = Rampart({"destroy", "alpha"});
  EXPECT_EQ(Code(destroy), 0) << Describe(destroy);
  auto info = Rampart({"--format", "json", "net", "info", "lan"});
  auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << Describe(info);
  EXPECT_TRUE(j["containers"].empty()) << "addresses left after destroy: " << j.dump();
  auto gone = InHost({"busybox", "nslookup", "alpha.lan", "10.88.0.1"});
  EXPECT_FALSE(Has(gone.out, ip_a)) << "alpha.lan still resolves after destroy" << Describe(gone);

  // net rm leaves no bridge, table or dnsmasq.
  auto rm = Rampart({"net", "rm", "lan"});
  EXPECT_EQ(Code(rm), 0) << Describe(rm);
  EXPECT_TRUE(TaggedLinks().empty()) << "tagged links left: " << TaggedLinks()[0];
  auto nft = InHost({"nft", "list", "tables"});
  EXPECT_FALSE(Has(nft.out, "rampart_")) << Describe(nft);
  EXPECT_TRUE(DnsmasqPids().empty()) << "dnsmasq still runs after net rm";
}

TEST_F(NetE2eTest, ContainerGetsADhcpLeaseFromTheNetworksDnsmasq) {
  auto c = Rampart({"net", "create", "dh", "--bridge", "--subnet", "10.88.1.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto r = Rampart({"run", "client", "--net", "dh", "--", "/bin/busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "5",
                    "-s", "/bin/true"});
  const std::string ip = ContainerIp("client");
  EXPECT_EQ(Code(r), 0) << Describe(r);
  ASSERT_FALSE(ip.empty());
  // The lease is the container's IPAM address: dnsmasq holds its reservation.
  EXPECT_TRUE(Has(r.out + r.err, "lease of " + ip + " obtained")) << "expected a lease of " << ip << Describe(r);
}

TEST_F(NetE2eTest, NatMasqueradesAndPublishForwards) {
  MakeOutside();
  auto c = Rampart({"net", "create", "wan", "--bridge", "--subnet", "10.88.2.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  {
    PeerRecorder server(*outside_, 9000);
    auto r = Rampart({"run", "out", "--rm", "--net", "wan", "--", "/bin/busybox", "nc", "10.89.0.2", "9000"});
    EXPECT_EQ(Code(r), 0) << Describe(r);
    EXPECT_TRUE(Has(r.out, "hello")) << Describe(r);
    EXPECT_EQ(server.Peer(), "10.89.0.1") << "the outside server must see the test host's address (masquerade)";
  }
  // A published port reaches a server inside the container.
  auto srv = Rampart({"run", "web", "-d", "--net", "wan", "-p", "8080:80", "--", "/bin/busybox", "nc", "-ll", "-p", "80", "-e",
                      "/bin/echo", "published"});
  ASSERT_EQ(Code(srv), 0) << Describe(srv);
  std::string got;
  for (int i = 0; i < 50 && !Has(got, "published"); ++i) {
    auto r = outside_->Run({"busybox", "nc", "-w", "2", "10.89.0.1", "8080"}, {}, std::chrono::seconds(10));
    if (r) got = r->out + r->err;
    if (!Has(got, "published")) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(Has(got, "published")) << "10.89.0.1:8080 from outside did not reach the container: " << got;
  // The container reaches its own published port through the host
  // (hairpin on its bridge port).
  auto self = Rampart({"exec", "web", "--", "/bin/busybox", "nc", "-w", "2", "10.89.0.1", "8080"});
  EXPECT_TRUE(Has(self.out, "published")) << "hairpin to its own published port failed" << Describe(self);
  auto nft = InHost({"nft", "list", "table", "inet", "rampart_wan"});
  EXPECT_TRUE(Has(nft.out, "rampart:web")) << Describe(nft);
  auto d = Rampart({"destroy", "-f", "web"});
  EXPECT_EQ(Code(d), 0) << Describe(d);
  auto after = InHost({"nft", "list", "table", "inet", "rampart_wan"});
  EXPECT_FALSE(Has(after.out, "rampart:web")) << "forward left after destroy" << Describe(after);
}

TEST_F(NetE2eTest, BadInputChangesNothing) {
  auto c = Rampart({"net", "create", "one", "--bridge", "--subnet", "10.88.3.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"net", "create", "two", "--bridge", "--subnet", "10.88.3.0/25"}, "overlaps"},
      {{"net", "create", "three", "--bridge", "--subnet", "10.88.4.0/24", "--gateway", "10.88.5.1"}, "outside"},
      {{"net", "create", "one", "--bridge", "--subnet", "10.88.6.0/24"}, "already exists"},
      {{"net", "create", "four", "--bridge", "--subnet", "10.88.7.0/33"}, "prefix"},
  };
  for (const auto& k : cases) {
    auto r = Rampart(k.args);
    EXPECT_EQ(Code(r), 125) << Describe(r);
    EXPECT_TRUE(Has(r.err, k.error)) << "expected '" << k.error << "'" << Describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one error line" << Describe(r);
  }
  // A foreign interface with the bridge's name is refused, not taken over.
  auto dummy = InHost({"ip", "link", "add", "foreign0", "type", "veth", "peer", "name", "foreign1"});
  ASSERT_EQ(Code(dummy), 0) << Describe(dummy);
  auto clash = Rampart({"net", "create", "foreign0", "--bridge", "--subnet", "10.88.8.0/24"});
  EXPECT_EQ(Code(clash), 125) << Describe(clash);
  EXPECT_TRUE(Has(clash.err, "not rampart's")) << Describe(clash);
  auto ls = Rampart({"--format", "json", "net", "ls"});
  auto j = nlohmann::json::parse(ls.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << Describe(ls);
  EXPECT_EQ(j.size(), 1u) << "only network 'one' may exist: " << j.dump();
  auto still = InHost({"ip", "-d", "link", "show", "foreign0"});
  EXPECT_TRUE(Has(still.out, "veth")) << "the foreign interface was touched" << Describe(still);

  // Addresses: outside the subnet, taken.
  auto a = Rampart({"run", "a1", "-d", "--net", "one:ip=10.88.3.50", "--", "/bin/sleep", "100"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  auto taken = Rampart({"run", "a2", "--rm", "--net", "one:ip=10.88.3.50", "--", "/bin/true"});
  EXPECT_EQ(Code(taken), 125) << Describe(taken);
  EXPECT_TRUE(Has(taken.err, "10.88.3.50")) << Describe(taken);
  auto outside = Rampart({"run", "a3", "--rm", "--net", "one:ip=10.99.0.5", "--", "/bin/true"});
  EXPECT_EQ(Code(outside), 125) << Describe(outside);
  auto rm = Rampart({"net", "rm", "one"});
  EXPECT_EQ(Code(rm), 125) << "net rm of a network in use must be refused" << Describe(rm);
  EXPECT_TRUE(Has(rm.err, "a1")) << Describe(rm);
  // Nothing of the failed containers is left: only a1's veth.
  auto links = TaggedLinksSettled(1, "rampart:one:");
  int veths = 0;
  for (const auto& l : links) veths += Has(l, "rampart:one:") ? 1 : 0;
  EXPECT_EQ(veths, 1) << "expected only a1's veth";
}

TEST_F(NetE2eTest, TwoNetworksGiveTwoInterfacesAndTheFirstHasTheRoute) {
  auto a = Rampart({"net", "create", "front", "--bridge", "--subnet", "10.88.12.0/24", "--mtu", "1400"});
  ASSERT_EQ(Code(a), 0) << Describe(a);
  auto b = Rampart({"net", "create", "back", "--bridge", "--subnet", "10.88.13.0/24", "--no-nat"});
  ASSERT_EQ(Code(b), 0) << Describe(b);
  auto r = Rampart({"run", "two", "--rm", "--net", "front", "--net", "back:ip=10.88.13.40,name=data0", "--",
                    "/bin/sh", "-c", "ip -o addr show; ip -o link show; ip route"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  EXPECT_TRUE(Has(r.out, "eth0")) << Describe(r);
  EXPECT_TRUE(Has(r.out, "inet 10.88.12.")) << Describe(r);
  EXPECT_TRUE(Has(r.out, "data0")) << Describe(r);
  EXPECT_TRUE(Has(r.out, "inet 10.88.13.40/24")) << Describe(r);
  EXPECT_TRUE(Has(r.out, "default via 10.88.12.1 dev eth0")) << "the first network carries the route" << Describe(r);
  EXPECT_FALSE(Has(r.out, "default via 10.88.13.1")) << Describe(r);
  EXPECT_TRUE(Has(r.out, "mtu 1400")) << "eth0 takes the network's MTU" << Describe(r);
}

TEST_F(NetE2eTest, MissingDnsmasqIsOneErrorAndLeavesNothing) {
  env_.push_back("RAMPART_DNSMASQ=/nonexistent/dnsmasq");
  auto c = Rampart({"net", "create", "nodns", "--bridge", "--subnet", "10.88.10.0/24"});
  EXPECT_EQ(Code(c), 125) << Describe(c);
  EXPECT_TRUE(Has(c.err, "dnsmasq")) << Describe(c);
  EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << "one error line" << Describe(c);
  EXPECT_TRUE(TaggedLinks().empty()) << "a bridge was left: " << TaggedLinks()[0];
  auto nft = InHost({"nft", "list", "tables"});
  EXPECT_FALSE(Has(nft.out, "rampart_")) << Describe(nft);
  auto ls = Rampart({"--format", "json", "net", "ls"});
  EXPECT_EQ(nlohmann::json::parse(ls.out, nullptr, false), nlohmann::json::array()) << Describe(ls);
}

TEST_F(NetE2eTest, DeadDnsmasqIsRestartedByTheNextStart) {
  auto c = Rampart({"net", "create", "re", "--bridge", "--subnet", "10.88.11.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto pids = DnsmasqPids();
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  for (int i = 0; i < 100 && kill(pids[0], 0) == 0; ++i) std::this_thread::sleep_for(milliseconds(20));
  auto r = Rampart({"run", "x", "--rm", "--net", "re", "--", "/bin/busybox", "nslookup", "x", "10.88.11.1"});
  EXPECT_EQ(Code(r), 0) << Describe(r);
  auto after = DnsmasqPids();
  ASSERT_EQ(after.size(), 1u) << "dnsmasq did not come back";
  EXPECT_NE(after[0], pids[0]);
  auto info = Rampart({"--format", "json", "net", "info", "re"});
  auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << Describe(info);
  EXPECT_EQ(j.value("dnsmasq_pid", 0), after[0]) << j.dump();
}

TEST_F(NetE2eTest, HundredAttachDetachCyclesLeakNothing) {
  auto c = Rampart({"net", "create", "cyc", "--bridge", "--subnet", "10.88.9.0/24"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  for (int i = 0; i < 100; ++i) {
    auto r = Rampart({"run", "c" + std::to_string(i % 3), "--rm", "--net", "cyc", "--", "/bin/true"});
    ASSERT_EQ(Code(r), 0) << "cycle " << i << Describe(r);
  }
  auto left = TaggedLinksSettled(0, "rampart:cyc:");
  EXPECT_TRUE(left.empty()) << "veths left after 100 cycles, e.g. " << (left.empty() ? "" : left[0]);
  auto info = Rampart({"--format", "json", "net", "info", "cyc"});
  auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << Describe(info);
  EXPECT_TRUE(j["containers"].empty()) << "addresses left: " << j.dump();
  auto nft = InHost({"nft", "list", "table", "inet", "rampart_cyc"});
  EXPECT_FALSE(Has(nft.out, "rampart:c")) << Describe(nft);
  EXPECT_EQ(DnsmasqPids().size(), 1u) << "one dnsmasq for the network";
}

}  // namespace
}  // namespace rampart::testing_support
