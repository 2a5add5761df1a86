#include "base/spawn.h"

#include <algorithm>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "base/unique_fd.h"

namespace rampart {

// ---- ScopedChild ----------------------------------------------------------

ScopedChild::ScopedChild(ScopedChild&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      reaped_(std::exchange(o.reaped_, false)),
      status_(o.status_) {}

ScopedChild& ScopedChild::operator=(ScopedChild&& o) noexcept {
  if (this != &o) {
    KillAndReap();
    pid_ = std::exchange(o.pid_, -1);
    reaped_ = std::exchange(o.reaped_, false);
    status_ = o.status_;
  }
  return *this;
}

ScopedChild::~ScopedChild() { KillAndReap(); }

void ScopedChild::KillAndReap() {
  if (pid_ > 0 && !reaped_) {
    int saved = errno;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    errno = saved;
  }
  pid_ = -1;
  reaped_ = false;
}

Result<int> ScopedChild::Wait() {
  if (pid_ <= 0) return Error::Internal("wait: no child process owned");
  if (reaped_) return status_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return Error::FromErrno(errno, "wait pid " + std::to_string(pid_));
  }
  reaped_ = true;
  status_ = status;
  return status;
}

Status ScopedChild::Kill(int sig) {
  if (pid_ <= 0) return Error::Internal("kill: no child process owned");
  const std::string what = "kill pid " + std::to_string(pid_);
  if (reaped_) return Error(ErrorKind::kSystem, what + ": already reaped", ESRCH);
  if (::kill(pid_, sig) != 0) return Error::FromErrno(errno, what);
  return Ok();
}

pid_t ScopedChild::Release() {
  reaped_ = false;
  return std::exchange(pid_, -1);
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

int ExitCodeFromWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// ---- Spawn ----------------------------------------------------------------

namespace {

// What the child sends back over the report pipe when it cannot exec.
enum ChildStage : int { kStageStdio = 1, kStageExec = 2 };
struct ChildFailure {
  int stage;
  int err;
};

// Everything the child needs, built before fork: between fork and exec the
// child may only make async-signal-safe calls, so it must not allocate.
struct ChildPlan {
  const char* file;
  char* const* argv;
  char* const* envp;  // nullptr: inherit
  int stdio[3];
};

[[noreturn]] void ChildFail(int report_fd, int stage, int err) {
  ChildFailure failure{stage, err};
  // A write below PIPE_BUF is atomic; if it fails the parent sees EOF and
  // exit status 127, which is the best that can be done here.
  ssize_t ignored = ::write(report_fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void RunChild(const ChildPlan& plan, int report_fd) {
  // Default dispositions (an ignored SIGPIPE must not leak into the program),
  // then unblock everything the parent blocked around fork. Failures for
  // SIGKILL, SIGSTOP and libc-reserved signals are expected and harmless.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Keep the report pipe clear of 0/1/2, which are about to be replaced.
  if (report_fd < 3) {
    int moved = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) ::_exit(127);
    report_fd = moved;
  }
  // Move every source above 2 first, so that any mapping (including swaps
  // such as stdin_fd = 1, stdout_fd = 0) works; dup2 clears O_CLOEXEC on the
  // targets while the high copies are closed by exec.
  int high[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (plan.stdio[i] < 0) continue;
    high[i] = ::fcntl(plan.stdio[i], F_DUPFD_CLOEXEC, 3);
    if (high[i] < 0) ChildFail(report_fd, kStageStdio, errno);
  }
  for (int i = 0; i < 3; ++i) {
    if (high[i] >= 0 && ::dup2(high[i], i) < 0) ChildFail(report_fd, kStageStdio, errno);
  }

  if (plan.envp != nullptr) {
    ::execvpe(plan.file, plan.argv, plan.envp);
  } else {
    ::execvp(plan.file, plan.argv);
  }
  ChildFail(report_fd, kStageExec, errno);
}

}  // namespace

Result<ScopedChild> Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Error::Invalid("spawn: argv is empty");
  const std::string& name = options.argv[0];

  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp;
  if (options.env) envp = CStrings(*options.env);
  ChildPlan plan{name.c_str(),
                 argv.data(),
                 options.env ? envp.data() : nullptr,
                 {options.stdin_fd, options.stdout_fd, options.stderr_fd}};

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::FromErrno(errno, "spawn " + name + ": pipe");
  UniqueFd report_read(fds[0]);
  UniqueFd report_write(fds[1]);

  // Block all signals across fork so no handler of ours runs in the child
  // before it has reset the dispositions.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) RunChild(plan, report_write.get());
  int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Error::FromErrno(fork_errno, "spawn " + name + ": fork");

  ScopedChild child(pid);
  report_write.reset();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return child;  // the pipe closed on a successful exec

  // Should not happen with a pipe; the child's state is unknown, so the
  // ScopedChild destructor kills and reaps it.
  if (n < 0) return Error::FromErrno(errno, "spawn " + name + ": read exec status");
  if (n != static_cast<ssize_t>(sizeof(failure)))
    return Error::Internal("spawn " + name + ": short exec status report");

  // The child failed before or at exec and is exiting; reap it so no zombie
  // is left.
  Error error = failure.stage == kStageStdio
                    ? Error::FromErrno(failure.err, "set up stdio for " + name)
                    : Error::FromErrno(failure.err, "exec " + name);
  Result<int> waited = child.Wait();
  if (!waited) return error.WithCleanupFailure(waited.error());
  return error;
}

// ---- RunCommand -----------------------------------------------------------

namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> MakePipe(const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe for " + what);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Blocks SIGPIPE for this thread while we feed a child's stdin, so a child
// that exits early gives us EPIPE instead of killing us; the signal that the
// failed write raised is then consumed. Process-wide dispositions are left
// alone (no mutable globals).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;
  ~ScopedSigpipeBlock() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

  // Call after a write failed with EPIPE.
  void ConsumeRaised() {
    if (was_pending_) return;  // it merged with one already pending: not ours
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    const timespec zero = {};
    while (::sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

// Appends what is readable on `fd` to `sink`; closes `fd` at EOF.
Status Drain(UniqueFd& fd, std::string& sink, const std::string& what) {
  char buf[65536];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf));
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return Ok();
    return Error::FromErrno(errno, "read " + what);
  }
  if (n == 0) {
    fd.reset();
  } else {
    sink.append(buf, static_cast<size_t>(n));
  }
  return Ok();
}

// Moves data between us and the child until its stdout and stderr close.
// Returns false in *in_time when the deadline passed before both streams closed.
Status Pump(UniqueFd& in, std::string_view data, UniqueFd& out, std::string& out_buf, UniqueFd& err,
            std::string& err_buf, const std::string& name,
            std::optional<std::chrono::steady_clock::time_point> deadline, bool* in_time) {
  *in_time = true;
  if (data.empty()) in.reset();  // EOF right away
  if (in && ::fcntl(in.get(), F_SETFL, O_NONBLOCK) != 0)
    return Error::FromErrno(errno, "set stdin of " + name + " non-blocking");
  ScopedSigpipeBlock sigpipe;
  while (in || out || err) {
    pollfd fds[3];
    nfds_t count = 0;
    int in_idx = -1, out_idx = -1, err_idx = -1;
    if (in) {
      in_idx = static_cast<int>(count);
      fds[count++] = {in.get(), POLLOUT, 0};
    }
    if (out) {
      out_idx = static_cast<int>(count);
      fds[count++] = {out.get(), POLLIN, 0};
    }
    if (err) {
      err_idx = static_cast<int>(count);
      fds[count++] = {err.get(), POLLIN, 0};
    }
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        *in_time = false;
        return Ok();
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    if (::poll(fds, count, wait_ms) < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "poll pipes of " + name);
    }
    if (in_idx >= 0 && fds[in_idx].revents != 0) {
      ssize_t n = ::write(in.get(), data.data(), data.size());
      if (n >= 0) {
        data.remove_prefix(static_cast<size_t>(n));
        if (data.empty()) in.reset();
      } else if (errno == EPIPE) {
        sigpipe.ConsumeRaised();
        in.reset();  // the child stopped reading; that is its business
      } else if (errno != EINTR && errno != EAGAIN) {
        return Error::FromErrno(errno, "write stdin of " + name);
      }
    }
    if (out_idx >= 0 && fds[out_idx].revents != 0)
      RAMPART_TRY(Drain(out, out_buf, "stdout of " + name));
    if (err_idx >= 0 && fds[err_idx].revents != 0)
      RAMPART_TRY(Drain(err, err_buf, "stderr of " + name));
  }
  return Ok();
}

}  // namespace

Result<CommandOutput> RunCommand(const std::vector<std::string>& argv, std::string_view stdin_data,
                                 std::optional<std::chrono::milliseconds> timeout) {
  if (argv.empty()) return Error::Invalid("run command: argv is empty");
  const std::string& name = argv[0];
  RAMPART_ASSIGN_OR_RETURN(Pipe in, MakePipe("stdin of " + name));
  RAMPART_ASSIGN_OR_RETURN(Pipe out, MakePipe("stdout of " + name));
  RAMPART_ASSIGN_OR_RETURN(Pipe err, MakePipe("stderr of " + name));

  SpawnOptions options;
  options.argv = argv;
  options.stdin_fd = in.read.get();
  options.stdout_fd = out.write.get();
  options.stderr_fd = err.write.get();
  RAMPART_ASSIGN_OR_RETURN(ScopedChild child, Spawn(options));
  // Keep only our ends, so EOF arrives when the child closes its ends.
  in.read.reset();
  out.write.reset();
  err.write.reset();

  CommandOutput result;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  bool in_time = true;
  // On error the ScopedChild kills and reaps the child.
  RAMPART_TRY(Pump(in.write, stdin_data, out.read, result.out, err.read, result.err, name, deadline, &in_time));
  if (!in_time) {
    result.timed_out = true;
    RAMPART_TRY(child.Kill(SIGKILL));
  }
  RAMPART_ASSIGN_OR_RETURN(result.status, child.Wait());
  return result;
}

}  // namespace rampart
