#include "security/embedded.h"

#include <utility>

namespace rampart::security {

extern const std::pair<std::string_view, std::string_view> kEmbeddedPolicies[];
extern const int kEmbeddedPolicyCount;

std::optional<std::string_view> EmbeddedPolicy(std::string_view name) {
  for (int i = 0; i < kEmbeddedPolicyCount; ++i)
    if (kEmbeddedPolicies[i].first == name) return kEmbeddedPolicies[i].second;
  return std::nullopt;
}

std::vector<std::string> EmbeddedProfileNames() {
  std::vector<std::string> names;
  for (int i = 0; i < kEmbeddedPolicyCount; ++i)
    if (kEmbeddedPolicies[i].first != kGroupsDataName)
      names.emplace_back(kEmbeddedPolicies[i].first);
  return names;
}

}  // namespace rampart::security
