// `rampart policy learn`, the supervisor: runs a command under the
// baseline policy plus a seccomp user-notification filter that reports every
// syscall of the command and of everything it forks or clones, records each
// one (security/learn.h) and lets it continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
//
// Getting the listener. The filter (with SECCOMP_FILTER_FLAG_NEW_LISTENER)
// can only be installed by the child itself, and from then on every syscall
// the child makes is a notification nobody can answer until the supervisor
// holds the listener: sending the fd over a socket would deadlock. So the
// filter lets exactly one syscall through without a notification: `write`
// on x86_64 to the child's report pipe, made from one `syscall` instruction
// in rampart's own code (checked through seccomp_data.instruction_pointer,
// the pipe's fd number through arg0). The child uses it to report the
// listener's fd number; the supervisor then copies the listener out of the
// child with pidfd_getfd(2). After execve the address space is the
// workload's, so nothing it does can match that instruction address (and a
// match would only cost a record, never widen anything). docs/learning.md.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "security/compiled_policy.h"
#include "security/learn.h"

namespace rampart::runtime {

struct LearnRunOptions {
  // After the command itself exits, how long its remaining descendants are
  // still served (and recorded). When it runs out the listener is closed:
  // their later syscalls fail with ENOSYS (the kernel's answer without a
  // supervisor).
  std::chrono::milliseconds linger{2000};
  // How long the child may take to install the filter and report.
  std::chrono::milliseconds setup_timeout{30000};
};

struct LearnRunResult {
  int wait_status = 0;  // the command's, valid when exec_errno == 0
  int exec_errno = 0;   // execvp failed in the child with this errno
  security::LearnObservations observations;
  bool stopped_early = false;  // descendants were still running when learning stopped
};

// The user-notification filter: every call from every architecture is
// reported, except the one sync write (see above).
std::vector<sock_filter> BuildLearnFilter(uint64_t sync_ip, int sync_fd);
// The instruction pointer the kernel reports for the sync write.
uint64_t LearnSyncInstructionPointer();

// What a learning child reports on its pipe, in one write (< PIPE_BUF, so
// atomic and read whole).
struct LearnSyncMsg {
  char kind;  // 'L' listener fd in value, 'S' setup failed (text), 'E' exec failed (errno in value)
  int value;
  char text[500];
};

// In the process to learn from, after its own policy is applied: installs
// the learning filter (BuildLearnFilter for `report_fd`) with a new
// listener and sends LearnSyncMsg 'L' with the listener's fd number on
// `report_fd` through the one unreported write. From then on each of its
// syscalls waits until the supervisor, which copies the listener with
// pidfd_getfd(2), answers it. x86_64 only.
Status InstallLearnFilter(int report_fd);
// The supervisor's side: copies the listener the 'L' report names out of
// the process `pidfd` refers to (pidfd_getfd(2)).
Result<UniqueFd> TakeLearnListener(int pidfd, const LearnSyncMsg& msg);

// Serves a learning listener on a thread of its own (`policy learn
// --container`: the monitor's loop stays as it is), recording every
// notification and letting the call continue. The thread blocks every
// signal, so the monitor's signal handling is unchanged.
class LearnRecorder {
 public:
  static Result<std::unique_ptr<LearnRecorder>> Start(UniqueFd listener);
  ~LearnRecorder();
  LearnRecorder(const LearnRecorder&) = delete;
  LearnRecorder& operator=(const LearnRecorder&) = delete;

  // Waits until no task uses the filter any more (the listener hangs up)
  // or `timeout` has passed, stops the thread and closes the listener
  // (pending calls then fail with ENOSYS). Returns what was recorded;
  // `stopped_early` says the timeout cut it short.
  Result<security::LearnObservations> Finish(std::chrono::milliseconds timeout,
                                             bool* stopped_early = nullptr);

 private:
  LearnRecorder() = default;
  void Run();
  struct State;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

// Forks; the child applies `baseline` (runtime/policy_apply.h, with its
// seccomp filter), installs the learning filter, reports the listener and
// execs argv (PATH searched). The parent serves notifications until the
// command and every process still using the filter are gone.
Result<LearnRunResult> RunLearning(const security::CompiledPolicy& baseline,
                                   const std::vector<std::string>& argv,
                                   const LearnRunOptions& options = {});

}  // namespace rampart::runtime
