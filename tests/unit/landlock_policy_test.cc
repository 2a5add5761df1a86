// The filesystem and landlock sections, apparmor/selinux `enforce`: parsing
// with positions, every error with its file:line:column, extends merging,
// the "beneath" contradiction, the frozen copy and the hash, the rights
// mapping and the start-time decision (CheckEnforcement) on made-up hosts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "security/compiled_policy.h"
#include "security/landlock.h"
#include "security/profile_parser.h"
#include "security/resolver.h"

namespace rampart::security {
namespace {

constexpr const char* kFile = "/tmp/ll/p.yaml";

Result<Policy> Load(const std::string& text) {
  auto l = ProfileLoader::Create();
  EXPECT_TRUE(l.has_value());
  return l->LoadText(text, kFile);
}

// Expects `text` to fail with a message starting "kFile:LINE:COL: " and
// containing every word of `words`.
void ExpectError(const std::string& text, int line, int col,
                 std::initializer_list<std::string> words) {
  auto p = Load(text);
  ASSERT_FALSE(p.has_value()) << "no error for:\n" << text;
  const std::string msg = p.error().message();
  const std::string where =
      std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << "expected '" << where << "...', got: " << msg;
  for (const auto& w : words)
    EXPECT_NE(msg.find(w), std::string::npos) << "no '" << w << "' in: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

const char* kGood =
    "name: fs\n"
    "filesystem:\n"
    "  paths:\n"
    "    - {path: /, access: [read, exec]}\n"
    "    - {path: /tmp/, access: [read, write, create]}\n"
    "    - {path: /etc//passwd, access: [read, exec]}\n"
    "landlock: {mode: if-available, min_abi: 2}\n";

TEST(LandlockPolicy, ParsesPathsAccessAndMode) {
  auto p = ParseProfile(kGood, kFile);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_TRUE(p->filesystem.has_value());
  ASSERT_EQ(p->filesystem->paths.size(), 3u);
  EXPECT_EQ(p->filesystem->paths[0].path.value, "/");
  EXPECT_EQ(p->filesystem->paths[0].access, kFsRead | kFsExec);
  EXPECT_EQ(p->filesystem->paths[1].path.value, "/tmp");  // normalised
  EXPECT_EQ(p->filesystem->paths[1].access, kFsRead | kFsWrite | kFsCreate);
  EXPECT_EQ(p->filesystem->paths[1].pos.ToString(), std::string(kFile) + ":5:14");
  EXPECT_EQ(p->filesystem->paths[2].path.value, "/etc/passwd");
  EXPECT_EQ(p->filesystem->paths[2].access, kFsRead | kFsExec);
  ASSERT_TRUE(p->landlock.has_value());
  EXPECT_EQ(p->landlock->mode.value, EnforceMode::kIfAvailable);
  EXPECT_EQ(p->landlock->min_abi, 2u);

  auto scalar = ParseProfile(
      "name: x\nlandlock: off\nfilesystem:\n  paths:\n    - {path: /s, access: none}\n", kFile);
  ASSERT_TRUE(scalar.has_value()) << scalar.error().message();
  EXPECT_EQ(scalar->landlock->mode.value, EnforceMode::kOff);
  EXPECT_EQ(scalar->landlock->mode.pos.ToString(), std::string(kFile) + ":2:11");
  EXPECT_EQ(scalar->filesystem->paths[0].access, 0);
  auto listed =
      ParseProfile("name: x\nfilesystem:\n  paths:\n    - {path: /s, access: [none]}\n", kFile);
  ASSERT_TRUE(listed.has_value()) << listed.error().message();
}

TEST(LandlockPolicy, ResolvedRulesSortedWithDefaultModeRequired) {
  auto p = Load(kGood);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_EQ(p->landlock.rules.size(), 3u);
  EXPECT_EQ(p->landlock.rules[0].path, "/");
  EXPECT_EQ(p->landlock.rules[1].path, "/etc/passwd");
  EXPECT_EQ(p->landlock.rules[2].path, "/tmp");
  EXPECT_TRUE(p->landlock.active());
  auto d = Load("name: x\nfilesystem:\n  paths: [{path: /, access: read}]\n");
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_EQ(d->landlock.mode, EnforceMode::kRequired) << "fail-closed default";
  auto none = Load("name: x\n");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->landlock.active()) << "no filesystem section: no ruleset";
}

TEST(LandlockPolicy, ErrorsCarryTheirPosition) {
  ExpectError("name: x\nfilesystem:\n  paths:\n    - {path: /a, access: [read, fly]}\n", 4, 33,
              {"fly", "unknown access"});
  ExpectError("name: x\nfilesystem:\n  paths:\n    - {path: tmp, access: read}\n", 4, 14,
              {"'tmp'", "absolute"});
  ExpectError("name: x\nfilesystem:\n  paths:\n    - {path: /a/../b, access: read}\n", 4, 14,
              {"'..'"});
  ExpectError("name: x\nfilesystem:\n  paths:\n    - {path: /a, access: [read, none]}\n", 4, 33,
              {"'none'", "combined"});
  ExpectError("name: x\nlandlock: sometimes\n", 2, 11, {"sometimes"});
  ExpectError("name: x\nlandlock: {mode: required, min_abi: zero}\n", 2, 37, {"min_abi"});
  ExpectError("name: x\nfilesystem:\n  paths:\n    - {path: /a, acces: read}\n", 4, 18, {"acces"});
  ExpectError("name: x\napparmor: {enforce: maybe}\n", 2, 21, {"apparmor.enforce", "maybe"});
  // The same path twice with different access names both places.
  ExpectError(
      "name: x\nfilesystem:\n  paths:\n    - {path: /a, access: read}\n    - {path: /a/, access: "
      "write}\n",
      5, 14, {"'/a'", "write", "read", std::string(kFile) + ":4:14"});
}

TEST(LandlockPolicy, LessAccessBeneathMoreIsAContradictionWithBothPositions) {
  ExpectError(
      "name: x\nfilesystem:\n  paths:\n    - {path: /, access: [read, exec]}\n    - {path: "
      "/secret, access: none}\n",
      5, 14, {"'/secret'", "beneath '/'", std::string(kFile) + ":4:14", "only add access"});
  ExpectError(
      "name: x\nfilesystem:\n  paths:\n    - {path: /srv/data, access: read}\n    - {path: /srv, "
      "access: [read, write]}\n",
      4, 14, {"'/srv/data'", std::string(kFile) + ":5:14"});
  // More beneath less is fine, and siblings sharing a prefix are not beneath.
  EXPECT_TRUE(Load("name: x\nfilesystem:\n  paths:\n    - {path: /, access: read}\n    - {path: "
                   "/tmp, access: [read, write]}\n"
                   "    - {path: /tmpx, access: read}\n    - {path: /tm, access: [read, exec]}\n")
                  .has_value());
}

TEST(LandlockPolicy, NoNewPrivilegesFalseIsRefusedWithAFilesystemSection) {
  ExpectError(
      "name: x\nno_new_privileges: false\nfilesystem:\n  paths: [{path: /, access: read}]\n", 2, 20,
      {"no_new_privileges", "landlock"});
  EXPECT_TRUE(Load("name: x\nno_new_privileges: false\nlandlock: off\nfilesystem:\n  paths: "
                   "[{path: /, access: read}]\n")
                  .has_value());
}

TEST(LandlockPolicy, ExtendsReplacesSamePathAddsNewAndOverridesMode) {
  const std::string dir = "/tmp/rampart-ll-test-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/base.yaml")
      << "name: base\nlandlock: required\napparmor: {enforce: required}\n"
         "filesystem:\n  paths:\n    - {path: /, access: read}\n"
         "    - {path: /tmp, access: [read, write]}\n";
  std::ofstream(dir + "/child.yaml")
      << "name: child\nextends: base.yaml\nlandlock: {mode: if-available, min_abi: 3}\n"
         "filesystem:\n  paths:\n    - {path: /tmp, access: [read, write, create]}\n"
         "    - {path: /var, access: [read, exec]}\n";
  auto l = ProfileLoader::Create();
  ASSERT_TRUE(l.has_value());
  auto p = l->Load(dir + "/child.yaml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_EQ(p->landlock.rules.size(), 3u);
  EXPECT_EQ(p->landlock.rules[0].path, "/");
  EXPECT_EQ(p->landlock.rules[0].access, kFsRead);
  EXPECT_EQ(p->landlock.rules[1].path, "/tmp");
  EXPECT_EQ(p->landlock.rules[1].access, kFsRead | kFsWrite | kFsCreate)
      << "the child's entry replaces the base's";
  EXPECT_EQ(p->landlock.rules[1].pos.file, dir + "/child.yaml");
  EXPECT_EQ(p->landlock.rules[2].path, "/var");
  EXPECT_EQ(p->landlock.mode, EnforceMode::kIfAvailable);
  EXPECT_EQ(p->landlock.min_abi, 3u);
  EXPECT_EQ(p->apparmor.mode, EnforceMode::kRequired) << "inherited from the base";
  EXPECT_EQ(p->apparmor.pos.ToString(), dir + "/base.yaml:3:21");
}

TEST(LandlockPolicy, FrozenCopyCarriesTheFieldsAndHashFollowsThem) {
  auto p = Load(std::string(kGood) + "selinux: {enforce: required, type: container_t}\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  auto c = CompilePolicy(*p);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  auto thawed = ThawPolicy(FrozenPolicyJson(*c), BpfBytes(c->seccomp.insns), "test");
  ASSERT_TRUE(thawed.has_value()) << thawed.error().message();
  const Policy& t = thawed->policy;
  EXPECT_EQ(t.landlock.rules, p->landlock.rules);
  EXPECT_EQ(t.landlock.rules[2].pos.ToString(), p->landlock.rules[2].pos.ToString());
  EXPECT_TRUE(t.landlock.has_filesystem);
  EXPECT_EQ(t.landlock.mode, EnforceMode::kIfAvailable);
  EXPECT_EQ(t.landlock.mode_pos.ToString(), p->landlock.mode_pos.ToString());
  EXPECT_EQ(t.landlock.min_abi, 2u);
  EXPECT_EQ(t.selinux.mode, EnforceMode::kRequired);
  EXPECT_EQ(t.selinux.pos.ToString(), p->selinux.pos.ToString());
  EXPECT_EQ(t.apparmor.mode, EnforceMode::kOff);

  const std::string h = PolicyHash(*p);
  Policy q = *p;
  q.landlock.rules[2].access |= kFsExec;
  EXPECT_NE(PolicyHash(q), h) << "access change";
  q = *p;
  q.landlock.rules.pop_back();
  EXPECT_NE(PolicyHash(q), h) << "rule removed";
  q = *p;
  q.landlock.mode = EnforceMode::kRequired;
  EXPECT_NE(PolicyHash(q), h) << "mode";
  q = *p;
  q.landlock.min_abi = 3;
  EXPECT_NE(PolicyHash(q), h) << "min_abi";
  q = *p;
  q.apparmor.mode = EnforceMode::kIfAvailable;
  EXPECT_NE(PolicyHash(q), h) << "apparmor enforce";
  q = *p;
  q.landlock.has_filesystem = false;
  EXPECT_NE(PolicyHash(q), h) << "filesystem section";
}

TEST(LandlockPolicy, RightsPerAbiAndAccessWord) {
  using namespace landlock_fs;
  EXPECT_EQ(LandlockHandledRights(0), 0u);
  EXPECT_EQ(LandlockHandledRights(1) & (kRefer | kTruncate), 0u);
  EXPECT_TRUE(LandlockHandledRights(2) & kRefer);
  EXPECT_TRUE(LandlockHandledRights(3) & kTruncate);
  EXPECT_EQ(LandlockHandledRights(7) & kIoctlDev, 0u) << "ttys keep working";
  const uint64_t h3 = LandlockHandledRights(3);
  EXPECT_EQ(LandlockRights(kFsRead, h3), kReadFile | kReadDir);
  EXPECT_EQ(LandlockRights(kFsWrite, h3), kWriteFile | kTruncate);
  EXPECT_EQ(LandlockRights(kFsWrite, LandlockHandledRights(1)), kWriteFile);
  EXPECT_EQ(LandlockRights(kFsExec, h3), kExecute);
  EXPECT_EQ(LandlockRights(0, h3), 0u);
  EXPECT_TRUE(LandlockRights(kFsCreate, h3) & kMakeReg);
  EXPECT_EQ(LandlockRights(kFsCreate, h3) & LandlockFileRights(), 0u) << "create is directory-only";
  EXPECT_EQ(LandlockRightNames(kReadFile | kReadDir),
            (std::vector<std::string>{"read_file", "read_dir"}));
}

TEST(LandlockPolicy, StartDecisionOnHostsWithAndWithoutLayers) {
  HostSecurity bare;  // no Landlock, no AppArmor, no SELinux
  HostSecurity ll7;
  ll7.landlock_abi = 7;
  auto req = Load("name: p\napparmor: {enforce: required}\n");
  ASSERT_TRUE(req.has_value());
  auto r = CheckEnforcement(*req, ll7);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "profile p requires AppArmor (apparmor.enforce: required at /tmp/ll/p.yaml:2:21) but "
            "this host has no "
            "AppArmor (/sys/kernel/security/apparmor is missing)");
  HostSecurity with_aa = ll7;
  with_aa.apparmor = true;
  r = CheckEnforcement(*req, with_aa);
  ASSERT_FALSE(r.has_value()) << "fail-closed: without mount mediation the profile's mount rules would not hold";
  EXPECT_NE(r.error().message().find("no mount mediation"), std::string::npos) << r.error().message();
  with_aa.apparmor_mount = true;
  r = CheckEnforcement(*req, with_aa);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->empty());

  auto opt = Load("name: p\napparmor: {enforce: if-available}\nselinux: {enforce: if-available}\n");
  ASSERT_TRUE(opt.has_value());
  r = CheckEnforcement(*opt, ll7);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(*r, (std::vector<std::string>{
                    "apparmor: skipped, this host has no AppArmor (/sys/kernel/security/apparmor is missing)",
                    "selinux: skipped, this host has no SELinux (/sys/fs/selinux/enforce is missing)"}));

  auto sel = Load("name: p\nselinux: {enforce: required}\n");
  ASSERT_TRUE(sel.has_value());
  r = CheckEnforcement(*sel, ll7);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("/sys/fs/selinux/enforce is missing"), std::string::npos)
      << r.error().message();
  HostSecurity permissive = ll7;
  permissive.selinux = true;
  r = CheckEnforcement(*sel, permissive);
  ASSERT_FALSE(r.has_value()) << "permissive SELinux enforces nothing";
  EXPECT_NE(r.error().message().find("permissive"), std::string::npos) << r.error().message();
  permissive.selinux_enforcing = true;
  r = CheckEnforcement(*sel, permissive);
  EXPECT_TRUE(r.has_value()) << r.error().message();

  auto ll = Load(
      "name: p\nlandlock: {mode: required, min_abi: 99}\nfilesystem:\n  paths: [{path: /, access: "
      "read}]\n");
  ASSERT_TRUE(ll.has_value());
  r = CheckEnforcement(*ll, ll7);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("requires Landlock ABI 99"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("has ABI 7"), std::string::npos) << r.error().message();
  r = CheckEnforcement(*ll, bare);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("no Landlock"), std::string::npos) << r.error().message();

  auto soft = Load(
      "name: p\nlandlock: {mode: if-available, min_abi: 99}\nfilesystem:\n  paths: [{path: /, "
      "access: read}]\n");
  ASSERT_TRUE(soft.has_value());
  r = CheckEnforcement(*soft, ll7);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r,
            (std::vector<std::string>{"landlock: degraded to ABI 7 (the profile asks for 99)"}));
  r = CheckEnforcement(*soft, bare);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (std::vector<std::string>{"landlock: skipped, host has no Landlock"}));
  // Without a filesystem section Landlock is not asked for at all.
  auto plain = Load("name: p\nlandlock: required\n");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(CheckEnforcement(*plain, bare).has_value());
}

}  // namespace
}  // namespace rampart::security

namespace rampart::security {
namespace {

TEST(FilesystemSection, ReadonlyRootAndTmpfsPaths) {
  auto p = Load("name: p\nfilesystem:\n  readonly_root: true\n  tmpfs: [/tmp/, /run]\n");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_TRUE(p->readonly_root);
  EXPECT_EQ(p->tmpfs_paths, (std::vector<std::string>{"/tmp", "/run"}));
  EXPECT_FALSE(p->landlock.has_filesystem) << "no paths: no Landlock ruleset";
  EXPECT_FALSE(p->landlock.active());

  // With paths, a tmpfs path without its own entry is writable under Landlock.
  auto ll = Load("name: p\nfilesystem:\n  tmpfs: [/scratch]\n  paths:\n    - {path: /, access: [read, exec]}\n");
  ASSERT_TRUE(ll.has_value()) << ll.error().message();
  ASSERT_EQ(ll->landlock.rules.size(), 2u);
  EXPECT_EQ(ll->landlock.rules[1].path, "/scratch");
  EXPECT_EQ(ll->landlock.rules[1].access, kFsRead | kFsWrite | kFsCreate);

  // extends: readonly_root replaced when given, tmpfs paths added.
  // A directory of its own: a fixed path would collide with a second run.
  char dir[] = "/tmp/rampart-ll-fs-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr) << "mkdtemp: " << std::strerror(errno);
  {
    std::ofstream(std::string(dir) + "/base.yaml") << "name: base\nfilesystem: {readonly_root: true, tmpfs: [/tmp]}\n";
  }
  auto l = ProfileLoader::Create();
  ASSERT_TRUE(l.has_value());
  auto child =
      l->LoadText("name: c\nextends: base.yaml\nfilesystem: {tmpfs: [/run, /tmp]}\n", std::string(dir) + "/c.yaml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(child.has_value()) << child.error().message();
  EXPECT_TRUE(child->readonly_root);
  EXPECT_EQ(child->tmpfs_paths, (std::vector<std::string>{"/tmp", "/run"}));

  // The frozen copy and the hash carry both.
  auto c = CompilePolicy(*p);
  ASSERT_TRUE(c.has_value());
  auto back = ThawPolicy(FrozenPolicyJson(*c), BpfBytes(c->seccomp.insns), "frozen");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_TRUE(back->policy.readonly_root);
  EXPECT_EQ(back->policy.tmpfs_paths, p->tmpfs_paths);
  Policy q = *p;
  q.readonly_root = false;
  EXPECT_NE(PolicyHash(q), c->hash);

  ExpectError("name: p\nfilesystem: {tmpfs: [/]}\n", 2, 22, {"'/' cannot be a tmpfs"});
  ExpectError("name: p\nfilesystem: {tmpfs: [/a, /a/]}\n", 2, 26, {"'/a' is listed twice"});
  ExpectError("name: p\nfilesystem: {readonly_root: yes}\n", 2, 29, {"filesystem.readonly_root must be true or false"});
  ExpectError("name: p\nfilesystem: {}\n", 2, 13, {"filesystem needs 'paths', 'readonly_root' or 'tmpfs'"});
}

}  // namespace
}  // namespace rampart::security
