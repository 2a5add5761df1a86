// Docker/OCI and LXC seccomp formats: imports give the verdicts those tools
// document, exports round-trip to the same BPF verdicts, bad input gives one
// error line.
#include "security/seccomp_formats.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sys/mount.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/atomic_file.h"
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

const std::string kDir = std::string(RAMPART_SOURCE_DIR) + "/tests/fixtures/formats/";

std::string Fixture(const std::string& name) {
  auto t = ReadFile(kDir + name);
  EXPECT_TRUE(t.has_value()) << t.error().message();
  return t ? *t : "";
}

// An imported profile, resolved and compiled.
struct Built {
  std::string yaml;
  Policy policy;
  CompiledPolicy compiled;
};

std::optional<Built> Build(ForeignFormat format, const std::string& text, const std::string& file,
                           const ImportOptions& o = {}) {
  auto yaml = ImportSeccompProfile(format, text, file, o);
  EXPECT_TRUE(yaml.has_value()) << yaml.error().message();
  if (!yaml) return std::nullopt;
  auto p = Loader().LoadText(*yaml, "imported.yaml");
  EXPECT_TRUE(p.has_value()) << p.error().message() << "\n" << *yaml;
  if (!p) return std::nullopt;
  auto c = CompilePolicy(*p);
  EXPECT_TRUE(c.has_value()) << c.error().message() << "\n" << *yaml;
  if (!c) return std::nullopt;
  return Built{*yaml, *p, *c};
}

seccomp_data Call(Arch arch, uint32_t nr, std::initializer_list<uint64_t> args = {}) {
  seccomp_data d{};
  d.arch = AuditArch(arch);
  d.nr = static_cast<int>(nr);
  int i = 0;
  for (uint64_t a : args) d.args[i++] = a;
  return d;
}

std::string Ret(uint32_t ret) {
  auto a = Action::FromSeccompRet(ret);
  return a ? a->ToString() : "ret " + std::to_string(ret);
}

// The verdict of the compiled filter for one named call, as an action word.
std::string V(const Built& b, Arch arch, const std::string& name, std::initializer_list<uint64_t> args = {}) {
  auto nr = SyscallNumber(arch, name);
  if (!nr) return "no such syscall on " + ArchName(arch);
  auto r = RunBpf(b.compiled.seccomp.insns, Call(arch, *nr, args));
  if (!r) return "bpf error: " + r.error().message();
  return Ret(*r);
}

// ------------------------------------------------------------- Docker --

TEST(SeccompFormatsDocker, DefaultLikeProfileWithDockerDefaultCaps) {
  auto b = Build(ForeignFormat::kDocker, Fixture("docker-default-like.json"), "docker-default-like.json");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->policy.seccomp.arches, (std::vector<Arch>{Arch::kX86_64, Arch::kX86, Arch::kX32}));
  EXPECT_EQ(b->policy.seccomp.unknown_action, Action::Errno(1)) << "defaultAction with defaultErrnoRet 1";
  EXPECT_EQ(b->policy.seccomp.default_action, Action::Errno(1));
  for (Arch a : {Arch::kX86_64, Arch::kX86, Arch::kX32}) {
    EXPECT_EQ(V(*b, a, "read"), "allow") << ArchName(a);
    EXPECT_EQ(V(*b, a, "pivot_root"), "errno(EPERM)") << "unlisted: defaultAction, " << ArchName(a);
    EXPECT_EQ(V(*b, a, "socket", {2}), "allow") << ArchName(a);
    EXPECT_EQ(V(*b, a, "socket", {40}), "errno(EPERM)") << "AF_VSOCK, " << ArchName(a);
    EXPECT_EQ(V(*b, a, "personality", {0}), "allow");
    EXPECT_EQ(V(*b, a, "personality", {0x20008}), "allow");
    EXPECT_EQ(V(*b, a, "personality", {0xffffffff}), "allow");
    EXPECT_EQ(V(*b, a, "personality", {1}), "errno(EPERM)");
    EXPECT_EQ(V(*b, a, "clone", {0x11}), "allow") << "SIGCHLD";
    EXPECT_EQ(V(*b, a, "clone", {0x10000000}), "errno(EPERM)") << "CLONE_NEWUSER without CAP_SYS_ADMIN";
    EXPECT_EQ(V(*b, a, "clone3"), "errno(ENOSYS)") << "errnoRet 38 without CAP_SYS_ADMIN";
    EXPECT_EQ(V(*b, a, "mount"), "errno(EPERM)") << "listed only under includes.caps CAP_SYS_ADMIN";
    EXPECT_EQ(V(*b, a, "chroot"), "allow") << "CAP_SYS_CHROOT is in Docker's default set";
    EXPECT_EQ(V(*b, a, "ptrace"), "allow") << "minKernel 4.8 <= 6.1";
    EXPECT_EQ(V(*b, a, "kcmp"), "errno(EPERM)") << "CAP_SYS_PTRACE is not in Docker's default set";
    EXPECT_EQ(V(*b, a, "reboot"), "kill-process");
  }
  EXPECT_EQ(V(*b, Arch::kX86_64, "arch_prctl"), "allow") << "includes.arches amd64 on an amd64 host";
  EXPECT_EQ(V(*b, Arch::kX86, "socketcall", {1}), "allow") << "named in the allow list";
  EXPECT_EQ(V(*b, Arch::kX86, "waitpid"), "allow");
  EXPECT_EQ(b->policy.caps.bounding & (1ULL << 21), 0u) << "no CAP_SYS_ADMIN kept";
  EXPECT_NE(b->yaml.find("rampart_no_such_syscall"), std::string::npos) << "the skipped name is mentioned:\n" << b->yaml;
  EXPECT_NE(b->yaml.find("SCMP_ARCH_AARCH64"), std::string::npos) << "ignored archMap entries are not mentioned";
}

TEST(SeccompFormatsDocker, IncludesAndExcludesFollowCapsAndKernel) {
  ImportOptions o;
  o.caps = DockerDefaultCaps();
  o.caps.push_back("SYS_ADMIN");
  auto b = Build(ForeignFormat::kDocker, Fixture("docker-default-like.json"), "docker-default-like.json", o);
  ASSERT_TRUE(b);
  EXPECT_EQ(V(*b, Arch::kX86_64, "clone", {0x10000000}), "allow") << "CAP_SYS_ADMIN: clone unrestricted";
  EXPECT_EQ(V(*b, Arch::kX86_64, "clone3"), "allow");
  EXPECT_EQ(V(*b, Arch::kX86_64, "mount"), "allow");
  EXPECT_EQ(V(*b, Arch::kX86_64, "setns"), "allow");
  EXPECT_NE(b->policy.caps.bounding & (1ULL << 21), 0u) << "the cap decided on is kept";

  ImportOptions old;
  old.kernel_major = 4, old.kernel_minor = 4;
  auto k = Build(ForeignFormat::kDocker, Fixture("docker-default-like.json"), "docker-default-like.json", old);
  ASSERT_TRUE(k);
  EXPECT_EQ(V(*k, Arch::kX86_64, "ptrace"), "errno(EPERM)") << "minKernel 4.8 > 4.4";

  ImportOptions arm;
  arm.host_arch = "arm64";
  auto a = Build(ForeignFormat::kDocker, Fixture("docker-default-like.json"), "docker-default-like.json", arm);
  ASSERT_TRUE(a);
  EXPECT_EQ(V(*a, Arch::kX86_64, "arch_prctl"), "errno(EPERM)") << "includes.arches does not list arm64";
}

TEST(SeccompFormatsDocker, DenylistMapsToUnknownAllow) {
  const std::string json = R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
      {"names": ["ptrace", "bpf"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["kexec_load"], "action": "SCMP_ACT_KILL"},
      {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
       "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}
    ]})";
  auto b = Build(ForeignFormat::kDocker, json, "deny.json");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->policy.seccomp.arches, std::vector<Arch>{Arch::kX86_64});
  EXPECT_EQ(b->policy.seccomp.unknown_action, Action::Allow());
  EXPECT_EQ(V(*b, Arch::kX86_64, "read"), "allow");
  EXPECT_EQ(V(*b, Arch::kX86_64, "ptrace"), "errno(EPERM)") << "SCMP_ACT_ERRNO without errnoRet is EPERM";
  EXPECT_EQ(V(*b, Arch::kX86_64, "kexec_load"), "kill");
  EXPECT_EQ(V(*b, Arch::kX86_64, "socket", {40}), "errno(EAFNOSUPPORT)");
  EXPECT_EQ(V(*b, Arch::kX86_64, "socket", {2}), "allow") << "the rule falls back to allow: written inverted";
  EXPECT_EQ(V(*b, Arch::kX86, "read"), "kill-process") << "architectures not listed are killed";
}

TEST(SeccompFormatsDocker, NoArchitecturesMeansNativeOnly) {
  auto b = Build(ForeignFormat::kDocker, R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"}]})",
                 "min.json");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->policy.seccomp.arches, std::vector<Arch>{Arch::kX86_64});
  EXPECT_EQ(V(*b, Arch::kX86_64, "read"), "allow");
  EXPECT_EQ(V(*b, Arch::kX86_64, "write"), "kill-process");
}

// --------------------------------------------------------------- LXC --

TEST(SeccompFormatsLxc, DenylistLikeDebianCommon) {
  auto b = Build(ForeignFormat::kLxc, Fixture("lxc-common-like.seccomp"), "lxc-common-like.seccomp");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->policy.seccomp.arches, (std::vector<Arch>{Arch::kX86_64, Arch::kX86, Arch::kX32}));
  EXPECT_EQ(b->policy.seccomp.unknown_action, Action::Allow()) << "denylist: allow by default";
  for (Arch a : {Arch::kX86_64, Arch::kX86, Arch::kX32}) {
    EXPECT_EQ(V(*b, a, "read"), "allow") << ArchName(a);
    EXPECT_EQ(V(*b, a, "kexec_load"), "errno(EPERM)") << ArchName(a);
    EXPECT_EQ(V(*b, a, "init_module"), "errno(EPERM)") << ArchName(a);
    EXPECT_EQ(V(*b, a, "keyctl"), "errno(ENOSYS)") << ArchName(a);
    EXPECT_EQ(V(*b, a, "umount2", {0, MNT_FORCE}), "errno(EACCES)") << "reject_force_umount, " << ArchName(a);
    EXPECT_EQ(V(*b, a, "umount2", {0, MNT_DETACH}), "allow") << ArchName(a);
  }
  EXPECT_EQ(V(*b, Arch::kX86, "socketcall", {1}), "errno(EPERM)") << "[X86] section";
  EXPECT_NE(b->yaml.find("[arm64]"), std::string::npos) << "the ignored section is mentioned:\n" << b->yaml;
}

TEST(SeccompFormatsLxc, AllowlistWithDefaultActionAndArguments) {
  const std::string text =
      "2\n"
      "allowlist errno 38\n"
      "[all]\n"
      "read\n"
      "write allow\n"
      "exit_group\n"
      "socket allow [0,40,SCMP_CMP_NE]\n"
      "mmap [2, 4, &=, 4]\n"
      "ptrace errno 1\n"
      "getpid trap\n"
      // Without this, x86 socketcall would get the default action, which
      // libseccomp cannot keep apart from the socket rule (the compiler says so).
      "[x86]\n"
      "socketcall errno 1\n";
  auto b = Build(ForeignFormat::kLxc, text, "allow.seccomp");
  ASSERT_TRUE(b);
  for (Arch a : {Arch::kX86_64, Arch::kX86}) {
    EXPECT_EQ(V(*b, a, "read"), "allow");
    EXPECT_EQ(V(*b, a, "write"), "allow");
    EXPECT_EQ(V(*b, a, "pivot_root"), "errno(ENOSYS)") << "the header's default action";
    EXPECT_EQ(V(*b, a, "socket", {2}), "allow");
    EXPECT_EQ(V(*b, a, "socket", {40}), "errno(ENOSYS)") << "unmatched rule: the filter's default";
    EXPECT_EQ(V(*b, a, "ptrace"), "errno(EPERM)");
    EXPECT_EQ(V(*b, a, "getpid"), "trap");
  }
  // "[2, 4, &=, 4]": (arg2 & 4) == 4, LXC's [index,value,op,mask].
  EXPECT_EQ(V(*b, Arch::kX86_64, "mmap", {0, 0, 7}), "allow");
  EXPECT_EQ(V(*b, Arch::kX86_64, "mmap", {0, 0, 3}), "errno(ENOSYS)");
  auto plain = Build(ForeignFormat::kLxc, "2\nwhitelist\nread\n", "plain.seccomp");
  ASSERT_TRUE(plain);
  EXPECT_EQ(V(*plain, Arch::kX86_64, "write"), "kill") << "allowlist without an action kills";
}

// ------------------------------------------------------- round trip --

struct Diff {
  size_t checked = 0, mismatched = 0;
  std::string first;
};

void Compare(const CompiledPolicy& want, const CompiledPolicy& got, const seccomp_data& d, const std::string& what,
             Diff& diff) {
  ++diff.checked;
  auto w = RunBpf(want.seccomp.insns, d), g = RunBpf(got.seccomp.insns, d);
  if (w && g && *w == *g) return;
  if (++diff.mismatched <= 5) {
    diff.first += "\n  " + what + " arch 0x" + std::to_string(d.arch) + " nr " + std::to_string(d.nr) + " args (" +
                  std::to_string(d.args[0]) + ", " + std::to_string(d.args[1]) + ", " + std::to_string(d.args[2]) +
                  "): original " + (w ? Ret(*w) : w.error().message()) + ", round trip " +
                  (g ? Ret(*g) : g.error().message());
  }
}

// Every number on every architecture, and argument vectors around every
// condition of both policies.
Diff CompareEverything(const Policy& p, const CompiledPolicy& cp, const Policy& q, const CompiledPolicy& cq) {
  Diff diff;
  for (Arch arch : AllArches()) {
    auto base = [&](uint32_t nr) { return Call(arch, arch == Arch::kX32 ? (nr | kX32SyscallBit) : nr); };
    for (uint32_t n = 0; n < SyscallScanLimit(); ++n) Compare(cp, cq, base(n), "", diff);
    std::set<std::string> conditional;
    for (const auto* pol : {&p, &q})
      for (const auto& [name, sp] : pol->seccomp.syscalls)
        if (sp.conditional()) conditional.insert(name);
    for (const auto& name : conditional) {
      auto nr = SyscallNumber(arch, name);
      if (!nr) continue;
      std::set<uint64_t> values;
      std::set<unsigned> indexes;
      for (const auto* pol : {&p, &q}) {
        auto it = pol->seccomp.syscalls.find(name);
        if (it == pol->seccomp.syscalls.end()) continue;
        for (uint64_t v : BoundaryValues(it->second)) values.insert(v);
        for (const auto& conj : it->second.any_of)
          for (const auto& c : conj) indexes.insert(c.index);
      }
      std::vector<uint64_t> vs(values.begin(), values.end());
      for (unsigned i : indexes)
        for (uint64_t v : vs) {
          seccomp_data d = base(*nr & ~kX32SyscallBit);
          d.args[i] = v;
          Compare(cp, cq, d, name, diff);
        }
      uint64_t state = 0x9e3779b97f4a7c15ULL;
      for (int r = 0; r < 300 && indexes.size() > 1; ++r) {
        seccomp_data d = base(*nr & ~kX32SyscallBit);
        for (unsigned i : indexes) {
          state = state * 6364136223846793005ULL + 1442695040888963407ULL;
          d.args[i] = vs[(state >> 33) % vs.size()];
        }
        Compare(cp, cq, d, name, diff);
      }
    }
  }
  return diff;
}

TEST(SeccompFormatsRoundTrip, EveryShippedProfileBothFormats) {
  auto loader = Loader();
  auto names = EmbeddedProfileNames();
  ASSERT_FALSE(names.empty());
  int round_trips = 0;
  for (const auto& name : names) {
    auto p = loader.Load(name);
    ASSERT_TRUE(p.has_value()) << name << ": " << p.error().message();
    auto cp = CompilePolicy(*p);
    ASSERT_TRUE(cp.has_value()) << name << ": " << cp.error().message();
    for (ExportFormat fmt : {ExportFormat::kOci, ExportFormat::kLxc}) {
      const std::string what = name + (fmt == ExportFormat::kOci ? " (oci)" : " (lxc)");
      auto text = ExportSeccompProfile(fmt, *p);
      if (fmt == ExportFormat::kLxc && p->seccomp.arches.size() != AllArches().size()) {
        // LXC always filters all three x86 architectures: refused, not changed.
        ASSERT_FALSE(text.has_value()) << what << " exported although LXC cannot kill x86/x32";
        EXPECT_NE(text.error().message().find("LXC on an x86_64 host always filters"), std::string::npos)
            << text.error().message();
        continue;
      }
      ASSERT_TRUE(text.has_value()) << what << ": " << text.error().message();
      auto yaml = ImportSeccompProfile(fmt == ExportFormat::kOci ? ForeignFormat::kDocker : ForeignFormat::kLxc, *text,
                                       what);
      ASSERT_TRUE(yaml.has_value()) << what << ": " << yaml.error().message() << "\n" << *text;
      auto q = loader.LoadText(*yaml, what + ".yaml");
      ASSERT_TRUE(q.has_value()) << what << ": " << q.error().message() << "\n" << *yaml;
      auto cq = CompilePolicy(*q);
      ASSERT_TRUE(cq.has_value()) << what << ": " << cq.error().message();
      EXPECT_EQ(q->seccomp.unknown_action, p->seccomp.unknown_action) << what;
      EXPECT_EQ(q->seccomp.default_action, p->seccomp.default_action) << what;
      EXPECT_EQ(q->seccomp.arches, p->seccomp.arches) << what;
      Diff d = CompareEverything(*p, *cp, *q, *cq);
      EXPECT_GT(d.checked, 3000u) << what;
      EXPECT_EQ(d.mismatched, 0u) << what << ": " << d.mismatched << " of " << d.checked << " verdicts differ:" << d.first;
      ++round_trips;
    }
  }
  EXPECT_GE(round_trips, static_cast<int>(names.size()));
}

// Argument rules of every operator, a non-allow rule action and defaults
// that differ: what the export must spell out.
TEST(SeccompFormatsRoundTrip, ArgumentRulesAndDefaultUnknownSplit) {
  auto loader = Loader();
  auto p = loader.LoadText(R"(
name: args
seccomp:
  default: errno(EACCES)
  unknown: errno(ENOSYS)
  allow: [read, write, exit_group, "@signal"]
  deny: [ptrace, mount]
  rules:
    - {syscall: socket, args: ["arg0 != AF_VSOCK"]}
    - {syscall: ioctl, args: ["arg1 != TIOCSTI", "arg1 != TIOCLINUX"]}
    - {syscall: clone, args: ["arg0 & CLONE_NEW_ANY == 0"]}
    - {syscall: personality, args: ["arg0 == 0"]}
    - {syscall: personality, args: ["arg0 == 0xffffffff"]}
    - {syscall: mmap, args: ["arg2 <= 3", "arg2 >= 1"]}
    - {syscall: fcntl, action: errno(EPERM), args: ["arg1 >= 1024"]}
    - {syscall: kill, action: trap, args: ["arg1 > 9"]}
    - {syscall: clone3, action: errno(ENOSYS)}
    - {syscall: getpid, action: kill}
)",
                           "args.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto cp = CompilePolicy(*p);
  ASSERT_TRUE(cp.has_value()) << cp.error().message();
  for (ExportFormat fmt : {ExportFormat::kOci, ExportFormat::kLxc}) {
    auto text = ExportSeccompProfile(fmt, *p);
    ASSERT_TRUE(text.has_value()) << text.error().message();
    auto yaml = ImportSeccompProfile(fmt == ExportFormat::kOci ? ForeignFormat::kDocker : ForeignFormat::kLxc, *text,
                                     "args-export");
    ASSERT_TRUE(yaml.has_value()) << yaml.error().message() << "\n" << *text;
    auto q = loader.LoadText(*yaml, "args-rt.yaml");
    ASSERT_TRUE(q.has_value()) << q.error().message() << "\n" << *yaml;
    auto cq = CompilePolicy(*q);
    ASSERT_TRUE(cq.has_value()) << cq.error().message() << "\n" << *yaml;
    Diff d = CompareEverything(*p, *cp, *q, *cq);
    EXPECT_EQ(d.mismatched, 0u) << d.mismatched << " of " << d.checked << " verdicts differ:" << d.first << "\n"
                                << *yaml;
  }
}

TEST(SeccompFormatsExport, OciJsonIsWhatRuncTakes) {
  auto p = Loader().Load("default");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto text = ExportSeccompProfile(ExportFormat::kOci, *p);
  ASSERT_TRUE(text.has_value()) << text.error().message();
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(j["defaultErrnoRet"], 38) << "unknown: errno(ENOSYS)";
  EXPECT_EQ(j["architectures"], nlohmann::json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  bool ptrace_denied = false;
  for (const auto& e : j["syscalls"]) {
    std::set<uint64_t> seen;
    for (const auto& a : e.value("args", nlohmann::json::array()))
      EXPECT_TRUE(seen.insert(a["index"].get<uint64_t>()).second)
          << "two conditions on one argument (runc would OR them): " << e.dump();
    EXPECT_FALSE(e["action"] == "SCMP_ACT_ERRNO" && e["errnoRet"] == 38)
        << "a rule with the default action (libseccomp refuses those): " << e.dump();
    for (const auto& n : e["names"])
      if (n == "ptrace" && e["action"] == "SCMP_ACT_ERRNO" && e["errnoRet"] == 1 && !e.contains("args"))
        ptrace_denied = true;
  }
  EXPECT_TRUE(ptrace_denied) << "a syscall the policy knows and denies must be listed with its action";
}

TEST(SeccompFormatsExport, LxcRefusesActionsItHasNoWordFor) {
  auto p = Loader().LoadText("name: k\nseccomp:\n  unknown: kill-process\n  allow: [read]\n", "k.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto lxc = ExportSeccompProfile(ExportFormat::kLxc, *p);
  ASSERT_FALSE(lxc.has_value());
  EXPECT_NE(lxc.error().message().find("LXC has no action for kill-process"), std::string::npos) << lxc.error().message();
  auto oci = ExportSeccompProfile(ExportFormat::kOci, *p);
  ASSERT_TRUE(oci.has_value()) << oci.error().message();
  EXPECT_NE(oci->find("SCMP_ACT_KILL_PROCESS"), std::string::npos);
}

// ------------------------------------------------------- bad input --

struct BadCase {
  ForeignFormat format;
  std::string file, text, want;
};

TEST(SeccompFormatsErrors, OneLineNamingTheLocation) {
  const std::string ok_head = R"("defaultAction": "SCMP_ACT_ERRNO", "syscalls": [)";
  const std::vector<BadCase> cases = {
      {ForeignFormat::kDocker, "a.json", "{\n  \"defaultAction\": \n}", "a.json:3:1: invalid JSON"},
      {ForeignFormat::kDocker, "b.json", "[]", "b.json: the top level must be a JSON object"},
      {ForeignFormat::kDocker, "c.json", "{}", "c.json: the profile has no defaultAction and no syscalls"},
      {ForeignFormat::kDocker, "d.json", "{" + ok_head + R"({"names": ["read"], "name": "read", "action": "SCMP_ACT_ALLOW"}]})",
       "d.json: syscalls[0]: 'name' and 'names' cannot both be given"},
      {ForeignFormat::kDocker, "e.json", "{" + ok_head + R"({"names": ["read"], "action": "SCMP_ACT_MAYBE"}]})",
       "e.json: syscalls[0].action: unknown action 'SCMP_ACT_MAYBE'"},
      {ForeignFormat::kDocker, "f.json", "{" + ok_head + R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]})",
       "f.json: syscalls[0].action: errnoRet is only valid with SCMP_ACT_ERRNO"},
      {ForeignFormat::kDocker, "g.json", "{" + ok_head + R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "g.json: syscalls[0].args[0].index: must be an argument index from 0 to 5"},
      {ForeignFormat::kDocker, "h.json", "{" + ok_head + R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]})",
       "h.json: syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ABOUT'"},
      {ForeignFormat::kDocker, "i.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": [], "archMap": [], "syscalls": []})",
       "i.json: archMap: 'architectures' and 'archMap' cannot both be given"},
      {ForeignFormat::kDocker, "j.json", "{" + ok_head + R"({"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "0.0"}}]})",
       "j.json: syscalls[0].includes.minKernel: \"0.0\" is not a valid kernel version"},
      {ForeignFormat::kDocker, "k.json", "{" + ok_head + R"({"names": ["ptrace"], "action": "SCMP_ACT_TRACE"}]})",
       "k.json: syscalls[0].action: SCMP_ACT_TRACE"},
      {ForeignFormat::kDocker, "l.json", "{" + ok_head + R"({"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 1, "op": "SCMP_CMP_GE"}, {"index": 2, "value": 3, "op": "SCMP_CMP_LE"}]}]})",
       "l.json: syscalls[0].args[1]: a second condition on arg2"},
      {ForeignFormat::kDocker, "m.json", "{" + ok_head + R"({"names": ["socket"], "action": "SCMP_ACT_ALLOW"}, {"names": ["socket"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}]})",
       "m.json: syscalls[0]: 'socket' has an unconditional rule (allow) and argument rules with another action (log)"},
      {ForeignFormat::kDocker, "n.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
         {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]},
         {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "one fallback (seccomp.default) for all argument rules"},
      {ForeignFormat::kDocker, "o.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "bogus": 1})", "o.json: bogus: unknown key"},
      {ForeignFormat::kLxc, "a.seccomp", "3\nallowlist\n", "a.seccomp:1: the first line must be the policy version '2'"},
      {ForeignFormat::kLxc, "b.seccomp", "2\ngreylist\n", "b.seccomp:2: unknown policy style 'greylist'"},
      {ForeignFormat::kLxc, "c.seccomp", "2\nallowlist\n[vax]\nread\n", "c.seccomp:3: unknown architecture section '[vax]'"},
      {ForeignFormat::kLxc, "d.seccomp", "2\nallowlist\nread errno\n", "d.seccomp:3: 'errno' needs a number"},
      {ForeignFormat::kLxc, "e.seccomp", "2\nallowlist\n# c\nsocket allow [0,40,SCMP_CMP_ABOUT]\n",
       "e.seccomp:4: unknown operator 'SCMP_CMP_ABOUT'"},
      {ForeignFormat::kLxc, "f.seccomp", "2\nallowlist\nread\n[x86_64]\nwrite errno 1\n[all]\nwrite\n",
       "f.seccomp:5: 'write' has different rules on"},
      {ForeignFormat::kLxc, "g.seccomp", "2\nallowlist\nread maybe\n", "g.seccomp:3: unknown action 'maybe'"},
      {ForeignFormat::kLxc, "h.seccomp", "2\nallowlist\nsocketcall allow [0,1,==]\n",
       "h.seccomp:3: 'socketcall' cannot take argument conditions"},
  };
  for (const auto& c : cases) {
    auto r = ImportSeccompProfile(c.format, c.text, c.file);
    ASSERT_FALSE(r.has_value()) << c.file << " was accepted:\n" << *r;
    const std::string& m = r.error().message();
    EXPECT_NE(m.find(c.want), std::string::npos) << c.file << ": got: " << m << "\nwant: " << c.want;
    EXPECT_EQ(m.find('\n'), std::string::npos) << c.file << ": not one line: " << m;
  }
}

}  // namespace
}  // namespace rampart::security
