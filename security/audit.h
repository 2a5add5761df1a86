// Audit: findings about a resolved policy (and, for a container, its
// configuration), each with a stable rule id, a severity, a rationale (why
// it matters) and the place in the profile that causes it; an exposure
// score; the difference against a baseline profile; SARIF 2.1.0 output.
// Every rule is listed in docs/audit.md. Plain data in, plain data out: no
// I/O happens here.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/compiled_policy.h"
#include "security/policy.h"

namespace rampart::security {

enum class Severity { kInfo, kLow, kMedium, kHigh };
std::string SeverityName(Severity s);  // "info", "low", "medium", "high"
std::optional<Severity> ParseSeverity(std::string_view word);

// One audit rule. Ids are stable: a rule may be refined, never renumbered.
struct AuditRule {
  std::string id;         // "RA001"
  Severity severity;      // the usual severity of its findings
  std::string title;      // one line: what the rule detects
  std::string rationale;  // why it matters
};
// Every rule, sorted by id.
const std::vector<AuditRule>& AuditRules();
const AuditRule* FindAuditRule(std::string_view id);

struct Finding {
  std::string id;  // "RA001"
  Severity severity;
  std::string message;    // what is wrong here, naming the syscall/capability/path
  SourcePos pos;          // the statement that causes it (file only when unknown)
  std::string rationale;  // why it matters (the rule's rationale unless more specific)
};

// What the audit needs to know about a container beyond its policy (the
// runtime's ContainerSpec, which this module does not depend on).
struct ContainerFacts {
  std::string name;
  std::string config_file;  // findings about the configuration point here
  bool ns_pid = true, ns_mount = true, ns_ipc = true, ns_uts = true, ns_net = true,
       ns_cgroup = true;
  bool ns_user = false;
  uint32_t uid = 0;
};

// Findings sorted by severity (highest first), then by rule id.
std::vector<Finding> AuditPolicy(const Policy& policy);
// AuditPolicy plus the checks on the container's configuration.
std::vector<Finding> AuditContainer(const Policy& policy, const ContainerFacts& container);

bool AnyAtOrAbove(const std::vector<Finding>& findings, Severity threshold);

// Reachability of a syscall under the policy, decided from the IR with the
// argument conditions taken into account (on every filtered architecture).
// `extra` restricts the arguments considered (ANDed with the rules): e.g.
// {arg1 == TIOCSTI} asks whether ioctl(_, TIOCSTI, ...) can run. A call
// "runs" when its action is allow or log.
bool SyscallReachable(const Policy& policy, const std::string& name,
                      const std::vector<ArgCondition>& extra = {});

// A policy to audit from a container's frozen copy (security/compiled_policy.h)
// when the profile it came from has changed since: capabilities, NNP and
// paths as frozen, and a syscall table rebuilt by running the frozen BPF
// program on probe calls (zero arguments, plus the argument values the
// rules ask about: clone/unshare namespace flags, ioctl TIOCSTI, socket
// families and types). Positions point at `where` (the frozen file).
Result<Policy> PolicyFromFrozen(const CompiledPolicy& frozen, const std::string& where);

// The exposure score, 0.0 (nothing reachable) to 10.0 (unconfined), like
// `systemd-analyze security`: see docs/audit.md for the formula.
struct Exposure {
  double score = 0;          // min(10, findings_part + surface_part), one decimal
  double findings_part = 0;  // sum of the findings' weights
  double surface_part = 0;   // 2 x surface
  double surface = 0;        // share of x86_64 syscalls that can run (conditional ones count half)
};
Exposure ExposureScore(const Policy& policy, const std::vector<Finding>& findings);
std::string ExposureRating(double score);  // "OK", "MEDIUM", "EXPOSED", "UNSAFE"

nlohmann::json FindingsToJson(const std::vector<Finding>& findings);

// SARIF 2.1.0: one run whose driver lists every rule (AuditRules()) and
// whose results are the findings, located at their profile positions.
nlohmann::json SarifLog(const std::vector<Finding>& findings, const std::string& tool_version);
// The artifact URI SARIF uses for a profile file: shipped profiles
// ("<shipped>/NAME.yaml") become "policies/NAME.yaml", absolute paths
// file:// URIs; characters outside RFC 3986's unreserved set and '/' are
// percent-encoded.
std::string SarifUri(const std::string& file);

// What one policy allows that a baseline does not, and the reverse.
struct PolicyDifference {
  std::string subject;   // "syscall ptrace", "capability CAP_SYS_ADMIN", "no_new_privileges", ...
  std::string here;      // this policy's setting, in words
  std::string baseline;  // the baseline's
  SourcePos pos;         // where this policy decides it (may be empty)
};
struct PolicyDiff {
  std::vector<PolicyDifference> more;     // this policy allows more than the baseline
  std::vector<PolicyDifference> less;     // this policy allows less
  std::vector<PolicyDifference> changed;  // different, neither clearly wider nor narrower
  bool empty() const { return more.empty() && less.empty() && changed.empty(); }
};
PolicyDiff DiffPolicies(const Policy& policy, const Policy& baseline);
nlohmann::json DiffToJson(const PolicyDiff& diff);
std::string DiffToText(const PolicyDiff& diff, const std::string& name,
                       const std::string& baseline_name);

}  // namespace rampart::security
