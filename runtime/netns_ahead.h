// A container's network namespace made ahead of its init, on a thread,
// while the caller does the rest of the start (config, policy, state,
// cgroup). Made in clone3 instead, it is most of that call (about 0.4 ms
// of kernel work here) and nothing else runs meanwhile. The init joins it
// (setns) before its rootfs, so its /sys shows this namespace.
//
// Only for an init without a user namespace: a network namespace belongs to
// the user namespace of the task that made it, and one made here would not
// be the container's (it could not mount its own sysfs). The namespace is
// the same as one made by clone3: loopback up, nothing else in it.
#pragma once

#include <thread>

#include "base/result.h"
#include "base/unique_fd.h"

namespace rampart::runtime {

// Brings up `lo` in the calling thread's network namespace.
Status LoopbackUp();

class NetnsAhead {
 public:
  // Starts the thread.
  NetnsAhead();
  // Joins it; a namespace nobody took is dropped with its descriptor.
  ~NetnsAhead();
  NetnsAhead(const NetnsAhead&) = delete;
  NetnsAhead& operator=(const NetnsAhead&) = delete;

  // Waits for the thread (no other thread of ours may run when the caller
  // forks or clones): the namespace, or why it could not be made. Once.
  Result<UniqueFd> Take();

 private:
  std::thread thread_;
  Result<UniqueFd> made_;
};

}  // namespace rampart::runtime
