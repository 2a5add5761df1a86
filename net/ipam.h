// IPAM: which container holds which address (and MAC) in one network,
// persisted in the network's directory (ROOT/networks/NAME/):
//
//   ipam.json   {"version": 1, "network": "web", "subnet": "10.0.3.0/24",
//                "gateway": "10.0.3.1",
//                "leases": [{"container": "db", "ip": "10.0.3.2",
//                            "mac": "02:1f:..."}]}
//   ipam.lock   flock'd exclusively by every change (base/file_lock.h)
//
// A change takes the lock, reads ipam.json, writes the new state with
// WriteFileAtomic and drops the lock, so any number of processes may
// allocate at once and each gets a distinct address. Reads (List, Find) take
// no lock: the atomic rename means they see one whole state or the next.
// A missing ipam.json is an empty pool; a corrupt one (bad JSON, bad field,
// two leases with one address...) is an error naming the file and is never
// reset or overwritten.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/ipv4.h"
#include "net/network_spec.h"

namespace rampart::net {

struct Lease {
  std::string container;
  Ipv4Addr ip;
  std::string mac;  // "02:1f:3a:4b:5c:6d", lowercase

  bool operator==(const Lease&) const = default;
};

// Parses "aa:bb:cc:dd:ee:ff" (either case; '-' also accepted as separator)
// into the lowercase colon form. Refuses anything but 6 two-digit hex
// octets, multicast/broadcast addresses and 00:00:00:00:00:00 (kInvalid).
Result<std::string> ParseMac(std::string_view text);

// The stable MAC of `container` in `network`: 02:xx:xx:xx:xx:xx, a locally
// administered unicast address whose other 5 octets are the first bytes of
// sha256(network + "/" + container). `attempt` > 0 hashes
// network + "/" + container + "#" + attempt instead (used when the first
// choice collides with another container's MAC).
std::string DeriveMac(std::string_view network, std::string_view container, unsigned attempt = 0);

class Ipam {
 public:
  // The IPAM of `network` kept in the existing directory `dir`. The pool is
  // the subnet's usable hosts minus `gateway`. Nothing is read or written
  // yet; fails if `dir` is not a directory or the gateway is not a usable
  // host of the subnet.
  static Result<Ipam> Open(std::string dir, std::string network, Ipv4Cidr subnet, Ipv4Addr gateway);
  // Same, from a network spec (defaults filled; it must have a subnet).
  static Result<Ipam> Open(std::string dir, const NetworkSpec& spec);

  // Gives `container` an address: `requested` if set (kInvalid if it is
  // outside the pool: outside the subnet, the network, broadcast or gateway
  // address; kExists if another container holds it), else the lowest free
  // one (kExists, errno ENOSPC when the pool is exhausted). The MAC is
  // `requested_mac` (validated with ParseMac, kExists if another container
  // uses it) or DeriveMac(network, container).
  // Idempotent: a container that already holds a lease gets it back; asking
  // it for a different address or MAC than it holds fails with kExists.
  Result<Lease> Allocate(const std::string& container,
                         std::optional<Ipv4Addr> requested = std::nullopt,
                         std::optional<std::string> requested_mac = std::nullopt);

  // Drops the container's lease; fine if it holds none.
  Status Release(const std::string& container);

  // Every lease, by address.
  Result<std::vector<Lease>> List() const;
  // The container's lease, or nullopt if it holds none.
  Result<std::optional<Lease>> Find(const std::string& container) const;

  const std::string& network() const { return network_; }
  Ipv4Cidr subnet() const { return subnet_; }
  Ipv4Addr gateway() const { return gateway_; }
  std::string state_path() const { return dir_ + "/ipam.json"; }
  std::string lock_path() const { return dir_ + "/ipam.lock"; }

 private:
  Ipam(std::string dir, std::string network, Ipv4Cidr subnet, Ipv4Addr gateway)
      : dir_(std::move(dir)), network_(std::move(network)), subnet_(subnet), gateway_(gateway) {}

  Result<std::vector<Lease>> Load() const;
  Status Store(const std::vector<Lease>& leases) const;
  // The reason `ip` cannot be handed out, or "" if it can (ignoring leases).
  std::string PoolProblem(Ipv4Addr ip) const;

  std::string dir_;
  std::string network_;
  Ipv4Cidr subnet_;
  Ipv4Addr gateway_;
};

}  // namespace rampart::net
