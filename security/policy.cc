#include "security/policy.h"

#include <algorithm>

#include "security/arg_algebra.h"
#include "security/syscall_table.h"

namespace rampart::security {

Action SeccompPolicy::Evaluate(const seccomp_data& d) const {
  auto has = [&](Arch a) { return std::find(arches.begin(), arches.end(), a) != arches.end(); };
  std::optional<Arch> arch;
  uint32_t nr = static_cast<uint32_t>(d.nr);
  if (d.arch == AuditArch(Arch::kX86)) {
    if (has(Arch::kX86)) arch = Arch::kX86;
  } else if (d.arch == AuditArch(Arch::kX86_64)) {
    // x32 shares the x86_64 audit arch and marks its numbers with bit 30.
    if (nr & kX32SyscallBit) {
      if (has(Arch::kX32)) arch = Arch::kX32;
    } else if (has(Arch::kX86_64)) {
      arch = Arch::kX86_64;
    }
  }
  if (!arch) return Action::KillProcess();
  auto name = SyscallName(*arch, nr);
  if (!name) return unknown_action;
  auto it = syscalls.find(*name);
  if (it == syscalls.end()) return unknown_action;
  const SyscallPolicy& sp = it->second;
  if (!sp.conditional()) return sp.action;
  const uint64_t* args = reinterpret_cast<const uint64_t*>(d.args);
  for (const auto& conj : sp.any_of)
    if (ConjunctionHolds(conj, args, ArgWidths::For(*arch, *name))) return sp.action;
  return default_action;
}

}  // namespace rampart::security
