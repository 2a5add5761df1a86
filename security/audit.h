// Audit: findings about a resolved policy, each with a stable id, a
// severity, a rationale and the place in the profile that causes it.
// (The full rule set, exposure score, baselines and SARIF come with the
// audit issue; these are the checks the default profile is held to now.)
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "security/policy.h"

namespace rampart::security {

enum class Severity { kInfo, kLow, kMedium, kHigh };
std::string SeverityName(Severity s);

struct Finding {
  std::string id;  // "RA001"
  Severity severity;
  std::string message;
  SourcePos pos;
};

std::vector<Finding> AuditPolicy(const Policy& policy);
nlohmann::json FindingsToJson(const std::vector<Finding>& findings);

}  // namespace rampart::security
