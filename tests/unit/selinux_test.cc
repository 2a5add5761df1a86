// SELinux CIL module generation: the golden module of the shipped `default`
// profile, the capability / capability2 split, no mount permission, MCS
// levels and labels, and an offline compile of the modules with secilc
// against the installed selinux-policy-default store (skipped when secilc or
// the store is missing, unless RAMPART_TESTS_MUST_RUN=1).
#include "security/selinux.h"
#include "tests/unit/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "security/capabilities.h"
#include "security/resolver.h"
#include "tests/unit/policy_test_util.h"

namespace rampart::security {
namespace {

using testing_util::Loader;

const std::string kGoldenDir = std::string(RAMPART_SOURCE_DIR) + "/tests/fixtures/selinux/";

Policy Default() {
  auto p = Loader().Load("default");
  EXPECT_TRUE(p.has_value()) << p.error().message();
  return std::move(p).value();
}

const char* kFsProfile =
    "name: fs-demo\n"
    "extends: default\n"
    "filesystem:\n"
    "  paths:\n"
    "    - {path: /usr, access: [read, exec]}\n"
    "    - {path: /tmp, access: [read, write, create]}\n"
    "landlock: {mode: if-available}\n";

Policy FsPolicy() {
  auto p = Loader().LoadText(kFsProfile, "fs-demo.yaml");
  EXPECT_TRUE(p.has_value()) << p.error().message();
  return std::move(p).value();
}

bool MustRun() {
  const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");
  return must && std::string(must) == "1";
}

// The permissions of `(allow T self (CLASS (p1 p2 ...)))`, empty if none.
std::set<std::string> SelfPerms(const std::string& cil, const std::string& type,
                                const std::string& cls) {
  std::set<std::string> out;
  const std::regex re("\\(allow " + type + " self \\(" + cls + " \\(([a-z0-9_ ]*)\\)\\)\\)");
  for (std::sregex_iterator it(cil.begin(), cil.end(), re), end; it != end; ++it) {
    std::istringstream in((*it)[1].str());
    std::string perm;
    while (in >> perm) out.insert(perm);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Skips (or, under RAMPART_TESTS_MUST_RUN=1, fails) when the host cannot validate.
#define VALIDATE_OR_SKIP(status)                                                        \
  do {                                                                                  \
    if (!(status).has_value() && (status).error().kind() == ErrorKind::kUnsupported) { \
      if (MustRun()) FAIL() << (status).error().message();                              \
      GTEST_SKIP() << (status).error().message();                                       \
    }                                                                                   \
  } while (0)

TEST(SelinuxTest, TypeNamesAreSanitized) {
  Policy p;
  p.name = "Web-Server.v2";
  EXPECT_EQ(SelinuxTypeName(p), "rampart_web_server_v2_t");
  EXPECT_EQ(SelinuxFileTypeName(p), "rampart_web_server_v2_file_t");
  EXPECT_EQ(SelinuxTypeName(Default()), "rampart_default_t");
}

TEST(SelinuxTest, DefaultProfileMatchesGolden) {
  const Policy p = Default();
  const std::string cil = GenerateSelinuxCil(p);
  EXPECT_EQ(cil, GenerateSelinuxCil(p)) << "not deterministic";
  EXPECT_NE(cil.find("; rampart SELinux policy module (CIL) for profile \"default\""),
            std::string::npos);
  EXPECT_NE(cil.find("(type rampart_default_t)"), std::string::npos);
  EXPECT_NE(cil.find("(typeattributeset domain (rampart_default_t))"), std::string::npos);
  EXPECT_GOLDEN(cil, kGoldenDir + "default.cil");
}

TEST(SelinuxTest, FilesystemProfileMatchesGolden) {
  const std::string cil = GenerateSelinuxCil(FsPolicy());
  EXPECT_NE(cil.find(";   /usr: read,exec"), std::string::npos) << cil;
  EXPECT_GOLDEN(cil, kGoldenDir + "fs-demo.cil");
}

TEST(SelinuxTest, CapabilitiesAreExactlyTheBoundingSetSplitByNumber) {
  const Policy p = Default();
  ASSERT_NE(p.caps.bounding, 0u);
  const std::string t = SelinuxTypeName(p);
  const std::string cil = GenerateSelinuxCil(p);
  std::set<std::string> want;
  for (const auto& n : CapabilityNames(p.caps.bounding)) want.insert(Lower(n.substr(4)));
  EXPECT_EQ(SelfPerms(cil, t, "capability"), want);
  EXPECT_TRUE(SelfPerms(cil, t, "capability2").empty());
  EXPECT_EQ(cil.find("capability2"), std::string::npos) << "default keeps no cap >= 32";

  // Caps >= 32 go to capability2, the rest to capability.
  Policy q = p;
  q.caps.bounding = (1ULL << 0) | (1ULL << 31) | (1ULL << 32) | (1ULL << 38) | (1ULL << 39);
  const std::string cil2 = GenerateSelinuxCil(q);
  EXPECT_EQ(SelfPerms(cil2, t, "capability"), (std::set<std::string>{"chown", "setfcap"}));
  EXPECT_EQ(SelfPerms(cil2, t, "capability2"),
            (std::set<std::string>{"mac_override", "perfmon", "bpf"}));

  Policy none = p;
  none.caps.bounding = 0;
  const std::string cil3 = GenerateSelinuxCil(none);
  EXPECT_EQ(cil3.find("(capability "), std::string::npos);
  EXPECT_EQ(cil3.find("(capability2 "), std::string::npos);
}

TEST(SelinuxTest, NoMountPermissionAnywhere) {
  Policy all = Default();
  all.caps.bounding = AllCapabilitiesMask();
  for (const Policy& p : {Default(), FsPolicy(), all}) {
    const std::string cil = GenerateSelinuxCil(p);
    EXPECT_EQ(cil.find("(filesystem"), std::string::npos) << cil;
    EXPECT_FALSE(std::regex_search(cil, std::regex("\\(allow [^;\\n]*\\b(mount|remount|unmount|mounton)\\b")))
        << cil;
  }
}

TEST(SelinuxTest, FilePermissionsFollowFilesystemRules) {
  const std::string fs = GenerateSelinuxCil(FsPolicy());
  // read+exec on /usr, read+write+create on /tmp: the union of both.
  EXPECT_NE(fs.find("execute"), std::string::npos);
  EXPECT_NE(fs.find(" write "), std::string::npos);
  EXPECT_NE(fs.find(" create "), std::string::npos);

  Policy ro = FsPolicy();
  ro.landlock.rules = {FsRule{"/data", kFsRead, {}}};
  const std::string full = GenerateSelinuxCil(ro);
  EXPECT_NE(full.find("(allow rampart_fs_demo_t rampart_fs_demo_file_t (file (getattr open read"),
            std::string::npos)
      << full;
  std::string r;  // only the rules on the file type (capabilities have audit_write)
  std::istringstream lines(full);
  for (std::string line; std::getline(lines, line);)
    if (line.find("rampart_fs_demo_file_t (") != std::string::npos) r += line + "\n";
  EXPECT_EQ(r.find("write"), std::string::npos) << r;
  EXPECT_EQ(r.find("execute"), std::string::npos) << r;
  EXPECT_EQ(r.find("create"), std::string::npos) << r;

  // No rules at all: full access to the container's own file type.
  const std::string d = GenerateSelinuxCil(Default());
  EXPECT_NE(d.find("full access"), std::string::npos);
  for (const char* perm : {"read", "write", "execute", "create", "unlink", "add_name"})
    EXPECT_NE(d.find(std::string(" ") + perm), std::string::npos) << perm;
  EXPECT_NE(d.find("(allow rampart_default_t self (process (fork sigchld"), std::string::npos);
}

TEST(SelinuxTest, McsLevelIsDeterministicAndDiffersByName) {
  const std::string a = McsLevelFor("web-1");
  EXPECT_EQ(a, McsLevelFor("web-1"));
  EXPECT_NE(a, McsLevelFor("web-2"));
  const std::regex re("s0:c([0-9]+),c([0-9]+)");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string level = McsLevelFor("container-" + std::to_string(i));
    std::smatch m;
    ASSERT_TRUE(std::regex_match(level, m, re)) << level;
    const int lo = std::stoi(m[1]), hi = std::stoi(m[2]);
    EXPECT_LT(lo, hi) << level;
    EXPECT_GE(lo, 0);
    EXPECT_LE(hi, 1023);
    seen.insert(level);
  }
  EXPECT_GE(seen.size(), 199u) << "categories should be unique-ish";
}

TEST(SelinuxTest, LabelsFormat) {
  const Policy p = Default();
  const SelinuxLabels l = ComputeSelinuxLabels(p, "s0:c1,c2");
  EXPECT_EQ(l.process, "system_u:system_r:rampart_default_t:s0:c1,c2");
  EXPECT_EQ(l.mount, "system_u:object_r:rampart_default_file_t:s0:c1,c2");
  EXPECT_EQ(ComputeSelinuxLabels(p, "").process, "system_u:system_r:rampart_default_t:s0");
  const std::string level = McsLevelFor("db");
  EXPECT_EQ(ComputeSelinuxLabels(p, level).mount,
            "system_u:object_r:rampart_default_file_t:" + level);
}

TEST(SelinuxTest, DefaultModuleCompiles) {
  const Status s = ValidateSelinuxCil(GenerateSelinuxCil(Default()));
  VALIDATE_OR_SKIP(s);
  EXPECT_TRUE(s.has_value()) << s.error().message();
}

TEST(SelinuxTest, FilesystemModuleCompiles) {
  Policy p = FsPolicy();
  p.caps.bounding |= (1ULL << 38) | (1ULL << 39);  // exercise capability2 too
  const Status s = ValidateSelinuxCil(GenerateSelinuxCil(p));
  VALIDATE_OR_SKIP(s);
  EXPECT_TRUE(s.has_value()) << s.error().message();
}

TEST(SelinuxTest, BrokenModuleIsRejectedWithCompilerMessage) {
  const Status s = ValidateSelinuxCil(
      "(type rampart_broken_t)\n(allow rampart_broken_t self (capability (chown no_such_perm)))\n");
  VALIDATE_OR_SKIP(s);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
  const std::string& msg = s.error().message();
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find("no_such_perm"), std::string::npos) << msg;
  EXPECT_NE(msg.find("module.cil:2"), std::string::npos) << msg;
}

TEST(SelinuxTest, NeverallowViolationNamesTheModuleLine) {
  const Status s = ValidateSelinuxCil(
      "(type rampart_bad_t)\n(typeattributeset domain (rampart_bad_t))\n"
      "(allow rampart_bad_t security_t (security (load_policy)))\n");
  VALIDATE_OR_SKIP(s);
  ASSERT_FALSE(s.has_value());
  const std::string& msg = s.error().message();
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find("neverallow"), std::string::npos) << msg;
  EXPECT_NE(msg.find("module.cil:3"), std::string::npos) << msg;
}

TEST(SelinuxTest, MissingStoreIsUnsupportedNamingThePackage) {
  const Status s = ValidateSelinuxCil("(type x_t)\n", "/nonexistent/rampart/store");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(s.error().message().find("selinux-policy-default"), std::string::npos);
}

}  // namespace
}  // namespace rampart::security
