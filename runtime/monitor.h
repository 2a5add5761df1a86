// The per-container monitor (like LXC's monitor or conmon): launches the
// init, records its exit, serves a control socket, tears the container
// down when it ends. Detached containers get a daemonized monitor; `run`
// in the foreground makes the calling process the monitor.
//
// If the monitor is killed, the init follows (PR_SET_PDEATHSIG SIGKILL, the
// LXC default) and the next `ls`, `stop`, `destroy` or `gc` finishes the
// teardown: status is always recomputed from the live process.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/log.h"
#include "base/result.h"
#include "runtime/cgroups.h"
#include "runtime/checkpoint.h"
#include "runtime/container_spec.h"
#include "runtime/paths.h"
#include "runtime/state_store.h"
#include "security/compiled_policy.h"
#include "security/learn.h"

namespace rampart::runtime {

class NetnsAhead;  // runtime/netns_ahead.h

struct MonitorSetup {
  Paths paths;
  ContainerSpec spec;
  security::CompiledPolicy policy;
  Cgroup cgroup;
  bool foreground = false;
  int ready_fd = -1;  // detached: "OK\n" or "ERR message" is written here once
  // Set: the init is restored from this checkpoint instead of launched.
  struct Restore {
    CriuInfo criu;
    std::string images_dir;
    CheckpointMeta meta;
  };
  std::optional<Restore> restore;
  // `policy learn --container` (foreground): the init also runs under the
  // learning filter (LaunchRequest::learn); what it recorded is stored here
  // once the container has ended.
  security::LearnObservations* learn = nullptr;
  // Run while the init sets itself up (LaunchRequest::meanwhile), or before
  // a restore: what create left to do (`run --rm`).
  std::function<Status()> meanwhile;
  // Set: the init's raw wait status is stored here when it has ended (the
  // return value folds a signal into 128+N, which a plain exit can be too).
  int* wait_status = nullptr;
  // Set: where the container's network namespace is being made ahead
  // (runtime/netns_ahead.h). Taken right before the launch when the
  // container can use it (a network namespace, no user namespace).
  NetnsAhead* netns_ahead = nullptr;
};

// Runs until the container exits; returns the payload's exit code (128+N
// for signal N). Launch failures are returned as errors (after teardown).
Result<int> RunMonitor(MonitorSetup setup, Logger& log);

// Teardown shared by the monitor and by stop/destroy/gc when the monitor is
// gone: kill what is left in the cgroup, remove it, record the exit.
// With `spec`, the container also leaves its networks (veths, forwards).
Status TeardownContainer(const StateStore& store, ContainerState state, const Cgroup* cgroup,
                         const ContainerSpec* spec = nullptr);

}  // namespace rampart::runtime
