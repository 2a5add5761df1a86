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

// x86 only: libseccomp resolves the socket-family and SysV IPC names to
// multiplexer pseudo numbers although the direct syscalls exist, so those
// few are found through the number → name direction, once.
const std::map<std::string, uint32_t, std::less<>>& X86DirectTable() {
  static const auto kTable = [] {
    std::map<std::string, uint32_t, std::less<>> t;
    for (uint32_t n = 0; n < SyscallScanLimit(); ++n) {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, static_cast<int>(n));
      if (!name) continue;
      t.emplace(name, n);
      free(name);
    }
    return t;
  }();
  return kTable;
}

}  // namespace

std::optional<uint32_t> SyscallNumber(Arch arch, std::string_view name) {
  int nr = seccomp_syscall_resolve_name_arch(LibseccompArch(arch), std::string(name).c_str());
  if (nr >= 0) return static_cast<uint32_t>(nr);
  if (arch != Arch::kX86 || nr == __NR_SCMP_ERROR) return std::nullopt;
  const auto& t = X86DirectTable();  // a multiplexed name: is there a direct syscall?
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
