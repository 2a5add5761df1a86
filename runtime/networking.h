// The runtime's side of networking: a container joins the networks of its
// config while its init is held before exec (launcher's join_networks), and
// leaves them when it stops; destroy gives its addresses back.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "net/network.h"
#include "runtime/container_spec.h"
#include "runtime/paths.h"

namespace rampart::runtime {

net::NetPaths NetPathsOf(const Paths& paths);

// Before the launch: every network of the container exists and is up (the
// default one is created on first use). Returns the resolv.conf to bind on
// the container's /etc/resolv.conf ("" if its first network has no DNS).
Result<std::string> PrepareNetworks(const Paths& paths, const ContainerSpec& spec);

// Creates the container's interfaces in /proc/PID/ns/net, one per network
// (the first one carries the default route and the published ports). All
// or nothing: a failure leaves the networks joined so far again.
Result<std::vector<net::Endpoint>> JoinNetworks(const Paths& paths, const ContainerSpec& spec, pid_t pid);
// The same into the network namespace `netns_fd` (restore: a new namespace
// made before the processes exist).
// With `host_up` false the host ends stay down until net::NetworkManager::SetHostUp.
Result<std::vector<net::Endpoint>> JoinNetworksIn(const Paths& paths, const ContainerSpec& spec, int netns_fd,
                                                  bool host_up = true);

// The container's current endpoints (address and MAC from IPAM, interface
// name from its config), in the order of its networks.
Result<std::vector<net::Endpoint>> ContainerEndpoints(const Paths& paths, const ContainerSpec& spec);

// On stop: host ends of the veths and port forwards go; addresses stay.
Status LeaveNetworks(const Paths& paths, const ContainerSpec& spec);

// On destroy: addresses, DNS names and DHCP reservations go too.
Status ReleaseNetworks(const Paths& paths, const ContainerSpec& spec);

// "10.0.3.5" or "10.0.3.5,10.0.7.2" for ls.
std::string EndpointAddresses(const std::vector<net::Endpoint>& endpoints);

}  // namespace rampart::runtime
