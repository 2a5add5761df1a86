// Helpers the `rampart policy ...` verbs share (defined in cmd_policy.cc).
#pragma once

#include <string>

#include "cli/command.h"
#include "security/policy.h"

namespace rampart::cli {

// Profiles are looked up in ROOT/policies and /etc/rampart/policies before
// the shipped ones.
Result<security::Policy> LoadPolicy(const Context& ctx, const std::string& ref);
Result<std::string> OnePositional(const ParsedArgs& a, const std::string& what);

}  // namespace rampart::cli
