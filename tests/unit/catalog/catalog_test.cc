#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "broker/catalog/catalog.h"
#include "broker/catalog/loader.h"
#include "broker/core/time.h"
#include "tests/support/fakes/store_wrapper.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::ProviderDoc;
using testing::SlaDoc;

class CatalogTest : public ::testing::Test {
 protected:
  CatalogTest() : store_(NewMemoryStore()), catalog_(*store_, *SchemaSet::LoadEmbedded()) {}
  std::unique_ptr<Store> store_;
  Catalog catalog_;
};

TEST_F(CatalogTest, RefreshIntervalSkipsTheStoreButNeverHidesOwnWrites) {
  ManualClock clock(*ParseRfc3339("2026-11-23T00:00:00Z"));
  Catalog serving(*store_, *SchemaSet::LoadEmbedded(), {&clock, Millis(100), {}});
  ASSERT_TRUE(serving.PutProvider("mine", ProviderDoc("mine")).ok());
  EXPECT_EQ((*serving.Snapshot())->providers.size(), 1u);  // our own write: at once
  // Another replica (catalog_ on the same store) writes: seen after the interval.
  ASSERT_TRUE(catalog_.PutProvider("theirs", ProviderDoc("theirs")).ok());
  EXPECT_EQ((*serving.Snapshot())->providers.size(), 1u);
  clock.Advance(Millis(99));
  EXPECT_EQ((*serving.Snapshot())->providers.size(), 1u);
  clock.Advance(Millis(1));
  EXPECT_EQ((*serving.Snapshot())->providers.size(), 2u);
  // An SLA appended here is in the very next snapshot.
  ASSERT_TRUE(serving.AppendSla("mine", SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}})).ok());
  EXPECT_EQ((*serving.Snapshot())->providers[0].slas.size(), 1u);
}

// A reader that read the version counter before this Catalog's own write
// (a background task's snapshot racing an API write) must not mark the write
// as seen: the writer's next snapshot would otherwise be the old one for a
// whole refresh interval (a PUT answered 201, then a GET of it 404).
TEST_F(CatalogTest, AReaderThatReadTheCounterBeforeOurWriteDoesNotHideIt) {
  struct WriteDuringCounterRead : StoreWrapper {
    using StoreWrapper::StoreWrapper;
    std::function<void()> once;
    Result<long long> GetCounter(std::string_view k) override {
      auto v = StoreWrapper::GetCounter(k);
      if (auto f = std::exchange(once, nullptr)) f();
      return v;
    }
  } store(*store_);
  ManualClock clock(*ParseRfc3339("2026-11-23T00:00:00Z"));
  Catalog serving(store, *SchemaSet::LoadEmbedded(), {&clock, Millis(100), {}});
  ASSERT_TRUE(serving.PutProvider("first", ProviderDoc("first")).ok());
  ASSERT_EQ((*serving.Snapshot())->providers.size(), 1u);
  clock.Advance(Millis(100));  // the next reader reads the counter
  store.once = [&] { ASSERT_TRUE(serving.PutProvider("second", ProviderDoc("second")).ok()); };
  EXPECT_EQ((*serving.Snapshot())->providers.size(), 1u);  // the racing reader: the counter it read is older
  EXPECT_EQ((*serving.Snapshot())->providers.size(), 2u);  // the writer's own next read, within the interval
}

// Pages read an index of ids kept with the documents; documents a store
// held before the index existed are listed in it once at start.
TEST_F(CatalogTest, PagesReadTheIdIndexAndDocumentsStoredBeforeItAreIndexedOnce) {
  ASSERT_TRUE(catalog_.PutProvider("p2", ProviderDoc("p2")).ok());
  ASSERT_TRUE(catalog_.PutProvider("p1", ProviderDoc("p1")).ok());
  // As an older broker wrote them: in the collection, not in the index.
  WriteBatch older;
  older.HashSet(std::string(kProvidersKey), "p0", ProviderDoc("p0").dump()).HashSet(std::string(kProvidersKey), "p3", ProviderDoc("p3").dump());
  ASSERT_TRUE(store_->Apply(older).ok());
  auto ids = [&](std::string_view after, size_t limit) {
    auto page = catalog_.ListPage(Collection::kProviders, after, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    for (const auto& text : page->documents) out.push_back(json::parse(text)["id"]);
    return std::pair{out, page->next.value_or("<none>")};
  };
  using Page = std::pair<std::vector<std::string>, std::string>;
  EXPECT_EQ(ids("", 10), (Page{{"p1", "p2"}, "<none>"}));
  ASSERT_TRUE(catalog_.IndexStored().ok());
  EXPECT_EQ(ids("", 3), (Page{{"p0", "p1", "p2"}, "p2"}));
  EXPECT_EQ(ids("p2", 3), (Page{{"p3"}, "<none>"}));
  EXPECT_EQ(ids("p1", 2), (Page{{"p2", "p3"}, "<none>"}));  // exactly the rest: no next page
  // Once per store: a document written behind the index later stays out
  // of it (only an older broker would), the index is not rebuilt.
  WriteBatch later;
  later.HashSet(std::string(kProvidersKey), "p4", ProviderDoc("p4").dump());
  ASSERT_TRUE(store_->Apply(later).ok());
  ASSERT_TRUE(catalog_.IndexStored().ok());
  EXPECT_EQ(ids("p3", 3), (Page{{}, "<none>"}));
  // Deleted: out of the index with its document.
  ASSERT_TRUE(catalog_.Delete(Collection::kProviders, "p1").ok());
  EXPECT_EQ(ids("", 10), (Page{{"p0", "p2", "p3"}, "<none>"}));
}

TEST_F(CatalogTest, PutProviderCreatesThenReplaces) {
  auto first = catalog_.PutProvider("p1", ProviderDoc("p1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  auto second = catalog_.PutProvider("p1", ProviderDoc("p1", "PaaS"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(json::parse(*catalog_.GetProvider("p1"))["service_model"], "PaaS");
}

TEST_F(CatalogTest, IdComesFromTheUrlWhenAbsentAndMustMatchWhenPresent) {
  json doc = ProviderDoc("p1");
  doc.erase("id");
  ASSERT_TRUE(catalog_.PutProvider("p1", doc).ok());
  EXPECT_EQ(json::parse(*catalog_.GetProvider("p1"))["id"], "p1");
  auto mismatch = catalog_.PutProvider("p2", ProviderDoc("p1"));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().errors().at(0).pointer, "/id");
  EXPECT_EQ(catalog_.GetProvider("p2").status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, InvalidDocumentWritesNothing) {
  long long before = *store_->GetCounter(kCatalogVersionKey);
  json doc = ProviderDoc("p1");
  doc["regions"][0]["country"] = "Korea";
  auto r = catalog_.PutProvider("p1", doc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().errors().at(0).pointer, "/regions/0/country");
  EXPECT_EQ(catalog_.GetProvider("p1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->GetCounter(kCatalogVersionKey), before);
}

TEST_F(CatalogTest, SlaVersionsAreAppendOnly) {
  ASSERT_TRUE(catalog_.PutProvider("p1", ProviderDoc("p1")).ok());
  ASSERT_TRUE(catalog_.AppendSla("p1", SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}})).ok());
  auto dup = catalog_.AppendSla("p1", SlaDoc("v1", "2026-06-01T00:00:00Z", {{"availability_percent", 99.0}}));
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  // The first version is untouched.
  EXPECT_EQ(json::parse(*catalog_.GetSla("p1", "v1"))["targets"]["availability_percent"], 99.9);
}

TEST_F(CatalogTest, SlaForUnknownProviderIs404AndWritesNothing) {
  auto r = catalog_.AppendSla("ghost", SlaDoc("v1", "2026-01-01T00:00:00Z", json::object()));
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->HashGetAll(SlaKey("ghost"))->empty());
}

TEST_F(CatalogTest, SlaInForceIsTheLatestEffectiveFromNotAfterT) {
  ASSERT_TRUE(catalog_.PutProvider("p1", ProviderDoc("p1")).ok());
  // Appended out of order on purpose.
  ASSERT_TRUE(catalog_.AppendSla("p1", SlaDoc("2027", "2027-01-01T00:00:00Z", json::object())).ok());
  ASSERT_TRUE(catalog_.AppendSla("p1", SlaDoc("2025", "2025-01-01T00:00:00Z", json::object())).ok());
  ASSERT_TRUE(catalog_.AppendSla("p1", SlaDoc("2026", "2026-01-01T00:00:00+09:00", json::object())).ok());
  auto version_at = [&](const char* t) -> std::string {
    auto doc = catalog_.SlaInForce("p1", *ParseRfc3339(t));
    return doc.ok() ? json::parse(*doc)["version"].get<std::string>() : "none";
  };
  EXPECT_EQ(version_at("2024-12-31T23:59:59Z"), "none");
  EXPECT_EQ(version_at("2025-01-01T00:00:00Z"), "2025");
  // 2026-01-01T00:00:00+09:00 is 2025-12-31T15:00:00Z.
  EXPECT_EQ(version_at("2025-12-31T14:59:59Z"), "2025");
  EXPECT_EQ(version_at("2025-12-31T15:00:00Z"), "2026");
  EXPECT_EQ(version_at("2030-01-01T00:00:00Z"), "2027");
  auto list = catalog_.ListSlas("p1");
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(json::parse((*list)[0])["version"], "2025");
  EXPECT_EQ(json::parse((*list)[2])["version"], "2027");
}

TEST_F(CatalogTest, SnapshotIsReusedUntilAWrite) {
  ASSERT_TRUE(catalog_.PutProvider("p1", ProviderDoc("p1")).ok());
  auto a = *catalog_.Snapshot();
  auto b = *catalog_.Snapshot();
  EXPECT_EQ(a.get(), b.get());
  ASSERT_TRUE(catalog_.PutProvider("p2", ProviderDoc("p2")).ok());
  auto c = *catalog_.Snapshot();
  EXPECT_NE(a.get(), c.get());
  ASSERT_EQ(c->providers.size(), 2u);
  EXPECT_EQ(c->providers[1].provider.id, "p2");
}

// A rebuild reads and parses only what changed since the last snapshot, also
// when another replica changed it. Proven by corrupting an untouched
// provider's stored text behind the catalog's back (no stamp): a rebuild that
// read it again would fail.
TEST_F(CatalogTest, RebuildReadsOnlyWhatChangedAndSeesEveryKindOfChange) {
  ManualClock clock(*ParseRfc3339("2026-11-23T00:00:00Z"));
  Catalog serving(*store_, *SchemaSet::LoadEmbedded(), {&clock, Millis(100), {}});
  for (const char* id : {"p1", "p2", "p3", "p4"}) ASSERT_TRUE(catalog_.PutProvider(id, ProviderDoc(id)).ok());
  ASSERT_TRUE(catalog_.PutProfile("web", {{"weights", {{"availability", 1}}}}).ok());
  ASSERT_TRUE(catalog_.PutProfile("batch", {{"weights", {{"availability", 3}}}}).ok());
  auto before = *serving.Snapshot();
  ASSERT_EQ(before->providers.size(), 4u);

  WriteBatch corrupt;
  corrupt.HashSet(std::string(kProvidersKey), "p4", "{not json").HashSet(std::string(kProfilesKey), "batch", "{not json");
  ASSERT_TRUE(store_->Apply(corrupt).ok());
  ASSERT_TRUE(catalog_.PutProvider("p1", ProviderDoc("p1", "PaaS")).ok());
  ASSERT_TRUE(catalog_.AppendSla("p2", SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}})).ok());
  ASSERT_TRUE(catalog_.Delete(Collection::kProviders, "p3").ok());
  ASSERT_TRUE(catalog_.PutProvider("p5", ProviderDoc("p5")).ok());
  ASSERT_TRUE(catalog_.PutProfile("web", {{"weights", {{"availability", 2}}}}).ok());
  clock.Advance(Millis(100));

  auto after = serving.Snapshot();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  std::vector<std::string> ids;
  for (const auto& e : (*after)->providers) ids.push_back(e.provider.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"p1", "p2", "p4", "p5"}));
  EXPECT_EQ((*after)->FindProvider("p1")->provider.service_model, ServiceModel::kPaaS);
  EXPECT_EQ((*after)->FindProvider("p2")->slas.size(), 1u);
  EXPECT_EQ((*after)->FindProvider("p4")->provider.name, before->FindProvider("p4")->provider.name);  // kept, not read
  ASSERT_NE((*after)->FindProfile("web"), nullptr);
  EXPECT_NE((*after)->FindProfile("web")->weights, before->FindProfile("web")->weights);
  EXPECT_NE((*after)->FindProfile("batch"), nullptr);

  // A new catalog (a restart) reads everything and finds the corruption.
  Catalog restarted(*store_, *SchemaSet::LoadEmbedded());
  EXPECT_EQ(restarted.Snapshot().status().code(), StatusCode::kInternal);
}

TEST_F(CatalogTest, DemoCatalogLoadsAndIsIdempotent) {
  auto first = LoadCatalogFiles(catalog_, DemoCatalogFiles(), LoadMode::kKeepExisting);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GE(first->providers, 8);
  EXPECT_GE(first->profiles, 2);
  auto again = LoadCatalogFiles(catalog_, DemoCatalogFiles(), LoadMode::kKeepExisting);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->providers + again->slas + again->profiles, 0);
  EXPECT_EQ(again->skipped, first->providers + first->slas + first->profiles);
}

TEST_F(CatalogTest, LoaderValidatesEveryFileBeforeWriting) {
  std::vector<CatalogFile> files = {{"providers/good.json", ProviderDoc("good").dump()},
                                    {"providers/bad.json", R"({"id":"bad"})"}};
  auto r = LoadCatalogFiles(catalog_, files, LoadMode::kStrict);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("providers/bad.json"), std::string::npos);
  EXPECT_EQ(catalog_.GetProvider("good").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace icb
