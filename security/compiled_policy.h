// CompiledPolicy: everything the runtime applies, as plain data; the
// canonical JSON form of the Policy IR; the content hash; the on-disk cache.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "security/policy.h"
#include "security/seccomp_compiler.h"

namespace rampart::security {

struct CompiledPolicy {
  Policy policy;           // caps, NNP, rlimits, paths, network, Landlock and LSM settings
  SeccompProgram seccomp;  // one BPF program for all filtered architectures
  std::string hash;        // sha256 of the canonical IR + toolchain versions
  // sha256 of the program's bytes when already known (set by ThawPolicy,
  // which checked it; "" = not computed): saves hashing it twice.
  std::string bpf_sha256;
};

// Canonical, deterministic JSON of the IR (sorted keys and names).
nlohmann::json PolicyToJson(const Policy& policy);
// The cache key: sha256 over PolicyToJson + libseccomp + rampart versions.
std::string PolicyHash(const Policy& policy);

Result<CompiledPolicy> CompilePolicy(const Policy& policy, const SeccompCompileOptions& options = {});

// Summary for `policy compile` (instructions per arch, cap sets, hash).
Result<nlohmann::json> CompiledSummary(const CompiledPolicy& compiled, bool per_arch_counts);

// Raw BPF bytes (struct sock_filter array) as written to disk.
std::string BpfBytes(const std::vector<sock_filter>& insns);

// The frozen copy a container keeps from create to start: what applying the
// policy needs (BPF, capability sets, NNP, rlimits, masked and read-only
// paths, hash), without the syscall table. Start reads it instead of
// resolving and compiling the profile again.
std::string FrozenPolicyJson(const CompiledPolicy& compiled);
// The same as a JSON value, for callers that embed it in their own file.
nlohmann::json FrozenPolicyObject(const CompiledPolicy& compiled);
// `bpf` must match the sha256 recorded in the JSON.
Result<CompiledPolicy> ThawPolicy(std::string_view json, std::string_view bpf, const std::string& where);
Result<CompiledPolicy> ThawPolicyObject(const nlohmann::json& frozen, std::string_view bpf, const std::string& where);

// Compiled programs keyed by policy hash under DIR (cache/bpf/HASH.bpf).
class PolicyCache {
 public:
  explicit PolicyCache(std::string dir) : dir_(std::move(dir)) {}
  // The cached program for this policy, compiling and storing it on a miss.
  Result<CompiledPolicy> Get(const Policy& policy, bool* hit = nullptr) const;

 private:
  std::string dir_;
};

}  // namespace rampart::security
