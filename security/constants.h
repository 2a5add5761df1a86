// Named constants usable in argument conditions ("arg0 != AF_VSOCK").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace rampart::security {

std::optional<uint64_t> LookupConstant(std::string_view name);

// "AF_INET", "0x10", "42", "CLONE_NEWNS|CLONE_NEWPID" → value.
Result<uint64_t> ParseValueExpr(std::string_view text);

}  // namespace rampart::security
