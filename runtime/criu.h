// Finding and checking the CRIU binary rampart checkpoints with.
//
// Only CRIU 4.2 or newer works on the kernels rampart targets: bookworm's 3.17
// fails `criu check` (vDSO bounds) and 4.1 cannot dump inet sockets on
// kernels >= 6.16. scripts/install-criu installs 4.2.1 from Debian sid into a
// private prefix with a wrapper at /opt/rampart/criu/bin/criu.
//
// The parsing and the search order are pure and unit-tested
// (tests/unit/criu_version_test.cc); FindCriu and CheckCriu run the binary.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart::runtime {

// Where scripts/install-criu puts its wrapper (RAMPART_CRIU_PREFIX changes
// the install, not this default: point RAMPART_CRIU at the wrapper instead).
inline constexpr const char kDefaultCriuPath[] = "/opt/rampart/criu/bin/criu";
inline constexpr int kMinCriuMajor = 4;
inline constexpr int kMinCriuMinor = 2;

struct CriuInfo {
  std::string path;  // the binary (or wrapper) that was run
  int major = 0;
  int minor = 0;
  int patch = 0;             // 0 when the version has no third part ("3.19")
  std::string version_text;  // as printed after "Version:", e.g. "4.2.1"
};

// The version text from `criu --version` output ("Version: 4.2.1\n", maybe
// followed by "GitID: ..."), trimmed: "4.2.1". kInvalid without a
// "Version:" line.
Result<std::string> ParseCriuVersion(const std::string& text);

// A CriuInfo for `path` from its `criu --version` output. The version must
// start with MAJOR.MINOR[.PATCH]; anything after a '-' ("3.15-rc1") is kept
// in version_text but ignored.
Result<CriuInfo> CriuInfoFromVersionOutput(const std::string& path, const std::string& text);

// Refuses a CRIU older than 4.2, with a message that names the version, the
// path and scripts/install-criu.
Status CheckCriuVersion(const CriuInfo& info);

// The one line of a failed `criu check` worth showing: the first "Error
// (file:line): MESSAGE" line's MESSAGE, skipping the generic "exited,
// status=N" lines of probe helpers; else the last non-empty line of stderr,
// else of stdout; "" when both are empty.
std::string CriuCheckComplaint(std::string_view out, std::string_view err);

// One place to look for criu. `required` ones (a configured path,
// $RAMPART_CRIU) are errors when missing; the others are skipped.
struct CriuCandidate {
  std::string path;
  std::string origin;  // "configured", "RAMPART_CRIU", "default", "PATH"
  bool required = false;
};

// What the search looks at, so tests need not change the environment.
struct CriuSearch {
  std::string configured;  // "" = none
  std::string env;         // $RAMPART_CRIU; "" = unset
  std::string default_path = kDefaultCriuPath;
  std::string path_env;  // $PATH; empty entries are skipped
};

// The candidates in search order: configured, $RAMPART_CRIU, the default
// path, then DIR/criu for each DIR in PATH.
std::vector<CriuCandidate> CriuCandidates(const CriuSearch& search);

// Uses the first candidate that exists: runs `criu --version` and refuses
// one older than 4.2. A required candidate that is missing, or any found one
// that does not run or report a version, is an error (never skipped).
Result<CriuInfo> FindCriuIn(const CriuSearch& search);

// FindCriuIn with $RAMPART_CRIU and $PATH from our environment.
Result<CriuInfo> FindCriu(const std::string& configured);

// Runs `criu check`; a failure becomes a one-line error with its complaint.
Status CheckCriu(const CriuInfo& info);

}  // namespace rampart::runtime
