// NAT, masquerade and port forwards for a bridge network, with nftables
// through libnftables (no `nft` subprocess).
//
// Each network owns one table, `table inet rampart_NETWORK`; the name prefix
// is our ownership tag, so `rampart gc` can find leftovers (ListOurTables)
// and never touches a table that is not ours. The table mirrors what lxc-net
// installs for lxcbr0 (reference/interfaces.md §1h) plus port forwards:
//   forward     accept established/related, the published ports, and
//               traffic in and out of the bridge
//   input       accept DNS (udp/tcp 53) and DHCP (udp 67) from the bridge
//   prerouting  dnat HOST_PORT on any local address to CONTAINER_IP:PORT
//   output      the same for connections made on the host itself (to a
//               non-loopback host address)
//   postrouting masquerade SUBNET → outside; "hairpin" masquerade for a
//               container reaching a published port of its own network
// Rules for a published port carry the comment "rampart:CONTAINER".
//
// IPv4 only for now. The inet family handles NAT since Linux 5.2, so one
// table per network is enough.
//
// Pure steps (validation, ruleset text) are separate from the apply step
// (class Nft), so they are unit-tested without root.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

struct nft_ctx;

namespace rampart::net {

// The NAT side of one bridge network.
struct NatConfig {
  std::string network;     // rampart network name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64
  std::string bridge;      // host bridge interface, e.g. "rampart0" (at most 15 chars)
  std::string subnet;      // the containers' IPv4 subnet, "10.0.3.0/24" (no host bits)
  std::string gateway;     // the bridge's address, "10.0.3.1"; optional, checked to be in subnet
  bool masquerade = true;  // SNAT subnet → outside to the outgoing interface's address
  bool dns_dhcp_input = true;  // accept DNS/DHCP from the bridge to the host (dnsmasq)
};

// One published port of one container (`--publish 8080:80/tcp`).
struct PortForward {
  std::string container;        // container name, used in the rule comment "rampart:NAME"
  std::string proto = "tcp";    // "tcp" or "udp"
  uint16_t host_port = 0;       // 1-65535
  uint16_t container_port = 0;  // 1-65535
  std::string container_ip;     // the container's IPv4 address on the network
};

inline constexpr const char kNatTablePrefix[] = "rampart_";

// "rampart_" + network.
std::string NatTableName(const std::string& network);
// The network a table name belongs to, or nullopt if it is not ours.
std::optional<std::string> NetworkFromNatTable(const std::string& table);

// Parses a --publish value: "8080:80" or "8080:80/udp" (tcp by default).
// `container` and `container_ip` are left empty for the caller to fill.
// Errors name the value: "--publish 70000:80: host port must be 1-65535".
Result<PortForward> ParsePublish(const std::string& spec);

// Checks one forward on its own: ports, protocol, container name, IPv4
// syntax. Errors start with the forward as the user wrote it:
// "--publish 0:80/tcp: host port must be 1-65535".
Status ValidatePortForward(const PortForward& forward);

// Checks the network's config and all its forwards together: names, subnet
// and gateway syntax, each forward, container addresses inside the subnet,
// and no host port published twice for the same protocol.
Status ValidateNat(const NatConfig& config, const std::vector<PortForward>& forwards);

// The whole table as nft script text (`table inet rampart_NET { ... }`).
// Pure text; call ValidateNat first (Nft::ApplyNetwork does).
std::string NatRuleset(const NatConfig& config, const std::vector<PortForward>& forwards);

// The atomic replace: "table X {}" (creates it if absent), "delete table X",
// then the full table. nft sends a script as one transaction, so the old
// rules stay until the new ones are in, and any failure changes nothing.
std::string NatApplyScript(const NatConfig& config, const std::vector<PortForward>& forwards);

// A libnftables context. It acts on the network namespace of the thread that
// called Open() (libnftables opens its netlink socket there), whatever thread
// uses it later. Output and errors are buffered, so errors come back as
// values. Move-only; not for concurrent use.
class Nft {
 public:
  static Result<Nft> Open();

  // Runs an nft script as one transaction. An error is one line, e.g.
  // "run nft script: line 6: could not process rule: operation not supported
  // (`dnat ip to 1.2.3.4`)".
  Status Run(const std::string& script);

  // Validates, then (re)creates the network's table atomically (NatApplyScript).
  Status ApplyNetwork(const NatConfig& config, const std::vector<PortForward>& forwards);

  // Deletes the network's table; fine if it does not exist.
  Status RemoveNetwork(const std::string& network);

  // Names of every inet table.
  Result<std::vector<std::string>> ListInetTables();

  // Names of the inet tables whose name starts with kNatTablePrefix (for gc;
  // NetworkFromNatTable gives the network). Other tables are never listed.
  Result<std::vector<std::string>> ListOurTables();

 private:
  struct CtxDeleter {
    void operator()(nft_ctx* ctx) const;
  };
  explicit Nft(nft_ctx* ctx) : ctx_(ctx) {}
  // Runs `script`; on failure the error is "<what>: <nft's errors on one line>".
  Status RunScript(const std::string& what, const std::string& script);
  Result<std::string> RunForOutput(const std::string& what, const std::string& script);

  std::unique_ptr<nft_ctx, CtxDeleter> ctx_;
};

// Turns nft's error buffer (several lines per error: "FILE:LINE:COLS: Error:
// MSG", the source line, a marker line) into one line:
// "line 26: could not resolve hostname: ... (`ip saddr 10.0.3.300/24 ...`)".
// Exposed for tests.
std::string FormatNftErrors(const std::string& error_buffer);

// Deletes every inet table whose name starts with `prefix` in the namespace
// of `netns_fd` (e.g. the network lock a killed CRIU leaves behind); returns
// their names. Runs on a short-lived thread that enters the namespace, so
// the caller's own namespace is never changed.
Result<std::vector<std::string>> DeleteInetTables(int netns_fd, const std::string& prefix);

// Writes 1 to /proc/sys/net/ipv4/ip_forward for the calling thread's network
// namespace (the sysctl is per netns). Does nothing if it is already 1, so a
// read-only /proc/sys is fine then.
Status EnableIpForwarding();

}  // namespace rampart::net
