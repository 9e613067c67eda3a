// One suite every ObjectStore passes: the in-memory fake in the unit tests,
// the S3 adapter against s3rver (and the Azure adapter against Azurite) in the
// integration tests. A factory type provides Make() -> unique_ptr<ObjectStore>
// (an empty, fresh container) and kLarge, a size above its multipart threshold.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "broker/ports/object_store.h"
#include "tests/support/objects.h"

namespace icb {

template <typename Factory>
class ObjectStoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Make();
    ASSERT_TRUE(store_);
    Status first = store_->EnsureContainer();
    ASSERT_TRUE(first.ok()) << first.ToString();
    Status again = store_->EnsureContainer();
    ASSERT_TRUE(again.ok()) << again.ToString();  // twice is fine
  }
  Factory factory_;
  std::unique_ptr<ObjectStore> store_;
};

TYPED_TEST_SUITE_P(ObjectStoreConformance);

TYPED_TEST_P(ObjectStoreConformance, PutGetHeadDeleteRoundTrip) {
  ObjectStore& s = *this->store_;
  std::string data = RandomBytes(100'000, 1);
  ASSERT_TRUE(PutString(s, "dir/object.bin", data).ok());
  auto head = s.Head("dir/object.bin");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_FALSE(head->etag.empty());
  EXPECT_EQ(*ReadAll(s, "dir/object.bin"), data);
  ASSERT_TRUE(PutString(s, "dir/object.bin", "replaced").ok());
  EXPECT_EQ(*ReadAll(s, "dir/object.bin"), "replaced");
  ASSERT_TRUE(s.Delete("dir/object.bin").ok());
  EXPECT_EQ(s.Head("dir/object.bin").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadAll(s, "dir/object.bin").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.Delete("dir/object.bin").ok());  // already gone: fine
}

TYPED_TEST_P(ObjectStoreConformance, AwkwardKeysAndEmptyObjects) {
  ObjectStore& s = *this->store_;
  for (std::string key : {"with space.txt", "plus+sign", "unicode/한글 파일.txt", "a&b=c?d#e", "tilde~and%percent", "empty"}) {
    std::string data = key == "empty" ? "" : "content of " + key;
    ASSERT_TRUE(PutString(s, key, data).ok()) << key;
    auto back = ReadAll(s, key);
    ASSERT_TRUE(back.ok()) << key << ": " << back.status().ToString();
    EXPECT_EQ(*back, data) << key;
    EXPECT_EQ(s.Head(key)->size, data.size()) << key;
  }
  auto all = ListAll(s, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> keys;
  for (const auto& o : *all) keys.push_back(o.key);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "unicode/한글 파일.txt"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "plus+sign"), keys.end());
  EXPECT_EQ(keys.size(), 6u);
}

TYPED_TEST_P(ObjectStoreConformance, ListPagesThroughPrefix) {
  ObjectStore& s = *this->store_;
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(PutString(s, "p/" + std::to_string(i), std::string(static_cast<size_t>(i), 'x')).ok());
  ASSERT_TRUE(PutString(s, "q/other", "y").ok());
  auto first = s.List("p/", "", 3);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->objects.size(), 3u);
  EXPECT_FALSE(first->next_token.empty());
  auto all = ListAll(s, "p/", 3);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ((*all)[static_cast<size_t>(i)].key, "p/" + std::to_string(i));
    EXPECT_EQ((*all)[static_cast<size_t>(i)].size, static_cast<uint64_t>(i));
  }
}

TYPED_TEST_P(ObjectStoreConformance, LargeObjectsStreamInParts) {
  ObjectStore& s = *this->store_;
  std::string data = RandomBytes(TypeParam::kLarge, 7);
  ASSERT_TRUE(PutString(s, "big/object", data).ok());
  EXPECT_EQ(s.Head("big/object")->size, data.size());
  size_t chunks = 0;
  auto back = ReadAll(s, "big/object", &chunks);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == data);
  EXPECT_GT(chunks, 1u);  // delivered in pieces, not as one buffer
}

TYPED_TEST_P(ObjectStoreConformance, ShortSourceStoresNothing) {
  ObjectStore& s = *this->store_;
  StringSource source("only this");
  EXPECT_FALSE(s.Put("short", source, 1000).ok());
  EXPECT_EQ(s.Head("short").status().code(), StatusCode::kNotFound);
}

REGISTER_TYPED_TEST_SUITE_P(ObjectStoreConformance, PutGetHeadDeleteRoundTrip, AwkwardKeysAndEmptyObjects, ListPagesThroughPrefix,
                            LargeObjectsStreamInParts, ShortSourceStoresNothing);

}  // namespace icb
