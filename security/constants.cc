#include "security/constants.h"

#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <string>
#include <utility>

#include "base/strings.h"

namespace rampart::security {
namespace {

constexpr uint64_t kCloneNewAny = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                  CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

constexpr std::pair<std::string_view, uint64_t> kConstants[] = {
    {"AF_UNSPEC", AF_UNSPEC}, {"AF_UNIX", AF_UNIX}, {"AF_LOCAL", AF_LOCAL},
    {"AF_INET", AF_INET}, {"AF_INET6", AF_INET6}, {"AF_NETLINK", AF_NETLINK},
    {"AF_PACKET", AF_PACKET}, {"AF_KEY", AF_KEY}, {"AF_BLUETOOTH", AF_BLUETOOTH},
    {"AF_ALG", AF_ALG}, {"AF_VSOCK", AF_VSOCK}, {"AF_XDP", 44},
    {"SOCK_STREAM", SOCK_STREAM}, {"SOCK_DGRAM", SOCK_DGRAM}, {"SOCK_RAW", SOCK_RAW},
    {"SOCK_SEQPACKET", SOCK_SEQPACKET}, {"SOCK_NONBLOCK", SOCK_NONBLOCK},
    {"SOCK_CLOEXEC", SOCK_CLOEXEC},
    {"CLONE_NEWNS", CLONE_NEWNS}, {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
    {"CLONE_NEWUTS", CLONE_NEWUTS}, {"CLONE_NEWIPC", CLONE_NEWIPC},
    {"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWPID", CLONE_NEWPID},
    {"CLONE_NEWNET", CLONE_NEWNET}, {"CLONE_NEWTIME", 0x80}, {"CLONE_NEW_ANY", kCloneNewAny},
    {"CLONE_THREAD", CLONE_THREAD}, {"CLONE_VM", CLONE_VM},
    {"TIOCSTI", TIOCSTI}, {"TIOCLINUX", TIOCLINUX},
    {"PER_LINUX", PER_LINUX}, {"PER_LINUX32", PER_LINUX32}, {"UNAME26", UNAME26},
    {"PER_QUERY", 0xffffffff},
};

}  // namespace

std::optional<uint64_t> LookupConstant(std::string_view name) {
  for (const auto& [n, v] : kConstants)
    if (n == name) return v;
  return std::nullopt;
}

Result<uint64_t> ParseValueExpr(std::string_view text) {
  uint64_t value = 0;
  for (const std::string& part : Split(text, '|')) {
    std::string_view term = Trim(part);
    if (term.empty()) return Error::Invalid("empty value in '" + std::string(text) + "'");
    if (auto c = LookupConstant(term)) {
      value |= *c;
      continue;
    }
    auto n = ParseUint64(term);
    if (!n) {
      return Error::Invalid("bad value '" + std::string(term) +
                            "' (expected a number, 0x hex, or a constant such as AF_VSOCK)");
    }
    value |= *n;
  }
  return value;
}

}  // namespace rampart::security
