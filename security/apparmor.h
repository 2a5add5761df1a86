// AppArmor profile text generated from a resolved policy (the Policy IR).
//
// The profile is a second, independent layer next to seccomp, capabilities
// and Landlock: it denies mount/umount/pivot_root, writes to /proc/sys and
// the policy's read-only paths, all access to the masked paths, confines
// ptrace and signals to the container's own profile, and allows exactly the
// capabilities of the bounding set. File access is limited to the policy's
// filesystem rules when it has any, otherwise every file is allowed (the
// other layers restrict). Network rules follow network.families (all families
// without it).
//
// Generation is pure and deterministic (same Policy, same text). Validation
// runs `apparmor_parser -Q -K`, which compiles a profile without a kernel.
#pragma once

#include <string>

#include "base/result.h"
#include "security/policy.h"

namespace rampart::security {

// The name rampart loads a policy's profile under:
// "rampart-<policy name>-<first 12 hex digits of hash>". Characters of the
// policy name outside [A-Za-z0-9._-] become '_'; non-hex characters of
// `hash` are skipped (so a "sha256:" prefix does not matter). With no hex
// digit in `hash` the suffix is omitted: "rampart-<policy name>".
std::string AppArmorProfileName(const Policy& p, const std::string& hash);

// The profile text: a comment header naming the source profile, then
// `abi <abi/3.0>,`, `include <tunables/global>` and
// `profile NAME flags=(attach_disconnected,mediate_deleted) { ... }`.
// `name` should come from AppArmorProfileName.
std::string GenerateAppArmorProfile(const Policy& p, const std::string& name);

// Compiles `text` with `apparmor_parser -Q -K` (no kernel load, no cache).
// Errors: kUnsupported "apparmor_parser not installed (apt-get install
// apparmor)" when the parser is missing; kInvalid with the parser's
// complaint on one line when it rejects the text.
// `parser` overrides the search (tests: a path that does not exist).
Status ValidateAppArmorProfile(const std::string& text, const std::string& parser = "");

// Where apparmor_parser is (PATH, then /usr/sbin and /sbin); "" when missing.
std::string FindAppArmorParser();

}  // namespace rampart::security
