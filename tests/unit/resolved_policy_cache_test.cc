// The resolved-profile cache: hits only while every source is unchanged.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "runtime/resolved_policy_cache.h"
#include "security/compiled_policy.h"
#include "security/resolver.h"

namespace rampart::runtime {
namespace {

class ResolvedPolicyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-rpc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    paths_.root = dir_ + "/root";
    paths_.run = dir_ + "/run";
    paths_.conf_dir = dir_ + "/conf";
    dirs_ = {dir_ + "/policies"};
    ASSERT_TRUE(MakeDirs(dirs_[0], 0700).has_value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Resolves, compiles and stores `ref` as the runtime does on a miss.
  void Store(const std::string& ref) {
    auto loader = security::ProfileLoader::Create(dirs_);
    ASSERT_TRUE(loader.has_value()) << loader.error().message();
    std::vector<security::ProfileSource> sources;
    auto policy = loader->Load(ref, &sources);
    ASSERT_TRUE(policy.has_value()) << policy.error().message();
    auto compiled = security::CompilePolicy(*policy);
    ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
    ResolvedPolicy r{*compiled, 1, "x.yaml:1:1: finding [RA000]"};
    auto st = StoreResolvedPolicy(paths_, ref, dirs_, sources, r);
    ASSERT_TRUE(st.has_value()) << st.error().message();
    hash_ = compiled->hash;
  }

  std::string dir_, hash_;
  Paths paths_;
  std::vector<std::string> dirs_;
};

TEST_F(ResolvedPolicyCacheTest, HitsUntilAnExtendedFileChanges) {
  const std::string base = dirs_[0] + "/base.yaml";
  ASSERT_TRUE(WriteFileAtomic(base, "name: base\nseccomp:\n  allow: [read, write, exit_group]\n").has_value());
  ASSERT_TRUE(WriteFileAtomic(dirs_[0] + "/leaf.yaml", "name: leaf\nextends: base\n").has_value());
  EXPECT_FALSE(LookupResolvedPolicy(paths_, "leaf", dirs_).has_value()) << "hit in an empty cache";
  Store("leaf");
  auto hit = LookupResolvedPolicy(paths_, "leaf", dirs_);
  ASSERT_TRUE(hit.has_value()) << "no hit right after storing";
  EXPECT_EQ(hit->compiled.hash, hash_);
  EXPECT_EQ(hit->high_findings, 1);
  EXPECT_EQ(hit->first_high, "x.yaml:1:1: finding [RA000]");
  EXPECT_EQ(hit->compiled.policy.name, "leaf");

  // The extended profile (not the one named) changes: a miss.
  ASSERT_TRUE(WriteFileAtomic(base, "name: base\nseccomp:\n  allow: [read, write]\n").has_value());
  EXPECT_FALSE(LookupResolvedPolicy(paths_, "leaf", dirs_).has_value()) << "stale entry used after base.yaml changed";
}

TEST_F(ResolvedPolicyCacheTest, AFileShadowingAShippedNameIsAMiss) {
  Store("default");
  ASSERT_TRUE(LookupResolvedPolicy(paths_, "default", dirs_).has_value());
  ASSERT_TRUE(WriteFileAtomic(dirs_[0] + "/default.yaml", "name: default\nseccomp:\n  allow: [read]\n").has_value());
  EXPECT_FALSE(LookupResolvedPolicy(paths_, "default", dirs_).has_value())
      << "a local default.yaml now shadows the shipped one, but the cached shipped one was used";
}

TEST_F(ResolvedPolicyCacheTest, DamagedEntryIsAMiss) {
  ASSERT_TRUE(WriteFileAtomic(dirs_[0] + "/p.yaml", "name: p\nseccomp:\n  allow: [read]\n").has_value());
  Store("p");
  ASSERT_TRUE(LookupResolvedPolicy(paths_, "p", dirs_).has_value());
  for (const auto& e : std::filesystem::directory_iterator(paths_.root + "/cache/resolved")) {
    if (e.path().extension() == ".bpf") {
      ASSERT_TRUE(WriteFileAtomic(e.path().string(), std::string(16, 'x')).has_value());
    }
  }
  EXPECT_FALSE(LookupResolvedPolicy(paths_, "p", dirs_).has_value()) << "a damaged program was used";
}

}  // namespace
}  // namespace rampart::runtime
