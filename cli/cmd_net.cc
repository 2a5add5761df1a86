// rampart net create|ls|info|rm
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/command.h"
#include "net/network.h"
#include "net/ovs_daemon.h"
#include "runtime/networking.h"
#include "runtime/paths.h"

namespace rampart::cli {
namespace {

net::NetworkManager Manager(Context& ctx) {
  return net::NetworkManager(runtime::NetPathsOf(runtime::Paths::From(ctx.root_flag)));
}

Result<std::string> OneName(const ParsedArgs& a) {
  if (a.positional.size() != 1) return Error::Invalid("expected one network NAME (see --help)");
  return a.positional[0];
}

Result<unsigned> UnsignedOpt(const ParsedArgs& a, const std::string& name) {
  auto v = ParseUint64(a.Get(name));
  if (!v || *v > 65535) return Error::Invalid("--" + name + " " + a.Get(name) + ": not a number in range");
  return static_cast<unsigned>(*v);
}

nlohmann::json SpecJson(const net::NetworkSpec& s) {
  return nlohmann::json::parse(net::NetworkSpecToJson(s));
}

std::string Onoff(bool b) { return b ? "on" : "off"; }

Result<int> Create(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, OneName(a));
  net::NetworkSpec spec;
  spec.name = name;
  if (a.Has("ovs")) spec.kind = net::NetworkSpec::kOvs;
  if (a.Has("ovs-bridge")) spec.ovs_bridge = a.Get("ovs-bridge");
  if (a.Has("datapath")) spec.datapath = a.Get("datapath");
  if (spec.kind == net::NetworkSpec::kOvs && !spec.ovs_bridge.empty() && spec.bridge.empty())
    spec.bridge = spec.ovs_bridge;  // its internal port carries the gateway
  if (a.Has("bridge-name")) spec.bridge = a.Get("bridge-name");
  if (a.Has("subnet")) {
    RAMPART_ASSIGN_OR_RETURN(auto sn, net::Ipv4Cidr::Parse(a.Get("subnet"), "--subnet"));
    spec.subnet = sn;
  }
  if (a.Has("gateway")) {
    RAMPART_ASSIGN_OR_RETURN(auto gw, net::Ipv4Addr::Parse(a.Get("gateway"), "--gateway"));
    spec.gateway = gw;
  }
  if (!spec.subnet && (a.Has("dhcp") || a.Has("dns") || a.Has("nat")))
    return Error::Invalid("--dhcp, --dns and --nat need --subnet");
  if (!spec.subnet) spec.dhcp = spec.dns = spec.nat = false;
  if (a.Has("no-dhcp")) spec.dhcp = false;
  if (a.Has("no-dns")) spec.dns = false;
  if (a.Has("no-nat")) spec.nat = false;
  if (a.Has("domain")) spec.domain = a.Get("domain");
  if (a.Has("mtu")) {
    RAMPART_ASSIGN_OR_RETURN(spec.mtu, UnsignedOpt(a, "mtu"));
  }
  if (a.Has("vlan")) {
    RAMPART_ASSIGN_OR_RETURN(auto v, UnsignedOpt(a, "vlan"));
    spec.vlan = static_cast<int>(v);
  }
  if (a.Has("trunks")) {
    for (const auto& t : Split(a.Get("trunks"), ',')) {
      auto v = ParseUint64(t);
      if (!v || *v > 4094) return Error::Invalid("--trunks " + a.Get("trunks") + ": '" + t + "' is not a VLAN id");
      spec.trunks.push_back(static_cast<int>(*v));
    }
  }
  RAMPART_ASSIGN_OR_RETURN(auto made, Manager(ctx).Create(spec));
  Emit(ctx.format, SpecJson(made),
       "created network " + made.name + " (bridge " + made.bridge +
           (made.subnet ? ", " + made.subnet->ToString() + " via " + made.gateway->ToString() : "") + ")\n");
  return 0;
}

Result<int> Ls(Context& ctx, const ParsedArgs&) {
  auto m = Manager(ctx);
  std::vector<std::string> errors;
  auto nets = m.List(&errors);
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "BRIDGE", "SUBNET", "GATEWAY", "DHCP", "DNS", "NAT", "STATE", "CONTAINERS"}};
  for (const auto& n : nets) {
    auto st = m.Inspect(n.name);
    std::string state = st ? (st->bridge_up ? "up" : "down") : "error";
    size_t count = st ? st->containers.size() : 0;
    rows.push_back({n.name, net::NetworkKindName(n.kind), n.bridge, n.subnet ? n.subnet->ToString() : "-",
                    n.gateway ? n.gateway->ToString() : "-", Onoff(n.dhcp), Onoff(n.dns), Onoff(n.nat), state,
                    std::to_string(count)});
    auto e = SpecJson(n);
    e["state"] = state;
    e["containers"] = count;
    j.push_back(e);
  }
  for (const auto& e : errors) ctx.log.Error(e);
  Emit(ctx.format, j, FormatTable(rows));
  return errors.empty() ? 0 : 1;
}

Result<int> Info(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, OneName(a));
  RAMPART_ASSIGN_OR_RETURN(auto st, Manager(ctx).Inspect(name));
  auto j = SpecJson(st.spec);
  j["bridge_up"] = st.bridge_up;
  j["nat_table"] = st.nat_table;
  j["dnsmasq_pid"] = st.dnsmasq_pid ? nlohmann::json(*st.dnsmasq_pid) : nlohmann::json(nullptr);
  j["containers"] = st.containers;
  std::string human = "name:       " + st.spec.name + "\nkind:       " + net::NetworkKindName(st.spec.kind) +
                      "\nbridge:     " + st.spec.bridge + (st.bridge_up ? " (up)" : " (missing or down)") +
                      "\nsubnet:     " + (st.spec.subnet ? st.spec.subnet->ToString() : "-") +
                      "\ngateway:    " + (st.spec.gateway ? st.spec.gateway->ToString() : "-") +
                      "\ndhcp:       " + Onoff(st.spec.dhcp) + "\ndns:        " + Onoff(st.spec.dns) +
                      (st.spec.dns ? " (domain " + st.spec.domain + ")" : "") + "\nnat:        " +
                      Onoff(st.spec.nat) + (st.nat_table ? " (table loaded)" : "") + "\ndnsmasq:    " +
                      (st.dnsmasq_pid ? "pid " + std::to_string(*st.dnsmasq_pid) : "not running") +
                      "\ncontainers: " + (st.containers.empty() ? "-" : Join(st.containers, ", ")) + "\n";
  Emit(ctx.format, j, human);
  return 0;
}

Result<int> Ports(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, OneName(a));
  RAMPART_ASSIGN_OR_RETURN(auto rows, Manager(ctx).Ports(name));
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> t = {{"CONTAINER", "PORT", "OFPORT", "VLAN", "ERROR"}};
  for (const auto& r : rows) {
    j.push_back({{"container", r.container}, {"port", r.port}, {"ofport", r.ofport}, {"vlan", r.tag}, {"error", r.error}});
    t.push_back({r.container, r.port, std::to_string(r.ofport), r.tag ? std::to_string(r.tag) : "-",
                 r.error.empty() ? "-" : r.error});
  }
  Emit(ctx.format, j, FormatTable(t));
  return 0;
}

net::OvsDaemonConfig OvsConfig(Context& ctx, const ParsedArgs& a) {
  net::OvsDaemonConfig c;
  c.run_dir = a.Has("rundir") ? a.Get("rundir") : runtime::Paths::From(ctx.root_flag).OvsRunDir();
  return c;
}

Result<int> OvsStart(Context& ctx, const ParsedArgs& a) {
  auto c = OvsConfig(ctx, a);
  RAMPART_TRY(net::OvsDaemon::Start(c));
  RAMPART_ASSIGN_OR_RETURN(auto st, net::OvsDaemon::Status(c));
  Emit(ctx.format, {{"remote", st.remote}, {"ovsdb_server", st.ovsdb_server.value_or(0)}, {"ovs_vswitchd", st.ovs_vswitchd.value_or(0)}},
       "ovsdb-server and ovs-vswitchd run (" + st.remote + ")\n");
  return 0;
}

Result<int> OvsStop(Context& ctx, const ParsedArgs& a) {
  RAMPART_TRY(net::OvsDaemon::Stop(OvsConfig(ctx, a)));
  Emit(ctx.format, {{"state", "stopped"}}, "stopped\n");
  return 0;
}

Result<int> OvsStatus(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto st, net::OvsDaemon::Status(OvsConfig(ctx, a)));
  auto pid = [](const std::optional<pid_t>& p) { return p ? "pid " + std::to_string(*p) : std::string("not running"); };
  Emit(ctx.format,
       {{"remote", st.remote},
        {"ovsdb_server", st.ovsdb_server ? nlohmann::json(*st.ovsdb_server) : nlohmann::json(nullptr)},
        {"ovs_vswitchd", st.ovs_vswitchd ? nlohmann::json(*st.ovs_vswitchd) : nlohmann::json(nullptr)}},
       "ovsdb-server: " + pid(st.ovsdb_server) + "\novs-vswitchd: " + pid(st.ovs_vswitchd) + "\nremote:       " +
           st.remote + "\n");
  return st.ovsdb_server && st.ovs_vswitchd ? 0 : 1;
}

Result<int> Rm(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(auto name, OneName(a));
  RAMPART_TRY(Manager(ctx).Remove(name));
  Emit(ctx.format, {{"name", name}, {"state", "removed"}}, "removed network " + name + "\n");
  return 0;
}

}  // namespace

std::vector<Command> NetCommands() {
  std::vector<Command> c;
  c.push_back({"net create", "NAME --bridge [--subnet CIDR] [--gateway IP] [--no-dhcp] [--no-dns] [--domain D] [--no-nat] [--mtu N] [--vlan ID]",
               "create a network: a Linux bridge with DHCP, DNS and NAT when it has a subnet",
               "With --subnet, DHCP, DNS and NAT are on unless turned off. The bridge is named\n"
               "after the network unless --bridge-name is given. Subnets may not overlap\n"
               "another network or a route of this host.",
               {{"bridge", 0, false, "", "a Linux bridge network (the default)"},
                {"ovs", 0, false, "", "an Open vSwitch network (ovsdb-server: RAMPART_OVSDB, else 'rampart ovs start', else the system's)"},
                {"ovs-bridge", 0, true, "BR", "the OVS bridge (default: NAME); its internal port carries the gateway"},
                {"datapath", 0, true, "system|netdev", "OVS datapath (netdev: userspace, no kernel module)"},
                {"trunks", 0, true, "10,20", "OVS: VLANs the bridge's trunk ports carry"},
                {"bridge-name", 0, true, "IFNAME", "the bridge interface (default: NAME)"},
                {"subnet", 0, true, "CIDR", "IPv4 subnet, e.g. 10.0.7.0/24"},
                {"gateway", 0, true, "IP", "the bridge's address (default: first host)"},
                {"dhcp", 0, false, "", "serve DHCP (default with --subnet)"},
                {"no-dhcp", 0, false, "", "no DHCP"},
                {"dns", 0, false, "", "serve DNS for the containers (default with --subnet)"},
                {"no-dns", 0, false, "", "no DNS"},
                {"domain", 0, true, "DOMAIN", "DNS domain of the containers (default: NAME)"},
                {"nat", 0, false, "", "masquerade traffic leaving the subnet (default with --subnet)"},
                {"no-nat", 0, false, "", "no NAT"},
                {"mtu", 0, true, "N", "MTU of the bridge and veths"},
                {"vlan", 0, true, "ID", "VLAN id of the containers' ports (1-4094)"}},
               Create});
  c.push_back({"net ls", "", "list networks", "", {}, Ls});
  c.push_back({"net info", "NAME", "show one network: bridge, dnsmasq, NAT table, containers", "", {}, Info});
  c.push_back({"net ports", "NAME", "OVS networks: container, port, ofport, VLAN (as OVSDB has them)", "", {}, Ports});
  std::vector<OptSpec> ovs_opts = {{"rundir", 0, true, "DIR", "where the pair keeps its DB, sockets, pids, logs (default RUN/ovs)"}};
  c.push_back({"ovs start", "[--rundir DIR]", "run a private ovsdb-server + ovs-vswitchd (userspace netdev datapath) in this network namespace",
               "For hosts without the OVS kernel module, and for tests. Idempotent; a dead\n"
               "ovs-vswitchd is started again against the same database.",
               ovs_opts, OvsStart});
  c.push_back({"ovs stop", "[--rundir DIR]", "stop the private OVS pair (the database is kept)", "", ovs_opts, OvsStop});
  c.push_back({"ovs status", "[--rundir DIR]", "whether the private OVS pair runs", "", ovs_opts, OvsStatus});
  c.push_back({"net rm", "NAME", "remove a network (refused while containers have addresses on it)", "", {}, Rm});
  return c;
}

}  // namespace rampart::cli
