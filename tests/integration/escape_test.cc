// Known escapes, tried from inside a container with the default profile.
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "tests/integration/cli_harness.h"

namespace rampart {
namespace {

class EscapeTest : public testing_support::CliTest {};

// CAP_MKNOD is one of the usual 14 capabilities: making a node must not
// give access to a host device (the rootfs and /dev are nodev; /dev's nodes
// are verified binds of the host's).
TEST_F(EscapeTest, DeviceNodesMadeInsideCannotBeOpened) {
  auto r = Rampart({"run", name_, "--rm", "--", "/bin/sh", "-c",
                    "mknod /tmp/mem c 1 1 && echo made-tmp; "
                    "(head -c1 /tmp/mem >/dev/null) 2>/dev/null && echo OPENED-tmp || echo denied-tmp; "
                    "mknod /dev/mem2 c 1 1 && echo made-dev; "
                    "(head -c1 /dev/mem2 >/dev/null) 2>/dev/null && echo OPENED-dev || echo denied-dev; "
                    "mknod /dev/shm/mem3 c 1 1 && echo made-shm; "
                    "(head -c1 /dev/shm/mem3 >/dev/null) 2>/dev/null && echo OPENED-shm || echo denied-shm; "
                    "head -c4 /dev/urandom | wc -c"});
  EXPECT_EQ(Code(r), 0) << Describe(r);
  // The nodes could be made (so the test is able to fail), but not opened.
  EXPECT_NE(r.out.find("made-tmp"), std::string::npos) << Describe(r);
  for (const char* where : {"tmp", "dev", "shm"}) {
    EXPECT_EQ(r.out.find(std::string("OPENED-") + where), std::string::npos) << Describe(r);
  }
  EXPECT_NE(r.out.find("denied-tmp"), std::string::npos) << Describe(r);
  EXPECT_NE(r.out.find("4\n"), std::string::npos) << "the container's own /dev/urandom must work" << Describe(r);
}

// CVE-2019-5736: a process in the container keeps /proc/PID/exe of a rampart
// process open and, once that process is gone (no ETXTBSY any more),
// reopens it for writing to replace the host's binary. rampart runs
// container-launching commands only from a read-only mount of itself, so the
// reopen fails. Checked from the host with the monitor's exe, which is what
// the container's init was cloned from. START starts the created container.
class ExeSealTest : public EscapeTest {
 protected:
  // A private copy of the binary in its own directory: other tests running
  // rampart at the same time would keep it busy (ETXTBSY) and hide what
  // this test looks for.
  void SetUp() override {
    EscapeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    bin_dir_ = dir_ + "/bin";
    ASSERT_EQ(mkdir(bin_dir_.c_str(), 0755), 0);
    // `rampart` is the small front; rampart-core, next to it, is what runs
    // as the monitor.
    const std::string src = RAMPART_BIN;
    const std::string core = src.substr(0, src.rfind('/') + 1) + "rampart-core";
    for (const auto& [from, to] : {std::pair{src, "/rampart"}, std::pair{core, "/rampart-core"}}) {
      auto cp = RunCommand({"cp", from, bin_dir_ + to});
      ASSERT_TRUE(cp.has_value() && cp->status == 0) << "cp " << from;
    }
    bin_ = bin_dir_ + "/rampart";
  }
  void ExpectMonitorExeNotWritable(const std::function<CommandOutput()>& start) {
    ASSERT_EQ(Code(Rampart({"create", name_, "--", "/bin/sleep", "30"})), 0);
    auto s = start();
    ASSERT_EQ(Code(s), 0) << Describe(s);
    started_ = s;
    auto info = Rampart({"--format", "json", "info", name_});
    auto pos = info.out.find("\"pid\":");
    ASSERT_NE(pos, std::string::npos) << Describe(info);
    int pid = std::atoi(info.out.c_str() + pos + 6);
    ASSERT_GT(pid, 1) << Describe(info);
    auto status = RunCommand({"grep", "PPid", "/proc/" + std::to_string(pid) + "/status"});
    ASSERT_TRUE(status.has_value());
    int monitor = std::atoi(status->out.c_str() + 5);
    ASSERT_GT(monitor, 1) << status->out;
    int held = open(("/proc/" + std::to_string(monitor) + "/exe").c_str(), O_PATH | O_CLOEXEC);
    ASSERT_GE(held, 0) << "open /proc/" << monitor << "/exe";
    // Stop the container: the monitor exits, nothing runs the binary any more.
    auto stop = Rampart({"stop", "-t", "0", name_});
    ASSERT_EQ(Code(stop), 0) << Describe(stop);
    for (int i = 0; i < 100 && kill(monitor, 0) == 0; ++i) usleep(20000);
    ASSERT_NE(kill(monitor, 0), 0) << "the monitor is still running";
    int fd = open(("/proc/self/fd/" + std::to_string(held)).c_str(), O_WRONLY | O_CLOEXEC);
    int err = errno;
    if (fd >= 0) close(fd);
    close(held);
    EXPECT_LT(fd, 0) << "the rampart binary could be reopened for writing after its process exited";
    EXPECT_EQ(err, EROFS) << "errno " << err;
  }
  std::string bin_dir_;
  CommandOutput started_;
};

// From a writable filesystem: the `rampart` front executes rampart-core
// from a detached read-only mount of it.
TEST_F(ExeSealTest, RampartBinaryCannotBeReopenedForWriting) {
  ExpectMonitorExeNotWritable([&] { return Rampart({"-vv", "start", name_}); });
  EXPECT_NE(started_.err.find("executed by the rampart front from a read-only mount"), std::string::npos)
      << Describe(started_);
  EXPECT_EQ(started_.err.find("re-executed"), std::string::npos) << "rampart-core ran twice" << Describe(started_);
}

// rampart-core started directly (without the front), from a writable
// filesystem: it re-executes itself from a read-only bind mount.
TEST_F(ExeSealTest, CoreStartedDirectlySealsItself) {
  bin_ = bin_dir_ + "/rampart-core";
  ExpectMonitorExeNotWritable([&] { return Rampart({"-vv", "start", name_}); });
  EXPECT_NE(started_.err.find("re-executed from a read-only bind mount"), std::string::npos) << Describe(started_);
}

// Started from a read-only mount (here a read-only bind mount of the
// binary's directory in a private mount namespace, as a read-only /usr
// would be): no re-exec, and the binary is still not writable.
TEST_F(ExeSealTest, BinaryOnReadOnlyMountIsUsedWithoutReexec) {
  ExpectMonitorExeNotWritable([&] {
    std::string saved = bin_;
    bin_ = "unshare";
    auto r = Rampart({"-m", "sh", "-c", "mount --bind -o ro \"$0\" \"$0\" && exec \"$0\"/rampart \"$@\"", bin_dir_,
                      "-v", "start", name_});
    bin_ = saved;
    return r;
  });
  EXPECT_NE(started_.err.find("read-only mount: no re-exec needed"), std::string::npos) << Describe(started_);
  EXPECT_EQ(started_.err.find("re-executed"), std::string::npos) << Describe(started_);
}

// The re-exec marker in the environment is a hint, not a proof: set by
// hand for rampart-core on a writable mount, it still re-executes itself.
TEST_F(ExeSealTest, ForgedReexecMarkerDoesNotSkipTheSeal) {
  bin_ = bin_dir_ + "/rampart-core";
  ExpectMonitorExeNotWritable([&] { return Rampart({"-vv", "start", name_}, {}, {"_RAMPART_RO_EXE=front"}); });
  EXPECT_NE(started_.err.find("re-executed from a read-only bind mount"), std::string::npos) << Describe(started_);
}

// The compiled policy frozen at create is checked against its recorded hash
// at start: an "allow everything" program swapped in is not loaded; the
// profile is compiled again (with a warning) and enforced.
TEST_F(EscapeTest, TamperedFrozenPolicyIsNotLoaded) {
  auto c = Rampart({"create", name_, "--", "/bin/sh", "-c",
                    "unshare -U true 2>/dev/null && echo UNSHARED || echo unshare-denied"});
  ASSERT_EQ(Code(c), 0) << Describe(c);
  const std::string bpf = dir_ + "/root/containers/" + name_ + "/policy.bpf";
  sock_filter allow_all = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  {
    std::ofstream out(bpf, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&allow_all), sizeof allow_all);
  }
  auto s = Rampart({"start", name_});
  ASSERT_EQ(Code(s), 0) << Describe(s);
  EXPECT_NE(s.err.find("recompiling"), std::string::npos) << Describe(s);
  std::string logs;
  for (int i = 0; i < 100; ++i) {
    logs = Rampart({"logs", name_}).out;
    if (logs.find("unshare") != std::string::npos || logs.find("UNSHARED") != std::string::npos) break;
    usleep(20000);
  }
  EXPECT_NE(logs.find("unshare-denied"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("UNSHARED"), std::string::npos) << logs;
}

}  // namespace
}  // namespace rampart
