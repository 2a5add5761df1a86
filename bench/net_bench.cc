// net_bench: time to give a fresh container network namespace a veth on a
// bridge with an address and a default route — the network step of every
// container start — rampart's netlink path next to iproute2 in one run.
//
//   (a) rampart: Netlink::Open() in the test-host netns, CreateVeth with the
//       peer ("eth0") created directly inside the container netns, host end
//       enslaved to the bridge and up in the same request, alias set, then
//       ConfigureContainerEnd (one socket in the container netns, one batch:
//       lo up, eth0 up, address, default route);
//   (b) `ip -batch` create-and-move, the classic way: veth pair made in the
//       test-host netns, peer moved with `link set PEER netns C`, then
//       `ip -n C -batch` renames it to eth0 and adds address, lo/eth0 up and
//       the route;
//   (c) `ip -batch` create-in-place: `ip link add ... peer name eth0 netns C`
//       (same end state as (a)), then the same `ip -n C -batch`.
//
// Each of the three gives the same end state (host end on br0, up, with the
// same alias; eth0 with a fixed MAC and MTU in the container netns, address
// 10.77.x.y/16, lo up, default route via 10.77.0.1), which is checked after
// every run outside the timed part. The container netns is created (and
// named under /run/netns, for `ip -n`) before the clock starts and torn down
// after it stops; then the bench waits --settle-ms so that the kernel's
// asynchronous netns cleanup does not land in the next sample. Runs are
// round robin over the methods (order rotated every round) after warm-up.
//
// Usage: net_bench [--quick] [--runs=N] [--warmup=N] [--settle-ms=N]
// Needs root. Everything happens in private namespaces: the bench enters a
// new mount namespace (private propagation, tmpfs on /run so that
// /run/netns holds only its names) and a new network namespace (the "test
// host", holding br0); container namespaces are made per run. The
// machine's own network and /run are never touched.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/result.h"
#include "bench/bench_util.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "net/netlink.h"

namespace {

using rampart::bench::NowMs;
using rampart::bench::Stats;
using rampart::bench::StatsOf;
using rampart::bench::FirstLine;
using rampart::bench::ParseIntFlag;

using rampart::Error;
using rampart::Result;
using rampart::Status;
using rampart::UniqueFd;
using rampart::net::Netlink;

constexpr const char* kBridge = "br0";
constexpr const char* kGateway = "10.77.0.1";
constexpr unsigned kMtu = 1400;

// Runs an `ip` command with `script` on stdin; non-zero exit is an error
// carrying its first stderr line.
Status RunIp(const std::vector<std::string>& argv, const std::string& script) {
  auto out = rampart::RunCommand(argv, script, std::chrono::seconds(20));
  if (!out) return out.error();
  if (out->timed_out) return Error::Internal(rampart::Join(argv, " ") + ": timed out");
  if (rampart::ExitCodeFromWaitStatus(out->status) != 0)
    return Error::Internal(rampart::Join(argv, " ") + ": exit " +
                           std::to_string(rampart::ExitCodeFromWaitStatus(out->status)) + ": " +
                           FirstLine(out->err));
  return rampart::Ok();
}

// ---- the private environment -------------------------------------------------

// Private mount namespace with /run a tmpfs, then a private network
// namespace (the test host) for this thread and everything it starts.
Status EnterPrivateNamespaces() {
  if (unshare(CLONE_NEWNS) != 0) return Error::FromErrno(errno, "unshare mount namespace");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return Error::FromErrno(errno, "make / private");
  if (mount("rampart-bench", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
    return Error::FromErrno(errno, "mount tmpfs on /run");
  if (mkdir("/run/netns", 0755) != 0) return Error::FromErrno(errno, "mkdir /run/netns");
  if (unshare(CLONE_NEWNET) != 0) return Error::FromErrno(errno, "unshare network namespace");
  return rampart::Ok();
}

// A fresh container netns, held by fd and named /run/netns/NAME for `ip -n`.
struct ContainerNs {
  std::string name;
  std::string path;
  UniqueFd fd;
};

Result<ContainerNs> MakeContainerNs(const std::string& name) {
  ContainerNs ns;
  ns.name = name;
  ns.path = "/run/netns/" + name;
  int err = 0;
  std::string step;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      err = errno, step = "unshare";
      return;
    }
    ns.fd.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns.fd) {
      err = errno, step = "open /proc/thread-self/ns/net";
      return;
    }
    UniqueFd mark(open(ns.path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!mark) {
      err = errno, step = "create " + ns.path;
      return;
    }
    if (mount("/proc/thread-self/ns/net", ns.path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      err = errno, step = "bind " + ns.path;
  });
  t.join();
  if (err != 0) return Error::FromErrno(err, "container netns " + name + ": " + step);
  return ns;
}

void DropContainerNs(ContainerNs& ns) {
  umount2(ns.path.c_str(), MNT_DETACH);
  unlink(ns.path.c_str());
  ns.fd.reset();
}

// ---- one run of each method ----------------------------------------------------

struct Target {
  int id;
  std::string host_if;  // host end of the veth
  std::string host_mac, peer_mac, cidr, alias;
};

Target TargetFor(char method, int id) {
  char buf[64];
  Target t;
  t.id = id;
  t.host_if = std::string("v") + method + std::to_string(id);
  std::snprintf(buf, sizeof buf, "02:01:0a:4d:%02x:%02x", (id >> 8) & 0xff, id & 0xff);
  t.host_mac = buf;
  std::snprintf(buf, sizeof buf, "02:00:0a:4d:%02x:%02x", (id >> 8) & 0xff, id & 0xff);
  t.peer_mac = buf;
  std::snprintf(buf, sizeof buf, "10.77.%d.%d/16", 1 + (id / 250) % 250, 2 + id % 250);
  t.cidr = buf;
  t.alias = "rampart:bench:c" + std::to_string(id);
  return t;
}

struct Phases {
  double open = 0, create = 0, configure = 0;
};

Status RampartPath(const Target& t, const ContainerNs& ns, Phases* ph) {
  double t0 = NowMs();
  auto nl = Netlink::Open();
  if (!nl) return nl.error();
  double t1 = NowMs();
  rampart::net::VethRequest req;
  req.host_name = t.host_if;
  req.peer_name = "eth0";
  req.peer_netns_fd = ns.fd.get();
  req.host_mac = t.host_mac;
  req.peer_mac = t.peer_mac;
  req.mtu = kMtu;
  req.master = kBridge;
  req.alias = t.alias;
  RAMPART_TRY(nl->CreateVeth(req));
  double t2 = NowMs();
  RAMPART_TRY(rampart::net::ConfigureContainerEnd(ns.fd.get(), "eth0", t.cidr, kGateway));
  double t3 = NowMs();
  *ph = {t1 - t0, t2 - t1, t3 - t2};
  return rampart::Ok();
}

std::string ContainerScript(const std::string& cidr, const std::string& rename_from) {
  std::string s;
  if (!rename_from.empty()) s += "link set " + rename_from + " name eth0\n";
  s += "addr add " + cidr + " brd + dev eth0\n";
  s += "link set lo up\n";
  s += "link set eth0 up\n";
  s += std::string("route add default via ") + kGateway + " dev eth0\n";
  return s;
}

Status IpCreateAndMove(const Target& t, const ContainerNs& ns) {
  std::string peer = "p" + t.host_if;
  std::string mtu = std::to_string(kMtu);
  std::string host = "link add " + t.host_if + " address " + t.host_mac + " mtu " + mtu +
                     " type veth peer name " + peer + " address " + t.peer_mac + " mtu " + mtu +
                     "\n" + "link set " + t.host_if + " master " + kBridge + " up alias " +
                     t.alias + "\n" + "link set " + peer + " netns " + ns.name + "\n";
  RAMPART_TRY(RunIp({"ip", "-batch", "-"}, host));
  return RunIp({"ip", "-n", ns.name, "-batch", "-"}, ContainerScript(t.cidr, peer));
}

Status IpCreateInPlace(const Target& t, const ContainerNs& ns) {
  std::string mtu = std::to_string(kMtu);
  std::string host = "link add " + t.host_if + " address " + t.host_mac + " mtu " + mtu +
                     " master " + kBridge + " up type veth peer name eth0 address " + t.peer_mac +
                     " mtu " + mtu + " netns " + ns.name + "\n" + "link set " + t.host_if +
                     " alias " + t.alias + "\n";
  RAMPART_TRY(RunIp({"ip", "-batch", "-"}, host));
  return RunIp({"ip", "-n", ns.name, "-batch", "-"}, ContainerScript(t.cidr, ""));
}

// The end state every method must reach, checked outside the timed part.
// `deep` also asks `ip` for the address and the route.
Status Verify(Netlink& host, int bridge_index, const Target& t, const ContainerNs& ns, bool deep) {
  std::string what = "verify " + t.host_if;
  auto h = host.GetLink(t.host_if);
  if (!h) return h.error().Wrap(what);
  if (h->master_index != bridge_index || !h->up || h->alias != t.alias || h->mtu != kMtu ||
      h->mac != t.host_mac)
    return Error::Internal(what + ": host end not as asked (master " +
                           std::to_string(h->master_index) + ", up " + std::to_string(h->up) +
                           ", alias \"" + h->alias + "\", mtu " + std::to_string(h->mtu) +
                           ", mac " + h->mac + ")");
  auto in = Netlink::OpenIn(ns.fd.get());
  if (!in) return in.error().Wrap(what);
  auto p = in->GetLink("eth0");
  if (!p) return p.error().Wrap(what);
  if (!p->up || p->mtu != kMtu || p->mac != t.peer_mac)
    return Error::Internal(what + ": eth0 not as asked (up " + std::to_string(p->up) + ", mtu " +
                           std::to_string(p->mtu) + ", mac " + p->mac + ")");
  if (!deep) return rampart::Ok();
  auto route = rampart::RunCommand({"ip", "-n", ns.name, "route", "show", "default"});
  if (!route) return route.error().Wrap(what);
  if (route->out.find(std::string("via ") + kGateway + " dev eth0") == std::string::npos)
    return Error::Internal(what + ": no default route via " + kGateway + ": " +
                           FirstLine(route->out + route->err));
  std::string addr = t.cidr;
  auto a = rampart::RunCommand({"ip", "-n", ns.name, "-4", "addr", "show", "dev", "eth0"});
  if (!a) return a.error().Wrap(what);
  if (a->out.find("inet " + addr + " brd ") == std::string::npos)
    return Error::Internal(what + ": no address " + addr + " with broadcast: " + a->out);
  return rampart::Ok();
}

struct Row {
  char method;
  std::string label;
  std::function<Status(const Target&, const ContainerNs&, Phases*)> run;
  std::vector<double> ms;
  std::vector<Phases> phases;
  std::string error;
  bool verified_deep = false;
};

struct Options {
  int runs = 30;
  int warmup = 3;
  int settle_ms = 20;
  bool start = true;    // part 2: container start-to-exit with a network
  std::string rampart;  // the rampart binary (default: ../cli/rampart next to this one)
};

// ---- part 2: container start-to-exit with a network ------------------------
//
// `rampart run --rm --net bn -- /bin/true` (the network exists; rampart
// makes the veth in the container's netns, IPAM address, DNS name, route)
// against `crun run` whose createRuntime hook wires the container's netns
// with `ip` (veth created in place, enslaved, addressed, default route) —
// the usual way to give crun a network without CNI. Both from the same
// busybox rootfs, in this bench's private network namespace. crun needs
// this hybrid host's cgroup2 controllers file hidden: done in a private
// mount namespace of the forked child (no wrapper process).

constexpr const char* kHook = R"(#!/bin/sh
set -e
pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p')
n=vc$pid
ip link add $n type veth peer name eth0 netns /proc/$pid/ns/net
ip link set $n master brc up
nsenter -t $pid -n ip -batch - <<END
link set lo up
link set eth0 up
addr add 10.92.1.2/16 dev eth0
route add default via 10.92.0.1
END
)";

struct StartEnv {
  std::string tmp, rampart, crun, rootfs, bundle;
  std::vector<std::string> env;  // RAMPART_* for rampart runs
};

Result<rampart::CommandOutput> RunChecked(const std::vector<std::string>& argv) {
  auto r = rampart::RunCommand(argv, {}, std::chrono::seconds(60));
  if (!r) return r.error();
  if (rampart::ExitCodeFromWaitStatus(r->status) != 0)
    return Error::Internal(rampart::Join(argv, " ") + ": exit " +
                           std::to_string(rampart::ExitCodeFromWaitStatus(r->status)) + ": " + FirstLine(r->err));
  return r;
}

std::vector<std::string> WithEnv(const StartEnv& e, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env"};
  for (const auto& v : e.env) argv.push_back(v);
  argv.push_back(e.rampart);
  for (const auto& a : args) argv.push_back(a);
  return argv;
}

Status PrepareStart(StartEnv& e, const std::string& rampart_bin) {
  char tmpl[] = "/tmp/net_bench.XXXXXX";
  if (!mkdtemp(tmpl)) return Error::FromErrno(errno, "mkdtemp");
  e.tmp = tmpl;
  if (chmod(e.tmp.c_str(), 0711) != 0) return Error::FromErrno(errno, "chmod " + e.tmp);  // dnsmasq as nobody
  e.rampart = rampart_bin;
  if (access(e.rampart.c_str(), X_OK) != 0) return Error::FromErrno(errno, "rampart binary " + e.rampart);
  for (const char* d : {"/usr/bin/crun", "/usr/sbin/crun"})
    if (access(d, X_OK) == 0) e.crun = d;
  e.env = {"RAMPART_ROOT=" + e.tmp + "/root", "RAMPART_RUN=" + e.tmp + "/run", "RAMPART_CONF_DIR=" + e.tmp + "/conf",
           "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  RAMPART_TRY(RunChecked(WithEnv(e, {"create", "rootfs-src", "--net", "none", "-t", "busybox", "--", "/bin/true"})));
  e.rootfs = e.tmp + "/root/containers/rootfs-src/rootfs";
  RAMPART_TRY(RunChecked(WithEnv(e, {"net", "create", "bn", "--bridge", "--subnet", "10.91.0.0/16"})));
  if (e.crun.empty()) return rampart::Ok();
  // crun's side: bridge brc 10.92.0.1/16, a bundle whose hook wires the netns.
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"ip", "link", "add", "brc", "type", "bridge"},
                                                               {"ip", "addr", "add", "10.92.0.1/16", "dev", "brc"},
                                                               {"ip", "link", "set", "brc", "up"}}) {
    RAMPART_TRY(RunChecked(cmd));
  }
  e.bundle = e.tmp + "/bundle";
  if (mkdir(e.bundle.c_str(), 0755) != 0) return Error::FromErrno(errno, "mkdir " + e.bundle);
  RAMPART_TRY(rampart::WriteFileAtomic(e.tmp + "/hook.sh", kHook, 0755));
  auto spec = rampart::RunCommand({"sh", "-c", "cd " + e.bundle + " && " + e.crun + " spec && cat config.json"});
  if (!spec || rampart::ExitCodeFromWaitStatus(spec->status) != 0) return Error::Internal("crun spec failed");
  auto j = nlohmann::json::parse(spec->out, nullptr, false);
  if (!j.is_object()) return Error::Internal("crun spec: not JSON");
  j["process"]["args"] = {"/bin/true"};
  j["process"]["terminal"] = false;
  j["root"] = {{"path", e.rootfs}, {"readonly", false}};
  j["linux"]["cgroupsPath"] = "/rampart-net-bench/crun";
  j["hooks"]["createRuntime"] = {{{"path", "/bin/sh"},
                                  {"args", {"sh", e.tmp + "/hook.sh"}},
                                  {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}}};
  return rampart::WriteFileAtomic(e.bundle + "/config.json", j.dump(2));
}

// crun run in a forked child that first hides cgroup2's controllers file in
// a private mount namespace.
Status CrunRun(const StartEnv& e, const std::string& id) {
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno(errno, "fork");
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) _exit(120);
    if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0 &&
        mount("/dev/null", "/sys/fs/cgroup/unified/cgroup.controllers", nullptr, MS_BIND, nullptr) != 0)
      _exit(121);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0), dup2(null_fd, 1);
    std::string root = e.tmp + "/crun-state";
    execl(e.crun.c_str(), e.crun.c_str(), "--root", root.c_str(), "run", "--bundle", e.bundle.c_str(), id.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  int code = rampart::ExitCodeFromWaitStatus(st);
  if (code != 0) return Error::Internal("crun run " + id + ": exit " + std::to_string(code));
  return rampart::Ok();
}

void CleanupStart(const StartEnv& e) {
  if (e.tmp.empty()) return;
  (void)rampart::RunCommand(WithEnv(e, {"destroy", "-f", "rootfs-src"}));
  (void)rampart::RunCommand(WithEnv(e, {"net", "rm", "bn"}));
  (void)rampart::RunCommand(WithEnv(e, {"gc"}));
  (void)rampart::RunCommand({"ip", "link", "del", "brc"});
  for (const char* h : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd",
                        "unified", "net_cls", "perf_event", "hugetlb"}) {
    std::string d = std::string("/sys/fs/cgroup/") + h + "/rampart-net-bench";
    rmdir((d + "/crun").c_str());
    rmdir(d.c_str());
  }
  (void)rampart::RunCommand({"rm", "-rf", "--one-file-system", e.tmp});
}

int StartPart(const Options& opt) {
  std::printf("\n## container start-to-exit with a network (/bin/true, busybox rootfs)\n\n");
  StartEnv e;
  if (auto st = PrepareStart(e, opt.rampart); !st) {
    std::printf("cannot prepare: %s\n", st.error().message().c_str());
    CleanupStart(e);
    return 1;
  }
  std::vector<double> r_ms, c_ms;
  std::string r_err, c_err = e.crun.empty() ? "crun not installed (scripts/install-bench-peers)" : "";
  for (int it = 0; it < opt.warmup + opt.runs; ++it) {
    for (int k = 0; k < 2; ++k) {
      const bool rampart_turn = ((k + it) % 2) == 0;
      const std::string id = "s" + std::to_string(it);
      double t0 = NowMs();
      if (rampart_turn && r_err.empty()) {
        auto r = RunChecked(WithEnv(e, {"run", id, "--rm", "--net", "bn", "-t", "dir:" + e.rootfs, "--", "/bin/true"}));
        double ms = NowMs() - t0;
        if (!r) {
          r_err = r.error().message();
        } else if (it >= opt.warmup) {
          r_ms.push_back(ms);
        }
      } else if (!rampart_turn && c_err.empty()) {
        auto st = CrunRun(e, id);
        double ms = NowMs() - t0;
        if (!st) {
          c_err = st.error().message();
        } else if (it >= opt.warmup) {
          c_ms.push_back(ms);
        }
      }
      if (opt.settle_ms > 0) usleep(static_cast<useconds_t>(opt.settle_ms) * 1000);
    }
  }
  CleanupStart(e);
  std::printf("| %-58s | %9s | %17s |\n", "command", "median ms", "min-max ms");
  std::printf("|%s|%s|%s|\n", std::string(60, '-').c_str(), std::string(11, '-').c_str(),
              std::string(19, '-').c_str());
  auto row = [](const char* label, const std::vector<double>& v, const std::string& err) {
    if (!err.empty()) {
      std::printf("| %-58s | FAILED: %s\n", label, err.c_str());
      return;
    }
    Stats s = StatsOf(v);
    char range[64];
    std::snprintf(range, sizeof range, "%.2f-%.2f", s.min, s.max);
    std::printf("| %-58s | %9.2f | %17s |\n", label, s.median, range);
  };
  row("rampart run --rm --net bn (veth, IPAM, DNS name, route)", r_ms, r_err);
  row("crun run + createRuntime hook with ip (veth, addr, route)", c_ms, c_err);
  std::printf("\n## Goal (start with network)\n\n");
  if (!r_err.empty() || !c_err.empty()) {
    std::printf("- rampart <= 0.5x crun + ip: cannot evaluate\n");
    return r_err.empty() ? 0 : 1;
  }
  double rm = StatsOf(r_ms).median, cm = StatsOf(c_ms).median;
  std::printf("- rampart <= 0.5x crun + ip: %.2f ms vs %.2f ms = %.2fx -> %s\n", rm, cm, rm / cm,
              rm <= 0.5 * cm ? "MET" : "NOT MET");
  return 0;
}


}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      opt.runs = 5, opt.warmup = 1;
    } else if (a == "--no-start") {
      opt.start = false;
    } else if (a.rfind("--rampart=", 0) == 0) {
      opt.rampart = a.substr(10);
    } else if (ParseIntFlag("net_bench", a, "--runs", &opt.runs) || ParseIntFlag("net_bench", a, "--warmup", &opt.warmup) ||
               ParseIntFlag("net_bench", a, "--settle-ms", &opt.settle_ms)) {
    } else {
      std::fprintf(stderr,
                   "usage: net_bench [--quick] [--runs=N] [--warmup=N] [--settle-ms=N] [--no-start] "
                   "[--rampart=PATH]\n");
      return 2;
    }
  }
  if (opt.runs < 1) opt.runs = 1;
  if (opt.rampart.empty()) {
    // build/bench/net_bench -> build/cli/rampart
    char self[4096] = {};
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string(argv[0]);
    dir = dir.substr(0, dir.rfind('/'));
    opt.rampart = dir + "/../cli/rampart";
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "net_bench: needs root (network and mount namespaces)\n");
    return 1;
  }
  if (auto st = EnterPrivateNamespaces(); !st) {
    std::fprintf(stderr, "net_bench: %s\n", st.error().message().c_str());
    return 1;
  }

  // The test host: lo up, br0 with the gateway address, up.
  auto host = Netlink::Open();
  if (!host) {
    std::fprintf(stderr, "net_bench: %s\n", host.error().message().c_str());
    return 1;
  }
  auto setup = [&]() -> Status {
    RAMPART_TRY(host->SetUp("lo"));
    RAMPART_TRY(host->CreateBridge(kBridge, {}));
    RAMPART_TRY(host->AddAddress(kBridge, std::string(kGateway) + "/16"));
    return host->SetUp(kBridge);
  };
  if (auto st = setup(); !st) {
    std::fprintf(stderr, "net_bench: test host: %s\n", st.error().message().c_str());
    return 1;
  }
  auto br = host->GetLink(kBridge);
  if (!br) {
    std::fprintf(stderr, "net_bench: %s\n", br.error().message().c_str());
    return 1;
  }

  std::vector<Row> rows;
  rows.push_back({'r', "rampart netlink (peer created in netns)", RampartPath, {}, {}, {}, false});
  rows.push_back(
      {'m',
       "ip -batch create-and-move",
       [](const Target& t, const ContainerNs& ns, Phases*) { return IpCreateAndMove(t, ns); },
       {},
       {},
       {},
       false});
  rows.push_back(
      {'p',
       "ip -batch create-in-place",
       [](const Target& t, const ContainerNs& ns, Phases*) { return IpCreateInPlace(t, ns); },
       {},
       {},
       {},
       false});

  utsname u{};
  uname(&u);
  std::printf(
      "## net_bench: veth on a bridge + address + default route into a fresh container netns\n\n");
  std::printf(
      "kernel %s, %ld cpus; %d runs after %d warm-up, round robin; settle %d ms between runs\n\n",
      u.release, sysconf(_SC_NPROCESSORS_ONLN), opt.runs, opt.warmup, opt.settle_ms);

  int next_id = 1;
  double t_all = NowMs();
  for (int it = 0; it < opt.warmup + opt.runs; ++it) {
    for (size_t k = 0; k < rows.size(); ++k) {
      Row& row = rows[(k + static_cast<size_t>(it)) % rows.size()];
      if (!row.error.empty()) continue;
      int id = next_id++;
      Target t = TargetFor(row.method, id);
      auto ns = MakeContainerNs("c" + std::to_string(id));
      if (!ns) {
        row.error = ns.error().message();
        continue;
      }
      Phases ph;
      double t0 = NowMs();
      Status st = row.run(t, *ns, &ph);
      double ms = NowMs() - t0;
      if (st) {
        st = Verify(*host, br->index, t, *ns, !row.verified_deep);
        row.verified_deep = true;
      }
      if (!st) row.error = st.error().message();
      if (st && it >= opt.warmup) {
        row.ms.push_back(ms);
        row.phases.push_back(ph);
      }
      // Teardown (untimed): the host end takes the peer with it.
      (void)host->DeleteLink(t.host_if);
      DropContainerNs(*ns);
      if (opt.settle_ms > 0) usleep(static_cast<useconds_t>(opt.settle_ms) * 1000);
    }
  }
  double total_s = (NowMs() - t_all) / 1000;

  const Row& r = rows[0];
  double rm = r.error.empty() ? StatsOf(r.ms).median : 0;
  {
    std::vector<rampart::bench::TableRow> table;
    for (const auto& row : rows) table.push_back({row.label, &row.ms, row.error});
    rampart::bench::PrintRatioTable(table);
  }
  if (r.error.empty()) {
    std::vector<double> o, c, g;
    for (const auto& p : r.phases)
      o.push_back(p.open), c.push_back(p.create), g.push_back(p.configure);
    std::printf(
        "\nrampart phases (median ms): Netlink::Open %.3f, CreateVeth (master lookup + create + "
        "alias) %.3f, "
        "ConfigureContainerEnd (socket in netns + lookup + 1 batch) %.3f\n",
        StatsOf(o).median, StatsOf(c).median, StatsOf(g).median);
  }
  std::printf(
      "rampart/this = rampart median / this median (below 1: rampart is faster). Total %.1f s.\n",
      total_s);

  std::printf("\n## Goal\n\n");
  const Row& move = rows[1];
  const Row& place = rows[2];
  if (rm <= 0 || !move.error.empty()) {
    std::printf("- rampart ≤ 0.2× ip -batch create-and-move: cannot evaluate (%s)\n",
                !r.error.empty() ? r.error.c_str() : move.error.c_str());
  } else {
    double mm = StatsOf(move.ms).median;
    std::printf("- rampart ≤ 0.2× ip -batch create-and-move: %.2f ms vs %.2f ms = %.2fx -> %s\n",
                rm, mm, rm / mm, rm <= 0.2 * mm ? "MET" : "NOT MET");
  }
  if (rm > 0 && place.error.empty()) {
    double pm = StatsOf(place.ms).median;
    std::printf(
        "- (for reference) rampart vs ip -batch create-in-place: %.2f ms vs %.2f ms = %.2fx\n", rm,
        pm, rm / pm);
  }
  bool failed = false;
  for (const auto& row : rows) failed |= !row.error.empty();
  if (opt.start && StartPart(opt) != 0) failed = true;
  return failed ? 1 : 0;
}
