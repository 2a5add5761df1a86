// The command table: every verb with its usage, options and handler.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "cli/args.h"
#include "cli/output.h"

namespace rampart::cli {

inline constexpr int kExitError = 125;        // rampart itself failed
inline constexpr int kExitCannotInvoke = 126;  // payload found but not executable
inline constexpr int kExitNotFound = 127;     // payload not found

struct Context {
  Logger& log;
  OutputFormat format = OutputFormat::kTable;
  std::string root;  // state root (--root / RAMPART_ROOT)
  std::optional<std::string> root_flag;  // --root as given, if given
};

// A launch error that is the payload's exec failing becomes 127 (not
// found) or 126 (not executable), logged as one line; anything else stays
// an error.
Result<int> ExecFailureCode(Context& ctx, const Error& e);

// The text fields are string literals (views, like OptSpec's).
struct Command {
  std::string_view name;     // "policy compile"
  std::string_view usage;    // "PROFILE [-o FILE]"
  std::string_view summary;  // one line
  std::string_view details;  // paragraphs for --help
  std::vector<OptSpec> options;
  // Returns the process exit code; errors come back as Error (exit 125).
  std::function<Result<int>(Context&, const ParsedArgs&)> run;
};

std::vector<Command> VersionCommands();
std::vector<Command> PolicyCommands();
std::vector<Command> PolicyAuditCommands();   // policy audit (cmd_policy_audit.cc)
std::vector<Command> PolicyFormatCommands();  // policy import / export (cmd_policy_formats.cc)
std::vector<Command> PolicyLearnCommands();   // policy learn (cmd_policy_learn.cc)
std::vector<Command> ContainerCommands();
std::vector<Command> NetCommands();

}  // namespace rampart::cli
