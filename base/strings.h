// Small string helpers: split, join, trim and strict integer parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rampart {

// Splits on every occurrence of `sep`; empty fields are kept, so
// Split("a,,b", ',') is {"a", "", "b"} and Split("", ',') is {""}.
std::vector<std::string> Split(std::string_view text, char sep);

// Joins `parts` with `sep` between each pair.
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// Strips ASCII whitespace (space, \t, \n, \v, \f, \r) from both ends.
std::string_view Trim(std::string_view text);

// The first line of `text`, trimmed, for error messages ("" for none).
std::string FirstLine(std::string_view text);

// Parses a whole string as an unsigned 64-bit integer: decimal ("42") or
// hexadecimal with a 0x/0X prefix ("0x2a"). Rejects empty input, signs,
// whitespace, trailing garbage and values above UINT64_MAX (kInvalid).
Result<uint64_t> ParseUint64(std::string_view text);

}  // namespace rampart
