#include "security/action.h"

#include <linux/seccomp.h>

#include <cstring>

namespace rampart::security {

uint32_t Action::ToSeccompRet() const {
  switch (kind) {
    case Kind::kAllow: return SECCOMP_RET_ALLOW;
    case Kind::kErrno: return SECCOMP_RET_ERRNO | (errno_value & SECCOMP_RET_DATA);
    case Kind::kKillThread: return SECCOMP_RET_KILL_THREAD;
    case Kind::kKillProcess: return SECCOMP_RET_KILL_PROCESS;
    case Kind::kTrap: return SECCOMP_RET_TRAP;
    case Kind::kLog: return SECCOMP_RET_LOG;
    case Kind::kNotify: return SECCOMP_RET_USER_NOTIF;
  }
  return SECCOMP_RET_KILL_PROCESS;
}

Result<Action> Action::FromSeccompRet(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return Action::Allow();
    case SECCOMP_RET_ERRNO: return Action::Errno(static_cast<uint16_t>(ret & SECCOMP_RET_DATA));
    case SECCOMP_RET_KILL_THREAD: return Action{Kind::kKillThread, 0};
    case SECCOMP_RET_KILL_PROCESS: return Action::KillProcess();
    case SECCOMP_RET_TRAP: return Action{Kind::kTrap, 0};
    case SECCOMP_RET_LOG: return Action{Kind::kLog, 0};
    case SECCOMP_RET_USER_NOTIF: return Action{Kind::kNotify, 0};
    default: break;
  }
  return Error::Invalid("seccomp return value " + std::to_string(ret) + " has no profile action");
}

std::string Action::ToString() const {
  switch (kind) {
    case Kind::kAllow: return "allow";
    case Kind::kErrno: return "errno(" + ErrnoName(errno_value) + ")";
    case Kind::kKillThread: return "kill";
    case Kind::kKillProcess: return "kill-process";
    case Kind::kTrap: return "trap";
    case Kind::kLog: return "log";
    case Kind::kNotify: return "notify";
  }
  return "?";
}

std::string ErrnoName(int err) {
  if (err == 0) return "0";
  const char* name = strerrorname_np(err);
  return name ? name : std::to_string(err);
}

Result<int> ParseErrno(std::string_view text) {
  if (text.empty()) return Error::Invalid("empty errno");
  if (text[0] >= '0' && text[0] <= '9') {
    int v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return Error::Invalid("bad errno '" + std::string(text) + "'");
      v = v * 10 + (c - '0');
      if (v > 4095) break;
    }
    if (v > 4095) return Error::Invalid("errno " + std::string(text) + " is out of range 0-4095");
    return v;
  }
  for (int e = 1; e < 4096; ++e) {
    const char* name = strerrorname_np(e);
    if (name && text == name) return e;
  }
  return Error::Invalid("unknown errno name '" + std::string(text) + "' (expected e.g. EPERM, ENOSYS or a number)");
}

Result<Action> ParseAction(std::string_view text) {
  if (text == "allow") return Action::Allow();
  if (text == "kill" || text == "kill-thread") return Action{Action::Kind::kKillThread, 0};
  if (text == "kill-process") return Action::KillProcess();
  if (text == "trap") return Action{Action::Kind::kTrap, 0};
  if (text == "log") return Action{Action::Kind::kLog, 0};
  if (text == "notify") return Action{Action::Kind::kNotify, 0};
  if (text.starts_with("errno(") && text.ends_with(")")) {
    RAMPART_ASSIGN_OR_RETURN(int e, ParseErrno(text.substr(6, text.size() - 7)));
    return Action::Errno(static_cast<uint16_t>(e));
  }
  return Error::Invalid("unknown action '" + std::string(text) +
                        "' (expected allow, errno(N), kill, kill-process, trap, log or notify)");
}

}  // namespace rampart::security
