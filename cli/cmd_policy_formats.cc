// rampart policy formats (stub: filled by its issue-8 change)
#include "cli/command.h"

namespace rampart::cli {

std::vector<Command> PolicyFormatCommands() { return {}; }

}  // namespace rampart::cli
