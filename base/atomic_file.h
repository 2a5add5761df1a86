// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>
#include <string_view>

#include "base/result.h"

namespace rampart {

// Replaces `path` with `data` so that readers (and a crash) see either the old
// content or the new one, never a mix: writes a temporary file in the same
// directory, fsyncs it, renames it over `path`, then fsyncs the directory.
// The temporary file is removed if any step fails.
// kVolatile skips the fsyncs: readers still see the old or the new content,
// never a mix, but a crash may lose the write. For state under /run, which
// does not survive a reboot anyway.
enum class Durability { kDurable, kVolatile };
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                       Durability durability = Durability::kDurable);

// For user-named outputs (`-o FILE`): an existing device, FIFO or socket
// (/dev/null, /dev/stdout) is opened and written in place; anything else goes
// through WriteFileAtomic. WriteFileAtomic itself refuses to replace anything
// but a regular file or a symlink.
bool IsSpecialFile(const std::string& path);
Status WriteFileOrDevice(const std::string& path, std::string_view data, mode_t mode = 0644);

// Reads the whole file at `path`.
Result<std::string> ReadFile(const std::string& path);

// Names in the directory open as `dfd` (not "." and ".."), read through a
// duplicate so `dfd` stays usable; `path` names it in errors.
Result<std::vector<std::string>> ListDirectory(int dfd, const std::string& path);

// mkdir -p: creates `path` and its missing parents with `mode`; existing
// directories are left as they are.
Status MakeDirs(const std::string& path, mode_t mode);

}  // namespace rampart
