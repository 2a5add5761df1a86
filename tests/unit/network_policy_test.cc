// The network section: socket(2) narrowed to network.families in the
// resolved policy and in the compiled BPF, contradictions with seccomp
// reported with both places, TCP ports for Landlock, the frozen copy and
// the hash, and the AppArmor / SELinux text for it.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "security/apparmor.h"
#include "security/bpf_interpreter.h"
#include "security/compiled_policy.h"
#include "security/landlock.h"
#include "security/resolver.h"
#include "security/selinux.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

constexpr const char* kFile = "/tmp/net/p.yaml";

Result<Policy> Load(const std::string& text) {
  auto l = ProfileLoader::Create();
  EXPECT_TRUE(l.has_value());
  return l->LoadText(text, kFile);
}

seccomp_data SocketCall(const char* name, uint64_t a0, uint64_t a1) {
  seccomp_data d{};
  d.arch = AuditArch(Arch::kX86_64);
  d.nr = static_cast<int>(*SyscallNumber(Arch::kX86_64, name));
  d.args[0] = a0;
  d.args[1] = a1;
  return d;
}

// The IR's verdict and the compiled filter's must agree; returns the IR's.
void CheckBpf(const CompiledPolicy& c, const seccomp_data& d, const Action& intended) {
  auto ret = RunBpf(c.seccomp.insns, d);
  EXPECT_TRUE(ret.has_value());
  auto got = Action::FromSeccompRet((ret.has_value() ? *ret : 0u));
  ASSERT_TRUE(got.has_value()) << "return value " << (ret.has_value() ? *ret : 0u);
  EXPECT_EQ(got->ToString(), intended.ToString())
      << "nr " << d.nr << "(" << d.args[0] << ", " << d.args[1] << "): the BPF and the policy disagree";
}

std::string Verdict(const Policy& p, const CompiledPolicy& c, const char* name, uint64_t a0, uint64_t a1 = SOCK_STREAM) {
  seccomp_data d = SocketCall(name, a0, a1);
  Action intended = p.seccomp.Evaluate(d);
  CheckBpf(c, d, intended);
  return intended.ToString();
}

TEST(NetworkPolicy, FamiliesNarrowSocketInTheFilter) {
  auto p = Load("name: n\nextends: default\nnetwork:\n  families: [unix, inet]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_TRUE(p->network.restricts_families);
  auto c = CompilePolicy(*p);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_UNIX), "allow");
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_UNIX, SOCK_DGRAM), "allow");
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_INET), "allow");
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK), "allow");
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_INET, SOCK_RAW), "errno(EPERM)") << "raw is not listed";
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_INET6), "errno(EPERM)");
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_NETLINK, SOCK_RAW), "errno(EPERM)");
  EXPECT_EQ(Verdict(*p, *c, "socket", AF_PACKET, SOCK_RAW), "errno(EPERM)");
  EXPECT_EQ(Verdict(*p, *c, "socket", 40 /* AF_VSOCK */), "errno(EPERM)");
  EXPECT_EQ(Verdict(*p, *c, "socketpair", AF_UNIX), "allow");

  auto raw = Load("name: n\nextends: default\nnetwork:\n  families: [inet6, raw]\n");
  ASSERT_TRUE(raw.has_value()) << raw.error().message();
  auto rc = CompilePolicy(*raw);
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(Verdict(*raw, *rc, "socket", AF_INET6, SOCK_RAW), "allow");
  EXPECT_EQ(Verdict(*raw, *rc, "socket", AF_INET, SOCK_RAW), "errno(EPERM)");
  EXPECT_EQ(Verdict(*raw, *rc, "socket", AF_UNIX), "errno(EPERM)");
  EXPECT_EQ(Verdict(*raw, *rc, "socketpair", AF_UNIX), "errno(EPERM)") << "no unix: socketpair goes too";

  auto none = Load("name: n\nextends: default\nnetwork: {families: []}\n");
  ASSERT_TRUE(none.has_value()) << none.error().message();
  auto nc = CompilePolicy(*none);
  ASSERT_TRUE(nc.has_value());
  EXPECT_EQ(Verdict(*none, *nc, "socket", AF_UNIX), "errno(EPERM)");
  EXPECT_EQ(Verdict(*none, *nc, "socket", AF_INET), "errno(EPERM)");
}

TEST(NetworkPolicy, ContradictionsNameBothPlaces) {
  // A family the seccomp rules deny.
  auto p = Load("name: n\nextends: default\nseccomp:\n  deny: [socket]\nnetwork:\n  families: [unix, inet]\n");
  ASSERT_FALSE(p.has_value());
  std::string msg = p.error().message();
  EXPECT_EQ(msg.rfind(std::string(kFile) + ":6:14: network family 'unix' is allowed here but seccomp denies socket(2) for it (" +
                          kFile + ":4:10)", 0), 0u) << msg;
  // The default profile denies AF_VSOCK only: netlink is fine, so is packet.
  EXPECT_TRUE(Load("name: n\nextends: default\nnetwork: {families: [netlink, packet]}\n").has_value());
  // An argument rule allowing only inet: unix contradicts it.
  auto arg = Load("name: n\nseccomp:\n  allow: [read]\n  rules:\n    - {syscall: socket, action: allow, args: [\"arg0 == AF_INET\"]}\n"
                  "network: {families: [inet, unix]}\n");
  ASSERT_FALSE(arg.has_value());
  EXPECT_NE(arg.error().message().find("network family 'unix'"), std::string::npos) << arg.error().message();
  EXPECT_NE(arg.error().message().find(std::string(kFile) + ":5:7"), std::string::npos) << arg.error().message();
  // socketcall on x86 and io_uring create sockets past socket(2).
  auto sc = Load("name: n\nextends: default\nseccomp:\n  allow: [socketcall]\nnetwork: {families: [unix]}\n");
  ASSERT_FALSE(sc.has_value());
  EXPECT_EQ(sc.error().message().rfind(std::string(kFile) + ":4:11: socketcall is allowed", 0), 0u) << sc.error().message();
  EXPECT_NE(sc.error().message().find(std::string(kFile) + ":5:21"), std::string::npos) << sc.error().message();
  auto uring = Load("name: n\nextends: default\nseccomp:\n  allow: [io_uring_setup]\nnetwork: {families: [unix]}\n");
  ASSERT_FALSE(uring.has_value());
  EXPECT_NE(uring.error().message().find("IORING_OP_SOCKET"), std::string::npos) << uring.error().message();
  // Without x86 in the architectures, socketcall cannot be reached.
  EXPECT_TRUE(Load("name: n\nextends: default\nseccomp:\n  architectures: [native]\n  allow: [socketcall]\n"
                   "network: {families: [unix]}\n").has_value());
}

TEST(NetworkPolicy, TcpPortsAreLandlockRules) {
  auto p = Load("name: n\nextends: default\nnetwork:\n  tcp: {bind: [8080], connect: [53, 443]}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_FALSE(p->network.restricts_families);
  EXPECT_TRUE(p->landlock.has_network);
  EXPECT_FALSE(p->landlock.has_filesystem);
  EXPECT_TRUE(p->landlock.active()) << "TCP rules alone make a Landlock ruleset";
  EXPECT_EQ(LandlockHandledNetRights(*p, 7), landlock_net::kBindTcp | landlock_net::kConnectTcp);
  EXPECT_EQ(LandlockHandledNetRights(*p, 3), 0u) << "TCP rules need ABI 4";

  HostSecurity abi3;
  abi3.landlock_abi = 3;
  auto refused = CheckEnforcement(*p, abi3);
  ASSERT_FALSE(refused.has_value()) << "required (the default) on ABI 3 must refuse";
  EXPECT_NE(refused.error().message().find("needs ABI 4"), std::string::npos) << refused.error().message();
  auto soft = Load("name: n\nextends: default\nlandlock: if-available\nnetwork:\n  tcp: {bind: []}\n");
  ASSERT_TRUE(soft.has_value()) << soft.error().message();
  auto notes = CheckEnforcement(*soft, abi3);
  ASSERT_TRUE(notes.has_value()) << notes.error().message();
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_NE((*notes)[0].find("network.tcp skipped"), std::string::npos) << (*notes)[0];

  auto nnp = Load("name: n\nextends: default\nno_new_privileges: false\nnetwork:\n  tcp: {bind: [1]}\n");
  ASSERT_FALSE(nnp.has_value());
  EXPECT_NE(nnp.error().message().find("network.tcp rules enforced by Landlock"), std::string::npos) << nnp.error().message();
}

TEST(NetworkPolicy, FrozenCopyAndHashCarryTheSection) {
  auto p = Load("name: n\nextends: default\nnetwork:\n  families: [unix, inet]\n  tcp: {connect: [443]}\n"
                "apparmor: {profile: generate, enforce: if-available}\nselinux: {type: container_t, level: s0}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto c = CompilePolicy(*p);
  ASSERT_TRUE(c.has_value());
  auto back = ThawPolicy(FrozenPolicyJson(*c), BpfBytes(c->seccomp.insns), "frozen");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  const Policy& t = back->policy;
  EXPECT_TRUE(t.network.restricts_families);
  EXPECT_EQ(t.network.families, kNetUnix | kNetInet);
  EXPECT_EQ(t.network.family_pos.at(kNetInet).ToString(), p->network.family_pos.at(kNetInet).ToString());
  EXPECT_FALSE(t.network.tcp_bind.has_value());
  ASSERT_TRUE(t.network.tcp_connect.has_value());
  EXPECT_EQ(*t.network.tcp_connect, std::vector<uint16_t>{443});
  EXPECT_TRUE(t.landlock.has_network);
  EXPECT_EQ(t.apparmor.mode, EnforceMode::kIfAvailable);
  EXPECT_EQ(t.selinux.type, "container_t");
  EXPECT_EQ(t.selinux.level, "s0");
  EXPECT_EQ(back->hash, c->hash);

  Policy q = *p;
  q.network.tcp_connect = std::vector<uint16_t>{444};
  EXPECT_NE(PolicyHash(q), c->hash) << "a different port is a different policy";
  q = *p;
  q.apparmor.profile = "other";
  EXPECT_NE(PolicyHash(q), c->hash);
}

TEST(NetworkPolicy, LsmTextFollowsTheFamilies) {
  auto p = Load("name: n\nextends: default\nnetwork:\n  families: [unix, inet6, raw]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  std::string aa = GenerateAppArmorProfile(*p, "rampart-n");
  for (const char* want : {"  network unix,\n", "  unix,\n", "  network inet6 stream,\n", "  network inet6 dgram,\n",
                           "  network inet6 raw,\n"})
    EXPECT_NE(aa.find(want), std::string::npos) << "no '" << want << "' in:\n" << aa;
  for (const char* not_want : {"  network,\n", "network inet ", "network netlink", "network packet"})
    EXPECT_EQ(aa.find(not_want), std::string::npos) << "'" << not_want << "' in:\n" << aa;
  std::string cil = GenerateSelinuxCil(*p);
  for (const char* want : {"unix_stream_socket", "tcp_socket", "udp_socket", "rawip_socket"})
    EXPECT_NE(cil.find(want), std::string::npos) << want << " missing:\n" << cil;
  for (const char* not_want : {"netlink_socket", "packet_socket"})
    EXPECT_EQ(cil.find(not_want), std::string::npos) << not_want << " present:\n" << cil;
  auto labels = ComputeSelinuxLabels(*p, "s0:c1,c2");
  EXPECT_EQ(labels.process, "system_u:system_r:rampart_n_t:s0:c1,c2");
  auto custom = Load("name: n\nselinux: {type: container_t}\n");
  ASSERT_TRUE(custom.has_value());
  EXPECT_EQ(ComputeSelinuxLabels(*custom, "s0").process, "system_u:system_r:container_t:s0");
  EXPECT_EQ(ComputeSelinuxLabels(*custom, "s0").mount, "system_u:object_r:container_file_t:s0");
}

TEST(NetworkPolicy, GeneratedPolicyCompilesWithTheRealTools) {
  auto p = Load("name: n\nextends: default\nnetwork:\n  families: [unix, inet, netlink]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  if (FindAppArmorParser().empty()) {
    if (getenv("RAMPART_TESTS_MUST_RUN")) FAIL() << "apparmor_parser not installed and RAMPART_TESTS_MUST_RUN is set";
    GTEST_SKIP() << "apparmor_parser not installed (apt-get install apparmor)";
  }
  auto aa = ValidateAppArmorProfile(GenerateAppArmorProfile(*p, "rampart-n"));
  EXPECT_TRUE(aa.has_value()) << aa.error().message();
}

}  // namespace
}  // namespace rampart::security
