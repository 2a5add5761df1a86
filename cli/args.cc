#include "cli/args.h"

namespace rampart::cli {

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<OptSpec>& specs) {
  ParsedArgs out;
  auto find_long = [&](std::string_view n) -> const OptSpec* {
    for (const auto& s : specs)
      if (s.long_name == n) return &s;
    return nullptr;
  };
  auto find_short = [&](char c) -> const OptSpec* {
    for (const auto& s : specs)
      if (s.short_name == c) return &s;
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.has_rest = true;
      out.rest.assign(args.begin() + i + 1, args.end());
      break;
    }
    if (a.size() > 2 && a.starts_with("--")) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      const OptSpec* s = find_long(name);
      if (!s) return Error::Invalid("unknown option --" + name + " (see --help)");
      if (s->takes_value && !inline_value) {
        if (i + 1 >= args.size()) return Error::Invalid("option --" + name + " needs a value (" + std::string(s->value_name) + ")");
        value = args[++i];
      } else if (!s->takes_value && inline_value) {
        return Error::Invalid("option --" + name + " takes no value");
      }
      out.opts[name].push_back(value);
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      for (size_t j = 1; j < a.size(); ++j) {
        const OptSpec* s = find_short(a[j]);
        if (!s) return Error::Invalid(std::string("unknown option -") + a[j] + " (see --help)");
        if (s->takes_value) {
          std::string value = a.substr(j + 1);
          if (value.empty()) {
            if (i + 1 >= args.size()) return Error::Invalid(std::string("option -") + a[j] + " needs a value (" + std::string(s->value_name) + ")");
            value = args[++i];
          }
          out.opts[std::string(s->long_name)].push_back(value);
          break;
        }
        out.opts[std::string(s->long_name)].push_back("");
      }
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

std::string OptionsHelp(const std::vector<OptSpec>& specs) {
  std::string out;
  for (const auto& s : specs) {
    std::string left = "  ";
    left += s.short_name ? std::string("-") + s.short_name + ", " : "    ";
    left += "--";
    left += s.long_name;
    if (s.takes_value) (left += " ") += s.value_name;
    if (left.size() < 30) left.resize(30, ' ');
    else left += "  ";
    (out += left) += s.help;
    out += "\n";
  }
  return out;
}

}  // namespace rampart::cli
