// Differential check of a compiled program against the Policy IR: the
// verdict of the cBPF interpreter must equal SeccompPolicy::Evaluate.
// The compiler runs it on the calls where libseccomp does work of its own
// (argument rules, the x86 multiplexers) and refuses a program that
// disagrees; the unit tests run it on every syscall number.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "security/policy.h"

namespace rampart::security {

struct VerifyReport {
  size_t checked = 0;
  size_t mismatched = 0;
  std::vector<std::string> first_mismatches;  // human-readable, at most a few
};

// every_syscall: all numbers below SyscallScanLimit() on every architecture
// (and some foreign architectures); otherwise only conditional syscalls and
// the multiplexers.
VerifyReport DiffProgram(const SeccompPolicy& policy, const std::vector<sock_filter>& insns, bool every_syscall);

// Argument values around every boundary of one syscall's conditions.
std::vector<uint64_t> BoundaryValues(const SyscallPolicy& sp);

}  // namespace rampart::security
