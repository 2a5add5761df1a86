// Resolving a profile parses YAML (several ms for the shipped default); the
// result depends only on the texts it read and on this rampart binary. This
// cache keeps, per profile reference, the compiled program, the audit
// verdict and the list of sources read (security::ProfileSource), under
// ROOT/cache/resolved/KEY.{json,bpf}. An entry is used only if every source
// still resolves to the same file with the same content and the binary is
// the same one that wrote it; anything else (or any damage) is a miss and
// the profile is resolved again. Entries are plain cache: never fsynced,
// safe to delete.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/paths.h"
#include "security/compiled_policy.h"
#include "security/resolver.h"

namespace rampart::runtime {

struct ResolvedPolicy {
  security::CompiledPolicy compiled;
  int high_findings = 0;       // audit findings of high severity
  std::string first_high;      // "file:line: message [ID]" of the first one
};

std::optional<ResolvedPolicy> LookupResolvedPolicy(const Paths& paths, const std::string& ref,
                                                   const std::vector<std::string>& search_dirs);

// Best effort: a failure to store is returned but is never fatal to callers.
Status StoreResolvedPolicy(const Paths& paths, const std::string& ref, const std::vector<std::string>& search_dirs,
                           const std::vector<security::ProfileSource>& sources, const ResolvedPolicy& resolved);

}  // namespace rampart::runtime
