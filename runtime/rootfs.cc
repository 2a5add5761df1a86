#include "runtime/rootfs.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "runtime/safe_path.h"

namespace rampart::runtime {
namespace {

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

// /proc entries that are always read-only, whatever the profile says
// (security-lessons.md, "writable /proc/sys, /sys, sysrq").
constexpr std::array<std::string_view, 5> kAlwaysReadonly = {"/proc/sys", "/proc/sysrq-trigger",
                                                             "/proc/irq", "/proc/bus", "/proc/fs"};

struct DevNode {
  const char* name;
  unsigned major;
  unsigned minor;
};
constexpr std::array<DevNode, 6> kDevNodes = {{
    {"null", 1, 3},
    {"zero", 1, 5},
    {"full", 1, 7},
    {"random", 1, 8},
    {"urandom", 1, 9},
    {"tty", 5, 0},
}};

struct FsOption {
  std::string key;
  std::string value;      // empty: a flag option
  bool optional = false;  // skipped when the kernel rejects it
};

// The first message the kernel left in an fs context ("e sysfs: ..."), to
// make "invalid argument" explain itself.
std::string FsLog(int fs_fd) {
  char buf[256];
  ssize_t n = read(fs_fd, buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  if (s.size() > 2 && s[1] == ' ') s = s.substr(2);
  return " (" + s + ")";
}

Error SysError(const std::string& what) { return Error::FromErrno(errno, what); }

// fsopen → fsconfig... → create → fsmount: a new, still detached mount.
// `what` is the step ("mount proc on /proc").
Result<UniqueFd> NewMount(const char* fstype, const std::vector<FsOption>& options, unsigned attrs,
                          const std::string& what) {
  UniqueFd fs(fsopen(fstype, FSOPEN_CLOEXEC));
  if (!fs) return SysError(what + ": fsopen " + fstype);
  for (const auto& o : options) {
    int rc = o.value.empty()
                 ? fsconfig(fs.get(), FSCONFIG_SET_FLAG, o.key.c_str(), nullptr, 0)
                 : fsconfig(fs.get(), FSCONFIG_SET_STRING, o.key.c_str(), o.value.c_str(), 0);
    if (rc != 0) {
      if (o.optional) {
        FsLog(fs.get());  // drain the message
        continue;
      }
      int err = errno;
      return Error::FromErrno(err, what + ": option " + o.key + FsLog(fs.get()));
    }
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    return Error::FromErrno(err, what + ": create superblock" + FsLog(fs.get()));
  }
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt) {
    int err = errno;
    return Error::FromErrno(err, what + ": fsmount" + FsLog(fs.get()));
  }
  return mnt;
}

// Attaches a detached mount (from fsmount or open_tree) onto the object the
// O_PATH fd `target` refers to. No path is looked up.
Status Attach(int mnt_fd, int target_fd, const std::string& what) {
  if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return SysError(what + ": move_mount");
  return Ok();
}

Status SetAttrs(int mnt_fd, uint64_t set, bool recursive, const std::string& what) {
  mount_attr attr{};
  attr.attr_set = set;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (mount_setattr(mnt_fd, "", flags, &attr, sizeof attr) != 0)
    return SysError(what + ": mount_setattr");
  return Ok();
}

Status CheckFsType(int fd, long magic, const std::string& what) {
  struct statfs sfs {};
  if (fstatfs(fd, &sfs) != 0) return SysError(what + ": statfs");
  if (static_cast<long>(sfs.f_type) != magic)
    return Error(
        ErrorKind::kInternal,
        what + ": unexpected filesystem type 0x" +
            [&] {
              char b[32];
              snprintf(b, sizeof b, "%lx", static_cast<long>(sfs.f_type));
              return std::string(b);
            }(),
        EINVAL);
  return Ok();
}

Status CheckCharDev(int fd, unsigned major_no, unsigned minor_no, const std::string& what) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return SysError(what + ": stat");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != major_no || minor(st.st_rdev) != minor_no)
    return Error(ErrorKind::kInvalid,
                 what + ": not the character device " + std::to_string(major_no) + ":" +
                     std::to_string(minor_no),
                 EINVAL);
  return Ok();
}

// Mounts a fresh filesystem on `path` inside the root and checks that the
// path now shows it. Returns the (attached) mount's fd.
Result<UniqueFd> MountNew(int root_fd, const std::string& path, const char* fstype,
                          const std::vector<FsOption>& options, unsigned attrs, long magic) {
  const std::string what = std::string("mount ") + fstype + " on " + path;
  auto target = PrepareMountTarget(root_fd, path, /*want_dir=*/true);
  if (!target) return target.error().Wrap(what);
  RAMPART_ASSIGN_OR_RETURN(UniqueFd mnt, NewMount(fstype, options, attrs, what));
  RAMPART_TRY(CheckFsType(mnt.get(), magic, what));
  RAMPART_TRY(Attach(mnt.get(), target->get(), what));
  // Look the path up again: the mount must be what it now shows.
  auto check = OpenInRoot(root_fd, path, O_PATH | O_DIRECTORY);
  if (!check) return check.error().Wrap(what + ": verify");
  RAMPART_TRY(CheckFsType(check->get(), magic, what + ": verify"));
  return mnt;
}

Status MountProc(int root_fd) {
  auto proc = MountNew(root_fd, "/proc", "proc", {},
                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, PROC_SUPER_MAGIC);
  return proc ? Ok() : Status(proc.error());
}

// An empty read-only tmpfs over `target_fd`.
Status MountEmptyTmpfs(int target_fd, const std::string& what) {
  RAMPART_ASSIGN_OR_RETURN(
      UniqueFd t,
      NewMount("tmpfs", {{"mode", "0555"}},
               MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, what));
  return Attach(t.get(), target_fd, what);
}

// /sys/fs/cgroup: a read-only cgroup2 view of our own cgroup namespace, or an
// empty read-only tmpfs. Never writable, never the host's v1 hierarchies
// (CVE-2022-0492 needs a writable v1 release_agent).
Status MountCgroup(int sys_fd, const RootfsPlan& plan) {
  auto target = OpenNoFollowTarget(sys_fd, "/fs/cgroup", /*want_dir=*/true);
  if (!target) {
    if (target.error().err() == ENOENT) return Ok();  // sysfs without cgroup support
    return target.error().Wrap("mount cgroup on /sys/fs/cgroup");
  }
  if (plan.new_cgroup_ns) {
    auto cg = NewMount("cgroup2", {},
                       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                       "mount cgroup2 on /sys/fs/cgroup");
    if (cg) return Attach(cg->get(), target->get(), "mount cgroup2 on /sys/fs/cgroup");
    // Fall through: the tmpfs hides whatever is below (e.g. the host's
    // hierarchies under a recursive bind of /sys).
  }
  return MountEmptyTmpfs(target->get(), "mount tmpfs on /sys/fs/cgroup");
}

Status MountSys(int root_fd, const RootfsPlan& plan) {
  const std::string what = "mount sysfs on /sys";
  constexpr unsigned kAttrs =
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  auto target = PrepareMountTarget(root_fd, "/sys", /*want_dir=*/true);
  if (!target) return target.error().Wrap(what);
  auto mnt = NewMount("sysfs", {}, kAttrs, what);
  if (!mnt && plan.user_namespace) {
    // sysfs needs a network namespace owned by our user namespace; without
    // one, show the host's /sys read-only (what rootless runc does).
    const std::string bind_what = "bind host /sys on /sys (after " + mnt.error().message() + ")";
    // Non-recursive first: the host's submounts of /sys (cgroup v1
    // hierarchies, securityfs, debugfs...) are then not in the view at all.
    // The kernel refuses that (EINVAL) when a submount is locked, i.e. our
    // mount namespace was copied into the user namespace; then take the
    // whole tree and rely on the covers below (/sys/fs/cgroup, masks).
    UniqueFd tree(open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!tree)
      tree.reset(open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree) return SysError(bind_what + ": open_tree /sys");
    RAMPART_TRY(SetAttrs(tree.get(), kAttrs, /*recursive=*/true, bind_what));
    mnt = std::move(tree);
  }
  if (!mnt) return mnt.error();
  RAMPART_TRY(CheckFsType(mnt->get(), SYSFS_MAGIC, what));
  RAMPART_TRY(Attach(mnt->get(), target->get(), what));
  auto check = OpenInRoot(root_fd, "/sys", O_PATH | O_DIRECTORY);
  if (!check) return check.error().Wrap(what + ": verify");
  RAMPART_TRY(CheckFsType(check->get(), SYSFS_MAGIC, what + ": verify"));
  return MountCgroup(mnt->get(), plan);
}

// One device node in the fresh /dev tmpfs (dev_fd): a bind of the host's
// node, verified before and after. Never mknod: /dev itself is nodev, so a
// node the container makes there (CAP_MKNOD is one of the usual 14) cannot
// be opened; only these binds, each a mount of its own, reach a device.
Status MakeDevNode(int dev_fd, const DevNode& n) {
  const std::string path = std::string("/dev/") + n.name;
  const std::string what = "bind host " + path + " on " + path;
  // The host's /dev is trusted; the node we bind is checked before use.
  UniqueFd src(open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!src) return SysError(what + ": open_tree");
  RAMPART_TRY(CheckCharDev(src.get(), n.major, n.minor, what));
  RAMPART_TRY(SetAttrs(src.get(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, /*recursive=*/false, what));
  UniqueFd f(openat(dev_fd, n.name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (!f) return SysError(what + ": create mount point");
  UniqueFd target(openat(dev_fd, n.name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) return SysError(what + ": open mount point");
  RAMPART_TRY(Attach(src.get(), target.get(), what));
  UniqueFd check(openat(dev_fd, n.name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!check) return SysError("verify " + path);
  return CheckCharDev(check.get(), n.major, n.minor, "verify " + path);
}

Status MountSubdir(int dev_fd, const char* name, const char* fstype,
                   const std::vector<FsOption>& options, unsigned attrs) {
  const std::string what = std::string("mount ") + fstype + " on /dev/" + name;
  if (mkdirat(dev_fd, name, 0755) != 0 && errno != EEXIST) return SysError(what + ": mkdir");
  UniqueFd target(openat(dev_fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
  if (!target) return SysError(what + ": open mount point");
  RAMPART_ASSIGN_OR_RETURN(UniqueFd mnt, NewMount(fstype, options, attrs, what));
  return Attach(mnt.get(), target.get(), what);
}

// `options` plus SELinux's context= when the plan has a mount label.
std::vector<FsOption> Labelled(std::vector<FsOption> options, const RootfsPlan& plan) {
  if (!plan.mount_label.empty()) options.push_back({"context", plan.mount_label});
  return options;
}

Status MountDev(int root_fd, const RootfsPlan& plan) {
  RAMPART_ASSIGN_OR_RETURN(
      UniqueFd dev, MountNew(root_fd, "/dev", "tmpfs", Labelled({{"mode", "0755"}, {"size", "65536k"}}, plan),
                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_STRICTATIME, TMPFS_MAGIC));
  for (const auto& n : kDevNodes) RAMPART_TRY(MakeDevNode(dev.get(), n));
  // Every devpts mount has been a new instance since linux 4.7, so no
  // "newinstance". gid=5 (tty) only when that gid is mapped in our user
  // namespace; the kernel rejects it otherwise and the option is dropped.
  RAMPART_TRY(MountSubdir(dev.get(), "pts", "devpts",
                          Labelled({{"ptmxmode", "0666"}, {"mode", "0620"}, {"gid", "5", /*optional=*/true}}, plan),
                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  RAMPART_TRY(MountSubdir(dev.get(), "shm", "tmpfs", Labelled({{"mode", "1777"}, {"size", "65536k"}}, plan),
                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (plan.new_ipc_ns)
    RAMPART_TRY(MountSubdir(dev.get(), "mqueue", "mqueue", {},
                            MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  constexpr std::array<std::pair<const char*, const char*>, 5> kLinks = {{
      {"ptmx", "pts/ptmx"},
      {"fd", "/proc/self/fd"},
      {"stdin", "/proc/self/fd/0"},
      {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"},
  }};
  for (const auto& [name, to] : kLinks) {
    if (symlinkat(to, dev.get(), name) != 0)
      return SysError(std::string("symlink /dev/") + name + " -> " + to);
  }
  return Ok();
}

Status MountTmpfs(int root_fd, const BindMount& b, const RootfsPlan& plan) {
  const std::string what = "mount tmpfs on " + b.target;
  std::vector<FsOption> options = Labelled({}, plan);
  for (const auto& o : b.options) {
    auto eq = o.find('=');
    options.push_back(eq == std::string::npos ? FsOption{o, ""} : FsOption{o.substr(0, eq), o.substr(eq + 1)});
  }
  RAMPART_ASSIGN_OR_RETURN(
      UniqueFd mnt,
      NewMount("tmpfs", options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (b.readonly ? MOUNT_ATTR_RDONLY : 0), what));
  auto target = PrepareMountTarget(root_fd, b.target, /*want_dir=*/true);
  if (!target) return target.error().Wrap(what);
  return Attach(mnt.get(), target->get(), what);
}

Status MountBind(int root_fd, const BindMount& b, const RootfsPlan& plan) {
  if (b.type == "tmpfs") return MountTmpfs(root_fd, b, plan);
  if (b.type != "bind") return Error::Invalid("mount on " + b.target + ": unsupported type '" + b.type + "' (bind or tmpfs)");
  const std::string what = "bind " + b.source + " on " + b.target;
  if (b.source.empty() || b.source[0] != '/')
    return Error::Invalid(what + ": source is not an absolute path");
  UniqueFd src(
      open_tree(AT_FDCWD, b.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!src) return SysError(what + ": open_tree " + b.source);
  struct stat st {};
  if (fstat(src.get(), &st) != 0) return SysError(what + ": stat " + b.source);
  // Read-only before it becomes visible: no window where it is writable.
  RAMPART_TRY(SetAttrs(src.get(), MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | (b.readonly ? MOUNT_ATTR_RDONLY : 0),
                       /*recursive=*/true, what));
  auto target = PrepareMountTarget(root_fd, b.target, S_ISDIR(st.st_mode));
  if (!target) return target.error().Wrap(what);
  return Attach(src.get(), target->get(), what);
}

// pivot_root(".", ".") (runc's trick): no directory for the old root is
// needed; the old root ends up stacked on the new one and is detached.
Status PivotRoot(int root_fd) {
  UniqueFd old_root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!old_root) return SysError("pivot_root: open old root /");
  if (fchdir(root_fd) != 0) return SysError("pivot_root: chdir to new root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) return SysError("pivot_root");
  // No guarantee from the kernel about the cwd after pivot_root: go to the
  // old root explicitly.
  if (fchdir(old_root.get()) != 0) return SysError("pivot_root: chdir to old root");
  // Already private since step 1; rslave again so that our unmount can
  // never propagate to the host even if a caller changed that.
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return SysError("pivot_root: make old root rslave");
  if (umount2(".", MNT_DETACH) != 0) return SysError("pivot_root: detach old root");
  if (chdir("/") != 0) return SysError("pivot_root: chdir /");
  return Ok();
}

bool IsUnder(const std::string& clean, std::string_view dir) {
  return clean.size() > dir.size() && clean.compare(0, dir.size(), dir) == 0 &&
         clean[dir.size()] == '/';
}

// The source masked files are bound from: an empty, read-only regular file
// on a private tmpfs, so reads return nothing and writes fail with EROFS (a
// bind of /dev/null would swallow writes instead). Falls back to the
// container's /dev/null, checked to be 1:3 (CVE-2025-31133), when the kernel
// cannot clone from a detached mount.
struct MaskSource {
  UniqueFd mnt;        // detached read-only tmpfs holding "empty"
  UniqueFd null_node;  // the fallback
};

Result<MaskSource> MakeMaskSource(int root_fd) {
  MaskSource m;
  auto t = NewMount("tmpfs", {{"mode", "0555"}, {"size", "4k"}},
                    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "mask source");
  if (t) {
    UniqueFd f(openat(t->get(), "empty", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444));
    bool created = f.valid();
    f.reset();  // an open writer would make the read-only switch fail (EBUSY)
    if (created && SetAttrs(t->get(), MOUNT_ATTR_RDONLY, /*recursive=*/false, "mask source")) m.mnt = std::move(*t);
  }
  auto null_fd = OpenNoFollowTarget(root_fd, "/dev/null", /*want_dir=*/false);
  if (!null_fd) return null_fd.error().Wrap("mask paths: open /dev/null");
  RAMPART_TRY(CheckCharDev(null_fd->get(), 1, 3, "mask paths: /dev/null"));
  m.null_node = std::move(*null_fd);
  return m;
}

Result<UniqueFd> CloneMaskFile(const MaskSource& m, const std::string& what) {
  if (m.mnt) {
    UniqueFd src(open_tree(m.mnt.get(), "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (src) return src;
  }
  UniqueFd src(open_tree(m.null_node.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
  if (!src) return SysError(what + ": open_tree /dev/null");
  RAMPART_TRY(CheckCharDev(src.get(), 1, 3, what + ": /dev/null"));
  RAMPART_TRY(SetAttrs(src.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, /*recursive=*/false, what));
  return src;
}

Status MaskPaths(int root_fd, const std::vector<std::string>& paths) {
  if (paths.empty()) return Ok();
  RAMPART_ASSIGN_OR_RETURN(MaskSource source, MakeMaskSource(root_fd));
  for (const auto& raw : paths) {
    const std::string path = CleanContainerPath(raw);
    const std::string what = "mask " + path;
    auto target = OpenNoFollow(root_fd, path);
    if (!target) {
      if (target.error().err() == ENOENT) continue;
      return target.error().Wrap(what);
    }
    if (IsUnder(path, "/proc")) RAMPART_TRY(CheckFsType(target->get(), PROC_SUPER_MAGIC, what));
    struct stat st {};
    if (fstat(target->get(), &st) != 0) return SysError(what + ": stat");
    if (S_ISDIR(st.st_mode)) {
      RAMPART_TRY(MountEmptyTmpfs(target->get(), what));
      continue;
    }
    RAMPART_ASSIGN_OR_RETURN(UniqueFd src, CloneMaskFile(source, what));
    RAMPART_TRY(Attach(src.get(), target->get(), what));
  }
  return Ok();
}

// Bind onto itself, read-only, recursive. mount_setattr only adds
// MOUNT_ATTR_RDONLY and leaves nosuid/nodev/noexec as they are, so the
// "remount drops a locked flag → EPERM in a user namespace" trap of
// MS_REMOUNT|MS_BIND does not exist here (no statvfs flag carrying needed).
Status ReadonlyPaths(int root_fd, const std::vector<std::string>& requested) {
  std::vector<std::string> paths;
  auto add = [&](std::string_view p) {
    std::string c = CleanContainerPath(p);
    for (const auto& have : paths)
      if (have == c) return;
    paths.push_back(std::move(c));
  };
  for (const auto& p : requested) add(p);
  for (auto p : kAlwaysReadonly) add(p);
  for (const auto& path : paths) {
    const std::string what = "make " + path + " read-only";
    auto target = OpenNoFollow(root_fd, path);
    if (!target) {
      if (target.error().err() == ENOENT) continue;
      return target.error().Wrap(what);
    }
    if (IsUnder(path, "/proc")) RAMPART_TRY(CheckFsType(target->get(), PROC_SUPER_MAGIC, what));
    UniqueFd tree(open_tree(target->get(), "",
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
    if (!tree) return SysError(what + ": open_tree");
    RAMPART_TRY(SetAttrs(tree.get(), MOUNT_ATTR_RDONLY, /*recursive=*/true, what));
    RAMPART_TRY(Attach(tree.get(), target->get(), what));
  }
  return Ok();
}

}  // namespace

Status SetupRootfs(const RootfsPlan& plan) {
  if (plan.rootfs.empty() || plan.rootfs[0] != '/')
    return Error::Invalid("rootfs " + plan.rootfs + ": not an absolute path");

  // 1. Nothing we do below may reach the host's mount tree.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return SysError("make / rprivate");

  // 2. The rootfs as a mount of its own (pivot_root needs one). The host
  // path is host configuration and resolved on the host.
  // The caller may have opened it before entering a user namespace whose
  // root cannot traverse the host directories above the rootfs.
  UniqueFd under(plan.rootfs_fd >= 0 ? fcntl(plan.rootfs_fd, F_DUPFD_CLOEXEC, 3)
                                     : open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!under) return SysError("open rootfs " + plan.rootfs);
  UniqueFd root(open_tree(under.get(), "",
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
  if (!root) return SysError("bind rootfs " + plan.rootfs + " onto itself: open_tree");
  // nodev everywhere in the rootfs: device nodes in an image (or made with
  // CAP_MKNOD) cannot be opened; /dev gets verified binds of the host's.
  RAMPART_TRY(SetAttrs(root.get(), MOUNT_ATTR_NODEV, /*recursive=*/true, "rootfs nodev"));
  RAMPART_TRY(Attach(root.get(), under.get(), "bind rootfs " + plan.rootfs + " onto itself"));
  under.reset();
  // `root` now refers to the root of the attached bind mount: every path
  // below is resolved from it.

  // 3. Kernel filesystems and /dev.
  RAMPART_TRY(MountProc(root.get()));
  RAMPART_TRY(MountSys(root.get(), plan));
  RAMPART_TRY(MountDev(root.get(), plan));

  // 4. The caller's binds.
  for (const auto& b : plan.binds) RAMPART_TRY(MountBind(root.get(), b, plan));

  // 5. The host's tree goes away.
  RAMPART_TRY(PivotRoot(root.get()));
  root.reset();
  UniqueFd new_root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!new_root) return SysError("open new root /");

  // 6-8.
  RAMPART_TRY(MaskPaths(new_root.get(), plan.masked_paths));
  RAMPART_TRY(ReadonlyPaths(new_root.get(), plan.readonly_paths));
  if (plan.readonly_root)
    RAMPART_TRY(
        SetAttrs(new_root.get(), MOUNT_ATTR_RDONLY, /*recursive=*/false, "make / read-only"));
  if (chdir("/") != 0) return SysError("chdir /");
  return Ok();
}

}  // namespace rampart::runtime
