// Differential test (the libseccomp bpf-sim idea): for every syscall number
// on x86_64, x86 and x32, and for argument vectors around every condition's
// boundary, the verdict of rampart's cBPF interpreter on the compiled
// program must equal the action the Policy IR intends.
#include <gtest/gtest.h>
#include <linux/audit.h>


#include "security/bpf_interpreter.h"
#include "security/compiled_policy.h"
#include "security/embedded.h"
#include "security/filter_verify.h"
#include "security/resolver.h"
#include "security/syscall_table.h"
#include "tests/unit/policy_test_util.h"

namespace rampart::security {
namespace {

using testing_util::Loader;

// Compiles `p` and compares every verdict; returns how many calls were checked.
size_t CheckPolicy(const Policy& p, Optimize opt) {
  auto compiled = CompilePolicy(p, {opt});
  EXPECT_TRUE(compiled.has_value()) << p.name << ": " << compiled.error().message();
  if (!compiled) return 0;
  VerifyReport r = DiffProgram(p.seccomp, compiled->seccomp.insns, true);
  std::string first;
  for (const auto& m : r.first_mismatches) first += "\n  " + m;
  EXPECT_EQ(r.mismatched, 0u) << p.name << (opt == Optimize::kTree ? " (tree)" : " (linear)") << ": " << r.mismatched
                              << " of " << r.checked << " verdicts differ:" << first;
  return r.checked;
}

TEST(SeccompDifferential, EveryShippedProfileLinearAndTree) {
  auto loader = Loader();
  auto names = EmbeddedProfileNames();
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    auto p = loader.Load(name);
    ASSERT_TRUE(p.has_value()) << name << ": " << p.error().message();
    for (Optimize opt : {Optimize::kLinear, Optimize::kTree}) EXPECT_GT(CheckPolicy(*p, opt), 3000u) << name;
  }
}

// Every comparison operator, repeated conditions on one argument, masks,
// values above 32 bits and per-rule actions.
constexpr const char* kArgRules = R"(
name: arg-rules
seccomp:
  default: errno(EPERM)
  unknown: errno(ENOSYS)
  allow: [read, write, exit_group]
  deny: [ptrace]
  rules:
    - {syscall: socket, args: ["arg0 != AF_VSOCK"]}
    - {syscall: socket, args: ["arg0 >= 0x1000000000"]}
    - {syscall: ioctl, args: ["arg1 != TIOCSTI", "arg1 != TIOCLINUX"]}
    - {syscall: clone, args: ["arg0 & CLONE_NEW_ANY == 0"]}
    - {syscall: personality, args: ["arg0 == 0"]}
    - {syscall: personality, args: ["arg0 == 8"]}
    - {syscall: personality, args: ["arg0 == 0xffffffff"]}
    - {syscall: mmap, args: ["arg2 <= 3", "arg2 >= 1"]}
    - {syscall: fcntl, action: errno(EACCES), args: ["arg1 >= 1024"]}
    - {syscall: kill, action: kill-process, args: ["arg1 & 0xff00 == 0x0900"]}
    - {syscall: clone3, action: errno(ENOSYS)}
    - {syscall: getpid, action: trap}
    - {syscall: gettid, action: log}
    - {syscall: mkdir, args: ["arg1 & 0xf0 == 0x10", "arg1 & 0x0f == 0x03"]}
)";

TEST(SeccompDifferential, ArgumentRulesAllOperators) {
  auto loader = Loader();
  auto p = loader.LoadText(kArgRules, "arg-rules.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  for (Optimize opt : {Optimize::kLinear, Optimize::kTree}) CheckPolicy(*p, opt);
}

// Rules over several arguments, overlapping rules on one syscall and a
// 64-bit value on a 32-bit argument: libseccomp could not build these
// (rampart refused them while it compiled through libseccomp); rampart's
// own code generator must get every verdict right.
TEST(SeccompDifferential, MultiArgumentRulesCompileExactly) {
  auto loader = Loader();
  auto p = loader.LoadText(R"(
name: multi-arg
seccomp:
  rules:
    - {syscall: mmap, args: ["arg2 <= 3", "arg2 >= 1", "arg3 > 2"]}
    - {syscall: socket, args: ["arg0 != AF_VSOCK", "arg1 < 8"]}
    - {syscall: socket, args: ["arg2 == 0x1234567890"]}
    - {syscall: mprotect, args: ["arg2 & 0x4 == 0", "arg1 < 0x100000000", "arg0 >= 0x7f0000000000"]}
)", "multi-arg.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  for (Optimize opt : {Optimize::kLinear, Optimize::kTree}) EXPECT_GT(CheckPolicy(*p, opt), 1000u);
}

// A filter longer than the kernel takes (BPF_MAXINSNS) is refused with a
// message, not cut short.
TEST(SeccompDifferential, FilterAboveKernelLimitIsRefused) {
  std::string text = "name: many-rules\nseccomp:\n  rules:\n";
  for (int i = 0; i < 500; ++i) text += "    - {syscall: ioctl, args: [\"arg1 == " + std::to_string(0x1000 + i) + "\"]}\n";
  auto loader = Loader();
  auto p = loader.LoadText(text, "many-rules.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto compiled = CompilePolicy(*p);
  ASSERT_FALSE(compiled.has_value()) << compiled->seccomp.insns.size() << " instructions";
  EXPECT_NE(compiled.error().message().find("more than the 4096 the kernel takes"), std::string::npos)
      << compiled.error().message();
}

TEST(SeccompDifferential, NativeOnlyKillsX86AndX32) {
  auto loader = Loader();
  auto p = loader.LoadText("name: native\nseccomp:\n  architectures: [native]\n  allow: [read, getpid]\n", "native.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  CheckPolicy(*p, Optimize::kLinear);
  auto compiled = CompilePolicy(*p);
  ASSERT_TRUE(compiled.has_value());
  seccomp_data d{};
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = static_cast<int>(*SyscallNumber(Arch::kX86_64, "read"));
  EXPECT_EQ(*RunBpf(compiled->seccomp.insns, d), Action::Allow().ToSeccompRet());
  // The same number with the x32 bit set is not allowed by the native allow.
  d.nr |= static_cast<int>(kX32SyscallBit);
  EXPECT_NE(*RunBpf(compiled->seccomp.insns, d), Action::Allow().ToSeccompRet());
  // i386 is not in the filter: killed.
  d.arch = AUDIT_ARCH_I386;
  d.nr = 3;
  EXPECT_EQ(*RunBpf(compiled->seccomp.insns, d), Action::KillProcess().ToSeccompRet());
}

TEST(SeccompDifferential, X32BitNotAllowedByNativeAllowWithAllArches) {
  auto loader = Loader();
  auto p = loader.LoadText("name: allarch\nseccomp:\n  allow: [getpid]\n", "allarch.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto compiled = CompilePolicy(*p);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
  // x86_64 getpid is 39; 39|x32 bit is x32's "fstat"-range number, not getpid on x32.
  seccomp_data d{};
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = static_cast<int>(39 | kX32SyscallBit);
  auto name = SyscallName(Arch::kX32, static_cast<uint32_t>(d.nr));
  uint32_t ret = *RunBpf(compiled->seccomp.insns, d);
  if (name && *name == "getpid")
    EXPECT_EQ(ret, Action::Allow().ToSeccompRet());
  else
    EXPECT_NE(ret, Action::Allow().ToSeccompRet()) << "x32 nr " << d.nr << " (" << name.value_or("?") << ")";
}

}  // namespace
}  // namespace rampart::security

namespace rampart::security {
namespace {

// int/unsigned int parameters: the kernel ignores the upper half, so the
// filter must too (ioctl(fd, TIOCSTI | 1<<32) is TIOCSTI to the kernel).
TEST(SeccompDifferential, UpperHalfOfIntArgumentsCannotBypassRules) {
  auto loader = Loader();
  auto p = loader.Load("default");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto compiled = CompilePolicy(*p);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
  auto verdict = [&](const char* name, unsigned idx, uint64_t v) {
    seccomp_data d{};
    d.arch = AuditArch(Arch::kX86_64);
    d.nr = static_cast<int>(*SyscallNumber(Arch::kX86_64, name));
    d.args[idx] = v;
    return *RunBpf(compiled->seccomp.insns, d);
  };
  const uint32_t deny = p->seccomp.default_action.ToSeccompRet();
  EXPECT_EQ(verdict("ioctl", 1, 0x5412), deny);
  EXPECT_EQ(verdict("ioctl", 1, 0x100005412ULL), deny);
  EXPECT_EQ(verdict("ioctl", 1, 0xffffffff0000541cULL), deny);
  EXPECT_EQ(verdict("ioctl", 1, 0x5413), Action::Allow().ToSeccompRet());
  EXPECT_EQ(verdict("socket", 0, 40), deny);
  EXPECT_EQ(verdict("socket", 0, 0x10000000028ULL), deny);
  EXPECT_EQ(verdict("socket", 0, 2), Action::Allow().ToSeccompRet());
}

}  // namespace
}  // namespace rampart::security
