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

// AppArmor and SELinux: rampart does not generate their policy yet, so a
// required one is refused everywhere, with the reason that applies.
Status CheckLsm(const Policy& p, const LsmRequirement& req, const char* key, const char* label,
                bool present, const char* probe, std::vector<std::string>& notes) {
  if (req.mode == EnforceMode::kOff) return Ok();
  const std::string missing =
      std::string("this host has no ") + label + " (" + probe + " is missing)";
  const std::string no_gen = std::string("rampart cannot generate ") + label + " policy yet";
  if (req.mode == EnforceMode::kRequired)
    return Error::Unsupported("profile " + p.name + " requires " + label + " (" + key +
                              ".enforce: required" + At(req.pos) + ") but " +
                              (present ? no_gen : missing));
  notes.push_back(std::string(key) + ": skipped, " +
                  (present ? no_gen : std::string("host has no ") + label));
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
  RAMPART_TRY(CheckLsm(p, p.apparmor, "apparmor", "AppArmor", host.apparmor,
                       "/sys/kernel/security/apparmor", notes));
  RAMPART_TRY(
      CheckLsm(p, p.selinux, "selinux", "SELinux", host.selinux, "/sys/fs/selinux/enforce", notes));
  return notes;
}

}  // namespace rampart::security
