// Loads profiles (shipped names or paths), follows `extends` and resolves
// the result into the Policy IR.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "security/policy.h"
#include "security/syscall_groups.h"

namespace rampart::security {

struct LoadedProfile {
  Profile profile;
  std::string identity;  // realpath or "embedded:NAME", for cycle detection
};

class ProfileLoader {
 public:
  // Profile names are looked up as DIR/NAME.yaml in `search_dirs` (in
  // order), then among the shipped profiles.
  static Result<ProfileLoader> Create(std::vector<std::string> search_dirs = {});

  // `ref`: a name ("default") or a path (contains '/' or ends in .yaml/.yml/.json).
  Result<Policy> Load(const std::string& ref) const;
  // Resolves a profile given as text; `file` names it in errors and anchors
  // relative `extends` paths.
  Result<Policy> LoadText(std::string_view text, const std::string& file) const;

  const SyscallGroups& groups() const { return groups_; }

 private:
  Result<Policy> Resolve(LoadedProfile leaf) const;
  ProfileLoader(std::vector<std::string> dirs, SyscallGroups groups)
      : search_dirs_(std::move(dirs)), groups_(std::move(groups)) {}
  std::vector<std::string> search_dirs_;
  SyscallGroups groups_;
};

}  // namespace rampart::security
