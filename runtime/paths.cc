#include "runtime/paths.h"

#include <unistd.h>

#include <cstdlib>

namespace rampart::runtime {
namespace {

std::string Env(const char* key) {
  const char* v = std::getenv(key);
  return v ? std::string(v) : std::string();
}

// Absolute, without trailing slashes ("/" stays "/").
std::string Normalize(std::string p) {
  if (!p.empty() && p[0] != '/') {
    char buf[4096];
    if (::getcwd(buf, sizeof buf) != nullptr) p = std::string(buf) + "/" + p;
  }
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Join(const std::string& dir, std::string_view a, std::string_view b = {}) {
  std::string out = dir;
  if (out.empty() || out.back() != '/') out += '/';
  out += a;
  if (!b.empty()) {
    out += '/';
    out += b;
  }
  return out;
}

}  // namespace

Paths Paths::From(std::optional<std::string> root_flag) {
  Paths p;
  std::string root = root_flag && !root_flag->empty() ? *root_flag : Env("RAMPART_ROOT");
  if (root.empty()) root = "/var/lib/rampart";
  std::string run = Env("RAMPART_RUN");
  if (run.empty()) run = "/run/rampart";
  std::string conf = Env("RAMPART_CONF_DIR");
  if (conf.empty()) conf = "/etc/rampart";
  p.root = Normalize(root);
  p.run = Normalize(run);
  p.conf_dir = Normalize(conf);
  return p;
}

std::string Paths::ContainersDir() const { return Join(root, "containers"); }
std::string Paths::ContainerDir(std::string_view name) const {
  return Join(root, "containers", name);
}
std::string Paths::ConfigFile(std::string_view name) const {
  return Join(ContainerDir(name), "config.yaml");
}
std::string Paths::RootfsDir(std::string_view name) const {
  return Join(ContainerDir(name), "rootfs");
}
std::string Paths::LogFile(std::string_view name) const {
  return Join(ContainerDir(name), "console.log");
}
std::string Paths::RunDir(std::string_view name) const { return Join(run, name); }
std::string Paths::StateFile(std::string_view name) const {
  return Join(RunDir(name), "state.json");
}
std::string Paths::MonitorSocket(std::string_view name) const {
  return Join(RunDir(name), "monitor.sock");
}
std::string Paths::RunDirContainerDir(std::string_view name) const {
  return Join(RunDir(name), "container");
}
std::string Paths::LockFile(std::string_view name) const {
  return Join(ContainersDir(), "." + std::string(name) + ".lock");
}
std::string Paths::PolicyCacheDir() const { return Join(root, "cache", "bpf"); }
std::string Paths::NetworksDir() const { return Join(root, "networks"); }
std::string Paths::NetworksRunDir() const { return Join(run, ".networks"); }
std::string Paths::OvsRunDir() const { return Join(run, ".ovs"); }
std::string Paths::ConfFile() const { return Join(conf_dir, "rampart.conf"); }
std::string Paths::ConfDir() const { return Join(conf_dir, "conf.d"); }
std::vector<std::string> Paths::ProfileDirs() const { return {Join(root, "policies"), Join(conf_dir, "policies")}; }

Status ValidateName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return Error::Invalid("invalid container name '" + std::string(name) + "': " + why +
                          " (names match [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters)");
  };
  if (name.empty()) return bad("empty");
  if (name.size() > kMaxNameLength) return bad("longer than 64 characters");
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return bad("must start with a letter or digit");
  for (char c : name) {
    if (c == '/') return bad("contains '/'");
    if (!alnum(c) && c != '_' && c != '.' && c != '-')
      return bad("contains a character other than letters, digits, '_', '.', '-'");
  }
  return Ok();
}

}  // namespace rampart::runtime
