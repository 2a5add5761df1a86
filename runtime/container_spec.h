// A container's configuration: parsed from its YAML config.yaml on top of
// the host-wide defaults (/etc/rampart/rampart.conf, then conf.d/*.conf in
// sorted order), validated, and turned into plain data the launcher
// applies. Every key is documented in docs/container-config.md.
// yaml-cpp stays inside container_spec.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/attachment.h"
#include "runtime/idmap.h"
#include "runtime/paths.h"

namespace YAML {
class Node;
}

namespace rampart::runtime {

struct MountSpec {
  std::string source, target;  // target: absolute inside the container
  bool readonly = false;
  std::string type = "bind";  // bind, or a file system type (tmpfs, ...)
  std::vector<std::string> options;
  bool operator==(const MountSpec&) const = default;
};

struct NamespaceSet {
  bool pid = true, mount = true, ipc = true, uts = true, net = true, cgroup = true, user = false,
       time = false;
  bool operator==(const NamespaceSet&) const = default;
};

struct LimitsSpec {
  std::optional<uint64_t> memory_bytes, pids_max,
      cpu_weight;              // cpu_weight: 1-10000 (cgroup v2 scale)
  std::optional<double> cpus;  // CPU bandwidth in CPUs (0.5 = half a CPU)
  bool operator==(const LimitsSpec&) const = default;
};

// The default container environment: PATH=/usr/local/sbin:/usr/local/bin:
// /usr/sbin:/usr/bin:/sbin:/bin, HOME=/root, TERM=xterm.
std::vector<std::string> DefaultEnv();

struct ContainerSpec {
  std::string name;
  std::string rootfs;    // absolute; empty until create resolves the template
  std::string hostname;  // default: name
  std::string profile = "default";
  std::string cwd = "/";
  std::string template_ref;  // what create built the rootfs from (informational)
  std::vector<std::string> command = {"/bin/sh"};
  std::vector<std::string> env = DefaultEnv();  // "KEY=value"
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  NamespaceSet namespaces;
  std::vector<IdMapRange> uid_map, gid_map;  // set iff namespaces.user
  std::vector<MountSpec> mounts;
  LimitsSpec limits;
  // --net entries (net/attachment.h); none = loopback only.
  std::vector<std::string> networks = {net::kDefaultNetwork};
  std::vector<std::string> publish;  // "HOSTPORT:CTRPORT[/tcp|udp]" on the first network
  bool tty = false;
  // A small init (pid 1) runs the payload as its child: forwards signals to
  // it, reaps orphans, exits with the payload's status (like docker --init).
  bool init = false;
  bool allow_dangerous = false;  // start even if the profile audit has high findings
  std::string criu;              // the criu binary for checkpoints ("" = search: docs/checkpointing.md)
  bool operator==(const ContainerSpec&) const = default;
};

// One defaults file, as read.
struct ConfigSource {
  ConfigSource() = default;
  ConfigSource(std::string f, std::string t, std::shared_ptr<const YAML::Node> p = nullptr)
      : file(std::move(f)), text(std::move(t)), parsed(std::move(p)) {}
  std::string file;  // for messages: "/etc/rampart/conf.d/10-net.conf"
  std::string text;
  // `text` as LoadDefaults parsed it to check it, so that a container
  // parsed over these defaults does not parse it again (yaml-cpp takes about
  // 0.05 ms a document). Null when filled in by hand (tests): then parsed.
  std::shared_ptr<const YAML::Node> parsed;
};

// Everything a container config is parsed against, read up front so that
// parsing itself does no I/O (tests fill this in directly).
struct ConfigDefaults {
  // rampart.conf first, then conf.d/*.conf in sorted order; later layers
  // win, the container's own config wins over all of them.
  std::vector<ConfigSource> layers;
  // /etc/subuid and /etc/subgid contents; nullopt when the file is missing.
  std::optional<std::string> subuid, subgid;
};

// Reads paths.ConfFile(), the *.conf files in paths.ConfDir() (sorted;
// dotfiles and other names ignored), `subuid_file` and `subgid_file`.
// Missing files are fine; an unreadable or invalid one is an error
// ("FILE:LINE:COLUMN: ..." for a bad key), so a broken defaults file is
// reported even before a container uses it.
Result<ConfigDefaults> LoadDefaults(const Paths& paths,
                                    const std::string& subuid_file = "/etc/subuid",
                                    const std::string& subgid_file = "/etc/subgid");

// Parses a container's config (`file` names it in messages) over `defaults`.
// `name`, when not empty, is the container's name (from the command line):
// the config's own `name`, if any, must then match it. The result is
// validated (ValidateContainerSpec) except that name and rootfs may still be
// empty. Errors are kInvalid with one line "FILE:LINE:COLUMN: what".
Result<ContainerSpec> ParseContainerSpec(std::string_view yaml_text, const std::string& file,
                                         const ConfigDefaults& defaults,
                                         std::string_view name = {});

// A container with no config file of its own (`create`/`run` without
// --config): the defaults, then `name`; the same as a config holding only
// `name: NAME`, without parsing one. `file` names the config in messages.
Result<ContainerSpec> ContainerSpecFromDefaults(const std::string& file, const ConfigDefaults& defaults,
                                                std::string_view name);

// The checks Parse applies, for specs built in code. With `complete`, name
// and rootfs must also be set (what start needs). Messages name the field.
Status ValidateContainerSpec(const ContainerSpec& spec, bool complete = true);

// The config.yaml that create writes: every field explicit (unset limits as
// null, so later defaults do not add them), strings double-quoted. Parses
// back to an equal spec with any defaults.
std::string SerializeContainerSpec(const ContainerSpec& spec);

// "64M" → 67108864: a decimal number with an optional K, M, G or T suffix
// (1024-based; lowercase and a trailing "B"/"iB" accepted). Rejects zero-less
// garbage and overflow.
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace rampart::runtime
