// A userspace interpreter for classic BPF seccomp programs: what the kernel
// would return for one `struct seccomp_data`. Used by `policy check` and to
// test compiled filters without loading them.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <vector>

#include "base/result.h"

namespace rampart::security {

// Runs the program; errors for programs the kernel would reject at run
// time (jump out of range, bad opcode, reading outside seccomp_data, no return).
Result<uint32_t> RunBpf(const std::vector<sock_filter>& prog, const seccomp_data& data);

}  // namespace rampart::security
