// A small argument parser: long/short options, `--opt=value`, `--`, and
// generated help text. Errors name the option.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart::cli {

// Option tables are built from string literals at every start: views, not
// copies (building the whole command table with std::string fields was
// 0.1 ms of each `rampart run`).
struct OptSpec {
  std::string_view long_name;  // without "--"
  char short_name = 0;
  bool takes_value = false;
  std::string_view value_name;  // "FILE"
  std::string_view help;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> opts;  // long name → values ("" for flags)
  std::vector<std::string> positional;
  std::vector<std::string> rest;  // after "--"
  bool has_rest = false;

  bool Has(const std::string& name) const { return opts.count(name) != 0; }
  int Count(const std::string& name) const { return Has(name) ? static_cast<int>(opts.at(name).size()) : 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    return Has(name) ? opts.at(name).back() : fallback;
  }
};

// Options may appear anywhere before "--". Unknown options are errors.
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<OptSpec>& specs);
std::string OptionsHelp(const std::vector<OptSpec>& specs);

}  // namespace rampart::cli
