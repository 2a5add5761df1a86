// Networks as named objects, and containers joining them (DESIGN.md, data
// flow: NetworkSpec ─▶ Network ─▶ Endpoint). Composes the pieces of net/:
// the spec and IPAM (plain data and files), netlink (bridge, veth), dnsmasq
// (DHCP + DNS) and nftables (NAT, port forwards).
//
// Layout:
//   ROOT/networks/NAME/network.json   the NetworkSpec (durable)
//   ROOT/networks/NAME/ipam.json      addresses of containers (net/ipam.h)
//   ROOT/networks/NAME/network.lock   serializes changes to the network
//   RUN/networks/NAME/                dnsmasq files; forwards.json (the
//                                     published ports of running containers)
//
// Everything on the host carries rampart's tag, so gc removes only ours:
// the bridge's alias is "rampart:network:NAME", a container's host-side veth
// is "rampart:NET:CONTAINER" (named "vr" + 10 hex digits of a hash of both),
// the nft table is "rampart_NAME", and dnsmasq is identified by its pid file
// and command line.
//
// All host-side work happens in the calling thread's network namespace (a
// test runs rampart inside its own test-host namespace).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/attachment.h"
#include "net/nat.h"
#include "net/network_spec.h"

namespace rampart::net {

struct NetPaths {
  std::string state_dir;  // ROOT/networks
  std::string run_dir;    // RUN/.networks
  // OVS networks: the OVSDB remote ("unix:PATH" or "tcp:IP:PORT") and the
  // value of the rampart-owner external_id our ports and bridges carry.
  std::string ovs_remote;
  std::string owner;
};

// One container's interface on one network, as set up by Attach.
struct Endpoint {
  std::string network;
  std::string container;
  std::string ifname;       // inside the container, e.g. eth0
  std::string host_ifname;  // the host end of the veth, e.g. vr1a2b3c4d5e
  std::string ip;           // "10.0.3.5"
  int prefix = 0;           // 24
  std::string mac;
  std::string gateway;  // "" on a network without a subnet
  std::vector<PortForward> forwards;
  bool operator==(const Endpoint&) const = default;
};

// One row of `net ports`: a container's port on an OVS network.
struct NetPortRow {
  std::string container, port;
  int ofport = -1;
  int tag = 0;
  std::string error;  // the Interface's error column
};

// What `net ls` / `net info` show.
struct NetworkStatus {
  NetworkSpec spec;
  bool bridge_up = false;           // our bridge exists and is up
  std::optional<int> dnsmasq_pid;   // when DHCP or DNS is on and it runs
  bool nat_table = false;           // our nft table is loaded
  std::vector<std::string> containers;  // holding an address (IPAM)
};

struct NetGcReport {
  std::vector<std::string> removed;  // "veth vr..", "table rampart_x", ...
};

// The host-side name of a container's veth on a network.
std::string HostVethName(const std::string& network, const std::string& container);
std::string BridgeAlias(const std::string& network);
std::string VethAlias(const std::string& network, const std::string& container);

class NetworkManager {
 public:
  explicit NetworkManager(NetPaths paths) : paths_(std::move(paths)) {}

  // Validates `spec` (defaults filled), checks it clashes with no other
  // network and no route of this namespace, stores it and brings it up.
  // On any failure nothing is left: no directory, bridge, table or dnsmasq.
  Result<NetworkSpec> Create(NetworkSpec spec);
  // The default network, created on first use (like lxcbr0).
  Result<NetworkSpec> EnsureDefault();

  Result<NetworkSpec> Get(const std::string& name) const;
  // Every network; a damaged one is reported in `errors`, never hides others.
  std::vector<NetworkSpec> List(std::vector<std::string>* errors = nullptr) const;
  Result<NetworkStatus> Inspect(const std::string& name) const;

  // Removes the network: refused (kExists) while a container holds an
  // address on it. Stops dnsmasq, deletes the table and our bridge.
  Status Remove(const std::string& name);

  // Idempotent bring-up: bridge (ours, or refused if a foreign interface has
  // the name), address, up, forwarding, NAT table, dnsmasq (restarted if it
  // died). Called before every attach.
  Status EnsureUp(const NetworkSpec& spec);

  // The network (the default one created on first use) brought up, ready
  // for Attach.
  Result<NetworkSpec> Prepare(const std::string& name);
  // RUN/networks/NAME/resolv.conf (nameserver = the gateway, search = the
  // domain) when the network serves DNS; "" otherwise.
  std::string ResolvConf(const NetworkSpec& spec) const;

  // Gives `container` its interface on `a.network` inside `netns_fd` (call
  // Prepare first): an
  // address from IPAM (stable across restarts), its DNS name and DHCP
  // reservation, a veth whose peer is created directly in the netns and
  // configured there (default route only when `default_route`), and its
  // port forwards. A failure undoes what this call made.
  // With `host_up` false the host end of the veth stays down: nothing
  // passes until SetHostLink up (restore: no segment may reach a socket that is
  // not back yet).
  Result<Endpoint> Attach(const NetAttachment& a, const std::string& container, int netns_fd, bool default_route,
                          const std::vector<std::string>& publish, bool host_up = true);
  // Brings the host end of an endpoint up or down (down: nothing passes,
  // nothing is answered; checkpoint and restore keep TCP peers retrying).
  Status SetHostLink(const Endpoint& ep, bool up);
  // What Attach gave (or would give) `container` on `a.network`, without
  // changing anything: its interface name, its address and MAC from IPAM
  // (kNotFound if it holds none on a network with a subnet).
  Result<Endpoint> Describe(const NetAttachment& a, const std::string& container) const;
  // Undoes Attach on stop: the host veth and the port forwards. The address
  // stays. With `netns_gone` (the container's processes are all gone) the
  // veth is left to the kernel, which removes the pair with the namespace.
  Status Detach(const std::string& network, const std::string& container, bool netns_gone = false);
  // On destroy: the container's address, DNS name and DHCP lease go.
  Status Release(const std::string& network, const std::string& container);

  // OVS networks: the containers' ports as OVSDB has them.
  Result<std::vector<NetPortRow>> Ports(const std::string& name);

  // Removes what carries our tag but belongs to nothing: veths of
  // containers not in `running`, tables of networks that no longer exist.
  Result<NetGcReport> Gc(const std::vector<std::string>& running);

 private:
  std::string Dir(const std::string& name) const { return paths_.state_dir + "/" + name; }
  std::string RunDir(const std::string& name) const { return paths_.run_dir + "/" + name; }
  Status UpdateHosts(const NetworkSpec& spec);
  Status ApplyNat(const NetworkSpec& spec);
  Status SetForwards(const NetworkSpec& spec, const std::string& container,
                              const std::vector<PortForward>& forwards);

  NetPaths paths_;
};

// IPv4 routes of the calling thread's network namespace (/proc/net/route),
// for overlap checks.
Result<std::vector<Ipv4Cidr>> RoutesInUse();

}  // namespace rampart::net
