// Landlock as plain data: which filesystem rights an ABI version knows,
// what the profile's access words stand for, and whether a policy's
// required kernel security layers (Landlock, AppArmor, SELinux) can be had
// on a host whose facts are given. No syscalls here: runtime/ probes the
// host and applies the ruleset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "security/policy.h"

namespace rampart::security {

// The kernel's LANDLOCK_ACCESS_FS_* bits (UAPI values; the installed
// linux/landlock.h may predate some of them).
namespace landlock_fs {
constexpr uint64_t kExecute = 1ULL << 0;
constexpr uint64_t kWriteFile = 1ULL << 1;
constexpr uint64_t kReadFile = 1ULL << 2;
constexpr uint64_t kReadDir = 1ULL << 3;
constexpr uint64_t kRemoveDir = 1ULL << 4;
constexpr uint64_t kRemoveFile = 1ULL << 5;
constexpr uint64_t kMakeChar = 1ULL << 6;
constexpr uint64_t kMakeDir = 1ULL << 7;
constexpr uint64_t kMakeReg = 1ULL << 8;
constexpr uint64_t kMakeSock = 1ULL << 9;
constexpr uint64_t kMakeFifo = 1ULL << 10;
constexpr uint64_t kMakeBlock = 1ULL << 11;
constexpr uint64_t kMakeSym = 1ULL << 12;
constexpr uint64_t kRefer = 1ULL << 13;     // ABI 2
constexpr uint64_t kTruncate = 1ULL << 14;  // ABI 3
constexpr uint64_t kIoctlDev = 1ULL << 15;  // ABI 5: never handled (ttys keep working)
}  // namespace landlock_fs

// The filesystem rights rampart handles under this ABI (0 for abi < 1).
uint64_t LandlockHandledRights(int abi);
// The rights a set of FsAccess bits grants, limited to `handled`.
uint64_t LandlockRights(uint8_t access, uint64_t handled);
// The kernel's LANDLOCK_ACCESS_NET_* bits (ABI 4).
namespace landlock_net {
constexpr uint64_t kBindTcp = 1ULL << 0;
constexpr uint64_t kConnectTcp = 1ULL << 1;
}  // namespace landlock_net
// The network rights a policy has Landlock handle (0: none).
uint64_t LandlockHandledNetRights(const Policy& p, int abi);

// The rights that apply to a regular file (a rule on a file takes only these).
uint64_t LandlockFileRights();
// "read_file", "make_reg", ... in bit order.
std::vector<std::string> LandlockRightNames(uint64_t rights);

// What the host offers, probed by the runtime (or made up by tests).
struct HostSecurity {
  int landlock_abi = 0;      // 0: no Landlock
  std::string landlock_why;  // why there is none ("landlock_create_ruleset: ENOSYS")
  bool apparmor = false;        // /sys/kernel/security/apparmor exists
  bool apparmor_mount = false;  // .../apparmor/features/mount exists (mount rules are enforced)
  bool selinux = false;         // /sys/fs/selinux/enforce exists
  bool selinux_enforcing = false;  // ... and says 1
};

// Whether `policy` may start on `host`: an error (one line, naming the
// profile setting and its location) when a required layer is missing or
// cannot hold (AppArmor without mount mediation, permissive SELinux,
// Landlock below the ABI the rules need), otherwise notes on what is
// skipped or degraded ("apparmor: skipped, this host has no AppArmor ...").
Result<std::vector<std::string>> CheckEnforcement(const Policy& policy, const HostSecurity& host);

}  // namespace rampart::security
