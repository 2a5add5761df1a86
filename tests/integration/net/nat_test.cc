// net/nat against real kernel nftables, entirely inside private network
// namespaces (nftables rulesets are per netns; the machine's own network and
// ruleset are never touched). The `nft` CLI, run in the test namespace, is
// the independent oracle; real TCP connections prove what the rules do.
//
// Topology (all built with `ip`):
//   container ns  eth0 10.79.0.2/24, default via 10.79.0.1
//        │ veth
//   bridge host   br0 10.79.0.1/24 (port vc0) ── vo0 10.80.0.1/24, ip_forward=1
//        │ veth
//   outside ns    eth0 10.80.0.2/24, route 10.79.0.0/24 via 10.80.0.1 (so that
//                 without NAT the container's own address is seen, not a timeout)
#include "net/nat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/spawn.h"
#include "base/unique_fd.h"
#include "tests/integration/net/netns_harness.h"

namespace rampart::net {
namespace {

using testing_support::TestNetns;

constexpr int kConnectTimeoutMs = 3000;

// Runs argv inside `ns`; its stdout, or an error carrying the exit code and stderr.
Result<std::string> Sh(const TestNetns& ns, const std::vector<std::string>& argv) {
  RAMPART_ASSIGN_OR_RETURN(CommandOutput out, ns.Run(argv));
  const int code = ExitCodeFromWaitStatus(out.status);
  if (code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    return Error::Invalid(cmd + ": exit " + std::to_string(code) + ": " + out.err);
  }
  return out.out;
}

bool HaveNftCli() {
  auto r = RunCommand({"nft", "--version"});
  return r.has_value() && ExitCodeFromWaitStatus(r->status) == 0;
}

// A TCP socket created inside `ns` (a socket keeps the netns it was made in,
// so it can be used from any thread afterwards).
Result<UniqueFd> TcpSocketIn(const TestNetns& ns) {
  int fd = -1;
  int err = 0;
  const int setns_err = ns.InNs([&] {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) err = errno;
  });
  if (setns_err != 0) return Error::FromErrno(setns_err, "setns");
  if (fd < 0) return Error::FromErrno(err, "socket");
  return UniqueFd(fd);
}

sockaddr_in Addr(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

std::string Show(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof(buf));
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

std::string IpOf(const std::string& ip_port) { return ip_port.substr(0, ip_port.find(':')); }

Result<UniqueFd> ListenIn(const TestNetns& ns, uint16_t port) {
  RAMPART_ASSIGN_OR_RETURN(UniqueFd fd, TcpSocketIn(ns));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a = Addr("0.0.0.0", port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    return Error::FromErrno(errno, "bind port " + std::to_string(port));
  }
  if (::listen(fd.get(), 8) != 0) return Error::FromErrno(errno, "listen");
  return fd;
}

struct Seen {
  std::string peer;   // the client address as the server saw it, "ip:port"
  std::string local;  // the address the server accepted on
};

// Connects from `client_ns` to ip:port and accepts on `server`: what the server saw.
Result<Seen> ConnectAndAccept(const TestNetns& client_ns, const std::string& ip, uint16_t port,
                              int server) {
  const std::string what = "connect to " + ip + ":" + std::to_string(port);
  RAMPART_ASSIGN_OR_RETURN(UniqueFd c, TcpSocketIn(client_ns));
  sockaddr_in dst = Addr(ip, port);
  if (::connect(c.get(), reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0 &&
      errno != EINPROGRESS) {
    return Error::FromErrno(errno, what);
  }
  pollfd p{c.get(), POLLOUT, 0};
  const int n = ::poll(&p, 1, kConnectTimeoutMs);
  if (n == 0) return Error::FromErrno(ETIMEDOUT, what);
  int soerr = 0;
  socklen_t len = sizeof(soerr);
  ::getsockopt(c.get(), SOL_SOCKET, SO_ERROR, &soerr, &len);
  if (soerr != 0) return Error::FromErrno(soerr, what);

  pollfd s{server, POLLIN, 0};
  if (::poll(&s, 1, kConnectTimeoutMs) != 1) {
    return Error::FromErrno(ETIMEDOUT, what + ": connected, but the server saw nothing");
  }
  sockaddr_in peer{}, local{};
  socklen_t plen = sizeof(peer), llen = sizeof(local);
  UniqueFd a(::accept4(server, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_CLOEXEC));
  if (!a) return Error::FromErrno(errno, what + ": accept");
  ::getsockname(a.get(), reinterpret_cast<sockaddr*>(&local), &llen);
  return Seen{Show(peer), Show(local)};
}

std::string Describe(const Result<Seen>& r) {
  return r.has_value() ? "peer " + r->peer + " local " + r->local : "error: " + r.error().message();
}

NatConfig TestNet() {
  NatConfig c;
  c.network = "t";
  c.bridge = "br0";
  c.subnet = "10.79.0.0/24";
  c.gateway = "10.79.0.1";
  return c;
}

PortForward WebForward() {
  PortForward f;
  f.container = "web";
  f.proto = "tcp";
  f.host_port = 8080;
  f.container_port = 80;
  f.container_ip = "10.79.0.2";
  return f;
}

// Opens an Nft bound to `ns` (libnftables binds to the opening thread's netns);
// the handle is then used from the test thread.
Result<Nft> OpenNftIn(const TestNetns& ns) {
  std::optional<Result<Nft>> r;
  const int err = ns.InNs([&] { r.emplace(Nft::Open()); });
  if (err != 0) return Error::FromErrno(err, "setns");
  return std::move(*r);
}

Status EnableIpForwardingIn(const TestNetns& ns) {
  Status st;
  const int err = ns.InNs([&] { st = EnableIpForwarding(); });
  if (err != 0) return Error::FromErrno(err, "setns");
  return st;
}

#define ASSERT_OK(expr)                                                                   \
  do {                                                                                    \
    auto&& ok_result_ = (expr);                                                           \
    ASSERT_TRUE(ok_result_.has_value()) << #expr << ": " << ok_result_.error().message(); \
  } while (0)

class NatNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    if (!HaveNftCli()) {
      const char* must = getenv("RAMPART_TESTS_MUST_RUN");
      if (must && std::string(must) == "1") FAIL() << "needs the nft CLI as oracle (MUST_RUN=1)";
      GTEST_SKIP() << "needs the nft CLI (package nftables) as the test oracle";
    }
    for (auto* ns : {&host_, &ctr_, &out_}) {
      auto r = TestNetns::Create();
      ASSERT_TRUE(r.has_value()) << r.error().message();
      ns->emplace(std::move(*r));
    }
    const std::vector<std::pair<const TestNetns*, std::vector<std::string>>> steps = {
        {&*host_, {"ip", "link", "add", "br0", "type", "bridge"}},
        {&*host_, {"ip", "addr", "add", "10.79.0.1/24", "dev", "br0"}},
        {&*host_, {"ip", "link", "set", "br0", "up"}},
        {&*host_,
         {"ip", "link", "add", "vc0", "type", "veth", "peer", "name", "eth0", "netns",
          ctr_->Path()}},
        {&*host_, {"ip", "link", "set", "vc0", "master", "br0", "up"}},
        // A container reaching its own published port needs its bridge port in
        // hairpin mode where br_netfilter is loaded (as on this machine): the
        // DNATed frame is bridged back out the port it came in on.
        {&*host_, {"ip", "link", "set", "vc0", "type", "bridge_slave", "hairpin", "on"}},
        {&*host_,
         {"ip", "link", "add", "vo0", "type", "veth", "peer", "name", "eth0", "netns",
          out_->Path()}},
        {&*host_, {"ip", "addr", "add", "10.80.0.1/24", "dev", "vo0"}},
        {&*host_, {"ip", "link", "set", "vo0", "up"}},
        {&*ctr_, {"ip", "addr", "add", "10.79.0.2/24", "dev", "eth0"}},
        {&*ctr_, {"ip", "link", "set", "eth0", "up"}},
        {&*ctr_, {"ip", "route", "add", "default", "via", "10.79.0.1"}},
        {&*out_, {"ip", "addr", "add", "10.80.0.2/24", "dev", "eth0"}},
        {&*out_, {"ip", "link", "set", "eth0", "up"}},
        {&*out_, {"ip", "route", "add", "10.79.0.0/24", "via", "10.80.0.1"}},
    };
    for (const auto& [ns, argv] : steps) ASSERT_OK(Sh(*ns, argv));
    ASSERT_OK(EnableIpForwardingIn(*host_));
    auto nft = OpenNftIn(*host_);
    ASSERT_TRUE(nft.has_value()) << nft.error().message();
    nft_.emplace(std::move(*nft));
  }

  // Namespaces (and with them every link, address and nft table the test made)
  // go away when the fds close, however the test ended; nft_ first.
  void TearDown() override { nft_.reset(); }

  std::string Oracle(const std::vector<std::string>& nft_args) {
    std::vector<std::string> argv = {"nft"};
    argv.insert(argv.end(), nft_args.begin(), nft_args.end());
    auto r = Sh(*host_, argv);
    return r.has_value() ? *r : "ORACLE FAILED: " + r.error().message();
  }

  std::optional<TestNetns> host_, ctr_, out_;
  std::optional<Nft> nft_;
};

TEST_F(NatNetnsTest, MasqueradeHidesTheContainerAddressFromOutside) {
  auto server = ListenIn(*out_, 9000);
  ASSERT_OK(server);

  auto plain = ConnectAndAccept(*ctr_, "10.80.0.2", 9000, server->get());
  ASSERT_TRUE(plain.has_value()) << Describe(plain);
  EXPECT_EQ(IpOf(plain->peer), "10.79.0.2") << "without the table: " << Describe(plain);

  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {}));
  const std::string ruleset = Oracle({"list", "ruleset"});
  EXPECT_NE(ruleset.find("table inet rampart_t"), std::string::npos) << ruleset;
  EXPECT_NE(ruleset.find("ip saddr 10.79.0.0/24 ip daddr != 10.79.0.0/24 masquerade"),
            std::string::npos)
      << ruleset;

  auto masq = ConnectAndAccept(*ctr_, "10.80.0.2", 9000, server->get());
  ASSERT_TRUE(masq.has_value()) << Describe(masq);
  EXPECT_EQ(IpOf(masq->peer), "10.80.0.1") << "with the table: " << Describe(masq);

  ASSERT_OK(nft_->RemoveNetwork("t"));
  auto again = ConnectAndAccept(*ctr_, "10.80.0.2", 9000, server->get());
  ASSERT_TRUE(again.has_value()) << Describe(again);
  EXPECT_EQ(IpOf(again->peer), "10.79.0.2") << "after RemoveNetwork: " << Describe(again);
}

TEST_F(NatNetnsTest, PublishedPortReachesTheContainerFromOutsideTheHostAndItself) {
  auto server = ListenIn(*ctr_, 80);
  ASSERT_OK(server);

  auto before = ConnectAndAccept(*out_, "10.80.0.1", 8080, server->get());
  EXPECT_FALSE(before.has_value())
      << "reached the container before any forward: " << Describe(before);

  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {WebForward()}));
  const std::string ruleset = Oracle({"list", "ruleset"});
  EXPECT_NE(ruleset.find("dnat ip to 10.79.0.2:80 comment \"rampart:web\""), std::string::npos)
      << ruleset;
  EXPECT_NE(ruleset.find("tcp dport 80 ct status dnat accept comment \"rampart:web\""),
            std::string::npos)
      << ruleset;

  auto outside = ConnectAndAccept(*out_, "10.80.0.1", 8080, server->get());
  ASSERT_TRUE(outside.has_value()) << Describe(outside);
  EXPECT_EQ(IpOf(outside->peer), "10.80.0.2") << Describe(outside);
  EXPECT_EQ(outside->local, "10.79.0.2:80") << Describe(outside);

  // The host itself, to its own address (the output chain).
  auto local = ConnectAndAccept(*host_, "10.80.0.1", 8080, server->get());
  ASSERT_TRUE(local.has_value()) << Describe(local);
  EXPECT_EQ(local->local, "10.79.0.2:80") << Describe(local);

  // The container to its own published port through the host (hairpin): the
  // reply must come back through the host, so the source is masqueraded.
  auto hairpin = ConnectAndAccept(*ctr_, "10.80.0.1", 8080, server->get());
  ASSERT_TRUE(hairpin.has_value()) << Describe(hairpin);
  EXPECT_EQ(IpOf(hairpin->peer), "10.79.0.1") << Describe(hairpin);

  // The caller re-applies with the updated list: the forward is gone.
  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {}));
  auto after = ConnectAndAccept(*out_, "10.80.0.1", 8080, server->get());
  EXPECT_FALSE(after.has_value()) << "still forwarded after re-apply without it: "
                                  << Describe(after);
  const std::string ruleset_after = Oracle({"list", "ruleset"});
  EXPECT_EQ(ruleset_after.find("rampart:web"), std::string::npos) << ruleset_after;
}

TEST_F(NatNetnsTest, ApplyTwiceIsIdempotent) {
  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {WebForward()}));
  const std::string first = Oracle({"list", "ruleset"});
  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {WebForward()}));
  const std::string second = Oracle({"list", "ruleset"});
  EXPECT_EQ(first, second);
  size_t count = 0;
  for (size_t at = second.find("table inet rampart_t"); at != std::string::npos;
       at = second.find("table inet rampart_t", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << second;
}

TEST_F(NatNetnsTest, FailedScriptGivesOneLineErrorAndChangesNothing) {
  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {WebForward()}));
  const std::string before = Oracle({"list", "ruleset"});

  // nft rejects it while evaluating (bypassing our validation on purpose).
  NatConfig bad = TestNet();
  bad.subnet = "10.79.0.300/24";
  Status parse = nft_->Run(NatApplyScript(bad, {WebForward()}));
  ASSERT_FALSE(parse.has_value());
  const std::string msg = parse.error().message();
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(msg.rfind("run nft script: line ", 0), 0u) << msg;
  EXPECT_NE(msg.find("10.79.0.300"), std::string::npos) << msg;
  EXPECT_EQ(Oracle({"list", "ruleset"}), before);

  // The kernel rejects it in the middle of the transaction (nat in a filter
  // chain), after the delete: the whole batch is rolled back.
  Status kernel = nft_->Run(
      "table inet rampart_t {}\ndelete table inet rampart_t\n"
      "table inet rampart_t {\n\tchain f {\n\t\ttype filter hook forward priority 0;\n"
      "\t\tdnat ip to 1.2.3.4\n\t}\n}\n");
  ASSERT_FALSE(kernel.has_value());
  EXPECT_EQ(kernel.error().message(),
            "run nft script: line 6: could not process rule: operation not supported "
            "(`dnat ip to 1.2.3.4`)");
  EXPECT_EQ(kernel.error().kind(), ErrorKind::kSystem);
  EXPECT_EQ(Oracle({"list", "ruleset"}), before);

  // Our own validation stops a bad config before nft sees it.
  Status invalid = nft_->ApplyNetwork(bad, {});
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(invalid.error().message().find("10.79.0.300"), std::string::npos)
      << invalid.error().message();
  EXPECT_EQ(Oracle({"list", "ruleset"}), before);
}

TEST_F(NatNetnsTest, RemoveNetworkLeavesNoTableAndIsFineIfAbsent) {
  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {WebForward()}));
  ASSERT_OK(nft_->RemoveNetwork("t"));
  const std::string tables = Oracle({"list", "tables"});
  EXPECT_EQ(tables.find("rampart_t"), std::string::npos) << tables;
  ASSERT_OK(nft_->RemoveNetwork("t"));
  ASSERT_OK(nft_->RemoveNetwork("never-made"));
  Status bad = nft_->RemoveNetwork("x; flush ruleset");
  EXPECT_FALSE(bad.has_value());
}

TEST_F(NatNetnsTest, ListOurTablesIgnoresForeignTables) {
  ASSERT_OK(Sh(*host_, {"nft", "add", "table", "inet", "foreign"}));
  ASSERT_OK(Sh(*host_, {"nft", "add", "table", "ip", "rampart_ipfamily"}));
  NatConfig other = TestNet();
  other.network = "other";
  ASSERT_OK(nft_->ApplyNetwork(TestNet(), {}));
  ASSERT_OK(nft_->ApplyNetwork(other, {}));

  auto ours = nft_->ListOurTables();
  ASSERT_OK(ours);
  std::vector<std::string> sorted = *ours;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"rampart_other", "rampart_t"}))
      << Oracle({"list", "tables"});

  for (const std::string& table : *ours) {
    auto network = NetworkFromNatTable(table);
    ASSERT_TRUE(network.has_value()) << table;
    ASSERT_OK(nft_->RemoveNetwork(*network));
  }
  auto left = nft_->ListOurTables();
  ASSERT_OK(left);
  EXPECT_TRUE(left->empty());
  const std::string tables = Oracle({"list", "tables"});
  EXPECT_NE(tables.find("table inet foreign"), std::string::npos) << tables;
  EXPECT_NE(tables.find("table ip rampart_ipfamily"), std::string::npos) << tables;
}

TEST(NftNetnsTest, HandleActsInTheNetnsItWasOpenedIn) {
  RAMPART_REQUIRE_ROOT();
  if (!HaveNftCli()) GTEST_SKIP() << "needs the nft CLI (package nftables) as the test oracle";
  auto a = TestNetns::Create();
  auto b = TestNetns::Create();
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto nft = OpenNftIn(*a);
  ASSERT_OK(nft);
  ASSERT_OK(nft->ApplyNetwork(TestNet(), {}));  // from the test thread, not inside a
  auto in_a = Sh(*a, {"nft", "list", "tables"});
  auto in_b = Sh(*b, {"nft", "list", "tables"});
  ASSERT_OK(in_a);
  ASSERT_OK(in_b);
  EXPECT_NE(in_a->find("table inet rampart_t"), std::string::npos) << *in_a;
  EXPECT_EQ(in_b->find("rampart_t"), std::string::npos) << *in_b;
}

TEST(NftNetnsTest, EnableIpForwardingIsPerNetns) {
  RAMPART_REQUIRE_ROOT();
  auto a = TestNetns::Create();
  auto b = TestNetns::Create();
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto read = [](const TestNetns& ns) {
    auto r = Sh(ns, {"cat", "/proc/sys/net/ipv4/ip_forward"});
    return r.has_value() ? *r : "error: " + r.error().message();
  };
  const std::string b_before = read(*b);
  ASSERT_OK(EnableIpForwardingIn(*a));
  ASSERT_OK(EnableIpForwardingIn(*a));  // already on: fine
  EXPECT_EQ(read(*a), "1\n");
  EXPECT_EQ(read(*b), b_before) << "another netns changed";
}

TEST(NftNetnsTest, EnableIpForwardingOnReadOnlyProcSysIsAClearError) {
  RAMPART_REQUIRE_ROOT();
  auto ns = TestNetns::Create();
  ASSERT_OK(ns);
  std::string setup_error;
  Status st;
  // A private mount namespace for this thread only (CLONE_FS unshares its
  // root/cwd from the process), where /proc/sys is a read-only bind mount.
  // New namespaces inherit ip_forward=1 on some hosts: set 0 first, while
  // /proc/sys is still writable, so that the read-only case is reached.
  auto zero = Sh(*ns, {"sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward"});
  ASSERT_OK(zero);
  const int err = ns->InNs([&] {
    if (::unshare(CLONE_FS | CLONE_NEWNS) != 0) {
      setup_error = std::string("unshare: ") + std::strerror(errno);
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      setup_error = std::string("make / private: ") + std::strerror(errno);
    } else if (::mount("/proc/sys", "/proc/sys", nullptr, MS_BIND, nullptr) != 0 ||
               ::mount(nullptr, "/proc/sys", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) !=
                   0) {
      setup_error = std::string("read-only /proc/sys: ") + std::strerror(errno);
    } else {
      st = EnableIpForwarding();
    }
  });
  ASSERT_EQ(err, 0);
  ASSERT_EQ(setup_error, "");
  auto now = Sh(*ns, {"cat", "/proc/sys/net/ipv4/ip_forward"});
  ASSERT_OK(now);
  ASSERT_EQ(*now, "0\n") << "ip_forward could not be set to 0 before the read-only mount";
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(),
            "enable ip forwarding: open /proc/sys/net/ipv4/ip_forward for writing: read-only "
            "file system");
  EXPECT_EQ(st.error().err(), EROFS);
}

}  // namespace
}  // namespace rampart::net
