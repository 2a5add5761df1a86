// Fault injection (the CRIU_FAULT idea): when the environment variable
// RAMPART_FAULT names a point, the process SIGKILLs itself there. Tests use
// it to kill rampart at every step of a start and check that `gc` leaves
// nothing behind. A no-op unless the variable is set.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <string_view>

namespace rampart {

inline void FaultPoint(std::string_view name) {
  const char* want = getenv("RAMPART_FAULT");
  if (!want || name != want) return;
  raise(SIGKILL);
  _exit(137);  // a pid namespace's init ignores SIGKILL from itself
}

}  // namespace rampart
