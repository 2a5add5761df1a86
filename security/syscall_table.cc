#include "security/syscall_table.h"

#include <linux/audit.h>
#include <seccomp.h>

#include <cstdlib>
#include <map>

namespace rampart::security {

uint32_t AuditArch(Arch arch) {
  return arch == Arch::kX86 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
}

uint32_t LibseccompArch(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return SCMP_ARCH_X86_64;
    case Arch::kX86: return SCMP_ARCH_X86;
    case Arch::kX32: return SCMP_ARCH_X32;
  }
  return SCMP_ARCH_X86_64;
}

bool Is32BitArgs(Arch arch) { return arch != Arch::kX86_64; }

const std::vector<Arch>& AllArches() {
  static const std::vector<Arch> kAll = {Arch::kX86_64, Arch::kX86, Arch::kX32};
  return kAll;
}

namespace {

// name → number per architecture, built once from libseccomp's number →
// name direction: for x86 libseccomp resolves socket-family names to
// multiplexer pseudo numbers, although the direct syscalls exist.
const std::map<std::string, uint32_t, std::less<>>& Table(Arch arch) {
  static const auto kTables = [] {
    std::map<Arch, std::map<std::string, uint32_t, std::less<>>> t;
    for (Arch a : AllArches()) {
      const uint32_t base = a == Arch::kX32 ? kX32SyscallBit : 0;
      for (uint32_t n = 0; n < SyscallScanLimit(); ++n) {
        char* name = seccomp_syscall_resolve_num_arch(LibseccompArch(a), static_cast<int>(base | n));
        if (!name) continue;
        t[a].emplace(name, base | n);
        free(name);
      }
    }
    return t;
  }();
  return kTables.at(arch);
}

}  // namespace

std::optional<uint32_t> SyscallNumber(Arch arch, std::string_view name) {
  const auto& t = Table(arch);
  auto it = t.find(name);
  if (it == t.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> SyscallName(Arch arch, uint32_t nr) {
  if (nr > 0x7fffffff) return std::nullopt;
  char* name = seccomp_syscall_resolve_num_arch(LibseccompArch(arch), static_cast<int>(nr));
  if (!name) return std::nullopt;
  std::string out(name);
  free(name);
  return out;
}

bool IsKnownSyscall(std::string_view name) {
  for (Arch a : AllArches())
    if (SyscallNumber(a, name)) return true;
  return false;
}

uint32_t SyscallScanLimit() { return 1024; }

}  // namespace rampart::security
