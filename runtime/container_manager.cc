#include "runtime/container_manager.h"
#include "runtime/resolved_policy_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <map>
#include <mutex>

#include "base/atomic_file.h"
#include "base/fault.h"
#include "base/file_lock.h"
#include "base/sha256.h"
#include "runtime/cgroups.h"
#include "runtime/console.h"
#include "runtime/idmap.h"
#include "runtime/launcher.h"
#include "runtime/policy_apply.h"
#include "runtime/monitor.h"
#include "runtime/networking.h"
#include "runtime/manager_internal.h"
#include "runtime/template.h"
#include "security/audit.h"
#include "security/compiled_policy.h"
#include "security/landlock.h"
#include "security/resolver.h"

namespace rampart::runtime {
using namespace detail;
namespace detail {

// The lock file is removed by destroy (while held), so a lock taken on a
// file that has since been unlinked or replaced is retried.
Result<FileLock> LockContainer(const Paths& paths, const std::string& name) {
  const std::string path = paths.LockFile(name);
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto lock = FileLock::Acquire(path, true, false);
    if (!lock) return Error(ErrorKind::kExists, "container " + name + " is busy (another rampart command holds its lock)");
    struct stat held {}, now {};
    if (fstat(lock->fd(), &held) == 0 && stat(path.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev)
      return lock;
  }
  return Error(ErrorKind::kExists, "container " + name + " is busy (its lock file keeps changing)");
}

// Each state root owns one cgroup parent, so that gc (or anything else) in
// one root never touches another root's containers.
std::string CgroupParent(const Paths& paths) {
  if (paths.root == "/var/lib/rampart") return "rampart";
  return "rampart-" + Sha256Hex(paths.root).substr(0, 12);
}

// The host's cgroup layout does not change under one rampart process:
// /proc/self/mountinfo (long on busy hosts) is parsed once, not at every
// create, start, teardown and destroy step.
Result<CgroupManager> Cgroups(const Paths& paths) {
  static std::mutex mu;
  static std::map<std::string, CgroupManager> memo;
  const std::string parent = CgroupParent(paths);
  std::lock_guard lock(mu);
  if (auto it = memo.find(parent); it != memo.end()) return it->second;
  RAMPART_ASSIGN_OR_RETURN(auto m, CgroupManager::Detect(parent));
  memo.emplace(parent, m);
  return m;
}

Result<ContainerSpec> LoadSpec(const Paths& paths, const std::string& name) {
  auto text = ReadFile(paths.ConfigFile(name));
  if (!text) {
    struct stat st {};
    if (stat(paths.ContainerDir(name).c_str(), &st) != 0)
      return MissingContainerError(paths, name, "no container named " + name);
    return text.error();
  }
  RAMPART_ASSIGN_OR_RETURN(auto defaults, LoadDefaults(paths));
  return ParseContainerSpec(*text, paths.ConfigFile(name), defaults);
}

// The container's profile, audited and compiled (from the cache when
// possible: starting never recompiles an unchanged profile).
Result<security::CompiledPolicy> PolicyForUncached(const Paths& paths, const ContainerSpec& spec, Logger& log) {
  const std::vector<std::string> dirs = paths.ProfileDirs();
  ResolvedPolicy resolved;
  if (auto hit = LookupResolvedPolicy(paths, spec.profile, dirs)) {
    resolved = std::move(*hit);
  } else {
    RAMPART_ASSIGN_OR_RETURN(auto loader, security::ProfileLoader::Create(dirs));
    std::vector<security::ProfileSource> sources;
    RAMPART_ASSIGN_OR_RETURN(auto policy, loader.Load(spec.profile, &sources));
    for (const auto& f : security::AuditPolicy(policy)) {
      if (f.severity != security::Severity::kHigh) continue;
      if (!resolved.high_findings++) resolved.first_high = f.pos.ToString() + ": " + f.message + " [" + f.id + "]";
    }
    RAMPART_TRY(MakeDirs(paths.root + "/cache", 0700));
    RAMPART_ASSIGN_OR_RETURN(resolved.compiled, security::PolicyCache(paths.PolicyCacheDir()).Get(policy));
    RAMPART_TRY(CheckApplicable(resolved.compiled));  // e.g. notify rules need a supervisor rampart does not run yet
    if (auto st = StoreResolvedPolicy(paths, spec.profile, dirs, sources, resolved); !st)
      log.Warn("could not cache the resolved profile", {{"profile", spec.profile}, {"error", st.error().message()}});
  }
  const std::string& name = resolved.compiled.policy.name;
  if (resolved.high_findings > 0 && !spec.allow_dangerous) {
    return Error::Invalid("profile " + name + " has " + std::to_string(resolved.high_findings) +
                          " high-severity audit finding(s), first: " + resolved.first_high +
                          "; fix the profile or create the container with --allow-dangerous");
  }
  if (resolved.high_findings > 0)
    log.Warn("starting with a dangerous profile (--allow-dangerous)", {{"profile", name}, {"first", resolved.first_high}});
  return std::move(resolved.compiled);
}

// The policy is resolved, audited and compiled at create and frozen in the
// container's directory; start and attach apply that copy (the profile
// file may change later: re-create the container to pick the change up).
std::string FrozenJsonPath(const Paths& paths, const std::string& name) { return paths.ContainerDir(name) + "/policy.json"; }
std::string FrozenBpfPath(const Paths& paths, const std::string& name) { return paths.ContainerDir(name) + "/policy.bpf"; }

// Not fsynced: the copy can always be made again from the profile (see
// FrozenPolicy), and a torn or missing one is detected by its hash.
Status FreezePolicy(const Paths& paths, const std::string& name, const security::CompiledPolicy& c) {
  RAMPART_TRY(WriteFileAtomic(FrozenBpfPath(paths, name), security::BpfBytes(c.seccomp.insns), 0600,
                              Durability::kVolatile));
  return WriteFileAtomic(FrozenJsonPath(paths, name), security::FrozenPolicyJson(c), 0600, Durability::kVolatile);
}

// What create leaves on disk besides the state: the frozen policy and the
// config (durable unless the container goes with its run).
Status WriteContainerFiles(const Paths& paths, const std::string& name, const ContainerSpec& spec,
                           const security::CompiledPolicy& policy, Durability durability) {
  RAMPART_TRY(FreezePolicy(paths, name, policy));
  return WriteFileAtomic(paths.ConfigFile(name), SerializeContainerSpec(spec), 0600, durability);
}

Result<security::CompiledPolicy> ReadFrozenPolicy(const Paths& paths, const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto json, ReadFile(FrozenJsonPath(paths, name)));
  RAMPART_ASSIGN_OR_RETURN(auto bpf, ReadFile(FrozenBpfPath(paths, name)));
  return security::ThawPolicy(json, bpf, FrozenJsonPath(paths, name));
}

// One command (`run` = create + start) resolves each profile once.
Result<security::CompiledPolicy> PolicyFor(const Paths& paths, const ContainerSpec& spec, Logger& log,
                                          PolicyMemo& memo) {
  auto key = std::make_pair(spec.profile, spec.allow_dangerous);
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  RAMPART_ASSIGN_OR_RETURN(auto compiled, PolicyForUncached(paths, spec, log));
  memo.emplace(key, compiled);
  return compiled;
}

// The frozen copy; if it is missing or damaged (a crash right after create,
// or tampering), the profile is resolved, audited and compiled again.
Result<security::CompiledPolicy> FrozenPolicy(const Paths& paths, const std::string& name, const ContainerSpec& spec,
                                             Logger& log, PolicyMemo& memo) {
  auto frozen = ReadFrozenPolicy(paths, name);
  if (frozen) return frozen;
  log.Warn("recompiling the container's policy", {{"container", name}, {"reason", frozen.error().message()}});
  RAMPART_ASSIGN_OR_RETURN(auto compiled, PolicyFor(paths, spec, log, memo));
  RAMPART_TRY(FreezePolicy(paths, name, compiled));
  return compiled;
}

// The root's cgroup parent directories, if no container cgroup is left in
// them (rmdir fails on a non-empty one); returns what was removed.
std::vector<std::string> RemoveEmptyCgroupParents(const Paths& paths) {
  std::vector<std::string> removed;
  auto cgm = Cgroups(paths);
  if (!cgm) return removed;
  auto dirs = cgm->PathsFor("x");
  for (const auto& dir : dirs ? *dirs : std::vector<std::string>{}) {
    std::string parent = dir.substr(0, dir.rfind('/'));
    if (rmdir(parent.c_str()) == 0) removed.push_back(parent);
  }
  return removed;
}

CgroupLimits LimitsOf(const ContainerSpec& spec) {
  CgroupLimits l;
  l.memory_bytes = spec.limits.memory_bytes;
  l.pids_max = spec.limits.pids_max;
  l.cpu_weight = spec.limits.cpu_weight;
  l.cpus = spec.limits.cpus;
  return l;
}

// Processes of the container may exist (a created or stopped one has none).
bool IsActive(ContainerStatus s) {
  return s == ContainerStatus::kRunning || s == ContainerStatus::kFrozen || s == ContainerStatus::kStarting;
}

// A pidfd for `pid` only if it is still the process recorded (start time).
Result<UniqueFd> OpenVerifiedPidfd(int pid, uint64_t start_time) {
  if (pid <= 0) return Error::NotFound("no process recorded");
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) return Error::FromErrno(errno, "pidfd_open " + std::to_string(pid));
  auto st = StateStore::ProcessStartTime(pid);
  if (!st || *st != start_time) return Error::NotFound("process " + std::to_string(pid) + " is gone (pid reused)");
  return fd;
}

bool WaitPidfd(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

}  // namespace detail

Status ContainerManager::Create(const CreateOptions& o) {
  RAMPART_TRY(ValidateName(o.name));
  // A foreground `run --rm` on a rootfs used in place keeps nothing that
  // grows (no console log, no checkpoint, no rootfs of its own) and nothing
  // beyond the run: its directory goes to the run dir (tmpfs). Making and
  // removing a directory on a disk file system costs more (0.17 ms on this
  // VM's ext4, which discards the freed block synchronously).
  const bool in_run_dir = o.ephemeral && o.foreground && o.template_ref.starts_with("dir:");
  RAMPART_TRY(store_.Claim(o.name, in_run_dir ? ContainerDirPlace::kRunDir : ContainerDirPlace::kRoot));
  // From here on, a failure removes everything this create made.
  auto rollback = [&](const Error& e) -> Error {
    if (auto st = store_.Remove(o.name); !st) return e.WithCleanupFailure(st.error());
    unlink(paths_.LockFile(o.name).c_str());
    return e;
  };
  auto lock = LockContainer(paths_, o.name);
  if (!lock) return rollback(lock.error());
  auto defaults = LoadDefaults(paths_);
  if (!defaults) return rollback(defaults.error());
  // Without --config the container's own config is just its name.
  Result<ContainerSpec> spec = Error::Internal("no config parsed");
  if (o.config_file) {
    auto t = ReadFile(*o.config_file);
    if (!t) return rollback(t.error().Wrap("read container config"));
    spec = ParseContainerSpec(*t, *o.config_file, *defaults);
  } else {
    spec = ContainerSpecFromDefaults(paths_.ConfigFile(o.name), *defaults, o.name);
  }
  if (!spec) return rollback(spec.error());
  spec->name = o.name;
  if (spec->hostname.empty()) spec->hostname = o.name;
  if (o.profile) spec->profile = *o.profile;
  if (!o.command.empty()) spec->command = o.command;
  if (o.networks) spec->networks = *o.networks == std::vector<std::string>{net::kNoNetwork}
                                       ? std::vector<std::string>{}
                                       : *o.networks;
  for (const auto& p : o.publish) spec->publish.push_back(p);
  if (o.networks || !o.publish.empty()) {
    if (auto st = ValidateContainerSpec(*spec, false); !st) return rollback(st.error());
  }
  spec->allow_dangerous = spec->allow_dangerous || o.allow_dangerous;
  spec->tty = spec->tty || o.tty;
  spec->init = spec->init || o.init;
  if (spec->rootfs.empty()) {
    auto rootfs = ResolveTemplate(o.template_ref, paths_.RootfsDir(o.name));
    if (!rootfs) return rollback(rootfs.error());
    spec->rootfs = *rootfs;
    spec->template_ref = o.template_ref;
    if (spec->namespaces.user && o.template_ref == "busybox") {
      // Our own rootfs: shift its ownership into the container's id range.
      if (auto st = ShiftOwnership(spec->rootfs, spec->uid_map, spec->gid_map); !st) return rollback(st.error());
    }
  }
  auto policy = PolicyFor(paths_, *spec, log_, policy_memo_);
  if (!policy) return rollback(policy.error());
  if (o.ephemeral) {
    // `run --rm`: the config and the frozen policy are written while the
    // init sets itself up (Persist, LaunchRequest::meanwhile); until then
    // this manager has them in memory (Created).
    unpersisted_.insert(o.name);
  } else if (auto st = WriteContainerFiles(paths_, o.name, *spec, *policy, Durability::kDurable); !st) {
    return rollback(st.error());
  }
  // A foreground run starts right away, and its monitor's first state
  // write is the first state: until then ReadState reads the missing file
  // as "created", which is what it would say.
  if (!(o.ephemeral && o.foreground)) {
    ContainerState state;
    state.name = o.name;
    state.status = ContainerStatus::kCreated;
    state.created_at = static_cast<int64_t>(time(nullptr));
    state.profile = spec->profile;
    state.policy_hash = policy->hash;
    if (auto st = store_.WriteState(state); !st) return rollback(st.error());
  }
  created_[o.name] = {std::move(*spec), std::move(*policy)};
  return Ok();
}

namespace detail {

Result<Prepared> Prepare(const Paths& paths, const StateStore& store, const std::string& name, Logger& log,
                         PolicyMemo& memo, const std::pair<ContainerSpec, security::CompiledPolicy>* created) {
  ContainerSpec spec;
  if (created) {
    spec = created->first;
  } else {
    RAMPART_ASSIGN_OR_RETURN(spec, LoadSpec(paths, name));
  }
  if (auto state = store.ReadState(name); state && IsActive(store.LiveStatus(*state))) {
    return Error(ErrorKind::kExists, "container " + name + " is already running");
  }
  security::CompiledPolicy policy;
  if (created) {
    policy = created->second;
  } else {
    RAMPART_ASSIGN_OR_RETURN(policy, FrozenPolicy(paths, name, spec, log, memo));
  }
  // Required security layers the host lacks refuse the start here, before
  // anything is made; skipped optional ones are said out loud.
  RAMPART_ASSIGN_OR_RETURN(auto notes, security::CheckEnforcement(policy.policy, DetectHostSecurity()));
  for (const auto& n : notes) log.Warn("security layer not enforced: " + n, {{"container", name}});
  RAMPART_ASSIGN_OR_RETURN(auto cgm, Cgroups(paths));
  RAMPART_ASSIGN_OR_RETURN(auto cgroup, cgm.Create(name, LimitsOf(spec)));
  return Prepared{std::move(spec), std::move(policy), std::move(cgroup)};
}

}  // namespace detail

Status ContainerManager::Persist(const std::string& name) {
  if (!unpersisted_.count(name)) return Ok();
  const auto* created = Created(name);
  if (!created) return Error::Internal("container " + name + ": nothing created to write");
  RAMPART_TRY(WriteContainerFiles(paths_, name, created->first, created->second, Durability::kVolatile));
  unpersisted_.erase(name);
  return Ok();
}

Status ContainerManager::Start(const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto lock, LockContainer(paths_, name));
  RAMPART_TRY(Persist(name));
  FaultPoint("start:locked");
  RAMPART_ASSIGN_OR_RETURN(auto prepared, Prepare(paths_, store_, name, log_, policy_memo_, Created(name)));
  FaultPoint("start:cgroup-created");
  return StartMonitor(name, std::move(prepared), std::nullopt);
}

Status ContainerManager::StartMonitor(const std::string& name, Prepared prepared,
                                      std::optional<MonitorSetup::Restore> restore) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    (void)prepared.cgroup.Destroy();
    return Error::FromErrno(errno, "pipe");
  }
  UniqueFd ready_rd(ready[0]), ready_wr(ready[1]);
  if (auto st = MakeDirs(paths_.RunDir(name), 0700); !st) {
    (void)prepared.cgroup.Destroy();
    return st.error();
  }
  pid_t pid = fork();
  if (pid < 0) {
    (void)prepared.cgroup.Destroy();
    return Error::FromErrno(errno, "fork monitor");
  }
  if (pid == 0) {
    // Daemonize: new session, reparented away from the CLI, stdio on /dev/null.
    ready_rd.reset();
    setsid();
    pid_t monitor = fork();
    if (monitor != 0) _exit(monitor < 0 ? 1 : 0);
    FaultPoint("monitor:forked");
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd) dup2(null_fd, fd);
    if (null_fd > 2) close(null_fd);
    Logger quiet(2, LogLevel::kError);
    MonitorSetup setup{paths_, std::move(prepared.spec), std::move(prepared.policy), std::move(prepared.cgroup), false,
                       ready_wr.release(), std::move(restore), nullptr, {}};
    auto rc = RunMonitor(std::move(setup), quiet);
    _exit(rc ? 0 : 1);
  }
  ready_wr.reset();
  FaultPoint("start:monitor-forked");
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  std::string reply;
  char buf[1024];
  ssize_t n;
  while ((n = read(ready_rd.get(), buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    reply.append(buf, n);
  }
  const std::string verb = restore ? "restore " : "start ";
  if (reply.starts_with("OK")) return Ok();
  if (reply.starts_with("ERR ")) return Error::Internal(verb + name + ": " + reply.substr(4));
  return Error::Internal(verb + name + ": the monitor died before the container ran");
}

Result<int> ContainerManager::RunForeground(const std::string& name) { return LearnForeground(name, nullptr); }

void ContainerManager::MakeNetnsAhead() {
  if (!netns_ahead_) netns_ahead_ = std::make_unique<NetnsAhead>();
}

Result<int> ContainerManager::LearnForeground(const std::string& name, LearnCapture* capture) {
  RAMPART_ASSIGN_OR_RETURN(auto lock, LockContainer(paths_, name));
  RAMPART_ASSIGN_OR_RETURN(auto prepared, Prepare(paths_, store_, name, log_, policy_memo_, Created(name)));
  if (auto st = MakeDirs(paths_.RunDir(name), 0700); !st) {
    (void)prepared.cgroup.Destroy();
    return st.error();
  }
  if (capture) {
    // The frozen copy keeps no syscall rules: the learned profile is built
    // on the profile as resolved now, which must be what the container runs.
    auto loader = security::ProfileLoader::Create(paths_.ProfileDirs());
    auto resolved = loader ? loader->Load(prepared.spec.profile) : Result<security::Policy>(loader.error());
    if (!resolved || security::PolicyHash(*resolved) != prepared.policy.hash) {
      (void)prepared.cgroup.Destroy();
      return Error::Invalid("container " + name + ": its profile " + prepared.spec.profile +
                            (resolved ? " changed" : " cannot be loaded (" + resolved.error().message() + ")") +
                            " since the container was created; learning builds on the profile it runs under: "
                            "re-create the container");
    }
    capture->baseline = std::move(*resolved);
  }
  MonitorSetup setup{paths_, std::move(prepared.spec), std::move(prepared.policy), std::move(prepared.cgroup), true, -1,
                     std::nullopt, capture ? &capture->observations : nullptr, {}};
  if (unpersisted_.count(name)) setup.meanwhile = [this, name] { return Persist(name); };
  if (capture) setup.wait_status = &capture->wait_status;
  setup.netns_ahead = netns_ahead_.get();
  return RunMonitor(std::move(setup), log_);
}

Status ContainerManager::Kill(const std::string& name, int sig) {
  RAMPART_ASSIGN_OR_RETURN(auto state, store_.ReadState(name));
  if (!IsActive(store_.LiveStatus(state)))
    return Error::Invalid("container " + name + " is not running");
  RAMPART_ASSIGN_OR_RETURN(auto fd, OpenVerifiedPidfd(state.init_pid, state.init_start_time));
  if (syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0) != 0)
    return Error::FromErrno(errno, "signal container " + name);
  return Ok();
}

Status ContainerManager::Stop(const std::string& name, int timeout_seconds) {
  RAMPART_ASSIGN_OR_RETURN(auto state, store_.ReadState(name));
  auto cgm = Cgroups(paths_);
  std::optional<Cgroup> cgroup;
  if (cgm) {
    if (auto cg = cgm->Open(name); cg) cgroup = std::move(*cg);
  }
  if (IsActive(store_.LiveStatus(state))) {
    if (cgroup) (void)cgroup->Thaw();  // a frozen init cannot handle SIGTERM
    if (auto fd = OpenVerifiedPidfd(state.init_pid, state.init_start_time); fd) {
      if (timeout_seconds > 0) {
        syscall(SYS_pidfd_send_signal, fd->get(), SIGTERM, nullptr, 0);
        if (!WaitPidfd(fd->get(), timeout_seconds * 1000))
          log_.Info("container did not stop on SIGTERM, killing", {{"container", name}});
      }
      syscall(SYS_pidfd_send_signal, fd->get(), SIGKILL, nullptr, 0);
      if (cgroup) (void)cgroup->KillAll(SIGKILL);
      WaitPidfd(fd->get(), 10000);
    }
  }
  // Let the monitor finish its teardown; if it is gone, do it here.
  if (auto mon = OpenVerifiedPidfd(state.monitor_pid, state.monitor_start_time); mon) {
    if (WaitPidfd(mon->get(), 10000)) return Ok();
  }
  auto latest = store_.ReadState(name);
  if (!latest) {
    // Its foreground `run --rm` ended and removed it (before its monitor
    // could be waited for): stopped, and gone.
    if (!store_.Exists(name)) return Ok();
    return latest.error();
  }
  if (latest->status == ContainerStatus::kStopped && !cgroup) return Ok();
  auto spec = LoadSpec(paths_, name);
  return TeardownContainer(store_, *latest, cgroup ? &*cgroup : nullptr, spec ? &*spec : nullptr);
}

namespace {

// The cgroup of a container that has processes (freeze, unfreeze).
Result<Cgroup> ActiveCgroup(const Paths& paths, const StateStore& store, const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto state, store.ReadState(name));
  if (!IsActive(store.LiveStatus(state))) return Error::Invalid("container " + name + " is not running");
  RAMPART_ASSIGN_OR_RETURN(auto cgm, Cgroups(paths));
  return cgm.Open(name);
}

}  // namespace

Status ContainerManager::Freeze(const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto cg, ActiveCgroup(paths_, store_, name));
  return cg.Freeze();
}

Status ContainerManager::Unfreeze(const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto cg, ActiveCgroup(paths_, store_, name));
  return cg.Thaw();
}

Result<ContainerInfo> ContainerManager::Info(const std::string& name) const {
  ContainerInfo info;
  info.state.name = name;
  auto spec = LoadSpec(paths_, name);
  if (!spec && spec.error().kind() == ErrorKind::kNotFound) return spec.error();
  if (spec) info.spec = *spec;
  else info.error = spec.error().message();
  auto state = store_.ReadState(name);
  if (!state) {
    info.state.status = ContainerStatus::kUnknown;
    info.error = state.error().message();
    return info;
  }
  info.state = *state;
  ContainerStatus live = store_.LiveStatus(*state);
  if (state->status == ContainerStatus::kCreated && live == ContainerStatus::kStopped) live = ContainerStatus::kCreated;
  if (live == ContainerStatus::kRunning) {
    if (auto cgm = Cgroups(paths_); cgm) {
      if (auto cg = cgm->Open(name); cg) {
        if (auto frozen = cg->Frozen(); frozen && *frozen) live = ContainerStatus::kFrozen;
      }
    }
    info.uptime_seconds = static_cast<int64_t>(time(nullptr)) - state->started_at;
  }
  info.state.status = live;
  return info;
}

Result<std::vector<ContainerInfo>> ContainerManager::List() const {
  std::vector<ContainerInfo> out;
  auto names = store_.ListNames();
  if (!names) {
    if (names.error().err() == ENOENT) return out;
    return names.error();
  }
  for (const auto& n : *names) {
    auto info = Info(n);
    if (info) {
      out.push_back(std::move(*info));
    } else {
      ContainerInfo broken;
      broken.state.name = n;
      broken.state.status = ContainerStatus::kUnknown;
      broken.error = info.error().message();
      out.push_back(std::move(broken));
    }
  }
  return out;
}

Result<int> ContainerManager::Attach(const std::string& name, const std::vector<std::string>& argv) {
  if (argv.empty()) return Error::Invalid("attach: no command (rampart attach NAME -- CMD [ARGS...])");
  RAMPART_ASSIGN_OR_RETURN(auto spec, LoadSpec(paths_, name));
  RAMPART_ASSIGN_OR_RETURN(auto state, store_.ReadState(name));
  if (!IsActive(store_.LiveStatus(state))) return Error::Invalid("container " + name + " is not running");
  RAMPART_ASSIGN_OR_RETURN(auto pidfd, OpenVerifiedPidfd(state.init_pid, state.init_start_time));
  RAMPART_ASSIGN_OR_RETURN(auto policy, FrozenPolicy(paths_, name, spec, log_, policy_memo_));
  RAMPART_ASSIGN_OR_RETURN(auto cgm, Cgroups(paths_));
  RAMPART_ASSIGN_OR_RETURN(auto cg, cgm.Open(name));
  // Joining a frozen cgroup would freeze the attached command before exec.
  if (auto frozen = cg.Frozen(); frozen && *frozen)
    return Error::Invalid("container " + name + " is frozen: unfreeze it first");
  AttachRequest req;
  req.init_pidfd = pidfd.get();
  req.init_pid = state.init_pid;
  req.spec = &spec;
  req.policy = &policy;
  req.cgroup = &cg;
  req.argv = argv;
  // The attached command runs under the container's AppArmor / SELinux
  // labels too (where the host has them).
  RAMPART_ASSIGN_OR_RETURN(auto labels, PrepareLsm(policy, name, DetectHostSecurity(), paths_.ContainerDir(name)));
  req.labels = &labels;
  RAMPART_ASSIGN_OR_RETURN(pid_t pid, runtime::Attach(req));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::FromErrno(errno, "wait for attached command");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

Status ContainerManager::Destroy(const std::string& name, bool force) {
  RAMPART_TRY(ValidateName(name));
  // A dangling link (a run-dir container cut short) is removed too.
  if (!store_.Exists(name)) return Error::NotFound("no container named " + name);
  auto state = store_.ReadState(name);
  if (state && IsActive(store_.LiveStatus(*state))) {
    if (!force) return Error::Invalid("container " + name + " is running: stop it first, or destroy -f");
    auto stopped = Stop(name, 0);
    // A foreground `run --rm` removes its container when it ends, which
    // Stop waits for: gone is what was asked.
    if (!store_.Exists(name)) return Ok();
    if (!stopped) return stopped.error();
  } else if (!state && !force) {
    return state.error().Wrap("destroy " + name + " (use -f to remove it anyway)");
  }
  if (auto cgm = Cgroups(paths_); cgm) {
    if (auto cg = cgm->Open(name); cg) RAMPART_TRY(cg->Destroy());
  }
  // Its addresses, DNS names and DHCP reservations go with it. A config that
  // cannot be read any more (destroy -f of a damaged container) leaves them
  // to `net rm`.
  auto spec = Created(name) ? Result<ContainerSpec>(Created(name)->first) : LoadSpec(paths_, name);
  if (spec) {
    if (auto st = ReleaseNetworks(paths_, *spec); !st) {
      if (!force) return st.error().Wrap("destroy " + name);
      log_.Warn("destroy: networks not released", {{"container", name}, {"error", st.error().message()}});
    }
  }
  RAMPART_ASSIGN_OR_RETURN(auto lock, LockContainer(paths_, name));
  RAMPART_TRY(store_.Remove(name));
  unlink(paths_.LockFile(name).c_str());  // released after the unlink: waiters retry
  (void)RemoveEmptyCgroupParents(paths_);  // the last container of a root leaves nothing
  return Ok();
}

Result<bool> ContainerManager::Console(const std::string& name, int in_fd, int out_fd) {
  RAMPART_ASSIGN_OR_RETURN(auto state, store_.ReadState(name));
  if (!IsActive(store_.LiveStatus(state))) return Error::Invalid("container " + name + " is not running");
  const std::string path = paths_.MonitorSocket(name);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error::Invalid("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::FromErrno(errno, "socket");
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Error::FromErrno(errno, "connect to the monitor of " + name + " at " + path);
  if (send(sock.get(), "console\n", 8, MSG_NOSIGNAL) != 8) return Error::FromErrno(errno, "send console request");
  std::string reply;
  char c;
  while (reply.size() < 512 && read(sock.get(), &c, 1) == 1 && c != '\n') reply += c;
  if (reply != "OK") return Error::Invalid("console " + name + ": " + (reply.empty() ? "the monitor closed the connection" : reply));
  return ProxyTerminal(in_fd, out_fd, sock.get(), true);
}

Result<GcReport> ContainerManager::Gc() {
  GcReport report;
  auto names = store_.ListNames();
  std::vector<std::string> known = names ? *names : std::vector<std::string>{};
  auto live = [&](const std::string& n) {
    auto s = store_.ReadState(n);
    return s && IsActive(store_.LiveStatus(*s));
  };
  // A container whose lock another rampart command holds (a create, start
  // or run in progress: a config not written yet, a cgroup without its
  // state yet) is not a leftover; it is left alone. std::nullopt: busy.
  auto unless_busy = [&](const std::string& n) -> std::optional<std::optional<FileLock>> {
    if (!store_.Exists(n)) return std::optional<FileLock>();  // no container, no lock
    auto lock = LockContainer(paths_, n);
    if (!lock) return std::nullopt;
    return std::optional<FileLock>(std::move(*lock));
  };
  // Half-created containers (a create killed before config.yaml was written).
  for (const auto& n : known) {
    struct stat st {};
    if (stat(paths_.ConfigFile(n).c_str(), &st) == 0 || live(n)) continue;
    auto lock = unless_busy(n);
    if (!lock) continue;
    if (stat(paths_.ConfigFile(n).c_str(), &st) == 0 || live(n)) continue;  // again, under the lock
    if (auto r = store_.Remove(n); r) {
      unlink(paths_.LockFile(n).c_str());  // as destroy does
      report.removed.push_back("container directory " + paths_.ContainerDir(n));
    }
  }
  // Cgroups below our parent that no live container owns.
  if (auto cgm = Cgroups(paths_); cgm) {
    if (auto cgs = cgm->List(); cgs) {
      for (const auto& n : *cgs) {
        if (live(n)) continue;
        auto lock = unless_busy(n);
        if (!lock || live(n)) continue;
        if (auto cg = cgm->Open(n); cg && cg->Destroy()) report.removed.push_back("cgroup " + n);
      }
    }
  }
  for (auto& p : RemoveEmptyCgroupParents(paths_)) report.removed.push_back("cgroup parent " + p);
  // Tagged veths and nft tables no container or network owns any more (only
  // for a root that has networks: never touch links otherwise).
  if (struct stat nst {}; stat(paths_.NetworksDir().c_str(), &nst) == 0) {
    std::vector<std::string> running;
    for (const auto& n : known)
      if (live(n)) running.push_back(n);
    auto net_report = net::NetworkManager(NetPathsOf(paths_)).Gc(running);
    if (!net_report) return net_report.error().Wrap("gc networks");
    for (auto& r : net_report->removed) report.removed.push_back(std::move(r));
  }
  GcCheckpoints(known, report);
  // Stale state: recorded running, nothing alive → stopped.
  for (const auto& n : known) {
    auto s = store_.ReadState(n);
    if (s && s->status != ContainerStatus::kStopped && s->status != ContainerStatus::kCreated && !live(n)) {
      auto lock = unless_busy(n);
      if (!lock) continue;
      s = store_.ReadState(n);  // again, under the lock
      if (!s || s->status == ContainerStatus::kStopped || s->status == ContainerStatus::kCreated || live(n)) continue;
      auto spec = LoadSpec(paths_, n);
      if (TeardownContainer(store_, *s, nullptr, spec ? &*spec : nullptr))
        report.removed.push_back("stale running state of " + n);
      unlink(paths_.MonitorSocket(n).c_str());
    }
  }
  // Run directories of containers that no longer exist (a link in the
  // containers directory counts, dangling or not: a claim in progress
  // makes the link before its target).
  if (DIR* d = opendir(paths_.run.c_str())) {
    std::vector<std::string> orphans;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.empty() || n[0] == '.' || !ValidateName(n)) continue;  // ., .., .networks, .ovs
      if (store_.Exists(n)) continue;
      orphans.push_back(std::move(n));
    }
    closedir(d);
    for (const auto& n : orphans) {
      auto removed = store_.RemoveOrphanRunDir(n);
      for (const auto& p : removed ? *removed : std::vector<std::string>{}) {
        if (p == paths_.RunDir(n)) report.removed.push_back("run directory " + p);
        if (p == paths_.RunDirContainerDir(n)) report.removed.push_back("container directory " + p);
      }
    }
  }
  return report;
}

}  // namespace rampart::runtime
