// Netlink: links, addresses and routes over one rtnetlink socket (libnl-3
// for the socket and message plumbing, libnl-route-3 to parse link replies).
//
// One Netlink object is one NETLINK_ROUTE socket bound to one network
// namespace for its whole life (a socket keeps the netns it was made in).
// The container path of DESIGN.md uses one socket per namespace:
//
//   auto host = Netlink::Open();                          // test-host / host netns
//   host->CreateVeth({.host_name = "vethab12", .peer_name = "eth0",
//                     .peer_netns_fd = ns, .master = "br0", ...});
//   ConfigureContainerEnd(ns, "eth0", "10.0.3.7/24", "10.0.3.1");
//
// The peer is created directly inside the container's netns (no move), and
// the container end is configured by one batch of requests (lo up, link up,
// address, default route) sent in a single sendmsg.
//
// Errors are one line naming the operation and the interface, e.g.
// "create veth veth1234 (peer eth0): file exists"; the kernel's extended
// ack text is appended in parentheses when it gives one. Kinds: kExists
// (EEXIST), kNotFound (ENODEV/ENOENT: no such interface), kInvalid (a bad
// name, MAC, address or VLAN id, caught before anything is sent), kSystem
// for any other errno.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

struct nl_sock;

namespace rampart::net {

// What the kernel says about one interface (RTM_NEWLINK reply).
struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;      // IFLA_INFO_KIND: "bridge", "veth", ...; "" for lo and physical devices
  std::string alias;     // IFLA_IFALIAS; rampart's ownership tag lives here
  int master_index = 0;  // IFLA_MASTER, 0 if not enslaved
  bool up = false;       // administratively up (IFF_UP)
  unsigned mtu = 0;
  std::string mac;  // "aa:bb:cc:dd:ee:ff" (lowercase); "" if the link has none
};

struct BridgeOptions {
  unsigned mtu = 0;   // 0: kernel default
  std::string mac;    // "": kernel picks one
  std::string alias;  // "": none
  bool vlan_filtering = false;
};

struct VethRequest {
  std::string host_name;           // host end, stays in the socket's netns
  std::string peer_name;           // e.g. "eth0": created directly in peer_netns_fd
  int peer_netns_fd = -1;          // -1: the peer stays in the socket's netns too
  std::string peer_mac, host_mac;  // "": kernel picks one
  unsigned mtu = 0;                // both ends; 0: kernel default
  std::string master;              // bridge to enslave the host end to ("" = none)
  std::string alias;               // IFLA_IFALIAS on the host end, e.g. "rampart:NET:CONTAINER"
  bool host_up = true;             // false: the host end stays down (no traffic) until SetUp
};

// Validation shared with callers that want to check input early (plan step):
// an interface name is 1..15 bytes, not "." or "..", without '/', ':' or
// whitespace (the kernel's dev_valid_name).
Status ValidateInterfaceName(const std::string& name);

// Move-only owner of one socket. Not thread-safe: use one object per thread
// (or lock around it); requests and replies on it are strictly paired.
class Netlink {
 public:
  // A socket in the calling thread's network namespace.
  static Result<Netlink> Open();
  // A socket in the network namespace `netns_fd` refers to. The calling
  // thread never changes namespace: the socket is made on a short-lived
  // thread that joins `netns_fd`.
  static Result<Netlink> OpenIn(int netns_fd);

  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;
  ~Netlink();

  // kNotFound if there is no interface called `name`.
  Result<LinkInfo> GetLink(const std::string& name);
  Result<std::vector<LinkInfo>> ListLinks();

  // A Linux bridge, left down. kExists if the name is taken. Alias set in a
  // second request; if that fails the bridge is deleted again.
  Status CreateBridge(const std::string& name, const BridgeOptions& options);

  // A veth pair in one request: the host end named, addressed, enslaved to
  // `master` and up; the peer created in `peer_netns_fd` with its MAC and MTU
  // (left down: ConfigureContainerEnd brings it up). The alias is a second
  // request. A failure leaves nothing behind (the kernel undoes a failed
  // create as a whole; a failed alias deletes the pair and reports both).
  Status CreateVeth(const VethRequest& request);

  // Deleting either end of a veth removes the other one too, wherever it is.
  // kNotFound if absent.
  Status DeleteLink(const std::string& name);
  Status SetUp(const std::string& name, bool up = true);
  // `bridge` == "" releases `port` from its master.
  Status SetMaster(const std::string& port, const std::string& bridge);
  // `alias` == "" removes the alias. At most 255 bytes.
  Status SetAlias(const std::string& name, const std::string& alias);
  // "10.0.3.1/24" (broadcast computed for IPv4 prefixes up to /30) or an
  // IPv6 "fd00::1/64". kExists if the address is already there.
  Status AddAddress(const std::string& ifname, const std::string& cidr);
  // Default route via `gateway` (IPv4 or IPv6) out of `ifname`.
  Status AddDefaultRoute(const std::string& gateway, const std::string& ifname);
  // Makes `port` (enslaved to a vlan_filtering bridge) an access port of
  // `vid` (1..4094): vid as PVID and egress untagged, and the default VLAN 1
  // removed from the port when vid != 1.
  Status SetBridgePortVlan(const std::string& port, int vid);

  // Hairpin mode on a bridge port: frames may leave through the port they
  // came in on (a container reaching its own published port through the
  // host's DNAT).
  Status SetHairpin(const std::string& port, bool on = true);

  // Container-side setup in one batch over this socket: lo up, `ifname` up,
  // `cidr` on it and, unless `gateway` is "", the default route via it. One
  // lookup of `ifname`, then one sendmsg of all requests. Not atomic: the
  // first failure is reported (later requests may still have been applied;
  // the caller throws the namespace away on failure anyway).
  Status ConfigureInterface(const std::string& ifname, const std::string& cidr,
                            const std::string& gateway);

  struct SockDeleter {
    void operator()(nl_sock* sock) const;
  };

 private:
  explicit Netlink(std::unique_ptr<nl_sock, SockDeleter> sock);
  struct Op;
  // Sends every op in one sendmsg and waits for each reply; link replies go
  // to `links` (may be null). Returns the first failure.
  Status Transact(std::vector<Op>& ops, std::vector<LinkInfo>* links);
  Result<int> IndexOf(const std::string& name, const std::string& what);

  std::unique_ptr<nl_sock, SockDeleter> sock_;
};

// Configures a container end in one go with a socket opened in its netns:
// lo up, link up, address, default route ("" gateway: no route).
Status ConfigureContainerEnd(int netns_fd, const std::string& ifname, const std::string& cidr,
                             const std::string& gateway);

// Turns off transmit checksum offload on `ifname` inside `netns_fd` (the
// kernel then fills in TCP/UDP checksums itself). Needed on a container's
// veth on an OVS netdev (userspace) bridge: it forwards the packet as read
// from the veth, with the checksum still left to a NIC, and the receiver
// drops it (ping works, TCP does not).
Status DisableTxChecksum(int netns_fd, const std::string& ifname);

}  // namespace rampart::net
