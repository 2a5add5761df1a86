// The shipped profiles and group data, embedded at build time (policies/).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::security {

// Text of policies/NAME.yaml, if shipped.
std::optional<std::string_view> EmbeddedPolicy(std::string_view name);
// Names of the shipped profiles (excludes the group data file).
std::vector<std::string> EmbeddedProfileNames();

inline constexpr std::string_view kGroupsDataName = "syscall-groups";

}  // namespace rampart::security
