// The shared parsed workloads: read again only when the collection's
// version moves, and then only changed documents are parsed again.
#include "broker/orchestrator/state/workload_cache.h"

#include <gtest/gtest.h>

#include "tests/support/fakes/store_wrapper.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using testing::WorkloadDoc;

// Counts the reads of whole collections, and can be taken away.
class ListCounting final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  int lists = 0;
  bool away = false;
  Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view k) override {
    ++lists;
    return StoreWrapper::HashGetAll(k);
  }
  Result<std::vector<std::string>> HashKeys(std::string_view k) override {
    ++lists;
    return StoreWrapper::HashKeys(k);
  }
  Result<long long> GetCounter(std::string_view k) override {
    if (away) return Status(StatusCode::kUnavailable, "store away");
    return StoreWrapper::GetCounter(k);
  }
};

class WorkloadCacheTest : public testing::OrchestrationTest {
 protected:
  WorkloadCacheTest() : counting_(*store_), reading_(counting_, *SchemaSet::LoadEmbedded()), cache_(reading_) {}
  ListCounting counting_;
  Catalog reading_;  // the catalog the cache reads through
  WorkloadCache cache_;
};

TEST_F(WorkloadCacheTest, UnchangedIsOneCounterReadAndOnlyAChangedDocumentIsParsedAgain) {
  for (const char* id : {"shop", "blog", "mail"}) Put(WorkloadDoc(id));
  auto first = cache_.Read();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ((*first)->all.size(), 3u);
  EXPECT_EQ((*first)->all[0].workload->id, "blog");  // ascending id
  EXPECT_EQ((*first)->all[2].workload->id, "shop");
  EXPECT_EQ((*first)->all[0].digest.size(), 16u);
  const int lists = counting_.lists;
  EXPECT_EQ(*cache_.Read(), *first);  // the same set, not read again
  EXPECT_EQ(counting_.lists, lists);

  auto doc = WorkloadDoc("shop");
  doc["instances"] = 6;
  Put(doc);
  auto second = cache_.Read();
  ASSERT_TRUE(second.ok());
  EXPECT_GT(counting_.lists, lists);
  EXPECT_NE(*second, *first);
  EXPECT_EQ((*second)->all[0].workload, (*first)->all[0].workload);  // blog: the same parsed copy
  EXPECT_EQ((*second)->all[1].workload, (*first)->all[1].workload);  // mail
  EXPECT_NE((*second)->all[2].workload, (*first)->all[2].workload);  // shop: parsed again
  EXPECT_EQ((*second)->all[2].workload->instances, 6);
  EXPECT_NE((*second)->all[2].digest, (*first)->all[2].digest);
  EXPECT_EQ((*first)->all[2].workload->instances, 4);  // a reader's set stays as it was given

  ASSERT_TRUE(workloads_.Delete("blog").ok());
  auto third = cache_.Read();
  ASSERT_TRUE(third.ok());
  ASSERT_EQ((*third)->all.size(), 2u);
  EXPECT_EQ((*third)->all[0].workload->id, "mail");
}

TEST_F(WorkloadCacheTest, AStoreAwayIsAnErrorAndTheNextReadRecovers) {
  Put(WorkloadDoc("shop"));
  counting_.away = true;
  EXPECT_EQ(cache_.Read().status().code(), StatusCode::kUnavailable);
  counting_.away = false;
  auto set = cache_.Read();
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->all.size(), 1u);
}

}  // namespace
}  // namespace icb
