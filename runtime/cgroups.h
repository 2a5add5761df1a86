// Container cgroups on cgroup v1, hybrid (v1 controllers + a controller-less
// v2 hierarchy) and pure v2 hosts.
//
// CgroupManager is plain data describing the host's layout, computed from
// /proc/self/mountinfo and /proc/self/cgroup (FromText is the pure,
// unit-tested part). Every container cgroup lives BELOW the cgroup this
// process runs in, per hierarchy:
//
//   <mount>/<our own cgroup>/<parent_name>/<name>
//   e.g. /sys/fs/cgroup/memory/process_api/ID/rampart/web
//        /sys/fs/cgroup/pids/rampart/web
//
// Nothing above our own cgroup is ever written; the only directories written
// to are `<parent_name>` and the container directories below it, which
// rampart creates itself.
//
// Hierarchies used:
//   v1/hybrid  memory, pids, cpu (with cpuacct when co-mounted), freezer, and
//              on hybrid hosts the v2 hierarchy as well (core files only:
//              cgroup.kill for an atomic KillAll, cgroup.freeze as a fallback
//              when there is no v1 freezer; skipped when it cannot be written).
//              cpuset, blkio and devices are not used (a v1 cpuset child would
//              need cpuset.cpus/mems copied before it can hold a process).
//   v2         one directory; memory, pids and cpu are enabled in the
//              `<parent_name>` directory's cgroup.subtree_control (that
//              directory never holds processes: v2's no-internal-process rule).
//              They must already be enabled in our own cgroup's
//              subtree_control, which rampart does not touch.
//
// A limit whose controller is missing is an error (fail-closed). A missing
// freezer only makes Freeze/Thaw/Frozen return kUnsupported.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace rampart::runtime {

struct CgroupLimits {
  // v1 memory.limit_in_bytes, and memory.memsw.limit_in_bytes with the same
  // value when present (no escape into swap); v2 memory.max and
  // memory.swap.max 0 when present.
  std::optional<uint64_t> memory_bytes;
  // pids.max (>= 1).
  std::optional<uint64_t> pids_max;
  // Relative CPU weight 1..10000 (v2 cpu.weight, default 100); on v1
  // cpu.shares = weight * 1024 / 100 (at least 2).
  std::optional<uint64_t> cpu_weight;
  // CPU bandwidth in CPUs (0.5 = half a CPU): period 100000 us, quota
  // cpus * 100000 (at least 1000 us). v1 cpu.cfs_quota_us/cfs_period_us,
  // v2 cpu.max "QUOTA 100000".
  std::optional<double> cpus;
};

enum class CgroupMode { kV1, kHybrid, kV2 };

// What a hierarchy directory is used for (one directory may serve several:
// on v2 every role is the same directory).
struct CgroupHierarchy {
  std::vector<std::string> controllers;  // e.g. {"cpu", "cpuacct"}; {} for the v2 tree
  bool v2 = false;                       // a cgroup2 mount
  std::string mount_point;               // e.g. /sys/fs/cgroup/memory
  std::string own_dir;                   // our own cgroup there, e.g. .../memory/process_api/ID
};

class Cgroup;

class CgroupManager {
 public:
  // Reads /proc/self/mountinfo and /proc/self/cgroup. `parent_name` is the
  // directory created under our own cgroup in every hierarchy.
  static Result<CgroupManager> Detect(std::string parent_name = "rampart");
  // Pure: builds the layout from the text of /proc/self/mountinfo and
  // /proc/self/cgroup.
  static Result<CgroupManager> FromText(std::string_view mountinfo, std::string_view self_cgroup,
                                        std::string parent_name);

  CgroupMode mode() const { return mode_; }
  const std::string& parent_name() const { return parent_name_; }
  // The hierarchies rampart uses on this host, in a fixed order
  // (memory, pids, cpu, freezer, v2).
  const std::vector<CgroupHierarchy>& hierarchies() const { return hierarchies_; }
  // Whether a v1 controller is available ("memory", "pids", "cpu",
  // "freezer"). On v2 this is only known at Create time (from the
  // cgroup.controllers of the parent directory), so it returns true for
  // memory/pids/cpu/freezer there.
  bool HasController(std::string_view controller) const;

  // The directories a container named `name` gets (no syscalls). kInvalid
  // for a name that is not a plain identifier ([A-Za-z0-9_-][A-Za-z0-9_.-]*,
  // at most 128 characters).
  Result<std::vector<std::string>> PathsFor(const std::string& name) const;

  // Creates the container's cgroup in every hierarchy and applies `limits`.
  // A leftover directory without processes is removed and made afresh (so
  // no stale limit survives); one with processes is a kExists error naming
  // it. Everything this call made is removed again on failure (the shared
  // `parent_name` directories stay).
  Result<Cgroup> Create(const std::string& name, const CgroupLimits& limits) const;
  // Opens an existing container cgroup (kNotFound when no hierarchy has it).
  // A partial leftover opens with the directories that exist.
  Result<Cgroup> Open(const std::string& name) const;
  // Names of the container cgroups under our parent in any hierarchy,
  // sorted (for gc).
  Result<std::vector<std::string>> List() const;

 private:
  CgroupManager() = default;

  CgroupMode mode_ = CgroupMode::kV2;
  std::string parent_name_;
  std::vector<CgroupHierarchy> hierarchies_;
};

class Cgroup {
 public:
  // Moves `pid` (a whole process) into the container's cgroup in every
  // hierarchy (cgroup.procs).
  Status AddProcess(pid_t pid) const;
  // O_PATH|O_DIRECTORY fd of the v2 directory, for clone3 CLONE_INTO_CGROUP.
  // kUnsupported unless the host is pure v2 (on hybrid hosts the v1
  // hierarchies would not follow).
  Result<UniqueFd> OpenV2Dir() const;

  // v1: freezer.state FROZEN, then waits (about 2 s at most) until it reads
  // FROZEN; v2 (or hybrid without a v1 freezer): cgroup.freeze 1, waits for
  // "frozen 1" in cgroup.events. kUnsupported without either.
  Status Freeze() const;
  Status Thaw() const;
  Result<bool> Frozen() const;

  // Processes in the container's cgroup and in cgroups nested below it, from
  // the pids hierarchy (else memory, else any other), sorted.
  Result<std::vector<pid_t>> Pids() const;
  // Sends `sig` to every process. For SIGKILL: cgroup.kill when a v2
  // directory has it, then (or otherwise) freeze / kill every pid / thaw,
  // repeated until every hierarchy is empty (about 5 s at most). Other
  // signals are sent once, the cgroup frozen meanwhile so no process can fork
  // past it. Refuses to signal our own process.
  Status KillAll(int sig = SIGKILL) const;
  // KillAll, then removes every directory (nested ones first), retrying
  // EBUSY briefly. Idempotent: directories already gone are fine.
  Status Destroy() const;

  struct Stats {
    uint64_t memory_current = 0;  // bytes; 0 without a memory controller
    uint64_t pids_current = 0;    // pids.current, else the number of Pids()
  };
  Result<Stats> ReadStats() const;

  // The directory the freezer acts on: v1 freezer, else the v2 one ("" if neither).
  std::string FreezerPath() const { return !freezer_dir_.empty() ? freezer_dir_ : v2_dir_; }
  // Where the container's cgroup sits in each hierarchy, relative to the
  // hierarchy's mount point ("/rampart/web"), e.g. for CRIU's --cgroup-root.
  struct Placement {
    std::vector<std::string> controllers;  // {} for the v2 tree
    bool v2 = false;
    std::string relative;
  };
  const std::vector<Placement>& Placements() const { return placements_; }
  const std::string& name() const { return name_; }
  // Every directory of this container (deduplicated), for tests and `info`.
  std::vector<std::string> Paths() const { return dirs_; }

 private:
  friend class CgroupManager;
  Cgroup() = default;

  // Waits until `dir` (and its nested cgroups) in every hierarchy is empty.
  Result<bool> WaitEmpty(int timeout_ms) const;
  Status SetFrozen(bool frozen) const;

  std::string name_;
  CgroupMode mode_ = CgroupMode::kV2;
  std::vector<std::string> dirs_;  // every directory, deduplicated
  std::vector<Placement> placements_;
  std::string memory_dir_;         // "" when the controller is absent
  std::string pids_dir_;
  std::string cpu_dir_;
  std::string freezer_dir_;  // v1 freezer
  std::string v2_dir_;       // the v2 directory (pure v2, or hybrid's tracking tree)
};

}  // namespace rampart::runtime
