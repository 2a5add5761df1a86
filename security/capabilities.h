// Capability names ↔ numbers (libcap's names, CAP_ prefix optional).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart::security {

Result<int> ParseCapability(std::string_view name);
std::string CapabilityName(int cap);  // "CAP_NET_ADMIN"
int LastCapability();                 // highest capability number this libcap knows
uint64_t AllCapabilitiesMask();
std::vector<std::string> CapabilityNames(uint64_t mask);

}  // namespace rampart::security
