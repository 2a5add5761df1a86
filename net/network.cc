#include "net/network.h"

#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/atomic_file.h"
#include "base/fault.h"
#include "base/file_lock.h"
#include "base/sha256.h"
#include "net/dnsmasq.h"
#include "net/ipam.h"
#include "net/netlink.h"
#include "net/ovs.h"

namespace rampart::net {

namespace {

constexpr const char* kAliasPrefix = "rampart:";

Error Exists(std::string message) { return Error(ErrorKind::kExists, std::move(message), EEXIST); }

constexpr std::chrono::milliseconds kOvsTimeout{10000};

bool IsOvs(const NetworkSpec& spec) { return spec.kind == NetworkSpec::kOvs; }

Result<Ovs> ConnectOvs(const NetPaths& paths, const NetworkSpec& spec) {
  auto ovs = Ovs::Connect(paths.ovs_remote, kOvsTimeout);
  if (!ovs) return ovs.error().Wrap("network " + spec.name);
  return ovs;
}

// The interface with the gateway address: the Linux bridge, or the OVS
// bridge's internal port (made by ovs-vswitchd; it may take a moment).
Result<LinkInfo> WaitLink(Netlink& nl, const std::string& name, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto link = nl.GetLink(name);
    if (link || link.error().kind() != ErrorKind::kNotFound || std::chrono::steady_clock::now() >= deadline)
      return link;
    usleep(5000);
  }
}

// dnsmasq's DHCP pool: the upper half of the subnet's hosts, so that IPAM
// (which hands out the lowest free addresses) and dynamic leases of
// containers that run their own DHCP client without a reservation rarely
// meet; reserved containers get their IPAM address over DHCP anyway.
DnsmasqConfig DnsmasqFor(const NetworkSpec& spec, const std::string& run_dir) {
  DnsmasqConfig c;
  // RAMPART_DNSMASQ names the binary (tests point it at a missing one).
  if (const char* bin = getenv("RAMPART_DNSMASQ"); bin && *bin) c.binary = bin;
  c.network = spec.name;
  c.interface = spec.bridge;
  c.run_dir = run_dir;
  c.dns = spec.dns;
  c.domain = spec.dns ? spec.domain : "";
  if (spec.subnet && spec.gateway) {
    c.listen_address = spec.gateway->ToString();
    if (spec.dhcp) {
      const uint64_t hosts = spec.subnet->HostCount();
      auto first = spec.subnet->NthHost(hosts / 2);
      c.range_start = first ? first->ToString() : spec.subnet->FirstHost().ToString();
      c.range_end = spec.subnet->LastHost().ToString();
      c.netmask = spec.subnet->netmask().ToString();
    }
  }
  return c;
}

bool NeedsDnsmasq(const NetworkSpec& spec) { return spec.subnet && (spec.dhcp || spec.dns); }

NatConfig NatFor(const NetworkSpec& spec) {
  NatConfig n;
  n.network = spec.name;
  n.bridge = spec.bridge;
  n.subnet = spec.subnet ? spec.subnet->ToString() : "";
  n.gateway = spec.gateway ? spec.gateway->ToString() : "";
  n.masquerade = spec.nat;
  n.dns_dhcp_input = spec.dhcp || spec.dns;
  return n;
}

// A DNS label for a container name ('_' and '.' are fine in container names
// but not in a label): other characters become '-'.
std::string DnsLabel(const std::string& container) {
  std::string out;
  for (char c : container) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  while (!out.empty() && out.back() == '-') out.pop_back();
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  if (out.size() > 63) out.resize(63);
  return out;
}

Result<std::vector<PortForward>> ReadForwards(const std::string& path) {
  std::vector<PortForward> out;
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().err() == ENOENT) return out;
    return text.error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_array()) return Error::Invalid(path + ": not a JSON array of forwards");
  for (const auto& f : j) {
    if (!f.is_object()) return Error::Invalid(path + ": bad forward entry");
    PortForward p;
    p.container = f.value("container", "");
    p.proto = f.value("proto", "tcp");
    p.host_port = f.value("host_port", 0);
    p.container_port = f.value("container_port", 0);
    p.container_ip = f.value("container_ip", "");
    out.push_back(std::move(p));
  }
  return out;
}

Status WriteForwards(const std::string& path, const std::vector<PortForward>& forwards) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& f : forwards)
    j.push_back({{"container", f.container},
                 {"proto", f.proto},
                 {"host_port", f.host_port},
                 {"container_port", f.container_port},
                 {"container_ip", f.container_ip}});
  return WriteFileAtomic(path, j.dump(1) + "\n", 0644, Durability::kVolatile);
}

// The run dir must be searchable by dnsmasq's unprivileged user, which
// rereads the hosts files there on SIGHUP.
Status MakeRunDir(const std::string& dir) {
  RAMPART_TRY(MakeDirs(dir, 0755));
  if (chmod(dir.c_str(), 0755) != 0) return Error::FromErrno(errno, "chmod " + dir);
  return Ok();
}

}  // namespace

std::string BridgeAlias(const std::string& network) { return std::string(kAliasPrefix) + "network:" + network; }
std::string VethAlias(const std::string& network, const std::string& container) {
  return std::string(kAliasPrefix) + network + ":" + container;
}
std::string HostVethName(const std::string& network, const std::string& container) {
  return "vr" + Sha256Hex(network + "/" + container).substr(0, 10);
}

Result<std::vector<Ipv4Cidr>> RoutesInUse() {
  std::ifstream in("/proc/net/route");
  if (!in) return Error::FromErrno(errno, "open /proc/net/route");
  std::vector<Ipv4Cidr> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    if (!(ls >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
    // Little-endian hex of the network-order address.
    uint32_t d = static_cast<uint32_t>(std::stoul(dest, nullptr, 16));
    uint32_t m = static_cast<uint32_t>(std::stoul(mask, nullptr, 16));
    d = __builtin_bswap32(d);
    m = __builtin_bswap32(m);
    int prefix = __builtin_popcount(m);
    if (prefix == 0) continue;  // default route
    out.push_back(Ipv4Cidr::Containing(Ipv4Addr(d), prefix));
  }
  return out;
}

Result<NetworkSpec> NetworkManager::Get(const std::string& name) const {
  auto text = ReadFile(Dir(name) + "/network.json");
  if (!text) {
    if (text.error().err() == ENOENT) return Error::NotFound("no network named " + name);
    return text.error().Wrap("network " + name);
  }
  auto spec = NetworkSpecFromJson(*text);
  if (!spec) return spec.error().Wrap(Dir(name) + "/network.json");
  return spec;
}

std::vector<NetworkSpec> NetworkManager::List(std::vector<std::string>* errors) const {
  std::vector<NetworkSpec> out;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(paths_.state_dir, ec)) {
    if (e.is_directory(ec)) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto s = Get(n);
    if (s) {
      out.push_back(std::move(*s));
    } else if (errors && s.error().kind() != ErrorKind::kNotFound) {
      errors->push_back(s.error().message());
    }
  }
  return out;
}

Result<NetworkSpec> NetworkManager::Create(NetworkSpec spec) {
  FillNetworkDefaults(spec);
  RAMPART_TRY(ValidateNetworkSpec(spec));
  RAMPART_TRY(MakeDirs(paths_.state_dir, 0700));
  // One creator at a time: the overlap check and the claim are one step.
  RAMPART_ASSIGN_OR_RETURN(auto lock, FileLock::Acquire(paths_.state_dir + "/.create.lock"));
  RAMPART_ASSIGN_OR_RETURN(auto routes, RoutesInUse());
  std::vector<NetworkSpec> existing = List();
  if (std::any_of(existing.begin(), existing.end(), [&](const NetworkSpec& e) { return e.name == spec.name; }))
    return Exists("network " + spec.name + " already exists");
  // Routes of networks we already run are not clashes with the host.
  std::vector<Ipv4Cidr> host_routes;
  for (const auto& r : routes) {
    bool ours = std::any_of(existing.begin(), existing.end(),
                            [&](const NetworkSpec& e) { return e.subnet && *e.subnet == r; });
    if (!ours) host_routes.push_back(r);
  }
  RAMPART_TRY(CheckNoOverlap(spec, existing, host_routes));
  {
    RAMPART_ASSIGN_OR_RETURN(auto nl, Netlink::Open());
    auto link = nl.GetLink(spec.bridge);
    if (link && link->alias != BridgeAlias(spec.name))
      return Exists("network " + spec.name + ": interface " + spec.bridge + " already exists and is not rampart's");
  }
  const std::string dir = Dir(spec.name);
  if (mkdir(dir.c_str(), 0700) != 0) return Error::FromErrno(errno, "mkdir " + dir);
  auto undo = [&](const Error& e) -> Error {
    Error out = e;
    if (auto st = Remove(spec.name); !st) out = out.WithCleanupFailure(st.error());
    std::filesystem::remove_all(dir);
    return out;
  };
  if (auto st = WriteFileAtomic(dir + "/network.json", NetworkSpecToJson(spec), 0600); !st) return undo(st.error());
  if (auto st = EnsureUp(spec); !st) return undo(st.error());
  return spec;
}

Result<NetworkSpec> NetworkManager::EnsureDefault() {
  auto got = Get(kDefaultNetwork);
  if (got || got.error().kind() != ErrorKind::kNotFound) return got;
  std::vector<Ipv4Cidr> used;
  RAMPART_ASSIGN_OR_RETURN(auto routes, RoutesInUse());
  used = routes;
  for (const auto& n : List())
    if (n.subnet) used.push_back(*n.subnet);
  RAMPART_ASSIGN_OR_RETURN(auto spec, DefaultNetworkSpec(used));
  auto made = Create(spec);
  if (!made && made.error().kind() == ErrorKind::kExists) return Get(kDefaultNetwork);  // a concurrent first use
  return made;
}

Status NetworkManager::EnsureUp(const NetworkSpec& spec) {
  RAMPART_ASSIGN_OR_RETURN(auto nl, Netlink::Open());
  auto link = nl.GetLink(spec.bridge);
  if (IsOvs(spec)) {
    // OVSDB is the truth: the bridge (ours by its external_ids) is made or
    // kept there; its internal port is the interface with the gateway.
    if (link && link->alias != BridgeAlias(spec.name) && link->kind != "openvswitch" && link->kind != "tun")
      return Exists("network " + spec.name + ": interface " + spec.bridge + " exists and is not rampart's");
    RAMPART_ASSIGN_OR_RETURN(auto ovs, ConnectOvs(paths_, spec));
    if (auto st = ovs.EnsureBridge(spec.ovs_bridge, spec.datapath,
                                   {{kOvsOwnerKey, paths_.owner}, {kOvsNetworkKey, spec.name}});
        !st)
      return st.error().Wrap("network " + spec.name);
    auto l = WaitLink(nl, spec.bridge, kOvsTimeout);
    if (!l) return l.error().Wrap("network " + spec.name + ": the OVS bridge's interface");
    if (l->alias != BridgeAlias(spec.name)) {
      RAMPART_TRY(nl.SetAlias(spec.bridge, BridgeAlias(spec.name)));
    }
    if (spec.subnet && spec.gateway) {
      auto st = nl.AddAddress(spec.bridge, spec.gateway->ToString() + "/" + std::to_string(spec.subnet->prefix()));
      if (!st && st.error().kind() != ErrorKind::kExists) return st;
    }
    if (!l->up) {
      RAMPART_TRY(nl.SetUp(spec.bridge));
    }
  } else if (!link) {
    if (link.error().kind() != ErrorKind::kNotFound) return link.error();
    BridgeOptions bo;
    bo.mtu = spec.mtu;
    bo.alias = BridgeAlias(spec.name);
    bo.vlan_filtering = spec.vlan != 0;
    RAMPART_TRY(nl.CreateBridge(spec.bridge, bo));
    if (spec.subnet && spec.gateway) {
      RAMPART_TRY(nl.AddAddress(spec.bridge, spec.gateway->ToString() + "/" + std::to_string(spec.subnet->prefix())));
    }
    if (spec.vlan != 0) {
      RAMPART_TRY(nl.SetBridgePortVlan(spec.bridge, spec.vlan));
    }
    RAMPART_TRY(nl.SetUp(spec.bridge));
  } else {
    if (link->alias != BridgeAlias(spec.name))
      return Exists("network " + spec.name + ": interface " + spec.bridge + " exists and is not rampart's");
    if (!link->up) {
      RAMPART_TRY(nl.SetUp(spec.bridge));
    }
  }
  if (spec.subnet && spec.nat) {
    RAMPART_TRY(EnableIpForwarding());
  }
  if (spec.subnet) {
    // Replacing a table with base chains costs a grace period at close
    // (~10 ms): only when ours is missing (changes go through SetForwards).
    RAMPART_ASSIGN_OR_RETURN(auto nft, Nft::Open());
    RAMPART_ASSIGN_OR_RETURN(auto tables, nft.ListOurTables());
    if (std::find(tables.begin(), tables.end(), NatTableName(spec.name)) == tables.end()) {
      RAMPART_TRY(ApplyNat(spec));
    }
  }
  if (NeedsDnsmasq(spec)) {
    RAMPART_TRY(MakeDirs(paths_.run_dir, 0711));
    // RUN/.networks and RUN itself: traversable (not listable) by dnsmasq's user.
    for (const std::string& d : {paths_.run_dir, paths_.run_dir.substr(0, paths_.run_dir.rfind('/'))}) {
      struct stat st {};
      if (d.empty() || stat(d.c_str(), &st) != 0) continue;
      if ((st.st_mode & 0011) != 0011 && chmod(d.c_str(), (st.st_mode & 07777) | 0011) != 0)
        return Error::FromErrno(errno, "chmod " + d);
    }
    RAMPART_TRY(MakeRunDir(RunDir(spec.name)));
    if (const std::string rc = ResolvConf(spec); !rc.empty()) {
      const std::string text = "# written by rampart for network " + spec.name + "\nnameserver " +
                               spec.gateway->ToString() + "\nsearch " + spec.domain + "\n";
      if (auto old = ReadFile(rc); !old || *old != text) {
        RAMPART_TRY(WriteFileAtomic(rc, text, 0644, Durability::kVolatile));
      }
    }
    RAMPART_TRY(UpdateHosts(spec));
    RAMPART_TRY(Dnsmasq::EnsureRunning(DnsmasqFor(spec, RunDir(spec.name))));
  }
  return Ok();
}


Status NetworkManager::ApplyNat(const NetworkSpec& spec) {
  RAMPART_ASSIGN_OR_RETURN(auto forwards, ReadForwards(RunDir(spec.name) + "/forwards.json"));
  RAMPART_ASSIGN_OR_RETURN(auto nft, Nft::Open());
  return nft.ApplyNetwork(NatFor(spec), forwards);
}

Status NetworkManager::UpdateHosts(const NetworkSpec& spec) {
  if (!NeedsDnsmasq(spec)) return Ok();
  RAMPART_ASSIGN_OR_RETURN(auto ipam, Ipam::Open(Dir(spec.name), spec));
  RAMPART_ASSIGN_OR_RETURN(auto leases, ipam.List());
  std::vector<Reservation> res;
  std::set<std::string> labels;
  for (const auto& l : leases) {
    std::string label = DnsLabel(l.container);
    if (label.empty() || !labels.insert(label).second) continue;  // no DNS name, still in IPAM
    res.push_back({label, l.mac, l.ip.ToString()});
  }
  RAMPART_TRY(MakeRunDir(RunDir(spec.name)));
  const DnsmasqConfig dc = DnsmasqFor(spec, RunDir(spec.name));
  // Unchanged (every start of a container that keeps its address): no
  // rewrite, no SIGHUP.
  const DnsmasqFiles files = DnsmasqFilesFor(dc);
  auto dhcp = ReadFile(files.dhcp_hosts), hosts = ReadFile(files.hosts);
  if (dhcp && hosts && *dhcp == FormatDhcpHosts(dc, res) && *hosts == FormatHosts(dc, res)) return Ok();
  return WriteHosts(dc, res);
}

Status NetworkManager::SetForwards(const NetworkSpec& spec, const std::string& container,
                                   const std::vector<PortForward>& forwards) {
  const std::string path = RunDir(spec.name) + "/forwards.json";
  RAMPART_TRY(MakeRunDir(RunDir(spec.name)));
  RAMPART_ASSIGN_OR_RETURN(auto all, ReadForwards(path));
  std::vector<PortForward> next;
  for (auto& f : all)
    if (f.container != container) next.push_back(std::move(f));
  for (const auto& f : forwards) next.push_back(f);
  if (spec.subnet) {
    RAMPART_ASSIGN_OR_RETURN(auto nft, Nft::Open());
    RAMPART_TRY(nft.ApplyNetwork(NatFor(spec), next));
  }
  return WriteForwards(path, next);
}

Result<NetworkSpec> NetworkManager::Prepare(const std::string& name) {
  NetworkSpec spec;
  if (name == kDefaultNetwork) {
    RAMPART_ASSIGN_OR_RETURN(spec, EnsureDefault());
  } else {
    RAMPART_ASSIGN_OR_RETURN(spec, Get(name));
  }
  RAMPART_ASSIGN_OR_RETURN(auto lock, FileLock::Acquire(Dir(spec.name) + "/network.lock"));
  RAMPART_TRY(EnsureUp(spec));
  return spec;
}

std::string NetworkManager::ResolvConf(const NetworkSpec& spec) const {
  if (!spec.dns || !spec.subnet || !spec.gateway) return "";
  return RunDir(spec.name) + "/resolv.conf";
}

Status NetworkManager::SetHostLink(const Endpoint& ep, bool up) {
  RAMPART_ASSIGN_OR_RETURN(auto nl, Netlink::Open());
  return nl.SetUp(ep.host_ifname, up);
}

Result<Endpoint> NetworkManager::Attach(const NetAttachment& a, const std::string& container, int netns_fd,
                                        bool default_route, const std::vector<std::string>& publish, bool host_up) {
  RAMPART_ASSIGN_OR_RETURN(auto spec, Get(a.network));
  RAMPART_ASSIGN_OR_RETURN(auto lock, FileLock::Acquire(Dir(spec.name) + "/network.lock"));
  Endpoint ep;
  ep.network = spec.name;
  ep.container = container;
  ep.ifname = a.ifname.empty() ? "eth0" : a.ifname;
  ep.host_ifname = HostVethName(spec.name, container);
  bool allocated = false;
  std::optional<Lease> had;
  std::optional<Ipam> ipam;
  if (spec.subnet) {
    RAMPART_ASSIGN_OR_RETURN(auto opened, Ipam::Open(Dir(spec.name), spec));
    ipam.emplace(std::move(opened));
    RAMPART_ASSIGN_OR_RETURN(had, ipam->Find(container));
    std::optional<Ipv4Addr> want_ip;
    if (!a.ip.empty()) {
      RAMPART_ASSIGN_OR_RETURN(auto ip, Ipv4Addr::Parse(a.ip, "--net " + a.network + ": ip"));
      want_ip = ip;
    }
    std::optional<std::string> want_mac;
    if (!a.mac.empty()) want_mac = a.mac;
    RAMPART_ASSIGN_OR_RETURN(auto lease, ipam->Allocate(container, want_ip, want_mac));
    allocated = !had.has_value();
    ep.ip = lease.ip.ToString();
    ep.prefix = spec.subnet->prefix();
    ep.mac = lease.mac;
    ep.gateway = spec.gateway ? spec.gateway->ToString() : "";
  } else {
    ep.mac = a.mac.empty() ? DeriveMac(spec.name, container) : a.mac;
  }
  for (const auto& p : publish) {
    RAMPART_ASSIGN_OR_RETURN(auto f, ParsePublish(p));
    f.container = container;
    f.container_ip = ep.ip;
    ep.forwards.push_back(std::move(f));
  }
  bool veth_made = false;
  auto undo = [&](const Error& e) -> Error {
    Error out = e;
    if (veth_made) {
      if (auto nl = Netlink::Open(); nl) (void)nl->DeleteLink(ep.host_ifname);
      if (IsOvs(spec)) {
        if (auto ovs = ConnectOvs(paths_, spec); ovs) (void)ovs->DeletePort(ep.host_ifname, true);
      }
    }
    if (!ep.forwards.empty()) (void)SetForwards(spec, container, {});
    if (allocated && ipam) {
      if (auto st = ipam->Release(container); !st) out = out.WithCleanupFailure(st.error());
      (void)UpdateHosts(spec);
    }
    return out;
  };
  if (allocated) {
    if (auto st = UpdateHosts(spec); !st) return undo(st.error());
  }
  {
    auto nl = Netlink::Open();
    if (!nl) return undo(nl.error());
    // A leftover of a crashed run of this container (ours by its tag).
    if (auto old = nl->GetLink(ep.host_ifname); old) {
      if (old->alias != VethAlias(spec.name, container))
        return undo(Exists("interface " + ep.host_ifname + " exists and is not rampart's"));
      (void)nl->DeleteLink(ep.host_ifname);
    }
    VethRequest req;
    req.host_name = ep.host_ifname;
    req.peer_name = ep.ifname;
    req.peer_netns_fd = netns_fd;
    req.peer_mac = ep.mac;
    req.mtu = spec.mtu;
    req.master = IsOvs(spec) ? "" : spec.bridge;
    req.alias = VethAlias(spec.name, container);
    req.host_up = host_up;
    if (auto st = nl->CreateVeth(req); !st) return undo(st.error());
    veth_made = true;
    if (IsOvs(spec)) {
      auto ovs = ConnectOvs(paths_, spec);
      if (!ovs) return undo(ovs.error());
      OvsPortRequest pr;
      pr.bridge = spec.ovs_bridge;
      pr.port = ep.host_ifname;
      pr.tag = a.vlan ? a.vlan : spec.vlan;
      pr.trunks = {};
      pr.external_ids = {{kOvsOwnerKey, paths_.owner}, {kOvsNetworkKey, spec.name}, {kOvsContainerKey, container}};
      auto ofport = ovs->AddPort(pr, kOvsTimeout);
      if (!ofport) return undo(ofport.error().Wrap("network " + spec.name));
      FaultPoint("net:ovs-port-added");  // tests: rampart killed mid-attach
    }
    // A container reaching its own published port: the DNAT'd packet goes
    // back out of the port it came in on.
    if (!ep.forwards.empty() && !IsOvs(spec)) {
      if (auto st = nl->SetHairpin(ep.host_ifname); !st) return undo(st.error());
    }
    if (!IsOvs(spec) && spec.vlan != 0) {
      if (auto st = nl->SetBridgePortVlan(ep.host_ifname, spec.vlan); !st) return undo(st.error());
    }
  }
  if (IsOvs(spec)) {
    if (auto st = DisableTxChecksum(netns_fd, ep.ifname); !st) return undo(st.error());
  }
  if (!ep.ip.empty()) {
    if (auto st = ConfigureContainerEnd(netns_fd, ep.ifname, ep.ip + "/" + std::to_string(ep.prefix),
                                        default_route ? ep.gateway : "");
        !st)
      return undo(st.error());
  }
  if (!ep.forwards.empty()) {
    if (auto st = SetForwards(spec, container, ep.forwards); !st) return undo(st.error());
  }
  return ep;
}

Result<Endpoint> NetworkManager::Describe(const NetAttachment& a, const std::string& container) const {
  RAMPART_ASSIGN_OR_RETURN(auto spec, Get(a.network));
  Endpoint ep;
  ep.network = spec.name;
  ep.container = container;
  ep.ifname = a.ifname.empty() ? "eth0" : a.ifname;
  ep.host_ifname = HostVethName(spec.name, container);
  if (!spec.subnet) {
    ep.mac = a.mac.empty() ? DeriveMac(spec.name, container) : a.mac;
    return ep;
  }
  RAMPART_ASSIGN_OR_RETURN(auto ipam, Ipam::Open(Dir(spec.name), spec));
  RAMPART_ASSIGN_OR_RETURN(auto lease, ipam.Find(container));
  if (!lease) return Error::NotFound("container " + container + " holds no address on network " + spec.name);
  ep.ip = lease->ip.ToString();
  ep.prefix = spec.subnet->prefix();
  ep.mac = lease->mac;
  ep.gateway = spec.gateway ? spec.gateway->ToString() : "";
  return ep;
}

Status NetworkManager::Detach(const std::string& network, const std::string& container, bool netns_gone) {
  Status result = Ok();
  // Deleting a veth costs the kernel a grace period (~15 ms); when the
  // container's namespace is gone the kernel removes the pair by itself.
  if (!netns_gone) {
    RAMPART_ASSIGN_OR_RETURN(auto nl, Netlink::Open());
    const std::string host = HostVethName(network, container);
    if (auto link = nl.GetLink(host); link && link->alias == VethAlias(network, container)) {
      if (auto st = nl.DeleteLink(host); !st && st.error().kind() != ErrorKind::kNotFound) result = st;
    }
  }
  auto spec = Get(network);
  if (!spec) return spec.error().kind() == ErrorKind::kNotFound ? result : spec.error();
  if (IsOvs(*spec)) {
    // The port row outlives the veth: remove it (only ours).
    auto ovs = ConnectOvs(paths_, *spec);
    if (!ovs) {
      if (result) result = ovs.error();
    } else if (auto st = ovs->DeletePort(HostVethName(network, container), true, /*wait_applied=*/!netns_gone);
               !st && st.error().kind() != ErrorKind::kNotFound && result) {
      result = st;
    }
  }
  auto forwards = ReadForwards(RunDir(network) + "/forwards.json");
  if (forwards && std::any_of(forwards->begin(), forwards->end(),
                              [&](const PortForward& f) { return f.container == container; })) {
    if (auto st = SetForwards(*spec, container, {}); !st && result) result = st;
  }
  return result;
}

Status NetworkManager::Release(const std::string& network, const std::string& container) {
  RAMPART_TRY(Detach(network, container, /*netns_gone=*/true));  // destroy: it does not run
  auto spec = Get(network);
  if (!spec) return spec.error().kind() == ErrorKind::kNotFound ? Ok() : Status(spec.error());
  if (!spec->subnet) return Ok();
  RAMPART_ASSIGN_OR_RETURN(auto lock, FileLock::Acquire(Dir(network) + "/network.lock"));
  RAMPART_ASSIGN_OR_RETURN(auto ipam, Ipam::Open(Dir(network), *spec));
  RAMPART_TRY(ipam.Release(container));
  return UpdateHosts(*spec);
}

Result<NetworkStatus> NetworkManager::Inspect(const std::string& name) const {
  NetworkStatus s;
  RAMPART_ASSIGN_OR_RETURN(s.spec, Get(name));
  if (auto nl = Netlink::Open(); nl) {
    auto link = nl->GetLink(s.spec.bridge);
    s.bridge_up = link && link->alias == BridgeAlias(name) && link->up;
  }
  if (NeedsDnsmasq(s.spec)) {
    auto pid = Dnsmasq::Running(DnsmasqFor(s.spec, RunDir(name)));
    if (pid && *pid) s.dnsmasq_pid = **pid;
  }
  if (auto nft = Nft::Open(); nft) {
    if (auto tables = nft->ListOurTables(); tables)
      s.nat_table = std::find(tables->begin(), tables->end(), NatTableName(name)) != tables->end();
  }
  if (s.spec.subnet) {
    RAMPART_ASSIGN_OR_RETURN(auto ipam, Ipam::Open(Dir(name), s.spec));
    RAMPART_ASSIGN_OR_RETURN(auto leases, ipam.List());
    for (const auto& l : leases) s.containers.push_back(l.container);
  }
  return s;
}

Status NetworkManager::Remove(const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto spec, Get(name));
  if (spec.subnet) {
    RAMPART_ASSIGN_OR_RETURN(auto ipam, Ipam::Open(Dir(name), spec));
    RAMPART_ASSIGN_OR_RETURN(auto leases, ipam.List());
    if (!leases.empty()) {
      std::string who;
      for (const auto& l : leases) who += (who.empty() ? "" : ", ") + l.container;
      return Exists("network " + name + " is in use by " + who);
    }
  }
  Status result = Ok();
  auto keep = [&](Status st) {
    if (!st && result) result = st;
  };
  if (NeedsDnsmasq(spec)) keep(Dnsmasq::Stop(DnsmasqFor(spec, RunDir(name))));
  if (auto nft = Nft::Open(); nft) {
    keep(nft->RemoveNetwork(name));
  } else {
    keep(nft.error());
  }
  if (IsOvs(spec)) {
    auto ovs = ConnectOvs(paths_, spec);
    if (!ovs) {
      keep(ovs.error());
    } else if (auto st = ovs->DeleteBridge(spec.ovs_bridge); !st && st.error().kind() != ErrorKind::kNotFound) {
      keep(st);
    }
  } else if (auto nl = Netlink::Open(); nl) {
    if (auto link = nl->GetLink(spec.bridge); link && link->alias == BridgeAlias(name)) keep(nl->DeleteLink(spec.bridge));
  } else {
    keep(nl.error());
  }
  if (!result) return result;
  std::error_code ec;
  std::filesystem::remove_all(RunDir(name), ec);
  std::filesystem::remove_all(Dir(name), ec);
  if (ec) return Error::FromErrno(ec.value(), "remove " + Dir(name));
  return Ok();
}

Result<std::vector<NetPortRow>> NetworkManager::Ports(const std::string& name) {
  RAMPART_ASSIGN_OR_RETURN(auto spec, Get(name));
  if (!IsOvs(spec)) return Error::Invalid("network " + name + " is not an OVS network (net ports shows OVS ports)");
  RAMPART_ASSIGN_OR_RETURN(auto ovs, ConnectOvs(paths_, spec));
  RAMPART_ASSIGN_OR_RETURN(auto ports, ovs.ListPorts(spec.ovs_bridge));
  std::vector<NetPortRow> rows;
  for (const auto& p : ports) {
    auto net = p.external_ids.find(kOvsNetworkKey);
    if (net == p.external_ids.end() || net->second != name) continue;
    auto c = p.external_ids.find(kOvsContainerKey);
    rows.push_back({c == p.external_ids.end() ? "" : c->second, p.name, p.ofport, p.tag, p.error});
  }
  return rows;
}

Result<NetGcReport> NetworkManager::Gc(const std::vector<std::string>& running) {
  NetGcReport report;
  std::set<std::string> live(running.begin(), running.end());
  std::set<std::string> networks;
  for (const auto& n : List()) networks.insert(n.name);
  // OVS ports of ours (owner tag) whose container is not running; a port
  // without our tag is never touched, whatever its name.
  for (const auto& n : List()) {
    if (!IsOvs(n)) continue;
    auto ovs = ConnectOvs(paths_, n);
    if (!ovs) continue;  // no ovsdb-server: nothing to collect there now
    auto ours = ovs->ListOurPorts(paths_.owner);
    if (!ours) continue;
    for (const auto& p : *ours) {
      auto c = p.external_ids.find(kOvsContainerKey);
      auto net = p.external_ids.find(kOvsNetworkKey);
      if (net == p.external_ids.end() || net->second != n.name) continue;
      if (c != p.external_ids.end() && live.count(c->second)) continue;
      if (ovs->DeletePort(p.name, true)) report.removed.push_back("ovs port " + p.name + " on " + n.name);
    }
  }
  RAMPART_ASSIGN_OR_RETURN(auto nl, Netlink::Open());
  RAMPART_ASSIGN_OR_RETURN(auto links, nl.ListLinks());
  for (const auto& l : links) {
    if (l.kind != "veth" || !l.alias.starts_with(kAliasPrefix) || l.alias.starts_with(BridgeAlias(""))) continue;
    // "rampart:NET:CONTAINER"
    const std::string rest = l.alias.substr(std::string(kAliasPrefix).size());
    const size_t colon = rest.find(':');
    if (colon == std::string::npos) continue;
    const std::string net = rest.substr(0, colon), container = rest.substr(colon + 1);
    if (l.name != HostVethName(net, container)) continue;  // not named by us: leave it
    if (live.count(container) && networks.count(net)) continue;
    if (nl.DeleteLink(l.name)) report.removed.push_back("veth " + l.name + " (" + container + " on " + net + ")");
    if (networks.count(net)) {
      if (auto spec = Get(net); spec) (void)SetForwards(*spec, container, {});
    }
  }
  // Port forwards of containers that are not running (a monitor killed
  // before it could tear down).
  for (const auto& n : List()) {
    auto forwards = ReadForwards(RunDir(n.name) + "/forwards.json");
    if (!forwards) continue;
    std::set<std::string> stale;
    for (const auto& f : *forwards)
      if (!live.count(f.container)) stale.insert(f.container);
    for (const auto& c : stale)
      if (SetForwards(n, c, {})) report.removed.push_back("port forwards of " + c + " on " + n.name);
  }
  if (auto nft = Nft::Open(); nft) {
    if (auto tables = nft->ListOurTables(); tables) {
      for (const auto& t : *tables) {
        auto net = NetworkFromNatTable(t);
        if (net && !networks.count(*net) && nft->RemoveNetwork(*net)) report.removed.push_back("nft table " + t);
      }
    }
  }
  return report;
}

}  // namespace rampart::net
