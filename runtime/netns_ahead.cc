#include "runtime/netns_ahead.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace rampart::runtime {

Status LoopbackUp() {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return Error::FromErrno(errno, "socket for lo");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return Error::FromErrno(errno, "get lo flags");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return Error::FromErrno(errno, "bring lo up");
  return Ok();
}

NetnsAhead::NetnsAhead() : made_(Error::Internal("network namespace not made yet")) {
  thread_ = std::thread([this] {
    // A network namespace is per thread: only this one moves into it, and
    // it ends right after, leaving the namespace to the descriptor.
    if (unshare(CLONE_NEWNET) != 0) {
      made_ = Error::FromErrno(errno, "make the network namespace ahead: unshare");
      return;
    }
    if (auto st = LoopbackUp(); !st) {
      made_ = st.error();
      return;
    }
    UniqueFd fd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd) {
      made_ = Error::FromErrno(errno, "open /proc/thread-self/ns/net");
      return;
    }
    made_ = std::move(fd);
  });
}

NetnsAhead::~NetnsAhead() {
  if (thread_.joinable()) thread_.join();
}

Result<UniqueFd> NetnsAhead::Take() {
  if (thread_.joinable()) thread_.join();
  Result<UniqueFd> out = std::move(made_);
  made_ = Error::Internal("network namespace already taken");
  return out;
}

}  // namespace rampart::runtime
