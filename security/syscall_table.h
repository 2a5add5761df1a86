// Syscall names ↔ numbers per architecture, from libseccomp's tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/profile.h"

namespace rampart::security {

inline constexpr uint32_t kX32SyscallBit = 0x40000000;

uint32_t AuditArch(Arch arch);      // AUDIT_ARCH_X86_64 (x32 shares it), AUDIT_ARCH_I386
uint32_t LibseccompArch(Arch arch);  // SCMP_ARCH_*
bool Is32BitArgs(Arch arch);         // libseccomp compares only the low 32 bits (x86, x32)
const std::vector<Arch>& AllArches();

// The number of `name` on `arch` (x32 numbers include kX32SyscallBit), or
// nullopt when the syscall does not exist there.
std::optional<uint32_t> SyscallNumber(Arch arch, std::string_view name);
std::optional<std::string> SyscallName(Arch arch, uint32_t nr);
// True if the name exists on any architecture rampart filters.
bool IsKnownSyscall(std::string_view name);
// Upper bound (exclusive, without the x32 bit) for scanning every number.
uint32_t SyscallScanLimit();

}  // namespace rampart::security
