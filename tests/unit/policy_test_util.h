// Shorthands for the security/ unit tests: a loader of the shipped profiles,
// a seccomp_data for one call by name, and a policy's verdict for it, with
// failures reported as test failures.
#pragma once

#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "security/profile.h"
#include "security/policy.h"
#include "security/resolver.h"
#include "security/syscall_table.h"

namespace rampart::security::testing_util {

inline ProfileLoader Loader() {
  auto l = ProfileLoader::Create();
  EXPECT_TRUE(l.has_value()) << l.error().message();
  return std::move(l).value();
}

inline seccomp_data Call(Arch arch, const std::string& name, std::initializer_list<uint64_t> args = {}) {
  seccomp_data d{};
  d.arch = AuditArch(arch);
  auto nr = SyscallNumber(arch, name);
  EXPECT_TRUE(nr.has_value()) << name << " on " << ArchName(arch);
  d.nr = static_cast<int>(nr.value_or(0));
  size_t i = 0;
  for (uint64_t a : args) d.args[i++] = a;
  return d;
}

// The policy's own (IR) verdict, e.g. "allow", "errno(EPERM)".
inline std::string Eval(const Policy& p, const std::string& name, std::initializer_list<uint64_t> args = {},
                        Arch arch = Arch::kX86_64) {
  return p.seccomp.Evaluate(Call(arch, name, args)).ToString();
}

}  // namespace rampart::security::testing_util
