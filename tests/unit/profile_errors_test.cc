// Every error fixture gives one error line that names the file, the exact
// line:column written in its first-line comment, and the offending word.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "security/resolver.h"

namespace rampart::security {
namespace {

const std::string kDir = std::string(RAMPART_SOURCE_DIR) + "/tests/fixtures/profiles/";

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(ProfileErrors, FixturesReportFileLineColumn) {
  auto loader = ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value()) << loader.error().message();
  const char* fixtures[] = {"bad-yaml.yaml",      "unknown-key.yaml",   "unknown-syscall.yaml",
                            "unknown-group.yaml", "unknown-cap.yaml",   "bad-arg-index.yaml",
                            "duplicate-key.yaml", "cycle-a.yaml"};
  for (const char* f : fixtures) {
    const std::string path = kDir + f;
    auto p = loader->Load(path);
    ASSERT_FALSE(p.has_value()) << f << " loaded without error";
    const std::string msg = p.error().message();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << f << ": error is not one line: " << msg;
    // "# Expected error: NAME:LINE[:COL]: ..." → the message must start with PATH:LINE[:COL].
    std::smatch m;
    const std::string first = FirstLine(path);
    if (std::regex_search(first, m, std::regex(std::string(f) + R"(:(\d+)(:\d+)?:)"))) {
      const std::string where = kDir + f + ":" + m[1].str() + m[2].str();
      EXPECT_EQ(msg.rfind(where, 0), 0u) << f << ": expected the error to start with " << where << ", got: " << msg;
    } else {
      EXPECT_NE(msg.find(f), std::string::npos) << f << ": error does not name the file: " << msg;
    }
    // The quoted word of the fixture's comment appears in the message.
    if (std::regex_search(first, m, std::regex(R"('([^']+)')"))) {
      EXPECT_NE(msg.find(m[1].str()), std::string::npos) << f << ": error does not name '" << m[1] << "': " << msg;
    }
  }
}

TEST(ProfileErrors, CycleNamesTheChain) {
  auto loader = ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value());
  auto p = loader->Load(kDir + "cycle-a.yaml");
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message().find("cyclic extends"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("cycle-b.yaml"), std::string::npos) << p.error().message();
}

TEST(ProfileErrors, ValidFixturesLoad) {
  auto loader = ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value());
  for (const char* f : {"minimal.yaml", "json-style.yaml", "distinct-errno.yaml"}) {
    auto p = loader->Load(kDir + f);
    EXPECT_TRUE(p.has_value()) << f << ": " << p.error().message();
  }
  auto p = loader->Load(kDir + "distinct-errno.yaml");
  ASSERT_TRUE(p.has_value());
  // Deny-listed syscalls follow the profile's final `default`.
  EXPECT_EQ(p->seccomp.syscalls.at("unshare").action.ToString(), "errno(EXDEV)");
  EXPECT_EQ(p->seccomp.unknown_action.ToString(), "errno(ENOSYS)");
}

}  // namespace
}  // namespace rampart::security
