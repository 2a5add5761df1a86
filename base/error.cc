#include <cstring>

#include "base/result.h"

namespace rampart {

Error Error::FromErrno(int err, const std::string& what) {
  std::string text = std::strerror(err);
  // Messages are lowercase (CONVENTIONS.md): "Permission denied" → "permission denied".
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' && (text.size() < 2 || !(text[1] >= 'A' && text[1] <= 'Z')))
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return Error(ErrorKind::kSystem, what + ": " + text, err);
}

}  // namespace rampart
