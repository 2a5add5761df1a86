// A private "test host" network namespace for network integration tests
// (CONVENTIONS.md: tests never touch the machine's own network). The
// namespace is held by an fd only (no /run/netns bind mount, so nothing is
// left behind if the test dies); commands run inside it through
// `nsenter --net=/proc/PID/fd/N`, and code runs inside it on a thread that
// setns()es (network namespaces are per thread).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
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

// Live (not zombie) processes whose argv[0] has one of `names` as its base
// name and one of whose arguments contains `needle` (a test's run dir): the
// daemons a test started, found even when their pid files are gone. A
// zombie's cmdline reads empty, so zombies never match.
inline std::vector<pid_t> LiveProcesses(std::initializer_list<std::string_view> names, const std::string& needle) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    auto text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    if (!text || text->empty()) continue;
    std::vector<std::string> args;
    for (size_t pos = 0; pos < text->size();) {
      size_t end = text->find('\0', pos);
      if (end == std::string::npos) end = text->size();
      args.push_back(text->substr(pos, end - pos));
      pos = end + 1;
    }
    const std::string base = args[0].substr(args[0].rfind('/') + 1);
    if (std::find(names.begin(), names.end(), base) == names.end()) continue;
    if (std::any_of(args.begin() + 1, args.end(), [&](const std::string& a) { return a.find(needle) != std::string::npos; }))
      out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

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
