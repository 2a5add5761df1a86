// net/nat: ruleset text, --publish parsing and validation, nft error
// formatting. Pure: no netlink, no root.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/nat.h"

namespace rampart::net {
namespace {

NatConfig WebNet() {
  NatConfig c;
  c.network = "web";
  c.bridge = "rampart0";
  c.subnet = "10.0.3.0/24";
  c.gateway = "10.0.3.1";
  return c;
}

PortForward Fwd(std::string container, std::string proto, uint16_t host, uint16_t port,
                std::string ip) {
  PortForward f;
  f.container = std::move(container);
  f.proto = std::move(proto);
  f.host_port = host;
  f.container_port = port;
  f.container_ip = std::move(ip);
  return f;
}

TEST(NatTableNameTest, PrefixIsTheOwnershipTag) {
  EXPECT_EQ(NatTableName("web"), "rampart_web");
  EXPECT_EQ(NetworkFromNatTable("rampart_web"), "web");
  EXPECT_EQ(NetworkFromNatTable("rampart_"), std::nullopt);
  EXPECT_EQ(NetworkFromNatTable("foreign"), std::nullopt);
  EXPECT_EQ(NetworkFromNatTable("lxc"), std::nullopt);
}

TEST(NatRulesetTest, MasqueradeOnlyMirrorsLxcNet) {
  const std::string text = NatRuleset(WebNet(), {});
  const std::string want =
      "table inet rampart_web {\n"
      "\tchain forward {\n"
      "\t\ttype filter hook forward priority filter; policy accept;\n"
      "\t\tct state established,related accept\n"
      "\t\tiifname \"rampart0\" accept\n"
      "\t\toifname \"rampart0\" accept\n"
      "\t}\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy accept;\n"
      "\t\tiifname \"rampart0\" udp dport { 53, 67 } accept\n"
      "\t\tiifname \"rampart0\" tcp dport 53 accept\n"
      "\t}\n"
      "\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
      "\t\tip saddr 10.0.3.0/24 ip daddr != 10.0.3.0/24 masquerade\n"
      "\t}\n"
      "}\n";
  EXPECT_EQ(text, want) << "got:\n" << text;
}

TEST(NatRulesetTest, PortForwardsGetDnatForwardAndHairpinRules) {
  const std::vector<PortForward> fw = {Fwd("web1", "tcp", 8080, 80, "10.0.3.5"),
                                       Fwd("dns", "udp", 5353, 53, "10.0.3.6")};
  const std::string text = NatRuleset(WebNet(), fw);
  for (const char* line : {
           "\t\tip daddr 10.0.3.5 oifname \"rampart0\" tcp dport 80 ct status dnat accept comment "
           "\"rampart:web1\"\n",
           "\t\tip daddr 10.0.3.6 oifname \"rampart0\" udp dport 53 ct status dnat accept comment "
           "\"rampart:dns\"\n",
           "\t\ttype nat hook prerouting priority dstnat; policy accept;\n",
           "\t\tmeta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.0.3.5:80 "
           "comment \"rampart:web1\"\n",
           "\t\tmeta nfproto ipv4 fib daddr type local udp dport 5353 dnat ip to 10.0.3.6:53 "
           "comment \"rampart:dns\"\n",
           "\t\ttype nat hook output priority -100; policy accept;\n",
           "\t\tip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat ip to "
           "10.0.3.5:80 comment \"rampart:web1\"\n",
           "\t\tct status dnat ip saddr 10.0.3.0/24 ip daddr 10.0.3.0/24 oifname \"rampart0\" "
           "masquerade comment \"rampart hairpin\"\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing line: " << line << "in:\n" << text;
  }
  // The per-container accept comes before the blanket bridge rules.
  EXPECT_LT(text.find("rampart:web1"), text.find("oifname \"rampart0\" accept")) << text;
}

TEST(NatRulesetTest, OptionsOffLeaveOnlyTheForwardChain) {
  NatConfig c = WebNet();
  c.masquerade = false;
  c.dns_dhcp_input = false;
  const std::string text = NatRuleset(c, {});
  EXPECT_EQ(text.find("chain input"), std::string::npos) << text;
  EXPECT_EQ(text.find("chain postrouting"), std::string::npos) << text;
  EXPECT_EQ(text.find("chain prerouting"), std::string::npos) << text;
  EXPECT_EQ(text.find("masquerade"), std::string::npos) << text;
  EXPECT_NE(text.find("chain forward"), std::string::npos) << text;

  // Forwards without masquerade: dnat and hairpin, but no outbound masquerade.
  const std::string fw = NatRuleset(c, {Fwd("a", "tcp", 1, 2, "10.0.3.9")});
  EXPECT_EQ(fw.find("ip daddr != 10.0.3.0/24 masquerade"), std::string::npos) << fw;
  EXPECT_NE(fw.find("rampart hairpin"), std::string::npos) << fw;
}

TEST(NatRulesetTest, ApplyScriptCreatesDeletesThenRecreatesInOneScript) {
  const std::string script = NatApplyScript(WebNet(), {});
  const std::string head = "table inet rampart_web {}\ndelete table inet rampart_web\n";
  ASSERT_EQ(script.substr(0, head.size()), head) << script;
  EXPECT_EQ(script.substr(head.size()), NatRuleset(WebNet(), {}));
}

TEST(NatParsePublishTest, AcceptsHostColonContainerWithOptionalProto) {
  auto tcp = ParsePublish("8080:80");
  ASSERT_TRUE(tcp.has_value()) << tcp.error().message();
  EXPECT_EQ(tcp->proto, "tcp");
  EXPECT_EQ(tcp->host_port, 8080);
  EXPECT_EQ(tcp->container_port, 80);
  EXPECT_TRUE(tcp->container.empty());
  EXPECT_TRUE(tcp->container_ip.empty());

  auto udp = ParsePublish("5353:53/udp");
  ASSERT_TRUE(udp.has_value()) << udp.error().message();
  EXPECT_EQ(udp->proto, "udp");
  EXPECT_EQ(udp->host_port, 5353);
  EXPECT_EQ(udp->container_port, 53);

  auto edge = ParsePublish("65535:1/tcp");
  ASSERT_TRUE(edge.has_value()) << edge.error().message();
  EXPECT_EQ(edge->host_port, 65535);
  EXPECT_EQ(edge->container_port, 1);
}

TEST(NatParsePublishTest, ErrorsNameTheValueAndTheField) {
  struct Case {
    const char* spec;
    const char* message;
  };
  const Case cases[] = {
      {"70000:80", "--publish 70000:80: host port must be 1-65535"},
      {"0:80", "--publish 0:80: host port must be 1-65535"},
      {"8080:0", "--publish 8080:0: container port must be 1-65535"},
      {"8080:99999/udp", "--publish 8080:99999/udp: container port must be 1-65535"},
      {"x:80", "--publish x:80: host port must be 1-65535"},
      {"+80:80", "--publish +80:80: host port must be 1-65535"},
      {":80", "--publish :80: host port must be 1-65535"},
      {"8080:80/sctp", "--publish 8080:80/sctp: protocol must be tcp or udp, not \"sctp\""},
      {"8080:80/", "--publish 8080:80/: protocol must be tcp or udp, not \"\""},
      {"8080", "--publish 8080: expected HOST_PORT:CONTAINER_PORT[/tcp|/udp]"},
      {"", "--publish : expected HOST_PORT:CONTAINER_PORT[/tcp|/udp]"},
      {"127.0.0.1:8080:80",
       "--publish 127.0.0.1:8080:80: binding to one host address is not supported: expected "
       "HOST_PORT:CONTAINER_PORT[/tcp|/udp]"},
  };
  for (const Case& c : cases) {
    auto r = ParsePublish(c.spec);
    ASSERT_FALSE(r.has_value()) << "accepted " << c.spec;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << c.spec;
    EXPECT_EQ(r.error().message(), c.message) << c.spec;
  }
}

TEST(NatValidateTest, PortForwardErrorsNameTheField) {
  EXPECT_TRUE(ValidatePortForward(Fwd("web", "tcp", 8080, 80, "10.0.3.5")));
  struct Case {
    PortForward f;
    const char* message;
  };
  const Case cases[] = {
      {Fwd("web", "tcp", 0, 80, "10.0.3.5"), "--publish 0:80/tcp: host port must be 1-65535"},
      {Fwd("web", "tcp", 80, 0, "10.0.3.5"), "--publish 80:0/tcp: container port must be 1-65535"},
      {Fwd("web", "icmp", 80, 80, "10.0.3.5"), "--publish 80:80/icmp: protocol must be tcp or udp"},
      {Fwd("web", "tcp", 80, 80, "10.0.3.300"),
       "--publish 80:80/tcp: container ip \"10.0.3.300\" is not an ipv4 address"},
      {Fwd("web", "tcp", 80, 80, ""), "--publish 80:80/tcp: container ip is empty"},
      {Fwd("web", "tcp", 80, 80, "fd00::1"),
       "--publish 80:80/tcp: container ip \"fd00::1\" is not an ipv4 address"},
      {Fwd("", "tcp", 80, 80, "10.0.3.5"), "--publish 80:80/tcp: container name is empty"},
      {Fwd("a\"b", "tcp", 80, 80, "10.0.3.5"),
       "--publish 80:80/tcp: container name \"a\"b\" must start with a letter or digit and "
       "contain only letters, digits, '_', '.' and '-'"},
  };
  for (const Case& c : cases) {
    Status s = ValidatePortForward(c.f);
    ASSERT_FALSE(s.has_value()) << "accepted " << c.message;
    EXPECT_EQ(s.error().message(), c.message);
  }
}

TEST(NatValidateTest, NetworkConfigAndForwardsTogether) {
  EXPECT_TRUE(ValidateNat(
      WebNet(), {Fwd("a", "tcp", 80, 80, "10.0.3.5"), Fwd("a", "udp", 80, 80, "10.0.3.5")}));
  NatConfig no_gw = WebNet();
  no_gw.gateway.clear();
  EXPECT_TRUE(ValidateNat(no_gw, {}));

  struct Case {
    NatConfig c;
    std::vector<PortForward> f;
    const char* message;
  };
  auto with = [](auto fn) {
    NatConfig c = WebNet();
    fn(c);
    return c;
  };
  const Case cases[] = {
      {with([](NatConfig& c) { c.network = ""; }), {}, "nat: network name is empty"},
      {with([](NatConfig& c) { c.network = "a b"; }),
       {},
       "nat: network name \"a b\" must start with a letter or digit and contain only letters, "
       "digits, '_', '.' and '-'"},
      {with([](NatConfig& c) { c.bridge = "averyveryverylongbr"; }),
       {},
       "nat for network web: bridge name \"averyveryverylongbr\" is longer than 15 characters"},
      {with([](NatConfig& c) { c.subnet = "10.0.3.1/24"; }),
       {},
       "nat for network web: subnet \"10.0.3.1/24\" has host bits set (did you mean "
       "10.0.3.0/24?)"},
      {with([](NatConfig& c) { c.subnet = "10.0.3.0"; }),
       {},
       "nat for network web: subnet \"10.0.3.0\" must be ADDRESS/PREFIX"},
      {with([](NatConfig& c) { c.subnet = "10.0.3.0/33"; }),
       {},
       "nat for network web: subnet \"10.0.3.0/33\": prefix length must be 1-32"},
      {with([](NatConfig& c) { c.subnet = "10.0.300.0/24"; }),
       {},
       "nat for network web: subnet 10.0.300.0/24: address \"10.0.300.0\" is not an ipv4 "
       "address"},
      {with([](NatConfig& c) { c.gateway = "10.0.4.1"; }),
       {},
       "nat for network web: gateway 10.0.4.1 is outside subnet 10.0.3.0/24"},
      {WebNet(),
       {Fwd("a", "tcp", 80, 80, "10.0.9.5")},
       "--publish 80:80/tcp: container ip 10.0.9.5 is outside subnet 10.0.3.0/24 of network web"},
      {WebNet(),
       {Fwd("a", "tcp", 80, 80, "10.0.3.5"), Fwd("b", "tcp", 80, 81, "10.0.3.6")},
       "--publish 80:81/tcp: host port 80/tcp is published twice on network web"},
  };
  for (const Case& c : cases) {
    Status s = ValidateNat(c.c, c.f);
    ASSERT_FALSE(s.has_value()) << "accepted, wanted: " << c.message;
    EXPECT_EQ(s.error().message(), c.message);
  }
}

TEST(NatFormatNftErrorsTest, OneLineWithLineNumberAndSource) {
  const std::string buffer =
      "/proc/self/fd/4:26:39-49: Error: Could not resolve hostname: Name or service not known\n"
      "    ip saddr 10.79.0.0/24 ip daddr != 10.79.0.300/24 masquerade\n"
      "                                      ^^^^^^^^^^^\n"
      "/proc/self/fd/4:6:2-19: Error: Could not process rule: Operation not supported\n"
      " dnat ip to 1.2.3.4\n"
      " ^^^^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(FormatNftErrors(buffer),
            "line 26: could not resolve hostname: name or service not known (at `10.79.0.300` in "
            "`ip saddr 10.79.0.0/24 ip daddr != 10.79.0.300/24 masquerade`); line 6: could not "
            "process rule: operation not supported (`dnat ip to 1.2.3.4`)");
}

TEST(NatFormatNftErrorsTest, BufferInputWithoutLocationDropsTheMisleadingSource) {
  const std::string buffer =
      "Error: invalid priority expression value in this context.\n"
      "table inet rampart_t {}\n"
      "                         ^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(FormatNftErrors(buffer), "invalid priority expression value in this context");
  EXPECT_EQ(FormatNftErrors(""), "nft failed without a message");
  EXPECT_EQ(FormatNftErrors("Something odd\nhappened\n"), "something odd; happened");
}

}  // namespace
}  // namespace rampart::net
