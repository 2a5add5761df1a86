#include "security/landlock.h"

namespace rampart::security {

using namespace landlock_fs;

uint64_t LandlockHandledRights(int abi) {
  if (abi < 1) return 0;
  uint64_t r = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile | kMakeChar |
               kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym;
  if (abi >= 2) r |= kRefer;
  if (abi >= 3) r |= kTruncate;
  return r;
}

uint64_t LandlockRights(uint8_t access, uint64_t handled) {
  uint64_t r = 0;
  if (access & kFsRead) r |= kReadFile | kReadDir;
  if (access & kFsWrite) r |= kWriteFile | kTruncate;
  if (access & kFsExec) r |= kExecute;
  if (access & kFsCreate)
    r |= kMakeReg | kMakeDir | kMakeSym | kMakeFifo | kMakeSock | kRemoveFile | kRemoveDir | kRefer;
  return r & handled;
}

uint64_t LandlockHandledNetRights(const Policy& p, int abi) {
  if (abi < 4 || !p.landlock.has_network) return 0;
  return (p.network.tcp_bind ? landlock_net::kBindTcp : 0) | (p.network.tcp_connect ? landlock_net::kConnectTcp : 0);
}

uint64_t LandlockFileRights() { return kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev; }

std::vector<std::string> LandlockRightNames(uint64_t rights) {
  static const char* kNames[] = {"execute",    "write_file",  "read_file", "read_dir",
                                 "remove_dir", "remove_file", "make_char", "make_dir",
                                 "make_reg",   "make_sock",   "make_fifo", "make_block",
                                 "make_sym",   "refer",       "truncate",  "ioctl_dev"};
  std::vector<std::string> out;
  for (int i = 0; i < 16; ++i)
    if (rights & (1ULL << i)) out.push_back(kNames[i]);
  return out;
}

namespace {

std::string At(const SourcePos& pos) { return pos.line > 0 ? " at " + pos.ToString() : ""; }

// AppArmor and SELinux: `required` needs the LSM on the host, in a state
// that enforces what rampart loads (AppArmor with mount mediation, SELinux
// enforcing); `if-available` applies it when it is there and notes why not
// otherwise.
Status CheckLsm(const Policy& p, EnforceMode mode, const SourcePos& pos, const char* key, const char* label,
                const std::string& missing, std::vector<std::string>& notes) {
  if (mode == EnforceMode::kOff || missing.empty()) return Ok();
  if (mode == EnforceMode::kRequired)
    return Error::Unsupported("profile " + p.name + " requires " + label + " (" + key + ".enforce: required" + At(pos) +
                              ") but " + missing);
  notes.push_back(std::string(key) + ": skipped, " + missing);
  return Ok();
}

}  // namespace

Result<std::vector<std::string>> CheckEnforcement(const Policy& p, const HostSecurity& host) {
  std::vector<std::string> notes;
  const LandlockPolicy& l = p.landlock;
  if (l.active()) {
    const std::string setting =
        "landlock: " + EnforceModeName(l.mode) +
        (l.min_abi ? ", min_abi " + std::to_string(l.min_abi) : "") +
        (l.mode_pos.line > 0 ? At(l.mode_pos) : " (the default with a filesystem section)");
    const bool none = host.landlock_abi < 1;
    const bool old = !none && host.landlock_abi < static_cast<int>(l.min_abi);
    if (l.mode == EnforceMode::kRequired && none)
      return Error::Unsupported("profile " + p.name + " requires Landlock (" + setting +
                                ") but this host's kernel has no Landlock" +
                                (host.landlock_why.empty() ? "" : " (" + host.landlock_why + ")"));
    if (l.mode == EnforceMode::kRequired && old)
      return Error::Unsupported(
          "profile " + p.name + " requires Landlock ABI " + std::to_string(l.min_abi) + " (" +
          setting + ") but this host's kernel has ABI " + std::to_string(host.landlock_abi));
    if (none)
      notes.push_back("landlock: skipped, host has no Landlock");
    else if (old)
      notes.push_back("landlock: degraded to ABI " + std::to_string(host.landlock_abi) +
                      " (the profile asks for " + std::to_string(l.min_abi) + ")");
  }
  if (l.has_network && l.mode != EnforceMode::kOff && host.landlock_abi >= 1 && host.landlock_abi < 4) {
    if (l.mode == EnforceMode::kRequired)
      return Error::Unsupported("profile " + p.name + " restricts TCP ports (network.tcp" + At(p.network.pos) +
                                ") with Landlock, which needs ABI 4, but this host's kernel has ABI " +
                                std::to_string(host.landlock_abi));
    notes.push_back("landlock: network.tcp skipped, host has Landlock ABI " + std::to_string(host.landlock_abi) +
                    " (TCP port rules need 4)");
  }
  std::string aa_missing = !host.apparmor ? "this host has no AppArmor (/sys/kernel/security/apparmor is missing)"
                           : !host.apparmor_mount
                               ? "this host's AppArmor has no mount mediation (/sys/kernel/security/apparmor/features/mount "
                                 "is missing), so the generated profile's mount rules would not hold"
                               : "";
  RAMPART_TRY(CheckLsm(p, p.apparmor.mode, p.apparmor.pos, "apparmor", "AppArmor", aa_missing, notes));
  std::string se_missing = !host.selinux ? "this host has no SELinux (/sys/fs/selinux/enforce is missing)"
                           : !host.selinux_enforcing ? "this host's SELinux is permissive (/sys/fs/selinux/enforce is 0)"
                                                     : "";
  RAMPART_TRY(CheckLsm(p, p.selinux.mode, p.selinux.pos, "selinux", "SELinux", se_missing, notes));
  return notes;
}

}  // namespace rampart::security
