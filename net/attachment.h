// How a container joins networks: `--net NAME[:ip=A,mac=M,name=IF]` on the
// command line, or the same strings under `networks:` in its config, and
// `--publish HOSTPORT:CTRPORT[/tcp|udp]` port forwards. Pure parsing.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace rampart::net {

inline constexpr const char* kDefaultNetwork = "rampart0";
inline constexpr const char* kNoNetwork = "none";

struct NetAttachment {
  std::string network;  // a network name
  std::string ip;       // "" = allocated by IPAM (or DHCP inside, see dhcp)
  std::string mac;      // "" = stable per (network, container)
  std::string ifname;   // "" = eth0, eth1, ... in order
  int vlan = 0;         // OVS networks: this port's access VLAN (0 = the network's)
  bool operator==(const NetAttachment&) const = default;
};

// "web", "web:ip=10.0.3.9", "web:mac=02:aa:bb:cc:dd:ee,name=eth1,vlan=10". Errors
// name the entry and the key: "--net web:ip=x: ip: not an IPv4 address".
Result<NetAttachment> ParseNetAttachment(const std::string& spec);

// All entries of a container: "none" alone means loopback only (an empty
// list too); "none" mixed with networks, the same network twice, or two
// interfaces with the same name are errors. Interface names are filled in
// (eth0, eth1, ... for entries without one).
Result<std::vector<NetAttachment>> ParseNetAttachments(const std::vector<std::string>& specs);

}  // namespace rampart::net
