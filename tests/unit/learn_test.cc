// policy learn, the pure half (security/learn.h) and the supervisor's BPF
// filter (runtime/learn_supervisor.h, checked in the BPF interpreter):
// recording, observations → profile, and what the written profile does once
// it is resolved again (every decision is checked through the resolver's own
// Evaluate, not by reading the YAML).
#include "security/learn.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "runtime/learn_supervisor.h"
#include "security/bpf_interpreter.h"
#include "security/capabilities.h"
#include "security/compiled_policy.h"
#include "security/constants.h"
#include "security/profile_writer.h"
#include "security/resolver.h"
#include "security/syscall_table.h"
#include "tests/unit/policy_test_util.h"
#include "tests/unit/temp_dir.h"

namespace rampart::security {
namespace {

using testing_util::Loader;
using testing_util::Call;
using testing_util::Eval;

// Each test process gets its own directory: ctest runs these tests in
// parallel, and a shared fixed path let one test truncate the baseline file
// while another was reading it.
const std::string& BasePath() {
  static ::rampart::testing_util::TempDir dir("rampart-learn-test-");
  static const std::string base = dir.path() + "/base.yaml";
  return base;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

constexpr uint64_t kThreadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                  CLONE_CHILD_CLEARTID;
constexpr uint64_t kForkFlags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | 17 /* SIGCHLD */;

// What a small C program that writes a file, syncs it, opens a TCP socket
// and starts a thread looks like from the supervisor.
LearnObservations TypicalRun(bool all_of_sync = true) {
  LearnObservations o;
  auto rec = [&](const std::string& name, std::initializer_list<uint64_t> args = {}, int times = 1,
                 pid_t tid = 100) {
    for (int i = 0; i < times; ++i) o.Record(Call(Arch::kX86_64, name, args), tid);
  };
  for (const char* n :
       {"execve", "brk", "mmap", "mprotect", "munmap", "arch_prctl", "set_tid_address",
        "set_robust_list", "rseq", "prlimit64", "newfstatat", "openat", "read", "write", "close",
        "exit_group", "wait4", "rt_sigprocmask"})
    rec(n);
  rec("read", {}, 4);
  for (const char* n : {"fdatasync", "fsync", "msync", "sync", "sync_file_range"}) rec(n);
  if (all_of_sync) rec("syncfs");
  rec("socket", {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0}, 2);
  rec("socket", {AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0});
  rec("clone", {kThreadFlags, 0, 0, 0, 0});
  rec("clone", {kForkFlags, 0, 0, 0, 0}, 1, 101);
  rec("ioctl", {1, 0x5401 /* TCGETS */});
  rec("prctl", {PR_SET_NAME, 0});
  rec("personality", {0xffffffff});
  return o;
}

struct Learned {
  LearnedProfile learned;
  std::string yaml;
  Policy policy;
};

Learned Learn(const LearnObservations& obs, const std::string& baseline_text = "",
              const std::string& extends = "default") {
  auto loader = Loader();
  Learned out;
  auto base = baseline_text.empty()
                  ? loader.Load("default")
                  : loader.LoadText(baseline_text, BasePath());
  EXPECT_TRUE(base.has_value()) << base.error().message();
  LearnOptions lo;
  lo.name = "learned";
  lo.extends = extends;
  lo.command = {"/bin/prog", "arg"};
  lo.when = "2026-01-01 00:00:00 UTC";
  auto l = BuildLearnedProfile(obs, *base, loader.groups(), lo);
  EXPECT_TRUE(l.has_value()) << l.error().message();
  out.learned = *l;
  out.yaml = WriteProfileYaml(l->draft);
  // The learned file, resolved like any other profile.
  std::string text = out.yaml;
  if (!baseline_text.empty()) {
    // A path baseline: give the resolver the baseline's text as a file.
    std::ofstream(BasePath()) << baseline_text;
  }
  auto p = loader.LoadText(text, std::filesystem::path(BasePath()).replace_filename("learned.yaml").string());
  EXPECT_TRUE(p.has_value()) << p.error().message() << "\n--- learned profile ---\n" << out.yaml;
  if (p) out.policy = *p;
  return out;
}

TEST(LearnRecord, ArchesArgsAndTasks) {
  LearnObservations o;
  o.Record(Call(Arch::kX86_64, "socket", {AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0}),
           1);
  o.Record(Call(Arch::kX86_64, "socket", {AF_INET6, SOCK_DGRAM, 0}), 2);
  o.Record(Call(Arch::kX86, "getpid"), 2);
  seccomp_data x32 = Call(Arch::kX32, "read");
  o.Record(x32, 3);
  seccomp_data foreign{};
  foreign.arch = AUDIT_ARCH_AARCH64;
  foreign.nr = 172;
  o.Record(foreign, 3);
  seccomp_data bogus = Call(Arch::kX86_64, "read");
  bogus.nr = 4000;  // no syscall has this number
  o.Record(bogus, 3);

  EXPECT_EQ(o.total(), 6u);
  EXPECT_EQ(o.tasks(), 3u);
  EXPECT_EQ(o.foreign_arches().at(AUDIT_ARCH_AARCH64), 1u);
  EXPECT_EQ(o.arches(), (std::set<Arch>{Arch::kX86_64, Arch::kX86, Arch::kX32}));
  auto args = o.ArgsByName();
  ASSERT_TRUE(args.count("socket"));
  // SOCK_NONBLOCK|SOCK_CLOEXEC are masked off: both calls are one shape.
  EXPECT_EQ(args["socket"].size(), 1u);
  EXPECT_EQ((args["socket"][{AF_INET6, SOCK_DGRAM}]), 2u);
  auto counts = o.CountsByName();
  EXPECT_EQ(counts["getpid"], 1u);
  EXPECT_EQ(counts["read"], 1u);  // the x32 read; #4000 has no name
  EXPECT_EQ(counts.size(), 3u);
}

TEST(LearnRecord, I386ArgumentsAreLow32Bits) {
  LearnObservations o;
  o.Record(Call(Arch::kX86, "personality", {0xdeadbeef00000008ULL}), 1);
  auto args = o.ArgsByName();
  EXPECT_EQ(args["personality"].count({8}), 1u);
}

TEST(LearnProfile, AllowsWhatWasSeenAndDeniesTheRest) {
  Learned l = Learn(TypicalRun());
  const Policy& p = l.policy;
  SCOPED_TRACE(l.yaml);
  // Observed: allowed.
  for (const char* n :
       {"read", "write", "openat", "execve", "exit_group", "fsync", "syncfs", "rseq"})
    EXPECT_EQ(Eval(p, n), "allow") << n;
  // The baseline allows these; the run never made them: denied with the
  // baseline's `default`.
  for (const char* n : {"getpid", "getcpu", "sched_getaffinity", "fork", "kill", "pipe2", "mkdir"})
    EXPECT_EQ(Eval(p, n), "errno(EPERM)") << n;
  // The baseline's denials and its clone3 rule are untouched (ENOSYS keeps
  // glibc's fallback to clone working); unnamed syscalls keep `unknown`.
  EXPECT_EQ(Eval(p, "mount"), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "clone3"), "errno(ENOSYS)");
  EXPECT_EQ(Eval(p, "cachestat"), "errno(ENOSYS)");
  // Only x86_64 was seen: i386 calls kill the process.
  EXPECT_EQ(Eval(p, "getpid", {}, Arch::kX86), "kill-process");
  EXPECT_EQ(l.learned.decisions.architectures, std::vector<std::string>{"native"});
}

TEST(LearnProfile, ArgumentRulesAllowOnlyTheValuesSeen) {
  Learned l = Learn(TypicalRun());
  const Policy& p = l.policy;
  SCOPED_TRACE(l.yaml);
  EXPECT_EQ(Eval(p, "socket", {AF_INET, SOCK_STREAM, 0}), "allow");
  EXPECT_EQ(Eval(p, "socket", {AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0}), "allow");
  EXPECT_EQ(Eval(p, "socket", {AF_INET, SOCK_DGRAM, 0}), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "socket", {AF_UNIX, SOCK_STREAM, 0}), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "socket", {AF_INET6, SOCK_STREAM, 0}), "errno(EPERM)");
  // clone: processes and threads as seen, no namespace flags.
  EXPECT_EQ(Eval(p, "clone", {kThreadFlags}), "allow");
  EXPECT_EQ(Eval(p, "clone", {kForkFlags}), "allow");
  EXPECT_EQ(Eval(p, "clone", {CLONE_NEWUSER | 17}), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "clone", {CLONE_NEWNET | 17}), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "ioctl", {1, 0x5401}), "allow");
  EXPECT_EQ(Eval(p, "ioctl", {1, 0x5413 /* TIOCGWINSZ */}), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "prctl", {PR_SET_NAME}), "allow");
  EXPECT_EQ(Eval(p, "prctl", {4 /* PR_SET_DUMPABLE */}), "errno(EPERM)");
  EXPECT_EQ(Eval(p, "personality", {0xffffffff}), "allow");
  EXPECT_EQ(Eval(p, "personality", {0x8}), "errno(EPERM)");
  const auto& d = l.learned.decisions;
  for (const char* n : {"socket", "clone", "ioctl", "prctl", "personality"})
    EXPECT_TRUE(Has(d.rule_syscalls, n)) << n;
  // Symbolic names where the language knows them, comments with counts.
  EXPECT_NE(l.yaml.find("arg0 == AF_INET"), std::string::npos);
  EXPECT_NE(l.yaml.find("arg1 & 0xfff7f7ff == SOCK_STREAM"), std::string::npos);
  EXPECT_NE(l.yaml.find("arg0 & CLONE_NEW_ANY == 0"), std::string::npos);
  EXPECT_NE(l.yaml.find("observed 3x: AF_INET, SOCK_STREAM"), std::string::npos);
  EXPECT_NE(l.yaml.find("TCGETS"), std::string::npos);
  EXPECT_NE(l.yaml.find("PR_SET_NAME"), std::string::npos);
}

TEST(LearnProfile, WholeGroupsOnlyWhenEveryMemberWasSeen) {
  Learned all = Learn(TypicalRun(true));
  EXPECT_TRUE(Has(all.learned.decisions.allowed_groups, "@sync")) << all.yaml;
  EXPECT_NE(all.yaml.find("- \"@sync\""), std::string::npos) << all.yaml;
  EXPECT_FALSE(Has(all.learned.decisions.allowed_names, "fsync"));

  Learned some = Learn(TypicalRun(false));
  EXPECT_FALSE(Has(some.learned.decisions.allowed_groups, "@sync")) << some.yaml;
  EXPECT_TRUE(Has(some.learned.decisions.allowed_names, "fsync"));
  EXPECT_EQ(Eval(some.policy, "syncfs"), "errno(EPERM)");
  EXPECT_EQ(Eval(some.policy, "fsync"), "allow");
}

TEST(LearnProfile, DeniedGroupsKeepEveryOtherAnswer) {
  Learned l = Learn(TypicalRun());
  SCOPED_TRACE(l.yaml);
  // Nothing of @timer was seen and the baseline allows all of it.
  EXPECT_TRUE(Has(l.learned.decisions.denied_groups, "@timer"));
  EXPECT_EQ(Eval(l.policy, "timerfd_create"), "errno(EPERM)");
  // Every syscall the baseline allowed is now either observed or denied.
  auto base = Loader().Load("default");
  ASSERT_TRUE(base.has_value());
  auto counts = TypicalRun().CountsByName();
  for (const auto& [name, sp] : base->seccomp.syscalls) {
    if (!sp.action.is_allow() || !SyscallNumber(Arch::kX86_64, name)) continue;
    if (counts.count(name)) continue;
    EXPECT_NE(Eval(l.policy, name, {0, 0, 0, 0, 0, 0}), "allow") << name << " was never observed";
  }
}

TEST(LearnProfile, InheritsEverythingButSeccompFromTheBaseline) {
  Learned l = Learn(TypicalRun());
  auto base = Loader().Load("default");
  ASSERT_TRUE(base.has_value());
  // Capabilities are narrowed (LearnCapabilities below), never widened.
  EXPECT_EQ(l.policy.caps.bounding & ~base->caps.bounding, 0u);
  EXPECT_EQ(l.policy.no_new_privileges, base->no_new_privileges);
  EXPECT_EQ(l.policy.masked_paths, base->masked_paths);
  EXPECT_EQ(l.policy.readonly_paths, base->readonly_paths);
  EXPECT_EQ(l.policy.seccomp.default_action, base->seccomp.default_action);
  EXPECT_NE(l.yaml.find("extends: default"), std::string::npos);
  EXPECT_NE(l.yaml.find("# Learned by `rampart policy learn` on 2026-01-01 00:00:00 UTC from:"),
            std::string::npos)
      << l.yaml;
  // And it compiles.
  auto c = CompilePolicy(l.policy);
  EXPECT_TRUE(c.has_value()) << c.error().message();
}

TEST(LearnProfile, RuntimeSyscallsAreAddedWhenNotSeen) {
  LearnObservations o;
  o.Record(Call(Arch::kX86_64, "read"), 1);
  Learned l = Learn(o);
  const auto& d = l.learned.decisions;
  EXPECT_TRUE(Has(d.added_for_runtime, "execve"));
  EXPECT_TRUE(Has(d.added_for_runtime, "exit_group"));
  EXPECT_EQ(Eval(l.policy, "execve"), "allow");
  EXPECT_NE(l.yaml.find("rampart needs it to start the workload"), std::string::npos);
}

TEST(LearnProfile, ConditionalBaselineRulesAreLeftToTheBaseline) {
  // kill is allowed by this baseline only for signals other than SIGKILL;
  // learn has no argument recorder for it, so an unconditional allow would
  // widen the baseline: the learned profile must not name kill.
  const std::string base =
      "name: base\nextends: default\nseccomp:\n  rules:\n"
      "    - {syscall: kill, action: allow, args: [\"arg1 != 9\"]}\n";
  LearnObservations o = TypicalRun();
  o.Record(Call(Arch::kX86_64, "kill", {1, 15}), 100);
  Learned l = Learn(o, base, BasePath());
  EXPECT_TRUE(Has(l.learned.decisions.left_to_baseline, "kill")) << l.yaml;
  EXPECT_EQ(Eval(l.policy, "kill", {1, 15}), "allow");
  EXPECT_EQ(Eval(l.policy, "kill", {1, 9}), "errno(EPERM)");
}

TEST(LearnProfile, PermissiveUnknownIsTightened) {
  // A denylist baseline: everything it does not name runs.
  const std::string base = "name: denylist\nseccomp:\n  unknown: allow\n  deny: [mount]\n";
  Learned l = Learn(TypicalRun(), base, BasePath());
  EXPECT_TRUE(l.learned.decisions.unknown_tightened);
  EXPECT_EQ(Eval(l.policy, "read"), "allow");
  EXPECT_EQ(Eval(l.policy, "getpid"), "errno(ENOSYS)") << l.yaml;
  EXPECT_EQ(Eval(l.policy, "mount"), "errno(EPERM)");
}

TEST(LearnProfile, I386CallsAddTheArchitecture) {
  LearnObservations o = TypicalRun();
  o.Record(Call(Arch::kX86, "getpid"), 100);
  Learned l = Learn(o);
  EXPECT_EQ(l.learned.decisions.architectures, (std::vector<std::string>{"native", "x86"}));
  EXPECT_EQ(Eval(l.policy, "getpid", {}, Arch::kX86), "allow");
  EXPECT_EQ(Eval(l.policy, "getpid"), "allow");  // names are per profile, not per arch
}

uint64_t CapMask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    auto c = ParseCapability(n);
    EXPECT_TRUE(c.has_value()) << n;
    if (c) mask |= 1ULL << *c;
  }
  return mask;
}

bool HasCap(const Policy& p, const std::string& name) {
  return (p.caps.bounding >> ParseCapability(name).value()) & 1;
}

TEST(LearnCapabilities, UnusedAreDroppedAndTheResultIsTheBaselineLessThose) {
  Learned l = Learn(TypicalRun());
  SCOPED_TRACE(l.yaml);
  auto base = Loader().Load("default");
  ASSERT_TRUE(base.has_value());
  const auto& d = l.learned.decisions;
  // Nothing in TypicalRun chowns, makes nodes, switches ids, opens raw or
  // netlink sockets, binds, signals or changes capability sets.
  for (const char* cap : {"CHOWN", "MKNOD", "SETUID", "SETGID", "SETFCAP", "SETPCAP", "SYS_CHROOT",
                          "KILL", "NET_RAW", "NET_BIND_SERVICE", "AUDIT_WRITE"})
    EXPECT_TRUE(Has(d.dropped_caps, cap)) << cap << ": " << d.cap_reasons.at(cap);
  for (const char* cap : {"DAC_OVERRIDE", "FOWNER", "FSETID"}) EXPECT_TRUE(Has(d.kept_caps, cap));
  // Every baseline capability is decided once.
  EXPECT_EQ(CapMask(d.dropped_caps) | CapMask(d.kept_caps), base->caps.bounding);
  EXPECT_EQ(CapMask(d.dropped_caps) & CapMask(d.kept_caps), 0u);
  // The written file, resolved through `extends`: the baseline's set less
  // the dropped ones.
  EXPECT_EQ(l.policy.caps.bounding, base->caps.bounding & ~CapMask(d.dropped_caps));
  EXPECT_EQ(l.policy.caps.ambient, base->caps.ambient);
  EXPECT_NE(l.yaml.find("dropped MKNOD: no mknod/mknodat observed"), std::string::npos);
  EXPECT_NE(l.yaml.find("kept DAC_OVERRIDE: not decidable from syscalls"), std::string::npos);
  EXPECT_NE(l.yaml.find("capabilities:\n  drop: [CHOWN, "), std::string::npos);
}

TEST(LearnCapabilities, ChownKeepsChown) {
  LearnObservations o = TypicalRun();
  for (int i = 0; i < 2; ++i) o.Record(Call(Arch::kX86_64, "fchownat", {3, 0, 0, 0, 0}), 100);
  Learned with = Learn(o);
  SCOPED_TRACE(with.yaml);
  EXPECT_TRUE(Has(with.learned.decisions.kept_caps, "CHOWN"));
  EXPECT_FALSE(Has(with.learned.decisions.dropped_caps, "CHOWN"));
  EXPECT_EQ(with.learned.decisions.cap_reasons.at("CHOWN"), "observed fchownat 2x");
  EXPECT_TRUE(HasCap(with.policy, "CHOWN"));
  EXPECT_FALSE(HasCap(with.policy, "MKNOD"));

  Learned without = Learn(TypicalRun());
  EXPECT_TRUE(Has(without.learned.decisions.dropped_caps, "CHOWN"));
  EXPECT_FALSE(HasCap(without.policy, "CHOWN"));
}

TEST(LearnCapabilities, RawSocketKeepsNetRawStreamDoesNot) {
  LearnObservations raw = TypicalRun();
  raw.Record(Call(Arch::kX86_64, "socket", {AF_INET, SOCK_RAW, 1 /* IPPROTO_ICMP */}), 100);
  Learned kept = Learn(raw);
  SCOPED_TRACE(kept.yaml);
  EXPECT_TRUE(Has(kept.learned.decisions.kept_caps, "NET_RAW"));
  EXPECT_EQ(kept.learned.decisions.cap_reasons.at("NET_RAW"),
            "observed socket(AF_INET, SOCK_RAW) 1x");
  EXPECT_TRUE(HasCap(kept.policy, "NET_RAW"));

  // TypicalRun opens AF_INET SOCK_STREAM sockets only.
  Learned stream = Learn(TypicalRun());
  EXPECT_TRUE(Has(stream.learned.decisions.dropped_caps, "NET_RAW"));
  EXPECT_FALSE(HasCap(stream.policy, "NET_RAW"));

  // A netlink SOCK_RAW socket needs no NET_RAW, but may write audit records.
  LearnObservations netlink = TypicalRun();
  netlink.Record(Call(Arch::kX86_64, "socket", {AF_NETLINK, SOCK_RAW, 0}), 100);
  Learned nl = Learn(netlink);
  EXPECT_TRUE(Has(nl.learned.decisions.dropped_caps, "NET_RAW")) << nl.yaml;
  EXPECT_TRUE(Has(nl.learned.decisions.kept_caps, "AUDIT_WRITE")) << nl.yaml;

  // AF_PACKET of any type keeps it.
  LearnObservations packet = TypicalRun();
  packet.Record(Call(Arch::kX86_64, "socket", {AF_PACKET, SOCK_DGRAM, 0}), 100);
  EXPECT_TRUE(Has(Learn(packet).learned.decisions.kept_caps, "NET_RAW"));
}

TEST(LearnCapabilities, Setuid32OnX86KeepsSetuid) {
  LearnObservations o = TypicalRun();
  o.Record(Call(Arch::kX86, "setuid32", {1000}), 100);
  Learned l = Learn(o);
  SCOPED_TRACE(l.yaml);
  EXPECT_TRUE(Has(l.learned.decisions.kept_caps, "SETUID"));
  EXPECT_TRUE(HasCap(l.policy, "SETUID"));
  EXPECT_TRUE(Has(l.learned.decisions.dropped_caps, "SETGID"));
  EXPECT_FALSE(HasCap(l.policy, "SETGID"));
}

TEST(LearnCapabilities, DacOverrideIsAlwaysKept) {
  LearnObservations o;
  o.Record(Call(Arch::kX86_64, "read"), 1);
  Learned l = Learn(o);
  EXPECT_TRUE(Has(l.learned.decisions.kept_caps, "DAC_OVERRIDE"));
  EXPECT_TRUE(HasCap(l.policy, "DAC_OVERRIDE"));
  EXPECT_NE(l.learned.decisions.cap_reasons.at("DAC_OVERRIDE").find("not decidable"),
            std::string::npos);
}

TEST(LearnCapabilities, NeverAddsACapabilityTheBaselineLacks) {
  const std::string base =
      "name: base\nextends: default\ncapabilities:\n  drop: [CHOWN, NET_RAW]\n";
  LearnObservations o = TypicalRun();
  o.Record(Call(Arch::kX86_64, "chown", {0, 0, 0}), 100);
  o.Record(Call(Arch::kX86_64, "socket", {AF_INET, SOCK_RAW, 1}), 100);
  Learned l = Learn(o, base, BasePath());
  SCOPED_TRACE(l.yaml);
  const auto& d = l.learned.decisions;
  for (const char* cap : {"CHOWN", "NET_RAW"}) {
    EXPECT_FALSE(HasCap(l.policy, cap)) << cap;
    EXPECT_FALSE(Has(d.kept_caps, cap)) << cap;
    EXPECT_FALSE(Has(d.dropped_caps, cap)) << cap;
  }
  // A baseline without any capability: no capabilities section at all.
  const std::string none = "name: base\nextends: default\ncapabilities:\n  drop: [ALL]\n";
  Learned n = Learn(o, none, BasePath());
  EXPECT_EQ(n.policy.caps.bounding, 0u);
  EXPECT_TRUE(n.learned.decisions.kept_caps.empty());
  EXPECT_FALSE(n.learned.draft.caps_drop.has_value());
}

TEST(LearnCapabilities, CallsTheBaselineDeniesDoNotCount) {
  // default denies chroot(2) outright: a chroot that only ever failed
  // exercised nothing, and the learned profile still denies it.
  LearnObservations o = TypicalRun();
  o.Record(Call(Arch::kX86_64, "chroot", {0}), 100);
  Learned l = Learn(o);
  SCOPED_TRACE(l.yaml);
  ASSERT_EQ(Eval(l.policy, "chroot"), "errno(EPERM)");
  EXPECT_TRUE(Has(l.learned.decisions.dropped_caps, "SYS_CHROOT"));
  EXPECT_NE(l.learned.decisions.cap_reasons.at("SYS_CHROOT").find("which the baseline denies"),
            std::string::npos);
}

TEST(LearnCapabilities, PrctlKeepsSetpcapOnlyForCapabilityOptions) {
  LearnObservations o = TypicalRun();  // prctl(PR_SET_NAME)
  EXPECT_TRUE(Has(Learn(o).learned.decisions.dropped_caps, "SETPCAP"));
  o.Record(Call(Arch::kX86_64, "prctl", {PR_CAPBSET_DROP, 21}), 100);
  Learned l = Learn(o);
  EXPECT_TRUE(Has(l.learned.decisions.kept_caps, "SETPCAP")) << l.yaml;
  EXPECT_TRUE(HasCap(l.policy, "SETPCAP"));
}

TEST(LearnCapabilities, AmbientCapabilitiesAreKept) {
  // extends cannot take a capability out of the baseline's ambient set, so
  // dropping it would make the learned profile fail to resolve.
  const std::string base =
      "name: base\nextends: default\ncapabilities:\n  ambient: [NET_BIND_SERVICE]\n";
  Learned l = Learn(TypicalRun(), base, BasePath());
  SCOPED_TRACE(l.yaml);
  EXPECT_TRUE(Has(l.learned.decisions.kept_caps, "NET_BIND_SERVICE"));
  EXPECT_TRUE(HasCap(l.policy, "NET_BIND_SERVICE"));
  EXPECT_TRUE(Has(l.learned.decisions.dropped_caps, "MKNOD"));
}

TEST(LearnCapabilities, UnnamedCallsKeepEveryCapability) {
  LearnObservations o = TypicalRun();
  seccomp_data bogus = Call(Arch::kX86_64, "read");
  bogus.nr = 4000;  // no syscall has this number
  o.Record(bogus, 100);
  Learned l = Learn(o);
  EXPECT_TRUE(l.learned.decisions.dropped_caps.empty()) << l.yaml;
  EXPECT_FALSE(l.learned.draft.caps_drop.has_value());
}

TEST(LearnCapabilities, TableNamesAreKnown) {
  // A misspelt name would never match an observation and drop the
  // capability unsoundly. Names newer than this libseccomp come back as
  // numbers without a name, which keep every capability.
  const std::set<std::string> newer = {"setxattrat", "removexattrat"};
  for (const auto& u : CapabilityUses()) {
    EXPECT_TRUE(ParseCapability(u.cap).has_value()) << u.cap;
    for (const auto& s : u.syscalls)
      EXPECT_TRUE(IsKnownSyscall(s) || newer.count(s)) << u.cap << ": " << s;
    for (const auto& a : u.args) {
      EXPECT_TRUE(HasRecordedArgs(a.syscall)) << u.cap << ": " << a.syscall;
      EXPECT_NE(a.uses, nullptr);
    }
  }
  for (const char* s :
       {"chown32", "fchown32", "lchown32", "setuid32", "setgid32", "setreuid32", "setregid32",
        "setresuid32", "setresgid32", "setfsuid32", "setfsgid32", "setgroups32"})
    EXPECT_TRUE(SyscallNumber(Arch::kX86, s).has_value()) << s;
}

TEST(LearnNames, DisplayAndFileNames) {
  EXPECT_EQ(CloneFlagsName(kForkFlags), "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  EXPECT_EQ(SocketFamilyName(AF_INET6), "AF_INET6");
  EXPECT_EQ(SocketFamilyName(99), "0x63");
  EXPECT_EQ(IoctlName(0x5413), "TIOCGWINSZ");
  EXPECT_EQ(ProfileNameFromPath("out/web-learned.yaml"), "web-learned");
  EXPECT_EQ(ProfileNameFromPath("/tmp/my profile!.json"), "my-profile-");
  EXPECT_EQ(ProfileNameFromPath("/tmp/"), "learned");
}

// The supervisor's filter, run in the BPF interpreter.
TEST(LearnFilter, OnlyTheSyncWriteIsNotReported) {
  const uint64_t ip = 0x00005555deadbeefULL;
  const auto prog = runtime::BuildLearnFilter(ip, 7);
  auto run = [&](seccomp_data d) {
    auto r = RunBpf(prog, d);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r.has_value() ? *r : 0u;
  };
  seccomp_data sync = Call(Arch::kX86_64, "write", {7, 0x1000, 508});
  sync.instruction_pointer = ip;
  EXPECT_EQ(run(sync), SECCOMP_RET_ALLOW);
  seccomp_data other_fd = sync;
  other_fd.args[0] = 1;
  EXPECT_EQ(run(other_fd), SECCOMP_RET_USER_NOTIF);
  seccomp_data high_fd = sync;
  high_fd.args[0] = 7 | (1ULL << 32);
  EXPECT_EQ(run(high_fd), SECCOMP_RET_USER_NOTIF);
  seccomp_data other_ip = sync;
  other_ip.instruction_pointer = ip + 0x100000000ULL;
  EXPECT_EQ(run(other_ip), SECCOMP_RET_USER_NOTIF);
  seccomp_data i386 = Call(Arch::kX86, "write", {7, 0x1000, 508});
  i386.instruction_pointer = ip;
  EXPECT_EQ(run(i386), SECCOMP_RET_USER_NOTIF);
  seccomp_data getpid = Call(Arch::kX86_64, "getpid");
  getpid.instruction_pointer = ip;
  EXPECT_EQ(run(getpid), SECCOMP_RET_USER_NOTIF);
#if defined(__x86_64__)
  EXPECT_NE(runtime::LearnSyncInstructionPointer(), 0u);
#endif
}

}  // namespace
}  // namespace rampart::security
