// rampart policy learn [--from PROFILE] -o NEW.yaml -- CMD [ARGS...]
// (docs/learning.md). The supervisor is runtime/learn_supervisor.cc, the
// observations → profile logic security/learn.cc; this file checks the
// input, runs them and writes the result.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "cli/command.h"
#include "cli/policy_common.h"
#include "runtime/container_manager.h"
#include "runtime/learn_supervisor.h"
#include "runtime/policy_apply.h"
#include "security/audit.h"
#include "security/compiled_policy.h"
#include "security/landlock.h"
#include "security/learn.h"
#include "security/profile_writer.h"
#include "security/resolver.h"

namespace rampart::cli {
namespace {

constexpr const char* kUsage =
    "rampart policy learn [--from PROFILE] -o NEW.yaml -- CMD [ARGS...] | "
    "rampart policy learn --container NAME -o NEW.yaml";

// The resolver's rule: a reference with a '/' or a profile extension is a path.
bool IsPathRef(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".yaml") || ref.ends_with(".yml") ||
         ref.ends_with(".json");
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return false;
  return true;
}

// Refuses, before anything runs, an output that could not be written.
Status CheckOutput(const std::string& out) {
  if (IsSpecialFile(out)) return Ok();
  struct stat st {};
  if (stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Error::Invalid("-o " + out + " is a directory");
  auto slash = out.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : out.substr(0, slash));
  if (stat(dir.c_str(), &st) != 0)
    return Error::FromErrno(errno, "-o " + out + ": directory " + dir);
  if (!S_ISDIR(st.st_mode)) return Error::Invalid("-o " + out + ": " + dir + " is not a directory");
  if (access(dir.c_str(), W_OK) != 0)
    return Error::FromErrno(errno, "-o " + out + ": cannot write in " + dir);
  return Ok();
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// What ran and what it did, from either source.
struct LearnRun {
  security::LearnObservations observations;
  security::Policy baseline;
  std::string from;     // the baseline as the summary names it
  std::string extends;  // the baseline as the learned file names it
  std::vector<std::string> command;
  int status = 0;  // wait status
  bool stopped_early = false;
  std::string stopped_early_note;
};

// How the learned file names its baseline: shipped and search-path names
// as they are, paths made absolute so the learned file can live anywhere.
Result<std::string> ExtendsRef(const std::string& ref, const std::string& what) {
  if (!IsPathRef(ref)) return ref;
  char buf[PATH_MAX];
  if (!realpath(ref.c_str(), buf)) return Error::FromErrno(errno, what + " " + ref);
  return std::string(buf);
}

// `-- CMD`: runs it under the baseline (--from) plus the learning filter.
Result<std::optional<LearnRun>> LearnCommand(Context& ctx, const ParsedArgs& a,
                                             security::ProfileLoader& loader, int* exit_code) {
  runtime::LearnRunOptions run_opts;
  if (a.Has("linger")) {
    auto v = ParseUint64(a.Get("linger"));
    if (!v || *v > 3600) return Error::Invalid("--linger must be a number of seconds (0-3600)");
    run_opts.linger = std::chrono::seconds(*v);
  }
  LearnRun r;
  r.from = a.Get("from", "default");
  auto baseline = loader.Load(r.from);
  if (!baseline) return baseline.error().Wrap("baseline --from " + r.from);
  RAMPART_ASSIGN_OR_RETURN(r.extends, ExtendsRef(r.from, "--from"));
  RAMPART_ASSIGN_OR_RETURN(auto compiled, security::CompilePolicy(*baseline));
  RAMPART_ASSIGN_OR_RETURN(auto notes,
                           security::CheckEnforcement(*baseline, runtime::DetectHostSecurity()));
  for (const auto& n : notes)
    ctx.log.Warn("security layer not enforced: " + n, {{"profile", baseline->name}});
  r.baseline = *baseline;
  r.command = a.rest;

  ctx.log.Info("learning", {{"baseline", baseline->name}, {"output", a.Get("output")}});
  RAMPART_ASSIGN_OR_RETURN(auto run, runtime::RunLearning(compiled, a.rest, run_opts));
  if (run.exec_errno != 0) {
    ctx.log.Error("exec " + a.rest[0] + ": " + std::strerror(run.exec_errno) +
                  "; no profile written");
    *exit_code = run.exec_errno == ENOENT ? kExitNotFound : kExitCannotInvoke;
    return std::optional<LearnRun>();
  }
  r.observations = std::move(run.observations);
  r.status = run.wait_status;
  r.stopped_early = run.stopped_early;
  r.stopped_early_note = "Processes it started were still running " +
                         std::to_string(run_opts.linger.count() / 1000) +
                         " s after it ended: what they did later is not in this profile.";
  return std::optional<LearnRun>(std::move(r));
}

// --container NAME: runs the created container in the foreground, its init
// under its own (frozen) policy plus the learning filter, until it ends.
Result<std::optional<LearnRun>> LearnContainer(Context& ctx, const ParsedArgs& a, int* exit_code) {
  const std::string cname = a.Get("container");
  if (a.Has("from"))
    return Error::Invalid("--from does not go with --container: the container's own profile is the baseline");
  if (a.Has("linger"))
    return Error::Invalid("--linger does not go with --container: the container ends with its init");
  if (a.has_rest)
    return Error::Invalid("a command does not go with --container: the container runs its own");
  runtime::ContainerManager m(runtime::Paths::From(ctx.root_flag), ctx.log);
  RAMPART_ASSIGN_OR_RETURN(auto info, m.Info(cname));
  if (!info.error.empty()) return Error::Invalid("container " + cname + ": " + info.error);
  using runtime::ContainerStatus;
  const auto st = info.state.status;
  if (st == ContainerStatus::kRunning || st == ContainerStatus::kFrozen || st == ContainerStatus::kStarting)
    return Error::Invalid("container " + cname +
                          " is running: learning starts it (stop it first; a running process cannot be given a new filter)");
  LearnRun r;
  r.from = info.spec.profile + " (container " + cname + ")";
  RAMPART_ASSIGN_OR_RETURN(r.extends, ExtendsRef(info.spec.profile, "the container's profile"));
  r.command = info.spec.command;
  ctx.log.Info("learning", {{"container", cname}, {"baseline", info.spec.profile}, {"output", a.Get("output")}});
  runtime::LearnCapture capture;
  auto rc = m.LearnForeground(cname, &capture);
  if (!rc) {
    auto code = ExecFailureCode(ctx, rc.error());
    if (!code) return rc.error();
    ctx.log.Error("no profile written");
    *exit_code = *code;
    return std::optional<LearnRun>();
  }
  r.observations = std::move(capture.observations);
  r.baseline = std::move(capture.baseline);
  r.status = capture.wait_status;
  return std::optional<LearnRun>(std::move(r));
}

Result<int> Learn(Context& ctx, const ParsedArgs& a) {
  if (!a.positional.empty())
    return Error::Invalid("unexpected argument '" + a.positional[0] + "' (usage: " + kUsage + ")");
  const bool container = a.Has("container");
  if (!container && (!a.has_rest || a.rest.empty()))
    return Error::Invalid(std::string("no command and no --container (usage: ") + kUsage + ")");
  if (a.Get("output").empty())
    return Error::Invalid(std::string("-o NEW.yaml is required (usage: ") + kUsage + ")");
  const std::string out = a.Get("output");
  RAMPART_TRY(CheckOutput(out));
  const std::string name = a.Has("name") ? a.Get("name") : security::ProfileNameFromPath(out);
  if (!ValidName(name))
    return Error::Invalid("--name '" + name +
                          "' is not a valid profile name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 64)");
  RAMPART_ASSIGN_OR_RETURN(auto loader, security::ProfileLoader::Create(ProfileDirs(ctx)));
  int failed_code = kExitError;
  auto ran = container ? LearnContainer(ctx, a, &failed_code) : LearnCommand(ctx, a, loader, &failed_code);
  if (!ran) return ran.error();
  if (!*ran) return failed_code;  // the workload could not start: said, nothing written
  LearnRun& run = **ran;
  const std::string& from = run.from;
  const int status = run.status;
  const int exited = ExitCodeFromWaitStatus(status);
  const int code = exited >= 0 ? exited : kExitError;

  security::LearnOptions lo;
  lo.name = name;
  lo.extends = run.extends;
  lo.command = run.command;
  lo.when = NowUtc();
  lo.notes.push_back("The command ended with " + DescribeWaitStatus(status) + ".");
  if (run.stopped_early) lo.notes.push_back(run.stopped_early_note);
  RAMPART_ASSIGN_OR_RETURN(auto learned, security::BuildLearnedProfile(run.observations, run.baseline,
                                                                       loader.groups(), lo));
  const std::string text = security::WriteProfileYaml(learned.draft);
  // A file rampart cannot load is never written.
  auto resolved = loader.LoadText(text, out);
  if (!resolved)
    return Error::Internal("the learned profile does not load, not written: " +
                           resolved.error().message());
  RAMPART_TRY(WriteFileOrDevice(out, text, 0644));

  if (code != 0)
    ctx.log.Warn("the command did not succeed (" + DescribeWaitStatus(status) +
                 "): the profile covers only what it did until then");
  if (run.stopped_early)
    ctx.log.Warn(
        "processes the command started outlived it; their later syscalls were not recorded");

  // The summary goes to stderr: stdout belongs to the command.
  const auto findings = security::AuditPolicy(*resolved);
  std::map<std::string, int> by_sev;
  for (const auto& f : findings) ++by_sev[security::SeverityName(f.severity)];
  const auto& d = learned.decisions;
  const auto& obs = run.observations;
  if (ctx.format == OutputFormat::kTable) {
    std::string s = "learned " + name + " from " + std::to_string(obs.total()) + " calls of " +
                    std::to_string(obs.calls().size()) + " syscalls (" +
                    std::to_string(obs.tasks()) + " tasks), baseline " + from + "\n";
    s += "  allowed: " + std::to_string(d.allowed_groups.size()) + " groups" +
         (d.allowed_groups.empty() ? "" : " (" + Join(d.allowed_groups, ", ") + ")") + " and " +
         std::to_string(d.allowed_names.size()) + " syscalls\n";
    if (!d.rule_syscalls.empty()) s += "  argument rules: " + Join(d.rule_syscalls, ", ") + "\n";
    s += "  denied: " + std::to_string(d.denied.size()) +
         " syscalls the baseline allows but the command never made\n";
    if (!d.left_to_baseline.empty())
      s += "  left to the baseline's own rules: " + Join(d.left_to_baseline, ", ") + "\n";
    s += "  capabilities: " + std::to_string(d.dropped_caps.size()) + " dropped" +
         (d.dropped_caps.empty() ? "" : " (" + Join(d.dropped_caps, ", ") + ")") + ", " +
         std::to_string(d.kept_caps.size()) + " kept" +
         (d.kept_caps.empty() ? "" : " (" + Join(d.kept_caps, ", ") + ")") + "\n";
    s += "  architectures: " + Join(d.architectures, ", ") + "\n";
    s += "wrote " + out + "\n";
    std::string counts;
    for (const auto& [sev, n] : by_sev)
      counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + sev;
    s += "audit: " + std::to_string(findings.size()) + " findings" +
         (counts.empty() ? "" : " (" + counts + ")") + "\n";
    for (const auto& f : findings)
      s += "  " + security::SeverityName(f.severity) + ": " + f.message + " [" + f.id + "]\n";
    std::fputs(s.c_str(), stderr);
  } else {
    nlohmann::json j = {{"profile", out},
                        {"name", name},
                        {"baseline", from},
                        {"calls", obs.total()},
                        {"syscalls", obs.calls().size()},
                        {"tasks", obs.tasks()},
                        {"allowed_groups", d.allowed_groups},
                        {"allowed", d.allowed_names},
                        {"argument_rules", d.rule_syscalls},
                        {"denied", d.denied},
                        {"left_to_baseline", d.left_to_baseline},
                        {"architectures", d.architectures},
                        {"capabilities_dropped", d.dropped_caps},
                        {"capabilities_kept", d.kept_caps},
                        {"capability_reasons", d.cap_reasons},
                        {"exit_code", code},
                        {"stopped_early", run.stopped_early},
                        {"findings", security::FindingsToJson(findings)}};
    std::string s = ctx.format == OutputFormat::kJson ? j.dump(2) + "\n" : ToYaml(j);
    std::fputs(s.c_str(), stderr);
  }
  return code;
}

}  // namespace

std::vector<Command> PolicyLearnCommands() {
  std::vector<Command> c;
  c.push_back(
      {"policy learn",
       "[--from PROFILE] -o NEW.yaml -- CMD [ARGS...] | --container NAME -o NEW.yaml",
       "run a command and write the minimal profile it needs",
       "Runs CMD under the baseline profile (--from, default 'default') plus a seccomp\n"
       "user-notification filter: every syscall of CMD and of everything it forks is\n"
       "reported to rampart, recorded and let through. Then writes NEW.yaml: a profile\n"
       "that extends the baseline, allows what was observed (whole @groups where every\n"
       "member was used; socket, clone, ioctl, prctl and personality only with the\n"
       "argument values seen) and denies everything else the baseline allows. The new\n"
       "profile is checked to load and audited; the summary goes to stderr.\n"
       "The exit code is CMD's (128+N if killed by signal N). NEW.yaml is written\n"
       "(atomically) whenever CMD ran, also when it failed (with a warning); when it\n"
       "could not be started or rampart failed, nothing is written.\n"
       "--container NAME learns from a created (not running) container instead: it is\n"
       "started in the foreground, its init under its own profile plus the learning\n"
       "filter, and the profile is written when it ends (Ctrl-C or 'rampart stop NAME'\n"
       "from elsewhere ends it). Its profile is the baseline. See docs/learning.md.",
       {{"from", 0, true, "PROFILE",
         "baseline profile to learn under and extend (default: default)"},
        {"output", 'o', true, "NEW.yaml", "where to write the learned profile (required)"},
        {"container", 0, true, "NAME", "learn from this created container, run in the foreground"},
        {"name", 0, true, "NAME", "the new profile's name (default: from the file name)"},
        {"linger", 0, true, "SECONDS",
         "after CMD exits, keep recording its remaining descendants this long (default 2)"}},
       Learn});
  return c;
}

}  // namespace rampart::cli
