#include "runtime/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>
#include <utility>

#include "base/atomic_file.h"
#include "base/strings.h"
#include "runtime/mountinfo.h"

namespace rampart::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kCpuPeriodUs = 100000;
constexpr int kMaxNesting = 32;  // nested cgroups a container may have made
constexpr int kFreezeWaitMs = 2000;
constexpr int kKillWaitMs = 5000;
constexpr int kRmdirBusyWaitMs = 1000;

// The v1 controllers rampart uses, in the order their hierarchies are listed.
constexpr std::string_view kV1Roles[] = {"memory", "pids", "cpu", "freezer"};

// ---- names and text --------------------------------------------------------

Status ValidateName(const std::string& name, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return Error::Invalid("invalid cgroup " + std::string(what) + " \"" + name + "\": " + why);
  };
  if (name.empty()) return bad("empty");
  if (name.size() > 128) return bad("longer than 128 characters");
  if (name[0] == '.') return bad("starts with a dot");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return bad("only letters, digits, '_', '-' and '.' are allowed");
  }
  return Ok();
}

struct MountEntry {
  std::string root;         // field 4: the mount's root inside its filesystem
  std::string mount_point;  // field 5
  std::string fstype;
  std::vector<std::string> super_options;
};

// The cgroup and cgroup2 mounts of /proc/self/mountinfo (all the layout
// needs). Every line is checked, but only those are copied out: a host can
// have hundreds of mounts, and this runs at every start.
Result<std::vector<MountEntry>> ParseCgroupMounts(std::string_view text) {
  std::vector<MountEntry> mounts;
  int line_no = 0;
  for (std::string_view raw : MountInfoLines(text)) {
    ++line_no;
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    auto f = SplitMountInfoLine(line);
    if (!f || !f->has_separator || f->after_separator < 3)
      return Error::Invalid("mountinfo line " + std::to_string(line_no) + ": malformed");
    if (f->fstype != "cgroup" && f->fstype != "cgroup2") continue;
    MountEntry m;
    m.root = UnescapeMountField(f->root);
    m.mount_point = UnescapeMountField(f->mountpoint);
    m.fstype = std::string(f->fstype);
    m.super_options = Split(f->super_options, ',');
    mounts.push_back(std::move(m));
  }
  return mounts;
}

struct SelfCgroupLine {
  std::vector<std::string> controllers;  // empty for the v2 line "0::/path"
  std::string path;
  bool v2 = false;
};

Result<std::vector<SelfCgroupLine>> ParseSelfCgroup(std::string_view text) {
  std::vector<SelfCgroupLine> lines;
  int line_no = 0;
  for (const std::string& raw : Split(text, '\n')) {
    ++line_no;
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos)
      return Error::Invalid("/proc/self/cgroup line " + std::to_string(line_no) + ": malformed");
    SelfCgroupLine l;
    std::string_view id = line.substr(0, a);
    std::string_view ctrls = line.substr(a + 1, b - a - 1);
    l.path = std::string(line.substr(b + 1));
    l.v2 = id == "0" && ctrls.empty();
    if (!ctrls.empty()) l.controllers = Split(ctrls, ',');
    if (l.path.empty() || l.path[0] != '/')
      return Error::Invalid("/proc/self/cgroup line " + std::to_string(line_no) +
                            ": path is not absolute");
    lines.push_back(std::move(l));
  }
  return lines;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Our own cgroup directory inside a mount, or nullopt when the mount does not
// show it (a mount of some other subtree).
std::optional<std::string> OwnDir(const MountEntry& m, const std::string& path) {
  std::string rel;
  if (m.root == "/") {
    rel = path;
  } else if (path == m.root) {
    rel = "/";
  } else if (path.size() > m.root.size() && path.compare(0, m.root.size(), m.root) == 0 &&
             path[m.root.size()] == '/') {
    rel = path.substr(m.root.size());
  } else {
    return std::nullopt;
  }
  if (rel.find("/..") != std::string::npos || rel.find(" (deleted)") != std::string::npos)
    return std::nullopt;
  std::string dir = m.mount_point;
  if (rel != "/") dir += rel;
  return dir;
}

// ---- file helpers ----------------------------------------------------------

std::string Dir(const std::string& base, const std::string& name) { return base + "/" + name; }

Status WriteCgroupFile(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "open " + path);
  while (true) {
    ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno(errno, "write " + path);
    if (static_cast<size_t>(n) != value.size())
      return Error::Internal("write " + path + ": short write of \"" + std::string(value) + "\"");
    return Ok();
  }
}

// Like WriteCgroupFile but a missing file is not an error (returns false).
Result<bool> WriteIfPresent(const std::string& path, std::string_view value) {
  Status s = WriteCgroupFile(path, value);
  if (s) return true;
  if (s.error().err() == ENOENT) return false;
  return s.error();
}

Result<std::string> ReadTrimmed(const std::string& path) {
  RAMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return std::string(Trim(text));
}

Result<uint64_t> ReadUint(const std::string& path) {
  RAMPART_ASSIGN_OR_RETURN(std::string text, ReadTrimmed(path));
  auto v = ParseUint64(text);
  if (!v) return Error::Invalid("read " + path + ": not a number: \"" + text + "\"");
  return *v;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Names of the child directories of `dir` (a missing `dir` gives ENOENT).
Result<std::vector<std::string>> ListSubdirs(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno(errno, "open " + dir);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    return Error::FromErrno(err, "fdopendir " + dir);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) is_dir = IsDir(Dir(dir, n));
    if (is_dir) names.push_back(std::move(n));
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return Error::FromErrno(err, "readdir " + dir);
  std::sort(names.begin(), names.end());
  return names;
}

// Appends the processes of `dir` and every cgroup nested below it. A
// directory that vanished meanwhile counts as empty.
Status CollectPids(const std::string& dir, int depth, std::set<pid_t>* out) {
  if (depth > kMaxNesting)
    return Error::Invalid("cgroup " + dir + ": nested deeper than " + std::to_string(kMaxNesting));
  auto text = ReadFile(Dir(dir, "cgroup.procs"));
  if (!text) {
    if (text.error().err() == ENOENT || text.error().err() == ENODEV) return Ok();
    return text.error();
  }
  for (const std::string& line : Split(*text, '\n')) {
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    auto pid = ParseUint64(t);
    if (!pid || *pid == 0 || *pid > INT32_MAX)
      return Error::Invalid("read " + Dir(dir, "cgroup.procs") + ": bad pid \"" + std::string(t) +
                            "\"");
    out->insert(static_cast<pid_t>(*pid));
  }
  auto subdirs = ListSubdirs(dir);
  if (!subdirs) {
    if (subdirs.error().err() == ENOENT) return Ok();
    return subdirs.error();
  }
  for (const std::string& sub : *subdirs) RAMPART_TRY(CollectPids(Dir(dir, sub), depth + 1, out));
  return Ok();
}

std::string PidList(const std::set<pid_t>& pids) {
  std::vector<std::string> parts;
  for (pid_t p : pids) parts.push_back(std::to_string(p));
  return Join(parts, ",");
}

// rmdir that retries EBUSY for a while (a cgroup can stay busy briefly after
// its last process died); ENOENT is success.
Status RmdirRetry(const std::string& dir) {
  auto deadline = Clock::now() + milliseconds(kRmdirBusyWaitMs);
  while (true) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Ok();
    if (errno != EBUSY || Clock::now() >= deadline) return Error::FromErrno(errno, "rmdir " + dir);
    std::this_thread::sleep_for(milliseconds(10));
  }
}

// Removes `dir` and the cgroups nested below it, deepest first.
Status RemoveTree(const std::string& dir, int depth) {
  if (depth > kMaxNesting)
    return Error::Invalid("cgroup " + dir + ": nested deeper than " + std::to_string(kMaxNesting));
  auto subdirs = ListSubdirs(dir);
  if (!subdirs) {
    if (subdirs.error().err() == ENOENT) return Ok();
    return subdirs.error();
  }
  for (const std::string& sub : *subdirs) RAMPART_TRY(RemoveTree(Dir(dir, sub), depth + 1));
  return RmdirRetry(dir);
}

// An existing container directory left by a crashed run: an error naming
// its processes if it has any, else removed (with any nested cgroup).
Status RemoveLeftover(const std::string& dir) {
  std::set<pid_t> pids;
  RAMPART_TRY(CollectPids(dir, 0, &pids));
  if (!pids.empty())
    return Error(ErrorKind::kExists,
                 "cgroup " + dir + " already exists and has processes (" + PidList(pids) + ")",
                 EEXIST);
  Status removed = RemoveTree(dir, 0);
  if (!removed) return removed.error().Wrap("remove leftover cgroup " + dir);
  return Ok();
}

// mkdir of a container directory. A leftover without processes is removed
// (with whatever it nested) and made afresh, so no stale limit survives.
Status MakeContainerDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return Ok();
  if (errno != EEXIST) return Error::FromErrno(errno, "mkdir " + dir);
  RAMPART_TRY(RemoveLeftover(dir));
  if (::mkdir(dir.c_str(), 0755) != 0) return Error::FromErrno(errno, "mkdir " + dir);
  return Ok();
}

Status MakeParentDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return Ok();
  return Error::FromErrno(errno, "mkdir " + dir);
}

bool IsPermissionLike(int err) { return err == EROFS || err == EACCES || err == EPERM; }

Error MissingController(std::string_view limit, std::string_view controller,
                        const std::string& detail) {
  std::string msg = std::string(limit) + " limit requested but the " + std::string(controller) +
                    " controller is not available";
  if (!detail.empty()) msg += " (" + detail + ")";
  return Error::Unsupported(std::move(msg));
}

Status ValidateLimits(const CgroupLimits& l) {
  if (l.memory_bytes && *l.memory_bytes == 0) return Error::Invalid("memory limit must be above 0");
  if (l.memory_bytes && *l.memory_bytes > static_cast<uint64_t>(INT64_MAX))
    return Error::Invalid("memory limit " + std::to_string(*l.memory_bytes) + " is too large");
  if (l.pids_max && *l.pids_max == 0) return Error::Invalid("pids limit must be at least 1");
  if (l.cpu_weight && (*l.cpu_weight < 1 || *l.cpu_weight > 10000))
    return Error::Invalid("cpu weight " + std::to_string(*l.cpu_weight) + " is outside 1..10000");
  if (l.cpus && (!std::isfinite(*l.cpus) || *l.cpus <= 0 || *l.cpus > 65536))
    return Error::Invalid("cpus " + std::to_string(*l.cpus) + " must be above 0 and at most 65536");
  return Ok();
}

uint64_t QuotaUs(double cpus) {
  long long q = std::llround(cpus * static_cast<double>(kCpuPeriodUs));
  return std::max<uint64_t>(1000, static_cast<uint64_t>(q));
}

// Reads "key value" lines (cgroup.events) and returns the value for `key`.
Result<std::string> ReadKeyed(const std::string& path, std::string_view key) {
  RAMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  for (const std::string& line : Split(text, '\n')) {
    std::string_view t = Trim(line);
    if (t.size() > key.size() && t.substr(0, key.size()) == key && t[key.size()] == ' ')
      return std::string(Trim(t.substr(key.size() + 1)));
  }
  return Error::NotFound("read " + path + ": no \"" + std::string(key) + "\" entry");
}

}  // namespace

// ---- CgroupManager -----------------------------------------------------------

Result<CgroupManager> CgroupManager::Detect(std::string parent_name) {
  RAMPART_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  RAMPART_ASSIGN_OR_RETURN(std::string self_cgroup, ReadFile("/proc/self/cgroup"));
  return FromText(mountinfo, self_cgroup, std::move(parent_name));
}

Result<CgroupManager> CgroupManager::FromText(std::string_view mountinfo,
                                              std::string_view self_cgroup,
                                              std::string parent_name) {
  RAMPART_TRY(ValidateName(parent_name, "parent name"));
  RAMPART_ASSIGN_OR_RETURN(std::vector<MountEntry> mounts, ParseCgroupMounts(mountinfo));
  RAMPART_ASSIGN_OR_RETURN(std::vector<SelfCgroupLine> lines, ParseSelfCgroup(self_cgroup));

  CgroupManager m;
  m.parent_name_ = std::move(parent_name);

  // v1: each hierarchy is a line "ID:ctrl,ctrl:/path" and a "cgroup" mount
  // whose super options name the same controllers.
  bool any_v1_controller = false;
  std::vector<CgroupHierarchy> v1;
  for (const SelfCgroupLine& line : lines) {
    if (line.v2 || line.controllers.empty()) continue;
    bool real = std::any_of(line.controllers.begin(), line.controllers.end(),
                            [](const std::string& c) { return c.rfind("name=", 0) != 0; });
    for (const MountEntry& mount : mounts) {
      if (mount.fstype != "cgroup") continue;
      bool all =
          std::all_of(line.controllers.begin(), line.controllers.end(),
                      [&](const std::string& c) { return Contains(mount.super_options, c); });
      if (!all) continue;
      auto own = OwnDir(mount, line.path);
      if (!own) continue;
      if (real) any_v1_controller = true;
      v1.push_back({line.controllers, false, mount.mount_point, *own});
      break;
    }
  }
  for (std::string_view role : kV1Roles) {
    for (const CgroupHierarchy& h : v1) {
      if (!Contains(h.controllers, role)) continue;
      bool dup =
          std::any_of(m.hierarchies_.begin(), m.hierarchies_.end(),
                      [&](const CgroupHierarchy& o) { return o.mount_point == h.mount_point; });
      if (!dup) m.hierarchies_.push_back(h);
      break;
    }
  }

  // v2: the line "0::/path" and a "cgroup2" mount.
  std::optional<CgroupHierarchy> v2;
  for (const SelfCgroupLine& line : lines) {
    if (!line.v2) continue;
    for (const MountEntry& mount : mounts) {
      if (mount.fstype != "cgroup2") continue;
      auto own = OwnDir(mount, line.path);
      if (!own) continue;
      v2 = CgroupHierarchy{{}, true, mount.mount_point, *own};
      break;
    }
  }

  if (any_v1_controller) {
    m.mode_ = v2 ? CgroupMode::kHybrid : CgroupMode::kV1;
  } else if (v2) {
    m.mode_ = CgroupMode::kV2;
  } else {
    return Error::Unsupported(
        "no usable cgroup hierarchy: neither a v1 controller nor cgroup2 is mounted "
        "where our own cgroup is visible");
  }
  if (v2) m.hierarchies_.push_back(*v2);
  return m;
}

bool CgroupManager::HasController(std::string_view controller) const {
  if (mode_ == CgroupMode::kV2) return Contains({"memory", "pids", "cpu", "freezer"}, controller);
  return std::any_of(hierarchies_.begin(), hierarchies_.end(), [&](const CgroupHierarchy& h) {
    return !h.v2 && Contains(h.controllers, controller);
  });
}

Result<std::vector<std::string>> CgroupManager::PathsFor(const std::string& name) const {
  RAMPART_TRY(ValidateName(name, "name"));
  std::vector<std::string> paths;
  for (const CgroupHierarchy& h : hierarchies_)
    paths.push_back(Dir(Dir(h.own_dir, parent_name_), name));
  return paths;
}

Result<Cgroup> CgroupManager::Create(const std::string& name, const CgroupLimits& limits) const {
  RAMPART_TRY(ValidateName(name, "name"));
  RAMPART_TRY(ValidateLimits(limits));
  bool want_cpu = limits.cpu_weight.has_value() || limits.cpus.has_value();
  const char* cpu_what = limits.cpus ? "cpu quota" : "cpu weight";
  if (mode_ != CgroupMode::kV2) {
    if (limits.memory_bytes && !HasController("memory"))
      return MissingController("memory", "memory", "");
    if (limits.pids_max && !HasController("pids")) return MissingController("pids", "pids", "");
    if (want_cpu && !HasController("cpu")) return MissingController(cpu_what, "cpu", "");
  }

  Cgroup cg;
  cg.name_ = name;
  cg.mode_ = mode_;
  std::vector<std::string> made;  // container directories made by this call
  auto fail = [&](const Error& e) -> Error {
    Error out = e.Wrap("create cgroup " + name);
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      Status s = RemoveTree(*it, 0);
      if (!s) out = out.WithCleanupFailure(s.error());
    }
    return out;
  };

  // On a hybrid host a container that asks for no v1 limit lives in the v2
  // tree alone: clone3 can place the init there (CLONE_INTO_CGROUP), while
  // joining any v1 hierarchy costs the kernel an RCU grace period per start
  // (docs/runtime.md). Its processes stay in our own v1 cgroups, as they
  // would without a cgroup of their own; kill and freeze use cgroup.kill and
  // cgroup.freeze. When the v2 tree cannot be written, the v1 ones are used.
  const bool v2_only = mode_ == CgroupMode::kHybrid && !limits.memory_bytes && !limits.pids_max && !want_cpu;
  auto make = [&](bool v1_too) -> Status {
    for (const CgroupHierarchy& h : hierarchies_) {
      std::string parent = Dir(h.own_dir, parent_name_);
      std::string dir = Dir(parent, name);
      if (!h.v2 && !v1_too) {
        // Not used, but a crashed run's directory must not outlive us there.
        if (IsDir(dir))
          if (auto st = RemoveLeftover(dir); !st) return fail(st.error());
        continue;
      }
      bool optional = h.v2 && mode_ == CgroupMode::kHybrid;  // only a tracking tree there
      Status p = MakeParentDir(parent);
      if (!p) {
        if (optional && IsPermissionLike(p.error().err())) continue;
        return fail(p.error());
      }
      if (h.v2 && mode_ == CgroupMode::kV2) {
        // Controllers reach `dir` only through the parent's subtree_control.
        auto available = ReadTrimmed(Dir(parent, "cgroup.controllers"));
        if (!available) return fail(available.error());
        std::vector<std::string> have = Split(*available, ' ');
        std::string where = "not enabled for " + parent + " (see its cgroup.controllers)";
        if (limits.memory_bytes && !Contains(have, "memory"))
          return fail(MissingController("memory", "memory", where));
        if (limits.pids_max && !Contains(have, "pids"))
          return fail(MissingController("pids", "pids", where));
        if (want_cpu && !Contains(have, "cpu"))
          return fail(MissingController(cpu_what, "cpu", where));
        auto enabled_text = ReadTrimmed(Dir(parent, "cgroup.subtree_control"));
        if (!enabled_text) return fail(enabled_text.error());
        std::vector<std::string> enabled = Split(*enabled_text, ' ');
        for (const char* c : {"memory", "pids", "cpu"}) {
          std::string ctrl = c;
          if (!Contains(have, ctrl)) continue;
          if (!Contains(enabled, ctrl)) {
            Status s = WriteCgroupFile(Dir(parent, "cgroup.subtree_control"), "+" + ctrl);
            bool requested = (ctrl == "memory" && limits.memory_bytes) ||
                             (ctrl == "pids" && limits.pids_max) || (ctrl == "cpu" && want_cpu);
            if (!s) {
              if (requested) return fail(s.error().Wrap("enable the " + ctrl + " controller"));
              continue;  // only used for stats: do without it
            }
          }
          if (ctrl == "memory") cg.memory_dir_ = dir;
          if (ctrl == "pids") cg.pids_dir_ = dir;
          if (ctrl == "cpu") cg.cpu_dir_ = dir;
        }
      }
      Status d = MakeContainerDir(dir);
      // A concurrent destroy or gc of the root's last container may remove the
      // (then empty) parent between our two mkdirs: make it again.
      for (int retry = 0; !d && d.error().err() == ENOENT && retry < 5; ++retry) {
        if (!MakeParentDir(parent)) break;
        d = MakeContainerDir(dir);
      }
      if (!d) {
        if (optional && IsPermissionLike(d.error().err())) continue;
        return fail(d.error());
      }
      made.push_back(dir);
      cg.dirs_.push_back(dir);
      cg.placements_.push_back({h.controllers, h.v2, dir.substr(h.mount_point.size())});
      if (h.v2) cg.v2_dir_ = dir;
      if (!h.v2) {
        if (Contains(h.controllers, "memory")) cg.memory_dir_ = dir;
        if (Contains(h.controllers, "pids")) cg.pids_dir_ = dir;
        if (Contains(h.controllers, "cpu")) cg.cpu_dir_ = dir;
        if (Contains(h.controllers, "freezer")) cg.freezer_dir_ = dir;
      }
    }
    return Ok();
  };
  if (auto st = make(!v2_only); !st) return st.error();
  if (v2_only && cg.v2_dir_.empty()) RAMPART_TRY(make(true));

  bool v2 = mode_ == CgroupMode::kV2;
  if (limits.memory_bytes) {
    std::string value = std::to_string(*limits.memory_bytes);
    if (v2) {
      Status s = WriteCgroupFile(Dir(cg.memory_dir_, "memory.max"), value);
      if (!s) return fail(s.error());
      auto swap = WriteIfPresent(Dir(cg.memory_dir_, "memory.swap.max"), "0");
      if (!swap) return fail(swap.error());
    } else {
      // memory.limit_in_bytes first: memsw must never be below it.
      Status s = WriteCgroupFile(Dir(cg.memory_dir_, "memory.limit_in_bytes"), value);
      if (!s) return fail(s.error());
      auto memsw = WriteIfPresent(Dir(cg.memory_dir_, "memory.memsw.limit_in_bytes"), value);
      if (!memsw) return fail(memsw.error());
    }
  }
  if (limits.pids_max) {
    Status s = WriteCgroupFile(Dir(cg.pids_dir_, "pids.max"), std::to_string(*limits.pids_max));
    if (!s) return fail(s.error());
  }
  if (limits.cpu_weight) {
    Status s =
        v2 ? WriteCgroupFile(Dir(cg.cpu_dir_, "cpu.weight"), std::to_string(*limits.cpu_weight))
           : WriteCgroupFile(
                 Dir(cg.cpu_dir_, "cpu.shares"),
                 std::to_string(std::max<uint64_t>(2, *limits.cpu_weight * 1024 / 100)));
    if (!s) return fail(s.error());
  }
  if (limits.cpus) {
    std::string quota = std::to_string(QuotaUs(*limits.cpus));
    Status s;
    if (v2) {
      s = WriteCgroupFile(Dir(cg.cpu_dir_, "cpu.max"), quota + " " + std::to_string(kCpuPeriodUs));
    } else {
      s = WriteCgroupFile(Dir(cg.cpu_dir_, "cpu.cfs_period_us"), std::to_string(kCpuPeriodUs));
      if (s) s = WriteCgroupFile(Dir(cg.cpu_dir_, "cpu.cfs_quota_us"), quota);
    }
    if (!s) return fail(s.error());
  }
  return cg;
}

Result<Cgroup> CgroupManager::Open(const std::string& name) const {
  RAMPART_TRY(ValidateName(name, "name"));
  Cgroup cg;
  cg.name_ = name;
  cg.mode_ = mode_;
  std::string first;
  for (const CgroupHierarchy& h : hierarchies_) {
    std::string parent = Dir(h.own_dir, parent_name_);
    std::string dir = Dir(parent, name);
    if (first.empty()) first = dir;
    if (!IsDir(dir)) continue;
    cg.dirs_.push_back(dir);
    cg.placements_.push_back({h.controllers, h.v2, dir.substr(h.mount_point.size())});
    if (h.v2) {
      cg.v2_dir_ = dir;
      if (mode_ == CgroupMode::kV2) {
        auto enabled_text = ReadTrimmed(Dir(parent, "cgroup.subtree_control"));
        if (!enabled_text) return enabled_text.error().Wrap("open cgroup " + name);
        std::vector<std::string> enabled = Split(*enabled_text, ' ');
        if (Contains(enabled, "memory")) cg.memory_dir_ = dir;
        if (Contains(enabled, "pids")) cg.pids_dir_ = dir;
        if (Contains(enabled, "cpu")) cg.cpu_dir_ = dir;
      }
    } else {
      if (Contains(h.controllers, "memory")) cg.memory_dir_ = dir;
      if (Contains(h.controllers, "pids")) cg.pids_dir_ = dir;
      if (Contains(h.controllers, "cpu")) cg.cpu_dir_ = dir;
      if (Contains(h.controllers, "freezer")) cg.freezer_dir_ = dir;
    }
  }
  if (cg.dirs_.empty())
    return Error::NotFound("cgroup of container " + name + " not found (no " + first + ")");
  return cg;
}

Result<std::vector<std::string>> CgroupManager::List() const {
  std::set<std::string> names;
  for (const CgroupHierarchy& h : hierarchies_) {
    auto subdirs = ListSubdirs(Dir(h.own_dir, parent_name_));
    if (!subdirs) {
      if (subdirs.error().err() == ENOENT) continue;
      return subdirs.error().Wrap("list container cgroups");
    }
    for (std::string& n : *subdirs)
      if (ValidateName(n, "name")) names.insert(std::move(n));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

// ---- Cgroup ------------------------------------------------------------------

Status Cgroup::AddProcess(pid_t pid) const {
  if (pid <= 0)
    return Error::Invalid("add process to cgroup " + name_ + ": bad pid " + std::to_string(pid));
  for (const std::string& dir : dirs_) {
    Status s = WriteCgroupFile(Dir(dir, "cgroup.procs"), std::to_string(pid));
    if (!s) return s.error().Wrap("add process " + std::to_string(pid) + " to cgroup " + name_);
  }
  return Ok();
}

Result<UniqueFd> Cgroup::OpenV2Dir() const {
  const bool v2_alone = !v2_dir_.empty() && dirs_.size() == 1 && dirs_[0] == v2_dir_;
  if (v2_dir_.empty() || (mode_ != CgroupMode::kV2 && !v2_alone))
    return Error::Unsupported("cgroup " + name_ +
                              ": CLONE_INTO_CGROUP needs the container in the v2 tree alone");
  UniqueFd fd(::open(v2_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "open " + v2_dir_);
  return fd;
}

Status Cgroup::SetFrozen(bool frozen) const {
  auto deadline = Clock::now() + milliseconds(kFreezeWaitMs);
  auto pause = milliseconds(1);
  if (!freezer_dir_.empty()) {
    std::string state_file = Dir(freezer_dir_, "freezer.state");
    const char* want = frozen ? "FROZEN" : "THAWED";
    while (true) {
      // Writing FROZEN again retries tasks that could not be frozen yet.
      RAMPART_TRY(WriteCgroupFile(state_file, want));
      RAMPART_ASSIGN_OR_RETURN(std::string state, ReadTrimmed(state_file));
      if (state == want) return Ok();
      if (Clock::now() >= deadline)
        return Error(ErrorKind::kSystem,
                     "cgroup " + freezer_dir_ + ": still " + state + " after " +
                         std::to_string(kFreezeWaitMs) + " ms",
                     ETIMEDOUT);
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, milliseconds(50));
    }
  }
  if (!v2_dir_.empty()) {
    RAMPART_TRY(WriteCgroupFile(Dir(v2_dir_, "cgroup.freeze"), frozen ? "1" : "0"));
    std::string want = frozen ? "1" : "0";
    std::string events = Dir(v2_dir_, "cgroup.events");
    while (true) {
      RAMPART_ASSIGN_OR_RETURN(std::string state, ReadKeyed(events, "frozen"));
      if (state == want) return Ok();
      if (Clock::now() >= deadline)
        return Error(ErrorKind::kSystem,
                     "cgroup " + v2_dir_ + ": frozen is still " + state + " after " +
                         std::to_string(kFreezeWaitMs) + " ms",
                     ETIMEDOUT);
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, milliseconds(50));
    }
  }
  return Error::Unsupported(
      "cgroup " + name_ + ": cannot freeze: no freezer controller (v1) and no cgroup v2 directory");
}

Status Cgroup::Freeze() const {
  Status s = SetFrozen(true);
  if (!s) return s.error().Wrap("freeze cgroup " + name_);
  return Ok();
}

Status Cgroup::Thaw() const {
  Status s = SetFrozen(false);
  if (!s) return s.error().Wrap("thaw cgroup " + name_);
  return Ok();
}

Result<bool> Cgroup::Frozen() const {
  if (!freezer_dir_.empty()) {
    RAMPART_ASSIGN_OR_RETURN(std::string state, ReadTrimmed(Dir(freezer_dir_, "freezer.state")));
    return state == "FROZEN";
  }
  if (!v2_dir_.empty()) {
    RAMPART_ASSIGN_OR_RETURN(std::string state, ReadKeyed(Dir(v2_dir_, "cgroup.events"), "frozen"));
    return state == "1";
  }
  return Error::Unsupported("cgroup " + name_ + ": cannot tell whether it is frozen: no freezer");
}

Result<std::vector<pid_t>> Cgroup::Pids() const {
  std::string dir = !pids_dir_.empty()     ? pids_dir_
                    : !memory_dir_.empty() ? memory_dir_
                    : dirs_.empty()        ? ""
                                           : dirs_[0];
  if (dir.empty()) return std::vector<pid_t>{};
  std::set<pid_t> pids;
  Status s = CollectPids(dir, 0, &pids);
  if (!s) return s.error().Wrap("list processes of cgroup " + name_);
  return std::vector<pid_t>(pids.begin(), pids.end());
}

namespace {

// Every process in any of `dirs` (and the cgroups nested below them).
Result<std::set<pid_t>> AllPids(const std::vector<std::string>& dirs) {
  std::set<pid_t> pids;
  for (const std::string& dir : dirs) RAMPART_TRY(CollectPids(dir, 0, &pids));
  return pids;
}

}  // namespace

Result<bool> Cgroup::WaitEmpty(int timeout_ms) const {
  auto deadline = Clock::now() + milliseconds(timeout_ms);
  while (true) {
    RAMPART_ASSIGN_OR_RETURN(std::set<pid_t> pids, AllPids(dirs_));
    if (pids.empty()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

Status Cgroup::KillAll(int sig) const {
  const std::string what = "kill processes of cgroup " + name_;
  const pid_t self = ::getpid();
  auto pids = AllPids(dirs_);
  if (!pids) return pids.error().Wrap(what);
  if (pids->count(self) != 0)
    return Error::Internal(what + ": refusing, our own process " + std::to_string(self) +
                           " is in it");
  if (pids->empty()) return Ok();

  if (sig == SIGKILL && !v2_dir_.empty()) {
    auto killed = WriteIfPresent(Dir(v2_dir_, "cgroup.kill"), "1");
    if (!killed && killed.error().err() != ENOENT) return killed.error().Wrap(what);
    if (killed && *killed) {
      // Tasks frozen by a v1 freezer only die once thawed.
      if (!freezer_dir_.empty()) {
        Status thawed = SetFrozen(false);
        if (!thawed) return thawed.error().Wrap(what);
      }
      auto empty = WaitEmpty(1000);
      if (!empty) return empty.error().Wrap(what);
      if (*empty) return Ok();
    }
  }

  bool can_freeze = !freezer_dir_.empty() || !v2_dir_.empty();
  auto deadline = Clock::now() + milliseconds(kKillWaitMs);
  while (true) {
    // Frozen, no process can fork or exit (so no pid is reused) while we
    // signal. A freeze that times out is tolerated on purpose: the kill must
    // still happen, and the loop re-checks the cgroup until it is empty.
    if (can_freeze) (void)SetFrozen(true);
    auto now_pids = AllPids(dirs_);
    Status sent;
    if (now_pids) {
      for (pid_t pid : *now_pids) {
        if (pid == self) {
          sent = Error::Internal(what + ": refusing, our own process " + std::to_string(self) +
                                 " is in it");
          break;
        }
        if (::kill(pid, sig) != 0 && errno != ESRCH && sent)
          sent = Error::FromErrno(errno, what + ": kill " + std::to_string(pid));
      }
    }
    // Frozen tasks only act on the signal once thawed.
    Status thawed = can_freeze ? SetFrozen(false) : Ok();
    if (!now_pids) return now_pids.error().Wrap(what);
    if (!sent) return sent.error();
    if (!thawed) return thawed.error().Wrap(what);
    if (sig != SIGKILL) return Ok();
    auto empty = WaitEmpty(50);
    if (!empty) return empty.error().Wrap(what);
    if (*empty) return Ok();
    if (Clock::now() >= deadline) {
      auto left = AllPids(dirs_);
      return Error(ErrorKind::kSystem,
                   what + ": processes remain after " + std::to_string(kKillWaitMs) +
                       " ms of SIGKILL: " + (left ? PidList(*left) : left.error().message()),
                   EBUSY);
    }
  }
}

Status Cgroup::Destroy() const {
  Status killed = KillAll(SIGKILL);
  if (!killed) return killed.error().Wrap("destroy cgroup " + name_);
  std::optional<Error> first;
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    Status s = RemoveTree(*it, 0);
    if (!s) first = first ? first->WithCleanupFailure(s.error()) : s.error();
  }
  if (first) return first->Wrap("destroy cgroup " + name_);
  return Ok();
}

Result<Cgroup::Stats> Cgroup::ReadStats() const {
  Stats stats;
  if (!memory_dir_.empty()) {
    auto mem = ReadUint(
        Dir(memory_dir_, mode_ == CgroupMode::kV2 ? "memory.current" : "memory.usage_in_bytes"));
    if (!mem) return mem.error().Wrap("read stats of cgroup " + name_);
    stats.memory_current = *mem;
  }
  if (!pids_dir_.empty()) {
    auto n = ReadUint(Dir(pids_dir_, "pids.current"));
    if (!n) return n.error().Wrap("read stats of cgroup " + name_);
    stats.pids_current = *n;
  } else {
    RAMPART_ASSIGN_OR_RETURN(std::vector<pid_t> pids, Pids());
    stats.pids_current = pids.size();
  }
  return stats;
}

}  // namespace rampart::runtime
