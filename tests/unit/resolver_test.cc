// Resolver: groups, extends override semantics, capability rules, list and
// rule conflicts, known/unknown actions and the shipped default profile.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "security/capabilities.h"
#include "security/constants.h"
#include "security/resolver.h"
#include "security/syscall_table.h"
#include "tests/unit/policy_test_util.h"

namespace rampart::security {
namespace {

using testing_util::Loader;
using testing_util::Call;
using testing_util::Eval;

const char* kInline = "/tmp/rampart-resolver-test/x.yaml";

Result<Policy> LoadText(const std::string& text) { return Loader().LoadText(text, kInline); }

template <typename T>
std::string ErrOf(const Result<T>& r) {
  return r.has_value() ? std::string("<no error>") : r.error().message();
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

uint64_t Caps(std::initializer_list<const char*> names) {
  uint64_t m = 0;
  for (const char* n : names) {
    auto c = ParseCapability(n);
    EXPECT_TRUE(c.has_value()) << n;
    if (c) m |= 1ULL << *c;
  }
  return m;
}

// Expects LoadText(text) to fail at line:col naming `word`.
void ExpectError(const std::string& text, int line, int col, const std::string& word) {
  auto p = LoadText(text);
  ASSERT_FALSE(p.has_value()) << "resolved without error:\n" << text;
  const std::string msg = p.error().message();
  const std::string where = std::string(kInline) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << "expected '" << where << "...', got: " << msg;
  EXPECT_TRUE(Contains(msg, word)) << "no '" << word << "' in: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rampart-resolver-XXXXXX";
    const char* d = mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    path_ = d ? d : "/tmp";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ----------------------------------------------------------------- groups --

TEST(Resolver, GroupExpansion) {
  auto loader = Loader();
  auto basic = loader.groups().Expand("basic-io");
  ASSERT_TRUE(basic.has_value()) << basic.error().message();
  EXPECT_TRUE(basic->count("read") && basic->count("write")) << "@basic-io lacks read/write";
  auto service = loader.groups().Expand("system-service");
  ASSERT_TRUE(service.has_value()) << service.error().message();
  EXPECT_TRUE(service->count("read")) << "@system-service does not reach read through @basic-io";
  for (const auto& n : *basic) EXPECT_TRUE(service->count(n)) << n << " of @basic-io missing from @system-service";
  for (const auto& n : *service) EXPECT_FALSE(n.starts_with("@")) << "unexpanded group " << n;

  auto p = LoadText("name: g\nseccomp:\n  allow: [\"@system-service\"]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  for (const char* n : {"read", "write", "pread64", "openat"}) {
    ASSERT_TRUE(p->seccomp.syscalls.count(n)) << n;
    EXPECT_EQ(p->seccomp.syscalls.at(n).action, Action::Allow()) << n;
  }
  // Groups also work in deny and in rules.
  p = LoadText(
      "name: g\nseccomp:\n  deny: [\"@basic-io\"]\n  rules:\n    - {syscalls: [\"@mount\"], action: errno(EACCES)}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp.syscalls.at("write").action, Action::Errno(1));
  EXPECT_EQ(p->seccomp.syscalls.at("mount").action, Action::Errno(13));
  EXPECT_EQ(p->seccomp.syscalls.at("umount2").action, Action::Errno(13));
}

TEST(Resolver, UnknownNamesAreErrorsAtTheirPosition) {
  ExpectError("name: u\nseccomp:\n  allow: [read, \"@nope\"]\n", 3, 17, "'@nope'");
  ExpectError("name: u\nseccomp:\n  deny: [reed]\n", 3, 10, "'reed'");
  ExpectError("name: u\nseccomp:\n  rules:\n    - {syscalls: [read, wrtie], action: log}\n", 4, 25, "'wrtie'");
  ExpectError("name: u\ncapabilities:\n  keep: [CHOWN, SYS_ADMINN]\n", 3, 17, "'SYS_ADMINN'");
  ExpectError("name: u\ncapabilities:\n  keep: [ALL]\n", 3, 10, "'ALL'");
}

// ---------------------------------------------------------------- extends --

constexpr const char* kBase = R"(name: base
description: the base
seccomp:
  default: errno(EPERM)
  unknown: errno(ENOSYS)
  architectures: [native]
  optimize: linear
  allow: [read, write, exit_group, getpid]
  deny: [ptrace, mount]
  rules:
    - {syscall: socket, args: ["arg0 != AF_VSOCK"]}
    - {syscall: personality, args: ["arg0 == 0"]}
    - {syscall: ioctl, args: ["arg1 != TIOCSTI"]}
capabilities:
  drop: [ALL]
  keep: [CHOWN, NET_BIND_SERVICE, KILL]
  ambient: [NET_BIND_SERVICE]
no_new_privileges: true
rlimits: {nofile: [1024, 4096], core: 0}
masked_paths: [/proc/kcore, /proc/keys]
readonly_paths: [/proc/sys]
apparmor: {profile: base}
)";

TEST(Resolver, ExtendsOverrideSemantics) {
  TempDir dir;
  dir.Write("base.yaml", kBase);
  const std::string child = dir.Write("child.yaml", R"(name: child
extends: base.yaml
seccomp:
  default: errno(EACCES)
  architectures: [native, x86]
  optimize: tree
  allow: [ptrace]
  deny: [socket]
  rules:
    - {syscall: ioctl, args: ["arg1 == 0x5401"]}
capabilities:
  drop: [KILL]
  keep: [SYS_PTRACE]
no_new_privileges: false
rlimits: {nofile: 64}
masked_paths: [/proc/kcore, /proc/timer_list]
apparmor: {profile: child}
)");
  auto p = Loader().Load(child);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  const auto& s = p->seccomp;
  EXPECT_EQ(p->name, "child");
  EXPECT_EQ(p->description, "the base");  // not given: inherited
  ASSERT_EQ(p->chain.size(), 2u);
  EXPECT_TRUE(p->chain[0].ends_with("base.yaml")) << p->chain[0];
  EXPECT_EQ(p->chain[1], child);

  // Scalars replace the base's.
  EXPECT_EQ(s.default_action, Action::Errno(13));
  EXPECT_EQ(s.unknown_action, Action::Errno(38));
  EXPECT_EQ(s.arches, (std::vector<Arch>{Arch::kX86_64, Arch::kX86}));
  EXPECT_EQ(s.optimize, Optimize::kTree);
  EXPECT_FALSE(p->no_new_privileges);

  // The child allows what the base denied.
  EXPECT_EQ(Eval(*p, "ptrace"), "allow");
  // The child's deny of socket drops the base's argument rule entirely.
  ASSERT_TRUE(s.syscalls.count("socket"));
  EXPECT_FALSE(s.syscalls.at("socket").conditional());
  EXPECT_EQ(Eval(*p, "socket", {2}), "errno(EACCES)");
  // The child's ioctl rule replaces the base's (not ORed with it).
  ASSERT_EQ(s.syscalls.at("ioctl").any_of.size(), 1u);
  EXPECT_EQ(s.syscalls.at("ioctl").any_of[0][0].ToString(), "arg1 == 0x5401");
  EXPECT_EQ(Eval(*p, "ioctl", {1, 0x5401}), "allow");
  EXPECT_EQ(Eval(*p, "ioctl", {1, 0x5413}), "errno(EACCES)");
  // What the child does not name stays as the base said; deny entries of the
  // base follow the final default.
  EXPECT_TRUE(s.syscalls.at("personality").conditional());
  EXPECT_EQ(Eval(*p, "personality", {0}), "allow");
  EXPECT_EQ(Eval(*p, "personality", {8}), "errno(EACCES)");
  EXPECT_EQ(Eval(*p, "mount"), "errno(EACCES)");
  EXPECT_EQ(Eval(*p, "read"), "allow");
  EXPECT_EQ(Eval(*p, "getppid"), "errno(ENOSYS)");
  // On x86 (added by the child) the same decisions hold.
  EXPECT_EQ(Eval(*p, "read", {}, Arch::kX86), "allow");
  EXPECT_EQ(Eval(*p, "mount", {}, Arch::kX86), "errno(EACCES)");

  // Capabilities: base set, then drop, then keep; ambient inherited.
  EXPECT_EQ(p->caps.bounding, Caps({"CHOWN", "NET_BIND_SERVICE", "SYS_PTRACE"}))
      << CapabilityPolicy::MaskToNames(p->caps.bounding);
  EXPECT_EQ(p->caps.ambient, Caps({"NET_BIND_SERVICE"}));
  EXPECT_EQ(p->caps.inheritable, Caps({"NET_BIND_SERVICE"}));

  // rlimits per resource; paths are a union; the apparmor section replaced.
  ASSERT_EQ(p->rlimits.size(), 2u);
  EXPECT_EQ(p->rlimits[0].name, "core");
  EXPECT_EQ(p->rlimits[0].soft, 0u);
  EXPECT_EQ(p->rlimits[1].name, "nofile");
  EXPECT_EQ(p->rlimits[1].soft, 64u);
  EXPECT_EQ(p->rlimits[1].hard, 64u);
  EXPECT_EQ(p->masked_paths, (std::vector<std::string>{"/proc/kcore", "/proc/keys", "/proc/timer_list"}));
  EXPECT_EQ(p->readonly_paths, (std::vector<std::string>{"/proc/sys"}));
  EXPECT_EQ(p->apparmor.profile, "child");
}

TEST(Resolver, ExtendsChildRuleReplacesBaseDeny) {
  TempDir dir;
  dir.Write("base.yaml", kBase);
  // A rule in the child decides ptrace (denied by the base) on its own, and a
  // group in the child's deny takes over members the base allowed.
  auto p = Loader().Load(dir.Write("child.yaml", R"(name: child
extends: ./base.yaml
seccomp:
  deny: ["@basic-io"]
  rules:
    - {syscall: ptrace, action: errno(ESRCH)}
    - {syscall: socket, action: allow}
)"));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "ptrace"), "errno(ESRCH)");
  EXPECT_EQ(Eval(*p, "socket", {40}), "allow");  // the base's AF_VSOCK rule is gone
  EXPECT_EQ(Eval(*p, "read"), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "exit_group"), "allow");
}

TEST(Resolver, ExtendsShippedAndSearchDirs) {
  TempDir dir;
  dir.Write("mybase.yaml", kBase);
  auto loader = ProfileLoader::Create({dir.path()});
  ASSERT_TRUE(loader.has_value());
  // A name found in a search dir, extended from inline text.
  auto p = loader->LoadText("name: c\nextends: mybase\nseccomp:\n  allow: [ptrace]\n", kInline);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "ptrace"), "allow");
  EXPECT_EQ(Eval(*p, "mount"), "errno(EPERM)");
  // A shipped name.
  p = loader->LoadText("name: c\nextends: default\nseccomp:\n  allow: [unshare]\n", kInline);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "unshare"), "allow");
  EXPECT_EQ(Eval(*p, "setns"), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "socket", {40}), "errno(EPERM)");
  ASSERT_EQ(p->chain.size(), 2u);
  // A missing base is an error at the extends value.
  ExpectError("name: c\nextends: no-such-profile\n", 2, 10, "'no-such-profile'");
  ExpectError("name: c\nextends: ./missing.yaml\n", 2, 10, "missing.yaml");
}

TEST(Resolver, ExtendsCycleThroughTempFiles) {
  TempDir dir;
  dir.Write("a.yaml", "name: a\nextends: b.yaml\n");
  dir.Write("b.yaml", "name: b\nextends: c.yaml\n");
  dir.Write("c.yaml", "name: c\nextends: a.yaml\n");
  auto p = Loader().Load(dir.path() + "/a.yaml");
  ASSERT_FALSE(p.has_value());
  const std::string msg = p.error().message();
  EXPECT_EQ(msg.rfind(dir.path() + "/c.yaml:2:10: cyclic extends", 0), 0u) << msg;
  EXPECT_TRUE(Contains(msg, "a.yaml -> ") && Contains(msg, "b.yaml -> ") && Contains(msg, "c.yaml -> ")) << msg;
  // Self-extension.
  dir.Write("self.yaml", "name: self\nextends: self.yaml\n");
  p = Loader().Load(dir.path() + "/self.yaml");
  ASSERT_FALSE(p.has_value());
  EXPECT_TRUE(Contains(p.error().message(), "cyclic extends")) << p.error().message();
}

// ----------------------------------------------------------- capabilities --

TEST(Resolver, CapabilitiesDropThenKeep) {
  auto p = LoadText("name: c\ncapabilities:\n  drop: [all]\n  keep: [cap_chown, Kill, CAP_SETUID]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->caps.bounding, Caps({"CHOWN", "KILL", "SETUID"})) << CapabilityPolicy::MaskToNames(p->caps.bounding);
  EXPECT_EQ(p->caps.ambient, 0u);
  EXPECT_EQ(p->caps.inheritable, 0u);
  // Keeping and dropping the same capability in one profile is an error.
  ExpectError("name: c\ncapabilities:\n  keep: [CHOWN]\n  drop: [CAP_CHOWN]\n", 4, 10, "CAP_CHOWN");
}

TEST(Resolver, AmbientMustBeKept) {
  ExpectError("name: c\ncapabilities:\n  drop: [ALL]\n  keep: [CHOWN]\n  ambient: [NET_BIND_SERVICE]\n", 5, 13,
              "NET_BIND_SERVICE");
  auto p = LoadText("name: c\ncapabilities:\n  drop: [ALL]\n  keep: [NET_BIND_SERVICE]\n  ambient: [NET_BIND_SERVICE]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->caps.ambient, Caps({"NET_BIND_SERVICE"}));
  EXPECT_EQ(p->caps.inheritable, Caps({"NET_BIND_SERVICE"}));  // ambient is also inheritable

  // A child that drops what the base keeps ambient fails.
  TempDir dir;
  dir.Write("base.yaml", kBase);
  auto c = Loader().Load(dir.Write("child.yaml", "name: c\nextends: base.yaml\ncapabilities:\n  drop: [NET_BIND_SERVICE]\n"));
  ASSERT_FALSE(c.has_value());
  EXPECT_TRUE(Contains(c.error().message(), "NET_BIND_SERVICE")) << c.error().message();
  EXPECT_TRUE(Contains(c.error().message(), "ambient")) << c.error().message();
  // ... unless it also replaces ambient.
  c = Loader().Load(
      dir.Write("child2.yaml", "name: c\nextends: base.yaml\ncapabilities:\n  drop: [NET_BIND_SERVICE]\n  ambient: [KILL]\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->caps.ambient, Caps({"KILL"}));
}

TEST(Resolver, DangerousInheritableLandsInInheritable) {
  auto p = LoadText(
      "name: c\ncapabilities:\n  drop: [ALL]\n  keep: [CHOWN, SETUID]\n  ambient: [CHOWN]\n"
      "  dangerous_inheritable: [SETUID]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->caps.ambient, Caps({"CHOWN"}));
  EXPECT_EQ(p->caps.inheritable, Caps({"CHOWN", "SETUID"})) << CapabilityPolicy::MaskToNames(p->caps.inheritable);
  EXPECT_EQ(p->caps.bounding, Caps({"CHOWN", "SETUID"}));
  ExpectError("name: c\ncapabilities:\n  drop: [ALL]\n  keep: [CHOWN]\n  dangerous_inheritable: [SYS_ADMIN]\n", 5, 27,
              "SYS_ADMIN");
}

// -------------------------------------------------------------- conflicts --

TEST(Resolver, ExplicitAllowAndDenyIsAnError) {
  ExpectError("name: c\nseccomp:\n  allow: [read, ptrace]\n  deny: [mount, ptrace]\n", 4, 17, "'ptrace'");
  // Reaching a name through a group on one side is not a conflict: deny wins.
  auto p = LoadText("name: c\nseccomp:\n  allow: [\"@basic-io\"]\n  deny: [write]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "write"), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "read"), "allow");
  p = LoadText("name: c\nseccomp:\n  allow: [read]\n  deny: [\"@basic-io\"]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "read"), "errno(EPERM)");
}

TEST(Resolver, RuleDecidesOverListsOfTheSameProfile) {
  auto p = LoadText(
      "name: c\nseccomp:\n  allow: [socket]\n  deny: [ptrace]\n  rules:\n"
      "    - {syscall: socket, args: [\"arg0 == AF_UNIX\"]}\n    - {syscall: ptrace, action: log}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "socket", {1}), "allow");
  EXPECT_EQ(Eval(*p, "socket", {2}), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "ptrace"), "log");
}

TEST(Resolver, RulesWithDifferentActionsAreAnError) {
  ExpectError(
      "name: c\nseccomp:\n  rules:\n    - {syscall: kill, args: [\"arg1 == 9\"], action: errno(EPERM)}\n"
      "    - {syscall: kill, args: [\"arg1 == 15\"], action: allow}\n",
      5, 7, "'kill'");
  // Same action: ORed.
  auto p = LoadText(
      "name: c\nseccomp:\n  rules:\n    - {syscall: kill, args: [\"arg1 == 9\"]}\n"
      "    - {syscall: kill, args: [\"arg1 == 15\"]}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp.syscalls.at("kill").any_of.size(), 2u);
  EXPECT_EQ(Eval(*p, "kill", {1, 9}), "allow");
  EXPECT_EQ(Eval(*p, "kill", {1, 15}), "allow");
  EXPECT_EQ(Eval(*p, "kill", {1, 2}), "errno(EPERM)");
}

TEST(Resolver, UnconditionalAndConditionalRuleIsAnError) {
  ExpectError(
      "name: c\nseccomp:\n  rules:\n    - {syscall: kill}\n    - {syscall: kill, args: [\"arg1 == 9\"]}\n", 5, 7,
      "'kill'");
  ExpectError(
      "name: c\nseccomp:\n  rules:\n    - {syscall: kill, args: [\"arg1 == 9\"]}\n    - {syscall: kill}\n", 5, 7,
      "'kill'");
}

TEST(Resolver, MultiplexersCannotTakeArguments) {
  ExpectError("name: c\nseccomp:\n  rules:\n    - {syscall: socketcall, args: [\"arg0 == 1\"]}\n", 4, 7,
              "'socketcall'");
  ExpectError("name: c\nseccomp:\n  rules:\n    - {syscalls: [read, ipc], args: [\"arg0 == 1\"]}\n", 4, 7, "'ipc'");
  // An unconditional rule is fine.
  auto p = LoadText("name: c\nseccomp:\n  rules:\n    - {syscall: socketcall, action: errno(ENOSYS)}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "socketcall", {}, Arch::kX86), "errno(ENOSYS)");
}

// A rule that reaches one syscall twice (through a group and by name) is
// one rule: no "unconditional rule and other rules" error, no doubled
// conjunction.
TEST(Resolver, RuleNamingASyscallTwiceIsOneRule) {
  auto p = LoadText("name: c\nseccomp:\n  rules:\n    - {syscalls: [\"@basic-io\", read], action: log}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "read"), "log");
  p = LoadText("name: c\nseccomp:\n  rules:\n    - {syscalls: [read, read], args: [\"arg0 == 1\"]}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp.syscalls.at("read").any_of.size(), 1u);
}

// ----------------------------------------------------- default vs unknown --

TEST(Resolver, KnownAndUnknownActions) {
  auto p = LoadText(R"(name: k
seccomp:
  allow: [read, write, exit_group]
  deny: [ptrace, "@mount"]
  rules:
    - {syscall: socket, args: ["arg0 != AF_VSOCK"]}
)");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp.default_action, Action::Errno(1));
  EXPECT_EQ(p->seccomp.unknown_action, Action::Errno(38));
  EXPECT_EQ(p->seccomp.arches, AllArches());
  for (Arch a : AllArches()) {
    EXPECT_EQ(Eval(*p, "read", {}, a), "allow") << ArchName(a);
    EXPECT_EQ(Eval(*p, "ptrace", {}, a), "errno(EPERM)") << ArchName(a);
    EXPECT_EQ(Eval(*p, "mount", {}, a), "errno(EPERM)") << ArchName(a);
    EXPECT_EQ(Eval(*p, "getpid", {}, a), "errno(ENOSYS)") << ArchName(a);
    EXPECT_EQ(Eval(*p, "execve", {}, a), "errno(ENOSYS)") << ArchName(a);
  }
  EXPECT_EQ(Eval(*p, "socket", {2}), "allow");
  EXPECT_EQ(Eval(*p, "socket", {40}), "errno(EPERM)");  // known, condition fails → default
  // A number no architecture maps: unknown.
  seccomp_data d{};
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = 4000;
  EXPECT_EQ(p->seccomp.Evaluate(d).ToString(), "errno(ENOSYS)");
  // Another architecture: killed.
  d.arch = 0xdeadbeef;
  d.nr = 0;
  EXPECT_EQ(p->seccomp.Evaluate(d), Action::KillProcess());

  // Changed actions.
  p = LoadText("name: k\nseccomp:\n  default: kill\n  unknown: log\n  allow: [read]\n  deny: [ptrace]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "ptrace"), "kill");
  EXPECT_EQ(Eval(*p, "getpid"), "log");
  // Denylist style.
  p = LoadText("name: k\nseccomp:\n  unknown: allow\n  deny: [ptrace]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(Eval(*p, "ptrace"), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "getpid"), "allow");
}

TEST(Resolver, MultiplexersAlwaysPresent) {
  auto p = LoadText("name: m\nseccomp:\n  allow: [socket, connect, msgget]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  for (const char* m : {"socketcall", "ipc"}) {
    ASSERT_TRUE(p->seccomp.syscalls.count(m)) << m << " missing from the resolved policy";
    EXPECT_EQ(p->seccomp.syscalls.at(m).action, p->seccomp.default_action) << m;
    EXPECT_EQ(Eval(*p, m, {}, Arch::kX86), "errno(EPERM)") << m;
  }
  // Even a profile with no seccomp section at all.
  p = LoadText("name: m\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp.syscalls.count("socketcall"), 1u);
  EXPECT_EQ(p->seccomp.syscalls.count("ipc"), 1u);
  // With a changed default, they follow it; explicitly allowed, they are allowed.
  p = LoadText("name: m\nseccomp:\n  default: errno(EACCES)\n  allow: [socketcall]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->seccomp.syscalls.at("socketcall").action, Action::Allow());
  EXPECT_EQ(p->seccomp.syscalls.at("ipc").action, Action::Errno(13));
}

// ---------------------------------------------------------- shipped default --

TEST(Resolver, ShippedDefault) {
  auto p = Loader().Load("default");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  const uint64_t want = Caps({"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
                              "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"});
  EXPECT_EQ(__builtin_popcountll(want), 14);
  EXPECT_EQ(p->caps.bounding, want) << "kept: " << CapabilityPolicy::MaskToNames(p->caps.bounding);
  EXPECT_EQ(p->caps.inheritable, 0u) << CapabilityPolicy::MaskToNames(p->caps.inheritable);
  EXPECT_EQ(p->caps.ambient, 0u) << CapabilityPolicy::MaskToNames(p->caps.ambient);
  EXPECT_TRUE(p->no_new_privileges);
  EXPECT_EQ(p->seccomp.default_action, Action::Errno(1));
  EXPECT_EQ(p->seccomp.unknown_action, Action::Errno(38));
  EXPECT_EQ(p->seccomp.arches, AllArches());
  EXPECT_EQ(p->chain.size(), 1u);
  // A few decisions the profile's comments promise.
  EXPECT_EQ(Eval(*p, "socket", {2}), "allow");
  EXPECT_EQ(Eval(*p, "socket", {40}), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "socket", {40 | (1ULL << 32)}), "errno(EPERM)");  // garbage in the upper half
  EXPECT_EQ(Eval(*p, "clone", {*ParseValueExpr("CLONE_NEWUSER")}), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "clone", {*ParseValueExpr("CLONE_VM|CLONE_THREAD")}), "allow");
  EXPECT_EQ(Eval(*p, "clone3"), "errno(ENOSYS)");
  EXPECT_EQ(Eval(*p, "ioctl", {0, 0x5412}), "errno(EPERM)");  // TIOCSTI
  EXPECT_EQ(Eval(*p, "unshare"), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "unshare", {}, Arch::kX86), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "socketcall", {}, Arch::kX86), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "io_uring_setup"), "errno(EPERM)");
  EXPECT_EQ(Eval(*p, "read"), "allow");
  EXPECT_EQ(Eval(*p, "ptrace"), "errno(EPERM)");
  ASSERT_EQ(p->rlimits.size(), 1u);
  EXPECT_EQ(p->rlimits[0].name, "core");
  EXPECT_EQ(p->rlimits[0].hard, 0u);
}

TEST(Resolver, EveryShippedProfileResolves) {
  auto loader = Loader();
  for (const char* n : {"default", "web-server", "build-sandbox", "untrusted-compute"}) {
    auto p = loader.Load(n);
    ASSERT_TRUE(p.has_value()) << n << ": " << p.error().message();
    EXPECT_EQ(p->name, n);
    EXPECT_EQ(p->caps.inheritable & ~p->caps.bounding, 0u) << n;
    EXPECT_EQ(p->caps.ambient & ~p->caps.bounding, 0u) << n;
  }
  auto g = loader.Load("syscall-groups");
  EXPECT_FALSE(g.has_value()) << "the group data file loaded as a profile";
}

}  // namespace
}  // namespace rampart::security
