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
#include "base/strings.h"
#include "cli/command.h"
#include "cli/policy_common.h"
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

constexpr const char* kUsage = "rampart policy learn [--from PROFILE] -o NEW.yaml -- CMD [ARGS...]";

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

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

Result<int> Learn(Context& ctx, const ParsedArgs& a) {
  if (!a.positional.empty())
    return Error::Invalid("unexpected argument '" + a.positional[0] + "' (usage: " + kUsage + ")");
  if (!a.has_rest || a.rest.empty())
    return Error::Invalid(std::string("no command (usage: ") + kUsage + ")");
  if (a.Get("output").empty())
    return Error::Invalid(std::string("-o NEW.yaml is required (usage: ") + kUsage + ")");
  const std::string out = a.Get("output");
  RAMPART_TRY(CheckOutput(out));
  runtime::LearnRunOptions run_opts;
  if (a.Has("linger")) {
    auto v = ParseUint64(a.Get("linger"));
    if (!v || *v > 3600) return Error::Invalid("--linger must be a number of seconds (0-3600)");
    run_opts.linger = std::chrono::seconds(*v);
  }
  const std::string name = a.Has("name") ? a.Get("name") : security::ProfileNameFromPath(out);
  if (!ValidName(name))
    return Error::Invalid("--name '" + name +
                          "' is not a valid profile name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 64)");

  // The baseline, and how the new file will name it: shipped and
  // search-path names as they are, paths made absolute so the learned file
  // can live anywhere.
  const std::string from = a.Get("from", "default");
  RAMPART_ASSIGN_OR_RETURN(auto loader, security::ProfileLoader::Create(
                                            {ctx.root + "/policies", "/etc/rampart/policies"}));
  auto baseline = loader.Load(from);
  if (!baseline) return baseline.error().Wrap("baseline --from " + from);
  std::string extends = from;
  if (IsPathRef(from)) {
    char buf[PATH_MAX];
    if (!realpath(from.c_str(), buf)) return Error::FromErrno(errno, "--from " + from);
    extends = buf;
  }
  RAMPART_ASSIGN_OR_RETURN(auto compiled, security::CompilePolicy(*baseline));
  RAMPART_ASSIGN_OR_RETURN(auto notes,
                           security::CheckEnforcement(*baseline, runtime::DetectHostSecurity()));
  for (const auto& n : notes)
    ctx.log.Warn("security layer not enforced: " + n, {{"profile", baseline->name}});

  ctx.log.Info("learning", {{"baseline", baseline->name}, {"output", out}});
  RAMPART_ASSIGN_OR_RETURN(auto run, runtime::RunLearning(compiled, a.rest, run_opts));
  if (run.exec_errno != 0) {
    ctx.log.Error("exec " + a.rest[0] + ": " + std::strerror(run.exec_errno) +
                  "; no profile written");
    return run.exec_errno == ENOENT ? kExitNotFound : kExitCannotInvoke;
  }
  const int status = run.wait_status;
  const int code = WIFEXITED(status)     ? WEXITSTATUS(status)
                   : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                         : kExitError;

  security::LearnOptions lo;
  lo.name = name;
  lo.extends = extends;
  lo.command = a.rest;
  lo.when = NowUtc();
  lo.notes.push_back("The command ended with " + DescribeStatus(status) + ".");
  if (run.stopped_early)
    lo.notes.push_back("Processes it started were still running " +
                       std::to_string(run_opts.linger.count() / 1000) +
                       " s after it ended: what they did later is not in this profile.");
  RAMPART_ASSIGN_OR_RETURN(auto learned, security::BuildLearnedProfile(run.observations, *baseline,
                                                                       loader.groups(), lo));
  const std::string text = security::WriteProfileYaml(learned.draft);
  // A file rampart cannot load is never written.
  auto resolved = loader.LoadText(text, out);
  if (!resolved)
    return Error::Internal("the learned profile does not load, not written: " +
                           resolved.error().message());
  RAMPART_TRY(WriteFileOrDevice(out, text, 0644));

  if (code != 0)
    ctx.log.Warn("the command did not succeed (" + DescribeStatus(status) +
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
       "[--from PROFILE] -o NEW.yaml -- CMD [ARGS...]",
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
       "could not be started or rampart failed, nothing is written. See docs/learning.md.",
       {{"from", 0, true, "PROFILE",
         "baseline profile to learn under and extend (default: default)"},
        {"output", 'o', true, "NEW.yaml", "where to write the learned profile (required)"},
        {"name", 0, true, "NAME", "the new profile's name (default: from the file name)"},
        {"linger", 0, true, "SECONDS",
         "after CMD exits, keep recording its remaining descendants this long (default 2)"}},
       Learn});
  return c;
}

}  // namespace rampart::cli
