// The fixture of the end-to-end network tests: a private test-host network
// namespace with the rampart CLI run inside it (nsenter), state in a temp
// dir, everything torn down even when a test fails. Used by the Linux
// bridge tests (tests/integration/net/) and the OVS tests
// (tests/integration/ovs/).
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "tests/integration/net/netns_harness.h"

namespace rampart::testing_support {

using std::chrono::milliseconds;

inline std::string Describe(const CommandOutput& r) {
  return "\n  exit " + std::to_string(ExitCodeFromWaitStatus(r.status)) + (r.timed_out ? " (timed out)" : "") +
         "\n  --- stdout ---\n" + r.out + "\n  --- stderr ---\n" + r.err;
}
inline int Code(const CommandOutput& r) { return ExitCodeFromWaitStatus(r.status); }
inline bool Has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

class NetE2eTest : public ::testing::Test {
 protected:
  // Called in TearDown after containers and networks are gone (the OVS
  // tests stop their private OVS there).
  virtual void AfterNetworksRemoved() {}

  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    char tmpl[] = "/tmp/rampart-net-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // dnsmasq runs as nobody and rereads its hosts files under RUN.
    ASSERT_EQ(chmod(dir_.c_str(), 0711), 0);
    ASSERT_EQ(mkdir((dir_ + "/conf").c_str(), 0700), 0);
    // The busybox template's rootfs, built once per test by create.
    env_ = {"RAMPART_ROOT=" + dir_ + "/root", "RAMPART_RUN=" + dir_ + "/run", "RAMPART_CONF_DIR=" + dir_ + "/conf",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    auto host = TestNetns::Create();
    ASSERT_TRUE(host.has_value()) << host.error().message();
    host_.emplace(std::move(*host));
  }

  void TearDown() override {
    if (!host_) return;
    // Containers first (their veths and forwards), then every network.
    auto ls = Rampart({"--format", "json", "ls"});
    if (auto j = nlohmann::json::parse(ls.out, nullptr, false); j.is_array())
      for (const auto& c : j) (void)Rampart({"destroy", "-f", c.value("name", "")});
    auto nets = Rampart({"--format", "json", "net", "ls"});
    if (auto j = nlohmann::json::parse(nets.out, nullptr, false); j.is_array())
      for (const auto& n : j) (void)Rampart({"net", "rm", n.value("name", "")});
    (void)Rampart({"gc"});
    AfterNetworksRemoved();
    // A dnsmasq we could not stop would keep the namespace alive: say so.
    for (const auto& pid : DnsmasqPids()) {
      ADD_FAILURE() << "dnsmasq " << pid << " still runs after teardown";
      kill(pid, SIGKILL);
    }
    outside_.reset();
    host_.reset();
    std::filesystem::remove_all(dir_);
  }

  CommandOutput Rampart(std::vector<std::string> args, milliseconds timeout = std::chrono::seconds(60)) {
    std::vector<std::string> argv = {"env"};
    for (const auto& e : env_) argv.push_back(e);
    argv.push_back(RAMPART_BIN);
    for (auto& a : args) argv.push_back(std::move(a));
    auto r = host_->Run(argv, {}, timeout);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? *r : CommandOutput{};
  }

  CommandOutput InHost(const std::vector<std::string>& argv) {
    auto r = host_->Run(argv);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? *r : CommandOutput{};
  }

  // dnsmasq processes whose pid file is under our run dir.
  std::vector<pid_t> DnsmasqPids() {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/run", ec)) {
      if (e.path().filename() != "dnsmasq.pid") continue;
      auto t = ReadFile(e.path().string());
      if (!t) continue;
      pid_t pid = std::atoi(t->c_str());
      if (pid > 0 && kill(pid, 0) == 0) out.push_back(pid);
    }
    // Also any dnsmasq whose command line names our run dir.
    for (pid_t pid : LiveProcesses({"dnsmasq"}, dir_))
      if (std::find(out.begin(), out.end(), pid) == out.end()) out.push_back(pid);
    return out;
  }

  // TaggedLinks once the kernel has finished removing the veths of
  // namespaces that died (it does that asynchronously): polls up to 5 s
  // for no more than `want` links matching `prefix`.
  std::vector<std::string> TaggedLinksSettled(size_t want = 0, const std::string& prefix = "rampart:") {
    std::vector<std::string> links;
    for (int i = 0; i < 100; ++i) {
      links.clear();
      for (auto& l : TaggedLinks())
        if (l.find(prefix) != std::string::npos) links.push_back(l);
      if (links.size() <= want) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return links;
  }

  // Links in the test host that carry rampart's tag.
  std::vector<std::string> TaggedLinks() {
    std::vector<std::string> out;
    auto r = InHost({"ip", "-j", "link", "show"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return {"<ip -j link failed: " + r.err + ">"};
    for (const auto& l : j)
      if (l.value("ifalias", "").rfind("rampart:", 0) == 0) out.push_back(l.value("ifname", "?") + "=" + l.value("ifalias", ""));
    return out;
  }

  // The "outside" world: a namespace behind the test host (10.89.0.1 on the
  // host side, 10.89.0.2 outside).
  void MakeOutside() {
    auto o = TestNetns::Create();
    ASSERT_TRUE(o.has_value()) << o.error().message();
    outside_.emplace(std::move(*o));
    auto r = InHost({"ip", "link", "add", "vout", "type", "veth", "peer", "name", "eth0", "netns", outside_->Path()});
    ASSERT_EQ(Code(r), 0) << Describe(r);
    for (const auto& cmd : std::vector<std::vector<std::string>>{{"ip", "addr", "add", "10.89.0.1/24", "dev", "vout"},
                                                                 {"ip", "link", "set", "vout", "up"}}) {
      auto c = InHost(cmd);
      ASSERT_EQ(Code(c), 0) << Describe(c);
    }
    for (const auto& cmd : std::vector<std::vector<std::string>>{{"ip", "addr", "add", "10.89.0.2/24", "dev", "eth0"},
                                                                 {"ip", "link", "set", "eth0", "up"}}) {
      auto c = outside_->Run(cmd);
      ASSERT_TRUE(c.has_value());
      ASSERT_EQ(Code(*c), 0) << Describe(*c);
    }
  }

  std::string ContainerIp(const std::string& name) {
    auto r = Rampart({"--format", "json", "info", name});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_object()) return "";
    return j.value("ip", "");
  }

  std::string dir_;
  std::vector<std::string> env_;
  std::optional<TestNetns> host_, outside_;
};

// Accepts one TCP connection on `port` inside `ns` and returns the peer's
// address ("" on timeout).
class PeerRecorder {
 public:
  PeerRecorder(const TestNetns& ns, uint16_t port) {
    std::atomic<bool> ready{false};
    thread_ = std::thread([&, fd = ns.fd(), port] {
      if (setns(fd, CLONE_NEWNET) != 0) {
        ready = true;
        return;
      }
      int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
      listen(s, 4);
      ready = true;
      pollfd p{s, POLLIN, 0};
      if (poll(&p, 1, 20000) == 1) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        int c = accept4(s, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (c >= 0) {
          char buf[INET_ADDRSTRLEN] = {};
          inet_ntop(AF_INET, &peer.sin_addr, buf, sizeof buf);
          peer_ = buf;
          (void)!write(c, "hello\n", 6);
          close(c);
        }
      }
      close(s);
    });
    while (!ready) std::this_thread::sleep_for(milliseconds(5));
  }
  std::string Peer() {
    if (thread_.joinable()) thread_.join();
    return peer_;
  }
  ~PeerRecorder() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
  std::string peer_;
};

}  // namespace rampart::testing_support
