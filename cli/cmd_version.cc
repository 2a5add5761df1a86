#include <seccomp.h>

#include "cli/command.h"

#ifndef RAMPART_VERSION
#define RAMPART_VERSION "0.0.0"
#endif

namespace rampart::cli {

std::vector<Command> VersionCommands() {
  Command version;
  version.name = "version";
  version.summary = "show rampart's version and the libraries it was built with";
  version.run = [](Context& ctx, const ParsedArgs&) -> Result<int> {
    const scmp_version* v = seccomp_version();
    std::string lib = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    nlohmann::json j = {{"version", RAMPART_VERSION}, {"libseccomp", lib}, {"seccomp_api", seccomp_api_get()}};
    Emit(ctx.format, j, std::string("rampart version ") + RAMPART_VERSION + "\nlibseccomp: " + lib + "\n");
    return 0;
  };
  return {version};
}

}  // namespace rampart::cli
