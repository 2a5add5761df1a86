// Profile parser: error fixtures (file:line:column, one line, the offending
// word), argument conditions in both forms, rlimits, names, and the
// JSON-syntax fixture.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "security/profile_parser.h"
#include "security/resolver.h"

namespace rampart::security {
namespace {

const std::string kDir = std::string(RAMPART_SOURCE_DIR) + "/tests/fixtures/profiles/";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The error message of a failed result, or a note that it succeeded.
template <typename T>
std::string ErrOf(const Result<T>& r) {
  return r.has_value() ? std::string("<no error>") : r.error().message();
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// ---------------------------------------------------------------- fixtures --

struct FixtureCase {
  const char* file;
  bool resolver_error;  // the parser accepts it; the resolver rejects it
  const char* word;     // must appear in the message
};

class ErrorFixture : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(ErrorFixture, OneLineWithExactPositionAndWord) {
  const FixtureCase& fc = GetParam();
  const std::string path = kDir + fc.file;
  const std::string text = ReadText(path);
  ASSERT_FALSE(text.empty()) << "cannot read " << path;
  const std::string first = FirstLine(path);

  std::string msg;
  if (fc.resolver_error) {
    // Names of syscalls, groups and capabilities are the resolver's job.
    auto parsed = ParseProfile(text, path);
    EXPECT_TRUE(parsed.has_value()) << fc.file << ": the parser should accept it, got: " << ErrOf(parsed);
    auto loader = ProfileLoader::Create();
    ASSERT_TRUE(loader.has_value()) << loader.error().message();
    auto p = loader->Load(path);
    ASSERT_FALSE(p.has_value()) << fc.file << " loaded without error";
    msg = p.error().message();
  } else {
    auto p = ParseProfile(text, path);
    ASSERT_FALSE(p.has_value()) << fc.file << " parsed without error";
    msg = p.error().message();
    // Load reports the same error.
    auto loader = ProfileLoader::Create();
    ASSERT_TRUE(loader.has_value());
    auto l = loader->Load(path);
    ASSERT_FALSE(l.has_value());
    EXPECT_EQ(l.error().message(), msg) << fc.file;
  }
  EXPECT_EQ(msg.find('\n'), std::string::npos) << fc.file << ": not one line: " << msg;

  std::smatch m;
  ASSERT_TRUE(std::regex_search(first, m, std::regex(std::string(fc.file) + R"(:(\d+)(?::(\d+))?:)")))
      << fc.file << ": first line states no position: " << first;
  std::string where = path + ":" + m[1].str() + ":";
  if (m[2].matched) where += m[2].str() + ":";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << fc.file << ": expected the message to start with '" << where << "', got: " << msg;
  // Always file:line:column, even when the fixture only states the line.
  EXPECT_TRUE(std::regex_search(msg, std::regex("^" + std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                                                R"(:\d+:\d+: \S)")))
      << fc.file << ": not 'file:line:column: ...': " << msg;
  EXPECT_TRUE(Contains(msg, fc.word)) << fc.file << ": does not name '" << fc.word << "': " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ErrorFixture,
    ::testing::Values(FixtureCase{"bad-yaml.yaml", false, "malformed YAML"},
                      FixtureCase{"unknown-key.yaml", false, "'capabilites'"},
                      FixtureCase{"duplicate-key.yaml", false, "'allow'"},
                      FixtureCase{"bad-arg-index.yaml", false, "arg6"},
                      FixtureCase{"unknown-syscall.yaml", true, "'not_a_syscall'"},
                      FixtureCase{"unknown-group.yaml", true, "'@network'"},
                      FixtureCase{"unknown-cap.yaml", true, "'NET_BIND'"}),
    [](const ::testing::TestParamInfo<FixtureCase>& i) {
      std::string n = i.param.file;
      n = n.substr(0, n.find('.'));
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

TEST(ProfileParser, CycleIsAResolverErrorNamingTheChain) {
  auto loader = ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value());
  for (const char* f : {"cycle-a.yaml", "cycle-b.yaml"}) {
    const std::string path = kDir + f;
    auto parsed = ParseProfile(ReadText(path), path);
    ASSERT_TRUE(parsed.has_value()) << f << ": " << parsed.error().message();
    ASSERT_TRUE(parsed->extends.has_value());
    auto p = loader->Load(path);
    ASSERT_FALSE(p.has_value()) << f << " loaded without error";
    const std::string msg = p.error().message();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_TRUE(std::regex_search(msg, std::regex(R"(^\S+\.yaml:\d+:\d+: )"))) << msg;
    EXPECT_TRUE(Contains(msg, "cyclic extends")) << msg;
    const std::string other = std::string(f) == "cycle-a.yaml" ? "cycle-b.yaml" : "cycle-a.yaml";
    // The chain: f -> other -> f.
    EXPECT_TRUE(std::regex_search(msg, std::regex(std::string(f) + " -> .*" + other + " -> .*" + f + "$")))
        << f << ": chain not named: " << msg;
  }
}

TEST(ProfileParser, ValidFixturesParse) {
  for (const char* f : {"minimal.yaml", "json-style.yaml", "distinct-errno.yaml"}) {
    const std::string path = kDir + f;
    auto p = ParseProfile(ReadText(path), path);
    EXPECT_TRUE(p.has_value()) << f << ": " << ErrOf(p);
  }
}

TEST(ProfileParser, JsonSyntaxProfile) {
  const std::string path = kDir + "json-style.yaml";
  auto p = ParseProfile(ReadText(path), path);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->name.value, "json-style");
  EXPECT_EQ(p->name.pos.line, 3);
  EXPECT_EQ(p->description, "a profile in JSON syntax");
  ASSERT_TRUE(p->seccomp.has_value());
  const SeccompSpec& s = *p->seccomp;
  ASSERT_TRUE(s.default_action && s.unknown_action && s.architectures);
  EXPECT_EQ(s.default_action->value, Action::Errno(1));
  EXPECT_EQ(s.unknown_action->value, Action::Errno(38));
  EXPECT_EQ(s.architectures->value, std::vector<Arch>{Arch::kX86_64});
  ASSERT_EQ(s.allow.size(), 5u);
  EXPECT_EQ(s.allow[0].value, "@basic-io");
  EXPECT_EQ(s.allow[0].pos.line, 9);
  ASSERT_EQ(s.deny.size(), 1u);
  EXPECT_EQ(s.deny[0].value, "ptrace");
  ASSERT_EQ(s.rules.size(), 2u);
  EXPECT_EQ(s.rules[0].comment, "local sockets only");
  ASSERT_EQ(s.rules[0].args.size(), 1u);
  EXPECT_EQ(s.rules[0].args[0], (ArgCondition{0, CmpOp::kEq, 1, 0}));  // AF_UNIX
  ASSERT_EQ(s.rules[1].args.size(), 1u);
  EXPECT_EQ(s.rules[1].args[0], (ArgCondition{0, CmpOp::kEq, 0xffffffffULL, 0}));
  EXPECT_EQ(s.rules[1].action.value, Action::Allow());  // the default rule action
  ASSERT_TRUE(p->capabilities.has_value());
  ASSERT_EQ(p->capabilities->keep.size(), 1u);
  EXPECT_EQ(p->capabilities->keep[0].value, "CAP_NET_BIND_SERVICE");
  ASSERT_TRUE(p->no_new_privileges.has_value());
  EXPECT_TRUE(p->no_new_privileges->value);
  ASSERT_EQ(p->rlimits.size(), 2u);
  for (const auto& r : p->rlimits) {
    if (r.name == "nofile") {
      EXPECT_EQ(r.soft, 256u);
      EXPECT_EQ(r.hard, 1024u);
    } else {
      EXPECT_EQ(r.name, "core");
      EXPECT_EQ(r.soft, 0u);
      EXPECT_EQ(r.hard, 0u);
    }
  }
  ASSERT_EQ(p->masked_paths.size(), 1u);
  EXPECT_EQ(p->masked_paths[0].value, "/proc/kcore");

  auto loader = ProfileLoader::Create();
  ASSERT_TRUE(loader.has_value());
  auto policy = loader->Load(path);
  ASSERT_TRUE(policy.has_value()) << policy.error().message();
  EXPECT_EQ(policy->seccomp.syscalls.at("read").action, Action::Allow());
  EXPECT_TRUE(policy->seccomp.syscalls.at("socket").conditional());
}

// ------------------------------------------------------------ conditions --

TEST(ParseCondition, EveryOperator) {
  struct Case {
    const char* text;
    ArgCondition want;
  } cases[] = {
      {"arg0 != AF_VSOCK", {0, CmpOp::kNe, 40, 0}},
      {"arg1 & 0xff == 3", {1, CmpOp::kMaskedEq, 3, 0xff}},
      {"arg2 >= 0x10", {2, CmpOp::kGe, 16, 0}},
      {"arg5 < 7", {5, CmpOp::kLt, 7, 0}},
      {"arg3 <= 9", {3, CmpOp::kLe, 9, 0}},
      {"arg4 > 0x1000000000", {4, CmpOp::kGt, 0x1000000000ULL, 0}},
      {"arg0 == 0", {0, CmpOp::kEq, 0, 0}},
      {"  arg1==TIOCSTI  ", {1, CmpOp::kEq, 0x5412, 0}},
      {"arg0 == 18446744073709551615", {0, CmpOp::kEq, UINT64_MAX, 0}},
      // Constants joined with |, in the value and in the mask.
      {"arg0 == CLONE_NEWNS | CLONE_NEWPID", {0, CmpOp::kEq, 0x00020000 | 0x20000000, 0}},
      {"arg0 & CLONE_NEWUSER|CLONE_NEWNET == 0", {0, CmpOp::kMaskedEq, 0, 0x10000000 | 0x40000000}},
      {"arg1 & 0xf0 == 0x10|0x20", {1, CmpOp::kMaskedEq, 0x30, 0xf0}},
      {"arg0 & CLONE_NEW_ANY == 0", {0, CmpOp::kMaskedEq, 0, 0x7e020000}},
  };
  for (const auto& c : cases) {
    auto r = ParseCondition(c.text);
    ASSERT_TRUE(r.has_value()) << "'" << c.text << "': " << r.error().message();
    EXPECT_EQ(*r, c.want) << "'" << c.text << "' parsed as '" << r->ToString() << "', want '" << c.want.ToString() << "'";
  }
}

TEST(ParseCondition, ToStringRoundTrips) {
  for (const char* t : {"arg0 != 40", "arg1 & 255 == 3", "arg1 & 0x1000 == 0x2000", "arg2 >= 16", "arg5 < 7", "arg3 <= 0x1000", "arg4 > 1",
                        "arg0 & 0x7e020000 == 0"}) {
    auto r = ParseCondition(t);
    ASSERT_TRUE(r.has_value()) << t << ": " << r.error().message();
    EXPECT_EQ(r->ToString(), t);
    auto again = ParseCondition(r->ToString());
    ASSERT_TRUE(again.has_value()) << r->ToString();
    EXPECT_EQ(*again, *r);
  }
}

TEST(ParseCondition, Errors) {
  struct Case {
    const char* text;
    const char* must_mention;
  } cases[] = {
      {"arg6 == 0", "index 6"},
      {"arg9 != 1", "index 9"},
      {"arg0 5", "operator"},
      {"arg0", "operator"},
      {"arg1 = 3", "operator"},
      {"arg1 =! 3", "operator"},
      {"arg0 == AF_NOPE", "AF_NOPE"},
      {"arg0 == 12abc", "12abc"},
      {"arg0 == -1", "-1"},
      {"arg0 == 0x10000000000000000", "0x10000000000000000"},
      {"arg0 ==", "value"},
      {"arg0 == AF_INET |", "empty value"},
      {"arg1 & 0xff 3", "=="},
      {"arg1 & 0xzz == 3", "0xzz"},
      {"x0 == 1", "argN"},
      {"args0 == 1", "argN"},
      {"", "argN"},
  };
  for (const auto& c : cases) {
    auto r = ParseCondition(c.text);
    ASSERT_FALSE(r.has_value()) << "'" << c.text << "' was accepted as '" << r->ToString() << "'";
    const std::string msg = r.error().message();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_TRUE(Contains(msg, c.must_mention)) << "'" << c.text << "': message does not mention '" << c.must_mention
                                               << "': " << msg;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << msg;
  }
}

// The index must not wrap: arg4294967296 is not arg0.
TEST(ParseCondition, HugeIndexIsRejectedNotWrapped) {
  auto r = ParseCondition("arg4294967296 == 1");
  EXPECT_FALSE(r.has_value()) << "accepted as '" << r->ToString() << "'";
}

// --------------------------------------------------------- profile pieces --

Result<Profile> Parse(const std::string& text) { return ParseProfile(text, "/tmp/t/p.yaml"); }

// Parses `text`, expects an error at line:col that mentions `word`.
void ExpectError(const std::string& text, int line, int col, const std::string& word) {
  auto p = Parse(text);
  ASSERT_FALSE(p.has_value()) << "accepted:\n" << text;
  const std::string msg = p.error().message();
  const std::string where = "/tmp/t/p.yaml:" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << "expected '" << where << "...', got: " << msg << "\nfor:\n" << text;
  EXPECT_TRUE(Contains(msg, word)) << "no '" << word << "' in: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ProfileParser, MappingFormConditions) {
  auto p = Parse(R"(name: m
seccomp:
  rules:
    - syscall: socket
      args:
        - {index: 0, op: "!=", value: 40}
        - {index: 1, op: "masked==", mask: 0xff, value: 3}
        - {index: 2, op: "&==", mask: "CLONE_NEWUSER|CLONE_NEWNET", value: 0}
        - {index: 3, op: "<", value: AF_VSOCK}
        - {index: 4, op: ">=", value: "0x10"}
        - {index: 5, op: "<=", value: 7}
    - syscall: personality
      args: [{index: 0, op: ">", value: 1}, {index: 0, op: "==", value: 0xffffffff}]
)");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_EQ(p->seccomp->rules.size(), 2u);
  const auto& a = p->seccomp->rules[0].args;
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0], (ArgCondition{0, CmpOp::kNe, 40, 0}));
  EXPECT_EQ(a[1], (ArgCondition{1, CmpOp::kMaskedEq, 3, 0xff}));
  EXPECT_EQ(a[2], (ArgCondition{2, CmpOp::kMaskedEq, 0, 0x50000000}));
  EXPECT_EQ(a[3], (ArgCondition{3, CmpOp::kLt, 40, 0}));
  EXPECT_EQ(a[4], (ArgCondition{4, CmpOp::kGe, 16, 0}));
  EXPECT_EQ(a[5], (ArgCondition{5, CmpOp::kLe, 7, 0}));
  const auto& b = p->seccomp->rules[1].args;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (ArgCondition{0, CmpOp::kGt, 1, 0}));
  EXPECT_EQ(b[1], (ArgCondition{0, CmpOp::kEq, 0xffffffffULL, 0}));
}

TEST(ProfileParser, MappingFormConditionErrors) {
  const std::string head = "name: m\nseccomp:\n  rules:\n    - syscall: socket\n      args:\n";
  ExpectError(head + "        - {index: 6, op: \"==\", value: 0}\n", 6, 19, "0-5");
  ExpectError(head + "        - {index: 0, op: \"=~\", value: 0}\n", 6, 26, "'=~'");
  ExpectError(head + "        - {index: 0, op: \"masked==\", value: 0}\n", 6, 11, "mask");
  ExpectError(head + "        - {index: 0, op: \"==\", value: 0, mask: 3}\n", 6, 48, "mask");
  ExpectError(head + "        - {index: 0, op: \"==\"}\n", 6, 11, "value");
  ExpectError(head + "        - {index: 0, op: \"==\", value: AF_NOPE}\n", 6, 39, "AF_NOPE");
  ExpectError(head + "        - {index: 0, op: \"==\", value: 1, extra: 2}\n", 6, 42, "'extra'");
  // A string condition is reported at its own position.
  ExpectError(head + "        - \"arg0 == 1\"\n        - \"arg0 ~ 1\"\n", 7, 11, "arg0 ~ 1");
}

TEST(ProfileParser, RlimitForms) {
  auto p = Parse(R"(name: r
rlimits:
  nofile: [1024, 4096]
  core: 0
  nproc: {soft: 10, hard: 20}
  stack: unlimited
  memlock: [65536, unlimited]
  cpu: {hard: unlimited, soft: 5}
  fsize: 0x1000
)");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  std::map<std::string, std::pair<uint64_t, uint64_t>> got;
  for (const auto& r : p->rlimits) got[r.name] = {r.soft, r.hard};
  const uint64_t inf = RLIM_INFINITY;
  std::map<std::string, std::pair<uint64_t, uint64_t>> want = {
      {"nofile", {1024, 4096}}, {"core", {0, 0}},       {"nproc", {10, 20}},  {"stack", {inf, inf}},
      {"memlock", {65536, inf}}, {"cpu", {5, inf}}, {"fsize", {4096, 4096}}};
  EXPECT_EQ(got, want);
  for (const auto& r : p->rlimits) EXPECT_GT(r.pos.line, 2) << r.name;
}

TEST(ProfileParser, RlimitErrors) {
  ExpectError("name: r\nrlimits:\n  nofile: [4096, 1024]\n", 3, 11, "soft limit is above the hard limit");
  ExpectError("name: r\nrlimits:\n  nofile: {soft: 9, hard: 8}\n", 3, 11, "rlimits.nofile");
  ExpectError("name: r\nrlimits:\n  core: [unlimited, 0]\n", 3, 9, "soft limit is above the hard limit");
  ExpectError("name: r\nrlimits:\n  nofile: [1, 2, 3]\n", 3, 11, "rlimits.nofile");
  ExpectError("name: r\nrlimits:\n  nofile: {soft: 1}\n", 3, 11, "soft and hard");
  ExpectError("name: r\nrlimits:\n  nofile: lots\n", 3, 11, "'lots'");
  ExpectError("name: r\nrlimits:\n  nofile: -1\n", 3, 11, "'-1'");
  ExpectError("name: r\nrlimits:\n  nofiles: 3\n", 3, 3, "'nofiles'");
  ExpectError("name: r\nrlimits:\n  nofile: {soft: 1, hard: 2, max: 3}\n", 3, 30, "'max'");
}

TEST(ProfileParser, NameValidation) {
  for (const char* ok : {"a", "web-server", "x.y_z-1", "0abc", "default"}) {
    auto p = Parse(std::string("name: ") + ok + "\n");
    EXPECT_TRUE(p.has_value()) << ok << ": " << ErrOf(p);
    if (p) {
      EXPECT_EQ(p->name.value, ok);
    }
  }
  for (const char* bad : {"-x", "_x", ".x", "\"a b\"", "a/b", "\"\"", "\"a:b\"", "a$b"}) {
    auto p = Parse(std::string("name: ") + bad + "\n");
    ASSERT_FALSE(p.has_value()) << "name " << bad << " accepted";
    EXPECT_EQ(p.error().message().rfind("/tmp/t/p.yaml:1:7: ", 0), 0u) << bad << ": " << p.error().message();
    EXPECT_TRUE(Contains(p.error().message(), "name")) << p.error().message();
  }
  ExpectError("name: " + std::string(65, 'a') + "\n", 1, 7, "name");
  EXPECT_TRUE(Parse("name: " + std::string(64, 'a') + "\n").has_value());
  // No name at all.
  ExpectError("description: nameless\n", 1, 1, "'name'");
  ExpectError("name: [a]\n", 1, 7, "name");
}

// Names follow the container-name rule, [A-Za-z0-9][A-Za-z0-9_.-]*, as the
// policy language page says.
TEST(ProfileParser, UpperCaseNameAcceptedAsDocumented) {
  auto p = Parse("name: WebServer\n");
  EXPECT_TRUE(p.has_value()) << p.error().message();
  EXPECT_FALSE(Parse("name: _web\n").has_value());
}

TEST(ProfileParser, DefaultAllowIsRejected) {
  ExpectError("name: d\nseccomp:\n  default: allow\n", 3, 12, "unknown: allow");
  // The denylist form is fine.
  auto p = Parse("name: d\nseccomp:\n  unknown: allow\n  deny: [ptrace]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp->unknown_action->value, Action::Allow());
}

TEST(ProfileParser, EmptyFile) {
  for (const char* text : {"", "\n", "# only a comment\n", "---\n"}) {
    auto p = Parse(text);
    ASSERT_FALSE(p.has_value()) << "empty profile '" << text << "' accepted";
    const std::string msg = p.error().message();
    EXPECT_EQ(msg.rfind("/tmp/t/p.yaml:1:1: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_TRUE(Contains(msg, "empty")) << msg;
  }
  ExpectError("just a string\n", 1, 1, "mapping");
  ExpectError("- a\n- b\n", 1, 1, "mapping");
}

TEST(ProfileParser, OtherLocalErrors) {
  ExpectError("name: x\nseccomp:\n  default: errno(EWHAT)\n", 3, 12, "EWHAT");
  ExpectError("name: x\nseccomp:\n  unknown: permit\n", 3, 12, "permit");
  ExpectError("name: x\nseccomp:\n  architectures: [native, arm64]\n", 3, 27, "'arm64'");
  ExpectError("name: x\nseccomp:\n  architectures: []\n", 3, 18, "empty");
  ExpectError("name: x\nseccomp:\n  optimize: fast\n", 3, 13, "optimize");
  ExpectError("name: x\nseccomp:\n  allow: read\n", 3, 10, "list");
  ExpectError("name: x\nseccomp:\n  allow: [read, \"\"]\n", 3, 17, "empty");
  ExpectError("name: x\nseccomp:\n  rules:\n    - {action: allow}\n", 4, 7, "syscall");
  ExpectError("name: x\nseccomp:\n  rules:\n    - {syscall: read, syscalls: [write]}\n", 4, 7, "not both");
  ExpectError("name: x\nseccomp:\n  rules:\n    - {syscall: read, action: kill-everything}\n", 4, 31, "kill-everything");
  ExpectError("name: x\nseccomp:\n  rules:\n    - {syscall: read, args: \"arg0 == 1\"}\n", 4, 29, "list");
  ExpectError("name: x\nno_new_privileges: yes\n", 2, 20, "true or false");
  ExpectError("name: x\nmasked_paths: [proc/kcore]\n", 2, 16, "absolute");
  ExpectError("name: x\nreadonly_paths: [/proc/../etc]\n", 2, 18, "..");
  ExpectError("name: x\ncapabilities:\n  keep: [CHOWN]\n  bounding: [KILL]\n", 4, 3, "'bounding'");
  ExpectError("name: x\nextends: \"\"\n", 2, 10, "extends");
  // Duplicate keys deep inside a rule.
  ExpectError("name: x\nseccomp:\n  rules:\n    - {syscall: read, action: allow, action: log}\n", 4, 38, "'action'");
}

TEST(ProfileParser, PositionsOfListEntries) {
  auto p = Parse("name: x\nseccomp:\n  allow: [read,  write]\n  deny:\n    - ptrace\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_EQ(p->seccomp->allow.size(), 2u);
  EXPECT_EQ(p->seccomp->allow[1].pos.ToString(), "/tmp/t/p.yaml:3:18");
  EXPECT_EQ(p->seccomp->deny[0].pos.ToString(), "/tmp/t/p.yaml:5:7");
}

TEST(ProfileParser, LsmAndNetworkSections) {
  auto p = Parse("name: x\napparmor: {profile: rampart-default, enforce: if-available}\n"
                 "selinux: {type: container_t, level: \"s0:c1,c2\", mount_label: \"system_u:object_r:container_file_t:s0:c1,c2\"}\n"
                 "network: {families: [unix, inet], tcp: {bind: [8080, 80, 8080], connect: any}}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_TRUE(p->apparmor.has_value());
  EXPECT_EQ(p->apparmor->profile.value, "rampart-default");
  ASSERT_TRUE(p->apparmor->enforce.has_value());
  EXPECT_EQ(p->apparmor->enforce->value, EnforceMode::kIfAvailable);
  EXPECT_EQ(p->apparmor->enforce->pos.ToString(), "/tmp/t/p.yaml:2:47");
  ASSERT_TRUE(p->selinux.has_value());
  EXPECT_EQ(p->selinux->type.value, "container_t");
  EXPECT_EQ(p->selinux->level.value, "s0:c1,c2");
  ASSERT_TRUE(p->selinux->mount_label.has_value());
  EXPECT_FALSE(p->selinux->enforce.has_value());
  ASSERT_TRUE(p->network.has_value());
  ASSERT_TRUE(p->network->families.has_value());
  EXPECT_EQ(p->network->families->value, kNetUnix | kNetInet);
  EXPECT_EQ(p->network->family_pos.at(kNetInet).ToString(), "/tmp/t/p.yaml:4:28");
  ASSERT_TRUE(p->network->tcp_bind.has_value());
  EXPECT_EQ(p->network->tcp_bind->ports, (std::vector<uint16_t>{80, 8080}));
  EXPECT_FALSE(p->network->tcp_connect.has_value()) << "connect: any restricts nothing";

  auto scalar = Parse("name: x\napparmor: unconfined\n");
  ASSERT_TRUE(scalar.has_value()) << scalar.error().message();
  EXPECT_EQ(scalar->apparmor->profile.value, "unconfined");
}

TEST(ProfileParser, BadLsmAndNetworkSectionsAreOneLineErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"name: x\nnetwork: {families: [inet, ipx]}\n", "/tmp/t/p.yaml:2:28: unknown network family 'ipx'"},
      {"name: x\nnetwork: {families: [unix, unix]}\n", "/tmp/t/p.yaml:2:28: network family 'unix' is listed twice"},
      {"name: x\nnetwork: {families: [raw]}\n", "/tmp/t/p.yaml:2:21: network family 'raw' stands for raw inet sockets"},
      {"name: x\nnetwork: {families: inet}\n", "/tmp/t/p.yaml:2:21: network.families must be a list"},
      {"name: x\nnetwork: {tcp: {connect: [0]}}\n", "/tmp/t/p.yaml:2:27: network.tcp.connect: '0' is not a port (1-65535)"},
      {"name: x\nnetwork: {tcp: {bind: [70000]}}\n", "/tmp/t/p.yaml:2:24: network.tcp.bind: '70000' is not a port"},
      {"name: x\nnetwork: {tcp: {listen: [1]}}\n", "/tmp/t/p.yaml:2:17: unknown key 'listen' in network.tcp"},
      {"name: x\nnetwork: {udp: {}}\n", "/tmp/t/p.yaml:2:11: unknown key 'udp' in network"},
      {"name: x\napparmor: {profile: \"a b\"}\n", "/tmp/t/p.yaml:2:21: apparmor.profile 'a b' must be"},
      {"name: x\napparmor: {enforce: always}\n", "/tmp/t/p.yaml:2:21: apparmor.enforce: unknown mode 'always'"},
      {"name: x\nselinux: {type: container}\n", "/tmp/t/p.yaml:2:17: selinux.type 'container' must be generate or a type name ending in _t"},
      {"name: x\nselinux: {level: \"c1 c2\"}\n", "/tmp/t/p.yaml:2:18: selinux.level 'c1 c2' must be auto or"},
      {"name: x\nselinux: {mount_label: container_file_t}\n", "/tmp/t/p.yaml:2:24: selinux.mount_label 'container_file_t' must be a full context"},
  };
  for (const auto& [text, want] : cases) {
    auto p = Parse(text);
    ASSERT_FALSE(p.has_value()) << text;
    EXPECT_EQ(p.error().message().rfind(want, 0), 0u) << "input: " << text << "\ngot:  " << p.error().message();
    EXPECT_EQ(p.error().message().find('\n'), std::string::npos) << p.error().message();
  }
}

}  // namespace
}  // namespace rampart::security
