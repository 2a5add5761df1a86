#include "net/ovsdb_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/strings.h"

namespace rampart::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxMessageBytes = 64u << 20;  // a whole Open_vSwitch dump is far smaller
constexpr char kStartHint[] = " (is ovsdb-server running? `rampart ovs start`)";

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Messages stay one line: whitespace runs become one space, and the
// server's multi-sentence details keep their first sentence.
std::string OneLine(std::string text) {
  if (size_t cut = text.find(".  "); cut != std::string::npos) text.resize(cut);
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

int64_t MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : left;
}

// Waits for `events` on `fd` until `deadline`: 1 ready, 0 timed out, -1 errno.
int PollUntil(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int64_t left = MsLeft(deadline);
    int r = ::poll(&p, 1, static_cast<int>(left > 1000000 ? 1000000 : left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && Clock::now() < deadline) continue;
    return r;
  }
}

Error TimedOut(std::string message) {
  return Error(ErrorKind::kSystem, std::move(message), ETIMEDOUT);
}

// "unix:PATH" / "tcp:IP:PORT" / "tcp:[IP6]:PORT" → address.
struct Address {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNIX;
};

Result<Address> ParseRemote(const std::string& remote) {
  Address a;
  if (remote.rfind("unix:", 0) == 0) {
    std::string path = remote.substr(5);
    auto* un = reinterpret_cast<sockaddr_un*>(&a.ss);
    if (path.empty() || path.size() >= sizeof(un->sun_path))
      return Error::Invalid("ovsdb: bad remote " + remote +
                            ": unix socket path empty or longer than " +
                            std::to_string(sizeof(un->sun_path) - 1) + " bytes");
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return a;
  }
  if (remote.rfind("ssl:", 0) == 0)
    return Error::Unsupported("ovsdb: " + remote +
                              ": ssl remotes are not supported (use unix: or tcp:)");
  if (remote.rfind("tcp:", 0) != 0)
    return Error::Invalid("ovsdb: bad remote \"" + remote + "\" (want unix:PATH or tcp:IP:PORT)");
  std::string rest = remote.substr(4), host, port;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return Error::Invalid("ovsdb: bad remote \"" + remote + "\" (want tcp:[IPV6]:PORT)");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos)
      return Error::Invalid("ovsdb: bad remote \"" + remote + "\" (want tcp:IP:PORT)");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  auto p = ParseUint64(port);
  if (!p || *p == 0 || *p > 65535)
    return Error::Invalid("ovsdb: bad remote \"" + remote + "\": port must be 1..65535");
  auto* in4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (::inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(*p));
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
  } else if (a.ss = {}; ::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(*p));
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  } else {
    return Error::Invalid("ovsdb: bad remote \"" + remote + "\": \"" + host +
                          "\" is not an IP address");
  }
  return a;
}

Result<UniqueFd> ConnectSocket(const std::string& remote, Clock::time_point deadline,
                               int64_t budget_ms) {
  RAMPART_ASSIGN_OR_RETURN(Address a, ParseRemote(remote));
  const std::string what = "ovsdb: connect " + remote;
  for (;;) {
    UniqueFd fd(::socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return Error::FromErrno(errno, what + ": socket");
    int err = 0;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.ss), a.len) != 0) err = errno;
    if (err == EINPROGRESS || err == EINTR) {
      int r = PollUntil(fd.get(), POLLOUT, deadline);
      if (r < 0) return Error::FromErrno(errno, what + ": poll");
      if (r == 0) return TimedOut(what + ": timed out after " + std::to_string(budget_ms) + " ms");
      socklen_t len = sizeof err;
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    // A unix listener with a full backlog: try again until the deadline.
    if (err == EAGAIN && a.family == AF_UNIX && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
      continue;
    }
    if (err == 0) return fd;
    Error e = Error::FromErrno(err, what);
    if (err == ENOENT || err == ECONNREFUSED) return Error(e.kind(), e.message() + kStartHint, err);
    if (err == EAGAIN)
      return TimedOut(what + ": timed out after " + std::to_string(budget_ms) +
                      " ms (backlog full)");
    return e;
  }
}

std::string DescribeRpcError(const Json& error) {
  if (error.is_string()) return OneLine(error.get<std::string>());
  if (error.is_object()) {
    std::string text;
    if (auto it = error.find("error"); it != error.end() && it->is_string())
      text = it->get<std::string>();
    if (auto it = error.find("details"); it != error.end() && it->is_string())
      text += (text.empty() ? "" : ": ") + it->get<std::string>();
    if (!text.empty()) return OneLine(text);
  }
  return OneLine(Dump(error));
}

std::string OpLabel(const Json& op) {
  if (!op.is_object()) return "?";
  std::string label;
  if (auto it = op.find("op"); it != op.end() && it->is_string()) label = it->get<std::string>();
  if (auto it = op.find("table"); it != op.end() && it->is_string())
    label += " " + it->get<std::string>();
  return label.empty() ? "?" : label;
}

}  // namespace

// ---- transact results ----------------------------------------------------

std::optional<OvsdbOpError> FindOpError(const Json& reply) {
  if (!reply.is_array()) return std::nullopt;
  for (size_t i = 0; i < reply.size(); ++i) {
    const Json& r = reply[i];
    if (!r.is_object()) continue;
    auto it = r.find("error");
    if (it == r.end() || it->is_null()) continue;
    OvsdbOpError e;
    e.index = i;
    e.error = it->is_string() ? it->get<std::string>() : Dump(*it);
    if (auto d = r.find("details"); d != r.end() && d->is_string())
      e.details = d->get<std::string>();
    return e;
  }
  return std::nullopt;
}

Error OpErrorToError(const std::string& db, const Json& ops, const OvsdbOpError& e) {
  size_t n = ops.is_array() ? ops.size() : 0;
  std::string where = e.index < n ? "op " + std::to_string(e.index + 1) + " of " +
                                        std::to_string(n) + " (" + OpLabel(ops[e.index]) + ")"
                                  : std::string("commit");
  std::string text = "ovsdb: transact " + db + ": " + where + ": " + OneLine(e.error);
  if (!e.details.empty()) text += ": " + OneLine(e.details);
  if (e.error == "timed out") return TimedOut(text);
  if (e.error == "constraint violation" && e.details.find("identical values") != std::string::npos)
    return Error(ErrorKind::kExists, text, EEXIST);
  return Error::Internal(text);
}

// ---- connection ----------------------------------------------------------

Result<OvsdbClient> OvsdbClient::Connect(const std::string& remote, milliseconds timeout) {
  RAMPART_ASSIGN_OR_RETURN(UniqueFd fd,
                           ConnectSocket(remote, Clock::now() + timeout, timeout.count()));
  return OvsdbClient(remote, std::move(fd));
}

Status OvsdbClient::EnsureConnected(Clock::time_point deadline) {
  if (fd_) return Ok();
  RAMPART_ASSIGN_OR_RETURN(UniqueFd fd, ConnectSocket(remote_, deadline, MsLeft(deadline)));
  fd_ = std::move(fd);
  in_.clear();
  scan_ = 0, depth_ = 0, in_string_ = false, escape_ = false;
  notifications_.clear();
  return Ok();
}

Error OvsdbClient::Broken(const Error& e) {
  fd_.reset();
  in_.clear();
  scan_ = 0, depth_ = 0, in_string_ = false, escape_ = false;
  return e;
}

Status OvsdbClient::Send(const Json& message, Clock::time_point deadline) {
  const std::string data = Dump(message);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int r = PollUntil(fd_.get(), POLLOUT, deadline);
      if (r < 0) return Broken(Error::FromErrno(errno, "ovsdb: poll " + remote_));
      if (r == 0) return Broken(TimedOut("ovsdb: send to " + remote_ + " timed out"));
      continue;
    }
    return Broken(Error::FromErrno(errno, "ovsdb: send to " + remote_));
  }
  return Ok();
}

// JSON-RPC over a stream has no delimiter: a message ends where its
// outermost object closes. The scan resumes where the last one stopped.
Result<std::optional<std::string>> OvsdbClient::NextFrame() {
  // Leading whitespace between messages.
  if (depth_ == 0 && scan_ == 0) {
    size_t skip = 0;
    while (skip < in_.size() &&
           (in_[skip] == ' ' || in_[skip] == '\n' || in_[skip] == '\r' || in_[skip] == '\t'))
      ++skip;
    in_.erase(0, skip);
    if (!in_.empty() && in_[0] != '{' && in_[0] != '[')
      return Broken(
          Error::Internal("ovsdb: protocol error from " + remote_ + ": data outside a json value"));
  }
  for (; scan_ < in_.size(); ++scan_) {
    char c = in_[scan_];
    if (in_string_) {
      if (escape_)
        escape_ = false;
      else if (c == '\\')
        escape_ = true;
      else if (c == '"')
        in_string_ = false;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        std::string frame = in_.substr(0, scan_ + 1);
        in_.erase(0, scan_ + 1);
        scan_ = 0;
        return std::optional<std::string>(std::move(frame));
      }
    }
  }
  if (in_.size() > kMaxMessageBytes)
    return Broken(Error::Internal("ovsdb: protocol error from " + remote_ + ": message over " +
                                  std::to_string(kMaxMessageBytes) + " bytes"));
  return std::optional<std::string>();
}

Result<Json> OvsdbClient::ReadMessage(Clock::time_point deadline, const std::string& on_timeout) {
  for (;;) {
    RAMPART_ASSIGN_OR_RETURN(std::optional<std::string> frame, NextFrame());
    if (frame) {
      Json j = Json::parse(*frame, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return Broken(
            Error::Internal("ovsdb: protocol error from " + remote_ +
                            ": not a json-rpc object: " + OneLine(frame->substr(0, 200))));
      return j;
    }
    int r = PollUntil(fd_.get(), POLLIN, deadline);
    if (r < 0) return Broken(Error::FromErrno(errno, "ovsdb: poll " + remote_));
    if (r == 0) return TimedOut(on_timeout);
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) return Broken(Error::FromErrno(errno, "ovsdb: receive from " + remote_));
    if (n == 0)
      return Broken(
          Error(ErrorKind::kSystem, "ovsdb: " + remote_ + " closed the connection", ECONNRESET));
    in_.append(buf, static_cast<size_t>(n));
  }
}

Result<bool> OvsdbClient::HandleServerRequest(const Json& message, Clock::time_point deadline) {
  auto m = message.find("method");
  if (m == message.end()) return false;
  auto id = message.find("id");
  const bool notification = id == message.end() || id->is_null();
  auto p = message.find("params");
  Json params = p != message.end() ? *p : Json::array();
  if (notification) {
    if (notifications_.size() >= kMaxQueuedNotifications) notifications_.pop_front();
    notifications_.push_back({{"method", *m}, {"params", params}});
    return true;
  }
  Json reply = {{"id", *id}};
  if (m->is_string() && m->get<std::string>() == "echo") {
    reply["result"] = params;
    reply["error"] = nullptr;
  } else {
    reply["result"] = nullptr;
    reply["error"] = "unknown method";
  }
  RAMPART_TRY(Send(reply, deadline));
  return true;
}

Result<Json> OvsdbClient::Call(const std::string& method, const Json& params,
                               milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  RAMPART_TRY(EnsureConnected(deadline));
  const int64_t id = next_id_++;
  RAMPART_TRY(Send({{"method", method}, {"params", params}, {"id", id}}, deadline));
  for (;;) {
    RAMPART_ASSIGN_OR_RETURN(
        Json msg, ReadMessage(deadline, "ovsdb: no reply to " + method + " from " + remote_ +
                                            " within " + std::to_string(timeout.count()) + " ms"));
    RAMPART_ASSIGN_OR_RETURN(bool handled, HandleServerRequest(msg, deadline));
    if (handled) continue;
    auto rid = msg.find("id");
    if (rid == msg.end() || !rid->is_number_integer() || rid->get<int64_t>() != id)
      continue;  // late reply
    if (auto err = msg.find("error"); err != msg.end() && !err->is_null())
      return Error::Internal("ovsdb: " + method + ": " + DescribeRpcError(*err));
    auto result = msg.find("result");
    return result == msg.end() ? Json() : *result;
  }
}

Result<Json> OvsdbClient::TransactRaw(const std::string& db, const Json& ops,
                                      milliseconds timeout) {
  if (!ops.is_array())
    return Error::Internal("ovsdb: transact " + db + ": ops must be a json array");
  Json params = Json::array({db});
  for (const Json& op : ops) params.push_back(op);
  auto reply = Call("transact", params, timeout);
  if (!reply) {
    // "ovsdb: transact: unknown database: ..." → name the database.
    const std::string& m = reply.error().message();
    if (m.rfind("ovsdb: transact: ", 0) == 0)
      return Error(reply.error().kind(), "ovsdb: transact " + db + ": " + m.substr(17),
                   reply.error().err());
    return reply.error();
  }
  if (!reply->is_array())
    return Error::Internal("ovsdb: transact " + db +
                           ": reply is not an array: " + OneLine(Dump(*reply)).substr(0, 200));
  return reply;
}

Result<std::vector<Json>> OvsdbClient::Transact(const std::string& db, const Json& ops,
                                                milliseconds timeout) {
  RAMPART_ASSIGN_OR_RETURN(Json reply, TransactRaw(db, ops, timeout));
  if (auto e = FindOpError(reply)) return OpErrorToError(db, ops, *e);
  if (reply.size() < ops.size())
    return Error::Internal("ovsdb: transact " + db + ": " + std::to_string(reply.size()) +
                           " results for " + std::to_string(ops.size()) + " ops");
  std::vector<Json> out(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(ops.size()));
  return out;
}

Result<std::vector<std::string>> OvsdbClient::ListDbs(milliseconds timeout) {
  RAMPART_ASSIGN_OR_RETURN(Json reply, Call("list_dbs", Json::array(), timeout));
  std::vector<std::string> out;
  if (!reply.is_array()) return Error::Internal("ovsdb: list_dbs: reply is not an array");
  for (const Json& name : reply)
    if (name.is_string()) out.push_back(name.get<std::string>());
  return out;
}

Status OvsdbClient::Echo(milliseconds timeout) {
  RAMPART_ASSIGN_OR_RETURN(Json reply, Call("echo", Json::array({"rampart"}), timeout));
  if (reply != Json::array({"rampart"}))
    return Error::Internal("ovsdb: echo: wrong reply " + OneLine(Dump(reply)));
  return Ok();
}

Result<Json> OvsdbClient::Monitor(const std::string& db, const Json& monitor_id,
                                  const Json& requests, milliseconds timeout) {
  return Call("monitor", Json::array({db, monitor_id, requests}), timeout);
}

Result<Json> OvsdbClient::NextNotification(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (notifications_.empty()) {
    RAMPART_TRY(EnsureConnected(deadline));
    RAMPART_ASSIGN_OR_RETURN(
        Json msg, ReadMessage(deadline, "ovsdb: no notification from " + remote_ + " within " +
                                            std::to_string(timeout.count()) + " ms"));
    RAMPART_ASSIGN_OR_RETURN(bool handled, HandleServerRequest(msg, deadline));
    (void)handled;  // a stray reply to a request that timed out is dropped
  }
  Json n = std::move(notifications_.front());
  notifications_.pop_front();
  return n;
}

// ---- value encodings -----------------------------------------------------

namespace ovsdb {

Json Uuid(const std::string& uuid) { return Json::array({"uuid", uuid}); }
Json NamedUuid(const std::string& name) { return Json::array({"named-uuid", name}); }
Json Set(const std::vector<Json>& atoms) { return Json::array({"set", Json(atoms)}); }

Json Map(const std::map<std::string, std::string>& map) {
  Json pairs = Json::array();
  for (const auto& [k, v] : map) pairs.push_back(Json::array({k, v}));
  return Json::array({"map", pairs});
}

Json Where(const std::string& column, const std::string& function, const Json& value) {
  return Json::array({Json::array({column, function, value})});
}

std::vector<Json> Atoms(const Json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].is_array())
    return std::vector<Json>(value[1].begin(), value[1].end());
  if (value.is_null()) return {};
  return {value};
}

std::string UuidOf(const Json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid" && value[1].is_string())
    return value[1].get<std::string>();
  return "";
}

std::map<std::string, std::string> MapOf(const Json& value) {
  std::map<std::string, std::string> out;
  if (!(value.is_array() && value.size() == 2 && value[0] == "map" && value[1].is_array()))
    return out;
  for (const Json& pair : value[1])
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
      out[pair[0].get<std::string>()] = pair[1].get<std::string>();
  return out;
}

std::optional<int64_t> OptionalInt(const Json& value) {
  for (const Json& a : Atoms(value))
    if (a.is_number_integer()) return a.get<int64_t>();
  return std::nullopt;
}

std::string OptionalString(const Json& value) {
  for (const Json& a : Atoms(value))
    if (a.is_string()) return a.get<std::string>();
  return "";
}

}  // namespace ovsdb

}  // namespace rampart::net
