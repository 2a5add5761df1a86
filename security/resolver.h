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

// One file (or shipped profile) a resolution read, and how it was found:
// enough to tell later, without parsing anything, whether resolving the
// same reference again would read exactly the same texts.
struct ProfileSource {
  std::string ref;       // as written: a name or a path
  std::string base_dir;  // anchor of a relative `extends` path ("" for none)
  std::string found;     // the path it resolved to, or "embedded:NAME"
  std::string sha256;    // of the text read
};

// True if every source still resolves to the same place with the same
// content (search order, new files shadowing a shipped name, edits).
// Shipped profiles are compared by name only: their text is part of the
// binary, so a cache using this must also be keyed by the binary.
bool ProfileSourcesCurrent(const std::vector<ProfileSource>& sources, const std::vector<std::string>& search_dirs);

class ProfileLoader {
 public:
  // Profile names are looked up as DIR/NAME.yaml in `search_dirs` (in
  // order), then among the shipped profiles.
  static Result<ProfileLoader> Create(std::vector<std::string> search_dirs = {});

  // `ref`: a name ("default") or a path (contains '/' or ends in .yaml/.yml/.json).
  // With `sources`, every profile text read is recorded there.
  Result<Policy> Load(const std::string& ref, std::vector<ProfileSource>* sources = nullptr) const;
  // Resolves a profile given as text; `file` names it in errors and anchors
  // relative `extends` paths.
  Result<Policy> LoadText(std::string_view text, const std::string& file) const;

  const SyscallGroups& groups() const { return groups_; }

 private:
  Result<Policy> Resolve(LoadedProfile leaf, std::vector<ProfileSource>* sources) const;
  ProfileLoader(std::vector<std::string> dirs, SyscallGroups groups)
      : search_dirs_(std::move(dirs)), groups_(std::move(groups)) {}
  std::vector<std::string> search_dirs_;
  SyscallGroups groups_;
};

}  // namespace rampart::security
