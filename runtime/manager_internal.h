// Helpers shared by the files that implement ContainerManager
// (container_manager.cc: lifecycle; container_checkpoint.cc: checkpoint,
// restore, export/import, migrate). Not for use outside runtime/.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/file_lock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "runtime/cgroups.h"
#include "runtime/container_manager.h"
#include "runtime/container_spec.h"
#include "runtime/paths.h"
#include "runtime/state_store.h"
#include "security/compiled_policy.h"

namespace rampart::runtime::detail {

// The container's lock (Paths::LockFile), retried if destroy replaced it.
Result<FileLock> LockContainer(const Paths& paths, const std::string& name);
// The root's cgroup parent name ("rampart" for the default root).
std::string CgroupParent(const Paths& paths);
Result<CgroupManager> Cgroups(const Paths& paths);
// The container's config merged over the defaults; kNotFound "no container named NAME".
Result<ContainerSpec> LoadSpec(const Paths& paths, const std::string& name);
// The policy frozen at create (compiled again if the copy is damaged).
Result<security::CompiledPolicy> FrozenPolicy(const Paths& paths, const std::string& name, const ContainerSpec& spec,
                                             Logger& log, PolicyMemo& memo);
std::vector<std::string> RemoveEmptyCgroupParents(const Paths& paths);
CgroupLimits LimitsOf(const ContainerSpec& spec);
// Processes of the container may exist (a created or stopped one has none).
bool IsActive(ContainerStatus s);
// A pidfd for `pid` only if it is still the process recorded (start time).
Result<UniqueFd> OpenVerifiedPidfd(int pid, uint64_t start_time);
// True if the process behind the pidfd exited within the timeout.
bool WaitPidfd(int fd, int timeout_ms);

// What a start (or restore) needs: spec, policy and a fresh cgroup.
struct Prepared {
  ContainerSpec spec;
  security::CompiledPolicy policy;
  Cgroup cgroup;
};
// `created`: the spec and policy this process just created the container
// with (the files on disk say the same), or null to read them. Refused
// (kExists) while the container runs.
Result<Prepared> Prepare(const Paths& paths, const StateStore& store, const std::string& name, Logger& log,
                         PolicyMemo& memo, const std::pair<ContainerSpec, security::CompiledPolicy>* created);

}  // namespace rampart::runtime::detail
