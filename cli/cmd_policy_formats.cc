// rampart policy import | export: Docker/OCI seccomp JSON and LXC seccomp v2
// files to and from rampart profiles (docs/policy-formats.md).
#include <cctype>
#include <cstdio>

#include "base/atomic_file.h"
#include "cli/command.h"
#include "cli/policy_common.h"
#include "security/capabilities.h"
#include "security/compiled_policy.h"
#include "security/resolver.h"
#include "security/seccomp_formats.h"

namespace rampart::cli {
namespace {

// The profile name from the input file's name: "docker-default.json" →
// "docker-default"; "imported" when nothing usable is left.
std::string NameFromFile(const std::string& path) {
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  if (auto dot = base.find('.'); dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  std::string out;
  for (char c : base) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    out += ok ? c : '-';
  }
  if (out.size() > 64) out.resize(64);
  if (out.empty() || !std::isalnum(static_cast<unsigned char>(out[0]))) return "imported";
  return out;
}

Status WriteOut(const ParsedArgs& a, const std::string& text) {
  if (a.Has("output")) {
    const std::string out = a.Get("output");
    auto st = WriteFileOrDevice(out, text);
    if (!st) return st.error().Wrap("write " + out);
    return Ok();
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return Ok();
}

Result<int> Import(Context&, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(std::string file, OnePositional(a, "FILE"));
  if (!a.Has("from")) return Error::Invalid("--from is required (docker, oci or lxc)");
  const std::string from = a.Get("from");
  security::ForeignFormat format;
  if (from == "docker" || from == "oci") format = security::ForeignFormat::kDocker;
  else if (from == "lxc") format = security::ForeignFormat::kLxc;
  else return Error::Invalid("--from must be docker, oci or lxc (not '" + from + "')");

  security::ImportOptions opts;
  opts.name = a.Has("name") ? a.Get("name") : NameFromFile(file);
  if (a.Has("cap")) {
    // --cap adds to Docker's default set, as `docker run --cap-add` does.
    opts.caps = security::DockerDefaultCaps();
    for (const auto& c : a.opts.at("cap")) {
      auto n = security::ParseCapability(c);
      if (!n) return Error::Invalid("--cap " + c + ": " + n.error().message());
      std::string name = c;
      for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      opts.caps.push_back(name.starts_with("CAP_") ? name : "CAP_" + name);
    }
  }
  if (a.Has("kernel")) {
    unsigned major = 0, minor = 0;
    char tail = 0;
    if (std::sscanf(a.Get("kernel").c_str(), "%u.%u%c", &major, &minor, &tail) != 2)
      return Error::Invalid("--kernel must be MAJOR.MINOR (such as 6.1), not '" + a.Get("kernel") + "'");
    opts.kernel_major = major, opts.kernel_minor = minor;
  }
  RAMPART_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  RAMPART_ASSIGN_OR_RETURN(std::string yaml, security::ImportSeccompProfile(format, text, file, opts));
  // What is written must resolve and compile: check before writing anything.
  RAMPART_ASSIGN_OR_RETURN(auto loader, security::ProfileLoader::Create());
  auto policy = loader.LoadText(yaml, opts.name + ".yaml");
  if (!policy) return policy.error().Wrap("import " + file + ": the generated profile does not resolve (a bug)");
  auto compiled = security::CompilePolicy(*policy);
  if (!compiled) return compiled.error().Wrap("import " + file);
  RAMPART_TRY(WriteOut(a, yaml));
  return 0;
}

Result<int> Export(Context& ctx, const ParsedArgs& a) {
  RAMPART_ASSIGN_OR_RETURN(std::string ref, OnePositional(a, "PROFILE"));
  if (!a.Has("to")) return Error::Invalid("--to is required (oci or lxc)");
  const std::string to = a.Get("to");
  security::ExportFormat format;
  if (to == "oci" || to == "docker") format = security::ExportFormat::kOci;
  else if (to == "lxc") format = security::ExportFormat::kLxc;
  else return Error::Invalid("--to must be oci or lxc (not '" + to + "')");
  RAMPART_ASSIGN_OR_RETURN(auto policy, LoadPolicy(ctx, ref));
  RAMPART_ASSIGN_OR_RETURN(std::string text, security::ExportSeccompProfile(format, policy));
  RAMPART_TRY(WriteOut(a, text));
  return 0;
}

}  // namespace

std::vector<Command> PolicyFormatCommands() {
  std::vector<Command> c;
  c.push_back({"policy import", "--from docker|oci|lxc FILE [-o OUT.yaml] [--name NAME] [--cap CAP ...]",
               "turn a Docker/OCI seccomp JSON or LXC seccomp v2 file into a rampart profile",
               "Writes a profile whose seccomp verdicts are the source's: its default action\n"
               "becomes `unknown`, its rules become allow/deny lists and argument rules, and\n"
               "`default` is what those argument rules fall back to. Docker's includes and\n"
               "excludes are decided as Docker does at start, against Docker's default\n"
               "capability set plus --cap and against --kernel (default 6.1). Syscall names\n"
               "rampart does not know are skipped with a comment. What a rampart profile\n"
               "cannot express is an error naming the place in FILE; nothing is written then.\n"
               "See docs/policy-formats.md.",
               {{"from", 0, true, "FORMAT", "docker, oci (the same JSON) or lxc"},
                {"output", 'o', true, "FILE", "write the profile to FILE (atomically) instead of stdout"},
                {"name", 0, true, "NAME", "the profile's name (default: from FILE's name)"},
                {"cap", 0, true, "CAP", "a capability added to Docker's default set for includes/excludes (repeatable)"},
                {"kernel", 0, true, "MAJOR.MINOR", "the kernel version minKernel is compared with (default 6.1)"}},
               Import});
  c.push_back({"policy export", "--to oci|lxc PROFILE [-o OUT]",
               "write a profile's seccomp filter as OCI seccomp JSON or an LXC seccomp v2 file",
               "OCI JSON is the linux.seccomp object of a runtime spec (runc, crun, podman).\n"
               "The filter's default action is the profile's `unknown`; syscalls the profile\n"
               "names but denies, and argument rules that do not match, are listed with the\n"
               "profile's `default`, so every call gets the same verdict. LXC files need the\n"
               "three x86 architectures and the actions LXC knows (no kill-process or log).",
               {{"to", 0, true, "FORMAT", "oci or lxc"},
                {"output", 'o', true, "FILE", "write to FILE (atomically) instead of stdout"}},
               Export});
  return c;
}

}  // namespace rampart::cli
