// The mapping between libseccomp-style filters (Docker/OCI JSON, LXC v2) and
// rampart profiles. See docs/policy-formats.md.
//
// A libseccomp filter has one default action; rules for one syscall are
// ORed and may carry different actions. A rampart policy has two fallbacks:
// `unknown` for syscalls it never names and `default` for named syscalls
// that are denied and for argument rules that do not match. Import maps the
// filter's default to `unknown` and picks `default` so that every argument
// rule falls back the way the filter does; export lists explicitly what
// `default` decides when it differs from `unknown`.
#include "security/seccomp_formats.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "security/arg_algebra.h"
#include "security/profile_writer.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

bool Has(const std::vector<Arch>& v, Arch a) { return std::find(v.begin(), v.end(), a) != v.end(); }

bool Applies(const ForeignRule& r, Arch arch) { return r.arches.empty() || Has(r.arches, arch); }

// The argument widths the conditions of `name` are normalised for: x86_64's
// when the filter has it (32-bit parameters become masked low-half blocks,
// which mean the same on the 32-bit architectures), else the 32-bit ones.
ArgWidths WidthsFor(const std::vector<Arch>& arches, const std::string& name) {
  return ArgWidths::For(Has(arches, Arch::kX86_64) || arches.empty() ? Arch::kX86_64 : arches.front(), name);
}

bool DisjHolds(const Disjunction& d, const uint64_t args[6], const ArgWidths& w) {
  for (const auto& c : d)
    if (ConjunctionHolds(c, args, w)) return true;
  return false;
}

// Argument values around every boundary of the conditions in `ds`.
std::map<unsigned, std::vector<uint64_t>> SampleValues(const std::vector<const Disjunction*>& ds) {
  std::map<unsigned, std::set<uint64_t>> vals;
  for (const Disjunction* d : ds)
    for (const auto& conj : *d)
      for (const auto& c : conj) {
        auto& s = vals[c.index];
        for (uint64_t base : std::initializer_list<uint64_t>{c.value, c.value | c.mask, c.value & c.mask, c.value & 0xffffffffULL}) {
          for (uint64_t x : std::initializer_list<uint64_t>{base, base - 1, base + 1, base | 0x100000000ULL,
                                                           base ^ 0x8000000000000000ULL, base ^ 0x80000000ULL})
            s.insert(x);
          for (int b = 0; b < 64; ++b) s.insert(base ^ (1ULL << b));
        }
        for (uint64_t x : std::initializer_list<uint64_t>{0, 1, 0xffffffffULL, ~0ULL, 0x100000000ULL}) s.insert(x);
      }
  std::map<unsigned, std::vector<uint64_t>> out;
  for (auto& [i, s] : vals) out[i] = std::vector<uint64_t>(s.begin(), s.end());
  return out;
}

// Whether `pred(args)` holds for argument vectors around every boundary of
// the conditions involved: each argument varied alone, then pseudo-random
// combinations. Used to check rewritten conditions against the originals.
template <typename Pred>
bool ForSampledArgs(const std::vector<const Disjunction*>& ds, Pred pred) {
  auto vals = SampleValues(ds);
  uint64_t args[6] = {};
  if (!pred(args)) return false;
  for (const auto& [i, vs] : vals)
    for (uint64_t v : vs) {
      uint64_t a[6] = {};
      a[i] = v;
      if (!pred(a)) return false;
    }
  if (vals.size() > 1) {
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (int r = 0; r < 2000; ++r) {
      uint64_t a[6] = {};
      for (const auto& [i, vs] : vals) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        a[i] = vs[(state >> 33) % vs.size()];
      }
      if (!pred(a)) return false;
    }
  }
  return true;
}

// `b` holds exactly where `a` holds (or, with `negated`, exactly where `a`
// does not), on every filtered architecture that has `name`.
bool SameMeaning(const Disjunction& a, const Disjunction& b, bool negated, const std::string& name,
                 const std::vector<Arch>& arches) {
  for (Arch arch : arches) {
    if (!SyscallNumber(arch, name)) continue;
    const ArgWidths w = ArgWidths::For(arch, name);
    bool ok = ForSampledArgs({&a, &b}, [&](const uint64_t* args) {
      return DisjHolds(a, args, w) != negated ? DisjHolds(b, args, w) : !DisjHolds(b, args, w);
    });
    if (!ok) return false;
  }
  return true;
}

// ¬c as ORed single conditions (empty: c always holds; a nullopt entry: c
// never holds). Plain operator flips, no normalisation: the compiler copes
// far better with `arg0 != 40` than with the masked blocks it stands for.
std::vector<std::optional<ArgCondition>> NegateSimple(const ArgCondition& c) {
  const unsigned i = c.index;
  switch (c.op) {
    case CmpOp::kEq: return {ArgCondition{i, CmpOp::kNe, c.value, 0}};
    case CmpOp::kNe: return {ArgCondition{i, CmpOp::kEq, c.value, 0}};
    case CmpOp::kLt: return {ArgCondition{i, CmpOp::kGe, c.value, 0}};
    case CmpOp::kGe: return {ArgCondition{i, CmpOp::kLt, c.value, 0}};
    case CmpOp::kLe: return {ArgCondition{i, CmpOp::kGt, c.value, 0}};
    case CmpOp::kGt: return {ArgCondition{i, CmpOp::kLe, c.value, 0}};
    case CmpOp::kMaskedEq: {
      if ((c.value & ~c.mask) != 0) return {std::nullopt};
      std::vector<std::optional<ArgCondition>> out;
      for (int b = 0; b < 64; ++b) {
        const uint64_t bit = 1ULL << b;
        if (c.mask & bit) out.push_back(ArgCondition{i, CmpOp::kMaskedEq, ~c.value & bit, bit});
      }
      return out;
    }
  }
  return {};
}

// ¬(C1 ∨ C2 ∨ ...) as ORed conjunctions, or nullopt when that takes more
// than `limit` conjunctions.
std::optional<Disjunction> SimpleComplement(const Disjunction& d, size_t limit = 64) {
  Disjunction acc{Conjunction{}};
  for (const auto& conj : d) {
    std::vector<std::optional<ArgCondition>> terms;
    for (const auto& c : conj)
      for (auto& t : NegateSimple(c)) terms.push_back(t);
    if (std::any_of(terms.begin(), terms.end(), [](const auto& t) { return !t; })) continue;  // conj never holds
    if (terms.empty()) return Disjunction{};  // conj always holds: its negation never does
    Disjunction next;
    for (const auto& partial : acc)
      for (const auto& t : terms) {
        Conjunction c = partial;
        if (std::find(c.begin(), c.end(), *t) == c.end()) c.push_back(*t);
        next.push_back(std::move(c));
      }
    if (next.size() > limit) return std::nullopt;
    acc = std::move(next);
  }
  return acc;
}

// Single-condition conjunctions on one argument read back as intervals
// and merged: the masked blocks export writes for a range become `>=`/`<=`
// again (`dom32`: the range lives in the low half, as for 32-bit parameters).
Disjunction MergeIntervals(const Disjunction& d, bool drop_top32) {
  struct Iv {
    uint64_t lo, hi;
  };
  std::map<unsigned, std::vector<Iv>> by_arg;
  std::map<unsigned, bool> dom32;
  Disjunction rest;
  for (const auto& conj : d) {
    if (conj.size() != 1) {
      rest.push_back(conj);
      continue;
    }
    const ArgCondition& c = conj[0];
    std::optional<Iv> iv;
    bool is32 = c.value <= 0xffffffffULL;
    switch (c.op) {
      case CmpOp::kEq: iv = Iv{c.value, c.value}; break;
      case CmpOp::kLe: iv = Iv{0, c.value}; break;
      case CmpOp::kGe: iv = Iv{c.value, ~0ULL}, is32 = false; break;
      case CmpOp::kMaskedEq: {
        const uint64_t max = (c.mask >> 32) == 0 ? 0xffffffffULL : ~0ULL;
        const uint64_t low = ~c.mask & max;
        if ((low & (low + 1)) == 0 && (c.value & ~c.mask) == 0) iv = Iv{c.value, c.value | low}, is32 = max != ~0ULL;
        break;
      }
      default: break;
    }
    if (!iv) {
      rest.push_back(conj);
      continue;
    }
    by_arg[c.index].push_back(*iv);
    if (!dom32.count(c.index)) dom32[c.index] = true;
    dom32[c.index] = dom32[c.index] && is32;
  }
  Disjunction out;
  for (auto& [index, ivs] : by_arg) {
    std::sort(ivs.begin(), ivs.end(), [](const Iv& a, const Iv& b) { return a.lo < b.lo; });
    std::vector<Iv> merged;
    for (const auto& iv : ivs) {
      if (!merged.empty() && (merged.back().hi == ~0ULL || iv.lo <= merged.back().hi + 1))
        merged.back().hi = std::max(merged.back().hi, iv.hi);
      else
        merged.push_back(iv);
    }
    const uint64_t top = dom32[index] && drop_top32 ? 0xffffffffULL : ~0ULL;
    for (const auto& iv : merged) {
      Conjunction c;
      if (iv.lo == iv.hi) {
        c.push_back({index, CmpOp::kEq, iv.lo, 0});
      } else {
        if (iv.lo > 0) c.push_back({index, CmpOp::kGe, iv.lo, 0});
        if (iv.hi < top) c.push_back({index, CmpOp::kLe, iv.hi, 0});
      }
      out.push_back(std::move(c));
    }
  }
  for (auto& r : rest) out.push_back(std::move(r));
  return out;
}

size_t ConditionCount(const Disjunction& d) {
  size_t n = 0;
  for (const auto& c : d) n += c.size() + 1;
  return n;
}

// Names and notes from the input go into comments and messages: printable
// ASCII only, anything else as \xNN.
std::string Printable(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string Quote(const std::string& s) { return "'" + Printable(s) + "'"; }

// Argument rules of one syscall beyond this are refused (the checks that
// keep meanings equal grow with their product).
constexpr size_t kMaxConditions = 256;

// ------------------------------------------------------------------ import --

// What a filter does with one syscall, once the same on every architecture.
struct NameDecision {
  std::string name;
  std::string where;  // of its first rule
  bool conditional = false;
  Action action;  // unconditional
  // Conditional: the ways to write it as rampart rules (one action, ORed
  // conjunctions) plus the fallback those rules then need (`default`).
  struct Option {
    Action rule_action;
    Disjunction conds;
    Action fallback;
  };
  std::vector<Option> options;
};

// The rules of `name` that apply on `arch`, in a canonical order.
std::vector<std::pair<Action, Conjunction>> RulesOn(const std::vector<const ForeignRule*>& rules, Arch arch) {
  std::vector<std::pair<Action, Conjunction>> out;
  for (const ForeignRule* r : rules) {
    if (!Applies(*r, arch)) continue;
    Conjunction c = r->args;
    std::sort(c.begin(), c.end(), [](const ArgCondition& x, const ArgCondition& y) {
      return std::tie(x.index, x.op, x.value, x.mask) < std::tie(y.index, y.op, y.value, y.mask);
    });
    std::pair<Action, Conjunction> p{r->action, c};
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    return x.second.size() < y.second.size();
  });
  return out;
}

Result<std::optional<NameDecision>> Decide(const std::string& name, const std::vector<const ForeignRule*>& rules,
                                           const ForeignFilter& f) {
  const std::string where = rules.front()->where;
  std::optional<std::vector<std::pair<Action, Conjunction>>> decided;
  std::optional<Arch> decided_on;
  for (Arch arch : f.arches) {
    if (!SyscallNumber(arch, name)) continue;
    auto on = RulesOn(rules, arch);
    if (!decided) {
      decided = on, decided_on = arch;
    } else if (*decided != on) {
      return Error::Invalid(where + ": " + Quote(name) + " has different rules on " + ArchName(*decided_on) + " and " +
                            ArchName(arch) + ", which a rampart profile cannot express (its rules apply to every " +
                            "architecture)");
    }
  }
  if (!decided) return std::optional<NameDecision>{};  // not on any filtered architecture
  NameDecision d{name, where, false, f.default_action, {}};
  if (decided->empty()) {  // only on architectures where no rule applies
    d.action = f.default_action;
    return std::optional<NameDecision>{d};
  }
  size_t conditions = 0;
  for (const auto& [action, conj] : *decided) conditions += conj.size() + 1;
  if (conditions > kMaxConditions)
    return Error::Invalid(where + ": " + Quote(name) + " has " + std::to_string(conditions) +
                          " rules and conditions; rampart imports at most " + std::to_string(kMaxConditions) +
                          " per syscall");
  std::map<Action, Disjunction> by_action;
  std::optional<Action> unconditional;
  for (const auto& [action, conj] : *decided) {
    if (conj.empty()) {
      if (unconditional && *unconditional != action)
        return Error::Invalid(where + ": " + Quote(name) + " has unconditional rules with different actions (" +
                              unconditional->ToString() + ", " + action.ToString() + ")");
      unconditional = action;
    }
    by_action[action].push_back(conj);
  }
  if (unconditional) {
    for (const auto& [action, d2] : by_action)
      if (action != *unconditional)
        return Error::Invalid(where + ": " + Quote(name) + " has an unconditional rule (" + unconditional->ToString() +
                              ") and argument rules with another action (" + action.ToString() +
                              "); libseccomp refuses such overlaps and rampart cannot express them");
    d.action = *unconditional;
    return std::optional<NameDecision>{d};
  }
  if (name == "socketcall" || name == "ipc")
    return Error::Invalid(where + ": " + Quote(name) + " cannot take argument conditions in rampart (its arguments " +
                          "live in memory the filter cannot see)");
  const Action fdef = f.default_action;
  if (by_action.size() > 2)
    return Error::Invalid(where + ": " + Quote(name) + " has argument rules with " + std::to_string(by_action.size()) +
                          " different actions; a rampart profile gives one syscall's argument rules one action");
  // Masked comparisons of the whole low half (what export writes for
  // 32-bit parameters) read back as plain equality where that means the same.
  auto simplify = [&](const Disjunction& d) {
    Disjunction s = d;
    for (auto& conj : s)
      for (auto& c : conj)
        if (c.op == CmpOp::kMaskedEq && c.mask == 0xffffffffULL) c = ArgCondition{c.index, CmpOp::kEq, c.value, 0};
    if (s != d && !SameMeaning(d, s, false, name, f.arches)) s = d;
    for (bool drop_top32 : {true, false}) {
      Disjunction m = MergeIntervals(s, drop_top32);
      if (ConditionCount(m) < ConditionCount(s) && SameMeaning(d, m, false, name, f.arches)) return m;
    }
    return s;
  };
  // The shorter of two ways to write the same conditions.
  auto shorter = [&](const Disjunction& given, const Disjunction& other_action) {
    Disjunction best = simplify(given);
    auto comp = SimpleComplement(simplify(other_action));
    if (comp && ConditionCount(*comp) < ConditionCount(best) && SameMeaning(given, *comp, false, name, f.arches))
      best = *comp;
    return best;
  };
  if (by_action.size() == 1) {
    const auto& [action, conds] = *by_action.begin();
    if (action == fdef) {  // matching or not, the default action
      d.action = fdef;
      return std::optional<NameDecision>{d};
    }
    d.conditional = true;
    d.options.push_back({action, simplify(conds), fdef});
    // The same decision written the other way round: the default action
    // where the conditions do not hold, `action` as the fallback.
    auto comp = SimpleComplement(simplify(conds));
    if (comp && SameMeaning(conds, *comp, true, name, f.arches)) {
      if (comp->empty()) {  // the conditions always hold
        d.conditional = false;
        d.action = action;
        d.options.clear();
        return std::optional<NameDecision>{d};
      }
      d.options.push_back({fdef, *comp, action});
    }
    return std::optional<NameDecision>{d};
  }
  // Two actions: expressible when the rules of one action cover exactly the
  // calls the other's do not (no call left to the default, none matching both).
  auto first = by_action.begin();
  auto second = std::next(first);
  if (!SameMeaning(first->second, second->second, true, name, f.arches))
    return Error::Invalid(where + ": " + Quote(name) + " has argument rules with two actions (" +
                          first->first.ToString() + ", " + second->first.ToString() +
                          ") that do not split every call between them; a rampart profile gives one syscall's " +
                          "argument rules one action and sends the rest to seccomp.default");
  d.conditional = true;
  d.options.push_back({first->first, shorter(first->second, second->second), second->first});
  d.options.push_back({second->first, shorter(second->second, first->second), first->first});
  return std::optional<NameDecision>{d};
}

std::vector<std::string> ConditionStrings(const Conjunction& c) {
  std::vector<std::string> out;
  for (const auto& a : c) out.push_back(a.ToString());
  return out;
}

std::string CapName(std::string c) {
  for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return c.starts_with("CAP_") ? c : "CAP_" + c;
}

}  // namespace

const std::vector<std::string>& DockerDefaultCaps() {
  static const std::vector<std::string> kCaps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",     "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",    "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return kCaps;
}

Result<std::string> ForeignToProfileYaml(const ForeignFilter& f, const std::string& source_kind,
                                         const std::string& file, const ImportOptions& options) {
  ProfileDraft draft;
  draft.name = options.name;
  draft.header.push_back("Imported by `rampart policy import` from " + file + " (" + source_kind + ").");
  draft.header.push_back("Verdicts are the source's: syscalls it does not name get `unknown` (its default");
  draft.header.push_back("action); `default` is what its argument rules fall back to. See docs/policy-formats.md.");
  for (const auto& n : f.notes) draft.header.push_back("note: " + Printable(n));

  // Rules per known syscall name; unknown names are skipped like libseccomp does.
  std::map<std::string, std::vector<const ForeignRule*>> by_name;
  std::set<std::string> skipped, off_arch;
  for (const auto& r : f.rules) {
    if (!IsKnownSyscall(r.syscall)) {
      skipped.insert(r.syscall);
      continue;
    }
    by_name[r.syscall].push_back(&r);
  }
  std::vector<NameDecision> decisions;
  for (const auto& [name, rules] : by_name) {
    RAMPART_ASSIGN_OR_RETURN(auto d, Decide(name, rules, f));
    if (!d) {
      off_arch.insert(name);
      continue;
    }
    decisions.push_back(std::move(*d));
  }
  auto join = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& n : s) out += (out.empty() ? "" : " ") + Printable(n);
    return out;
  };
  if (!skipped.empty())
    draft.header.push_back("skipped (not syscalls on x86_64, x86 or x32, as libseccomp ignores them): " + join(skipped));
  if (!off_arch.empty())
    draft.header.push_back("skipped (not on any filtered architecture): " + join(off_arch));

  // One `default` must serve as the fallback of every argument rule.
  std::vector<Action> candidates;
  if (!f.default_action.is_allow()) candidates.push_back(f.default_action);
  for (const auto& d : decisions)
    for (const auto& o : d.options)
      if (!o.fallback.is_allow() && std::find(candidates.begin(), candidates.end(), o.fallback) == candidates.end())
        candidates.push_back(o.fallback);
  std::optional<Action> def;
  for (const Action& c : candidates) {
    bool all = true;
    for (const auto& d : decisions) {
      if (!d.conditional) continue;
      all &= std::any_of(d.options.begin(), d.options.end(), [&](const auto& o) { return o.fallback == c; });
    }
    if (all) {
      def = c;
      break;
    }
  }
  const NameDecision* first_cond = nullptr;
  for (const auto& d : decisions)
    if (d.conditional && !first_cond) first_cond = &d;
  if (!def && first_cond) {
    auto fallbacks = [](const NameDecision& d) {
      std::string out;
      for (const auto& o : d.options)
        if (!o.fallback.is_allow()) out += (out.empty() ? "" : " or ") + o.fallback.ToString();
      return out;
    };
    for (const auto& d : decisions) {
      if (d.conditional && fallbacks(d).empty())
        return Error::Invalid(d.where + ": the argument rules of " + Quote(d.name) + " fall back to allow; rampart " +
                              "sends unmatched argument rules to seccomp.default, which may not be allow");
    }
    // Name a syscall whose possible fallbacks share none with the first's.
    for (const auto& d : decisions) {
      if (!d.conditional) continue;
      bool share = false;
      for (const auto& o : d.options)
        for (const auto& o1 : first_cond->options) share |= !o.fallback.is_allow() && o.fallback == o1.fallback;
      if (!share)
        return Error::Invalid(d.where + ": the argument rules of " + Quote(d.name) + " fall back to " + fallbacks(d) +
                              " but those of " + Quote(first_cond->name) + " (" + first_cond->where + ") to " +
                              fallbacks(*first_cond) + "; a rampart profile has one fallback (seccomp.default) for " +
                              "all argument rules");
    }
    return Error::Invalid(first_cond->where + ": the argument rules cannot share one fallback; a rampart profile has " +
                          "one fallback (seccomp.default) for all argument rules");
  }
  if (!def) {
    // No argument rules: `default` only decides the denied names; use the
    // most common denying action (ties: the first).
    std::map<Action, int> count;
    for (const auto& d : decisions)
      if (!d.action.is_allow()) ++count[d.action];
    int best = 0;
    for (const auto& [a, n] : count)
      if (n > best) def = a, best = n;
    if (!def) def = Action::Errno(1);
  }
  draft.default_action = def->ToString();
  draft.unknown_action = f.default_action.ToString();
  for (Arch a : f.arches) draft.architectures.push_back(a == Arch::kX86_64 ? "native" : ArchName(a));

  std::map<Action, std::vector<std::string>> other;  // unconditional rules by action
  std::set<std::string> named;
  for (const auto& d : decisions) {
    named.insert(d.name);
    if (!d.conditional) {
      if (d.action.is_allow()) draft.allow.push_back({d.name, ""});
      else if (d.action == *def) draft.deny.push_back({d.name, ""});
      else other[d.action].push_back(d.name);
      continue;
    }
    const auto& o = *std::find_if(d.options.begin(), d.options.end(), [&](const auto& x) { return x.fallback == *def; });
    for (const auto& conj : o.conds) {
      DraftRule r;
      r.syscalls = {d.name};
      r.action = o.rule_action.ToString();
      r.args = ConditionStrings(conj);
      r.comment = d.where;
      draft.rules.push_back(std::move(r));
    }
  }
  // The resolver gives the x86 multiplexers `default` when unnamed; the
  // filter gives them its default action.
  for (const char* m : {"socketcall", "ipc"}) {
    if (named.count(m) || !Has(f.arches, Arch::kX86) || f.default_action == *def) continue;
    if (f.default_action.is_allow()) draft.allow.push_back({m, "not named by the source: its default action"});
    else other[f.default_action].push_back(m);
  }
  for (const auto& [action, names] : other) {
    DraftRule r;
    r.syscalls = names;
    r.action = action.ToString();
    draft.rules.insert(draft.rules.begin(), std::move(r));
  }
  if (!options.caps.empty() || source_kind.starts_with("Docker")) {
    // The capabilities Docker's includes/excludes were decided against.
    std::vector<std::string> keep;
    for (const auto& c : options.caps.empty() ? DockerDefaultCaps() : options.caps) keep.push_back(CapName(c));
    draft.header.push_back("capabilities: the set Docker's includes/excludes were decided against");
    draft.caps_drop = std::vector<std::string>{"ALL"};
    draft.caps_keep = keep;
  }
  return WriteProfileYaml(draft);
}

// ------------------------------------------------------------------ export --

Result<ForeignFilter> PolicyToForeign(const Policy& p) {
  const SeccompPolicy& s = p.seccomp;
  ForeignFilter f;
  f.default_action = s.unknown_action;
  f.arches = s.arches;
  const Action def = s.default_action;
  for (const auto& [name, sp] : s.syscalls) {
    const std::string where = "syscall " + Quote(name);
    if (!sp.conditional()) {
      if (sp.action != f.default_action) f.rules.push_back({name, sp.action, {}, {}, where});
      continue;
    }
    const ArgWidths w = WidthsFor(s.arches, name);
    auto match = NormalizeAll(sp.any_of, w);
    if (!match)
      return Error::Invalid(where + ": cannot write its argument rules as single comparisons: " + match.error().message());
    if (!SameMeaning(sp.any_of, *match, false, name, s.arches))
      return Error::Invalid(where + ": its argument rules cannot be written as single comparisons that mean the same " +
                            "on every architecture");
    auto miss = Complement(sp.any_of, w);
    if (!miss)
      return Error::Invalid(where + ": cannot write the calls its argument rules do not match: " + miss.error().message());
    if (!SameMeaning(sp.any_of, *miss, true, name, s.arches))
      return Error::Invalid(where + ": the calls its argument rules do not match cannot be written as rules that mean " +
                            "the same on every architecture");
    auto add = [&](const Action& a, const Disjunction& d) {
      if (a == f.default_action) return;
      for (const auto& conj : d) f.rules.push_back({name, a, conj, {}, where});
    };
    add(sp.action, *match);
    add(def, *miss);
  }
  return f;
}

std::optional<Action> EvaluateForeign(const ForeignFilter& f, Arch arch, const std::string& syscall,
                                      const uint64_t args[6]) {
  if (!Has(f.arches, arch)) return Action::KillProcess();
  const ArgWidths w = ArgWidths::For(arch, syscall);
  std::optional<Action> got;
  for (const auto& r : f.rules) {
    if (r.syscall != syscall || !Applies(r, arch) || !ConjunctionHolds(r.args, args, w)) continue;
    if (got && *got != r.action) return std::nullopt;
    got = r.action;
  }
  return got.value_or(f.default_action);
}

Result<std::string> ImportSeccompProfile(ForeignFormat format, std::string_view text, const std::string& file,
                                         const ImportOptions& options) {
  if (format == ForeignFormat::kDocker) {
    RAMPART_ASSIGN_OR_RETURN(auto f, ParseDockerSeccomp(text, file, options));
    return ForeignToProfileYaml(f, "Docker/OCI seccomp JSON", file, options);
  }
  RAMPART_ASSIGN_OR_RETURN(auto f, ParseLxcSeccomp(text, file));
  return ForeignToProfileYaml(f, "LXC seccomp v2", file, options);
}

Result<std::string> ExportSeccompProfile(ExportFormat format, const Policy& policy) {
  auto f = PolicyToForeign(policy);
  if (!f) return f.error().Wrap("export " + policy.name);
  if (format == ExportFormat::kOci) return WriteOciSeccomp(*f);
  auto text = WriteLxcSeccomp(*f);
  if (!text) return text.error().Wrap("export " + policy.name + " as lxc");
  return text;
}

const char* ScmpCmpName(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return "SCMP_CMP_EQ";
    case CmpOp::kNe: return "SCMP_CMP_NE";
    case CmpOp::kLt: return "SCMP_CMP_LT";
    case CmpOp::kLe: return "SCMP_CMP_LE";
    case CmpOp::kGt: return "SCMP_CMP_GT";
    case CmpOp::kGe: return "SCMP_CMP_GE";
    case CmpOp::kMaskedEq: return "SCMP_CMP_MASKED_EQ";
  }
  return "?";
}

}  // namespace rampart::security
