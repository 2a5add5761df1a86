// CgroupManager::FromText: the host's cgroup layout from the text of
// /proc/self/mountinfo and /proc/self/cgroup (no root, no syscalls).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/cgroups.h"

namespace rampart::runtime {
namespace {

// Copied from the development VM (Debian 12, kernel 6.18): v1 controllers,
// each in its own hierarchy (cpu and cpuacct NOT co-mounted), a name=systemd
// hierarchy, and a controller-less cgroup2 at /sys/fs/cgroup/unified.
constexpr const char* kHybridMountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
    "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs "
    "rw,size=12334492k,nr_inodes=3083623,mode=755\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr const char* kHybridSelfCgroup =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "7:blkio:/\n"
    "6:freezer:/\n"
    "5:devices:/\n"
    "4:memory:/process_api/9a36d91528711d15f40d449a6e3a60b0\n"
    "3:cpuset:/\n"
    "2:cpuacct:/\n"
    "1:cpu:/\n"
    "0::/\n";

// A pure v2 host (systemd, Debian 12 default), rampart started from a session.
constexpr const char* kV2Mountinfo =
    "21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
    "27 21 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
constexpr const char* kV2SelfCgroup = "0::/user.slice/user-1000.slice/session-3.scope\n";

// A classic v1 host (CentOS 7 / Ubuntu 18.04 style): cpu,cpuacct co-mounted
// and no cgroup2 at all.
constexpr const char* kV1Mountinfo =
    "24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
    "rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup "
    "rw,cpu,cpuacct\n"
    "29 24 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
    "rw,memory\n"
    "30 24 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup "
    "rw,pids\n"
    "31 24 0:27 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
    "rw,freezer\n"
    "32 24 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup "
    "rw,cpuset\n";
constexpr const char* kV1SelfCgroup =
    "7:cpuset:/\n"
    "6:freezer:/\n"
    "5:pids:/system.slice/sshd.service\n"
    "4:memory:/system.slice/sshd.service\n"
    "3:cpu,cpuacct:/system.slice/sshd.service\n"
    "1:name=systemd:/system.slice/sshd.service\n";

Result<CgroupManager> Parse(const char* mountinfo, const char* self,
                            const std::string& parent = "rampart") {
  return CgroupManager::FromText(mountinfo, self, parent);
}

TEST(CgroupsParse, HybridLayoutOfThisMachine) {
  auto parsed = Parse(kHybridMountinfo, kHybridSelfCgroup);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  EXPECT_EQ(m.mode(), CgroupMode::kHybrid);
  EXPECT_TRUE(m.HasController("memory"));
  EXPECT_TRUE(m.HasController("pids"));
  EXPECT_TRUE(m.HasController("cpu"));
  EXPECT_TRUE(m.HasController("freezer"));
  EXPECT_FALSE(m.HasController("cpuset"));  // present, but not used
  EXPECT_FALSE(m.HasController("blkio"));

  auto paths = m.PathsFor("web");
  ASSERT_TRUE(paths) << paths.error().message();
  // Our own memory cgroup is the parent: never above it.
  EXPECT_EQ(*paths,
            (std::vector<std::string>{
                "/sys/fs/cgroup/memory/process_api/9a36d91528711d15f40d449a6e3a60b0/rampart/web",
                "/sys/fs/cgroup/pids/rampart/web",
                "/sys/fs/cgroup/cpu/rampart/web",
                "/sys/fs/cgroup/freezer/rampart/web",
                "/sys/fs/cgroup/unified/rampart/web",
            }));
  ASSERT_EQ(m.hierarchies().size(), 5u);
  EXPECT_EQ(m.hierarchies()[0].own_dir,
            "/sys/fs/cgroup/memory/process_api/9a36d91528711d15f40d449a6e3a60b0");
  EXPECT_EQ(m.hierarchies()[2].controllers,
            std::vector<std::string>{"cpu"});  // cpuacct mounted apart
  EXPECT_TRUE(m.hierarchies()[4].v2);
}

TEST(CgroupsParse, ParentNameIsUsed) {
  auto parsed = Parse(kHybridMountinfo, kHybridSelfCgroup, "rampart-test");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  auto paths = m.PathsFor("a");
  ASSERT_TRUE(paths);
  EXPECT_EQ((*paths)[1], "/sys/fs/cgroup/pids/rampart-test/a");
}

TEST(CgroupsParse, PureV2) {
  auto parsed = Parse(kV2Mountinfo, kV2SelfCgroup);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  EXPECT_EQ(m.mode(), CgroupMode::kV2);
  auto paths = m.PathsFor("db");
  ASSERT_TRUE(paths);
  EXPECT_EQ(*paths, std::vector<std::string>{
                        "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/rampart/db"});
}

TEST(CgroupsParse, V1WithCoMountedCpuCpuacct) {
  auto parsed = Parse(kV1Mountinfo, kV1SelfCgroup);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  EXPECT_EQ(m.mode(), CgroupMode::kV1);
  auto paths = m.PathsFor("x");
  ASSERT_TRUE(paths);
  EXPECT_EQ(*paths, (std::vector<std::string>{
                        "/sys/fs/cgroup/memory/system.slice/sshd.service/rampart/x",
                        "/sys/fs/cgroup/pids/system.slice/sshd.service/rampart/x",
                        "/sys/fs/cgroup/cpu,cpuacct/system.slice/sshd.service/rampart/x",
                        "/sys/fs/cgroup/freezer/rampart/x",
                    }));
  EXPECT_EQ(m.hierarchies()[2].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
}

TEST(CgroupsParse, MountOfASubtreeIsResolvedAgainstItsRoot) {
  // A container's view: the memory hierarchy mounted from /docker/abc, our
  // cgroup below it.
  const char* mountinfo =
      "40 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:36 /other /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
  const char* self = "8:pids:/docker/abc\n4:memory:/docker/abc/inner\n";
  auto parsed = Parse(mountinfo, self);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  EXPECT_TRUE(m.HasController("memory"));
  EXPECT_FALSE(m.HasController("pids"));  // the mounted subtree does not contain our cgroup
  auto paths = m.PathsFor("c");
  ASSERT_TRUE(paths);
  EXPECT_EQ(*paths, std::vector<std::string>{"/sys/fs/cgroup/memory/inner/rampart/c"});
}

TEST(CgroupsParse, EscapedMountPoint) {
  const char* mountinfo = "35 31 0:32 / /mnt/cg\\040mem rw - cgroup cgroup rw,memory\n";
  auto parsed = Parse(mountinfo, "4:memory:/\n");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  auto paths = m.PathsFor("c");
  ASSERT_TRUE(paths);
  EXPECT_EQ(*paths, std::vector<std::string>{"/mnt/cg mem/rampart/c"});
}

TEST(CgroupsParse, NoCgroupsAtAll) {
  auto m = CgroupManager::FromText("27 1 254:0 / / rw - ext4 /dev/vda rw\n", "", "rampart");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind(), ErrorKind::kUnsupported);
}

TEST(CgroupsParse, MalformedInput) {
  EXPECT_FALSE(CgroupManager::FromText("27 1 254:0 / / rw ext4\n", kHybridSelfCgroup, "rampart"));
  // Cut short after the separator (no super options), on a line that is
  // not even a cgroup mount: still malformed.
  EXPECT_FALSE(CgroupManager::FromText(std::string("27 1 254:0 / / rw - ext4 /dev/vda\n") + kHybridMountinfo,
                                       kHybridSelfCgroup, "rampart"));
  EXPECT_FALSE(CgroupManager::FromText(kHybridMountinfo, "garbage\n", "rampart"));
  EXPECT_FALSE(CgroupManager::FromText(kHybridMountinfo, "4:memory:relative\n", "rampart"));
}

TEST(CgroupsParse, NamesMustBePlainIdentifiers) {
  auto parsed = Parse(kHybridMountinfo, kHybridSelfCgroup);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  for (const char* bad : {"", ".", "..", "../x", "a/b", ".hidden", "sp ace", "nl\n"}) {
    auto p = m.PathsFor(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().kind(), ErrorKind::kInvalid);
  }
  EXPECT_TRUE(m.PathsFor("web-1_a.b"));
  EXPECT_TRUE(m.PathsFor(std::string(128, 'a')));
  EXPECT_FALSE(m.PathsFor(std::string(129, 'a')));
  EXPECT_FALSE(CgroupManager::FromText(kHybridMountinfo, kHybridSelfCgroup, "../up"));
}

// Fail-closed: a limit whose controller is missing is refused before
// anything is created (so this runs without root and touches nothing).
TEST(CgroupsParse, LimitWithoutControllerIsAnError) {
  const char* mountinfo =
      "39 31 0:36 / /nonexistent/pids rw - cgroup cgroup rw,pids\n"
      "41 31 0:38 / /nonexistent/unified rw - cgroup2 cgroup2 rw\n";
  auto parsed = Parse(mountinfo, "8:pids:/\n0::/\n");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  EXPECT_EQ(m.mode(), CgroupMode::kHybrid);
  CgroupLimits limits;
  limits.memory_bytes = 64 << 20;
  auto cg = m.Create("x", limits);
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(cg.error().message().find(
                "memory limit requested but the memory controller is not available"),
            std::string::npos)
      << cg.error().message();

  CgroupLimits cpu;
  cpu.cpus = 0.5;
  auto cg2 = m.Create("x", cpu);
  ASSERT_FALSE(cg2);
  EXPECT_NE(cg2.error().message().find(
                "cpu quota limit requested but the cpu controller is not available"),
            std::string::npos)
      << cg2.error().message();
}

TEST(CgroupsParse, InvalidLimitsAreRejected) {
  auto parsed = Parse(kHybridMountinfo, kHybridSelfCgroup);
  ASSERT_TRUE(parsed) << parsed.error().message();
  const CgroupManager& m = *parsed;
  CgroupLimits weight;
  weight.cpu_weight = 0;
  EXPECT_EQ(m.Create("x", weight).error().kind(), ErrorKind::kInvalid);
  weight.cpu_weight = 10001;
  EXPECT_EQ(m.Create("x", weight).error().kind(), ErrorKind::kInvalid);
  CgroupLimits cpus;
  cpus.cpus = -1;
  EXPECT_EQ(m.Create("x", cpus).error().kind(), ErrorKind::kInvalid);
  CgroupLimits pids;
  pids.pids_max = 0;
  EXPECT_EQ(m.Create("x", pids).error().kind(), ErrorKind::kInvalid);
  CgroupLimits mem;
  mem.memory_bytes = 0;
  EXPECT_EQ(m.Create("x", mem).error().kind(), ErrorKind::kInvalid);
}

}  // namespace
}  // namespace rampart::runtime
