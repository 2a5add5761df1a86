// The policy audit: every rule fires on a minimal profile and stays quiet
// on the shipped ones, the exposure score's bounds, the baseline
// difference, SARIF 2.1.0 structure, and audits of frozen policies.
#include "security/audit.h"

#include <gtest/gtest.h>

#include <set>

#include "security/arg_algebra.h"
#include "security/capabilities.h"
#include "security/compiled_policy.h"
#include "security/embedded.h"
#include "security/resolver.h"
#include "tests/unit/policy_test_util.h"

namespace rampart::security {
namespace {

using testing_util::Loader;

const char* kFile = "/tmp/rampart-audit-test/x.yaml";

Policy Load(const std::string& text) {
  auto p = Loader().LoadText(text, kFile);
  EXPECT_TRUE(p.has_value()) << "profile did not load: " << (p ? "" : p.error().message()) << "\n"
                             << text;
  return p ? *p : Policy{};
}

Policy Shipped(const std::string& name) {
  auto p = Loader().Load(name);
  EXPECT_TRUE(p.has_value()) << name << ": " << (p ? "" : p.error().message());
  return p ? *p : Policy{};
}

std::string Describe(const std::vector<Finding>& fs) {
  std::string s;
  for (const auto& f : fs)
    s += "  " + f.pos.ToString() + ": " + SeverityName(f.severity) + ": " + f.message + " [" +
         f.id + "]\n";
  return s.empty() ? "  (no findings)\n" : s;
}

std::vector<Finding> With(const std::vector<Finding>& fs, const std::string& id) {
  std::vector<Finding> out;
  for (const auto& f : fs)
    if (f.id == id) out.push_back(f);
  return out;
}

bool Has(const std::vector<Finding>& fs, const std::string& id, const std::string& text = "") {
  for (const auto& f : fs)
    if (f.id == id && f.message.find(text) != std::string::npos) return true;
  return false;
}

// ------------------------------------------------------------- registry --

TEST(AuditRules, IdsAreUniqueSortedAndDocumented) {
  const auto& rules = AuditRules();
  ASSERT_GE(rules.size(), 22u);
  std::set<std::string> ids;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    if (i > 0) {
      EXPECT_LT(rules[i - 1].id, r.id) << "rules not sorted by id";
    }
    EXPECT_FALSE(r.title.empty()) << r.id;
    EXPECT_GT(r.rationale.size(), 40u) << r.id << " has no real rationale";
    EXPECT_EQ(FindAuditRule(r.id), &r);
  }
  // The meaning of the first ids is fixed: the runtime and users rely on them.
  EXPECT_EQ(FindAuditRule("RA001")->severity, Severity::kHigh);
  EXPECT_EQ(FindAuditRule("RA005")->severity, Severity::kMedium);
  EXPECT_EQ(FindAuditRule("RA010")->severity, Severity::kInfo);
  EXPECT_EQ(FindAuditRule("RA999"), nullptr);
}

TEST(AuditRules, SeverityWords) {
  EXPECT_EQ(ParseSeverity("low"), Severity::kLow);
  EXPECT_EQ(ParseSeverity("medium"), Severity::kMedium);
  EXPECT_EQ(ParseSeverity("high"), Severity::kHigh);
  EXPECT_EQ(ParseSeverity("HIGH"), std::nullopt);
  EXPECT_EQ(ParseSeverity("critical"), std::nullopt);
}

// ------------------------------------------------------ shipped profiles --

TEST(AuditShipped, DefaultProfileIsQuiet) {
  auto fs = AuditPolicy(Shipped("default"));
  // The one expected note: CAP_SYS_CHROOT is kept "for parity" while
  // chroot(2) is denied (policies/default.yaml says so).
  for (const auto& f : fs) {
    EXPECT_TRUE(f.id == "RA017" && f.message.find("CAP_SYS_CHROOT") != std::string::npos)
        << "unexpected finding on the default profile:\n"
        << Describe(fs);
    EXPECT_EQ(f.severity, Severity::kInfo) << Describe(fs);
  }
}

TEST(AuditShipped, EveryShippedProfileIsCleanAtHigh) {
  for (const auto& name : EmbeddedProfileNames()) {
    auto fs = AuditPolicy(Shipped(name));
    EXPECT_FALSE(AnyAtOrAbove(fs, Severity::kHigh)) << name << ":\n" << Describe(fs);
  }
}

// ---------------------------------------------------------------- rules --

struct RuleCase {
  const char* id;
  const char* profile;
  const char* message_part;
  int line;  // expected finding line in kFile; 0 = any location
};

class AuditRuleFires : public ::testing::TestWithParam<RuleCase> {};

TEST_P(AuditRuleFires, OnMinimalProfile) {
  const RuleCase& c = GetParam();
  Policy p = Load(c.profile);
  auto fs = AuditPolicy(p);
  auto hits = With(fs, c.id);
  ASSERT_TRUE(Has(fs, c.id, c.message_part))
      << "expected " << c.id << " mentioning '" << c.message_part << "' for\n"
      << c.profile << "\ngot:\n"
      << Describe(fs);
  const Finding* f = nullptr;
  for (const auto& h : hits)
    if (h.message.find(c.message_part) != std::string::npos) f = &h;
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, FindAuditRule(c.id)->severity) << Describe(fs);
  EXPECT_FALSE(f->rationale.empty());
  if (c.line > 0) {
    EXPECT_EQ(f->pos.file, kFile) << Describe(fs);
    EXPECT_EQ(f->pos.line, c.line) << Describe(fs);
    EXPECT_GE(f->pos.column, 1) << Describe(fs);
  } else {
    EXPECT_FALSE(f->pos.file.empty()) << Describe(fs);
  }
  // The default profile does not trigger this finding.
  EXPECT_FALSE(Has(AuditPolicy(Shipped("default")), c.id, c.message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Audit, AuditRuleFires,
    ::testing::Values(
        RuleCase{"RA001", "name: t\nextends: default\nseccomp:\n  allow: [ptrace]\n", "ptrace", 4},
        RuleCase{"RA001", "name: t\nextends: default\nseccomp:\n  allow: [keyctl, bpf]\n", "bpf",
                 4},
        RuleCase{"RA001", "name: t\nextends: default\nseccomp:\n  allow: [open_by_handle_at]\n",
                 "open_by_handle_at", 4},
        RuleCase{"RA001", "name: t\nextends: default\nseccomp:\n  allow: [\"@module\"]\n",
                 "finit_module", 4},
        RuleCase{"RA001", "name: t\nextends: default\nseccomp:\n  allow: [mount]\n", "mount", 4},
        RuleCase{"RA001",
                 "name: t\nextends: default\nseccomp:\n  allow: [perf_event_open, userfaultfd]\n",
                 "userfaultfd", 4},
        RuleCase{"RA001", "name: t\nextends: default\nseccomp:\n  allow: [kexec_load]\n",
                 "kexec_load", 4},
        RuleCase{"RA002", "name: t\nextends: default\ncapabilities:\n  keep: [SYS_ADMIN]\n",
                 "CAP_SYS_ADMIN", 0},
        RuleCase{"RA002", "name: t\nextends: default\ncapabilities:\n  keep: [DAC_READ_SEARCH]\n",
                 "CAP_DAC_READ_SEARCH", 0},
        RuleCase{"RA003",
                 "name: t\nextends: default\ncapabilities:\n  dangerous_inheritable: [CHOWN]\n",
                 "CAP_CHOWN", 0},
        RuleCase{"RA004", "name: t\nextends: default\nno_new_privileges: false\n",
                 "no_new_privileges", 3},
        RuleCase{"RA005", "name: t\nextends: default\nseccomp:\n  unknown: errno(EPERM)\n",
                 "errno(EPERM)", 4},
        RuleCase{"RA006", "name: t\nextends: default\nseccomp:\n  unknown: allow\n", "denylist", 4},
        RuleCase{"RA006", "name: t\nextends: default\nseccomp:\n  unknown: log\n", "denylist", 4},
        RuleCase{"RA007", "name: t\nextends: default\nseccomp:\n  allow: [socketcall]\n",
                 "socketcall", 4},
        RuleCase{"RA008", "name: t\nextends: default\nseccomp:\n  allow: [ioctl]\n", "TIOCSTI", 4},
        // A rule that keeps TIOCSTI out but lets TIOCLINUX through.
        RuleCase{"RA008",
                 "name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: ioctl\n      "
                 "action: allow\n"
                 "      args: [\"arg1 != TIOCSTI\"]\n",
                 "TIOCLINUX", 5},
        RuleCase{"RA009",
                 "name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: clone\n      "
                 "action: allow\n"
                 "      args: [\"arg0 & CLONE_NEWUSER == 0\"]\n",
                 "CLONE_NEWNS", 5},
        RuleCase{"RA010",
                 "name: t\nextends: default\ncapabilities:\n  ambient: [NET_BIND_SERVICE]\n",
                 "CAP_NET_BIND_SERVICE", 0},
        RuleCase{"RA011", "name: t\nextends: default\nseccomp:\n  allow: [unshare]\n",
                 "unshare can run with CLONE_NEWUSER", 4},
        RuleCase{"RA011", "name: t\nextends: default\nseccomp:\n  allow: [clone]\n",
                 "clone can run with CLONE_NEWUSER", 4},
        RuleCase{"RA011", "name: t\nextends: default\nseccomp:\n  allow: [clone3]\n", "clone3", 4},
        RuleCase{"RA012", "name: t\nseccomp:\n  allow: [read]\n", "/proc/sys ", 0},
        RuleCase{"RA012", "name: t\nseccomp:\n  allow: [read]\n", "/proc/sysrq-trigger", 0},
        RuleCase{"RA013", "name: t\nseccomp:\n  allow: [read]\n", "/proc/kcore", 0},
        RuleCase{"RA017", "name: t\nextends: default\ncapabilities:\n  keep: [SYS_PTRACE]\n",
                 "CAP_SYS_PTRACE", 0},
        RuleCase{"RA017", "name: t\nextends: default\ncapabilities:\n  keep: [SYS_ADMIN]\n",
                 "CAP_SYS_ADMIN", 0},
        RuleCase{"RA017",
                 "name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: socket\n      "
                 "action: allow\n"
                 "      args: [\"arg0 == AF_INET\", \"arg1 == SOCK_STREAM\"]\n",
                 "CAP_NET_RAW", 0},
        RuleCase{"RA018",
                 "name: t\nextends: default\nseccomp:\n  deny: [write, pwrite64, writev, pwritev, "
                 "pwritev2, truncate, "
                 "ftruncate]\nfilesystem:\n  paths:\n    - {path: /, access: [read, exec]}\n"
                 "    - {path: /tmp, access: [read, write]}\n",
                 "write on /tmp", 8},
        RuleCase{"RA019",
                 "name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: personality\n      "
                 "action: allow\n"
                 "      args: [\"arg0 <= 16\"]\n    - syscall: personality\n      action: allow\n"
                 "      args: [\"arg0 == 8\"]\n",
                 "arg0 == 8", 0},
        RuleCase{"RA019",
                 "name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: ptrace\n      "
                 "action: allow\n"
                 "      args: [\"arg0 > 10\", \"arg0 < 5\"]\n",
                 "can never match", 0},
        RuleCase{"RA020",
                 "name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: socket\n      "
                 "action: errno(EPERM)\n"
                 "      args: [\"arg0 == AF_VSOCK\"]\n",
                 "socket", 0},
        RuleCase{"RA021", "name: t\nextends: default\nseccomp:\n  allow: [io_uring_setup]\n",
                 "io_uring_setup", 4},
        RuleCase{"RA021", "name: t\nextends: default\nseccomp:\n  allow: [modify_ldt]\n",
                 "modify_ldt", 4}));

TEST(AuditRules, ConditionsDecideReachability) {
  // ptrace allowed only under conditions that can never hold: not RA001.
  auto fs =
      AuditPolicy(Load("name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: ptrace\n"
                       "      action: allow\n      args: [\"arg0 > 10\", \"arg0 < 5\"]\n"));
  EXPECT_FALSE(Has(fs, "RA001", "ptrace")) << Describe(fs);
  // ioctl limited to one request: no terminal injection.
  fs =
      AuditPolicy(Load("name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: ioctl\n"
                       "      action: allow\n      args: [\"arg1 == 0x5401\"]\n"));
  EXPECT_FALSE(Has(fs, "RA008")) << Describe(fs);
  // clone without namespace flags: neither RA009 nor RA011 (the default's rule).
  fs = AuditPolicy(Shipped("default"));
  EXPECT_FALSE(Has(fs, "RA009")) << Describe(fs);
  EXPECT_FALSE(Has(fs, "RA011")) << Describe(fs);
  // unshare limited to CLONE_FILES: no namespaces at all.
  fs =
      AuditPolicy(Load("name: t\nextends: default\nseccomp:\n  rules:\n    - syscall: unshare\n"
                       "      action: allow\n      args: [\"arg0 == 0x400\"]\n"));
  EXPECT_FALSE(Has(fs, "RA011")) << Describe(fs);
  EXPECT_FALSE(Has(fs, "RA009")) << Describe(fs);
  // A denied multiplexer is not RA007 even though x86 is filtered.
  EXPECT_FALSE(Has(AuditPolicy(Shipped("default")), "RA007"));
}

TEST(AuditRules, SyscallReachableAnswersPerArgument) {
  Policy d = Shipped("default");
  EXPECT_TRUE(SyscallReachable(d, "read"));
  EXPECT_FALSE(SyscallReachable(d, "ptrace"));
  EXPECT_TRUE(SyscallReachable(d, "socket", {ArgCondition{0, CmpOp::kEq, 2, 0}}));    // AF_INET
  EXPECT_FALSE(SyscallReachable(d, "socket", {ArgCondition{0, CmpOp::kEq, 40, 0}}));  // AF_VSOCK
  EXPECT_FALSE(
      SyscallReachable(d, "clone", {ArgCondition{0, CmpOp::kMaskedEq, 0x10000000, 0x10000000}}));
}

// Reachability against brute force: random conditions on one 64-bit
// argument with values and masks below 256, where any solution has a twin
// below 512 (above 255 only >, >=, != and the masks' low bits matter).
TEST(AuditRules, ReachabilityMatchesBruteForce) {
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const CmpOp ops[] = {CmpOp::kEq, CmpOp::kNe, CmpOp::kLt,      CmpOp::kLe,
                       CmpOp::kGt, CmpOp::kGe, CmpOp::kMaskedEq};
  auto random_cond = [&] {
    ArgCondition c{0, ops[next() % 7], next() % 256, 0};
    if (c.op == CmpOp::kMaskedEq) {
      c.mask = next() % 256;
      c.value &=
          (next() % 4 == 0) ? 0xff : c.mask;  // sometimes a value outside the mask: never holds
    }
    return c;
  };
  const ArgWidths w = ArgWidths::For(Arch::kX86_64, "ptrace");
  int reachable = 0;
  for (int i = 0; i < 3000; ++i) {
    Conjunction rule, extra;
    for (uint64_t n = 1 + next() % 3; n > 0; --n) rule.push_back(random_cond());
    for (uint64_t n = next() % 3; n > 0; --n) extra.push_back(random_cond());
    Policy p;
    p.seccomp.arches = {Arch::kX86_64};
    p.seccomp.syscalls["ptrace"] = SyscallPolicy{Action::Allow(), {rule}, {}, ""};
    bool brute = false;
    for (uint64_t x = 0; x < 512 && !brute; ++x) {
      const uint64_t args[6] = {x, 0, 0, 0, 0, 0};
      brute = ConjunctionHolds(rule, args, w) && ConjunctionHolds(extra, args, w);
    }
    reachable += brute;
    std::string text;
    for (const auto& c : rule) text += c.ToString() + "; ";
    text += "extra: ";
    for (const auto& c : extra) text += c.ToString() + "; ";
    ASSERT_EQ(SyscallReachable(p, "ptrace", extra), brute) << text;
  }
  EXPECT_GT(reachable, 300) << "the generator hardly makes satisfiable cases";
  EXPECT_LT(reachable, 2700) << "the generator hardly makes unsatisfiable cases";
}

TEST(AuditRules, LsmUnconfined) {
  auto p =
      Loader().LoadText("name: t\nextends: default\napparmor:\n  profile: unconfined\n", kFile);
  if (!p)
    GTEST_SKIP() << "the profile language does not take apparmor.profile yet: "
                 << p.error().message();
  auto fs = AuditPolicy(*p);
  EXPECT_TRUE(Has(fs, "RA022", "unconfined")) << Describe(fs);
  EXPECT_FALSE(Has(AuditPolicy(Shipped("default")), "RA022"));
}

TEST(AuditRules, ContainerChecks) {
  Policy d = Shipped("default");
  ContainerFacts c;
  c.name = "web";
  c.config_file = "/var/lib/rampart/containers/web/config.yaml";
  c.ns_user = true;
  c.uid = 0;
  auto fs = AuditContainer(d, c);
  EXPECT_FALSE(Has(fs, "RA014")) << Describe(fs);
  EXPECT_FALSE(Has(fs, "RA015")) << Describe(fs);
  EXPECT_FALSE(Has(fs, "RA016")) << Describe(fs);

  c.ns_user = false;
  c.ns_net = false;
  c.ns_pid = false;
  c.ns_uts = false;
  fs = AuditContainer(d, c);
  EXPECT_TRUE(Has(fs, "RA014", "network")) << Describe(fs);
  EXPECT_TRUE(Has(fs, "RA014", "pid")) << Describe(fs);
  EXPECT_TRUE(Has(fs, "RA015", "uts")) << Describe(fs);
  EXPECT_TRUE(Has(fs, "RA016", "uid 0")) << Describe(fs);
  for (const auto& f : With(fs, "RA014")) EXPECT_EQ(f.pos.file, c.config_file);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs.front().severity, Severity::kHigh) << "findings are not sorted by severity:\n"
                                                  << Describe(fs);

  c.uid = 1000;
  EXPECT_FALSE(Has(AuditContainer(d, c), "RA016"));
}

TEST(AuditRules, FailOnThresholds) {
  auto fs = AuditPolicy(
      Load("name: t\nextends: default\nseccomp:\n  allow: [socketcall]\n"));  // RA007 low
  EXPECT_TRUE(AnyAtOrAbove(fs, Severity::kLow)) << Describe(fs);
  EXPECT_FALSE(AnyAtOrAbove(fs, Severity::kMedium)) << Describe(fs);
  EXPECT_FALSE(AnyAtOrAbove(fs, Severity::kHigh)) << Describe(fs);
}

// ---------------------------------------------------------------- score --

const char* kWideOpen =
    "name: open\nseccomp:\n  unknown: allow\n  architectures: [native, x86, x32]\n"
    "capabilities:\n  dangerous_inheritable: []\nno_new_privileges: false\n";

TEST(AuditScore, BoundsAndOrdering) {
  Policy d = Shipped("default");
  Exposure low = ExposureScore(d, AuditPolicy(d));
  EXPECT_GE(low.score, 0.0);
  EXPECT_LE(low.score, 2.0) << "default profile: findings " << low.findings_part << ", surface "
                            << low.surface;
  EXPECT_GT(low.surface, 0.3);
  EXPECT_LT(low.surface, 0.9);
  EXPECT_EQ(ExposureRating(low.score), "OK");

  Policy u = Shipped("untrusted-compute");
  Exposure lower = ExposureScore(u, AuditPolicy(u));
  EXPECT_LT(lower.score, low.score) << "untrusted-compute should be narrower than default";

  Policy ptrace = Load("name: t\nextends: default\nseccomp:\n  allow: [ptrace]\n");
  Exposure more = ExposureScore(ptrace, AuditPolicy(ptrace));
  EXPECT_GT(more.score, low.score);

  Policy open = Load(kWideOpen);
  Exposure all = ExposureScore(open, AuditPolicy(open));
  EXPECT_GE(all.score, 9.5) << "findings " << all.findings_part << ", surface " << all.surface
                            << "\n"
                            << Describe(AuditPolicy(open));
  EXPECT_LE(all.score, 10.0);
  EXPECT_DOUBLE_EQ(all.surface, 1.0);
  EXPECT_EQ(ExposureRating(all.score), "UNSAFE");
}

// ------------------------------------------------------------- baseline --

bool DiffHas(const std::vector<PolicyDifference>& v, const std::string& subject) {
  for (const auto& e : v)
    if (e.subject == subject) return true;
  return false;
}

std::string Describe(const PolicyDiff& d) { return DiffToText(d, "this", "baseline"); }

TEST(AuditBaseline, SameProfileHasNoDifference) {
  Policy d = Shipped("default");
  PolicyDiff diff = DiffPolicies(d, d);
  EXPECT_TRUE(diff.empty()) << Describe(diff);
}

TEST(AuditBaseline, BothDirections) {
  Policy p = Load(
      "name: t\nextends: default\nseccomp:\n  allow: [ptrace]\n  rules:\n    - syscall: ioctl\n"
      "      action: allow\n      args: [\"arg1 != TIOCSTI\"]\n"
      "capabilities:\n  keep: [SYS_ADMIN]\n  drop: [NET_RAW]\nno_new_privileges: false\n");
  Policy d = Shipped("default");
  PolicyDiff diff = DiffPolicies(p, d);
  EXPECT_TRUE(DiffHas(diff.more, "syscall ptrace")) << Describe(diff);
  EXPECT_TRUE(DiffHas(diff.more, "capability CAP_SYS_ADMIN")) << Describe(diff);
  EXPECT_TRUE(DiffHas(diff.more, "no_new_privileges")) << Describe(diff);
  EXPECT_TRUE(DiffHas(diff.less, "capability CAP_NET_RAW")) << Describe(diff);
  EXPECT_TRUE(DiffHas(diff.changed, "syscall ioctl"))
      << Describe(diff);  // conditional vs conditional
  EXPECT_FALSE(DiffHas(diff.more, "syscall read")) << Describe(diff);
  for (const auto& e : diff.more) {
    if (e.subject == "syscall ptrace") {
      EXPECT_EQ(e.pos.line, 4) << e.pos.ToString();
    }
  }

  // The reverse comparison swaps the directions.
  PolicyDiff back = DiffPolicies(d, p);
  EXPECT_TRUE(DiffHas(back.less, "syscall ptrace")) << Describe(back);
  EXPECT_TRUE(DiffHas(back.more, "capability CAP_NET_RAW")) << Describe(back);

  auto j = DiffToJson(diff);
  ASSERT_TRUE(j["more"].is_array());
  EXPECT_FALSE(j["more"].empty());
  EXPECT_TRUE(j["more"][0].contains("subject"));
  EXPECT_TRUE(j["more"][0].contains("baseline"));
}

TEST(AuditBaseline, ConditionalAndArchitectureDifferences) {
  Policy u = Shipped("untrusted-compute");
  Policy d = Shipped("default");
  PolicyDiff diff = DiffPolicies(u, d);
  EXPECT_TRUE(DiffHas(diff.less, "architecture x86")) << Describe(diff);
  EXPECT_TRUE(DiffHas(diff.less, "syscall connect")) << Describe(diff);
  EXPECT_TRUE(DiffHas(diff.less, "syscall socket"))
      << Describe(diff);  // conditional allow → denied
  // socketpair: denied in default's @network-io? no: allowed there; only AF_UNIX here.
  EXPECT_TRUE(DiffHas(diff.less, "syscall socketpair")) << Describe(diff);
  EXPECT_TRUE(diff.more.empty()) << Describe(diff);
}

TEST(AuditBaseline, PathsAndLandlock) {
  Policy p = Load(
      "name: t\nextends: default\nfilesystem:\n  paths:\n    - {path: /, access: [read, exec]}\n");
  Policy d = Shipped("default");
  PolicyDiff diff = DiffPolicies(p, d);
  EXPECT_TRUE(DiffHas(diff.less, "filesystem (Landlock)")) << Describe(diff);
  Policy bare = Load("name: bare\nseccomp:\n  allow: [read]\n");
  diff = DiffPolicies(bare, d);
  EXPECT_TRUE(DiffHas(diff.more, "path /proc/sys")) << Describe(diff);    // not read-only any more
  EXPECT_TRUE(DiffHas(diff.more, "path /proc/kcore")) << Describe(diff);  // not masked any more
}

// ---------------------------------------------------------------- SARIF --

// Checks a SARIF log against the properties sarif-schema-2.1.0.json
// requires (and the types and enums it gives them) for what rampart emits.
// Returns the problems found, one per line.
std::string SarifProblems(const nlohmann::json& log) {
  std::string p;
  auto bad = [&](const std::string& what) { p += what + "\n"; };
  auto str = [&](const nlohmann::json& o, const char* key, const std::string& where) {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) {
      bad(where + "." + key + ": missing or not a string");
      return std::string();
    }
    return o[key].get<std::string>();
  };
  if (!log.is_object()) return "log is not an object\n";
  if (str(log, "version", "$") != "2.1.0") bad("$.version is not \"2.1.0\"");
  if (log.contains("$schema") && !log["$schema"].is_string()) bad("$.$schema is not a string");
  if (!log.contains("runs") || !log["runs"].is_array())
    return p + "$.runs: missing or not an array\n";
  const std::set<std::string> levels = {"none", "note", "warning", "error"};
  const std::set<std::string> kinds = {"notApplicable", "pass", "fail",
                                       "review",        "open", "informational"};
  for (size_t r = 0; r < log["runs"].size(); ++r) {
    const auto& run = log["runs"][r];
    const std::string at = "$.runs[" + std::to_string(r) + "]";
    if (!run.is_object() || !run.contains("tool") || !run["tool"].is_object()) {
      bad(at + ".tool: missing");
      continue;
    }
    const auto& tool = run["tool"];
    if (!tool.contains("driver") || !tool["driver"].is_object()) {
      bad(at + ".tool.driver: missing");
      continue;
    }
    const auto& driver = tool["driver"];
    str(driver, "name", at + ".tool.driver");
    if (driver.contains("version")) str(driver, "version", at + ".tool.driver");
    std::vector<std::string> rule_ids;
    if (driver.contains("rules")) {
      if (!driver["rules"].is_array()) bad(at + ".tool.driver.rules: not an array");
      for (size_t i = 0; driver["rules"].is_array() && i < driver["rules"].size(); ++i) {
        const auto& rule = driver["rules"][i];
        const std::string rat = at + ".tool.driver.rules[" + std::to_string(i) + "]";
        rule_ids.push_back(str(rule, "id", rat));
        for (const char* text : {"shortDescription", "fullDescription", "help"})
          if (rule.contains(text) && !(rule[text].is_object() && (rule[text].contains("text") &&
                                                                  rule[text]["text"].is_string())))
            bad(rat + "." + text + ": a multiformatMessageString needs a string text");
        if (rule.contains("defaultConfiguration")) {
          const auto& dc = rule["defaultConfiguration"];
          if (!dc.is_object() ||
              (dc.contains("level") &&
               !levels.count(dc["level"].is_string() ? dc["level"].get<std::string>() : "")))
            bad(rat + ".defaultConfiguration.level: not one of none, note, warning, error");
        }
      }
    }
    if (run.contains("invocations")) {
      for (const auto& inv : run["invocations"])
        if (!inv.contains("executionSuccessful") || !inv["executionSuccessful"].is_boolean())
          bad(at + ".invocations[]: executionSuccessful missing or not a boolean");
    }
    if (!run.contains("results")) continue;
    if (!run["results"].is_array()) {
      bad(at + ".results: not an array");
      continue;
    }
    for (size_t i = 0; i < run["results"].size(); ++i) {
      const auto& res = run["results"][i];
      const std::string rat = at + ".results[" + std::to_string(i) + "]";
      if (!res.is_object() || !res.contains("message") || !res["message"].is_object()) {
        bad(rat + ".message: missing");
        continue;
      }
      const auto& msg = res["message"];
      if (!(msg.contains("text") && msg["text"].is_string()) &&
          !(msg.contains("id") && msg["id"].is_string()))
        bad(rat + ".message: needs text or id");
      if (res.contains("level") &&
          !(res["level"].is_string() && levels.count(res["level"].get<std::string>())))
        bad(rat + ".level: not one of none, note, warning, error");
      if (res.contains("kind") &&
          !(res["kind"].is_string() && kinds.count(res["kind"].get<std::string>())))
        bad(rat + ".kind: not a SARIF result kind");
      if (res.contains("ruleId")) {
        const std::string id = str(res, "ruleId", rat);
        if (std::find(rule_ids.begin(), rule_ids.end(), id) == rule_ids.end())
          bad(rat + ".ruleId: not in driver.rules");
        if (res.contains("ruleIndex")) {
          if (!res["ruleIndex"].is_number_integer() || res["ruleIndex"].get<int64_t>() < 0 ||
              static_cast<size_t>(res["ruleIndex"].get<int64_t>()) >= rule_ids.size() ||
              rule_ids[res["ruleIndex"].get<size_t>()] != id)
            bad(rat + ".ruleIndex: does not point at the rule named by ruleId");
        }
      }
      if (!res.contains("locations")) continue;
      if (!res["locations"].is_array()) {
        bad(rat + ".locations: not an array");
        continue;
      }
      for (const auto& loc : res["locations"]) {
        if (!loc.contains("physicalLocation")) continue;
        const auto& pl = loc["physicalLocation"];
        if (!pl.is_object() || !(pl.contains("artifactLocation") || pl.contains("address"))) {
          bad(rat + ".locations[].physicalLocation: needs artifactLocation or address");
          continue;
        }
        if (pl.contains("artifactLocation"))
          str(pl["artifactLocation"], "uri", rat + ".artifactLocation");
        if (pl.contains("region")) {
          const auto& rg = pl["region"];
          for (const char* k : {"startLine", "startColumn"})
            if (rg.contains(k) && !(rg[k].is_number_integer() && rg[k].get<int64_t>() >= 1))
              bad(rat + ".region." + k + ": not an integer >= 1");
        }
      }
    }
  }
  return p;
}

TEST(AuditSarif, StructureFollowsTheSchema) {
  Policy p = Load(
      "name: t\nextends: default\nseccomp:\n  allow: [ptrace, socketcall]\ncapabilities:\n"
      "  keep: [SYS_ADMIN]\n");
  auto fs = AuditPolicy(p);
  ASSERT_GE(fs.size(), 3u) << Describe(fs);
  nlohmann::json log = SarifLog(fs, "1.2.3");
  EXPECT_EQ(SarifProblems(log), "") << log.dump(2).substr(0, 3000);
  EXPECT_EQ(
      log["$schema"],
      "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json");
  const auto& run = log["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["version"], "1.2.3");
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), AuditRules().size());
  ASSERT_EQ(run["results"].size(), fs.size());
  // ptrace's result points at the allow entry, with the SARIF level of a high finding.
  bool seen = false;
  for (const auto& r : run["results"]) {
    if (r["ruleId"] != "RA001") continue;
    seen = true;
    EXPECT_EQ(r["level"], "error");
    const auto& pl = r["locations"][0]["physicalLocation"];
    EXPECT_EQ(pl["artifactLocation"]["uri"], "file:///tmp/rampart-audit-test/x.yaml");
    EXPECT_EQ(pl["region"]["startLine"], 4);
    EXPECT_GE(pl["region"]["startColumn"].get<int>(), 1);
  }
  EXPECT_TRUE(seen) << log.dump(2).substr(0, 3000);
  for (const auto& r : run["tool"]["driver"]["rules"]) {
    if (r["id"] == "RA007") {
      EXPECT_EQ(r["defaultConfiguration"]["level"], "note");
    }
  }
}

TEST(AuditSarif, CheckerCatchesBrokenLogs) {
  nlohmann::json good =
      SarifLog(AuditPolicy(Load("name: t\nextends: default\nseccomp:\n  allow: [ptrace]\n")), "1");
  ASSERT_EQ(SarifProblems(good), "");
  auto broken = good;
  broken["version"] = "2.0.0";
  EXPECT_NE(SarifProblems(broken).find("version"), std::string::npos);
  broken = good;
  broken["runs"][0]["tool"]["driver"].erase("name");
  EXPECT_NE(SarifProblems(broken).find("driver.name"), std::string::npos);
  broken = good;
  broken["runs"][0]["results"][0]["message"] = nlohmann::json::object();
  EXPECT_NE(SarifProblems(broken).find("needs text or id"), std::string::npos);
  broken = good;
  broken["runs"][0]["results"][0]["level"] = "high";
  EXPECT_NE(SarifProblems(broken).find(".level"), std::string::npos);
  broken = good;
  broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0;
  EXPECT_NE(SarifProblems(broken).find("startLine"), std::string::npos);
  broken = good;
  broken["runs"][0]["results"][0]["ruleIndex"] = 3;
  EXPECT_NE(SarifProblems(broken).find("ruleIndex"), std::string::npos);
}

TEST(AuditSarif, EmptyFindingsAndUris) {
  nlohmann::json log = SarifLog({}, "0.1.0");
  EXPECT_EQ(SarifProblems(log), "");
  EXPECT_TRUE(log["runs"][0]["results"].is_array());
  EXPECT_TRUE(log["runs"][0]["results"].empty());
  EXPECT_EQ(SarifUri("<shipped>/default.yaml"), "policies/default.yaml");
  EXPECT_EQ(SarifUri("/etc/rampart/policies/my web.yaml"),
            "file:///etc/rampart/policies/my%20web.yaml");
  EXPECT_EQ(SarifUri("profiles/web.yaml"), "profiles/web.yaml");
}

// --------------------------------------------------------------- frozen --

TEST(AuditFrozen, RebuiltTableGivesTheSameVerdicts) {
  for (const std::string& text :
       {std::string("name: t\nextends: default\n"),
        std::string("name: t\nextends: default\nseccomp:\n  allow: [ioctl, clone]\n")}) {
    Policy p = Load(text);
    auto compiled = CompilePolicy(p);
    ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
    auto rebuilt = PolicyFromFrozen(*compiled, "/x/policy.json");
    ASSERT_TRUE(rebuilt.has_value()) << rebuilt.error().message();
    auto want = AuditPolicy(p), got = AuditPolicy(*rebuilt);
    for (const char* id : {"RA001", "RA007", "RA008", "RA009", "RA011"})
      EXPECT_EQ(With(want, id).size(), With(got, id).size()) << id << " for\n"
                                                             << text << "\nfrom the IR:\n"
                                                             << Describe(want) << "from the BPF:\n"
                                                             << Describe(got);
    EXPECT_EQ(AnyAtOrAbove(want, Severity::kHigh), AnyAtOrAbove(got, Severity::kHigh))
        << Describe(got);
    for (const auto& f : got) {
      if (f.id == "RA008") {
        EXPECT_EQ(f.pos.file, "/x/policy.json");
      }
    }
  }
}

}  // namespace
}  // namespace rampart::security
