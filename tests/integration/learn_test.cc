// Integration tests for `rampart policy learn [--from P] -o NEW.yaml -- CMD`.
//
// The workload is tests/helpers/learn_workload (RAMPART_LEARN_WORKLOAD): it
// writes and reads a file, lists a directory, starts a thread, forks, and
// runs a TCP ping/pong over 127.0.0.1. Every run that uses the network is
// inside a private network namespace (`unshare -n`, loopback brought up
// there): the host's network is never touched.
//
// Checked: learn writes a profile that extends `default`; the workload runs
// under it with the same output; syscalls (and a socket family) the workload
// never used are denied under it but allowed under `default` (so the test
// fails if learning did not narrow anything); bad input is refused with one
// line before anything runs; a command that cannot start writes nothing; a
// failing command still gets its profile and its exit code; nothing is left
// behind (files, processes).
//
// Needs root; skipped otherwise unless RAMPART_TESTS_MUST_RUN=1.

#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"
#include "tests/integration/cli_harness.h"
#include "tests/integration/list_dir.h"

#ifndef RAMPART_PROBE
#error "RAMPART_PROBE must be defined (path of tests/helpers/syscall_probe)"
#endif

namespace {

using rampart::CommandOutput;
using rampart::testing_support::ListDir;

bool MustRun() {
  const char* must = getenv("RAMPART_TESTS_MUST_RUN");
  return must && std::string(must) == "1";
}

// tests/CMakeLists.txt defines RAMPART_LEARN_WORKLOAD once the helper is a
// target; until then the path may come from the environment.
std::string WorkloadPath() {
#ifdef RAMPART_LEARN_WORKLOAD
  return RAMPART_LEARN_WORKLOAD;
#else
  const char* env = getenv("RAMPART_LEARN_WORKLOAD");
  return env ? env : "";
#endif
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// Processes whose command line mentions `needle` (other than us).
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& pid : ListDir("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(getpid()))
      continue;
    auto cmd = rampart::ReadFile("/proc/" + pid + "/cmdline");
    if (!cmd) continue;
    std::string text = *cmd;
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find(needle) != std::string::npos) found.push_back(pid + ": " + text);
  }
  return found;
}

class LearnTest : public rampart::testing_support::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    workload_ = WorkloadPath();
    if (workload_.empty() || !Exists(workload_)) {
      if (MustRun())
        FAIL() << "no learn_workload (RAMPART_LEARN_WORKLOAD) and RAMPART_TESTS_MUST_RUN=1";
      GTEST_SKIP()
          << "tests/helpers/learn_workload is not built (RAMPART_LEARN_WORKLOAD undefined)";
    }
    if (!Exists("/usr/bin/unshare") || (!Exists("/usr/sbin/ip") && !Exists("/sbin/ip"))) {
      if (MustRun()) FAIL() << "unshare and ip are needed (RAMPART_TESTS_MUST_RUN=1)";
      GTEST_SKIP() << "unshare or ip is missing";
    }
  }

  // rampart ARGS in a fresh network namespace whose loopback is up.
  CommandOutput RampartInNetns(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        "unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh", "env"};
    for (const auto& e : env_) argv.push_back(e);
    argv.push_back(bin_);
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = rampart::RunCommand(argv, {}, std::chrono::seconds(120));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? *r : CommandOutput{};
  }

  // rampart ARGS must fail with 125 and one error line that contains
  // `says`; returns the command line, for the caller's own messages.
  std::string ExpectRefused(const std::vector<std::string>& args, const std::string& says) {
    auto r = Rampart(args);
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    EXPECT_EQ(Code(r), 125) << cmd << Describe(r);
    EXPECT_EQ(Lines(r.err), 1) << cmd << ": expected one line" << Describe(r);
    EXPECT_NE(r.err.find(says), std::string::npos) << cmd << ": expected '" << says << "'" << Describe(r);
    return cmd;
  }

  std::string Mkdir(const std::string& name) {
    std::string d = dir_ + "/" + name;
    EXPECT_EQ(mkdir(d.c_str(), 0755), 0) << d;
    return d;
  }

  std::string workload_;
};

TEST_F(LearnTest, LearnedProfileRunsTheWorkloadAndDeniesWhatItNeverDid) {
  const std::string work1 = Mkdir("work1"), work2 = Mkdir("work2"), out = dir_ + "/learned.yaml";

  auto learn = RampartInNetns({"policy", "learn", "-o", out, "--", workload_, "work", work1});
  ASSERT_EQ(Code(learn), 0) << "policy learn" << Describe(learn);
  EXPECT_NE(learn.out.find("tcp: client got pong, server got ping"), std::string::npos)
      << Describe(learn);
  EXPECT_NE(learn.err.find("wrote " + out), std::string::npos) << Describe(learn);
  EXPECT_NE(learn.err.find("audit: "), std::string::npos) << Describe(learn);
  ASSERT_TRUE(Exists(out)) << Describe(learn);
  auto text = rampart::ReadFile(out);
  ASSERT_TRUE(text.has_value());
  for (const char* want : {"extends: default", "arg0 == AF_INET", "SOCK_STREAM",
                           "arg0 & CLONE_NEW_ANY == 0", "deny:", "observed"})
    EXPECT_NE(text->find(want), std::string::npos)
        << "no '" << want << "' in the learned profile:\n"
        << *text;

  // It loads (resolves, compiles) like any profile.
  auto show = Rampart({"policy", "compile", out});
  EXPECT_EQ(Code(show), 0) << Describe(show) << "\n--- learned profile ---\n" << *text;

  // The workload runs under it, with the same output.
  auto run = RampartInNetns({"policy", "run", out, "--", workload_, "work", work2});
  EXPECT_EQ(Code(run), 0) << "policy run LEARNED -- workload" << Describe(run)
                          << "\n--- learned profile ---\n"
                          << *text;
  EXPECT_EQ(run.out, learn.out) << Describe(run);

  // What it never did is denied under the learned profile and allowed under
  // the baseline (the control: otherwise the test proves nothing).
  for (const std::string call : {"getcpu", "sched_getaffinity", "socket_unix"}) {
    auto learned = Rampart({"policy", "run", out, "--", workload_, "try", call});
    auto base = Rampart({"policy", "run", "default", "--", workload_, "try", call});
    EXPECT_EQ(Code(base), 0) << Describe(base);
    EXPECT_EQ(base.out, call + " OK\n") << "under default" << Describe(base);
    EXPECT_EQ(Code(learned), 0) << Describe(learned);
    EXPECT_EQ(learned.out, call + " EPERM\n") << "under the learned profile" << Describe(learned);
  }
  // The shared probe too: a different binary, same libc start-up.
  auto probe = Rampart({"policy", "run", out, "--", RAMPART_PROBE, "getpid"});
  auto probe_base = Rampart({"policy", "run", "default", "--", RAMPART_PROBE, "getpid"});
  EXPECT_NE(probe_base.out.find("getpid OK"), std::string::npos) << Describe(probe_base);
  EXPECT_NE(probe.out.find("getpid EPERM"), std::string::npos) << Describe(probe);

  // Nothing left behind: only what the workload and we wrote, no processes.
  EXPECT_EQ(ListDir(dir_),
            (std::vector<std::string>{"conf", "learned.yaml", "root", "work1", "work2"}));
  EXPECT_EQ(ListDir(work1), std::vector<std::string>{"data.txt"});
  EXPECT_TRUE(ProcessesMentioning(dir_).empty()) << ProcessesMentioning(dir_)[0];
}

TEST_F(LearnTest, RefusesBadInputWithOneLineBeforeRunningAnything) {
  const std::string marker = dir_ + "/marker", out = dir_ + "/x.yaml";
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"policy", "learn", "-o", out}, "no command"},
      {{"policy", "learn", "-o", out, "--"}, "no command"},
      {{"policy", "learn", "--", "touch", marker}, "-o NEW.yaml is required"},
      {{"policy", "learn", "-o", dir_ + "/missing/x.yaml", "--", "touch", marker}, "missing"},
      {{"policy", "learn", "-o", dir_, "--", "touch", marker}, "is a directory"},
      {{"policy", "learn", "--from", "no-such-profile", "-o", out, "--", "touch", marker},
       "no-such-profile"},
      {{"policy", "learn", "--name", "bad name", "-o", out, "--", "touch", marker}, "bad name"},
  };
  for (const auto& c : cases) {
    const std::string cmd = ExpectRefused(c.args, c.says);
    EXPECT_FALSE(Exists(marker)) << cmd << ": the command ran";
    EXPECT_FALSE(Exists(out)) << cmd << ": a profile was written";
  }
  EXPECT_EQ(ListDir(dir_), (std::vector<std::string>{"conf"}));
}

TEST_F(LearnTest, CommandThatCannotStartWritesNothing) {
  const std::string out = dir_ + "/x.yaml";
  auto r = Rampart({"policy", "learn", "-o", out, "--", dir_ + "/no-such-program"});
  EXPECT_EQ(Code(r), 127) << Describe(r);
  EXPECT_NE(r.err.find("no profile written"), std::string::npos) << Describe(r);
  EXPECT_FALSE(Exists(out));
  EXPECT_EQ(ListDir(dir_), (std::vector<std::string>{"conf"}));
}

TEST_F(LearnTest, FailingCommandKeepsItsExitCodeAndGetsAProfile) {
  const std::string out = dir_ + "/fail.yaml";
  auto r = Rampart({"policy", "learn", "-o", out, "--", workload_, "bogus-mode"});
  EXPECT_EQ(Code(r), 2) << Describe(r);
  EXPECT_NE(r.err.find("did not succeed"), std::string::npos) << Describe(r);
  ASSERT_TRUE(Exists(out)) << Describe(r);
  auto text = rampart::ReadFile(out);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("The command ended with exit code 2."), std::string::npos) << *text;
  // The same failure, reproduced under it: the usage message still gets out.
  auto again = Rampart({"policy", "run", out, "--", workload_, "bogus-mode"});
  EXPECT_EQ(Code(again), 2) << Describe(again);
  EXPECT_NE(again.err.find("usage: learn_workload"), std::string::npos) << Describe(again);
}

TEST_F(LearnTest, PathBaselineIsExtendedByAbsolutePath) {
  // A baseline given as a path: the learned file names it absolutely, so it
  // loads from anywhere; and it still denies what the baseline allows.
  const std::string base = dir_ + "/base.yaml", out = dir_ + "/sub/learned.yaml";
  ASSERT_TRUE(rampart::WriteFileAtomic(base, "name: base\nextends: default\n").has_value());
  ASSERT_EQ(mkdir((dir_ + "/sub").c_str(), 0755), 0);
  auto r =
      Rampart({"policy", "learn", "--from", base, "-o", out, "--", workload_, "try", "getpid"});
  ASSERT_EQ(Code(r), 0) << Describe(r);
  EXPECT_EQ(r.out, "getpid OK\n");
  auto text = rampart::ReadFile(out);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("extends: " + base), std::string::npos) << *text;
  auto getpid = Rampart({"policy", "run", out, "--", workload_, "try", "getpid"});
  EXPECT_EQ(getpid.out, "getpid OK\n") << Describe(getpid);
  auto getcpu = Rampart({"policy", "run", out, "--", workload_, "try", "getcpu"});
  EXPECT_EQ(getcpu.out, "getcpu EPERM\n") << Describe(getcpu);
}

TEST_F(LearnTest, I386CallsAreRecordedAndAllowTheirArchitecture) {
  // syscall_probe's int80_getpid makes getpid through int $0x80 (i386) in a
  // forked child: learned, the profile lists x86 and the call still works.
  const std::string out = dir_ + "/i386.yaml";
  auto learn = Rampart({"policy", "learn", "-o", out, "--", RAMPART_PROBE, "int80_getpid"});
  ASSERT_EQ(Code(learn), 0) << Describe(learn);
  EXPECT_NE(learn.out.find("int80_getpid OK"), std::string::npos) << Describe(learn);
  auto text = rampart::ReadFile(out);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("architectures: [native, x86]"), std::string::npos) << *text;
  EXPECT_NE(text->find(", x86 "), std::string::npos) << "no x86 count in the header:\n" << *text;
  auto run = Rampart({"policy", "run", out, "--", RAMPART_PROBE, "int80_getpid"});
  EXPECT_EQ(Code(run), 0) << Describe(run);
  EXPECT_NE(run.out.find("int80_getpid OK"), std::string::npos) << Describe(run);
}

// --- policy learn --container NAME ---------------------------------------

#ifdef RAMPART_LEARN_WORKLOAD_STATIC
// A rootfs with the static workload and a static busybox as /bin/sh (what
// the dir: template checks for) and /sleep.
void BuildWorkloadRootfs(const std::string& root) {
  for (const char* d : {"", "/bin", "/proc", "/sys", "/dev", "/tmp", "/etc", "/w1", "/w2"})
    ASSERT_EQ(mkdir((root + d).c_str(), 0755), 0) << root << d << ": " << std::strerror(errno);
  for (auto [from, to] : {std::pair{std::string(RAMPART_LEARN_WORKLOAD_STATIC), "/workload"},
                          std::pair{std::string("/bin/busybox"), "/bin/busybox"}}) {
    auto bin = rampart::ReadFile(from);
    ASSERT_TRUE(bin.has_value()) << from;
    ASSERT_TRUE(rampart::WriteFileAtomic(root + to, *bin, 0755).has_value()) << root << to;
  }
  ASSERT_EQ(symlink("busybox", (root + "/bin/sh").c_str()), 0);
  ASSERT_EQ(symlink("bin/busybox", (root + "/sleep").c_str()), 0);
}

// The container the --container tests learn from: the workload's "work"
// mode on /w1, in a rootfs of its own at `root`.
class LearnContainerTest : public LearnTest {
 protected:
  void CreateWorkloadContainer(const std::string& root) {
    BuildWorkloadRootfs(root);
    if (HasFatalFailure()) return;
    auto create = Rampart({"create", name_, "-t", "dir:" + root, "--", "/workload", "work", "/w1"});
    ASSERT_EQ(Code(create), 0) << Describe(create);
  }
};

TEST_F(LearnContainerTest, ContainerIsLearnedAndItsProfileRunsItAndDeniesTheRest) {
  const std::string root = dir_ + "/rootfs", out = dir_ + "/learned.yaml";
  CreateWorkloadContainer(root);
  if (HasFatalFailure()) return;

  // The container runs in the foreground (its own netns, loopback up), its
  // init under `default` plus the learning filter.
  auto learn = Rampart({"policy", "learn", "--container", name_, "-o", out});
  ASSERT_EQ(Code(learn), 0) << "policy learn --container" << Describe(learn);
  EXPECT_NE(learn.out.find("tcp: client got pong, server got ping"), std::string::npos)
      << Describe(learn);
  EXPECT_NE(learn.err.find("wrote " + out), std::string::npos) << Describe(learn);
  EXPECT_NE(learn.err.find("audit: "), std::string::npos) << Describe(learn);
  EXPECT_NE(learn.err.find("(container " + name_ + ")"), std::string::npos) << Describe(learn);
  auto text = rampart::ReadFile(out);
  ASSERT_TRUE(text.has_value()) << Describe(learn);
  // It never changed an owner or made a device node: those capabilities go.
  EXPECT_NE(learn.err.find("capabilities: "), std::string::npos) << Describe(learn);
  for (const char* want : {"extends: default", "arg0 == AF_INET", "deny:", "/workload work /w1",
                           "dropped CHOWN", "dropped MKNOD", "kept DAC_OVERRIDE"})
    EXPECT_NE(text->find(want), std::string::npos)
        << "no '" << want << "' in the learned profile:\n" << *text;
  EXPECT_EQ(ListDir(root + "/w1"), std::vector<std::string>{"data.txt"});
  // It ran as a container: stopped now, with its exit code, nothing running.
  auto info = Rampart({"--format", "json", "info", name_});
  EXPECT_NE(info.out.find("\"state\": \"stopped\""), std::string::npos) << Describe(info);
  EXPECT_TRUE(ProcessesMentioning(out).empty()) << ProcessesMentioning(out)[0];

  // The same workload in a new container under the learned profile: same output.
  auto run = Rampart({"run", name_ + "-2", "--rm", "-t", "dir:" + root, "--profile", out, "--",
                      "/workload", "work", "/w2"});
  EXPECT_EQ(Code(run), 0) << "run --profile LEARNED" << Describe(run) << "\n--- learned ---\n" << *text;
  EXPECT_EQ(run.out, learn.out) << Describe(run);
  EXPECT_EQ(ListDir(root + "/w2"), std::vector<std::string>{"data.txt"});
  // What it never did is denied under the learned profile, allowed under default.
  for (const std::string call : {"getcpu", "sched_getaffinity", "socket_unix"}) {
    auto learned = Rampart({"run", name_ + "-3", "--rm", "-t", "dir:" + root, "--profile", out,
                            "--", "/workload", "try", call});
    auto base = Rampart({"run", name_ + "-4", "--rm", "-t", "dir:" + root, "--", "/workload",
                         "try", call});
    EXPECT_EQ(base.out, call + " OK\n") << "under default" << Describe(base);
    EXPECT_EQ(learned.out, call + " EPERM\n") << "under the learned profile" << Describe(learned);
  }
  // Learned again from the same container: it is reusable, the result the same.
  auto again = Rampart({"policy", "learn", "--container", name_, "-o", dir_ + "/again.yaml"});
  EXPECT_EQ(Code(again), 0) << Describe(again);
  auto ls = Rampart({"ls"});
  EXPECT_EQ(ls.out.find(name_ + "-"), std::string::npos) << "a --rm container was left:" << Describe(ls);
}

TEST_F(LearnContainerTest, ContainerLearnRefusesBadInputWithOneLine) {
  const std::string root = dir_ + "/rootfs", out = dir_ + "/x.yaml";
  CreateWorkloadContainer(root);
  if (HasFatalFailure()) return;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"policy", "learn", "--container", "no-such-container", "-o", out}, "no-such-container"},
      {{"policy", "learn", "--container", name_, "--from", "default", "-o", out}, "--from does not go"},
      {{"policy", "learn", "--container", name_, "-o", out, "--", "/workload"}, "does not go with --container"},
      {{"policy", "learn", "--container", name_}, "-o NEW.yaml is required"},
  };
  for (const auto& c : cases) {
    const std::string cmd = ExpectRefused(c.args, c.says);
    EXPECT_FALSE(Exists(out)) << cmd << ": a profile was written";
  }
  EXPECT_TRUE(ListDir(root + "/w1").empty()) << "the container ran";
  // A running container cannot be given a new filter: refused, left running.
  const std::string sleeper = name_ + "-run";
  auto started = Rampart({"run", "-d", sleeper, "-t", "dir:" + root, "--", "/sleep", "60"});
  ASSERT_EQ(Code(started), 0) << Describe(started);
  auto running = Rampart({"policy", "learn", "--container", sleeper, "-o", out});
  EXPECT_EQ(Code(running), 125) << Describe(running);
  EXPECT_EQ(Lines(running.err), 1) << Describe(running);
  EXPECT_NE(running.err.find("is running"), std::string::npos) << Describe(running);
  auto still = Rampart({"--format", "json", "info", sleeper});
  EXPECT_NE(still.out.find("\"state\": \"running\""), std::string::npos) << Describe(still);
  EXPECT_FALSE(Exists(out));
  // The profile file changed since create: learning would build on the wrong baseline.
  const std::string prof = dir_ + "/p.yaml";
  ASSERT_TRUE(rampart::WriteFileAtomic(prof, "name: p\nextends: default\n", 0644).has_value());
  auto mk = Rampart({"create", sleeper + "p", "-t", "dir:" + root, "--profile", prof, "--", "/workload", "try", "getpid"});
  ASSERT_EQ(Code(mk), 0) << Describe(mk);
  ASSERT_TRUE(rampart::WriteFileAtomic(prof, "name: p\nextends: default\nseccomp:\n  deny: [getcpu]\n", 0644).has_value());
  auto changed = Rampart({"policy", "learn", "--container", sleeper + "p", "-o", out});
  EXPECT_EQ(Code(changed), 125) << Describe(changed);
  EXPECT_NE(changed.err.find("changed since the container was created"), std::string::npos) << Describe(changed);
  EXPECT_FALSE(Exists(out));
  auto info = Rampart({"--format", "json", "info", sleeper + "p"});
  EXPECT_NE(info.out.find("\"state\": \"created\""), std::string::npos) << "refused, yet it ran" << Describe(info);
  for (const auto& n : {sleeper, sleeper + "p"}) (void)Rampart({"destroy", "-f", n});
}

// The exit code passes through, and the profile's header tells an exit
// code of 130 from a death by SIGINT (the monitor hands over the init's
// wait status, not only 128+N).
TEST_F(LearnContainerTest, ContainerExitCodeIsNotTakenForASignal) {
  const std::string root = dir_ + "/rootfs", out = dir_ + "/exit130.yaml";
  BuildWorkloadRootfs(root);
  if (HasFatalFailure()) return;
  auto create = Rampart({"create", name_, "-t", "dir:" + root, "--", "/bin/sh", "-c", "exit 130"});
  ASSERT_EQ(Code(create), 0) << Describe(create);
  auto learn = Rampart({"policy", "learn", "--container", name_, "-o", out});
  EXPECT_EQ(Code(learn), 130) << Describe(learn);
  EXPECT_NE(learn.err.find("did not succeed (exit code 130)"), std::string::npos) << Describe(learn);
  auto text = rampart::ReadFile(out);
  ASSERT_TRUE(text.has_value()) << Describe(learn);
  EXPECT_NE(text->find("ended with exit code 130"), std::string::npos) << *text;
  EXPECT_EQ(text->find("ended with signal"), std::string::npos) << *text;
}
#endif

}  // namespace
