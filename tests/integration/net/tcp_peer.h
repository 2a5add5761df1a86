// A TCP client living in a test network namespace (the OVS and checkpoint
// tests): one connection to a container's echo server, held across a
// checkpoint, a restore or a migration, saying whether the same connection
// still echoes.
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

// One TCP connection from the test host to a container's echo server
// (busybox `nc -ll -p PORT -e /bin/cat`). The socket is made inside the
// test-host namespace and used from the test's thread; it is never
// reopened, so an echo after a restore is the same connection's.
class TcpPeer {
 public:
  // "" once connected (retries while the server starts, for up to
  // `timeout`; an unanswered SYN counts as a failed attempt after a second),
  // else why not.
  std::string Connect(int netns_fd, const std::string& ip, uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::string error = "not tried";
    std::thread t([&] {
      if (setns(netns_fd, CLONE_NEWNET) != 0) {
        error = std::string("setns: ") + std::strerror(errno);
        return;
      }
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      while (std::chrono::steady_clock::now() < deadline) {
        UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        timeval tv{1, 0};  // connect(2) gives up after SO_SNDTIMEO
        setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
          error = "bad address '" + ip + "'";
          return;
        }
        if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          timeval none{0, 0};
          setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
          fd_ = std::move(s);
          return;
        }
        error = "connect " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    t.join();
    if (fd_) {
      connected_fd_ = fd_.get();
      return "";
    }
    return error;
  }

  // Sends `line` + "\n"; "" when exactly that line came back within
  // `timeout`, else what happened (EOF, reset, timeout, other data).
  std::string Echo(const std::string& line, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::string sent = Send(line);
    return sent.empty() ? Receive(line, timeout) : sent;
  }
  // Sends `line` + "\n" only; "" or why not.
  std::string Send(const std::string& line) {
    if (!fd_) return "not connected";
    if (fd_.get() != connected_fd_) return "the socket changed";
    const std::string msg = line + "\n";
    ssize_t n = send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != static_cast<ssize_t>(msg.size()))
      return "send: " + (n < 0 ? std::string(std::strerror(errno)) : "short write " + std::to_string(n));
    return "";
  }
  // Waits for `line` + "\n" to come back; "" or what came instead.
  std::string Receive(const std::string& line, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (!fd_) return "not connected";
    const std::string msg = line + "\n";
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return "no echo of '" + line + "' within " + std::to_string(timeout.count()) + " ms (got '" + got + "')";
      pollfd p{fd_.get(), POLLIN, 0};
      int rc = poll(&p, 1, static_cast<int>(left));
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) return std::string("poll: ") + std::strerror(errno);
      if (rc == 0) continue;
      char buf[256];
      ssize_t r = recv(fd_.get(), buf, sizeof buf, 0);
      if (r == 0) return "EOF: the server closed the connection (got '" + got + "')";
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return std::string("recv: ") + std::strerror(errno) + " (got '" + got + "')";
      }
      got.append(buf, r);
    }
    if (got != msg) return "expected '" + line + "\\n', got '" + got + "'";
    return "";
  }

  // The kernel's view: the connection is still ESTABLISHED.
  bool Established() const {
    tcp_info info{};
    socklen_t len = sizeof info;
    return fd_ && getsockopt(fd_.get(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && info.tcpi_state == TCP_ESTABLISHED;
  }

 private:
  UniqueFd fd_;
  int connected_fd_ = -1;
};

}  // namespace rampart::testing_support
