#include "runtime/lsm.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/atomic_file.h"
#include "base/sha256.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "security/apparmor.h"
#include "security/selinux.h"

namespace rampart::runtime {
namespace {

Status RunTool(const std::vector<std::string>& argv, const std::string& what) {
  auto out = RunCommand(argv, {}, std::chrono::seconds(300));
  if (!out) return out.error().Wrap(what);
  if (out->timed_out) return Error::Internal(what + ": " + argv[0] + " timed out");
  if (ExitCodeFromWaitStatus(out->status) != 0)
    return Error::Invalid(what + ": " + argv[0] + ": " + FirstLine(out->err + out->out));
  return Ok();
}

// Writes `text` to a /proc attr file in one write (the kernel takes the
// whole label from one write call).
Status WriteAttr(const char* path, const std::string& text) {
  UniqueFd fd(open(path, O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(errno, std::string("open ") + path);
  ssize_t n = write(fd.get(), text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) return Error::FromErrno(n < 0 ? errno : EIO, std::string("write ") + path);
  return Ok();
}

}  // namespace

Result<ExecLabels> PrepareLsm(const security::CompiledPolicy& c, const std::string& name,
                              const security::HostSecurity& host, const std::string& work_dir) {
  const security::Policy& p = c.policy;
  ExecLabels labels;
  if (host.apparmor && p.apparmor.mode != security::EnforceMode::kOff && !p.apparmor.unconfined()) {
    if (p.apparmor.generated()) {
      labels.apparmor = security::AppArmorProfileName(p, c.hash);
      const std::string file = work_dir + "/apparmor";
      RAMPART_TRY(WriteFileAtomic(file, security::GenerateAppArmorProfile(p, labels.apparmor)));
      const std::string parser = security::FindAppArmorParser();
      if (parser.empty()) return Error::Unsupported("load the AppArmor profile: apparmor_parser not installed (apt-get install apparmor)");
      RAMPART_TRY(RunTool({parser, "-r", "-W", file}, "load AppArmor profile " + labels.apparmor));
    } else {
      labels.apparmor = p.apparmor.profile;
      auto loaded = ReadFile("/sys/kernel/security/apparmor/profiles");
      if (!loaded) return loaded.error().Wrap("list loaded AppArmor profiles");
      bool found = false;
      for (const auto& line : Split(*loaded, '\n')) found |= line.starts_with(labels.apparmor + " (");
      if (!found)
        return Error::NotFound("AppArmor profile " + labels.apparmor + " (apparmor.profile at " +
                               p.apparmor.profile_pos.ToString() + ") is not loaded on this host");
    }
  }
  if (host.selinux && p.selinux.mode != security::EnforceMode::kOff) {
    const std::string level = p.selinux.level == "auto" ? security::McsLevelFor(name) : p.selinux.level;
    auto l = security::ComputeSelinuxLabels(p, level);
    labels.selinux = l.process;
    labels.selinux_mount = l.mount;
    if (p.selinux.generated()) {
      // semodule rebuilds the whole policy (slow): only when the module changed.
      const std::string cil = security::GenerateSelinuxCil(p);
      const std::string module = security::SelinuxTypeName(p).substr(0, security::SelinuxTypeName(p).size() - 2);
      const std::string file = work_dir + "/" + module + ".cil";
      const std::string stamp = work_dir + "/" + module + ".installed";
      auto installed = ReadFile(stamp);
      if (!installed || *installed != Sha256Hex(cil)) {
        RAMPART_TRY(WriteFileAtomic(file, cil));
        RAMPART_TRY(RunTool({"semodule", "-i", file}, "install SELinux module " + module));
        RAMPART_TRY(WriteFileAtomic(stamp, Sha256Hex(cil)));
      }
    }
  }
  return labels;
}

Status SetExecLabels(const ExecLabels& labels) {
  if (!labels.apparmor.empty()) {
    // The AppArmor-specific interface first (kernels with LSM stacking),
    // then the shared one, as libapparmor's aa_change_onexec does.
    auto st = WriteAttr("/proc/self/attr/apparmor/exec", "exec " + labels.apparmor);
    if (!st && st.error().err() == ENOENT) st = WriteAttr("/proc/self/attr/exec", "exec " + labels.apparmor);
    if (!st) return st.error().Wrap("switch to AppArmor profile " + labels.apparmor + " on exec");
  }
  if (!labels.selinux.empty()) {
    auto st = WriteAttr("/proc/self/attr/exec", labels.selinux);
    if (!st) return st.error().Wrap("set SELinux exec context " + labels.selinux);
  }
  return Ok();
}

Status VerifyExecLabels(const ExecLabels& labels, pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid) + "/attr/";
  if (!labels.apparmor.empty()) {
    auto cur = ReadFile(base + "apparmor/current");
    if (!cur) cur = ReadFile(base + "current");
    if (!cur) return cur.error().Wrap("read the payload's AppArmor label");
    // "NAME (enforce)"
    if (!std::string(Trim(*cur)).starts_with(labels.apparmor + " (enforce)"))
      return Error::Internal("the payload runs under AppArmor label '" + std::string(Trim(*cur)) + "', not " +
                             labels.apparmor + " (enforce)");
  }
  if (!labels.selinux.empty()) {
    auto cur = ReadFile(base + "current");
    if (!cur) return cur.error().Wrap("read the payload's SELinux context");
    std::string ctx(Trim(std::string_view(cur->c_str())));  // the kernel appends a NUL
    if (ctx != labels.selinux)
      return Error::Internal("the payload runs in SELinux context '" + ctx + "', not " + labels.selinux);
  }
  return Ok();
}

}  // namespace rampart::runtime
