// IPv4 addresses and CIDR blocks: strict parsing, formatting and the
// arithmetic the network layer needs (subnet bounds, host ranges, overlap).
//
// Parsing is strict, so a config means one thing only: exactly four decimal
// octets, 0-255, no leading zeros ("010.0.0.1" is refused: some tools read it
// as octal), no signs, no spaces; a prefix length is a plain decimal 0-32.
// Errors name what was parsed: "subnet 10.0.3.0/33: prefix length must be 0-32".
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace rampart::net {

// An IPv4 address, stored as a 32-bit number in host byte order
// (10.0.3.1 is 0x0a000301).
class Ipv4Addr {
 public:
  constexpr Ipv4Addr() = default;
  constexpr explicit Ipv4Addr(uint32_t value) : value_(value) {}
  static constexpr Ipv4Addr FromOctets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4Addr((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
  }

  // "10.0.3.1". Errors read "LABEL TEXT: reason" ("address 10.0.3: expected
  // 4 octets separated by dots"); an empty label gives "TEXT: reason".
  static Result<Ipv4Addr> Parse(std::string_view text, std::string_view label = "address");

  constexpr uint32_t value() const { return value_; }
  std::string ToString() const;

  friend constexpr auto operator<=>(Ipv4Addr, Ipv4Addr) = default;

 private:
  uint32_t value_ = 0;
};

// A CIDR block: a network address and a prefix length, host bits zero.
class Ipv4Cidr {
 public:
  // 0.0.0.0/0.
  constexpr Ipv4Cidr() = default;

  // "10.0.3.0/24". The address must be the network address: "10.0.3.1/24"
  // is refused ("subnet 10.0.3.1/24: host bits are set (the network is
  // 10.0.3.0/24)"). Errors start with "LABEL TEXT: " as for Ipv4Addr.
  static Result<Ipv4Cidr> Parse(std::string_view text, std::string_view label = "subnet");
  // From parts; fails if prefix > 32 or `network` has host bits set.
  static Result<Ipv4Cidr> Create(Ipv4Addr network, int prefix);
  // The block of length `prefix` (clamped to 0-32) that holds `addr`, host
  // bits cleared: Containing(10.0.3.7, 24) is 10.0.3.0/24. For interface
  // addresses and routes read from the kernel.
  static Ipv4Cidr Containing(Ipv4Addr addr, int prefix);

  Ipv4Addr network() const { return network_; }
  int prefix() const { return prefix_; }
  Ipv4Addr netmask() const { return Ipv4Addr(Mask(prefix_)); }
  Ipv4Addr broadcast() const { return Ipv4Addr(network_.value() | ~Mask(prefix_)); }
  // Number of addresses in the block (2^(32-prefix)); 2^32 for /0.
  uint64_t size() const { return uint64_t{1} << (32 - prefix_); }

  // "10.0.3.0/24".
  std::string ToString() const;

  bool Contains(Ipv4Addr addr) const { return (addr.value() & Mask(prefix_)) == network_.value(); }
  // True if `other` lies wholly inside this block.
  bool Contains(const Ipv4Cidr& other) const {
    return other.prefix_ >= prefix_ && Contains(other.network_);
  }
  // True if the two blocks share at least one address (CIDR blocks either
  // nest or are disjoint, so one holds the other's network address).
  bool Overlaps(const Ipv4Cidr& other) const {
    return Contains(other.network_) || other.Contains(network_);
  }

  // Usable host addresses. Up to /30 that is everything between the network
  // and broadcast addresses; a /31 has two usable hosts (RFC 3021) and a /32
  // one (the address itself).
  Ipv4Addr FirstHost() const;
  Ipv4Addr LastHost() const;
  uint64_t HostCount() const;
  // The n-th usable host, counting from 0: NthHost(0) == FirstHost().
  // Fails (kInvalid) when n >= HostCount().
  Result<Ipv4Addr> NthHost(uint64_t n) const;

  friend constexpr auto operator<=>(const Ipv4Cidr&, const Ipv4Cidr&) = default;

 private:
  constexpr Ipv4Cidr(Ipv4Addr network, int prefix) : network_(network), prefix_(prefix) {}
  static constexpr uint32_t Mask(int prefix) {
    return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  }

  Ipv4Addr network_;
  int prefix_ = 0;
};

}  // namespace rampart::net
