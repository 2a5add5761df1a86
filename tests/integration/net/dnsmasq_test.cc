// net/dnsmasq against a real dnsmasq (root). Everything happens in private
// network namespaces (netns_harness.h): a "test host" namespace with a bridge
// br0 at 10.78.0.1/24 where dnsmasq runs, and "container" namespaces whose
// eth0 is a veth into that bridge, where busybox udhcpc and nslookup run.
#include "net/dnsmasq.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "tests/integration/net/netns_harness.h"

namespace rampart::net {
namespace {

using rampart::testing_support::Out;
using rampart::testing_support::Succeeded;
using rampart::testing_support::WaitFor;

using rampart::testing_support::TestNetns;
using std::chrono::milliseconds;

constexpr char kGateway[] = "10.78.0.1";
constexpr char kDomain[] = "rt0";
constexpr char kMac[] = "02:00:0a:4e:00:42";
constexpr char kReserved[] = "10.78.0.77";


std::string LogOf(const DnsmasqConfig& c) {
  Result<std::string> log = ReadFile(DnsmasqFilesFor(c).log);
  return "\n--- dnsmasq log " + c.run_dir + " ---\n" + (log ? *log : log.error().message());
}

// Every live process (not a zombie) whose command line is dnsmasq for `c`.
std::vector<pid_t> DnsmasqProcesses(const DnsmasqConfig& c) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    Result<uint64_t> pid = ParseUint64(e->d_name);
    if (!pid) continue;
    Result<std::string> cmdline = ReadFile("/proc/" + std::string(e->d_name) + "/cmdline");
    if (!cmdline || cmdline->empty()) continue;
    if (cmdline->back() == '\0') cmdline->pop_back();
    if (IsDnsmasqFor(Split(*cmdline, '\0'), c)) out.push_back(static_cast<pid_t>(*pid));
  }
  ::closedir(d);
  return out;
}

bool Alive(pid_t pid) {
  Result<std::string> stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z';
}

std::optional<pid_t> RunningPid(const DnsmasqConfig& c) {
  Result<std::optional<pid_t>> r = Dnsmasq::Running(c);
  return r ? *r : std::nullopt;
}

// Stops every dnsmasq a test started, whatever happened in the test.
struct StopGuard {
  std::vector<DnsmasqConfig> configs;
  void StopAll() {
    for (const DnsmasqConfig& c : configs) {
      Status s = Dnsmasq::Stop(c);
      if (!s) ADD_FAILURE() << "stop " << c.network << ": " << s.error().message();
    }
    configs.clear();
  }
  ~StopGuard() { StopAll(); }
};

class DnsmasqNetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    for (const char* tool : {"busybox", "ip", "nsenter"}) {
      Result<CommandOutput> r = RunCommand({"sh", "-c", std::string("command -v ") + tool});
      if (!Succeeded(r)) Missing(tool);
    }
    if (!FindDnsmasq("", DnsmasqSearchDirs())) Missing("dnsmasq (dnsmasq-base)");
    if (IsSkipped() || HasFatalFailure()) return;

    Result<TestNetns> ns = TestNetns::Create();
    ASSERT_TRUE(ns) << ns.error().message();
    host_ = std::move(*ns);
    MakeBridge("br0", std::string(kGateway) + "/24");

    char tmpl[] = "/tmp/rampart-dnsmasq-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    ASSERT_EQ(::chmod(tmp_.c_str(), 0755), 0);  // dnsmasq's user rereads files below it
    config_ = Config("it", "br0", kGateway);
  }

  void TearDown() override {
    guard_.StopAll();  // before the run directories (and their pid files) go
    if (!tmp_.empty()) (void)RunCommand({"rm", "-rf", tmp_});
  }

  void Missing(const std::string& what) {
    const char* must = ::getenv("RAMPART_TESTS_MUST_RUN");
    if (must != nullptr && std::string(must) == "1") {
      FAIL() << "needs " << what << " (MUST_RUN=1)";
    }
    GTEST_SKIP() << "needs " << what;
  }

  void MakeBridge(const std::string& name, const std::string& cidr) {
    for (const std::vector<std::string>& cmd :
         std::vector<std::vector<std::string>>{{"ip", "link", "add", name, "type", "bridge"},
                                               {"ip", "addr", "add", cidr, "dev", name},
                                               {"ip", "link", "set", name, "up"}}) {
      Result<CommandOutput> r = host_->Run(cmd);
      ASSERT_TRUE(Succeeded(r)) << Join(cmd, " ") << ": " << Out(r);
    }
  }

  DnsmasqConfig Config(const std::string& network, const std::string& bridge,
                       const std::string& gateway) {
    DnsmasqConfig c;
    c.network = network;
    c.interface = bridge;
    c.listen_address = gateway;
    const std::string net = gateway.substr(0, gateway.rfind('.') + 1);
    c.range_start = net + "2";
    c.range_end = net + "254";
    c.netmask = "255.255.255.0";
    c.domain = kDomain;
    c.run_dir = tmp_ + "/networks/" + network;
    return c;
  }

  // Starts dnsmasq inside the test-host namespace; the guard stops it later.
  Result<pid_t> StartInHost(const DnsmasqConfig& c) {
    guard_.configs.push_back(c);
    std::optional<Result<pid_t>> r;
    int err = host_->InNs([&] { r = Dnsmasq::Start(c); });
    if (err != 0) return Error::FromErrno(err, "setns test host");
    return *r;
  }
  Status EnsureInHost(const DnsmasqConfig& c) {
    guard_.configs.push_back(c);
    std::optional<Status> r;
    int err = host_->InNs([&] { r = Dnsmasq::EnsureRunning(c); });
    if (err != 0) return Error::FromErrno(err, "setns test host");
    return *r;
  }

  // A container namespace whose eth0 (MAC kMac) is a veth into br0.
  std::optional<TestNetns> MakeContainer(const std::string& host_if) {
    Result<TestNetns> ns = TestNetns::Create();
    if (!ns) {
      ADD_FAILURE() << ns.error().message();
      return std::nullopt;
    }
    TestNetns ctr = std::move(*ns);
    for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
             {"ip", "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "address", kMac,
              "netns", ctr.Path()},
             {"ip", "link", "set", host_if, "master", "br0"},
             {"ip", "link", "set", host_if, "up"}}) {
      Result<CommandOutput> r = host_->Run(cmd);
      EXPECT_TRUE(Succeeded(r)) << Join(cmd, " ") << ": " << Out(r);
    }
    Result<CommandOutput> up = ctr.Run({"ip", "link", "set", "eth0", "up"});
    EXPECT_TRUE(Succeeded(up)) << Out(up);
    return ctr;
  }

  // busybox udhcpc in `ctr`: the leased address (also configured on eth0),
  // or "" with `why` filled.
  std::string Lease(const TestNetns& ctr, std::string* why) {
    const std::string out = tmp_ + "/lease.out", script = tmp_ + "/udhcpc.sh";
    ::unlink(out.c_str());
    const std::string text =
        "#!/bin/sh\n"
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
        "case \"$1\" in bound|renew) ;; *) exit 0 ;; esac\n"
        "ip addr flush dev \"$interface\"\n"
        "ip addr add \"$ip/24\" dev \"$interface\"\n"
        "echo \"$ip\" > " +
        out + "\n";
    if (Status s = WriteFileAtomic(script, text, 0755); !s) {
      *why = s.error().message();
      return "";
    }
    Result<CommandOutput> r = ctr.Run(
        {"busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "6", "-T", "2", "-s", script});
    Result<std::string> ip = ReadFile(out);
    if (!Succeeded(r) || !ip) {
      *why = "udhcpc: " + Out(r);
      return "";
    }
    return std::string(Trim(*ip));
  }

  // Retries busybox nslookup (dnsmasq rereads hosts files asynchronously)
  // until the answer names `want`; returns the last output.
  bool Resolves(const TestNetns& ns, const std::string& name, const std::string& want,
                std::string* seen) {
    return WaitFor([&] {
      Result<CommandOutput> r =
          ns.Run({"busybox", "nslookup", name, kGateway}, {}, std::chrono::seconds(10));
      *seen = Out(r);
      return Succeeded(r) && r->out.find("Address: " + want) != std::string::npos;
    });
  }

  std::optional<TestNetns> host_;
  std::string tmp_;
  DnsmasqConfig config_;
  StopGuard guard_;  // last: destroyed first
};

TEST_F(DnsmasqNetTest, LeaseThenReservationThenNames) {
  Result<pid_t> pid = StartInHost(config_);
  ASSERT_TRUE(pid) << pid.error().message() << LogOf(config_);
  EXPECT_EQ(RunningPid(config_), std::optional<pid_t>(*pid));
  std::optional<TestNetns> made = MakeContainer("vc0");
  ASSERT_TRUE(made.has_value() && !HasFailure());
  const TestNetns& ctr = *made;

  // A dynamic lease from the range.
  std::string why;
  const std::string ip = Lease(ctr, &why);
  ASSERT_FALSE(ip.empty()) << why << LogOf(config_);
  ASSERT_EQ(ip.rfind("10.78.0.", 0), 0u) << ip;
  const int last = std::atoi(ip.c_str() + 8);
  EXPECT_TRUE(last >= 2 && last <= 254) << ip;
  Result<std::string> leases = ReadFile(DnsmasqFilesFor(config_).leases);
  ASSERT_TRUE(leases) << leases.error().message();
  EXPECT_NE(leases->find(kMac), std::string::npos) << *leases;

  // Reserve an address for the container's MAC: it gets exactly that.
  Status w = WriteHosts(config_, {{"web", kMac, kReserved}, {"db", "", "10.78.0.88"}});
  ASSERT_TRUE(w) << w.error().message();
  std::string seen;
  ASSERT_TRUE(Resolves(*host_, std::string("web.") + kDomain, kReserved, &seen))
      << seen << LogOf(config_);
  EXPECT_EQ(Lease(ctr, &why), kReserved) << why << LogOf(config_);

  // Names answer from the container and from the host, qualified and plain.
  EXPECT_TRUE(Resolves(ctr, std::string("web.") + kDomain, kReserved, &seen))
      << seen << LogOf(config_);
  EXPECT_TRUE(Resolves(ctr, "web", kReserved, &seen)) << seen << LogOf(config_);
  EXPECT_TRUE(Resolves(ctr, std::string("db.") + kDomain, "10.78.0.88", &seen))
      << seen << LogOf(config_);
  EXPECT_TRUE(Resolves(*host_, "web", kReserved, &seen)) << seen << LogOf(config_);
}

TEST_F(DnsmasqNetTest, StopLeavesNoProcessAndNoPidFile) {
  Result<pid_t> pid = StartInHost(config_);
  ASSERT_TRUE(pid) << pid.error().message() << LogOf(config_);
  EXPECT_EQ(DnsmasqProcesses(config_), std::vector<pid_t>{*pid});

  Status s = Dnsmasq::Stop(config_);
  ASSERT_TRUE(s) << s.error().message() << LogOf(config_);
  EXPECT_FALSE(Alive(*pid)) << "pid " << *pid << LogOf(config_);
  EXPECT_TRUE(DnsmasqProcesses(config_).empty());
  EXPECT_NE(::access(DnsmasqFilesFor(config_).pid.c_str(), F_OK), 0) << "pid file left behind";
  EXPECT_FALSE(RunningPid(config_).has_value());
  s = Dnsmasq::Stop(config_);
  EXPECT_TRUE(s) << "stopping a stopped dnsmasq is fine: " << s.error().message();
}

TEST_F(DnsmasqNetTest, EnsureRunningRestartsAKilledDnsmasq) {
  ASSERT_TRUE(WriteHosts(config_, {{"web", kMac, kReserved}}));
  Status s = EnsureInHost(config_);
  ASSERT_TRUE(s) << s.error().message() << LogOf(config_);
  const std::optional<pid_t> first = RunningPid(config_);
  ASSERT_TRUE(first.has_value()) << LogOf(config_);

  s = EnsureInHost(config_);  // running: nothing to do
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(RunningPid(config_), first);

  ASSERT_EQ(::kill(*first, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return !RunningPid(config_).has_value(); }))
      << "killed dnsmasq still counted";
  s = EnsureInHost(config_);
  ASSERT_TRUE(s) << s.error().message() << LogOf(config_);
  const std::optional<pid_t> second = RunningPid(config_);
  ASSERT_TRUE(second.has_value()) << LogOf(config_);
  EXPECT_NE(*second, *first);
  std::string seen;
  EXPECT_TRUE(Resolves(*host_, std::string("web.") + kDomain, kReserved, &seen))
      << seen << LogOf(config_);
}

TEST_F(DnsmasqNetTest, SecondStartIsAlreadyRunning) {
  Result<pid_t> pid = StartInHost(config_);
  ASSERT_TRUE(pid) << pid.error().message() << LogOf(config_);
  Result<pid_t> again = StartInHost(config_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kExists) << again.error().message();
  EXPECT_EQ(RunningPid(config_), std::optional<pid_t>(*pid)) << "the first one is left alone";
}

TEST_F(DnsmasqNetTest, PortTakenByAnotherDnsmasqIsAClearError) {
  Result<pid_t> pid = StartInHost(config_);
  ASSERT_TRUE(pid) << pid.error().message() << LogOf(config_);
  const DnsmasqConfig other = Config("other", "br0", kGateway);
  Result<pid_t> second = StartInHost(other);
  ASSERT_FALSE(second) << LogOf(other);
  EXPECT_EQ(second.error().message(), "dnsmasq for network other: port 53 on 10.78.0.1 is in use");
  EXPECT_TRUE(DnsmasqProcesses(other).empty());
  EXPECT_EQ(RunningPid(config_), std::optional<pid_t>(*pid));
}

TEST_F(DnsmasqNetTest, PortTakenByAnotherServerIsAClearError) {
  UniqueFd udp;
  int err = host_->InNs([&] {
    udp.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(53);
    sa.sin_addr.s_addr = htonl(0x0A4E0001);  // 10.78.0.1
    if (::bind(udp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) udp.reset();
  });
  ASSERT_EQ(err, 0);
  ASSERT_TRUE(udp.valid()) << "bind 10.78.0.1:53 in the test host";
  Result<pid_t> pid = StartInHost(config_);
  ASSERT_FALSE(pid) << LogOf(config_);
  EXPECT_EQ(pid.error().message(), "dnsmasq for network it: port 53 on 10.78.0.1 is in use");
  EXPECT_EQ(pid.error().err(), EADDRINUSE);
  EXPECT_TRUE(DnsmasqProcesses(config_).empty());
}

TEST_F(DnsmasqNetTest, TwoNetworksWithDhcpCoexist) {
  MakeBridge("br1", "10.79.0.1/24");
  const DnsmasqConfig second = Config("second", "br1", "10.79.0.1");
  Result<pid_t> a = StartInHost(config_);
  ASSERT_TRUE(a) << a.error().message() << LogOf(config_);
  Result<pid_t> b = StartInHost(second);
  ASSERT_TRUE(b) << b.error().message() << LogOf(second);
  EXPECT_NE(*a, *b);
  ASSERT_TRUE(Dnsmasq::Stop(second));
  EXPECT_EQ(RunningPid(config_), std::optional<pid_t>(*a)) << "stopping one leaves the other";
}

TEST_F(DnsmasqNetTest, DnsOnlyNetwork) {
  DnsmasqConfig c = config_;
  c.range_start = c.range_end = c.netmask = "";
  ASSERT_TRUE(WriteHosts(c, {{"web", "", kReserved}}));
  Result<pid_t> pid = StartInHost(c);
  ASSERT_TRUE(pid) << pid.error().message() << LogOf(c);
  std::string seen;
  EXPECT_TRUE(Resolves(*host_, std::string("web.") + kDomain, kReserved, &seen))
      << seen << LogOf(c);
}

TEST_F(DnsmasqNetTest, UnsearchableRunDirIsRefused) {
  ASSERT_EQ(::chmod(tmp_.c_str(), 0700), 0);
  Result<pid_t> pid = StartInHost(config_);
  ASSERT_FALSE(pid);
  EXPECT_NE(pid.error().message().find("is not searchable by user nobody"), std::string::npos)
      << pid.error().message();
  ASSERT_EQ(::chmod(tmp_.c_str(), 0755), 0);
}

// Supervise() on its own thread in the test host; stopping it through the
// pipe (or by destruction) joins it.
class SupervisorThread {
 public:
  SupervisorThread(const TestNetns& host, const DnsmasqConfig& c) : log_(2, LogLevel::kInfo) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    SuperviseOptions opts;
    opts.initial_backoff = milliseconds(100);
    opts.max_backoff = milliseconds(400);
    thread_ = std::thread([this, &host, c, opts] {
      int err = host.InNs([&] { result_ = Dnsmasq::Supervise(c, read_.get(), log_, opts); });
      if (err != 0) result_ = Error::FromErrno(err, "setns test host");
      done_ = true;
    });
  }
  ~SupervisorThread() { (void)Join(true); }
  // signal_stop: close the pipe (EOF asks it to stop). Otherwise wait up to
  // 10 s for it to end by itself, and report if it did not.
  Status Join(bool signal_stop) {
    bool ended = signal_stop || WaitFor([this] { return done_.load(); }, milliseconds(10000));
    write_.reset();
    if (thread_.joinable()) thread_.join();
    if (!ended)
      return Error::Internal("supervisor did not end by itself (stopped through its pipe)");
    return result_.value_or(Error::Internal("supervisor did not return"));
  }

 private:
  Logger log_;
  UniqueFd read_, write_;
  std::optional<Status> result_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST_F(DnsmasqNetTest, SuperviseRestartsAndStopsOnRequest) {
  guard_.configs.push_back(config_);
  SupervisorThread sup(*host_, config_);
  std::optional<pid_t> first;
  ASSERT_TRUE(
      WaitFor([&] { return (first = RunningPid(config_)).has_value(); }, milliseconds(10000)))
      << LogOf(config_);
  ASSERT_EQ(::kill(*first, SIGKILL), 0);
  std::optional<pid_t> second;
  ASSERT_TRUE(
      WaitFor([&] { return (second = RunningPid(config_)).has_value() && *second != *first; },
              milliseconds(10000)))
      << "not restarted" << LogOf(config_);

  Status s = sup.Join(true);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_FALSE(Alive(*second));
  EXPECT_TRUE(DnsmasqProcesses(config_).empty());
  EXPECT_NE(::access(DnsmasqFilesFor(config_).pid.c_str(), F_OK), 0);
}

TEST_F(DnsmasqNetTest, SuperviseEndsWhenStoppedElsewhere) {
  guard_.configs.push_back(config_);
  SupervisorThread sup(*host_, config_);
  std::optional<pid_t> pid;
  ASSERT_TRUE(WaitFor([&] { return (pid = RunningPid(config_)).has_value(); }, milliseconds(10000)))
      << LogOf(config_);
  Status s = Dnsmasq::Stop(config_);
  ASSERT_TRUE(s) << s.error().message();
  s = sup.Join(false);  // returns by itself: the pid file is gone
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(DnsmasqProcesses(config_).empty()) << LogOf(config_);
}

TEST(DnsmasqMissingBinaryTest, IsAClearError) {
  DnsmasqConfig c;
  c.network = "nobin";
  c.interface = "br0";
  c.listen_address = kGateway;
  c.run_dir = "/tmp/rampart-dnsmasq-nobin-never-created";
  c.binary = "/nonexistent/dnsmasq";
  Result<pid_t> pid = Dnsmasq::Start(c);
  ASSERT_FALSE(pid);
  EXPECT_EQ(pid.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(pid.error().message().find("dnsmasq not found (install dnsmasq-base)"),
            std::string::npos)
      << pid.error().message();
  EXPECT_NE(::access(c.run_dir.c_str(), F_OK), 0) << "nothing created";
}

}  // namespace
}  // namespace rampart::net
