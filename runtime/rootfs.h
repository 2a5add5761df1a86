// Builds a container's filesystem view inside its new mount namespace:
// private propagation, the rootfs as a mount, /proc, /sys, /dev, user binds,
// pivot_root, masked and read-only paths (DESIGN.md, process model).
//
// Every mount inside the rootfs is fd-based: the target is resolved with
// runtime/safe_path (openat2 RESOLVE_IN_ROOT, last component never a symlink)
// and the new mount API attaches onto that fd (fsopen/fsmount/open_tree →
// move_mount MOVE_MOUNT_T_EMPTY_PATH; mount_setattr for read-only), so no
// path string inside the rootfs is ever handed to mount(2) and a symlink
// swapped in later cannot redirect a mount (CVE-2021-30465, CVE-2023-28642).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace rampart::runtime {

struct BindMount {
  std::string source;  // host path (resolved on the host, symlinks followed)
  std::string
      target;  // container path (resolved inside the root, last component must not be a symlink)
  bool readonly = false;  // recursive read-only, applied before the mount becomes visible
  // "bind" (source: a host path) or "tmpfs" (a fresh one; `options` are
  // tmpfs options such as size=16M, mode=0755; always nosuid, nodev).
  std::string type = "bind";
  std::vector<std::string> options;
};

struct RootfsPlan {
  std::string rootfs;            // host path of the root directory
  int rootfs_fd = -1;            // if set: an O_PATH fd of it, opened on the host (used instead of the path)
  bool readonly_root = false;    // remount / read-only as the last step
  std::vector<BindMount> binds;  // after /proc, /sys, /dev; in order
  // From the profile. Files get an empty read-only file of a private tmpfs
  // bound over them (reads nothing, writes fail with EROFS; the container's
  // /dev/null, verified char 1:3, only as a fallback), directories an empty
  // read-only tmpfs; missing paths are skipped; a symlink is refused.
  std::vector<std::string> masked_paths;
  // Bound onto themselves and made read-only (recursively); missing paths
  // are skipped. /proc/{sys,sysrq-trigger,irq,bus,fs} are always added.
  std::vector<std::string> readonly_paths;
  // Inside a user namespace /sys falls back to a read-only recursive bind
  // of the host's /sys when sysfs cannot be mounted (no network namespace
  // owned by the user namespace).
  bool user_namespace = false;
  // The caller made a new cgroup namespace: /sys/fs/cgroup gets a read-only
  // cgroup2 mount (the namespace's root, nothing of the host above it; v2 has
  // no release_agent). Otherwise, or if that mount fails, /sys/fs/cgroup is
  // covered by an empty read-only tmpfs. Never a writable cgroupfs.
  bool new_cgroup_ns = true;
  // The caller made a new IPC namespace: /dev/mqueue gets an mqueue mount.
  // Without one it would show the host's queues, so it is left out.
  bool new_ipc_ns = false;
  // SELinux mount label (hosts with SELinux): context= on /dev, /dev/pts,
  // /dev/shm and every tmpfs the container gets. Empty: none.
  std::string mount_label;
};

// Runs INSIDE the container's new mount namespace (the caller already did
// unshare/clone with CLONE_NEWNS and, if requested, is in the new user and
// pid namespaces, as root of them). Steps, in order:
//  1. make / rprivate so nothing propagates to or from the host;
//  2. bind the rootfs onto itself (recursive, nodev) so it is a mount point;
//  3. /proc (new procfs, nosuid/nodev/noexec; checked PROC_SUPER_MAGIC),
//     /sys (sysfs ro nosuid/nodev/noexec, see user_namespace) and
//     /sys/fs/cgroup (see new_cgroup_ns),
//     /dev (tmpfs 0755 nosuid nodev; null zero full random urandom tty as
//     binds of the host's nodes, each verified to be the right char device;
//     /dev/pts devpts ptmxmode=0666,mode=0620[,gid=5]; /dev/ptmx → pts/ptmx;
//     /dev/shm tmpfs 1777; /dev/mqueue; fd, stdin, stdout, stderr links);
//     targets that are symlinks are refused;
//  4. the binds (nodev, nosuid) and tmpfs mounts;
//  5. pivot_root(".", ".") then detach the old root (made rslave first);
//  6. masked paths, 7. read-only paths, 8. read-only root; chdir("/").
// Errors name the step and path: "mount proc on /proc: ...",
// "/proc is a symlink: refusing to mount over it". On error the mount
// namespace is left half-built; the caller is expected to exit.
Status SetupRootfs(const RootfsPlan& plan);

}  // namespace rampart::runtime
