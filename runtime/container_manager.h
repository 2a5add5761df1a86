// The container lifecycle behind the CLI verbs: create, start (detached with
// a monitor process, or in the foreground), stop, kill, freeze, list, info,
// attach, destroy and gc. All state lives under Paths (root and run dirs).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "runtime/container_spec.h"
#include "runtime/paths.h"
#include "runtime/state_store.h"
#include "security/compiled_policy.h"

namespace rampart::runtime {

struct CreateOptions {
  std::string name;
  std::string template_ref = "busybox";   // busybox | dir:PATH
  std::optional<std::string> profile;     // overrides the config's
  std::optional<std::string> config_file; // YAML container config
  std::vector<std::string> command;       // overrides the config's
  bool allow_dangerous = false;           // start profiles with high audit findings
  bool tty = false;                       // give the payload a fresh pty
  bool ephemeral = false;                 // run --rm: its config is not fsynced (it goes with the run)
  std::optional<std::vector<std::string>> networks;  // --net entries, override the config's
  std::vector<std::string> publish;                  // --publish entries, added to the config's
};

struct ContainerInfo {
  ContainerState state;        // status recomputed from the live process
  ContainerSpec spec;
  std::string error;           // set when the state or config could not be read
  int64_t uptime_seconds = 0;  // running containers
};

struct GcReport {
  std::vector<std::string> removed;  // what was removed, one line each
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
  const Paths& paths() const { return paths_; }

 private:
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
};

}  // namespace rampart::runtime
