// The container lifecycle behind the CLI verbs: create, start (detached with
// a monitor process, or in the foreground), stop, kill, freeze, list, info,
// attach, destroy and gc. All state lives under Paths (root and run dirs).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "runtime/checkpoint.h"
#include "runtime/container_spec.h"
#include "runtime/monitor.h"
#include "runtime/netns_ahead.h"
#include "runtime/paths.h"
#include "runtime/state_store.h"
#include "security/compiled_policy.h"

namespace rampart::runtime {
namespace detail {
struct Prepared;
}

struct CreateOptions {
  std::string name;
  std::string template_ref = "busybox";   // busybox | dir:PATH
  std::optional<std::string> profile;     // overrides the config's
  std::optional<std::string> config_file; // YAML container config
  std::vector<std::string> command;       // overrides the config's
  bool allow_dangerous = false;           // start profiles with high audit findings
  bool tty = false;                       // give the payload a fresh pty
  bool init = false;                      // run it under a small init (pid 1)
  bool ephemeral = false;                 // run --rm: its config is not fsynced (it goes with the run)
  bool foreground = false;                // run without -d: RunForeground comes next, in this process
  std::optional<std::vector<std::string>> networks;  // --net entries, override the config's
  std::vector<std::string> publish;                  // --publish entries, added to the config's
};

struct ContainerInfo {
  ContainerState state;        // status recomputed from the live process
  ContainerSpec spec;
  std::string error;           // set when the state or config could not be read
  int64_t uptime_seconds = 0;  // running containers
};

struct CheckpointOptions {
  std::string name;         // "" = ckpt-YYYYMMDD-HHMMSS (UTC)
  bool leave_running = false;
  std::string export_path;  // also write FILE.tar.zst (container config, policy, rootfs, images)
  bool progress = false;    // show the bytes dumped so far on stderr
};

struct RestoreOptions {
  std::string from;         // checkpoint name; "" = the newest
  std::string import_path;  // restore from an exported archive (creating the container if needed)
};

// Where `migrate` sends a container: another rampart state root, with its
// own run dir, seen from another network namespace (on one machine: a
// second test host; between machines see docs/checkpointing.md).
struct MigrateOptions {
  std::string to_root;
  std::string to_run;    // "" = the target's default (RAMPART_RUN as inherited)
  std::string to_netns;  // "" = this one; else a netns file (/run/netns/NAME)
};

struct CheckpointListing {
  std::string name;
  std::string dir;
  std::optional<CheckpointMeta> meta;
  std::string error;  // set when meta.json could not be read
};

struct GcReport {
  std::vector<std::string> removed;  // what was removed, one line each
};

// What `policy learn --container` recorded, and the policy the container
// ran under (its frozen one: the learned profile's baseline).
struct LearnCapture {
  security::LearnObservations observations;
  security::Policy baseline;
  int wait_status = 0;  // the init's, once it has ended
};

// Compiled profiles by (profile, allow_dangerous), for one command's life.
using PolicyMemo = std::map<std::pair<std::string, bool>, security::CompiledPolicy>;

class ContainerManager {
 public:
  ContainerManager(Paths paths, Logger& log) : paths_(std::move(paths)), store_(paths_), log_(log) {}

  Status Create(const CreateOptions& options);
  // Detached: returns once the payload runs (or why it could not start).
  Status Start(const std::string& name);
  // Foreground: the calling process is the monitor; stdio is passed through
  // and the payload's exit code (128+N for signal N) is returned.
  Result<int> RunForeground(const std::string& name);
  // For a foreground start coming next in this process (`run`): makes the
  // container's network namespace on a thread meanwhile
  // (runtime/netns_ahead.h). Not before a detached start: its monitor is
  // forked, which no thread of ours may be running across.
  void MakeNetnsAhead();
  // RunForeground with the init also under the learning filter
  // (`policy learn --container`); `capture` is filled once it has ended.
  Result<int> LearnForeground(const std::string& name, LearnCapture* capture);
  Status Stop(const std::string& name, int timeout_seconds);
  Status Kill(const std::string& name, int sig);
  Status Freeze(const std::string& name);
  Status Unfreeze(const std::string& name);
  Result<std::vector<ContainerInfo>> List() const;
  Result<ContainerInfo> Info(const std::string& name) const;
  // Returns the attached command's exit code.
  Result<int> Attach(const std::string& name, const std::vector<std::string>& argv);
  Status Destroy(const std::string& name, bool force);
  // Connects the terminal on in_fd/out_fd to a running tty container's
  // console (detach with Ctrl-a q). Returns true if the user detached.
  Result<bool> Console(const std::string& name, int in_fd, int out_fd);
  Result<GcReport> Gc();

  // container_checkpoint.cc. Returns what was written.
  Result<CheckpointMeta> Checkpoint(const std::string& name, const CheckpointOptions& options);
  Result<std::vector<CheckpointListing>> ListCheckpoints(const std::string& name) const;
  Status RemoveCheckpoint(const std::string& name, const std::string& checkpoint);
  // Returns the checkpoint restored from.
  Result<std::string> Restore(const std::string& name, const RestoreOptions& options);
  Status Export(const std::string& name, const std::string& checkpoint, const std::string& file);
  // Unpacks an export into this root: a new container (config, policy,
  // rootfs) or a stopped one with the same policy; returns the checkpoint.
  Result<std::string> Import(const std::string& name, const std::string& file);
  Status Migrate(const std::string& name, const MigrateOptions& options);
  const Paths& paths() const { return paths_; }

 private:
  // gc: unfinished checkpoints of crashed dumps, unpacked imports of crashed restores.
  void GcCheckpoints(const std::vector<std::string>& names, GcReport& report);
  Result<std::string> RestoreFrom(const std::string& name, std::string from);
  // Forks the daemonized monitor; returns once the payload runs (or was restored).
  Status StartMonitor(const std::string& name, detail::Prepared prepared,
                      std::optional<MonitorSetup::Restore> restore);

  Paths paths_;
  StateStore store_;
  Logger& log_;
  PolicyMemo policy_memo_;
  // What this manager just created (`run` = create + start in one process):
  // start uses it instead of reading the files back.
  std::map<std::string, std::pair<ContainerSpec, security::CompiledPolicy>> created_;
  const std::pair<ContainerSpec, security::CompiledPolicy>* Created(const std::string& name) const {
    auto it = created_.find(name);
    return it == created_.end() ? nullptr : &it->second;
  }
  // Created with `ephemeral` (run --rm), config and frozen policy not yet
  // on disk: Persist writes them (start does it first; a foreground run
  // while the init sets itself up).
  std::set<std::string> unpersisted_;
  std::unique_ptr<NetnsAhead> netns_ahead_;  // MakeNetnsAhead
  Status Persist(const std::string& name);
};

}  // namespace rampart::runtime
