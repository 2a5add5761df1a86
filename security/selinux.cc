#include "security/selinux.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

#include "base/spawn.h"
#include "base/temp_dir.h"
#include "security/capabilities.h"

namespace rampart::security {
namespace {

std::string Sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out.empty() ? "container" : out;
}

// "CAP_NET_ADMIN" → "net_admin".
std::string CapPermission(int cap) {
  std::string n = CapabilityName(cap);
  if (n.rfind("CAP_", 0) == 0) n = n.substr(4);
  for (char& c : n)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return n;
}

std::string Join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Permissions per class for a set of FsAccess bits, in a fixed order.
struct ClassPerms {
  const char* cls;
  std::vector<std::string> perms;
};

void AddPerms(std::vector<std::string>& to, std::initializer_list<const char*> perms) {
  for (const char* p : perms) {
    bool have = false;
    for (const auto& q : to) have = have || q == p;
    if (!have) to.emplace_back(p);
  }
}

std::vector<ClassPerms> FilePermissions(uint8_t access) {
  std::vector<std::string> file, dir, lnk;
  if (access & kFsRead) {
    AddPerms(file, {"getattr", "open", "read", "ioctl", "lock", "map"});
    AddPerms(dir, {"getattr", "open", "read", "search", "ioctl", "lock"});
    AddPerms(lnk, {"getattr", "read"});
  }
  if (access & kFsWrite) {
    AddPerms(file, {"getattr", "open", "write", "append", "setattr", "lock"});
    AddPerms(dir, {"getattr", "search"});
  }
  if (access & kFsExec) {
    AddPerms(file, {"getattr", "open", "read", "map", "execute", "execute_no_trans", "entrypoint"});
    AddPerms(dir, {"getattr", "search"});
    AddPerms(lnk, {"getattr", "read"});
  }
  if (access & kFsCreate) {
    AddPerms(file, {"getattr", "create", "link", "rename", "unlink", "setattr"});
    AddPerms(dir, {"getattr", "open", "search", "create", "write", "add_name", "remove_name",
                   "rename", "reparent", "rmdir", "setattr"});
    AddPerms(lnk, {"getattr", "create", "rename", "unlink"});
  }
  std::vector<ClassPerms> out;
  if (!dir.empty()) out.push_back({"dir", dir});
  if (!file.empty()) out.push_back({"file", file});
  if (!lnk.empty()) out.push_back({"lnk_file", lnk});
  return out;
}

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string OneLine(const std::string& text, const std::string& strip) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!strip.empty()) {
      for (auto pos = line.find(strip); pos != std::string::npos; pos = line.find(strip))
        line.erase(pos, strip.size());
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    line.erase(0, first == std::string::npos ? line.size() : first);
    if (line.empty() || line == "<root>") continue;
    if (line == "Failed to resolve AST" || line.rfind("Failed to compile cildb", 0) == 0) continue;
    lines.push_back(line);
    if (lines.size() == 4) break;
  }
  return lines.empty() ? "secilc failed without a message" : Join(lines, "; ");
}

// The store's enabled modules, highest priority copy of each, sorted by name.
Result<std::vector<std::string>> StoreModules(const std::string& store) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(store, ec))
    return Error::Unsupported("selinux policy store " + store +
                              " not found (install package selinux-policy-default)");
  std::set<std::string> disabled;
  for (const auto& e : fs::directory_iterator(store + "/disabled", ec))
    disabled.insert(e.path().filename().string());
  std::map<std::string, std::pair<int, std::string>> best;  // name → (priority, cil path)
  for (const auto& prio : fs::directory_iterator(store, ec)) {
    const std::string pname = prio.path().filename().string();
    if (pname.empty() || pname.find_first_not_of("0123456789") != std::string::npos) continue;
    const int priority = std::atoi(pname.c_str());
    std::error_code ec2;
    for (const auto& mod : fs::directory_iterator(prio.path(), ec2)) {
      const std::string name = mod.path().filename().string();
      const std::string cil = mod.path().string() + "/cil";
      if (disabled.count(name) || !fs::exists(cil, ec2)) continue;
      auto it = best.find(name);
      if (it == best.end() || it->second.first < priority) best[name] = {priority, cil};
    }
  }
  if (ec) return Error::FromErrno(ec.value(), "read " + store);
  if (!best.count("base"))
    return Error::Unsupported("selinux policy store " + store +
                              " has no base module (install package selinux-policy-default)");
  std::vector<std::string> out;
  for (const auto& [name, v] : best) out.push_back(v.second);
  return out;
}

// The store's modules as one CIL text, decompressed once per store and process.
Result<std::string> StoreCil(const std::string& store) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(store); it != cache.end()) return it->second;
  RAMPART_ASSIGN_OR_RETURN(auto modules, StoreModules(store));
  std::vector<std::string> argv{"bzcat", "--"};
  argv.insert(argv.end(), modules.begin(), modules.end());
  auto out = RunCommand(argv, {}, std::chrono::seconds(120));
  if (!out.has_value()) {
    if (out.error().err() == ENOENT)
      return Error::Unsupported("bzcat not found (install package bzip2)");
    return out.error().Wrap("decompress selinux policy store");
  }
  if (out->timed_out || ExitCodeFromWaitStatus(out->status) != 0)
    return Error::Internal("bzcat of " + store + " failed: " + OneLine(out->err, ""));
  cache[store] = out->out;
  return std::move(out->out);
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Error::FromErrno(errno ? errno : EIO, "write " + path);
  return Ok();
}

}  // namespace

std::string SelinuxTypeName(const Policy& p) { return "rampart_" + Sanitize(p.name) + "_t"; }

std::string SelinuxFileTypeName(const Policy& p) {
  return "rampart_" + Sanitize(p.name) + "_file_t";
}

std::string GenerateSelinuxCil(const Policy& p) {
  const std::string t = SelinuxTypeName(p);
  const std::string ft = SelinuxFileTypeName(p);
  std::ostringstream o;
  o << "; rampart SELinux policy module (CIL) for profile \"" << p.name << "\"\n";
  std::vector<std::string> chain;
  for (const auto& c : p.chain) chain.push_back(Basename(c));
  if (!chain.empty()) o << "; source profile chain (base first): " << Join(chain, " -> ") << "\n";
  o << "; generated by rampart from the resolved profile; do not edit\n\n";

  o << "; process type of the container\n"
    << "(type " << t << ")\n"
    << "(roletype system_r " << t << ")\n"
    << "(typeattributeset domain (" << t << "))\n\n";
  o << "; type of the container's files (its mount label)\n"
    << "(type " << ft << ")\n"
    << "(typeattributeset file_type (" << ft << "))\n\n";

  // Capabilities: exactly the bounding set, numbers >= 32 in capability2.
  std::vector<std::string> cap1, cap2;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(p.caps.bounding & (1ULL << cap))) continue;
    (cap < 32 ? cap1 : cap2).push_back(CapPermission(cap));
  }
  o << "; capabilities: the bounding set ("
    << (p.caps.bounding ? CapabilityPolicy::MaskToNames(p.caps.bounding) : std::string("none"))
    << ")\n";
  if (!cap1.empty()) o << "(allow " << t << " self (capability (" << Join(cap1) << ")))\n";
  if (!cap2.empty()) o << "(allow " << t << " self (capability2 (" << Join(cap2) << ")))\n";
  o << "\n";

  o << "; processes: fork and signal within the container\n"
    << "(allow " << t << " self (process (fork sigchld sigkill sigstop signull signal)))\n\n";

  // Files: the union of the filesystem rules (SELinux labels are not paths).
  uint8_t access = 0;
  const bool rules = p.landlock.has_filesystem && !p.landlock.rules.empty();
  if (rules) {
    o << "; files: union of the filesystem rules\n";
    for (const auto& r : p.landlock.rules) {
      o << ";   " << r.path << ": " << FsAccessToString(r.access) << "\n";
      access |= r.access;
    }
  } else {
    o << "; files: no filesystem rules, full access to the container's own files\n";
    access = kFsRead | kFsWrite | kFsExec | kFsCreate;
  }
  const auto perms = FilePermissions(access);
  if (perms.empty()) o << "; (no file permissions)\n";
  for (const auto& cp : perms)
    o << "(allow " << t << " " << ft << " (" << cp.cls << " (" << Join(cp.perms) << ")))\n";
  // Sockets: the classes of the network families (all without a network
  // section). Port and node permissions are left to the base policy.
  const uint8_t fam = p.network.restricts_families ? p.network.families : kNetAllFamilies;
  o << "\n; sockets: network families " << NetFamiliesToString(fam) << "\n";
  const std::string common = "create ioctl read write getattr setattr append bind connect getopt setopt shutdown";
  auto sock = [&](const char* cls, bool stream) {
    o << "(allow " << t << " self (" << cls << " (" << common << (stream ? " listen accept" : "") << ")))\n";
  };
  if (fam & kNetUnix) sock("unix_stream_socket", true), sock("unix_dgram_socket", false);
  if (fam & (kNetInet | kNetInet6)) {
    sock("tcp_socket", true);
    sock("udp_socket", false);
    if (fam & kNetRaw) sock("rawip_socket", false);
  }
  if (fam & kNetNetlink) sock("netlink_socket", false), sock("netlink_route_socket", false);
  if (fam & kNetPacket) sock("packet_socket", false);
  o << "\n; mounts: never granted (no filesystem mount/remount/unmount, no mounton)\n";
  return o.str();
}

SelinuxLabels ComputeSelinuxLabels(const Policy& p, const std::string& mcs_level) {
  const std::string level = mcs_level.empty() ? "s0" : mcs_level;
  const bool gen = p.selinux.generated();
  SelinuxLabels l{"system_u:system_r:" + (gen ? SelinuxTypeName(p) : p.selinux.type) + ":" + level,
                  "system_u:object_r:" + (gen ? SelinuxFileTypeName(p) : std::string("container_file_t")) + ":" + level};
  if (!p.selinux.mount_label.empty()) l.mount = p.selinux.mount_label;
  return l;
}

std::string McsLevelFor(const std::string& container_name) {
  const uint64_t h = Fnv1a64(container_name);
  unsigned a = static_cast<unsigned>(h % 1024);
  unsigned b = static_cast<unsigned>((h >> 10) % 1023);
  if (b >= a) ++b;  // b != a, both in 0..1023
  if (a > b) std::swap(a, b);
  return "s0:c" + std::to_string(a) + ",c" + std::to_string(b);
}

Status ValidateSelinuxCil(const std::string& cil, const std::string& store) {
  RAMPART_ASSIGN_OR_RETURN(std::string base, StoreCil(store));
  TempDir dir("rampart-selinux-");
  if (dir.path().empty()) return Error::FromErrno(errno, "mkdtemp for selinux validation");
  RAMPART_TRY(WriteFile(dir.path() + "/base.cil", base));
  RAMPART_TRY(WriteFile(dir.path() + "/module.cil", cil));
  auto out = RunCommand({"secilc", "-o", "/dev/null", "-f", "/dev/null", dir.path() + "/base.cil",
                         dir.path() + "/module.cil"},
                        {}, std::chrono::seconds(300));
  if (!out.has_value()) {
    if (out.error().err() == ENOENT) return Error::Unsupported("secilc not found (install package secilc)");
    return out.error().Wrap("run secilc");
  }
  if (out->timed_out) return Error::Internal("secilc timed out");
  if (ExitCodeFromWaitStatus(out->status) != 0)
    return Error::Invalid("secilc: " + OneLine(out->err + out->out, dir.path() + "/"));
  return Ok();
}

}  // namespace rampart::security
