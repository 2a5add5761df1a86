// Container root file systems from templates:
//   busybox   a minimal rootfs around the host's static busybox (Debian's
//             busybox-static): the FHS skeleton, /bin/busybox, one symlink
//             per applet, /etc/{passwd,group,hostname,hosts,resolv.conf}.
//             Needs nothing from the network; builds in a few milliseconds.
//   dir:PATH  an existing rootfs, used in place (no copy).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace rampart::runtime {

// Where the busybox template takes busybox from, first match wins.
inline constexpr const char* kBusyboxCandidates[] = {"/bin/busybox", "/usr/bin/busybox"};

// Builds template `ref` into `rootfs_dir` (created 0755 if missing; must be
// empty if present). Only "busybox" builds anything; "dir:PATH" is only
// checked (use ResolveTemplate to learn the path). Unknown ref → kInvalid
// listing the known ones.
Status BuildTemplate(const std::string& ref, const std::string& rootfs_dir);

// What create calls: for "busybox" builds into `container_rootfs_dir` and
// returns it; for "dir:PATH" returns realpath(PATH) after checking it is a
// directory that looks like a root file system (bin/sh, usr/bin/sh or
// sbin/init present as an executable file or a symlink) and is not "/".
// `container_rootfs_dir` is then left untouched.
Result<std::string> ResolveTemplate(const std::string& ref,
                                    const std::string& container_rootfs_dir);

// Checks that `path` is a statically linked ELF executable: a valid ELF
// header and no PT_INTERP program header. Exposed for tests.
Status CheckStaticElf(const std::string& path);

}  // namespace rampart::runtime
