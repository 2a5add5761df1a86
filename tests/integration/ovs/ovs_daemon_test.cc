// net/ovs_daemon against the real ovsdb-server and ovs-vswitchd (root).
// Every daemon runs inside a private test-host network namespace
// (netns_harness.h): OvsDaemon is called from a thread that joined it, so
// ovs-vswitchd's netdev datapath makes its tap devices there. Each test has
// its own temporary directory (the run dir is DIR/run) and a guard that
// kills whatever names that directory, whatever the test's outcome.
#include "net/ovs_daemon.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "tests/integration/net/netns_harness.h"

namespace rampart::net {
namespace {

using rampart::testing_support::Out;
using rampart::testing_support::Succeeded;
bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  return rampart::testing_support::WaitFor(cond, timeout);
}

using rampart::testing_support::TestNetns;
using std::chrono::milliseconds;


std::string Tail(const std::string& path, size_t max = 2000) {
  Result<std::string> text = ReadFile(path);
  if (!text) return "(" + text.error().message() + ")";
  return text->size() > max ? "..." + text->substr(text->size() - max) : *text;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> Cmdline(pid_t pid) {
  Result<std::string> text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text || text->empty()) return {};
  if (text->back() == '\0') text->pop_back();
  return Split(*text, '\0');
}

bool Alive(pid_t pid) {
  Result<std::string> stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z';
}

// Live OVS daemons (argv[0] ovsdb-server or ovs-vswitchd) whose command
// line mentions `needle` anywhere. Independent of OvsDaemon's own identity
// check on purpose.
std::vector<pid_t> OvsProcessesNaming(const std::string& needle) {
  return rampart::testing_support::LiveProcesses({"ovsdb-server", "ovs-vswitchd"}, needle);
}

std::string Describe(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t pid : pids) out += "\n  pid " + std::to_string(pid) + ": " + Join(Cmdline(pid), " ");
  return out.empty() ? " none" : out;
}

// Kills (SIGKILL) every OVS daemon naming `dir`, by the pid files and by
// scanning /proc, then removes `dir`. Runs even when a test failed.
struct KillGuard {
  std::string dir;
  ~KillGuard() {
    if (dir.empty()) return;
    for (const char* name : {"ovsdb-server", "ovs-vswitchd"}) {
      Result<std::string> text = ReadFile(dir + "/run/" + name + ".pid");
      Result<uint64_t> pid =
          text ? ParseUint64(Trim(*text)) : Result<uint64_t>(Error::Internal(""));
      if (!pid) continue;
      const std::vector<std::string> args = Cmdline(static_cast<pid_t>(*pid));
      if (std::any_of(args.begin(), args.end(),
                      [&](const std::string& a) { return a.find(dir) != std::string::npos; }))
        ::kill(static_cast<pid_t>(*pid), SIGKILL);
    }
    for (pid_t pid : OvsProcessesNaming(dir)) ::kill(pid, SIGKILL);
    WaitFor([&] { return OvsProcessesNaming(dir).empty(); }, milliseconds(5000));
    (void)RunCommand({"rm", "-rf", "--", dir});
  }
};

class OvsDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    for (const char* tool :
         {"ip", "nsenter", "ovs-vsctl", "ovsdb-server", "ovs-vswitchd", "ovsdb-tool"}) {
      Result<CommandOutput> r =
          RunCommand({"sh", "-c", std::string("PATH=$PATH:/usr/sbin:/sbin command -v ") + tool});
      if (!Succeeded(r)) Missing(std::string(tool) + " (openvswitch-switch, iproute2, util-linux)");
    }
    if (IsSkipped() || HasFatalFailure()) return;

    char tmpl[] = "/tmp/rampart-ovsd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr) << "mkdtemp: " << std::strerror(errno);
    guard_.dir = tmpl;
    config_.run_dir = guard_.dir + "/run";  // Start creates it

    Result<TestNetns> ns = TestNetns::Create();
    ASSERT_TRUE(ns) << ns.error().message();
    ns_.emplace(std::move(*ns));
  }

  void Missing(const std::string& what) {
    const char* must = ::getenv("RAMPART_TESTS_MUST_RUN");
    if (must != nullptr && std::string(must) == "1")
      FAIL() << "missing " << what << " (MUST_RUN=1)";
    GTEST_SKIP() << "missing " << what;
  }

  // OvsDaemon calls made from a thread inside the test netns.
  template <typename T>
  T InNs(const std::function<T()>& fn) {
    std::optional<T> out;
    int err = ns_->InNs([&] { out.emplace(fn()); });
    if (err != 0) return T(Error::FromErrno(err, "setns into the test netns"));
    return std::move(*out);
  }
  rampart::Status Start() {
    return InNs<rampart::Status>([&] { return OvsDaemon::Start(config_); });
  }
  rampart::Status Stop() {
    return InNs<rampart::Status>([&] { return OvsDaemon::Stop(config_); });
  }
  rampart::Status Restart() {
    return InNs<rampart::Status>([&] { return OvsDaemon::RestartVswitchd(config_); });
  }
  OvsDaemonStatus State() {
    Result<OvsDaemonStatus> s = OvsDaemon::Status(config_);
    EXPECT_TRUE(s) << s.error().message();
    return s ? *s : OvsDaemonStatus{};
  }

  std::string Run(const std::string& f) const { return config_.run_dir + "/" + f; }
  std::string Logs() const {
    return "\n--- ovsdb-server.log ---\n" + Tail(Run("ovsdb-server.log")) +
           "\n--- ovs-vswitchd.log ---\n" + Tail(Run("ovs-vswitchd.log"));
  }

  Result<CommandOutput> Vsctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {"ovs-vsctl", "--timeout=20", "--db=" + OvsDaemon::Remote(config_)});
    return ns_->Run(args);
  }
  void AddBridge() const {
    Result<CommandOutput> r =
        Vsctl({"add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev"});
    ASSERT_TRUE(Succeeded(r)) << "ovs-vsctl add-br br0: " << Out(r) << Logs();
  }
  bool LinkInNs(const std::string& name) const {
    return Succeeded(ns_->Run({"ip", "link", "show", name}));
  }
  // The running ovs-vswitchd has br0 in its netdev datapath. (Its tap device
  // alone proves nothing: OVS makes it persistent, so it outlives the daemon.)
  Result<CommandOutput> Dpif() const {
    return RunCommand({"ovs-appctl", "--timeout=10", "-t", Run("ovs-vswitchd.ctl"), "dpif/show"});
  }
  bool ServesBr0() const {
    Result<CommandOutput> r = Dpif();
    return Succeeded(r) && r->out.find("br0 65534") != std::string::npos;
  }

  // Processes of this test's run dir, and files that must not survive Stop.
  std::vector<pid_t> Daemons() const { return OvsProcessesNaming(config_.run_dir); }
  std::vector<std::string> LeftoverFiles() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(config_.run_dir.c_str());
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      struct stat st {};
      if (::lstat(Run(name).c_str(), &st) != 0) continue;
      const bool pid = name.size() > 4 && name.compare(name.size() - 4, 4, ".pid") == 0;
      if (S_ISSOCK(st.st_mode) || pid) out.push_back(name);
    }
    ::closedir(d);
    return out;
  }

  // The daemon `pid` runs in the test netns, not ours.
  bool InTestNetns(pid_t pid) const {
    struct stat mine {
    }, theirs{};
    if (::fstat(ns_->fd(), &mine) != 0) return false;
    if (::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &theirs) != 0) return false;
    return mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev;
  }

  // Declared first: destroyed last, after everything else is gone.
  KillGuard guard_;
  std::optional<TestNetns> ns_;
  OvsDaemonConfig config_;
};

TEST_F(OvsDaemonTest, StartCreatesDbAndBothDaemonsInTheCallersNetns) {
  rampart::Status s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  EXPECT_TRUE(Exists(Run("conf.db")));
  EXPECT_EQ(OvsDaemon::Remote(config_), "unix:" + Run("db.sock"));

  OvsDaemonStatus st = State();
  ASSERT_TRUE(st.ovsdb_server.has_value()) << Logs();
  ASSERT_TRUE(st.ovs_vswitchd.has_value()) << Logs();
  EXPECT_EQ(st.remote, "unix:" + Run("db.sock"));
  EXPECT_TRUE(InTestNetns(*st.ovsdb_server)) << "ovsdb-server pid " << *st.ovsdb_server;
  EXPECT_TRUE(InTestNetns(*st.ovs_vswitchd)) << "ovs-vswitchd pid " << *st.ovs_vswitchd;
  struct stat dir {};
  ASSERT_EQ(::stat(config_.run_dir.c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 07777, 0755u);

  Result<CommandOutput> show = Vsctl({"show"});
  EXPECT_TRUE(Succeeded(show)) << Out(show) << Logs();

  ASSERT_NO_FATAL_FAILURE(AddBridge());
  Result<CommandOutput> link = ns_->Run({"ip", "-d", "link", "show", "br0"});
  EXPECT_TRUE(Succeeded(link) && link->out.find("tap") != std::string::npos)
      << "br0 tap device not in the test netns: " << Out(link) << Logs();
  EXPECT_TRUE(ServesBr0()) << Out(Dpif());

  // Idempotent: a second Start keeps the same daemons.
  s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  OvsDaemonStatus again = State();
  EXPECT_EQ(again.ovsdb_server, st.ovsdb_server);
  EXPECT_EQ(again.ovs_vswitchd, st.ovs_vswitchd);
  EXPECT_EQ(Daemons().size(), 2u) << Describe(Daemons());

  s = Stop();
  EXPECT_TRUE(s) << s.error().message() << Logs();
}

TEST_F(OvsDaemonTest, StopLeavesNothingRunningKeepsDbAndStartReusesIt) {
  rampart::Status s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  ASSERT_NO_FATAL_FAILURE(AddBridge());

  s = Stop();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  EXPECT_TRUE(Daemons().empty()) << "still running:" << Describe(Daemons()) << Logs();
  EXPECT_TRUE(LeftoverFiles().empty()) << "left behind: " << Join(LeftoverFiles(), " ");
  EXPECT_TRUE(Exists(Run("conf.db")));
  OvsDaemonStatus st = State();
  EXPECT_FALSE(st.ovsdb_server.has_value());
  EXPECT_FALSE(st.ovs_vswitchd.has_value());
  EXPECT_FALSE(ServesBr0()) << "ovs-vswitchd's control socket still answers";

  s = Stop();  // nothing running: still fine
  EXPECT_TRUE(s) << s.error().message();

  s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  Result<CommandOutput> list = Vsctl({"list-br"});
  ASSERT_TRUE(Succeeded(list)) << Out(list) << Logs();
  EXPECT_EQ(Trim(list->out), "br0") << Out(list);
  EXPECT_TRUE(WaitFor([&] { return ServesBr0(); }))
      << "br0 did not come back: " << Out(Dpif()) << Logs();
  EXPECT_TRUE(LinkInNs("br0")) << Out(ns_->Run({"ip", "link"}));

  s = Stop();
  EXPECT_TRUE(s) << s.error().message() << Logs();
  EXPECT_TRUE(Daemons().empty()) << "still running:" << Describe(Daemons());
}

TEST_F(OvsDaemonTest, KilledVswitchdComesBackWithRestartVswitchd) {
  rampart::Status s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  ASSERT_NO_FATAL_FAILURE(AddBridge());
  ASSERT_TRUE(WaitFor([&] { return ServesBr0(); })) << Out(Dpif()) << Logs();
  const OvsDaemonStatus before = State();
  ASSERT_TRUE(before.ovs_vswitchd && before.ovsdb_server);

  ASSERT_EQ(::kill(*before.ovs_vswitchd, SIGKILL), 0);
  EXPECT_TRUE(WaitFor([&] { return !State().ovs_vswitchd.has_value(); }))
      << "Status still reports ovs-vswitchd pid " << *before.ovs_vswitchd;
  EXPECT_EQ(State().ovsdb_server, before.ovsdb_server);
  EXPECT_FALSE(ServesBr0()) << "a killed ovs-vswitchd still answers";

  s = Restart();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  const OvsDaemonStatus after = State();
  ASSERT_TRUE(after.ovs_vswitchd.has_value()) << Logs();
  EXPECT_NE(after.ovs_vswitchd, before.ovs_vswitchd);
  EXPECT_EQ(after.ovsdb_server, before.ovsdb_server);
  EXPECT_TRUE(InTestNetns(*after.ovs_vswitchd));
  EXPECT_TRUE(WaitFor([&] { return ServesBr0(); }))
      << "br0 did not come back: " << Out(Dpif()) << Logs();
  EXPECT_TRUE(LinkInNs("br0")) << Out(ns_->Run({"ip", "link"}));

  // Restarting a running vswitchd replaces it.
  s = Restart();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  EXPECT_NE(State().ovs_vswitchd, after.ovs_vswitchd);
  EXPECT_FALSE(Alive(*after.ovs_vswitchd));
  EXPECT_EQ(Daemons().size(), 2u) << Describe(Daemons());

  s = Stop();
  EXPECT_TRUE(s) << s.error().message() << Logs();
  EXPECT_TRUE(Daemons().empty()) << "still running:" << Describe(Daemons());
}

TEST_F(OvsDaemonTest, RestartVswitchdWithoutOvsdbServerIsNotFound) {
  rampart::Status s = Restart();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kNotFound) << s.error().message();
  EXPECT_NE(s.error().message().find("ovsdb-server is not running"), std::string::npos)
      << s.error().message();
  EXPECT_TRUE(Daemons().empty()) << Describe(Daemons());
}

TEST_F(OvsDaemonTest, MissingBinariesGiveAClearErrorAndStartNothing) {
  const std::string empty = guard_.dir + "/empty-bin";
  ASSERT_EQ(::mkdir(empty.c_str(), 0755), 0);
  config_.bin_dir = empty;
  rampart::Status s = Start();
  ASSERT_FALSE(s) << "Start succeeded without binaries";
  EXPECT_EQ(s.error().kind(), ErrorKind::kNotFound) << s.error().message();
  EXPECT_NE(s.error().message().find("not found (install openvswitch-switch)"), std::string::npos)
      << s.error().message();
  EXPECT_NE(s.error().message().find(empty), std::string::npos) << s.error().message();
  EXPECT_TRUE(Daemons().empty()) << Describe(Daemons());
  EXPECT_FALSE(Exists(config_.run_dir)) << "run dir created although nothing can start";
  s = Restart();
  EXPECT_FALSE(s);
  EXPECT_TRUE(Daemons().empty()) << Describe(Daemons());
}

TEST_F(OvsDaemonTest, PidFilesNamingUnrelatedProcessesAreNeverSignalled) {
  ASSERT_EQ(::mkdir(config_.run_dir.c_str(), 0755), 0);
  SpawnOptions sleep_options;
  sleep_options.argv = {"sleep", "600"};
  Result<ScopedChild> sleeper = Spawn(sleep_options);
  ASSERT_TRUE(sleeper) << sleeper.error().message();
  const pid_t self = ::getpid(), other = sleeper->pid();
  ASSERT_TRUE(WriteFileAtomic(Run("ovsdb-server.pid"), std::to_string(self) + "\n"));
  ASSERT_TRUE(WriteFileAtomic(Run("ovs-vswitchd.pid"), std::to_string(other) + "\n"));

  OvsDaemonStatus st = State();
  EXPECT_FALSE(st.ovsdb_server.has_value()) << "our own pid taken for ovsdb-server";
  EXPECT_FALSE(st.ovs_vswitchd.has_value()) << "a sleep taken for ovs-vswitchd";

  rampart::Status s = Stop();
  EXPECT_TRUE(s) << s.error().message();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(Alive(other)) << "Stop signalled the unrelated pid " << other;
  EXPECT_FALSE(Exists(Run("ovs-vswitchd.pid"))) << "stale pid file kept";

  ASSERT_TRUE(WriteFileAtomic(Run("ovsdb-server.pid"), std::to_string(other) + "\n"));
  ASSERT_TRUE(WriteFileAtomic(Run("ovs-vswitchd.pid"), std::to_string(self) + "\n"));
  s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  st = State();
  ASSERT_TRUE(st.ovsdb_server && st.ovs_vswitchd) << Logs();
  EXPECT_NE(*st.ovsdb_server, other);
  EXPECT_NE(*st.ovs_vswitchd, self);
  s = Stop();
  EXPECT_TRUE(s) << s.error().message() << Logs();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(Alive(other)) << "the unrelated pid " << other << " was signalled";
  EXPECT_TRUE(Daemons().empty()) << Describe(Daemons());
}

TEST_F(OvsDaemonTest, ForeignOvsdbServerOnTheSocketIsRefused) {
  // An ovsdb-server rampart did not start (its own db and pid file) serving
  // RUN/db.sock.
  ASSERT_EQ(::mkdir(config_.run_dir.c_str(), 0755), 0);
  const std::string db = guard_.dir + "/foreign.db";
  Result<CommandOutput> r =
      RunCommand({"ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema"});
  ASSERT_TRUE(Succeeded(r)) << Out(r);
  const std::string d = guard_.dir;
  r = ns_->Run({"env", "OVS_RUNDIR=" + d, "OVS_DBDIR=" + d, "OVS_LOGDIR=" + d, "ovsdb-server", db,
                "--remote=punix:" + Run("db.sock"), "--pidfile=" + d + "/foreign.pid",
                "--unixctl=" + d + "/foreign.ctl", "--log-file=" + d + "/foreign.log", "--detach"});
  ASSERT_TRUE(Succeeded(r)) << Out(r);
  const std::vector<pid_t> foreign = OvsProcessesNaming(d + "/foreign.pid");
  ASSERT_EQ(foreign.size(), 1u) << Describe(foreign);

  rampart::Status s = Start();
  ASSERT_FALSE(s) << "Start accepted a foreign ovsdb-server";
  EXPECT_EQ(s.error().kind(), ErrorKind::kExists) << s.error().message();
  EXPECT_NE(s.error().message().find(Run("db.sock")), std::string::npos) << s.error().message();
  EXPECT_TRUE(Alive(foreign[0])) << "the foreign ovsdb-server was stopped";
  OvsDaemonStatus st = State();
  EXPECT_FALSE(st.ovsdb_server.has_value());
  EXPECT_FALSE(st.ovs_vswitchd.has_value());
  EXPECT_EQ(Daemons(), foreign) << Describe(Daemons());

  s = Stop();  // nothing of ours: fine, and the foreign socket stays
  EXPECT_TRUE(s) << s.error().message();
  EXPECT_TRUE(Alive(foreign[0]));
  EXPECT_TRUE(Exists(Run("db.sock")));
}

TEST_F(OvsDaemonTest, CorruptDbFailsStartWithTheCause) {
  ASSERT_EQ(::mkdir(config_.run_dir.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(Run("conf.db"), "this is not an OVSDB database\n"));
  rampart::Status s = Start();
  ASSERT_FALSE(s) << "Start accepted a corrupt conf.db";
  EXPECT_NE(s.error().message().find(Run("conf.db")), std::string::npos) << s.error().message();
  EXPECT_TRUE(Daemons().empty()) << Describe(Daemons());
  EXPECT_TRUE(LeftoverFiles().empty()) << Join(LeftoverFiles(), " ");
}

// ovsdb-server starts, ovs-vswitchd fails: the error carries vswitchd's
// output and the ovsdb-server this Start launched is stopped again.
TEST_F(OvsDaemonTest, VswitchdThatFailsToStartRollsBackOvsdbServer) {
  const std::string bin = guard_.dir + "/bin";
  ASSERT_EQ(::mkdir(bin.c_str(), 0755), 0);
  for (const char* tool : {"ovsdb-server", "ovsdb-tool"}) {
    Result<CommandOutput> where =
        RunCommand({"sh", "-c", std::string("PATH=$PATH:/usr/sbin:/sbin command -v ") + tool});
    ASSERT_TRUE(Succeeded(where)) << Out(where);
    ASSERT_EQ(::symlink(std::string(Trim(where->out)).c_str(), (bin + "/" + tool).c_str()), 0);
  }
  ASSERT_TRUE(WriteFileAtomic(bin + "/ovs-vswitchd",
                              "#!/bin/sh\necho 'ovs-vswitchd: boom: cannot start' >&2\nexit 1\n",
                              0755));
  config_.bin_dir = bin;
  rampart::Status s = Start();
  ASSERT_FALSE(s) << "Start succeeded with a broken ovs-vswitchd";
  EXPECT_NE(s.error().message().find("ovs-vswitchd exited with status 1"), std::string::npos)
      << s.error().message();
  EXPECT_NE(s.error().message().find("boom: cannot start"), std::string::npos)
      << s.error().message();
  EXPECT_TRUE(Daemons().empty()) << "left running:" << Describe(Daemons()) << Logs();
  EXPECT_TRUE(LeftoverFiles().empty()) << Join(LeftoverFiles(), " ");
  EXPECT_TRUE(Exists(Run("conf.db")));
}

// A schema whose version changed: Start converts conf.db (bridges kept).
TEST_F(OvsDaemonTest, ChangedSchemaConvertsTheDb) {
  rampart::Status s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  ASSERT_NO_FATAL_FAILURE(AddBridge());
  s = Stop();
  ASSERT_TRUE(s) << s.error().message() << Logs();

  Result<std::string> schema = ReadFile("/usr/share/openvswitch/vswitch.ovsschema");
  ASSERT_TRUE(schema) << schema.error().message();
  const size_t at = schema->find("\"version\": \"");
  ASSERT_NE(at, std::string::npos);
  const size_t begin = at + 12, end = schema->find('"', begin);
  schema->replace(begin, end - begin, "99.0.0");
  config_.schema = guard_.dir + "/vswitch-99.ovsschema";
  ASSERT_TRUE(WriteFileAtomic(config_.schema, *schema));

  s = Start();
  ASSERT_TRUE(s) << s.error().message() << Logs();
  Result<CommandOutput> version = RunCommand({"ovsdb-tool", "db-version", Run("conf.db")});
  EXPECT_TRUE(Succeeded(version)) << Out(version);
  if (version) {
    EXPECT_EQ(Trim(version->out), "99.0.0") << Out(version);
  }
  Result<CommandOutput> list = Vsctl({"list-br"});
  EXPECT_TRUE(Succeeded(list)) << Out(list) << Logs();
  if (list) {
    EXPECT_EQ(Trim(list->out), "br0") << Out(list);
  }
  s = Stop();
  EXPECT_TRUE(s) << s.error().message() << Logs();
}

}  // namespace
}  // namespace rampart::net
