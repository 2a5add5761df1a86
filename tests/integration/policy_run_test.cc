// Integration tests for `rampart policy run PROFILE -- CMD ARGS...`.
//
// The payload is tests/helpers/syscall_probe, which tries system calls and
// prints one "PROBE RESULT" line each (RESULT is OK or an errno name).  The
// tests check what the shipped `default` profile allows and denies, that the
// denials come from the seccomp filter (tests/fixtures/profiles/
// distinct-errno.yaml turns seccomp denials into EXDEV), that the same probes
// are NOT denied without rampart (so the tests would fail if the filter did
// nothing), and that exit codes pass through.
//
// Needs root; skipped otherwise unless RAMPART_TESTS_MUST_RUN=1.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/spawn.h"
#include "tests/integration/probe_output.h"

#ifndef RAMPART_BIN
#error "RAMPART_BIN must be defined (path of the rampart binary)"
#endif
#ifndef RAMPART_PROBE
#error "RAMPART_PROBE must be defined (path of tests/helpers/syscall_probe)"
#endif
#ifndef RAMPART_SOURCE_DIR
#error "RAMPART_SOURCE_DIR must be defined"
#endif

namespace {

// ---- running a command with captured output --------------------------------

struct RunResult {
  std::vector<std::string> argv;
  int exit_code = -1;  // exit status, 128+sig if killed, -1 if it never ran
  bool timed_out = false;
  std::string out;
  std::string err;

  // Everything seen, for failure messages.
  std::string Describe() const {
    std::ostringstream s;
    s << "\n  command:";
    for (const auto& a : argv) s << " '" << a << "'";
    s << "\n  exit code: " << exit_code << (timed_out ? " (timed out, killed)" : "")
      << "\n  --- stdout ---\n"
      << out << (out.empty() || out.back() == '\n' ? "" : "\n") << "  --- stderr ---\n"
      << err << (err.empty() || err.back() == '\n' ? "" : "\n") << "  --------------\n";
    return s.str();
  }
};

// Runs argv (stdin empty) with base/spawn's RunCommand; a command rampart
// cannot even start is reported as exit code -1 with the reason in err.
RunResult RunCommand(const std::vector<std::string>& argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  RunResult r;
  r.argv = argv;
  auto out = rampart::RunCommand(argv, {}, timeout);
  if (!out) {
    r.err = "test harness: " + out.error().message();
    return r;
  }
  r.out = std::move(out->out);
  r.err = std::move(out->err);
  r.timed_out = out->timed_out;
  r.exit_code = rampart::ExitCodeFromWaitStatus(out->status);
  return r;
}

// ---- probe output ----------------------------------------------------------

// The probe's lines (tests/integration/probe_output.h) and the run they came from.
struct ProbeOutput : rampart::testing_support::Probe {
  RunResult run;
  std::string Describe() const { return run.Describe(); }
};

ProbeOutput Parse(RunResult run) {
  ProbeOutput p;
  static_cast<rampart::testing_support::Probe&>(p) = rampart::testing_support::ParseProbe(run.out);
  p.run = std::move(run);
  return p;
}

std::vector<std::string> PolicyRunArgv(const std::string& profile,
                                       const std::vector<std::string>& command) {
  std::vector<std::string> argv = {RAMPART_BIN, "policy", "run", profile, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

ProbeOutput ProbeUnder(const std::string& profile, const std::vector<std::string>& probes) {
  std::vector<std::string> cmd = {RAMPART_PROBE};
  cmd.insert(cmd.end(), probes.begin(), probes.end());
  return Parse(RunCommand(PolicyRunArgv(profile, cmd)));
}

ProbeOutput ProbeDirect(const std::vector<std::string>& probes) {
  std::vector<std::string> cmd = {RAMPART_PROBE};
  cmd.insert(cmd.end(), probes.begin(), probes.end());
  return Parse(RunCommand(cmd));
}

std::string DistinctErrnoProfile() {
  return std::string(RAMPART_SOURCE_DIR) + "/tests/fixtures/profiles/distinct-errno.yaml";
}

// The 14 capabilities the shipped `default` profile keeps.
std::string DefaultCapMaskHex() {
  uint64_t mask = 0;
  for (int cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
                  CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
                  CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE}) {
    mask |= uint64_t{1} << cap;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

#define RAMPART_REQUIRE_ROOT()                                                  \
  do {                                                                          \
    if (geteuid() != 0) {                                                       \
      const char* must = std::getenv("RAMPART_TESTS_MUST_RUN");                 \
      if (must != nullptr && std::string(must) == "1") {                        \
        FAIL() << "policy run tests need root (euid is " << geteuid()           \
               << ") and RAMPART_TESTS_MUST_RUN=1 forbids skipping";            \
      }                                                                         \
      GTEST_SKIP() << "policy run tests need root (euid is " << geteuid()       \
                   << "); set RAMPART_TESTS_MUST_RUN=1 to make this a failure"; \
    }                                                                           \
  } while (0)

// ---- under the shipped `default` profile -----------------------------------

TEST(PolicyRunTest, DefaultDeniesDangerousSyscallsWithEperm) {
  RAMPART_REQUIRE_ROOT();
  const std::vector<std::string> denied = {
      "mount",  "unshare_user", "ptrace_traceme", "kexec_load",         "open_by_handle_at",
      "keyctl", "bpf",          "socket_vsock",   "int80_unshare_user", "clone_newuser"};
  ProbeOutput p = ProbeUnder("default", denied);
  ASSERT_EQ(p.run.exit_code, 0) << p.Describe();
  for (const auto& probe : denied) {
    EXPECT_EQ(p.Get(probe), "EPERM") << "probe " << probe << p.Describe();
  }
}

TEST(PolicyRunTest, DefaultAllowsOrdinarySyscalls) {
  RAMPART_REQUIRE_ROOT();
  const std::vector<std::string> allowed = {"getpid", "read0", "socket_inet", "int80_getpid"};
  ProbeOutput p = ProbeUnder("default", allowed);
  ASSERT_EQ(p.run.exit_code, 0) << p.Describe();
  for (const auto& probe : allowed) {
    EXPECT_EQ(p.Get(probe), "OK") << "probe " << probe << p.Describe();
  }
}

TEST(PolicyRunTest, DefaultAnswersEnosysForUnmentionedSyscallsAndClone3) {
  RAMPART_REQUIRE_ROOT();
  ProbeOutput p = ProbeUnder("default", {"cachestat", "clone3"});
  ASSERT_EQ(p.run.exit_code, 0) << p.Describe();
  EXPECT_EQ(p.Get("cachestat"), "ENOSYS") << p.Describe();
  EXPECT_EQ(p.Get("clone3"), "ENOSYS") << p.Describe();
}

TEST(PolicyRunTest, DefaultSetsSeccompNoNewPrivsAndCapabilities) {
  RAMPART_REQUIRE_ROOT();
  ProbeOutput p = ProbeUnder("default", {"status"});
  ASSERT_EQ(p.run.exit_code, 0) << p.Describe();
  EXPECT_EQ(p.Status("Seccomp"), "2") << p.Describe();
  EXPECT_EQ(p.Status("NoNewPrivs"), "1") << p.Describe();
  EXPECT_EQ(p.Status("CapInh"), "0000000000000000") << p.Describe();
  EXPECT_EQ(p.Status("CapBnd"), DefaultCapMaskHex()) << p.Describe();
  EXPECT_EQ(p.Status("CapAmb"), "0000000000000000") << p.Describe();
  // Whatever the payload holds must be within the profile's set.
  const uint64_t bnd = std::stoull(DefaultCapMaskHex(), nullptr, 16);
  for (const char* key : {"CapPrm", "CapEff"}) {
    const std::string v = p.Status(key);
    ASSERT_EQ(v.size(), 16u) << key << p.Describe();
    EXPECT_EQ(std::stoull(v, nullptr, 16) & ~bnd, 0u)
        << key << " has capabilities outside the default profile" << p.Describe();
  }
}

// ---- the denials come from seccomp, not from missing capabilities ----------

TEST(PolicyRunTest, DistinctErrnoProfileShowsSeccompDenies) {
  RAMPART_REQUIRE_ROOT();
  const std::string profile = DistinctErrnoProfile();
  struct stat st;
  ASSERT_EQ(stat(profile.c_str(), &st), 0) << "missing fixture " << profile;
  const std::vector<std::string> probes = {"unshare_user", "ptrace_traceme", "keyctl",
                                           "int80_unshare_user"};
  ProbeOutput p = ProbeUnder(profile, probes);
  ASSERT_EQ(p.run.exit_code, 0) << p.Describe();
  for (const auto& probe : probes) {
    EXPECT_EQ(p.Get(probe), "EXDEV") << "probe " << probe << p.Describe();
  }
}

// ---- control: without rampart the same probes are not denied --------------

TEST(PolicyRunTest, ControlWithoutRampartIsNotDenied) {
  RAMPART_REQUIRE_ROOT();
  ProbeOutput p = ProbeDirect({"unshare_user", "ptrace_traceme", "keyctl", "int80_unshare_user",
                               "int80_getpid", "cachestat", "status"});
  ASSERT_EQ(p.run.exit_code, 0) << p.Describe();
  for (const char* probe :
       {"unshare_user", "ptrace_traceme", "int80_unshare_user", "int80_getpid"}) {
    EXPECT_EQ(p.Get(probe), "OK") << "probe " << probe
                                  << " must work without rampart, else the policy tests prove "
                                     "nothing"
                                  << p.Describe();
  }
  for (const char* probe : {"keyctl", "cachestat"}) {
    const std::string v = p.Get(probe);
    EXPECT_TRUE(v != "EPERM" && v != "EACCES" && v != "ENOSYS" && v != "EXDEV" &&
                v.rfind("KILLED", 0) != 0 && v.rfind("<no line", 0) != 0)
        << "probe " << probe << " looks denied even without rampart: " << v << p.Describe();
  }
}

// ---- exit codes ------------------------------------------------------------

TEST(PolicyRunTest, ExitCodeOfPayloadPassesThrough) {
  RAMPART_REQUIRE_ROOT();
  RunResult r7 = RunCommand(PolicyRunArgv("default", {RAMPART_PROBE, "exit:7"}));
  EXPECT_EQ(r7.exit_code, 7) << r7.Describe();
  RunResult r0 = RunCommand(PolicyRunArgv("default", {RAMPART_PROBE, "exit:0"}));
  EXPECT_EQ(r0.exit_code, 0) << r0.Describe();
}

TEST(PolicyRunTest, PayloadKilledBySignalGives128PlusSignal) {
  RAMPART_REQUIRE_ROOT();
  RunResult r = RunCommand(PolicyRunArgv("default", {"/bin/sh", "-c", "kill -TERM $$"}));
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.Describe();
}

TEST(PolicyRunTest, MissingCommandGives127) {
  RAMPART_REQUIRE_ROOT();
  RunResult abs =
      RunCommand(PolicyRunArgv("default", {"/nonexistent-rampart-dir/no-such-command"}));
  EXPECT_EQ(abs.exit_code, 127) << abs.Describe();
  RunResult bare = RunCommand(PolicyRunArgv("default", {"rampart-no-such-command-xyz"}));
  EXPECT_EQ(bare.exit_code, 127) << bare.Describe();
}

TEST(PolicyRunTest, NonExecutableCommandGives126) {
  RAMPART_REQUIRE_ROOT();
  // Our own file: /etc/hostname is not reliably non-executable (0755 on some hosts).
  char path[] = "/tmp/rampart-not-executable-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0) << "mkstemp: " << std::strerror(errno);
  const char script[] = "#!/bin/sh\nexit 0\n";  // would run fine if it were executable
  ASSERT_EQ(write(fd, script, sizeof script - 1), static_cast<ssize_t>(sizeof script - 1));
  close(fd);
  ASSERT_EQ(chmod(path, 0644), 0);
  RunResult r = RunCommand(PolicyRunArgv("default", {path}));
  unlink(path);
  EXPECT_EQ(r.exit_code, 126) << r.Describe();
}

TEST(PolicyRunTest, BadProfilePathGives125AndNamesThePath) {
  RAMPART_REQUIRE_ROOT();
  const std::string bad = "/nonexistent-rampart-dir/no-such-profile.yaml";
  RunResult r = RunCommand(PolicyRunArgv(bad, {RAMPART_PROBE, "exit:7"}));
  EXPECT_EQ(r.exit_code, 125) << r.Describe();
  int lines_with_path = 0;
  std::istringstream in(r.err);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(bad) != std::string::npos) ++lines_with_path;
  }
  EXPECT_EQ(lines_with_path, 1) << "expected one stderr line naming " << bad << r.Describe();
}

}  // namespace
