#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/network_spec.h"
#include "tests/unit/net_test_util.h"

namespace rampart::net {
namespace {

using testing_util::A;
using testing_util::C;

NetworkSpec Web() {
  NetworkSpec s;
  s.name = "web";
  s.subnet = C("10.0.3.0/24");
  return s;
}

// "ok" if the spec validates, else the error message.
std::string Check(const NetworkSpec& s) {
  Status st = ValidateNetworkSpec(s);
  if (st.has_value()) return "ok";
  EXPECT_EQ(st.error().kind(), ErrorKind::kInvalid) << st.error().message();
  return st.error().message();
}

std::string FromJsonError(const std::string& json) {
  auto r = NetworkSpecFromJson(json);
  if (r.has_value()) return "(parsed: " + NetworkSpecToJson(*r) + ")";
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << r.error().message();
  return r.error().message();
}

TEST(NetNetworkSpecTest, FillsDefaults) {
  NetworkSpec s = Web();
  FillNetworkDefaults(s);
  EXPECT_EQ(s.bridge, "web");
  ASSERT_TRUE(s.gateway.has_value());
  EXPECT_EQ(s.gateway->ToString(), "10.0.3.1");
  EXPECT_EQ(s.domain, "web");
  EXPECT_TRUE(s.ovs_bridge.empty()) << s.ovs_bridge;
  EXPECT_TRUE(s.datapath.empty()) << s.datapath;
  EXPECT_EQ(Check(s), "ok");

  NetworkSpec o = Web();
  o.kind = NetworkSpec::kOvs;
  o.bridge = "br-web";
  FillNetworkDefaults(o);
  EXPECT_EQ(o.ovs_bridge, "br-web");
  EXPECT_EQ(o.datapath, "system");
  EXPECT_EQ(Check(o), "ok");

  // Idempotent, and explicit values stay.
  NetworkSpec again = o;
  FillNetworkDefaults(again);
  EXPECT_EQ(again, o);
  NetworkSpec g = Web();
  g.gateway = A("10.0.3.254");
  g.domain = "example.test";
  FillNetworkDefaults(g);
  EXPECT_EQ(g.gateway->ToString(), "10.0.3.254");
  EXPECT_EQ(g.domain, "example.test");
}

TEST(NetNetworkSpecTest, NameRules) {
  NetworkSpec s = Web();
  for (const char* good : {"a", "web", "Net-1", "net_1.b", "0net", "abcdefghijklmno"}) {
    s.name = good;
    s.domain = "ok";  // the name alone is checked here
    EXPECT_EQ(Check(s), "ok") << good;
  }
  s.name = "";
  EXPECT_EQ(Check(s), "network name '' is empty");
  s.name = "abcdefghijklmnop";
  EXPECT_EQ(Check(s), "network name 'abcdefghijklmnop' is longer than 15 characters");
  s.name = "-web";
  EXPECT_EQ(Check(s), "network name '-web' must start with a letter or digit");
  s.name = ".web";
  EXPECT_EQ(Check(s), "network name '.web' must start with a letter or digit");
  s.name = "we b";
  EXPECT_EQ(Check(s), "network name 'we b' may only hold letters, digits, '_', '.' and '-'");
  s.name = "we/b";
  EXPECT_EQ(Check(s), "network name 'we/b' may only hold letters, digits, '_', '.' and '-'");

  NetworkSpec b = Web();
  b.bridge = "a-very-long-bridge";
  EXPECT_EQ(Check(b), "network web: bridge name 'a-very-long-bridge' is longer than 15 characters");
}

TEST(NetNetworkSpecTest, GatewayRules) {
  NetworkSpec s = Web();
  s.gateway = A("10.0.4.1");
  EXPECT_EQ(Check(s), "network web: gateway 10.0.4.1 is outside subnet 10.0.3.0/24");
  s.gateway = A("10.0.3.0");
  EXPECT_EQ(Check(s), "network web: gateway 10.0.3.0 is the network address of subnet 10.0.3.0/24");
  s.gateway = A("10.0.3.255");
  EXPECT_EQ(Check(s),
            "network web: gateway 10.0.3.255 is the broadcast address of subnet 10.0.3.0/24");
  s.gateway = A("10.0.3.254");
  EXPECT_EQ(Check(s), "ok");

  NetworkSpec l2;
  l2.name = "l2";
  l2.dhcp = l2.dns = l2.nat = false;
  EXPECT_EQ(Check(l2), "ok");
  l2.gateway = A("10.0.3.1");
  EXPECT_EQ(Check(l2), "network l2: gateway 10.0.3.1 needs a subnet");
}

TEST(NetNetworkSpecTest, ServicesNeedASubnet) {
  NetworkSpec s;
  s.name = "l2";
  EXPECT_EQ(Check(s), "network l2: dhcp needs a subnet");
  s.dhcp = false;
  EXPECT_EQ(Check(s), "network l2: dns needs a subnet");
  s.dns = false;
  EXPECT_EQ(Check(s), "network l2: nat needs a subnet");
  s.nat = false;
  EXPECT_EQ(Check(s), "ok");
}

TEST(NetNetworkSpecTest, SubnetRules) {
  NetworkSpec s = Web();
  s.subnet = C("10.0.3.0/31");
  EXPECT_EQ(Check(s), "network web: subnet 10.0.3.0/31: prefix length must be 8-30 for a network");
  s.subnet = C("10.0.0.0/7");
  EXPECT_EQ(Check(s), "network web: subnet 10.0.0.0/7: prefix length must be 8-30 for a network");
  s.subnet = C("127.0.3.0/24");
  EXPECT_EQ(Check(s), "network web: subnet 127.0.3.0/24: overlaps the loopback block 127.0.0.0/8");
  s.subnet = C("239.1.0.0/16");
  EXPECT_EQ(Check(s),
            "network web: subnet 239.1.0.0/16: overlaps the multicast and reserved block "
            "224.0.0.0/3");
  s.subnet = C("0.0.1.0/24");
  EXPECT_EQ(Check(s),
            "network web: subnet 0.0.1.0/24: overlaps the \"this network\" block 0.0.0.0/8");
  s.subnet = C("10.0.3.4/30");
  EXPECT_EQ(Check(s), "ok");
  s.subnet = C("192.168.0.0/16");
  EXPECT_EQ(Check(s), "ok");
}

TEST(NetNetworkSpecTest, DomainRules) {
  NetworkSpec s = Web();
  for (const char* good : {"web", "rampart0", "a.b.c", "my_net.example", "x-1.test"}) {
    s.domain = good;
    EXPECT_EQ(Check(s), "ok") << good;
  }
  s.domain = "a..b";
  EXPECT_EQ(Check(s), "network web: domain 'a..b' has an empty label");
  s.domain = "web.";
  EXPECT_EQ(Check(s), "network web: domain 'web.' has an empty label");
  s.domain = "-web";
  EXPECT_EQ(Check(s), "network web: domain '-web' has a label that starts or ends with '-'");
  s.domain = "we b";
  EXPECT_EQ(Check(s),
            "network web: domain 'we b' may only hold letters, digits, '-', '_' and dots between "
            "labels");
  s.domain = std::string(64, 'a');
  EXPECT_EQ(Check(s),
            "network web: domain '" + s.domain + "' has a label longer than 63 characters");
  // The default comes from the name, which allows what a domain does not.
  NetworkSpec d = Web();
  d.name = "web.";
  EXPECT_EQ(Check(d),
            "network web.: domain 'web.' has an empty label (it defaults to the network name; "
            "set one)");
  d.dns = false;
  EXPECT_EQ(Check(d), "ok");
}

TEST(NetNetworkSpecTest, MtuAndVlanRanges) {
  NetworkSpec s = Web();
  for (unsigned mtu : {0u, 68u, 1500u, 9000u, 65535u}) {
    s.mtu = mtu;
    EXPECT_EQ(Check(s), "ok") << mtu;
  }
  s.mtu = 67;
  EXPECT_EQ(Check(s), "network web: mtu 67 is out of range 68-65535 (or 0 for the default)");
  s.mtu = 65536;
  EXPECT_EQ(Check(s), "network web: mtu 65536 is out of range 68-65535 (or 0 for the default)");
  s.mtu = 0;
  for (int vlan : {0, 1, 4094}) {
    s.vlan = vlan;
    EXPECT_EQ(Check(s), "ok") << vlan;
  }
  s.vlan = 4095;
  EXPECT_EQ(Check(s), "network web: vlan 4095 is out of range 1-4094 (or 0 for none)");
  s.vlan = -1;
  EXPECT_EQ(Check(s), "network web: vlan -1 is out of range 1-4094 (or 0 for none)");
}

TEST(NetNetworkSpecTest, OvsFields) {
  NetworkSpec b = Web();
  b.ovs_bridge = "br-int";
  EXPECT_EQ(Check(b), "network web: ovs_bridge is only for ovs networks");
  b.ovs_bridge.clear();
  b.datapath = "netdev";
  EXPECT_EQ(Check(b), "network web: datapath is only for ovs networks");
  b.datapath.clear();
  b.trunks = {10};
  EXPECT_EQ(Check(b), "network web: trunks are only for ovs networks");

  NetworkSpec o = Web();
  o.kind = NetworkSpec::kOvs;
  o.datapath = "netdev";
  o.trunks = {10, 20, 4094};
  o.vlan = 10;
  EXPECT_EQ(Check(o), "ok");
  o.datapath = "dpdk";
  EXPECT_EQ(Check(o), "network web: datapath 'dpdk' must be system or netdev");
  o.datapath = "system";
  o.trunks = {10, 4095};
  EXPECT_EQ(Check(o), "network web: trunk vlan 4095 is out of range 1-4094");
  o.trunks = {10, 20, 10};
  EXPECT_EQ(Check(o), "network web: trunk vlan 10 is listed twice");
  o.trunks = {};
  o.ovs_bridge = "br int";
  EXPECT_EQ(Check(o),
            "network web: ovs_bridge 'br int' may only hold letters, digits, '_', '.' and '-'");
}

TEST(NetNetworkSpecTest, KindNames) {
  EXPECT_STREQ(NetworkKindName(NetworkSpec::kBridge), "bridge");
  EXPECT_STREQ(NetworkKindName(NetworkSpec::kOvs), "ovs");
  auto k = ParseNetworkKind("ovs");
  ASSERT_TRUE(k.has_value()) << k.error().message();
  EXPECT_EQ(*k, NetworkSpec::kOvs);
  auto bad = ParseNetworkKind("macvlan");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "unknown network kind 'macvlan' (expected bridge or ovs)");
}

TEST(NetNetworkSpecTest, JsonRoundTrip) {
  NetworkSpec s = Web();
  s.mtu = 1400;
  s.vlan = 7;
  s.nat = false;
  s.domain = "web.test";
  const std::string json = NetworkSpecToJson(s);
  EXPECT_EQ(json,
            "{\n"
            "  \"name\": \"web\",\n"
            "  \"kind\": \"bridge\",\n"
            "  \"bridge\": \"web\",\n"
            "  \"subnet\": \"10.0.3.0/24\",\n"
            "  \"gateway\": \"10.0.3.1\",\n"
            "  \"dhcp\": true,\n"
            "  \"dns\": true,\n"
            "  \"nat\": false,\n"
            "  \"domain\": \"web.test\",\n"
            "  \"mtu\": 1400,\n"
            "  \"vlan\": 7\n"
            "}\n");
  auto back = NetworkSpecFromJson(json);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  FillNetworkDefaults(s);
  EXPECT_EQ(*back, s) << NetworkSpecToJson(*back);

  NetworkSpec o = Web();
  o.kind = NetworkSpec::kOvs;
  o.ovs_bridge = "br-int";
  o.datapath = "netdev";
  o.trunks = {100, 200};
  auto ob = NetworkSpecFromJson(NetworkSpecToJson(o));
  ASSERT_TRUE(ob.has_value()) << ob.error().message();
  FillNetworkDefaults(o);
  EXPECT_EQ(*ob, o) << NetworkSpecToJson(*ob);

  NetworkSpec l2;
  l2.name = "l2";
  l2.dhcp = l2.dns = l2.nat = false;
  const std::string l2json = NetworkSpecToJson(l2);
  EXPECT_NE(l2json.find("\"subnet\": null"), std::string::npos) << l2json;
  auto lb = NetworkSpecFromJson(l2json);
  ASSERT_TRUE(lb.has_value()) << lb.error().message();
  EXPECT_FALSE(lb->subnet.has_value());
  EXPECT_FALSE(lb->gateway.has_value());
}

TEST(NetNetworkSpecTest, JsonMinimalFillsDefaults) {
  auto s = NetworkSpecFromJson(R"({"name": "db", "subnet": "10.9.0.0/16"})");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->bridge, "db");
  EXPECT_EQ(s->gateway->ToString(), "10.9.0.1");
  EXPECT_EQ(s->domain, "db");
  EXPECT_TRUE(s->dhcp && s->dns && s->nat);
  EXPECT_EQ(s->kind, NetworkSpec::kBridge);
}

TEST(NetNetworkSpecTest, JsonErrorsNameTheField) {
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/33"})"),
            "network web: field subnet: 10.0.3.0/33: prefix length must be 0-32");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": 5})"),
            "network web: field subnet: expected a string");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "gateway": "10.0.3"})"),
            "network web: field gateway: 10.0.3: expected 4 octets separated by dots, got 3");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "mtu": "1500"})"),
            "network web: field mtu: expected an integer");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "mtu": -1})"),
            "network web: field mtu: -1 is out of range 0-65535");
  EXPECT_EQ(
      FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "vlan": 99999999999999999999})"),
      "network web: field vlan: expected an integer");
  EXPECT_EQ(
      FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "vlan": 18446744073709551615})"),
      "network web: field vlan: out of range 0-4094");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "dhcp": "yes"})"),
            "network web: field dhcp: expected true or false");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "kind": "macvlan"})"),
            "network web: field kind: unknown network kind 'macvlan' (expected bridge or ovs)");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "kind": "ovs", "trunks": 5})"),
            "network web: field trunks: expected an array of vlan ids");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "kind": "ovs", "trunks": [1, 0]})"),
            "network web: field trunks: 0 is out of range 1-4094");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnett": "10.0.3.0/24"})"),
            "network web: field subnett: unknown field");
  EXPECT_EQ(FromJsonError(R"({"subnet": "10.0.3.0/24"})"), "network: field name: missing");
  EXPECT_EQ(FromJsonError(R"({"name": 3})"), "network: field name: expected a string");
  EXPECT_EQ(FromJsonError("{"), "network: not valid JSON");
  EXPECT_EQ(FromJsonError("[]"), "network: not a JSON object");
  // Validation runs after parsing.
  EXPECT_EQ(FromJsonError(R"({"name": "web"})"), "network web: dhcp needs a subnet");
  EXPECT_EQ(FromJsonError(R"({"name": "web", "subnet": "10.0.3.0/24", "gateway": "10.0.4.1"})"),
            "network web: gateway 10.0.4.1 is outside subnet 10.0.3.0/24");
}

TEST(NetNetworkSpecTest, DefaultNetworkWithNoRoutes) {
  auto s = DefaultNetworkSpec({});
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->name, "rampart0");
  EXPECT_EQ(s->kind, NetworkSpec::kBridge);
  EXPECT_EQ(s->bridge, "rampart0");
  ASSERT_TRUE(s->subnet.has_value());
  EXPECT_EQ(s->subnet->ToString(), "10.0.3.0/24");
  ASSERT_TRUE(s->gateway.has_value());
  EXPECT_EQ(s->gateway->ToString(), "10.0.3.1");
  EXPECT_TRUE(s->dhcp);
  EXPECT_TRUE(s->dns);
  EXPECT_TRUE(s->nat);
  EXPECT_EQ(s->domain, "rampart0");
  EXPECT_EQ(Check(*s), "ok");
}

// The default network's subnet given `routes`, or the error message.
std::string DefaultSubnet(const std::vector<Ipv4Cidr>& routes) {
  auto s = DefaultNetworkSpec(routes);
  if (!s.has_value()) return s.error().message();
  return s->subnet->ToString();
}

TEST(NetNetworkSpecTest, DefaultNetworkAvoidsRoutesInUse) {
  EXPECT_EQ(DefaultSubnet({C("10.0.3.0/24")}), "10.0.4.0/24");
  EXPECT_EQ(DefaultSubnet({C("10.0.3.0/24"), C("10.0.4.0/24")}), "10.0.5.0/24");
  EXPECT_EQ(DefaultSubnet({C("10.0.3.128/25")}), "10.0.4.0/24");
  EXPECT_EQ(DefaultSubnet({C("10.0.0.0/16")}), "10.1.0.0/24");
  EXPECT_EQ(DefaultSubnet({C("10.0.0.0/16"), C("10.1.0.0/24")}), "10.1.1.0/24");
  EXPECT_EQ(DefaultSubnet({C("192.168.1.0/24"), C("10.0.0.0/8")}), "172.16.0.0/24");
  EXPECT_EQ(DefaultSubnet({C("10.0.0.0/8"), C("172.16.0.0/16")}), "172.17.0.0/24");
  // A default route overlaps everything and says nothing: ignored.
  EXPECT_EQ(DefaultSubnet({C("0.0.0.0/0"), C("10.0.3.0/24")}), "10.0.4.0/24");
  // A host route (/32) takes its /24 out too.
  EXPECT_EQ(DefaultSubnet({C("10.0.3.9/32")}), "10.0.4.0/24");
  // 10.0.0.0/24 .. 10.0.2.0/24 are not candidates.
  EXPECT_EQ(DefaultSubnet({C("10.0.3.0/24"), C("10.0.1.0/24")}), "10.0.4.0/24");

  auto none = DefaultNetworkSpec({C("10.0.0.0/8"), C("172.16.0.0/12")});
  ASSERT_FALSE(none.has_value()) << "got " << none->subnet->ToString();
  EXPECT_EQ(none.error().kind(), ErrorKind::kExists);
  EXPECT_EQ(none.error().message(),
            "no free /24 for the default network: 10.0.3.0-10.255.255.0 and "
            "172.16.0.0-172.31.255.0 all overlap routes in use");
}

TEST(NetNetworkSpecTest, DefaultNetworkSkipsManyRoutesQuickly) {
  // Every /24 of 10.0.0.0/10 in use, one route each: the search must still
  // find 10.64.0.0/24.
  std::vector<Ipv4Cidr> routes;
  for (uint32_t i = 0; i < (1u << 14); ++i)
    routes.push_back(Ipv4Cidr::Containing(Ipv4Addr(A("10.0.0.0").value() + (i << 8)), 24));
  EXPECT_EQ(DefaultSubnet(routes), "10.64.0.0/24");
}

std::string OverlapError(const NetworkSpec& s, const std::vector<NetworkSpec>& existing,
                         const std::vector<Ipv4Cidr>& routes) {
  Status st = CheckNoOverlap(s, existing, routes);
  if (st.has_value()) return "ok";
  EXPECT_EQ(st.error().kind(), ErrorKind::kExists) << st.error().message();
  return st.error().message();
}

TEST(NetNetworkSpecTest, CheckNoOverlap) {
  NetworkSpec web = Web();
  NetworkSpec db;
  db.name = "db";
  db.subnet = C("10.0.0.0/16");
  NetworkSpec other;
  other.name = "other";
  other.subnet = C("192.168.5.0/24");

  NetworkSpec mine;
  mine.name = "mine";
  mine.subnet = C("10.0.3.0/24");
  EXPECT_EQ(OverlapError(mine, {other, web}, {}),
            "subnet 10.0.3.0/24 overlaps network web (10.0.3.0/24)");
  EXPECT_EQ(OverlapError(mine, {other, db}, {}),
            "subnet 10.0.3.0/24 overlaps network db (10.0.0.0/16)");
  EXPECT_EQ(OverlapError(mine, {other}, {C("0.0.0.0/0"), C("10.0.0.0/8")}),
            "subnet 10.0.3.0/24 overlaps host route 10.0.0.0/8");
  EXPECT_EQ(OverlapError(mine, {other}, {C("0.0.0.0/0"), C("10.0.4.0/24")}), "ok");

  // The network itself (same name) is skipped.
  EXPECT_EQ(OverlapError(web, {web, other}, {}), "ok");

  // Bridge names must differ too.
  NetworkSpec clash;
  clash.name = "clash";
  clash.bridge = "web";
  clash.subnet = C("10.7.0.0/24");
  EXPECT_EQ(OverlapError(clash, {web}, {}), "bridge web is already used by network web");

  // A network without a subnet only clashes by name.
  NetworkSpec l2;
  l2.name = "l2";
  l2.dhcp = l2.dns = l2.nat = false;
  EXPECT_EQ(OverlapError(l2, {web, db}, {C("10.0.0.0/8")}), "ok");
  EXPECT_EQ(OverlapError(mine, {l2}, {}), "ok");
}

}  // namespace
}  // namespace rampart::net
