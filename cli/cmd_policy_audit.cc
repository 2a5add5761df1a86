// rampart policy audit PROFILE|CONTAINER [--baseline P] [--fail-on SEVERITY]
// (docs/audit.md).
#include <sys/stat.h>

#include <cstdio>
#include <optional>
#include <set>

#include "base/atomic_file.h"
#include "cli/command.h"
#include "cli/policy_common.h"
#include "runtime/container_spec.h"
#include "runtime/paths.h"
#include "security/audit.h"
#include "security/compiled_policy.h"
#include "security/resolver.h"

#ifndef RAMPART_VERSION
#define RAMPART_VERSION "0.0.0"
#endif

namespace rampart::cli {
namespace {

struct Target {
  security::Policy policy;
  std::optional<security::ContainerFacts> container;
  std::string note;  // how a container's policy was obtained, when not exactly
};

// The container named `ref` in this state root, if there is one: its
// frozen policy (the one start applies) and its configuration.
Result<std::optional<Target>> LoadContainer(const Context& ctx, const std::string& ref) {
  if (!runtime::ValidateName(ref)) return std::optional<Target>{};
  const runtime::Paths paths = runtime::Paths::From(ctx.root_flag);
  struct stat st {};
  if (stat(paths.ConfigFile(ref).c_str(), &st) != 0) return std::optional<Target>{};

  RAMPART_ASSIGN_OR_RETURN(auto text, ReadFile(paths.ConfigFile(ref)));
  RAMPART_ASSIGN_OR_RETURN(auto defaults, runtime::LoadDefaults(paths));
  RAMPART_ASSIGN_OR_RETURN(auto spec,
                           runtime::ParseContainerSpec(text, paths.ConfigFile(ref), defaults, ref));
  Target t;
  security::ContainerFacts& c = t.container.emplace();
  c.name = ref;
  c.config_file = paths.ConfigFile(ref);
  c.ns_pid = spec.namespaces.pid;
  c.ns_mount = spec.namespaces.mount;
  c.ns_ipc = spec.namespaces.ipc;
  c.ns_uts = spec.namespaces.uts;
  c.ns_net = spec.namespaces.net;
  c.ns_cgroup = spec.namespaces.cgroup;
  c.ns_user = spec.namespaces.user;
  c.uid = spec.uid;

  // The frozen copy (runtime/container_manager.cc writes these two files at
  // create). Its hash says whether the profile still resolves to it: then
  // the profile gives the full syscall table and exact positions.
  const std::string json_path = paths.ContainerDir(ref) + "/policy.json";
  const std::string bpf_path = paths.ContainerDir(ref) + "/policy.bpf";
  Result<security::CompiledPolicy> frozen = Error::NotFound("no frozen policy");
  if (auto json = ReadFile(json_path)) {
    auto bpf = ReadFile(bpf_path);
    frozen = bpf ? security::ThawPolicy(*json, *bpf, json_path)
                 : Result<security::CompiledPolicy>(bpf.error());
  }
  RAMPART_ASSIGN_OR_RETURN(
      auto loader,
      security::ProfileLoader::Create(paths.ProfileDirs()));
  auto resolved = loader.Load(spec.profile);
  if (frozen && resolved && security::PolicyHash(*resolved) == frozen->hash) {
    t.policy = std::move(*resolved);
  } else if (frozen) {
    RAMPART_ASSIGN_OR_RETURN(t.policy, security::PolicyFromFrozen(*frozen, json_path));
    t.note = "profile " + spec.profile +
             " has changed since the container was created (or cannot be loaded): " +
             "audited the frozen policy, with syscalls probed from its BPF program";
  } else if (resolved) {
    t.policy = std::move(*resolved);
    t.note = "the container has no usable frozen policy (" + frozen.error().message() +
             "): audited profile " + spec.profile + " as it resolves now";
  } else {
    return resolved.error().Wrap("container " + ref);
  }
  return std::optional<Target>{std::move(t)};
}

// One finding; its rationale follows the first finding of each rule (and
// any finding whose rationale is its own).
std::string Text(const security::Finding& f, std::set<std::string>& explained) {
  std::string s = f.pos.ToString() + ": " + security::SeverityName(f.severity) + ": " + f.message +
                  " [" + f.id + "]\n";
  if (explained.insert(f.id + "\n" + f.rationale).second) s += "    why: " + f.rationale + "\n";
  return s;
}

Result<int> Audit(Context& ctx, const ParsedArgs& a) {
  std::optional<security::Severity> fail_on;
  if (a.Has("fail-on")) {
    const std::string v = a.Get("fail-on");
    auto s = security::ParseSeverity(v);
    if (!s || *s == security::Severity::kInfo)
      return Error::Invalid("unknown --fail-on '" + v + "' (expected low, medium or high)");
    fail_on = s;
  }
  if (a.Has("fail-on-high") && !fail_on) fail_on = security::Severity::kHigh;
  // `--format sarif` is this command's own; table/text, json and yaml are
  // the global ones (ctx.format).
  const bool sarif = a.Get("format") == "sarif";

  RAMPART_ASSIGN_OR_RETURN(std::string ref, OnePositional(a, "PROFILE|CONTAINER"));
  RAMPART_ASSIGN_OR_RETURN(auto container, LoadContainer(ctx, ref));
  Target t;
  if (container) {
    t = std::move(*container);
  } else {
    RAMPART_ASSIGN_OR_RETURN(t.policy, LoadPolicy(ctx, ref));
  }
  const security::Policy& p = t.policy;
  auto findings =
      t.container ? security::AuditContainer(p, *t.container) : security::AuditPolicy(p);
  const security::Exposure exposure = security::ExposureScore(p, findings);
  std::optional<security::PolicyDiff> diff;
  std::string baseline_name;
  if (a.Has("baseline")) {
    RAMPART_ASSIGN_OR_RETURN(auto base, LoadPolicy(ctx, a.Get("baseline")));
    baseline_name = base.name;
    diff = security::DiffPolicies(p, base);
  }
  const int rc = fail_on && security::AnyAtOrAbove(findings, *fail_on) ? 1 : 0;

  nlohmann::json exposure_json = {{"score", exposure.score},
                                  {"rating", security::ExposureRating(exposure.score)},
                                  {"findings", exposure.findings_part},
                                  {"surface", exposure.surface}};
  if (sarif) {
    nlohmann::json log = security::SarifLog(findings, RAMPART_VERSION);
    log["runs"][0]["properties"] = {{"profile", p.name}, {"exposure", exposure_json}};
    if (t.container) log["runs"][0]["properties"]["container"] = t.container->name;
    std::fputs((log.dump(2) + "\n").c_str(), stdout);
    return rc;
  }

  int count[4] = {};
  for (const auto& f : findings) ++count[static_cast<int>(f.severity)];
  std::string human;
  if (!t.note.empty()) human += "note: " + t.note + "\n";
  std::set<std::string> explained;
  for (const auto& f : findings) human += Text(f, explained);
  char score[16];
  std::snprintf(score, sizeof score, "%.1f", exposure.score);
  human += (t.container ? "container " + t.container->name + " (profile " + p.name + ")" : p.name) +
           ": " + std::to_string(findings.size()) + " finding(s): " + std::to_string(count[3]) +
           " high, " + std::to_string(count[2]) + " medium, " + std::to_string(count[1]) +
           " low, " + std::to_string(count[0]) + " info; exposure " + score + "/10 " +
           security::ExposureRating(exposure.score) + "\n";
  if (diff) human += "\n" + security::DiffToText(*diff, p.name, baseline_name);

  nlohmann::json data = {{"profile", p.name},
                         {"findings", security::FindingsToJson(findings)},
                         {"exposure", exposure_json}};
  if (t.container) data["container"] = t.container->name;
  if (!t.note.empty()) data["note"] = t.note;
  if (diff)
    data["baseline"] = {{"profile", baseline_name}, {"difference", security::DiffToJson(*diff)}};
  Emit(ctx.format, data, human);
  return rc;
}

}  // namespace

std::vector<Command> PolicyAuditCommands() {
  std::vector<Command> c;
  c.push_back({"policy audit",
               "PROFILE|CONTAINER [--baseline PROFILE] [--fail-on low|medium|high]",
               "report risky settings in a profile or a container, with their location",
               "Every finding has a stable rule id (RA001...), a severity, the profile position "
               "that causes it and\n"
               "a rationale; an exposure score (0.0-10.0) sums them up. A CONTAINER (an existing "
               "container's name) is\n"
               "audited with its frozen policy and its configuration (namespaces, user). --format "
               "json, yaml or\n"
               "sarif (SARIF 2.1.0) for tools. Exit 1 when --fail-on is given and a finding at or "
               "above that\n"
               "severity exists. Rules and score: docs/audit.md.",
               {{"baseline", 0, true, "PROFILE",
                 "also list what the profile allows that PROFILE does not, and the reverse"},
                {"fail-on", 0, true, "SEVERITY",
                 "exit 1 when a finding of SEVERITY (low, medium, high) or above exists"},
                {"fail-on-high", 0, false, "", "same as --fail-on high"}},
               Audit});
  return c;
}

}  // namespace rampart::cli
