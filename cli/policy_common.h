// Helpers the `rampart policy ...` verbs share (defined in cmd_policy.cc).
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"
#include "security/policy.h"

namespace rampart::cli {

// Where profiles are looked up before the shipped ones, as containers look
// them up: ROOT/policies and CONF/policies (RAMPART_CONF_DIR, else
// /etc/rampart).
std::vector<std::string> ProfileDirs(const Context& ctx);
Result<security::Policy> LoadPolicy(const Context& ctx, const std::string& ref);
Result<std::string> OnePositional(const ParsedArgs& a, const std::string& what);

}  // namespace rampart::cli
