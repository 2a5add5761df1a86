#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "net/ipv4.h"
#include "tests/unit/net_test_util.h"

namespace rampart::net {

// Failing assertions print addresses and blocks as text.
[[maybe_unused]] static void PrintTo(Ipv4Addr a, std::ostream* os) { *os << a.ToString(); }
[[maybe_unused]] static void PrintTo(const Ipv4Cidr& c, std::ostream* os) { *os << c.ToString(); }

namespace {

using testing_util::A;
using testing_util::C;

// The error message of parsing `text`, or "(parsed as X)" if it parsed.
std::string AddrError(const std::string& text) {
  auto r = Ipv4Addr::Parse(text);
  if (r.has_value()) return "(parsed as " + r->ToString() + ")";
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << r.error().message();
  return r.error().message();
}

std::string CidrError(const std::string& text) {
  auto r = Ipv4Cidr::Parse(text);
  if (r.has_value()) return "(parsed as " + r->ToString() + ")";
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << r.error().message();
  return r.error().message();
}

TEST(NetIpv4Test, ParsesAndFormatsAddresses) {
  EXPECT_EQ(A("10.0.3.1").value(), 0x0a000301u);
  EXPECT_EQ(A("0.0.0.0").value(), 0u);
  EXPECT_EQ(A("255.255.255.255").value(), 0xffffffffu);
  EXPECT_EQ(A("192.168.100.7").ToString(), "192.168.100.7");
  EXPECT_EQ(Ipv4Addr::FromOctets(172, 16, 0, 1).ToString(), "172.16.0.1");
  EXPECT_EQ(Ipv4Addr(0x0a000301u).ToString(), "10.0.3.1");
  EXPECT_LT(A("10.0.3.1"), A("10.0.3.2"));
  EXPECT_LT(A("9.255.255.255"), A("10.0.0.0"));
}

TEST(NetIpv4Test, AddressParsingIsStrict) {
  EXPECT_EQ(AddrError("10.0.3.256"), "address 10.0.3.256: octet 256 is out of range 0-255");
  EXPECT_EQ(AddrError("10.0.3"), "address 10.0.3: expected 4 octets separated by dots, got 3");
  EXPECT_EQ(AddrError("10.0.3.1.5"),
            "address 10.0.3.1.5: expected 4 octets separated by dots, got more");
  EXPECT_EQ(AddrError("010.0.0.1"),
            "address 010.0.0.1: octet '010' has a leading zero (ambiguous: some tools read it "
            "as octal)");
  EXPECT_EQ(AddrError(""), "address : empty address");
  EXPECT_EQ(AddrError("10..0.1"), "address 10..0.1: empty octet");
  EXPECT_EQ(AddrError("10.0.0."), "address 10.0.0.: empty octet");
  EXPECT_EQ(AddrError(" 10.0.0.1"), "address  10.0.0.1: octet ' 10' is not a decimal number");
  for (const char* bad : {"10.0.0.1 ", "+1.0.0.1", "-1.0.0.1", "0x0a.0.0.1", "1.2.3.4/24",
                          "a.b.c.d", "99999999999999999999999.0.0.1", "1.2.3.1000"}) {
    EXPECT_FALSE(Ipv4Addr::Parse(bad).has_value()) << "accepted '" << bad << "'";
  }
  // The label leads the message; an empty one leaves the text alone.
  auto r = Ipv4Addr::Parse("1.2.3", "gateway");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "gateway 1.2.3: expected 4 octets separated by dots, got 3");
  r = Ipv4Addr::Parse("1.2.3", "");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "1.2.3: expected 4 octets separated by dots, got 3");
}

TEST(NetIpv4Test, ParsesCidr) {
  Ipv4Cidr c = C("10.0.3.0/24");
  EXPECT_EQ(c.network(), A("10.0.3.0"));
  EXPECT_EQ(c.prefix(), 24);
  EXPECT_EQ(c.netmask(), A("255.255.255.0"));
  EXPECT_EQ(c.broadcast(), A("10.0.3.255"));
  EXPECT_EQ(c.size(), 256u);
  EXPECT_EQ(c.ToString(), "10.0.3.0/24");

  Ipv4Cidr all = C("0.0.0.0/0");
  EXPECT_EQ(all.netmask(), A("0.0.0.0"));
  EXPECT_EQ(all.broadcast(), A("255.255.255.255"));
  EXPECT_EQ(all.size(), uint64_t{1} << 32);

  Ipv4Cidr one = C("192.168.1.9/32");
  EXPECT_EQ(one.netmask(), A("255.255.255.255"));
  EXPECT_EQ(one.broadcast(), A("192.168.1.9"));
  EXPECT_EQ(one.size(), 1u);

  EXPECT_EQ(C("172.16.0.0/12").netmask(), A("255.240.0.0"));
  EXPECT_EQ(C("172.16.0.0/12").broadcast(), A("172.31.255.255"));
}

TEST(NetIpv4Test, CidrParsingIsStrict) {
  EXPECT_EQ(CidrError("10.0.3.0/33"), "subnet 10.0.3.0/33: prefix length must be 0-32");
  EXPECT_EQ(CidrError("10.0.3.0/99999999999999999999"),
            "subnet 10.0.3.0/99999999999999999999: prefix length must be 0-32");
  EXPECT_EQ(CidrError("10.0.3.1/24"),
            "subnet 10.0.3.1/24: host bits are set (the network is 10.0.3.0/24)");
  EXPECT_EQ(CidrError("10.0.3.0"),
            "subnet 10.0.3.0: missing /prefix length (for example 10.0.3.0/24)");
  EXPECT_EQ(CidrError("10.0.3.0/"), "subnet 10.0.3.0/: empty prefix length");
  EXPECT_EQ(CidrError("10.0.3.0/024"),
            "subnet 10.0.3.0/024: prefix length '024' has a leading zero (ambiguous: some tools "
            "read it as octal)");
  EXPECT_EQ(CidrError("10.0.3.0/24/8"),
            "subnet 10.0.3.0/24/8: prefix length '24/8' is not a decimal number");
  EXPECT_EQ(CidrError("10.0.256.0/24"), "subnet 10.0.256.0/24: octet 256 is out of range 0-255");
  EXPECT_EQ(CidrError("/24"), "subnet /24: empty address");
  for (const char* bad : {"10.0.3.0/ 24", "10.0.3.0 /24", "10.0.3.0/+24", "10.0.3.0/-1"}) {
    EXPECT_FALSE(Ipv4Cidr::Parse(bad).has_value()) << "accepted '" << bad << "'";
  }
  auto r = Ipv4Cidr::Parse("1.2.3.0/40", "");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "1.2.3.0/40: prefix length must be 0-32");
}

TEST(NetIpv4Test, CreateAndContaining) {
  auto ok = Ipv4Cidr::Create(A("10.1.0.0"), 16);
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->ToString(), "10.1.0.0/16");
  auto bits = Ipv4Cidr::Create(A("10.1.2.0"), 16);
  ASSERT_FALSE(bits.has_value());
  EXPECT_EQ(bits.error().message(),
            "subnet 10.1.2.0/16: host bits are set (the network is 10.1.0.0/16)");
  auto big = Ipv4Cidr::Create(A("10.1.0.0"), 33);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().message(), "subnet 10.1.0.0/33: prefix length must be 0-32");

  EXPECT_EQ(Ipv4Cidr::Containing(A("10.0.3.7"), 24), C("10.0.3.0/24"));
  EXPECT_EQ(Ipv4Cidr::Containing(A("10.0.3.7"), 32), C("10.0.3.7/32"));
  EXPECT_EQ(Ipv4Cidr::Containing(A("10.0.3.7"), 0), C("0.0.0.0/0"));
  EXPECT_EQ(Ipv4Cidr::Containing(A("10.0.3.7"), 40), C("10.0.3.7/32"));
}

TEST(NetIpv4Test, ContainsAndOverlaps) {
  Ipv4Cidr net = C("10.0.3.0/24");
  EXPECT_TRUE(net.Contains(A("10.0.3.0")));
  EXPECT_TRUE(net.Contains(A("10.0.3.255")));
  EXPECT_FALSE(net.Contains(A("10.0.4.0")));
  EXPECT_FALSE(net.Contains(A("10.0.2.255")));
  EXPECT_TRUE(C("0.0.0.0/0").Contains(A("255.255.255.255")));

  EXPECT_TRUE(C("10.0.0.0/8").Contains(net));
  EXPECT_FALSE(net.Contains(C("10.0.0.0/8")));
  EXPECT_TRUE(net.Contains(net));

  EXPECT_TRUE(net.Overlaps(C("10.0.0.0/16")));
  EXPECT_TRUE(C("10.0.0.0/16").Overlaps(net));
  EXPECT_TRUE(net.Overlaps(C("10.0.3.128/25")));
  EXPECT_TRUE(net.Overlaps(net));
  EXPECT_FALSE(net.Overlaps(C("10.0.4.0/24")));
  EXPECT_FALSE(net.Overlaps(C("10.0.2.0/24")));
  EXPECT_FALSE(C("10.0.2.0/24").Overlaps(net));
  EXPECT_TRUE(C("0.0.0.0/0").Overlaps(net));
}

TEST(NetIpv4Test, HostRanges) {
  Ipv4Cidr net = C("10.0.3.0/24");
  EXPECT_EQ(net.FirstHost(), A("10.0.3.1"));
  EXPECT_EQ(net.LastHost(), A("10.0.3.254"));
  EXPECT_EQ(net.HostCount(), 254u);

  Ipv4Cidr p30 = C("10.0.3.4/30");
  EXPECT_EQ(p30.FirstHost(), A("10.0.3.5"));
  EXPECT_EQ(p30.LastHost(), A("10.0.3.6"));
  EXPECT_EQ(p30.HostCount(), 2u);

  Ipv4Cidr p31 = C("10.0.3.4/31");  // RFC 3021: both addresses are hosts
  EXPECT_EQ(p31.FirstHost(), A("10.0.3.4"));
  EXPECT_EQ(p31.LastHost(), A("10.0.3.5"));
  EXPECT_EQ(p31.HostCount(), 2u);

  Ipv4Cidr p32 = C("10.0.3.4/32");
  EXPECT_EQ(p32.FirstHost(), A("10.0.3.4"));
  EXPECT_EQ(p32.LastHost(), A("10.0.3.4"));
  EXPECT_EQ(p32.HostCount(), 1u);

  Ipv4Cidr all = C("0.0.0.0/0");
  EXPECT_EQ(all.FirstHost(), A("0.0.0.1"));
  EXPECT_EQ(all.LastHost(), A("255.255.255.254"));
  EXPECT_EQ(all.HostCount(), (uint64_t{1} << 32) - 2);
}

TEST(NetIpv4Test, NthHost) {
  Ipv4Cidr net = C("10.0.3.0/24");
  auto first = net.NthHost(0);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(*first, A("10.0.3.1"));
  auto tenth = net.NthHost(9);
  ASSERT_TRUE(tenth.has_value()) << tenth.error().message();
  EXPECT_EQ(*tenth, A("10.0.3.10"));
  auto last = net.NthHost(253);
  ASSERT_TRUE(last.has_value()) << last.error().message();
  EXPECT_EQ(*last, A("10.0.3.254"));
  auto beyond = net.NthHost(254);
  ASSERT_FALSE(beyond.has_value()) << "got " << beyond->ToString();
  EXPECT_EQ(beyond.error().message(),
            "subnet 10.0.3.0/24: host index 254 is out of range (254 hosts)");
  auto p32 = C("10.9.9.9/32").NthHost(0);
  ASSERT_TRUE(p32.has_value()) << p32.error().message();
  EXPECT_EQ(*p32, A("10.9.9.9"));
}

TEST(NetIpv4Test, RoundTripsEveryPrefix) {
  for (int p = 0; p <= 32; ++p) {
    Ipv4Cidr c = Ipv4Cidr::Containing(A("203.0.113.77"), p);
    auto back = Ipv4Cidr::Parse(c.ToString());
    ASSERT_TRUE(back.has_value()) << c.ToString() << ": " << back.error().message();
    EXPECT_EQ(*back, c);
    EXPECT_TRUE(c.Contains(A("203.0.113.77"))) << c.ToString();
    EXPECT_EQ(uint64_t{c.broadcast().value()} - c.network().value() + 1, c.size()) << c.ToString();
  }
}

}  // namespace
}  // namespace rampart::net
