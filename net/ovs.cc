#include "net/ovs.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "net/netlink.h"

namespace rampart::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
namespace o = ovsdb;

constexpr char kDb[] = "Open_vSwitch";
constexpr int kMaxAttempts = 5;  // write retries after a failed `wait` guard
// Extra time the client waits beyond a server-side `wait` timeout, so the
// server's own "timed out" answer arrives first.
constexpr milliseconds kReplyMargin{2000};

int64_t MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : left;
}

const Json& RowsOf(const Json& results, size_t i) {
  static const Json kEmpty = Json::array();
  if (!results.is_array() || i >= results.size() || !results[i].is_object()) return kEmpty;
  auto it = results[i].find("rows");
  return it != results[i].end() && it->is_array() ? *it : kEmpty;
}

const Json& Col(const Json& row, const char* column) {
  static const Json kNull;
  if (!row.is_object()) return kNull;
  auto it = row.find(column);
  return it == row.end() ? kNull : *it;
}

std::vector<std::string> UuidsOf(const Json& value) {
  std::vector<std::string> out;
  for (const Json& a : o::Atoms(value))
    if (auto u = o::UuidOf(a); !u.empty()) out.push_back(u);
  return out;
}

Json Select(const std::string& table, const Json& where, const std::vector<std::string>& columns) {
  return {{"op", "select"}, {"table", table}, {"where", where}, {"columns", columns}};
}

// The guard ovs-vsctl puts first: `column` of row `uuid` still equals `value`.
Json Guard(const std::string& table, const std::string& uuid, const std::string& column,
           const Json& value) {
  return {
      {"op", "wait"},        {"table", table}, {"where", o::Where("_uuid", "==", o::Uuid(uuid))},
      {"columns", {column}}, {"until", "=="},  {"rows", Json::array({{{column, value}}})},
      {"timeout", 0}};
}

Json Mutate(const std::string& table, const Json& uuid_ref, const Json& mutations) {
  return {{"op", "mutate"},
          {"table", table},
          {"where", o::Where("_uuid", "==", uuid_ref)},
          {"mutations", mutations}};
}

Json Insert(const std::string& table, const std::string& uuid_name, const Json& row) {
  return {{"op", "insert"}, {"table", table}, {"uuid-name", uuid_name}, {"row", row}};
}

Status CheckOwnerTag(const std::map<std::string, std::string>& ids, const std::string& what) {
  auto it = ids.find(kOvsOwnerKey);
  if (it == ids.end() || it->second.empty())
    return Error::Invalid(what + ": external_ids must carry " + std::string(kOvsOwnerKey));
  return Ok();
}

// "CONTEXT ovs-vswitchd did not apply ..." (no colon: it reads as one sentence).
Error AppliedFailure(const std::string& context, const Error& e) {
  return Error(e.kind(), context + " " + e.message(), e.err());
}

std::string OwnerOf(const std::map<std::string, std::string>& ids) {
  auto it = ids.find(kOvsOwnerKey);
  return it == ids.end() ? "" : it->second;
}

struct BridgeRow {
  std::string uuid, name, datapath_type;
  std::vector<std::string> ports;
  Json ports_raw;
  std::map<std::string, std::string> external_ids;
};
struct PortRow {
  std::string uuid, name;
  std::vector<std::string> interfaces;
  int tag = 0;
  std::vector<int> trunks;
  std::map<std::string, std::string> external_ids;
};
struct IfaceRow {
  std::string uuid, name, type, error;
  int ofport = -1;
};

}  // namespace

struct Ovs::State {
  std::string root_uuid;  // the Open_vSwitch row; "" if the database has none yet
  Json root_bridges_raw;
  std::vector<BridgeRow> bridges;
  std::vector<PortRow> ports;
  std::vector<IfaceRow> ifaces;

  template <typename Row>
  static const Row* Named(const std::vector<Row>& rows, const std::string& name) {
    for (const Row& r : rows)
      if (r.name == name) return &r;
    return nullptr;
  }
  const BridgeRow* BridgeOfPort(const std::string& port_uuid) const {
    for (const BridgeRow& b : bridges)
      if (std::find(b.ports.begin(), b.ports.end(), port_uuid) != b.ports.end()) return &b;
    return nullptr;
  }
  const IfaceRow* Iface(const std::string& uuid) const {
    for (const IfaceRow& i : ifaces)
      if (i.uuid == uuid) return &i;
    return nullptr;
  }
};

Result<Ovs> Ovs::Connect(const std::string& remote, milliseconds timeout) {
  RAMPART_ASSIGN_OR_RETURN(OvsdbClient client, OvsdbClient::Connect(remote, timeout));
  return Ovs(std::move(client), timeout);
}

Result<Ovs::State> Ovs::Read(const std::string& name, Clock::time_point deadline) {
  Json where = name.empty() ? Json::array() : o::Where("name", "==", name);
  Json ops = Json::array(
      {Select("Open_vSwitch", Json::array(), {"_uuid", "bridges"}),
       Select("Bridge", Json::array(), {"_uuid", "name", "ports", "datapath_type", "external_ids"}),
       Select("Port", where, {"_uuid", "name", "interfaces", "tag", "trunks", "external_ids"}),
       Select("Interface", where, {"_uuid", "name", "type", "ofport", "error"})});
  RAMPART_ASSIGN_OR_RETURN(
      std::vector<Json> res,
      client_.Transact(kDb, ops, milliseconds(std::max<int64_t>(MsLeft(deadline), 1))));
  Json results(res);
  State s;
  const Json& roots = RowsOf(results, 0);
  if (!roots.empty()) {
    s.root_uuid = o::UuidOf(Col(roots[0], "_uuid"));
    s.root_bridges_raw = Col(roots[0], "bridges");
  }
  for (const Json& r : RowsOf(results, 1)) {
    BridgeRow b;
    b.uuid = o::UuidOf(Col(r, "_uuid"));
    b.name = o::OptionalString(Col(r, "name"));
    b.datapath_type = o::OptionalString(Col(r, "datapath_type"));
    b.ports_raw = Col(r, "ports");
    b.ports = UuidsOf(b.ports_raw);
    b.external_ids = o::MapOf(Col(r, "external_ids"));
    s.bridges.push_back(std::move(b));
  }
  for (const Json& r : RowsOf(results, 2)) {
    PortRow p;
    p.uuid = o::UuidOf(Col(r, "_uuid"));
    p.name = o::OptionalString(Col(r, "name"));
    p.interfaces = UuidsOf(Col(r, "interfaces"));
    p.tag = static_cast<int>(o::OptionalInt(Col(r, "tag")).value_or(0));
    for (const Json& a : o::Atoms(Col(r, "trunks")))
      if (a.is_number_integer()) p.trunks.push_back(a.get<int>());
    p.external_ids = o::MapOf(Col(r, "external_ids"));
    s.ports.push_back(std::move(p));
  }
  for (const Json& r : RowsOf(results, 3)) {
    IfaceRow i;
    i.uuid = o::UuidOf(Col(r, "_uuid"));
    i.name = o::OptionalString(Col(r, "name"));
    i.type = o::OptionalString(Col(r, "type"));
    i.ofport = static_cast<int>(o::OptionalInt(Col(r, "ofport")).value_or(-1));
    i.error = o::OptionalString(Col(r, "error"));
    s.ifaces.push_back(std::move(i));
  }
  return s;
}

Result<Ovs::WriteResult> Ovs::Write(Json ops, const Json& root_ref, const std::string& comment,
                                    Clock::time_point deadline) {
  const size_t select_at = ops.size() + 1;
  ops.push_back(
      Mutate("Open_vSwitch", root_ref, Json::array({Json::array({"next_cfg", "+=", 1})})));
  ops.push_back({{"op", "select"},
                 {"table", "Open_vSwitch"},
                 {"where", o::Where("_uuid", "==", root_ref)},
                 {"columns", {"next_cfg"}}});
  ops.push_back({{"op", "comment"}, {"comment", "rampart: " + comment}});
  RAMPART_ASSIGN_OR_RETURN(
      Json reply,
      client_.TransactRaw(kDb, ops, milliseconds(std::max<int64_t>(MsLeft(deadline), 1))));
  WriteResult w;
  if (auto e = FindOpError(reply)) {
    // A failed guard (wait with timeout 0): someone changed the rows we
    // read. Read again and retry, as ovs-vsctl does.
    if (e->index < ops.size() && ops[e->index].value("op", "") == "wait" &&
        e->error == "timed out") {
      w.retry = true;
      return w;
    }
    return OpErrorToError(kDb, ops, *e);
  }
  const Json& rows = RowsOf(reply, select_at);
  auto next = rows.empty() ? std::nullopt : o::OptionalInt(Col(rows[0], "next_cfg"));
  if (!next) return Error::Internal("ovsdb: transact Open_vSwitch: no next_cfg in the reply");
  w.results = std::move(reply);
  w.next_cfg = *next;
  return w;
}

Result<int> Ovs::WaitApplied(int64_t next_cfg, const std::string& iface_uuid,
                             Clock::time_point deadline, milliseconds budget) {
  const int64_t left = MsLeft(deadline);
  Json ops = Json::array({{{"op", "wait"},
                           {"table", "Open_vSwitch"},
                           {"where", o::Where("cur_cfg", ">=", next_cfg)},
                           {"columns", {"cur_cfg"}},
                           {"until", "!="},
                           {"rows", Json::array()},
                           {"timeout", left}}});
  if (!iface_uuid.empty()) {
    Json where = o::Where("_uuid", "==", o::Uuid(iface_uuid));
    ops.push_back({{"op", "wait"},
                   {"table", "Interface"},
                   {"where", where},
                   {"columns", {"ofport"}},
                   {"until", "!="},
                   {"rows", Json::array({{{"ofport", o::Set({})}}})},
                   {"timeout", left}});
    ops.push_back(Select("Interface", where, {"name", "ofport", "error"}));
  }
  RAMPART_ASSIGN_OR_RETURN(Json reply,
                           client_.TransactRaw(kDb, ops, milliseconds(left) + kReplyMargin));
  if (auto e = FindOpError(reply)) {
    const std::string within = " within " + std::to_string(budget.count()) + " ms";
    if (e->index == 0 && e->error == "timed out")
      return Error(ErrorKind::kSystem,
                   "ovs-vswitchd did not apply the change" + within + " (is it running?)",
                   ETIMEDOUT);
    if (e->index == 1 && e->error == "timed out")
      return Error(ErrorKind::kSystem,
                   "ovs-vswitchd applied the change but gave the interface no ofport" + within,
                   ETIMEDOUT);
    return OpErrorToError(kDb, ops, *e);
  }
  if (iface_uuid.empty()) return 0;
  const Json& rows = RowsOf(reply, 2);
  if (rows.empty())
    return Error::NotFound("the interface was deleted while ovs-vswitchd attached it");
  const std::string name = o::OptionalString(Col(rows[0], "name"));
  const int ofport = static_cast<int>(o::OptionalInt(Col(rows[0], "ofport")).value_or(-1));
  if (ofport <= 0) {
    std::string error = o::OptionalString(Col(rows[0], "error"));
    return Error(ErrorKind::kSystem, "ovs-vswitchd could not attach interface " + name +
                                         " (ofport " + std::to_string(ofport) +
                                         "): " + (error.empty() ? "no error text" : error));
  }
  return ofport;
}

Status Ovs::RemovePort(const std::string& name, bool only_if_ours, Clock::time_point deadline,
                       bool wait_applied, milliseconds budget) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    RAMPART_ASSIGN_OR_RETURN(State s, Read(name, deadline));
    const PortRow* port = State::Named(s.ports, name);
    if (!port) return Error::NotFound("no such port");
    if (only_if_ours && OwnerOf(port->external_ids).empty())
      return Error::Invalid(std::string("port is not rampart's (no external_ids:") + kOvsOwnerKey +
                            "): refusing to delete it");
    const BridgeRow* br = s.BridgeOfPort(port->uuid);
    if (!br) return Ok();  // unreferenced: the database drops it by itself
    Json ops = Json::array(
        {Guard("Bridge", br->uuid, "ports", br->ports_raw),
         Mutate("Bridge", o::Uuid(br->uuid),
                Json::array({Json::array({"ports", "delete", o::Set({o::Uuid(port->uuid)})})}))});
    RAMPART_ASSIGN_OR_RETURN(WriteResult w,
                             Write(ops, o::Uuid(s.root_uuid), "del-port " + name, deadline));
    if (w.retry) continue;
    if (!wait_applied) return Ok();
    auto applied = WaitApplied(w.next_cfg, "", deadline, budget);
    if (!applied) return AppliedFailure("removed from the database, but", applied.error());
    return Ok();
  }
  return Error(ErrorKind::kSystem, "the database kept changing under us", EAGAIN);
}

Status Ovs::EnsureBridge(const std::string& bridge, const std::string& datapath,
                         const std::map<std::string, std::string>& external_ids) {
  const std::string what = "ovs add-br " + bridge;
  if (auto ok = ValidateInterfaceName(bridge); !ok) return ok.error().Wrap(what);
  if (datapath != "" && datapath != "system" && datapath != "netdev")
    return Error::Invalid(what + ": datapath \"" + datapath + "\" is not system or netdev");
  const auto deadline = Clock::now() + timeout_;
  std::optional<Error> last;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    RAMPART_ASSIGN_OR_RETURN(State s, Read(bridge, deadline));
    if (const BridgeRow* br = State::Named(s.bridges, bridge)) {
      auto type = [](const std::string& t) { return t.empty() ? std::string("system") : t; };
      if (!datapath.empty() && type(br->datapath_type) != type(datapath))
        return Error(ErrorKind::kExists,
                     what + ": exists with datapath_type " + type(br->datapath_type) + " (wanted " +
                         datapath + ")",
                     EEXIST);
      return Ok();
    }
    Json ops = Json::array();
    Json root_ref = o::Uuid(s.root_uuid);
    if (s.root_uuid.empty()) {
      root_ref = o::NamedUuid("rampart_root");
      ops.push_back(Insert("Open_vSwitch", "rampart_root",
                           {{"bridges", o::Set({o::NamedUuid("rampart_bridge")})}}));
    } else {
      ops.push_back(Guard("Open_vSwitch", s.root_uuid, "bridges", s.root_bridges_raw));
      ops.push_back(Mutate("Open_vSwitch", root_ref,
                           Json::array({Json::array(
                               {"bridges", "insert", o::Set({o::NamedUuid("rampart_bridge")})})})));
    }
    const size_t iface_at = ops.size();
    ops.push_back(Insert("Interface", "rampart_iface", {{"name", bridge}, {"type", "internal"}}));
    ops.push_back(Insert("Port", "rampart_port",
                         {{"name", bridge}, {"interfaces", o::NamedUuid("rampart_iface")}}));
    Json row = {{"name", bridge},
                {"ports", o::NamedUuid("rampart_port")},
                {"external_ids", o::Map(external_ids)}};
    if (!datapath.empty()) row["datapath_type"] = datapath;
    ops.push_back(Insert("Bridge", "rampart_bridge", row));
    auto w = Write(ops, root_ref, "add-br " + bridge, deadline);
    if (!w && w.error().kind() == ErrorKind::kExists) {  // created meanwhile: read again
      last = w.error().Wrap(what);
      continue;
    }
    if (!w) return w.error().Wrap(what);
    if (w->retry) continue;
    const std::string iface_uuid = o::UuidOf(Col(w->results[iface_at], "uuid"));
    auto applied = WaitApplied(w->next_cfg, iface_uuid, deadline, timeout_);
    if (applied) return Ok();
    // Roll back: take the bridge out of the Open_vSwitch row again.
    Error e = applied.error().Wrap(what);
    auto undo = [&]() -> Status {
      const auto undo_deadline = Clock::now() + timeout_;
      for (int i = 0; i < kMaxAttempts; ++i) {
        RAMPART_ASSIGN_OR_RETURN(State now, Read(bridge, undo_deadline));
        const BridgeRow* br = State::Named(now.bridges, bridge);
        if (!br) return Ok();
        Json del = Json::array(
            {Guard("Open_vSwitch", now.root_uuid, "bridges", now.root_bridges_raw),
             Mutate(
                 "Open_vSwitch", o::Uuid(now.root_uuid),
                 Json::array({Json::array({"bridges", "delete", o::Set({o::Uuid(br->uuid)})})}))});
        RAMPART_ASSIGN_OR_RETURN(
            WriteResult dw, Write(del, o::Uuid(now.root_uuid), "del-br " + bridge, undo_deadline));
        if (!dw.retry) return Ok();
      }
      return Error::Internal("remove bridge " + bridge + ": the database kept changing");
    };
    if (auto u = undo(); !u) return e.WithCleanupFailure(u.error());
    return e;
  }
  if (last) return *last;
  return Error(ErrorKind::kSystem, what + ": the database kept changing under us", EAGAIN);
}

Status Ovs::DeleteBridge(const std::string& bridge) {
  const std::string what = "ovs del-br " + bridge;
  const auto deadline = Clock::now() + timeout_;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    RAMPART_ASSIGN_OR_RETURN(State s, Read(bridge, deadline));
    const BridgeRow* br = State::Named(s.bridges, bridge);
    if (!br) return Error::NotFound(what + ": no such bridge");
    if (OwnerOf(br->external_ids).empty())
      return Error::Invalid(what + ": bridge is not rampart's (no external_ids:" + kOvsOwnerKey +
                            "): refusing to delete it");
    Json ops = Json::array(
        {Guard("Open_vSwitch", s.root_uuid, "bridges", s.root_bridges_raw),
         Mutate("Open_vSwitch", o::Uuid(s.root_uuid),
                Json::array({Json::array({"bridges", "delete", o::Set({o::Uuid(br->uuid)})})}))});
    auto w = Write(ops, o::Uuid(s.root_uuid), "del-br " + bridge, deadline);
    if (!w) return w.error().Wrap(what);
    if (w->retry) continue;
    auto applied = WaitApplied(w->next_cfg, "", deadline, timeout_);
    if (!applied) return AppliedFailure(what + ": removed from the database, but", applied.error());
    return Ok();
  }
  return Error(ErrorKind::kSystem, what + ": the database kept changing under us", EAGAIN);
}

Result<bool> Ovs::BridgeExists(const std::string& bridge) {
  Json ops = Json::array({Select("Bridge", o::Where("name", "==", bridge), {"_uuid"})});
  RAMPART_ASSIGN_OR_RETURN(std::vector<Json> res, client_.Transact(kDb, ops, timeout_));
  return !RowsOf(Json(res), 0).empty();
}

Result<int> Ovs::AddPort(const OvsPortRequest& req, milliseconds timeout) {
  const std::string what = "ovs add-port " + req.bridge + " " + req.port;
  if (auto ok = ValidateInterfaceName(req.port); !ok) return ok.error().Wrap(what);
  if (req.bridge.empty()) return Error::Invalid(what + ": no bridge given");
  if (req.tag < 0 || req.tag > 4095)
    return Error::Invalid(what + ": tag " + std::to_string(req.tag) + " not in 0..4095");
  for (int t : req.trunks)
    if (t < 0 || t > 4095)
      return Error::Invalid(what + ": trunk " + std::to_string(t) + " not in 0..4095");
  if (req.type != "" && req.type != "system" && req.type != "internal" && req.type != "tap")
    return Error::Invalid(what + ": type \"" + req.type + "\" is not system, internal or tap");
  RAMPART_TRY(CheckOwnerTag(req.external_ids, what));
  const std::string owner = OwnerOf(req.external_ids);
  const auto deadline = Clock::now() + timeout;

  std::string iface_uuid;
  int64_t next_cfg = 0;
  for (int attempt = 0;; ++attempt) {
    if (attempt == kMaxAttempts)
      return Error(ErrorKind::kSystem, what + ": the database kept changing under us", EAGAIN);
    RAMPART_ASSIGN_OR_RETURN(State s, Read(req.port, deadline));
    const BridgeRow* br = State::Named(s.bridges, req.bridge);
    if (!br) return Error::NotFound(what + ": bridge " + req.bridge + " does not exist");
    const PortRow* stale = State::Named(s.ports, req.port);
    if (stale && OwnerOf(stale->external_ids) != owner) {
      std::string theirs = OwnerOf(stale->external_ids);
      return Error(ErrorKind::kExists,
                   what + ": a port with this name exists and is not ours (" +
                       (theirs.empty() ? std::string("no external_ids:") + kOvsOwnerKey
                                       : std::string(kOvsOwnerKey) + "=" + theirs) +
                       "): refusing to replace it",
                   EEXIST);
    }
    // An interface of that name in some other port (a bond member, say).
    for (const IfaceRow& i : s.ifaces)
      if (i.name == req.port &&
          !(stale && std::count(stale->interfaces.begin(), stale->interfaces.end(), i.uuid)))
        return Error(ErrorKind::kExists,
                     what + ": interface " + req.port + " belongs to another port", EEXIST);

    Json ops = Json::array({Guard("Bridge", br->uuid, "ports", br->ports_raw)});
    Json bridge_mutations = Json::array();
    if (stale) {  // a leftover of ours: replaced in the same transaction
      const BridgeRow* old = s.BridgeOfPort(stale->uuid);
      Json del = Json::array({"ports", "delete", o::Set({o::Uuid(stale->uuid)})});
      if (old == br) {
        bridge_mutations.push_back(del);
      } else if (old) {
        ops.push_back(Guard("Bridge", old->uuid, "ports", old->ports_raw));
        ops.push_back(Mutate("Bridge", o::Uuid(old->uuid), Json::array({del})));
      }
    }
    Json iface = {{"name", req.port}, {"external_ids", o::Map(req.external_ids)}};
    if (!req.type.empty()) iface["type"] = req.type;
    const size_t iface_at = ops.size();
    ops.push_back(Insert("Interface", "rampart_iface", iface));
    Json port = {{"name", req.port},
                 {"interfaces", o::NamedUuid("rampart_iface")},
                 {"external_ids", o::Map(req.external_ids)}};
    if (req.tag > 0) port["tag"] = req.tag;
    if (!req.trunks.empty())
      port["trunks"] = o::Set(std::vector<Json>(req.trunks.begin(), req.trunks.end()));
    ops.push_back(Insert("Port", "rampart_port", port));
    bridge_mutations.push_back(
        Json::array({"ports", "insert", o::Set({o::NamedUuid("rampart_port")})}));
    ops.push_back(Mutate("Bridge", o::Uuid(br->uuid), bridge_mutations));
    auto w = Write(ops, o::Uuid(s.root_uuid), "add-port " + req.bridge + " " + req.port, deadline);
    if (!w) return w.error().Wrap(what);
    if (w->retry) continue;
    iface_uuid = o::UuidOf(Col(w->results[iface_at], "uuid"));
    next_cfg = w->next_cfg;
    break;
  }

  auto ofport = WaitApplied(next_cfg, iface_uuid, deadline, timeout);
  if (ofport) return ofport;
  // Roll back: a port that vswitchd did not attach is no use to the caller.
  Error e = ofport.error().Wrap(what);
  if (auto undo = RemovePort(req.port, true, Clock::now() + timeout_, false, timeout_);
      !undo && undo.error().kind() != ErrorKind::kNotFound)
    return e.WithCleanupFailure(undo.error());
  return e;
}

Status Ovs::DeletePort(const std::string& port, bool only_if_ours, bool wait_applied) {
  auto st = RemovePort(port, only_if_ours, Clock::now() + timeout_, wait_applied, timeout_);
  if (!st) return st.error().Wrap("ovs del-port " + port);
  return Ok();
}

Result<std::vector<OvsPortInfo>> Ovs::ListPorts(const std::string& bridge) {
  RAMPART_ASSIGN_OR_RETURN(State s, Read("", Clock::now() + timeout_));
  if (!bridge.empty() && !State::Named(s.bridges, bridge))
    return Error::NotFound("ovs list-ports " + bridge + ": no such bridge");
  std::vector<OvsPortInfo> out;
  for (const BridgeRow& b : s.bridges) {
    if (!bridge.empty() && b.name != bridge) continue;
    for (const std::string& uuid : b.ports) {
      auto p = std::find_if(s.ports.begin(), s.ports.end(),
                            [&](const PortRow& r) { return r.uuid == uuid; });
      if (p == s.ports.end() || p->name == b.name) continue;  // the bridge's own internal port
      OvsPortInfo info{p->name, b.name, -1, p->tag, p->trunks, p->external_ids, ""};
      // The interface named like the port, else its first one.
      const IfaceRow* iface = nullptr;
      for (const std::string& iu : p->interfaces)
        if (const IfaceRow* i = s.Iface(iu); i && (!iface || i->name == p->name)) iface = i;
      if (iface) info.ofport = iface->ofport, info.error = iface->error;
      out.push_back(std::move(info));
    }
  }
  std::sort(out.begin(), out.end(), [](const OvsPortInfo& a, const OvsPortInfo& b) {
    return a.bridge != b.bridge ? a.bridge < b.bridge : a.name < b.name;
  });
  return out;
}

Result<std::vector<OvsPortInfo>> Ovs::ListOurPorts(const std::string& owner) {
  if (owner.empty()) return Error::Invalid("ovs list ports: empty owner");
  RAMPART_ASSIGN_OR_RETURN(std::vector<OvsPortInfo> all, ListPorts(""));
  std::vector<OvsPortInfo> out;
  for (OvsPortInfo& p : all)
    if (OwnerOf(p.external_ids) == owner) out.push_back(std::move(p));
  return out;
}

}  // namespace rampart::net
