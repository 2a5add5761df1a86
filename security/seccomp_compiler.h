// SeccompPolicy → one classic BPF program for every filtered architecture.
// rampart emits it itself: per architecture, the syscall numbers are cut
// into runs that get the same verdict (allowed calls, known-but-denied
// calls and unknown numbers interleave in long runs), dispatched by a
// balanced tree of `nr >= N` tests (or a chain, `optimize: linear`);
// argument rules become per-syscall blocks of 32-bit comparisons. Every
// program is checked against SeccompPolicy::Evaluate in the interpreter
// before it is handed out.
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
  std::map<Arch, size_t> rules_per_arch;  // syscall numbers with a decision of their own
};

struct SeccompCompileOptions {
  std::optional<Optimize> optimize;  // overrides the policy's choice
};

Result<SeccompProgram> CompileSeccomp(const SeccompPolicy& policy, const SeccompCompileOptions& options = {});

// Number of instructions a single-architecture filter of `policy` takes
// (for reports; compiles again).
Result<size_t> CountInstructions(const SeccompPolicy& policy, Arch arch);

// The x86 multiplexers socketcall and ipc: the resolver always decides them
// explicitly (libseccomp-based tools derive socketcall(N)/ipc(N) rules from
// the sub-call names; rampart's filter decides them by their own entry).
bool IsX86Multiplexer(const std::string& name);

}  // namespace rampart::security
