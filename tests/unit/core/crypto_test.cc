#include "broker/core/crypto.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega, test case
// 16: AES-256, 96-bit IV, 60 bytes of plaintext, 20 of associated data.
TEST(Aes256GcmTest, MatchesThePublishedTestCase) {
  const std::string key = Unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string iv = Unhex("cafebabefacedbaddecaf888");
  const std::string plaintext = Unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const std::string aad = Unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string sealed = Aes256GcmSeal(key, iv, aad, plaintext);
  EXPECT_EQ(Hex(sealed),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            "76fc6ece0f4e1768cddf8853bb2d551b");
  std::string opened;
  ASSERT_TRUE(Aes256GcmOpen(key, iv, aad, sealed, opened));
  EXPECT_EQ(opened, plaintext);
}

TEST(Aes256GcmTest, AnyChangedByteKeyNonceOrAadDoesNotOpen) {
  const std::string key(32, 'k'), nonce(12, 'n');
  const std::string sealed = Aes256GcmSeal(key, nonce, "name", "secret value");
  std::string out = "left over";
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 1);
    EXPECT_FALSE(Aes256GcmOpen(key, nonce, "name", altered, out)) << "byte " << i;
    EXPECT_TRUE(out.empty());
  }
  EXPECT_FALSE(Aes256GcmOpen(std::string(32, 'K'), nonce, "name", sealed, out));
  EXPECT_FALSE(Aes256GcmOpen(key, std::string(12, 'N'), "name", sealed, out));
  EXPECT_FALSE(Aes256GcmOpen(key, nonce, "other", sealed, out));
  EXPECT_FALSE(Aes256GcmOpen(key, nonce, "name", sealed.substr(0, 15), out));  // shorter than a tag
  ASSERT_TRUE(Aes256GcmOpen(key, nonce, "name", sealed, out));
  EXPECT_EQ(out, "secret value");
  // The empty plaintext seals to a tag alone, and opens.
  const std::string empty = Aes256GcmSeal(key, nonce, "", "");
  EXPECT_EQ(empty.size(), 16u);
  EXPECT_TRUE(Aes256GcmOpen(key, nonce, "", empty, out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace icb
