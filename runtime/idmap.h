// User-namespace id maps: /etc/subuid parsing, the uid_map file format,
// container→host id translation, and shifting a rootfs's ownership into
// the host range a user-namespaced container runs as.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart::runtime {

// container ids [container_start, container_start+count) are host ids
// [host_start, host_start+count).
struct IdMapRange {
  uint32_t container_start = 0, host_start = 0, count = 0;
  bool operator==(const IdMapRange&) const = default;
};

// The ranges /etc/subuid (or /etc/subgid) grants `user`: lines
// "name:start:count" whose name is `user` or, when given, the decimal `uid`.
// Blank lines and '#' comments are skipped. The ranges come back in file
// order as one usable map: the first starts at container id 0 and each next
// one continues where the previous ended. No match → empty vector. A
// malformed line → kInvalid "subid line N: ...".
Result<std::vector<IdMapRange>> SubidRanges(std::string_view file_text, std::string_view user,
                                            std::optional<uint32_t> uid = std::nullopt);

// Parses "container:host:count" (the `idmap` config syntax). Rejects a zero
// count and ranges that run past 4294967294.
Result<IdMapRange> ParseIdMapRange(std::string_view text);
// The inverse: "0:100000:65536".
std::string IdMapRangeString(const IdMapRange& r);

// Checks a whole map: every count > 0, no range past 4294967294 on either
// side, and neither the container ranges nor the host ranges overlap.
// `what` names the map in the message ("idmap.uid").
Status ValidateIdMap(const std::vector<IdMapRange>& map, const std::string& what);

// The /proc/PID/uid_map format: one "container host count\n" line per range.
std::string FormatIdMap(const std::vector<IdMapRange>& map);

// The host id that `container_id` maps to; kNotFound "container id N is not
// mapped" when no range covers it.
Result<uint32_t> MapToHost(const std::vector<IdMapRange>& map, uint32_t container_id);

// Re-owns every entry under (and including) `dir` from container id X to
// host id MapToHost(X), for uids and gids. Walks with openat/fstatat
// (AT_SYMLINK_NOFOLLOW): never follows a symlink (symlinks themselves are
// re-owned, their targets untouched), never crosses into another mount
// (entries on a different st_dev are skipped, not descended into). Files
// with several hard links are shifted once. chown clears setuid/setgid, so
// the mode is re-applied afterwards (not for symlinks). An id outside the
// map fails with kInvalid naming the file; entries shifted before the
// failure stay shifted (the caller discards the rootfs). Not idempotent: a
// shifted tree normally has ids outside the map and fails a second run.
Status ShiftOwnership(const std::string& dir, const std::vector<IdMapRange>& uid_map,
                      const std::vector<IdMapRange>& gid_map);

}  // namespace rampart::runtime
