// Ovs: the Open vSwitch operations rampart needs (bridges, container ports,
// listing what is ours), as OVSDB transactions over one OvsdbClient
// connection to ovsdb-server. No ovs-vsctl subprocess anywhere.
//
//   auto ovs = Ovs::Connect("unix:/run/rampart/ovs/db.sock", 5s);
//   ovs->EnsureBridge("rampart-ovs0", "netdev", {{"rampart-owner", root_id}});
//   auto ofport = ovs->AddPort({.bridge = "rampart-ovs0", .port = "vethab12", .tag = 10,
//                               .external_ids = {{"rampart-owner", root_id},
//                                                {"rampart-network", "web"},
//                                                {"rampart-container", "c1"}}}, 5s);
//
// How a change is applied (the same protocol as ovs-vsctl):
// 1. One read-only transaction selects the rows involved.
// 2. One write transaction starts with `wait` guards (timeout 0) asserting
//    that the rows read in step 1 did not change (else it is retried from
//    step 1, a few times), makes the change, bumps Open_vSwitch.next_cfg and
//    selects the new value.
// 3. One more transaction waits, server-side with `wait` ops, until
//    ovs-vswitchd has applied it (cur_cfg >= next_cfg) and, for a new
//    interface, until it has an ofport; then reads ofport and error. An
//    ofport of -1 is an error carrying the Interface `error` column text
//    ("could not open network device veth9 (No such device)"). No reply in
//    time: "ovs-vswitchd did not apply the change within N ms (is it
//    running?)". A port or bridge that fails in step 3 is removed again.
//
// Ownership: everything rampart creates carries external_ids, on the Port
// and on its Interface: kOvsOwnerKey (who created it, e.g. a state-root id),
// kOvsNetworkKey, kOvsContainerKey. A port with a requested name that exists
// without our owner tag is never replaced or deleted (kExists / kInvalid);
// one with our tag is a leftover of ours and is replaced. DeleteBridge
// refuses a bridge without kOvsOwnerKey.
//
// Not thread-safe (one connection): one Ovs per thread, or a lock around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/ovsdb_client.h"

namespace rampart::net {

inline constexpr char kOvsOwnerKey[] = "rampart-owner";
inline constexpr char kOvsNetworkKey[] = "rampart-network";
inline constexpr char kOvsContainerKey[] = "rampart-container";

struct OvsPortRequest {
  std::string bridge;
  std::string port;         // = its one interface's name, e.g. the host end of a veth
  int tag = 0;              // access VLAN 1..4095; 0 = none
  std::vector<int> trunks;  // trunk VLANs 0..4095; empty = all
  // Must hold kOvsOwnerKey; kOvsNetworkKey and kOvsContainerKey by convention.
  std::map<std::string, std::string> external_ids;
  std::string type;  // "" = a system interface (veth end), "internal", "tap"
};

struct OvsPortInfo {
  std::string name, bridge;
  int ofport = -1;  // -1: not (yet) attached by ovs-vswitchd, or failed (see error)
  int tag = 0;
  std::vector<int> trunks;
  std::map<std::string, std::string> external_ids;  // the Port's
  std::string error;                                // the Interface's error column, "" if none
};

class Ovs {
 public:
  // Connects to ovsdb-server at `remote` ("unix:PATH" or "tcp:IP:PORT").
  // `timeout` bounds the connect and is the default for every later call
  // that takes no timeout of its own.
  static Result<Ovs> Connect(const std::string& remote, std::chrono::milliseconds timeout);

  // Creates `bridge` (with its internal port and interface of the same name)
  // unless it exists, like `ovs-vsctl --may-exist add-br`, and waits until
  // ovs-vswitchd has it. `datapath` is "system", "netdev" or "" (system). An
  // existing bridge with another datapath type is kExists; its external_ids
  // are left as they are.
  Status EnsureBridge(const std::string& bridge, const std::string& datapath,
                      const std::map<std::string, std::string>& external_ids);
  // Deletes `bridge` and its ports, only if its external_ids have
  // kOvsOwnerKey (kInvalid otherwise). kNotFound if absent.
  Status DeleteBridge(const std::string& bridge);
  Result<bool> BridgeExists(const std::string& bridge);

  // Adds the port and returns its OpenFlow port number once ovs-vswitchd has
  // attached it. `timeout` covers the whole call.
  Result<int> AddPort(const OvsPortRequest& request, std::chrono::milliseconds timeout);
  // kNotFound if there is no such port; with only_if_ours, a port without
  // kOvsOwnerKey is refused (kInvalid) and left alone. Waits until
  // ovs-vswitchd has applied the deletion.
  // Without wait_applied, returns once the database has the change (for a
  // port whose interface is gone anyway: ovs-vswitchd catches up by itself).
  Status DeletePort(const std::string& port, bool only_if_ours = true, bool wait_applied = true);

  // Ports of `bridge` ("" = every bridge), without bridges' own internal
  // ports, sorted by bridge then name. kNotFound for an unknown bridge.
  Result<std::vector<OvsPortInfo>> ListPorts(const std::string& bridge);
  // Ports whose external_ids kOvsOwnerKey equals `owner`.
  Result<std::vector<OvsPortInfo>> ListOurPorts(const std::string& owner);

  // The connection, for callers that need a raw transact or a monitor.
  OvsdbClient& client() { return client_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct State;  // the rows read in step 1 (ovs.cc)
  struct WriteResult {
    Json results;          // the write's reply, one entry per op
    int64_t next_cfg = 0;  // Open_vSwitch.next_cfg after the bump
    bool retry = false;    // a guard failed: read again and redo
  };

  Ovs(OvsdbClient client, std::chrono::milliseconds timeout)
      : client_(std::move(client)), timeout_(timeout) {}

  // Step 1: the Open_vSwitch row, every Bridge, and the Port and Interface
  // rows named `name` ("" = all of them).
  Result<State> Read(const std::string& name, Clock::time_point deadline);
  // Step 2: `ops` (guards first) plus the next_cfg bump on the Open_vSwitch
  // row `root_ref` (a uuid or the named-uuid of a row `ops` inserts).
  Result<WriteResult> Write(Json ops, const Json& root_ref, const std::string& comment,
                            Clock::time_point deadline);
  // Step 3: waits for cur_cfg >= next_cfg and, if `iface_uuid` is set, for
  // that interface's ofport, which it returns (0 without an interface).
  // `budget` is the caller's timeout, for the message.
  Result<int> WaitApplied(int64_t next_cfg, const std::string& iface_uuid,
                          Clock::time_point deadline, std::chrono::milliseconds budget);
  // Takes port `name` off its bridge (the database then drops the Port and
  // Interface rows); waits for ovs-vswitchd only if `wait_applied`.
  Status RemovePort(const std::string& name, bool only_if_ours, Clock::time_point deadline,
                    bool wait_applied, std::chrono::milliseconds budget);

  OvsdbClient client_;
  std::chrono::milliseconds timeout_;
};

}  // namespace rampart::net
