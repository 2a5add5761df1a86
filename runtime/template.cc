#include "runtime/template.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace rampart::runtime {
namespace {

constexpr const char* kKnownTemplates = "busybox, dir:PATH";
constexpr const char* kNeedBusybox =
    "busybox template needs busybox-static (apt-get install busybox-static)";

Status PreadAll(int fd, void* buf, size_t len, off_t off, const std::string& path) {
  ssize_t n = ::pread(fd, buf, len, off);
  if (n < 0) return Error::FromErrno(errno, "read " + path);
  if (static_cast<size_t>(n) != len)
    return Error::Invalid(path + " is not an ELF executable (truncated)");
  return Ok();
}

template <typename Ehdr, typename Phdr>
Status CheckProgramHeaders(int fd, const std::string& path) {
  Ehdr eh;
  RAMPART_TRY(PreadAll(fd, &eh, sizeof eh, 0, path));
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    return Error::Invalid(path + " is not an ELF executable");
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum == 0 || eh.e_phnum > 4096)
    return Error::Invalid(path + " has no usable ELF program headers");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Phdr ph;
    RAMPART_TRY(
        PreadAll(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof(Phdr)), path));
    if (ph.p_type == PT_INTERP)
      return Error::Invalid(path + " is dynamically linked (has an ELF interpreter)");
  }
  return Ok();
}

Status WriteAllTo(int dfd, const char* name, std::string_view data, mode_t mode,
                  const std::string& root) {
  UniqueFd fd(::openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return Error::FromErrno(errno, "create " + root + "/" + name);
  while (!data.empty()) {
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "write " + root + "/" + name);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fchmod(fd.get(), mode) != 0) return Error::FromErrno(errno, "chmod " + root + "/" + name);
  return Ok();
}

Status CopyFile(const std::string& from, int dfd, const char* name, mode_t mode,
                const std::string& root) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return Error::FromErrno(errno, "open " + from);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return Error::FromErrno(errno, "stat " + from);
  UniqueFd out(::openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!out) return Error::FromErrno(errno, "create " + root + "/" + name);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n =
        ::copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
      n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, "copy " + from + " to " + root + "/" + name);
    }
    if (n == 0) return Error::Internal("copy " + from + ": file shrank while copying");
    left -= n;
  }
  if (::fchmod(out.get(), mode) != 0) return Error::FromErrno(errno, "chmod " + root + "/" + name);
  return Ok();
}

Result<std::string> FindBusybox() {
  for (const char* c : kBusyboxCandidates) {
    if (::access(c, X_OK) != 0) continue;
    if (CheckStaticElf(c)) return std::string(c);
  }
  return Error::Unsupported(kNeedBusybox);
}

// Opens (creating if needed) an empty directory for the rootfs.
Result<UniqueFd> OpenEmptyDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return Error::FromErrno(errno, "mkdir " + dir);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "open " + dir);
  UniqueFd probe(::dup(fd.get()));
  if (!probe) return Error::FromErrno(errno, "dup " + dir);
  ::fcntl(probe.get(), F_SETFD, FD_CLOEXEC);
  DIR* d = ::fdopendir(probe.get());
  if (d == nullptr) return Error::FromErrno(errno, "open " + dir);
  probe.release();
  bool empty = true;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  if (!empty) return Error(ErrorKind::kExists, "rootfs " + dir + " is not empty", EEXIST);
  return fd;
}

Status BuildBusybox(const std::string& dir) {
  RAMPART_ASSIGN_OR_RETURN(std::string busybox, FindBusybox());
  RAMPART_ASSIGN_OR_RETURN(CommandOutput list, RunCommand({busybox, "--list-full"}));
  if (ExitCodeFromWaitStatus(list.status) != 0)
    return Error::Internal(busybox + " --list-full failed: " + std::string(Trim(list.err)));
  RAMPART_ASSIGN_OR_RETURN(UniqueFd root, OpenEmptyDir(dir));
  const int rfd = root.get();
  // mkdirat is subject to the umask; modes are fixed with fchmodat below.
  const std::pair<const char*, mode_t> dirs[] = {
      {"bin", 0755},  {"sbin", 0755}, {"usr", 0755}, {"usr/bin", 0755}, {"usr/sbin", 0755},
      {"etc", 0755},  {"proc", 0555}, {"sys", 0555}, {"dev", 0755},     {"tmp", 01777},
      {"root", 0700}, {"var", 0755},  {"run", 0755}};
  for (const auto& [d, mode] : dirs) {
    if (::mkdirat(rfd, d, mode) != 0) return Error::FromErrno(errno, "mkdir " + dir + "/" + d);
    if (::fchmodat(rfd, d, mode, 0) != 0) return Error::FromErrno(errno, "chmod " + dir + "/" + d);
  }
  RAMPART_TRY(CopyFile(busybox, rfd, "bin/busybox", 0755, dir));
  for (const auto& raw : Split(list.out, '\n')) {
    std::string applet(Trim(raw));
    while (!applet.empty() && applet[0] == '/') applet.erase(0, 1);
    if (applet.empty() || applet == "bin/busybox") continue;
    if (applet.find("..") != std::string::npos)
      return Error::Internal("busybox lists a strange applet path '" + applet + "'");
    if (::symlinkat("/bin/busybox", rfd, applet.c_str()) != 0) {
      if (errno == EEXIST) continue;  // listed twice
      return Error::FromErrno(errno, "symlink " + dir + "/" + applet);
    }
  }
  RAMPART_TRY(WriteAllTo(
      rfd, "etc/passwd",
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0644,
      dir));
  RAMPART_TRY(WriteAllTo(rfd, "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644, dir));
  RAMPART_TRY(WriteAllTo(rfd, "etc/hostname", "rampart\n", 0644, dir));
  RAMPART_TRY(WriteAllTo(rfd, "etc/hosts",
                         "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0644,
                         dir));
  RAMPART_TRY(WriteAllTo(rfd, "etc/resolv.conf", "", 0644, dir));
  return Ok();
}

bool LooksRunnable(int rfd, const char* rel) {
  struct stat st;
  if (::fstatat(rfd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  // A symlink resolves inside the container's root, which we do not emulate here.
  return S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && (st.st_mode & 0111));
}

Result<std::string> ResolveDir(const std::string& path) {
  if (path.empty()) return Error::Invalid("template dir: needs a path (dir:PATH)");
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr)
    return Error::FromErrno(errno, "template dir:" + path);
  const std::string real = buf;
  if (real == "/")
    return Error::Invalid("template dir:" + path + " would share the host's root file system");
  UniqueFd fd(::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "template dir:" + path);
  bool ok = false;
  for (const char* rel : {"bin/sh", "usr/bin/sh", "sbin/init"})
    ok = ok || LooksRunnable(fd.get(), rel);
  if (!ok)
    return Error::Invalid(
        "template dir:" + path +
        " does not look like a root file system (no bin/sh, usr/bin/sh or sbin/init)");
  return real;
}

}  // namespace

Status CheckStaticElf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "open " + path);
  unsigned char ident[EI_NIDENT];
  ssize_t n = ::pread(fd.get(), ident, sizeof ident, 0);
  if (n < 0) return Error::FromErrno(errno, "read " + path);
  if (n != static_cast<ssize_t>(sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return Error::Invalid(path + " is not an ELF file");
  if (ident[EI_DATA] != ELFDATA2LSB)
    return Error::Invalid(path + " is not a little-endian ELF file");
  if (ident[EI_CLASS] == ELFCLASS64)
    return CheckProgramHeaders<Elf64_Ehdr, Elf64_Phdr>(fd.get(), path);
  if (ident[EI_CLASS] == ELFCLASS32)
    return CheckProgramHeaders<Elf32_Ehdr, Elf32_Phdr>(fd.get(), path);
  return Error::Invalid(path + " has an unknown ELF class");
}

Status BuildTemplate(const std::string& ref, const std::string& rootfs_dir) {
  if (ref == "busybox") return BuildBusybox(rootfs_dir);
  if (ref.starts_with("dir:")) {
    auto dir = ResolveDir(ref.substr(4));
    if (!dir) return dir.error();
    return Ok();
  }
  return Error::Invalid("unknown template '" + ref + "' (known: " + kKnownTemplates + ")");
}

Result<std::string> ResolveTemplate(const std::string& ref,
                                    const std::string& container_rootfs_dir) {
  if (ref == "busybox") {
    RAMPART_TRY(BuildBusybox(container_rootfs_dir));
    return container_rootfs_dir;
  }
  if (ref.starts_with("dir:")) return ResolveDir(ref.substr(4));
  return Error::Invalid("unknown template '" + ref + "' (known: " + kKnownTemplates + ")");
}

}  // namespace rampart::runtime
