// net/dnsmasq: the command line, the hosts files, and the pid checks that
// need no root (a pid file naming a process that is not dnsmasq).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "net/dnsmasq.h"

namespace rampart::net {
namespace {

DnsmasqConfig Sample() {
  DnsmasqConfig c;
  c.network = "web";
  c.interface = "rampart0";
  c.listen_address = "10.0.3.1";
  c.range_start = "10.0.3.2";
  c.range_end = "10.0.3.254";
  c.netmask = "255.255.255.0";
  c.domain = "rampart0";
  c.run_dir = "/run/rampart/networks/web";
  c.binary = "/usr/sbin/dnsmasq";
  c.lease_max = 253;
  return c;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- command line -------------------------------------------------------------

TEST(DnsmasqArgvTest, FullNetworkInOrder) {
  const std::vector<std::string> want = {
      "/usr/sbin/dnsmasq",
      "--conf-file=/dev/null",
      "--bind-interfaces",
      "--interface=rampart0",
      "--except-interface=lo",
      "--listen-address=10.0.3.1",
      "--strict-order",
      "--domain-needed",
      "--no-hosts",
      "--addn-hosts=/run/rampart/networks/web/hosts",
      "--pid-file=/run/rampart/networks/web/dnsmasq.pid",
      "--user=nobody",
      "--log-facility=/run/rampart/networks/web/dnsmasq.log",
      "--domain=rampart0",
      "--local=/rampart0/",
      "--expand-hosts",
      "--dhcp-range=10.0.3.2,10.0.3.254,255.255.255.0",
      "--dhcp-leasefile=/run/rampart/networks/web/leases",
      "--dhcp-hostsfile=/run/rampart/networks/web/dhcp-hosts",
      "--dhcp-authoritative",
      "--dhcp-no-override",
      "--dhcp-lease-max=253",
  };
  EXPECT_EQ(DnsmasqArgv(Sample()), want);
}

TEST(DnsmasqArgvTest, DaemonByDefaultForegroundOnRequest) {
  const auto daemon = DnsmasqArgv(Sample());
  EXPECT_FALSE(Contains(daemon, "--keep-in-foreground"));
  const auto fg = DnsmasqArgv(Sample(), DnsmasqMode::kForeground);
  ASSERT_GE(fg.size(), 3u);
  EXPECT_EQ(fg[2], "--keep-in-foreground");
  EXPECT_EQ(fg.size(), daemon.size() + 1);
}

TEST(DnsmasqArgvTest, HermeticConfFileIsOneArgument) {
  // "/dev/null" must never be a separate argument (or a path we write to).
  const auto argv = DnsmasqArgv(Sample());
  EXPECT_TRUE(Contains(argv, "--conf-file=/dev/null"));
  EXPECT_FALSE(Contains(argv, "/dev/null"));
  EXPECT_TRUE(Contains(argv, "--no-hosts"));
  EXPECT_TRUE(Contains(argv, "--domain-needed")) << "plain names never go upstream";
  EXPECT_FALSE(Contains(argv, "--no-resolv")) << "default keeps the host's upstream servers";
}

TEST(DnsmasqArgvTest, DnsOnlyHasNoDhcpOptions) {
  DnsmasqConfig c = Sample();
  c.range_start = c.range_end = c.netmask = "";
  for (const std::string& arg : DnsmasqArgv(c))
    EXPECT_EQ(arg.rfind("--dhcp", 0), std::string::npos) << arg;
}

TEST(DnsmasqArgvTest, DhcpOnlyTurnsDnsOff) {
  DnsmasqConfig c = Sample();
  c.dns = false;
  c.netmask = "";
  c.lease_max = 0;
  const auto argv = DnsmasqArgv(c);
  EXPECT_TRUE(Contains(argv, "--port=0"));
  EXPECT_TRUE(Contains(argv, "--dhcp-range=10.0.3.2,10.0.3.254"));
  for (const std::string& arg : argv)
    EXPECT_EQ(arg.rfind("--dhcp-lease-max", 0), std::string::npos);
}

TEST(DnsmasqArgvTest, ExplicitServersReplaceResolvConf) {
  DnsmasqConfig c = Sample();
  c.servers = {"192.0.2.53", "2001:db8::53"};
  const auto argv = DnsmasqArgv(c);
  EXPECT_TRUE(Contains(argv, "--no-resolv"));
  EXPECT_TRUE(Contains(argv, "--server=192.0.2.53"));
  EXPECT_TRUE(Contains(argv, "--server=2001:db8::53"));
}

TEST(DnsmasqArgvTest, NoDomainNoLocalZone) {
  DnsmasqConfig c = Sample();
  c.domain = "";
  c.binary = "";
  c.user = "dnsmasq";
  const auto argv = DnsmasqArgv(c);
  EXPECT_EQ(argv[0], "dnsmasq");
  EXPECT_TRUE(Contains(argv, "--user=dnsmasq"));
  for (const std::string& arg : argv) {
    EXPECT_EQ(arg.rfind("--domain=", 0), std::string::npos) << arg;
    EXPECT_EQ(arg.rfind("--local", 0), std::string::npos) << arg;
  }
}

// ---- validation ---------------------------------------------------------------

TEST(DnsmasqConfigTest, SampleIsValid) { EXPECT_TRUE(ValidateDnsmasqConfig(Sample())); }

TEST(DnsmasqConfigTest, RejectsBadFieldsByName) {
  struct Case {
    void (*edit)(DnsmasqConfig&);
    const char* field;
  };
  const Case cases[] = {
      {[](DnsmasqConfig& c) { c.listen_address = "10.0.3"; }, "listen_address"},
      {[](DnsmasqConfig& c) { c.interface = "br0,lo"; }, "interface"},
      {[](DnsmasqConfig& c) { c.interface = "a-very-long-interface"; }, "interface"},
      {[](DnsmasqConfig& c) { c.range_end = "x"; }, "range_end"},
      {[](DnsmasqConfig& c) { c.netmask = "255.255.255"; }, "netmask"},
      {[](DnsmasqConfig& c) { c.domain = "bad_domain"; }, "domain"},
      {[](DnsmasqConfig& c) { c.servers = {"8.8.8.8#53"}; }, "server"},
      {[](DnsmasqConfig& c) { c.run_dir = "relative/dir"; }, "run_dir"},
      {[](DnsmasqConfig& c) { c.user = "a,b"; }, "user"},
      {[](DnsmasqConfig& c) {
         c.range_start = c.range_end = c.netmask = "";
         c.dns = false;
       },
       "nothing to serve"},
  };
  for (const Case& k : cases) {
    DnsmasqConfig c = Sample();
    k.edit(c);
    Status s = ValidateDnsmasqConfig(c);
    ASSERT_FALSE(s) << k.field;
    EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
    EXPECT_NE(s.error().message().find(k.field), std::string::npos) << s.error().message();
    EXPECT_EQ(s.error().message().rfind("dnsmasq for network web: ", 0), 0u) << s.error().message();
  }
}

// ---- identity of a running instance -------------------------------------------

TEST(DnsmasqIdentityTest, MatchesOnlyThisNetworksDnsmasq) {
  const DnsmasqConfig c = Sample();
  std::vector<std::string> ours = DnsmasqArgv(c);
  EXPECT_TRUE(IsDnsmasqFor(ours, c));
  ours[0] = "dnsmasq";
  EXPECT_TRUE(IsDnsmasqFor(ours, c));

  DnsmasqConfig other = c;
  other.run_dir = "/run/rampart/networks/db";
  EXPECT_FALSE(IsDnsmasqFor(DnsmasqArgv(other), c)) << "another network's dnsmasq";
  other = c;
  other.interface = "rampart1";
  EXPECT_FALSE(IsDnsmasqFor(DnsmasqArgv(other), c));

  std::vector<std::string> impostor = DnsmasqArgv(c);
  impostor[0] = "/usr/bin/sleep";
  EXPECT_FALSE(IsDnsmasqFor(impostor, c)) << "a reused pid running something else";
  EXPECT_FALSE(IsDnsmasqFor({}, c)) << "a zombie has an empty command line";
}

// ---- binary lookup ------------------------------------------------------------

class DnsmasqFindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-dnsmasq-find-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::unlink((dir_ + "/a/dnsmasq").c_str());
    ::unlink((dir_ + "/b/dnsmasq").c_str());
    ::rmdir((dir_ + "/a").c_str());
    ::rmdir((dir_ + "/b").c_str());
    ::rmdir(dir_.c_str());
  }
  void Put(const std::string& sub, mode_t mode) {
    ASSERT_TRUE(MakeDirs(dir_ + "/" + sub, 0755));
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/" + sub + "/dnsmasq", "#!/bin/sh\n", mode));
  }
  std::string dir_;
};

TEST_F(DnsmasqFindTest, FirstExecutableInOrder) {
  Put("a", 0644);  // not executable: skipped
  Put("b", 0755);
  Result<std::string> found = FindDnsmasq("", {dir_ + "/a", dir_ + "/b"});
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, dir_ + "/b/dnsmasq");
}

TEST_F(DnsmasqFindTest, MissingIsAClearError) {
  Result<std::string> found = FindDnsmasq("", {dir_ + "/none"});
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(found.error().message().rfind("dnsmasq not found (install dnsmasq-base)", 0), 0u)
      << found.error().message();
  found = FindDnsmasq(dir_ + "/none/dnsmasq", {});
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message().find("dnsmasq not found (install dnsmasq-base)"),
            std::string::npos);
}

TEST_F(DnsmasqFindTest, ExplicitPathIsUsedAsIs) {
  Put("a", 0755);
  Result<std::string> found = FindDnsmasq(dir_ + "/a/dnsmasq", {"/nonexistent"});
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, dir_ + "/a/dnsmasq");
}

TEST(DnsmasqSearchDirsTest, EndsWithSbinDirs) {
  std::vector<std::string> dirs = DnsmasqSearchDirs();
  EXPECT_TRUE(Contains(dirs, "/usr/sbin"));
  EXPECT_TRUE(Contains(dirs, "/sbin"));
}

// ---- hosts files ------------------------------------------------------------------

TEST(DnsmasqHostsTest, FileFormats) {
  const DnsmasqConfig c = Sample();
  const std::vector<Reservation> r = {
      {"web", "02:00:0A:00:03:05", "10.0.3.5"},
      {"db", "", "10.0.3.6"},  // static address: DNS name only
  };
  ASSERT_TRUE(ValidateReservations(r));
  EXPECT_EQ(FormatDhcpHosts(c, r),
            "# dhcp-hostsfile of rampart network web (rewritten by rampart)\n"
            "02:00:0a:00:03:05,10.0.3.5,web\n");
  EXPECT_EQ(FormatHosts(c, r),
            "# addn-hosts of rampart network web (rewritten by rampart)\n"
            "10.0.3.5 web web.rampart0\n"
            "10.0.3.6 db db.rampart0\n");
  DnsmasqConfig plain = c;
  plain.domain = "";
  EXPECT_EQ(FormatHosts(plain, r),
            "# addn-hosts of rampart network web (rewritten by rampart)\n"
            "10.0.3.5 web\n"
            "10.0.3.6 db\n");
}

TEST(DnsmasqHostsTest, RejectsBadAndDuplicateReservations) {
  const std::vector<std::vector<Reservation>> bad = {
      {{"web_1", "", "10.0.3.5"}},
      {{"-web", "", "10.0.3.5"}},
      {{"web", "02:00:0a:00:03", "10.0.3.5"}},
      {{"web", "", "10.0.3.256"}},
      {{"web", "", "10.0.3.5"}, {"WEB", "", "10.0.3.6"}},
      {{"a", "02:00:0a:00:03:05", "10.0.3.5"}, {"b", "02:00:0A:00:03:05", "10.0.3.6"}},
      {{"a", "", "10.0.3.5"}, {"b", "", "10.0.3.5"}},
  };
  for (const auto& r : bad) {
    Status s = ValidateReservations(r);
    EXPECT_FALSE(s) << r.back().name << " " << r.back().mac << " " << r.back().ip;
    if (!s) {
      EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
    }
  }
  EXPECT_TRUE(ValidateReservations({}));
}

TEST(DnsmasqProcNetTest, FindsBoundSockets) {
  const std::string udp =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n"
      " 2935: 01004E0A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
      "585243\n"
      " 2949: 00000000:0043 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
      "585240\n";
  EXPECT_TRUE(ProcNetHasSocket(udp, "10.78.0.1", 53, 0x07));
  EXPECT_TRUE(ProcNetHasSocket(udp, "0.0.0.0", 67, 0x07));
  EXPECT_FALSE(ProcNetHasSocket(udp, "10.78.0.2", 53, 0x07));
  EXPECT_FALSE(ProcNetHasSocket(udp, "10.78.0.1", 53, 0x0A));
  EXPECT_FALSE(ProcNetHasSocket(udp, "not-an-ip", 53, 0x07));
}

// ---- files on disk, without a dnsmasq --------------------------------------------

class DnsmasqFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-dnsmasq-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_ = Sample();
    config_.run_dir = dir_ + "/networks/web";
  }
  void TearDown() override {
    for (const char* f : {"hosts", "dhcp-hosts", "dnsmasq.pid", "dnsmasq.lock"})
      ::unlink((config_.run_dir + "/" + f).c_str());
    ::rmdir(config_.run_dir.c_str());
    ::rmdir((dir_ + "/networks").c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
  DnsmasqConfig config_;
};

TEST_F(DnsmasqFilesTest, WriteHostsWritesBothFilesReadableByAll) {
  const std::vector<Reservation> r = {{"web", "02:00:0a:00:03:05", "10.0.3.5"}};
  Status s = WriteHosts(config_, r);
  ASSERT_TRUE(s) << s.error().message();
  const DnsmasqFiles f = DnsmasqFilesFor(config_);
  Result<std::string> dhcp = ReadFile(f.dhcp_hosts);
  Result<std::string> hosts = ReadFile(f.hosts);
  ASSERT_TRUE(dhcp && hosts);
  EXPECT_EQ(*dhcp, FormatDhcpHosts(config_, r));
  EXPECT_EQ(*hosts, FormatHosts(config_, r));
  for (const std::string& p : {f.dhcp_hosts, f.hosts, config_.run_dir}) {
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_mode & 0777, S_ISDIR(st.st_mode) ? 0755u : 0644u) << p;
  }
  Status bad = WriteHosts(config_, {{"web", "", "nope"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("dnsmasq for network web: reservation \"web\""),
            std::string::npos)
      << bad.error().message();
  EXPECT_EQ(*ReadFile(f.hosts), FormatHosts(config_, r))
      << "a rejected write leaves the files alone";
}

TEST_F(DnsmasqFilesTest, NotRunningWithoutPidFile) {
  Result<std::optional<pid_t>> r = Dnsmasq::Running(config_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->has_value());
  Status s = Dnsmasq::Stop(config_);
  EXPECT_TRUE(s) << s.error().message();
}

TEST_F(DnsmasqFilesTest, ReusedPidIsNeverTrustedNorSignalled) {
  // The pid file names this test process, which is not dnsmasq: Running says
  // no, and Stop removes the stale file without signalling us.
  ASSERT_TRUE(MakeDirs(config_.run_dir, 0755));
  const std::string pid_file = DnsmasqFilesFor(config_).pid;
  ASSERT_TRUE(WriteFileAtomic(pid_file, std::to_string(::getpid()) + "\n"));
  Result<std::optional<pid_t>> r = Dnsmasq::Running(config_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->has_value());
  Status s = Dnsmasq::Stop(config_);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_NE(::access(pid_file.c_str(), F_OK), 0);

  ASSERT_TRUE(WriteFileAtomic(pid_file, "garbage\n"));
  r = Dnsmasq::Running(config_);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value()) << "a corrupt pid file is stale state";
}

}  // namespace
}  // namespace rampart::net
