// What every side-by-side benchmark here needs: a monotonic clock in ms,
// median/min/max of a sample, and the first line of a tool's output.
#pragma once

#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/strings.h"

namespace rampart::bench {

inline double NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stats {
  double median = 0, min = 0, max = 0;
};

inline Stats StatsOf(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

inline std::string FirstLine(const std::string& s) {
  auto t = rampart::Trim(s);
  return std::string(t.substr(0, t.find('\n')));
}

}  // namespace rampart::bench
