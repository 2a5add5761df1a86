// Creates a container's init: clone3 into new namespaces, id maps and
// cgroup from the parent while the child waits, then in the child the
// DESIGN.md order: rootfs (mounts, pivot_root, /proc, /sys, /dev, masked and
// read-only paths) → hostname → loopback up → cwd → rlimits, capabilities,
// no_new_privs, seccomp last (runtime/policy_apply) → execve.
#pragma once

#include <sys/ioctl.h>
#include <sys/types.h>

#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "runtime/cgroups.h"
#include "runtime/container_spec.h"
#include "runtime/policy_apply.h"
#include "runtime/rootfs.h"
#include "runtime/lsm.h"
#include "security/compiled_policy.h"

namespace rampart::runtime {

struct LaunchRequest {
  const ContainerSpec* spec = nullptr;
  const security::CompiledPolicy* policy = nullptr;
  RootfsPlan rootfs;
  const Cgroup* cgroup = nullptr;  // joined before the child runs any container code
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // the payload's stdio
  // stdin becomes the container's own /dev/null (opened after pivot_root),
  // so that no descriptor of the payload points outside its mount namespace
  // (CRIU can dump it; stdin_fd is ignored).
  bool stdin_null_inside = false;
  // tty: the child opens a pty from the container's own devpts after
  // pivot_root, makes the slave its stdio and controlling terminal, and
  // hands the master back (LaunchedInit::pty_master); stdio fds are ignored.
  bool pty_inside = false;
  std::optional<winsize> pty_size;
  bool kill_on_parent_death = true;  // PR_SET_PDEATHSIG(SIGKILL): the container follows its monitor
  // Called in the parent once the child exists (its namespaces too), while
  // the child sets up its rootfs; the child execs nothing before this
  // returns, and a failure kills it. For network setup (the veth peer is
  // made directly in /proc/PID/ns/net).
  std::function<Status(pid_t pid)> join_networks;
  // Called in the parent right after the child is released, while it sets
  // up its rootfs and policy (it does not wait for this): bookkeeping that
  // the payload does not need, done in parallel (`run --rm` writes its
  // config and frozen policy here). A failure kills the child.
  std::function<Status()> meanwhile;
  const ExecLabels* labels = nullptr;  // AppArmor / SELinux labels set before the policy
  // Set: `policy learn --container`. Right after the policy (seccomp
  // included) the init installs the learning filter
  // (runtime/learn_supervisor.h) and reports its listener; the parent
  // copies it out with pidfd_getfd(2) and hands it to this callback, which
  // must start serving it: the init's exec waits for the answer.
  std::function<Status(UniqueFd listener)> learn;
  // A network namespace made ahead (runtime/netns_ahead.h), lo up: the
  // init joins it instead of creating one in clone3. Only with
  // spec->namespaces.net and without a user namespace.
  int netns_fd = -1;
};

struct LaunchedInit {
  pid_t pid = -1;        // in the caller's pid namespace
  UniqueFd pidfd;        // from CLONE_PIDFD
  uint64_t start_time = 0;
  UniqueFd pty_master;   // with pty_inside
};

// Errors: rampart's own setup failures ("rootfs: mount proc on /proc: ...");
// an exec failure comes back as ErrorKind::kNotFound (127) or kInvalid with
// errno EACCES/ENOEXEC (126) and the child is reaped.
Result<LaunchedInit> LaunchInit(const LaunchRequest& req);

// Joins the running container `init_pid` (all its namespaces, its cgroup,
// the same policy) and execs argv; returns the child to wait for.
struct AttachRequest {
  int init_pidfd = -1;
  pid_t init_pid = -1;
  const ContainerSpec* spec = nullptr;
  const security::CompiledPolicy* policy = nullptr;
  const Cgroup* cgroup = nullptr;
  std::vector<std::string> argv;
  int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2;
  const ExecLabels* labels = nullptr;
};
Result<pid_t> Attach(const AttachRequest& req);

}  // namespace rampart::runtime
