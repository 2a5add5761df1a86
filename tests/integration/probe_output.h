// What tests/helpers/syscall_probe prints, parsed: "NAME RESULT" lines and
// "status Key:\tvalue" lines (its "status" probe). Shared by the container
// and checkpoint integration tests.
#pragma once

#include <map>
#include <sstream>
#include <string>

#include "base/strings.h"

namespace rampart::testing_support {

struct Probe {
  std::map<std::string, std::string> results;
  std::map<std::string, std::string> status;
  std::string Get(const std::string& k) const {
    auto it = results.find(k);
    return it == results.end() ? "<no line for " + k + ">" : it->second;
  }
  std::string Status(const std::string& k) const {
    auto it = status.find(k);
    return it == status.end() ? "<no status line for " + k + ">" : it->second;
  }
};

inline Probe ParseProbe(const std::string& out) {
  Probe p;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string name = line.substr(0, sp);
    std::string rest = line.substr(sp + 1);
    if (name == "status") {
      auto colon = rest.find(':');
      if (colon == std::string::npos) continue;
      p.status[rest.substr(0, colon)] = std::string(Trim(rest.substr(colon + 1)));
    } else {
      p.results[name] = std::string(Trim(rest));
    }
  }
  return p;
}

}  // namespace rampart::testing_support
