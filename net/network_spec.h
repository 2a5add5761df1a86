// NetworkSpec: what a rampart network is, as plain data (DESIGN.md: network.yaml
// ─▶ NetworkSpec ─▶ Network). Parse (JSON here, CLI flags in cli/) → fill
// defaults → validate; nothing in this file touches the host.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/ipv4.h"

namespace rampart::net {

struct NetworkSpec {
  enum Kind { kBridge, kOvs };

  // The network's name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 15 characters
  // (a Linux interface name, since it is the default bridge name).
  std::string name;
  // kBridge: a Linux bridge; kOvs: an Open vSwitch bridge.
  Kind kind = kBridge;
  // Host interface name of the bridge (the OVS bridge's internal port for
  // kOvs). Default: name. Same rules as name.
  std::string bridge;
  // IPv4 subnet of the network (prefix /8 to /30). Without one the network is
  // plain layer 2: no gateway address, DHCP, DNS or NAT.
  std::optional<Ipv4Cidr> subnet;
  // The host's address on the bridge. Default: the subnet's first host.
  // Must lie inside the subnet and be neither its network nor its broadcast
  // address.
  std::optional<Ipv4Addr> gateway;
  // dnsmasq serves DHCP / DNS on the bridge; nft masquerades traffic leaving
  // the subnet. Each requires a subnet.
  bool dhcp = true;
  bool dns = true;
  bool nat = true;
  // DNS domain of the containers ("web.rampart0"). Default: name. Labels of
  // letters, digits, '-' and '_', 1-63 characters each, at most 253 in all.
  std::string domain;
  // MTU of the bridge and the veths; 0 leaves the kernel default. 68-65535.
  unsigned mtu = 0;
  // 802.1Q tag of the containers' ports: 0 (untagged) or 1-4094.
  int vlan = 0;
  // kOvs only: the OVS bridge's name in OVSDB. Default: bridge. Same rules
  // as name.
  std::string ovs_bridge;
  // kOvs only: "system" (kernel datapath) or "netdev" (userspace).
  // Default: "system".
  std::string datapath;
  // kOvs only: VLANs (1-4094, no repeats) the bridge carries on its trunk
  // (uplink) ports; empty means all.
  std::vector<int> trunks;

  bool operator==(const NetworkSpec&) const = default;
};

// "bridge" / "ovs".
const char* NetworkKindName(NetworkSpec::Kind kind);
Result<NetworkSpec::Kind> ParseNetworkKind(std::string_view text);

// Fills the documented defaults of empty fields: bridge, gateway (needs a
// subnet), domain, and for kOvs ovs_bridge and datapath. Idempotent.
void FillNetworkDefaults(NetworkSpec& spec);

// Checks every rule documented on NetworkSpec (an unfilled default counts as
// its default). Errors are kInvalid and start with "network NAME: ":
// "network web: gateway 10.0.4.1 is outside subnet 10.0.3.0/24".
// The subnet must also stay clear of 0.0.0.0/8, 127.0.0.0/8 (loopback) and
// 224.0.0.0/3 (multicast and reserved).
Status ValidateNetworkSpec(const NetworkSpec& spec);

// One JSON object with every field, defaults filled, pretty-printed, with
// a trailing newline. An absent subnet or gateway is null.
std::string NetworkSpecToJson(const NetworkSpec& spec);
// Parses NetworkSpecToJson's output (or a hand-written object: only "name"
// is required), fills defaults and validates. Unknown fields are refused.
// Errors name the field: "network web: field subnet: 10.0.3.0/33: prefix
// length must be 0-32".
Result<NetworkSpec> NetworkSpecFromJson(std::string_view text);

// The default network "rampart0" (bridge rampart0, domain rampart0, DHCP,
// DNS and NAT on) on the first /24 that overlaps none of `routes_in_use`:
// 10.0.3.0/24, 10.0.4.0/24, ... 10.255.255.0/24, then 172.16.0.0/24 ...
// 172.31.255.0/24. Default routes (/0) are ignored, as they overlap
// everything. Fails (kExists) when every candidate is taken.
Result<NetworkSpec> DefaultNetworkSpec(const std::vector<Ipv4Cidr>& routes_in_use);

// Checks that `spec` does not clash with `existing` networks (subnets that
// overlap, or the same bridge interface name; networks may share an OVS
// bridge, told apart by VLAN) nor with the host's routes
// (default routes ignored). An entry of `existing` with spec's own name is
// spec itself (re-checked on change) and skipped. Errors are kExists:
// "subnet 10.0.3.0/24 overlaps network web (10.0.3.0/24)",
// "subnet 10.0.3.0/24 overlaps host route 10.0.0.0/16".
Status CheckNoOverlap(const NetworkSpec& spec, const std::vector<NetworkSpec>& existing,
                      const std::vector<Ipv4Cidr>& host_routes);

}  // namespace rampart::net
