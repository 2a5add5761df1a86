// Golden files for generated text (tests/fixtures/...): the text must equal
// the file; with RAMPART_UPDATE_GOLDEN=1 the file is rewritten instead and
// the test says so (skipped, with the path).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace rampart::testing_support {

// Use as: EXPECT_GOLDEN(text, path) inside a TEST body.
inline ::testing::AssertionResult MatchesGolden(const std::string& text, const std::string& path, bool* rewrote) {
  const char* update = std::getenv("RAMPART_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return ::testing::AssertionFailure() << "cannot write " << path;
    out << text;
    *rewrote = true;
    return ::testing::AssertionSuccess();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ::testing::AssertionFailure() << "missing golden " << path << " (RAMPART_UPDATE_GOLDEN=1 writes it)";
  std::stringstream want;
  want << in.rdbuf();
  if (want.str() == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "golden " << path
                                       << " differs (rerun with RAMPART_UPDATE_GOLDEN=1 if the change is intended)\n"
                                       << "--- generated ---\n"
                                       << text;
}

#define EXPECT_GOLDEN(text, path)                                                   \
  do {                                                                              \
    bool rampart_rewrote_golden = false;                                            \
    EXPECT_TRUE(::rampart::testing_support::MatchesGolden((text), (path), &rampart_rewrote_golden)); \
    if (rampart_rewrote_golden) GTEST_SKIP() << "golden rewritten: " << (path);     \
  } while (0)

}  // namespace rampart::testing_support
