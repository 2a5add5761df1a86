#include "net/dnsmasq.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "base/atomic_file.h"
#include "base/file_lock.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace rampart::net {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStartTimeout{30000};  // dnsmasq's own start-up handshake
constexpr milliseconds kServeTimeout{5000};   // sockets visible after the handshake
constexpr milliseconds kTermTimeout{5000};    // SIGTERM → exit
constexpr milliseconds kKillTimeout{5000};    // SIGKILL → exit
constexpr uint64_t kLogRotateBytes = 4u << 20;

std::string Prefix(const DnsmasqConfig& c) { return "dnsmasq for network " + c.network; }

bool ParseIpv4(const std::string& text, in_addr* out = nullptr) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  if (out != nullptr) *out = a;
  return true;
}

bool IsIpAddress(const std::string& text) {
  in6_addr a6{};
  return ParseIpv4(text) || ::inet_pton(AF_INET6, text.c_str(), &a6) == 1;
}

// One DNS label (RFC 1123): 1-63 letters, digits and '-', not at either end.
bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

bool IsDomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (const std::string& label : Split(s, '.')) {
    if (!IsDnsLabel(label)) return false;
  }
  return true;
}

bool IsMac(const std::string& s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2 ? s[i] != ':' : std::isxdigit(static_cast<unsigned char>(s[i])) == 0)
      return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasAny(const std::string& s, std::string_view chars) {
  return s.find_first_of(chars) != std::string::npos;
}

bool HasDhcp(const DnsmasqConfig& c) { return !c.range_start.empty(); }

// ---- processes --------------------------------------------------------------

// Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrappers
// do not link from C++.
int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0u)); }
int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0u));
}

// The pid in a pid file; nullopt if there is none or it is not a pid (a
// corrupt file is stale state that the next Start replaces).
Result<std::optional<pid_t>> ReadPidFile(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text) {
    int err = text.error().err();
    if (err == ENOENT || err == ENOTDIR) return std::optional<pid_t>();
    return text.error();
  }
  Result<uint64_t> pid = ParseUint64(Trim(*text));
  if (!pid || *pid == 0 || *pid > static_cast<uint64_t>(INT_MAX)) return std::optional<pid_t>();
  return std::optional<pid_t>(static_cast<pid_t>(*pid));
}

// /proc/PID/cmdline split at NULs; nullopt if the process is gone. A zombie
// has an empty command line.
Result<std::optional<std::vector<std::string>>> ReadCmdline(pid_t pid) {
  using Out = std::optional<std::vector<std::string>>;
  Result<std::string> text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) {
    int err = text.error().err();
    if (err == ENOENT || err == ESRCH) return Out();
    return text.error();
  }
  std::vector<std::string> args;
  if (!text->empty()) {
    if (text->back() == '\0') text->pop_back();
    args = Split(*text, '\0');
  }
  return Out(std::move(args));
}

bool IsOurs(pid_t pid, const DnsmasqConfig& config) {
  Result<std::optional<std::vector<std::string>>> cmdline = ReadCmdline(pid);
  return cmdline && cmdline->has_value() && IsDnsmasqFor(**cmdline, config);
}

// A pidfd for `pid` if, after opening it, the process is still this
// network's dnsmasq; an empty fd if it is gone or not ours. Signals sent
// through it cannot reach a process that reuses the pid later.
Result<UniqueFd> OpenOurPidfd(pid_t pid, const DnsmasqConfig& config) {
  UniqueFd fd(PidfdOpen(pid));
  if (!fd) {
    if (errno == ESRCH) return UniqueFd();
    return Error::FromErrno(errno, Prefix(config) + ": pidfd_open " + std::to_string(pid));
  }
  if (!IsOurs(pid, config)) return UniqueFd();
  return fd;
}

// poll(2) for readability with a timeout (negative: forever); EINTR resumes
// with the time left.
bool WaitReadable(int fd, milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    int ms = -1;
    if (timeout.count() >= 0) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      ms = static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
    }
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // a broken fd: do not spin on it
  }
}

// A dnsmasq that just died may still hold its sockets: the kernel drops a
// dying process's command line (its mm) before its files, so Running()
// already says "not running" while port 53 is still bound. If the pid file
// names a process with an empty command line (dying, or a zombie), wait for
// it to finish exiting; a zombie's pidfd is readable at once.
void WaitStaleExit(const DnsmasqConfig& config) {
  Result<std::optional<pid_t>> pid = ReadPidFile(DnsmasqFilesFor(config).pid);
  if (!pid || !pid->has_value()) return;
  Result<std::optional<std::vector<std::string>>> cmdline = ReadCmdline(**pid);
  if (!cmdline || !cmdline->has_value() || !(*cmdline)->empty()) return;
  UniqueFd pidfd(PidfdOpen(**pid));
  if (pidfd) WaitReadable(pidfd.get(), kTermTimeout);
}

Status Signal(const UniqueFd& pidfd, int sig, pid_t pid, const DnsmasqConfig& config) {
  if (PidfdSendSignal(pidfd.get(), sig) != 0 && errno != ESRCH)
    return Error::FromErrno(errno, Prefix(config) + ": signal pid " + std::to_string(pid));
  return Ok();
}

// ---- files ------------------------------------------------------------------

Status CreateIfMissing(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) {
    if (errno == EEXIST) return Ok();
    return Error::FromErrno(errno, "create " + path);
  }
  if (::fchmod(fd.get(), 0644) != 0) return Error::FromErrno(errno, "chmod " + path);
  return Ok();
}

Status MakeRunDir(const DnsmasqConfig& config) {
  RAMPART_TRY(MakeDirs(config.run_dir, 0755));
  // Ours: make it searchable whatever the umask (the dnsmasq user reads in it).
  if (::chmod(config.run_dir.c_str(), 0755) != 0)
    return Error::FromErrno(errno, "chmod " + config.run_dir);
  return Ok();
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

// The last lines dnsmasq logged since `offset`, timestamps dropped, for
// error messages.
std::string LogTail(const DnsmasqConfig& config, uint64_t offset, size_t max_lines = 6) {
  Result<std::string> text = ReadFile(DnsmasqFilesFor(config).log);
  if (!text || text->size() <= offset) return "";
  std::vector<std::string> lines;
  for (const std::string& line : Split(std::string_view(*text).substr(offset), '\n')) {
    if (Trim(line).empty()) continue;
    size_t tag = line.find("]: ");
    lines.push_back(tag == std::string::npos ? line : line.substr(tag + 3));
  }
  if (lines.size() > max_lines)
    lines.erase(lines.begin(), lines.end() - static_cast<long>(max_lines));
  return Join(lines, "; ");
}

// The dnsmasq user rereads hosts and dhcp-hosts on SIGHUP, after it dropped
// privileges: every directory down to run_dir must let it through. Checked
// from the mode bits (owner, primary group, others; ACLs are not read).
Status CheckUserCanSearch(const DnsmasqConfig& config) {
  if (config.user == "root") return Ok();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = ::getpwnam_r(config.user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) return Error::FromErrno(rc, Prefix(config) + ": look up user " + config.user);
  if (found == nullptr)
    return Error::Invalid(Prefix(config) + ": user " + config.user + " does not exist");
  if (pw.pw_uid == 0) return Ok();
  for (size_t pos = 1; pos <= config.run_dir.size(); ++pos) {
    if (pos != config.run_dir.size() && config.run_dir[pos] != '/') continue;
    const std::string dir = config.run_dir.substr(0, pos);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
      return Error::FromErrno(errno, Prefix(config) + ": stat " + dir);
    mode_t bit = st.st_uid == pw.pw_uid ? S_IXUSR : st.st_gid == pw.pw_gid ? S_IXGRP : S_IXOTH;
    if ((st.st_mode & bit) == 0) {
      return Error::Invalid(Prefix(config) + ": " + dir + " is not searchable by user " +
                            config.user + ", which rereads the hosts files in " + config.run_dir +
                            " (make it mode 0755 or set user)");
    }
  }
  return Ok();
}

// Binds what dnsmasq will bind on port 53, without SO_REUSEADDR (dnsmasq
// sets it, so two dnsmasqs could share the UDP port): any DNS server there,
// another dnsmasq included, makes this fail with EADDRINUSE.
Status ProbeDnsPort(const DnsmasqConfig& config) {
  if (!config.dns) return Ok();
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(53);
  ParseIpv4(config.listen_address, &sa.sin_addr);
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
    if (!fd) return Error::FromErrno(errno, Prefix(config) + ": socket");
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0) continue;
    const int err = errno;
    if (err == EADDRINUSE) {
      return Error(ErrorKind::kSystem,
                   Prefix(config) + ": port 53 on " + config.listen_address + " is in use",
                   EADDRINUSE);
    }
    if (err == EADDRNOTAVAIL) {
      return Error(ErrorKind::kSystem,
                   Prefix(config) + ": listen address " + config.listen_address +
                       " is not assigned to any interface in this network namespace",
                   EADDRNOTAVAIL);
    }
    if (err == EACCES || err == EPERM) return Ok();  // dnsmasq itself will say
    return Error::FromErrno(err, Prefix(config) + ": probe port 53 on " + config.listen_address);
  }
  return Ok();
}

// Why dnsmasq did not start, from its stderr and log.
Error StartFailure(const DnsmasqConfig& config, const CommandOutput& out, uint64_t log_offset) {
  const std::string err(Trim(out.err));
  if (err.find("Address already in use") != std::string::npos) {
    if (err.find("DHCP") != std::string::npos) {
      return Error(ErrorKind::kSystem, Prefix(config) + ": port 67 (dhcp) is in use", EADDRINUSE);
    }
    return Error(ErrorKind::kSystem,
                 Prefix(config) + ": port 53 on " + config.listen_address + " is in use",
                 EADDRINUSE);
  }
  std::string msg = Prefix(config) + ": ";
  if (out.timed_out) {
    msg += "dnsmasq did not finish starting within " +
           std::to_string(kStartTimeout.count() / 1000) + " s";
  } else {
    msg += "dnsmasq exited with status " + std::to_string(ExitCodeFromWaitStatus(out.status));
  }
  if (!err.empty()) msg += ": " + err;
  const std::string tail = LogTail(config, log_offset);
  if (!tail.empty()) msg += " (log: " + tail + ")";
  return Error(ErrorKind::kSystem, msg);
}

// Waits until the sockets dnsmasq serves on show in its /proc/PID/net
// (its own network namespace, whichever that is).
Status WaitServing(const DnsmasqConfig& config, pid_t pid, uint64_t log_offset) {
  const std::string proc = "/proc/" + std::to_string(pid) + "/net/";
  const Clock::time_point deadline = Clock::now() + kServeTimeout;
  std::string missing;
  while (true) {
    if (!IsOurs(pid, config)) {
      std::string tail = LogTail(config, log_offset);
      return Error(ErrorKind::kSystem, Prefix(config) + ": dnsmasq (pid " + std::to_string(pid) +
                                           ") exited during start-up" +
                                           (tail.empty() ? "" : ": " + tail));
    }
    Result<std::string> udp = ReadFile(proc + "udp");
    Result<std::string> tcp = ReadFile(proc + "tcp");
    if (!udp) return udp.error().Wrap(Prefix(config));
    if (!tcp) return tcp.error().Wrap(Prefix(config));
    missing.clear();
    if (config.dns && !ProcNetHasSocket(*udp, config.listen_address, 53, 0x07)) missing = "udp 53";
    if (config.dns && !ProcNetHasSocket(*tcp, config.listen_address, 53, 0x0A)) missing = "tcp 53";
    if (HasDhcp(config) && !ProcNetHasSocket(*udp, "0.0.0.0", 67, 0x07)) missing = "udp 67";
    if (missing.empty()) return Ok();
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return Error(ErrorKind::kSystem, Prefix(config) + ": dnsmasq (pid " + std::to_string(pid) +
                                       ") runs but has no " + missing + " socket after " +
                                       std::to_string(kServeTimeout.count() / 1000) + " s");
}

Status StopLocked(const DnsmasqConfig& config) {
  const DnsmasqFiles files = DnsmasqFilesFor(config);
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, Dnsmasq::Running(config));
  if (pid) {
    RAMPART_ASSIGN_OR_RETURN(UniqueFd pidfd, OpenOurPidfd(*pid, config));
    if (pidfd) {
      RAMPART_TRY(Signal(pidfd, SIGTERM, *pid, config));
      if (!WaitReadable(pidfd.get(), kTermTimeout)) {
        RAMPART_TRY(Signal(pidfd, SIGKILL, *pid, config));
        if (!WaitReadable(pidfd.get(), kKillTimeout)) {
          return Error(
              ErrorKind::kSystem,
              Prefix(config) + ": pid " + std::to_string(*pid) + " did not exit after SIGKILL",
              ETIMEDOUT);
        }
      }
    }
  }
  if (::unlink(files.pid.c_str()) != 0 && errno != ENOENT) {
    return Error::FromErrno(errno, Prefix(config) + ": remove " + files.pid);
  }
  return Ok();
}

Result<pid_t> StartLocked(const DnsmasqConfig& config, const std::string& binary) {
  const DnsmasqFiles files = DnsmasqFilesFor(config);
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> running, Dnsmasq::Running(config));
  if (running) {
    return Error(ErrorKind::kExists,
                 Prefix(config) + ": already running (pid " + std::to_string(*running) + ")");
  }
  WaitStaleExit(config);
  if (::unlink(files.pid.c_str()) != 0 && errno != ENOENT) {
    return Error::FromErrno(errno, Prefix(config) + ": remove stale " + files.pid);
  }
  {
    Status s = CreateIfMissing(files.hosts);
    if (s) s = CreateIfMissing(files.dhcp_hosts);
    if (!s) return s.error().Wrap(Prefix(config));
  }
  RAMPART_TRY(CheckUserCanSearch(config));
  RAMPART_TRY(ProbeDnsPort(config));

  // dnsmasq appends to its log for as long as it runs; each start keeps at
  // most one previous generation of a large log.
  if (FileSize(files.log) > kLogRotateBytes)
    (void)::rename(files.log.c_str(), (files.log + ".1").c_str());
  const uint64_t log_offset = FileSize(files.log);
  DnsmasqConfig resolved = config;
  resolved.binary = binary;
  Result<CommandOutput> out =
      RunCommand(DnsmasqArgv(resolved, DnsmasqMode::kDaemon), {}, kStartTimeout);
  if (!out) return out.error().Wrap(Prefix(config));

  // From here on a half-started daemon is ours to clean up.
  auto fail = [&](const Error& e) -> Error {
    Status cleanup = StopLocked(config);
    return cleanup ? e : e.WithCleanupFailure(cleanup.error());
  };
  if (out->timed_out || ExitCodeFromWaitStatus(out->status) != 0)
    return fail(StartFailure(config, *out, log_offset));
  Result<std::optional<pid_t>> pid = Dnsmasq::Running(config);
  if (!pid) return fail(pid.error());
  if (!pid->has_value()) {
    std::string tail = LogTail(config, log_offset);
    return fail(Error(ErrorKind::kSystem, Prefix(config) + ": dnsmasq reported success but " +
                                              files.pid + " names no running dnsmasq" +
                                              (tail.empty() ? "" : ": " + tail)));
  }
  if (Status s = WaitServing(config, **pid, log_offset); !s) return fail(s.error());
  return **pid;
}

// Under the lock: the running instance, or a fresh one.
Result<pid_t> AdoptOrStart(const DnsmasqConfig& config) {
  RAMPART_TRY(MakeRunDir(config));
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(DnsmasqFilesFor(config).lock));
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, Dnsmasq::Running(config));
  if (pid) return *pid;
  Result<std::string> binary = FindDnsmasq(config.binary, DnsmasqSearchDirs());
  if (!binary) return binary.error().Wrap(Prefix(config));
  return StartLocked(config, *binary);
}

}  // namespace

// ---- pure parts ---------------------------------------------------------------

DnsmasqFiles DnsmasqFilesFor(const DnsmasqConfig& config) {
  const std::string& d = config.run_dir;
  return DnsmasqFiles{d + "/dnsmasq.pid", d + "/leases",      d + "/hosts",
                      d + "/dhcp-hosts",  d + "/dnsmasq.log", d + "/dnsmasq.lock"};
}

Status ValidateDnsmasqConfig(const DnsmasqConfig& c) {
  auto bad = [&](const std::string& what) { return Error::Invalid(Prefix(c) + ": " + what); };
  if (c.network.empty()) return Error::Invalid("dnsmasq: network name is empty");
  if (c.interface.empty() || c.interface.size() > 15 || HasAny(c.interface, "/,: \t\n"))
    return bad("interface \"" + c.interface + "\" is not a valid interface name");
  if (!ParseIpv4(c.listen_address))
    return bad("listen_address \"" + c.listen_address + "\" is not an IPv4 address");
  if (HasDhcp(c)) {
    if (!ParseIpv4(c.range_start))
      return bad("range_start \"" + c.range_start + "\" is not an IPv4 address");
    if (!ParseIpv4(c.range_end))
      return bad("range_end \"" + c.range_end + "\" is not an IPv4 address");
    if (!c.netmask.empty() && !ParseIpv4(c.netmask))
      return bad("netmask \"" + c.netmask + "\" is not an IPv4 netmask");
  } else if (!c.range_end.empty() || !c.netmask.empty()) {
    return bad("range_end or netmask given without range_start");
  }
  if (!c.dns && !HasDhcp(c)) return bad("nothing to serve: dns is off and there is no dhcp range");
  if (!c.domain.empty() && !IsDomain(c.domain))
    return bad("domain \"" + c.domain + "\" is not a valid DNS name");
  for (const std::string& s : c.servers) {
    if (!IsIpAddress(s)) return bad("server \"" + s + "\" is not an IP address");
  }
  if (c.run_dir.empty() || c.run_dir.front() != '/' || HasAny(c.run_dir, "\n"))
    return bad("run_dir \"" + c.run_dir + "\" is not an absolute path");
  if (c.user.empty() || HasAny(c.user, ", \t\n"))
    return bad("user \"" + c.user + "\" is not a user name");
  return Ok();
}

std::vector<std::string> DnsmasqArgv(const DnsmasqConfig& c, DnsmasqMode mode) {
  const DnsmasqFiles f = DnsmasqFilesFor(c);
  std::vector<std::string> argv = {c.binary.empty() ? "dnsmasq" : c.binary,
                                   "--conf-file=/dev/null"};
  if (mode == DnsmasqMode::kForeground) argv.push_back("--keep-in-foreground");
  argv.insert(argv.end(), {
                              "--bind-interfaces",
                              "--interface=" + c.interface,
                              "--except-interface=lo",
                              "--listen-address=" + c.listen_address,
                              "--strict-order",
                              "--domain-needed",
                              "--no-hosts",
                              "--addn-hosts=" + f.hosts,
                              "--pid-file=" + f.pid,
                              "--user=" + c.user,
                              "--log-facility=" + f.log,
                          });
  if (!c.dns) argv.push_back("--port=0");
  if (!c.servers.empty()) {
    argv.push_back("--no-resolv");
    for (const std::string& s : c.servers) argv.push_back("--server=" + s);
  }
  if (!c.domain.empty()) {
    argv.push_back("--domain=" + c.domain);
    argv.push_back("--local=/" + c.domain + "/");
    argv.push_back("--expand-hosts");
  }
  if (HasDhcp(c)) {
    std::string range = "--dhcp-range=" + c.range_start + "," + c.range_end;
    if (!c.netmask.empty()) range += "," + c.netmask;
    argv.push_back(range);
    argv.push_back("--dhcp-leasefile=" + f.leases);
    argv.push_back("--dhcp-hostsfile=" + f.dhcp_hosts);
    argv.push_back("--dhcp-authoritative");
    argv.push_back("--dhcp-no-override");
    if (c.lease_max > 0) argv.push_back("--dhcp-lease-max=" + std::to_string(c.lease_max));
  }
  return argv;
}

bool IsDnsmasqFor(const std::vector<std::string>& cmdline, const DnsmasqConfig& config) {
  if (cmdline.empty()) return false;
  const std::string& argv0 = cmdline.front();
  const size_t slash = argv0.rfind('/');
  const std::string_view base =
      slash == std::string::npos ? argv0 : std::string_view(argv0).substr(slash + 1);
  if (base.substr(0, 7) != "dnsmasq") return false;
  const std::string pid_arg = "--pid-file=" + DnsmasqFilesFor(config).pid;
  const std::string if_arg = "--interface=" + config.interface;
  bool pid_ok = false, if_ok = false;
  for (size_t i = 1; i < cmdline.size(); ++i) {
    pid_ok = pid_ok || cmdline[i] == pid_arg;
    if_ok = if_ok || cmdline[i] == if_arg;
  }
  return pid_ok && if_ok;
}

std::vector<std::string> DnsmasqSearchDirs() {
  std::vector<std::string> dirs;
  if (const char* path = ::getenv("PATH"); path != nullptr) {
    for (const std::string& d : Split(path, ':')) {
      if (!d.empty()) dirs.push_back(d);
    }
  }
  for (const char* d : {"/usr/sbin", "/sbin"}) {
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  }
  return dirs;
}

Result<std::string> FindDnsmasq(const std::string& binary, const std::vector<std::string>& dirs) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  const std::string name = binary.empty() ? "dnsmasq" : binary;
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    return Error::NotFound("dnsmasq not found (install dnsmasq-base): no executable " + name);
  }
  for (const std::string& dir : dirs) {
    if (executable(dir + "/" + name)) return dir + "/" + name;
  }
  return Error::NotFound("dnsmasq not found (install dnsmasq-base): no " + name + " in " +
                         Join(dirs, ":"));
}

Status ValidateReservations(const std::vector<Reservation>& reservations) {
  std::set<std::string> names, macs, ips;
  for (const Reservation& r : reservations) {
    const std::string what = "reservation \"" + r.name + "\": ";
    if (!IsDnsLabel(r.name))
      return Error::Invalid(what + "name is not a DNS label (letters, digits, '-')");
    if (!r.mac.empty() && !IsMac(r.mac))
      return Error::Invalid(what + "mac \"" + r.mac + "\" is not a MAC address");
    if (!ParseIpv4(r.ip))
      return Error::Invalid(what + "ip \"" + r.ip + "\" is not an IPv4 address");
    if (!names.insert(Lower(r.name)).second) return Error::Invalid(what + "name used twice");
    if (!r.mac.empty() && !macs.insert(Lower(r.mac)).second)
      return Error::Invalid(what + "mac " + r.mac + " used twice");
    if (!ips.insert(r.ip).second) return Error::Invalid(what + "ip " + r.ip + " used twice");
  }
  return Ok();
}

std::string FormatDhcpHosts(const DnsmasqConfig& config,
                            const std::vector<Reservation>& reservations) {
  std::string out =
      "# dhcp-hostsfile of rampart network " + config.network + " (rewritten by rampart)\n";
  for (const Reservation& r : reservations) {
    if (!r.mac.empty()) out += Lower(r.mac) + "," + r.ip + "," + r.name + "\n";
  }
  return out;
}

std::string FormatHosts(const DnsmasqConfig& config, const std::vector<Reservation>& reservations) {
  std::string out =
      "# addn-hosts of rampart network " + config.network + " (rewritten by rampart)\n";
  for (const Reservation& r : reservations) {
    out += r.ip + " " + r.name;
    if (!config.domain.empty()) out += " " + r.name + "." + config.domain;
    out += "\n";
  }
  return out;
}

bool ProcNetHasSocket(const std::string& table, const std::string& address, uint16_t port, int st) {
  in_addr a{};
  if (!ParseIpv4(address, &a)) return false;
  // The kernel prints the address as the raw (network order) 32-bit word in
  // host order hex, and the port in host order.
  char want[32];
  std::snprintf(want, sizeof(want), "%08X:%04X", static_cast<unsigned>(a.s_addr),
                static_cast<unsigned>(port));
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string sl, local, remote, state;
    if (!(fields >> sl >> local >> remote >> state)) continue;
    if (strcasecmp(local.c_str(), want) == 0 && std::strtol(state.c_str(), nullptr, 16) == st)
      return true;
  }
  return false;
}

// ---- Dnsmasq ----------------------------------------------------------------

Result<pid_t> Dnsmasq::Start(const DnsmasqConfig& config) {
  RAMPART_TRY(ValidateDnsmasqConfig(config));
  Result<std::string> binary = FindDnsmasq(config.binary, DnsmasqSearchDirs());
  if (!binary) return binary.error().Wrap(Prefix(config));
  RAMPART_TRY(MakeRunDir(config));
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(DnsmasqFilesFor(config).lock));
  return StartLocked(config, *binary);
}

Result<std::optional<pid_t>> Dnsmasq::Running(const DnsmasqConfig& config) {
  RAMPART_TRY(ValidateDnsmasqConfig(config));
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, ReadPidFile(DnsmasqFilesFor(config).pid));
  if (!pid || !IsOurs(*pid, config)) return std::optional<pid_t>();
  return pid;
}

Status Dnsmasq::Stop(const DnsmasqConfig& config) {
  RAMPART_TRY(ValidateDnsmasqConfig(config));
  struct stat st {};
  if (::stat(config.run_dir.c_str(), &st) != 0 && errno == ENOENT) return Ok();  // never started
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(DnsmasqFilesFor(config).lock));
  return StopLocked(config);
}

Status Dnsmasq::EnsureRunning(const DnsmasqConfig& config) {
  RAMPART_TRY(ValidateDnsmasqConfig(config));
  Result<pid_t> pid = AdoptOrStart(config);
  if (!pid) return pid.error();
  return Ok();
}

Status WriteHosts(const DnsmasqConfig& config, const std::vector<Reservation>& reservations) {
  RAMPART_TRY(ValidateDnsmasqConfig(config));
  if (Status s = ValidateReservations(reservations); !s) return s.error().Wrap(Prefix(config));
  RAMPART_TRY(MakeRunDir(config));
  const DnsmasqFiles files = DnsmasqFilesFor(config);
  RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(files.lock));
  RAMPART_TRY(WriteFileAtomic(files.dhcp_hosts, FormatDhcpHosts(config, reservations), 0644,
                              Durability::kVolatile));
  RAMPART_TRY(
      WriteFileAtomic(files.hosts, FormatHosts(config, reservations), 0644, Durability::kVolatile));
  RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> pid, Dnsmasq::Running(config));
  if (!pid) return Ok();  // the next start reads the files
  RAMPART_ASSIGN_OR_RETURN(UniqueFd pidfd, OpenOurPidfd(*pid, config));
  if (!pidfd) return Ok();
  return Signal(pidfd, SIGHUP, *pid, config);
}

Status Dnsmasq::Supervise(const DnsmasqConfig& config, int stop_fd, Logger& log,
                          const SuperviseOptions& options) {
  RAMPART_TRY(ValidateDnsmasqConfig(config));
  milliseconds backoff = options.initial_backoff;
  auto wait_backoff = [&]() {  // true: asked to stop meanwhile
    const bool stop = WaitReadable(stop_fd, backoff);
    backoff = std::min(backoff * 2, options.max_backoff);
    return stop;
  };
  while (true) {
    Result<pid_t> pid = AdoptOrStart(config);
    if (!pid) {
      log.Warn("dnsmasq did not start; retrying", {{"network", config.network},
                                                   {"error", pid.error().message()},
                                                   {"retry_ms", std::to_string(backoff.count())}});
      if (wait_backoff()) return Stop(config);
      continue;
    }

    const Clock::time_point started = Clock::now();
    RAMPART_ASSIGN_OR_RETURN(UniqueFd pidfd, OpenOurPidfd(*pid, config));
    if (pidfd) {
      pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
      while (::poll(fds, 2, -1) < 0) {
        if (errno != EINTR) return Error::FromErrno(errno, Prefix(config) + ": supervise: poll");
      }
      if (fds[1].revents != 0) return Stop(config);
    }

    // It exited. Stop() removes the pid file under the lock, a crash does not;
    // EnsureRunning() may have started a new one already (adopt it).
    {
      RAMPART_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(DnsmasqFilesFor(config).lock));
      struct stat st {};
      if (::stat(DnsmasqFilesFor(config).pid.c_str(), &st) != 0 && errno == ENOENT) {
        log.Info("dnsmasq was stopped; supervision ends", {{"network", config.network}});
        return Ok();
      }
      RAMPART_ASSIGN_OR_RETURN(std::optional<pid_t> now, Running(config));
      if (now) continue;
    }
    if (Clock::now() - started >= options.stable_after) backoff = options.initial_backoff;
    log.Warn("dnsmasq exited; restarting", {{"network", config.network},
                                            {"pid", std::to_string(*pid)},
                                            {"retry_ms", std::to_string(backoff.count())}});
    if (wait_backoff()) return Stop(config);
  }
}

}  // namespace rampart::net
