// Argument-condition algebra. libseccomp-style rule formats (the OCI and
// LXC exports, seccomp_formats.cc) take at most one comparison per argument
// in a rule and have one fallback action for the whole filter, so a
// syscall's conditions are rewritten into rules they can hold (the audit
// uses the complement too; rampart's own BPF generator does not need this):
//  - Normalize: a conjunction that may test one argument several times
//    becomes ORed conjunctions with one comparison per argument (interval
//    arithmetic; middle intervals become masked-equality blocks);
//  - Complement: the argument vectors no rule matches, in the same form, so
//    that they can get the profile's `default` action explicitly.
// All of it is per architecture and argument: a 32-bit argument (every
// argument on x86/x32; `int`/`unsigned int` parameters such as socket's
// family or ioctl's request on x86_64, where the kernel ignores the upper
// half) is compared on its low 32 bits only. On x86_64 such conditions are
// emitted as masked comparisons that leave the upper half out, so garbage
// there cannot slip a value past a rule.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "security/profile.h"

namespace rampart::security {

using Conjunction = std::vector<ArgCondition>;
// ORed conjunctions. Empty = matches nothing; one empty conjunction = always.
using Disjunction = std::vector<Conjunction>;

struct ArgWidths {
  bool is32[6] = {};    // compare only the low 32 bits of this argument
  bool datum64 = true;  // the filter compares 64-bit values (x86_64)
  static ArgWidths For(Arch arch, std::string_view syscall);
};

Result<Disjunction> Normalize(const Conjunction& conj, const ArgWidths& w);
Result<Disjunction> NormalizeAll(const Disjunction& any_of, const ArgWidths& w);
Result<Disjunction> Complement(const Disjunction& any_of, const ArgWidths& w);

// `c` as compared on an argument of these widths: the value and mask of a
// 32-bit argument cut to their low halves.
ArgCondition Truncated(ArgCondition c, const ArgWidths& w);

// Evaluates a condition the way the policy means it (and the program must do).
bool ConditionHolds(const ArgCondition& c, uint64_t arg, const ArgWidths& w);
bool ConjunctionHolds(const Conjunction& conj, const uint64_t args[6], const ArgWidths& w);

}  // namespace rampart::security
