// Fuzzes ImportSeccompProfile with ForeignFormat::kDocker (Docker/OCI seccomp JSON) on
// arbitrary bytes. Properties beyond "no crash": an error is non-empty and
// names the input file; an import that succeeds writes a profile that
// ParseProfile takes and the resolver resolves (fuzz/fuzz_checks.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_checks.h"
#include "security/seccomp_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  static const std::string kFile = "fuzz.docker";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::Loader();  // built once, outside the first input's time

  auto yaml = security::ImportSeccompProfile(security::ForeignFormat::kDocker, text, kFile);
  if (!yaml) {
    fuzz::CheckError(yaml.error(), kFile, text);
    return 0;
  }
  fuzz::CheckImported(*yaml);
  return 0;
}
