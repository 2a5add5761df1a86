// rampart: the command-line entry point. Parses global options, finds the
// verb in the command table, runs it and maps errors to exit code 125.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/launch_verbs.h"

namespace rampart::cli {
namespace {

const std::vector<OptSpec> kGlobalOptions = {
    {"verbose", 'v', false, "", "more log output (-v info, -vv debug)"},
    {"log-format", 0, true, "text|json", "log line format on stderr (default text)"},
    {"format", 0, true, "table|json|yaml", "output format (default table)"},
    {"root", 0, true, "DIR", "state root (default $RAMPART_ROOT or /var/lib/rampart)"},
    {"help", 'h', false, "", "show help"},
};

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto& c : VersionCommands()) all.push_back(std::move(c));
  for (auto& c : ContainerCommands()) all.push_back(std::move(c));
  for (auto& c : PolicyCommands()) all.push_back(std::move(c));
  for (auto& c : PolicyAuditCommands()) all.push_back(std::move(c));
  for (auto& c : PolicyFormatCommands()) all.push_back(std::move(c));
  for (auto& c : PolicyLearnCommands()) all.push_back(std::move(c));
  for (auto& c : NetCommands()) all.push_back(std::move(c));
  return all;
}

void PrintTopHelp(const std::vector<Command>& cmds) {
  std::string out =
      "usage: rampart [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
      "rampart compiles one declarative profile into seccomp, capabilities and\n"
      "the other enforcement layers, and runs workloads under it.\n\ncommands:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : cmds) rows.push_back({"  " + std::string(c.name), std::string(c.summary)});
  out += FormatTable(rows) + "\nglobal options:\n" + OptionsHelp(kGlobalOptions) +
         "\nexit codes: 125 rampart error, 126 command not invokable, 127 command not found,\n"
         "otherwise the payload's own code. 'rampart COMMAND --help' for details.\n";
  std::fputs(out.c_str(), stdout);
}

void PrintCommandHelp(const Command& c) {
  const std::string name(c.name), usage(c.usage), summary(c.summary), details(c.details);
  std::string out = "usage: rampart " + name + (usage.empty() ? "" : " " + usage) + "\n\n" + summary + "\n";
  if (!details.empty()) out += "\n" + details + "\n";
  if (!c.options.empty()) out += "\noptions:\n" + OptionsHelp(c.options);
  out += "\nglobal options:\n" + OptionsHelp(kGlobalOptions);
  std::fputs(out.c_str(), stdout);
}

// CVE-2019-5736: a payload whose entry point is (or whose interpreter is)
// /proc/self/exe re-executes the runtime's own binary inside the container;
// a process there could keep /proc/PID/exe open and, once rampart exits,
// reopen it for writing and replace the host's binary. Commands that put
// processes into a container therefore run rampart only as reached through
// a read-only mount: /proc/PID/exe then names that mount and a reopen for
// writing fails with EROFS. If the binary was started from a read-only
// mount already (a read-only /usr, an image store, a bind mount made for
// rampart), that holds as it is; otherwise the binary is executed from a
// read-only mount of itself: by the `rampart` front (cli/launcher/), from a
// detached mount of its own (in no namespace), which then sets
// RAMPART_SEALED_ENV, or else by re-executing from a read-only bind mount
// in a private mount namespace. The binary's pages stay shared with every
// other rampart process (a memfd copy per monitor would cost ~1.5 MiB each).
// /proc/self/exe then names no usable path: run this binary again through
// the magic link itself (execveat), never through readlink.
constexpr const char* kSealedEnv = RAMPART_SEALED_ENV;

enum class ExeSeal { kNotNeeded, kSealedByFront, kReexecuted, kReadOnlyMount, kFailed };

// True if the mount the running binary was executed from is read-only: the
// magic link /proc/self/exe resolves to that very mount, and statvfs
// reports its flags (the mount's own and the filesystem's).
bool ExeOnReadOnlyMount() {
  struct statvfs vfs {};
  return statvfs("/proc/self/exe", &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
}

// kFailed sets errno; the caller refuses to go on (fail-closed).
ExeSeal SealExe(char** argv) {
  const char* marker = std::getenv(kSealedEnv);
  if (marker) {
    const std::string by = marker;
    unsetenv(kSealedEnv);
    // The marker is only a hint (anyone can set it): the mount is checked.
    if ((by == "1" || by == RAMPART_SEALED_BY_FRONT) && ExeOnReadOnlyMount())
      return by == "1" ? ExeSeal::kReexecuted : ExeSeal::kSealedByFront;
  }
  if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return ExeSeal::kFailed;
  if (ExeOnReadOnlyMount()) return ExeSeal::kReadOnlyMount;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return ExeSeal::kFailed;
  exe[n] = '\0';
  if (mount(exe, exe, nullptr, MS_BIND, nullptr) == 0 &&
      mount(nullptr, exe, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0) {
    setenv(kSealedEnv, "1", 1);
    execv(exe, argv);
    unsetenv(kSealedEnv);
  }
  return ExeSeal::kFailed;
}

// One error line on stderr, in the chosen log format.
int Fail(Logger& log, const Error& e) {
  log.Error(e.message());
  return kExitError;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Logger log(STDERR_FILENO, LogLevel::kWarn, LogFormat::kText);
  const ExeSeal seal = rampart_launches_into_container(argc, argv) ? SealExe(argv) : ExeSeal::kNotNeeded;
  if (seal == ExeSeal::kFailed)
    return Fail(log, Error::FromErrno(errno, "re-execute rampart from a read-only mount of itself (CVE-2019-5736 "
                                             "protection; needs CAP_SYS_ADMIN)"));
  const auto cmds = AllCommands();

  // The verb is the longest run of leading words that names a command.
  size_t first_non_opt = 0;
  while (first_non_opt < args.size() && args[first_non_opt].starts_with("-") && args[first_non_opt] != "--") {
    // Skip global options (and their values) before the verb.
    const std::string& a = args[first_non_opt];
    bool takes_value = (a == "--log-format" || a == "--format" || a == "--root");
    first_non_opt += takes_value ? 2 : 1;
  }
  const Command* cmd = nullptr;
  size_t verb_end = first_non_opt;
  for (const auto& c : cmds) {
    std::vector<std::string_view> words;
    size_t pos = 0, sp;
    while ((sp = c.name.find(' ', pos)) != std::string_view::npos) words.push_back(c.name.substr(pos, sp - pos)), pos = sp + 1;
    words.push_back(c.name.substr(pos));
    if (first_non_opt + words.size() > args.size()) continue;
    bool match = true;
    for (size_t i = 0; i < words.size(); ++i) match &= args[first_non_opt + i] == words[i];
    if (match && (!cmd || words.size() > static_cast<size_t>(std::count(cmd->name.begin(), cmd->name.end(), ' ') + 1))) {
      cmd = &c;
      verb_end = first_non_opt + words.size();
    }
  }

  std::vector<std::string> rest(args.begin(), args.begin() + first_non_opt);
  rest.insert(rest.end(), args.begin() + verb_end, args.end());
  std::vector<OptSpec> specs = kGlobalOptions;
  if (cmd) specs.insert(specs.end(), cmd->options.begin(), cmd->options.end());
  auto parsed = ParseArgs(rest, specs);
  if (!parsed) return Fail(log, parsed.error());
  if (parsed->Has("log-format")) {
    auto f = ParseLogFormat(parsed->Get("log-format"));
    if (!f) return Fail(log, f.error());
    log.set_format(*f);
  }
  int v = parsed->Count("verbose");
  if (v >= 2) log.set_level(LogLevel::kDebug);
  else if (v == 1) log.set_level(LogLevel::kInfo);
  if (seal == ExeSeal::kReadOnlyMount)
    log.Info("rampart's binary is on a read-only mount: no re-exec needed (CVE-2019-5736)");
  else if (seal == ExeSeal::kReexecuted)
    log.Debug("re-executed from a read-only bind mount of rampart's binary (CVE-2019-5736)");
  else if (seal == ExeSeal::kSealedByFront)
    log.Debug("executed by the rampart front from a read-only mount of rampart-core (CVE-2019-5736)");

  if (!cmd) {
    if (parsed->Has("help") || args.empty()) {
      PrintTopHelp(cmds);
      return args.empty() ? kExitError : 0;
    }
    std::string word = first_non_opt < args.size() ? args[first_non_opt] : "";
    // "rampart policy" alone: list its subcommands.
    bool group = false;
    for (const auto& c : cmds) group |= c.name.starts_with(word + " ");
    if (group && (verb_end == first_non_opt)) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : cmds)
        if (c.name.starts_with(word + " ")) rows.push_back({"  " + std::string(c.name), std::string(c.summary)});
      std::fputs(("usage: rampart " + word + " COMMAND\n\ncommands:\n" + FormatTable(rows)).c_str(),
                 parsed->Has("help") ? stdout : stderr);
      if (parsed->Has("help")) return 0;
      return Fail(log, Error::Invalid("missing " + word + " subcommand"));
    }
    return Fail(log, Error::Invalid("unknown command '" + word + "' (see rampart --help)"));
  }
  if (parsed->Has("help")) {
    PrintCommandHelp(*cmd);
    return 0;
  }
  Context ctx{log, OutputFormat::kTable, "", std::nullopt};
  // `--format sarif` belongs to `policy audit`, which reads it itself.
  if (parsed->Has("format") && !(cmd->name == "policy audit" && parsed->Get("format") == "sarif")) {
    auto f = ParseOutputFormat(parsed->Get("format"));
    if (!f) return Fail(log, f.error());
    ctx.format = *f;
  }
  const char* env_root = std::getenv("RAMPART_ROOT");
  ctx.root = parsed->Get("root", env_root && *env_root ? env_root : "/var/lib/rampart");
  if (parsed->Has("root")) ctx.root_flag = parsed->Get("root");
  auto rc = cmd->run(ctx, *parsed);
  if (!rc) return Fail(log, rc.error());
  return *rc;
}

}  // namespace
}  // namespace rampart::cli

int main(int argc, char** argv) { return rampart::cli::Main(argc, argv); }
