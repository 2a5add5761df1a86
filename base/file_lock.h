// Advisory whole-file locks (flock(2)) on a lock file, e.g. one per container
// state directory so two rampart commands do not race on it.
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace rampart {

// Holds a flock on an open lock file; releases it when destroyed (closing the
// fd drops the lock). Move-only. The lock file itself is left in place.
// flock belongs to the open file description: a forked child that has not
// exec'd yet shares it (the fd is O_CLOEXEC, so exec drops it) and keeps the
// lock held until it closes fd() or exits.
class FileLock {
 public:
  // Opens `path` (creating it 0600 if missing; a symlink as the last
  // component is refused, O_NOFOLLOW) and locks it: exclusive or
  // shared; if `wait` is false and another process holds a conflicting lock,
  // fails with kSystem, errno EWOULDBLOCK and "lock PATH: held by another
  // process".
  static Result<FileLock> Acquire(const std::string& path, bool exclusive = true, bool wait = true);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() = default;

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

 private:
  FileLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  UniqueFd fd_;
  std::string path_;
};

}  // namespace rampart
