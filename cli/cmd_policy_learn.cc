// rampart policy learn (stub: filled by its issue-8 change)
#include "cli/command.h"

namespace rampart::cli {

std::vector<Command> PolicyLearnCommands() { return {}; }

}  // namespace rampart::cli
