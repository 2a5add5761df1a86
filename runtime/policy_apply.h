// Applies a CompiledPolicy to the calling process: rlimits → capabilities
// → no_new_privs → Landlock (it needs no_new_privs: DESIGN.md puts it
// before) → fds marked close-on-exec → seccomp (last). The caller execs right after. This is the
// enforcement path `rampart policy run` uses and container init will use.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "security/compiled_policy.h"
#include "security/landlock.h"

namespace rampart::runtime {

// Refuses what this path cannot honour (e.g. notify rules with no supervisor).
Status CheckApplicable(const security::CompiledPolicy& policy);

// The kernel security layers this host offers: the Landlock ABI
// (landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION), AppArmor
// (/sys/kernel/security/apparmor) and SELinux (/sys/fs/selinux/enforce),
// detected once per process.
security::HostSecurity DetectHostSecurity();

// The user the payload runs as (switched after the bounding set is dropped).
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// Runs in the process that will exec the payload; async-signal-safe apart
// from error formatting. Every fd >= 3 becomes close-on-exec.
Status ApplyPolicy(const security::CompiledPolicy& policy, const std::optional<Identity>& identity);

struct RunResult {
  int wait_status = 0;  // valid when exec_errno == 0
  int exec_errno = 0;   // execvp failed in the child with this errno
};

// Forks, applies the policy in the child and execs argv (PATH searched).
// Errors are rampart's own (setup failed); the payload's fate is in RunResult.
Result<RunResult> RunUnderPolicy(const security::CompiledPolicy& policy, const std::vector<std::string>& argv);

}  // namespace rampart::runtime
