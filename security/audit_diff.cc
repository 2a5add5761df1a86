// `policy audit --baseline`: what a policy allows that a baseline does not,
// and the reverse, setting by setting.
#include <algorithm>
#include <set>
#include <tuple>

#include "security/audit.h"
#include "security/capabilities.h"
#include "security/syscall_table.h"

namespace rampart::security {
namespace {

bool Runs(const Action& a) { return a.is_allow() || a.kind == Action::Kind::kLog; }

// One syscall's verdict in words, and how much it lets through:
// 2 = runs whatever the arguments, 1 = runs for some, 0 = never.
struct Verdict {
  int rank = 0;
  std::string words;
  SourcePos pos;
};

std::string Alternatives(const std::vector<std::vector<ArgCondition>>& any_of) {
  std::string out;
  for (const auto& conj : any_of) {
    std::string c;
    for (const auto& a : conj) c += (c.empty() ? "" : " and ") + a.ToString();
    out += (out.empty() ? "" : " or ") + ("(" + c + ")");
  }
  return out;
}

Verdict VerdictOf(const Policy& p, const std::string& name) {
  const SeccompPolicy& s = p.seccomp;
  auto it = s.syscalls.find(name);
  if (it == s.syscalls.end())
    return {Runs(s.unknown_action) ? 2 : 0, s.unknown_action.ToString(), s.unknown_pos};
  const SyscallPolicy& sp = it->second;
  if (!sp.conditional()) return {Runs(sp.action) ? 2 : 0, sp.action.ToString(), sp.origin};
  int rank = (Runs(sp.action) || Runs(s.default_action)) ? 1 : 0;
  if (Runs(sp.action) && Runs(s.default_action)) rank = 2;
  return {rank,
          sp.action.ToString() + " if " + Alternatives(sp.any_of) + ", otherwise " +
              s.default_action.ToString(),
          sp.origin};
}

void Add(PolicyDiff& d, int here_rank, int base_rank, PolicyDifference e) {
  if (here_rank > base_rank)
    d.more.push_back(std::move(e));
  else if (here_rank < base_rank)
    d.less.push_back(std::move(e));
  else
    d.changed.push_back(std::move(e));
}

bool Under(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return true;
  return path == prefix ||
         (path.size() > prefix.size() && path.starts_with(prefix) && path[prefix.size()] == '/');
}

bool Covered(const std::string& path, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& p) { return Under(path, p); });
}

bool FsRestricted(const Policy& p) {
  return p.landlock.has_filesystem && p.landlock.mode != EnforceMode::kOff;
}

uint8_t AccessAt(const Policy& p, const std::string& path) {
  uint8_t a = 0;
  for (const auto& r : p.landlock.rules)
    if (Under(path, r.path)) a |= r.access;
  return a;
}

SourcePos RulePos(const Policy& p, const std::string& path) {
  for (const auto& r : p.landlock.rules)
    if (r.path == path) return r.pos;
  return {};
}

}  // namespace

PolicyDiff DiffPolicies(const Policy& p, const Policy& base) {
  PolicyDiff d;
  const SourcePos leaf{p.chain.empty() ? "" : p.chain.back(), 0, 0};

  // Architectures: a filtered one runs calls; a missing one kills them.
  for (Arch a : AllArches()) {
    bool here = std::count(p.seccomp.arches.begin(), p.seccomp.arches.end(), a) > 0;
    bool there = std::count(base.seccomp.arches.begin(), base.seccomp.arches.end(), a) > 0;
    if (here != there)
      Add(d, here, there,
          {"architecture " + ArchName(a), here ? "filtered" : "killed",
           there ? "filtered" : "killed", p.seccomp.arches_pos});
  }
  for (auto [what, here, there, pos] :
       {std::tuple{"seccomp default", p.seccomp.default_action, base.seccomp.default_action,
                   p.seccomp.default_pos},
        std::tuple{"seccomp unknown", p.seccomp.unknown_action, base.seccomp.unknown_action,
                   p.seccomp.unknown_pos}}) {
    if (here != there)
      Add(d, Runs(here), Runs(there), {what, here.ToString(), there.ToString(), pos});
  }

  // Syscalls: every name any architecture knows, so that differences in
  // the `unknown` fallback show up name by name too.
  std::set<std::string> names;
  for (Arch a : AllArches())
    for (uint32_t nr = 0; nr < SyscallScanLimit(); ++nr)
      if (auto n = SyscallName(a, a == Arch::kX32 ? (nr | kX32SyscallBit) : nr)) names.insert(*n);
  for (const auto& [n, sp] : p.seccomp.syscalls) names.insert(n);
  for (const auto& [n, sp] : base.seccomp.syscalls) names.insert(n);
  for (const auto& n : names) {
    Verdict here = VerdictOf(p, n), there = VerdictOf(base, n);
    if (here.words == there.words) continue;
    Add(d, here.rank, there.rank, {"syscall " + n, here.words, there.words, here.pos});
  }

  // Capabilities.
  for (int cap = 0; cap <= LastCapability() && cap < 64; ++cap) {
    const uint64_t bit = 1ULL << cap;
    for (auto [set, here, there] :
         {std::tuple{"", p.caps.bounding, base.caps.bounding},
          std::tuple{" (ambient)", p.caps.ambient, base.caps.ambient},
          std::tuple{" (inheritable)", p.caps.inheritable, base.caps.inheritable}}) {
      bool h = here & bit, t = there & bit;
      if (h != t)
        Add(d, h, t,
            {"capability " + CapabilityName(cap) + set, h ? "kept" : "dropped",
             t ? "kept" : "dropped", leaf});
    }
  }

  if (p.no_new_privileges != base.no_new_privileges)
    Add(d, !p.no_new_privileges, !base.no_new_privileges,
        {"no_new_privileges", p.no_new_privileges ? "true" : "false",
         base.no_new_privileges ? "true" : "false", p.no_new_privileges_pos});

  // /proc and /sys paths.
  for (auto [what, here, there] :
       {std::tuple{"masked", &p.masked_paths, &base.masked_paths},
        std::tuple{"read-only", &p.readonly_paths, &base.readonly_paths}}) {
    for (const auto& path : *there)
      if (!Covered(path, *here))
        Add(d, 1, 0, {"path " + path, std::string("not ") + what, what, leaf});
    for (const auto& path : *here)
      if (!Covered(path, *there))
        Add(d, 0, 1, {"path " + path, what, std::string("not ") + what, leaf});
  }

  // Landlock.
  const bool lh = FsRestricted(p), lb = FsRestricted(base);
  if (lh != lb) {
    Add(d, lb, lh,
        {"filesystem (Landlock)", lh ? "restricted" : "not restricted",
         lb ? "restricted" : "not restricted", p.landlock.mode_pos});
  } else if (lh) {
    std::set<std::string> paths;
    for (const auto& r : p.landlock.rules) paths.insert(r.path);
    for (const auto& r : base.landlock.rules) paths.insert(r.path);
    for (const auto& path : paths) {
      uint8_t h = AccessAt(p, path), t = AccessAt(base, path);
      if (h == t) continue;
      PolicyDifference e{"filesystem " + path, FsAccessToString(h), FsAccessToString(t),
                         RulePos(p, path)};
      bool wider = h & ~t, narrower = t & ~h;
      if (wider && narrower)
        d.changed.push_back(std::move(e));
      else
        Add(d, wider, narrower, std::move(e));
    }
  }

  if (p.apparmor.mode != base.apparmor.mode || p.apparmor.profile != base.apparmor.profile)
    d.changed.push_back({"apparmor", EnforceModeName(p.apparmor.mode) + " " + p.apparmor.profile,
                         EnforceModeName(base.apparmor.mode) + " " + base.apparmor.profile,
                         p.apparmor.pos});
  if (p.selinux.mode != base.selinux.mode || p.selinux.type != base.selinux.type)
    d.changed.push_back({"selinux", EnforceModeName(p.selinux.mode) + " " + p.selinux.type,
                         EnforceModeName(base.selinux.mode) + " " + base.selinux.type,
                         p.selinux.pos});
  return d;
}

nlohmann::json DiffToJson(const PolicyDiff& d) {
  auto list = [](const std::vector<PolicyDifference>& v) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : v)
      arr.push_back({{"subject", e.subject},
                     {"here", e.here},
                     {"baseline", e.baseline},
                     {"location", e.pos.ToString()}});
    return arr;
  };
  return {{"more", list(d.more)}, {"less", list(d.less)}, {"changed", list(d.changed)}};
}

std::string DiffToText(const PolicyDiff& d, const std::string& name,
                       const std::string& baseline_name) {
  std::string out;
  auto section = [&](const std::string& title, const std::vector<PolicyDifference>& v) {
    if (v.empty()) return;
    out += title + " (" + std::to_string(v.size()) + "):\n";
    for (const auto& e : v)
      out += "  " + e.subject + ": " + e.here + " (baseline: " + e.baseline + ")\n";
  };
  section(name + " allows more than " + baseline_name, d.more);
  section(name + " allows less than " + baseline_name, d.less);
  section("different", d.changed);
  if (d.empty()) out += name + " and " + baseline_name + " allow the same\n";
  return out;
}

}  // namespace rampart::security
