// Syscall groups (@basic-io, @system-service, ...): systemd 252's
// SystemCallFilter= sets, shipped as policies/syscall-groups.yaml.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart::security {

class SyscallGroups {
 public:
  // Parses the group data; `file` names it in errors.
  static Result<SyscallGroups> Parse(std::string_view yaml_text, const std::string& file);
  // The shipped data (parsed once per call; cheap).
  static Result<SyscallGroups> Shipped();

  bool Has(std::string_view group) const;  // without the '@'
  // Every syscall name in the group, nested groups expanded.
  Result<std::set<std::string>> Expand(std::string_view group) const;
  std::vector<std::string> Names() const;
  const std::string& version() const { return version_; }

 private:
  std::string version_;
  std::map<std::string, std::vector<std::string>, std::less<>> groups_;
};

}  // namespace rampart::security
