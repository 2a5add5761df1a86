// Terminals for containers with `tty: true`: a fresh pty pair per container
// (never the host's terminal, so TIOCSTI from inside cannot reach a host
// session), and the proxy behind `rampart console` and `run --tty`.
#pragma once

#include "base/result.h"
#include "base/unique_fd.h"

struct termios;
struct winsize;

namespace rampart::runtime {

struct PtyPair {
  UniqueFd master;
  UniqueFd slave;
};

// Puts a terminal in raw mode until destroyed (no-op for non-terminals).
class ScopedRawMode {
 public:
  explicit ScopedRawMode(int fd);
  ~ScopedRawMode();
  ScopedRawMode(const ScopedRawMode&) = delete;
  ScopedRawMode& operator=(const ScopedRawMode&) = delete;

 private:
  int fd_;
  struct termios* saved_ = nullptr;
};

// A new pseudo-terminal from /dev/ptmx as the caller sees it (a
// container's init calls it after pivot_root: its own devpts); the slave is
// opened through the master (TIOCGPTPEER), never by path. `size`, when
// given, becomes the window size.
Result<PtyPair> OpenPty(const winsize* size = nullptr);

// Copies in_fd → remote and remote → out_fd until either side ends, or
// (with detach_keys) the user types Ctrl-a q. A terminal on in_fd is put in
// raw mode for the duration. Returns true if the user detached.
Result<bool> ProxyTerminal(int in_fd, int out_fd, int remote_fd, bool detach_keys);

}  // namespace rampart::runtime
