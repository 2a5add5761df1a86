// Starting and owning child processes: fork + exec with exec failures
// reported as values, a ScopedChild that kills and reaps what it owns, and
// RunCommand for "run this, give me its output".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart {

// The one owner of a child process (CONVENTIONS.md, principle 3). Unless
// Release()d or already reaped by Wait(), the destructor SIGKILLs the child
// and reaps it, so an error path never leaks a running process or a zombie.
class ScopedChild {
 public:
  ScopedChild() = default;
  explicit ScopedChild(pid_t pid) : pid_(pid) {}
  ScopedChild(ScopedChild&& o) noexcept;
  ScopedChild& operator=(ScopedChild&& o) noexcept;
  ScopedChild(const ScopedChild&) = delete;
  ScopedChild& operator=(const ScopedChild&) = delete;
  ~ScopedChild();

  // The child's pid; -1 if empty or released. Still valid after Wait().
  pid_t pid() const { return pid_; }
  bool valid() const { return pid_ > 0; }

  // Waits for the child to exit and returns the raw wait status (see
  // ExitCodeFromWaitStatus); EINTR is retried. Once reaped, later calls
  // return the same status without another waitpid.
  Result<int> Wait();

  // Sends `sig` to the child. Fails (ESRCH) once the child has been reaped,
  // so a recycled pid is never signalled.
  Status Kill(int sig);

  // Gives up ownership: the destructor will no longer kill or reap. Returns
  // the pid (-1 if empty) and leaves this object empty.
  pid_t Release();

 private:
  void KillAndReap();

  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;  // wait status, once reaped_
};

struct SpawnOptions {
  // argv[0] is looked up in our PATH (execvp semantics), also when `env`
  // is given. Must not be empty.
  std::vector<std::string> argv;
  // The child's full environment ("KEY=value"); nullopt inherits ours.
  std::optional<std::vector<std::string>> env;
  // Descriptors to install as the child's 0/1/2; -1 inherits ours. Any fd
  // may be passed for any slot (e.g. stdout_fd == stderr_fd). Every other
  // descriptor we open is O_CLOEXEC and so does not reach the child.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Forks and execs. The child starts with default signal dispositions and an
// empty signal mask. If the exec (or stdio setup) fails, the child's errno is
// sent back over an O_CLOEXEC pipe, the child is reaped, and the result is an
// Error such as "exec nosuchcmd: no such file or directory" with err() set.
Result<ScopedChild> Spawn(const SpawnOptions& options);

struct CommandOutput {
  int status = 0;   // raw wait status; ExitCodeFromWaitStatus(status) for the code
  std::string out;  // everything written to stdout
  std::string err;  // everything written to stderr
  bool timed_out = false;  // killed (SIGKILL) when the timeout ran out
};

// Runs `argv` to completion, feeding it `stdin_data` (then EOF) and capturing
// stdout and stderr in full. Uses poll(2), so neither stream can deadlock the
// other however large; a child that exits without reading its input is fine
// (no SIGPIPE reaches us). Output is read until both streams close, so a
// background grandchild that keeps them open delays the return. With a
// timeout, the child is SIGKILLed when it runs out (timed_out is set and the
// output so far is kept).
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 std::string_view stdin_data = {},
                                 std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// The shell's convention: the exit code for a normal exit, 128 + signal number
// for a child killed by a signal, -1 for any other status.
int ExitCodeFromWaitStatus(int status);
// "exit code 2", "signal Killed", for messages.
std::string DescribeWaitStatus(int status);

// argv/envp for exec*: pointers into `strings` (which must outlive the
// result), null-terminated.
std::vector<char*> CStrings(const std::vector<std::string>& strings);

}  // namespace rampart
