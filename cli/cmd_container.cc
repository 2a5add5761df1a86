// rampart create|start|run|stop|kill|freeze|unfreeze|ls|info|attach|exec|logs|destroy|gc,
// checkpoint [ls|rm]|restore|migrate
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/atomic_file.h"
#include "base/strings.h"
#include "cli/command.h"
#include "runtime/container_manager.h"

namespace rampart::cli {
namespace {

using runtime::ContainerManager;

ContainerManager Manager(Context& ctx) {
  return ContainerManager(runtime::Paths::From(ctx.root_flag), ctx.log);
}

Result<std::string> Name(const ParsedArgs& a) {
  if (a.positional.empty()) return Error::Invalid("expected a container NAME (see --help)");
  if (a.positional.size() > 1) return Error::Invalid("unexpected argument '" + a.positional[1] + "' (commands go after --)");
  return a.positional[0];
}

Result<int> ParseSignal(const std::string& s) {
  if (auto n = ParseUint64(s); n && *n > 0 && *n < 65) return static_cast<int>(*n);
  std::string name = s.starts_with("SIG") ? s.substr(3) : s;
  for (int sig = 1; sig < 65; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && name == abbrev) return sig;
  }
  return Error::Invalid("unknown signal '" + s + "'");
}

std::string Age(int64_t seconds) {
  if (seconds < 0) return "-";
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m";
  if (seconds < 172800) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

nlohmann::json InfoJson(const runtime::ContainerInfo& i) {
  nlohmann::json j = {{"name", i.state.name},
                      {"state", runtime::StatusName(i.state.status)},
                      {"pid", i.state.init_pid},
                      {"ip", i.state.ip},
                      {"profile", i.spec.profile.empty() ? i.state.profile : i.spec.profile},
                      {"uptime_seconds", i.uptime_seconds}};
  if (i.state.exit_code) j["exit_code"] = *i.state.exit_code;
  if (i.state.exit_signal) j["exit_signal"] = *i.state.exit_signal;
  if (!i.error.empty()) j["error"] = i.error;
  return j;
}

Result<runtime::CreateOptions> CreateOptionsFrom(const ParsedArgs& a, const std::string& name) {
  runtime::CreateOptions o;
  o.name = name;
  o.template_ref = a.Get("template", "busybox");
  if (a.Has("profile")) o.profile = a.Get("profile");
  if (a.Has("config")) o.config_file = a.Get("config");
  o.allow_dangerous = a.Has("allow-dangerous");
  o.tty = a.Has("tty");
  o.init = a.Has("init");
  if (a.Has("net")) o.networks = a.opts.at("net");
  if (a.Has("publish")) o.publish = a.opts.at("publish");
  if (a.has_rest) o.command = a.rest;
  return o;
}

Result<int> Create(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_ASSIGN_OR_RETURN(auto opts, CreateOptionsFrom(a, name));
  RAMPART_TRY(Manager(ctx).Create(opts));
  Emit(ctx.format, {{"name", name}, {"state", "created"}}, "created " + name + "\n");
  return 0;
}

Result<int> Start(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_TRY(Manager(ctx).Start(name));
  Emit(ctx.format, {{"name", name}, {"state", "running"}}, "started " + name + "\n");
  return 0;
}

// Exit codes of the payload pass through; a payload that cannot be exec'd
// is 126/127 as with podman.
// The error line is printed here: the exit code alone would not say why.
Result<int> Run(Context& ctx, const ParsedArgs& a) {
  if (a.positional.empty()) return Error::Invalid("expected a container NAME (see --help)");
  std::string name = a.positional[0];
  auto m = Manager(ctx);
  RAMPART_ASSIGN_OR_RETURN(auto opts, CreateOptionsFrom(a, name));
  opts.ephemeral = a.Has("rm");
  opts.foreground = !a.Has("detach");
  if (!a.Has("detach")) m.MakeNetnsAhead();  // while create runs
  RAMPART_TRY(m.Create(opts));
  auto remove = [&]() {
    if (a.Has("rm")) {
      if (auto st = m.Destroy(name, true); !st) ctx.log.Warn("--rm: " + st.error().message());
    }
  };
  if (a.Has("detach")) {
    auto st = m.Start(name);
    if (!st) {
      remove();
      return ExecFailureCode(ctx, st.error());
    }
    Emit(ctx.format, {{"name", name}, {"state", "running"}}, name + "\n");
    return 0;
  }
  auto rc = m.RunForeground(name);
  remove();
  if (!rc) {
    auto code = ExecFailureCode(ctx, rc.error());
    if (!code) {
      ctx.log.Error(rc.error().message());
      return kExitError;
    }
    return *code;
  }
  return *rc;
}

Result<int> Stop(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  auto t = ParseUint64(a.Get("time", "10"));
  if (!t || *t > 3600) return Error::Invalid("--time must be 0-3600 seconds");
  RAMPART_TRY(Manager(ctx).Stop(name, static_cast<int>(*t)));
  Emit(ctx.format, {{"name", name}, {"state", "stopped"}}, "stopped " + name + "\n");
  return 0;
}

Result<int> Kill(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_ASSIGN_OR_RETURN(int sig, ParseSignal(a.Get("signal", "KILL")));
  RAMPART_TRY(Manager(ctx).Kill(name, sig));
  return 0;
}

Result<int> Freeze(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_TRY(Manager(ctx).Freeze(name));
  Emit(ctx.format, {{"name", name}, {"state", "frozen"}}, "froze " + name + "\n");
  return 0;
}

Result<int> Unfreeze(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_TRY(Manager(ctx).Unfreeze(name));
  Emit(ctx.format, {{"name", name}, {"state", "running"}}, "unfroze " + name + "\n");
  return 0;
}

Result<int> Ls(Context& ctx, const ParsedArgs&) {
  RAMPART_ASSIGN_OR_RETURN(auto all, Manager(ctx).List());
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"NAME", "STATE", "PID", "IP", "PROFILE", "UPTIME"}};
  for (const auto& i : all) {
    j.push_back(InfoJson(i));
    rows.push_back({i.state.name, runtime::StatusName(i.state.status) + (i.error.empty() ? "" : " (" + i.error + ")"),
                    i.state.init_pid > 0 && i.state.status != runtime::ContainerStatus::kStopped ? std::to_string(i.state.init_pid) : "-",
                    i.state.ip.empty() ? "-" : i.state.ip, i.spec.profile.empty() ? i.state.profile : i.spec.profile,
                    i.state.status == runtime::ContainerStatus::kRunning || i.state.status == runtime::ContainerStatus::kFrozen
                        ? Age(i.uptime_seconds)
                        : "-"});
  }
  Emit(ctx.format, j, FormatTable(rows));
  return 0;
}

Result<int> Info(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  auto m = Manager(ctx);
  RAMPART_ASSIGN_OR_RETURN(auto i, m.Info(name));
  nlohmann::json j = InfoJson(i);
  j["rootfs"] = i.spec.rootfs;
  j["command"] = i.spec.command;
  j["hostname"] = i.spec.hostname;
  j["policy_hash"] = i.state.policy_hash;
  j["cgroups"] = i.state.cgroup_paths;
  j["allow_dangerous"] = i.spec.allow_dangerous;
  j["config"] = m.paths().ConfigFile(name);
  j["log"] = m.paths().LogFile(name);
  j["security_notes"] = i.state.security_notes;
  if (!i.state.checkpoint.empty()) j["stopped_by_checkpoint"] = i.state.checkpoint;
  if (!i.state.restored_from.empty()) j["restored_from"] = i.state.restored_from;
  std::string human;
  for (auto it = j.begin(); it != j.end(); ++it)
    human += it.key() + ": " + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump()) + "\n";
  if (i.spec.allow_dangerous) human += "WARNING: this container may run a profile with high-severity audit findings\n";
  Emit(ctx.format, j, human);
  return 0;
}

Result<int> Attach(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  if (!a.has_rest || a.rest.empty()) return Error::Invalid("no command: rampart attach NAME -- CMD [ARGS...]");
  auto rc = Manager(ctx).Attach(name, a.rest);
  if (!rc) return ExecFailureCode(ctx, rc.error());
  return *rc;
}

Result<int> Logs(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  auto paths = runtime::Paths::From(ctx.root_flag);
  auto text = ReadFile(paths.LogFile(name));
  if (!text) {
    if (access(paths.ContainerDir(name).c_str(), F_OK) != 0) return Error::NotFound("no container named " + name);
    if (text.error().err() == ENOENT) return 0;  // never started detached: no output yet
    return text.error();
  }
  (void)!write(1, text->data(), text->size());
  return 0;
}

Result<int> Destroy(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_TRY(Manager(ctx).Destroy(name, a.Has("force")));
  Emit(ctx.format, {{"name", name}, {"state", "destroyed"}}, "destroyed " + name + "\n");
  return 0;
}

Result<int> Console(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  if (isatty(0)) std::fputs(("connected to " + name + "'s console; detach with Ctrl-a q\r\n").c_str(), stderr);
  RAMPART_ASSIGN_OR_RETURN(bool detached, Manager(ctx).Console(name, 0, 1));
  if (detached && isatty(0)) std::fputs("\r\ndetached\r\n", stderr);
  return 0;
}

Result<int> Gc(Context& ctx, const ParsedArgs&) {
  RAMPART_ASSIGN_OR_RETURN(auto report, Manager(ctx).Gc());
  std::string human;
  for (const auto& r : report.removed) human += "removed " + r + "\n";
  if (report.removed.empty()) human = "nothing to collect\n";
  Emit(ctx.format, {{"removed", report.removed}}, human);
  return 0;
}

std::string MiB(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  return buf;
}

nlohmann::json CheckpointJson(const runtime::CheckpointMeta& m) {
  nlohmann::json eps = nlohmann::json::array();
  for (const auto& e : m.endpoints) eps.push_back({{"network", e.network}, {"ifname", e.ifname}, {"ip", e.ip}, {"mac", e.mac}});
  return {{"container", m.container}, {"checkpoint", m.name}, {"created_at", m.created_at},
          {"image_bytes", m.image_bytes}, {"criu_version", m.criu_version}, {"policy_hash", m.policy_hash},
          {"leave_running", m.leave_running}, {"endpoints", eps}};
}

Result<int> Checkpoint(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  runtime::CheckpointOptions o;
  o.name = a.Get("name");
  o.leave_running = a.Has("leave-running");
  o.export_path = a.Get("export");
  o.progress = true;
  RAMPART_ASSIGN_OR_RETURN(auto meta, Manager(ctx).Checkpoint(name, o));
  std::string human = "checkpointed " + name + " as " + meta.name + " (" + MiB(meta.image_bytes) + ")" +
                      (o.leave_running ? ", still running" : ", stopped") +
                      (o.export_path.empty() ? "" : ", exported to " + o.export_path) + "\n";
  Emit(ctx.format, CheckpointJson(meta), human);
  return 0;
}

Result<int> CheckpointLs(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  RAMPART_ASSIGN_OR_RETURN(auto list, Manager(ctx).ListCheckpoints(name));
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"CHECKPOINT", "CREATED", "SIZE", "ADDRESSES"}};
  for (const auto& l : list) {
    if (!l.meta) {
      j.push_back({{"checkpoint", l.name}, {"error", l.error}});
      rows.push_back({l.name, "-", "-", "damaged: " + l.error});
      continue;
    }
    j.push_back(CheckpointJson(*l.meta));
    char when[32];
    time_t t = static_cast<time_t>(l.meta->created_at);
    tm tmv{};
    gmtime_r(&t, &tmv);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", &tmv);
    std::string ips;
    for (const auto& e : l.meta->endpoints) ips += (ips.empty() ? "" : ",") + e.ip;
    rows.push_back({l.name, when, MiB(l.meta->image_bytes), ips.empty() ? "-" : ips});
  }
  Emit(ctx.format, j, list.empty() ? "no checkpoints of " + name + "\n" : FormatTable(rows));
  return 0;
}

Result<int> CheckpointRm(Context& ctx, const ParsedArgs& a) {
  if (a.positional.size() != 2) return Error::Invalid("expected NAME CHECKPOINT (see --help)");
  RAMPART_TRY(Manager(ctx).RemoveCheckpoint(a.positional[0], a.positional[1]));
  Emit(ctx.format, {{"container", a.positional[0]}, {"checkpoint", a.positional[1]}, {"removed", true}},
       "removed checkpoint " + a.positional[1] + " of " + a.positional[0] + "\n");
  return 0;
}

Result<int> Restore(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  runtime::RestoreOptions o;
  o.from = a.Get("from");
  o.import_path = a.Get("import");
  if (!o.from.empty() && !o.import_path.empty()) return Error::Invalid("--from and --import exclude each other");
  RAMPART_ASSIGN_OR_RETURN(auto from, Manager(ctx).Restore(name, o));
  Emit(ctx.format, {{"name", name}, {"state", "running"}, {"checkpoint", from}},
       "restored " + name + " from " + from + "\n");
  return 0;
}

Result<int> Migrate(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, Name(a));
  runtime::MigrateOptions o;
  o.to_root = a.Get("to");
  o.to_run = a.Get("to-run");
  o.to_netns = a.Get("to-netns");
  if (o.to_root.empty()) return Error::Invalid("migrate needs --to ROOT");
  RAMPART_TRY(Manager(ctx).Migrate(name, o));
  Emit(ctx.format, {{"name", name}, {"root", o.to_root}, {"state", "running"}},
       "migrated " + name + " to " + o.to_root + "\n");
  return 0;
}

const std::vector<OptSpec> kCreateOptions = {
    {"template", 't', true, "TEMPLATE", "busybox (default) or dir:PATH"},
    {"profile", 0, true, "PROFILE", "security profile (default: default)"},
    {"config", 0, true, "FILE", "container config YAML (see docs/container-config.md)"},
    {"allow-dangerous", 0, false, "", "accept a profile with high-severity audit findings"},
    {"tty", 0, false, "", "give the payload a fresh pty (see 'rampart console')"},
    {"init", 0, false, "", "run the payload under a small init that forwards signals and reaps orphans"},
    {"net", 0, true, "NAME[:ip=A,mac=M,name=IF]",
     "join a network (repeatable; default rampart0, created on first use; 'none': loopback only)"},
    {"publish", 'p', true, "HOSTPORT:CTRPORT[/tcp|udp]", "forward a host port to the container (repeatable)"},
};

}  // namespace

Result<int> ExecFailureCode(Context& ctx, const Error& e) {
  if (e.message().find("exec ") != std::string::npos) {
    if (e.kind() == ErrorKind::kNotFound) {
      ctx.log.Error(e.message());
      return kExitNotFound;
    }
    if (e.err() == EACCES || e.err() == ENOEXEC || e.err() == EISDIR) {
      ctx.log.Error(e.message());
      return kExitCannotInvoke;
    }
  }
  return e;
}

std::vector<Command> ContainerCommands() {
  std::vector<Command> c;
  c.push_back({"create", "NAME [-t TEMPLATE] [--profile P] [--config FILE] [--net N]... [-p H:C]... [-- CMD...]",
               "create a container", "", kCreateOptions, Create});
  c.push_back({"start", "NAME", "start a created container in the background (its output goes to 'rampart logs')", "", {}, Start});
  std::vector<OptSpec> run_opts = kCreateOptions;
  run_opts.push_back({"detach", 'd', false, "", "start in the background and print the name"});
  run_opts.push_back({"rm", 0, false, "", "destroy the container when it exits"});
  c.push_back({"run", "NAME [OPTIONS] [-- CMD...]", "create and start a container (foreground; exit code passthrough)",
               "In the foreground rampart is the container's monitor: stdio is passed through,\n"
               "SIGINT/SIGTERM/SIGHUP are forwarded, and the exit code is the payload's.",
               run_opts, Run});
  c.push_back({"stop", "NAME [-t SECONDS]", "stop a container: SIGTERM, then SIGKILL after the timeout", "",
               {{"time", 't', true, "SECONDS", "grace period before SIGKILL (default 10)"}}, Stop});
  c.push_back({"kill", "NAME [-s SIGNAL]", "send a signal to the container's init", "",
               {{"signal", 's', true, "SIGNAL", "name or number (default KILL)"}}, Kill});
  c.push_back({"freeze", "NAME", "freeze every process of a container (cgroup freezer)", "", {}, Freeze});
  c.push_back({"unfreeze", "NAME", "thaw a frozen container", "", {}, Unfreeze});
  c.push_back({"ls", "", "list containers (name, state, pid, ip, profile, uptime)", "", {}, Ls});
  c.push_back({"info", "NAME", "show one container", "", {}, Info});
  c.push_back({"attach", "NAME -- CMD [ARGS...]", "run a command inside a running container (its namespaces, cgroup and policy)", "", {}, Attach});
  c.push_back({"exec", "NAME -- CMD [ARGS...]", "alias of attach", "", {}, Attach});
  c.push_back({"logs", "NAME", "print the output of a detached container", "", {}, Logs});
  c.push_back({"console", "NAME", "connect to the terminal of a running tty container (detach: Ctrl-a q)", "", {}, Console});
  c.push_back({"destroy", "NAME [-f]", "remove a stopped container (with -f: stop it first)", "",
               {{"force", 'f', false, "", "stop a running container, remove a broken one"}}, Destroy});
  c.push_back({"checkpoint", "NAME [--name CKPT] [--leave-running] [--export FILE.tar.zst]",
               "save a running container to disk with CRIU (stops it unless --leave-running)",
               "The checkpoint keeps the process tree, established TCP connections, file locks and\n"
               "the network endpoints (addresses, MACs); 'rampart restore' brings it back.",
               {{"name", 0, true, "CKPT", "checkpoint name (default ckpt-YYYYMMDD-HHMMSS)"},
                {"leave-running", 0, false, "", "keep the container running after the dump"},
                {"export", 0, true, "FILE", "also write a .tar.zst with config, policy, rootfs and images"}},
               Checkpoint});
  c.push_back({"checkpoint ls", "NAME", "list a container's checkpoints", "", {}, CheckpointLs});
  c.push_back({"checkpoint rm", "NAME CHECKPOINT", "remove a checkpoint", "", {}, CheckpointRm});
  c.push_back({"restore", "NAME [--from CKPT | --import FILE]",
               "restore a checkpointed container (network rewired first, then a fresh monitor)", "",
               {{"from", 0, true, "CKPT", "checkpoint to restore (default: the newest)"},
                {"import", 0, true, "FILE", "restore from 'checkpoint --export' output (creates the container)"}},
               Restore});
  c.push_back({"migrate", "NAME --to ROOT [--to-run DIR] [--to-netns FILE]",
               "checkpoint, move and restore a container under another rampart root",
               "On failure the container is restored where it was. Between two machines use\n"
               "'checkpoint --export' and 'restore --import' (docs/checkpointing.md).",
               {{"to", 0, true, "ROOT", "the other rampart state root"},
                {"to-run", 0, true, "DIR", "its run dir (RAMPART_RUN there)"},
                {"to-netns", 0, true, "FILE", "restore inside this network namespace (e.g. /run/netns/hostb)"}},
               Migrate});
  c.push_back({"gc", "", "remove leftovers of crashed runs (only rampart's own cgroups and directories)", "", {}, Gc});
  return c;
}

}  // namespace rampart::cli
