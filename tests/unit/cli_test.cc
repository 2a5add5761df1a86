// The rampart binary's policy commands, run as a child process (no root).
// The binary is found next to this test's build tree: BUILD/tests/<test>
// → BUILD/cli/rampart.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "base/spawn.h"
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rampart {
namespace {

std::string RampartBinary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  // .../BUILD/tests/rampart_unit_tests → .../BUILD/cli/rampart
  return (self.parent_path().parent_path() / "cli" / "rampart").string();
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
  std::string Describe() const {
    return "exit " + std::to_string(exit_code) + "\n--- stdout ---\n" + out.substr(0, 2000) + "\n--- stderr ---\n" + err;
  }
};

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rampart-cli-XXXXXX";
    const char* d = mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    path_ = d ? d : "/tmp";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs rampart with `args` in the source tree, RAMPART_ROOT set to an empty
// temporary state root, and collects stdout, stderr and the exit code.
RunResult RunRampart(const std::vector<std::string>& args) {
  RunResult r;
  const std::string bin = RampartBinary();
  if (access(bin.c_str(), X_OK) != 0) {
    ADD_FAILURE() << "rampart binary not found at '" << bin << "' (build the rampart target)";
    return r;
  }
  static TempDir* root = new TempDir();  // shared state root, removed at exit below
  static const bool cleanup = [] {
    std::atexit([] { delete root; });
    return true;
  }();
  (void)cleanup;
  // env(1) sets the state root and the working directory (the source tree,
  // where relative fixture paths resolve).
  std::vector<std::string> argv = {"env", "-C", RAMPART_SOURCE_DIR, "RAMPART_ROOT=" + root->path(), bin};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = rampart::RunCommand(argv, {}, std::chrono::seconds(30));
  if (!out) {
    ADD_FAILURE() << "run rampart: " << out.error().message();
    return r;
  }
  r.out = std::move(out->out);
  r.err = std::move(out->err);
  r.exit_code = rampart::ExitCodeFromWaitStatus(out->status);
  return r;
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  if (!s.empty() && s.back() != '\n') ++n;
  return n;
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

TEST(Cli, Version) {
  auto r = RunRampart({"version"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_FALSE(r.out.empty()) << r.Describe();
}

TEST(Cli, HelpListsPolicyCompile) {
  auto r = RunRampart({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "policy compile")) << r.Describe();
  r = RunRampart({"policy", "compile", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "usage: rampart policy compile")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "--output")) << r.Describe();
}

TEST(Cli, UnknownCommandIsOneErrorLine) {
  auto r = RunRampart({"frobnicate"});
  EXPECT_EQ(r.exit_code, 125) << r.Describe();
  EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "frobnicate")) << r.Describe();
  EXPECT_TRUE(r.out.empty()) << r.Describe();
}

TEST(Cli, ProfileErrorIsOneLineWithPosition) {
  auto r = RunRampart({"policy", "show", "tests/fixtures/profiles/unknown-syscall.yaml"});
  EXPECT_EQ(r.exit_code, 125) << r.Describe();
  EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "unknown-syscall.yaml:4:36:")) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "not_a_syscall")) << r.Describe();
  EXPECT_TRUE(r.out.empty()) << r.Describe();
}

TEST(Cli, CompileWritesBpfAndSummary) {
  TempDir dir;
  const std::string bpf = dir.path() + "/x.bpf";
  auto r = RunRampart({"policy", "compile", "default", "-o", bpf});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  struct stat st {};
  ASSERT_EQ(stat(bpf.c_str(), &st), 0) << bpf << " not written\n" << r.Describe();
  EXPECT_GT(st.st_size, 0);
  EXPECT_EQ(st.st_size % 8, 0) << "size " << st.st_size << " is not a whole number of sock_filter";
  std::ifstream in(bpf + ".json");
  ASSERT_TRUE(in.good()) << bpf << ".json not written";
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "not JSON:\n" << ss.str();
  ASSERT_TRUE(j.contains("hash") && j.contains("instructions") && j.contains("architectures")) << j.dump(2);
  EXPECT_EQ(j["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["instructions"].get<size_t>() * 8, static_cast<size_t>(st.st_size));
  for (const char* a : {"x86_64", "x86", "x32"}) EXPECT_TRUE(j["architectures"].contains(a)) << a << ": " << j.dump(2);
  EXPECT_TRUE(Contains(r.out, j["hash"].get<std::string>())) << r.Describe();
  // The other layers from the same policy, named by the summary.
  std::ifstream aa(bpf + ".apparmor");
  std::stringstream aas;
  aas << aa.rdbuf();
  EXPECT_TRUE(Contains(aas.str(), "profile " + j.value("apparmor_profile", std::string("?")) + " ")) << aas.str();
  EXPECT_TRUE(Contains(aas.str(), "deny mount,")) << aas.str();
  EXPECT_EQ(j.value("apparmor_file", ""), bpf + ".apparmor") << j.dump(2);
  std::ifstream ll(bpf + ".landlock.json");
  std::stringstream lls;
  lls << ll.rdbuf();
  auto lj = nlohmann::json::parse(lls.str(), nullptr, false);
  EXPECT_TRUE(lj.is_object() && lj.contains("landlock")) << lls.str();
  std::ifstream cil(bpf + ".cil");
  std::stringstream cils;
  cils << cil.rdbuf();
  EXPECT_TRUE(Contains(cils.str(), "(type " + j.value("selinux_type", std::string("?")) + ")")) << cils.str();

  // The same profile again: the same bytes.
  const std::string bpf2 = dir.path() + "/y.bpf";
  auto r2 = RunRampart({"policy", "compile", "default", "--output", bpf2});
  ASSERT_EQ(r2.exit_code, 0) << r2.Describe();
  std::ifstream a(bpf, std::ios::binary), b(bpf2, std::ios::binary);
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  EXPECT_EQ(sa.str(), sb.str());
}

TEST(Cli, CompileToADeviceWritesIntoIt) {
  // Through a symlink, so that a regression replaces the link, not /dev/null.
  TempDir dir;
  const std::string out = dir.path() + "/null";
  ASSERT_EQ(symlink("/dev/null", out.c_str()), 0);
  auto r = RunRampart({"policy", "compile", "default", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "not a regular file")) << r.Describe();
  struct stat st {};
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << out << " was replaced; mode " << std::oct << st.st_mode;
  EXPECT_NE(lstat((out + ".json").c_str(), &st), 0) << "a summary was written beside a device";
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null is no longer a device";
}

TEST(Cli, FailingCompileWritesNothing) {
  TempDir dir;
  // A profile error.
  auto r = RunRampart({"policy", "compile", "tests/fixtures/profiles/unknown-syscall.yaml", "-o", dir.path() + "/bad.bpf"});
  EXPECT_EQ(r.exit_code, 125) << r.Describe();
  EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
  // A profile that resolves but cannot be compiled (more instructions than
  // the kernel takes).
  const std::string prof = dir.path() + "/too-long.yaml";
  {
    std::ofstream f(prof);
    f << "name: many-rules\nseccomp:\n  rules:\n";
    for (int i = 0; i < 500; ++i) f << "    - {syscall: ioctl, args: [\"arg1 == " << 0x1000 + i << "\"]}\n";
  }
  auto r2 = RunRampart({"policy", "compile", prof, "-o", dir.path() + "/bad2.bpf"});
  EXPECT_EQ(r2.exit_code, 125) << r2.Describe();
  EXPECT_EQ(Lines(r2.err), 1u) << r2.Describe();
  // Only the input profile is in the directory.
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files.push_back(e.path().filename());
  EXPECT_EQ(files, std::vector<std::string>{"too-long.yaml"}) << "files were written by a failing compile";
}

TEST(Cli, ShowJsonIsValid) {
  auto r = RunRampart({"--format", "json", "policy", "show", "default"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "not JSON:\n" << r.out.substr(0, 2000);
  EXPECT_EQ(j["name"], "default");
  EXPECT_EQ(j["seccomp"]["syscalls"]["read"]["action"], "allow") << j["seccomp"]["syscalls"]["read"].dump();
  EXPECT_EQ(j["capabilities"]["bounding"].size(), 14u) << j["capabilities"].dump();
  EXPECT_TRUE(r.err.empty()) << r.Describe();
}

TEST(Cli, ListYaml) {
  auto r = RunRampart({"--format", "yaml", "policy", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "name: default")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "name: web-server")) << r.Describe();
  auto t = RunRampart({"policy", "list"});
  ASSERT_EQ(t.exit_code, 0) << t.Describe();
  EXPECT_TRUE(Contains(t.out, "NAME")) << t.Describe();
}

TEST(Cli, CheckVerdicts) {
  auto r = RunRampart({"policy", "check", "default", "socket", "AF_VSOCK"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "errno(EPERM)")) << r.Describe();
  r = RunRampart({"policy", "check", "default", "socket", "AF_INET"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "-> allow")) << r.Describe();
  r = RunRampart({"policy", "check", "default", "unshare", "--arch", "x86"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "errno(EPERM)")) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "x86 unshare")) << r.Describe();
  r = RunRampart({"--format", "json", "policy", "check", "default", "clone3"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.Describe();
  EXPECT_EQ(j["action"], "errno(ENOSYS)");
  EXPECT_EQ(j["intended"], "errno(ENOSYS)");
  // A name that is no syscall: one error line.
  r = RunRampart({"policy", "check", "default", "not_a_syscall"});
  EXPECT_EQ(r.exit_code, 125) << r.Describe();
  EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
}

}  // namespace
}  // namespace rampart

namespace rampart {
namespace {

// `rampart` is a small front that executes rampart-core from its own
// directory: without it there, one error line and 125, nothing else.
TEST(CliFront, MissingCoreIsOneErrorLine) {
  TempDir dir;
  const std::string front = dir.path() + "/rampart";
  std::filesystem::copy_file(RampartBinary(), front);
  auto r = RunCommand({front, "version"});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(ExitCodeFromWaitStatus(r->status), 125) << r->err;
  EXPECT_EQ(r->err, "rampart: cannot execute " + dir.path() + "/rampart-core: errno 2\n");
  EXPECT_TRUE(r->out.empty()) << r->out;
}

// With rampart-core beside it, every argument and the exit code pass through.
TEST(CliFront, PassesArgumentsAndExitCodeThrough) {
  auto ok = RunCommand({RampartBinary(), "--format", "json", "version"});
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ExitCodeFromWaitStatus(ok->status), 0) << ok->err;
  EXPECT_NE(ok->out.find("\"version\""), std::string::npos) << ok->out;
  auto bad = RunCommand({RampartBinary(), "no-such-verb"});
  ASSERT_TRUE(bad.has_value()) << bad.error().message();
  EXPECT_EQ(ExitCodeFromWaitStatus(bad->status), 125) << bad->err;
  EXPECT_NE(bad->err.find("unknown command 'no-such-verb'"), std::string::npos) << bad->err;
}

}  // namespace
}  // namespace rampart
