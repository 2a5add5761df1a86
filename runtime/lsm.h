// AppArmor and SELinux on hosts that have them: the generated AppArmor
// profile loaded into the kernel and the generated SELinux module installed
// (in the monitor, before the container is launched), the exec labels set
// in the container's init before Landlock and seccomp, and a check after
// exec that the payload really runs under them.
//
// Not exercised on the development machine (no AppArmor or SELinux in its
// kernel): there CheckEnforcement refuses `required` and notes
// `if-available` before any of this runs, and PrepareLsm returns no labels.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "security/compiled_policy.h"
#include "security/landlock.h"

namespace rampart::runtime {

struct ExecLabels {
  std::string apparmor;       // profile name for "exec NAME" ("" = none)
  std::string selinux;        // process context for /proc/self/attr/exec ("" = none)
  std::string selinux_mount;  // the mount label: context= on the container's tmpfs/devpts mounts
  bool empty() const { return apparmor.empty() && selinux.empty(); }
};

// What the container named `name` runs under on `host`. Loads the
// generated AppArmor profile (apparmor_parser -r, text kept in
// `work_dir`/apparmor) and installs the generated SELinux module (semodule
// -i, skipped when the same module text is already installed) when the
// policy asks for them (enforce not off) and the host has the LSM; checks
// that a named AppArmor profile is loaded. Errors name the step.
Result<ExecLabels> PrepareLsm(const security::CompiledPolicy& policy, const std::string& name,
                              const security::HostSecurity& host, const std::string& work_dir);

// In the container's init, before Landlock and seccomp: the labels the next
// execve switches to (/proc/self/attr/apparmor/exec or /proc/self/attr/exec).
Status SetExecLabels(const ExecLabels& labels);

// After the payload's exec: /proc/PID/attr/current must show the labels.
Status VerifyExecLabels(const ExecLabels& labels, pid_t pid);

}  // namespace rampart::runtime
