// YAML/JSON text → Profile (syntax and local validation; names of
// syscalls, groups and capabilities are checked by the resolver).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "security/profile.h"

namespace rampart::security {

// Errors are one line: "file:line:column: what was wrong".
Result<Profile> ParseProfile(std::string_view text, const std::string& file);

// Parses one argument condition: "arg0 != AF_VSOCK", "arg1 & 0xff == 3".
Result<ArgCondition> ParseCondition(std::string_view text);

}  // namespace rampart::security
