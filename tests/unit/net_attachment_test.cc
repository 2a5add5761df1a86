#include <gtest/gtest.h>

#include "net/attachment.h"

namespace rampart::net {
namespace {

TEST(NetAttachment, ParsesNameAndOptions) {
  auto a = ParseNetAttachment("web:ip=10.0.3.9,mac=02:AA:bb:cc:dd:ee,name=eth1");
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->network, "web");
  EXPECT_EQ(a->ip, "10.0.3.9");
  EXPECT_EQ(a->mac, "02:aa:bb:cc:dd:ee");
  EXPECT_EQ(a->ifname, "eth1");
  auto b = ParseNetAttachment("rampart0");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, (NetAttachment{"rampart0", "", "", "", 0}));
  auto v = ParseNetAttachment("ovsnet:vlan=10");
  ASSERT_TRUE(v.has_value()) << v.error().message();
  EXPECT_EQ(v->vlan, 10);
  EXPECT_FALSE(ParseNetAttachment("ovsnet:vlan=4095").has_value());
  EXPECT_FALSE(ParseNetAttachment("ovsnet:vlan=x").has_value());
}

TEST(NetAttachment, BadInputNamesTheEntryAndKey) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"web:ip=10.0.3", "--net web:ip=10.0.3: ip: '10.0.3' is not an IPv4 address"},
      {"web:mac=01:00:00:00:00:01", "--net web:mac=01:00:00:00:00:01: mac: '01:00:00:00:00:01' is not a unicast MAC (aa:bb:cc:dd:ee:ff)"},
      {"web:name=a/b", "--net web:name=a/b: name: 'a/b' is not a valid interface name"},
      {"web:color=red", "--net web:color=red: unknown option 'color' (ip, mac, name, vlan)"},
      {"web:ip=1.2.3.4,ip=1.2.3.5", "--net web:ip=1.2.3.4,ip=1.2.3.5: ip: given twice"},
      {"web:", "--net web:: expected KEY=VALUE options after ':'"},
      {"-x", "--net -x: network name must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 15 characters"},
      {"web:ip", "--net web:ip: option 'ip' is not KEY=VALUE"},
  };
  for (const auto& c : cases) {
    auto r = ParseNetAttachment(c.spec);
    ASSERT_FALSE(r.has_value()) << c.spec << " parsed";
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(r.error().message(), c.message) << c.spec;
  }
}

TEST(NetAttachment, ListFillsInterfaceNamesAndRejectsConflicts) {
  auto l = ParseNetAttachments({"a:name=eth0", "b", "c"});
  ASSERT_TRUE(l.has_value()) << l.error().message();
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0].ifname, "eth0");
  EXPECT_EQ((*l)[1].ifname, "eth1");
  EXPECT_EQ((*l)[2].ifname, "eth2");
  auto none = ParseNetAttachments({"none"});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(ParseNetAttachments({"none", "a"}).has_value());
  EXPECT_FALSE(ParseNetAttachments({"a", "a:ip=10.0.0.2"}).has_value());
  auto dup = ParseNetAttachments({"a:name=x0", "b:name=x0"});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().message(), "--net: interface name x0 used twice");
}

}  // namespace
}  // namespace rampart::net
