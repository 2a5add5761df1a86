// policy_bench: the cost of rampart's seccomp compiler and of the filters it
// emits, side by side with libseccomp called directly in the same run.
//
//   1. compile time of a profile (default: the shipped `default`), with and
//      without resolving it, for x86_64 alone and for x86_64+x86+x32, linear
//      and tree; the baseline adds the same rules by name to one libseccomp
//      context and exports it (Google Benchmark, median of repetitions);
//   2. BPF instruction counts of both programs;
//   3. the per-call cost of each installed filter, measured in forked
//      children (the parent stays unfiltered) and sent back over a pipe.
//
// Usage: policy_bench [--profile=NAME|PATH] [--calls-only] [--quick]
//                     [Google Benchmark flags]
// Needs no root: the children set no_new_privs before installing a filter.
#include <benchmark/benchmark.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "security/arg_algebra.h"
#include "security/bpf_interpreter.h"
#include "security/compiled_policy.h"
#include "security/filter_verify.h"
#include "security/policy.h"
#include "security/resolver.h"
#include "security/seccomp_compiler.h"
#include "security/syscall_table.h"

namespace {

namespace sec = rampart::security;
using rampart::Error;
using rampart::Result;
using rampart::UniqueFd;
using sec::Arch;
using sec::Optimize;

// ---- configurations ---------------------------------------------------------

struct Config {
  const char* name;  // "native/linear"
  std::vector<Arch> arches;
  Optimize optimize;
};

const std::vector<Config>& Configs() {
  static const std::vector<Config> kConfigs = {
      {"native/linear", {Arch::kX86_64}, Optimize::kLinear},
      {"native/tree", {Arch::kX86_64}, Optimize::kTree},
      {"3arch/linear", {Arch::kX86_64, Arch::kX86, Arch::kX32}, Optimize::kLinear},
      {"3arch/tree", {Arch::kX86_64, Arch::kX86, Arch::kX32}, Optimize::kTree},
  };
  return kConfigs;
}

sec::Policy WithArches(const sec::Policy& p, const std::vector<Arch>& arches) {
  sec::Policy out = p;
  out.seccomp.arches = arches;
  std::sort(out.seccomp.arches.begin(), out.seccomp.arches.end());
  return out;
}

// ---- libseccomp direct: the same rules, one context --------------------------

struct DirectRule {
  std::string name;
  uint32_t action;
  std::vector<scmp_arg_cmp> cmps;
};

struct DirectPlan {
  std::vector<Arch> arches;
  bool tree = false;
  uint32_t default_action = 0;  // the filter default: the profile's `unknown`
  std::vector<DirectRule> rules;
  size_t divergent = 0;  // conditional syscalls whose 32-bit rules differ from the 64-bit ones
};

scmp_compare ToScmp(sec::CmpOp op) {
  switch (op) {
    case sec::CmpOp::kEq:
      return SCMP_CMP_EQ;
    case sec::CmpOp::kNe:
      return SCMP_CMP_NE;
    case sec::CmpOp::kLt:
      return SCMP_CMP_LT;
    case sec::CmpOp::kLe:
      return SCMP_CMP_LE;
    case sec::CmpOp::kGt:
      return SCMP_CMP_GT;
    case sec::CmpOp::kGe:
      return SCMP_CMP_GE;
    case sec::CmpOp::kMaskedEq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

using ActionConj = std::pair<sec::Action, sec::Conjunction>;

// The (action, conditions) rules rampart emits for one conditional syscall on
// an architecture with 32- or 64-bit argument comparisons.
Result<std::vector<ActionConj>> ConditionalRules(const sec::SeccompPolicy& p,
                                                 const sec::SyscallPolicy& sp,
                                                 const sec::ArgWidths& widths) {
  auto match = sec::NormalizeAll(sp.any_of, widths);
  if (!match) return match.error();
  if (match->size() == 1 && (*match)[0].empty()) return std::vector<ActionConj>{{sp.action, {}}};
  auto rest = sec::Complement(sp.any_of, widths);
  if (!rest) return rest.error();
  if ((rest->size() == 1 && (*rest)[0].empty()) || match->empty())
    return std::vector<ActionConj>{{p.default_action, {}}};
  if (sp.action == p.default_action) return std::vector<ActionConj>{{sp.action, {}}};
  // The complement first, as rampart adds them.
  std::vector<ActionConj> out;
  for (const auto& c : *rest) out.push_back({p.default_action, c});
  for (const auto& c : *match) out.push_back({sp.action, c});
  return out;
}

Result<DirectPlan> PlanDirect(const sec::Policy& policy, const Config& cfg) {
  const sec::SeccompPolicy& p = policy.seccomp;
  DirectPlan plan;
  plan.arches = cfg.arches;
  plan.tree = cfg.optimize == Optimize::kTree;
  plan.default_action = p.unknown_action.ToSeccompRet();
  bool has64 = false, has32 = false;
  for (Arch a : cfg.arches) (sec::Is32BitArgs(a) ? has32 : has64) = true;

  auto add = [&](const std::string& name, const sec::Action& action, const sec::Conjunction& conj) {
    if (action == p.unknown_action) return;  // libseccomp refuses rules equal to the filter default
    DirectRule r{name, action.ToSeccompRet(), {}};
    for (const auto& c : conj) {
      scmp_arg_cmp a{};
      a.arg = c.index;
      a.op = ToScmp(c.op);
      a.datum_a = c.op == sec::CmpOp::kMaskedEq ? c.mask : c.value;
      a.datum_b = c.op == sec::CmpOp::kMaskedEq ? c.value : 0;
      r.cmps.push_back(a);
    }
    plan.rules.push_back(std::move(r));
  };

  for (const auto& [name, sp] : p.syscalls) {
    bool exists = std::any_of(cfg.arches.begin(), cfg.arches.end(),
                              [&](Arch a) { return sec::SyscallNumber(a, name).has_value(); });
    if (!exists) continue;
    if (!sp.conditional()) {
      add(name, sp.action, {});
      continue;
    }
    // One context holds every architecture, so a syscall gets one rule set.
    // When the 32-bit arches need different rules (values above 32 bits),
    // the 64-bit set is added, as a caller of libseccomp would write it
    // (libseccomp then compares the low 32 bits on x86/x32).
    std::vector<ActionConj> rules64, rules32;
    if (has64) {
      auto r = ConditionalRules(p, sp, sec::ArgWidths::For(Arch::kX86_64, name));
      if (!r) return r.error().Wrap(name);
      rules64 = std::move(*r);
    }
    if (has32) {
      auto r = ConditionalRules(p, sp, sec::ArgWidths::For(Arch::kX86, name));
      if (!r) return r.error().Wrap(name);
      rules32 = std::move(*r);
    }
    if (has64 && has32 && rules64 != rules32) ++plan.divergent;
    for (const auto& [action, conj] : has64 ? rules64 : rules32) add(name, action, conj);
  }
  return plan;
}

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Result<std::vector<sock_filter>> ExportBpf(void* ctx) {
  UniqueFd fd(memfd_create("policy-bench", MFD_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return Error::FromErrno(-rc, "seccomp_export_bpf");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0)
    return Error::Internal("malformed exported program");
  std::vector<sock_filter> insns(size / sizeof(sock_filter));
  if (pread(fd.get(), insns.data(), size, 0) != size)
    return Error::FromErrno(errno, "read exported program");
  return insns;
}

// What a caller of libseccomp would do: init, arches, attributes, rules by
// name, export.
// Rules libseccomp refuses as clashing with an earlier one (EEXIST, e.g. the
// socketcall(SYS_SOCKET) rule it derives on x86 from two argument rules on
// socket) are left out and counted in `refused`.
Result<std::vector<sock_filter>> BuildDirect(const DirectPlan& plan, size_t* refused = nullptr) {
  Ctx ctx(seccomp_init(plan.default_action));
  if (!ctx) return Error::Internal("seccomp_init failed");
  bool native = false;
  for (Arch a : plan.arches) {
    if (a == Arch::kX86_64) {
      native = true;
      continue;
    }
    int rc = seccomp_arch_add(ctx.get(), sec::LibseccompArch(a));
    if (rc < 0) return Error::FromErrno(-rc, "seccomp_arch_add " + sec::ArchName(a));
  }
  if (!native) {
    int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE);
    if (rc < 0) return Error::FromErrno(-rc, "seccomp_arch_remove native");
  }
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc == 0 && plan.tree) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0) return Error::FromErrno(-rc, "seccomp_attr_set");
  for (const auto& r : plan.rules) {
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) return Error::Invalid("unknown syscall " + r.name);
    rc = seccomp_rule_add_array(ctx.get(), r.action, nr, static_cast<unsigned>(r.cmps.size()),
                                r.cmps.empty() ? nullptr : r.cmps.data());
    if (rc == -EEXIST) {
      if (refused) ++*refused;
    } else if (rc < 0) {
      return Error::FromErrno(-rc, "seccomp_rule_add_array " + r.name);
    }
  }
  return ExportBpf(ctx.get());
}

Result<std::vector<sock_filter>> BuildRampart(const sec::Policy& policy, const Config& cfg) {
  auto compiled = sec::CompilePolicy(WithArches(policy, cfg.arches), {cfg.optimize});
  if (!compiled) return compiled.error();
  return std::move(compiled->seccomp.insns);
}

// Verdicts of the direct program that differ from the IR's (a sanity check
// that the baseline applies the same rules), over every syscall number of
// each filtered arch and a few argument values.
size_t CountMismatches(const sec::Policy& policy, const Config& cfg,
                       const std::vector<sock_filter>& prog) {
  sec::Policy p = WithArches(policy, cfg.arches);
  const uint64_t values[] = {0, 1, 8, 40, 0x5412, 0xffffffffull, 0x100000000ull, ~0ull};
  size_t bad = 0;
  for (Arch a : p.seccomp.arches) {
    for (uint32_t nr = 0; nr < sec::SyscallScanLimit(); ++nr) {
      seccomp_data d{};
      d.arch = sec::AuditArch(a);
      d.nr = static_cast<int>(a == Arch::kX32 ? nr | sec::kX32SyscallBit : nr);
      for (unsigned arg = 0; arg < 2; ++arg) {
        for (uint64_t v : values) {
          d.args[0] = d.args[1] = 0;
          d.args[arg] = v;
          auto got = sec::RunBpf(prog, d);
          if (!got || *got != p.seccomp.Evaluate(d).ToSeccompRet()) ++bad;
        }
      }
    }
  }
  return bad;
}

// ---- 1. compile time (Google Benchmark) ------------------------------------

// Collects the median of every benchmark while printing the usual table.
class MedianReporter : public benchmark::ConsoleReporter {
 public:
  MedianReporter() : benchmark::ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    benchmark::ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.error_occurred) {
        errors[r.run_name.function_name] = r.error_message;
      } else if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        median_us[r.run_name.function_name] = r.GetAdjustedRealTime();  // Unit(kMicrosecond)
      } else if (r.run_type == Run::RT_Iteration && r.repetitions <= 1) {
        median_us[r.run_name.function_name] = r.GetAdjustedRealTime();
      }
    }
  }
  std::map<std::string, double> median_us;
  std::map<std::string, std::string> errors;
};

struct BenchInputs {
  const sec::ProfileLoader* loader;
  std::string profile;
  sec::Policy policy;
  std::map<std::string, DirectPlan> plans;  // by config name
};

void RegisterCompileBenchmarks(const BenchInputs& in, bool quick) {
  auto tune = [quick](benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kMicrosecond)
        ->MinTime(quick ? 0.01 : 0.05)
        ->Repetitions(quick ? 3 : 7)
        ->ReportAggregatesOnly(true);
  };
  for (const Config& cfg : Configs()) {
    const std::string n = cfg.name;
    tune(benchmark::RegisterBenchmark(("rampart_compile/" + n).c_str(),
                                      [&in, cfg](benchmark::State& st) {
                                        sec::Policy p = WithArches(in.policy, cfg.arches);
                                        for (auto _ : st) {
                                          auto c = sec::CompilePolicy(p, {cfg.optimize});
                                          if (!c)
                                            return st.SkipWithError(c.error().message().c_str());
                                          benchmark::DoNotOptimize(c->seccomp.insns.data());
                                        }
                                      }));
    tune(benchmark::RegisterBenchmark(
        ("rampart_resolve+compile/" + n).c_str(), [&in, cfg](benchmark::State& st) {
          for (auto _ : st) {
            auto p = in.loader->Load(in.profile);
            if (!p) return st.SkipWithError(p.error().message().c_str());
            p->seccomp.arches = cfg.arches;
            std::sort(p->seccomp.arches.begin(), p->seccomp.arches.end());
            auto c = sec::CompilePolicy(*p, {cfg.optimize});
            if (!c) return st.SkipWithError(c.error().message().c_str());
            benchmark::DoNotOptimize(c->seccomp.insns.data());
          }
        }));
    tune(benchmark::RegisterBenchmark(("libseccomp_direct/" + n).c_str(),
                                      [&in, n](benchmark::State& st) {
                                        const DirectPlan& plan = in.plans.at(n);
                                        for (auto _ : st) {
                                          auto prog = BuildDirect(plan);
                                          if (!prog)
                                            return st.SkipWithError(prog.error().message().c_str());
                                          benchmark::DoNotOptimize(prog->data());
                                        }
                                      }));
  }
  // Where rampart's time goes: the seccomp compiler alone (libseccomp +
  // argument algebra + its self-check), the self-check alone, the hash.
  for (const Config& cfg : Configs()) {
    tune(benchmark::RegisterBenchmark(("part_compile_seccomp/" + std::string(cfg.name)).c_str(),
                                      [&in, cfg](benchmark::State& st) {
                                        sec::Policy p = WithArches(in.policy, cfg.arches);
                                        for (auto _ : st) {
                                          auto c = sec::CompileSeccomp(p.seccomp, {cfg.optimize});
                                          if (!c)
                                            return st.SkipWithError(c.error().message().c_str());
                                          benchmark::DoNotOptimize(c->insns.data());
                                        }
                                      }));
    tune(benchmark::RegisterBenchmark(
        ("part_self_check/" + std::string(cfg.name)).c_str(), [&in, cfg](benchmark::State& st) {
          sec::Policy p = WithArches(in.policy, cfg.arches);
          auto prog = BuildDirect(
              in.plans.at(cfg.name));  // same size as rampart's; only the check is timed
          if (!prog) return st.SkipWithError(prog.error().message().c_str());
          for (auto _ : st)
            benchmark::DoNotOptimize(sec::DiffProgram(p.seccomp, *prog, false).checked);
        }));
  }
  tune(benchmark::RegisterBenchmark("part_policy_hash", [&in](benchmark::State& st) {
    for (auto _ : st) benchmark::DoNotOptimize(sec::PolicyHash(in.policy).size());
  }));
  tune(benchmark::RegisterBenchmark("rampart_resolve_only", [&in](benchmark::State& st) {
    for (auto _ : st) {
      auto p = in.loader->Load(in.profile);
      if (!p) return st.SkipWithError(p.error().message().c_str());
      benchmark::DoNotOptimize(p->seccomp.syscalls.size());
    }
  }));
}

// ---- 3. per-call cost of the installed filter --------------------------------

struct Call {
  const char* label;
  const char* expect;  // what the filtered call should do under the profile
  // A denied call never reaches the syscall body, so its floor is the
  // cheapest syscall (getppid, unfiltered); an allowed call's floor is the
  // same call unfiltered.
  bool denied;
  long (*fn)();
};

// Calls with no lasting side effect, filtered or not.
long CallGetppid() { return syscall(SYS_getppid); }
long CallKeyctl() { return syscall(SYS_keyctl, 0, -3, 0); }  // KEYCTL_GET_KEYRING_ID, no create
long CallPersonality() { return syscall(SYS_personality, 0xffffffffUL); }  // query only
// Type 15 is invalid, so unfiltered the kernel fails early with EINVAL and
// creates nothing; the filter looks at arg0 only.
long CallSocketVsock() { return syscall(SYS_socket, AF_VSOCK, 15, 0); }

const std::array<Call, 4> kCalls = {{
    {"getppid: allow, no args", "ok", false, CallGetppid},
    {"keyctl: deny", "EPERM", true, CallKeyctl},
    {"personality(~0u): arg allow", "ok", false, CallPersonality},
    {"socket(AF_VSOCK): arg deny", "EPERM", true, CallSocketVsock},
}};

struct CallResult {
  double floor_ns[kCalls.size()];     // best round before the filter
  double filtered_ns[kCalls.size()];  // best round after it
  int filtered_errno[kCalls.size()];  // 0 when the call succeeded
  int install_errno;
};

double NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: not filtered
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

double BestNsPerCall(long (*fn)(), int iterations, int rounds) {
  double best = 1e18;
  for (int r = 0; r < rounds; ++r) {
    double t0 = NowNs();
    for (int i = 0; i < iterations; ++i) benchmark::DoNotOptimize(fn());
    best = std::min(best, (NowNs() - t0) / iterations);
  }
  return best;
}

// Forks a child that times every call, installs `prog` (none if empty),
// times them again and writes a CallResult to a pipe.
Result<CallResult> MeasureInChild(const std::vector<sock_filter>& prog, int iterations,
                                  int rounds) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe2");
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    cpu_set_t one;  // stay on one CPU: no migration inside a timed loop
    CPU_ZERO(&one);
    int cpu = sched_getcpu();
    CPU_SET(cpu < 0 ? 0 : cpu, &one);
    sched_setaffinity(0, sizeof(one), &one);
    CallResult res{};
    for (size_t i = 0; i < kCalls.size(); ++i)
      res.floor_ns[i] = BestNsPerCall(kCalls[i].fn, iterations, rounds);
    if (!prog.empty()) {
      sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                       const_cast<sock_filter*>(prog.data())};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
        res.install_errno = errno;
    }
    if (res.install_errno == 0) {
      for (size_t i = 0; i < kCalls.size(); ++i) {
        errno = 0;
        res.filtered_errno[i] = kCalls[i].fn() < 0 ? errno : 0;
        res.filtered_ns[i] = BestNsPerCall(kCalls[i].fn, iterations, rounds);
      }
    }
    ssize_t n = write(wr.get(), &res, sizeof(res));
    _exit(n == static_cast<ssize_t>(sizeof(res)) ? 0 : 1);
  }
  wr.reset();
  CallResult res{};
  ssize_t n = read(rd.get(), &res, sizeof(res));
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof(res)))
    return Error::Internal("measuring child died (status " + std::to_string(status) + ")");
  if (res.install_errno != 0) return Error::FromErrno(res.install_errno, "install filter");
  return res;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string ErrnoText(int e) { return e == 0 ? "ok" : sec::ErrnoName(e); }

// ---- main -------------------------------------------------------------------

struct CallStats {
  std::vector<double> added, floor;  // one per child
  int observed = 0;                  // errno of the call under the filter (0 = success)
};

struct Variant {
  std::string label;  // "rampart native/tree", "direct  3arch/linear"
  const Config* cfg;
  std::vector<sock_filter> prog;  // empty when it failed to compile
  std::string error;
  size_t refused;  // direct only: rules libseccomp refused with EEXIST
  std::array<CallStats, kCalls.size()> calls;
};

int Fail(const std::string& what, const Error& e) {
  std::fprintf(stderr, "policy_bench: %s: %s\n", what.c_str(), e.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string profile = "default";
  bool calls_only = false, quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--profile=", 0) == 0) {
      profile = a.substr(10);
    } else if (a == "--calls-only") {
      calls_only = true;
    } else if (a == "--quick") {
      quick = true;
    } else {
      std::fprintf(stderr, "policy_bench: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }

  auto loader = sec::ProfileLoader::Create();
  if (!loader) return Fail("create profile loader", loader.error());
  auto policy = loader->Load(profile);
  if (!policy) return Fail("load profile " + profile, policy.error());

  BenchInputs in{&*loader, profile, *policy, {}};
  std::printf(
      "policy_bench: profile '%s', %zu syscalls in the IR (%zu conditional), default %s, unknown "
      "%s\n",
      profile.c_str(), policy->seccomp.syscalls.size(),
      static_cast<size_t>(std::count_if(policy->seccomp.syscalls.begin(),
                                        policy->seccomp.syscalls.end(),
                                        [](const auto& kv) { return kv.second.conditional(); })),
      policy->seccomp.default_action.ToString().c_str(),
      policy->seccomp.unknown_action.ToString().c_str());

  // Programs for sections 2 and 3. A configuration that fails to compile is
  // reported and left out of the measurements that need its program.
  std::vector<Variant> variants;
  for (const Config& cfg : Configs()) {
    Variant r{std::string("rampart ") + cfg.name, &cfg, {}, {}, 0, {}};
    if (auto prog = BuildRampart(*policy, cfg))
      r.prog = std::move(*prog);
    else
      r.error = prog.error().message();
    Variant d{std::string("direct  ") + cfg.name, &cfg, {}, {}, 0, {}};
    if (auto plan = PlanDirect(*policy, cfg)) {
      if (auto prog = BuildDirect(*plan, &d.refused))
        d.prog = std::move(*prog);
      else
        d.error = prog.error().message();
      in.plans[cfg.name] = std::move(*plan);
    } else {
      d.error = plan.error().message();
    }
    variants.push_back(std::move(r));
    variants.push_back(std::move(d));
  }
  for (const auto& v : variants)
    if (!v.error.empty())
      std::printf("  %s: cannot compile: %s\n", v.label.c_str(), v.error.c_str());

  std::map<std::string, double> us;
  if (!calls_only) {
    std::printf("\n== 1. compile time (Google Benchmark, median of repetitions) ==\n");
    std::fflush(stdout);
    RegisterCompileBenchmarks(in, quick);
    MedianReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    us = reporter.median_us;
  }

  // ---- 3. per-call cost, round robin over the filters so that drift on a
  // shared VM hits every filter alike.
  // Many short rounds and the best of them: on a shared VM a round that
  // got preempted only ever gets slower, so the minimum is the stable figure.
  const int iterations = 10000;
  const int rounds = quick ? 10 : 30;
  const int reps = quick ? 1 : 3;
  for (int rep = 0; rep < reps; ++rep) {
    for (auto& v : variants) {
      if (v.prog.empty()) continue;
      auto res = MeasureInChild(v.prog, iterations, rounds);
      if (!res) return Fail("per-call " + v.label, res.error());
      for (size_t i = 0; i < kCalls.size(); ++i) {
        double floor = res->floor_ns[kCalls[i].denied ? 0 : i];
        v.calls[i].added.push_back(res->filtered_ns[i] - floor);
        v.calls[i].floor.push_back(floor);
        v.calls[i].observed = res->filtered_errno[i];
      }
    }
  }

  // ---- summary
  std::printf("\n== summary: rampart vs libseccomp direct, same run ==\n");
  size_t divergent = 0;
  for (const auto& [n, plan] : in.plans) divergent = std::max(divergent, plan.divergent);
  std::printf(
      "baseline: one libseccomp context with the same arches and the rules rampart emits, added by "
      "name\n"
      "(%zu conditional syscalls need other rules on the 32-bit arches; the 3-arch baseline gives "
      "them the\n"
      " 64-bit rules, while rampart builds one context per arch and merges them)\n",
      divergent);

  if (!calls_only) {
    std::printf(
        "\n-- compile time, median us (ratio = rampart / direct; < 1 means rampart is faster) "
        "--\n");
    std::printf("%-14s %12s %16s %12s %10s %16s\n", "config", "rampart", "resolve+compile",
                "direct", "ratio", "ratio w/resolve");
    for (const Config& cfg : Configs()) {
      std::string n = cfg.name;
      auto get = [&](const std::string& k) { return us.count(k) ? us[k] : 0.0; };
      double r = get("rampart_compile/" + n), rr = get("rampart_resolve+compile/" + n),
             d = get("libseccomp_direct/" + n);
      if (r <= 0 || d <= 0) {
        auto cell = [](double x) {
          char b[32];
          std::snprintf(b, sizeof(b), "%.1f", x);
          return x > 0 ? std::string(b) : std::string("error");
        };
        std::printf("%-14s %12s %16s %12s   (no ratio: a program failed to compile)\n", n.c_str(),
                    cell(r).c_str(), cell(rr).c_str(), cell(d).c_str());
        continue;
      }
      std::printf("%-14s %12.1f %16.1f %12.1f %9.2fx %15.2fx\n", n.c_str(), r, rr, d, r / d,
                  rr / d);
    }
    auto get = [&](const std::string& k) { return us.count(k) ? us[k] : 0.0; };
    std::printf("resolve only (ProfileLoader::Load of the profile): %.1f us; PolicyHash: %.1f us\n",
                get("rampart_resolve_only"), get("part_policy_hash"));
    std::printf("%-14s %22s %24s\n", "config", "CompileSeccomp alone", "of which self-check");
    for (const Config& cfg : Configs()) {
      std::string n = cfg.name;
      std::printf("%-14s %22.1f %24.1f\n", n.c_str(), get("part_compile_seccomp/" + n),
                  get("part_self_check/" + n));
    }
  }

  std::printf(
      "\n-- BPF instructions (mismatches: verdicts that differ from the IR over every syscall "
      "number x 16\n"
      "   argument probes, checked with rampart's BPF interpreter) --\n");
  std::printf("%-14s %8s %8s %8s %10s %12s %8s %11s %9s\n", "config", "rampart", "direct", "ratio",
              "identical", "direct rules", "refused", "mismatches", "(rampart)");
  for (size_t k = 0; k < variants.size(); k += 2) {
    const Variant& r = variants[k];
    const Variant& d = variants[k + 1];
    size_t rn = r.prog.size(), dn = d.prog.size();
    std::string rm = rn ? std::to_string(CountMismatches(*policy, *r.cfg, r.prog)) : "-";
    std::string dm = dn ? std::to_string(CountMismatches(*policy, *d.cfg, d.prog)) : "-";
    size_t rules = in.plans.count(d.cfg->name) ? in.plans[d.cfg->name].rules.size() : 0;
    bool same =
        rn && rn == dn && std::memcmp(r.prog.data(), d.prog.data(), rn * sizeof(sock_filter)) == 0;
    std::printf(
        "%-14s %8s %8s %8s %10s %12zu %8zu %11s %9s\n", r.cfg->name,
        rn ? std::to_string(rn).c_str() : "error", dn ? std::to_string(dn).c_str() : "error",
        rn && dn ? (std::to_string(static_cast<double>(rn) / dn).substr(0, 4) + "x").c_str() : "-",
        rn && dn ? (same ? "yes" : "no") : "-", rules, d.refused, dm.c_str(), rm.c_str());
  }

  std::printf(
      "\n-- per call: ns added by the filter (median of %d children, each the best of %d rounds x "
      "%d calls);\n"
      "   floor = the same call unfiltered, or for denied calls getppid unfiltered (the body never "
      "runs) --\n",
      reps, rounds, iterations);
  std::printf("%-22s", "filter");
  for (const auto& c : kCalls) std::printf(" | %-27.27s", c.label);
  std::printf("\n%-22s", "floor ns");
  for (size_t i = 0; i < kCalls.size(); ++i) {
    std::vector<double> all;
    for (const auto& v : variants)
      all.insert(all.end(), v.calls[i].floor.begin(), v.calls[i].floor.end());
    std::printf(" | %27.1f", Median(all));
  }
  std::printf("\n");
  for (const auto& v : variants) {
    std::printf("%-22s", v.label.c_str());
    for (size_t i = 0; i < kCalls.size(); ++i) {
      if (v.prog.empty()) {
        std::printf(" | %27s", "not compiled");
        continue;
      }
      std::string verdict = ErrnoText(v.calls[i].observed);
      std::printf(" | %+19.1f %-6s%s", Median(v.calls[i].added), verdict.c_str(),
                  verdict == kCalls[i].expect ? " " : "!");
    }
    std::printf("\n");
  }
  std::printf(
      "(the word after each number is what the call returned under the filter; \"!\" = not what "
      "the\n"
      " default profile should give: %s)\n",
      [] {
        std::string s;
        for (const auto& c : kCalls) s += std::string(s.empty() ? "" : ", ") + c.expect;
        return s;
      }()
          .c_str());

  std::printf(
      "\n-- per call ratio: rampart added ns / libseccomp direct tree added ns, same arches "
      "(<= 1.00 is the goal) --\n");
  std::printf("%-22s", "rampart filter");
  for (const auto& c : kCalls) std::printf(" | %-27.27s", c.label);
  std::printf("\n");
  for (const auto& v : variants) {
    if (v.label.rfind("rampart", 0) != 0) continue;
    std::string arches = std::string(v.cfg->name).substr(0, std::string(v.cfg->name).find('/'));
    const Variant* tree = nullptr;
    for (const auto& d : variants)
      if (d.label == "direct  " + arches + "/tree") tree = &d;
    std::printf("%-22s", v.label.c_str());
    for (size_t i = 0; i < kCalls.size(); ++i) {
      if (v.prog.empty() || !tree || tree->prog.empty()) {
        std::printf(" | %27s", "-");
        continue;
      }
      double r = Median(v.calls[i].added), d = Median(tree->calls[i].added);
      if (d < 5.0 || r < 0) {
        std::printf(" | %14.1f vs %5.1f ns  ", r, d);  // too small to divide
      } else {
        std::printf(" | %26.2fx", r / d);
      }
    }
    std::printf("\n");
  }
  std::printf(
      "(a ratio only where the libseccomp tree adds >= 5 ns and rampart > 0; otherwise both added "
      "ns:\n"
      " the kernel's action cache lets allowed calls without argument checks skip the filter)\n");
  for (size_t k = 0; k + 1 < variants.size(); k += 2) {
    const Variant& r = variants[k];
    const Variant& d = variants[k + 1];
    if (!r.prog.empty() && r.prog.size() == d.prog.size() &&
        std::memcmp(r.prog.data(), d.prog.data(), r.prog.size() * sizeof(sock_filter)) == 0)
      std::printf(
          "note: %s is byte-identical to libseccomp direct: per-call differences between them are "
          "noise\n",
          r.label.c_str());
  }
  benchmark::Shutdown();
  return 0;
}
