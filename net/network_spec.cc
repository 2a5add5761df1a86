#include "net/network_spec.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>

namespace rampart::net {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxIfNameLen = 15;  // IFNAMSIZ - 1
constexpr int kMinSubnetPrefix = 8;
constexpr int kMaxSubnetPrefix = 30;  // a gateway and at least one container

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Why `name` is not a valid interface-like name, or "" if it is.
std::string IfNameProblem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxIfNameLen)
    return "is longer than " + std::to_string(kMaxIfNameLen) + " characters";
  if (!IsAlnum(name[0])) return "must start with a letter or digit";
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-')
      return "may only hold letters, digits, '_', '.' and '-'";
  }
  return "";
}

// Why `domain` is not a valid DNS domain, or "" if it is.
std::string DomainProblem(const std::string& domain) {
  if (domain.empty()) return "is empty";
  if (domain.size() > 253) return "is longer than 253 characters";
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string label =
        domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty()) return "has an empty label";
    if (label.size() > 63) return "has a label longer than 63 characters";
    for (char c : label) {
      if (!IsAlnum(c) && c != '-' && c != '_')
        return "may only hold letters, digits, '-', '_' and dots between labels";
    }
    if (label.front() == '-' || label.back() == '-')
      return "has a label that starts or ends with '-'";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return "";
}

// Ranges no network may use: "this network", loopback, multicast and the
// reserved block above it (with the limited broadcast address).
struct Reserved {
  Ipv4Cidr block;
  const char* what;
};
const Reserved* ReservedOverlap(const Ipv4Cidr& subnet) {
  static const Reserved kReserved[] = {
      {Ipv4Cidr::Containing(Ipv4Addr::FromOctets(0, 0, 0, 0), 8), "\"this network\" block"},
      {Ipv4Cidr::Containing(Ipv4Addr::FromOctets(127, 0, 0, 0), 8), "loopback block"},
      {Ipv4Cidr::Containing(Ipv4Addr::FromOctets(224, 0, 0, 0), 3), "multicast and reserved block"},
  };
  for (const auto& r : kReserved)
    if (r.block.Overlaps(subnet)) return &r;
  return nullptr;
}

Status ValidateSubnet(const NetworkSpec& spec, const std::string& ctx) {
  const Ipv4Cidr& subnet = *spec.subnet;
  const std::string s = "subnet " + subnet.ToString();
  if (subnet.prefix() < kMinSubnetPrefix || subnet.prefix() > kMaxSubnetPrefix)
    return Error::Invalid(ctx + s + ": prefix length must be " + std::to_string(kMinSubnetPrefix) +
                          "-" + std::to_string(kMaxSubnetPrefix) + " for a network");
  if (const Reserved* r = ReservedOverlap(subnet))
    return Error::Invalid(ctx + s + ": overlaps the " + r->what + " " + r->block.ToString());
  if (spec.gateway) {
    const Ipv4Addr gw = *spec.gateway;
    const std::string g = "gateway " + gw.ToString();
    if (!subnet.Contains(gw)) return Error::Invalid(ctx + g + " is outside " + s);
    if (gw == subnet.network()) return Error::Invalid(ctx + g + " is the network address of " + s);
    if (gw == subnet.broadcast())
      return Error::Invalid(ctx + g + " is the broadcast address of " + s);
  }
  return Ok();
}

Status ValidateOvsFields(const NetworkSpec& spec, const std::string& ctx) {
  if (spec.kind != NetworkSpec::kOvs) {
    if (!spec.ovs_bridge.empty())
      return Error::Invalid(ctx + "ovs_bridge is only for ovs networks");
    if (!spec.datapath.empty()) return Error::Invalid(ctx + "datapath is only for ovs networks");
    if (!spec.trunks.empty()) return Error::Invalid(ctx + "trunks are only for ovs networks");
    return Ok();
  }
  if (!spec.ovs_bridge.empty()) {
    std::string why = IfNameProblem(spec.ovs_bridge);
    if (!why.empty()) return Error::Invalid(ctx + "ovs_bridge '" + spec.ovs_bridge + "' " + why);
  }
  if (!spec.datapath.empty() && spec.datapath != "system" && spec.datapath != "netdev")
    return Error::Invalid(ctx + "datapath '" + spec.datapath + "' must be system or netdev");
  std::set<int> seen;
  for (int t : spec.trunks) {
    if (t < 1 || t > 4094)
      return Error::Invalid(ctx + "trunk vlan " + std::to_string(t) + " is out of range 1-4094");
    if (!seen.insert(t).second)
      return Error::Invalid(ctx + "trunk vlan " + std::to_string(t) + " is listed twice");
  }
  return Ok();
}

// --- JSON fields -----------------------------------------------------------

Result<std::string> StringField(const Json& v) {
  if (!v.is_string()) return Error::Invalid("expected a string");
  return v.get<std::string>();
}

Result<bool> BoolField(const Json& v) {
  if (!v.is_boolean()) return Error::Invalid("expected true or false");
  return v.get<bool>();
}

Result<int64_t> IntField(const Json& v, int64_t min, int64_t max) {
  if (!v.is_number_integer()) return Error::Invalid("expected an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return Error::Invalid("out of range " + std::to_string(min) + "-" + std::to_string(max));
  int64_t n = v.get<int64_t>();
  if (n < min || n > max)
    return Error::Invalid(std::to_string(n) + " is out of range " + std::to_string(min) + "-" +
                          std::to_string(max));
  return n;
}

// Parses one member of the JSON object into `spec`.
Status ParseField(const std::string& key, const Json& v, NetworkSpec& spec) {
  auto str = [&](std::string& out) -> Status {
    RAMPART_ASSIGN_OR_RETURN(out, StringField(v));
    return Ok();
  };
  auto boolean = [&](bool& out) -> Status {
    RAMPART_ASSIGN_OR_RETURN(out, BoolField(v));
    return Ok();
  };
  if (key == "name") return str(spec.name);
  if (key == "bridge") return str(spec.bridge);
  if (key == "domain") return str(spec.domain);
  if (key == "ovs_bridge") return str(spec.ovs_bridge);
  if (key == "datapath") return str(spec.datapath);
  if (key == "dhcp") return boolean(spec.dhcp);
  if (key == "dns") return boolean(spec.dns);
  if (key == "nat") return boolean(spec.nat);
  if (key == "kind") {
    RAMPART_ASSIGN_OR_RETURN(std::string text, StringField(v));
    RAMPART_ASSIGN_OR_RETURN(spec.kind, ParseNetworkKind(text));
    return Ok();
  }
  if (key == "subnet") {
    if (v.is_null()) {
      spec.subnet.reset();
      return Ok();
    }
    RAMPART_ASSIGN_OR_RETURN(std::string text, StringField(v));
    RAMPART_ASSIGN_OR_RETURN(spec.subnet, Ipv4Cidr::Parse(text, ""));
    return Ok();
  }
  if (key == "gateway") {
    if (v.is_null()) {
      spec.gateway.reset();
      return Ok();
    }
    RAMPART_ASSIGN_OR_RETURN(std::string text, StringField(v));
    RAMPART_ASSIGN_OR_RETURN(spec.gateway, Ipv4Addr::Parse(text, ""));
    return Ok();
  }
  if (key == "mtu") {
    RAMPART_ASSIGN_OR_RETURN(int64_t n, IntField(v, 0, 65535));
    spec.mtu = static_cast<unsigned>(n);
    return Ok();
  }
  if (key == "vlan") {
    RAMPART_ASSIGN_OR_RETURN(int64_t n, IntField(v, 0, 4094));
    spec.vlan = static_cast<int>(n);
    return Ok();
  }
  if (key == "trunks") {
    if (!v.is_array()) return Error::Invalid("expected an array of vlan ids");
    spec.trunks.clear();
    for (const auto& item : v) {
      RAMPART_ASSIGN_OR_RETURN(int64_t n, IntField(item, 1, 4094));
      spec.trunks.push_back(static_cast<int>(n));
    }
    return Ok();
  }
  return Error::Invalid("unknown field");
}

}  // namespace

const char* NetworkKindName(NetworkSpec::Kind kind) {
  return kind == NetworkSpec::kOvs ? "ovs" : "bridge";
}

Result<NetworkSpec::Kind> ParseNetworkKind(std::string_view text) {
  if (text == "bridge") return NetworkSpec::kBridge;
  if (text == "ovs") return NetworkSpec::kOvs;
  return Error::Invalid("unknown network kind '" + std::string(text) +
                        "' (expected bridge or ovs)");
}

void FillNetworkDefaults(NetworkSpec& spec) {
  if (spec.bridge.empty()) spec.bridge = spec.name;
  if (spec.subnet && !spec.gateway && spec.subnet->HostCount() > 0)
    spec.gateway = spec.subnet->FirstHost();
  if (spec.domain.empty()) spec.domain = spec.name;
  if (spec.kind == NetworkSpec::kOvs) {
    if (spec.ovs_bridge.empty()) spec.ovs_bridge = spec.bridge;
    if (spec.datapath.empty()) spec.datapath = "system";
  }
}

Status ValidateNetworkSpec(const NetworkSpec& spec) {
  std::string why = IfNameProblem(spec.name);
  if (!why.empty()) return Error::Invalid("network name '" + spec.name + "' " + why);
  const std::string ctx = "network " + spec.name + ": ";

  if (!spec.bridge.empty()) {
    why = IfNameProblem(spec.bridge);
    if (!why.empty()) return Error::Invalid(ctx + "bridge name '" + spec.bridge + "' " + why);
  }
  if (spec.subnet) {
    RAMPART_TRY(ValidateSubnet(spec, ctx));
  } else {
    if (spec.gateway)
      return Error::Invalid(ctx + "gateway " + spec.gateway->ToString() + " needs a subnet");
    if (spec.dhcp) return Error::Invalid(ctx + "dhcp needs a subnet");
    if (spec.dns) return Error::Invalid(ctx + "dns needs a subnet");
    if (spec.nat) return Error::Invalid(ctx + "nat needs a subnet");
  }
  if (!spec.domain.empty() || spec.dns) {
    const std::string& domain = spec.domain.empty() ? spec.name : spec.domain;
    why = DomainProblem(domain);
    if (!why.empty()) {
      return Error::Invalid(
          ctx + "domain '" + domain + "' " + why +
          (spec.domain.empty() ? " (it defaults to the network name; set one)" : ""));
    }
  }
  if (spec.mtu != 0 && (spec.mtu < 68 || spec.mtu > 65535))
    return Error::Invalid(ctx + "mtu " + std::to_string(spec.mtu) +
                          " is out of range 68-65535 (or 0 for the default)");
  if (spec.vlan < 0 || spec.vlan > 4094)
    return Error::Invalid(ctx + "vlan " + std::to_string(spec.vlan) +
                          " is out of range 1-4094 (or 0 for none)");
  return ValidateOvsFields(spec, ctx);
}

std::string NetworkSpecToJson(const NetworkSpec& input) {
  NetworkSpec spec = input;
  FillNetworkDefaults(spec);
  Json j;
  j["name"] = spec.name;
  j["kind"] = NetworkKindName(spec.kind);
  j["bridge"] = spec.bridge;
  j["subnet"] = spec.subnet ? Json(spec.subnet->ToString()) : Json(nullptr);
  j["gateway"] = spec.gateway ? Json(spec.gateway->ToString()) : Json(nullptr);
  j["dhcp"] = spec.dhcp;
  j["dns"] = spec.dns;
  j["nat"] = spec.nat;
  j["domain"] = spec.domain;
  j["mtu"] = spec.mtu;
  j["vlan"] = spec.vlan;
  if (spec.kind == NetworkSpec::kOvs) {
    j["ovs_bridge"] = spec.ovs_bridge;
    j["datapath"] = spec.datapath;
    j["trunks"] = spec.trunks;
  }
  return j.dump(2) + "\n";
}

Result<NetworkSpec> NetworkSpecFromJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Invalid("network: not valid JSON");
  if (!j.is_object()) return Error::Invalid("network: not a JSON object");
  NetworkSpec spec;
  auto name = j.find("name");
  if (name == j.end()) return Error::Invalid("network: field name: missing");
  auto name_text = StringField(*name);
  if (!name_text) return name_text.error().Wrap("network: field name");
  spec.name = *name_text;
  const std::string ctx = "network " + spec.name + ": field ";
  for (auto it = j.begin(); it != j.end(); ++it) {
    Status st = ParseField(it.key(), it.value(), spec);
    if (!st) return st.error().Wrap(ctx + it.key());
  }
  FillNetworkDefaults(spec);
  RAMPART_TRY(ValidateNetworkSpec(spec));
  return spec;
}

Result<NetworkSpec> DefaultNetworkSpec(const std::vector<Ipv4Cidr>& routes_in_use) {
  // The routes as address intervals, sorted by start, each extended to the
  // /24s it touches; default routes are left out.
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (const Ipv4Cidr& r : routes_in_use) {
    if (r.prefix() == 0) continue;
    used.emplace_back(r.network().value() & ~uint64_t{255}, uint64_t{r.broadcast().value()} | 255);
  }
  std::sort(used.begin(), used.end());
  struct Range {
    uint64_t first, last;  // network addresses of the first and last /24
  };
  const Range kRanges[] = {
      {Ipv4Addr::FromOctets(10, 0, 3, 0).value(), Ipv4Addr::FromOctets(10, 255, 255, 0).value()},
      {Ipv4Addr::FromOctets(172, 16, 0, 0).value(), Ipv4Addr::FromOctets(172, 31, 255, 0).value()},
  };
  for (const Range& range : kRanges) {
    uint64_t v = range.first;
    // Walk the sorted intervals once: each one that covers v moves v past it.
    for (const auto& [start, end] : used) {
      if (v > range.last) break;
      if (start > v) break;  // sorted: no later interval starts at or before v
      if (end >= v) v = end + 1;
    }
    if (v <= range.last) {
      NetworkSpec spec;
      spec.name = "rampart0";
      spec.kind = NetworkSpec::kBridge;
      spec.subnet = Ipv4Cidr::Containing(Ipv4Addr(static_cast<uint32_t>(v)), 24);
      FillNetworkDefaults(spec);
      return spec;
    }
  }
  return Error(ErrorKind::kExists,
               "no free /24 for the default network: 10.0.3.0-10.255.255.0 and "
               "172.16.0.0-172.31.255.0 all overlap routes in use");
}

Status CheckNoOverlap(const NetworkSpec& input, const std::vector<NetworkSpec>& existing,
                      const std::vector<Ipv4Cidr>& host_routes) {
  NetworkSpec spec = input;
  FillNetworkDefaults(spec);
  for (const NetworkSpec& raw : existing) {
    if (raw.name == spec.name) continue;
    NetworkSpec other = raw;
    FillNetworkDefaults(other);
    if (other.bridge == spec.bridge)
      return Error(ErrorKind::kExists,
                   "bridge " + spec.bridge + " is already used by network " + other.name, EEXIST);
    if (spec.subnet && other.subnet && spec.subnet->Overlaps(*other.subnet))
      return Error(ErrorKind::kExists,
                   "subnet " + spec.subnet->ToString() + " overlaps network " + other.name + " (" +
                       other.subnet->ToString() + ")",
                   EEXIST);
  }
  if (!spec.subnet) return Ok();
  for (const Ipv4Cidr& route : host_routes) {
    if (route.prefix() == 0 || !route.Overlaps(*spec.subnet)) continue;
    return Error(ErrorKind::kExists,
                 "subnet " + spec.subnet->ToString() + " overlaps host route " + route.ToString(),
                 EEXIST);
  }
  return Ok();
}

}  // namespace rampart::net
