#include "net/nat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <dlfcn.h>
#include <type_traits>
#include <nftables/libnftables.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>
#include <functional>
#include <thread>
#include <utility>

#include "base/unique_fd.h"

namespace rampart::net {
namespace {

constexpr size_t kMaxNetworkName = 64;
constexpr size_t kMaxContainerName = 100;  // the comment "rampart:NAME" must stay under 128 bytes
constexpr size_t kMaxIfName = 15;          // IFNAMSIZ - 1
constexpr const char kIpForwardPath[] = "/proc/sys/net/ipv4/ip_forward";

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// [A-Za-z0-9][A-Za-z0-9_.-]*: safe inside nft identifiers, quoted strings
// and comments without escaping.
bool IsSafeName(const std::string& s) {
  if (s.empty() || !IsAlnum(s[0])) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

Status CheckName(const std::string& what, const std::string& name, size_t max_len) {
  if (name.empty()) return Error::Invalid(what + " is empty");
  if (!IsSafeName(name)) {
    return Error::Invalid(what + " \"" + name +
                          "\" must start with a letter or digit and contain only letters, "
                          "digits, '_', '.' and '-'");
  }
  if (name.size() > max_len) {
    return Error::Invalid(what + " \"" + name + "\" is longer than " + std::to_string(max_len) +
                          " characters");
  }
  return Ok();
}

// A dotted-quad IPv4 address in canonical form (what inet_ntop prints), so
// the text we put in the ruleset is exactly what nft will list back.
Result<uint32_t> ParseIpv4(const std::string& what, const std::string& text) {
  in_addr addr{};
  if (text.empty()) return Error::Invalid(what + " is empty");
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1) {
    return Error::Invalid(what + " \"" + text + "\" is not an ipv4 address");
  }
  char buf[INET_ADDRSTRLEN];
  if (::inet_ntop(AF_INET, &addr, buf, sizeof(buf)) == nullptr || text != buf) {
    return Error::Invalid(what + " \"" + text + "\" is not in canonical form (\"" + buf + "\")");
  }
  return ntohl(addr.s_addr);
}

std::string FormatIpv4(uint32_t host_order) {
  in_addr addr{};
  addr.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &addr, buf, sizeof(buf));
  return buf;
}

// Decimal 1-65535, digits only.
std::optional<uint16_t> ParsePort(const std::string& text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

struct Subnet {
  uint32_t base = 0;
  uint32_t mask = 0;
  bool Contains(uint32_t a) const { return (a & mask) == base; }
};

Result<Subnet> ParseSubnet(const std::string& text) {
  const std::string what = "subnet \"" + text + "\"";
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return Error::Invalid(what + " must be ADDRESS/PREFIX");
  const std::string len_text = text.substr(slash + 1);
  int len = -1;
  if (!len_text.empty() && len_text.size() <= 2 && IsDigit(len_text[0]) &&
      (len_text.size() == 1 || IsDigit(len_text[1]))) {
    len = std::stoi(len_text);
  }
  if (len < 1 || len > 32 || (len_text.size() == 2 && len_text[0] == '0')) {
    return Error::Invalid(what + ": prefix length must be 1-32");
  }
  auto addr = ParseIpv4("subnet " + text + ": address", text.substr(0, slash));
  if (!addr) return addr.error();
  Subnet s;
  s.mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
  s.base = *addr & s.mask;
  if (s.base != *addr) {
    return Error::Invalid(what + " has host bits set (did you mean " + FormatIpv4(s.base) + "/" +
                          len_text + "?)");
  }
  return s;
}

// How the user would have written the forward: "--publish 8080:80/tcp".
std::string PublishLabel(const PortForward& f) {
  return "--publish " + std::to_string(f.host_port) + ":" + std::to_string(f.container_port) + "/" +
         f.proto;
}

// "Could not resolve hostname: Name or service not known" →
// "could not resolve hostname: name or service not known": the first letter
// of each ": "-separated part is lowercased unless it starts an acronym.
std::string LowercaseParts(std::string s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const bool starts_part = i == 0 || (i >= 2 && s[i - 1] == ' ' && s[i - 2] == ':');
    if (starts_part && IsUpper(s[i]) && (i + 1 >= s.size() || !IsUpper(s[i + 1]))) {
      s[i] = static_cast<char>(s[i] - 'A' + 'a');
    }
  }
  return s;
}

bool IsMarkerLine(const std::string& line) {
  bool any = false;
  for (char c : line) {
    if (c == '^' || c == '~') {
      any = true;
    } else if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return any;
}

std::string TrimSpaces(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Writes all of `data`; errors read "<what>: <reason>".
Status WriteAll(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(errno, what);
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

}  // namespace

std::string NatTableName(const std::string& network) { return kNatTablePrefix + network; }

std::optional<std::string> NetworkFromNatTable(const std::string& table) {
  const std::string prefix = kNatTablePrefix;
  if (table.size() <= prefix.size() || table.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  return table.substr(prefix.size());
}

Result<PortForward> ParsePublish(const std::string& spec) {
  const std::string what = "--publish " + spec;
  const std::string usage = ": expected HOST_PORT:CONTAINER_PORT[/tcp|/udp]";
  PortForward f;
  std::string ports = spec;
  const size_t slash = spec.find('/');
  if (slash != std::string::npos) {
    f.proto = spec.substr(slash + 1);
    ports = spec.substr(0, slash);
    if (f.proto != "tcp" && f.proto != "udp") {
      return Error::Invalid(what + ": protocol must be tcp or udp, not \"" + f.proto + "\"");
    }
  }
  const size_t colon = ports.find(':');
  if (colon == std::string::npos) return Error::Invalid(what + usage);
  if (ports.find(':', colon + 1) != std::string::npos) {
    return Error::Invalid(what + ": binding to one host address is not supported" + usage);
  }
  const auto host = ParsePort(ports.substr(0, colon));
  if (!host) return Error::Invalid(what + ": host port must be 1-65535");
  const auto container = ParsePort(ports.substr(colon + 1));
  if (!container) return Error::Invalid(what + ": container port must be 1-65535");
  f.host_port = *host;
  f.container_port = *container;
  return f;
}

Status ValidatePortForward(const PortForward& f) {
  const std::string what = PublishLabel(f);
  if (f.proto != "tcp" && f.proto != "udp") {
    return Error::Invalid(what + ": protocol must be tcp or udp");
  }
  if (f.host_port == 0) return Error::Invalid(what + ": host port must be 1-65535");
  if (f.container_port == 0) return Error::Invalid(what + ": container port must be 1-65535");
  if (Status s = CheckName("container name", f.container, kMaxContainerName); !s) {
    return s.error().Wrap(what);
  }
  if (auto ip = ParseIpv4("container ip", f.container_ip); !ip) {
    return ip.error().Wrap(what);
  }
  return Ok();
}

Status ValidateNat(const NatConfig& config, const std::vector<PortForward>& forwards) {
  const std::string what = "nat for network " + config.network;
  if (Status s = CheckName("network name", config.network, kMaxNetworkName); !s) {
    return s.error().Wrap("nat");
  }
  if (Status s = CheckName("bridge name", config.bridge, kMaxIfName); !s) {
    return s.error().Wrap(what);
  }
  auto subnet = ParseSubnet(config.subnet);
  if (!subnet) return subnet.error().Wrap(what);
  if (!config.gateway.empty()) {
    auto gw = ParseIpv4("gateway", config.gateway);
    if (!gw) return gw.error().Wrap(what);
    if (!subnet->Contains(*gw)) {
      return Error::Invalid(what + ": gateway " + config.gateway + " is outside subnet " +
                            config.subnet);
    }
  }
  std::set<std::pair<std::string, uint16_t>> seen;
  for (const PortForward& f : forwards) {
    RAMPART_TRY(ValidatePortForward(f));
    const uint32_t ip = *ParseIpv4("container ip", f.container_ip);
    if (!subnet->Contains(ip)) {
      return Error::Invalid(PublishLabel(f) + ": container ip " + f.container_ip +
                            " is outside subnet " + config.subnet + " of network " +
                            config.network);
    }
    if (!seen.insert({f.proto, f.host_port}).second) {
      return Error(ErrorKind::kExists, PublishLabel(f) + ": host port " +
                                           std::to_string(f.host_port) + "/" + f.proto +
                                           " is published twice on network " + config.network);
    }
  }
  return Ok();
}

std::string NatRuleset(const NatConfig& c, const std::vector<PortForward>& forwards) {
  const std::string br = "\"" + c.bridge + "\"";
  std::ostringstream o;
  o << "table inet " << NatTableName(c.network) << " {\n";

  o << "\tchain forward {\n"
    << "\t\ttype filter hook forward priority filter; policy accept;\n"
    << "\t\tct state established,related accept\n";
  for (const PortForward& f : forwards) {
    o << "\t\tip daddr " << f.container_ip << " oifname " << br << " " << f.proto << " dport "
      << f.container_port << " ct status dnat accept comment \"rampart:" << f.container << "\"\n";
  }
  o << "\t\tiifname " << br << " accept\n"
    << "\t\toifname " << br << " accept\n"
    << "\t}\n";

  if (c.dns_dhcp_input) {
    o << "\tchain input {\n"
      << "\t\ttype filter hook input priority filter; policy accept;\n"
      << "\t\tiifname " << br << " udp dport { 53, 67 } accept\n"
      << "\t\tiifname " << br << " tcp dport 53 accept\n"
      << "\t}\n";
  }

  if (!forwards.empty()) {
    // Only traffic to one of the host's own addresses is forwarded (like
    // docker's and podman's ADDRTYPE LOCAL match), whatever interface it came in on.
    o << "\tchain prerouting {\n"
      << "\t\ttype nat hook prerouting priority dstnat; policy accept;\n";
    for (const PortForward& f : forwards) {
      o << "\t\tmeta nfproto ipv4 fib daddr type local " << f.proto << " dport " << f.host_port
        << " dnat ip to " << f.container_ip << ":" << f.container_port
        << " comment \"rampart:" << f.container << "\"\n";
    }
    o << "\t}\n";
    // Connections made on the host to its own (non-loopback) addresses never
    // pass prerouting. Loopback would need route_localnet, so it is left out.
    o << "\tchain output {\n"
      << "\t\ttype nat hook output priority -100; policy accept;\n";
    for (const PortForward& f : forwards) {
      o << "\t\tip daddr != 127.0.0.0/8 fib daddr type local " << f.proto << " dport "
        << f.host_port << " dnat ip to " << f.container_ip << ":" << f.container_port
        << " comment \"rampart:" << f.container << "\"\n";
    }
    o << "\t}\n";
  }

  if (c.masquerade || !forwards.empty()) {
    o << "\tchain postrouting {\n"
      << "\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
    if (c.masquerade) {
      o << "\t\tip saddr " << c.subnet << " ip daddr != " << c.subnet << " masquerade\n";
    }
    if (!forwards.empty()) {
      // A container reaching a published port of its own network: without
      // this, the server would answer it directly and the reply would not match.
      o << "\t\tct status dnat ip saddr " << c.subnet << " ip daddr " << c.subnet << " oifname "
        << br << " masquerade comment \"rampart hairpin\"\n";
    }
    o << "\t}\n";
  }
  o << "}\n";
  return o.str();
}

std::string NatApplyScript(const NatConfig& config, const std::vector<PortForward>& forwards) {
  const std::string table = "table inet " + NatTableName(config.network);
  return table + " {}\ndelete " + table + "\n" + NatRuleset(config, forwards);
}

std::string FormatNftErrors(const std::string& buffer) {
  std::vector<std::string> lines;
  {
    std::istringstream in(buffer);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::vector<std::string> errors;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    size_t at = l.find("Error: ");
    if (at == std::string::npos) continue;
    std::string message = LowercaseParts(TrimSpaces(l.substr(at + 7)));
    while (!message.empty() && message.back() == '.') message.pop_back();
    // "FILE:LINE:COLS: Error: ..." (a script read from a file has a location).
    std::string location = at >= 2 ? l.substr(0, at - 2) : "";
    std::string line_no;
    const size_t last = location.rfind(':');
    if (last != std::string::npos && last > 0) {
      const size_t prev = location.rfind(':', last - 1);
      const std::string candidate =
          location.substr(prev == std::string::npos ? 0 : prev + 1, last - prev - 1);
      if (!candidate.empty() && candidate.find_first_not_of("0123456789") == std::string::npos) {
        line_no = candidate;
      }
    }
    std::string text = line_no.empty() ? message : "line " + line_no + ": " + message;
    // The source line and the ^^^ marker under the offending part follow. Without
    // a location (a script run from a buffer) libnftables 1.0.6 prints the wrong
    // source line, so it is only shown together with a line number.
    if (i + 2 < lines.size() && IsMarkerLine(lines[i + 2])) {
      const std::string& src = lines[i + 1];
      const std::string& mark = lines[i + 2];
      if (!line_no.empty()) {
        std::string span;
        for (size_t k = 0; k < mark.size() && k < src.size(); ++k) {
          if (mark[k] == '^' || mark[k] == '~') span += src[k];
        }
        span = TrimSpaces(span);
        const std::string whole = TrimSpaces(src);
        text += span.empty() || span == whole ? " (`" + whole + "`)"
                                              : " (at `" + span + "` in `" + whole + "`)";
      }
      i += 2;
    }
    errors.push_back(text);
  }
  if (errors.empty()) {
    for (const std::string& l : lines) {
      if (!TrimSpaces(l).empty()) errors.push_back(LowercaseParts(TrimSpaces(l)));
    }
  }
  if (errors.empty()) return "nft failed without a message";
  constexpr size_t kShown = 3;
  std::string out;
  for (size_t i = 0; i < errors.size() && i < kShown; ++i) {
    if (i > 0) out += "; ";
    out += errors[i];
  }
  if (errors.size() > kShown) {
    out += " (and " + std::to_string(errors.size() - kShown) + " more errors)";
  }
  return out;
}

// libnftables (and the five libraries it pulls in) is loaded on first use,
// not linked: every rampart command would otherwise map them at exec,
// ~0.7 ms each time, though only network set-up needs them.
namespace {

struct NftApi {
  decltype(&::nft_ctx_new) ctx_new;
  decltype(&::nft_ctx_free) ctx_free;
  decltype(&::nft_ctx_buffer_output) buffer_output;
  decltype(&::nft_ctx_buffer_error) buffer_error;
  decltype(&::nft_ctx_get_output_buffer) get_output_buffer;
  decltype(&::nft_ctx_get_error_buffer) get_error_buffer;
  decltype(&::nft_run_cmd_from_buffer) run_from_buffer;
  decltype(&::nft_run_cmd_from_filename) run_from_filename;
};

Result<const NftApi*> LoadNftApi() {
  static const Result<NftApi> api = []() -> Result<NftApi> {
    void* lib = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      // No program interpreter: a static rampart-core (RAMPART_STATIC_CORE),
      // whose dlopen needs the shared glibc it was linked with.
      const bool static_exe = ::getauxval(AT_BASE) == 0;
      return Error::Unsupported(std::string("open nftables: ") + ::dlerror() +
                                (static_exe ? " (install libnftables1; this static rampart-core needs the glibc it "
                                              "was built with: rebuild rampart after a glibc upgrade)"
                                            : " (install libnftables1)"));
    }
    NftApi a{};
    auto sym = [&](const char* name, auto& fn) -> bool {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      return fn != nullptr;
    };
    if (!sym("nft_ctx_new", a.ctx_new) || !sym("nft_ctx_free", a.ctx_free) ||
        !sym("nft_ctx_buffer_output", a.buffer_output) || !sym("nft_ctx_buffer_error", a.buffer_error) ||
        !sym("nft_ctx_get_output_buffer", a.get_output_buffer) ||
        !sym("nft_ctx_get_error_buffer", a.get_error_buffer) ||
        !sym("nft_run_cmd_from_buffer", a.run_from_buffer) ||
        !sym("nft_run_cmd_from_filename", a.run_from_filename))
      return Error::Unsupported(std::string("open nftables: libnftables.so.1 lacks a symbol: ") + ::dlerror());
    return a;
  }();
  if (!api) return api.error();
  return &*api;
}

}  // namespace

void Nft::CtxDeleter::operator()(nft_ctx* ctx) const {
  if (auto api = LoadNftApi(); api) (*api)->ctx_free(ctx);
}

Result<Nft> Nft::Open() {
  // libnftables 1.0.6 exit()s the process when it cannot open its netlink
  // socket; check that we can before handing it over.
  {
    UniqueFd probe(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!probe) return Error::FromErrno(errno, "open nftables: netfilter netlink socket");
  }
  RAMPART_ASSIGN_OR_RETURN(const NftApi* api, LoadNftApi());
  nft_ctx* raw = api->ctx_new(NFT_CTX_DEFAULT);
  if (raw == nullptr) return Error::Internal("open nftables: nft_ctx_new failed");
  Nft nft(raw);
  if (api->buffer_output(raw) != 0 || api->buffer_error(raw) != 0) {
    return Error::Internal("open nftables: cannot buffer output");
  }
  return nft;
}

Status Nft::RunScript(const std::string& what, const std::string& script) {
  // Run from a file (a memfd) rather than a buffer: then nft's errors carry
  // the line number and the right source line.
  RAMPART_ASSIGN_OR_RETURN(const NftApi* api, LoadNftApi());
  int rc = -1;
  UniqueFd memfd(::memfd_create("rampart-nft", MFD_CLOEXEC));
  const std::string path = "/proc/self/fd/" + std::to_string(memfd.get());
  if (memfd && WriteAll(memfd.get(), script, "write nft script") &&
      ::access(path.c_str(), R_OK) == 0) {
    rc = api->run_from_filename(ctx_.get(), path.c_str());
  } else {
    rc = api->run_from_buffer(ctx_.get(), script.c_str());
  }
  const std::string errors = api->get_error_buffer(ctx_.get());
  if (rc == 0) return Ok();
  const std::string text = FormatNftErrors(errors);
  // Failures the kernel reports ("could not process rule: ...") are system
  // errors; the rest (syntax, evaluation) are bad input.
  const bool from_kernel = errors.find("Could not process rule") != std::string::npos ||
                           errors.find("netlink") != std::string::npos;
  return Error(from_kernel ? ErrorKind::kSystem : ErrorKind::kInvalid, what + ": " + text);
}

Result<std::string> Nft::RunForOutput(const std::string& what, const std::string& script) {
  RAMPART_ASSIGN_OR_RETURN(const NftApi* api, LoadNftApi());
  api->get_output_buffer(ctx_.get());  // drop anything left over
  RAMPART_TRY(RunScript(what, script));
  return std::string(api->get_output_buffer(ctx_.get()));
}

Status Nft::Run(const std::string& script) { return RunScript("run nft script", script); }

Status Nft::ApplyNetwork(const NatConfig& config, const std::vector<PortForward>& forwards) {
  RAMPART_TRY(ValidateNat(config, forwards));
  return RunScript("apply nat for network " + config.network, NatApplyScript(config, forwards));
}

Status Nft::RemoveNetwork(const std::string& network) {
  if (Status s = CheckName("network name", network, kMaxNetworkName); !s) {
    return s.error().Wrap("remove nat");
  }
  const std::string table = "table inet " + NatTableName(network);
  return RunScript("remove nat for network " + network, table + " {}\ndelete " + table + "\n");
}

Result<std::vector<std::string>> Nft::ListInetTables() {
  RAMPART_ASSIGN_OR_RETURN(std::string out, RunForOutput("list nft tables", "list tables\n"));
  std::vector<std::string> names;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string keyword, family, name, rest;
    if (!(words >> keyword >> family >> name) || (words >> rest)) continue;
    if (keyword == "table" && family == "inet") names.push_back(name);
  }
  return names;
}

Result<std::vector<std::string>> Nft::ListOurTables() {
  RAMPART_ASSIGN_OR_RETURN(auto all, ListInetTables());
  std::vector<std::string> ours;
  for (auto& name : all)
    if (NetworkFromNatTable(name)) ours.push_back(std::move(name));
  return ours;
}

Status EnableIpForwarding() {
  const std::string what = "enable ip forwarding";
  const std::string path = kIpForwardPath;
  {
    UniqueFd fd(::open(kIpForwardPath, O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::FromErrno(errno, what + ": open " + path);
    char buf[8] = {};
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
    if (n < 0) return Error::FromErrno(errno, what + ": read " + path);
    if (TrimSpaces(buf) == "1") return Ok();
  }
  UniqueFd fd(::open(kIpForwardPath, O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, what + ": open " + path + " for writing");
  if (Status s = WriteAll(fd.get(), "1\n", "write " + path); !s) return s.error().Wrap(what);
  return Ok();
}

}  // namespace rampart::net

namespace rampart::net {
namespace {

// Runs `fn(nft)` on a thread inside `netns_fd`, with a libnftables context
// opened there.
Status WithNftIn(int netns_fd, const std::string& what, const std::function<Status(Nft&)>& fn) {
  Status result = Ok();
  std::thread worker([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      result = Error::FromErrno(errno, what + ": enter the network namespace");
      return;
    }
    auto nft = Nft::Open();
    if (!nft) {
      result = nft.error().Wrap(what);
      return;
    }
    if (auto st = fn(*nft); !st) result = st.error().Wrap(what);
  });
  worker.join();
  return result;
}

}  // namespace

Result<std::vector<std::string>> DeleteInetTables(int netns_fd, const std::string& prefix) {
  std::vector<std::string> deleted;
  RAMPART_TRY(WithNftIn(netns_fd, "delete tables " + prefix + "*", [&](Nft& nft) -> Status {
    RAMPART_ASSIGN_OR_RETURN(auto names, nft.ListInetTables());
    for (const auto& n : names) {
      if (n.rfind(prefix, 0) != 0) continue;
      RAMPART_TRY(nft.Run("delete table inet " + n + "\n"));
      deleted.push_back(n);
    }
    return Ok();
  }));
  return deleted;
}

}  // namespace rampart::net
