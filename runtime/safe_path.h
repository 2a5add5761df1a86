// Path resolution inside a container root that cannot escape it.
//
// Every path that names something inside a rootfs goes through here (the
// "one audited fd-based resolver" of security-lessons.md, path TOCTOU row):
// lookups use openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from an fd on
// the root, so "..", absolute symlinks and relative symlinks are all clamped
// to the root, and /proc/self/fd-style magic links are refused. Callers then
// act on the returned fd (mount onto it with move_mount, mknodat/symlinkat
// relative to it), never on the path string again, so a component swapped
// for a symlink after the lookup (CVE-2021-30465) changes nothing.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace rampart::runtime {

// Lexically cleans a container path: collapses "//" and ".", resolves ".."
// (never above "/"), always absolute. "a/../../b/" → "/b". Pure; no syscalls.
std::string CleanContainerPath(std::string_view path);

// Opens `path` (container-absolute or relative; both start at the root)
// inside the tree rooted at `root_fd`. `flags` are open(2) flags (O_PATH,
// O_DIRECTORY, O_NOFOLLOW, O_RDONLY...); O_CLOEXEC is always added; O_CREAT
// and O_TMPFILE are refused (create with MkdirAllInRoot or *at calls on a
// parent fd). Symlinks are followed but stay inside the root; magic links
// are refused (ELOOP). Retries openat2's EAGAIN (concurrent rename) a few
// times. Errors: "open PATH in root: REASON".
Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags);

// Makes every missing directory of `path` inside the root (mode & ~umask,
// like mkdir -p) and returns an O_PATH|O_DIRECTORY fd on the last one.
// Each component is created with mkdirat on the fd of its (already resolved)
// parent and then re-resolved with OpenInRoot, so a symlinked component is
// followed only to places inside the root. A component that exists and is
// not a directory is refused: "mkdir PATH in root: COMPONENT is not a
// directory".
Result<UniqueFd> MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode);

// Opens an existing mount target as O_PATH without following a symlink in
// its last component (earlier components resolve as in OpenInRoot). Refuses
// a symlink with "PATH is a symlink: refusing to mount over it", and checks
// the type: want_dir → a directory ("PATH is not a directory"), otherwise a
// regular file or a character device ("PATH is not a regular file or
// character device"). Mount onto the result with
// move_mount(..., fd, "", MOVE_MOUNT_T_EMPTY_PATH).
Result<UniqueFd> OpenNoFollowTarget(int root_fd, std::string_view path, bool want_dir);

// Like OpenNoFollowTarget but accepts any type except a symlink (the caller
// fstat()s the fd to decide what to do, e.g. masking a file vs a directory).
Result<UniqueFd> OpenNoFollow(int root_fd, std::string_view path);

// Makes sure a mount target exists and opens it as OpenNoFollowTarget does:
// the parent directories are created with MkdirAllInRoot (mode 0755), the
// last component, if missing, as an empty directory (want_dir) or an empty
// regular file (O_CREAT|O_EXCL, so an existing symlink is never followed).
Result<UniqueFd> PrepareMountTarget(int root_fd, std::string_view path, bool want_dir);

}  // namespace rampart::runtime
