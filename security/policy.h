// Policy IR: a profile with `extends` resolved, groups expanded and every
// syscall's fate decided. Plain data; compiling it needs no privileges.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "security/profile.h"

namespace rampart::security {

// What the profile says about one syscall name.
struct SyscallPolicy {
  // Unconditional: this action, whatever the arguments.
  // Conditional (any_of non-empty): `action` when any condition set matches
  // (the conditions inside one set are ANDed), otherwise the seccomp default.
  Action action;
  std::vector<std::vector<ArgCondition>> any_of;
  SourcePos origin;  // where the deciding statement is
  std::string comment;

  bool conditional() const { return !any_of.empty(); }
  bool operator==(const SyscallPolicy& o) const {
    return action == o.action && any_of == o.any_of;
  }
};

enum class Optimize : uint8_t { kAuto, kLinear, kTree };

struct SeccompPolicy {
  Action default_action = Action::Errno(1);   // known to the profile, not allowed
  Action unknown_action = Action::Errno(38);  // not mentioned by the profile
  std::vector<Arch> arches;                   // sorted, unique; others are killed
  std::map<std::string, SyscallPolicy> syscalls;
  Optimize optimize = Optimize::kAuto;
  SourcePos default_pos, unknown_pos, arches_pos;

  // The action this policy intends for one call, computed from the IR alone
  // (the oracle the compiled BPF is checked against).
  Action Evaluate(const seccomp_data& data) const;
};

struct CapabilityPolicy {
  uint64_t bounding = 0;  // bit N = capability N; also permitted/effective
  uint64_t ambient = 0;
  uint64_t inheritable = 0;  // ambient plus dangerous_inheritable
  static std::string MaskToNames(uint64_t mask);  // "CAP_CHOWN,CAP_KILL"
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string name;
  uint64_t soft = 0, hard = 0;  // RLIM_INFINITY (= UINT64_MAX) for unlimited
};

// One Landlock path rule: `access` (FsAccess bits) at and below `path`.
struct FsRule {
  std::string path;
  uint8_t access = 0;
  SourcePos pos;
  bool operator==(const FsRule& o) const { return path == o.path && access == o.access; }
};

struct LandlockPolicy {
  bool has_filesystem = false;  // a `filesystem` section exists: build a ruleset
  bool has_network = false;     // network.tcp restricts ports: handle TCP bind/connect (ABI 4)
  EnforceMode mode = EnforceMode::kRequired;
  uint32_t min_abi = 0;
  SourcePos mode_pos;
  std::vector<FsRule> rules;  // sorted by path, one per path
  bool active() const { return (has_filesystem || has_network) && mode != EnforceMode::kOff; }
};

// The `network` section: which socket families the payload may create
// (enforced by seccomp on socket(2), and by AppArmor/SELinux where the host
// has them) and which TCP ports it may bind and connect to (Landlock).
struct NetworkPolicy {
  bool restricts_families = false;
  uint8_t families = kNetAllFamilies;       // NetFamily bits
  std::map<uint8_t, SourcePos> family_pos;  // where each allowed family is listed
  SourcePos pos;                            // of the section (or its families list)
  std::optional<std::vector<uint16_t>> tcp_bind, tcp_connect;  // nullopt: any port
  SourcePos tcp_bind_pos, tcp_connect_pos;
  bool restricts_tcp() const { return tcp_bind.has_value() || tcp_connect.has_value(); }
};

// The `apparmor` section (mode kOff when not given).
struct AppArmorPolicy {
  EnforceMode mode = EnforceMode::kOff;
  SourcePos pos;                      // of `enforce`
  std::string profile = "generate";   // "generate", "unconfined" or an existing profile's name
  SourcePos profile_pos;
  bool generated() const { return profile == "generate"; }
  bool unconfined() const { return profile == "unconfined"; }
};

// The `selinux` section (mode kOff when not given).
struct SelinuxPolicy {
  EnforceMode mode = EnforceMode::kOff;
  SourcePos pos;                    // of `enforce`
  std::string type = "generate";    // "generate" (rampart_<name>_t) or an existing type
  std::string level = "auto";       // "auto" (per-container categories) or a fixed level
  std::string mount_label;          // "" = system_u:object_r:<file type>:<level>
  SourcePos type_pos, level_pos;
  bool generated() const { return type == "generate"; }
};

struct Policy {
  std::string name;
  std::string description;
  std::vector<std::string> chain;  // profile files, base first, this one last
  SeccompPolicy seccomp;
  CapabilityPolicy caps;
  bool no_new_privileges = true;
  SourcePos no_new_privileges_pos;
  std::vector<Rlimit> rlimits;  // sorted by name
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  bool readonly_root = false;           // filesystem.readonly_root
  std::vector<std::string> tmpfs_paths;  // filesystem.tmpfs, in order
  LandlockPolicy landlock;
  NetworkPolicy network;
  AppArmorPolicy apparmor;
  SelinuxPolicy selinux;
};

}  // namespace rampart::security
