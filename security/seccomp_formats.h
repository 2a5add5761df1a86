// Other tools' seccomp formats: Docker/OCI seccomp JSON and LXC seccomp v2
// files, imported into rampart profiles and exported from resolved
// policies. Pure text → text; nothing here touches the kernel.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "security/policy.h"

namespace rampart::security {

enum class ForeignFormat { kDocker, kLxc };  // import: docker|oci, lxc
enum class ExportFormat { kOci, kLxc };

struct ImportOptions {
  std::string name = "imported";  // the `name:` of the profile written
  // Docker `includes`/`excludes` conditions are decided against these,
  // as Docker does at container start.
  std::vector<std::string> caps;  // "CAP_SYS_ADMIN"; empty = Docker's default set
  unsigned kernel_major = 6, kernel_minor = 1;  // for `minKernel`
  // The host architecture Docker's `includes/excludes.arches` are matched
  // against, in Docker's native names ("amd64"); rampart hosts are x86_64.
  std::string host_arch = "amd64";
};

// Docker's default capability set (what `docker run` keeps without
// --cap-add/--cap-drop), with CAP_ prefixes.
const std::vector<std::string>& DockerDefaultCaps();

// `text` in `format` → rampart profile YAML (security/profile_writer.h).
// `file` names the input in errors ("file: what was wrong", with the JSON
// path or line where there is one). The result must resolve and compile to
// the verdicts the foreign tool would give.
Result<std::string> ImportSeccompProfile(ForeignFormat format, std::string_view text, const std::string& file,
                                         const ImportOptions& options = {});

// A resolved policy → OCI seccomp JSON (linux.seccomp of config.json, as
// runc/crun/podman take it) or an LXC seccomp v2 file.
Result<std::string> ExportSeccompProfile(ExportFormat format, const Policy& policy);

// The format-neutral filter both foreign formats are read into and written
// from: libseccomp's model (one default action, rules per syscall name with
// ANDed argument conditions, rules for one name ORed).
struct ForeignRule {
  std::string syscall;
  Action action;
  std::vector<ArgCondition> args;  // ANDed; at most one per argument index
  std::vector<Arch> arches;        // where the rule applies; empty = every filtered arch
  std::string where;               // "file: syscalls[3]" or "file:12", for errors
};

struct ForeignFilter {
  Action default_action = Action::KillProcess();
  std::vector<Arch> arches;        // filtered architectures (others are killed)
  std::vector<ForeignRule> rules;
  std::vector<std::string> notes;  // what was ignored, for the profile's header
};

// Docker/OCI JSON or LXC v2 text → ForeignFilter (syntax and the format's own
// rules: includes/excludes, sections, default actions).
Result<ForeignFilter> ParseDockerSeccomp(std::string_view text, const std::string& file, const ImportOptions& options);
Result<ForeignFilter> ParseLxcSeccomp(std::string_view text, const std::string& file);
// ForeignFilter → text.
// libseccomp's name of a comparison ("SCMP_CMP_MASKED_EQ"), as both formats write it.
const char* ScmpCmpName(CmpOp op);
std::string WriteOciSeccomp(const ForeignFilter& filter);
Result<std::string> WriteLxcSeccomp(const ForeignFilter& filter);

// The mapping between a ForeignFilter and rampart: a profile that resolves to
// the same verdicts (or an error naming what cannot be expressed), and the
// filter a resolved policy stands for.
Result<std::string> ForeignToProfileYaml(const ForeignFilter& filter, const std::string& source_kind,
                                         const std::string& file, const ImportOptions& options);
Result<ForeignFilter> PolicyToForeign(const Policy& policy);

// The action libseccomp's filter gives one call (the oracle for tests):
// nullopt when rules with different actions match (libseccomp refuses or
// picks one; rampart refuses such input).
std::optional<Action> EvaluateForeign(const ForeignFilter& filter, Arch arch, const std::string& syscall,
                                      const uint64_t args[6]);

}  // namespace rampart::security
