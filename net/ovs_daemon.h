// OvsDaemon: a private Open vSwitch, i.e. one ovsdb-server + ovs-vswitchd
// pair that rampart starts itself, using the userspace ("netdev") datapath.
// It is the backend of `rampart ovs start|stop|status [--rundir DIR]` and of
// the OVS tests, for hosts without the openvswitch kernel module (bridges
// must then be created with datapath_type=netdev).
//
// Everything lives in one run directory RUN (OvsDaemonConfig::run_dir):
//   conf.db                          the OVSDB database (kept across restarts:
//                                    bridges and ports come back with the daemons)
//   db.sock                          ovsdb-server's JSON-RPC socket (Remote())
//   ovsdb-server.{pid,ctl,log}       pid file, unixctl socket, log
//   ovs-vswitchd.{pid,ctl,log}       the same for ovs-vswitchd
//   BRIDGE.mgmt, BRIDGE.snoop        OpenFlow sockets ovs-vswitchd makes per bridge
//   ovs.lock                         flock serializing Start, Stop, RestartVswitchd
// The daemons run with OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR and OVS_SYSCONFDIR
// set to RUN, so nothing touches /var/run/openvswitch or /etc/openvswitch,
// and without SSL. They belong to no rampart process (--detach): the CLI
// that starts them may exit at once.
//
// Network namespace: both daemons run in the network namespace of the
// calling *thread* (a thread that setns()ed into a test netns starts them
// there). With the netdev datapath ovs-vswitchd creates its tap devices
// (one per bridge, plus "ovs-netdev") in that namespace and can only attach
// interfaces that live there, so start it where the bridge's ports are.
// OVS makes those tap devices persistent: they outlive a stopped or killed
// ovs-vswitchd and are taken over again by the next one (remove a bridge
// through OVSDB to remove its device).
//
// Identity: a daemon is "ours" when RUN/NAME.pid names a live process whose
// /proc/PID/cmdline has argv[0] with base name NAME and the argument
// --pidfile=RUN/NAME.pid. A pid file naming any other process (a recycled
// pid, a stale file) is ignored and that process is never signalled; signals
// go through a pidfd opened after the check. Stop (and Start, before it
// launches a daemon) also finds ours by scanning /proc for that command
// line, so a daemon whose pid file was lost is still stopped, not doubled.
//
// Control: the readiness checks, the Open_vSwitch row initialization and the
// graceful exit are single JSON-RPC requests over the daemons' own sockets
// (what ovs-vsctl and ovs-appctl send); only ovsdb-tool is run as a tool.
//
// Errors: kNotFound "ovs-vswitchd not found (install openvswitch-switch): ..."
// for missing executables or schema; kExists when a process rampart did not
// start already answers on RUN/db.sock or RUN/ovs-vswitchd.ctl; kSystem with
// the daemon's output and the tail of its log when a start fails. A failed
// Start stops whatever that call started (a daemon that already ran before
// the call is left running).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.h"

namespace rampart::net {

struct OvsDaemonConfig {
  // Absolute path; holds conf.db, db.sock, *.pid, *.ctl, *.log (see above).
  // Created 0755 when missing. RUN/ovs-vswitchd.ctl must fit in a unix
  // socket address (107 bytes).
  std::string run_dir;
  // Directory holding ovsdb-server, ovs-vswitchd and ovsdb-tool; empty
  // searches PATH, then /usr/sbin and /sbin.
  std::string bin_dir;
  // The vswitch schema; empty = /usr/share/openvswitch/vswitch.ovsschema.
  // conf.db is created from it, or converted to it when it changed.
  std::string schema;
};

struct OvsDaemonStatus {
  std::optional<pid_t> ovsdb_server;  // running and ours (see Identity above)
  std::optional<pid_t> ovs_vswitchd;
  std::string remote;  // "unix:RUN/db.sock", the OVSDB address for clients
};

// Files of the pair, all inside run_dir.
struct OvsDaemonFiles {
  std::string db, db_sock, lock;
  std::string ovsdb_pid, ovsdb_ctl, ovsdb_log;
  std::string vswitchd_pid, vswitchd_ctl, vswitchd_log;
};
OvsDaemonFiles OvsDaemonFilesFor(const OvsDaemonConfig& config);

class OvsDaemon {
 public:
  // Starts the pair unless it runs (idempotent: a running, answering pair is
  // left alone, same pids). Creates run_dir, creates conf.db with
  // `ovsdb-tool create` if missing (or converts it when
  // `ovsdb-tool needs-conversion` says so; both only while ovsdb-server does
  // not run, so a running server keeps its schema), starts ovsdb-server, makes sure
  // the Open_vSwitch root row exists (like `ovs-vsctl --no-wait init`), then
  // starts ovs-vswitchd. Returns once db.sock answers list_dbs and
  // ovs-vswitchd's unixctl socket answers `version`.
  static ::rampart::Status Start(const OvsDaemonConfig& config);

  // ovs-vswitchd first, then ovsdb-server: a unixctl `exit`, then SIGTERM
  // and SIGKILL (through a pidfd) after 5 s each. Removes the pid files and
  // the stale sockets (db.sock, *.ctl, *.mgmt, *.snoop); keeps conf.db and
  // the logs. Ok if nothing runs or run_dir does not exist. A socket that
  // another process still answers on is left alone.
  static ::rampart::Status Stop(const OvsDaemonConfig& config);

  // Which of the two run (pid file + /proc/PID/cmdline identity check; no
  // request is sent to them).
  static Result<OvsDaemonStatus> Status(const OvsDaemonConfig& config);

  // Stops ovs-vswitchd if it runs and starts it again against the running
  // ovsdb-server and the existing database (its bridges and ports come back).
  // kNotFound if ovsdb-server does not run (use Start).
  static ::rampart::Status RestartVswitchd(const OvsDaemonConfig& config);

  // "unix:RUN/db.sock".
  static std::string Remote(const OvsDaemonConfig& config);
};

}  // namespace rampart::net
