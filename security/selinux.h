// SELinux for containers: a CIL policy module with one process type and one
// file type per resolved profile, the process / mount labels a container runs
// with, and an offline compile check of the module (secilc against the
// installed selinux-policy-default store; no kernel SELinux needed).
//
// Permissions come from the same profile sections the other layers use:
//   capability / capability2  exactly the capability bounding set
//   file / dir / lnk_file     the union of the filesystem (Landlock) rules'
//                             read / write / exec / create bits on the
//                             container's own file type (SELinux is not
//                             path-based); no rules: full access to it
//   process                   fork, sigchld and signals within the type
// Never granted: mount / remount / unmount (filesystem class) or mounton.
#pragma once

#include <string>

#include "base/result.h"
#include "security/policy.h"

namespace rampart::security {

// "rampart_<name>_t": the name lowercased, every character outside [a-z0-9]
// becoming '_' ("web-server" → "rampart_web_server_t").
std::string SelinuxTypeName(const Policy& p);
// "rampart_<name>_file_t": the type of the container's files (mount label).
std::string SelinuxFileTypeName(const Policy& p);

// The CIL module text. Deterministic: the same policy gives the same bytes.
std::string GenerateSelinuxCil(const Policy& p);

struct SelinuxLabels {
  std::string process;  // "system_u:system_r:rampart_x_t:s0:c1,c2"
  std::string mount;    // "system_u:object_r:rampart_x_file_t:s0:c1,c2"
};
// `mcs_level` is used as given ("s0:c1,c2"); empty means "s0". A caller
// configured with "auto" passes McsLevelFor(container name). The process
// type is the generated one unless selinux.type names another (whose files
// are then container_file_t, the container-selinux convention);
// selinux.mount_label, when given, is the mount label as written.
SelinuxLabels ComputeSelinuxLabels(const Policy& p, const std::string& mcs_level);

// "s0:cA,cB" with 0 <= A < B <= 1023, derived from a stable 64-bit FNV-1a
// hash of the name (not std::hash): the same name always gets the same pair,
// different names almost always different pairs.
std::string McsLevelFor(const std::string& container_name);

// The policy module store ValidateSelinuxCil compiles against by default
// (filled by Debian's selinux-policy-default package).
inline constexpr const char* kSelinuxDefaultStore = "/var/lib/selinux/default/active/modules";

// Compiles `cil` together with every enabled module of `store` (the highest
// priority copy of each, bzip2-decompressed with bzcat) using secilc, with
// neverallow checks on. Error (kInvalid): one line with secilc's complaint.
// kUnsupported naming the package when secilc, bzcat or the store is missing.
Status ValidateSelinuxCil(const std::string& cil, const std::string& store = kSelinuxDefaultStore);

}  // namespace rampart::security
