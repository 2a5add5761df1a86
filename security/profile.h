// The profile as written: the parse tree of one YAML/JSON profile file,
// every value with the place it came from (file:line:column), before
// `extends` and groups are resolved. See docs/policy-language.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "security/action.h"

namespace rampart::security {

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string ToString() const;  // "file:line:column"
};

template <typename T>
struct Located {
  T value{};
  SourcePos pos;
};

enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kMaskedEq };
std::string CmpOpToString(CmpOp op);

// One argument condition: args[index] OP value (masked: args[index] & mask == value).
struct ArgCondition {
  unsigned index = 0;  // 0..5
  CmpOp op = CmpOp::kEq;
  uint64_t value = 0;
  uint64_t mask = 0;  // kMaskedEq only
  bool operator==(const ArgCondition&) const = default;
  std::string ToString() const;  // "arg0 != 40", "arg0 & 0x7e020000 == 0"
};

struct SeccompRuleSpec {
  std::vector<Located<std::string>> syscalls;  // names or @groups
  Located<Action> action;
  std::vector<ArgCondition> args;  // ANDed
  std::string comment;
  SourcePos pos;
};

enum class Arch : uint8_t { kX86_64, kX86, kX32 };
std::string ArchName(Arch a);  // "x86_64", "x86", "x32"
std::optional<Arch> ParseArch(std::string_view name);  // also "native", "amd64", "i386"

struct SeccompSpec {
  std::optional<Located<Action>> default_action;  // known but not allowed
  std::optional<Located<Action>> unknown_action;  // not mentioned by the profile
  std::optional<Located<std::vector<Arch>>> architectures;
  std::vector<Located<std::string>> allow;  // names or @groups
  std::vector<Located<std::string>> deny;
  std::vector<SeccompRuleSpec> rules;
  std::optional<Located<std::string>> optimize;  // "linear" | "tree" | "auto"
};

struct CapabilitiesSpec {
  std::vector<Located<std::string>> keep;  // CAP_ names, "CAP_" optional
  std::vector<Located<std::string>> drop;  // may contain "ALL"
  std::vector<Located<std::string>> ambient;
  std::vector<Located<std::string>> dangerous_inheritable;
};

struct RlimitSpec {
  std::string name;  // "nofile"
  uint64_t soft = 0, hard = 0;  // UINT64_MAX = unlimited
  SourcePos pos;
};

// Filesystem access words (docs/policy-language.md, "Filesystem and
// Landlock"); a bit set, 0 = none.
enum FsAccess : uint8_t { kFsRead = 1, kFsWrite = 2, kFsExec = 4, kFsCreate = 8 };
std::string FsAccessToString(uint8_t access);  // "read,write" or "none"

struct FsPathSpec {
  Located<std::string> path;  // absolute, normalised (no '.', '..', '//', trailing '/')
  uint8_t access = 0;         // FsAccess bits
  SourcePos pos;              // of the entry
};

struct FilesystemSpec {
  bool has_paths = false;  // `paths` given: a Landlock ruleset is built
  std::vector<FsPathSpec> paths;
  std::optional<Located<bool>> readonly_root;  // / is remounted read-only
  std::vector<Located<std::string>> tmpfs;     // fresh writable tmpfs mounts (normalised paths)
  SourcePos pos;
};

// How hard a kernel security layer is asked for.
enum class EnforceMode : uint8_t { kOff, kIfAvailable, kRequired };
std::string EnforceModeName(EnforceMode m);  // "off", "if-available", "required"
std::optional<EnforceMode> ParseEnforceMode(std::string_view word);

struct LandlockSpec {
  Located<EnforceMode> mode;
  uint32_t min_abi = 0;  // 0 = any
};

// Socket families of the `network` section (a bit set). `raw` stands for
// SOCK_RAW sockets of the listed inet families.
enum NetFamily : uint8_t {
  kNetUnix = 1,
  kNetInet = 2,
  kNetInet6 = 4,
  kNetNetlink = 8,
  kNetPacket = 16,
  kNetRaw = 32,
};
inline constexpr uint8_t kNetAllFamilies = 63;
std::string NetFamilyName(uint8_t bit);             // "inet"
std::string NetFamiliesToString(uint8_t families);  // "unix,inet" or "none"

// TCP ports for one direction (bind or connect), enforced with Landlock.
struct TcpPortsSpec {
  std::vector<uint16_t> ports;  // sorted, unique
  SourcePos pos;
};

struct NetworkSpec {
  SourcePos pos;
  std::optional<Located<uint8_t>> families;  // nullopt: families not restricted
  std::map<uint8_t, SourcePos> family_pos;   // each listed word's place
  std::optional<TcpPortsSpec> tcp_bind, tcp_connect;  // nullopt: any port
};

// `apparmor:` — which AppArmor profile the payload runs under.
struct AppArmorSpec {
  Located<std::string> profile{"generate", {}};  // "generate", "unconfined" or an existing profile's name
  std::optional<Located<EnforceMode>> enforce;
  SourcePos pos;
};

// `selinux:` — the process type, MCS level and mount label.
struct SelinuxSpec {
  Located<std::string> type{"generate", {}};  // "generate" (rampart_<name>_t) or a type name
  Located<std::string> level{"auto", {}};     // "auto" or a level such as "s0:c1,c2"
  std::optional<Located<std::string>> mount_label;  // a full context; default from the type
  std::optional<Located<EnforceMode>> enforce;
  SourcePos pos;
};

struct Profile {
  std::string path;  // the file it came from ("<embedded>/default.yaml" for shipped ones)
  Located<std::string> name;
  std::string description;
  std::optional<Located<std::string>> extends;
  std::optional<SeccompSpec> seccomp;
  std::optional<CapabilitiesSpec> capabilities;
  std::optional<Located<bool>> no_new_privileges;
  std::vector<RlimitSpec> rlimits;
  std::vector<Located<std::string>> masked_paths;
  std::vector<Located<std::string>> readonly_paths;
  std::optional<FilesystemSpec> filesystem;
  std::optional<LandlockSpec> landlock;
  std::optional<NetworkSpec> network;
  std::optional<AppArmorSpec> apparmor;
  std::optional<SelinuxSpec> selinux;
};

}  // namespace rampart::security
