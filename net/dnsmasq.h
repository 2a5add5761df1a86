// dnsmasq, one per network: DHCP leases and reservations, and DNS for the
// network's domain (containers resolve "web.rampart0" and plain "web").
//
// How an instance is started and kept alive
// -----------------------------------------
// * dnsmasq daemonizes itself (no --keep-in-foreground). Its first process
//   exits only once the daemon has bound its sockets, written the pid file
//   and dropped privileges, and exits non-zero with the reason on stderr when
//   it cannot; Start() therefore runs it to completion like any command, then
//   checks the pid file and the sockets in /proc/PID/net. The daemon belongs
//   to no rampart process: a CLI that starts it may exit at once.
// * An instance is identified by RUN/networks/NAME/dnsmasq.pid plus its
//   /proc/PID/cmdline, which must be dnsmasq's with this network's
//   --pid-file and --interface (a stale pid reused by another process is
//   never trusted nor signalled). Signals go through a pidfd opened after
//   that check, so a pid that is recycled meanwhile is not hit either.
// * Supervision has two layers:
//   - EnsureRunning() starts the instance if it is not running. rampart
//     calls it on every use of a network (container start, `net info`,
//     `net ls`), so a dnsmasq that died comes back at the next use.
//   - Supervise() is a loop for a small per-network process (a hidden CLI
//     verb): it watches the daemon through a pidfd (it need not be its
//     parent) and restarts it with exponential backoff when it exits.
//     It ends when its stop_fd becomes readable (then it stops dnsmasq) or
//     when Stop() was called from elsewhere: Stop() removes the pid file
//     under the lock, and a supervisor that sees the daemon gone *and* the
//     pid file gone knows the exit was deliberate. A crash (or a kill from
//     outside) leaves the pid file, because dnsmasq runs as an unprivileged
//     user that cannot delete it from the root-owned run directory.
// * Start, Stop, EnsureRunning, WriteHosts and the supervisor's restarts
//   serialize on RUN/networks/NAME/dnsmasq.lock (flock).
//
// dnsmasq runs in the network namespace of the calling *thread* (a thread
// that setns()ed elsewhere starts it there), as the user in
// DnsmasqConfig::user ("nobody" by default, keeping only the capabilities
// DHCP needs). That user rereads the hosts files on SIGHUP, so run_dir and
// its parents must be searchable by it; Start checks this. IPv4 only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/result.h"

namespace rampart::net {

struct DnsmasqConfig {
  std::string network;         // network name, in messages and logs
  std::string interface;       // the bridge dnsmasq serves, e.g. "rampart0"
  std::string listen_address;  // the gateway address on it, e.g. "10.0.3.1"
  // DHCP range; an empty range_start means no DHCP (DNS only). netmask may
  // be empty (dnsmasq derives it from the interface).
  std::string range_start, range_end, netmask;
  // Local DNS domain, e.g. "rampart0": names in the hosts file answer as NAME
  // and NAME.DOMAIN, and queries under DOMAIN never go upstream. Empty: none.
  std::string domain;
  bool dns = true;  // false: DHCP only (--port=0)
  // Upstream DNS servers for outside names. Empty: the host's
  // /etc/resolv.conf, as lxc-net does; else --no-resolv and one --server each.
  std::vector<std::string> servers;
  // RUN/networks/NAME (absolute): dnsmasq.pid, leases, hosts (addn-hosts),
  // dhcp-hosts (dhcp-hostsfile), dnsmasq.log, dnsmasq.lock.
  std::string run_dir;
  // The dnsmasq executable: empty finds "dnsmasq" in PATH, /usr/sbin, /sbin;
  // a name without '/' is searched the same way; a path is used as is.
  std::string binary;
  std::string user = "nobody";  // dnsmasq drops privileges to this user (--user)
  unsigned lease_max = 0;       // --dhcp-lease-max; 0: dnsmasq's default (1000)
};

// Files of an instance, all inside run_dir.
struct DnsmasqFiles {
  std::string pid, leases, hosts, dhcp_hosts, log, lock;
};
DnsmasqFiles DnsmasqFilesFor(const DnsmasqConfig& config);

// Checks names, addresses and paths (kInvalid, "dnsmasq for network NAME: ...").
// Values become single "--opt=value" arguments, so there is no quoting to get
// wrong, but dnsmasq splits some values on commas: those are refused.
Status ValidateDnsmasqConfig(const DnsmasqConfig& config);

// kDaemon is what Start() runs. kForeground adds --keep-in-foreground for
// running under an outside process manager (systemd unit, test harness).
enum class DnsmasqMode { kDaemon, kForeground };

// The full command line, argv[0] included (config.binary, or "dnsmasq"):
// hermetic (--conf-file=/dev/null, --no-hosts: nothing from /etc reaches the
// containers except the upstream servers of /etc/resolv.conf when `servers`
// is empty); plain names (no dot) are never forwarded upstream
// (--domain-needed), so "web" is answered locally or not at all. Pure: no
// file system access.
std::vector<std::string> DnsmasqArgv(const DnsmasqConfig& config,
                                     DnsmasqMode mode = DnsmasqMode::kDaemon);

// Whether a /proc/PID/cmdline (split at NULs) is dnsmasq serving `config`:
// argv[0]'s base name starts with "dnsmasq" and the arguments hold this
// network's --pid-file and --interface.
bool IsDnsmasqFor(const std::vector<std::string>& cmdline, const DnsmasqConfig& config);

// Finds the dnsmasq executable (see DnsmasqConfig::binary) in `dirs`.
// kNotFound: "dnsmasq not found (install dnsmasq-base)".
Result<std::string> FindDnsmasq(const std::string& binary, const std::vector<std::string>& dirs);
// PATH's directories, then /usr/sbin and /sbin.
std::vector<std::string> DnsmasqSearchDirs();

// A fixed address for a container: DHCP hands `ip` to `mac`, and DNS
// answers NAME and NAME.DOMAIN with `ip`. An empty mac gives the DNS name
// only (a container with a static address).
struct Reservation {
  std::string name;  // one DNS label: letters, digits, '-'
  std::string mac;   // "02:00:0a:4e:00:05" (case-insensitive), or empty
  std::string ip;    // dotted IPv4
};

// Rejects bad labels, MACs and addresses, and duplicate names, MACs or IPs.
Status ValidateReservations(const std::vector<Reservation>& reservations);
// The dhcp-hostsfile: a comment line, then "MAC,IP,NAME" per reservation.
std::string FormatDhcpHosts(const DnsmasqConfig& config,
                            const std::vector<Reservation>& reservations);
// The addn-hosts file: a comment line, then "IP NAME NAME.DOMAIN" (or
// "IP NAME" without a domain) per reservation.
std::string FormatHosts(const DnsmasqConfig& config, const std::vector<Reservation>& reservations);

// Replaces dhcp-hosts and hosts (each atomically; readable by the dnsmasq
// user) and SIGHUPs a running instance so it rereads them. dnsmasq rereads
// asynchronously: a query sent right after this returns may still see the
// old names.
Status WriteHosts(const DnsmasqConfig& config, const std::vector<Reservation>& reservations);

// Whether `table` (the text of /proc/PID/net/udp or tcp) has a socket bound
// to address:port (IPv4) in state `st` (0x07 unconnected UDP, 0x0A TCP LISTEN).
bool ProcNetHasSocket(const std::string& table, const std::string& address, uint16_t port, int st);

struct SuperviseOptions {
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  // An instance that ran this long resets the backoff to initial_backoff.
  std::chrono::milliseconds stable_after{60000};
};

class Dnsmasq {
 public:
  // Starts dnsmasq for `config` in the calling thread's network namespace
  // and returns its pid once it serves (pid file written, sockets bound).
  // Errors say why, with dnsmasq's stderr and the tail of its log:
  // "dnsmasq for network NAME: port 53 on 10.0.3.1 is in use",
  // "dnsmasq not found (install dnsmasq-base)", kExists when this network's
  // dnsmasq already runs.
  static Result<pid_t> Start(const DnsmasqConfig& config);

  // The pid of this network's running dnsmasq, or nullopt (no pid file, no
  // such process, a zombie, or a process that is not this dnsmasq).
  static Result<std::optional<pid_t>> Running(const DnsmasqConfig& config);

  // SIGTERM, up to 5 s, then SIGKILL; removes the pid file. Ok if not running.
  static Status Stop(const DnsmasqConfig& config);

  // Starts it unless it runs (the "restarted if it dies" of every network use).
  static Status EnsureRunning(const DnsmasqConfig& config);

  // Keeps dnsmasq running until `stop_fd` becomes readable (then stops it and
  // returns Stop's status) or Stop() is called by someone else (returns Ok);
  // stop_fd -1 means only the latter.
  // Exits and failed starts are logged and retried with backoff. Runs in the
  // calling thread's network namespace, like Start.
  static Status Supervise(const DnsmasqConfig& config, int stop_fd, Logger& log,
                          const SuperviseOptions& options = {});
};

}  // namespace rampart::net
