#include "security/filter_verify.h"

#include <linux/audit.h>

#include <algorithm>

#include "security/bpf_interpreter.h"
#include "security/seccomp_compiler.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

std::string Describe(const seccomp_data& d) {
  std::string s = "arch 0x";
  char buf[16];
  snprintf(buf, sizeof buf, "%x", d.arch);
  s += buf;
  s += " nr " + std::to_string(static_cast<uint32_t>(d.nr)) + " args (";
  for (int i = 0; i < 6; ++i) s += std::to_string(d.args[i]) + (i < 5 ? ", " : ")");
  return s;
}

class Differ {
 public:
  Differ(const SeccompPolicy& p, const std::vector<sock_filter>& insns) : p_(p), insns_(insns) {}

  void Check(const seccomp_data& d) {
    ++report.checked;
    auto got = RunBpf(insns_, d);
    Action want = p_.Evaluate(d);
    if (got && *got == want.ToSeccompRet()) return;
    ++report.mismatched;
    if (report.first_mismatches.size() < 5) {
      std::string g = !got ? got.error().message()
                           : (Action::FromSeccompRet(*got) ? Action::FromSeccompRet(*got)->ToString() : std::to_string(*got));
      auto name = SyscallName(d.arch == AuditArch(Arch::kX86) ? Arch::kX86
                                  : (static_cast<uint32_t>(d.nr) & kX32SyscallBit) ? Arch::kX32 : Arch::kX86_64,
                              static_cast<uint32_t>(d.nr));
      report.first_mismatches.push_back(name.value_or("?") + " " + Describe(d) + ": program gives " + g +
                                        ", policy intends " + want.ToString());
    }
  }

  // The argument vectors worth trying for one syscall.
  void CheckArgs(seccomp_data d, const SyscallPolicy& sp) {
    std::vector<unsigned> indexes;
    for (const auto& conj : sp.any_of)
      for (const auto& c : conj)
        if (std::find(indexes.begin(), indexes.end(), c.index) == indexes.end()) indexes.push_back(c.index);
    const auto values = BoundaryValues(sp);
    Check(d);  // all arguments zero
    for (unsigned i : indexes)
      for (uint64_t v : values) {
        seccomp_data e = d;
        e.args[i] = v;
        Check(e);
      }
    // Combinations across the tested arguments (deterministic).
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (int r = 0; r < 200 && indexes.size() > 1; ++r) {
      seccomp_data e = d;
      for (unsigned i : indexes) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        e.args[i] = values[(state >> 33) % values.size()];
      }
      Check(e);
    }
  }

  VerifyReport report;

 private:
  const SeccompPolicy& p_;
  const std::vector<sock_filter>& insns_;
};

}  // namespace

std::vector<uint64_t> BoundaryValues(const SyscallPolicy& sp) {
  std::vector<uint64_t> v = {0, 1, 0xffffffffULL, ~0ULL, 0x100000000ULL};
  for (const auto& conj : sp.any_of)
    for (const auto& c : conj)
      for (uint64_t base : std::initializer_list<uint64_t>{c.value, c.value | c.mask, c.value & c.mask}) {
        for (uint64_t x : std::initializer_list<uint64_t>{base, base - 1, base + 1, base | 0x100000000ULL, base ^ 0x8000000000000000ULL}) v.push_back(x);
        for (int b = 0; b < 64; b += 5) v.push_back(base ^ (1ULL << b));
      }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

VerifyReport DiffProgram(const SeccompPolicy& p, const std::vector<sock_filter>& insns, bool every_syscall) {
  Differ differ(p, insns);
  for (Arch arch : AllArches()) {
    const bool filtered = std::find(p.arches.begin(), p.arches.end(), arch) != p.arches.end();
    if (!filtered && !every_syscall) continue;
    auto base = [&](uint32_t nr) {
      seccomp_data d{};
      d.arch = AuditArch(arch);
      d.nr = static_cast<int>(arch == Arch::kX32 ? (nr | kX32SyscallBit) : nr);
      return d;
    };
    if (every_syscall) {
      for (uint32_t n = 0; n < SyscallScanLimit(); ++n) differ.Check(base(n));
    }
    for (const auto& [name, sp] : p.syscalls) {
      auto nr = SyscallNumber(arch, name);
      if (!nr) continue;
      seccomp_data d = base(*nr & ~kX32SyscallBit);
      if (sp.conditional()) {
        differ.CheckArgs(d, sp);
      } else if (arch == Arch::kX86 && IsX86Multiplexer(name)) {
        for (uint64_t call = 0; call < 64; ++call) {
          d.args[0] = call;
          differ.Check(d);
        }
      }
    }
  }
  if (every_syscall) {
    for (uint32_t arch : std::initializer_list<uint32_t>{AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_PPC64LE, 0u}) {
      seccomp_data d{};
      d.arch = arch;
      differ.Check(d);
    }
  }
  return differ.report;
}

}  // namespace rampart::security
