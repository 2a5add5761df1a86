// StateStore in a temporary root: claiming names (also 16 racing
// processes), state round trips, corrupt state files, listing, removal, and
// live status from pid + start time.
#include "runtime/state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <climits>
#include <string>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/spawn.h"

namespace rampart::runtime {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    paths_.root = dir_ + "/root";
    paths_.run = dir_ + "/run";
    paths_.conf_dir = dir_ + "/conf";
  }
  void TearDown() override {
    auto rm = RunCommand({"rm", "-rf", "--one-file-system", dir_});
    EXPECT_TRUE(rm.has_value() && rm->status == 0) << "could not remove " << dir_;
  }
  StateStore Store() const { return StateStore(paths_); }

  // 16 processes, released at once, each claim `name` in the place
  // `place(i)` says. Their exit codes: 0 won, 1 kExists, 2 another error.
  std::vector<int> RacingClaims(const std::string& name, const std::function<ContainerDirPlace(int)>& place) {
    std::vector<pid_t> kids;
    int go[2];
    EXPECT_EQ(::pipe(go), 0);
    for (int i = 0; i < 16; ++i) {
      pid_t pid = ::fork();
      EXPECT_GE(pid, 0);
      if (pid == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) < 0) _exit(3);  // all start together
        auto st = StateStore(paths_).Claim(name, place(i));
        if (st.has_value()) _exit(0);
        _exit(st.error().kind() == ErrorKind::kExists ? 1 : 2);
      }
      kids.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);  // EOF releases everyone at once
    std::vector<int> codes;
    for (pid_t pid : kids) {
      int status = 0;
      EXPECT_EQ(::waitpid(pid, &status, 0), pid);
      codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return codes;
  }

  std::string dir_;
  Paths paths_;
};

TEST_F(StateStoreTest, ClaimTwiceFailsWithExists) {
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("web").has_value());
  auto again = s.Claim("web");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind(), ErrorKind::kExists);
  EXPECT_EQ(again.error().message(), "container web already exists");
  EXPECT_FALSE(s.Claim("../etc").has_value());
  struct stat st;
  ASSERT_EQ(::stat(paths_.ContainerDir("web").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StateStoreTest, SixteenProcessesClaimingOneNameOneWins) {
  auto codes = RacingClaims("race", [](int) { return ContainerDirPlace::kRoot; });
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 0), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 1), 15);
}

TEST_F(StateStoreTest, SixteenThreadsClaimingOneNameOneWins) {
  StateStore s = Store();
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      if (s.Claim("threads").has_value()) ++wins;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

// A run-dir container: the name is claimed by a link in containers/ whose
// target (run/NAME/container) is made right after; claims of either place
// exclude each other; the link lists, reads as created, and goes on Remove
// together with its target.
TEST_F(StateStoreTest, RunDirClaimIsALinkToTheRunDir) {
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("eph", ContainerDirPlace::kRunDir).has_value());
  char target[PATH_MAX] = {};
  ASSERT_GT(::readlink(paths_.ContainerDir("eph").c_str(), target, sizeof target - 1), 0)
      << paths_.ContainerDir("eph") << " is not a link";
  EXPECT_EQ(std::string(target), paths_.RunDirContainerDir("eph"));
  struct stat st;
  ASSERT_EQ(::lstat(paths_.RunDirContainerDir("eph").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Files written through the container's paths land in the run dir.
  ASSERT_TRUE(WriteFileAtomic(paths_.ConfigFile("eph"), "name: eph\n").has_value());
  EXPECT_EQ(*ReadFile(paths_.RunDirContainerDir("eph") + "/config.yaml"), "name: eph\n");

  for (auto place : {ContainerDirPlace::kRoot, ContainerDirPlace::kRunDir}) {
    auto again = s.Claim("eph", place);
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().message(), "container eph already exists");
  }
  ASSERT_TRUE(s.Claim("disk").has_value());
  auto over = s.Claim("disk", ContainerDirPlace::kRunDir);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().kind(), ErrorKind::kExists);
  EXPECT_NE(::lstat(paths_.RunDirContainerDir("disk").c_str(), &st), 0) << "a losing claim made a run-dir directory";

  EXPECT_EQ(*s.ListNames(), (std::vector<std::string>{"disk", "eph"}));
  auto state = s.ReadState("eph");
  ASSERT_TRUE(state.has_value()) << state.error().message();
  EXPECT_EQ(state->status, ContainerStatus::kCreated);

  ASSERT_TRUE(s.Remove("eph").has_value());
  EXPECT_NE(::lstat(paths_.ContainerDir("eph").c_str(), &st), 0);
  EXPECT_NE(::lstat(paths_.RunDir("eph").c_str(), &st), 0);
  EXPECT_EQ(*s.ListNames(), (std::vector<std::string>{"disk"}));
  // The name is free again, for either place.
  ASSERT_TRUE(s.Claim("eph").has_value());
}

// Half of 16 processes claim a name on disk, half in the run dir: one wins,
// and no loser leaves a run-dir directory behind.
TEST_F(StateStoreTest, SixteenMixedClaimsOneWins) {
  auto place = [](int i) { return i % 2 ? ContainerDirPlace::kRunDir : ContainerDirPlace::kRoot; };
  auto codes = RacingClaims("mixed", place);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 0), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 1), 15);
  bool run_dir_won = false;
  for (size_t i = 0; i < codes.size(); ++i)
    if (codes[i] == 0) run_dir_won = place(static_cast<int>(i)) == ContainerDirPlace::kRunDir;
  struct stat st;
  EXPECT_EQ(::lstat(paths_.RunDirContainerDir("mixed").c_str(), &st) == 0, run_dir_won)
      << "the run-dir directory exists exactly when a run-dir claim won";
}

// What a reboot leaves of a run-dir container: a dangling link. It is
// listed, named in the error, and removable; a directory left at the target
// by a removal cut short is cleared by the next claim, or as an orphan.
TEST_F(StateStoreTest, DanglingRunDirLinkAndOrphanRunDir) {
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("gone", ContainerDirPlace::kRunDir).has_value());
  ASSERT_TRUE(RunCommand({"rm", "-rf", paths_.RunDir("gone")}).has_value());
  EXPECT_EQ(*s.ListNames(), (std::vector<std::string>{"gone"}));
  auto state = s.ReadState("gone");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(state.error().message().find("dangling link"), std::string::npos) << state.error().message();
  EXPECT_FALSE(s.RemoveOrphanRunDir("gone").has_value()) << "the container still has its link";
  ASSERT_TRUE(s.Remove("gone").has_value());
  struct stat st;
  EXPECT_NE(::lstat(paths_.ContainerDir("gone").c_str(), &st), 0);

  // A stale target directory with content: the next claim starts empty.
  ASSERT_EQ(::mkdir(paths_.RunDir("gone").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(paths_.RunDirContainerDir("gone").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomic(paths_.RunDirContainerDir("gone") + "/config.yaml", "stale").has_value());
  ASSERT_TRUE(s.Claim("gone", ContainerDirPlace::kRunDir).has_value());
  EXPECT_NE(::lstat((paths_.RunDirContainerDir("gone") + "/config.yaml").c_str(), &st), 0);
  ASSERT_TRUE(s.Remove("gone").has_value());

  // An orphan run dir (no link): state, socket and the inner directory go.
  ASSERT_EQ(::mkdir(paths_.RunDir("orphan").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(paths_.RunDirContainerDir("orphan").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomic(paths_.RunDirContainerDir("orphan") + "/policy.json", "{}").has_value());
  ASSERT_TRUE(WriteFileAtomic(paths_.StateFile("orphan"), "{}").has_value());
  auto removed = s.RemoveOrphanRunDir("orphan");
  ASSERT_TRUE(removed.has_value()) << removed.error().message();
  EXPECT_EQ(*removed, (std::vector<std::string>{paths_.StateFile("orphan"), paths_.RunDirContainerDir("orphan"),
                                                paths_.RunDir("orphan")}));
  EXPECT_NE(::lstat(paths_.RunDir("orphan").c_str(), &st), 0);
}

TEST_F(StateStoreTest, StateRoundTrip) {
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("web").has_value());
  ContainerState st;
  st.name = "web";
  st.status = ContainerStatus::kRunning;
  st.init_pid = 1234;
  st.init_start_time = 987654321;
  st.monitor_pid = 1200;
  st.monitor_start_time = 987654000;
  st.created_at = 1700000000;
  st.started_at = 1700000005;
  st.finished_at = 0;
  st.exit_code = 3;
  st.exit_signal = std::nullopt;
  st.profile = "default";
  st.policy_hash = "ab12";
  st.cgroup_paths = {"/sys/fs/cgroup/memory/rampart/web", "/sys/fs/cgroup/pids/rampart/web"};
  st.ip = "10.0.0.2";
  ASSERT_TRUE(s.WriteState(st).has_value());
  auto back = s.ReadState("web");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, st);
  struct stat info;
  ASSERT_EQ(::stat(paths_.StateFile("web").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(paths_.RunDir("web").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  for (auto status :
       {ContainerStatus::kCreated, ContainerStatus::kStarting, ContainerStatus::kRunning,
        ContainerStatus::kFrozen, ContainerStatus::kStopped, ContainerStatus::kUnknown}) {
    auto parsed = ParseStatusName(StatusName(status));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, status);
  }
}

TEST_F(StateStoreTest, CheckpointFieldsRoundTrip) {
  ContainerState st;
  st.name = "web";
  st.status = ContainerStatus::kStopped;
  st.init_pid = 77;
  st.stdio = "log";
  st.checkpoint = "ckpt-20261129-101010";
  st.restored_from = "ckpt-20261128-090909";

  // Through the JSON text.
  const std::string text = StateToJson(st);
  EXPECT_NE(text.find("\"stdio\": \"log\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"checkpoint\": \"ckpt-20261129-101010\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"restored_from\": \"ckpt-20261128-090909\""), std::string::npos) << text;
  auto parsed = StateFromJson(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(*parsed, st);
  EXPECT_EQ(parsed->stdio, "log");
  EXPECT_EQ(parsed->checkpoint, "ckpt-20261129-101010");
  EXPECT_EQ(parsed->restored_from, "ckpt-20261128-090909");

  // Through the store.
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("web").has_value());
  ASSERT_TRUE(s.WriteState(st).has_value());
  auto back = s.ReadState("web");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, st);

  // A state file from before these fields reads them as empty.
  auto old = StateFromJson("{\"name\": \"web\", \"status\": \"running\", \"init_pid\": 5}");
  ASSERT_TRUE(old.has_value()) << old.error().message();
  EXPECT_EQ(old->stdio, "");
  EXPECT_EQ(old->checkpoint, "");
  EXPECT_EQ(old->restored_from, "");
  EXPECT_EQ(old->init_pid, 5);
  // And a wrong type is refused.
  EXPECT_FALSE(StateFromJson("{\"name\": \"web\", \"status\": \"running\", \"stdio\": 3}").has_value());
}

TEST_F(StateStoreTest, MissingStateMeansCreatedOrNotFound) {
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("fresh").has_value());
  auto fresh = s.ReadState("fresh");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->status, ContainerStatus::kCreated);
  EXPECT_EQ(fresh->name, "fresh");
  auto none = s.ReadState("nosuch");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(none.error().message(), "container nosuch does not exist");
}

TEST_F(StateStoreTest, CorruptStateIsNamedAndOthersStillList) {
  StateStore s = Store();
  for (const char* n : {"c", "a", "b"}) {
    ASSERT_TRUE(s.Claim(n).has_value());
    ContainerState st;
    st.name = n;
    st.status = ContainerStatus::kStopped;
    ASSERT_TRUE(s.WriteState(st).has_value());
  }
  ASSERT_TRUE(WriteFileAtomic(paths_.StateFile("b"), "{\"name\": \"b\", \"status\": ").has_value());
  auto bad = s.ReadState("b");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message().rfind("corrupt state file " + paths_.StateFile("b") + ": ", 0),
            0u)
      << bad.error().message();
  ASSERT_TRUE(WriteFileAtomic(paths_.StateFile("c"), "{\"name\": \"c\", \"status\": \"dancing\"}")
                  .has_value());
  EXPECT_EQ(s.ReadState("c").error().message(),
            "corrupt state file " + paths_.StateFile("c") + ": unknown container status 'dancing'");
  ASSERT_TRUE(WriteFileAtomic(paths_.StateFile("c"),
                              "{\"name\": \"c\", \"status\": \"running\", \"init_pid\": \"x\"}")
                  .has_value());
  EXPECT_FALSE(s.ReadState("c").has_value());

  // A dotfile and a plain file in containers/ are not containers.
  ASSERT_TRUE(WriteFileAtomic(paths_.ContainersDir() + "/stray", "").has_value());
  ASSERT_TRUE(WriteFileAtomic(paths_.LockFile("a"), "").has_value());
  auto names = s.ListNames();
  ASSERT_TRUE(names.has_value()) << names.error().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(s.ReadState("a").has_value());

  // And the corrupt one can still be removed.
  ASSERT_TRUE(s.Remove("b").has_value());
  EXPECT_EQ(*s.ListNames(), (std::vector<std::string>{"a", "c"}));
}

TEST_F(StateStoreTest, ListWithoutRootIsEmpty) {
  auto names = Store().ListNames();
  ASSERT_TRUE(names.has_value());
  EXPECT_TRUE(names->empty());
}

TEST_F(StateStoreTest, RemoveDoesNotFollowSymlinks) {
  StateStore s = Store();
  ASSERT_TRUE(s.Claim("web").has_value());
  // Something outside the container that a symlink inside points at.
  const std::string outside = dir_ + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(outside + "/keep", "keep").has_value());
  const std::string cdir = paths_.ContainerDir("web");
  ASSERT_EQ(::mkdir((cdir + "/rootfs").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((cdir + "/rootfs/deep").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(cdir + "/rootfs/deep/file", "x").has_value());
  ASSERT_EQ(::symlink(outside.c_str(), (cdir + "/rootfs/link").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/keep").c_str(), (cdir + "/rootfs/deep/filelink").c_str()), 0);
  ContainerState st;
  st.name = "web";
  ASSERT_TRUE(s.WriteState(st).has_value());
  ASSERT_TRUE(s.Remove("web").has_value());
  struct stat info;
  EXPECT_NE(::lstat(cdir.c_str(), &info), 0);
  EXPECT_NE(::lstat(paths_.RunDir("web").c_str(), &info), 0);
  EXPECT_EQ(*ReadFile(outside + "/keep"), "keep");
  // Removing what is gone is fine.
  EXPECT_TRUE(s.Remove("web").has_value());
}

TEST_F(StateStoreTest, LiveStatus) {
  StateStore s = Store();
  ContainerState st;
  st.name = "web";
  st.status = ContainerStatus::kRunning;
  st.init_pid = ::getpid();
  auto me = StateStore::ProcessStartTime(::getpid());
  ASSERT_TRUE(me.has_value()) << me.error().message();
  st.init_start_time = *me;
  EXPECT_EQ(s.LiveStatus(st), ContainerStatus::kRunning);
  st.status = ContainerStatus::kFrozen;
  EXPECT_EQ(s.LiveStatus(st), ContainerStatus::kFrozen);
  st.status = ContainerStatus::kRunning;

  // A reused pid: alive, but started at another time.
  ContainerState reused = st;
  reused.init_start_time = *me + 1;
  EXPECT_EQ(s.LiveStatus(reused), ContainerStatus::kStopped);

  // A dead pid: a child we reaped.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(0);
  auto child_start = StateStore::ProcessStartTime(pid);
  ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
  ContainerState dead = st;
  dead.init_pid = pid;
  dead.init_start_time = child_start.has_value() ? *child_start : 0;
  EXPECT_EQ(s.LiveStatus(dead), ContainerStatus::kStopped);

  // A zombie (exited, not yet reaped) is not running either.
  pid_t z = ::fork();
  ASSERT_GE(z, 0);
  if (z == 0) _exit(0);
  auto z_start = StateStore::ProcessStartTime(z);
  ASSERT_TRUE(z_start.has_value());
  siginfo_t info;
  ASSERT_EQ(::waitid(P_PID, z, &info, WEXITED | WNOWAIT), 0);  // exited, still a zombie
  ContainerState zombie = st;
  zombie.init_pid = z;
  zombie.init_start_time = *z_start;
  EXPECT_EQ(s.LiveStatus(zombie), ContainerStatus::kStopped);
  ASSERT_EQ(::waitpid(z, nullptr, 0), z);

  // No pid at all; and created/stopped states are kept as recorded.
  ContainerState none = st;
  none.init_pid = 0;
  EXPECT_EQ(s.LiveStatus(none), ContainerStatus::kStopped);
  none.status = ContainerStatus::kCreated;
  EXPECT_EQ(s.LiveStatus(none), ContainerStatus::kCreated);
  ContainerState starting;
  starting.name = "web";
  starting.status = ContainerStatus::kStarting;
  starting.monitor_pid = ::getpid();
  starting.monitor_start_time = *me;
  EXPECT_EQ(s.LiveStatus(starting), ContainerStatus::kStarting);
  starting.monitor_start_time = *me + 1;
  EXPECT_EQ(s.LiveStatus(starting), ContainerStatus::kStopped);
}

TEST(ProcessStartTimeTest, CommWithSpacesAndParens) {
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(done[1]);
    ::prctl(PR_SET_NAME, "x) (y z) 1 2 3", 0, 0, 0);  // comm keeps 15 bytes: "x) (y z) 1 2 3"
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) _exit(1);
    if (::read(done[0], &c, 1) < 0) _exit(1);
    _exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto stat_text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  ASSERT_TRUE(stat_text.has_value());
  ASSERT_NE(stat_text->find("(x) (y z) 1 2 3)"), std::string::npos) << *stat_text;
  auto child = StateStore::ProcessStartTime(pid);
  auto parent = StateStore::ProcessStartTime(::getpid());
  ::close(done[1]);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(child.has_value()) << child.error().message();
  ASSERT_TRUE(parent.has_value());
  // Started after us, and not some neighbouring field (ppid, etc.).
  EXPECT_GE(*child, *parent);
  EXPECT_LT(*child - *parent, 100u * 3600 * 24);
  // Cross-check against field 22 computed by counting from the last ')'.
  std::string rest = stat_text->substr(stat_text->rfind(')') + 2);
  std::vector<std::string> fields;
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t sp = rest.find(' ', pos);
    fields.push_back(rest.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  ASSERT_GT(fields.size(), 19u);
  EXPECT_EQ(std::to_string(*child), fields[19]);
  ::close(ready[0]);
  ::close(ready[1]);
  ::close(done[0]);

  auto missing = StateStore::ProcessStartTime(999999999);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace rampart::runtime
