// base/temp_dir.h for a test: a failure to make the directory is a test
// failure, and Write puts a file in it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/temp_dir.h"

namespace rampart::testing_util {

class TempDir : public ::rampart::TempDir {
 public:
  explicit TempDir(std::string_view prefix = "rampart-test-") : ::rampart::TempDir(prefix) {
    EXPECT_FALSE(path().empty()) << "mkdtemp " << prefix << "XXXXXX failed";
  }
  // Writes `text` to path()/name (directories made as needed); returns the path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path() + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file) << text;
    return file;
  }
};

}  // namespace rampart::testing_util
