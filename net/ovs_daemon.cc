#include "net/ovs_daemon.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/atomic_file.h"
#include "base/file_lock.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"

extern char** environ;

namespace rampart::net {

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using std::chrono::milliseconds;

constexpr char kDefaultSchema[] = "/usr/share/openvswitch/vswitch.ovsschema";
constexpr char kPackage[] = "install openvswitch-switch";
constexpr milliseconds kToolTimeout{30000};    // ovsdb-tool create / convert
constexpr milliseconds kLaunchTimeout{30000};  // a daemon's --detach handshake
constexpr milliseconds kReadyTimeout{10000};   // its sockets answer after the handshake
constexpr milliseconds kRpcTimeout{3000};      // one JSON-RPC request
constexpr milliseconds kExitTimeout{5000};     // each of: unixctl exit, SIGTERM, SIGKILL
constexpr size_t kMaxOutput = 64 * 1024;       // of a tool's stdout + stderr

std::string Prefix(const OvsDaemonConfig& c) { return "ovs in " + c.run_dir; }

// ---- configuration ------------------------------------------------------------

OvsDaemonConfig Normalized(const OvsDaemonConfig& config) {
  OvsDaemonConfig c = config;
  while (c.run_dir.size() > 1 && c.run_dir.back() == '/') c.run_dir.pop_back();
  if (c.schema.empty()) c.schema = kDefaultSchema;
  return c;
}

Status Validate(const OvsDaemonConfig& c) {
  if (c.run_dir.empty() || c.run_dir.front() != '/' || c.run_dir == "/" ||
      c.run_dir.find('\n') != std::string::npos) {
    return Error::Invalid("ovs: run_dir \"" + c.run_dir +
                          "\" is not an absolute path to a directory");
  }
  const size_t max = sizeof(sockaddr_un{}.sun_path) - 1;
  if (OvsDaemonFilesFor(c).vswitchd_ctl.size() > max) {
    return Error::Invalid(
        Prefix(c) + ": run_dir is too long: " + OvsDaemonFilesFor(c).vswitchd_ctl +
        " does not fit in a unix socket address (" + std::to_string(max) + " bytes)");
  }
  return Ok();
}

// The two daemons and their files.
enum class Which { kOvsdbServer, kVswitchd };
struct Daemon {
  const char* name;  // the executable's base name
  std::string pid, ctl, log;
};

Daemon DaemonOf(Which which, const OvsDaemonConfig& c) {
  const OvsDaemonFiles f = OvsDaemonFilesFor(c);
  if (which == Which::kOvsdbServer) return {"ovsdb-server", f.ovsdb_pid, f.ovsdb_ctl, f.ovsdb_log};
  return {"ovs-vswitchd", f.vswitchd_pid, f.vswitchd_ctl, f.vswitchd_log};
}

struct Binaries {
  std::string ovsdb_server, vswitchd, ovsdb_tool;
};

Result<Binaries> FindBinaries(const OvsDaemonConfig& c) {
  std::vector<std::string> dirs;
  if (!c.bin_dir.empty()) {
    dirs.push_back(c.bin_dir);
  } else {
    if (const char* path = ::getenv("PATH"); path != nullptr) {
      for (const std::string& d : Split(path, ':')) {
        if (!d.empty()) dirs.push_back(d);
      }
    }
    for (const char* d : {"/usr/sbin", "/sbin"}) {
      if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
    }
  }
  auto find = [&](const std::string& name) -> Result<std::string> {
    for (const std::string& dir : dirs) {
      const std::string path = dir + "/" + name;
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          ::access(path.c_str(), X_OK) == 0)
        return path;
    }
    return Error::NotFound(name + " not found (" + kPackage + "): no executable " + name + " in " +
                           Join(dirs, ":"));
  };
  Binaries b;
  RAMPART_ASSIGN_OR_RETURN(b.ovsdb_server, find("ovsdb-server"));
  RAMPART_ASSIGN_OR_RETURN(b.vswitchd, find("ovs-vswitchd"));
  RAMPART_ASSIGN_OR_RETURN(b.ovsdb_tool, find("ovsdb-tool"));
  return b;
}

Status CheckSchema(const OvsDaemonConfig& c) {
  struct stat st {};
  if (::stat(c.schema.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return Ok();
  return Error::NotFound("ovs schema " + c.schema + " not found (" + kPackage + ")");
}

// Our environment with the OVS directories pointed at RUN.
std::vector<std::string> DaemonEnv(const OvsDaemonConfig& c) {
  static constexpr std::string_view kOverridden[] = {
      "OVS_RUNDIR=", "OVS_DBDIR=", "OVS_LOGDIR=", "OVS_SYSCONFDIR="};
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool skip = std::any_of(std::begin(kOverridden), std::end(kOverridden),
                            [&](std::string_view k) { return entry.substr(0, k.size()) == k; });
    if (!skip) env.emplace_back(entry);
  }
  for (std::string_view k : kOverridden) env.push_back(std::string(k) + c.run_dir);
  return env;
}

// ---- processes ----------------------------------------------------------------

// Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks extern "C".
int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0u)); }
int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0u));
}

// poll(2) for readability (a pidfd: the process exited); EINTR resumes.
bool WaitReadable(int fd, milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(left, 0, INT_MAX)));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // a broken fd: do not spin on it
  }
}

// /proc/PID/cmdline split at NULs; empty for a zombie or a process that is gone.
std::vector<std::string> ReadCmdline(pid_t pid) {
  Result<std::string> text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text || text->empty()) return {};
  if (text->back() == '\0') text->pop_back();
  return Split(*text, '\0');
}

bool IsDaemonCmdline(const std::vector<std::string>& cmdline, const Daemon& d) {
  if (cmdline.empty()) return false;
  const std::string& argv0 = cmdline.front();
  const size_t slash = argv0.rfind('/');
  const std::string_view base =
      slash == std::string::npos ? argv0 : std::string_view(argv0).substr(slash + 1);
  if (base != d.name) return false;
  const std::string pid_arg = "--pidfile=" + d.pid;
  return std::find(cmdline.begin() + 1, cmdline.end(), pid_arg) != cmdline.end();
}

bool IsOurs(pid_t pid, const Daemon& d) { return IsDaemonCmdline(ReadCmdline(pid), d); }

// The pid in d's pid file if that process is d; nullopt otherwise.
Result<std::optional<pid_t>> RunningPid(const Daemon& d) {
  Result<std::string> text = ReadFile(d.pid);
  if (!text) {
    const int err = text.error().err();
    if (err == ENOENT || err == ENOTDIR) return std::optional<pid_t>();
    return text.error();
  }
  Result<uint64_t> pid = ParseUint64(Trim(*text));
  if (!pid || *pid == 0 || *pid > static_cast<uint64_t>(INT_MAX)) return std::optional<pid_t>();
  if (!IsOurs(static_cast<pid_t>(*pid), d)) return std::optional<pid_t>();
  return std::optional<pid_t>(static_cast<pid_t>(*pid));
}

// Every live process that is d, pid file or not.
std::vector<pid_t> ScanForOurs(const Daemon& d) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    Result<uint64_t> pid = ParseUint64(e->d_name);
    if (!pid || *pid == 0 || *pid > static_cast<uint64_t>(INT_MAX)) continue;
    if (IsOurs(static_cast<pid_t>(*pid), d)) out.push_back(static_cast<pid_t>(*pid));
  }
  ::closedir(dir);
  return out;
}

// ---- sockets and JSON-RPC -----------------------------------------------------

Result<UniqueFd> ConnectUnix(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path))
    return Error::Invalid("connect " + path + ": path too long for a unix socket");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::FromErrno(errno, "socket for " + path);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0 &&
      errno != EAGAIN) {
    return Error::FromErrno(errno, "connect " + path);
  }
  return fd;
}

// Whether some process accepts connections on the unix socket at `path`.
bool Answers(const std::string& path) { return ConnectUnix(path).has_value(); }

// Length of the first complete JSON object in `buf` (leading whitespace
// included), or 0 if it is not complete yet.
size_t FrameLength(std::string_view buf) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < buf.size(); ++i) {
    const char ch = buf[i];
    if (in_string) {
      if (!escaped && ch == '"') in_string = false;
      escaped = !escaped && ch == '\\';
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

Status SendAll(int fd, std::string_view data, Clock::time_point deadline, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Error::FromErrno(errno, "send to " + path);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLOUT, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0)
      return Error(ErrorKind::kSystem, "send to " + path + ": timed out", ETIMEDOUT);
  }
  return Ok();
}

// One JSON-RPC 1.0 request (OVSDB and unixctl speak the same framing) and
// its "result"; an "error" in the reply is an Error naming `method`.
// "echo" requests from the server are answered on the way.
Result<Json> Call(const std::string& path, const std::string& method, const Json& params,
                  milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string what = method + " on " + path;
  RAMPART_ASSIGN_OR_RETURN(UniqueFd fd, ConnectUnix(path));
  const Json request = {{"id", 0}, {"method", method}, {"params", params}};
  RAMPART_TRY(SendAll(fd.get(), request.dump(-1, ' ', false, Json::error_handler_t::replace),
                      deadline, path));
  std::string buf;
  while (true) {
    while (size_t len = FrameLength(buf)) {
      Json msg = Json::parse(buf.substr(0, len), nullptr, /*allow_exceptions=*/false);
      buf.erase(0, len);
      if (!msg.is_object()) return Error::Internal(what + ": reply is not a JSON object");
      auto m = msg.find("method");
      if (m == msg.end()) {
        auto err = msg.find("error");
        if (err != msg.end() && !err->is_null())
          return Error(ErrorKind::kSystem, what + ": " + err->dump());
        auto result = msg.find("result");
        return result == msg.end() ? Json() : *result;
      }
      if (*m == "echo") {
        Json echo = {{"id", msg.value("id", Json())},
                     {"result", msg.value("params", Json())},
                     {"error", nullptr}};
        RAMPART_TRY(SendAll(fd.get(), echo.dump(-1, ' ', false, Json::error_handler_t::replace),
                            deadline, path));
      }
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd.get(), POLLIN, 0};
    int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno(errno, what + ": poll");
    if (n == 0) {
      return Error(ErrorKind::kSystem,
                   what + ": no reply within " + std::to_string(timeout.count()) + " ms",
                   ETIMEDOUT);
    }
    char chunk[4096];
    ssize_t got = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) return Error::FromErrno(errno, what + ": recv");
    if (got == 0)
      return Error(ErrorKind::kSystem, what + ": connection closed before the reply", EPIPE);
    buf.append(chunk, static_cast<size_t>(got));
  }
}

// The daemon answers a harmless request on its socket.
Status Ping(Which which, const OvsDaemonConfig& c) {
  if (which == Which::kVswitchd) {
    RAMPART_TRY(Call(OvsDaemonFilesFor(c).vswitchd_ctl, "version", Json::array(), kRpcTimeout));
    return Ok();
  }
  const std::string sock = OvsDaemonFilesFor(c).db_sock;
  RAMPART_ASSIGN_OR_RETURN(Json dbs, Call(sock, "list_dbs", Json::array(), kRpcTimeout));
  if (!dbs.is_array() || std::find(dbs.begin(), dbs.end(), Json("Open_vSwitch")) == dbs.end()) {
    return Error(ErrorKind::kInvalid,
                 "list_dbs on " + sock + ": no Open_vSwitch database (got " + dbs.dump() + ")");
  }
  return Ok();
}

// Inserts the Open_vSwitch root row unless there is one, atomically: the
// `wait` guard (the table's rows must be exactly none) fails with "timed
// out" when a row exists, which aborts the insert.
Status InitRootRow(const OvsDaemonConfig& c) {
  const Json params =
      Json::array({"Open_vSwitch",
                   {{"op", "wait"},
                    {"table", "Open_vSwitch"},
                    {"where", Json::array()},
                    {"columns", Json::array()},
                    {"until", "=="},
                    {"rows", Json::array()},
                    {"timeout", 0}},
                   {{"op", "insert"}, {"table", "Open_vSwitch"}, {"row", Json::object()}}});
  Result<Json> result = Call(OvsDaemonFilesFor(c).db_sock, "transact", params, kRpcTimeout);
  if (!result) return result.error().Wrap(Prefix(c) + ": initialize the Open_vSwitch row");
  const Json& r = *result;
  if (r.is_array() && r.size() == 2 && r[1].is_object() && r[1].contains("uuid")) return Ok();
  if (r.is_array() && !r.empty() && r[0].is_object() && r[0].contains("error") &&
      r[0]["error"] == "timed out") {
    return Ok();  // the row exists
  }
  return Error(ErrorKind::kSystem,
               Prefix(c) + ": initialize the Open_vSwitch row: unexpected reply " + r.dump());
}

// ---- running tools and daemons ------------------------------------------------

struct ToolOutput {
  int status = 0;
  std::string output;  // stdout and stderr, interleaved
  bool timed_out = false;
};

// Runs `argv` with DaemonEnv, stdin from /dev/null and stdout + stderr into
// a memfd, until it exits or `timeout` runs out (then SIGKILL). A --detach
// daemon's first process exits once the daemon is ready; the daemon itself
// keeps running and drops its copy of the memfd.
Result<ToolOutput> RunTool(const std::vector<std::string>& argv, const OvsDaemonConfig& c,
                           milliseconds timeout) {
  UniqueFd out(::memfd_create("rampart-ovs-output", MFD_CLOEXEC));
  if (!out) return Error::FromErrno(errno, "memfd_create for " + argv[0]);
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null) return Error::FromErrno(errno, "open /dev/null");
  SpawnOptions options;
  options.argv = argv;
  options.env = DaemonEnv(c);
  options.stdin_fd = null.get();
  options.stdout_fd = out.get();
  options.stderr_fd = out.get();
  RAMPART_ASSIGN_OR_RETURN(ScopedChild child, Spawn(options));
  UniqueFd pidfd(PidfdOpen(child.pid()));
  if (!pidfd) return Error::FromErrno(errno, "pidfd_open " + argv[0]);
  ToolOutput r;
  if (!WaitReadable(pidfd.get(), timeout)) {
    r.timed_out = true;
    RAMPART_TRY(child.Kill(SIGKILL));
  }
  RAMPART_ASSIGN_OR_RETURN(r.status, child.Wait());
  char buf[4096];
  for (off_t off = 0; r.output.size() < kMaxOutput;) {
    ssize_t n = ::pread(out.get(), buf, sizeof(buf), off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.output.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return r;
}

bool Succeeded(const ToolOutput& out) {
  return !out.timed_out && ExitCodeFromWaitStatus(out.status) == 0;
}

// Non-empty lines of `text`, the last `max` of them, joined with "; ".
std::string LastLines(std::string_view text, size_t max) {
  std::vector<std::string> lines;
  for (const std::string& line : Split(text, '\n')) {
    if (!Trim(line).empty()) lines.emplace_back(Trim(line));
  }
  if (lines.size() > max) lines.erase(lines.begin(), lines.end() - static_cast<long>(max));
  return Join(lines, "; ");
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// OVS log lines without the timestamp and sequence number
// ("2026-...Z|00042|bridge|WARN|msg" gives "bridge|WARN|msg"): the warnings
// and errors if there are any, else all lines; the last `max`, joined.
std::string OvsLines(std::string_view text, size_t max) {
  std::string all, serious;
  for (const std::string& raw : Split(text, '\n')) {
    const std::string line(Trim(raw));
    if (line.empty()) continue;
    size_t bar = line.find('|');
    if (bar != std::string::npos) bar = line.find('|', bar + 1);
    const std::string msg = bar == std::string::npos ? line : line.substr(bar + 1);
    all += msg + "\n";
    if (msg.find("|INFO|") == std::string::npos && msg.find("|DBG|") == std::string::npos)
      serious += msg + "\n";
  }
  return LastLines(serious.empty() ? all : serious, max);
}

// What the daemon logged since `offset`.
std::string LogTail(const Daemon& d, uint64_t offset, size_t max = 6) {
  Result<std::string> text = ReadFile(d.log);
  if (!text || text->size() <= offset) return "";
  return OvsLines(std::string_view(*text).substr(offset), max);
}

// "ovs in RUN: WHAT exited with status 1: OUTPUT".
Error ToolFailure(const std::string& what, const ToolOutput& out, const OvsDaemonConfig& c) {
  std::string msg = Prefix(c) + ": " + what;
  if (out.timed_out) {
    msg += " did not finish in time (killed)";
  } else {
    msg += " exited with status " + std::to_string(ExitCodeFromWaitStatus(out.status));
  }
  const std::string output = OvsLines(out.output, 6);
  if (!output.empty()) msg += ": " + output;
  return Error(ErrorKind::kSystem, msg);
}

// Creates conf.db from the schema (through a temporary file, so a failed
// create leaves none), or converts it if the schema changed. ovsdb-server
// must not be running (it holds the database's lock).
Status PrepareDb(const Binaries& b, const OvsDaemonConfig& c) {
  const std::string db = OvsDaemonFilesFor(c).db;
  struct stat st {};
  if (::stat(db.c_str(), &st) != 0) {
    if (errno != ENOENT) return Error::FromErrno(errno, Prefix(c) + ": stat " + db);
    const std::string tmp = db + ".tmp";
    const std::string tmp_lock = c.run_dir + "/.conf.db.tmp.~lock~";  // ovsdb-tool's
    (void)::unlink(tmp.c_str());
    RAMPART_ASSIGN_OR_RETURN(ToolOutput out,
                             RunTool({b.ovsdb_tool, "create", tmp, c.schema}, c, kToolTimeout));
    (void)::unlink(tmp_lock.c_str());
    if (!Succeeded(out)) {
      (void)::unlink(tmp.c_str());
      return ToolFailure("ovsdb-tool create " + db, out, c);
    }
    if (::rename(tmp.c_str(), db.c_str()) != 0) {
      Error e = Error::FromErrno(errno, Prefix(c) + ": rename " + tmp + " to " + db);
      (void)::unlink(tmp.c_str());
      return e;
    }
    return Ok();
  }
  RAMPART_ASSIGN_OR_RETURN(
      ToolOutput needs, RunTool({b.ovsdb_tool, "needs-conversion", db, c.schema}, c, kToolTimeout));
  if (!Succeeded(needs)) return ToolFailure("ovsdb-tool needs-conversion " + db, needs, c);
  const std::vector<std::string> lines = Split(Trim(needs.output), '\n');
  const std::string answer(Trim(lines.back()));
  if (answer == "no") return Ok();
  if (answer != "yes") {
    return Error(ErrorKind::kSystem, Prefix(c) + ": ovsdb-tool needs-conversion " + db +
                                         ": unexpected answer \"" + answer + "\"");
  }
  RAMPART_ASSIGN_OR_RETURN(ToolOutput conv,
                           RunTool({b.ovsdb_tool, "convert", db, c.schema}, c, kToolTimeout));
  if (!Succeeded(conv)) return ToolFailure("ovsdb-tool convert " + db + " " + c.schema, conv, c);
  return Ok();
}

std::vector<std::string> DaemonArgv(Which which, const std::string& binary,
                                    const OvsDaemonConfig& c) {
  const OvsDaemonFiles f = OvsDaemonFilesFor(c);
  const Daemon d = DaemonOf(which, c);
  std::vector<std::string> argv = {binary};
  if (which == Which::kOvsdbServer) {
    argv.push_back(f.db);
    argv.push_back("--remote=punix:" + f.db_sock);
  } else {
    argv.push_back("unix:" + f.db_sock);
  }
  argv.insert(argv.end(), {"--pidfile=" + d.pid, "--unixctl=" + d.ctl, "--log-file=" + d.log,
                           "-vconsole:warn", "--detach"});
  return argv;
}

// Unlinks `path` if it is a socket nobody answers on (or not a socket at all).
Status RemoveIfStale(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return Error::FromErrno(errno, "stat " + path);
  }
  if (S_ISSOCK(st.st_mode) && Answers(path)) return Ok();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::FromErrno(errno, "remove " + path);
  return Ok();
}

// Stale files of a daemon that is not running: pid file and unixctl socket.
Status RemoveStale(Which which, const OvsDaemonConfig& c) {
  const Daemon d = DaemonOf(which, c);
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, RunningPid(d));
  if (pid) return Ok();
  if (::unlink(d.pid.c_str()) != 0 && errno != ENOENT)
    return Error::FromErrno(errno, Prefix(c) + ": remove " + d.pid);
  if (Status s = RemoveIfStale(d.ctl); !s) return s.error().Wrap(Prefix(c));
  if (which == Which::kOvsdbServer) {
    if (Status s = RemoveIfStale(OvsDaemonFilesFor(c).db_sock); !s)
      return s.error().Wrap(Prefix(c));
  } else {
    // OpenFlow management sockets ovs-vswitchd makes per bridge.
    UniqueFd dfd(::open(c.run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) return Error::FromErrno(errno, Prefix(c) + ": open " + c.run_dir);
    RAMPART_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dfd.get(), c.run_dir));
    for (const std::string& name : names) {
      const size_t dot = name.rfind('.');
      const std::string_view ext =
          dot == std::string::npos ? "" : std::string_view(name).substr(dot);
      struct stat st {};
      if ((ext != ".mgmt" && ext != ".snoop") ||
          ::fstatat(dfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISSOCK(st.st_mode))
        continue;
      if (Status s = RemoveIfStale(c.run_dir + "/" + name); !s) return s.error().Wrap(Prefix(c));
    }
  }
  return Ok();
}

Status SignalPid(int pidfd, int sig, pid_t pid, const Daemon& d, const OvsDaemonConfig& c) {
  if (PidfdSendSignal(pidfd, sig) != 0 && errno != ESRCH) {
    return Error::FromErrno(
        errno, Prefix(c) + ": signal " + d.name + " (pid " + std::to_string(pid) + ")");
  }
  return Ok();
}

// Stops every process that is `which` for this run dir: a unixctl `exit`,
// then SIGTERM, then SIGKILL, kExitTimeout apart. Ok if none runs.
Status StopDaemon(Which which, const OvsDaemonConfig& c) {
  const Daemon d = DaemonOf(which, c);
  std::vector<std::pair<pid_t, UniqueFd>> procs;
  for (pid_t pid : ScanForOurs(d)) {
    UniqueFd fd(PidfdOpen(pid));
    if (!fd) {
      if (errno == ESRCH) continue;
      return Error::FromErrno(errno, Prefix(c) + ": pidfd_open " + std::to_string(pid));
    }
    if (IsOurs(pid, d)) procs.emplace_back(pid, std::move(fd));  // still d after the open
  }
  if (procs.empty()) return Ok();
  (void)Call(d.ctl, "exit", Json::array(), kRpcTimeout);  // best effort; signals follow
  for (auto& [pid, fd] : procs) {
    if (WaitReadable(fd.get(), kExitTimeout)) continue;
    RAMPART_TRY(SignalPid(fd.get(), SIGTERM, pid, d, c));
    if (WaitReadable(fd.get(), kExitTimeout)) continue;
    RAMPART_TRY(SignalPid(fd.get(), SIGKILL, pid, d, c));
    if (!WaitReadable(fd.get(), kExitTimeout)) {
      return Error(ErrorKind::kSystem,
                   Prefix(c) + ": " + d.name + " (pid " + std::to_string(pid) +
                       ") did not exit after SIGKILL",
                   ETIMEDOUT);
    }
  }
  return Ok();
}

// Starts `which` (not running; its stale files removed) and returns once it
// answers on its socket.
Result<pid_t> LaunchDaemon(Which which, const std::string& binary, const OvsDaemonConfig& c) {
  const Daemon d = DaemonOf(which, c);
  const uint64_t offset = FileSize(d.log);
  auto with_log = [&](std::string msg) {
    const std::string tail = LogTail(d, offset);
    if (!tail.empty() && msg.find(tail) == std::string::npos)
      msg += " (log " + d.log + ": " + tail + ")";
    return Error(ErrorKind::kSystem, msg);
  };
  RAMPART_ASSIGN_OR_RETURN(ToolOutput out,
                           RunTool(DaemonArgv(which, binary, c), c, kLaunchTimeout));
  if (!Succeeded(out)) return with_log(ToolFailure(d.name, out, c).message());
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, RunningPid(d));
  if (!pid) {
    return with_log(Prefix(c) + ": " + d.name + " reported success but " + d.pid +
                    " names no running " + d.name);
  }
  const Clock::time_point deadline = Clock::now() + kReadyTimeout;
  while (true) {
    if (!IsOurs(*pid, d)) {
      return with_log(Prefix(c) + ": " + d.name + " (pid " + std::to_string(*pid) +
                      ") exited during start-up");
    }
    rampart::Status ping = Ping(which, c);
    if (ping) return *pid;
    if (Clock::now() >= deadline) {
      return with_log(Prefix(c) + ": " + d.name + " (pid " + std::to_string(*pid) +
                      ") does not answer: " + ping.error().message());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

Error Foreign(const std::string& sock, const char* name, const OvsDaemonConfig& c) {
  return Error(ErrorKind::kExists,
               Prefix(c) + ": a process rampart did not start (another " + std::string(name) +
                   "?) answers on " + sock + "; stop it or use another run dir",
               EEXIST);
}

Status MakeRunDir(const OvsDaemonConfig& c) {
  struct stat st {};
  if (::stat(c.run_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return Error::Invalid(Prefix(c) + ": " + c.run_dir + " is not a directory");
    return Ok();
  }
  RAMPART_TRY(MakeDirs(c.run_dir, 0755));
  if (::chmod(c.run_dir.c_str(), 0755) != 0) return Error::FromErrno(errno, "chmod " + c.run_dir);
  return Ok();
}

// Brings up `which` unless it runs (and answers). *started tells the caller
// whether there is something of this call's to roll back.
rampart::Status EnsureDaemon(Which which, const Binaries& b, const OvsDaemonConfig& c,
                             bool* started) {
  const Daemon d = DaemonOf(which, c);
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, RunningPid(d));
  if (pid) {
    if (rampart::Status s = Ping(which, c); !s) {
      return s.error().Wrap(Prefix(c) + ": " + d.name + " (pid " + std::to_string(*pid) +
                            ") runs but does not answer");
    }
    return Ok();
  }
  // One of ours whose pid file was lost or overwritten: stop it, start afresh.
  RAMPART_TRY(StopDaemon(which, c));
  if (which == Which::kOvsdbServer && Answers(OvsDaemonFilesFor(c).db_sock))
    return Foreign(OvsDaemonFilesFor(c).db_sock, d.name, c);
  if (Answers(d.ctl)) return Foreign(d.ctl, d.name, c);
  RAMPART_TRY(RemoveStale(which, c));
  if (which == Which::kOvsdbServer) RAMPART_TRY(PrepareDb(b, c));
  *started = true;  // from here on, a half-started daemon is ours to stop
  const std::string& binary = which == Which::kOvsdbServer ? b.ovsdb_server : b.vswitchd;
  Result<pid_t> launched = LaunchDaemon(which, binary, c);
  if (!launched) return launched.error();
  return Ok();
}

// Stops what a failed call started and says so in the error.
Error RollBack(const Error& e, bool vswitchd, bool ovsdb, const OvsDaemonConfig& c) {
  Error out = e;
  for (auto [which, started] :
       {std::pair{Which::kVswitchd, vswitchd}, std::pair{Which::kOvsdbServer, ovsdb}}) {
    if (!started) continue;
    rampart::Status s = StopDaemon(which, c);
    if (s) s = RemoveStale(which, c);
    if (!s) out = out.WithCleanupFailure(s.error());
  }
  return out;
}

rampart::Status StartLocked(const Binaries& b, const OvsDaemonConfig& c) {
  bool db_started = false, vs_started = false;
  if (rampart::Status s = EnsureDaemon(Which::kOvsdbServer, b, c, &db_started); !s)
    return RollBack(s.error(), false, db_started, c);
  if (rampart::Status s = InitRootRow(c); !s) return RollBack(s.error(), false, db_started, c);
  if (rampart::Status s = EnsureDaemon(Which::kVswitchd, b, c, &vs_started); !s)
    return RollBack(s.error(), vs_started, db_started, c);
  return Ok();
}

rampart::Status StartImpl(const OvsDaemonConfig& c) {
  RAMPART_TRY(Validate(c));
  RAMPART_ASSIGN_OR_RETURN(Binaries b, FindBinaries(c));
  RAMPART_TRY(CheckSchema(c));
  RAMPART_TRY(MakeRunDir(c));
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(OvsDaemonFilesFor(c).lock));
  return StartLocked(b, c);
}

rampart::Status StopImpl(const OvsDaemonConfig& c) {
  RAMPART_TRY(Validate(c));
  struct stat st {};
  if (::stat(c.run_dir.c_str(), &st) != 0 && errno == ENOENT) return Ok();  // never started
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(OvsDaemonFilesFor(c).lock));
  rampart::Status vs = StopDaemon(Which::kVswitchd, c);
  if (vs) vs = RemoveStale(Which::kVswitchd, c);
  rampart::Status db = StopDaemon(Which::kOvsdbServer, c);
  if (db) db = RemoveStale(Which::kOvsdbServer, c);
  if (!vs) return db ? vs.error() : vs.error().WithCleanupFailure(db.error());
  return db;
}

rampart::Status RestartVswitchdImpl(const OvsDaemonConfig& c) {
  RAMPART_TRY(Validate(c));
  RAMPART_ASSIGN_OR_RETURN(Binaries b, FindBinaries(c));
  auto not_running = [&] {
    return Error::NotFound(Prefix(c) + ": ovsdb-server is not running (start the pair first)");
  };
  struct stat st {};
  if (::stat(c.run_dir.c_str(), &st) != 0) return not_running();
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(OvsDaemonFilesFor(c).lock));
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> db, RunningPid(DaemonOf(Which::kOvsdbServer, c)));
  if (!db) return not_running();
  if (rampart::Status s = Ping(Which::kOvsdbServer, c); !s)
    return s.error().Wrap(Prefix(c) + ": ovsdb-server (pid " + std::to_string(*db) +
                          ") does not answer");
  RAMPART_TRY(StopDaemon(Which::kVswitchd, c));
  bool started = false;
  if (rampart::Status s = EnsureDaemon(Which::kVswitchd, b, c, &started); !s)
    return RollBack(s.error(), started, false, c);
  return Ok();
}

}  // namespace

OvsDaemonFiles OvsDaemonFilesFor(const OvsDaemonConfig& config) {
  std::string d = config.run_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  OvsDaemonFiles f;
  f.db = d + "/conf.db";
  f.db_sock = d + "/db.sock";
  f.lock = d + "/ovs.lock";
  f.ovsdb_pid = d + "/ovsdb-server.pid";
  f.ovsdb_ctl = d + "/ovsdb-server.ctl";
  f.ovsdb_log = d + "/ovsdb-server.log";
  f.vswitchd_pid = d + "/ovs-vswitchd.pid";
  f.vswitchd_ctl = d + "/ovs-vswitchd.ctl";
  f.vswitchd_log = d + "/ovs-vswitchd.log";
  return f;
}

// Inside OvsDaemon's members the name Status means the member function, so
// the bodies live in the helpers above.
Status OvsDaemon::Start(const OvsDaemonConfig& config) { return StartImpl(Normalized(config)); }

Status OvsDaemon::Stop(const OvsDaemonConfig& config) { return StopImpl(Normalized(config)); }

Status OvsDaemon::RestartVswitchd(const OvsDaemonConfig& config) {
  return RestartVswitchdImpl(Normalized(config));
}

Result<OvsDaemonStatus> OvsDaemon::Status(const OvsDaemonConfig& config) {
  const OvsDaemonConfig c = Normalized(config);
  RAMPART_TRY(Validate(c));
  OvsDaemonStatus out;
  out.remote = Remote(c);
  RAMPART_ASSIGN_OR_RETURN(out.ovsdb_server, RunningPid(DaemonOf(Which::kOvsdbServer, c)));
  RAMPART_ASSIGN_OR_RETURN(out.ovs_vswitchd, RunningPid(DaemonOf(Which::kVswitchd, c)));
  return out;
}

std::string OvsDaemon::Remote(const OvsDaemonConfig& config) {
  return "unix:" + OvsDaemonFilesFor(Normalized(config)).db_sock;
}

}  // namespace rampart::net
