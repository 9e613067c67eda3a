#include "broker/auth/secret_box.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace icb {
namespace {

const std::string kHex1 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kHex2 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

SecretKeyRing Ring(const std::string& text) {
  auto ring = SecretKeyRing::FromText(text);
  EXPECT_TRUE(ring.ok()) << ring.status().ToString();
  return *ring;
}

TEST(SecretKeyRingTest, SealsWithTheFirstKeyAndOpensOnlyForTheSameName) {
  SecretKeyRing ring = Ring("# the broker's keys\n\nk1 " + kHex1 + "\n");
  const std::string a = ring.Seal("lab-s3", "{\"secret_key\":\"abc\"}");
  const std::string b = ring.Seal("lab-s3", "{\"secret_key\":\"abc\"}");
  EXPECT_TRUE(a.starts_with("icbseal1.k1.")) << a;
  EXPECT_NE(a, b);  // a fresh nonce each time
  EXPECT_EQ(a.find("abc"), std::string::npos);
  EXPECT_EQ(*ring.Open("lab-s3", a), "{\"secret_key\":\"abc\"}");
  EXPECT_EQ(*ring.Open("lab-s3", b), "{\"secret_key\":\"abc\"}");
  // Copied under another name: does not open.
  auto moved = ring.Open("lab-azure", a);
  EXPECT_EQ(moved.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SecretKeyRing::KeyIdOf(a), "k1");
}

TEST(SecretKeyRingTest, RotationOpensWithTheOldKeyAndSealsWithTheNew) {
  const std::string old_sealed = Ring("k1 " + kHex1).Seal("n", "v");
  SecretKeyRing both = Ring("k2 " + kHex2 + "\nk1 " + kHex1 + "\n");
  EXPECT_EQ(both.current_id(), "k2");
  EXPECT_EQ(both.ids(), (std::vector<std::string>{"k2", "k1"}));
  EXPECT_EQ(*both.Open("n", old_sealed), "v");
  const std::string resealed = both.Seal("n", *both.Open("n", old_sealed));
  EXPECT_EQ(SecretKeyRing::KeyIdOf(resealed), "k2");
  // The old key dropped: the resealed value opens, the old one names its key.
  SecretKeyRing only_new = Ring("k2 " + kHex2);
  EXPECT_EQ(*only_new.Open("n", resealed), "v");
  auto lost = only_new.Open("n", old_sealed);
  EXPECT_EQ(lost.status().code(), StatusCode::kNotFound);
  EXPECT_NE(lost.status().message().find("key k1"), std::string::npos) << lost.status().message();
  // Another key under the same id: does not open (the tag), not a crash.
  auto other = Ring("k1 " + kHex2).Open("n", old_sealed);
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
}

TEST(SecretKeyRingTest, WhatIsNotASealedValueIsRefused) {
  SecretKeyRing ring = Ring("k1 " + kHex1);
  const std::string good = ring.Seal("n", "v");
  for (const std::string& bad : {std::string(), std::string("v"), std::string("icbseal1."), std::string("icbseal1.k1."),
                                 std::string("icbseal1.K1.AAAA"), std::string("icbseal1.k1.!!!!"), std::string("icbseal1.k1.AAAA"),
                                 good.substr(0, good.size() - 4), std::string("icbseal1.k1.") + std::string(SecretKeyRing::kMaxSealedBytes, 'A')}) {
    auto r = ring.Open("n", bad);
    EXPECT_FALSE(r.ok()) << bad.substr(0, 40);
  }
}

TEST(SecretKeyRingTest, KeyFilesAreCheckedAndNoErrorShowsAKey) {
  struct Case {
    std::string text, says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "no key"},
           {"# only a comment\n", "no key"},
           {kHex1, "expected \"ID HEX\""},
           {"K1 " + kHex1, "key id"},
           {"k1 " + kHex1.substr(0, 62), "64 hex digits"},
           {"k1 " + kHex1.substr(0, 62) + "zz", "64 hex digits"},
           {"k1 " + kHex1 + "\nk1 " + kHex2, "given twice"},
           {std::string(5000, '#'), "more than 4096 bytes"},
       }) {
    auto r = SecretKeyRing::FromText(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find(kHex1.substr(0, 16)), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find(kHex2.substr(0, 16)), std::string::npos) << r.status().message();
  }
  std::string many;
  for (int i = 0; i < 17; ++i) many += "k" + std::to_string(i) + " " + kHex1 + "\n";
  EXPECT_NE(SecretKeyRing::FromText(many).status().message().find("more than 16 keys"), std::string::npos);
}

TEST(SecretKeyRingTest, AKeyFileOthersMayReadIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/secrets.key";
  std::ofstream(path) << "k1 " << kHex1 << "\n";
  chmod(path.c_str(), 0640);
  auto open = SecretKeyRing::LoadFile(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos) << open.status().message();
  chmod(path.c_str(), 0600);
  auto ring = SecretKeyRing::LoadFile(path);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ(ring->current_id(), "k1");
  EXPECT_EQ(SecretKeyRing::LoadFile(dir.path() + "/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SecretKeyRing::LoadFile(dir.path()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace icb
