#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "base/sha256.h"
#include "net/ipam.h"
#include "tests/unit/net_test_util.h"

namespace rampart::net {
namespace {

using testing_util::A;
using testing_util::C;

std::string Describe(const Lease& l) { return l.container + " " + l.ip.ToString() + " " + l.mac; }

std::string Describe(const std::vector<Lease>& leases) {
  std::string out;
  for (const Lease& l : leases) out += "[" + Describe(l) + "] ";
  return out;
}

class NetIpamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-ipam-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr) << std::strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Ipam Open(const char* subnet = "10.0.3.0/24", const char* gateway = "10.0.3.1") {
    auto ipam = Ipam::Open(dir_, "web", C(subnet), A(gateway));
    EXPECT_TRUE(ipam.has_value()) << ipam.error().message();
    if (!ipam.has_value()) std::abort();
    return *ipam;
  }

  // The allocated address as text, or "error: MESSAGE".
  static std::string Alloc(Ipam& ipam, const std::string& container,
                           std::optional<Ipv4Addr> ip = std::nullopt,
                           std::optional<std::string> mac = std::nullopt) {
    auto lease = ipam.Allocate(container, ip, mac);
    if (!lease.has_value()) return "error: " + lease.error().message();
    EXPECT_EQ(lease->container, container);
    return lease->ip.ToString();
  }

  std::string dir_;
};

TEST_F(NetIpamTest, AllocatesLowestFreeSkippingGateway) {
  Ipam ipam = Open();
  EXPECT_EQ(Alloc(ipam, "a"), "10.0.3.2");
  EXPECT_EQ(Alloc(ipam, "b"), "10.0.3.3");
  EXPECT_EQ(Alloc(ipam, "c"), "10.0.3.4");
  ASSERT_TRUE(ipam.Release("b").has_value());
  EXPECT_EQ(Alloc(ipam, "d"), "10.0.3.3");

  // A gateway elsewhere leaves .1 free.
  Ipam other = [&] {
    std::filesystem::create_directory(dir_ + "/other");
    auto r = Ipam::Open(dir_ + "/other", "other", C("10.0.3.0/24"), A("10.0.3.254"));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r.has_value()) std::abort();
    return *r;
  }();
  EXPECT_EQ(Alloc(other, "a"), "10.0.3.1");
}

TEST_F(NetIpamTest, AllocateIsIdempotent) {
  Ipam ipam = Open();
  auto first = ipam.Allocate("a");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  auto again = ipam.Allocate("a");
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(*again, *first) << Describe(*again) << " vs " << Describe(*first);
  // Asking for what it already holds is fine; for something else is not.
  auto same = ipam.Allocate("a", first->ip, first->mac);
  ASSERT_TRUE(same.has_value()) << same.error().message();
  EXPECT_EQ(*same, *first) << Describe(*same);
  auto other_ip = ipam.Allocate("a", A("10.0.3.50"));
  ASSERT_FALSE(other_ip.has_value()) << Describe(*other_ip);
  EXPECT_EQ(other_ip.error().kind(), ErrorKind::kExists);
  EXPECT_EQ(other_ip.error().message(),
            "network web: container a already holds 10.0.3.2 (requested 10.0.3.50)");
  auto other_mac = ipam.Allocate("a", std::nullopt, "02:00:00:00:00:99");
  ASSERT_FALSE(other_mac.has_value()) << Describe(*other_mac);
  EXPECT_EQ(other_mac.error().kind(), ErrorKind::kExists);
  EXPECT_EQ(other_mac.error().message(), "network web: container a already has mac " + first->mac +
                                             " (requested 02:00:00:00:00:99)");
  auto list = ipam.List();
  ASSERT_TRUE(list.has_value()) << list.error().message();
  EXPECT_EQ(list->size(), 1u) << Describe(*list);
}

TEST_F(NetIpamTest, RequestedAddress) {
  Ipam ipam = Open();
  EXPECT_EQ(Alloc(ipam, "a", A("10.0.3.77")), "10.0.3.77");
  EXPECT_EQ(Alloc(ipam, "b"), "10.0.3.2");
  EXPECT_EQ(Alloc(ipam, "c", A("10.0.3.254")), "10.0.3.254");

  struct Case {
    const char* ip;
    ErrorKind kind;
    std::string message;
  };
  const Case cases[] = {
      {"10.0.4.7", ErrorKind::kInvalid,
       "network web: address 10.0.4.7 is outside subnet 10.0.3.0/24"},
      {"10.0.3.1", ErrorKind::kInvalid,
       "network web: address 10.0.3.1 is the gateway of 10.0.3.0/24"},
      {"10.0.3.0", ErrorKind::kInvalid,
       "network web: address 10.0.3.0 is the network address of 10.0.3.0/24"},
      {"10.0.3.255", ErrorKind::kInvalid,
       "network web: address 10.0.3.255 is the broadcast address of 10.0.3.0/24"},
      {"10.0.3.77", ErrorKind::kExists,
       "network web: address 10.0.3.77 is already leased to container a"},
  };
  for (const Case& c : cases) {
    auto r = ipam.Allocate("z", A(c.ip));
    ASSERT_FALSE(r.has_value()) << c.ip << " gave " << Describe(*r);
    EXPECT_EQ(r.error().kind(), c.kind) << r.error().message();
    EXPECT_EQ(r.error().message(), c.message);
  }
  auto found = ipam.Find("z");
  ASSERT_TRUE(found.has_value()) << found.error().message();
  EXPECT_FALSE(found->has_value()) << Describe(**found);
}

TEST_F(NetIpamTest, PoolExhausted) {
  // /29: hosts .1-.6, gateway .1, so five containers fit.
  Ipam ipam = Open("10.0.3.0/29", "10.0.3.1");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Alloc(ipam, "c" + std::to_string(i)), "10.0.3." + std::to_string(i + 2));
  auto full = ipam.Allocate("c5");
  ASSERT_FALSE(full.has_value()) << Describe(*full);
  EXPECT_EQ(full.error().kind(), ErrorKind::kExists);
  EXPECT_EQ(full.error().err(), ENOSPC);
  EXPECT_EQ(full.error().message(), "network web: no free address left in 10.0.3.0/29 (5 leased)");
  ASSERT_TRUE(ipam.Release("c2").has_value());
  EXPECT_EQ(Alloc(ipam, "c5"), "10.0.3.4");
}

TEST_F(NetIpamTest, ReleaseFindAndList) {
  Ipam ipam = Open();
  ASSERT_TRUE(ipam.Release("nobody").has_value());             // nothing held: fine
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ipam.json"));  // and nothing written
  EXPECT_EQ(Alloc(ipam, "b", A("10.0.3.9")), "10.0.3.9");
  EXPECT_EQ(Alloc(ipam, "a"), "10.0.3.2");
  auto list = ipam.List();
  ASSERT_TRUE(list.has_value()) << list.error().message();
  ASSERT_EQ(list->size(), 2u) << Describe(*list);
  EXPECT_EQ((*list)[0].container, "a") << Describe(*list);  // sorted by address
  EXPECT_EQ((*list)[1].container, "b") << Describe(*list);

  auto found = ipam.Find("b");
  ASSERT_TRUE(found.has_value()) << found.error().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->ip.ToString(), "10.0.3.9");
  EXPECT_EQ((*found)->mac, DeriveMac("web", "b"));

  ASSERT_TRUE(ipam.Release("b").has_value());
  found = ipam.Find("b");
  ASSERT_TRUE(found.has_value()) << found.error().message();
  EXPECT_FALSE(found->has_value()) << Describe(**found);
  list = ipam.List();
  ASSERT_TRUE(list.has_value()) << list.error().message();
  EXPECT_EQ(list->size(), 1u) << Describe(*list);
}

TEST_F(NetIpamTest, PersistsAcrossInstances) {
  {
    Ipam ipam = Open();
    EXPECT_EQ(Alloc(ipam, "a"), "10.0.3.2");
    EXPECT_EQ(Alloc(ipam, "b", std::nullopt, "02:AA:bb:cc:dd:ee"), "10.0.3.3");
  }
  Ipam again = Open();
  auto list = again.List();
  ASSERT_TRUE(list.has_value()) << list.error().message();
  ASSERT_EQ(list->size(), 2u) << Describe(*list);
  EXPECT_EQ(Describe((*list)[0]), "a 10.0.3.2 " + DeriveMac("web", "a"));
  EXPECT_EQ(Describe((*list)[1]), "b 10.0.3.3 02:aa:bb:cc:dd:ee");
  EXPECT_EQ(Alloc(again, "c"), "10.0.3.4");

  auto text = ReadFile(dir_ + "/ipam.json");
  ASSERT_TRUE(text.has_value()) << text.error().message();
  EXPECT_NE(text->find("\"subnet\": \"10.0.3.0/24\""), std::string::npos) << *text;
  EXPECT_NE(text->find("\"container\": \"b\""), std::string::npos) << *text;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ipam.lock"));
}

TEST_F(NetIpamTest, RequestedMac) {
  Ipam ipam = Open();
  auto a = ipam.Allocate("a", std::nullopt, "02-00-00-00-00-0A");
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->mac, "02:00:00:00:00:0a");
  auto dup = ipam.Allocate("b", std::nullopt, "02:00:00:00:00:0a");
  ASSERT_FALSE(dup.has_value()) << Describe(*dup);
  EXPECT_EQ(dup.error().kind(), ErrorKind::kExists);
  EXPECT_EQ(dup.error().message(),
            "network web: mac 02:00:00:00:00:0a is already used by container a");
  auto bad = ipam.Allocate("b", std::nullopt, "01:00:5e:00:00:01");
  ASSERT_FALSE(bad.has_value()) << Describe(*bad);
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(bad.error().message(),
            "network web: container b: mac 01:00:5e:00:00:01: a multicast address cannot name "
            "a container");
  // Failed requests leave no lease behind.
  auto list = ipam.List();
  ASSERT_TRUE(list.has_value()) << list.error().message();
  EXPECT_EQ(list->size(), 1u) << Describe(*list);
}

TEST(NetMacTest, ParseMac) {
  auto ok = ParseMac("02:AB:cd:00:11:ff");
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(*ok, "02:ab:cd:00:11:ff");
  auto dashes = ParseMac("02-ab-cd-00-11-ff");
  ASSERT_TRUE(dashes.has_value()) << dashes.error().message();
  EXPECT_EQ(*dashes, "02:ab:cd:00:11:ff");
  auto vendor = ParseMac("52:54:00:12:34:56");  // a globally administered unicast address is fine
  ASSERT_TRUE(vendor.has_value()) << vendor.error().message();

  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"02:ab:cd:00:11", "mac 02:ab:cd:00:11: expected 6 two-digit hex octets (02:00:00:00:00:01)"},
      {"02:ab:cd:00:11:ff:00",
       "mac 02:ab:cd:00:11:ff:00: expected 6 two-digit hex octets (02:00:00:00:00:01)"},
      {"02:ab:cd:00:11:fg",
       "mac 02:ab:cd:00:11:fg: expected 6 two-digit hex octets (02:00:00:00:00:01)"},
      {"2:ab:cd:00:11:ff0",
       "mac 2:ab:cd:00:11:ff0: expected 6 two-digit hex octets (02:00:00:00:00:01)"},
      {"02.ab.cd.00.11.ff", "mac 02.ab.cd.00.11.ff: octets must be separated by ':'"},
      {"02:ab-cd:00:11:ff", "mac 02:ab-cd:00:11:ff: mixed separators"},
      {"ff:ff:ff:ff:ff:ff", "mac ff:ff:ff:ff:ff:ff: a multicast address cannot name a container"},
      {"03:00:00:00:00:01", "mac 03:00:00:00:00:01: a multicast address cannot name a container"},
      {"00:00:00:00:00:00", "mac 00:00:00:00:00:00: the all-zero address is not valid"},
      {"", "mac : expected 6 two-digit hex octets (02:00:00:00:00:01)"},
  };
  for (const Case& c : cases) {
    auto r = ParseMac(c.text);
    ASSERT_FALSE(r.has_value()) << c.text << " gave " << *r;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(r.error().message(), c.message);
  }
}

TEST(NetMacTest, DeriveMacIsStableLocalUnicast) {
  const std::regex form("02(:[0-9a-f]{2}){5}");
  std::set<std::string> seen;
  for (const char* net : {"web", "db"}) {
    for (const char* c : {"a", "b", "web1", "web2"}) {
      std::string mac = DeriveMac(net, c);
      EXPECT_TRUE(std::regex_match(mac, form)) << mac;
      EXPECT_EQ(mac, DeriveMac(net, c));
      auto parsed = ParseMac(mac);
      EXPECT_TRUE(parsed.has_value()) << mac << ": " << parsed.error().message();
      EXPECT_TRUE(seen.insert(mac).second) << "duplicate " << mac << " for " << net << "/" << c;
    }
  }
  EXPECT_NE(DeriveMac("web", "a", 1), DeriveMac("web", "a"));
  // The five octets after 02 are the first bytes of sha256(network/container).
  std::string hex = Sha256Hex("web/a");
  EXPECT_EQ(DeriveMac("web", "a"), "02:" + hex.substr(0, 2) + ":" + hex.substr(2, 2) + ":" +
                                       hex.substr(4, 2) + ":" + hex.substr(6, 2) + ":" +
                                       hex.substr(8, 2));
  hex = Sha256Hex("web/a#1");
  EXPECT_EQ(DeriveMac("web", "a", 1).substr(3, 2), hex.substr(0, 2));
}

TEST_F(NetIpamTest, CorruptStateIsReportedNeverReset) {
  const std::string path = dir_ + "/ipam.json";
  struct Case {
    std::string content;
    std::string message;  // after "ipam PATH: "
  };
  const std::string head =
      R"({"version": 1, "network": "web", "subnet": "10.0.3.0/24", "gateway": "10.0.3.1", )";
  const std::vector<Case> cases = {
      {"{not json", "corrupt: not valid JSON"},
      {"[]", "corrupt: not a JSON object"},
      {R"({"version": 2})", "corrupt: field version: expected 1"},
      {head + R"("leases": {}})", "corrupt: field leases: missing or not an array"},
      {head + R"("leases": [{"container": "a", "ip": "10.0.3.2"}]})",
       "corrupt: lease 0: field mac: missing or not a string"},
      {head + R"("leases": [{"container": "a", "ip": "10.0.3.1", "mac": "02:00:00:00:00:01"}]})",
       "corrupt: lease 0: ip 10.0.3.1 is the gateway of 10.0.3.0/24"},
      {head + R"("leases": [{"container": "a", "ip": "10.0.3.x", "mac": "02:00:00:00:00:01"}]})",
       "corrupt: lease 0: field ip: 10.0.3.x: octet 'x' is not a decimal number"},
      {head + R"("leases": [{"container": "a", "ip": "10.0.3.2", "mac": "02:00:00:00:00:01"},
                            {"container": "b", "ip": "10.0.3.2", "mac": "02:00:00:00:00:02"}]})",
       "corrupt: lease 1: ip 10.0.3.2 is leased twice"},
      {head + R"("leases": [{"container": "a", "ip": "10.0.3.2", "mac": "02:00:00:00:00:01"},
                            {"container": "a", "ip": "10.0.3.3", "mac": "02:00:00:00:00:02"}]})",
       "corrupt: lease 1: container a has two leases"},
      {head + R"("leases": [{"container": "a", "ip": "10.0.3.2", "mac": "02:00:00:00:00:01"},
                            {"container": "b", "ip": "10.0.3.3", "mac": "02:00:00:00:00:01"}]})",
       "corrupt: lease 1: mac 02:00:00:00:00:01 is used twice"},
      {R"({"version": 1, "network": "web", "subnet": "10.0.4.0/24", "gateway": "10.0.4.1",
           "leases": []})",
       "records network web 10.0.4.0/24 gateway 10.0.4.1, but network web is 10.0.3.0/24 "
       "gateway 10.0.3.1"},
  };
  Ipam ipam = Open();
  for (const Case& c : cases) {
    ASSERT_TRUE(WriteFileAtomic(path, c.content).has_value());
    const std::string want = "ipam " + path + ": " + c.message;
    auto alloc = ipam.Allocate("new");
    ASSERT_FALSE(alloc.has_value()) << c.content << " gave " << Describe(*alloc);
    EXPECT_EQ(alloc.error().message(), want);
    auto list = ipam.List();
    ASSERT_FALSE(list.has_value()) << c.content << " gave " << Describe(*list);
    EXPECT_EQ(list.error().message(), want);
    Status rel = ipam.Release("a");
    ASSERT_FALSE(rel.has_value()) << c.content;
    EXPECT_EQ(rel.error().message(), want);
    // The file is left exactly as it was.
    auto after = ReadFile(path);
    ASSERT_TRUE(after.has_value()) << after.error().message();
    EXPECT_EQ(*after, c.content);
  }
}

TEST_F(NetIpamTest, OpenChecksItsInputs) {
  auto missing = Ipam::Open(dir_ + "/nope", "web", C("10.0.3.0/24"), A("10.0.3.1"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "ipam of network web: stat " + dir_ + "/nope: no such file or directory");
  auto gw = Ipam::Open(dir_, "web", C("10.0.3.0/24"), A("10.0.3.255"));
  ASSERT_FALSE(gw.has_value());
  EXPECT_EQ(gw.error().message(),
            "ipam of network web: gateway 10.0.3.255 is not a host address of 10.0.3.0/24");

  NetworkSpec spec;
  spec.name = "web";
  spec.subnet = C("10.0.8.0/24");
  auto from_spec = Ipam::Open(dir_, spec);
  ASSERT_TRUE(from_spec.has_value()) << from_spec.error().message();
  EXPECT_EQ(from_spec->gateway().ToString(), "10.0.8.1");
  EXPECT_EQ(from_spec->subnet().ToString(), "10.0.8.0/24");
  EXPECT_EQ(from_spec->network(), "web");
  spec.subnet.reset();
  auto l2 = Ipam::Open(dir_, spec);
  ASSERT_FALSE(l2.has_value());
  EXPECT_EQ(l2.error().message(), "network web has no subnet: no addresses to manage");

  Ipam ipam = Open();
  auto empty = ipam.Allocate("");
  ASSERT_FALSE(empty.has_value()) << Describe(*empty);
  EXPECT_EQ(empty.error().message(), "network web: container name is empty");
}

// 16 processes allocate at the same moment; each must get its own address.
TEST_F(NetIpamTest, ConcurrentProcessesGetDistinctAddresses) {
  constexpr int kChildren = 16;
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0) << std::strerror(errno);
  std::vector<pid_t> pids;
  for (int i = 0; i < kChildren; ++i) {
    pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork child " << i << ": " << std::strerror(errno);
      break;  // still open the gate and reap the children already running
    }
    if (pid == 0) {
      // Child: wait until the parent opens the gate, then allocate.
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
      }
      auto ipam = Ipam::Open(dir_, "web", C("10.0.3.0/24"), A("10.0.3.1"));
      if (!ipam.has_value()) {
        std::fprintf(stderr, "child %d: %s\n", i, ipam.error().message().c_str());
        ::_exit(2);
      }
      auto lease = ipam->Allocate("c" + std::to_string(i));
      if (!lease.has_value()) {
        std::fprintf(stderr, "child %d: %s\n", i, lease.error().message().c_str());
        ::_exit(1);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // EOF releases every child at once
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    while (::waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "child " << i << " status " << status << " (its error is on stderr)";
  }
  ASSERT_EQ(pids.size(), static_cast<size_t>(kChildren));

  Ipam ipam = Open();
  auto list = ipam.List();
  ASSERT_TRUE(list.has_value()) << list.error().message();
  ASSERT_EQ(list->size(), static_cast<size_t>(kChildren)) << Describe(*list);
  std::set<std::string> ips, containers;
  for (const Lease& l : *list) {
    ips.insert(l.ip.ToString());
    containers.insert(l.container);
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kChildren)) << Describe(*list);
  EXPECT_EQ(containers.size(), static_cast<size_t>(kChildren)) << Describe(*list);
  // Lowest-free allocation under a lock packs them into .2-.17.
  EXPECT_EQ(list->front().ip.ToString(), "10.0.3.2") << Describe(*list);
  EXPECT_EQ(list->back().ip.ToString(), "10.0.3.17") << Describe(*list);
}

}  // namespace
}  // namespace rampart::net
