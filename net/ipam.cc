#include "net/ipam.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>

#include "base/atomic_file.h"
#include "base/file_lock.h"
#include "base/sha256.h"

namespace rampart::net {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kStateVersion = 1;
// Derived MACs that collide are re-derived with "#1", "#2"... A collision
// among 40 hash bits is already rare; this bound is never reached in practice.
constexpr unsigned kMaxMacAttempts = 64;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Hex2(unsigned byte) {
  static const char kDigits[] = "0123456789abcdef";
  return {kDigits[(byte >> 4) & 0xf], kDigits[byte & 0xf]};
}

void SortByIp(std::vector<Lease>& leases) {
  std::sort(leases.begin(), leases.end(),
            [](const Lease& a, const Lease& b) { return a.ip < b.ip; });
}

}  // namespace

Result<std::string> ParseMac(std::string_view text) {
  const std::string subject = "mac " + std::string(text);
  if (text.size() != 17)
    return Error::Invalid(subject + ": expected 6 two-digit hex octets (02:00:00:00:00:01)");
  std::string out;
  unsigned first = 0;
  bool all_zero = true;
  for (size_t i = 0; i < 6; ++i) {
    int hi = HexValue(text[i * 3]);
    int lo = HexValue(text[i * 3 + 1]);
    if (hi < 0 || lo < 0)
      return Error::Invalid(subject + ": expected 6 two-digit hex octets (02:00:00:00:00:01)");
    if (i < 5) {
      char sep = text[i * 3 + 2];
      if (sep != ':' && sep != '-')
        return Error::Invalid(subject + ": octets must be separated by ':'");
      if (sep != text[2]) return Error::Invalid(subject + ": mixed separators");
    }
    unsigned byte = static_cast<unsigned>(hi * 16 + lo);
    if (i == 0) first = byte;
    if (byte != 0) all_zero = false;
    if (i > 0) out += ':';
    out += Hex2(byte);
  }
  if (first & 1) return Error::Invalid(subject + ": a multicast address cannot name a container");
  if (all_zero) return Error::Invalid(subject + ": the all-zero address is not valid");
  return out;
}

std::string DeriveMac(std::string_view network, std::string_view container, unsigned attempt) {
  std::string input = std::string(network) + "/" + std::string(container);
  if (attempt > 0) input += "#" + std::to_string(attempt);
  const std::string digest = Sha256Hex(input);
  std::string mac = "02";
  for (size_t i = 0; i < 5; ++i) mac += ":" + digest.substr(i * 2, 2);
  return mac;
}

Result<Ipam> Ipam::Open(std::string dir, std::string network, Ipv4Cidr subnet, Ipv4Addr gateway) {
  const std::string ctx = "ipam of network " + network + ": ";
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return Error::FromErrno(errno, ctx + "stat " + dir);
  if (!S_ISDIR(st.st_mode)) return Error::Invalid(ctx + dir + " is not a directory");
  if (network.empty()) return Error::Invalid("ipam: network name is empty");
  if (!subnet.Contains(gateway) || gateway < subnet.FirstHost() || gateway > subnet.LastHost())
    return Error::Invalid(ctx + "gateway " + gateway.ToString() + " is not a host address of " +
                          subnet.ToString());
  return Ipam(std::move(dir), std::move(network), subnet, gateway);
}

Result<Ipam> Ipam::Open(std::string dir, const NetworkSpec& input) {
  NetworkSpec spec = input;
  FillNetworkDefaults(spec);
  if (!spec.subnet || !spec.gateway)
    return Error::Invalid("network " + spec.name + " has no subnet: no addresses to manage");
  return Open(std::move(dir), spec.name, *spec.subnet, *spec.gateway);
}

std::string Ipam::PoolProblem(Ipv4Addr ip) const {
  const std::string s = subnet_.ToString();
  if (!subnet_.Contains(ip)) return "is outside subnet " + s;
  if (ip == gateway_) return "is the gateway of " + s;
  if (ip < subnet_.FirstHost()) return "is the network address of " + s;
  if (ip > subnet_.LastHost()) return "is the broadcast address of " + s;
  return "";
}

Result<std::vector<Lease>> Ipam::Load() const {
  const std::string path = state_path();
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().err() == ENOENT) return std::vector<Lease>();
    return text.error().Wrap("ipam of network " + network_);
  }
  const std::string ctx = "ipam " + path + ": corrupt: ";
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Invalid(ctx + "not valid JSON");
  if (!j.is_object()) return Error::Invalid(ctx + "not a JSON object");

  auto string_at = [&](const Json& obj, const char* key,
                       const std::string& where) -> Result<std::string> {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
      return Error::Invalid(ctx + where + "field " + key + ": missing or not a string");
    return it->get<std::string>();
  };

  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || *version != kStateVersion)
    return Error::Invalid(ctx + "field version: expected " + std::to_string(kStateVersion));
  RAMPART_ASSIGN_OR_RETURN(std::string network, string_at(j, "network", ""));
  RAMPART_ASSIGN_OR_RETURN(std::string subnet, string_at(j, "subnet", ""));
  RAMPART_ASSIGN_OR_RETURN(std::string gateway, string_at(j, "gateway", ""));
  // The file belongs to this network as configured now; leases of another
  // subnet would be handed out wrong, so a mismatch is an error too.
  if (network != network_ || subnet != subnet_.ToString() || gateway != gateway_.ToString())
    return Error::Invalid("ipam " + path + ": records network " + network + " " + subnet +
                          " gateway " + gateway + ", but network " + network_ + " is " +
                          subnet_.ToString() + " gateway " + gateway_.ToString());

  auto list = j.find("leases");
  if (list == j.end() || !list->is_array())
    return Error::Invalid(ctx + "field leases: missing or not an array");
  std::vector<Lease> leases;
  std::set<std::string> containers, macs;
  std::set<Ipv4Addr> ips;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string where = "lease " + std::to_string(i) + ": ";
    if (!item.is_object()) return Error::Invalid(ctx + where + "not a JSON object");
    Lease lease;
    RAMPART_ASSIGN_OR_RETURN(lease.container, string_at(item, "container", where));
    RAMPART_ASSIGN_OR_RETURN(std::string ip, string_at(item, "ip", where));
    RAMPART_ASSIGN_OR_RETURN(std::string mac, string_at(item, "mac", where));
    if (lease.container.empty()) return Error::Invalid(ctx + where + "field container: empty");
    auto addr = Ipv4Addr::Parse(ip, "");
    if (!addr) return addr.error().Wrap(ctx + where + "field ip");
    lease.ip = *addr;
    if (std::string why = PoolProblem(lease.ip); !why.empty())
      return Error::Invalid(ctx + where + "ip " + ip + " " + why);
    auto parsed_mac = ParseMac(mac);
    if (!parsed_mac) return parsed_mac.error().Wrap(ctx + where + "field mac");
    lease.mac = *parsed_mac;
    if (!containers.insert(lease.container).second)
      return Error::Invalid(ctx + where + "container " + lease.container + " has two leases");
    if (!ips.insert(lease.ip).second)
      return Error::Invalid(ctx + where + "ip " + ip + " is leased twice");
    if (!macs.insert(lease.mac).second)
      return Error::Invalid(ctx + where + "mac " + lease.mac + " is used twice");
    leases.push_back(std::move(lease));
  }
  SortByIp(leases);
  return leases;
}

Status Ipam::Store(const std::vector<Lease>& leases) const {
  Json list = Json::array();
  for (const Lease& l : leases)
    list.push_back({{"container", l.container}, {"ip", l.ip.ToString()}, {"mac", l.mac}});
  Json j;
  j["version"] = kStateVersion;
  j["network"] = network_;
  j["subnet"] = subnet_.ToString();
  j["gateway"] = gateway_.ToString();
  j["leases"] = std::move(list);
  Status st = WriteFileAtomic(state_path(), j.dump(2) + "\n", 0644, Durability::kDurable);
  if (!st) return st.error().Wrap("ipam of network " + network_);
  return Ok();
}

Result<Lease> Ipam::Allocate(const std::string& container, std::optional<Ipv4Addr> requested,
                             std::optional<std::string> requested_mac) {
  const std::string ctx = "network " + network_ + ": ";
  if (container.empty()) return Error::Invalid(ctx + "container name is empty");
  if (requested) {
    if (std::string why = PoolProblem(*requested); !why.empty())
      return Error::Invalid(ctx + "address " + requested->ToString() + " " + why);
  }
  if (requested_mac) {
    auto mac = ParseMac(*requested_mac);
    if (!mac) return mac.error().Wrap(ctx + "container " + container);
    requested_mac = *mac;
  }

  auto lock = FileLock::Acquire(lock_path());
  if (!lock) return lock.error().Wrap("ipam of network " + network_);
  RAMPART_ASSIGN_OR_RETURN(std::vector<Lease> leases, Load());

  std::set<Ipv4Addr> taken_ips;
  std::set<std::string> taken_macs;
  for (const Lease& l : leases) {
    if (l.container == container) {
      if (requested && *requested != l.ip)
        return Error(ErrorKind::kExists,
                     ctx + "container " + container + " already holds " + l.ip.ToString() +
                         " (requested " + requested->ToString() + ")",
                     EEXIST);
      if (requested_mac && *requested_mac != l.mac)
        return Error(ErrorKind::kExists,
                     ctx + "container " + container + " already has mac " + l.mac + " (requested " +
                         *requested_mac + ")",
                     EEXIST);
      return l;
    }
    taken_ips.insert(l.ip);
    taken_macs.insert(l.mac);
  }

  Lease lease;
  lease.container = container;
  if (requested) {
    for (const Lease& l : leases) {
      if (l.ip == *requested)
        return Error(ErrorKind::kExists,
                     ctx + "address " + requested->ToString() + " is already leased to container " +
                         l.container,
                     EADDRINUSE);
    }
    lease.ip = *requested;
  } else {
    // The lowest host that is neither the gateway nor leased.
    std::optional<Ipv4Addr> found;
    for (uint64_t v = subnet_.FirstHost().value(); v <= subnet_.LastHost().value(); ++v) {
      Ipv4Addr candidate(static_cast<uint32_t>(v));
      if (candidate != gateway_ && !taken_ips.contains(candidate)) {
        found = candidate;
        break;
      }
    }
    if (!found)
      return Error(ErrorKind::kExists,
                   ctx + "no free address left in " + subnet_.ToString() + " (" +
                       std::to_string(leases.size()) + " leased)",
                   ENOSPC);
    lease.ip = *found;
  }

  if (requested_mac) {
    for (const Lease& l : leases) {
      if (l.mac == *requested_mac)
        return Error(ErrorKind::kExists,
                     ctx + "mac " + *requested_mac + " is already used by container " + l.container,
                     EEXIST);
    }
    lease.mac = *requested_mac;
  } else {
    for (unsigned attempt = 0; attempt < kMaxMacAttempts && lease.mac.empty(); ++attempt) {
      std::string mac = DeriveMac(network_, container, attempt);
      if (!taken_macs.contains(mac)) lease.mac = std::move(mac);
    }
    if (lease.mac.empty())
      return Error::Internal(ctx + "could not derive a free mac for container " + container);
  }

  leases.push_back(lease);
  SortByIp(leases);
  RAMPART_TRY(Store(leases));
  return lease;
}

Status Ipam::Release(const std::string& container) {
  auto lock = FileLock::Acquire(lock_path());
  if (!lock) return lock.error().Wrap("ipam of network " + network_);
  RAMPART_ASSIGN_OR_RETURN(std::vector<Lease> leases, Load());
  auto it = std::find_if(leases.begin(), leases.end(),
                         [&](const Lease& l) { return l.container == container; });
  if (it == leases.end()) return Ok();
  leases.erase(it);
  return Store(leases);
}

Result<std::vector<Lease>> Ipam::List() const { return Load(); }

Result<std::optional<Lease>> Ipam::Find(const std::string& container) const {
  RAMPART_ASSIGN_OR_RETURN(std::vector<Lease> leases, Load());
  for (Lease& l : leases)
    if (l.container == container) return std::optional<Lease>(std::move(l));
  return std::optional<Lease>();
}

}  // namespace rampart::net
