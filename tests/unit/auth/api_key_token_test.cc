#include "broker/auth/api_key_token.h"

#include <gtest/gtest.h>

#include <set>

#include <regex>

namespace icb {
namespace {

TEST(ApiKeyTokenTest, AFreshTokenHasThePrefixItsIdAndAValidCheck) {
  const std::string id = NewApiKeyId();
  ASSERT_TRUE(IsApiKeyId(id)) << id;
  const std::string token = NewApiKeyToken(id);
  EXPECT_EQ(token.size(), kApiKeyChars);
  // What a secret scanner would look for.
  EXPECT_TRUE(std::regex_match(token, std::regex("icb_[a-z0-9]{12}_[A-Za-z0-9]{38}"))) << token;
  auto parsed = ApiKeyIdOf(token);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, id);
}

TEST(ApiKeyTokenTest, IdsAndSecretsDoNotRepeat) {
  std::set<std::string> ids, tokens;
  for (int i = 0; i < 1000; ++i) {
    ids.insert(NewApiKeyId());
    tokens.insert(NewApiKeyToken("abcdefghijkl").substr(17, kApiKeySecretChars));
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(tokens.size(), 1000u);
}

TEST(ApiKeyTokenTest, EveryOneCharacterChangeIsRefusedByTheCheck) {
  const std::string token = NewApiKeyToken(NewApiKeyId());
  int refused = 0, tried = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'a' ? 'b' : 'a';
    ++tried;
    refused += ApiKeyIdOf(bad).ok() ? 0 : 1;
  }
  EXPECT_EQ(refused, tried);
}

TEST(ApiKeyTokenTest, MalformedTextIsRefusedWithoutEchoingIt) {
  const std::string token = NewApiKeyToken(NewApiKeyId());
  for (const std::string& bad : {std::string(), std::string("icb_"), token.substr(1), token + "x", "xyz" + token.substr(3),
                                 token.substr(0, 16) + "-" + token.substr(17), std::string(kApiKeyChars, '\0'),
                                 "icb_ABCDEFGHIJKL_" + token.substr(17)}) {
    auto r = ApiKeyIdOf(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace icb
