#include "net/ipv4.h"

#include <algorithm>
#include <cstdint>

namespace rampart::net {
namespace {

std::string Subject(std::string_view label, std::string_view text) {
  std::string out(label);
  if (!out.empty()) out += ' ';
  out += text;
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A plain decimal number without leading zeros (a lone "0" is fine). Values
// too long to matter come back as UINT64_MAX so the caller's range check
// reports them. The error is the bare reason.
Result<uint64_t> ParseDecimal(std::string_view text, std::string_view what) {
  if (text.empty()) return Error::Invalid("empty " + std::string(what));
  for (char c : text) {
    if (!IsDigit(c))
      return Error::Invalid(std::string(what) + " '" + std::string(text) +
                            "' is not a decimal number");
  }
  if (text.size() > 1 && text[0] == '0')
    return Error::Invalid(std::string(what) + " '" + std::string(text) +
                          "' has a leading zero (ambiguous: some tools read it as octal)");
  if (text.size() > 18) return UINT64_MAX;
  uint64_t v = 0;
  for (char c : text) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

// Parses the address alone; the error is the bare reason.
Result<Ipv4Addr> ParseAddrReason(std::string_view text) {
  if (text.empty()) return Error::Invalid("empty address");
  uint32_t value = 0;
  int octets = 0;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (++octets > 4) return Error::Invalid("expected 4 octets separated by dots, got more");
    auto octet = ParseDecimal(part, "octet");
    if (!octet) return octet.error();
    if (*octet > 255)
      return Error::Invalid("octet " + std::string(part) + " is out of range 0-255");
    value = (value << 8) | static_cast<uint32_t>(*octet);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (octets != 4)
    return Error::Invalid("expected 4 octets separated by dots, got " + std::to_string(octets));
  return Ipv4Addr(value);
}

}  // namespace

Result<Ipv4Addr> Ipv4Addr::Parse(std::string_view text, std::string_view label) {
  auto addr = ParseAddrReason(text);
  if (!addr) return addr.error().Wrap(Subject(label, text));
  return *addr;
}

std::string Ipv4Addr::ToString() const {
  return std::to_string(value_ >> 24) + "." + std::to_string((value_ >> 16) & 0xff) + "." +
         std::to_string((value_ >> 8) & 0xff) + "." + std::to_string(value_ & 0xff);
}

Result<Ipv4Cidr> Ipv4Cidr::Parse(std::string_view text, std::string_view label) {
  const std::string subject = Subject(label, text);
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return Error::Invalid(subject + ": missing /prefix length (for example 10.0.3.0/24)");
  auto addr = ParseAddrReason(text.substr(0, slash));
  if (!addr) return addr.error().Wrap(subject);
  auto prefix = ParseDecimal(text.substr(slash + 1), "prefix length");
  if (!prefix) return prefix.error().Wrap(subject);
  if (*prefix > 32) return Error::Invalid(subject + ": prefix length must be 0-32");
  Ipv4Cidr block = Containing(*addr, static_cast<int>(*prefix));
  if (block.network_ != *addr)
    return Error::Invalid(subject + ": host bits are set (the network is " + block.ToString() +
                          ")");
  return block;
}

Result<Ipv4Cidr> Ipv4Cidr::Create(Ipv4Addr network, int prefix) {
  const std::string subject = "subnet " + network.ToString() + "/" + std::to_string(prefix);
  if (prefix < 0 || prefix > 32) return Error::Invalid(subject + ": prefix length must be 0-32");
  Ipv4Cidr block = Containing(network, prefix);
  if (block.network_ != network)
    return Error::Invalid(subject + ": host bits are set (the network is " + block.ToString() +
                          ")");
  return block;
}

Ipv4Cidr Ipv4Cidr::Containing(Ipv4Addr addr, int prefix) {
  prefix = std::clamp(prefix, 0, 32);
  return Ipv4Cidr(Ipv4Addr(addr.value() & Mask(prefix)), prefix);
}

std::string Ipv4Cidr::ToString() const {
  return network_.ToString() + "/" + std::to_string(prefix_);
}

Ipv4Addr Ipv4Cidr::FirstHost() const {
  return prefix_ >= 31 ? network_ : Ipv4Addr(network_.value() + 1);
}

Ipv4Addr Ipv4Cidr::LastHost() const {
  return prefix_ >= 31 ? broadcast() : Ipv4Addr(broadcast().value() - 1);
}

uint64_t Ipv4Cidr::HostCount() const { return prefix_ >= 31 ? size() : size() - 2; }

Result<Ipv4Addr> Ipv4Cidr::NthHost(uint64_t n) const {
  if (n >= HostCount())
    return Error::Invalid("subnet " + ToString() + ": host index " + std::to_string(n) +
                          " is out of range (" + std::to_string(HostCount()) + " hosts)");
  return Ipv4Addr(FirstHost().value() + static_cast<uint32_t>(n));
}

}  // namespace rampart::net
