// The audit trail as an indexed log: filtered pages by cursor that read
// only their index, a jump to a time, retention, a bounded scan per page,
// and a trail kept before the log moved into it once.
#include "broker/orchestrator/engine/audit.h"

#include <gtest/gtest.h>

#include <map>

#include "broker/core/time.h"
#include "tests/support/fakes/store_wrapper.h"

namespace icb {
namespace {

const TimePoint kT0 = *ParseRfc3339("2026-12-01T00:00:00Z");

AuditEvent Event(int i, const std::string& workload, const std::string& kind = "step_started") {
  return MakeEvent("e" + std::to_string(i), kind, kT0 + std::chrono::seconds(i), {workload, "op-" + workload, "sim-a"},
                   "event " + std::to_string(i));
}

// Every event a filter pages to, following `next`.
std::vector<std::string> PageAll(AuditLog& log, AuditFilter f, int* pages = nullptr) {
  std::vector<std::string> ids;
  for (int n = 1; n < 10'000; ++n) {
    auto page = log.Query(f);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    EXPECT_LE(page->events.size(), f.limit);
    for (const auto& e : page->events) ids.push_back(e.id);
    if (pages) *pages = n;
    if (!page->next) break;
    f.after = *page->next;
  }
  return ids;
}

TEST(AuditLog, FilteredPagesByCursorInTheOrderRecordedAndOncePerId) {
  auto store = NewMemoryStore();
  AuditLog log(*store);
  std::vector<AuditEvent> events;
  for (int i = 0; i < 30; ++i) events.push_back(Event(i, i % 3 == 0 ? "shop" : "blog", i % 10 == 0 ? "decision" : "step_started"));
  ASSERT_TRUE(log.Record(events, nullptr).ok());
  ASSERT_TRUE(log.Record({events[4], events[5]}, nullptr).ok());  // a retried write: nothing twice
  AuditFilter all;
  all.limit = 7;
  int pages = 0;
  auto ids = PageAll(log, all, &pages);
  ASSERT_EQ(ids.size(), 30u);
  EXPECT_EQ(pages, 5);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(ids[i], "e" + std::to_string(i));
  AuditFilter shop;
  shop.workload = "shop";
  shop.limit = 4;
  EXPECT_EQ(PageAll(log, shop), (std::vector<std::string>{"e0", "e3", "e6", "e9", "e12", "e15", "e18", "e21", "e24", "e27"}));
  AuditFilter decisions;
  decisions.kind = "decision";
  EXPECT_EQ(PageAll(log, decisions), (std::vector<std::string>{"e0", "e10", "e20"}));
  AuditFilter both;  // the operation's index, the kind filtered
  both.operation = "op-shop";
  both.kind = "decision";
  EXPECT_EQ(PageAll(log, both), (std::vector<std::string>{"e0"}));
  // From a time: the first page starts there, found without reading before it.
  AuditFilter late;
  late.from = kT0 + std::chrono::seconds(25);
  late.to = kT0 + std::chrono::seconds(28);
  EXPECT_EQ(PageAll(log, late), (std::vector<std::string>{"e25", "e26", "e27"}));
  late.from = kT0 + std::chrono::hours(1);
  EXPECT_TRUE(PageAll(log, late).empty());
  AuditFilter none;
  none.workload = "nobody";
  auto empty = log.Query(none);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->events.empty());
  EXPECT_FALSE(empty->next);
}

TEST(AuditLog, APageLooksAtABoundedNumberOfEventsAndSaysWhereToGoOn) {
  auto store = NewMemoryStore();
  AuditLog log(*store);
  std::vector<AuditEvent> events;
  const int n = static_cast<int>(AuditLog::kMostScanned) + 2'000;
  for (int i = 0; i < n; ++i) events.push_back(Event(i, "shop", i == n - 1 ? "decision" : "step_started"));
  ASSERT_TRUE(log.Record(events, nullptr).ok());
  AuditFilter f;
  f.workload = "shop";
  f.kind = "decision";
  auto first = log.Query(f);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->events.empty());
  ASSERT_TRUE(first->next.has_value());  // looked at 10,000 and stopped
  int pages = 0;
  EXPECT_EQ(PageAll(log, f, &pages), std::vector<std::string>{"e" + std::to_string(n - 1)});
  EXPECT_EQ(pages, 2);
}

// Counts what a page reads from the log, by index.
class LogReadCounter : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::vector<LogEntry>> LogRead(std::string_view l, std::string_view i, long long after, size_t n) override {
    ++reads[std::string(i)];
    auto out = StoreWrapper::LogRead(l, i, after, n);
    if (out.ok()) entries += out->size();
    return out;
  }
  std::map<std::string, int> reads;
  size_t entries = 0;
};

// A trail written before the (subject, kind) pair indexes: its events are
// listed under them once IndexPairs has run, a bounded number per call;
// pages filtered by a workload or provider and a kind then read only those.
TEST(AuditLog, EventsWrittenBeforeThePairIndexesAreListedUnderThemOnce) {
  auto memory = NewMemoryStore();
  LogReadCounter store(*memory);
  AuditLog log(store);
  // 2,500 events as an older broker wrote them: each field's index alone.
  AppendGroup old{"icb:audit:log:ids", "icb:audit:log", {}, true, {}};
  for (int i = 0; i < 2'500; ++i) {
    const std::string kind = i % 100 == 7 ? "decision" : "step_started";
    AuditEvent e = Event(i, i % 2 ? "shop" : "blog", kind);
    old.items.emplace_back(e.id, AuditEventToJson(e).dump());
    old.indexes.push_back({"k:" + kind, "w:" + e.workload, "o:" + e.operation, "p:" + e.provider});
    old.times.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(e.at.time_since_epoch()).count());
  }
  ASSERT_EQ(*store.AppendUnique({old}, {}), 2'500);
  ASSERT_TRUE(log.Record({Event(3'000, "shop", "decision")}, nullptr).ok());  // this broker's: listed already
  std::vector<std::string> expected;
  for (int i = 7; i < 2'500; i += 100)
    if (i % 2) expected.push_back("e" + std::to_string(i));
  expected.push_back("e3000");
  AuditFilter f;
  f.workload = "shop";
  f.kind = "decision";
  f.limit = 5;
  // Before: the workload's index, the kind checked.
  EXPECT_EQ(PageAll(log, f), expected);
  EXPECT_GT(store.reads["w:shop"], 0);
  EXPECT_EQ(store.reads.count("wk:shop:decision"), 0u);
  int calls = 0;
  for (;;) {
    auto step = log.IndexPairs(1'000);
    ASSERT_TRUE(step.ok()) << step.status().ToString();
    ++calls;
    EXPECT_LE(step->events, 1'000u);
    if (step->done) break;
    ASSERT_LT(calls, 10);
  }
  EXPECT_EQ(calls, 3);  // 1,000 + 1,000 + 501
  auto again = log.IndexPairs(1'000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->done);
  EXPECT_EQ(again->events, 0u);
  // After: only the pair's index, and only the events returned.
  store.reads.clear();
  store.entries = 0;
  EXPECT_EQ(PageAll(log, f), expected);
  EXPECT_EQ(store.reads.size(), 1u);
  EXPECT_GT(store.reads["wk:shop:decision"], 0);
  EXPECT_EQ(store.entries, expected.size());
  AuditFilter by_provider;
  by_provider.provider = "sim-a";
  by_provider.kind = "decision";
  by_provider.limit = 1000;
  EXPECT_EQ(PageAll(log, by_provider).size(), 26u);  // 25 old and e3000
  // Retention takes them out of the pair indexes too.
  ASSERT_EQ(*log.Trim(kT0 + std::chrono::seconds(2'000)), 2'000u);
  EXPECT_EQ(PageAll(log, f).size(), 1u + 5u);  // e2007, e2107, ... e2407 are odd: 5, and e3000
}

TEST(AuditLog, RetentionForgetsWhatIsOlderAndTheIndexesWithIt) {
  auto store = NewMemoryStore();
  AuditLog log(*store);
  std::vector<AuditEvent> events;
  for (int i = 0; i < 2'500; ++i) events.push_back(Event(i, i < 2'000 ? "old" : "new"));
  ASSERT_TRUE(log.Record(events, nullptr).ok());
  auto trimmed = log.Trim(kT0 + std::chrono::seconds(2'000));
  ASSERT_TRUE(trimmed.ok());
  EXPECT_EQ(*trimmed, 2'000u);
  AuditFilter all;
  all.limit = 1000;
  auto left = PageAll(log, all);
  ASSERT_EQ(left.size(), 500u);
  EXPECT_EQ(left.front(), "e2000");
  AuditFilter old;
  old.workload = "old";
  EXPECT_TRUE(PageAll(log, old).empty());
  EXPECT_EQ(*log.Trim(kT0 + std::chrono::seconds(2'000)), 0u);  // again: nothing
  // A forgotten id may be recorded again (its event came back much later).
  ASSERT_TRUE(log.Record({Event(3, "old")}, nullptr).ok());
  EXPECT_EQ(PageAll(log, old), std::vector<std::string>{"e3"});
}

TEST(AuditLog, ATrailKeptBeforeTheLogMovesIntoItOnce) {
  auto store = NewMemoryStore();
  // The format before: JSON lines appended to one string, ids in a set.
  AppendGroup legacy{"icb:audit:ids", "icb:audit", {}};
  for (int i = 0; i < 1'200; ++i) {
    const AuditEvent e = Event(i, i % 2 ? "shop" : "blog");
    legacy.items.emplace_back(e.id, AuditEventToJson(e).dump() + "\n");
  }
  ASSERT_EQ(*store->AppendUnique({legacy}, {}), 1'200);
  AuditLog log(*store);
  auto moved = log.MoveLegacyTrail();
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 1'200u);
  EXPECT_FALSE(store->GetMany({"icb:audit"})->at(0).has_value());
  EXPECT_EQ(*log.MoveLegacyTrail(), 0u);
  AuditFilter shop;
  shop.workload = "shop";
  shop.limit = 1000;
  auto ids = PageAll(log, shop);
  ASSERT_EQ(ids.size(), 600u);
  EXPECT_EQ(ids.front(), "e1");
  EXPECT_EQ(ids.back(), "e1199");
}

}  // namespace
}  // namespace icb
