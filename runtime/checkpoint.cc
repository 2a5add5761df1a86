#include "runtime/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <set>

#include "base/atomic_file.h"
#include "base/fault.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "net/nat.h"
#include "runtime/mountinfo.h"
#include "runtime/networking.h"
#include "runtime/state_store.h"

namespace rampart::runtime {
namespace {

bool PathWithin(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

// CRIU mounts these afresh from the image (tmpfs with its dumped contents).
bool RebuiltByCriu(const MountInfoEntry& m) {
  static const std::set<std::string> kFresh = {"proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2"};
  return kFresh.count(m.fstype) > 0 || (m.fstype == "tmpfs" && m.root == "/");
}


uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) total += st.st_size;
  }
  closedir(d);
  return total;
}

std::string Readlink(const std::string& path) {
  char buf[256];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : std::string();
}

// Forks and execs criu with `keep` descriptors inherited under their own
// numbers and its stdout/stderr appended to `out_file`.
Result<ScopedChild> SpawnCriu(const std::vector<std::string>& argv, const std::vector<int>& keep,
                              const std::string& out_file) {
  UniqueFd out(open(out_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!out) return Error::FromErrno(errno, "open " + out_file);
  UniqueFd null_in(open("/dev/null", O_RDONLY | O_CLOEXEC));
  std::vector<char*> cargv = CStrings(argv);
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Error::FromErrno(errno, "pipe");
  UniqueFd err_rd(err_pipe[0]), err_wr(err_pipe[1]);
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork criu");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // A rampart that dies mid-dump must not leave CRIU to finish it (and
    // kill the container into a checkpoint nobody records).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // CRIU mounts things of its own (its cgroup yard under the images
    // directory, a restore's root) and leaves them mounted when some
    // restores fail: in a mount namespace of its own they go with it, never
    // onto the host.
    int e = 0;
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      e = errno;
      (void)!write(err_wr.get(), &e, sizeof e);
      _exit(127);
    }
    dup2(null_in.get(), 0);
    dup2(out.get(), 1);
    dup2(out.get(), 2);
    for (int fd : keep) fcntl(fd, F_SETFD, 0);
    execv(cargv[0], cargv.data());
    e = errno;
    (void)!write(err_wr.get(), &e, sizeof e);
    _exit(127);
  }
  ScopedChild child(pid);
  err_wr.reset();
  int e = 0;
  if (read(err_rd.get(), &e, sizeof e) == sizeof e) {
    (void)child.Wait();
    return Error::FromErrno(e, "exec " + argv[0]);
  }
  return child;
}

// Waits for criu, calling `tick` about twice a second; the raw wait status.
Result<int> WaitCriu(ScopedChild& child, const std::function<void()>& tick) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, child.pid(), 0)));
  if (pidfd) {
    while (true) {
      pollfd p{pidfd.get(), POLLIN, 0};
      int rc = poll(&p, 1, 500);
      if (rc > 0) break;
      if (rc < 0 && errno != EINTR) break;
      if (tick) tick();
    }
  }
  return child.Wait();
}

std::string DescribeFailure(const std::string& what, int status, const std::string& log_path) {
  auto log = ReadFile(log_path);
  // A killed CRIU's last log line is just where it was: only a real error is worth quoting.
  std::string complaint = log ? CriuLogComplaint(*log, /*errors_only=*/WIFSIGNALED(status)) : "";
  std::string how;
  if (WIFSIGNALED(status)) {
    how = "criu was killed by signal " + std::to_string(WTERMSIG(status));
  } else {
    how = "criu exited with " + std::to_string(ExitCodeFromWaitStatus(status));
  }
  return what + ": " + how + (complaint.empty() ? "" : ": " + complaint) + " (log: " + log_path + ")";
}

}  // namespace

std::vector<std::string> CriuCgroupRoots(const std::vector<Cgroup::Placement>& ours, std::string_view self_cgroup) {
  std::vector<std::string> out;
  for (const std::string& line : Split(self_cgroup, '\n')) {
    // "ID:CONTROLLERS:PATH"; "0::PATH" is the v2 tree.
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string id = line.substr(0, a);
    std::vector<std::string> ctrls;
    for (const std::string& c : Split(line.substr(a + 1, b - a - 1), ','))
      if (!c.empty()) ctrls.push_back(c);
    std::string path = line.substr(b + 1);
    const bool v2 = id == "0" && ctrls.empty();
    for (const auto& p : ours) {
      bool match = v2 ? p.v2 : false;
      if (!v2 && !p.v2)
        for (const auto& c : p.controllers) match = match || std::find(ctrls.begin(), ctrls.end(), c) != ctrls.end();
      if (match) {
        path = p.relative.empty() ? "/" : p.relative;
        break;
      }
    }
    if (v2) out.push_back(path);
    else if (!ctrls.empty()) out.push_back(ctrls[0] + ":" + path);
  }
  return out;
}

Result<std::vector<MountInfoEntry>> ParseMountInfo(std::string_view text) {
  std::vector<MountInfoEntry> out;
  int line_no = 0;
  for (std::string_view line : MountInfoLines(text)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    auto f = SplitMountInfoLine(line);
    if (!f || !f->has_separator || f->after_separator < 1)
      return Error::Invalid("mountinfo line " + std::to_string(line_no) + ": cannot parse '" + std::string(line) + "'");
    MountInfoEntry m;
    m.id = std::atoi(std::string(f->id).c_str());
    m.parent = std::atoi(std::string(f->parent).c_str());
    m.dev = std::string(f->dev);
    m.root = UnescapeMountField(f->root);
    m.mountpoint = UnescapeMountField(f->mountpoint);
    m.fstype = std::string(f->fstype);
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<ExternalMount>> ClassifyExternalMounts(
    const std::vector<MountInfoEntry>& mounts, const std::vector<std::pair<std::string, std::string>>& binds,
    const std::vector<std::string>& masked) {
  std::vector<ExternalMount> out;
  auto is_masked = [&](const MountInfoEntry& m) {
    return std::find(masked.begin(), masked.end(), m.mountpoint) != masked.end() &&
           (m.fstype == "tmpfs" || m.root != "/");
  };
  for (const auto& m : mounts) {
    if (m.mountpoint == "/" || (RebuiltByCriu(m) && !is_masked(m))) continue;
    // A bind of part of another mount of the container that CRIU rebuilds
    // whole (or of the root) is rebuilt from that one.
    bool covered = false;
    for (const auto& o : mounts) {
      if (is_masked(m)) break;
      if (&o == &m || o.dev != m.dev) continue;
      if ((o.mountpoint == "/" || (o.root == "/" && RebuiltByCriu(o))) && PathWithin(m.root, o.root)) covered = true;
    }
    if (covered) continue;
    ExternalMount e;
    e.key = "m" + std::to_string(out.size());
    e.mountpoint = m.mountpoint;
    const std::string* bind_source = nullptr;
    for (const auto& [target, source] : binds)
      if (target == m.mountpoint) bind_source = &source;
    if (bind_source) {
      e.kind = "bind";
      e.source = *bind_source;
    } else if (m.mountpoint == "/etc/resolv.conf") {
      e.kind = "resolv";
    } else if (is_masked(m)) {
      // An empty read-only file or directory: given back as a bind of an
      // empty one of ours (cheaper than CRIU saving a tmpfs).
      e.kind = "masked";
    } else if (m.fstype == "devtmpfs") {
      e.kind = "device";
      e.source = m.mountpoint;
    } else if (m.fstype == "tmpfs") {
      e.kind = "masked";
    } else {
      return Error::Unsupported("cannot checkpoint the mount at " + m.mountpoint + " (" + m.fstype + " " + m.root +
                                "): it is neither the container's own nor one rampart made");
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string CheckpointMetaToJson(const CheckpointMeta& m) {
  nlohmann::json j;
  j["format"] = kCheckpointFormatName;
  j["version"] = m.format;
  j["name"] = m.name;
  j["container"] = m.container;
  j["created_at"] = m.created_at;
  j["criu_version"] = m.criu_version;
  j["machine"] = m.machine;
  j["policy_hash"] = m.policy_hash;
  j["root_pid"] = m.root_pid;
  j["has_netns"] = m.has_netns;
  j["output_pipe"] = m.output_pipe;
  j["leave_running"] = m.leave_running;
  j["image_bytes"] = m.image_bytes;
  j["mounts"] = nlohmann::json::array();
  for (const auto& e : m.mounts)
    j["mounts"].push_back({{"key", e.key}, {"mountpoint", e.mountpoint}, {"kind", e.kind}, {"source", e.source}});
  j["endpoints"] = nlohmann::json::array();
  for (const auto& e : m.endpoints)
    j["endpoints"].push_back({{"network", e.network}, {"ifname", e.ifname}, {"ip", e.ip}, {"mac", e.mac}, {"vlan", e.vlan}});
  return j.dump(2) + "\n";
}

Result<CheckpointMeta> CheckpointMetaFromJson(std::string_view text, const std::string& where) {
  auto bad = [&](const std::string& why) { return Error::Invalid(where + ": not a rampart checkpoint (" + why + ")"); };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  if (!j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kCheckpointFormatName)
    return bad("no format \"rampart-checkpoint\"");
  if (!j.contains("version") || !j["version"].is_number_integer()) return bad("no version");
  CheckpointMeta m;
  m.format = j["version"].get<int>();
  if (m.format != kCheckpointFormat)
    return bad("format version " + std::to_string(m.format) + ", this rampart reads " + std::to_string(kCheckpointFormat));
  try {
    m.name = j.at("name").get<std::string>();
    m.container = j.at("container").get<std::string>();
    m.created_at = j.at("created_at").get<int64_t>();
    m.criu_version = j.at("criu_version").get<std::string>();
    m.machine = j.at("machine").get<std::string>();
    m.policy_hash = j.at("policy_hash").get<std::string>();
    m.root_pid = j.at("root_pid").get<int>();
    m.has_netns = j.at("has_netns").get<bool>();
    m.output_pipe = j.at("output_pipe").get<std::string>();
    m.leave_running = j.value("leave_running", false);
    m.image_bytes = j.value("image_bytes", uint64_t{0});
    for (const auto& e : j.at("mounts")) {
      ExternalMount x{e.at("key").get<std::string>(), e.at("mountpoint").get<std::string>(),
                      e.at("kind").get<std::string>(), e.at("source").get<std::string>()};
      if (x.kind != "device" && x.kind != "masked" && x.kind != "resolv" && x.kind != "bind")
        return bad("mount " + x.mountpoint + " has unknown kind " + x.kind);
      m.mounts.push_back(std::move(x));
    }
    for (const auto& e : j.at("endpoints")) {
      m.endpoints.push_back({e.at("network").get<std::string>(), e.at("ifname").get<std::string>(),
                             e.at("ip").get<std::string>(), e.at("mac").get<std::string>(), e.value("vlan", 0)});
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("field: ") + e.what());
  }
  if (auto st = ValidateName(m.container); !st) return bad("container: " + st.error().message());
  if (auto st = ValidateCheckpointName(m.name); !st) return bad(st.error().message());
  return m;
}

std::vector<std::string> PinnedNetworks(const std::vector<CheckpointEndpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) {
    std::string entry = e.network + ":name=" + e.ifname;
    if (!e.ip.empty()) entry += ",ip=" + e.ip;
    if (!e.mac.empty()) entry += ",mac=" + e.mac;
    if (e.vlan != 0) entry += ",vlan=" + std::to_string(e.vlan);
    out.push_back(std::move(entry));
  }
  return out;
}

std::string CriuLogComplaint(std::string_view log, bool errors_only) {
  std::string last;
  for (const std::string& raw : Split(log, '\n')) {
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    last = std::string(line);
    size_t at = line.find("Error (");
    if (at == std::string_view::npos) continue;
    size_t end = line.find("): ", at);
    std::string_view msg = end == std::string_view::npos ? line.substr(at) : Trim(line.substr(end + 3));
    if (msg.find("RLIMIT_NOFILE") != std::string_view::npos) continue;
    if (msg.empty()) continue;
    return std::string(msg);
  }
  return errors_only ? "" : last;
}

Status ValidateCheckpointName(std::string_view name) {
  if (auto st = ValidateName(name); !st) {
    std::string msg = st.error().message();
    const std::string from = "invalid container name";
    if (msg.starts_with(from)) msg = "invalid checkpoint name" + msg.substr(from.size());
    return Error::Invalid(msg);
  }
  return Ok();
}

std::string CheckpointsDir(const Paths& paths, std::string_view container) {
  return paths.ContainerDir(container) + "/checkpoints";
}

Result<CheckpointMeta> DumpContainer(const DumpRequest& req) {
  const std::string proc = "/proc/" + std::to_string(req.init_pid);
  CheckpointMeta meta;
  meta.criu_version = req.criu.version_text;
  utsname u{};
  uname(&u);
  meta.machine = u.machine;
  meta.root_pid = req.init_pid;
  meta.leave_running = req.leave_running;
  meta.created_at = static_cast<int64_t>(time(nullptr));
  std::string out = Readlink(proc + "/fd/1");
  if (out.starts_with("pipe:")) meta.output_pipe = out;
  RAMPART_ASSIGN_OR_RETURN(auto mountinfo, ReadFile(proc + "/mountinfo"));
  RAMPART_ASSIGN_OR_RETURN(auto mounts, ParseMountInfo(mountinfo));
  std::vector<std::pair<std::string, std::string>> binds;
  for (const auto& m : req.spec->mounts)
    if (m.type == "bind") binds.emplace_back(m.target, m.source);
  RAMPART_ASSIGN_OR_RETURN(meta.mounts, ClassifyExternalMounts(mounts, binds, req.masked_paths));
  for (auto& m : meta.mounts) {
    if (m.kind != "masked") continue;
    struct stat st {};
    m.source = stat((proc + "/root" + m.mountpoint).c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? "dir" : "file";
  }
  struct stat ns {}, own {};
  if (stat((proc + "/ns/net").c_str(), &ns) != 0) return Error::FromErrno(errno, "stat " + proc + "/ns/net");
  if (stat("/proc/self/ns/net", &own) != 0) return Error::FromErrno(errno, "stat /proc/self/ns/net");
  meta.has_netns = ns.st_ino != own.st_ino;
  std::vector<net::Endpoint> links;  // the container's, as IPAM has them
  if (meta.has_netns && !req.spec->networks.empty()) {
    RAMPART_ASSIGN_OR_RETURN(auto attachments, net::ParseNetAttachments(req.spec->networks));
    RAMPART_ASSIGN_OR_RETURN(links, ContainerEndpoints(req.paths, *req.spec));
    for (size_t i = 0; i < links.size(); ++i)
      meta.endpoints.push_back({links[i].network, links[i].ifname, links[i].ip, links[i].mac, attachments[i].vlan});
  }

  const std::string log = req.log_path.empty() ? req.images_dir + "/dump.log" : req.log_path;
  unlink(log.c_str());
  std::vector<std::string> argv = {req.criu.path, "dump", "-t", std::to_string(req.init_pid), "-D", req.images_dir,
                                   "-o", log, "-v4", "--tcp-established", "--file-locks",
                                   // the default iptables lock needs iptables-restore
                                   "--network-lock", "nftables"};
  if (req.cgroup && !req.cgroup->FreezerPath().empty()) {
    argv.push_back("--freeze-cgroup");
    argv.push_back(req.cgroup->FreezerPath());
  }
  if (meta.has_netns) {
    argv.push_back("--external");
    argv.push_back("net[" + std::to_string(ns.st_ino) + "]:" + kCriuNetKey);
  }
  for (const auto& m : meta.mounts) {
    argv.push_back("--external");
    argv.push_back("mnt[" + m.mountpoint + "]:" + m.key);
  }
  if (req.leave_running) argv.push_back("--leave-running");
  // Frozen by us first: CRIU checks the freezer only every 100 ms, we see
  // it frozen within a few. CRIU leaves the cgroup as it found it (frozen):
  // it is thawed again below, unless the user had frozen it.
  bool was_frozen = false;
  if (req.cgroup) {
    if (auto f = req.cgroup->Frozen(); f) was_frozen = *f;
    if (!was_frozen) RAMPART_TRY(req.cgroup->Freeze());
  }
  auto thaw = [&] {
    if (req.cgroup && !was_frozen) (void)req.cgroup->Thaw();
  };
  // The container's links go quiet for the dump: a segment that reached
  // its namespace after CRIU closed the sockets (the namespace outlives them
  // for a moment) would be answered with a reset. Up again if it goes on.
  net::NetworkManager mgr(NetPathsOf(req.paths));
  for (const auto& ep : links) (void)mgr.SetHostLink(ep, false);
  auto relink = [&] {
    for (const auto& ep : links) (void)mgr.SetHostLink(ep, true);
  };
  auto criu = SpawnCriu(argv, {}, req.images_dir + "/criu.out");
  if (!criu) {
    relink();
    thaw();
    return criu.error();
  }
  FaultPoint("checkpoint:criu-started");
  auto waited = WaitCriu(*criu, [&] {
    if (req.progress) req.progress(DirBytes(req.images_dir));
  });
  const bool dumped = waited && WIFEXITED(*waited) && WEXITSTATUS(*waited) == 0;
  if (!dumped || req.leave_running) relink();
  // Killed processes of a frozen cgroup die only once it is thawed.
  thaw();
  if (!waited) return waited.error();
  const int status = *waited;
  if (!dumped) {
    Error e = Error::Internal(DescribeFailure("checkpoint failed, the container keeps running", status, log));
    // A CRIU that died mid-dump leaves its network lock (an nft table
    // dropping everything) in the container's namespace.
    if (meta.has_netns) {
      UniqueFd ns(open((proc + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns) return e.WithCleanupFailure(Error::FromErrno(errno, "open " + proc + "/ns/net"));
      if (auto d = net::DeleteInetTables(ns.get(), "CRIU-"); !d) return e.WithCleanupFailure(d.error());
    }
    return e;
  }
  meta.image_bytes = DirBytes(req.images_dir);
  return meta;
}

namespace {

// A new network namespace with loopback up, held by the returned fd.
Result<UniqueFd> NewNetns() {
  int sync[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) return Error::FromErrno(errno, "socketpair");
  UniqueFd parent_end(sync[0]), child_end(sync[1]);
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    parent_end.reset();
    char ok = 'N';
    if (unshare(CLONE_NEWNET) == 0) {
      int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
      if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0) ok = 'Y';
      }
    }
    (void)!write(child_end.get(), &ok, 1);
    char x;
    (void)!read(child_end.get(), &x, 1);  // until the parent has opened our namespace
    _exit(0);
  }
  ScopedChild holder(pid);
  child_end.reset();
  char ok = 0;
  if (read(parent_end.get(), &ok, 1) != 1 || ok != 'Y') return Error::Internal("could not make a network namespace");
  UniqueFd ns(open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return Error::FromErrno(errno, "open the new network namespace");
  parent_end.reset();
  (void)holder.Wait();
  return ns;
}

Result<pid_t> ReadPidFile(const std::string& path) {
  RAMPART_ASSIGN_OR_RETURN(auto text, ReadFile(path));
  int pid = std::atoi(std::string(Trim(text)).c_str());
  if (pid <= 0) return Error::Invalid(path + ": no pid");
  return static_cast<pid_t>(pid);
}

// "CapBnd:\t00000000a80425fb" → the value of `key` in /proc/PID/status.
std::string StatusField(const std::string& status, const std::string& key) {
  for (const std::string& line : Split(status, '\n'))
    if (line.starts_with(key + ":")) return std::string(Trim(std::string_view(line).substr(key.size() + 1)));
  return "";
}

}  // namespace

Status VerifyPolicyInForce(pid_t pid, const security::CompiledPolicy& policy) {
  RAMPART_ASSIGN_OR_RETURN(auto status, ReadFile("/proc/" + std::to_string(pid) + "/status"));
  const std::string who = "restored init (pid " + std::to_string(pid) + ")";
  if (!policy.seccomp.insns.empty() && StatusField(status, "Seccomp") != "2")
    return Error::Internal(who + " is not under its seccomp filter (Seccomp: " + StatusField(status, "Seccomp") + ")");
  if (policy.policy.no_new_privileges && StatusField(status, "NoNewPrivs") != "1")
    return Error::Internal(who + " lost no_new_privs");
  uint64_t bnd = std::strtoull(StatusField(status, "CapBnd").c_str(), nullptr, 16);
  uint64_t eff = std::strtoull(StatusField(status, "CapEff").c_str(), nullptr, 16);
  if (bnd != policy.policy.caps.bounding || (eff & ~policy.policy.caps.bounding) != 0)
    return Error::Internal(who + " has capabilities outside its policy (CapBnd " + StatusField(status, "CapBnd") + ")");
  return Ok();
}

Result<RestoredInit> RestoreContainer(const RestoreRequest& req) {
  const ContainerSpec& spec = *req.spec;
  const CheckpointMeta& meta = req.meta;
  const std::string run_dir = req.paths.RunDir(spec.name);
  RAMPART_TRY(MakeDirs(run_dir, 0700));
  const std::string log = run_dir + "/criu-restore.log";
  unlink(log.c_str());
  // CRIU binds these onto the masked files again (read-only, as dumped).
  const std::string empty = run_dir + "/masked-empty";
  const std::string empty_dir = run_dir + "/masked-empty.d";
  {
    UniqueFd f(open(empty.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444));
    if (!f) return Error::FromErrno(errno, "create " + empty);
    if (mkdir(empty_dir.c_str(), 0555) != 0 && errno != EEXIST) return Error::FromErrno(errno, "mkdir " + empty_dir);
  }
  std::vector<std::string> argv = {req.criu.path, "restore", "-D", req.images_dir, "-o", log, "-v4",
                                   "--root", spec.rootfs, "--restore-detached", "--restore-sibling",
                                   "--pidfile", run_dir + "/restore.pid", "--tcp-established", "--file-locks",
                                   "--manage-cgroups=soft"};
  unlink((run_dir + "/restore.pid").c_str());
  // Every hierarchy named: the container's own cgroups where rampart has
  // them, the monitor's elsewhere (CRIU would otherwise put the default
  // root into every hierarchy not named).
  RAMPART_ASSIGN_OR_RETURN(auto self_cgroup, ReadFile("/proc/self/cgroup"));
  for (const auto& h : CriuCgroupRoots(req.cgroup->Placements(), self_cgroup)) {
    argv.push_back("--cgroup-root");
    argv.push_back(h);
  }
  for (const auto& m : meta.mounts) {
    std::string source;
    if (m.kind == "device") {
      source = m.source;
    } else if (m.kind == "masked") {
      source = m.source == "dir" ? empty_dir : empty;
    } else if (m.kind == "resolv") {
      if (req.resolv_conf.empty())
        return Error::Invalid("the checkpoint has /etc/resolv.conf from a network with DNS, but the container's first network has none now");
      source = req.resolv_conf;
    } else {
      source = m.source;
      // The config's current source wins (a migrated container's may differ).
      for (const auto& b : spec.mounts)
        if (b.type == "bind" && b.target == m.mountpoint) source = b.source;
    }
    struct stat st {};
    if (stat(source.c_str(), &st) != 0) return Error::FromErrno(errno, "restore: source of " + m.mountpoint + ": " + source);
    argv.push_back("--external");
    argv.push_back("mnt[" + m.key + "]:" + source);
  }
  std::vector<int> keep;
  if (!meta.output_pipe.empty()) {
    if (req.output_fd < 0) return Error::Internal("restore: no pipe for the payload's output");
    argv.push_back("--inherit-fd");
    argv.push_back("fd[" + std::to_string(req.output_fd) + "]:" + meta.output_pipe);
    keep.push_back(req.output_fd);
  }

  RestoredInit out;
  UniqueFd netns;
  net::NetworkManager mgr(NetPathsOf(req.paths));
  auto undo = [&](const Error& e) -> Error {
    Error err = e;
    if (out.init.pid > 0) {
      kill(out.init.pid, SIGKILL);
      while (waitpid(out.init.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (req.cgroup) (void)req.cgroup->KillAll(SIGKILL);
    netns.reset();  // the veths go with the namespace
    for (const auto& ep : out.endpoints)
      if (auto st = mgr.Detach(ep.network, spec.name, /*netns_gone=*/true); !st) err = err.WithCleanupFailure(st.error());
    return err;
  };
  if (meta.has_netns) {
    RAMPART_ASSIGN_OR_RETURN(netns, NewNetns());
    if (!meta.endpoints.empty()) {
      // Nothing may reach the namespace before the sockets are back: the
      // host ends of the veths stay down until CRIU is done.
      ContainerSpec pinned = spec;
      pinned.networks = PinnedNetworks(meta.endpoints);
      auto eps = JoinNetworksIn(req.paths, pinned, netns.get(), /*host_up=*/false);
      if (!eps) return undo(eps.error().Wrap("restore"));
      out.endpoints = std::move(*eps);
    }
    argv.push_back("--inherit-fd");
    argv.push_back("fd[" + std::to_string(netns.get()) + "]:" + kCriuNetKey);
    keep.push_back(netns.get());
  }
  FaultPoint("restore:network-ready");
  auto criu = SpawnCriu(argv, keep, run_dir + "/criu-restore.out");
  if (!criu) return undo(criu.error());
  auto status = WaitCriu(*criu, {});
  if (!status) return undo(status.error());
  auto pid = ReadPidFile(run_dir + "/restore.pid");
  if (pid) out.init.pid = *pid;
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
    return undo(Error::Internal(DescribeFailure("restore failed", *status, log)));
  if (!pid) return undo(pid.error().Wrap("restore"));
  // CLONE_PARENT made the restored init our child: a pidfd we can wait on.
  out.init.pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, *pid, 0)));
  if (!out.init.pidfd) return undo(Error::FromErrno(errno, "pidfd_open restored init"));
  if (auto t = StateStore::ProcessStartTime(*pid); t) out.init.start_time = *t;
  if (auto st = VerifyPolicyInForce(*pid, *req.policy); !st) return undo(st.error());
  for (const auto& ep : out.endpoints) {
    if (auto st = mgr.SetHostLink(ep, true); !st) return undo(st.error().Wrap("restore"));
  }
  return out;
}

}  // namespace rampart::runtime
