// The on-disk record of containers: root/containers/NAME/ (claimed by
// mkdir, so a name is taken atomically; or, for a container whose directory
// is in the run dir, a symlink to run/NAME/container/, claimed by symlink)
// and run/NAME/state.json (the runtime state, rewritten atomically). Callers that read-modify-write a
// state hold the container's lock (Paths::LockFile) around it; StateStore
// itself takes no locks, so it never deadlocks against its caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/paths.h"

namespace rampart::runtime {

// Where a container's directory lives (Paths::ContainerDir).
enum class ContainerDirPlace {
  kRoot,    // root/containers/NAME/: what lasts (config, rootfs, logs, checkpoints)
  kRunDir,  // run/NAME/container/ (tmpfs), linked from root/containers/NAME
};

enum class ContainerStatus { kCreated, kStarting, kRunning, kFrozen, kStopped, kUnknown };

// "created", "starting", "running", "frozen", "stopped", "unknown".
std::string StatusName(ContainerStatus status);
// The inverse; kInvalid for any other word.
Result<ContainerStatus> ParseStatusName(std::string_view name);

struct ContainerState {
  std::string name;
  ContainerStatus status = ContainerStatus::kCreated;
  int init_pid = 0;
  uint64_t init_start_time = 0;  // /proc/PID/stat field 22 (clock ticks since boot)
  int monitor_pid = 0;
  uint64_t monitor_start_time = 0;
  int64_t created_at = 0, started_at = 0, finished_at = 0;  // unix seconds
  std::optional<int> exit_code;
  std::optional<int> exit_signal;
  std::string profile, policy_hash;
  std::vector<std::string> cgroup_paths;
  std::string ip;
  // "log": detached without a terminal (stdout/stderr a pipe to the
  // monitor, stdin the container's /dev/null): what checkpoint needs.
  // "terminal" (tty), "inherited" (foreground run).
  std::string stdio;
  std::string checkpoint;     // the checkpoint this stop was made by ("" otherwise)
  std::string restored_from;  // the checkpoint this run was restored from
  // Security layers the profile asks for "if-available" that this host
  // could not give at start ("apparmor: skipped, host has no AppArmor").
  std::vector<std::string> security_notes;
  bool operator==(const ContainerState&) const = default;
};

class StateStore {
 public:
  explicit StateStore(Paths paths) : paths_(std::move(paths)) {}

  // Atomically claims NAME: creates root and root/containers if needed
  // (0700), then mkdir(ContainerDir, 0700); for kRunDir, symlink(
  // RunDirContainerDir, ContainerDir) and then mkdir of the link's target
  // (a directory left there by an interrupted removal is removed first).
  // An existing container fails with ErrorKind::kExists "container NAME
  // already exists"; of any number of concurrent claims (of either place)
  // exactly one wins. Validates the name first.
  Status Claim(const std::string& name, ContainerDirPlace place = ContainerDirPlace::kRoot) const;

  // Writes run/NAME/state.json atomically (temp + fsync + rename, 0600),
  // creating run/ and run/NAME/ (0700) as needed.
  Status WriteState(const ContainerState& state) const;

  // The recorded state. No state file: a container that was never started
  // (status kCreated) if ContainerDir exists, else kNotFound "container NAME
  // does not exist" (or, for a link whose run-dir directory is gone, e.g.
  // after a reboot, kNotFound naming it and `rampart gc`). Unparsable:
  // kInvalid "corrupt state file PATH: ...".
  Result<ContainerState> ReadState(const std::string& name) const;

  // ContainerDir(NAME) is there: a directory, or a link (a container in the
  // run dir), dangling or not (its target is made after the link, and goes
  // with a reboot). What a name being taken means.
  bool Exists(const std::string& name) const;

  // Directories and symlinks (containers in the run dir, ContainerDirPlace)
  // under root/containers (dotfiles skipped), sorted. A missing
  // containers directory is an empty list. Never reads state files, so a
  // corrupt one cannot hide the others.
  Result<std::vector<std::string>> ListNames() const;

  // rm -rf ContainerDir (a link: only the link) and RunDir without
  // following symlinks and without
  // crossing mount points: if anything is still mounted at or below either
  // directory (per /proc/self/mountinfo, or a different st_dev met on the
  // walk) nothing further is removed and the error names the mount point.
  // Missing directories are fine. The lock file is left in place (unlinking
  // a lock file others may wait on breaks the lock).
  Status Remove(const std::string& name) const;

  // For a RunDir whose container does not exist (no ContainerDir entry, not
  // even a dangling link): removes its state file, control socket, a
  // run-dir container directory (RunDirContainerDir, left by a removal cut
  // short) and the directory itself if that empties it. Returns what was
  // removed; anything else in it is left alone. kInvalid if the container
  // exists.
  Result<std::vector<std::string>> RemoveOrphanRunDir(const std::string& name) const;

  // Field 22 (starttime) of /proc/PID/stat, parsed after the last ')' so a
  // comm with spaces or parentheses cannot shift the fields. kNotFound for a
  // pid that does not exist.
  static Result<uint64_t> ProcessStartTime(int pid);

  // The live status: kCreated and kStopped are kept as recorded; otherwise
  // running/frozen/starting only if init_pid exists, is not a zombie, and its
  // start time equals init_start_time (a reused pid is never mistaken);
  // otherwise kStopped. kStarting with no init_pid yet stays kStarting while
  // the monitor (monitor_pid + monitor_start_time) is alive. kUnknown with a
  // live init reads as kRunning.
  ContainerStatus LiveStatus(const ContainerState& state) const;

  const Paths& paths() const { return paths_; }

 private:
  Paths paths_;
};

// The error for a container whose directory cannot be reached: kNotFound
// `not_found`, or, if ContainerDir(NAME) is a dangling link (a run-dir
// container whose run dir is gone, e.g. after a reboot), kNotFound saying so
// and that `rampart gc` removes it.
Error MissingContainerError(const Paths& paths, const std::string& name, std::string not_found);

// JSON form of a state (what state.json holds), exposed for `info --json`.
std::string StateToJson(const ContainerState& state);
Result<ContainerState> StateFromJson(std::string_view text);

}  // namespace rampart::runtime
