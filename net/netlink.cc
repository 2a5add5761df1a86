// Netlink over libnl-3: requests are built as raw rtnetlink messages (so the
// exact attributes are visible here: peer netns, flags, master in the create
// request), sent in one sendmsg per batch, and every reply is matched to its
// request by sequence number. Link replies are parsed by libnl-route-3.
#include "net/netlink.h"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/sockios.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

namespace rampart::net {
namespace {

constexpr size_t kMaxAliasBytes = IFALIASZ - 1;  // the kernel's policy for IFLA_IFALIAS

struct MsgDeleter {
  void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

struct CbDeleter {
  void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};

std::string LowerFirst(std::string s) {
  if (s.size() >= 2 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// An error that libnl reports as its own code (socket-level failures).
Error NlError(int nlerr, const std::string& what) {
  return Error(ErrorKind::kSystem, what + ": " + LowerFirst(nl_geterror(nlerr)));
}

// An error the kernel answered with: errno text, plus its extended ack.
Error KernelError(int err, const std::string& what, const std::string& ext) {
  ErrorKind kind = ErrorKind::kSystem;
  if (err == EEXIST) kind = ErrorKind::kExists;
  if (err == ENODEV || err == ENOENT) kind = ErrorKind::kNotFound;
  if (err == EOPNOTSUPP) kind = ErrorKind::kUnsupported;
  std::string msg = Error::FromErrno(err, what).message();
  if (!ext.empty()) msg += " (" + LowerFirst(ext) + ")";
  return Error(kind, msg, err);
}

// A name as it may appear in a one-line message: control bytes escaped.
std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Status CheckName(const std::string& name, const std::string& what) {
  auto ok = ValidateInterfaceName(name);
  if (!ok) return ok.error().Wrap(what);
  return Ok();
}

using Mac = std::array<uint8_t, 6>;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Mac> ParseMac(const std::string& text, const std::string& what) {
  Mac mac{};
  auto bad = [&](const std::string& why) {
    return Error::Invalid(what + ": mac \"" + Printable(text) + "\": " + why);
  };
  if (text.size() != 17) return bad("expected six hex pairs like 02:00:0a:00:03:07");
  for (size_t i = 0; i < 6; ++i) {
    int hi = HexDigit(text[i * 3]), lo = HexDigit(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':'))
      return bad("expected six hex pairs like 02:00:0a:00:03:07");
    mac[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (mac[0] & 1) return bad("is a multicast address");
  if (mac == Mac{}) return bad("is all zeros");
  return mac;
}

std::string FormatMac(const uint8_t* b, size_t len) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%02x" : "%02x", b[i]);
    out += buf;
  }
  return out;
}

struct IpAddr {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};
  int size() const { return family == AF_INET ? 4 : 16; }
};

Result<IpAddr> ParseIp(const std::string& text, const std::string& what) {
  IpAddr ip;
  if (inet_pton(AF_INET, text.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
  } else {
    return Error::Invalid(what + ": \"" + Printable(text) + "\" is not an IPv4 or IPv6 address");
  }
  return ip;
}

struct Cidr {
  IpAddr ip;
  unsigned prefix = 0;
};

Result<Cidr> ParseCidr(const std::string& text, const std::string& what) {
  auto slash = text.find('/');
  if (slash == std::string::npos)
    return Error::Invalid(what + ": \"" + Printable(text) +
                          "\" has no prefix length (like 10.0.3.1/24)");
  RAMPART_ASSIGN_OR_RETURN(IpAddr ip, ParseIp(text.substr(0, slash), what));
  std::string len = text.substr(slash + 1);
  unsigned max = ip.family == AF_INET ? 32 : 128;
  unsigned prefix = 0;
  bool digits = !len.empty() && len.size() <= 3;
  for (char c : len) {
    if (c < '0' || c > '9')
      digits = false;
    else
      prefix = prefix * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits || prefix > max)
    return Error::Invalid(what + ": \"" + Printable(text) + "\": prefix length must be 0.." +
                          std::to_string(max));
  return Cidr{ip, prefix};
}

// One rtnetlink request under construction. The first failure is kept, so
// callers check once (Transact reports a request that could not be built).
class Request {
 public:
  Request(int type, int flags) : msg_(nlmsg_alloc_simple(type, flags)) {}
  template <typename T>
  Request& Header(const T& header) {
    T copy = header;
    if (msg_ && nlmsg_append(msg_.get(), &copy, sizeof copy, NLMSG_ALIGNTO) < 0) msg_.reset();
    return *this;
  }
  Request& Put(int attr, const void* data, size_t len) {
    if (msg_ && nla_put(msg_.get(), attr, static_cast<int>(len), data) < 0) msg_.reset();
    return *this;
  }
  Request& Str(int attr, const std::string& s) { return Put(attr, s.c_str(), s.size() + 1); }
  Request& U32(int attr, uint32_t v) { return Put(attr, &v, sizeof v); }
  Request& U8(int attr, uint8_t v) { return Put(attr, &v, sizeof v); }
  nlattr* Begin(int attr) {
    nlattr* nest = msg_ ? nla_nest_start(msg_.get(), attr) : nullptr;
    if (!nest) msg_.reset();
    return nest;
  }
  Request& End(nlattr* nest) {
    if (msg_ && nest && nla_nest_end(msg_.get(), nest) < 0) msg_.reset();
    return *this;
  }
  MsgPtr Take() { return std::move(msg_); }

 private:
  MsgPtr msg_;
};

ifinfomsg LinkHeader(int index = 0, unsigned flags = 0, unsigned change = 0,
                     unsigned char family = AF_UNSPEC) {
  ifinfomsg ifi{};
  ifi.ifi_family = family;
  ifi.ifi_index = index;
  ifi.ifi_flags = flags;
  ifi.ifi_change = change;
  return ifi;
}

// RTM_SETLINK toggling IFF_UP, by index if known, else by name.
MsgPtr LinkUpRequest(int index, const std::string& name, bool up) {
  Request r(RTM_SETLINK, 0);
  r.Header(LinkHeader(index, up ? IFF_UP : 0, IFF_UP));
  if (index == 0) r.Str(IFLA_IFNAME, name);
  return r.Take();
}

MsgPtr AddressRequest(int index, const Cidr& cidr) {
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<uint8_t>(cidr.ip.family);
  ifa.ifa_prefixlen = static_cast<uint8_t>(cidr.prefix);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(index);
  Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  r.Header(ifa)
      .Put(IFA_LOCAL, cidr.ip.bytes.data(), cidr.ip.size())
      .Put(IFA_ADDRESS, cidr.ip.bytes.data(), cidr.ip.size());
  if (cidr.ip.family == AF_INET && cidr.prefix <= 30) {
    uint32_t addr;
    std::memcpy(&addr, cidr.ip.bytes.data(), 4);
    uint32_t host_mask = cidr.prefix == 0 ? 0xffffffffu : (0xffffffffu >> cidr.prefix);
    uint32_t brd = addr | htonl(host_mask);
    r.Put(IFA_BROADCAST, &brd, sizeof brd);
  }
  return r.Take();
}

MsgPtr DefaultRouteRequest(int index, const IpAddr& gateway) {
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(gateway.family);
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_scope = RT_SCOPE_UNIVERSE;
  rtm.rtm_type = RTN_UNICAST;
  Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  r.Header(rtm)
      .Put(RTA_GATEWAY, gateway.bytes.data(), gateway.size())
      .U32(RTA_OIF, static_cast<uint32_t>(index));
  return r.Take();
}

// Bridge VLAN membership of a port (family AF_BRIDGE, handled by the master).
MsgPtr PortVlanRequest(int type, int index, uint16_t vid, uint16_t flags) {
  bridge_vlan_info info{};
  info.flags = flags;
  info.vid = vid;
  Request r(type, 0);
  r.Header(LinkHeader(index, 0, 0, AF_BRIDGE));
  nlattr* spec = r.Begin(IFLA_AF_SPEC);
  r.Put(IFLA_BRIDGE_VLAN_INFO, &info, sizeof info).End(spec);
  return r.Take();
}

// ---- receiving ------------------------------------------------------------

// Replies of one batch, matched to requests by sequence number. Anything
// with another sequence number (left over from an aborted exchange) is
// ignored.
struct Pending {
  explicit Pending(size_t n, std::vector<LinkInfo>* l)
      : seqs(n), errs(n), ext(n), done(n), remaining(n), links(l) {}
  std::vector<uint32_t> seqs;
  std::vector<int> errs;         // errno per request, 0 = success
  std::vector<std::string> ext;  // extended ack message per request
  std::vector<bool> done;
  size_t remaining;
  std::vector<LinkInfo>* links;

  int Find(uint32_t seq) const {
    for (size_t i = 0; i < seqs.size(); ++i)
      if (seqs[i] == seq) return static_cast<int>(i);
    return -1;
  }
  void Finish(int i) {
    if (i >= 0 && !done[static_cast<size_t>(i)]) {
      done[static_cast<size_t>(i)] = true;
      --remaining;
    }
  }
};

void OnLinkObject(nl_object* obj, void* arg) {
  auto* links = static_cast<std::vector<LinkInfo>*>(arg);
  auto* link = reinterpret_cast<rtnl_link*>(obj);
  LinkInfo li;
  li.index = rtnl_link_get_ifindex(link);
  if (const char* s = rtnl_link_get_name(link)) li.name = s;
  if (const char* s = rtnl_link_get_type(link)) li.kind = s;
  if (const char* s = rtnl_link_get_ifalias(link)) li.alias = s;
  li.master_index = rtnl_link_get_master(link);
  li.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
  li.mtu = rtnl_link_get_mtu(link);
  if (nl_addr* a = rtnl_link_get_addr(link))
    li.mac = FormatMac(static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)), nl_addr_get_len(a));
  links->push_back(std::move(li));
}

int OnSeqCheck(nl_msg*, void*) { return NL_OK; }  // matched by Pending::Find instead

int OnValid(nl_msg* msg, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  nlmsghdr* h = nlmsg_hdr(msg);
  if (p->Find(h->nlmsg_seq) < 0 || !p->links || h->nlmsg_type != RTM_NEWLINK) return NL_OK;
  int err = nl_msg_parse(msg, OnLinkObject, p->links);
  if (err < 0) {
    int i = p->Find(h->nlmsg_seq);
    if (p->errs[static_cast<size_t>(i)] == 0) {
      p->errs[static_cast<size_t>(i)] = EPROTO;
      p->ext[static_cast<size_t>(i)] = std::string("cannot parse link reply: ") + nl_geterror(err);
    }
  }
  return NL_OK;
}

int OnAck(nl_msg* msg, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  p->Finish(p->Find(nlmsg_hdr(msg)->nlmsg_seq));
  return NL_OK;
}

int OnDone(nl_msg* msg, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  nlmsghdr* h = nlmsg_hdr(msg);
  int i = p->Find(h->nlmsg_seq);
  if (i < 0) return NL_OK;
  // A dump that failed half-way carries the negative errno in NLMSG_DONE.
  if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
    int e;
    std::memcpy(&e, nlmsg_data(h), sizeof e);
    if (e < 0) p->errs[static_cast<size_t>(i)] = -e;
  }
  p->Finish(i);
  return NL_OK;
}

// The text of NLMSGERR_ATTR_MSG, if the kernel attached one (NETLINK_EXT_ACK).
std::string ExtAckMessage(const nlmsgerr* e) {
  const auto* h =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  size_t off = sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
  size_t payload = h->nlmsg_len - NLMSG_HDRLEN;
  if (off >= payload) return {};
  const auto* tlvs = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(e) + off);
  const nlattr* m = nla_find(tlvs, static_cast<int>(payload - off), NLMSGERR_ATTR_MSG);
  if (!m || nla_len(m) <= 0) return {};
  const char* s = static_cast<const char*>(nla_data(m));
  return std::string(s, strnlen(s, static_cast<size_t>(nla_len(m))));
}

int OnError(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  int i = p->Find(e->msg.nlmsg_seq);
  if (i < 0) return NL_SKIP;
  p->errs[static_cast<size_t>(i)] = -e->error;
  p->ext[static_cast<size_t>(i)] = ExtAckMessage(e);
  p->Finish(i);
  return NL_SKIP;
}

Result<std::unique_ptr<nl_sock, Netlink::SockDeleter>> Connect(const std::string& what) {
  std::unique_ptr<nl_sock, Netlink::SockDeleter> sock(nl_socket_alloc());
  if (!sock) return Error::FromErrno(ENOMEM, what);
  errno = 0;
  int r = nl_connect(sock.get(), NETLINK_ROUTE);
  if (r < 0) {
    if (errno != 0) return Error::FromErrno(errno, what);
    return NlError(r, what);
  }
  // Ask for the kernel's error text and for acks without a copy of the request.
  int one = 1;
  int fd = nl_socket_get_fd(sock.get());
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return sock;
}

}  // namespace

Status ValidateInterfaceName(const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error::Invalid("invalid interface name \"" + Printable(name) + "\": " + why);
  };
  if (name.empty()) return bad("empty");
  if (name.size() >= IFNAMSIZ) return bad("longer than " + std::to_string(IFNAMSIZ - 1) + " bytes");
  if (name == "." || name == "..") return bad("reserved");
  for (unsigned char c : name) {
    if (c == '/') return bad("contains '/'");
    if (c == ':') return bad("contains ':'");
    if (c == ' ' || (c >= '\t' && c <= '\r')) return bad("contains whitespace");
    if (c < 0x20 || c == 0x7f) return bad("contains a control character");
  }
  return Ok();
}

struct Netlink::Op {
  MsgPtr msg;
  std::string what;      // "add address 10.0.3.7/24 to eth0"
  int ignore_errno = 0;  // an errno that counts as success for this request
};

void Netlink::SockDeleter::operator()(nl_sock* sock) const { nl_socket_free(sock); }

Netlink::Netlink(std::unique_ptr<nl_sock, SockDeleter> sock) : sock_(std::move(sock)) {}
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;
Netlink::~Netlink() = default;

Result<Netlink> Netlink::Open() {
  RAMPART_ASSIGN_OR_RETURN(auto sock, Connect("open netlink socket"));
  return Netlink(std::move(sock));
}

Result<Netlink> Netlink::OpenIn(int netns_fd) {
  std::string what = "open netlink socket in netns fd " + std::to_string(netns_fd);
  if (netns_fd < 0) return Error::Invalid(what + ": not a file descriptor");
  std::optional<Result<std::unique_ptr<nl_sock, SockDeleter>>> made;
  // Network namespaces are per thread: a short-lived thread joins the
  // target, makes the socket (which keeps that netns) and exits, so the
  // caller's thread never switches namespace.
  try {
    std::thread t([&] {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        made.emplace(Error::FromErrno(errno, what + ": setns"));
        return;
      }
      made.emplace(Connect(what));
    });
    t.join();
  } catch (const std::system_error& e) {
    return Error::FromErrno(e.code().value(), what + ": start thread");
  }
  if (!made) return Error::Internal(what + ": thread produced no socket");
  if (!made->has_value()) return made->error();
  return Netlink(std::move(**made));
}

Status Netlink::Transact(std::vector<Op>& ops, std::vector<LinkInfo>* links) {
  nl_sock* sk = sock_.get();
  if (!sk)
    return Error::Internal((ops.empty() ? std::string("netlink") : ops[0].what) +
                           ": socket was moved from");
  for (auto& op : ops)
    if (!op.msg) return Error::Internal(op.what + ": cannot build netlink request");
  Pending p(ops.size(), links);
  std::string buf;
  for (size_t i = 0; i < ops.size(); ++i) {
    nl_complete_msg(sk, ops[i].msg.get());  // port, sequence number, NLM_F_REQUEST | NLM_F_ACK
    nlmsghdr* h = nlmsg_hdr(ops[i].msg.get());
    p.seqs[i] = h->nlmsg_seq;
    buf.append(reinterpret_cast<const char*>(h), h->nlmsg_len);
    buf.resize(NLMSG_ALIGN(buf.size()), '\0');
  }
  // One sendmsg for the whole batch: the kernel runs the requests in order.
  int r = nl_sendto(sk, buf.data(), buf.size());
  if (r < 0) return NlError(r, ops[0].what + ": send netlink request");

  std::unique_ptr<nl_cb, CbDeleter> cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return Error::FromErrno(ENOMEM, ops[0].what + ": netlink callbacks");
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, OnSeqCheck, nullptr);
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, OnValid, &p);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, OnAck, &p);
  nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, OnDone, &p);
  nl_cb_err(cb.get(), NL_CB_CUSTOM, OnError, &p);
  while (p.remaining > 0) {
    r = nl_recvmsgs(sk, cb.get());
    if (r < 0) {
      size_t i = 0;
      while (i + 1 < ops.size() && p.done[i]) ++i;
      return NlError(r, ops[i].what + ": receive netlink reply");
    }
  }
  for (size_t i = 0; i < ops.size(); ++i)
    if (p.errs[i] != 0 && p.errs[i] != ops[i].ignore_errno)
      return KernelError(p.errs[i], ops[i].what, p.ext[i]);
  return Ok();
}

Result<int> Netlink::IndexOf(const std::string& name, const std::string& what) {
  RAMPART_TRY(CheckName(name, what));
  Request r(RTM_GETLINK, 0);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, name).U32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  std::vector<LinkInfo> links;
  RAMPART_TRY(Transact(ops, &links));
  if (links.empty()) return Error::Internal(what + ": kernel sent no link");
  return links.front().index;
}

Result<LinkInfo> Netlink::GetLink(const std::string& name) {
  std::string what = "get link " + Printable(name);
  RAMPART_TRY(CheckName(name, what));
  Request r(RTM_GETLINK, 0);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, name).U32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  std::vector<LinkInfo> links;
  RAMPART_TRY(Transact(ops, &links));
  if (links.empty()) return Error::Internal(what + ": kernel sent no link");
  return std::move(links.front());
}

Result<std::vector<LinkInfo>> Netlink::ListLinks() {
  Request r(RTM_GETLINK, NLM_F_DUMP);
  r.Header(LinkHeader()).U32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<Op> ops;
  ops.push_back({r.Take(), "list links"});
  std::vector<LinkInfo> links;
  RAMPART_TRY(Transact(ops, &links));
  return links;
}

Status Netlink::CreateBridge(const std::string& name, const BridgeOptions& options) {
  std::string what = "create bridge " + Printable(name);
  RAMPART_TRY(CheckName(name, what));
  std::optional<Mac> mac;
  if (!options.mac.empty()) {
    RAMPART_ASSIGN_OR_RETURN(mac, ParseMac(options.mac, what));
  }
  if (options.alias.size() > kMaxAliasBytes)
    return Error::Invalid(what + ": alias longer than " + std::to_string(kMaxAliasBytes) +
                          " bytes");

  Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, name);
  if (options.mtu) r.U32(IFLA_MTU, options.mtu);
  if (mac) r.Put(IFLA_ADDRESS, mac->data(), mac->size());
  nlattr* info = r.Begin(IFLA_LINKINFO);
  r.Str(IFLA_INFO_KIND, "bridge");
  if (options.vlan_filtering) {
    nlattr* data = r.Begin(IFLA_INFO_DATA);
    r.U8(IFLA_BR_VLAN_FILTERING, 1).End(data);
  }
  r.End(info);
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  auto made = Transact(ops, nullptr);
  if (!made) {
    const Error& e = made.error();
    if (options.vlan_filtering && e.kind() == ErrorKind::kUnsupported)
      return Error(
          e.kind(),
          e.message() + " (vlan_filtering needs a kernel with CONFIG_BRIDGE_VLAN_FILTERING)",
          e.err());
    return e;
  }

  if (!options.alias.empty()) {
    auto set = SetAlias(name, options.alias);
    if (!set) {
      Error e = set.error().Wrap(what);
      auto undo = DeleteLink(name);
      return undo ? e : e.WithCleanupFailure(undo.error());
    }
  }
  return Ok();
}

Status Netlink::CreateVeth(const VethRequest& req) {
  std::string what =
      "create veth " + Printable(req.host_name) + " (peer " + Printable(req.peer_name) + ")";
  RAMPART_TRY(CheckName(req.host_name, what));
  RAMPART_TRY(CheckName(req.peer_name, what));
  std::optional<Mac> host_mac, peer_mac;
  if (!req.host_mac.empty()) {
    RAMPART_ASSIGN_OR_RETURN(host_mac, ParseMac(req.host_mac, what + ": host end"));
  }
  if (!req.peer_mac.empty()) {
    RAMPART_ASSIGN_OR_RETURN(peer_mac, ParseMac(req.peer_mac, what + ": peer"));
  }
  if (req.alias.size() > kMaxAliasBytes)
    return Error::Invalid(what + ": alias longer than " + std::to_string(kMaxAliasBytes) +
                          " bytes");
  if (req.peer_netns_fd < -1)
    return Error::Invalid(what + ": peer netns fd " + std::to_string(req.peer_netns_fd));
  int master = 0;
  if (!req.master.empty()) {
    RAMPART_ASSIGN_OR_RETURN(master,
                             IndexOf(req.master, what + ": master " + Printable(req.master)));
  }

  // One RTM_NEWLINK: host end up and enslaved, peer created in its netns.
  // If any part fails (name taken in either netns, bad master) the kernel
  // unregisters the pair before it answers.
  Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  r.Header(LinkHeader(0, req.host_up ? IFF_UP : 0, IFF_UP)).Str(IFLA_IFNAME, req.host_name);
  if (req.mtu) r.U32(IFLA_MTU, req.mtu);
  if (host_mac) r.Put(IFLA_ADDRESS, host_mac->data(), host_mac->size());
  if (master) r.U32(IFLA_MASTER, static_cast<uint32_t>(master));
  nlattr* info = r.Begin(IFLA_LINKINFO);
  r.Str(IFLA_INFO_KIND, "veth");
  nlattr* data = r.Begin(IFLA_INFO_DATA);
  nlattr* peer = r.Begin(VETH_INFO_PEER);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, req.peer_name);
  if (req.mtu) r.U32(IFLA_MTU, req.mtu);
  if (peer_mac) r.Put(IFLA_ADDRESS, peer_mac->data(), peer_mac->size());
  if (req.peer_netns_fd >= 0) r.U32(IFLA_NET_NS_FD, static_cast<uint32_t>(req.peer_netns_fd));
  r.End(peer).End(data).End(info);
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  RAMPART_TRY(Transact(ops, nullptr));

  if (!req.alias.empty()) {
    auto set = SetAlias(req.host_name, req.alias);
    if (!set) {
      Error e = set.error().Wrap(what);
      auto undo = DeleteLink(req.host_name);  // takes the peer with it
      return undo ? e : e.WithCleanupFailure(undo.error());
    }
  }
  return Ok();
}

Status Netlink::DeleteLink(const std::string& name) {
  std::string what = "delete link " + Printable(name);
  RAMPART_TRY(CheckName(name, what));
  Request r(RTM_DELLINK, 0);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, name);
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  return Transact(ops, nullptr);
}

Status Netlink::SetUp(const std::string& name, bool up) {
  std::string what = "set link " + Printable(name) + (up ? " up" : " down");
  RAMPART_TRY(CheckName(name, what));
  std::vector<Op> ops;
  ops.push_back({LinkUpRequest(0, name, up), what});
  return Transact(ops, nullptr);
}

Status Netlink::SetMaster(const std::string& port, const std::string& bridge) {
  std::string what = bridge.empty()
                         ? "release " + Printable(port) + " from its master"
                         : "set master of " + Printable(port) + " to " + Printable(bridge);
  RAMPART_TRY(CheckName(port, what));
  int master = 0;
  if (!bridge.empty()) {
    RAMPART_ASSIGN_OR_RETURN(master, IndexOf(bridge, what));
  }
  Request r(RTM_SETLINK, 0);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, port).U32(IFLA_MASTER, static_cast<uint32_t>(master));
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  return Transact(ops, nullptr);
}

Status Netlink::SetAlias(const std::string& name, const std::string& alias) {
  std::string what = "set alias of " + Printable(name);
  RAMPART_TRY(CheckName(name, what));
  if (alias.size() > kMaxAliasBytes)
    return Error::Invalid(what + ": alias longer than " + std::to_string(kMaxAliasBytes) +
                          " bytes");
  Request r(RTM_SETLINK, 0);
  r.Header(LinkHeader()).Str(IFLA_IFNAME, name);
  // A zero-length IFLA_IFALIAS removes the alias.
  if (alias.empty())
    r.Put(IFLA_IFALIAS, nullptr, 0);
  else
    r.Put(IFLA_IFALIAS, alias.data(), alias.size());
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  return Transact(ops, nullptr);
}

Status Netlink::AddAddress(const std::string& ifname, const std::string& cidr) {
  std::string what = "add address " + Printable(cidr) + " to " + Printable(ifname);
  RAMPART_ASSIGN_OR_RETURN(Cidr parsed, ParseCidr(cidr, what));
  RAMPART_ASSIGN_OR_RETURN(int index, IndexOf(ifname, what));
  std::vector<Op> ops;
  ops.push_back({AddressRequest(index, parsed), what});
  return Transact(ops, nullptr);
}

Status Netlink::AddDefaultRoute(const std::string& gateway, const std::string& ifname) {
  std::string what = "add default route via " + Printable(gateway) + " dev " + Printable(ifname);
  RAMPART_ASSIGN_OR_RETURN(IpAddr gw, ParseIp(gateway, what));
  RAMPART_ASSIGN_OR_RETURN(int index, IndexOf(ifname, what));
  std::vector<Op> ops;
  ops.push_back({DefaultRouteRequest(index, gw), what});
  return Transact(ops, nullptr);
}

Status Netlink::SetBridgePortVlan(const std::string& port, int vid) {
  std::string what = "set vlan " + std::to_string(vid) + " on port " + Printable(port);
  if (vid < 1 || vid > 4094) return Error::Invalid(what + ": vlan id must be 1..4094");
  RAMPART_ASSIGN_OR_RETURN(int index, IndexOf(port, what));
  std::vector<Op> ops;
  ops.push_back({PortVlanRequest(RTM_SETLINK, index, static_cast<uint16_t>(vid),
                                 BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED),
                 what});
  if (vid != 1) {
    // An access port carries one VLAN: drop the default VLAN 1 every new
    // port gets (absent already: fine).
    ops.push_back({PortVlanRequest(RTM_DELLINK, index, 1, 0),
                   "remove vlan 1 from port " + Printable(port), ENOENT});
  }
  auto set = Transact(ops, nullptr);
  if (!set && set.error().kind() == ErrorKind::kUnsupported) {
    const Error& e = set.error();
    return Error(e.kind(), e.message() + " (needs a port of a vlan_filtering bridge)", e.err());
  }
  return set;
}

Status Netlink::SetHairpin(const std::string& port, bool on) {
  std::string what = std::string(on ? "enable" : "disable") + " hairpin on port " + Printable(port);
  RAMPART_ASSIGN_OR_RETURN(int index, IndexOf(port, what));
  const uint8_t mode = on ? 1 : 0;
  Request r(RTM_SETLINK, 0);
  r.Header(LinkHeader(index, 0, 0, AF_BRIDGE));
  nlattr* info = r.Begin(IFLA_PROTINFO);
  r.Put(IFLA_BRPORT_MODE, &mode, sizeof mode).End(info);
  std::vector<Op> ops;
  ops.push_back({r.Take(), what});
  return Transact(ops, nullptr);
}

Status Netlink::ConfigureInterface(const std::string& ifname, const std::string& cidr,
                                   const std::string& gateway) {
  std::string name = Printable(ifname);
  std::string addr_what = "add address " + Printable(cidr) + " to " + name;
  std::string route_what = "add default route via " + Printable(gateway) + " dev " + name;
  RAMPART_ASSIGN_OR_RETURN(Cidr parsed, ParseCidr(cidr, addr_what));
  std::optional<IpAddr> gw;
  if (!gateway.empty()) {
    RAMPART_ASSIGN_OR_RETURN(gw, ParseIp(gateway, route_what));
  }
  RAMPART_ASSIGN_OR_RETURN(int index, IndexOf(ifname, "configure " + name));
  std::vector<Op> ops;
  ops.push_back({LinkUpRequest(0, "lo", true), "set link lo up"});
  ops.push_back({LinkUpRequest(index, ifname, true), "set link " + name + " up"});
  ops.push_back({AddressRequest(index, parsed), addr_what});
  if (gw) ops.push_back({DefaultRouteRequest(index, *gw), route_what});
  return Transact(ops, nullptr);
}

Status ConfigureContainerEnd(int netns_fd, const std::string& ifname, const std::string& cidr,
                             const std::string& gateway) {
  std::string what = "configure " + Printable(ifname) + " in netns fd " + std::to_string(netns_fd);
  // Cheap checks first: bad input costs no socket.
  RAMPART_TRY(CheckName(ifname, what));
  {
    auto parsed = ParseCidr(cidr, what + ": address");
    if (!parsed) return parsed.error();
  }
  if (!gateway.empty()) {
    auto gw = ParseIp(gateway, what + ": gateway");
    if (!gw) return gw.error();
  }
  RAMPART_ASSIGN_OR_RETURN(Netlink nl, Netlink::OpenIn(netns_fd));
  return nl.ConfigureInterface(ifname, cidr, gateway);
}

Status DisableTxChecksum(int netns_fd, const std::string& ifname) {
  const std::string what = "turn off tx checksum offload on " + Printable(ifname);
  RAMPART_TRY(CheckName(ifname, what));
  Status result = Ok();
  std::thread worker([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      result = Error::FromErrno(errno, what + ": enter the network namespace");
      return;
    }
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      result = Error::FromErrno(errno, what + ": socket");
      return;
    }
    ethtool_value v{};
    v.cmd = ETHTOOL_STXCSUM;
    v.data = 0;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char*>(&v);
    if (::ioctl(s, SIOCETHTOOL, &ifr) != 0) result = Error::FromErrno(errno, what);
    ::close(s);
  });
  worker.join();
  return result;
}

}  // namespace rampart::net
