// Other tools' seccomp formats: Docker/OCI seccomp JSON and LXC seccomp v2
// files, imported into rampart profiles and exported from resolved
// policies. Pure text → text; nothing here touches the kernel.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "security/policy.h"

namespace rampart::security {

enum class ForeignFormat { kDocker, kLxc };  // import: docker|oci, lxc
enum class ExportFormat { kOci, kLxc };

struct ImportOptions {
  std::string name = "imported";  // the `name:` of the profile written
  // Docker `includes`/`excludes` conditions are decided against these,
  // as Docker does at container start.
  std::vector<std::string> caps;  // "CAP_SYS_ADMIN"; empty = Docker's default set
  unsigned kernel_major = 6, kernel_minor = 1;  // for `minKernel`
};

// `text` in `format` → rampart profile YAML (security/profile_writer.h).
// `file` names the input in errors ("file: what was wrong", with the JSON
// path or line where there is one). The result must resolve and compile to
// the verdicts the foreign tool would give.
Result<std::string> ImportSeccompProfile(ForeignFormat format, std::string_view text, const std::string& file,
                                         const ImportOptions& options = {});

// A resolved policy → OCI seccomp JSON (linux.seccomp of config.json, as
// runc/crun/podman take it) or an LXC seccomp v2 file.
Result<std::string> ExportSeccompProfile(ExportFormat format, const Policy& policy);

}  // namespace rampart::security
