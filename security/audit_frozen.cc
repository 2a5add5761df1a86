// Auditing a container's frozen policy when its profile has changed since
// create: the frozen copy keeps capabilities, NNP, paths and the BPF program
// but not the syscall table, so the table is rebuilt by running the program
// on probe calls (every syscall with zero arguments, plus the argument
// values the audit rules ask about).
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "security/audit.h"
#include "security/bpf_interpreter.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

// One probe: the arguments it sets (the others are 0).
using Probe = std::vector<std::pair<unsigned, uint64_t>>;

std::vector<Probe> ProbesFor(const std::string& name) {
  std::vector<Probe> probes = {{}};
  auto one = [&](unsigned index, std::initializer_list<uint64_t> values) {
    for (uint64_t v : values) probes.push_back({{index, v}});
  };
  if (name == "clone" || name == "unshare") {
    one(0, {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS,
            CLONE_NEWCGROUP, CLONE_VM | CLONE_THREAD, 17 /* SIGCHLD */});
  } else if (name == "ioctl") {
    one(1, {TIOCSTI, TIOCLINUX, TCGETS});
  } else if (name == "socket" || name == "socketpair") {
    for (uint64_t family : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK})
      for (uint64_t type : {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW})
        probes.push_back({{0, family}, {1, type}});
  } else if (name == "personality") {
    one(0, {0x8, 0x20000, 0xffffffff, 0x0400000 /* READ_IMPLIES_EXEC */});
  }
  return probes;
}

}  // namespace

Result<Policy> PolicyFromFrozen(const CompiledPolicy& frozen, const std::string& where) {
  Policy p = frozen.policy;
  p.seccomp.syscalls.clear();
  const SourcePos origin{where, 0, 0};
  for (Arch arch : p.seccomp.arches) {
    for (uint32_t nr = 0; nr < SyscallScanLimit(); ++nr) {
      const uint32_t number = arch == Arch::kX32 ? (nr | kX32SyscallBit) : nr;
      auto name = SyscallName(arch, number);
      if (!name || p.seccomp.syscalls.count(*name)) continue;  // decided on an earlier architecture
      std::vector<std::pair<Probe, Action>> seen;
      for (const Probe& probe : ProbesFor(*name)) {
        seccomp_data data{};
        data.nr = static_cast<int>(number);
        data.arch = AuditArch(arch);
        for (auto [index, value] : probe) data.args[index] = value;
        RAMPART_ASSIGN_OR_RETURN(uint32_t ret, RunBpf(frozen.seccomp.insns, data));
        RAMPART_ASSIGN_OR_RETURN(Action action, Action::FromSeccompRet(ret));
        seen.emplace_back(probe, action);
      }
      bool uniform = std::all_of(seen.begin(), seen.end(),
                                 [&](const auto& s) { return s.second == seen[0].second; });
      SyscallPolicy sp{seen[0].second, {}, origin, "rebuilt from the frozen BPF program"};
      if (!uniform) {
        // Conditional: the running action for exactly the probes that ran.
        // Each probe is pinned on every argument some probe of this syscall
        // sets (the plain call: those arguments 0).
        std::set<unsigned> probed;
        for (const auto& [probe, action] : seen)
          for (auto [index, value] : probe) probed.insert(index);
        for (const auto& [probe, action] : seen) {
          if (!(action.is_allow() || action.kind == Action::Kind::kLog)) continue;
          sp.action = action;
          std::vector<ArgCondition> conj;
          for (unsigned index : probed) {
            uint64_t value = 0;
            for (auto [i, v] : probe)
              if (i == index) value = v;
            conj.push_back(ArgCondition{index, CmpOp::kEq, value, 0});
          }
          sp.any_of.push_back(std::move(conj));
        }
        if (sp.any_of.empty())
          sp.action = seen[0].second;  // differing denials: keep the plain call's
      }
      // Names the profile never mentioned get `unknown`: keep them out of the
      // table so that they are treated as such.
      if (!sp.conditional() && sp.action == p.seccomp.unknown_action) continue;
      p.seccomp.syscalls[*name] = std::move(sp);
    }
  }
  return p;
}

}  // namespace rampart::security
