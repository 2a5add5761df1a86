// /proc/PID/mountinfo, read without copying: split into lines and fields as
// views of the text (a host can have hundreds of mounts, and the cgroup
// layout and the mount check before a removal read them at every start).
// One place for the format, used by the cgroup layout, the state store and
// checkpoints.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::runtime {

// The lines of `text` (split on '\n'; a trailing newline adds no line), as
// views into it.
std::vector<std::string_view> MountInfoLines(std::string_view text);

// One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] -
// FSTYPE SOURCE SUPER_OPTIONS", fields separated by spaces. Root and mount
// point are still escaped (UnescapeMountField).
struct MountInfoLine {
  std::string_view id, parent, dev, root, mountpoint;
  bool has_separator = false;  // a "-" at the seventh field or later
  size_t after_separator = 0;  // how many fields follow it
  std::string_view fstype, source, super_options;  // "" where missing
};

// std::nullopt for a line of fewer than five fields.
std::optional<MountInfoLine> SplitMountInfoLine(std::string_view line);

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountField(std::string_view s);

}  // namespace rampart::runtime
