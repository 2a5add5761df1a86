// Filesystem rules enforced with Landlock inside a container, and the
// start-time decision for security layers the host lacks (this host: no
// AppArmor, no SELinux): `required` refuses with one line naming the
// setting, `if-available` starts, warns and records a note `info` shows.
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/integration/cli_harness.h"

namespace rampart {
namespace {

class LandlockTest : public testing_support::CliTest {
 protected:
  // Writes ROOT/policies/NAME.yaml; returns its path.
  std::string Profile(const std::string& name, const std::string& body) {
    const std::string dir = dir_ + "/root/policies";
    EXPECT_TRUE(RunCommand({"mkdir", "-p", dir}).has_value());
    const std::string path = dir + "/" + name + ".yaml";
    EXPECT_TRUE(WriteFileAtomic(path, "name: " + name + "\nextends: default\n" + body).has_value());
    return path;
  }
  static bool HostHasLandlock() {
    return syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION) > 0;
  }
  static bool Exists(const char* path) {
    struct stat st {};
    return stat(path, &st) == 0;
  }
  void SkipOrFail(const std::string& why) {
    const char* must = getenv("RAMPART_TESTS_MUST_RUN");
    if (must && std::string(must) == "1") FAIL() << why << " (RAMPART_TESTS_MUST_RUN=1)";
    GTEST_SKIP() << why;
  }
};

TEST_F(LandlockTest, FilesystemRulesAreEnforcedInTheContainer) {
  if (!HostHasLandlock()) return SkipOrFail("the kernel has no Landlock");
  Profile("ll",
          "filesystem:\n"
          "  paths:\n"
          "    - {path: /bin, access: [read, exec]}\n"
          "    - {path: /etc/passwd, access: read}\n"
          "    - {path: /tmp, access: [read, write, create]}\n"
          "    - {path: /dev, access: [read, write]}\n"
          "    - {path: /nonexistent, access: read}\n"
          "landlock: required\n");
  auto r = Rampart({"run", name_, "--rm", "--profile", "ll", "--", "/bin/sh", "-c",
                    "cat /etc/passwd >/dev/null && echo read-passwd-ok; "
                    "echo hi > /tmp/x && cat /tmp/x && echo write-tmp-ok; "
                    "echo no > /etc/x && echo WROTE-ETC; "
                    "ls /etc && echo LISTED-ETC; "
                    "cat /proc/self/status >/dev/null && echo READ-PROC; "
                    "echo done"});
  EXPECT_EQ(Code(r), 0) << Describe(r);
  EXPECT_NE(r.out.find("read-passwd-ok"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("hi\nwrite-tmp-ok"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("done"), std::string::npos)
      << "the payload must still exec and run" << Describe(r);
  for (const char* leak : {"WROTE-ETC", "LISTED-ETC", "READ-PROC"})
    EXPECT_EQ(r.out.find(leak), std::string::npos) << leak << Describe(r);
  // busybox prints the errno text: EACCES for the write outside the
  // allowed paths and for the reads of paths not granted.
  EXPECT_NE(r.err.find("can't create /etc/x: Permission denied"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("/etc"), std::string::npos) << Describe(r);
  size_t denied = 0;
  for (size_t at = r.err.find("Permission denied"); at != std::string::npos;
       at = r.err.find("Permission denied", at + 1))
    ++denied;
  EXPECT_GE(denied, 3u) << "write /etc/x, list /etc, read /proc" << Describe(r);

  auto show = Rampart({"policy", "show", "ll"});
  EXPECT_EQ(Code(show), 0) << Describe(show);
  EXPECT_NE(show.out.find("landlock: required"), std::string::npos) << Describe(show);
  EXPECT_NE(show.out.find("/tmp: read,write,create -> write_file,read_file,read_dir"),
            std::string::npos)
      << Describe(show);
  EXPECT_NE(show.out.find("apparmor: generate, enforce off"), std::string::npos) << Describe(show);
}

TEST_F(LandlockTest, RequiredAppArmorRefusesToStartOnAHostWithout) {
  if (Exists("/sys/kernel/security/apparmor")) return SkipOrFail("this host has AppArmor");
  const std::string path = Profile("aa", "apparmor: {enforce: required}\n");
  auto r = Rampart({"run", name_, "--rm", "--profile", "aa", "--", "/bin/true"});
  EXPECT_NE(Code(r), 0) << Describe(r);
  EXPECT_NE(
      r.err.find("profile aa requires AppArmor (apparmor.enforce: required at " + path +
                 ":3:21) but this host has no AppArmor (/sys/kernel/security/apparmor is missing)"),
      std::string::npos)
      << Describe(r);
}

TEST_F(LandlockTest, IfAvailableStartsWarnsAndInfoShowsTheNote) {
  if (Exists("/sys/kernel/security/apparmor") || Exists("/sys/fs/selinux/enforce"))
    return SkipOrFail("this host has AppArmor or SELinux");
  Profile("soft", "apparmor: {enforce: if-available}\nselinux: {enforce: if-available}\n");
  auto c = Rampart({"create", name_, "--profile", "soft", "--", "/bin/sleep", "30"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  auto s = Rampart({"start", name_});
  ASSERT_EQ(Code(s), 0) << Describe(s);
  EXPECT_NE(s.err.find("apparmor: skipped, this host has no AppArmor (/sys/kernel/security/apparmor is missing)"),
            std::string::npos)
      << Describe(s);
  auto info = Rampart({"--format", "json", "info", name_});
  ASSERT_EQ(Code(info), 0) << Describe(info);
  auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << Describe(info);
  EXPECT_EQ(j["state"], "running") << Describe(info);
  EXPECT_EQ(j["security_notes"],
            nlohmann::json({"apparmor: skipped, this host has no AppArmor (/sys/kernel/security/apparmor is missing)",
                            "selinux: skipped, this host has no SELinux (/sys/fs/selinux/enforce is missing)"}))
      << Describe(info);
  (void)Rampart({"stop", "-t", "0", name_});
}

TEST_F(LandlockTest, RequiredLandlockAboveTheKernelsAbiRefuses) {
  Profile("ll99",
          "landlock: {mode: required, min_abi: 99}\nfilesystem:\n  paths: [{path: /, access: "
          "[read, exec]}]\n");
  auto r = Rampart({"run", name_, "--rm", "--profile", "ll99", "--", "/bin/true"});
  EXPECT_NE(Code(r), 0) << Describe(r);
  EXPECT_NE(r.err.find("profile ll99 requires Landlock"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("min_abi 99"), std::string::npos) << Describe(r);
}

// CRIU does not restore a Landlock domain: a checkpoint would give back a
// container without its filesystem rules, so it is refused (fail-closed)
// and the container keeps running.
TEST_F(LandlockTest, CheckpointOfALandlockedContainerIsRefused) {
  if (!HostHasLandlock()) return SkipOrFail("the kernel has no Landlock");
  Profile("llck",
          "filesystem:\n"
          "  paths:\n"
          "    - {path: /, access: [read, exec]}\n"
          "    - {path: /dev, access: [read, write]}\n");
  auto r = Rampart({"run", "-d", name_, "--profile", "llck", "--", "/bin/sleep", "1000"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  auto ck = Rampart({"checkpoint", name_});
  EXPECT_NE(Code(ck), 0) << Describe(ck);
  EXPECT_NE(ck.err.find("Landlock"), std::string::npos) << Describe(ck);
  EXPECT_NE(ck.err.find("cannot restore"), std::string::npos) << Describe(ck);
  auto info = Rampart({"--format", "json", "info", name_});
  auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << Describe(info);
  EXPECT_EQ(j.value("state", ""), "running") << Describe(info);
}

// filesystem.readonly_root and filesystem.tmpfs: / is read-only in the
// container, the tmpfs paths are fresh and writable.
TEST_F(LandlockTest, ReadonlyRootWithTmpfsPaths) {
  Profile("rofs", "filesystem:\n  readonly_root: true\n  tmpfs: [/tmp, /scratch]\n");
  auto r = Rampart({"run", name_, "--rm", "--profile", "rofs", "--", "/bin/sh", "-c",
                    "echo no > /etc/x && echo WROTE-ETC; echo a > /tmp/a && echo b > /scratch/b && cat /tmp/a /scratch/b; "
                    "grep -E ' / | /tmp | /scratch ' /proc/mounts"});
  EXPECT_EQ(Code(r), 0) << Describe(r);
  EXPECT_EQ(r.out.find("WROTE-ETC"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find("can't create /etc/x: Read-only file system"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("a\nb\n"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find(" / "), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("none /tmp tmpfs rw,nosuid,nodev"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("none /scratch tmpfs rw,nosuid,nodev"), std::string::npos) << Describe(r);
  // The root line says ro.
  auto root = r.out.find(" / ");
  ASSERT_NE(root, std::string::npos) << Describe(r);
  EXPECT_EQ(r.out.compare(r.out.find(' ', root + 3) + 1, 3, "ro,"), 0) << Describe(r);
}

}  // namespace
}  // namespace rampart
