#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>

#include "base/sha256.h"
#include "base/spawn.h"
#include "base/strings.h"

namespace rampart {
namespace {

// NIST FIPS 180-4 example vectors (and the long-message vector from the
// NIST CSRC examples page).
TEST(BaseSha256Test, EmptyString) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(BaseSha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BaseSha256Test, TwoBlock448Bits) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(BaseSha256Test, Message896Bits) {
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(BaseSha256Test, OneMillionA) {
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')), expected);
  // The same message streamed in uneven pieces.
  Sha256 hasher;
  size_t done = 0;
  for (size_t piece = 1; done < 1000000; piece = piece * 7 % 1000 + 1) {
    size_t n = std::min(piece, 1000000 - done);
    hasher.Update(std::string(n, 'a'));
    done += n;
  }
  EXPECT_EQ(hasher.HexDigest(), expected);
}

TEST(BaseSha256Test, StreamingMatchesOneShotAtEverySplit) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg.push_back(static_cast<char>(i * 37 + 11));
  const std::string expected = Sha256Hex(msg);
  for (size_t split = 0; split <= msg.size(); ++split) {
    Sha256 hasher;
    hasher.Update(std::string_view(msg).substr(0, split));
    hasher.Update(std::string_view(msg).substr(split));
    ASSERT_EQ(hasher.HexDigest(), expected) << "split at " << split;
  }
}

TEST(BaseSha256Test, HexDigestResets) {
  Sha256 hasher;
  hasher.Update("abc");
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex("abc"));
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex(""));
  hasher.Update("a");
  hasher.Update("bc");
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex("abc"));
}

// Padding boundaries (55, 56, 63, 64, 119, 120 bytes...) cross-checked
// against coreutils, with every byte value represented.
TEST(BaseSha256Test, MatchesSha256sumAroundBlockBoundaries) {
  if (::access("/usr/bin/sha256sum", X_OK) != 0) {
    const char* must_run = std::getenv("RAMPART_TESTS_MUST_RUN");
    if (must_run != nullptr && std::string(must_run) == "1") {
      FAIL() << "needs /usr/bin/sha256sum (coreutils); RAMPART_TESTS_MUST_RUN=1 forbids skipping";
    }
    GTEST_SKIP() << "needs /usr/bin/sha256sum (coreutils) for the cross-check";
  }
  std::string msg;
  for (int len = 0; len <= 130; ++len) {
    Result<CommandOutput> run = RunCommand({"/usr/bin/sha256sum"}, msg);
    ASSERT_TRUE(run.has_value()) << run.error().message();
    ASSERT_EQ(ExitCodeFromWaitStatus(run->status), 0);
    std::vector<std::string> words = Split(run->out, ' ');
    ASSERT_FALSE(words.empty());
    EXPECT_EQ(Sha256Hex(msg), words[0]) << "length " << len;
    msg.push_back(static_cast<char>((len * 73 + 5) & 0xff));
  }
}

// Sha256 uses the SHA extensions when the CPU has them (the tests above
// then check that path against the NIST vectors); here both block
// functions get the same random blocks and must agree, state for state.
TEST(BaseSha256Test, ShaNiBlocksMatchPortableBlocks) {
  std::string data(64 * 40, '\0');
  uint32_t seed = 12345;
  for (char& c : data) {
    seed = seed * 1103515245 + 12345;
    c = static_cast<char>(seed >> 16);
  }
  const auto* blocks = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t count : {1, 2, 3, 7, 40}) {
    uint32_t portable[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint32_t hardware[8];
    std::copy(std::begin(portable), std::end(portable), hardware);
    detail::Sha256BlocksPortable(portable, blocks, count);
    if (!detail::Sha256BlocksShaNi(hardware, blocks, count)) {
      GTEST_SKIP() << "this CPU has no SHA extensions (sha_ni): only the portable path runs here";
    }
    for (int i = 0; i < 8; ++i) EXPECT_EQ(hardware[i], portable[i]) << "word " << i << " after " << count << " blocks";
  }
}

}  // namespace
}  // namespace rampart
