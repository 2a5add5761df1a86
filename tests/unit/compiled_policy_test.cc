// CompiledPolicy: deterministic bytes and hash, the on-disk cache, and the
// size of every shipped profile's program.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "security/compiled_policy.h"
#include "security/embedded.h"
#include "security/resolver.h"
#include "tests/unit/policy_test_util.h"
#include "tests/unit/temp_dir.h"

namespace rampart::security {
namespace {

using testing_util::Loader;

using ::rampart::testing_util::TempDir;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kProfile = R"(name: det
seccomp:
  allow: ["@basic-io", exit_group, brk, mmap]
  deny: [ptrace]
  rules:
    - {syscall: socket, args: ["arg0 != AF_VSOCK"]}
    - {syscall: personality, args: ["arg0 == 0"]}
    - {syscall: personality, args: ["arg0 == 8"]}
capabilities: {drop: [ALL], keep: [CHOWN]}
rlimits: {nofile: [64, 128]}
)";

TEST(CompiledPolicy, SamePolicyTwiceGivesIdenticalBytesAndHash) {
  auto loader = Loader();
  for (const std::string ref : {"default", "web-server"}) {
    auto p = loader.Load(ref);
    ASSERT_TRUE(p.has_value()) << p.error().message();
    auto a = CompilePolicy(*p);
    auto b = CompilePolicy(*p);
    ASSERT_TRUE(a.has_value() && b.has_value()) << ref;
    EXPECT_EQ(BpfBytes(a->seccomp.insns), BpfBytes(b->seccomp.insns)) << ref << ": BPF differs between two compiles";
    EXPECT_EQ(a->hash, b->hash) << ref;
    EXPECT_EQ(a->hash.size(), 64u) << a->hash;
    EXPECT_EQ(a->hash.find_first_not_of("0123456789abcdef"), std::string::npos) << a->hash;
    EXPECT_EQ(a->hash, PolicyHash(*p));
    // Resolving again (a fresh loader) changes nothing either.
    auto p2 = Loader().Load(ref);
    ASSERT_TRUE(p2.has_value());
    auto c = CompilePolicy(*p2);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(BpfBytes(a->seccomp.insns), BpfBytes(c->seccomp.insns)) << ref;
    EXPECT_EQ(a->hash, c->hash) << ref;
    EXPECT_EQ(PolicyToJson(*p).dump(), PolicyToJson(*p2).dump()) << ref;
  }
}

TEST(CompiledPolicy, SameProfileFromTwoPathsGivesSameHash) {
  TempDir dir;
  const std::string a = dir.Write("one/det.yaml", kProfile);
  const std::string b = dir.Write("two/copy.yaml", kProfile);
  auto loader = Loader();
  auto pa = loader.Load(a);
  auto pb = loader.Load(b);
  ASSERT_TRUE(pa.has_value()) << pa.error().message();
  ASSERT_TRUE(pb.has_value()) << pb.error().message();
  EXPECT_NE(pa->chain, pb->chain);
  auto ca = CompilePolicy(*pa);
  auto cb = CompilePolicy(*pb);
  ASSERT_TRUE(ca.has_value() && cb.has_value());
  EXPECT_EQ(ca->hash, cb->hash) << "the file's location changed the hash";
  EXPECT_EQ(BpfBytes(ca->seccomp.insns), BpfBytes(cb->seccomp.insns));
  // Inline text with yet another name: same again.
  auto pc = loader.LoadText(kProfile, "/elsewhere/x.yaml");
  ASSERT_TRUE(pc.has_value());
  EXPECT_EQ(PolicyHash(*pc), ca->hash);
}

TEST(CompiledPolicy, ChangedProfileGivesDifferentHash) {
  auto loader = Loader();
  auto base = loader.LoadText(kProfile, "/t/a.yaml");
  ASSERT_TRUE(base.has_value()) << base.error().message();
  const std::string h = PolicyHash(*base);
  const std::string text = kProfile;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return t;
  };
  const std::pair<std::string, std::string> changes[] = {
      {"exit_group,", "exit_group, getpid,"},             // one more syscall
      {"deny: [ptrace]", "deny: [ptrace, kill]"},          // one more denial
      {"AF_VSOCK", "AF_PACKET"},                           // a condition's value
      {"arg0 == 8", "arg0 == 9"},                          //
      {"keep: [CHOWN]", "keep: [CHOWN, KILL]"},            // capabilities
      {"nofile: [64, 128]", "nofile: [64, 129]"},          // rlimits
      {"name: det", "name: det\nno_new_privileges: false"}, // NNP
      {"seccomp:\n", "seccomp:\n  unknown: errno(EPERM)\n"},
      {"seccomp:\n", "seccomp:\n  architectures: [native]\n"},
  };
  std::set<std::string> seen{h};
  for (const auto& [from, to] : changes) {
    auto p = loader.LoadText(replace(from, to), "/t/a.yaml");
    ASSERT_TRUE(p.has_value()) << to << ": " << p.error().message();
    const std::string h2 = PolicyHash(*p);
    EXPECT_NE(h2, h) << "changing '" << from << "' to '" << to << "' kept the hash";
    EXPECT_TRUE(seen.insert(h2).second) << to << ": hash collides with another change";
  }
  // A changed program: the BPF bytes differ too.
  auto more = loader.LoadText(replace("exit_group,", "exit_group, getpid,"), "/t/a.yaml");
  ASSERT_TRUE(more.has_value());
  auto c1 = CompilePolicy(*base);
  auto c2 = CompilePolicy(*more);
  ASSERT_TRUE(c1.has_value() && c2.has_value());
  EXPECT_NE(BpfBytes(c1->seccomp.insns), BpfBytes(c2->seccomp.insns));
}

TEST(CompiledPolicy, CacheMissThenHit) {
  TempDir dir;
  const std::string cache_dir = dir.path() + "/bpf";
  auto p = Loader().LoadText(kProfile, "/t/a.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  PolicyCache cache(cache_dir);

  bool hit = true;
  auto first = cache.Get(*p, &hit);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_FALSE(hit) << "first Get on an empty cache was a hit";
  EXPECT_EQ(first->hash, PolicyHash(*p));
  const std::string file = cache_dir + "/" + first->hash + ".bpf";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0) << file << " was not written";
  EXPECT_EQ(st.st_mode & 0777, 0600u) << std::oct << (st.st_mode & 0777);
  const std::string on_disk = ReadBytes(file);
  EXPECT_EQ(on_disk.size() % sizeof(sock_filter), 0u);
  EXPECT_EQ(on_disk, BpfBytes(first->seccomp.insns));
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache_dir)) {
    ++entries;
    EXPECT_EQ(e.path().stem(), first->hash) << e.path();
    EXPECT_TRUE(e.path().extension() == ".bpf" || e.path().extension() == ".json") << e.path();
  }
  EXPECT_EQ(entries, 2u) << "expected HASH.bpf and HASH.json only";

  hit = false;
  auto second = cache.Get(*p, &hit);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_TRUE(hit) << "second Get was a miss";
  EXPECT_EQ(second->hash, first->hash);
  EXPECT_EQ(BpfBytes(second->seccomp.insns), BpfBytes(first->seccomp.insns));
  // A fresh compile equals the cached program.
  auto fresh = CompilePolicy(*p);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(BpfBytes(fresh->seccomp.insns), BpfBytes(second->seccomp.insns));

  // A different policy is a separate entry.
  auto other = Loader().LoadText("name: other\nseccomp:\n  allow: [read]\n", "/t/b.yaml");
  ASSERT_TRUE(other.has_value());
  hit = true;
  auto third = cache.Get(*other, &hit);
  ASSERT_TRUE(third.has_value()) << third.error().message();
  EXPECT_FALSE(hit);
  EXPECT_NE(third->hash, first->hash);
  EXPECT_EQ(access((cache_dir + "/" + third->hash + ".bpf").c_str(), F_OK), 0);
}

// A truncated or altered cache entry is never handed out: it is a miss,
// and the entry is rewritten with the real program.
TEST(CompiledPolicy, TamperedCacheEntryIsRecompiled) {
  TempDir dir;
  const std::string cache_dir = dir.path() + "/bpf";
  auto p = Loader().LoadText(kProfile, "/t/a.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  PolicyCache cache(cache_dir);
  auto first = cache.Get(*p);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  const std::string file = cache_dir + "/" + first->hash + ".bpf";
  const std::string good = ReadBytes(file);
  // An "allow everything" program of the same length class: one RET ALLOW.
  sock_filter allow_all = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&allow_all), sizeof allow_all);
  }
  bool hit = true;
  auto second = cache.Get(*p, &hit);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_FALSE(hit) << "a tampered entry was served as a hit";
  EXPECT_EQ(BpfBytes(second->seccomp.insns), good);
  EXPECT_EQ(ReadBytes(file), good) << "the entry was not rewritten";
  hit = false;
  ASSERT_TRUE(cache.Get(*p, &hit).has_value());
  EXPECT_TRUE(hit);
}

TEST(CompiledPolicy, EveryShippedProfileCompilesWithinKernelLimit) {
  auto loader = Loader();
  const auto names = EmbeddedProfileNames();
  ASSERT_GE(names.size(), 4u);
  for (const auto& name : names) {
    auto p = loader.Load(name);
    ASSERT_TRUE(p.has_value()) << name << ": " << p.error().message();
    auto c = CompilePolicy(*p);
    ASSERT_TRUE(c.has_value()) << name << ": " << c.error().message();
    EXPECT_GT(c->seccomp.insns.size(), 10u) << name;
    EXPECT_LE(c->seccomp.insns.size(), 4096u) << name << ": more than BPF_MAXINSNS instructions";
    EXPECT_EQ(c->policy.name, name);
    auto summary = CompiledSummary(*c, false);
    ASSERT_TRUE(summary.has_value()) << name;
    EXPECT_EQ((*summary)["hash"], c->hash);
    EXPECT_EQ((*summary)["instructions"].get<size_t>(), c->seccomp.insns.size());
  }
}

}  // namespace
}  // namespace rampart::security
