#include "security/arg_algebra.h"

#include "security/syscall_table.h"

#include <algorithm>
#include <map>
#include <optional>

namespace rampart::security {
ArgCondition Truncated(ArgCondition c, const ArgWidths& w) {
  if (w.is32[c.index]) {
    c.value &= 0xffffffffULL;
    c.mask &= 0xffffffffULL;
  }
  return c;
}

namespace {

struct Interval {
  uint64_t lo, hi;  // inclusive
};
using IntervalSet = std::vector<Interval>;  // sorted, disjoint

uint64_t DomainMax(bool args32) { return args32 ? 0xffffffffULL : ~0ULL; }

IntervalSet ToIntervals(const ArgCondition& c, uint64_t max) {
  const uint64_t v = c.value;
  switch (c.op) {
    case CmpOp::kEq: return v <= max ? IntervalSet{{v, v}} : IntervalSet{};
    case CmpOp::kNe: {
      IntervalSet s;
      if (v > 0) s.push_back({0, std::min(v - 1, max)});
      if (v < max) s.push_back({v + 1, max});
      return s;
    }
    case CmpOp::kLt: return v == 0 ? IntervalSet{} : IntervalSet{{0, std::min(v - 1, max)}};
    case CmpOp::kLe: return IntervalSet{{0, std::min(v, max)}};
    case CmpOp::kGt: return v >= max ? IntervalSet{} : IntervalSet{{v + 1, max}};
    case CmpOp::kGe: return v > max ? IntervalSet{} : IntervalSet{{v, max}};
    case CmpOp::kMaskedEq: break;
  }
  return {};
}

IntervalSet Intersect(const IntervalSet& a, const IntervalSet& b) {
  IntervalSet out;
  for (const auto& x : a)
    for (const auto& y : b) {
      uint64_t lo = std::max(x.lo, y.lo), hi = std::min(x.hi, y.hi);
      if (lo <= hi) out.push_back({lo, hi});
    }
  std::sort(out.begin(), out.end(), [](const Interval& p, const Interval& q) { return p.lo < q.lo; });
  return out;
}

// A mask of the form 1..10..0 (within the domain) selects an aligned block.
std::optional<uint64_t> PrefixBlockSize(uint64_t mask, uint64_t max) {
  uint64_t low = ~mask & max;  // bits the mask ignores
  if ((low & (low + 1)) != 0) return std::nullopt;  // not of the form 0..01..1
  return low;
}

// One interval as ORed single comparisons.
std::vector<std::optional<ArgCondition>> IntervalToConditions(unsigned index, Interval iv, uint64_t max,
                                                              bool blocks_only = false) {
  std::vector<std::optional<ArgCondition>> out;
  if (iv.lo == 0 && iv.hi == max) {
    out.push_back(std::nullopt);  // always true
  } else if (iv.lo == iv.hi && !blocks_only) {
    out.push_back(ArgCondition{index, CmpOp::kEq, iv.lo, 0});
  } else if (iv.lo == 0 && !blocks_only) {
    out.push_back(ArgCondition{index, CmpOp::kLe, iv.hi, 0});
  } else if (iv.hi == max && !blocks_only) {
    out.push_back(ArgCondition{index, CmpOp::kGe, iv.lo, 0});
  } else {
    // Aligned power-of-two blocks, like CIDR prefixes.
    uint64_t lo = iv.lo;
    while (true) {
      uint64_t size = 1;  // block size - 1 fits in `size - 1` bits
      while (true) {
        uint64_t next = size << 1;
        if (next == 0 || (lo & (next - 1)) != 0 || lo + (next - 1) > iv.hi) break;
        size = next;
      }
      uint64_t mask = ~(size - 1) & max;
      if (blocks_only)
        out.push_back(ArgCondition{index, CmpOp::kMaskedEq, lo, mask});
      else
        out.push_back(ArgCondition{index, size == 1 ? CmpOp::kEq : CmpOp::kMaskedEq, lo, size == 1 ? 0 : mask});
      if (lo + (size - 1) >= iv.hi) break;
      lo += size;
    }
  }
  return out;
}

// The conditions on one argument → ORed alternatives (nullopt = no condition).
Result<std::vector<std::optional<ArgCondition>>> NormalizeArgIn(unsigned index, const std::vector<ArgCondition>& conds,
                                                               bool args32) {
  const uint64_t max = DomainMax(args32);
  if (conds.size() == 1 && conds[0].op != CmpOp::kMaskedEq) {
    IntervalSet s = ToIntervals(conds[0], max);
    if (s.empty()) return std::vector<std::optional<ArgCondition>>{};
    if (conds[0].value > max) {  // truncated away: rebuild from the interval set below
    } else {
      return std::vector<std::optional<ArgCondition>>{conds[0]};
    }
  }
  bool all_masked = std::all_of(conds.begin(), conds.end(), [](const auto& c) { return c.op == CmpOp::kMaskedEq; });
  if (all_masked) {
    uint64_t m = 0, v = 0;
    for (const auto& c : conds) {
      if ((c.value & ~c.mask) != 0) return std::vector<std::optional<ArgCondition>>{};  // never matches
      uint64_t overlap = m & c.mask;
      if ((v & overlap) != (c.value & overlap)) return std::vector<std::optional<ArgCondition>>{};
      m |= c.mask;
      v |= c.value;
    }
    if (m == 0) return std::vector<std::optional<ArgCondition>>{std::nullopt};
    return std::vector<std::optional<ArgCondition>>{ArgCondition{index, CmpOp::kMaskedEq, v, m}};
  }
  IntervalSet s{{0, max}};
  for (const auto& c : conds) {
    IntervalSet cs;
    if (c.op == CmpOp::kMaskedEq) {
      auto block = PrefixBlockSize(c.mask, max);
      if (!block) {
        return Error::Unsupported("arg" + std::to_string(index) + ": a masked condition (" + c.ToString() +
                                  ") cannot be combined with other comparisons of the same argument");
      }
      if ((c.value & ~c.mask) != 0) return std::vector<std::optional<ArgCondition>>{};
      cs = {{c.value, c.value | *block}};
    } else {
      cs = ToIntervals(c, max);
    }
    s = Intersect(s, cs);
  }
  std::vector<std::optional<ArgCondition>> out;
  for (const auto& iv : s)
    for (auto& c : IntervalToConditions(index, iv, max)) out.push_back(c);
  return out;
}

// A 32-bit argument compared by a 64-bit filter (x86_64): only masked
// comparisons whose mask leaves the upper half out ignore what the caller
// put there, so every condition becomes such blocks.
std::vector<std::optional<ArgCondition>> Low32Blocks(const ArgCondition& c) {
  constexpr uint64_t kMax = 0xffffffffULL;
  if (c.op == CmpOp::kMaskedEq) return {c};
  if (c.op == CmpOp::kEq) return {ArgCondition{c.index, CmpOp::kMaskedEq, c.value, kMax}};
  std::vector<std::optional<ArgCondition>> out;
  for (const auto& iv : ToIntervals(c, kMax))
    for (auto& b : IntervalToConditions(c.index, iv, kMax, true)) out.push_back(b);
  return out;
}

Result<std::vector<std::optional<ArgCondition>>> NormalizeArg(unsigned index, const std::vector<ArgCondition>& conds,
                                                             const ArgWidths& w) {
  RAMPART_ASSIGN_OR_RETURN(auto alts, NormalizeArgIn(index, conds, w.is32[index]));
  if (!w.is32[index] || !w.datum64) return alts;
  std::vector<std::optional<ArgCondition>> out;
  for (const auto& a : alts) {
    if (!a) {
      out.push_back(a);
      continue;
    }
    for (auto& b : Low32Blocks(*a)) out.push_back(b);
  }
  return out;
}

// ¬c as ORed single comparisons (empty = never; {nullopt} = always).
std::vector<std::optional<ArgCondition>> Negate(const ArgCondition& c, bool args32) {
  const uint64_t max = DomainMax(args32);
  const uint64_t v = c.value;
  const unsigned i = c.index;
  switch (c.op) {
    case CmpOp::kEq: return {ArgCondition{i, CmpOp::kNe, v, 0}};
    case CmpOp::kNe: return {ArgCondition{i, CmpOp::kEq, v, 0}};
    case CmpOp::kLt: return {ArgCondition{i, CmpOp::kGe, v, 0}};
    case CmpOp::kLe: return v >= max ? std::vector<std::optional<ArgCondition>>{}
                                     : std::vector<std::optional<ArgCondition>>{ArgCondition{i, CmpOp::kGt, v, 0}};
    case CmpOp::kGt: return {ArgCondition{i, CmpOp::kLe, v, 0}};
    case CmpOp::kGe: return v == 0 ? std::vector<std::optional<ArgCondition>>{}
                                   : std::vector<std::optional<ArgCondition>>{ArgCondition{i, CmpOp::kLt, v, 0}};
    case CmpOp::kMaskedEq: {
      if ((v & ~c.mask) != 0) return {std::nullopt};  // c never holds
      std::vector<std::optional<ArgCondition>> out;
      for (int b = 0; b < 64; ++b) {
        uint64_t bit = 1ULL << b;
        if (c.mask & bit) out.push_back(ArgCondition{i, CmpOp::kMaskedEq, ~v & bit, bit});
      }
      return out;
    }
  }
  return {};
}

}  // namespace

ArgWidths ArgWidths::For(Arch arch, std::string_view syscall) {
  ArgWidths w;
  if (Is32BitArgs(arch)) {
    for (bool& b : w.is32) b = true;
    w.datum64 = false;
    return w;
  }
  // Parameters the kernel declares int / unsigned int (it uses the low half).
  static const std::pair<std::string_view, std::vector<unsigned>> k32[] = {
      {"socket", {0, 1, 2}}, {"socketpair", {0, 1, 2}}, {"ioctl", {0, 1}}, {"personality", {0}},
      {"prctl", {0}},        {"fcntl", {0, 1}},         {"setsockopt", {0, 1, 2}}, {"getsockopt", {0, 1, 2}},
      {"kill", {0, 1}},      {"tgkill", {0, 1, 2}},     {"tkill", {0, 1}},   {"open", {1}},
      {"openat", {0, 2}},    {"mkdir", {1}},            {"mkdirat", {0, 2}}, {"fchmod", {0, 1}}};
  for (const auto& [name, idx] : k32)
    if (name == syscall)
      for (unsigned i : idx) w.is32[i] = true;
  return w;
}

bool ConditionHolds(const ArgCondition& raw, uint64_t arg, const ArgWidths& w) {
  ArgCondition c = Truncated(raw, w);
  if (w.is32[c.index]) arg &= 0xffffffffULL;
  switch (c.op) {
    case CmpOp::kEq: return arg == c.value;
    case CmpOp::kNe: return arg != c.value;
    case CmpOp::kLt: return arg < c.value;
    case CmpOp::kLe: return arg <= c.value;
    case CmpOp::kGt: return arg > c.value;
    case CmpOp::kGe: return arg >= c.value;
    case CmpOp::kMaskedEq: return (arg & c.mask) == c.value;
  }
  return false;
}

bool ConjunctionHolds(const Conjunction& conj, const uint64_t args[6], const ArgWidths& w) {
  for (const auto& c : conj)
    if (!ConditionHolds(c, args[c.index], w)) return false;
  return true;
}

Result<Disjunction> Normalize(const Conjunction& conj, const ArgWidths& w) {
  std::map<unsigned, std::vector<ArgCondition>> by_arg;
  for (const auto& c : conj) by_arg[c.index].push_back(Truncated(c, w));
  Disjunction out{Conjunction{}};
  for (const auto& [index, conds] : by_arg) {
    RAMPART_ASSIGN_OR_RETURN(auto alts, NormalizeArg(index, conds, w));
    Disjunction next;
    for (const auto& partial : out)
      for (const auto& alt : alts) {
        Conjunction c = partial;
        if (alt) c.push_back(*alt);
        next.push_back(std::move(c));
      }
    out = std::move(next);
    if (out.empty()) break;
  }
  return out;
}

Result<Disjunction> NormalizeAll(const Disjunction& any_of, const ArgWidths& w) {
  Disjunction out;
  for (const auto& conj : any_of) {
    RAMPART_ASSIGN_OR_RETURN(auto d, Normalize(conj, w));
    for (auto& c : d) {
      if (c.empty()) return Disjunction{Conjunction{}};  // always true
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
    }
  }
  return out;
}

Result<Disjunction> Complement(const Disjunction& any_of, const ArgWidths& w) {
  // ¬(C1 ∨ C2 ∨ ...) = ¬C1 ∧ ¬C2 ∧ ...; ¬(a ∧ b) = ¬a ∨ ¬b.
  Disjunction acc{Conjunction{}};
  for (const auto& conj : any_of) {
    std::vector<std::optional<ArgCondition>> terms;
    for (const auto& c : conj)
      for (auto& t : Negate(Truncated(c, w), w.is32[c.index])) terms.push_back(t);
    bool always = std::any_of(terms.begin(), terms.end(), [](const auto& t) { return !t.has_value(); });
    if (always) continue;  // this conjunction never holds: its negation is "always"
    Disjunction next;
    for (const auto& partial : acc)
      for (const auto& t : terms) {
        Conjunction c = partial;
        c.push_back(*t);
        next.push_back(std::move(c));
      }
    acc = std::move(next);
    if (acc.empty()) return acc;
  }
  return NormalizeAll(acc, w);
}

}  // namespace rampart::security
