#include "net/attachment.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>


namespace rampart::net {

namespace {

bool ValidNetworkName(const std::string& n) {
  if (n.empty() || n.size() > 15 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

bool ValidMac(const std::string& m) {
  if (m.size() != 17) return false;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i % 3 == 2) {
      if (m[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(m[i]))) {
      return false;
    }
  }
  const int first = std::stoi(m.substr(0, 2), nullptr, 16);
  return (first & 1) == 0 && m != "00:00:00:00:00:00";  // unicast, not zero
}

bool ValidIfname(const std::string& n) {
  if (n.empty() || n.size() > 15 || n == "." || n == ".." || n == "lo") return false;
  for (char c : n)
    if (c == '/' || c == ':' || c == ',' || c == '=' || std::isspace(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

Result<NetAttachment> ParseNetAttachment(const std::string& spec) {
  auto bad = [&](const std::string& what) { return Error::Invalid("--net " + spec + ": " + what); };
  NetAttachment a;
  const size_t colon = spec.find(':');
  a.network = spec.substr(0, colon);
  if (!ValidNetworkName(a.network))
    return bad("network name must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 15 characters");
  if (colon == std::string::npos) return a;
  const std::string opts = spec.substr(colon + 1);
  if (opts.empty()) return bad("expected KEY=VALUE options after ':'");
  std::set<std::string> seen;
  size_t pos = 0;
  while (pos <= opts.size()) {
    size_t comma = opts.find(',', pos);
    if (comma == std::string::npos) comma = opts.size();
    const std::string kv = opts.substr(pos, comma - pos);
    pos = comma + 1;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return bad("option '" + kv + "' is not KEY=VALUE");
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (!seen.insert(key).second) return bad(key + ": given twice");
    if (key == "ip") {
      in_addr addr{};
      if (inet_pton(AF_INET, value.c_str(), &addr) != 1) return bad("ip: '" + value + "' is not an IPv4 address");
      a.ip = value;
    } else if (key == "mac") {
      if (!ValidMac(value)) return bad("mac: '" + value + "' is not a unicast MAC (aa:bb:cc:dd:ee:ff)");
      a.mac = value;
      for (char& c : a.mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (key == "name") {
      if (!ValidIfname(value)) return bad("name: '" + value + "' is not a valid interface name");
      a.ifname = value;
    } else if (key == "vlan") {
      int v = 0;
      for (char c : value) v = (c >= '0' && c <= '9' && v < 10000) ? v * 10 + (c - '0') : 100000;
      if (value.empty() || v < 1 || v > 4094) return bad("vlan: '" + value + "' must be 1-4094");
      a.vlan = v;
    } else {
      return bad("unknown option '" + key + "' (ip, mac, name, vlan)");
    }
    if (comma == opts.size()) break;
  }
  return a;
}

Result<std::vector<NetAttachment>> ParseNetAttachments(const std::vector<std::string>& specs) {
  std::vector<NetAttachment> out;
  const bool has_none = std::find(specs.begin(), specs.end(), kNoNetwork) != specs.end();
  if (has_none) {
    if (specs.size() > 1) return Error::Invalid("--net none cannot be combined with other networks");
    return out;
  }
  std::set<std::string> networks, ifnames;
  for (const auto& s : specs) {
    RAMPART_ASSIGN_OR_RETURN(auto a, ParseNetAttachment(s));
    if (!networks.insert(a.network).second) return Error::Invalid("--net " + s + ": network " + a.network + " given twice");
    out.push_back(std::move(a));
  }
  for (const auto& a : out)
    if (!a.ifname.empty() && !ifnames.insert(a.ifname).second)
      return Error::Invalid("--net: interface name " + a.ifname + " used twice");
  int next = 0;
  for (auto& a : out) {
    if (!a.ifname.empty()) continue;
    while (ifnames.count("eth" + std::to_string(next))) ++next;
    a.ifname = "eth" + std::to_string(next++);
    ifnames.insert(a.ifname);
  }
  return out;
}

}  // namespace rampart::net
