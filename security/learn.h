// `rampart policy learn`, the pure half: what a supervised run observed
// (syscall numbers, architectures, the arguments that matter) and how those
// observations become a minimal profile that extends a baseline
// (docs/learning.md): seccomp narrowed to what was seen, and the baseline's
// capabilities narrowed to those an observed call could have used
// (CapabilityUses). No syscalls here: runtime/learn_supervisor.cc collects
// the observations, the CLI writes the draft.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "security/policy.h"
#include "security/profile_writer.h"
#include "security/syscall_groups.h"

namespace rampart::security {

// Syscalls whose arguments are recorded, and which of them:
//   socket      (arg0 family, arg1 type without SOCK_NONBLOCK|SOCK_CLOEXEC)
//   clone       (arg0 flags)
//   ioctl       (arg1 request)
//   prctl       (arg0 option)
//   personality (arg0 persona)
// Returns false for every other name.
bool HasRecordedArgs(const std::string& syscall);

// SOCK_NONBLOCK | SOCK_CLOEXEC cleared, on 32 bits: the mask learned socket
// rules apply to arg1.
inline constexpr uint64_t kSocketTypeMask = 0xfff7f7ffULL;

// Everything seen for one (architecture, number).
struct ObservedSyscall {
  std::string name;  // "" when libseccomp does not know the number
  uint64_t count = 0;
  // For HasRecordedArgs syscalls: the recorded argument values (one value,
  // or {family, type} for socket) → how often.
  std::map<std::vector<uint64_t>, uint64_t> arg_values;
};

class LearnObservations {
 public:
  // Records one notification (seccomp_data as the kernel reported it) from
  // task `tid`. x32 calls arrive as AUDIT_ARCH_X86_64 with the x32 bit set.
  void Record(const seccomp_data& data, pid_t tid);

  // (arch, number; x32 numbers keep kX32SyscallBit) → what was seen.
  const std::map<std::pair<Arch, uint32_t>, ObservedSyscall>& calls() const { return calls_; }
  // Calls from architectures rampart does not filter (AUDIT_ARCH_* → count).
  const std::map<uint32_t, uint64_t>& foreign_arches() const { return foreign_; }
  uint64_t total() const { return total_; }
  size_t tasks() const { return tids_.size(); }
  std::set<Arch> arches() const;
  // Calls per syscall name over all architectures (named calls only).
  std::map<std::string, uint64_t> CountsByName() const;
  // The recorded argument values per name, merged over architectures.
  std::map<std::string, std::map<std::vector<uint64_t>, uint64_t>> ArgsByName() const;

 private:
  std::map<std::pair<Arch, uint32_t>, ObservedSyscall> calls_;
  std::map<uint32_t, uint64_t> foreign_;
  std::set<pid_t> tids_;
  uint64_t total_ = 0;
};

struct LearnOptions {
  std::string name;                  // the new profile's name
  std::string extends;               // how the new profile names its baseline
  std::vector<std::string> command;  // what ran (for the header)
  std::string when;                  // a timestamp for the header ("" = none)
  std::vector<std::string> notes;    // more header lines (exit status, ...)
};

// What BuildLearnedProfile decided, for the CLI's summary and the tests.
struct LearnDecisions {
  std::vector<std::string> allowed_groups;     // "@sync", ...
  std::vector<std::string> allowed_names;      // allowed one by one
  std::vector<std::string> rule_syscalls;      // argument rules were written for these
  std::vector<std::string> left_to_baseline;   // observed; the baseline's own rule still decides
  std::vector<std::string> denied;             // allowed by the baseline, not observed (names)
  std::vector<std::string> denied_groups;      // the same, compacted into whole groups
  std::vector<std::string> added_for_runtime;  // not observed but needed to start the workload
  std::vector<std::string> unnamed;            // numbers libseccomp has no name for ("x86_64 #999")
  std::vector<std::string> architectures;      // "native", "x86", "x32"
  bool unknown_tightened = false;              // the baseline let unknown syscalls run
  // The baseline's capabilities ("MKNOD", no CAP_), each in one of the two:
  std::vector<std::string> dropped_caps;           // no observed call could have used it
  std::vector<std::string> kept_caps;              // used, or not decidable from syscalls
  std::map<std::string, std::string> cap_reasons;  // capability → why dropped or kept
};

struct LearnedProfile {
  ProfileDraft draft;
  LearnDecisions decisions;
};

// A recorded argument value (HasRecordedArgs) that can exercise a
// capability.
struct CapabilityArgUse {
  std::string syscall;  // "socket", "ioctl", "prctl" or "clone"
  std::string what;     // for comments: "socket(AF_PACKET, SOCK_RAW or SOCK_PACKET)"
  // Whether one recorded key (as in ObservedSyscall::arg_values) uses it.
  bool (*uses)(const std::vector<uint64_t>& key) = nullptr;
};

// A capability that only these syscalls, or these recorded argument values,
// can exercise (capabilities(7)): a learned profile drops it from the
// baseline's set when none of them was observed. A capability not in this
// table (DAC_OVERRIDE, FOWNER, SYS_ADMIN, SYS_PTRACE, ...) is checked inside
// ordinary calls (open, write, ...) or by files, and is always kept.
struct CapabilityUse {
  std::string cap;                     // "MKNOD" (no CAP_)
  std::vector<std::string> syscalls;   // observing any of these keeps it
  std::vector<CapabilityArgUse> args;  // or observing one of these values
};
const std::vector<CapabilityUse>& CapabilityUses();

// Syscalls rampart itself makes between installing the filter and the
// workload's first instruction (`policy run` execs right after seccomp):
// always allowed by a learned profile.
const std::vector<std::string>& RuntimeSyscalls();

// Turns observations into a profile that `extends` the baseline (resolved
// as `baseline`, named `opts.extends`), allows what was observed and denies
// everything else the baseline would have allowed. Capabilities: each of
// the baseline's that CapabilityUses says no observed call could have used
// is dropped (`capabilities: {drop: [...]}`); the rest are kept, and none
// is ever added. Capabilities in the baseline's ambient or inheritable sets
// are kept (`extends` cannot take them out of those). Observed calls without
// a name (or from an unfiltered architecture) could be anything: they keep
// every capability. The observations must
// come from a run under the baseline's own filter (what the supervisor
// does), so each observed call and argument value was allowed by it.
Result<LearnedProfile> BuildLearnedProfile(const LearnObservations& obs, const Policy& baseline,
                                           const SyscallGroups& groups, const LearnOptions& opts);

// Display helpers (also used in comments): "AF_INET", "SOCK_STREAM",
// "CLONE_VM|CLONE_FS|SIGCHLD", "TCGETS", "PR_SET_NAME", "PER_LINUX"; an
// unknown value comes back as 0x hex.
std::string SocketFamilyName(uint64_t family);
std::string SocketTypeName(uint64_t type);
std::string CloneFlagsName(uint64_t flags);
std::string IoctlName(uint64_t request);
std::string PrctlName(uint64_t option);
std::string PersonalityName(uint64_t persona);

// A profile name from a file name: "out/web-learned.yaml" → "web-learned";
// characters the language does not allow become '-'.
std::string ProfileNameFromPath(const std::string& path);

}  // namespace rampart::security
