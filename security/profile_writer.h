// Writes rampart profiles as YAML text (docs/policy-language.md), with
// comments: what `policy import` and `policy learn` produce. The text is
// meant for people to read and edit, and always parses back
// (ParseProfile) to what the draft says.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rampart::security {

// One `allow`/`deny` entry: a syscall name or "@group", with an optional
// comment written on the line above it.
struct DraftName {
  std::string name;
  std::string comment;
};

// One `rules` entry.
struct DraftRule {
  std::vector<std::string> syscalls;  // names or "@groups"; one → `syscall:`
  std::string action;                 // "allow", "errno(EPERM)", "kill", ...
  std::vector<std::string> args;      // "arg0 == AF_INET" (ANDed)
  std::string comment;                // written as the rule's `comment:` field
};

struct ProfileDraft {
  std::vector<std::string> header;  // comment lines at the top of the file (no '#')
  std::string name;
  std::string description;
  std::optional<std::string> extends;
  // seccomp: a field left empty/nullopt is not written.
  std::optional<std::string> default_action, unknown_action;
  std::vector<std::string> architectures;  // "native", "x86", "x32"
  std::vector<DraftName> allow, deny;
  std::vector<DraftRule> rules;
  // capabilities (nullopt: no capabilities section).
  std::optional<std::vector<std::string>> caps_drop, caps_keep;
  std::optional<bool> no_new_privileges;
};

// The YAML text of `draft`. Names and actions are written as given (quoted
// where YAML needs it); the caller makes sure they are valid.
std::string WriteProfileYaml(const ProfileDraft& draft);

}  // namespace rampart::security
