#include "runtime/criu.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "base/spawn.h"
#include "base/strings.h"

namespace rampart::runtime {
namespace {

constexpr std::chrono::seconds kVersionTimeout{10};
constexpr std::chrono::seconds kCheckTimeout{60};

// "4" -> 4; kInvalid for anything but a short run of digits.
Result<int> ParseVersionPart(std::string_view part, const std::string& version) {
  if (part.empty() || part.size() > 6 || part.find_first_not_of("0123456789") != part.npos) {
    return Error::Invalid("criu version '" + version + "' is not MAJOR.MINOR[.PATCH]");
  }
  return std::atoi(std::string(part).c_str());
}

std::string LastNonEmptyLine(std::string_view text) {
  std::string last;
  for (const std::string& line : Split(text, '\n')) {
    std::string_view t = Trim(line);
    if (!t.empty()) {
      last = std::string(t);
    }
  }
  return last;
}

}  // namespace

Result<std::string> ParseCriuVersion(const std::string& text) {
  constexpr std::string_view kKey = "Version:";
  for (const std::string& line : Split(text, '\n')) {
    std::string_view t = Trim(line);
    if (t.substr(0, kKey.size()) == kKey) {
      std::string_view v = Trim(t.substr(kKey.size()));
      if (v.empty()) {
        break;
      }
      return std::string(v);
    }
  }
  return Error::Invalid("no 'Version:' line in criu --version output '" + FirstLine(text) + "'");
}

Result<CriuInfo> CriuInfoFromVersionOutput(const std::string& path, const std::string& text) {
  RAMPART_ASSIGN_OR_RETURN(std::string version, ParseCriuVersion(text));
  std::string_view numbers = version;
  numbers = numbers.substr(0, numbers.find('-'));
  std::vector<std::string> parts = Split(numbers, '.');
  if (parts.size() < 2 || parts.size() > 3) {
    return Error::Invalid("criu version '" + version + "' is not MAJOR.MINOR[.PATCH]");
  }
  CriuInfo info;
  info.path = path;
  info.version_text = version;
  RAMPART_ASSIGN_OR_RETURN(info.major, ParseVersionPart(parts[0], version));
  RAMPART_ASSIGN_OR_RETURN(info.minor, ParseVersionPart(parts[1], version));
  if (parts.size() == 3) {
    RAMPART_ASSIGN_OR_RETURN(info.patch, ParseVersionPart(parts[2], version));
  }
  return info;
}

Status CheckCriuVersion(const CriuInfo& info) {
  bool recent =
      info.major > kMinCriuMajor || (info.major == kMinCriuMajor && info.minor >= kMinCriuMinor);
  if (!recent) {
    return Error::Unsupported("criu " + info.version_text + " at " + info.path +
                              " is too old: rampart needs " + std::to_string(kMinCriuMajor) + "." +
                              std::to_string(kMinCriuMinor) +
                              " or newer (scripts/install-criu installs 4.2.1)");
  }
  return Ok();
}

std::string CriuCheckComplaint(std::string_view out, std::string_view err) {
  constexpr std::string_view kError = "Error (";
  for (std::string_view text : {err, out}) {
    for (const std::string& line : Split(text, '\n')) {
      std::string_view t = Trim(line);
      if (t.substr(0, kError.size()) != kError) {
        continue;
      }
      size_t end = t.find("): ");
      std::string_view message = end == t.npos ? t : Trim(t.substr(end + 3));
      if (message.empty() || message.substr(0, 15) == "exited, status=") {
        continue;
      }
      return std::string(message);
    }
  }
  std::string last = LastNonEmptyLine(err);
  return last.empty() ? LastNonEmptyLine(out) : last;
}

std::vector<CriuCandidate> CriuCandidates(const CriuSearch& search) {
  std::vector<CriuCandidate> out;
  if (!search.configured.empty()) {
    out.push_back({search.configured, "configured", true});
  }
  if (!search.env.empty()) {
    out.push_back({search.env, "RAMPART_CRIU", true});
  }
  if (!search.default_path.empty()) {
    out.push_back({search.default_path, "default", false});
  }
  for (const std::string& dir : Split(search.path_env, ':')) {
    if (dir.empty()) {
      continue;
    }
    out.push_back({dir.back() == '/' ? dir + "criu" : dir + "/criu", "PATH", false});
  }
  return out;
}

Result<CriuInfo> FindCriuIn(const CriuSearch& search) {
  for (const CriuCandidate& c : CriuCandidates(search)) {
    struct stat st {};
    if (::stat(c.path.c_str(), &st) != 0) {
      int err = errno;
      if ((err == ENOENT || err == ENOTDIR) && !c.required) {
        continue;
      }
      return Error::FromErrno(err, "criu " + c.path + " (" + c.origin + ")");
    }
    std::string what = "criu " + c.path + " (" + c.origin + ")";
    if (S_ISDIR(st.st_mode)) {
      return Error::Invalid(what + ": is a directory");
    }
    Result<CommandOutput> ran = RunCommand({c.path, "--version"}, {}, kVersionTimeout);
    if (!ran) {
      return ran.error().Wrap(what);
    }
    const CommandOutput& run = *ran;
    if (run.timed_out) {
      return Error::Unsupported(what + ": --version did not finish in " +
                                std::to_string(kVersionTimeout.count()) + "s");
    }
    int code = ExitCodeFromWaitStatus(run.status);
    if (code != 0) {
      std::string why = FirstLine(run.err);
      return Error::Unsupported(what + ": --version exited with " + std::to_string(code) +
                                (why.empty() ? "" : ": " + why));
    }
    Result<CriuInfo> info = CriuInfoFromVersionOutput(c.path, run.out);
    if (!info) {
      return info.error().Wrap(what);
    }
    RAMPART_TRY(CheckCriuVersion(*info));
    return info;
  }
  return Error::NotFound("criu not found at " + search.default_path +
                         " or in PATH: scripts/install-criu installs 4.2.1");
}

Result<CriuInfo> FindCriu(const std::string& configured) {
  CriuSearch search;
  search.configured = configured;
  if (const char* env = std::getenv("RAMPART_CRIU"); env != nullptr) {
    search.env = env;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    search.path_env = path;
  }
  return FindCriuIn(search);
}

Status CheckCriu(const CriuInfo& info) {
  Result<CommandOutput> run = RunCommand({info.path, "check"}, {}, kCheckTimeout);
  if (!run) {
    return run.error().Wrap("criu check (" + info.path + ")");
  }
  if (run->timed_out) {
    return Error::Unsupported("criu check (" + info.path + "): did not finish in " +
                              std::to_string(kCheckTimeout.count()) + "s");
  }
  int code = ExitCodeFromWaitStatus(run->status);
  if (code != 0) {
    std::string complaint = CriuCheckComplaint(run->out, run->err);
    if (complaint.empty()) {
      complaint = "exit code " + std::to_string(code);
    }
    return Error::Unsupported("criu check failed (" + info.path + "): " + complaint);
  }
  return Ok();
}

}  // namespace rampart::runtime
