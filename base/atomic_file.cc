#include "base/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "base/unique_fd.h"

namespace rampart {

namespace {

// Directory part of `path` ("." for a bare name, "/" for "/x").
std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "write " + what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

// Creates, fills and syncs the temporary file; the caller removes it on error.
Status WriteTemp(const std::string& tmp, int fd, std::string_view data, mode_t mode, Durability durability) {
  RAMPART_TRY(WriteAll(fd, data, tmp));
  // mkstemp creates 0600; apply the requested mode explicitly (not umask-ed).
  if (::fchmod(fd, mode) != 0) return Error::FromErrno(errno, "chmod " + tmp);
  if (durability == Durability::kDurable && ::fsync(fd) != 0) return Error::FromErrno(errno, "fsync " + tmp);
  return Ok();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode, Durability durability) {
  if (path.empty() || path.back() == '/')
    return Error::Invalid("write " + path + ": not a file path");
  // Never rename over a device, FIFO or socket (`-o /dev/null` must not
  // replace the host's /dev/null with a regular file).
  if (struct stat st {}; ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
    return Error::Invalid("write " + path + ": exists and is not a regular file");
  const std::string dir = DirName(path);
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  UniqueFd fd(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "create temporary file for " + path);
  const std::string tmp(name.data());

  auto fail = [&tmp](const Error& e) -> Status {
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
      return e.WithCleanupFailure(Error::FromErrno(errno, "remove " + tmp));
    return e;
  };

  if (Status s = WriteTemp(tmp, fd.get(), data, mode, durability); !s) return fail(s.error());
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(Error::FromErrno(errno, "rename " + tmp + " to " + path));

  if (durability == Durability::kVolatile) return Ok();
  // The new name is in place; make the directory entry durable too.
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return Error::FromErrno(errno, "open " + dir);
  if (::fsync(dir_fd.get()) != 0) return Error::FromErrno(errno, "fsync " + dir);
  return Ok();
}

bool IsSpecialFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

Status WriteFileOrDevice(const std::string& path, std::string_view data, mode_t mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return WriteFileAtomic(path, data, mode);
  if (S_ISDIR(st.st_mode)) return Error::Invalid("write " + path + ": is a directory");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return Error::FromErrno(errno, "open " + path);
  return WriteAll(fd.get(), data, path);
}

Result<std::vector<std::string>> ListDirectory(int dfd, const std::string& path) {
  UniqueFd iter(::openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!iter) return Error::FromErrno(errno, "open " + path);
  DIR* d = ::fdopendir(iter.get());
  if (d == nullptr) return Error::FromErrno(errno, "open " + path);
  iter.release();  // fdopendir owns it now
  std::unique_ptr<DIR, int (*)(DIR*)> dir(d, ::closedir);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) return Error::FromErrno(errno, "read directory " + path);
      break;
    }
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  return names;
}

Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Error::Invalid("mkdir: empty path");
  // Usually there already: one stat instead of a mkdir per component.
  if (struct stat st {}; ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Ok();
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return Error::FromErrno(errno, "mkdir " + part);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::FromErrno(errno, "stat " + path);
  if (!S_ISDIR(st.st_mode)) return Error::Invalid("mkdir " + path + ": not a directory");
  return Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "open " + path);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "read " + path);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace rampart
