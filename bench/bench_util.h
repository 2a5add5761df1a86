// What every side-by-side benchmark here needs: a monotonic clock in ms,
// median/min/max of a sample, and the first line of a tool's output.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

// One row of a side-by-side table: the first row is rampart, every row's
// ratio is rampart's median / its median.
struct TableRow {
  std::string label;
  const std::vector<double>* ms;
  std::string error;  // non-empty: the row failed, printed instead
};

inline void PrintRatioTable(const std::vector<TableRow>& rows) {
  const double rm = rows.empty() || !rows[0].error.empty() ? 0 : StatsOf(*rows[0].ms).median;
  std::printf("| %-40s | %9s | %17s | %12s |\n", "method", "median ms", "min-max ms", "rampart/this");
  std::printf("|%s|%s|%s|%s|\n", std::string(42, '-').c_str(), std::string(11, '-').c_str(),
              std::string(19, '-').c_str(), std::string(14, '-').c_str());
  for (const auto& row : rows) {
    if (!row.error.empty()) {
      std::printf("| %-40s | FAILED: %s\n", row.label.c_str(), row.error.c_str());
      continue;
    }
    Stats s = StatsOf(*row.ms);
    char range[64], ratio[32] = "-";
    std::snprintf(range, sizeof range, "%.2f-%.2f", s.min, s.max);
    if (rm > 0 && s.median > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", rm / s.median);
    std::printf("| %-40s | %9.2f | %17s | %12s |\n", row.label.c_str(), s.median, range, ratio);
  }
}

// "--NAME=N" into *out (0..100000); a bad value ends the program (exit 2)
// naming `tool`. False if `arg` is not this flag.
inline bool ParseIntFlag(const char* tool, const std::string& arg, const std::string& name, int* out) {
  if (arg.rfind(name + "=", 0) != 0) return false;
  auto v = rampart::ParseUint64(arg.substr(name.size() + 1));
  if (!v || *v > 100000) {
    std::fprintf(stderr, "%s: bad value in %s\n", tool, arg.c_str());
    std::exit(2);
  }
  *out = static_cast<int>(*v);
  return true;
}

inline std::string FirstLine(const std::string& s) {
  auto t = rampart::Trim(s);
  return std::string(t.substr(0, t.find('\n')));
}

}  // namespace rampart::bench
