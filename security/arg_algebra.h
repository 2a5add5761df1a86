// Argument-condition algebra. libseccomp accepts at most one comparison per
// argument in a rule and has one fallback action for the whole filter, so
// the compiler rewrites a syscall's conditions into rules it can take:
//  - Normalize: a conjunction that may test one argument several times
//    becomes ORed conjunctions with one comparison per argument (interval
//    arithmetic; middle intervals become masked-equality blocks);
//  - Complement: the argument vectors no rule matches, in the same form, so
//    that they can get the profile's `default` action explicitly.
// All of it is per architecture: on 32-bit-argument arches values are
// truncated to 32 bits first, as libseccomp compares only those.
#pragma once

#include <vector>

#include "base/result.h"
#include "security/profile.h"

namespace rampart::security {

using Conjunction = std::vector<ArgCondition>;
// ORed conjunctions. Empty = matches nothing; one empty conjunction = always.
using Disjunction = std::vector<Conjunction>;

Result<Disjunction> Normalize(const Conjunction& conj, bool args32);
Result<Disjunction> NormalizeAll(const Disjunction& any_of, bool args32);
Result<Disjunction> Complement(const Disjunction& any_of, bool args32);

// Evaluates a condition against an argument the way libseccomp's BPF does.
bool ConditionHolds(const ArgCondition& c, uint64_t arg, bool args32);
bool ConjunctionHolds(const Conjunction& conj, const uint64_t args[6], bool args32);

}  // namespace rampart::security
