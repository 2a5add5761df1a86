// Known escapes, tried from inside a container with the default profile.
#include <fcntl.h>
#include <unistd.h>

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

// CVE-2019-5736: the process that becomes the container's init runs rampart
// from a sealed memfd, never from the host file, so /proc/PID/exe of it
// cannot be written.
TEST_F(EscapeTest, MonitorAndInitRunFromASealedCopy) {
  ASSERT_EQ(Code(Rampart({"create", name_, "--", "/bin/sleep", "30"})), 0);
  auto s = Rampart({"start", name_});
  ASSERT_EQ(Code(s), 0) << Describe(s);
  auto ls = Rampart({"--format", "json", "info", name_});
  auto pos = ls.out.find("\"pid\":");
  ASSERT_NE(pos, std::string::npos) << Describe(ls);
  int pid = std::atoi(ls.out.c_str() + pos + 6);
  ASSERT_GT(pid, 1) << Describe(ls);
  // The monitor is the parent of the init.
  auto status = RunCommand({"grep", "PPid", "/proc/" + std::to_string(pid) + "/status"});
  ASSERT_TRUE(status.has_value());
  int monitor = std::atoi(status->out.c_str() + 5);
  ASSERT_GT(monitor, 1) << status->out;
  char target[256] = {};
  ssize_t n = readlink(("/proc/" + std::to_string(monitor) + "/exe").c_str(), target, sizeof target - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(target).rfind("/memfd:rampart", 0), 0u) << "monitor runs from " << target;
  int fd = open(("/proc/" + std::to_string(monitor) + "/exe").c_str(), O_WRONLY | O_CLOEXEC);
  int err = errno;
  if (fd >= 0) close(fd);
  EXPECT_LT(fd, 0) << "the monitor's executable could be opened for writing";
  EXPECT_TRUE(err == ETXTBSY || err == EPERM || err == EACCES) << "errno " << err;
}

}  // namespace
}  // namespace rampart
