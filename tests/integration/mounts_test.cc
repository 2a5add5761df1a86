// Container config mounts: read-only binds of host directories and fresh
// tmpfs mounts; unsupported types are refused at create.
#include <fstream>

#include "tests/integration/cli_harness.h"

namespace rampart {
namespace {

class MountsTest : public testing_support::CliTest {
 protected:
  std::string WriteConfig(const std::string& text) {
    std::string path = dir_ + "/config.yaml";
    std::ofstream(path) << text;
    return path;
  }
};

TEST_F(MountsTest, ReadOnlyBindAndTmpfs) {
  ASSERT_EQ(system(("mkdir -p " + dir_ + "/data && echo host-data > " + dir_ + "/data/f").c_str()), 0);
  std::string cfg = WriteConfig("mounts:\n  - {source: " + dir_ + "/data, target: /data, readonly: true}\n" +
                                "  - {type: tmpfs, target: /run/cache, options: [size=1M, mode=0700]}\n");
  auto r = Rampart({"run", name_, "--rm", "--config", cfg, "--", "/bin/sh", "-c",
                    "cat /data/f; (echo x > /data/new) 2>/dev/null && echo DATA-WRITABLE || echo data-read-only; "
                    "echo y > /run/cache/z && cat /run/cache/z; grep ' /run/cache ' /proc/self/mountinfo"});
  EXPECT_EQ(Code(r), 0) << Describe(r);
  EXPECT_NE(r.out.find("host-data"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("data-read-only"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("y\n"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("tmpfs"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("size=1024k"), std::string::npos) << Describe(r);
  // Nothing the container did reached the host directory.
  EXPECT_NE(access((dir_ + "/data/f").c_str(), F_OK), -1);
  EXPECT_EQ(access((dir_ + "/data/new").c_str(), F_OK), -1);
}

TEST_F(MountsTest, UnsupportedMountTypeIsRefusedAtCreate) {
  std::string cfg = WriteConfig("mounts:\n  - {type: proc, target: /p}\n");
  auto r = Rampart({"create", name_, "--config", cfg});
  EXPECT_EQ(Code(r), 125) << Describe(r);
  EXPECT_NE(r.err.find("config.yaml:2:5: mount type 'proc'"), std::string::npos) << Describe(r);
  auto ls = Rampart({"ls"});
  EXPECT_EQ(ls.out.find(name_), std::string::npos) << "a refused create left the container behind" << Describe(ls);
}

// The optional time namespace: off by default, its own when asked for.
TEST_F(MountsTest, TimeNamespaceOnlyWhenConfigured) {
  char host[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/time", host, sizeof host - 1), 0);
  auto plain = Rampart({"run", name_, "--rm", "--", "/bin/sh", "-c", "readlink /proc/self/ns/time"});
  EXPECT_EQ(Code(plain), 0) << Describe(plain);
  EXPECT_NE(plain.out.find(host), std::string::npos) << "host " << host << Describe(plain);
  std::string cfg = WriteConfig("namespaces: {time: true}\n");
  auto timens = Rampart({"run", name_, "--rm", "--config", cfg, "--", "/bin/sh", "-c", "readlink /proc/self/ns/time"});
  EXPECT_EQ(Code(timens), 0) << Describe(timens);
  EXPECT_NE(timens.out.find("time:["), std::string::npos) << Describe(timens);
  EXPECT_EQ(timens.out.find(host), std::string::npos) << "host " << host << Describe(timens);
}

}  // namespace
}  // namespace rampart
