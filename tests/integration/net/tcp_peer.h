// A TCP client living in a test network namespace (the OVS and checkpoint
// tests): it holds one connection to a container's echo server (busybox `nc -ll -p
// PORT -e /bin/cat`) across a checkpoint, a restore or a migration, and says
// whether the same connection still echoes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "base/unique_fd.h"

namespace rampart::testing_support {

class TcpPeer {
 public:
  // Connects from inside `netns_fd` (the socket stays in that namespace).
  // Retries for a few seconds while the server starts. "" on success, else
  // what went wrong.
  std::string Connect(int netns_fd, const std::string& ip, uint16_t port) {
    std::string error;
    std::thread t([&] {
      if (setns(netns_fd, CLONE_NEWNET) != 0) {
        error = std::string("setns: ") + std::strerror(errno);
        return;
      }
      for (int attempt = 0; attempt < 20; ++attempt) {
        UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        timeval tv{3, 0};  // a connect that gets no answer fails in 3 s, not 2 minutes
        setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
        if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          fd_ = std::move(s);
          return;
        }
        error = "connect " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    t.join();
    return fd_ ? "" : error;
  }

  // Sends `line` + "\n" and waits up to `timeout_ms` for the echo. "" when
  // the same line came back on the same connection, else what was seen.
  std::string Echo(const std::string& line, int timeout_ms = 20000) {
    if (!fd_) return "not connected";
    const std::string msg = line + "\n";
    if (send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size()))
      return std::string("send: ") + std::strerror(errno);
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (got.find('\n') == std::string::npos) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0) return "no echo within " + std::to_string(timeout_ms) + " ms (got '" + got + "')";
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, left) <= 0) continue;
      char buf[256];
      ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
      if (n == 0) return "connection closed by the peer (got '" + got + "')";
      if (n < 0) return std::string("recv: ") + std::strerror(errno) + " (the connection was reset?)";
      got.append(buf, n);
    }
    if (got != msg) return "echo was '" + got + "', expected '" + msg + "'";
    return "";
  }

  // The kernel's view: still ESTABLISHED, and how many retransmissions.
  bool Established() const {
    tcp_info info{};
    socklen_t len = sizeof info;
    return fd_ && getsockopt(fd_.get(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && info.tcpi_state == TCP_ESTABLISHED;
  }

 private:
  UniqueFd fd_;
};

}  // namespace rampart::testing_support
