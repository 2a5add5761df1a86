// SARIF 2.1.0 output of the audit (OASIS sarif-schema-2.1.0.json): one run,
// the rule table in tool.driver.rules, one result per finding.
#include <cstdio>

#include "security/audit.h"

namespace rampart::security {
namespace {

constexpr const char* kSarifSchema =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

// SARIF levels: error | warning | note | none.
std::string Level(Severity s) {
  switch (s) {
    case Severity::kHigh:
      return "error";
    case Severity::kMedium:
      return "warning";
    case Severity::kLow:
      return "note";
    case Severity::kInfo:
      return "note";
  }
  return "warning";
}

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '/';
}

std::string PercentEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(static_cast<char>(c))) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string SarifUri(const std::string& file) {
  constexpr std::string_view kShipped = "<shipped>/";
  if (file.starts_with(kShipped)) return "policies/" + PercentEncode(file.substr(kShipped.size()));
  if (file.starts_with("/")) return "file://" + PercentEncode(file);
  return PercentEncode(file);
}

nlohmann::json SarifLog(const std::vector<Finding>& findings, const std::string& tool_version) {
  const auto& rules = AuditRules();
  nlohmann::json rule_array = nlohmann::json::array();
  for (const auto& r : rules) {
    rule_array.push_back({{"id", r.id},
                          {"name", r.title},
                          {"shortDescription", {{"text", r.title}}},
                          {"fullDescription", {{"text", r.rationale}}},
                          {"help", {{"text", r.rationale + " (see docs/audit.md, " + r.id + ")"}}},
                          {"defaultConfiguration", {{"level", Level(r.severity)}}},
                          {"properties", {{"severity", SeverityName(r.severity)}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : findings) {
    nlohmann::json result = {
        {"ruleId", f.id},
        {"level", Level(f.severity)},
        {"kind", "fail"},
        {"message", {{"text", f.message}}},
        {"properties", {{"severity", SeverityName(f.severity)}, {"rationale", f.rationale}}}};
    for (size_t i = 0; i < rules.size(); ++i)
      if (rules[i].id == f.id) result["ruleIndex"] = i;
    if (!f.pos.file.empty()) {
      nlohmann::json physical = {{"artifactLocation", {{"uri", SarifUri(f.pos.file)}}}};
      if (f.pos.line >= 1) {
        physical["region"] = {{"startLine", f.pos.line}};
        if (f.pos.column >= 1) physical["region"]["startColumn"] = f.pos.column;
      }
      result["locations"] = nlohmann::json::array({{{"physicalLocation", physical}}});
    }
    results.push_back(std::move(result));
  }
  nlohmann::json driver = {
      {"name", "rampart-audit"}, {"version", tool_version}, {"rules", rule_array}};
  nlohmann::json run = {{"tool", {{"driver", driver}}},
                        {"invocations", nlohmann::json::array({{{"executionSuccessful", true}}})},
                        {"results", results}};
  return {{"$schema", kSarifSchema}, {"version", "2.1.0"}, {"runs", nlohmann::json::array({run})}};
}

}  // namespace rampart::security
