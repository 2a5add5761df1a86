#include "security/resolver.h"

#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <set>

#include "base/atomic_file.h"
#include "base/sha256.h"
#include "security/capabilities.h"
#include "security/embedded.h"
#include "security/profile_parser.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

bool LooksLikePath(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".yaml") || ref.ends_with(".yml") ||
         ref.ends_with(".json");
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

Error At(const SourcePos& pos, const std::string& msg) { return Error::Invalid(pos.ToString() + ": " + msg); }

// A syscall decision while resolving: `uses_default` marks deny entries,
// whose action is the final policy's `default`.
struct Decision {
  SyscallPolicy policy;
  bool uses_default = false;
};

struct Resolving {
  std::optional<Located<Action>> default_action, unknown_action;
  std::optional<Located<std::vector<Arch>>> arches;
  std::optional<Located<std::string>> optimize;
  std::map<std::string, Decision> syscalls;
  uint64_t caps = 0;
  std::optional<uint64_t> ambient, dangerous_inheritable;
  SourcePos ambient_pos, inheritable_pos;
  std::optional<Located<bool>> nnp;
  std::map<std::string, RlimitSpec> rlimits;
  std::vector<std::string> masked, readonly;
  std::string description;
  std::optional<SourcePos> filesystem_pos;  // of the last filesystem section with paths
  std::map<std::string, FsRule> fs;
  bool readonly_root = false;
  std::vector<Located<std::string>> tmpfs;
  std::optional<LandlockSpec> landlock;
  std::optional<NetworkSpec> network;
  std::optional<AppArmorSpec> apparmor;
  std::optional<SelinuxSpec> selinux;
};

class Resolver {
 public:
  explicit Resolver(const SyscallGroups& groups) : groups_(groups) {}

  // Names one list entry stands for; explicit names are checked, group
  // members unknown to every architecture are skipped.
  Result<std::set<std::string>> Expand(const Located<std::string>& entry) const {
    if (entry.value.starts_with("@")) {
      std::string g = entry.value.substr(1);
      if (!groups_.Has(g)) return At(entry.pos, "unknown syscall group '" + entry.value + "' (see policies/syscall-groups.yaml)");
      RAMPART_ASSIGN_OR_RETURN(auto names, groups_.Expand(g));
      std::set<std::string> out;
      for (const auto& n : names)
        if (IsKnownSyscall(n)) out.insert(n);
      return out;
    }
    if (!IsKnownSyscall(entry.value))
      return At(entry.pos, "unknown syscall '" + entry.value + "' (not a syscall on x86_64, x86 or x32)");
    return std::set<std::string>{entry.value};
  }

  Status ApplySeccomp(const SeccompSpec& s, Resolving& r) const {
    if (s.default_action) r.default_action = s.default_action;
    if (s.unknown_action) r.unknown_action = s.unknown_action;
    if (s.architectures) r.arches = s.architectures;
    if (s.optimize) r.optimize = s.optimize;

    std::map<std::string, Decision> level;
    std::map<std::string, SourcePos> explicit_allow;
    for (const auto& e : s.allow) {
      RAMPART_ASSIGN_OR_RETURN(auto names, Expand(e));
      if (!e.value.starts_with("@")) explicit_allow[e.value] = e.pos;
      for (const auto& n : names)
        if (!level.count(n)) level[n] = Decision{SyscallPolicy{Action::Allow(), {}, e.pos, ""}, false};
    }
    for (const auto& e : s.deny) {
      if (!e.value.starts_with("@") && explicit_allow.count(e.value))
        return At(e.pos, "syscall '" + e.value + "' is both allowed (" + explicit_allow[e.value].ToString() + ") and denied");
      RAMPART_ASSIGN_OR_RETURN(auto names, Expand(e));
      for (const auto& n : names) level[n] = Decision{SyscallPolicy{Action::Errno(1), {}, e.pos, ""}, true};
    }
    // Rules decide their syscalls over this profile's lists.
    std::map<std::string, std::vector<const SeccompRuleSpec*>> by_name;
    for (const auto& rule : s.rules) {
      for (const auto& e : rule.syscalls) {
        RAMPART_ASSIGN_OR_RETURN(auto names, Expand(e));
        // One rule naming a syscall twice (directly and through a group) is still one rule.
        for (const auto& n : names)
          if (by_name[n].empty() || by_name[n].back() != &rule) by_name[n].push_back(&rule);
      }
    }
    for (const auto& [name, rules] : by_name) {
      Decision d;
      d.policy.origin = rules.front()->pos;
      d.policy.action = rules.front()->action.value;
      d.policy.comment = rules.front()->comment;
      bool unconditional = false;
      for (const SeccompRuleSpec* rule : rules) {
        if ((name == "socketcall" || name == "ipc") && !rule->args.empty())
          return At(rule->pos, "'" + name + "' cannot take argument conditions: its arguments live in memory the filter cannot see");
        if (rule->action.value != d.policy.action)
          return At(rule->pos, "rules for '" + name + "' have different actions (" + d.policy.action.ToString() + " at " +
                                   rules.front()->pos.ToString() + ", " + rule->action.value.ToString() +
                                   " here); one syscall's rules must share one action");
        if (rule->args.empty()) {
          if (unconditional || !d.policy.any_of.empty())
            return At(rule->pos, "'" + name + "' has an unconditional rule and other rules; the others could never apply");
          unconditional = true;
        } else {
          if (unconditional)
            return At(rule->pos, "'" + name + "' already has an unconditional rule; this one could never apply");
          d.policy.any_of.push_back(rule->args);
        }
      }
      level[name] = std::move(d);
    }
    // What this profile says about a syscall replaces what its base said.
    for (auto& [name, d] : level) r.syscalls[name] = std::move(d);
    return Ok();
  }

  Result<uint64_t> CapMask(const std::vector<Located<std::string>>& names, bool allow_all) const {
    uint64_t mask = 0;
    for (const auto& n : names) {
      if (n.value == "ALL" || n.value == "all") {
        if (!allow_all) return At(n.pos, "'ALL' is accepted in capabilities.drop only");
        mask |= AllCapabilitiesMask();
        continue;
      }
      auto c = ParseCapability(n.value);
      if (!c) return At(n.pos, c.error().message());
      mask |= 1ULL << *c;
    }
    return mask;
  }

  Status ApplyCaps(const CapabilitiesSpec& c, Resolving& r) const {
    RAMPART_ASSIGN_OR_RETURN(uint64_t keep, CapMask(c.keep, false));
    RAMPART_ASSIGN_OR_RETURN(uint64_t drop, CapMask(c.drop, true));
    for (const auto& k : c.keep) {
      for (const auto& d : c.drop) {
        if (d.value != "ALL" && d.value != "all" && ParseCapability(k.value).value() == ParseCapability(d.value).value())
          return At(d.pos, "capability '" + d.value + "' is both kept (" + k.pos.ToString() + ") and dropped");
      }
    }
    r.caps = (r.caps & ~drop) | keep;
    if (!c.ambient.empty()) {
      RAMPART_ASSIGN_OR_RETURN(r.ambient, CapMask(c.ambient, false));
      r.ambient_pos = c.ambient.front().pos;
    }
    if (!c.dangerous_inheritable.empty()) {
      RAMPART_ASSIGN_OR_RETURN(r.dangerous_inheritable, CapMask(c.dangerous_inheritable, false));
      r.inheritable_pos = c.dangerous_inheritable.front().pos;
    }
    return Ok();
  }

  Status Apply(const Profile& p, Resolving& r) const {
    if (!p.description.empty()) r.description = p.description;
    if (p.seccomp) RAMPART_TRY(ApplySeccomp(*p.seccomp, r));
    if (p.capabilities) RAMPART_TRY(ApplyCaps(*p.capabilities, r));
    if (p.no_new_privileges) r.nnp = p.no_new_privileges;
    for (const auto& rl : p.rlimits) r.rlimits[rl.name] = rl;
    auto add_paths = [](std::vector<std::string>& dst, const std::vector<Located<std::string>>& src) {
      for (const auto& s : src)
        if (std::find(dst.begin(), dst.end(), s.value) == dst.end()) dst.push_back(s.value);
    };
    add_paths(r.masked, p.masked_paths);
    add_paths(r.readonly, p.readonly_paths);
    if (p.filesystem) {
      if (p.filesystem->has_paths) r.filesystem_pos = p.filesystem->pos;
      for (const auto& e : p.filesystem->paths) r.fs[e.path.value] = FsRule{e.path.value, e.access, e.pos};
      if (p.filesystem->readonly_root) r.readonly_root = p.filesystem->readonly_root->value;
      for (const auto& t : p.filesystem->tmpfs) {
        bool seen = false;
        for (const auto& prev : r.tmpfs) seen |= prev.value == t.value;
        if (!seen) r.tmpfs.push_back(t);
      }
    }
    if (p.landlock) r.landlock = p.landlock;
    // These sections replace the base's whole.
    if (p.network) r.network = p.network;
    if (p.apparmor) r.apparmor = p.apparmor;
    if (p.selinux) r.selinux = p.selinux;
    return Ok();
  }

 private:
  const SyscallGroups& groups_;
};

int RlimitResource(const std::string& name) {
  static const std::pair<const char*, int> kMap[] = {
      {"as", RLIMIT_AS}, {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE}, {"locks", RLIMIT_LOCKS}, {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE}, {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC}, {"rss", RLIMIT_RSS}, {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK}};
  for (const auto& [n, v] : kMap)
    if (name == n) return v;
  return -1;
}

bool IsBeneath(const std::string& path, const std::string& dir) {
  if (path == dir) return false;
  return dir == "/" || (path.starts_with(dir) && path[dir.size()] == '/');
}

// The call runs (allow, or log which runs and logs).
bool Runs(const Action& a) { return a.is_allow() || a.kind == Action::Kind::kLog; }
bool Allows(const SyscallPolicy& sp) { return Runs(sp.action); }

// What socket(family, type, 0) gets from x86_64's seccomp policy.
Action SocketVerdict(const SeccompPolicy& s, uint64_t family, uint64_t type) {
  seccomp_data d{};
  d.arch = AuditArch(Arch::kX86_64);
  d.nr = static_cast<int>(*SyscallNumber(Arch::kX86_64, "socket"));
  d.args[0] = family;
  d.args[1] = type;
  return s.Evaluate(d);
}

constexpr uint64_t kSockTypeMask = 0xf;  // SOCK_NONBLOCK / SOCK_CLOEXEC live above it

// network.families words that are address families, with their AF_ number.
constexpr std::pair<uint8_t, uint64_t> kAddressFamilies[] = {
    {kNetUnix, AF_UNIX}, {kNetInet, AF_INET}, {kNetInet6, AF_INET6}, {kNetNetlink, AF_NETLINK}, {kNetPacket, AF_PACKET}};

// The socket(2) argument conditions (ORed sets of ANDed conditions) that
// allow exactly `families`.
std::vector<std::vector<ArgCondition>> FamilyConditions(uint8_t families) {
  std::vector<std::vector<ArgCondition>> out;
  auto eq = [](unsigned idx, uint64_t v) { return ArgCondition{idx, CmpOp::kEq, v, 0}; };
  for (auto [bit, af] : kAddressFamilies) {
    if (!(families & bit)) continue;
    const bool inet = bit == kNetInet || bit == kNetInet6;
    if (!inet || (families & kNetRaw)) {
      out.push_back({eq(0, af)});
      continue;
    }
    for (uint64_t type : {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET})
      out.push_back({eq(0, af), ArgCondition{1, CmpOp::kMaskedEq, type, kSockTypeMask}});
  }
  return out;
}

// network.families: socket(2) is narrowed to the listed families, so
// seccomp enforces them on every host (AppArmor and SELinux add their own
// rules where the host has them). A family the seccomp rules already deny,
// and an allowed call that creates sockets without socket(2), contradict
// the section: errors naming both places.
Status FinishNetwork(const Resolving& r, Policy& p) {
  if (!r.network) return Ok();
  const NetworkSpec& n = *r.network;
  NetworkPolicy& net = p.network;
  net.pos = n.pos;
  if (n.tcp_bind) net.tcp_bind = n.tcp_bind->ports, net.tcp_bind_pos = n.tcp_bind->pos;
  if (n.tcp_connect) net.tcp_connect = n.tcp_connect->ports, net.tcp_connect_pos = n.tcp_connect->pos;
  if (!n.families) return Ok();
  net.restricts_families = true;
  net.families = n.families->value;
  net.family_pos = n.family_pos;
  net.pos = n.families->pos;
  SeccompPolicy& s = p.seccomp;
  const SyscallPolicy* socket = s.syscalls.count("socket") ? &s.syscalls.at("socket") : nullptr;
  const std::string socket_at = socket ? " (" + socket->origin.ToString() + ")" : " (not allowed by the profile)";
  for (const auto& [bit, pos] : net.family_pos) {
    std::vector<std::pair<uint64_t, uint64_t>> probes;  // (family, type)
    for (auto [fbit, af] : kAddressFamilies) {
      if (bit == kNetRaw && (fbit == kNetInet || fbit == kNetInet6) && (net.families & fbit))
        probes.push_back({af, SOCK_RAW});
      if (bit == fbit)
        for (uint64_t t : {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET}) probes.push_back({af, t});
    }
    bool any = false;
    for (auto [f, t] : probes) any |= Runs(SocketVerdict(s, f, t));
    if (!any)
      return At(pos, "network family '" + NetFamilyName(bit) + "' is allowed here but seccomp denies socket(2) for it" +
                         socket_at + "; allow it in seccomp or drop it from network.families");
  }
  for (const char* bypass : {"socketcall", "io_uring_setup"}) {
    auto it = s.syscalls.find(bypass);
    if (it == s.syscalls.end() || !Allows(it->second)) continue;
    if (std::string(bypass) == "socketcall" && std::find(s.arches.begin(), s.arches.end(), Arch::kX86) == s.arches.end())
      continue;
    return At(it->second.origin, std::string(bypass) + " is allowed, which creates sockets without socket(2) " +
                                     (std::string(bypass) == "socketcall" ? "on x86" : "(IORING_OP_SOCKET)") +
                                     " and would bypass network.families (" + net.pos.ToString() + "); deny it");
  }
  auto families = FamilyConditions(net.families);
  if (families.empty()) {
    if (socket && Allows(*socket))
      s.syscalls["socket"] = SyscallPolicy{s.default_action, {}, net.pos, "network.families: []"};
  } else if (socket && Allows(*socket)) {  // the families check above guarantees it is allowed for some
    SyscallPolicy narrowed{socket->action, {}, net.pos, "network.families: " + NetFamiliesToString(net.families)};
    if (!socket->conditional()) {
      narrowed.any_of = families;
    } else {
      for (const auto& old : socket->any_of)
        for (const auto& fam : families) {
          std::vector<ArgCondition> both = old;
          both.insert(both.end(), fam.begin(), fam.end());
          narrowed.any_of.push_back(std::move(both));
        }
    }
    s.syscalls["socket"] = std::move(narrowed);
  }
  if (!(net.families & kNetUnix)) {
    auto it = s.syscalls.find("socketpair");
    if (it != s.syscalls.end() && Allows(it->second))
      it->second = SyscallPolicy{s.default_action, {}, net.pos, "network.families has no unix"};
  }
  return Ok();
}

Status FinishLsm(const Resolving& r, Policy& p) {
  if (r.apparmor) {
    const AppArmorSpec& a = *r.apparmor;
    p.apparmor.profile = a.profile.value;
    p.apparmor.profile_pos = a.profile.pos.line > 0 ? a.profile.pos : a.pos;
    if (a.enforce) p.apparmor.mode = a.enforce->value, p.apparmor.pos = a.enforce->pos;
    if (p.apparmor.unconfined() && p.apparmor.mode != EnforceMode::kOff)
      return At(p.apparmor.pos, "apparmor.enforce: " + EnforceModeName(p.apparmor.mode) +
                                    " cannot go with profile: unconfined (" + p.apparmor.profile_pos.ToString() +
                                    "), which enforces nothing");
  }
  if (r.selinux) {
    const SelinuxSpec& se = *r.selinux;
    p.selinux.type = se.type.value;
    p.selinux.type_pos = se.type.pos.line > 0 ? se.type.pos : se.pos;
    p.selinux.level = se.level.value;
    p.selinux.level_pos = se.level.pos.line > 0 ? se.level.pos : se.pos;
    if (se.mount_label) p.selinux.mount_label = se.mount_label->value;
    if (se.enforce) p.selinux.mode = se.enforce->value, p.selinux.pos = se.enforce->pos;
  }
  return Ok();
}

Status FinishLandlock(const Resolving& r, Policy& p) {
  LandlockPolicy& l = p.landlock;
  l.has_filesystem = r.filesystem_pos.has_value();
  l.has_network = p.network.restricts_tcp();
  if (r.landlock) {
    l.mode = r.landlock->mode.value;
    l.mode_pos = r.landlock->mode.pos;
    l.min_abi = r.landlock->min_abi;
  }
  // A tmpfs path is there to be written: without a rule of its own it gets
  // read, write and create.
  std::map<std::string, FsRule> fs = r.fs;
  if (l.has_filesystem)
    for (const auto& t : r.tmpfs)
      if (!fs.count(t.value)) fs[t.value] = FsRule{t.value, kFsRead | kFsWrite | kFsCreate, t.pos};
  for (const auto& [path, rule] : fs) l.rules.push_back(rule);  // sorted by path
  // Landlock only ever adds access below a rule's directory: a path cannot
  // get less than what a directory above it grants.
  for (const auto& above : l.rules) {
    for (const auto& below : l.rules) {
      // The kernel gives a path the union of its rule and every rule above
      // it: an entry granting only part of what a directory above grants
      // can only have been meant to take access away, which it cannot.
      const bool less = (below.access & ~above.access) == 0 && below.access != above.access;
      if (!IsBeneath(below.path, above.path) || !less) continue;
      return At(below.pos, "filesystem path '" + below.path + "' (access " + FsAccessToString(below.access) +
                               ") is beneath '" + above.path + "' (access " + FsAccessToString(above.access) + " at " +
                               above.pos.ToString() + "), which grants more: Landlock rules only add access, so a " +
                               "path cannot have less than a directory above it (it gets the union); grant '" + above.path +
                               "' less and list the paths below it that need more");
    }
  }
  if (l.active() && !p.no_new_privileges) {
    SourcePos where = p.no_new_privileges_pos.line > 0 ? p.no_new_privileges_pos
                      : r.filesystem_pos                ? *r.filesystem_pos
                                                        : p.network.pos;
    return At(where, "no_new_privileges: false cannot go with filesystem or network.tcp rules enforced by Landlock "
                     "(landlock_restrict_self needs no_new_privs); set no_new_privileges: true or landlock: off");
  }
  return Ok();
}

Result<Policy> Finish(const std::vector<LoadedProfile>& chain, Resolving& r) {
  Policy p;
  const Profile& leaf = chain.back().profile;
  p.name = leaf.name.value;
  p.description = r.description;
  for (const auto& l : chain) p.chain.push_back(l.profile.path);
  SeccompPolicy& s = p.seccomp;
  if (r.default_action) s.default_action = r.default_action->value, s.default_pos = r.default_action->pos;
  if (r.unknown_action) s.unknown_action = r.unknown_action->value, s.unknown_pos = r.unknown_action->pos;
  if (r.arches) {
    s.arches = r.arches->value;
    s.arches_pos = r.arches->pos;
  } else {
    s.arches = AllArches();
  }
  std::sort(s.arches.begin(), s.arches.end());
  s.arches.erase(std::unique(s.arches.begin(), s.arches.end()), s.arches.end());
  if (r.optimize) {
    s.optimize = r.optimize->value == "tree" ? Optimize::kTree : r.optimize->value == "linear" ? Optimize::kLinear : Optimize::kAuto;
  }
  for (auto& [name, d] : r.syscalls) {
    if (d.uses_default) d.policy.action = s.default_action;
    s.syscalls[name] = d.policy;
  }
  // The x86 multiplexers are always decided: libseccomp derives
  // socketcall(N)/ipc(N) rules from allowed sub-calls, without their
  // argument conditions, unless the multiplexer has a rule of its own.
  for (const char* m : {"socketcall", "ipc"}) {
    if (!s.syscalls.count(m))
      s.syscalls[m] = SyscallPolicy{s.default_action, {}, s.default_pos, "x86 multiplexer, not allowed by the profile"};
  }
  p.caps.bounding = r.caps;
  p.caps.ambient = r.ambient.value_or(0);
  if (p.caps.ambient & ~p.caps.bounding)
    return At(r.ambient_pos, "ambient capabilities " + CapabilityPolicy::MaskToNames(p.caps.ambient & ~p.caps.bounding) +
                                 " are not kept; ambient capabilities must be in the kept set");
  uint64_t extra = r.dangerous_inheritable.value_or(0);
  if (extra & ~p.caps.bounding)
    return At(r.inheritable_pos, "inheritable capabilities " + CapabilityPolicy::MaskToNames(extra & ~p.caps.bounding) +
                                     " are not kept");
  p.caps.inheritable = p.caps.ambient | extra;
  if (r.nnp) p.no_new_privileges = r.nnp->value, p.no_new_privileges_pos = r.nnp->pos;
  for (const auto& [name, rl] : r.rlimits) p.rlimits.push_back(Rlimit{RlimitResource(name), name, rl.soft, rl.hard});
  p.masked_paths = r.masked;
  p.readonly_paths = r.readonly;
  p.readonly_root = r.readonly_root;
  for (const auto& t : r.tmpfs) p.tmpfs_paths.push_back(t.value);
  RAMPART_TRY(FinishNetwork(r, p));
  RAMPART_TRY(FinishLandlock(r, p));
  RAMPART_TRY(FinishLsm(r, p));
  return p;
}

}  // namespace

std::string CapabilityPolicy::MaskToNames(uint64_t mask) {
  std::string out;
  for (const auto& n : CapabilityNames(mask)) out += (out.empty() ? "" : ",") + n;
  return out.empty() ? "none" : out;
}

Result<ProfileLoader> ProfileLoader::Create(std::vector<std::string> search_dirs) {
  RAMPART_ASSIGN_OR_RETURN(auto groups, SyscallGroups::Shipped());
  return ProfileLoader(std::move(search_dirs), std::move(groups));
}

namespace {

// Where `ref` resolves to: a path, or "embedded:NAME" for a shipped
// profile; "" if nowhere.
std::string FindRef(const std::string& ref, const std::string& base_dir, const std::vector<std::string>& search_dirs) {
  if (LooksLikePath(ref)) return ref.starts_with("/") || base_dir.empty() ? ref : base_dir + "/" + ref;
  for (const auto& dir : search_dirs) {
    std::string candidate = dir + "/" + ref + ".yaml";
    if (access(candidate.c_str(), F_OK) == 0) return candidate;
  }
  if (ref != kGroupsDataName && EmbeddedPolicy(ref)) return "embedded:" + ref;
  return "";
}

Result<std::string> ReadFound(const std::string& found) {
  if (found.starts_with("embedded:")) return std::string(*EmbeddedPolicy(found.substr(9)));
  return ReadFile(found);
}

Result<LoadedProfile> LoadRef(const std::string& ref, const std::string& base_dir,
                              const std::vector<std::string>& search_dirs, const SourcePos* from,
                              std::vector<ProfileSource>* sources) {
  auto fail = [&](const Error& e) { return from ? At(*from, e.message()) : e; };
  std::string found = FindRef(ref, base_dir, search_dirs);
  if (found.empty()) {
    std::string known;
    for (const auto& n : EmbeddedProfileNames()) known += (known.empty() ? "" : ", ") + n;
    return fail(Error::NotFound("no profile named '" + ref + "' (shipped: " + known + "; or give a path)"));
  }
  auto text = ReadFound(found);
  if (!text) return fail(text.error().Wrap("load profile"));
  if (sources) sources->push_back({ref, base_dir, found, Sha256Hex(*text)});
  if (found.starts_with("embedded:")) {
    RAMPART_ASSIGN_OR_RETURN(auto profile, ParseProfile(*text, "<shipped>/" + ref + ".yaml"));
    return LoadedProfile{std::move(profile), found};
  }
  RAMPART_ASSIGN_OR_RETURN(auto profile, ParseProfile(*text, found));
  char real[PATH_MAX];
  std::string identity = realpath(found.c_str(), real) ? real : found;
  return LoadedProfile{std::move(profile), identity};
}

}  // namespace

bool ProfileSourcesCurrent(const std::vector<ProfileSource>& sources, const std::vector<std::string>& search_dirs) {
  if (sources.empty()) return false;
  for (const auto& s : sources) {
    if (FindRef(s.ref, s.base_dir, search_dirs) != s.found) return false;
    // Shipped texts are part of the binary, which callers key their caches by.
    if (s.found.starts_with("embedded:")) continue;
    auto text = ReadFound(s.found);
    if (!text || Sha256Hex(*text) != s.sha256) return false;
  }
  return true;
}

Result<Policy> ProfileLoader::Load(const std::string& ref, std::vector<ProfileSource>* sources) const {
  RAMPART_ASSIGN_OR_RETURN(auto first, LoadRef(ref, "", search_dirs_, nullptr, sources));
  return Resolve(std::move(first), sources);
}

Result<Policy> ProfileLoader::LoadText(std::string_view text, const std::string& file) const {
  RAMPART_ASSIGN_OR_RETURN(auto leaf, ParseProfile(text, file));
  return Resolve(LoadedProfile{std::move(leaf), file}, nullptr);
}

Result<Policy> ProfileLoader::Resolve(LoadedProfile first, std::vector<ProfileSource>* sources) const {
  std::vector<LoadedProfile> chain{std::move(first)};
  while (chain.back().profile.extends) {
    const Located<std::string>& ext = *chain.back().profile.extends;
    std::string base_dir = chain.back().identity.starts_with("embedded:") ? "" : DirOf(chain.back().profile.path);
    RAMPART_ASSIGN_OR_RETURN(auto next, LoadRef(ext.value, base_dir, search_dirs_, &ext.pos, sources));
    for (const auto& l : chain) {
      if (l.identity == next.identity) {
        std::string cycle;
        for (const auto& c : chain) cycle += c.profile.path + " -> ";
        return At(ext.pos, "cyclic extends: " + cycle + next.profile.path);
      }
    }
    if (chain.size() > 32) return At(ext.pos, "extends chain is deeper than 32 profiles");
    chain.push_back(std::move(next));
  }
  std::reverse(chain.begin(), chain.end());  // base first
  Resolver resolver(groups_);
  Resolving r;
  for (const auto& l : chain) RAMPART_TRY(resolver.Apply(l.profile, r));
  return Finish(chain, r);
}

}  // namespace rampart::security
