// A private "test host" network namespace for network integration tests
// (CONVENTIONS.md: tests never touch the machine's own network). The
// namespace is held by an fd only (no /run/netns bind mount, so nothing is
// left behind if the test dies); commands run inside it through
// `nsenter --net=/proc/PID/fd/N`, and code runs inside it on a thread that
// setns()es (network namespaces are per thread).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/spawn.h"
#include "base/unique_fd.h"

namespace rampart::testing_support {

// Skips (or fails under RAMPART_TESTS_MUST_RUN=1) unless we are root.
#define RAMPART_REQUIRE_ROOT()                                                      \
  do {                                                                              \
    if (geteuid() != 0) {                                                           \
      const char* must = getenv("RAMPART_TESTS_MUST_RUN");                          \
      if (must && std::string(must) == "1") FAIL() << "needs root (MUST_RUN=1)";   \
      GTEST_SKIP() << "needs root: network namespaces";                             \
    }                                                                               \
  } while (0)

// Polls `cond` every 20 ms until it holds or `timeout` runs out.
inline bool WaitFor(const std::function<bool()>& cond,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// What a command did, for failure messages.
inline std::string Out(const Result<CommandOutput>& r) {
  if (!r) return "(did not run: " + r.error().message() + ")";
  return "exit " + std::to_string(ExitCodeFromWaitStatus(r->status)) + ", stdout: " + r->out +
         ", stderr: " + r->err;
}

inline bool Succeeded(const Result<CommandOutput>& r) { return r && ExitCodeFromWaitStatus(r->status) == 0; }

class TestNetns {
 public:
  // A fresh network namespace with lo up. Errors name the failing step.
  static Result<TestNetns> Create() {
    TestNetns ns;
    int err = 0;
    std::thread t([&] {
      if (::unshare(CLONE_NEWNET) != 0) {
        err = errno;
        return;
      }
      ns.fd_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!ns.fd_) err = errno;
    });
    t.join();
    if (err != 0) return Error::FromErrno(err, "create test network namespace");
    auto up = ns.Run({"ip", "link", "set", "lo", "up"});
    if (!up) return up.error();
    if (ExitCodeFromWaitStatus(up->status) != 0) return Error::Invalid("lo up in test netns: " + up->err);
    return ns;
  }

  int fd() const { return fd_.get(); }
  // A path any child process can open to reach this namespace.
  std::string Path() const { return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_.get()); }

  // `argv` prefixed so that it runs inside this namespace.
  std::vector<std::string> Wrap(const std::vector<std::string>& argv) const {
    std::vector<std::string> out = {"nsenter", "--net=" + Path(), "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }
  Result<CommandOutput> Run(const std::vector<std::string>& argv, std::string_view input = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    return RunCommand(Wrap(argv), input, timeout);
  }

  // Runs `fn` on a thread that has joined this namespace; returns its errno
  // from setns, or 0.
  int InNs(const std::function<void()>& fn) const {
    int err = 0;
    std::thread t([&] {
      if (::setns(fd_.get(), CLONE_NEWNET) != 0) {
        err = errno;
        return;
      }
      fn();
    });
    t.join();
    return err;
  }

 private:
  UniqueFd fd_;
};

}  // namespace rampart::testing_support
