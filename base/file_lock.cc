#include "base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

namespace rampart {

Result<FileLock> FileLock::Acquire(const std::string& path, bool exclusive, bool wait) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return Error::FromErrno(errno, "open " + path);
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK)
      return Error(ErrorKind::kSystem, "lock " + path + ": held by another process", EWOULDBLOCK);
    return Error::FromErrno(errno, "lock " + path);
  }
  return FileLock(std::move(fd), path);
}

}  // namespace rampart
