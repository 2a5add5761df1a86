// WriteProfileYaml: the text parses back (ParseProfile) to what the draft
// says, whatever the names, actions, conditions and comments contain.
#include "security/profile_writer.h"

#include <gtest/gtest.h>

#include "security/profile_parser.h"
#include "security/resolver.h"

namespace rampart::security {
namespace {

std::vector<std::string> Values(const std::vector<Located<std::string>>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.value);
  return out;
}

ProfileDraft FullDraft() {
  ProfileDraft d;
  d.header = {"imported from docker.json", "", "second paragraph: with \"quotes\" # and hashes"};
  d.name = "web.imported-1";
  d.description = "a: description\nwith a newline, \"quotes\", \\backslash and # hash";
  d.default_action = "errno(EPERM)";
  d.unknown_action = "errno(ENOSYS)";
  d.architectures = {"native", "x86", "x32"};
  d.allow = {{"@basic-io", "groups start with @"}, {"read", ""}, {"_sysctl", "multi\nline comment"}};
  d.deny = {{"@mount", ""}, {"ptrace", "no: debugging"}};
  d.rules = {
      {{"socket"}, "allow", {"arg0 != AF_VSOCK"}, "no VM sockets"},
      {{"personality"}, "allow", {"arg0 == 0xffffffff"}, ""},
      {{"clone"}, "allow", {"arg0 & CLONE_NEW_ANY == 0", "arg1 >= 2"}, "flags: \"no namespaces\""},
      {{"clone3", "@swap"}, "errno(ENOSYS)", {}, ""},
      {{"kill"}, "kill-process", {"arg1 & 0xff00 == 0x900"}, ""},
      {{"getpid"}, "errno(38)", {}, "numeric errno"},
  };
  d.caps_drop = std::vector<std::string>{"ALL"};
  d.caps_keep = std::vector<std::string>{"CHOWN", "NET_BIND_SERVICE"};
  d.no_new_privileges = false;
  return d;
}

TEST(ProfileWriter, RoundTripsThroughParseProfile) {
  const ProfileDraft d = FullDraft();
  const std::string yaml = WriteProfileYaml(d);
  auto p = ParseProfile(yaml, "draft.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message() << "\n" << yaml;
  EXPECT_EQ(p->name.value, d.name);
  EXPECT_EQ(p->description, d.description) << yaml;
  ASSERT_TRUE(p->seccomp.has_value());
  const SeccompSpec& s = *p->seccomp;
  ASSERT_TRUE(s.default_action && s.unknown_action);
  EXPECT_EQ(s.default_action->value, Action::Errno(1));
  EXPECT_EQ(s.unknown_action->value, Action::Errno(38));
  ASSERT_TRUE(s.architectures);
  EXPECT_EQ(s.architectures->value, (std::vector<Arch>{Arch::kX86_64, Arch::kX86, Arch::kX32}));
  EXPECT_EQ(Values(s.allow), (std::vector<std::string>{"@basic-io", "read", "_sysctl"}));
  EXPECT_EQ(Values(s.deny), (std::vector<std::string>{"@mount", "ptrace"}));
  ASSERT_EQ(s.rules.size(), d.rules.size()) << yaml;
  for (size_t i = 0; i < d.rules.size(); ++i) {
    const auto& want = d.rules[i];
    const auto& got = s.rules[i];
    EXPECT_EQ(Values(got.syscalls), want.syscalls) << "rule " << i;
    auto action = ParseAction(want.action);
    ASSERT_TRUE(action.has_value());
    EXPECT_EQ(got.action.value, *action) << "rule " << i;
    EXPECT_EQ(got.comment, want.comment) << "rule " << i;
    ASSERT_EQ(got.args.size(), want.args.size()) << "rule " << i;
    for (size_t j = 0; j < want.args.size(); ++j) {
      auto c = ParseCondition(want.args[j]);
      ASSERT_TRUE(c.has_value()) << want.args[j];
      EXPECT_EQ(got.args[j], *c) << "rule " << i << " arg " << j;
    }
  }
  ASSERT_TRUE(p->capabilities.has_value());
  EXPECT_EQ(Values(p->capabilities->drop), (std::vector<std::string>{"ALL"}));
  EXPECT_EQ(Values(p->capabilities->keep), (std::vector<std::string>{"CHOWN", "NET_BIND_SERVICE"}));
  ASSERT_TRUE(p->no_new_privileges.has_value());
  EXPECT_FALSE(p->no_new_privileges->value);
}

TEST(ProfileWriter, ResolvesAndKeepsCommentsForPeople) {
  const std::string yaml = WriteProfileYaml(FullDraft());
  auto loader = ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value()) << loader.error().message();
  auto policy = loader->LoadText(yaml, "draft.yaml");
  ASSERT_TRUE(policy.has_value()) << policy.error().message() << "\n" << yaml;
  EXPECT_EQ(policy->seccomp.syscalls.at("getpid").action, Action::Errno(38));
  EXPECT_TRUE(policy->seccomp.syscalls.at("socket").conditional());
  EXPECT_NE(yaml.find("# imported from docker.json\n#\n# second paragraph"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("    # groups start with @\n    - \"@basic-io\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("    # multi\n    # line comment\n    - _sysctl\n"), std::string::npos) << yaml;
}

TEST(ProfileWriter, QuotesWordsYamlWouldReadAsOtherTypes) {
  ProfileDraft d;
  d.name = "on";  // a YAML 1.1 boolean
  d.extends = "base-v2.yaml";
  d.caps_keep = std::vector<std::string>{"no", "123"};
  const std::string yaml = WriteProfileYaml(d);
  EXPECT_NE(yaml.find("name: \"on\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("keep: [\"no\", \"123\"]"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("seccomp:"), std::string::npos) << "an empty seccomp section was written:\n" << yaml;
  auto p = ParseProfile(yaml, "q.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message() << "\n" << yaml;
  EXPECT_EQ(p->name.value, "on");
  ASSERT_TRUE(p->extends.has_value());
  EXPECT_EQ(p->extends->value, "base-v2.yaml");
  EXPECT_EQ(Values(p->capabilities->keep), (std::vector<std::string>{"no", "123"}));
}

TEST(ProfileWriter, MinimalDraftHasOnlyName) {
  ProfileDraft d;
  d.name = "x";
  EXPECT_EQ(WriteProfileYaml(d), "name: x\n");
}

}  // namespace
}  // namespace rampart::security
