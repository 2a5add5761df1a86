#include "security/capabilities.h"

#include <sys/capability.h>

#include <algorithm>
#include <cctype>

namespace rampart::security {

int LastCapability() { return CAP_LAST_CAP; }

uint64_t AllCapabilitiesMask() {
  return LastCapability() >= 63 ? ~0ULL : ((1ULL << (LastCapability() + 1)) - 1);
}

Result<int> ParseCapability(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!lower.starts_with("cap_")) lower = "cap_" + lower;
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) != 0 || v < 0 || v > LastCapability())
    return Error::Invalid("unknown capability '" + std::string(name) + "' (expected e.g. NET_BIND_SERVICE or CAP_CHOWN)");
  return static_cast<int>(v);
}

std::string CapabilityName(int cap) {
  char* n = cap_to_name(cap);
  std::string out = n ? n : std::to_string(cap);
  cap_free(n);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::vector<std::string> CapabilityNames(uint64_t mask) {
  std::vector<std::string> out;
  for (int c = 0; c <= LastCapability(); ++c)
    if (mask & (1ULL << c)) out.push_back(CapabilityName(c));
  return out;
}

}  // namespace rampart::security
