#include "cli/output.h"

#include <cstdio>

namespace rampart::cli {
namespace {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kWords[] = {"true", "false", "null", "yes", "no", "on", "off", "~"};
  for (const char* w : kWords)
    if (s == w) return true;
  if (s.find_first_of(":#{}[],&*!|>'\"%@`\n\t") != std::string::npos) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.front() == '-' || s.front() == '?') return true;
  if (s.find_first_not_of("0123456789.+-eE") == std::string::npos) return true;  // looks numeric
  return false;
}

std::string Scalar(const nlohmann::json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    return NeedsQuotes(s) ? nlohmann::json(s).dump() : s;
  }
  return j.dump();
}

void YamlInto(const nlohmann::json& j, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (j.is_object()) {
    if (j.empty()) {
      out += "{}\n";
      return;
    }
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first || indent > 0) out += pad;
      first = false;
      out += (NeedsQuotes(it.key()) ? nlohmann::json(it.key()).dump() : it.key()) + ":";
      const auto& v = it.value();
      if ((v.is_object() || v.is_array()) && !v.empty()) {
        out += "\n";
        YamlInto(v, indent + 2, out);
      } else {
        out += " " + (v.is_object() ? std::string("{}") : v.is_array() ? std::string("[]") : Scalar(v)) + "\n";
      }
    }
  } else if (j.is_array()) {
    if (j.empty()) {
      out += "[]\n";
      return;
    }
    for (const auto& v : j) {
      out += pad + "-";
      if ((v.is_object() || v.is_array()) && !v.empty()) {
        out += "\n";
        YamlInto(v, indent + 2, out);
      } else {
        out += " " + (v.is_object() ? std::string("{}") : v.is_array() ? std::string("[]") : Scalar(v)) + "\n";
      }
    }
  } else {
    out += pad + Scalar(j) + "\n";
  }
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(const std::string& text) {
  if (text == "table" || text == "text") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return Error::Invalid("unknown --format '" + text + "' (expected table, json or yaml)");
}

std::string ToYaml(const nlohmann::json& j) {
  std::string out;
  YamlInto(j, 0, out);
  return out;
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

void Emit(OutputFormat format, const nlohmann::json& data, const std::string& human) {
  std::string text;
  switch (format) {
    case OutputFormat::kJson: text = data.dump(2) + "\n"; break;
    case OutputFormat::kYaml: text = ToYaml(data); break;
    case OutputFormat::kTable: text = human; break;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace rampart::cli
