#include "runtime/learn_supervisor.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>

#include "base/spawn.h"
#include "base/unique_fd.h"
#include "runtime/policy_apply.h"

#if defined(__x86_64__)
// The one syscall the learning filter lets through unreported: write(2)
// from this exact instruction (see learn_supervisor.h). rdi, rsi, rdx are
// already where the kernel wants fd, buf and count; the result (or -errno)
// comes back in rax.
extern "C" long rampart_learn_sync_write(long fd, const void* buf, unsigned long count);
extern "C" const char rampart_learn_sync_write_after[];
__asm__(
    ".pushsection .text\n"
    ".p2align 4\n"
    ".globl rampart_learn_sync_write\n"
    ".hidden rampart_learn_sync_write\n"
    ".type rampart_learn_sync_write, @function\n"
    "rampart_learn_sync_write:\n"
    "  endbr64\n"
    "  movl $1, %eax\n"  // __NR_write on x86_64
    "  syscall\n"
    ".globl rampart_learn_sync_write_after\n"
    ".hidden rampart_learn_sync_write_after\n"
    "rampart_learn_sync_write_after:\n"
    "  ret\n"
    ".size rampart_learn_sync_write, .-rampart_learn_sync_write\n"
    ".popsection\n");
#endif

namespace rampart::runtime {
namespace {

using SyncMsg = LearnSyncMsg;

void SyncSend(int fd, const SyncMsg& msg) {
#if defined(__x86_64__)
  (void)rampart_learn_sync_write(fd, &msg, sizeof msg);
#else
  (void)!write(fd, &msg, sizeof msg);
#endif
}

// The child between fork and execvp. Never returns.
[[noreturn]] void LearnChild(const security::CompiledPolicy& baseline, int report_fd,
                             char* const* argv) {
  SyncMsg msg{};
  auto fail = [&](const std::string& what) {
    msg.kind = 'S';
    std::snprintf(msg.text, sizeof msg.text, "%s", what.c_str());
    SyncSend(report_fd, msg);
    _exit(125);
  };
  if (auto st = ApplyPolicy(baseline, std::nullopt); !st) fail(st.error().message());
  if (auto st = InstallLearnFilter(report_fd); !st) fail(st.error().message());
  execvp(argv[0], argv);
  msg.kind = 'E';
  msg.value = errno;
  SyncSend(report_fd, msg);
  _exit(msg.value == ENOENT ? 127 : 126);
}

// Reads one report; 0 on EOF (the write end is gone: exec or death).
Result<size_t> ReadMsg(int fd, SyncMsg* msg) {
  for (;;) {
    ssize_t n = read(fd, msg, sizeof *msg);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Error::FromErrno(errno, "read the learning child's report");
  }
}

// Receives notifications and lets each call continue.
class Server {
 public:
  static Result<Server> Create(UniqueFd listener) {
    seccomp_notif_sizes sizes{};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
      return Error::FromErrno(errno, "seccomp(SECCOMP_GET_NOTIF_SIZES)");
    Server s;
    s.listener_ = std::move(listener);
    s.notif_size_ = std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif));
    s.resp_size_ = std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp));
    s.notif_buf_ = std::make_unique<uint64_t[]>(s.notif_size_ / 8 + 1);
    s.resp_buf_ = std::make_unique<uint64_t[]>(s.resp_size_ / 8 + 1);
    return s;
  }
  int fd() const { return listener_.get(); }
  void Close() { listener_.reset(); }

  Status ServeOne(security::LearnObservations* obs) {
    auto* notif = reinterpret_cast<seccomp_notif*>(notif_buf_.get());
    std::memset(notif, 0, notif_size_);
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, notif) != 0) {
      // ENOENT: the caller was interrupted (signal, death) before we got it.
      if (errno == EINTR || errno == ENOENT) return Ok();
      return Error::FromErrno(errno, "receive a seccomp notification");
    }
    obs->Record(notif->data, static_cast<pid_t>(notif->pid));
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf_.get());
    std::memset(resp, 0, resp_size_);
    resp->id = notif->id;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno != ENOENT)
      return Error::FromErrno(errno, "answer a seccomp notification");
    return Ok();
  }

 private:
  UniqueFd listener_;
  size_t notif_size_ = 0, resp_size_ = 0;
  std::unique_ptr<uint64_t[]> notif_buf_, resp_buf_;
};

int MsUntil(std::chrono::steady_clock::time_point t) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - std::chrono::steady_clock::now())
          .count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 60000));
}

}  // namespace

uint64_t LearnSyncInstructionPointer() {
#if defined(__x86_64__)
  return reinterpret_cast<uint64_t>(rampart_learn_sync_write_after);
#else
  return 0;
#endif
}

std::vector<sock_filter> BuildLearnFilter(uint64_t sync_ip, int sync_fd) {
  // Each check loads one 32-bit word of seccomp_data and jumps to the
  // notify return when it differs; all equal: the sync write, allowed.
  const std::pair<uint32_t, uint32_t> checks[] = {
      {offsetof(seccomp_data, arch), AUDIT_ARCH_X86_64},
      {offsetof(seccomp_data, nr), 1 /* __NR_write on x86_64 */},
      {offsetof(seccomp_data, instruction_pointer), static_cast<uint32_t>(sync_ip)},
      {offsetof(seccomp_data, instruction_pointer) + 4, static_cast<uint32_t>(sync_ip >> 32)},
      {offsetof(seccomp_data, args), static_cast<uint32_t>(sync_fd)},
      {offsetof(seccomp_data, args) + 4, 0},
  };
  const size_t n = std::size(checks);
  std::vector<sock_filter> prog;
  for (size_t i = 0; i < n; ++i) {
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, checks[i].first));
    // From instruction 2i+1, the notify return (index 2n+1) is 2n-2i-1 ahead.
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, checks[i].second, 0,
                            static_cast<uint8_t>(2 * n - 2 * i - 1)));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  return prog;
}

Status InstallLearnFilter(int report_fd) {
#if !defined(__x86_64__)
  (void)report_fd;
  return Error::Unsupported("policy learn supports x86_64 hosts only");
#else
  const std::vector<sock_filter> filter = BuildLearnFilter(LearnSyncInstructionPointer(), report_fd);
  const sock_fprog prog{static_cast<unsigned short>(filter.size()),
                        const_cast<sock_filter*>(filter.data())};
  long listener =
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) return Error::FromErrno(errno, "install the learning filter");
  // From here on every syscall but the sync write waits for the supervisor,
  // which has no listener yet: the report is the next call.
  SyncMsg msg{};
  msg.kind = 'L';
  msg.value = static_cast<int>(listener);
  SyncSend(report_fd, msg);
  return Ok();
#endif
}

Result<UniqueFd> TakeLearnListener(int pidfd, const LearnSyncMsg& msg) {
  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, msg.value, 0)));
  if (!listener)
    return Error::FromErrno(errno, "pidfd_getfd the learning listener (fd " + std::to_string(msg.value) + ")");
  return listener;
}

struct LearnRecorder::State {
  std::optional<Server> server;
  UniqueFd stop;  // eventfd: Finish() gave up waiting
  security::LearnObservations observations;
  Status status = Ok();
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

Result<std::unique_ptr<LearnRecorder>> LearnRecorder::Start(UniqueFd listener) {
  std::unique_ptr<LearnRecorder> r(new LearnRecorder());
  r->state_ = std::make_unique<State>();
  RAMPART_ASSIGN_OR_RETURN(Server server, Server::Create(std::move(listener)));
  r->state_->server.emplace(std::move(server));
  r->state_->stop.reset(eventfd(0, EFD_CLOEXEC));
  if (!r->state_->stop) return Error::FromErrno(errno, "eventfd");
  // The thread inherits a mask with every signal blocked: the monitor's
  // signalfd keeps getting SIGINT and SIGTERM.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  try {
    r->thread_ = std::thread([p = r.get()] { p->Run(); });
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return Error::Internal(std::string("start the learning thread: ") + e.what());
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return r;
}

void LearnRecorder::Run() {
  State& s = *state_;
  pollfd pfds[2] = {{s.server->fd(), POLLIN, 0}, {s.stop.get(), POLLIN, 0}};
  Status status = Ok();
  for (;;) {
    if (poll(pfds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      status = Error::FromErrno(errno, "poll the seccomp listener");
      break;
    }
    if (pfds[1].revents & POLLIN) break;
    if (pfds[0].revents & POLLIN) {
      if (auto st = s.server->ServeOne(&s.observations); !st) {
        status = st;
        break;
      }
    } else if (pfds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      break;  // no task uses the filter any more
    }
  }
  std::lock_guard lock(s.mu);
  s.status = status;
  s.done = true;
  s.cv.notify_all();
}

Result<security::LearnObservations> LearnRecorder::Finish(std::chrono::milliseconds timeout,
                                                          bool* stopped_early) {
  bool early = false;
  {
    std::unique_lock lock(state_->mu);
    if (!state_->cv.wait_for(lock, timeout, [&] { return state_->done; })) {
      early = true;
      uint64_t one = 1;
      (void)!write(state_->stop.get(), &one, sizeof one);
    }
  }
  if (thread_.joinable()) thread_.join();
  state_->server->Close();
  if (stopped_early) *stopped_early = early;
  RAMPART_TRY(state_->status);
  return std::move(state_->observations);
}

LearnRecorder::~LearnRecorder() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(state_->stop.get(), &one, sizeof one);
    thread_.join();
  }
}

Result<LearnRunResult> RunLearning(const security::CompiledPolicy& baseline,
                                   const std::vector<std::string>& argv,
                                   const LearnRunOptions& options) {
#if !defined(__x86_64__)
  (void)baseline, (void)argv, (void)options;
  return Error::Unsupported("policy learn supports x86_64 hosts only");
#else
  if (argv.empty()) return Error::Invalid("no command to run");
  RAMPART_TRY(CheckApplicable(baseline));
  RAMPART_TRY(security::CheckEnforcement(baseline.policy, DetectHostSecurity()));
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  std::vector<char*> cargv = CStrings(argv);

  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    rd.reset();
    LearnChild(baseline, wr.get(), cargv.data());
  }
  ScopedChild child(pid);  // killed and reaped on every error path below
  wr.reset();
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return Error::FromErrno(errno, "pidfd_open " + std::to_string(pid));

  // Setup: the child reports the listener (or why it could not).
  pollfd setup{rd.get(), POLLIN, 0};
  int ready;
  do {
    ready = poll(&setup, 1, static_cast<int>(options.setup_timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return Error::FromErrno(errno, "poll the learning child's report");
  if (ready == 0)
    return Error::Internal("the learning child did not report within " +
                           std::to_string(options.setup_timeout.count()) + " ms");
  SyncMsg msg{};
  RAMPART_ASSIGN_OR_RETURN(size_t got, ReadMsg(rd.get(), &msg));
  if (got != sizeof msg) {
    RAMPART_ASSIGN_OR_RETURN(int status, child.Wait());
    return Error::Internal("the learning child ended during setup (" + DescribeWaitStatus(status) +
                           ")");
  }
  if (msg.kind == 'S') {
    msg.text[sizeof msg.text - 1] = 0;
    return Error::Internal(std::string("set up the learning child: ") + msg.text);
  }
  if (msg.kind != 'L') return Error::Internal("unexpected report from the learning child");
  RAMPART_ASSIGN_OR_RETURN(UniqueFd listener, TakeLearnListener(pidfd.get(), msg));
  RAMPART_ASSIGN_OR_RETURN(Server server, Server::Create(std::move(listener)));

  LearnRunResult out;
  bool exited = false, hangup = false;
  std::chrono::steady_clock::time_point deadline;
  pollfd pfds[3] = {{server.fd(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}, {rd.get(), POLLIN, 0}};
  while (!(exited && hangup)) {
    int timeout = -1;
    if (exited) {
      if (std::chrono::steady_clock::now() >= deadline) {
        out.stopped_early = true;
        break;
      }
      timeout = MsUntil(deadline);
    }
    int n = poll(pfds, 3, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "poll the seccomp listener");
    }
    if (pfds[0].revents & POLLIN) {
      RAMPART_TRY(server.ServeOne(&out.observations));
    } else if (pfds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      hangup = true;  // no task uses the filter any more
      pfds[0].fd = -1;
    }
    if (pfds[1].revents & POLLIN) {
      RAMPART_ASSIGN_OR_RETURN(out.wait_status, child.Wait());
      exited = true;
      deadline = std::chrono::steady_clock::now() + options.linger;
      pfds[1].fd = -1;
    }
    if (pfds[2].revents & (POLLIN | POLLHUP)) {
      RAMPART_ASSIGN_OR_RETURN(size_t len, ReadMsg(rd.get(), &msg));
      if (len == sizeof msg && msg.kind == 'E')
        out.exec_errno = msg.value;
      else if (len == 0)
        pfds[2].fd = -1;  // exec closed it (close-on-exec) or the child is gone
    }
  }
  // Closing the listener answers whatever is still pending with ENOSYS.
  server.Close();
  return out;
#endif
}

}  // namespace rampart::runtime
