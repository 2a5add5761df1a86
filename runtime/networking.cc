#include "runtime/networking.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <stdlib.h>

#include "base/atomic_file.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "net/attachment.h"

namespace rampart::runtime {

net::NetPaths NetPathsOf(const Paths& paths) {
  net::NetPaths n{paths.NetworksDir(), paths.NetworksRunDir(), "", ""};
  // RAMPART_OVSDB, else the private pair of `rampart ovs start` if it runs,
  // else the system's ovsdb-server.
  if (const char* r = getenv("RAMPART_OVSDB"); r && *r) {
    n.ovs_remote = r;
  } else if (struct stat st {}; stat((paths.OvsRunDir() + "/db.sock").c_str(), &st) == 0) {
    n.ovs_remote = "unix:" + paths.OvsRunDir() + "/db.sock";
  } else {
    n.ovs_remote = "unix:/var/run/openvswitch/db.sock";
  }
  n.owner = "rampart-" + Sha256Hex(paths.root).substr(0, 12);
  return n;
}

Result<std::string> PrepareNetworks(const Paths& paths, const ContainerSpec& spec) {
  RAMPART_ASSIGN_OR_RETURN(auto attachments, net::ParseNetAttachments(spec.networks));
  if (attachments.empty()) return std::string();
  // dnsmasq drops to an unprivileged user that must reach its files under
  // the run dir: the run dir is made traversable (not listable).
  RAMPART_TRY(MakeDirs(paths.run, 0711));
  if (chmod(paths.run.c_str(), 0711) != 0) return Error::FromErrno(errno, "chmod " + paths.run);
  net::NetworkManager mgr(NetPathsOf(paths));
  std::string resolv;
  for (size_t i = 0; i < attachments.size(); ++i) {
    auto n = mgr.Prepare(attachments[i].network);
    if (!n) return n.error().Wrap("network " + attachments[i].network);
    if (i == 0) resolv = mgr.ResolvConf(*n);
  }
  return resolv;
}

Result<std::vector<net::Endpoint>> JoinNetworks(const Paths& paths, const ContainerSpec& spec, pid_t pid) {
  if (spec.networks.empty()) return std::vector<net::Endpoint>{};
  const std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/net";
  UniqueFd ns(open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return Error::FromErrno(errno, "open " + ns_path);
  return JoinNetworksIn(paths, spec, ns.get());
}

Result<std::vector<net::Endpoint>> JoinNetworksIn(const Paths& paths, const ContainerSpec& spec, int netns_fd,
                                                  bool host_up) {
  std::vector<net::Endpoint> out;
  RAMPART_ASSIGN_OR_RETURN(auto attachments, net::ParseNetAttachments(spec.networks));
  if (attachments.empty()) return out;
  net::NetworkManager mgr(NetPathsOf(paths));
  for (size_t i = 0; i < attachments.size(); ++i) {
    auto ep = mgr.Attach(attachments[i], spec.name, netns_fd, i == 0,
                         i == 0 ? spec.publish : std::vector<std::string>{}, host_up);
    if (!ep) {
      Error e = ep.error().Wrap("network " + attachments[i].network);
      for (const auto& done : out)
        if (auto st = mgr.Detach(done.network, spec.name); !st) e = e.WithCleanupFailure(st.error());
      return e;
    }
    out.push_back(std::move(*ep));
  }
  return out;
}

namespace {

template <typename Fn>
Status ForEachNetwork(const ContainerSpec& spec, Fn fn) {
  auto attachments = net::ParseNetAttachments(spec.networks);
  if (!attachments) return attachments.error();
  Status result = Ok();
  for (const auto& a : *attachments) {
    if (auto st = fn(a.network); !st && result) result = st.error().Wrap("network " + a.network);
  }
  return result;
}

}  // namespace

Status LeaveNetworks(const Paths& paths, const ContainerSpec& spec) {
  net::NetworkManager mgr(NetPathsOf(paths));
  // Called once the container's processes are gone: the kernel removes the
  // veths with its network namespace.
  return ForEachNetwork(spec, [&](const std::string& n) { return mgr.Detach(n, spec.name, /*netns_gone=*/true); });
}

Status ReleaseNetworks(const Paths& paths, const ContainerSpec& spec) {
  net::NetworkManager mgr(NetPathsOf(paths));
  return ForEachNetwork(spec, [&](const std::string& n) { return mgr.Release(n, spec.name); });
}

Result<std::vector<net::Endpoint>> ContainerEndpoints(const Paths& paths, const ContainerSpec& spec) {
  std::vector<net::Endpoint> out;
  RAMPART_ASSIGN_OR_RETURN(auto attachments, net::ParseNetAttachments(spec.networks));
  net::NetworkManager mgr(NetPathsOf(paths));
  for (const auto& a : attachments) {
    auto ep = mgr.Describe(a, spec.name);
    if (!ep) return ep.error().Wrap("network " + a.network);
    out.push_back(std::move(*ep));
  }
  return out;
}

std::string EndpointAddresses(const std::vector<net::Endpoint>& endpoints) {
  std::string out;
  for (const auto& e : endpoints)
    if (!e.ip.empty()) out += (out.empty() ? "" : ",") + e.ip;
  return out;
}

}  // namespace rampart::runtime
