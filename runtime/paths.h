// Where rampart keeps things (DESIGN.md, "Persistent layout"): the state root
// (/var/lib/rampart, --root or $RAMPART_ROOT), the run dir (/run/rampart or
// $RAMPART_RUN) and the config files (/etc/rampart or $RAMPART_CONF_DIR).
// Plain string arithmetic: nothing here touches the file system.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart::runtime {

struct Paths {
  std::string root;  // containers/, networks/, policies/, cache/
  std::string run;   // per-container runtime state: NAME/{state.json, monitor.sock}
  std::string conf_dir = "/etc/rampart";  // rampart.conf and conf.d/

  // root: `root_flag` (--root), else $RAMPART_ROOT, else /var/lib/rampart;
  // run: $RAMPART_RUN, else /run/rampart; conf_dir: $RAMPART_CONF_DIR, else
  // /etc/rampart. Relative paths are made absolute against the current
  // directory (the monitor changes directory), trailing slashes dropped.
  static Paths From(std::optional<std::string> root_flag);

  std::string ContainersDir() const;                       // root/containers
  // root/containers/NAME: a directory, or for a container whose directory
  // lives in the run dir (RunDirContainerDir) a symlink to it.
  std::string ContainerDir(std::string_view name) const;
  std::string ConfigFile(std::string_view name) const;     // .../NAME/config.yaml
  std::string RootfsDir(std::string_view name) const;      // .../NAME/rootfs
  std::string LogFile(std::string_view name) const;        // .../NAME/console.log
  std::string RunDir(std::string_view name) const;         // run/NAME
  std::string StateFile(std::string_view name) const;      // run/NAME/state.json
  std::string MonitorSocket(std::string_view name) const;  // run/NAME/monitor.sock
  // run/NAME/container: where a foreground `run --rm` on a rootfs used in
  // place keeps its container directory (nothing in it can grow, and it
  // lives no longer than the run); ContainerDir(NAME) links to it.
  std::string RunDirContainerDir(std::string_view name) const;
  // root/containers/.NAME.lock: outside NAME/ so that it survives removal of
  // the container directory (and ListNames skips dotfiles).
  std::string LockFile(std::string_view name) const;
  std::string PolicyCacheDir() const;  // root/cache/bpf
  std::string NetworksDir() const;     // root/networks
  // run/.networks: a name no container can have (names start with a letter
  // or digit), so it never clashes with run/NAME.
  std::string NetworksRunDir() const;
  // run/.ovs: the private ovsdb-server / ovs-vswitchd of `rampart ovs
  // start`. Dotted for the same reason: it was run/ovs, which is also
  // RunDir("ovs"), so destroying a container named ovs removed the
  // daemons' sockets and database.
  std::string OvsRunDir() const;
  std::string ConfFile() const;        // conf_dir/rampart.conf
  std::string ConfDir() const;         // conf_dir/conf.d
  // Where profiles named by reference are looked up, in order (after the
  // shipped ones): root/policies, conf_dir/policies.
  std::vector<std::string> ProfileDirs() const;
};

// Container names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters (so
// "." , ".." and anything with '/' are rejected). kInvalid with
// "invalid container name 'NAME': ..." naming the rule.
inline constexpr size_t kMaxNameLength = 64;
Status ValidateName(std::string_view name);

}  // namespace rampart::runtime
