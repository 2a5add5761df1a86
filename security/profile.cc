#include "security/profile.h"

#include <cstdio>

namespace rampart::security {

std::string ArchName(Arch a) {
  switch (a) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kX86: return "x86";
    case Arch::kX32: return "x32";
  }
  return "?";
}

std::optional<Arch> ParseArch(std::string_view name) {
  if (name == "native" || name == "x86_64" || name == "amd64") return Arch::kX86_64;
  if (name == "x86" || name == "i386" || name == "i686") return Arch::kX86;
  if (name == "x32") return Arch::kX32;
  return std::nullopt;
}

std::string FsAccessToString(uint8_t access) {
  static const std::pair<uint8_t, const char*> kWords[] = {
      {kFsRead, "read"}, {kFsWrite, "write"}, {kFsExec, "exec"}, {kFsCreate, "create"}};
  std::string out;
  for (const auto& [bit, word] : kWords)
    if (access & bit) out += (out.empty() ? "" : ",") + std::string(word);
  return out.empty() ? "none" : out;
}

std::string NetFamilyName(uint8_t bit) {
  switch (bit) {
    case kNetUnix: return "unix";
    case kNetInet: return "inet";
    case kNetInet6: return "inet6";
    case kNetNetlink: return "netlink";
    case kNetPacket: return "packet";
    case kNetRaw: return "raw";
  }
  return "?";
}

std::string NetFamiliesToString(uint8_t families) {
  std::string out;
  for (uint8_t b = 1; b && b <= kNetRaw; b <<= 1)
    if (families & b) out += (out.empty() ? "" : ",") + NetFamilyName(b);
  return out.empty() ? "none" : out;
}

std::string EnforceModeName(EnforceMode m) {
  switch (m) {
    case EnforceMode::kOff: return "off";
    case EnforceMode::kIfAvailable: return "if-available";
    case EnforceMode::kRequired: return "required";
  }
  return "?";
}

std::optional<EnforceMode> ParseEnforceMode(std::string_view word) {
  if (word == "off") return EnforceMode::kOff;
  if (word == "if-available") return EnforceMode::kIfAvailable;
  if (word == "required") return EnforceMode::kRequired;
  return std::nullopt;
}

std::string CmpOpToString(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return "==";
    case CmpOp::kNe: return "!=";
    case CmpOp::kLt: return "<";
    case CmpOp::kLe: return "<=";
    case CmpOp::kGt: return ">";
    case CmpOp::kGe: return ">=";
    case CmpOp::kMaskedEq: return "&==";
  }
  return "?";
}

namespace {
std::string Num(uint64_t v) {
  if (v < 4096) return std::to_string(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

std::string ArgCondition::ToString() const {
  std::string a = "arg" + std::to_string(index);
  if (op == CmpOp::kMaskedEq) return a + " & " + Num(mask) + " == " + Num(value);
  return a + " " + CmpOpToString(op) + " " + Num(value);
}

}  // namespace rampart::security
