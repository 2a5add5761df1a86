// The names in a directory (no "." or ".."), sorted; empty if it cannot be
// read. For the integration tests' "nothing left behind" checks.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

namespace rampart::testing_support {

inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rampart::testing_support
