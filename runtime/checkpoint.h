// Checkpoint and restore of a running container with CRIU (docs/checkpointing.md).
//
// A checkpoint is ROOT/containers/NAME/checkpoints/CKPT/: meta.json (what
// rampart needs to rebuild the container around the images: its policy
// hash, network endpoints, the mounts CRIU must be told about, the payload's
// output pipe) and images/ (CRIU's files and its dump.log). meta.json is
// written last: a directory without it is an unfinished checkpoint.
//
// Dump: CRIU freezes the container's cgroup, dumps the process tree with its
// namespaces, established TCP connections and file locks; the container's
// network namespace is kept out of the image (`--external net[INODE]`: the
// veths belong to the host side) and so are the mounts rampart binds in
// from the host (devices, masked files, resolv.conf, user binds).
//
// Restore (in a fresh monitor): a new network namespace gets the same
// interfaces, addresses and MACs as before, their host ends kept down so
// that no traffic reaches it (a segment for a TCP connection that is not
// back yet would be answered with a reset), CRIU restores the tree into it as a child of the
// monitor (`--restore-sibling`) inside the container's cgroup, the hold is
// released, and the restored init is checked to still run under the
// container's seccomp filter, no_new_privs and capability bounding set.
//
// The parsing, the classification of mounts and meta.json are pure and
// unit-tested (tests/unit/checkpoint_test.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/network.h"
#include "runtime/cgroups.h"
#include "runtime/container_spec.h"
#include "runtime/criu.h"
#include "runtime/launcher.h"
#include "runtime/paths.h"
#include "security/compiled_policy.h"

namespace rampart::runtime {

inline constexpr int kCheckpointFormat = 1;
inline constexpr const char kCheckpointFormatName[] = "rampart-checkpoint";
// The key of the container's network namespace in CRIU's images.
inline constexpr const char kCriuNetKey[] = "rampart-netns";

// One line of /proc/PID/mountinfo (the fields rampart needs).
struct MountInfoEntry {
  int id = 0, parent = 0;
  std::string dev;         // "0:40"
  std::string root;        // root of the mount inside its file system: "/", "/null"
  std::string mountpoint;  // as seen by the reader
  std::string fstype;
};
// Lines that do not parse are an error naming the line number.
Result<std::vector<MountInfoEntry>> ParseMountInfo(std::string_view text);

// A mount CRIU cannot rebuild from the image and must be told about: on
// dump `--external mnt[MOUNTPOINT]:KEY`, on restore `--external
// mnt[KEY]:SOURCE`, SOURCE from the kind.
struct ExternalMount {
  std::string key;         // "m0", "m1", ...
  std::string mountpoint;  // inside the container: "/dev/null"
  // "device": the host's node of the same path (/dev/null); "masked": an
  // empty read-only file (a masked /proc file); "resolv": the first
  // network's resolv.conf; "bind": the container config's bind source.
  std::string kind;
  std::string source;  // "bind": the host path; "device": the host node; "masked": "file" or "dir"
  bool operator==(const ExternalMount&) const = default;
};

// The mounts of a container (its init's mountinfo) CRIU must be told about.
// `binds` are the container config's bind mounts (target → source). Every
// mount but the root is either rebuilt by CRIU (proc, sysfs, devpts, mqueue,
// cgroup, a tmpfs with its contents, a bind of another mount of the
// container) or classified here; anything else (a host file system mounted
// by other means) is an error naming the mount point.
// `masked` are the policy's masked paths: a mount there is "masked" whatever
// it is a bind of (a restored container's is a host file's).
Result<std::vector<ExternalMount>> ClassifyExternalMounts(
    const std::vector<MountInfoEntry>& mounts,
    const std::vector<std::pair<std::string, std::string>>& binds,
    const std::vector<std::string>& masked = {});

// A container's interface on one network, as it was at the checkpoint.
struct CheckpointEndpoint {
  std::string network, ifname, ip, mac;
  int vlan = 0;
  bool operator==(const CheckpointEndpoint&) const = default;
};

struct CheckpointMeta {
  int format = kCheckpointFormat;
  std::string name;       // the checkpoint's
  std::string container;  // the container's
  int64_t created_at = 0;
  std::string criu_version;
  std::string machine;      // uname -m of the host that dumped it
  std::string policy_hash;  // the container's compiled policy
  int root_pid = 0;         // the init's host pid at the dump
  bool has_netns = false;   // the container had its own network namespace
  std::string output_pipe;  // "pipe:[INODE]" of the payload's stdout/stderr, "" if none
  std::vector<ExternalMount> mounts;
  std::vector<CheckpointEndpoint> endpoints;
  bool leave_running = false;
  uint64_t image_bytes = 0;
  bool operator==(const CheckpointMeta&) const = default;
};

std::string CheckpointMetaToJson(const CheckpointMeta& meta);
// `where` names the file in errors; an unknown format or a missing field is
// kInvalid "FILE: not a rampart checkpoint (...)".
Result<CheckpointMeta> CheckpointMetaFromJson(std::string_view text, const std::string& where);

// The attachment entries (net/attachment.h) that bring every endpoint back
// with its address, MAC, interface name and VLAN: "net:ip=..,mac=..,name=..".
std::vector<std::string> PinnedNetworks(const std::vector<CheckpointEndpoint>& endpoints);

// The line of a failed CRIU run worth showing: the first "Error (file:line):
// MESSAGE" of its log, skipping known harmless ones (RLIMIT_NOFILE); else
// the last non-empty line (not with `errors_only`); "" for an empty log.
std::string CriuLogComplaint(std::string_view log, bool errors_only = false);

// CRIU's --cgroup-root values that put the restored tree into the
// container's cgroups (`ours`) and leave it in the caller's own cgroup
// (`self_cgroup`: /proc/self/cgroup) in every other hierarchy: one per line
// of `self_cgroup`, "CONTROLLER:/PATH" for v1, "/PATH" for the v2 tree.
std::vector<std::string> CriuCgroupRoots(const std::vector<Cgroup::Placement>& ours, std::string_view self_cgroup);

// Checkpoint names follow container names' rule.
Status ValidateCheckpointName(std::string_view name);

// Where a container's checkpoints live: ROOT/containers/NAME/checkpoints.
std::string CheckpointsDir(const Paths& paths, std::string_view container);

struct DumpRequest {
  CriuInfo criu;
  Paths paths;
  const ContainerSpec* spec = nullptr;
  const Cgroup* cgroup = nullptr;  // frozen by CRIU during the dump, thawed if it fails
  pid_t init_pid = -1;
  std::vector<std::string> masked_paths;  // the policy's
  std::string images_dir;  // created, empty
  std::string log_path;    // CRIU's log (kept outside the images: a failed dump's images go)
  bool leave_running = false;
  // Called about twice a second while CRIU runs, with the bytes written so far.
  std::function<void(uint64_t)> progress;
};

// Dumps the container; on success the returned meta lacks only the
// checkpoint's and container's names and the policy hash. On failure
// (CRIU's error, CRIU killed) the cgroup is thawed and the container keeps
// running; the error carries CRIU's complaint and names its log.
Result<CheckpointMeta> DumpContainer(const DumpRequest& req);

struct RestoreRequest {
  CriuInfo criu;
  Paths paths;
  const ContainerSpec* spec = nullptr;
  const security::CompiledPolicy* policy = nullptr;
  const Cgroup* cgroup = nullptr;
  std::string images_dir;
  CheckpointMeta meta;
  std::string resolv_conf;  // the first network's, for a "resolv" mount
  int output_fd = -1;       // the new write end of the payload's output pipe
};

struct RestoredInit {
  LaunchedInit init;
  std::vector<net::Endpoint> endpoints;
};

// Restores the container as a child of the calling process (the monitor).
// All or nothing: on failure no restored process, network namespace, veth
// or OVS port is left, and the error carries CRIU's complaint.
Result<RestoredInit> RestoreContainer(const RestoreRequest& req);

// The restored init still runs under `policy`: seccomp filter mode, NNP and
// the capability bounding set, from /proc/PID/status.
Status VerifyPolicyInForce(pid_t pid, const security::CompiledPolicy& policy);

}  // namespace rampart::runtime
