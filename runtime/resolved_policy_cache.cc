#include "runtime/resolved_policy_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/sha256.h"

namespace rampart::runtime {

namespace {

// Identifies the running binary: a rebuilt or upgraded rampart may resolve
// or compile differently, so its entries are not trusted.
std::string ExeIdentity() {
  struct stat st {};
  if (stat("/proc/self/exe", &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

std::string EntryBase(const Paths& paths, const std::string& ref, const std::vector<std::string>& search_dirs,
                      const std::string& exe) {
  std::string key = "v2\n" + ref + "\n" + exe + "\n";
  for (const auto& d : search_dirs) key += d + "\n";
  return paths.root + "/cache/resolved/" + Sha256Hex(key);
}

}  // namespace

std::optional<ResolvedPolicy> LookupResolvedPolicy(const Paths& paths, const std::string& ref,
                                                   const std::vector<std::string>& search_dirs) {
  const std::string exe = ExeIdentity();
  if (exe.empty()) return std::nullopt;
  const std::string base = EntryBase(paths, ref, search_dirs, exe);
  auto text = ReadFile(base + ".json");
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || j.value("version", 0) != 2 || j.value("ref", "") != ref || j.value("exe", "") != exe ||
      !j.contains("sources") || !j["sources"].is_array() || !j.contains("frozen") || !j["frozen"].is_object())
    return std::nullopt;
  std::vector<security::ProfileSource> sources;
  for (const auto& s : j["sources"]) {
    if (!s.is_object()) return std::nullopt;
    sources.push_back({s.value("ref", ""), s.value("base_dir", ""), s.value("found", ""), s.value("sha256", "")});
  }
  if (!security::ProfileSourcesCurrent(sources, search_dirs)) return std::nullopt;
  auto bpf = ReadFile(base + ".bpf");
  if (!bpf) return std::nullopt;
  // The frozen policy is embedded as an object, so the file is parsed once.
  auto compiled = security::ThawPolicyObject(j["frozen"], *bpf, base + ".json");
  if (!compiled) return std::nullopt;
  ResolvedPolicy r;
  r.compiled = std::move(*compiled);
  r.high_findings = j.value("high_findings", -1);
  r.first_high = j.value("first_high", "");
  if (r.high_findings < 0) return std::nullopt;
  return r;
}

Status StoreResolvedPolicy(const Paths& paths, const std::string& ref, const std::vector<std::string>& search_dirs,
                           const std::vector<security::ProfileSource>& sources, const ResolvedPolicy& resolved) {
  const std::string exe = ExeIdentity();
  if (exe.empty() || sources.empty()) return Ok();
  RAMPART_TRY(MakeDirs(paths.root + "/cache/resolved", 0700));
  const std::string base = EntryBase(paths, ref, search_dirs, exe);
  nlohmann::json src = nlohmann::json::array();
  for (const auto& s : sources)
    src.push_back({{"ref", s.ref}, {"base_dir", s.base_dir}, {"found", s.found}, {"sha256", s.sha256}});
  nlohmann::json j = {{"version", 2},
                      {"ref", ref},
                      {"exe", exe},
                      {"sources", src},
                      {"high_findings", resolved.high_findings},
                      {"first_high", resolved.first_high},
                      {"frozen", security::FrozenPolicyObject(resolved.compiled)}};
  // The program first: an entry whose JSON names a missing or older program
  // fails ThawPolicy's hash check and is a miss.
  RAMPART_TRY(WriteFileAtomic(base + ".bpf", security::BpfBytes(resolved.compiled.seccomp.insns), 0600,
                              Durability::kVolatile));
  return WriteFileAtomic(base + ".json", j.dump() + "\n", 0600, Durability::kVolatile);
}

}  // namespace rampart::runtime
