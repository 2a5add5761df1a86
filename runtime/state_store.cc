#include "runtime/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "runtime/mountinfo.h"

namespace rampart::runtime {
namespace {

constexpr std::pair<ContainerStatus, const char*> kStatusNames[] = {
    {ContainerStatus::kCreated, "created"}, {ContainerStatus::kStarting, "starting"},
    {ContainerStatus::kRunning, "running"}, {ContainerStatus::kFrozen, "frozen"},
    {ContainerStatus::kStopped, "stopped"}, {ContainerStatus::kUnknown, "unknown"}};

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};

Result<ProcStat> ReadProcStat(int pid) {
  if (pid <= 0) return Error::NotFound("no process " + std::to_string(pid));
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().err() == ENOENT || text.error().err() == ESRCH)
      return Error::NotFound("no process " + std::to_string(pid));
    return text.error();
  }
  // "PID (COMM) S PPID ...": comm may hold spaces and parentheses, so the
  // fields start after the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return Error::Internal("parse " + path + ": no ')' after comm");
  std::vector<std::string> fields;
  for (const auto& f : Split(Trim(std::string_view(*text).substr(close + 1)), ' '))
    if (!f.empty()) fields.push_back(f);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  if (fields.size() < 20) return Error::Internal("parse " + path + ": too few fields");
  auto start = ParseUint64(fields[19]);
  if (!start || fields[0].size() != 1)
    return Error::Internal("parse " + path + ": bad starttime '" + fields[19] + "'");
  return ProcStat{fields[0][0], *start};
}

// The first mount point at or below `dir` (resolved), if any; `info` is
// /proc/self/mountinfo.
Result<std::optional<std::string>> MountBelow(const std::string& dir, const std::string& info) {
  char buf[PATH_MAX];
  if (::realpath(dir.c_str(), buf) == nullptr) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Error::FromErrno(errno, "resolve " + dir);
  }
  const std::string real = buf;
  for (std::string_view line : MountInfoLines(info)) {
    auto f = SplitMountInfoLine(line);
    if (!f) continue;
    const std::string mp = UnescapeMountField(f->mountpoint);
    if (mp == real || (mp.size() > real.size() && mp.starts_with(real) &&
                       (real == "/" || mp[real.size()] == '/')))
      return std::optional<std::string>(mp);
  }
  return std::optional<std::string>();
}

// Removes `name` in `parent` and everything below it, never following a
// symlink, refusing to descend into another file system.
Status RemoveEntry(int parent, const char* name, const std::string& path, dev_t dev) {
  struct stat st;
  if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Ok();
    return Error::FromErrno(errno, "stat " + path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev)
      return Error::Invalid("refusing to remove " + path +
                            ": a file system is still mounted there");
    UniqueFd fd(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::FromErrno(errno, "open " + path);
    RAMPART_ASSIGN_OR_RETURN(std::vector<std::string> children, ListDirectory(fd.get(), path));
    for (const auto& c : children)
      RAMPART_TRY(RemoveEntry(fd.get(), c.c_str(), path + "/" + c, dev));
    if (::unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
      return Error::FromErrno(errno, "remove " + path);
    return Ok();
  }
  if (::unlinkat(parent, name, 0) != 0 && errno != ENOENT)
    return Error::FromErrno(errno, "remove " + path);
  return Ok();
}

Status RemoveTree(const std::string& path, const std::string& mountinfo) {
  RAMPART_ASSIGN_OR_RETURN(auto mounted, MountBelow(path, mountinfo));
  if (mounted)
    return Error::Invalid("refusing to remove " + path + ": " + *mounted + " is still mounted");
  size_t slash = path.rfind('/');
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  const std::string base = path.substr(slash + 1);
  UniqueFd pfd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!pfd) {
    if (errno == ENOENT) return Ok();
    return Error::FromErrno(errno, "open " + parent);
  }
  struct stat st;
  if (::fstatat(pfd.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Ok();
    return Error::FromErrno(errno, "stat " + path);
  }
  return RemoveEntry(pfd.get(), base.c_str(), path, st.st_dev);
}

using Json = nlohmann::json;

}  // namespace

Error MissingContainerError(const Paths& paths, const std::string& name, std::string not_found) {
  const std::string dir = paths.ContainerDir(name);
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && ::stat(dir.c_str(), &st) != 0)
    return Error::NotFound("container " + name + ": its directory in the run dir is gone (" + dir +
                           " is a dangling link: a foreground run --rm cut short, e.g. by a reboot); "
                           "rampart gc removes it");
  return Error::NotFound(std::move(not_found));
}

std::string StatusName(ContainerStatus status) {
  for (const auto& [s, n] : kStatusNames)
    if (s == status) return n;
  return "unknown";
}

Result<ContainerStatus> ParseStatusName(std::string_view name) {
  for (const auto& [s, n] : kStatusNames)
    if (name == n) return s;
  return Error::Invalid("unknown container status '" + std::string(name) + "'");
}

std::string StateToJson(const ContainerState& s) {
  Json j = {{"name", s.name},
            {"status", StatusName(s.status)},
            {"init_pid", s.init_pid},
            {"init_start_time", s.init_start_time},
            {"monitor_pid", s.monitor_pid},
            {"monitor_start_time", s.monitor_start_time},
            {"created_at", s.created_at},
            {"started_at", s.started_at},
            {"finished_at", s.finished_at},
            {"exit_code", s.exit_code ? Json(*s.exit_code) : Json(nullptr)},
            {"exit_signal", s.exit_signal ? Json(*s.exit_signal) : Json(nullptr)},
            {"profile", s.profile},
            {"policy_hash", s.policy_hash},
            {"cgroup_paths", s.cgroup_paths},
            {"ip", s.ip},
            {"stdio", s.stdio},
            {"checkpoint", s.checkpoint},
            {"restored_from", s.restored_from},
            {"security_notes", s.security_notes}};
  return j.dump(2) + "\n";
}

Result<ContainerState> StateFromJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Invalid("not valid JSON");
  if (!j.is_object()) return Error::Invalid("not a JSON object");
  ContainerState s;
  try {
    s.name = j.at("name").get<std::string>();
    RAMPART_ASSIGN_OR_RETURN(s.status, ParseStatusName(j.at("status").get<std::string>()));
    auto opt = [&](const char* key, auto& field) {
      if (j.contains(key)) field = j.at(key).get<std::remove_reference_t<decltype(field)>>();
    };
    opt("init_pid", s.init_pid);
    opt("init_start_time", s.init_start_time);
    opt("monitor_pid", s.monitor_pid);
    opt("monitor_start_time", s.monitor_start_time);
    opt("created_at", s.created_at);
    opt("started_at", s.started_at);
    opt("finished_at", s.finished_at);
    if (j.contains("exit_code") && !j["exit_code"].is_null())
      s.exit_code = j["exit_code"].get<int>();
    if (j.contains("exit_signal") && !j["exit_signal"].is_null())
      s.exit_signal = j["exit_signal"].get<int>();
    opt("profile", s.profile);
    opt("policy_hash", s.policy_hash);
    opt("cgroup_paths", s.cgroup_paths);
    opt("ip", s.ip);
    opt("stdio", s.stdio);
    opt("checkpoint", s.checkpoint);
    opt("restored_from", s.restored_from);
    opt("security_notes", s.security_notes);
  } catch (const Json::exception& e) {
    return Error::Invalid(e.what());
  }
  return s;
}

Status StateStore::Claim(const std::string& name, ContainerDirPlace place) const {
  RAMPART_TRY(ValidateName(name));
  RAMPART_TRY(MakeDirs(paths_.ContainersDir(), 0700));
  const std::string dir = paths_.ContainerDir(name);
  const std::string target = paths_.RunDirContainerDir(name);
  const bool in_run_dir = place == ContainerDirPlace::kRunDir;
  // mkdir and symlink both fail with EEXIST on any existing entry: one
  // claim of a name wins, whichever place each asks for.
  if ((in_run_dir ? ::symlink(target.c_str(), dir.c_str()) : ::mkdir(dir.c_str(), 0700)) != 0) {
    if (errno == EEXIST)
      return Error(ErrorKind::kExists, "container " + name + " already exists", EEXIST);
    return Error::FromErrno(errno, (in_run_dir ? "symlink " : "mkdir ") + dir);
  }
  if (!in_run_dir) return Ok();
  auto made = [&]() -> Status {
    RAMPART_TRY(MakeDirs(paths_.RunDir(name), 0700));
    if (::mkdir(target.c_str(), 0700) == 0) return Ok();
    if (errno != EEXIST) return Error::FromErrno(errno, "mkdir " + target);
    // The name is ours now: what is there was left by a removal cut short.
    RAMPART_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
    RAMPART_TRY(RemoveTree(target, mountinfo));
    if (::mkdir(target.c_str(), 0700) != 0) return Error::FromErrno(errno, "mkdir " + target);
    return Ok();
  }();
  if (!made) ::unlink(dir.c_str());
  return made;
}

Status StateStore::WriteState(const ContainerState& state) const {
  RAMPART_TRY(ValidateName(state.name));
  RAMPART_TRY(MakeDirs(paths_.RunDir(state.name), 0700));
  // Run state is volatile by nature (/run): atomic, not fsynced.
  return WriteFileAtomic(paths_.StateFile(state.name), StateToJson(state), 0600, Durability::kVolatile);
}

Result<ContainerState> StateStore::ReadState(const std::string& name) const {
  RAMPART_TRY(ValidateName(name));
  const std::string path = paths_.StateFile(name);
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().err() != ENOENT) return text.error();
    const std::string dir = paths_.ContainerDir(name);
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      ContainerState s;
      s.name = name;
      s.status = ContainerStatus::kCreated;
      return s;
    }
    return MissingContainerError(paths_, name, "container " + name + " does not exist");
  }
  auto s = StateFromJson(*text);
  if (!s) return Error::Invalid("corrupt state file " + path + ": " + s.error().message());
  if (s->name != name)
    return Error::Invalid("corrupt state file " + path + ": it names container '" + s->name + "'");
  return s;
}

Result<std::vector<std::string>> StateStore::ListNames() const {
  std::vector<std::string> names;
  const std::string dir = paths_.ContainersDir();
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return names;
    return Error::FromErrno(errno, "open " + dir);
  }
  DIR* d = ::fdopendir(fd.get());
  if (d == nullptr) return Error::FromErrno(errno, "open " + dir);
  int dfd = fd.release();
  std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) return Error::FromErrno(errno, "read directory " + dir);
      break;
    }
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !(S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
      continue;
    names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status StateStore::Remove(const std::string& name) const {
  RAMPART_TRY(ValidateName(name));
  // Read once for both trees (nothing of ours mounts between the two).
  RAMPART_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  RAMPART_TRY(RemoveTree(paths_.ContainerDir(name), mountinfo));
  return RemoveTree(paths_.RunDir(name), mountinfo);
}

bool StateStore::Exists(const std::string& name) const {
  struct stat st;
  return ::lstat(paths_.ContainerDir(name).c_str(), &st) == 0;
}

Result<std::vector<std::string>> StateStore::RemoveOrphanRunDir(const std::string& name) const {
  RAMPART_TRY(ValidateName(name));
  if (Exists(name)) return Error::Invalid("container " + name + " exists: its run directory is not an orphan");
  struct stat st;
  std::vector<std::string> removed;
  for (const std::string& f : {paths_.StateFile(name), paths_.MonitorSocket(name)})
    if (::unlink(f.c_str()) == 0) removed.push_back(f);
  const std::string inner = paths_.RunDirContainerDir(name);
  if (::lstat(inner.c_str(), &st) == 0) {
    RAMPART_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
    RAMPART_TRY(RemoveTree(inner, mountinfo));
    removed.push_back(inner);
  }
  const std::string dir = paths_.RunDir(name);
  if (::rmdir(dir.c_str()) == 0) removed.push_back(dir);
  return removed;
}

Result<uint64_t> StateStore::ProcessStartTime(int pid) {
  RAMPART_ASSIGN_OR_RETURN(ProcStat st, ReadProcStat(pid));
  return st.start_time;
}

ContainerStatus StateStore::LiveStatus(const ContainerState& state) const {
  if (state.status == ContainerStatus::kCreated || state.status == ContainerStatus::kStopped)
    return state.status;
  auto alive = [](int pid, uint64_t start_time) {
    if (pid <= 0) return false;
    auto st = ReadProcStat(pid);
    return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
  };
  if (state.init_pid <= 0) {
    // Starting, init not yet cloned: as alive as the monitor doing it.
    if (state.status == ContainerStatus::kStarting &&
        alive(state.monitor_pid, state.monitor_start_time))
      return ContainerStatus::kStarting;
    return ContainerStatus::kStopped;
  }
  if (!alive(state.init_pid, state.init_start_time)) return ContainerStatus::kStopped;
  if (state.status == ContainerStatus::kUnknown) return ContainerStatus::kRunning;
  return state.status;
}

}  // namespace rampart::runtime
