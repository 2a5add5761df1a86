// Fuzzes ImportSeccompProfile with ForeignFormat::kDocker (Docker/OCI seccomp JSON) on
// arbitrary bytes. Properties beyond "no crash": an error is non-empty and
// names the input file; an import that succeeds writes a profile that
// ParseProfile takes and the resolver resolves (fuzz/fuzz_checks.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_checks.h"
#include "security/seccomp_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return rampart::fuzz::FuzzImport(rampart::security::ForeignFormat::kDocker, "fuzz.docker", data, size);
}
