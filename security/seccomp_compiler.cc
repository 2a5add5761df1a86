#include "security/seccomp_compiler.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "base/unique_fd.h"
#include "security/arg_algebra.h"
#include "security/filter_verify.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

constexpr size_t kTreeThreshold = 32;  // syscalls per arch from which the tree pays off

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Error ScmpError(int rc, const std::string& what) { return Error::FromErrno(-rc, "libseccomp: " + what); }

scmp_compare ToScmp(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return SCMP_CMP_EQ;
    case CmpOp::kNe: return SCMP_CMP_NE;
    case CmpOp::kLt: return SCMP_CMP_LT;
    case CmpOp::kLe: return SCMP_CMP_LE;
    case CmpOp::kGt: return SCMP_CMP_GT;
    case CmpOp::kGe: return SCMP_CMP_GE;
    case CmpOp::kMaskedEq: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

class ArchBuilder {
 public:
  ArchBuilder(const SeccompPolicy& p, Arch arch, bool tree) : p_(p), arch_(arch), tree_(tree) {}

  Result<Ctx> Build(size_t& rules) {
    Ctx ctx(seccomp_init(p_.unknown_action.ToSeccompRet()));
    if (!ctx) return Error::Internal("libseccomp: cannot create a filter context");
    if (arch_ != Arch::kX86_64) {
      int rc = seccomp_arch_add(ctx.get(), LibseccompArch(arch_));
      if (rc < 0) return ScmpError(rc, "add architecture " + ArchName(arch_));
      rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE);
      if (rc < 0) return ScmpError(rc, "remove native architecture");
    }
    int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
    if (rc == 0 && tree_) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0) return ScmpError(rc, "set filter attributes");
    ctx_ = ctx.get();

    // The x86 multiplexers go first, so that the socketcall(N)/ipc(N) rules
    // libseccomp derives from sub-calls meet the explicit decision.
    for (const auto& [name, sp] : p_.syscalls)
      if (IsX86Multiplexer(name)) RAMPART_TRY(AddSyscall(name, sp));
    for (const auto& [name, sp] : p_.syscalls)
      if (!IsX86Multiplexer(name)) RAMPART_TRY(AddSyscall(name, sp));
    rules = rules_;
    return ctx;
  }

 private:
  Status AddSyscall(const std::string& name, const SyscallPolicy& sp) {
    if (!SyscallNumber(arch_, name)) return Ok();  // does not exist on this architecture
    if (!sp.conditional()) return Add(name, sp.action, {});
    const ArgWidths widths = ArgWidths::For(arch_, name);
    RAMPART_ASSIGN_OR_RETURN(Disjunction match, NormalizeAll(sp.any_of, widths));
    if (match.size() == 1 && match[0].empty()) return Add(name, sp.action, {});
    RAMPART_ASSIGN_OR_RETURN(Disjunction rest, Complement(sp.any_of, widths));
    if (rest.size() == 1 && rest[0].empty()) return Add(name, p_.default_action, {});
    if (match.empty()) return Add(name, p_.default_action, {});
    if (sp.action == p_.default_action) return Add(name, sp.action, {});
    // The complement first: libseccomp keeps overlapping rules with
    // different actions more reliably in this order (the verification
    // after export checks the result either way).
    for (const auto& conj : rest) RAMPART_TRY(Add(name, p_.default_action, conj));
    for (const auto& conj : match) RAMPART_TRY(Add(name, sp.action, conj));
    return Ok();
  }

  Status Add(const std::string& name, const Action& action, const Conjunction& conj) {
    // libseccomp refuses rules whose action is the filter's default: the
    // call gets that action anyway.
    if (action == p_.unknown_action) return Ok();
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) return Error::Invalid("unknown syscall '" + name + "'");
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& c : conj) {
      scmp_arg_cmp a{};
      a.arg = c.index;
      a.op = ToScmp(c.op);
      a.datum_a = c.op == CmpOp::kMaskedEq ? c.mask : c.value;
      a.datum_b = c.op == CmpOp::kMaskedEq ? c.value : 0;
      cmps.push_back(a);
    }
    int rc = seccomp_rule_add_array(ctx_, action.ToSeccompRet(), nr, static_cast<unsigned>(cmps.size()),
                                    cmps.empty() ? nullptr : cmps.data());
    if (rc < 0) {
      std::string what = "add rule " + name + " " + action.ToString();
      for (const auto& c : conj) what += " " + c.ToString();
      return ScmpError(rc, what + " on " + ArchName(arch_));
    }
    ++rules_;
    return Ok();
  }

  const SeccompPolicy& p_;
  Arch arch_;
  bool tree_;
  void* ctx_ = nullptr;
  size_t rules_ = 0;
};

bool UseTree(const SeccompPolicy& p, const SeccompCompileOptions& o) {
  Optimize opt = o.optimize.value_or(p.optimize);
  if (opt == Optimize::kTree) return true;
  if (opt == Optimize::kLinear) return false;
  return p.syscalls.size() >= kTreeThreshold;
}

Result<std::vector<sock_filter>> Export(void* ctx) {
  UniqueFd fd(memfd_create("rampart-bpf", MFD_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return ScmpError(rc, "export BPF");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0) return Error::Internal("libseccomp exported a malformed program");
  std::vector<sock_filter> insns(size / sizeof(sock_filter));
  if (pread(fd.get(), insns.data(), size, 0) != size) return Error::FromErrno(errno, "read exported BPF");
  return insns;
}

}  // namespace

bool IsX86Multiplexer(const std::string& name) { return name == "socketcall" || name == "ipc"; }

Result<SeccompProgram> CompileSeccomp(const SeccompPolicy& policy, const SeccompCompileOptions& options) {
  if (policy.arches.empty()) return Error::Invalid("seccomp: no architectures to filter");
  SeccompProgram out;
  out.tree = UseTree(policy, options);
  Ctx merged;
  for (Arch arch : policy.arches) {
    size_t rules = 0;
    RAMPART_ASSIGN_OR_RETURN(Ctx ctx, ArchBuilder(policy, arch, out.tree).Build(rules));
    out.rules_per_arch[arch] = rules;
    if (!merged) {
      merged = std::move(ctx);
    } else {
      int rc = seccomp_merge(merged.get(), ctx.get());
      if (rc < 0) return ScmpError(rc, "merge " + ArchName(arch) + " filter");
      ctx.release();  // seccomp_merge consumed it
    }
  }
  RAMPART_ASSIGN_OR_RETURN(out.insns, Export(merged.get()));
  // libseccomp may silently drop or derive rules (argument rules with
  // several actions, the x86 multiplexers): refuse a program that does not
  // do what the policy says.
  VerifyReport report = DiffProgram(policy, out.insns, false);
  if (report.mismatched > 0) {
    return Error::Unsupported("seccomp: libseccomp cannot express this policy exactly (" +
                              std::to_string(report.mismatched) + " of " + std::to_string(report.checked) +
                              " checked calls differ; first: " + report.first_mismatches.front() +
                              "); simplify the argument rules of that syscall or give seccomp.default an action "
                              "different from seccomp.unknown");
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
