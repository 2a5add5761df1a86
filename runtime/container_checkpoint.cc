// ContainerManager's checkpoint, restore, export/import and migrate verbs
// (docs/checkpointing.md); the CRIU side is runtime/checkpoint.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/fault.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "runtime/checkpoint.h"
#include "runtime/container_manager.h"
#include "runtime/manager_internal.h"
#include "net/nat.h"
#include "runtime/networking.h"

namespace rampart::runtime {
using namespace detail;
namespace {

constexpr const char kManifest[] = "rampart-export.json";

std::string InterruptedMarker(const Paths& paths, const std::string& name) {
  return paths.RunDir(name) + "/checkpoint.interrupted";
}

std::string DefaultCheckpointName() {
  char buf[64];
  time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  strftime(buf, sizeof buf, "ckpt-%Y%m%d-%H%M%S", &t);
  return buf;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// rm -rf of a directory rampart made (no mounts inside a checkpoint).
Status RemoveTree(const std::string& path) {
  if (!Exists(path)) return Ok();
  auto run = RunCommand({"rm", "-rf", "--one-file-system", "--", path});
  if (!run) return run.error();
  if (ExitCodeFromWaitStatus(run->status) != 0) return Error::Internal("remove " + path + ": " + FirstLine(run->err));
  return Ok();
}

Result<CheckpointMeta> ReadMeta(const std::string& dir) {
  RAMPART_ASSIGN_OR_RETURN(auto text, ReadFile(dir + "/meta.json"));
  return CheckpointMetaFromJson(text, dir + "/meta.json");
}

// A checkpoint that can be restored by this container here: ours, this
// machine's architecture, the same policy, CRIU's images present.
Status CheckRestorable(const CheckpointMeta& meta, const std::string& dir, const std::string& name,
                       const std::string& policy_hash) {
  if (meta.container != name)
    return Error::Invalid("checkpoint " + meta.name + " (" + dir + ") is of container " + meta.container + ", not " + name);
  utsname u{};
  uname(&u);
  if (meta.machine != u.machine)
    return Error::Invalid("checkpoint " + meta.name + " was made on " + meta.machine + ", this host is " + u.machine);
  if (meta.policy_hash != policy_hash)
    return Error::Invalid("checkpoint " + meta.name + " was made under policy " + meta.policy_hash.substr(0, 12) +
                          " but container " + name + " now has policy " + policy_hash.substr(0, 12) +
                          ": restoring would not enforce what was checkpointed");
  for (const char* f : {"inventory.img", "pstree.img"}) {
    struct stat st {};
    const std::string path = dir + "/images/" + f;
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
      return Error::Invalid("checkpoint " + meta.name + " is damaged: " + path + " is missing or empty");
  }
  return Ok();
}

Status RunTar(const std::vector<std::string>& args, const std::string& what) {
  std::vector<std::string> argv = {"tar"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = RunCommand(argv);
  if (!run) return run.error().Wrap(what);
  if (ExitCodeFromWaitStatus(run->status) != 0) {
    std::string why = FirstLine(run->err);
    return Error::Invalid(what + ": tar failed" + (why.empty() ? "" : ": " + why));
  }
  return Ok();
}

}  // namespace

Result<CheckpointMeta> ContainerManager::Checkpoint(const std::string& name, const CheckpointOptions& o) {
  RAMPART_TRY(ValidateName(name));
  // The container's own lock is held by its monitor while it runs (like
  // stop and freeze, checkpoint works beside it); one checkpoint at a time.
  if (!Exists(paths_.ContainerDir(name))) return Error::NotFound("no container named " + name);
  RAMPART_TRY(MakeDirs(paths_.RunDir(name), 0700));
  auto lock = FileLock::Acquire(paths_.RunDir(name) + "/checkpoint.lock", true, false);
  if (!lock) return Error(ErrorKind::kExists, "container " + name + " is being checkpointed by another rampart command");
  RAMPART_ASSIGN_OR_RETURN(auto state, store_.ReadState(name));
  const ContainerStatus live = store_.LiveStatus(state);
  if (live != ContainerStatus::kRunning && live != ContainerStatus::kFrozen)
    return Error::Invalid("container " + name + " is not running (" + StatusName(live) + "): nothing to checkpoint");
  RAMPART_ASSIGN_OR_RETURN(auto spec, LoadSpec(paths_, name));
  if (state.stdio == "terminal" || spec.tty)
    return Error::Unsupported("container " + name +
                              " has a terminal (tty: true): its pty master is held by the monitor outside the container, "
                              "which CRIU cannot restore; checkpoint works for detached containers without a terminal");
  if (state.stdio != "log")
    return Error::Unsupported("container " + name +
                              " runs in the foreground (rampart run without -d): its stdio belongs to the calling "
                              "terminal; start it detached (run -d / start) to checkpoint it");
  if (spec.init)
    return Error::Unsupported("container " + name +
                              " runs under rampart's init (--init), whose executable lies outside the container's "
                              "mounts: CRIU cannot dump it; checkpoint works for containers without --init");
  if (spec.namespaces.user && spec.namespaces.net)
    return Error::Unsupported("container " + name +
                              " has a user namespace: CRIU restores it, but then cannot enter the network namespace "
                              "rampart prepares (that one belongs to the host's user namespace); checkpoint works for "
                              "containers without user namespaces for now");
  // Fail-closed: CRIU does not restore a Landlock domain, so the restored
  // container would run without the filesystem rules it was started with.
  auto policy = FrozenPolicy(paths_, name, spec, log_, policy_memo_);
  if (!policy) return policy.error().Wrap("checkpoint " + name);
  if (policy->policy.landlock.active())
    return Error::Unsupported("container " + name + " runs under Landlock filesystem rules (profile " +
                              policy->policy.name +
                              "), which CRIU cannot restore: a restored container would run without them");
  const std::string ckpt = o.name.empty() ? DefaultCheckpointName() : o.name;
  RAMPART_TRY(ValidateCheckpointName(ckpt));
  const std::string base = CheckpointsDir(paths_, name);
  const std::string dir = base + "/" + ckpt;
  if (Exists(dir)) return Error(ErrorKind::kExists, "checkpoint " + ckpt + " of container " + name + " already exists");
  RAMPART_ASSIGN_OR_RETURN(auto criu, FindCriu(spec.criu));
  RAMPART_ASSIGN_OR_RETURN(auto cgm, Cgroups(paths_));
  RAMPART_ASSIGN_OR_RETURN(auto cgroup, cgm.Open(name));
  // Built under a dot name (never listed) and renamed once complete.
  const std::string partial = base + "/." + ckpt + ".partial";
  RAMPART_TRY(RemoveTree(partial));
  RAMPART_TRY(MakeDirs(partial + "/images", 0700));
  DumpRequest req;
  req.criu = criu;
  req.paths = paths_;
  req.spec = &spec;
  req.cgroup = &cgroup;
  req.init_pid = state.init_pid;
  req.masked_paths = policy->policy.masked_paths;
  req.images_dir = partial + "/images";
  req.log_path = paths_.RunDir(name) + "/criu-dump.log";
  req.leave_running = o.leave_running;
  // If this process dies mid-dump, gc finds this file (with the lock free)
  // and undoes what the dump did: thaw, remove CRIU's network lock.
  const std::string marker = InterruptedMarker(paths_, name);
  {
    auto frozen = cgroup.Frozen();
    (void)WriteFileAtomic(marker, frozen && *frozen ? "keep-frozen\n" : "thaw\n", 0600, Durability::kVolatile);
  }
  FaultPoint("checkpoint:marked");
  bool shown = false;
  if (o.progress && isatty(2)) {
    req.progress = [&](uint64_t bytes) {
      fprintf(stderr, "\rcheckpoint %s: %.1f MiB written", name.c_str(), bytes / 1048576.0);
      shown = true;
    };
  }
  auto meta = DumpContainer(req);
  unlink(marker.c_str());
  if (shown) fprintf(stderr, "\n");
  if (!meta) {
    (void)RemoveTree(partial);
    return meta.error().Wrap("checkpoint " + name);
  }
  meta->name = ckpt;
  meta->container = name;
  meta->policy_hash = state.policy_hash;
  if (auto st = WriteFileAtomic(partial + "/meta.json", CheckpointMetaToJson(*meta), 0600); !st) {
    (void)RemoveTree(partial);
    return st.error();
  }
  if (rename(partial.c_str(), dir.c_str()) != 0) {
    Error e = Error::FromErrno(errno, "rename " + partial);
    (void)RemoveTree(partial);
    return e;
  }
  if (!o.leave_running) {
    // CRIU killed the processes: the monitor tears down; then the state
    // says which checkpoint stopped it.
    if (auto mon = OpenVerifiedPidfd(state.monitor_pid, state.monitor_start_time); mon) WaitPidfd(mon->get(), 10000);
    if (auto now = store_.ReadState(name); now) {
      if (store_.LiveStatus(*now) == ContainerStatus::kStopped) {
        now->checkpoint = ckpt;
        (void)store_.WriteState(*now);
      }
    }
  }
  if (!o.export_path.empty()) {
    RAMPART_TRY(Export(name, ckpt, o.export_path));
  }
  return *meta;
}

void ContainerManager::GcCheckpoints(const std::vector<std::string>& names, GcReport& report) {
  for (const auto& name : names) {
    const std::string base = CheckpointsDir(paths_, name);
    DIR* d = opendir(base.c_str());
    if (!d) continue;
    std::vector<std::string> partial;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 9 && n[0] == '.' && n.ends_with(".partial")) partial.push_back(base + "/" + n);
    }
    closedir(d);
    const std::string marker = InterruptedMarker(paths_, name);
    const bool interrupted = Exists(marker);
    if (partial.empty() && !interrupted) continue;
    // Only while no checkpoint of the container runs (it holds this lock).
    auto lock = FileLock::Acquire(paths_.RunDir(name) + "/checkpoint.lock", true, false);
    if (!lock) continue;
    if (interrupted) {
      // The dump's process died: CRIU died with it (PDEATHSIG), the
      // container still runs, frozen by the dump and maybe cut off by
      // CRIU's network lock.
      auto how = ReadFile(marker);
      auto state = store_.ReadState(name);
      if (state && IsActive(store_.LiveStatus(*state))) {
        if (how && how->starts_with("thaw")) {
          if (auto cgm = Cgroups(paths_); cgm)
            if (auto cg = cgm->Open(name); cg) (void)cg->Thaw();
        }
        UniqueFd ns(open(("/proc/" + std::to_string(state->init_pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
        if (ns) (void)net::DeleteInetTables(ns.get(), "CRIU-");
      }
      unlink(marker.c_str());
      report.removed.push_back("interrupted checkpoint of " + name + " (container thawed, CRIU's network lock removed)");
    }
    for (const auto& p : partial)
      if (RemoveTree(p)) report.removed.push_back("unfinished checkpoint " + p);
  }
  // An import unpacks into containers/.import-XXXXXX and moves everything
  // out within seconds: one older than ten minutes belongs to a crashed run.
  if (DIR* d = opendir(paths_.ContainersDir().c_str())) {
    std::vector<std::string> stale;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      struct stat st {};
      const std::string path = paths_.ContainersDir() + "/" + n;
      if (n.starts_with(".import-") && lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
          st.st_mtime + 600 < time(nullptr))
        stale.push_back(path);
    }
    closedir(d);
    for (const auto& p : stale)
      if (RemoveTree(p)) report.removed.push_back("unfinished import " + p);
  }
}

Result<std::vector<CheckpointListing>> ContainerManager::ListCheckpoints(const std::string& name) const {
  RAMPART_TRY(ValidateName(name));
  if (!Exists(paths_.ContainerDir(name))) return Error::NotFound("no container named " + name);
  std::vector<CheckpointListing> out;
  const std::string base = CheckpointsDir(paths_, name);
  DIR* d = opendir(base.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    CheckpointListing l;
    l.name = n;
    l.dir = base + "/" + n;
    if (auto meta = ReadMeta(l.dir); meta) l.meta = std::move(*meta);
    else l.error = meta.error().message();
    out.push_back(std::move(l));
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    int64_t ta = a.meta ? a.meta->created_at : 0, tb = b.meta ? b.meta->created_at : 0;
    return ta != tb ? ta < tb : a.name < b.name;
  });
  return out;
}

Status ContainerManager::RemoveCheckpoint(const std::string& name, const std::string& checkpoint) {
  RAMPART_TRY(ValidateName(name));
  RAMPART_TRY(ValidateCheckpointName(checkpoint));
  const std::string dir = CheckpointsDir(paths_, name) + "/" + checkpoint;
  if (!Exists(dir)) return Error::NotFound("container " + name + " has no checkpoint " + checkpoint);
  return RemoveTree(dir);
}

Result<std::string> ContainerManager::Restore(const std::string& name, const RestoreOptions& o) {
  std::string from = o.from;
  bool imported_new = false;
  if (!o.import_path.empty()) {
    imported_new = !Exists(paths_.ContainerDir(name));
    RAMPART_ASSIGN_OR_RETURN(from, Import(name, o.import_path));
  }
  auto restored = RestoreFrom(name, from);
  if (!restored && imported_new) {
    // Nothing of a container that never ran here stays behind.
    if (auto st = Destroy(name, true); !st) return restored.error().WithCleanupFailure(st.error());
  }
  return restored;
}

Result<std::string> ContainerManager::RestoreFrom(const std::string& name, std::string from) {
  RAMPART_TRY(ValidateName(name));
  if (auto state = store_.ReadState(name); state && IsActive(store_.LiveStatus(*state)))
    return Error(ErrorKind::kExists, "container " + name + " is running: stop it (or checkpoint it) before a restore");
  RAMPART_ASSIGN_OR_RETURN(auto lock, LockContainer(paths_, name));
  if (from.empty()) {
    RAMPART_ASSIGN_OR_RETURN(auto all, ListCheckpoints(name));
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->meta) {
        from = it->name;
        break;
      }
    }
    if (from.empty()) return Error::NotFound("container " + name + " has no checkpoint to restore");
  }
  RAMPART_TRY(ValidateCheckpointName(from));
  const std::string dir = CheckpointsDir(paths_, name) + "/" + from;
  if (!Exists(dir)) return Error::NotFound("container " + name + " has no checkpoint " + from);
  RAMPART_ASSIGN_OR_RETURN(auto meta, ReadMeta(dir));
  RAMPART_ASSIGN_OR_RETURN(auto spec, LoadSpec(paths_, name));
  if (spec.tty) return Error::Unsupported("container " + name + " has a terminal (tty: true): it cannot be restored");
  RAMPART_ASSIGN_OR_RETURN(auto criu, FindCriu(spec.criu));
  RAMPART_ASSIGN_OR_RETURN(auto prepared, Prepare(paths_, store_, name, log_, policy_memo_, nullptr));
  if (auto st = CheckRestorable(meta, dir, name, prepared.policy.hash); !st) {
    (void)prepared.cgroup.Destroy();
    return st.error();
  }
  MonitorSetup::Restore restore{criu, dir + "/images", meta};
  RAMPART_TRY(StartMonitor(name, std::move(prepared), std::move(restore)));
  return from;
}

Status ContainerManager::Export(const std::string& name, const std::string& checkpoint, const std::string& file) {
  RAMPART_TRY(ValidateName(name));
  RAMPART_TRY(ValidateCheckpointName(checkpoint));
  const std::string cdir = paths_.ContainerDir(name);
  const std::string rel = "checkpoints/" + checkpoint;
  RAMPART_ASSIGN_OR_RETURN(auto meta, ReadMeta(cdir + "/" + rel));
  RAMPART_ASSIGN_OR_RETURN(auto spec, LoadSpec(paths_, name));
  // Our own rootfs travels with the checkpoint; a dir: rootfs must exist
  // at the same path on the other side.
  const bool with_rootfs = spec.rootfs == paths_.RootfsDir(name);
  nlohmann::json manifest = {{"format", "rampart-export"},
                             {"version", 1},
                             {"container", name},
                             {"checkpoint", checkpoint},
                             {"rootfs_included", with_rootfs}};
  RAMPART_TRY(WriteFileAtomic(cdir + "/" + kManifest, manifest.dump(2) + "\n", 0600, Durability::kVolatile));
  const std::string tmp = file + ".partial";
  std::vector<std::string> args = {"--zstd", "-cf", tmp, "--numeric-owner", "--sparse", "-C", cdir,
                                   kManifest, "config.yaml", "policy.json", "policy.bpf", rel};
  if (with_rootfs) args.push_back("rootfs");
  Status st = RunTar(args, "export " + name + " to " + file);
  unlink((cdir + "/" + kManifest).c_str());
  if (!st) {
    unlink(tmp.c_str());
    return st;
  }
  if (rename(tmp.c_str(), file.c_str()) != 0) {
    Error e = Error::FromErrno(errno, "rename " + tmp);
    unlink(tmp.c_str());
    return e;
  }
  return Ok();
}

Result<std::string> ContainerManager::Import(const std::string& name, const std::string& file) {
  RAMPART_TRY(ValidateName(name));
  if (!Exists(file)) return Error::NotFound("import: " + file + " does not exist");
  RAMPART_TRY(MakeDirs(paths_.ContainersDir(), 0700));
  std::string tmpl = paths_.ContainersDir() + "/.import-XXXXXX";
  if (!mkdtemp(tmpl.data())) return Error::FromErrno(errno, "mkdtemp " + tmpl);
  const std::string tmp = tmpl;
  auto fail = [&](const Error& e) -> Error {
    if (auto st = RemoveTree(tmp); !st) return e.WithCleanupFailure(st.error());
    return e;
  };
  if (auto st = RunTar({"--zstd", "-xf", file, "--numeric-owner", "-C", tmp}, "import " + file); !st) return fail(st.error());
  auto manifest_text = ReadFile(tmp + "/" + kManifest);
  if (!manifest_text) return fail(Error::Invalid("import: " + file + " is not a rampart export (no " + kManifest + ")"));
  nlohmann::json manifest = nlohmann::json::parse(*manifest_text, nullptr, false);
  if (manifest.is_discarded() || manifest.value("format", "") != "rampart-export")
    return fail(Error::Invalid("import: " + file + " is not a rampart export (bad " + kManifest + ")"));
  const std::string container = manifest.value("container", "");
  const std::string ckpt = manifest.value("checkpoint", "");
  if (container != name)
    return fail(Error::Invalid("import: " + file + " holds container " + container + ", not " + name));
  if (auto st = ValidateCheckpointName(ckpt); !st) return fail(st.error().Wrap("import " + file));
  auto meta = ReadMeta(tmp + "/checkpoints/" + ckpt);
  if (!meta) return fail(meta.error());
  const bool with_rootfs = manifest.value("rootfs_included", false);
  auto defaults = LoadDefaults(paths_);
  if (!defaults) return fail(defaults.error());
  auto config = ReadFile(tmp + "/config.yaml");
  if (!config) return fail(config.error().Wrap("import " + file));
  auto spec = ParseContainerSpec(*config, file + ":config.yaml", *defaults, name);
  if (!spec) return fail(spec.error());
  const std::string target = CheckpointsDir(paths_, name) + "/" + ckpt;
  if (Exists(paths_.ContainerDir(name))) {
    // An existing container takes the checkpoint if it is the same one:
    // same policy, not running, no checkpoint of that name yet.
    auto lock = LockContainer(paths_, name);
    if (!lock) return fail(lock.error());
    auto state = store_.ReadState(name);
    if (state && IsActive(store_.LiveStatus(*state)))
      return fail(Error(ErrorKind::kExists, "import: container " + name + " exists here and is running"));
    if (!state || state->policy_hash != meta->policy_hash)
      return fail(Error::Invalid("import: container " + name + " exists here with another policy; destroy it first"));
    if (Exists(target)) return fail(Error(ErrorKind::kExists, "import: container " + name + " already has checkpoint " + ckpt));
    if (auto st = MakeDirs(CheckpointsDir(paths_, name), 0700); !st) return fail(st.error());
    if (rename((tmp + "/checkpoints/" + ckpt).c_str(), target.c_str()) != 0) return fail(Error::FromErrno(errno, "rename into " + target));
    (void)RemoveTree(tmp);
    return ckpt;
  }
  // A new container: its directory is the unpacked export.
  if (auto st = store_.Claim(name); !st) return fail(st.error());
  const std::string cdir = paths_.ContainerDir(name);
  auto undo = [&](const Error& e) -> Error {
    Error out = fail(e);
    if (auto st = store_.Remove(name); !st) out = out.WithCleanupFailure(st.error());
    return out;
  };
  if (with_rootfs) spec->rootfs = paths_.RootfsDir(name);
  for (const char* f : {"policy.json", "policy.bpf", "checkpoints"}) {
    if (rename((tmp + "/" + f).c_str(), (cdir + "/" + f).c_str()) != 0) return undo(Error::FromErrno(errno, std::string("import: move ") + f));
  }
  if (with_rootfs && rename((tmp + "/rootfs").c_str(), spec->rootfs.c_str()) != 0)
    return undo(Error::FromErrno(errno, "import: move rootfs"));
  if (auto st = WriteFileAtomic(paths_.ConfigFile(name), SerializeContainerSpec(*spec), 0600); !st) return undo(st.error());
  ContainerState state;
  state.name = name;
  state.status = ContainerStatus::kStopped;
  state.created_at = static_cast<int64_t>(time(nullptr));
  state.profile = spec->profile;
  state.policy_hash = meta->policy_hash;
  state.checkpoint = ckpt;
  if (auto st = store_.WriteState(state); !st) return undo(st.error());
  (void)RemoveTree(tmp);
  return ckpt;
}

namespace {

// Runs this rampart binary with `args` inside `netns` (a file; "" = ours)
// with RAMPART_RUN=`run` when given; returns its stderr's first line on failure.
Status RunRampartIn(const std::string& netns, const std::string& run, const std::vector<std::string>& args) {
  UniqueFd ns;
  if (!netns.empty()) {
    ns.reset(open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return Error::FromErrno(errno, "open " + netns);
  }
  // Our own binary through /proc/self/exe, not its path: run from the
  // front's detached read-only mount (cli/launcher/), it has none.
  UniqueFd self(open("/proc/self/exe", O_PATH | O_CLOEXEC));
  if (!self) return Error::FromErrno(errno, "open /proc/self/exe");
  const std::string exe = "rampart-core";
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe");
  UniqueFd err_rd(err_pipe[0]), err_wr(err_pipe[1]);
  std::vector<std::string> argv = {exe};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv = CStrings(argv);
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    if (ns && setns(ns.get(), CLONE_NEWNET) != 0) _exit(125);
    if (!run.empty()) setenv("RAMPART_RUN", run.c_str(), 1);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) dup2(null_fd, 1);  // its "restored NAME" line is ours to say
    dup2(err_wr.get(), 2);
    execveat(self.get(), "", cargv.data(), environ, AT_EMPTY_PATH);
    _exit(127);
  }
  ScopedChild child(pid);
  err_wr.reset();
  std::string err;
  char buf[1024];
  ssize_t r;
  while ((r = read(err_rd.get(), buf, sizeof buf)) != 0) {
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    err.append(buf, r);
  }
  RAMPART_ASSIGN_OR_RETURN(int status, child.Wait());
  if (ExitCodeFromWaitStatus(status) == 0) return Ok();
  std::string line = FirstLine(err);
  if (line.starts_with("rampart: ")) line = line.substr(9);
  if (line.starts_with("error: ")) line = line.substr(7);
  return Error::Internal(line.empty() ? "exit code " + std::to_string(ExitCodeFromWaitStatus(status)) : line);
}

}  // namespace

Status ContainerManager::Migrate(const std::string& name, const MigrateOptions& o) {
  RAMPART_TRY(ValidateName(name));
  if (o.to_root.empty() || o.to_root[0] != '/')
    return Error::Invalid("migrate: --to must be the absolute path of another rampart root (got '" + o.to_root + "')");
  if (o.to_root == paths_.root) return Error::Invalid("migrate: --to " + o.to_root + " is this container's own root");
  RAMPART_TRY(MakeDirs(paths_.root + "/cache", 0700));
  const std::string archive = paths_.root + "/cache/migrate-" + name + ".tar.zst";
  CheckpointOptions co;
  co.name = "migrate-" + DefaultCheckpointName().substr(5);
  co.export_path = archive;
  RAMPART_ASSIGN_OR_RETURN(auto meta, Checkpoint(name, co));
  FaultPoint("migrate:exported");
  Status moved = RunRampartIn(o.to_netns, o.to_run, {"--root", o.to_root, "restore", name, "--import", archive});
  unlink(archive.c_str());
  if (!moved) {
    // Fail-safe: the container comes back here from the same checkpoint.
    RestoreOptions ro;
    ro.from = meta.name;
    if (auto back = Restore(name, ro); !back)
      return moved.error().Wrap("migrate " + name).WithCleanupFailure(back.error().Wrap("restore here"));
    return Error::Internal("migrate " + name + ": " + moved.error().message() + " (the container runs here again)");
  }
  // It runs there now: nothing of it stays here.
  return Destroy(name, true);
}

}  // namespace rampart::runtime
