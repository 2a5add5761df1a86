#include "security/seccomp_compiler.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>

#include "security/arg_algebra.h"
#include "security/filter_verify.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

constexpr size_t kTreeThreshold = 32;  // syscalls per arch from which the tree pays off
constexpr size_t kMaxJump = 255;       // conditional jump offsets are 8 bits

using Code = std::vector<sock_filter>;

constexpr uint32_t kArchOffset = offsetof(seccomp_data, arch);
constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
// x86, x86_64 and x32 are little-endian: the low half of an argument first.
uint32_t ArgLow(unsigned i) { return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * i); }
uint32_t ArgHigh(unsigned i) { return ArgLow(i) + 4; }

sock_filter Ret(uint32_t value) { return BPF_STMT(BPF_RET | BPF_K, value); }
sock_filter Load(uint32_t offset) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset); }
sock_filter Skip(uint32_t n) { return BPF_STMT(BPF_JMP | BPF_JA | BPF_K, n); }

// Conditions of one conjunction. A jump's branch is either a fixed forward
// skip (>= 0) or kFail: to the end of the conjunction (past its `ret`),
// patched once the conjunction's length is known.
constexpr int kFail = -1;

class ConjunctionCode {
 public:
  void Condition(const ArgCondition& raw, const ArgWidths& w) {
    const ArgCondition c = Truncated(raw, w);  // as ConditionHolds: the kernel reads an int's low half
    const bool low_only = w.is32[c.index];
    const uint32_t vlo = static_cast<uint32_t>(c.value), vhi = static_cast<uint32_t>(c.value >> 32);
    const uint32_t mlo = static_cast<uint32_t>(c.mask), mhi = static_cast<uint32_t>(c.mask >> 32);
    if (low_only) {
      code_.push_back(Load(ArgLow(c.index)));
      switch (c.op) {
        case CmpOp::kEq: Jump(BPF_JEQ, vlo, 0, kFail); break;
        case CmpOp::kNe: Jump(BPF_JEQ, vlo, kFail, 0); break;
        case CmpOp::kGt: Jump(BPF_JGT, vlo, 0, kFail); break;
        case CmpOp::kGe: Jump(BPF_JGE, vlo, 0, kFail); break;
        case CmpOp::kLt: Jump(BPF_JGE, vlo, kFail, 0); break;
        case CmpOp::kLe: Jump(BPF_JGT, vlo, kFail, 0); break;
        case CmpOp::kMaskedEq:
          code_.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mlo));
          Jump(BPF_JEQ, vlo, 0, kFail);
          break;
      }
      return;
    }
    // 64-bit: the high halves decide unless they are equal.
    code_.push_back(Load(ArgHigh(c.index)));
    switch (c.op) {
      case CmpOp::kEq:
        Jump(BPF_JEQ, vhi, 0, kFail);
        code_.push_back(Load(ArgLow(c.index)));
        Jump(BPF_JEQ, vlo, 0, kFail);
        break;
      case CmpOp::kNe:
        Jump(BPF_JEQ, vhi, 0, 2);  // high halves differ: holds
        code_.push_back(Load(ArgLow(c.index)));
        Jump(BPF_JEQ, vlo, kFail, 0);
        break;
      case CmpOp::kGt:
      case CmpOp::kGe:
        Jump(BPF_JGT, vhi, 3, 0);  // above: holds
        Jump(BPF_JEQ, vhi, 0, kFail);
        code_.push_back(Load(ArgLow(c.index)));
        Jump(c.op == CmpOp::kGt ? BPF_JGT : BPF_JGE, vlo, 0, kFail);
        break;
      case CmpOp::kLt:
      case CmpOp::kLe:
        Jump(BPF_JGT, vhi, kFail, 0);
        Jump(BPF_JEQ, vhi, 0, 2);  // below: holds
        code_.push_back(Load(ArgLow(c.index)));
        Jump(c.op == CmpOp::kLt ? BPF_JGE : BPF_JGT, vlo, kFail, 0);
        break;
      case CmpOp::kMaskedEq:
        code_.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mhi));
        Jump(BPF_JEQ, vhi, 0, kFail);
        code_.push_back(Load(ArgLow(c.index)));
        code_.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mlo));
        Jump(BPF_JEQ, vlo, 0, kFail);
        break;
    }
  }

  // All conditions held: `ret`. Appends the finished conjunction to `out`.
  Status Finish(uint32_t ret, Code& out) {
    code_.push_back(Ret(ret));
    for (auto [at, on_true] : fails_) {
      size_t offset = code_.size() - at - 1;
      if (offset > kMaxJump)
        return Error::Unsupported("seccomp: an argument rule has too many conditions for one BPF jump (" +
                                  std::to_string(code_.size()) + " instructions)");
      (on_true ? code_[at].jt : code_[at].jf) = static_cast<uint8_t>(offset);
    }
    out.insert(out.end(), code_.begin(), code_.end());
    return Ok();
  }

 private:
  void Jump(uint16_t op, uint32_t k, int jt, int jf) {
    if (jt == kFail) fails_.push_back({code_.size(), true});
    if (jf == kFail) fails_.push_back({code_.size(), false});
    code_.push_back(BPF_JUMP(BPF_JMP | op | BPF_K, k, static_cast<uint8_t>(jt < 0 ? 0 : jt),
                             static_cast<uint8_t>(jf < 0 ? 0 : jf)));
  }

  Code code_;
  std::vector<std::pair<size_t, bool>> fails_;
};

// What one syscall number gets: a fixed return value, or the argument
// rules of a conditional syscall.
struct Leaf {
  uint32_t ret = 0;
  const std::string* conditional = nullptr;  // the syscall's name
  bool operator==(const Leaf& o) const { return ret == o.ret && conditional == o.conditional; }
};

// A run of syscall numbers [lo, next interval's lo) with one leaf.
struct Interval {
  uint32_t lo;
  Leaf leaf;
};

class ArchCode {
 public:
  ArchCode(const SeccompPolicy& p, Arch arch, bool tree) : p_(p), arch_(arch), tree_(tree) {}

  // Dispatch on the syscall number (already in A) for this architecture.
  Result<Code> Build(size_t& rules) {
    // Every number a named syscall has here, decided the way
    // SeccompPolicy::Evaluate decides it: by the number's own name.
    std::vector<uint32_t> numbers;
    for (const auto& [name, sp] : p_.syscalls)
      if (auto nr = SyscallNumber(arch_, name)) numbers.push_back(*nr);
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    const Leaf unknown{p_.unknown_action.ToSeccompRet(), nullptr};
    std::vector<Interval> intervals;
    auto add = [&](uint32_t lo, const Leaf& leaf) {
      if (!intervals.empty() && !leaf.conditional && intervals.back().leaf == leaf) return;  // same as the run before
      intervals.push_back({lo, leaf});
    };
    rules = 0;
    uint64_t next = 0;  // first number not yet covered
    for (uint32_t nr : numbers) {
      if (nr > next) add(static_cast<uint32_t>(next), unknown);
      Leaf leaf = unknown;
      auto name = SyscallName(arch_, nr);
      auto it = name ? p_.syscalls.find(*name) : p_.syscalls.end();
      if (it != p_.syscalls.end()) {
        ++rules;
        const SyscallPolicy& sp = it->second;
        leaf.ret = sp.action.ToSeccompRet();
        if (sp.conditional() && sp.action != p_.default_action) leaf.conditional = &it->first;
      }
      add(nr, leaf);
      next = uint64_t{nr} + 1;
    }
    if (next <= 0xffffffffULL) add(static_cast<uint32_t>(next), unknown);
    return Dispatch(intervals.data(), intervals.size());
  }

 private:
  // A balanced tree (or, linear, a chain in number order) of `nr >= lo`
  // tests over the intervals; each subtree's code is position-independent.
  Result<Code> Dispatch(const Interval* iv, size_t n) {
    if (n == 1) return LeafCode(iv[0].leaf);
    const size_t mid = tree_ ? n / 2 : 1;
    RAMPART_ASSIGN_OR_RETURN(Code below, Dispatch(iv, mid));
    RAMPART_ASSIGN_OR_RETURN(Code above, Dispatch(iv + mid, n - mid));
    Code out;
    if (below.size() <= kMaxJump) {
      out.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, iv[mid].lo, static_cast<uint8_t>(below.size()), 0));
    } else {
      out.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, iv[mid].lo, 0, 1));
      out.push_back(Skip(static_cast<uint32_t>(below.size())));
    }
    out.insert(out.end(), below.begin(), below.end());
    out.insert(out.end(), above.begin(), above.end());
    return out;
  }

  Result<Code> LeafCode(const Leaf& leaf) {
    if (!leaf.conditional) return Code{Ret(leaf.ret)};
    const SyscallPolicy& sp = p_.syscalls.at(*leaf.conditional);
    const ArgWidths widths = ArgWidths::For(arch_, *leaf.conditional);
    Code out;
    for (const auto& conj : sp.any_of) {
      ConjunctionCode cc;
      for (const auto& c : conj) cc.Condition(c, widths);
      RAMPART_TRY(cc.Finish(leaf.ret, out));
      if (conj.empty()) return out;  // always holds: nothing after it is reachable
    }
    out.push_back(Ret(p_.default_action.ToSeccompRet()));
    return out;
  }

  const SeccompPolicy& p_;
  Arch arch_;
  bool tree_;
};

bool UseTree(const SeccompPolicy& p, const SeccompCompileOptions& o) {
  Optimize opt = o.optimize.value_or(p.optimize);
  if (opt == Optimize::kTree) return true;
  if (opt == Optimize::kLinear) return false;
  return p.syscalls.size() >= kTreeThreshold;
}

// `if (A == k) { section } else fall through past it`.
void AppendGuarded(Code& out, uint16_t test, uint32_t k, const Code& section) {
  out.push_back(BPF_JUMP(BPF_JMP | test | BPF_K, k, 1, 0));
  out.push_back(Skip(static_cast<uint32_t>(section.size())));
  out.insert(out.end(), section.begin(), section.end());
}

}  // namespace

bool IsX86Multiplexer(const std::string& name) { return name == "socketcall" || name == "ipc"; }

Result<SeccompProgram> CompileSeccomp(const SeccompPolicy& policy, const SeccompCompileOptions& options) {
  if (policy.arches.empty()) return Error::Invalid("seccomp: no architectures to filter");
  SeccompProgram out;
  out.tree = UseTree(policy, options);
  auto has = [&](Arch a) { return std::find(policy.arches.begin(), policy.arches.end(), a) != policy.arches.end(); };
  auto dispatch = [&](Arch a) -> Result<Code> {
    size_t rules = 0;
    RAMPART_ASSIGN_OR_RETURN(Code code, ArchCode(policy, a, out.tree).Build(rules));
    out.rules_per_arch[a] = rules;
    return code;
  };
  const uint32_t kill = Action::KillProcess().ToSeccompRet();
  // Any architecture not filtered is killed, as is x32 (bit 30 of the
  // number under the x86_64 audit arch) when only x86_64 is filtered and
  // the other way round.
  Code& prog = out.insns;
  prog.push_back(Load(kArchOffset));
  if (has(Arch::kX86_64) || has(Arch::kX32)) {
    Code x32 = {Ret(kill)}, native = {Ret(kill)};
    if (has(Arch::kX32)) {
      RAMPART_ASSIGN_OR_RETURN(x32, dispatch(Arch::kX32));
    }
    if (has(Arch::kX86_64)) {
      RAMPART_ASSIGN_OR_RETURN(native, dispatch(Arch::kX86_64));
    }
    Code section = {Load(kNrOffset)};
    AppendGuarded(section, BPF_JSET, kX32SyscallBit, x32);
    section.insert(section.end(), native.begin(), native.end());
    AppendGuarded(prog, BPF_JEQ, AuditArch(Arch::kX86_64), section);
  }
  if (has(Arch::kX86)) {
    RAMPART_ASSIGN_OR_RETURN(Code i386, dispatch(Arch::kX86));
    Code section = {Load(kNrOffset)};
    section.insert(section.end(), i386.begin(), i386.end());
    AppendGuarded(prog, BPF_JEQ, AuditArch(Arch::kX86), section);
  }
  prog.push_back(Ret(kill));
  if (prog.size() > BPF_MAXINSNS)
    return Error::Unsupported("seccomp: the filter needs " + std::to_string(prog.size()) + " instructions, more than the " +
                              std::to_string(BPF_MAXINSNS) + " the kernel takes; give fewer argument rules");
  // The program is checked against the policy's own meaning before anyone
  // can load it: a compiler bug refuses the profile, never weakens it.
  VerifyReport report = DiffProgram(policy, out.insns, false);
  if (report.mismatched > 0) {
    return Error::Internal("seccomp: the compiled program disagrees with the policy (" +
                           std::to_string(report.mismatched) + " of " + std::to_string(report.checked) +
                           " checked calls differ; first: " + report.first_mismatches.front() + ")");
  }
  return out;
}

Result<size_t> CountInstructions(const SeccompPolicy& policy, Arch arch) {
  SeccompPolicy one = policy;
  one.arches = {arch};
  RAMPART_ASSIGN_OR_RETURN(auto prog, CompileSeccomp(one, {policy.optimize}));
  return prog.insns.size();
}

}  // namespace rampart::security
