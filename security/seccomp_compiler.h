// SeccompPolicy → one BPF program for every filtered architecture, built
// with libseccomp (one context per architecture, merged), exported as bytes.
#pragma once

#include <linux/filter.h>

#include <map>
#include <optional>
#include <vector>

#include "base/result.h"
#include "security/policy.h"

namespace rampart::security {

struct SeccompProgram {
  std::vector<sock_filter> insns;
  bool tree = false;                   // binary-tree syscall dispatch
  std::map<Arch, size_t> rules_per_arch;  // libseccomp rules added (after argument rewriting)
};

struct SeccompCompileOptions {
  std::optional<Optimize> optimize;  // overrides the policy's choice
};

Result<SeccompProgram> CompileSeccomp(const SeccompPolicy& policy, const SeccompCompileOptions& options = {});

// Number of instructions a single-architecture filter of `policy` takes
// (for reports; compiles again).
Result<size_t> CountInstructions(const SeccompPolicy& policy, Arch arch);

// The x86 multiplexers: libseccomp derives socketcall(N)/ipc(N) rules from the
// sub-call names, so the compiler always decides these two explicitly.
bool IsX86Multiplexer(const std::string& name);

}  // namespace rampart::security
