// OvsdbClient: a JSON-RPC 1.0 client for ovsdb-server (RFC 7047) over one
// stream connection, "unix:/run/rampart/ovs/db.sock" or "tcp:IP:PORT"
// ("tcp:[V6]:PORT"). No subprocess per operation: the connection is opened
// once and reused for every request.
//
//   auto c = OvsdbClient::Connect("unix:/run/rampart/ovs/db.sock", 2s);
//   auto res = c->Transact("Open_vSwitch", ops, 2s);   // one result per op
//
// Wire handling:
// * Requests carry increasing integer ids; a reply whose id is not the one
//   being waited for (a late reply to a request that timed out) is dropped.
// * The server's `echo` requests are answered whenever we read, so an
//   inactivity probe never drops us while we wait for a slow reply.
// * Notifications (requests with a null id, e.g. monitor `update`s, which
//   the server sends *before* the transact reply that caused them) are
//   queued for NextNotification() (at most kMaxQueuedNotifications, the
//   oldest dropped first).
// * Every wait has a deadline: connect, send and each reply.
// * Messages are framed by counting brackets outside JSON strings; strings
//   we send are dumped with invalid UTF-8 replaced, so nothing here throws.
//
// Errors are one line and start with "ovsdb: ":
//   ovsdb: connect unix:/x/db.sock: no such file or directory (is ovsdb-server running? `rampart
//   ovs start`) ovsdb: no reply to transact from unix:/x/db.sock within 2000 ms ovsdb: transact
//   Open_vSwitch: op 5 of 9 (insert Port): constraint violation: ...
// Kinds: kSystem for socket failures (errno set; ETIMEDOUT for timeouts, and
// for an OVSDB "timed out" op error), kExists for an index clash ("constraint
// violation" about identical values), kInvalid for a bad remote, kUnsupported
// for ssl:, kInternal for protocol errors and other OVSDB errors.
//
// After the connection breaks (EOF, reset, protocol error) the next request
// reconnects once; queued notifications and monitors do not survive that.
// Not thread-safe: one client per thread, or a lock around it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace rampart::net {

using Json = nlohmann::json;

// The first failed operation of a transact reply. `index` == number of ops
// means the commit itself failed (RFC 7047: the extra last element).
struct OvsdbOpError {
  size_t index = 0;
  std::string error;    // e.g. "constraint violation", "timed out"
  std::string details;  // the server's explanation, may be empty
};

// nullopt if every op in `reply` succeeded (or `reply` is not an array).
std::optional<OvsdbOpError> FindOpError(const Json& reply);

// The one-line rampart error for a failed op of `ops` sent to `db`, e.g.
// "ovsdb: transact Open_vSwitch: op 5 of 9 (insert Port): constraint violation: ...".
Error OpErrorToError(const std::string& db, const Json& ops, const OvsdbOpError& e);

class OvsdbClient {
 public:
  static constexpr size_t kMaxQueuedNotifications = 4096;

  // Connects to "unix:PATH" or "tcp:IP:PORT". Nothing listening gives the
  // hint to start ovsdb-server.
  static Result<OvsdbClient> Connect(const std::string& remote, std::chrono::milliseconds timeout);

  OvsdbClient(OvsdbClient&&) noexcept = default;
  OvsdbClient& operator=(OvsdbClient&&) noexcept = default;
  OvsdbClient(const OvsdbClient&) = delete;
  OvsdbClient& operator=(const OvsdbClient&) = delete;
  ~OvsdbClient() = default;

  const std::string& remote() const { return remote_; }
  bool connected() const { return fd_.valid(); }

  // Sends one request and waits up to `timeout` for its reply; returns the
  // reply's "result". A non-null "error" in the reply is an Error.
  Result<Json> Call(const std::string& method, const Json& params,
                    std::chrono::milliseconds timeout);

  // transact [db, ops...]: one result object per op. Any failed op (or a
  // failed commit) is an Error naming the op; see OpErrorToError.
  Result<std::vector<Json>> Transact(const std::string& db, const Json& ops,
                                     std::chrono::milliseconds timeout);
  // The same, but op errors are left in the returned reply array for the
  // caller to inspect with FindOpError (e.g. to retry after a failed `wait`
  // guard). Only transport and JSON-RPC errors are Errors.
  Result<Json> TransactRaw(const std::string& db, const Json& ops,
                           std::chrono::milliseconds timeout);

  Result<std::vector<std::string>> ListDbs(std::chrono::milliseconds timeout);
  // Sends our own echo and waits for it to come back: a liveness check.
  Status Echo(std::chrono::milliseconds timeout);
  // monitor [db, id, requests]: returns the initial table-updates; later
  // updates arrive as notifications.
  Result<Json> Monitor(const std::string& db, const Json& monitor_id, const Json& requests,
                       std::chrono::milliseconds timeout);

  // The oldest queued notification ({"method":..., "params":...}), reading
  // from the server for up to `timeout` if none is queued yet. A timeout is
  // an Error (ETIMEDOUT).
  Result<Json> NextNotification(std::chrono::milliseconds timeout);

 private:
  using Clock = std::chrono::steady_clock;

  OvsdbClient(std::string remote, UniqueFd fd) : remote_(std::move(remote)), fd_(std::move(fd)) {}

  Status EnsureConnected(Clock::time_point deadline);
  Status Send(const Json& message, Clock::time_point deadline);
  // Next complete JSON-RPC object from the stream; `on_timeout` is the
  // error message if none arrives before `deadline`.
  Result<Json> ReadMessage(Clock::time_point deadline, const std::string& on_timeout);
  // Answers an echo (or refuses another request) or queues a notification;
  // returns false if `message` is a reply.
  Result<bool> HandleServerRequest(const Json& message, Clock::time_point deadline);
  // Extracts one framed JSON text from in_, if a whole one is buffered.
  Result<std::optional<std::string>> NextFrame();
  Error Broken(const Error& e);  // drops the connection, returns e

  std::string remote_;
  UniqueFd fd_;
  int64_t next_id_ = 1;
  std::string in_;   // received bytes not yet framed
  size_t scan_ = 0;  // framing state: bytes of in_ already scanned
  int depth_ = 0;
  bool in_string_ = false, escape_ = false;
  std::deque<Json> notifications_;
};

// OVSDB value encodings (RFC 7047 5.1) and their decoding.
namespace ovsdb {

Json Uuid(const std::string& uuid);                       // ["uuid", "..."]
Json NamedUuid(const std::string& name);                  // ["named-uuid", "..."]
Json Set(const std::vector<Json>& atoms);                 // ["set", [...]]
Json Map(const std::map<std::string, std::string>& map);  // ["map", [[k, v], ...]]
// [[column, function, value]]
Json Where(const std::string& column, const std::string& function, const Json& value);

// A bare atom or ["set", [...]] as a list of atoms.
std::vector<Json> Atoms(const Json& value);
// "..." of ["uuid", "..."], else "".
std::string UuidOf(const Json& value);
// ["map", [[k, v], ...]] with string keys and values; anything else is {}.
std::map<std::string, std::string> MapOf(const Json& value);
// An optional integer column: the integer, or nullopt for ["set", []].
std::optional<int64_t> OptionalInt(const Json& value);
// An optional string column: the string, or "" for ["set", []].
std::string OptionalString(const Json& value);

}  // namespace ovsdb

}  // namespace rampart::net
