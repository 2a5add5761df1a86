// ovs_bench: time to attach a fresh veth end to an Open vSwitch bridge and
// have ovs-vswitchd give it an OpenFlow port — the OVS step of a container
// start — rampart's OVSDB client next to ovs-vsctl in one run.
//
//   (r) rampart: Ovs::AddPort over one connection opened before the runs
//       (read, guarded write with next_cfg bump, server-side wait for cur_cfg
//       and ofport: three transactions on one socket);
//   (c) the same, but Ovs::Connect for every port (a CLI that exits after
//       each container start pays this);
//   (v) `ovs-vsctl --db=unix:RUN/db.sock add-port br0 PORT -- set interface
//       PORT external_ids:... -- set port PORT external_ids:...`, one
//       subprocess per port; it too waits for cur_cfg and checks the
//       interface for errors before it exits.
//
// All three leave the same end state (port on br0 with the rampart
// external_ids, ofport > 0), checked after every run outside the timed part;
// then the port is deleted and the veth removed, also untimed. Runs are round
// robin over the methods (order rotated every round) after warm-up.
//
// Usage: ovs_bench [--quick] [--runs=N] [--warmup=N]
// Needs root and openvswitch-switch. Everything happens in a private network
// namespace (entered first) with a private ovsdb-server and ovs-vswitchd
// (netdev datapath) in a temporary run directory; both are stopped and the
// directory removed at the end, whatever happened. The machine's own network
// and any system OVS are never touched.
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/result.h"
#include "bench/bench_util.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "net/netlink.h"
#include "net/ovs.h"

namespace {

using rampart::bench::NowMs;
using rampart::bench::Stats;
using rampart::bench::StatsOf;
using rampart::bench::FirstLine;
using rampart::bench::ParseIntFlag;

using rampart::Error;
using rampart::Result;
using rampart::Status;
using rampart::net::Netlink;
using rampart::net::Ovs;
using namespace std::chrono_literals;

constexpr const char* kSchema = "/usr/share/openvswitch/vswitch.ovsschema";
constexpr const char* kBridge = "br0";
constexpr const char* kOwner = "ovs-bench";

Status Run(const std::vector<std::string>& argv) {
  auto out = rampart::RunCommand(argv, {}, std::chrono::seconds(30));
  if (!out) return out.error();
  int code = rampart::ExitCodeFromWaitStatus(out->status);
  if (out->timed_out || code != 0)
    return Error::Internal(rampart::Join(argv, " ") + ": exit " + std::to_string(code) + ": " +
                           FirstLine(out->err + out->out));
  return rampart::Ok();
}

// The private OVS: started in our (private) netns, stopped by the destructor.
class PrivateOvs {
 public:
  Status Start() {
    char tmpl[] = "/tmp/rampart-ovs-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return Error::FromErrno(errno, "mkdtemp /tmp/rampart-ovs-bench-XXXXXX");
    dir_ = tmpl;
    std::vector<std::string> env = {"env", "OVS_RUNDIR=" + dir_, "OVS_DBDIR=" + dir_,
                                    "OVS_LOGDIR=" + dir_};
    RAMPART_TRY(Run({"ovsdb-tool", "create", dir_ + "/conf.db", kSchema}));
    auto daemon = [&](const std::string& name, std::vector<std::string> args) {
      std::vector<std::string> argv = env;
      argv.push_back(name);
      argv.insert(argv.end(), args.begin(), args.end());
      const std::string base = dir_ + "/" + name;
      for (std::string a : {"--pidfile=" + base + ".pid", "--unixctl=" + base + ".ctl",
                            "--log-file=" + base + ".log", std::string("--detach")})
        argv.push_back(a);
      return Run(argv);
    };
    RAMPART_TRY(daemon("ovsdb-server", {dir_ + "/conf.db", "--remote=punix:" + dir_ + "/db.sock"}));
    return daemon("ovs-vswitchd", {Remote()});
  }
  ~PrivateOvs() { Stop(); }

  std::string Remote() const { return "unix:" + dir_ + "/db.sock"; }
  const std::string& dir() const { return dir_; }

  // Stops both daemons (ovs-appctl exit, then SIGKILL for any process whose
  // command line names our run directory) and removes the directory.
  void Stop() {
    if (dir_.empty()) return;
    for (const char* ctl : {"ovs-vswitchd.ctl", "ovsdb-server.ctl"})
      if (access((dir_ + "/" + ctl).c_str(), F_OK) == 0)
        (void)rampart::RunCommand({"ovs-appctl", "-t", dir_ + "/" + ctl, "exit"}, {}, 10s);
    for (int i = 0; i < 250 && !Ours().empty(); ++i) std::this_thread::sleep_for(20ms);
    for (pid_t p : Ours()) kill(p, SIGKILL);
    for (int i = 0; i < 250 && !Ours().empty(); ++i) std::this_thread::sleep_for(20ms);
    if (!Ours().empty())
      std::fprintf(stderr, "ovs_bench: OVS processes of %s survived SIGKILL\n", dir_.c_str());
    (void)rampart::RunCommand({"rm", "-rf", dir_});
    dir_.clear();
  }

 private:
  // Live ovsdb-server / ovs-vswitchd processes of our run directory.
  std::vector<pid_t> Ours() const {
    std::vector<pid_t> out;
    auto ls = rampart::RunCommand({"ls", "/proc"});
    if (!ls) return out;
    for (const std::string& name : rampart::Split(ls->out, '\n')) {
      auto pid = rampart::ParseUint64(name);
      if (!pid) continue;
      auto cmdline = rampart::ReadFile("/proc/" + name + "/cmdline");
      auto stat = rampart::ReadFile("/proc/" + name + "/stat");
      if (!cmdline || !stat || cmdline->find(dir_) == std::string::npos) continue;
      size_t paren = stat->rfind(')');
      if (paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] == 'Z')
        continue;
      std::string argv0 = cmdline->substr(0, cmdline->find('\0'));
      if (argv0.find("ovsdb-server") != std::string::npos ||
          argv0.find("ovs-vswitchd") != std::string::npos)
        out.push_back(static_cast<pid_t>(*pid));
    }
    return out;
  }

  std::string dir_;
};

std::map<std::string, std::string> IdsFor(const std::string& port) {
  return {{rampart::net::kOvsOwnerKey, kOwner},
          {rampart::net::kOvsNetworkKey, "bench"},
          {rampart::net::kOvsContainerKey, "c-" + port}};
}

rampart::net::OvsPortRequest RequestFor(const std::string& port) {
  rampart::net::OvsPortRequest r;
  r.bridge = kBridge;
  r.port = port;
  r.external_ids = IdsFor(port);
  return r;
}

struct Row {
  char method;
  std::string label;
  std::function<Status(const std::string& port)> run;
  std::vector<double> ms;
  std::string error;
  std::vector<double> del_ms = {};  // removing the port again: ovs-vsctl del-port for 'v', Ovs::DeletePort else
  std::vector<double> del_nowait_ms = {};  // the same without waiting for ovs-vswitchd
};

struct Options {
  int runs = 30;
  int warmup = 3;
};

int Bench(const Options& opt, PrivateOvs& ovsd) {
  auto host = Netlink::Open();
  if (!host) {
    std::fprintf(stderr, "ovs_bench: %s\n", host.error().message().c_str());
    return 1;
  }
  if (auto st = host->SetUp("lo"); !st) {
    std::fprintf(stderr, "ovs_bench: lo up: %s\n", st.error().message().c_str());
    return 1;
  }
  if (auto st = ovsd.Start(); !st) {
    std::fprintf(stderr, "ovs_bench: start private OVS: %s\n", st.error().message().c_str());
    return 1;
  }
  auto ovs = Ovs::Connect(ovsd.Remote(), 10s);
  if (!ovs) {
    std::fprintf(stderr, "ovs_bench: %s\n", ovs.error().message().c_str());
    return 1;
  }
  if (auto st = ovs->EnsureBridge(kBridge, "netdev", {{rampart::net::kOvsOwnerKey, kOwner}}); !st) {
    std::fprintf(stderr, "ovs_bench: %s\n", st.error().message().c_str());
    return 1;
  }

  const std::string remote = ovsd.Remote();
  std::vector<Row> rows;
  rows.push_back({'r',
                  "rampart Ovs::AddPort (one connection)",
                  [&](const std::string& port) -> Status {
                    auto ofport = ovs->AddPort(RequestFor(port), 10s);
                    if (!ofport) return ofport.error();
                    return rampart::Ok();
                  },
                  {},
                  {}});
  rows.push_back({'c',
                  "rampart Ovs::Connect + AddPort",
                  [&](const std::string& port) -> Status {
                    auto fresh = Ovs::Connect(remote, 10s);
                    if (!fresh) return fresh.error();
                    auto ofport = fresh->AddPort(RequestFor(port), 10s);
                    if (!ofport) return ofport.error();
                    return rampart::Ok();
                  },
                  {},
                  {}});
  rows.push_back({'v',
                  "ovs-vsctl add-port (subprocess)",
                  [&](const std::string& port) -> Status {
                    std::vector<std::string> argv = {"ovs-vsctl", "--db=" + remote, "--timeout=10",
                                                     "add-port",  kBridge,          port};
                    for (const char* table : {"interface", "port"}) {
                      argv.insert(argv.end(), {"--", "set", table, port});
                      for (const auto& [k, v] : IdsFor(port))
                        argv.push_back("external_ids:" + k + "=" + v);
                    }
                    return Run(argv);
                  },
                  {},
                  {}});

  utsname u{};
  uname(&u);
  std::printf(
      "## ovs_bench: add a fresh veth end to an OVS netdev bridge and wait for its ofport\n\n");
  std::printf(
      "kernel %s, %ld cpus; %d runs after %d warm-up, round robin; private ovsdb-server + "
      "ovs-vswitchd\n\n",
      u.release, sysconf(_SC_NPROCESSORS_ONLN), opt.runs, opt.warmup);

  int next_id = 1;
  double t_all = NowMs();
  for (int it = 0; it < opt.warmup + opt.runs; ++it) {
    for (size_t k = 0; k < rows.size(); ++k) {
      Row& row = rows[(k + static_cast<size_t>(it)) % rows.size()];
      if (!row.error.empty()) continue;
      const std::string port = std::string("o") + row.method + std::to_string(next_id++);
      rampart::net::VethRequest veth;
      veth.host_name = port;
      veth.peer_name = "p" + port;
      if (auto st = host->CreateVeth(veth); !st) {
        row.error = "create veth: " + st.error().message();
        continue;
      }
      double t0 = NowMs();
      Status st = row.run(port);
      double ms = NowMs() - t0;
      if (st) {  // the end state, untimed
        auto ports = ovs->ListPorts(kBridge);
        if (!ports) {
          st = ports.error();
        } else {
          auto p = std::find_if(ports->begin(), ports->end(),
                                [&](const auto& i) { return i.name == port; });
          if (p == ports->end() || p->ofport <= 0 || p->external_ids != IdsFor(port))
            st = Error::Internal("verify " + port + ": not on " + kBridge +
                                 " with an ofport and our external_ids");
        }
      }
      if (!st) row.error = st.error().message();
      if (st && it >= opt.warmup) row.ms.push_back(ms);
      // Removing the port, timed too: each method with its own tool; every
      // other run without waiting for ovs-vswitchd (rampart's stop path;
      // ovs-vsctl --no-wait).
      const bool nowait = (it % 2) == 1;
      double d0 = NowMs();
      std::vector<std::string> vsctl = {"ovs-vsctl", "--db=" + remote, "--timeout=10"};
      if (nowait) vsctl.push_back("--no-wait");
      vsctl.insert(vsctl.end(), {"del-port", kBridge, port});
      Status del = row.method == 'v' ? Run(vsctl) : ovs->DeletePort(port, false, !nowait);
      double del_ms = NowMs() - d0;
      if (!del && del.error().kind() != rampart::ErrorKind::kNotFound) row.error = "del-port: " + del.error().message();
      if (del && st && it >= opt.warmup) (nowait ? row.del_nowait_ms : row.del_ms).push_back(del_ms);
      (void)host->DeleteLink(port);
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
  std::printf(
      "rampart/this = rampart (one connection) median / this median (below 1: rampart is faster). "
      "Total %.1f s.\n\n",
      total_s);
  const Row& vsctl = rows[2];
  if (rm > 0 && vsctl.error.empty()) {
    double vm = StatsOf(vsctl.ms).median;
    std::printf("- rampart vs ovs-vsctl add-port: %.2f ms vs %.2f ms = %.2fx\n", rm, vm, rm / vm);
    if (rows[1].error.empty()) {
      double cm = StatsOf(rows[1].ms).median;
      std::printf(
          "- rampart with a connection per port vs ovs-vsctl add-port: %.2f ms vs %.2f ms = "
          "%.2fx\n",
          cm, vm, cm / vm);
    }
  } else {
    std::printf("- rampart vs ovs-vsctl add-port: cannot evaluate (%s)\n",
                !r.error.empty() ? r.error.c_str() : vsctl.error.c_str());
  }
  if (r.error.empty() && vsctl.error.empty() && !r.del_ms.empty() && !vsctl.del_ms.empty()) {
    double rd = StatsOf(r.del_ms).median, vd = StatsOf(vsctl.del_ms).median;
    std::printf("- rampart Ovs::DeletePort vs ovs-vsctl del-port (both wait for ovs-vswitchd): %.2f ms vs %.2f ms = %.2fx\n", rd, vd, rd / vd);
    if (!r.del_nowait_ms.empty() && !vsctl.del_nowait_ms.empty()) {
      double rn = StatsOf(r.del_nowait_ms).median, vn = StatsOf(vsctl.del_nowait_ms).median;
      std::printf("- without waiting (rampart's stop path; ovs-vsctl --no-wait): %.2f ms vs %.2f ms = %.2fx\n", rn, vn,
                  rn / vn);
    }
    std::printf("\n## Goal\n\n- add-port <= 0.3x ovs-vsctl: %.2fx -> %s\n- del-port <= 0.3x ovs-vsctl: %.2fx -> %s\n",
                rm / StatsOf(vsctl.ms).median, rm <= 0.3 * StatsOf(vsctl.ms).median ? "MET" : "NOT MET", rd / vd,
                rd <= 0.3 * vd ? "MET" : "NOT MET");
  }
  bool failed = false;
  for (const auto& row : rows) failed |= !row.error.empty();
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      opt.runs = 5, opt.warmup = 1;
    } else if (ParseIntFlag("ovs_bench", a, "--runs", &opt.runs) || ParseIntFlag("ovs_bench", a, "--warmup", &opt.warmup)) {
    } else {
      std::fprintf(stderr, "usage: ovs_bench [--quick] [--runs=N] [--warmup=N]\n");
      return 2;
    }
  }
  if (opt.runs < 1) opt.runs = 1;
  if (geteuid() != 0) {
    std::fprintf(stderr, "ovs_bench: needs root (network namespace, OVS)\n");
    return 1;
  }
  for (const char* tool :
       {"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-appctl"}) {
    auto found = rampart::RunCommand({"sh", "-c", std::string("command -v ") + tool});
    if (!found || rampart::ExitCodeFromWaitStatus(found->status) != 0) {
      std::fprintf(stderr, "ovs_bench: needs %s (openvswitch-switch)\n", tool);
      return 1;
    }
  }
  // A private network namespace for this process and everything it starts:
  // ovs-vswitchd makes its taps where it runs, and the veths live here too.
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "ovs_bench: unshare network namespace: %s\n", std::strerror(errno));
    return 1;
  }
  PrivateOvs ovsd;  // stopped (and its directory removed) however Bench returns
  return Bench(opt, ovsd);
}
