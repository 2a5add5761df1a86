// The pure parts of checkpoint/restore (runtime/checkpoint.h): mountinfo
// parsing, which mounts CRIU must be told about, meta.json round trips and
// refusals, the pinned network entries, CRIU log complaints, checkpoint
// names and CRIU's --cgroup-root values.
#include "runtime/checkpoint.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "net/attachment.h"

namespace rampart::runtime {
namespace {

using Strings = std::vector<std::string>;
using Binds = std::vector<std::pair<std::string, std::string>>;

// /proc/PID/mountinfo of a container's init, from a container on a test host.
constexpr const char kSample[] =
    "93 68 254:0 /tmp/exp/root/containers/c1/rootfs / rw,nodev,relatime - ext4 /dev/vda rw,discard\n"
    "94 93 0:40 / /proc rw,nosuid,nodev,noexec,relatime - proc none rw\n"
    "95 93 0:41 / /sys ro,nosuid,nodev,noexec,relatime - sysfs none rw\n"
    "96 95 0:38 /rampart-4c466eb36054/c1 /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 none rw\n"
    "97 93 0:42 / /dev rw,nosuid,nodev - tmpfs none rw,size=65536k,mode=755\n"
    "98 97 0:6 /null /dev/null rw,nosuid,noexec,relatime - devtmpfs devtmpfs "
    "rw,size=12334492k,nr_inodes=3083623,mode=755\n"
    "99 97 0:6 /zero /dev/zero rw,nosuid,noexec,relatime - devtmpfs devtmpfs rw,size=12334492k\n"
    "103 97 0:6 /tty /dev/tty rw,nosuid,noexec,relatime - devtmpfs devtmpfs rw,size=12334492k\n"
    "104 97 0:43 / /dev/pts rw,nosuid,noexec,relatime - devpts none rw,gid=5,mode=620,ptmxmode=666\n"
    "105 97 0:44 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs none rw,size=65536k\n"
    "106 97 0:39 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue none rw\n"
    "71 94 0:46 / /proc/acpi ro,nosuid,nodev,noexec,relatime - tmpfs none rw,mode=555\n"
    "72 94 0:45 /empty /proc/keys ro,nosuid,nodev,noexec,relatime - tmpfs none rw,size=4k,mode=555\n"
    "73 94 0:45 /empty /proc/timer_list ro,nosuid,nodev,noexec,relatime - tmpfs none rw,size=4k,mode=555\n"
    "70 94 0:40 /bus /proc/bus ro,nosuid,nodev,noexec,relatime - proc none rw\n"
    "77 94 0:40 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc none rw\n";

std::vector<MountInfoEntry> Mounts(const std::string& text) {
  auto m = ParseMountInfo(text);
  EXPECT_TRUE(m.has_value()) << m.error().message();
  return m.has_value() ? *m : std::vector<MountInfoEntry>{};
}

// The sample's external mounts, in order.
std::vector<ExternalMount> SampleExternals() {
  return {{"m0", "/dev/null", "device", "/dev/null"},
          {"m1", "/dev/zero", "device", "/dev/zero"},
          {"m2", "/dev/tty", "device", "/dev/tty"},
          {"m3", "/proc/keys", "masked", ""},
          {"m4", "/proc/timer_list", "masked", ""}};
}

// ---------------------------------------------------------------- mountinfo

TEST(ParseMountInfoTest, SampleFromAContainer) {
  auto m = Mounts(kSample);
  ASSERT_EQ(m.size(), 16u);
  EXPECT_EQ(m[0].id, 93);
  EXPECT_EQ(m[0].parent, 68);
  EXPECT_EQ(m[0].dev, "254:0");
  EXPECT_EQ(m[0].root, "/tmp/exp/root/containers/c1/rootfs");
  EXPECT_EQ(m[0].mountpoint, "/");
  EXPECT_EQ(m[0].fstype, "ext4");

  EXPECT_EQ(m[3].id, 96);
  EXPECT_EQ(m[3].parent, 95);
  EXPECT_EQ(m[3].dev, "0:38");
  EXPECT_EQ(m[3].root, "/rampart-4c466eb36054/c1");
  EXPECT_EQ(m[3].mountpoint, "/sys/fs/cgroup");
  EXPECT_EQ(m[3].fstype, "cgroup2");

  EXPECT_EQ(m[5].id, 98);
  EXPECT_EQ(m[5].parent, 97);
  EXPECT_EQ(m[5].dev, "0:6");
  EXPECT_EQ(m[5].root, "/null");
  EXPECT_EQ(m[5].mountpoint, "/dev/null");
  EXPECT_EQ(m[5].fstype, "devtmpfs");

  EXPECT_EQ(m[12].id, 72);
  EXPECT_EQ(m[12].root, "/empty");
  EXPECT_EQ(m[12].mountpoint, "/proc/keys");
  EXPECT_EQ(m[12].fstype, "tmpfs");

  EXPECT_EQ(m[15].id, 77);
  EXPECT_EQ(m[15].parent, 94);
  EXPECT_EQ(m[15].dev, "0:40");
  EXPECT_EQ(m[15].root, "/sys");
  EXPECT_EQ(m[15].mountpoint, "/proc/sys");
  EXPECT_EQ(m[15].fstype, "proc");

  Strings points;
  for (const auto& e : m) points.push_back(e.mountpoint);
  EXPECT_EQ(points, (Strings{"/", "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/null", "/dev/zero",
                             "/dev/tty", "/dev/pts", "/dev/shm", "/dev/mqueue", "/proc/acpi", "/proc/keys",
                             "/proc/timer_list", "/proc/bus", "/proc/sys"}));
}

TEST(ParseMountInfoTest, OptionalFieldsBeforeTheDash) {
  auto m = Mounts(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
      "40 36 0:50 / /a rw shared:5 master:3 propagate_from:2 - xfs /dev/sdb1 rw\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].id, 36);
  EXPECT_EQ(m[0].parent, 35);
  EXPECT_EQ(m[0].dev, "98:0");
  EXPECT_EQ(m[0].root, "/mnt1");
  EXPECT_EQ(m[0].mountpoint, "/mnt2");
  EXPECT_EQ(m[0].fstype, "ext3");
  EXPECT_EQ(m[1].id, 40);
  EXPECT_EQ(m[1].dev, "0:50");
  EXPECT_EQ(m[1].mountpoint, "/a");
  EXPECT_EQ(m[1].fstype, "xfs");
}

TEST(ParseMountInfoTest, OctalEscapes) {
  auto m = Mounts(
      "50 1 8:1 /a\\040b /a\\040b rw - ext4 /dev/sda1 rw\n"
      "51 1 8:1 /tab\\011x /back\\134slash rw - ext4 /dev/sda1 rw\n"
      "52 1 8:1 / /nl\\012end rw - ext4 /dev/sda1 rw\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].root, "/a b");
  EXPECT_EQ(m[0].mountpoint, "/a b");
  EXPECT_EQ(m[1].root, "/tab\tx");
  EXPECT_EQ(m[1].mountpoint, "/back\\slash");
  EXPECT_EQ(m[2].mountpoint, "/nl\nend");
}

TEST(ParseMountInfoTest, MalformedLineIsNamedByNumber) {
  // Line 3 has no "-" separator.
  auto m = ParseMountInfo(
      "94 93 0:40 / /proc rw - proc none rw\n"
      "\n"
      "95 93 0:41 / /sys ro,nosuid sysfs none rw\n");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(m.error().message().find("mountinfo line 3"), std::string::npos) << m.error().message();
  EXPECT_NE(m.error().message().find("95 93 0:41 / /sys"), std::string::npos) << m.error().message();

  // Too few fields; a "-" with nothing after it.
  auto short_line = ParseMountInfo("94 93 0:40 /\n");
  ASSERT_FALSE(short_line.has_value());
  EXPECT_NE(short_line.error().message().find("mountinfo line 1"), std::string::npos)
      << short_line.error().message();
  auto no_type = ParseMountInfo("94 93 0:40 / /proc rw,nosuid\n94 93 0:40 / /proc rw -\n");
  ASSERT_FALSE(no_type.has_value());
  EXPECT_NE(no_type.error().message().find("mountinfo line 1"), std::string::npos) << no_type.error().message();
  auto dash_last = ParseMountInfo("94 93 0:40 / /proc rw - proc none rw\n94 93 0:40 / /proc rw -\n");
  ASSERT_FALSE(dash_last.has_value());
  EXPECT_NE(dash_last.error().message().find("mountinfo line 2"), std::string::npos)
      << dash_last.error().message();
}

TEST(ParseMountInfoTest, EmptyTextIsNoMounts) {
  auto empty = ParseMountInfo("");
  ASSERT_TRUE(empty.has_value()) << empty.error().message();
  EXPECT_TRUE(empty->empty());
  auto blank = ParseMountInfo("\n  \n\n");
  ASSERT_TRUE(blank.has_value()) << blank.error().message();
  EXPECT_TRUE(blank->empty());
}

// ------------------------------------------------------------ classification

TEST(ClassifyExternalMountsTest, SampleHasDevicesAndMaskedFiles) {
  auto ext = ClassifyExternalMounts(Mounts(kSample), {});
  ASSERT_TRUE(ext.has_value()) << ext.error().message();
  EXPECT_EQ(*ext, SampleExternals());
}

TEST(ClassifyExternalMountsTest, ResolvConf) {
  auto ext = ClassifyExternalMounts(
      Mounts(std::string(kSample) +
             "107 93 254:0 /tmp/x/run/.networks/rampart0/resolv.conf /etc/resolv.conf ro,relatime - ext4 "
             "/dev/vda rw,discard\n"),
      {});
  ASSERT_TRUE(ext.has_value()) << ext.error().message();
  auto want = SampleExternals();
  want.push_back({"m5", "/etc/resolv.conf", "resolv", ""});
  EXPECT_EQ(*ext, want);
}

TEST(ClassifyExternalMountsTest, UserBindTakesTheConfigSource) {
  const std::string text =
      std::string(kSample) + "108 93 254:0 /data/in /data rw,relatime - ext4 /dev/vda rw,discard\n";
  auto ext = ClassifyExternalMounts(Mounts(text), Binds{{"/other", "/x"}, {"/data", "/data/in"}});
  ASSERT_TRUE(ext.has_value()) << ext.error().message();
  auto want = SampleExternals();
  want.push_back({"m5", "/data", "bind", "/data/in"});
  EXPECT_EQ(*ext, want);

  // The same mount without a matching bind in the config is not rampart's.
  auto unknown = ClassifyExternalMounts(Mounts(text), Binds{{"/other", "/data/in"}});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("/data"), std::string::npos) << unknown.error().message();
}

TEST(ClassifyExternalMountsTest, BindFromInsideTheRootfsIsRebuiltByCriu) {
  auto ext = ClassifyExternalMounts(
      Mounts(std::string(kSample) +
             "109 93 254:0 /tmp/exp/root/containers/c1/rootfs/opt /mnt rw,relatime - ext4 /dev/vda rw\n"),
      {});
  ASSERT_TRUE(ext.has_value()) << ext.error().message();
  EXPECT_EQ(*ext, SampleExternals());
}

TEST(ClassifyExternalMountsTest, BindOfAFreshTmpfsIsRebuiltByCriu) {
  // /dev/shm's tmpfs (0:44) bound again at /run/shm: CRIU rebuilds it from /dev/shm.
  auto ext = ClassifyExternalMounts(
      Mounts(std::string(kSample) + "110 93 0:44 /sub /run/shm rw - tmpfs none rw,size=65536k\n"), {});
  ASSERT_TRUE(ext.has_value()) << ext.error().message();
  EXPECT_EQ(*ext, SampleExternals());
}

TEST(ClassifyExternalMountsTest, UnknownHostMountIsAnError) {
  auto ext = ClassifyExternalMounts(
      Mounts(std::string(kSample) + "111 93 8:1 / /srv rw,relatime - xfs /dev/sda1 rw\n"),
      Binds{{"/data", "/data/in"}});
  ASSERT_FALSE(ext.has_value());
  EXPECT_NE(ext.error().message().find("/srv"), std::string::npos) << ext.error().message();
  EXPECT_NE(ext.error().message().find("xfs"), std::string::npos) << ext.error().message();
}

TEST(ClassifyExternalMountsTest, RootAloneNeedsNothing) {
  auto ext = ClassifyExternalMounts(Mounts("93 68 254:0 /srv/rootfs / rw - ext4 /dev/vda rw\n"), {});
  ASSERT_TRUE(ext.has_value()) << ext.error().message();
  EXPECT_TRUE(ext->empty());
}

// ---------------------------------------------------------------- meta.json

CheckpointMeta FullMeta() {
  CheckpointMeta m;
  m.name = "ckpt-20261129-101010";
  m.container = "web";
  m.created_at = 1795947010;
  m.criu_version = "Version: 4.1\nGitID: v4.1\n";
  m.machine = "x86_64";
  m.policy_hash = "3f9a0c";
  m.root_pid = 4242;
  m.has_netns = true;
  m.output_pipe = "pipe:[123456]";
  m.mounts = SampleExternals();
  m.mounts.push_back({"m5", "/etc/resolv.conf", "resolv", ""});
  m.mounts.push_back({"m6", "/data", "bind", "/data/in"});
  m.endpoints = {{"rampart0", "eth0", "10.0.3.5", "02:aa:bb:cc:dd:ee", 0},
                 {"ovsnet", "eth1", "10.9.0.7", "02:11:22:33:44:55", 10}};
  m.leave_running = true;
  m.image_bytes = 5ull << 32;  // beyond 32 bits
  return m;
}

TEST(CheckpointMetaTest, RoundTrip) {
  const CheckpointMeta m = FullMeta();
  const std::string text = CheckpointMetaToJson(m);
  auto back = CheckpointMetaFromJson(text, "meta.json");
  ASSERT_TRUE(back.has_value()) << back.error().message() << "\n" << text;
  EXPECT_EQ(*back, m) << text;
  EXPECT_EQ(back->format, kCheckpointFormat);

  // The file names its format.
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["format"], "rampart-checkpoint");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["mounts"].size(), 7u);
  EXPECT_EQ(j["endpoints"][1]["vlan"], 10);

  // An empty one too (no mounts, no endpoints, no pipe).
  CheckpointMeta bare;
  bare.name = "c1";
  bare.container = "x";
  auto bare_back = CheckpointMetaFromJson(CheckpointMetaToJson(bare), "meta.json");
  ASSERT_TRUE(bare_back.has_value()) << bare_back.error().message();
  EXPECT_EQ(*bare_back, bare);
}

TEST(CheckpointMetaTest, OptionalFieldsDefault) {
  auto j = nlohmann::json::parse(CheckpointMetaToJson(FullMeta()));
  j.erase("leave_running");
  j.erase("image_bytes");
  j["endpoints"][1].erase("vlan");
  auto back = CheckpointMetaFromJson(j.dump(), "meta.json");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_FALSE(back->leave_running);
  EXPECT_EQ(back->image_bytes, 0u);
  EXPECT_EQ(back->endpoints[1].vlan, 0);
}

TEST(CheckpointMetaTest, Refusals) {
  const std::string where = "/var/lib/rampart/containers/web/checkpoints/c1/meta.json";
  const nlohmann::json good = nlohmann::json::parse(CheckpointMetaToJson(FullMeta()));
  auto with = [&](auto edit) {
    nlohmann::json j = good;
    edit(j);
    return j.dump();
  };
  struct Case {
    const char* what;
    std::string text;
    const char* detail;  // also in the message
  };
  const Case cases[] = {
      {"not JSON", "{not json", "not JSON"},
      {"a JSON array", "[1, 2]", "not JSON"},
      {"missing format", with([](auto& j) { j.erase("format"); }), "format"},
      {"wrong format name", with([](auto& j) { j["format"] = "docker-checkpoint"; }), "format"},
      {"version 2", with([](auto& j) { j["version"] = 2; }), "format version 2"},
      {"version missing", with([](auto& j) { j.erase("version"); }), "version"},
      {"version a string", with([](auto& j) { j["version"] = "1"; }), "version"},
      {"missing machine", with([](auto& j) { j.erase("machine"); }), "machine"},
      {"missing mounts", with([](auto& j) { j.erase("mounts"); }), "mounts"},
      {"root_pid a string", with([](auto& j) { j["root_pid"] = "4242"; }), "field"},
      {"mount of unknown kind", with([](auto& j) { j["mounts"][0]["kind"] = "overlay"; }), "overlay"},
      {"endpoint without ip", with([](auto& j) { j["endpoints"][0].erase("ip"); }), "ip"},
      {"invalid container name", with([](auto& j) { j["container"] = "../etc"; }), "container"},
      {"invalid checkpoint name", with([](auto& j) { j["name"] = "a/b"; }), "invalid checkpoint name"},
  };
  for (const auto& c : cases) {
    auto r = CheckpointMetaFromJson(c.text, where);
    ASSERT_FALSE(r.has_value()) << c.what << ": accepted\n" << c.text;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << c.what;
    const std::string& msg = r.error().message();
    EXPECT_EQ(msg.rfind(where + ": not a rampart checkpoint (", 0), 0u) << c.what << ": " << msg;
    EXPECT_NE(msg.find(c.detail), std::string::npos) << c.what << ": " << msg;
  }
}

// A non-string format ({"format": 1}) is refused, not thrown (it once
// escaped as nlohmann::json::type_error and aborted the CLI).
TEST(CheckpointMetaTest, NonStringFormatIsRefusedNotThrown) {
  const nlohmann::json good = nlohmann::json::parse(CheckpointMetaToJson(FullMeta()));
  for (const nlohmann::json& format : {nlohmann::json(1), nlohmann::json(nullptr), nlohmann::json::array()}) {
    nlohmann::json j = good;
    j["format"] = format;
    Result<CheckpointMeta> r = Error::Internal("not run");
    EXPECT_NO_THROW(r = CheckpointMetaFromJson(j.dump(), "meta.json")) << "format " << format.dump();
    ASSERT_FALSE(r.has_value()) << "format " << format.dump();
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << "format " << format.dump() << ": " << r.error().message();
    EXPECT_EQ(r.error().message().rfind("meta.json: not a rampart checkpoint (", 0), 0u) << r.error().message();
  }
}

// ----------------------------------------------------------- pinned networks

TEST(PinnedNetworksTest, EntriesAndTheirParse) {
  const std::vector<CheckpointEndpoint> eps = {
      {"net1", "eth0", "10.0.3.5", "02:aa:bb:cc:dd:ee", 0},
      {"ovs1", "eth1", "10.0.4.6", "02:11:22:33:44:55", 10},
      {"dhcp1", "eth2", "", "02:00:00:00:00:07", 0},
  };
  const Strings got = PinnedNetworks(eps);
  EXPECT_EQ(got, (Strings{"net1:name=eth0,ip=10.0.3.5,mac=02:aa:bb:cc:dd:ee",
                          "ovs1:name=eth1,ip=10.0.4.6,mac=02:11:22:33:44:55,vlan=10",
                          "dhcp1:name=eth2,mac=02:00:00:00:00:07"}));
  ASSERT_EQ(got.size(), eps.size());
  for (size_t i = 0; i < got.size(); ++i) {
    auto a = net::ParseNetAttachment(got[i]);
    ASSERT_TRUE(a.has_value()) << got[i] << ": " << a.error().message();
    EXPECT_EQ(*a, (net::NetAttachment{eps[i].network, eps[i].ip, eps[i].mac, eps[i].ifname, eps[i].vlan}))
        << got[i];
  }
  // And all of them together, as a container's networks.
  auto all = net::ParseNetAttachments(got);
  ASSERT_TRUE(all.has_value()) << all.error().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].vlan, 10);
  EXPECT_TRUE(PinnedNetworks({}).empty());
}

// ------------------------------------------------------------------ CRIU log

TEST(CriuLogComplaintTest, FirstRealErrorAfterTheHarmlessOnes) {
  const std::string log =
      "(00.000000) Version: 4.1 (gitid v4.1)\n"
      "(00.000012) Error (criu/util.c:1566): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not "
      "permitted\n"
      "(00.050000)      2: Restoring TCP connection\n"
      "(00.080141)      2: Error (soccr/soccr.c:499): Can't bind inet socket back: Cannot assign requested "
      "address\n"
      "(00.080200)      2: Error (criu/sk-tcp.c:100): Can't restore socket\n"
      "(00.090000) Error (criu/cr-restore.c:2500): Restoring FAILED.\n";
  EXPECT_EQ(CriuLogComplaint(log), "Can't bind inet socket back: Cannot assign requested address");
}

TEST(CriuLogComplaintTest, NoErrorLineGivesTheLastLine) {
  EXPECT_EQ(CriuLogComplaint("(00.000000) Version: 4.1\n(00.1) Dumping finished\n  killed by signal 9  \n\n \n"),
            "killed by signal 9");
  // Only the harmless error: the last line, not the RLIMIT one.
  EXPECT_EQ(CriuLogComplaint("(00.000012) Error (criu/util.c:1566): rlimit: Can't setup RLIMIT_NOFILE for self\n"
                             "(00.5) Unfreezing tasks\n"),
            "(00.5) Unfreezing tasks");
  // An error line without "): " is shown from "Error (" on.
  EXPECT_EQ(CriuLogComplaint("x\n(00.1) Error (odd\ny\n"), "Error (odd");
}

TEST(CriuLogComplaintTest, EmptyLog) {
  EXPECT_EQ(CriuLogComplaint(""), "");
  EXPECT_EQ(CriuLogComplaint("\n\n  \n"), "");
}

// --------------------------------------------------------- checkpoint names

TEST(ValidateCheckpointNameTest, Names) {
  EXPECT_TRUE(ValidateCheckpointName("ckpt-20261129-101010").has_value());
  EXPECT_TRUE(ValidateCheckpointName("a").has_value());
  EXPECT_TRUE(ValidateCheckpointName(std::string(64, 'c')).has_value());
  for (const std::string& bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                                 std::string("-x"), std::string(65, 'c'), std::string("a b")}) {
    auto st = ValidateCheckpointName(bad);
    ASSERT_FALSE(st.has_value()) << "'" << bad << "' accepted";
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalid) << bad;
    EXPECT_EQ(st.error().message().rfind("invalid checkpoint name '" + bad + "': ", 0), 0u)
        << st.error().message();
  }
}

TEST(ValidateCheckpointNameTest, CheckpointsDir) {
  Paths p;
  p.root = "/var/lib/rampart";
  EXPECT_EQ(CheckpointsDir(p, "web"), "/var/lib/rampart/containers/web/checkpoints");
}

// ------------------------------------------------------------ cgroup roots

Cgroup::Placement V1(Strings controllers, std::string relative) {
  return {std::move(controllers), false, std::move(relative)};
}
Cgroup::Placement V2(std::string relative) { return {{}, true, std::move(relative)}; }

constexpr const char kHybridSelf[] =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "7:blkio:/\n"
    "6:freezer:/\n"
    "4:memory:/process_api/abc\n"
    "1:cpu,cpuacct:/\n"
    "0::/\n";

TEST(CriuCgroupRootsTest, HybridPutsOursAndKeepsTheRest) {
  const std::vector<Cgroup::Placement> ours = {
      V1({"pids"}, "/rampart-x/c"),
      V1({"freezer"}, "/rampart-x/c"),
      V1({"memory"}, "/process_api/abc/rampart-x/c"),
      V1({"cpu", "cpuacct"}, "/rampart-x/c"),
      V2("/rampart-x/c"),
  };
  EXPECT_EQ(CriuCgroupRoots(ours, kHybridSelf),
            (Strings{"name=systemd:/", "pids:/rampart-x/c", "blkio:/", "freezer:/rampart-x/c",
                     "memory:/process_api/abc/rampart-x/c", "cpu:/rampart-x/c", "/rampart-x/c"}));
}

TEST(CriuCgroupRootsTest, PureV2) {
  EXPECT_EQ(CriuCgroupRoots({V2("/user.slice/x/rampart/c")}, "0::/user.slice/x\n"),
            (Strings{"/user.slice/x/rampart/c"}));
  // An empty relative path is the hierarchy's root.
  EXPECT_EQ(CriuCgroupRoots({V2("")}, "0::/user.slice/x\n"), (Strings{"/"}));
}

TEST(CriuCgroupRootsTest, NoPlacementsKeepsTheCallersOwn) {
  EXPECT_EQ(CriuCgroupRoots({}, kHybridSelf),
            (Strings{"name=systemd:/", "pids:/", "blkio:/", "freezer:/", "memory:/process_api/abc", "cpu:/", "/"}));
  EXPECT_EQ(CriuCgroupRoots({}, "0::/user.slice/x"), (Strings{"/user.slice/x"}));
  EXPECT_TRUE(CriuCgroupRoots({}, "").empty());
}

TEST(CriuCgroupRootsTest, V1PlacementNeverLandsOnV2AndBackwards) {
  // A v1 placement for "cpuacct" alone still matches the joint cpu,cpuacct
  // hierarchy; a v2 placement does not touch v1 lines and vice versa.
  EXPECT_EQ(CriuCgroupRoots({V1({"cpuacct"}, "/r/c")}, "1:cpu,cpuacct:/a\n0::/b\n"), (Strings{"cpu:/r/c", "/b"}));
  EXPECT_EQ(CriuCgroupRoots({V2("/r/c")}, "1:cpu,cpuacct:/a\n0::/b\n"), (Strings{"cpu:/a", "/r/c"}));
}

}  // namespace
}  // namespace rampart::runtime
