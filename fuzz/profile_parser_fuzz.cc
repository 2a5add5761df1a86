// Fuzzes ParseProfile on arbitrary bytes, then resolves what parses
// (ProfileLoader::LoadText: extends, groups, capabilities, Landlock rules).
// Properties beyond "no crash": every error is non-empty and names the
// file; a profile that parses resolves or returns an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_checks.h"
#include "security/profile_parser.h"
#include "security/resolver.h"

namespace {

const std::string kFile = "fuzz.yaml";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Created on the first call, before any parse: its cost is no input's.
  const security::ProfileLoader& loader = fuzz::Loader();

  auto profile = security::ParseProfile(text, kFile);
  if (!profile) {
    fuzz::CheckError(profile.error(), kFile, text);
    return 0;
  }
  // A path in `extends` would make the resolver open a host file.
  if (profile->extends && fuzz::ExtendsReadsFile(profile->extends->value)) return 0;

  auto policy = loader.LoadText(text, kFile);
  if (!policy) {
    // Errors from a shipped base are about that base: only the leaf's must name fuzz.yaml.
    if (policy.error().message().empty()) fuzz::Fail("empty resolver error", text);
    return 0;
  }
  if (policy->name != profile->name.value)
    fuzz::Fail("resolved name '" + policy->name + "' != parsed name", text);
  return 0;
}
