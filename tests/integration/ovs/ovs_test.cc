// net/ovsdb_client and net/ovs against a real, private Open vSwitch (root).
// Each test makes a "test host" network namespace (netns_harness.h) and a
// temporary run directory, and starts its own ovsdb-server and ovs-vswitchd
// (userspace `netdev` datapath: there is no kernel module here) inside that
// namespace; TearDown stops both and checks in /proc that no OVS process of
// the run directory survives. `ovs-vsctl --db=unix:RUN/db.sock` is the
// independent oracle. "Containers" are further namespaces holding the peer
// ends of veths whose host ends are OVS ports.
#include "net/ovs.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "net/ovsdb_client.h"
#include "tests/integration/net/netns_harness.h"

namespace rampart::net {
namespace {

using rampart::testing_support::TestNetns;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr char kSchema[] = "/usr/share/openvswitch/vswitch.ovsschema";
constexpr char kOwner[] = "root-a";

bool Succeeded(const Result<CommandOutput>& r) {
  return r && ExitCodeFromWaitStatus(r->status) == 0;
}

std::string Out(const Result<CommandOutput>& r) {
  if (!r) return "(did not run: " + r.error().message() + ")";
  return "exit " + std::to_string(ExitCodeFromWaitStatus(r->status)) + ", stdout: " + r->out +
         ", stderr: " + r->err;
}

std::string Tail(const std::string& path, size_t lines) {
  Result<std::string> text = ReadFile(path);
  if (!text) return "(" + text.error().message() + ")";
  std::vector<std::string> all = Split(*text, '\n');
  size_t from = all.size() > lines ? all.size() - lines : 0;
  return Join(std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from), all.end()),
              "\n");
}

// Live (not zombie) ovsdb-server / ovs-vswitchd processes whose command
// line mentions `run_dir`.
std::vector<pid_t> OvsProcessesOf(const std::string& run_dir) {
  return rampart::testing_support::LiveProcesses({"ovsdb-server", "ovs-vswitchd"}, run_dir);
}


std::map<std::string, std::string> Ids(const std::string& owner, const std::string& container) {
  return {{kOvsOwnerKey, owner}, {kOvsNetworkKey, "ovsnet"}, {kOvsContainerKey, container}};
}

OvsPortRequest Req(const std::string& port, int tag = 0, const std::string& owner = kOwner) {
  OvsPortRequest r;
  r.bridge = "br0";
  r.port = port;
  r.tag = tag;
  r.external_ids = Ids(owner, "c-" + port);
  return r;
}

class OvsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    for (const char* tool : {"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl",
                             "ovs-appctl", "ip", "nsenter"}) {
      if (!Succeeded(RunCommand({"sh", "-c", std::string("command -v ") + tool}))) Missing(tool);
    }
    // ping, else busybox's (as in netlink_test).
    if (!Succeeded(RunCommand({"sh", "-c", "command -v ping"}))) {
      if (!Succeeded(RunCommand({"sh", "-c", "command -v busybox"}))) Missing("ping or busybox");
      ping_ = {"busybox", "ping"};
    }
    struct stat st;
    if (::stat(kSchema, &st) != 0) Missing(kSchema);
    if (IsSkipped() || HasFatalFailure()) return;

    Result<TestNetns> ns = TestNetns::Create();
    ASSERT_TRUE(ns) << ns.error().message();
    host_ = std::move(*ns);
    char tmpl[] = "/tmp/rampart-ovs-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    run_ = tmpl;
    StartOvs();
    if (HasFatalFailure()) return;
    Result<Ovs> ovs = Ovs::Connect(Remote(), 5s);
    ASSERT_TRUE(ovs) << ovs.error().message();
    ovs_.emplace(std::move(*ovs));
  }

  void TearDown() override {
    ovs_.reset();
    if (!run_.empty()) {
      if (HasFailure()) std::fprintf(stderr, "%s\n", Logs().c_str());
      StopOvs();
      (void)RunCommand({"rm", "-rf", run_});
    }
    containers_.clear();
  }

  void Missing(const std::string& what) {
    const char* must = ::getenv("RAMPART_TESTS_MUST_RUN");
    if (must != nullptr && std::string(must) == "1") FAIL() << "needs " << what << " (MUST_RUN=1)";
    GTEST_SKIP() << "needs " << what;
  }

  std::string Remote() const { return "unix:" + run_ + "/db.sock"; }
  std::string Db() const { return "--db=" + Remote(); }

  std::vector<std::string> Env() const {
    return {"env", "OVS_RUNDIR=" + run_, "OVS_DBDIR=" + run_, "OVS_LOGDIR=" + run_};
  }

  void RunInHost(std::vector<std::string> argv) {
    Result<CommandOutput> r = host_->Run(argv, {}, 30s);
    ASSERT_TRUE(Succeeded(r)) << Join(argv, " ") << ": " << Out(r);
  }

  void StartOvs() {
    std::vector<std::string> create = {"ovsdb-tool", "create", run_ + "/conf.db", kSchema};
    Result<CommandOutput> r = RunCommand(create, {}, 30s);
    ASSERT_TRUE(Succeeded(r)) << Join(create, " ") << ": " << Out(r);
    auto daemon = [&](const std::string& name, std::vector<std::string> args) {
      std::vector<std::string> argv = Env();
      argv.push_back(name);
      argv.insert(argv.end(), args.begin(), args.end());
      const std::string base = run_ + "/" + name;
      argv.push_back("--pidfile=" + base + ".pid");
      argv.push_back("--unixctl=" + base + ".ctl");
      argv.push_back("--log-file=" + base + ".log");
      argv.push_back("--detach");
      RunInHost(argv);
    };
    daemon("ovsdb-server", {run_ + "/conf.db", "--remote=punix:" + run_ + "/db.sock"});
    if (HasFatalFailure()) return;
    daemon("ovs-vswitchd", {Remote()});
  }

  // Asks both daemons to exit, then SIGKILLs whatever of this run directory
  // is left; fails the test if anything survives.
  void StopOvs() {
    for (const char* ctl : {"ovs-vswitchd.ctl", "ovsdb-server.ctl"}) {
      struct stat st;
      std::string path = run_ + "/" + ctl;
      if (::stat(path.c_str(), &st) == 0)
        (void)RunCommand({"ovs-appctl", "-t", path, "exit"}, {}, 10s);
    }
    auto gone = [&](milliseconds within) {
      for (auto end = std::chrono::steady_clock::now() + within;
           std::chrono::steady_clock::now() < end;) {
        if (OvsProcessesOf(run_).empty()) return true;
        std::this_thread::sleep_for(20ms);
      }
      return OvsProcessesOf(run_).empty();
    };
    if (gone(5s)) return;
    for (const char* pidfile : {"ovs-vswitchd.pid", "ovsdb-server.pid"}) {
      Result<std::string> text = ReadFile(run_ + "/" + pidfile);
      if (!text) continue;
      Result<uint64_t> pid = ParseUint64(Trim(*text));
      for (pid_t p : OvsProcessesOf(run_))  // only a pid that still is ours
        if (pid && static_cast<pid_t>(*pid) == p) ::kill(p, SIGKILL);
    }
    for (pid_t p : OvsProcessesOf(run_)) ::kill(p, SIGKILL);
    EXPECT_TRUE(gone(5s)) << "OVS processes of " << run_ << " survived SIGKILL";
  }

  std::string Logs() const {
    return "\n--- ovsdb-server.log (tail) ---\n" + Tail(run_ + "/ovsdb-server.log", 25) +
           "\n--- ovs-vswitchd.log (tail) ---\n" + Tail(run_ + "/ovs-vswitchd.log", 25);
  }

  // ovs-vsctl against our private database; its stdout, or "ERROR: ...".
  std::string Vsctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {"ovs-vsctl", Db(), "--timeout=10"};
    argv.insert(argv.end(), args.begin(), args.end());
    Result<CommandOutput> r = RunCommand(argv, {}, 20s);
    if (!Succeeded(r)) return "ERROR: " + Join(argv, " ") + ": " + Out(r);
    return std::string(Trim(r->out));
  }

  void MakeBridge() {
    Status st = ovs_->EnsureBridge("br0", "netdev", Ids(kOwner, ""));
    ASSERT_TRUE(st) << st.error().message() << Logs();
  }

  // A container namespace whose eth0 (address `cidr`) is the peer of
  // `host_if`, which is up in the test host.
  TestNetns& Container(const std::string& host_if, const std::string& cidr) {
    Result<TestNetns> ns = TestNetns::Create();
    if (!ns) {
      ADD_FAILURE() << "container netns: " << ns.error().message();
      return *host_;  // private too: commands below then fail visibly
    }
    containers_.push_back(std::move(*ns));
    TestNetns& c = containers_.back();
    RunInHost(
        {"ip", "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", c.Path()});
    RunInHost({"ip", "link", "set", host_if, "up"});
    for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
             {"ip", "addr", "add", cidr, "dev", "eth0"}, {"ip", "link", "set", "eth0", "up"}}) {
      Result<CommandOutput> r = c.Run(cmd);
      EXPECT_TRUE(Succeeded(r)) << Join(cmd, " ") << ": " << Out(r);
    }
    return c;
  }

  int AddPortOk(const OvsPortRequest& req) {
    Result<int> ofport = ovs_->AddPort(req, 10s);
    EXPECT_TRUE(ofport) << ofport.error().message() << Logs();
    return ofport ? *ofport : -1;
  }

  // Ping with a few tries (the first ARP may race the port coming up).
  bool Pings(TestNetns& from, const std::string& to, int tries, std::string* seen) {
    for (int i = 0; i < tries; ++i) {
      std::vector<std::string> argv = ping_;
      argv.insert(argv.end(), {"-c1", "-W2", to});
      Result<CommandOutput> r = from.Run(argv);
      *seen = Out(r);
      if (Succeeded(r)) return true;
    }
    return false;
  }

  std::optional<TestNetns> host_;
  std::deque<TestNetns> containers_;  // stable references
  std::string run_;
  std::optional<Ovs> ovs_;
  std::vector<std::string> ping_ = {"ping"};
};

TEST(OvsConnectTest, NothingListeningIsAClearError) {
  ::rampart::TempDir tmp("rampart-ovs-noserver-");
  ASSERT_FALSE(tmp.path().empty()) << std::strerror(errno);
  const std::string dir = tmp.path();
  Result<OvsdbClient> c = OvsdbClient::Connect("unix:" + dir + "/db.sock", 1s);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "ovsdb: connect unix:" + dir +
                "/db.sock: no such file or directory (is ovsdb-server running? "
                "`rampart ovs start`)");
  EXPECT_EQ(c.error().err(), ENOENT);

  // A socket file nobody listens on any more.
  const std::string stale = dir + "/stale.sock";
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, stale.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0)
        << std::strerror(errno);
  }
  Result<Ovs> ovs = Ovs::Connect("unix:" + stale, 1s);
  ASSERT_FALSE(ovs);
  EXPECT_NE(ovs.error().message().find("connection refused (is ovsdb-server running?"),
            std::string::npos)
      << ovs.error().message();

  for (const char* bad :
       {"db.sock", "tcp:1.2.3.4", "tcp:nohost:6640", "tcp:127.0.0.1:0", "unix:"}) {
    Result<OvsdbClient> b = OvsdbClient::Connect(bad, 1s);
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().kind(), ErrorKind::kInvalid) << bad << ": " << b.error().message();
  }
  Result<OvsdbClient> ssl = OvsdbClient::Connect("ssl:127.0.0.1:6640", 1s);
  ASSERT_FALSE(ssl);
  EXPECT_EQ(ssl.error().kind(), ErrorKind::kUnsupported);
}

TEST(OvsConnectTest, TcpRefusedInsidePrivateNetns) {
  RAMPART_REQUIRE_ROOT();
  Result<TestNetns> ns = TestNetns::Create();
  ASSERT_TRUE(ns) << ns.error().message();
  std::optional<Result<OvsdbClient>> c;
  ASSERT_EQ(ns->InNs([&] { c.emplace(OvsdbClient::Connect("tcp:127.0.0.1:6640", 1s)); }), 0);
  ASSERT_FALSE(*c);
  EXPECT_EQ(c->error().message(),
            "ovsdb: connect tcp:127.0.0.1:6640: connection refused (is ovsdb-server running? "
            "`rampart ovs start`)");
}

// A scripted server: echo request first, a reply split in two writes with a
// notification before it, a request left unanswered, a late reply, then EOF.
TEST(OvsdbClientFakeServerTest, EchoFramingLateRepliesTimeoutAndEof) {
  ::rampart::TempDir tmp("rampart-ovsdb-fake-");
  ASSERT_FALSE(tmp.path().empty()) << std::strerror(errno);
  const std::string path = tmp.path() + "/fake.sock";
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path.c_str());
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);

  std::atomic<bool> echo_answered{false};
  std::string server_error;
  std::jthread server([&] {  // joined however the test ends
    UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return void(server_error = "accept failed");
    std::string got;
    auto read_until = [&](const std::string& needle, size_t count) {
      auto end = std::chrono::steady_clock::now() + 5s;
      auto occurrences = [&] {
        size_t n = 0;
        for (size_t at = got.find(needle); at != std::string::npos; at = got.find(needle, at + 1))
          ++n;
        return n;
      };
      while (occurrences() < count && std::chrono::steady_clock::now() < end) {
        pollfd p{conn.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(conn.get(), buf, sizeof buf);
        if (n <= 0) return false;
        got.append(buf, static_cast<size_t>(n));
      }
      return occurrences() >= count;
    };
    auto send = [&](const std::string& s) { (void)!::write(conn.get(), s.data(), s.size()); };
    send(R"({"id":"echo","method":"echo","params":["ping"]})");
    if (!read_until(R"("result":["ping"])", 1)) return void(server_error = "no echo reply: " + got);
    echo_answered = true;
    if (!read_until(R"("method":"transact")", 1))
      return void(server_error = "no transact 1: " + got);
    send(
        R"({"id":null,"method":"update","params":[null,{"Bridge":{}}]} {"id":1,"result":[{"rows":[{"name":"x{\"]"}])");
    std::this_thread::sleep_for(50ms);
    send(R"(}],"error":null})");
    if (!read_until(R"("method":"transact")", 2))
      return void(server_error = "no transact 2: " + got);
    if (!read_until(R"("method":"transact")", 3))
      return void(server_error = "no transact 3: " + got);
    send(
        R"({"id":2,"result":[{"count":2}],"error":null}{"id":3,"result":[{"count":3}],"error":null})");
    std::this_thread::sleep_for(100ms);
  });

  Result<OvsdbClient> c = OvsdbClient::Connect("unix:" + path, 2s);
  ASSERT_TRUE(c) << c.error().message();
  Json ops = Json::array({{{"op", "select"}, {"table", "Bridge"}, {"where", Json::array()}}});
  Result<std::vector<Json>> r1 = c->Transact("Open_vSwitch", ops, 3s);
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_EQ((*r1)[0]["rows"][0]["name"], "x{\"]");
  EXPECT_TRUE(echo_answered);

  Result<std::vector<Json>> r2 = c->Transact("Open_vSwitch", ops, 300ms);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().err(), ETIMEDOUT);
  EXPECT_EQ(r2.error().message(),
            "ovsdb: no reply to transact from unix:" + path + " within 300 ms");

  Result<std::vector<Json>> r3 =
      c->Transact("Open_vSwitch", ops, 3s);  // the late reply to 2 is dropped
  ASSERT_TRUE(r3) << r3.error().message();
  EXPECT_EQ((*r3)[0]["count"], 3);

  Result<Json> n = c->NextNotification(100ms);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ((*n)["method"], "update");

  server.join();
  EXPECT_EQ(server_error, "");
  Result<std::vector<Json>> r4 = c->Transact("Open_vSwitch", ops, 1s);
  ASSERT_FALSE(r4);
  const std::string& m4 = r4.error().message();
  EXPECT_TRUE(m4.find("closed the connection") != std::string::npos ||
              m4.find("broken pipe") != std::string::npos ||
              m4.find("connection reset") != std::string::npos)
      << m4;
}

TEST_F(OvsTest, OvsdbErrorsAreOneLine) {
  Result<std::vector<Json>> bad = ovs_->client().Transact(
      "Open_vSwitch",
      Json::array({{{"op", "insert"}, {"table", "NoSuch"}, {"row", Json::object()}}}), 5s);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "ovsdb: transact Open_vSwitch: op 1 of 1 (insert NoSuch): syntax error: Parsing ovsdb "
            "operation 1 of 1 "
            "failed: No table named NoSuch");
  Result<std::vector<Json>> db = ovs_->client().Transact("Nope", Json::array(), 5s);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message().find("ovsdb: transact Nope: unknown database"), std::string::npos)
      << db.error().message();

  MakeBridge();
  Json dup = Json::array(
      {{{"op", "insert"}, {"table", "Interface"}, {"uuid-name", "i"}, {"row", {{"name", "br0"}}}},
       {{"op", "insert"},
        {"table", "Port"},
        {"uuid-name", "p"},
        {"row", {{"name", "br0"}, {"interfaces", ovsdb::NamedUuid("i")}}}},
       {{"op", "mutate"},
        {"table", "Bridge"},
        {"where", ovsdb::Where("name", "==", "br0")},
        {"mutations", {{"ports", "insert", ovsdb::Set({ovsdb::NamedUuid("p")})}}}}});
  Result<std::vector<Json>> clash = ovs_->client().Transact("Open_vSwitch", dup, 5s);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().kind(), ErrorKind::kExists) << clash.error().message();
  EXPECT_NE(clash.error().message().find(
                "commit: constraint violation: Transaction causes multiple rows in "
                "\"Interface\" table to have identical values (br0)"),
            std::string::npos)
      << clash.error().message();
  EXPECT_EQ(clash.error().message().find('\n'), std::string::npos);
  EXPECT_TRUE(ovs_->client().Echo(2s));
}

TEST_F(OvsTest, EnsureBridgeIsIdempotentAndVisible) {
  Result<bool> before = ovs_->BridgeExists("br0");
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_FALSE(*before);
  MakeBridge();
  MakeBridge();  // --may-exist
  Result<bool> after = ovs_->BridgeExists("br0");
  ASSERT_TRUE(after && *after);
  EXPECT_EQ(Vsctl({"list-br"}), "br0");
  EXPECT_EQ(Vsctl({"get", "bridge", "br0", "datapath_type"}), "netdev");
  EXPECT_EQ(Vsctl({"get", "bridge", "br0", "external_ids:rampart-owner"}), "root-a");
  EXPECT_EQ(Vsctl({"get", "interface", "br0", "ofport"}), "65534") << Logs();
  EXPECT_EQ(Vsctl({"get", "interface", "br0", "type"}), "internal");
  Result<CommandOutput> tap = host_->Run({"ip", "link", "show", "br0"});
  EXPECT_TRUE(Succeeded(tap)) << "vswitchd made no br0 in the test netns: " << Out(tap);

  Status other = ovs_->EnsureBridge("br0", "system", {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind(), ErrorKind::kExists) << other.error().message();
  Status name = ovs_->EnsureBridge("a/b", "netdev", {});
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().kind(), ErrorKind::kInvalid);
}

TEST_F(OvsTest, DeleteBridgeOnlyDeletesOurs) {
  MakeBridge();
  ASSERT_EQ(Vsctl({"add-br", "brf", "--", "set", "bridge", "brf", "datapath_type=netdev"}), "");
  Status foreign = ovs_->DeleteBridge("brf");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().kind(), ErrorKind::kInvalid) << foreign.error().message();
  EXPECT_EQ(Vsctl({"list-br"}), "br0\nbrf");

  Status ours = ovs_->DeleteBridge("br0");
  ASSERT_TRUE(ours) << ours.error().message();
  EXPECT_EQ(Vsctl({"list-br"}), "brf");
  Status again = ovs_->DeleteBridge("br0");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kNotFound);
}

TEST_F(OvsTest, AddPortGivesOfportTagAndExternalIds) {
  MakeBridge();
  Container("vh1", "10.66.0.2/24");
  OvsPortRequest req = Req("vh1", 10);
  req.trunks = {};
  int ofport = AddPortOk(req);
  EXPECT_GT(ofport, 0);
  EXPECT_EQ(Vsctl({"get", "interface", "vh1", "ofport"}), std::to_string(ofport));
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "vh1");
  std::string port = Vsctl({"list", "port", "vh1"});
  EXPECT_NE(port.find("tag                 : 10"), std::string::npos) << port;
  for (const char* want :
       {"rampart-owner=root-a", "rampart-network=ovsnet", "rampart-container=c-vh1"}) {
    EXPECT_NE(port.find(want), std::string::npos) << want << " not in: " << port;
    EXPECT_NE(Vsctl({"get", "interface", "vh1", "external_ids"}).find(want), std::string::npos);
  }

  OvsPortRequest trunk = Req("vh2");
  trunk.trunks = {10, 20};
  Container("vh2", "10.66.0.3/24");
  EXPECT_GT(AddPortOk(trunk), 0);
  EXPECT_EQ(Vsctl({"get", "port", "vh2", "trunks"}), "[10, 20]");

  OvsPortRequest no_owner = Req("vh3");
  no_owner.external_ids.erase(kOvsOwnerKey);
  Result<int> refused = ovs_->AddPort(no_owner, 5s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kInvalid);
  OvsPortRequest nobridge = Req("vh3");
  nobridge.bridge = "nope";
  Result<int> missing = ovs_->AddPort(nobridge, 5s);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound) << missing.error().message();
}

TEST_F(OvsTest, ContainersOnOneBridgePing) {
  MakeBridge();
  TestNetns& a = Container("vh1", "10.66.0.2/24");
  TestNetns& b = Container("vh2", "10.66.0.3/24");
  AddPortOk(Req("vh1"));
  AddPortOk(Req("vh2"));
  std::string seen;
  EXPECT_TRUE(Pings(a, "10.66.0.3", 3, &seen)) << seen << Logs();
  EXPECT_TRUE(Pings(b, "10.66.0.2", 3, &seen)) << seen << Logs();
}

TEST_F(OvsTest, VlanTagsIsolate) {
  MakeBridge();
  TestNetns& a = Container("vh1", "10.66.0.2/24");
  Container("vh2", "10.66.0.3/24");
  TestNetns& c = Container("vh3", "10.66.0.4/24");
  AddPortOk(Req("vh1", 10));
  AddPortOk(Req("vh2", 10));
  AddPortOk(Req("vh3", 20));
  std::string seen;
  EXPECT_TRUE(Pings(a, "10.66.0.3", 3, &seen)) << "tag 10 to tag 10: " << seen << Logs();
  EXPECT_FALSE(Pings(a, "10.66.0.4", 1, &seen)) << "tag 10 reached tag 20: " << seen;
  EXPECT_FALSE(Pings(c, "10.66.0.2", 1, &seen)) << "tag 20 reached tag 10: " << seen;
}

TEST_F(OvsTest, MissingInterfaceReportsVswitchdError) {
  MakeBridge();
  Result<int> r = ovs_->AddPort(Req("nosuch0"), 10s);
  ASSERT_FALSE(r) << "ofport " << *r;
  EXPECT_NE(r.error().message().find(
                "ovs add-port br0 nosuch0: ovs-vswitchd could not attach interface nosuch0 "
                "(ofport -1): could not open network device nosuch0 (No such device)"),
            std::string::npos)
      << r.error().message();
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "") << "the failed port was not rolled back";
}

TEST_F(OvsTest, DeadVswitchdTimesOutClearly) {
  MakeBridge();
  Container("vh1", "10.66.0.2/24");
  Container("vh2", "10.66.0.3/24");
  AddPortOk(Req("vh2"));
  Result<std::string> pid = ReadFile(run_ + "/ovs-vswitchd.pid");
  ASSERT_TRUE(pid) << pid.error().message();
  Result<uint64_t> p = ParseUint64(Trim(*pid));
  ASSERT_TRUE(p) << *pid;
  const pid_t vswitchd = static_cast<pid_t>(*p);
  ASSERT_EQ(::kill(vswitchd, SIGKILL), 0);
  auto running = [&] {
    for (pid_t q : OvsProcessesOf(run_))
      if (q == vswitchd) return true;
    return false;
  };
  for (int i = 0; i < 250 && running(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_FALSE(running()) << "ovs-vswitchd survived SIGKILL";
  Result<int> r = ovs_->AddPort(Req("vh1"), 1000ms);
  ASSERT_FALSE(r) << "ofport " << *r;
  EXPECT_EQ(r.error().message(),
            "ovs add-port br0 vh1: ovs-vswitchd did not apply the change within 1000 ms (is it "
            "running?)");
  EXPECT_EQ(r.error().err(), ETIMEDOUT);
  EXPECT_EQ(Vsctl({"--no-wait", "list-ports", "br0"}), "vh2") << "vh1 was not rolled back";

  Result<Ovs> quick = Ovs::Connect(Remote(), 500ms);  // its calls wait 500 ms
  ASSERT_TRUE(quick) << quick.error().message();
  Status del = quick->DeletePort("vh2");
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().message(),
            "ovs del-port vh2: removed from the database, but ovs-vswitchd did not apply the "
            "change within 500 ms (is it running?)");
  EXPECT_EQ(Vsctl({"--no-wait", "list-ports", "br0"}), "");
}

TEST_F(OvsTest, ForeignPortIsRefusedAndSurvives) {
  MakeBridge();
  Container("vh1", "10.66.0.2/24");
  ASSERT_EQ(Vsctl({"add-port", "br0", "vh1"}), "");
  std::string ofport = Vsctl({"get", "interface", "vh1", "ofport"});

  Result<int> r = ovs_->AddPort(Req("vh1"), 5s);
  ASSERT_FALSE(r) << "ofport " << *r;
  EXPECT_EQ(r.error().kind(), ErrorKind::kExists);
  EXPECT_NE(r.error().message().find("not ours"), std::string::npos) << r.error().message();
  Status del = ovs_->DeletePort("vh1");
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().kind(), ErrorKind::kInvalid) << del.error().message();
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "vh1");
  EXPECT_EQ(Vsctl({"get", "interface", "vh1", "ofport"}), ofport) << "the foreign port was touched";

  // Another rampart owner's port is not ours either.
  Container("vh2", "10.66.0.3/24");
  AddPortOk(Req("vh2", 0, "root-b"));
  Result<int> theirs = ovs_->AddPort(Req("vh2"), 5s);
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().kind(), ErrorKind::kExists) << theirs.error().message();
  EXPECT_EQ(Vsctl({"get", "port", "vh2", "external_ids:rampart-owner"}), "root-b");

  Status forced = ovs_->DeletePort("vh1", /*only_if_ours=*/false);
  ASSERT_TRUE(forced) << forced.error().message();
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "vh2");
  Status absent = ovs_->DeletePort("vh1");
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().kind(), ErrorKind::kNotFound);
}

TEST_F(OvsTest, StalePortOfOursIsReplaced) {
  MakeBridge();
  Container("vh1", "10.66.0.2/24");
  int first = AddPortOk(Req("vh1", 10));
  std::string uuid = Vsctl({"get", "port", "vh1", "_uuid"});
  int second = AddPortOk(Req("vh1", 20));
  EXPECT_GT(first, 0);
  EXPECT_GT(second, 0);
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "vh1");
  EXPECT_EQ(Vsctl({"get", "port", "vh1", "tag"}), "20");
  EXPECT_NE(Vsctl({"get", "port", "vh1", "_uuid"}), uuid) << "not replaced";
  EXPECT_EQ(Vsctl({"get", "interface", "vh1", "ofport"}), std::to_string(second));

  Status del = ovs_->DeletePort("vh1");
  ASSERT_TRUE(del) << del.error().message();
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "");
}

TEST_F(OvsTest, ListOurPortsFiltersByOwner) {
  MakeBridge();
  for (const char* p : {"vh1", "vh2", "vh3", "vh4"})
    Container(p, std::string("10.66.0.") + (p + 2) + "/24");
  AddPortOk(Req("vh1", 10));
  AddPortOk(Req("vh2"));
  AddPortOk(Req("vh3", 0, "root-b"));
  ASSERT_EQ(Vsctl({"add-port", "br0", "vh4"}), "");

  Result<std::vector<OvsPortInfo>> ours = ovs_->ListOurPorts(kOwner);
  ASSERT_TRUE(ours) << ours.error().message();
  ASSERT_EQ(ours->size(), 2u);
  EXPECT_EQ((*ours)[0].name, "vh1");
  EXPECT_EQ((*ours)[0].bridge, "br0");
  EXPECT_EQ((*ours)[0].tag, 10);
  EXPECT_GT((*ours)[0].ofport, 0);
  EXPECT_EQ((*ours)[0].external_ids.at(kOvsContainerKey), "c-vh1");
  EXPECT_EQ((*ours)[1].name, "vh2");
  EXPECT_EQ((*ours)[1].tag, 0);
  EXPECT_EQ((*ours)[1].error, "");

  Result<std::vector<OvsPortInfo>> all = ovs_->ListPorts("br0");
  ASSERT_TRUE(all) << all.error().message();
  std::vector<std::string> names;
  for (const OvsPortInfo& p : *all) names.push_back(p.name + ":" + std::to_string(p.ofport > 0));
  EXPECT_EQ(Join(names, ","), "vh1:1,vh2:1,vh3:1,vh4:1");
  Result<std::vector<OvsPortInfo>> everywhere = ovs_->ListPorts("");
  ASSERT_TRUE(everywhere);
  EXPECT_EQ(everywhere->size(), 4u);
  Result<std::vector<OvsPortInfo>> nope = ovs_->ListPorts("nope");
  ASSERT_FALSE(nope);
  EXPECT_EQ(nope.error().kind(), ErrorKind::kNotFound);

  for (const OvsPortInfo& p : *ours) {
    Status st = ovs_->DeletePort(p.name);
    EXPECT_TRUE(st) << st.error().message();
  }
  Result<std::vector<OvsPortInfo>> left = ovs_->ListOurPorts(kOwner);
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(Vsctl({"list-ports", "br0"}), "vh3\nvh4");
}

}  // namespace
}  // namespace rampart::net
