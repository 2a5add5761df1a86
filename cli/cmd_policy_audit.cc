// rampart policy audit
#include "cli/command.h"
#include "cli/policy_common.h"
#include "security/audit.h"

namespace rampart::cli {
namespace {

Result<int> Audit(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(std::string ref, OnePositional(a, "PROFILE"));
  RAMPART_ASSIGN_OR_RETURN(auto p, LoadPolicy(ctx, ref));
  auto findings = security::AuditPolicy(p);
  std::string human;
  for (const auto& f : findings)
    human += f.pos.ToString() + ": " + security::SeverityName(f.severity) + ": " + f.message + " [" + f.id + "]\n";
  int high = 0;
  for (const auto& f : findings) high += f.severity == security::Severity::kHigh;
  human += p.name + ": " + std::to_string(findings.size()) + " finding(s), " + std::to_string(high) + " high\n";
  Emit(ctx.format, {{"profile", p.name}, {"findings", security::FindingsToJson(findings)}}, human);
  return (a.Has("fail-on-high") && high > 0) ? 1 : 0;
}

}  // namespace

std::vector<Command> PolicyAuditCommands() {
  std::vector<Command> c;
  c.push_back({"policy audit", "PROFILE", "report risky settings in a profile, with their location",
               "", {{"fail-on-high", 0, false, "", "exit 1 when a high-severity finding is reported"}}, Audit});
  return c;
}

}  // namespace rampart::cli
