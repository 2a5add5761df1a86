#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "base/strings.h"

namespace rampart {
namespace {

using Strings = std::vector<std::string>;

TEST(BaseStringsTest, SplitKeepsEmptyFields) {
  EXPECT_EQ(Split("a,b,c", ','), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Split("a,,b", ','), (Strings{"a", "", "b"}));
  EXPECT_EQ(Split(",a,", ','), (Strings{"", "a", ""}));
  EXPECT_EQ(Split("", ','), (Strings{""}));
  EXPECT_EQ(Split("abc", ','), (Strings{"abc"}));
  EXPECT_EQ(Split("/usr/bin:/bin", ':'), (Strings{"/usr/bin", "/bin"}));
}

TEST(BaseStringsTest, JoinIsInverseOfSplit) {
  EXPECT_EQ(Join({}, ","), "");
  EXPECT_EQ(Join({"a"}, ","), "a");
  EXPECT_EQ(Join({"a", "", "b"}, ", "), "a, , b");
  for (const char* s : {"", ",", "a,b", ",,x,", "no separators"}) {
    EXPECT_EQ(Join(Split(s, ','), ","), s);
  }
}

TEST(BaseStringsTest, Trim) {
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim(" \t\r\n\v\f"), "");
  EXPECT_EQ(Trim("  a b  "), "a b");
  EXPECT_EQ(Trim("x"), "x");
  EXPECT_EQ(Trim("\nvalue\n"), "value");
}

TEST(BaseStringsTest, FirstLineIsTrimmed) {
  EXPECT_EQ(FirstLine("criu: bad option\nusage: criu ...\n"), "criu: bad option");
  EXPECT_EQ(FirstLine("  padded \t\r\nsecond"), "padded");
  EXPECT_EQ(FirstLine("\n\n  after blank lines  \nnext\n"), "after blank lines");
  EXPECT_EQ(FirstLine("only"), "only");
}

TEST(BaseStringsTest, FirstLineOfNothing) {
  EXPECT_EQ(FirstLine(""), "");
  EXPECT_EQ(FirstLine(" \n\t\n \r\n"), "");
}

TEST(BaseStringsTest, ParseUint64Accepts) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  struct Case {
    const char* text;
    uint64_t want;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"0", 0},
           {"7", 7},
           {"007", 7},
           {"4096", 4096},
           {"18446744073709551615", kMax},
           {"0x0", 0},
           {"0x2a", 42},
           {"0X2A", 42},
           {"0xDeadBeef", 0xdeadbeef},
           {"0xffffffffffffffff", kMax},
           {"0x0000000000000000001", 1},
       }) {
    Result<uint64_t> got = ParseUint64(c.text);
    ASSERT_TRUE(got.has_value()) << c.text << ": " << got.error().message();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(BaseStringsTest, ParseUint64Rejects) {
  for (const char* text : {"", "0x", "0X", "-1", "+1", " 1", "1 ", "12a", "1.5", "0xg", "0x-1",
                           "x10", "1e3", "18446744073709551616", "99999999999999999999",
                           "0x10000000000000000", "0x1ffffffffffffffff"}) {
    Result<uint64_t> got = ParseUint64(text);
    ASSERT_FALSE(got.has_value()) << "accepted \"" << text << "\" as " << *got;
    EXPECT_EQ(got.error().kind(), ErrorKind::kInvalid) << text;
    EXPECT_NE(got.error().message().find(std::string("\"") + text + "\""), std::string::npos)
        << got.error().message();
  }
}

TEST(BaseStringsTest, ParseUint64RejectsEmbeddedNul) {
  std::string text = "1203";
  text[2] = '\0';
  EXPECT_FALSE(ParseUint64(text).has_value());
}

}  // namespace
}  // namespace rampart
