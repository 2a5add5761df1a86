// A private directory (mkdtemp under $TMPDIR, else /tmp) removed with
// everything in it when the object goes away. path() is empty when it
// could not be made (errno is left as mkdtemp set it).
#pragma once

#include <string>
#include <string_view>

namespace rampart {

class TempDir {
 public:
  // The directory is named PREFIX followed by six random characters.
  explicit TempDir(std::string_view prefix = "rampart-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace rampart
