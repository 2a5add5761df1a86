#include "runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace rampart::runtime {
namespace {

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

constexpr int kOpenat2Retries = 16;  // EAGAIN: a concurrent rename or mount raced the lookup

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Splits a cleaned absolute path ("/a/b") into parent ("/a") and base ("b").
void SplitParent(const std::string& clean, std::string* parent, std::string* base) {
  size_t slash = clean.rfind('/');
  *parent = slash == 0 ? "/" : clean.substr(0, slash);
  *base = clean.substr(slash + 1);
}

Status CheckTargetType(int fd, const std::string& path, int want /* 0 any, 1 dir, 2 file */) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Error::FromErrno(errno, "stat " + path);
  if (S_ISLNK(st.st_mode))
    return Error(ErrorKind::kInvalid, path + " is a symlink: refusing to mount over it", ELOOP);
  if (want == 1 && !S_ISDIR(st.st_mode))
    return Error(ErrorKind::kInvalid, path + " is not a directory", ENOTDIR);
  if (want == 2 && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    return Error(ErrorKind::kInvalid, path + " is not a regular file or character device", EINVAL);
  return Ok();
}

}  // namespace

std::string CleanContainerPath(std::string_view path) {
  std::vector<std::string_view> stack;
  for (std::string_view c : Components(path)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    stack.push_back(c);
  }
  std::string out;
  for (std::string_view c : stack) {
    out += '/';
    out += c;
  }
  return out.empty() ? "/" : out;
}

Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags) {
  const std::string p(path);
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE)
    return Error::Invalid("open " + p + " in root: O_CREAT and O_TMPFILE are not supported");
  // openat2 treats an absolute path as relative to the root with
  // RESOLVE_IN_ROOT; "." for the root itself keeps the call uniform.
  std::string rel = CleanContainerPath(path) == "/" ? std::string(".") : p;
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EAGAIN && attempt < kOpenat2Retries) continue;
    if (errno == EINTR) continue;
    if (errno == ENOSYS)
      return Error::Unsupported("open " + p +
                                " in root: openat2 is not available (linux >= 5.6 needed)");
    return Error::FromErrno(errno, "open " + p + " in root");
  }
}

Result<UniqueFd> MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode) {
  const std::string clean = CleanContainerPath(path);
  RAMPART_ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_fd, "/", O_PATH | O_DIRECTORY));
  std::string prefix;
  for (std::string_view comp : Components(clean)) {
    prefix += '/';
    prefix += comp;
    auto next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
    if (!next && next.error().err() == ENOENT) {
      const std::string name(comp);
      if (mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST)
        return Error::FromErrno(errno, "mkdir " + clean + " in root: mkdir " + prefix);
      next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
    }
    if (!next) {
      if (next.error().err() == ENOTDIR)
        return Error(ErrorKind::kInvalid,
                     "mkdir " + clean + " in root: " + prefix + " is not a directory", ENOTDIR);
      return next.error().Wrap("mkdir " + clean + " in root");
    }
    dir = std::move(*next);
  }
  return dir;
}

Result<UniqueFd> OpenNoFollow(int root_fd, std::string_view path) {
  const std::string clean = CleanContainerPath(path);
  RAMPART_ASSIGN_OR_RETURN(UniqueFd fd, OpenInRoot(root_fd, clean, O_PATH | O_NOFOLLOW));
  RAMPART_TRY(CheckTargetType(fd.get(), clean, 0));
  return fd;
}

Result<UniqueFd> OpenNoFollowTarget(int root_fd, std::string_view path, bool want_dir) {
  const std::string clean = CleanContainerPath(path);
  RAMPART_ASSIGN_OR_RETURN(UniqueFd fd, OpenInRoot(root_fd, clean, O_PATH | O_NOFOLLOW));
  RAMPART_TRY(CheckTargetType(fd.get(), clean, want_dir ? 1 : 2));
  return fd;
}

Result<UniqueFd> PrepareMountTarget(int root_fd, std::string_view path, bool want_dir) {
  const std::string clean = CleanContainerPath(path);
  if (clean == "/") return OpenNoFollowTarget(root_fd, clean, want_dir);
  std::string parent, base;
  SplitParent(clean, &parent, &base);
  RAMPART_ASSIGN_OR_RETURN(UniqueFd pfd, MkdirAllInRoot(root_fd, parent, 0755));
  if (want_dir) {
    if (mkdirat(pfd.get(), base.c_str(), 0755) != 0 && errno != EEXIST)
      return Error::FromErrno(errno, "mkdir " + clean + " in root");
  } else {
    // O_EXCL: an existing name (symlink included) is left alone, never followed.
    UniqueFd f(openat(pfd.get(), base.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                      0644));
    if (!f && errno != EEXIST) return Error::FromErrno(errno, "create " + clean + " in root");
  }
  // The last component is looked up in the parent we just resolved: one
  // name, no symlink followed.
  UniqueFd fd(openat(pfd.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "open " + clean + " in root");
  RAMPART_TRY(CheckTargetType(fd.get(), clean, want_dir ? 1 : 2));
  return fd;
}

}  // namespace rampart::runtime
