#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <string>

namespace rampart::runtime {
namespace {

constexpr char kDetachPrefix = 0x01;  // Ctrl-a, then 'q'

Status WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "write terminal");
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Ok();
}

}  // namespace

ScopedRawMode::ScopedRawMode(int fd) : fd_(fd) {
  termios saved{};
  if (!isatty(fd_) || tcgetattr(fd_, &saved) != 0) return;
  termios raw = saved;
  cfmakeraw(&raw);
  if (tcsetattr(fd_, TCSANOW, &raw) == 0) saved_ = new termios(saved);
}

ScopedRawMode::~ScopedRawMode() {
  if (!saved_) return;
  tcsetattr(fd_, TCSANOW, saved_);
  delete saved_;
}

Result<PtyPair> OpenPty(const winsize* size) {
  PtyPair p;
  p.master.reset(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) return Error::FromErrno(errno, "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(p.master.get(), TIOCSPTLCK, &unlock) != 0) return Error::FromErrno(errno, "unlock pty");
  p.slave.reset(ioctl(p.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) return Error::FromErrno(errno, "open pty peer");
  if (size) ioctl(p.master.get(), TIOCSWINSZ, size);
  return p;
}

Result<bool> ProxyTerminal(int in_fd, int out_fd, int remote_fd, bool detach_keys) {
  ScopedRawMode raw(in_fd);
  bool prefix = false;
  bool in_open = true;
  char buf[4096];
  while (true) {
    pollfd fds[2] = {{remote_fd, POLLIN, 0}, {in_open ? in_fd : -1, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "poll terminal");
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(remote_fd, buf, sizeof buf);
      if (n <= 0) return false;  // the container side ended (EIO on a pty)
      RAMPART_TRY(WriteAll(out_fd, buf, static_cast<size_t>(n)));
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(in_fd, buf, sizeof buf);
      if (n <= 0) {
        in_open = false;  // our input ended: keep showing output until the container side ends
        continue;
      }
      std::string out;
      for (ssize_t i = 0; i < n; ++i) {
        char c = buf[i];
        if (detach_keys && prefix) {
          prefix = false;
          if (c == 'q') return true;
          out += kDetachPrefix;
          if (c == kDetachPrefix) continue;  // Ctrl-a Ctrl-a sends one Ctrl-a
        } else if (detach_keys && c == kDetachPrefix) {
          prefix = true;
          continue;
        }
        out += c;
      }
      RAMPART_TRY(WriteAll(remote_fd, out.data(), out.size()));
    }
  }
}

}  // namespace rampart::runtime
