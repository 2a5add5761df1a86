// Seccomp actions as the profile language spells them:
//   allow | errno(EPERM) | errno(38) | kill | kill-process | trap | log | notify
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace rampart::security {

struct Action {
  enum class Kind : uint8_t { kAllow, kErrno, kKillThread, kKillProcess, kTrap, kLog, kNotify };
  Kind kind = Kind::kAllow;
  uint16_t errno_value = 0;  // only for kErrno

  static Action Allow() { return {Kind::kAllow, 0}; }
  static Action Errno(uint16_t e) { return {Kind::kErrno, e}; }
  static Action KillProcess() { return {Kind::kKillProcess, 0}; }

  bool operator==(const Action&) const = default;
  bool operator<(const Action& o) const {
    return kind != o.kind ? kind < o.kind : errno_value < o.errno_value;
  }
  bool is_allow() const { return kind == Kind::kAllow; }

  // The kernel's SECCOMP_RET_* value for this action (as the BPF returns it).
  uint32_t ToSeccompRet() const;
  // The inverse; actions the profile language has no word for (TRACE, ...)
  // come back as an error.
  static Result<Action> FromSeccompRet(uint32_t ret);

  // "errno(EPERM)", "allow", "kill-process", ...
  std::string ToString() const;
};

// Parses an action word. Errors name the word and what was expected.
Result<Action> ParseAction(std::string_view text);

// errno names ↔ numbers ("EPERM" ↔ 1), as glibc names them.
Result<int> ParseErrno(std::string_view text);
std::string ErrnoName(int err);

}  // namespace rampart::security
