// Id maps: /etc/subuid parsing, the uid_map format, translation, and
// ShiftOwnership's refusal of ids outside the map (the root-only parts are
// in tests/integration/template_test.cc).
#include "runtime/idmap.h"

#include <gtest/gtest.h>

namespace rampart::runtime {
namespace {

TEST(IdMapTest, SubidRangesByNameAndUid) {
  const std::string text =
      "# comment\n"
      "alice:100000:65536\n"
      "\n"
      "root:200000:65536\n"
      "0:300000:1000\n"
      "root:400000:10\n";
  auto root = SubidRanges(text, "root");
  ASSERT_TRUE(root.has_value()) << root.error().message();
  EXPECT_EQ(*root, (std::vector<IdMapRange>{{0, 200000, 65536}, {65536, 400000, 10}}));
  auto with_uid = SubidRanges(text, "root", 0);
  ASSERT_TRUE(with_uid.has_value());
  EXPECT_EQ(*with_uid, (std::vector<IdMapRange>{
                           {0, 200000, 65536}, {65536, 300000, 1000}, {66536, 400000, 10}}));
  auto alice = SubidRanges(text, "alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(*alice, (std::vector<IdMapRange>{{0, 100000, 65536}}));
  auto nobody = SubidRanges(text, "bob");
  ASSERT_TRUE(nobody.has_value());
  EXPECT_TRUE(nobody->empty());
  EXPECT_TRUE(SubidRanges("", "root")->empty());
}

TEST(IdMapTest, SubidRangesRejectsMalformedLines) {
  EXPECT_EQ(SubidRanges("root:1\n", "root").error().message(),
            "subid line 1: expected name:start:count");
  EXPECT_EQ(SubidRanges("a:1:1\nroot:x:5\n", "root").error().message(),
            "subid line 2: start 'x' is not an id (0-4294967294)");
  EXPECT_EQ(SubidRanges("root:1:0\n", "root").error().message(),
            "subid line 1: count must be greater than 0");
  EXPECT_EQ(SubidRanges("root:4294967290:10\n", "root").error().message(),
            "subid line 1: range runs past id 4294967294");
  EXPECT_EQ(SubidRanges(":1:1\n", "root").error().message(),
            "subid line 1: expected name:start:count");
}

TEST(IdMapTest, ParseAndFormatRanges) {
  auto r = ParseIdMapRange("0:100000:65536");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (IdMapRange{0, 100000, 65536}));
  EXPECT_EQ(IdMapRangeString(*r), "0:100000:65536");
  EXPECT_FALSE(ParseIdMapRange("0:100000").has_value());
  EXPECT_FALSE(ParseIdMapRange("0:100000:0").has_value());
  EXPECT_FALSE(ParseIdMapRange("a:1:1").has_value());
  EXPECT_FALSE(ParseIdMapRange("0:4294967295:1").has_value());
  EXPECT_EQ(FormatIdMap({{0, 100000, 65536}, {65536, 300000, 10}}),
            "0 100000 65536\n65536 300000 10\n");
  EXPECT_EQ(FormatIdMap({}), "");
}

TEST(IdMapTest, ValidateIdMap) {
  EXPECT_TRUE(ValidateIdMap({{0, 100000, 10}, {10, 200000, 10}}, "m").has_value());
  EXPECT_EQ(ValidateIdMap({{0, 100000, 10}, {5, 200000, 10}}, "m").error().message(),
            "m range 5:200000:10 overlaps 0:100000:10 on the container side");
  EXPECT_EQ(ValidateIdMap({{0, 100000, 10}, {10, 100009, 10}}, "m").error().message(),
            "m range 10:100009:10 overlaps 0:100000:10 on the host side");
  EXPECT_EQ(ValidateIdMap({{0, 100000, 0}}, "m").error().message(),
            "m range 0:100000:0: count must be greater than 0");
}

TEST(IdMapTest, MapToHost) {
  const std::vector<IdMapRange> map = {{0, 100000, 1000}, {1000, 500000, 10}};
  EXPECT_EQ(*MapToHost(map, 0), 100000u);
  EXPECT_EQ(*MapToHost(map, 999), 100999u);
  EXPECT_EQ(*MapToHost(map, 1000), 500000u);
  EXPECT_EQ(*MapToHost(map, 1009), 500009u);
  auto miss = MapToHost(map, 1010);
  ASSERT_FALSE(miss.has_value());
  EXPECT_EQ(miss.error().message(), "container id 1010 is not mapped");
  EXPECT_EQ(miss.error().kind(), ErrorKind::kNotFound);
  EXPECT_FALSE(MapToHost({}, 0).has_value());
  // The very top of the id space, without overflow.
  EXPECT_EQ(*MapToHost({{4294967290u, 10, 5}}, 4294967294u), 14u);
}

TEST(IdMapTest, ShiftOwnershipRefusesIdsOutsideTheMap) {
  // Our own files belong to our uid; a map that does not cover it must fail
  // naming the file before changing anything it cannot.
  char tmpl[] = "/tmp/rampart-idmap-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const uint32_t me = ::geteuid();
  const std::vector<IdMapRange> map = {{me + 1, 100000, 1}};
  auto st = ShiftOwnership(dir, map, map);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(),
            dir + ": owner uid " + std::to_string(me) + " is outside the uid map");
  EXPECT_FALSE(ShiftOwnership(dir + "/missing", map, map).has_value());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace rampart::runtime
