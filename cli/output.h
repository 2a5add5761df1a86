// Output in the format the user asked for: table (human), json, yaml.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"

namespace rampart::cli {

enum class OutputFormat { kTable, kJson, kYaml };
Result<OutputFormat> ParseOutputFormat(const std::string& text);

std::string ToYaml(const nlohmann::json& j);
// Rows of cells, first row the header; columns padded.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);
// JSON/YAML render `data`; table renders `human` (already formatted text).
void Emit(OutputFormat format, const nlohmann::json& data, const std::string& human);

}  // namespace rampart::cli
