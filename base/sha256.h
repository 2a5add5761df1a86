// SHA-256 (FIPS 180-4), written for rampart: content digests for images,
// profiles and checkpoints.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rampart {

// Streaming hasher: Update() any number of times, then HexDigest() once.
// After HexDigest() the object is reset and can hash a new message.
class Sha256 {
 public:
  Sha256() { Reset(); }

  void Update(std::string_view data);
  // Lowercase hex digest (64 characters) of everything passed to Update().
  std::string HexDigest();

 private:
  void Reset();
  void Compress(const uint8_t* blocks, size_t count);

  std::array<uint32_t, 8> state_{};
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;  // bytes pending in buffer_
  uint64_t total_ = 0;   // message length in bytes
};

// One-shot: Sha256Hex("abc") == "ba7816bf...".
std::string Sha256Hex(std::string_view data);

namespace detail {
// The two block functions behind Sha256, for tests that compare them: the
// portable one, and the one using the x86 SHA extensions (SHA-NI), which
// Sha256 uses when the CPU has them. Each folds `count` 64-byte blocks into
// `state`.
void Sha256BlocksPortable(uint32_t state[8], const uint8_t* blocks, size_t count);
// False (and `state` untouched) if this CPU or build has no SHA-NI.
bool Sha256BlocksShaNi(uint32_t state[8], const uint8_t* blocks, size_t count);
}  // namespace detail

}  // namespace rampart
