// One suite every Store implementation passes (the in-memory fake in the unit
// tests, Redis in the integration tests). Instantiate with a factory that
// has Make() and ExpireLease(name) (ends a held lease as its TTL running out
// would: a manual clock for the fake, the key's expiry on a real server):
//   INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreConformance, MemoryFactory);
#pragma once

#include <gtest/gtest.h>

#include <tuple>

#include <algorithm>
#include <memory>
#include <string>

#include "broker/store/store.h"

namespace icb {

template <typename Factory>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override { store_ = factory_.Make(); }
  Factory factory_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreConformance);

TYPED_TEST_P(StoreConformance, PingAndEmptyReads) {
  Store& s = *this->store_;
  EXPECT_TRUE(s.Ping().ok());
  auto v = s.HashGet("h", "f");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  EXPECT_TRUE(s.HashGetAll("h")->empty());
  EXPECT_EQ(*s.GetCounter("c"), 0);
}

TYPED_TEST_P(StoreConformance, BatchResultsPerOp) {
  Store& s = *this->store_;
  WriteBatch b;
  b.HashSet("h", "a", "1").HashSet("h", "a", "2").HashSetIfAbsent("h", "b", "x").HashSetIfAbsent("h", "b", "y").Incr("c").Incr("c");
  auto r = s.Apply(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<long long>{1, 0, 1, 0, 1, 2}));
  EXPECT_EQ(**s.HashGet("h", "a"), "2");
  EXPECT_EQ(**s.HashGet("h", "b"), "x");
  EXPECT_EQ(*s.GetCounter("c"), 2);
  WriteBatch cas;  // a field written only while it holds what was read
  cas.HashSetIfEqual("h", "b", "x", "x2").HashSetIfEqual("h", "b", "x", "x3").HashSetIfEqual("h", "absent", "", "z");
  EXPECT_EQ(*s.Apply(cas), (std::vector<long long>{1, 0, 0}));
  EXPECT_EQ(**s.HashGet("h", "b"), "x2");
  EXPECT_FALSE(s.HashGet("h", "absent")->has_value());
  WriteBatch del;
  del.HashDelete("h", "a").HashDelete("h", "a").HashDelete("absent", "a");
  EXPECT_EQ(*s.Apply(del), (std::vector<long long>{1, 0, 0}));
  EXPECT_FALSE(s.HashGet("h", "a")->has_value());
  EXPECT_EQ(s.HashGetAll("h")->size(), 1u);
}

TYPED_TEST_P(StoreConformance, BinarySafeValues) {
  Store& s = *this->store_;
  std::string value("a\0b\r\n\xff", 6);
  WriteBatch b;
  b.HashSet("h", "k ey/ü", value);
  ASSERT_TRUE(s.Apply(b).ok());
  EXPECT_EQ(**s.HashGet("h", "k ey/ü"), value);
  auto all = *s.HashGetAll("h");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].second, value);
}

TYPED_TEST_P(StoreConformance, AHashReadsItsFieldsAndChosenValues) {
  Store& s = *this->store_;
  EXPECT_TRUE(s.HashKeys("h")->empty());
  EXPECT_EQ(*s.HashGetMany("h", {"a", "b"}), (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt}));
  std::string binary("x\0y", 3);
  WriteBatch b;
  b.HashSet("h", "b", "2").HashSet("h", "a", "1").HashSet("h", "c d", binary).HashSet("other", "z", "9");
  ASSERT_TRUE(s.Apply(b).ok());
  auto keys = *s.HashKeys("h");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c d"}));
  EXPECT_EQ(*s.HashGetMany("h", {"c d", "z", "a"}), (std::vector<std::optional<std::string>>{binary, std::nullopt, "1"}));
  EXPECT_TRUE(s.HashGetMany("h", {})->empty());
}

TYPED_TEST_P(StoreConformance, StringsAndSetsWrittenInABatchAreReadBack) {
  Store& s = *this->store_;
  WriteBatch b;
  b.Set("str", "v1").Set("str", "v2").SetAdd("set", "a").SetAdd("set", "a").SetAdd("set", "b").SetRemove("set", "b").SetRemove("set", "z");
  auto r = s.Apply(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<long long>{1, 1, 1, 0, 1, 1, 0}));
  EXPECT_EQ(*s.GetMany({"str", "nope"}), (std::vector<std::optional<std::string>>{"v2", std::nullopt}));
  WriteBatch count;
  count.Incr("counter").Incr("counter");
  ASSERT_TRUE(s.Apply(count).ok());
  EXPECT_EQ(*s.GetMany({"counter"}), (std::vector<std::optional<std::string>>{"2"}));  // as its digits
  EXPECT_EQ(*s.SetMembers("set"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(*s.Exists({"str", "set", "nope"}), (std::vector<bool>{true, true, false}));
  WriteBatch empty_it;
  empty_it.SetRemove("set", "a").Delete("str");
  ASSERT_TRUE(s.Apply(empty_it).ok());
  EXPECT_EQ(*s.Exists({"str", "set"}), (std::vector<bool>{false, false}));
  EXPECT_TRUE(s.Exists({})->empty());
}

TYPED_TEST_P(StoreConformance, ASortedIndexPagesInByteOrderAfterACursor) {
  Store& s = *this->store_;
  WriteBatch b;
  for (const char* m : {"web-2", "b", "web-10", "a", "Z", "b"}) b.IndexAdd("idx", m);
  b.IndexRemove("idx", "Z").IndexRemove("idx", "absent");
  auto r = s.Apply(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<long long>{1, 1, 1, 1, 1, 0, 1, 0}));
  using Ids = std::vector<std::string>;
  EXPECT_EQ(*s.IndexRange("idx", "", 10), (Ids{"a", "b", "web-10", "web-2"}));  // bytes, not numbers
  EXPECT_EQ(*s.IndexRange("idx", "", 2), (Ids{"a", "b"}));
  EXPECT_EQ(*s.IndexRange("idx", "b", 2), (Ids{"web-10", "web-2"}));  // strictly after the cursor
  EXPECT_EQ(*s.IndexRange("idx", "a-", 1), (Ids{"b"}));               // a cursor need not be a member
  EXPECT_TRUE(s.IndexRange("idx", "web-2", 10)->empty());
  EXPECT_TRUE(s.IndexRange("idx", "", 0)->empty());
  EXPECT_TRUE(s.IndexRange("none", "", 10)->empty());
  EXPECT_EQ(*s.Exists({"idx"}), (std::vector<bool>{true}));
  WriteBatch gone;
  gone.Delete("idx");
  ASSERT_TRUE(s.Apply(gone).ok());
  EXPECT_TRUE(s.IndexRange("idx", "", 10)->empty());
}

TYPED_TEST_P(StoreConformance, AppendUniqueKeepsTheFirstRecordPerMember) {
  Store& s = *this->store_;
  std::string rec1("\x01\x00r1", 4), rec2("\x02\x00r2", 4), dup("\x09\x00XX", 4);
  auto r = s.AppendUnique({{"seen", "data", {{"10", rec1}, {"20", rec2}}}}, {{"series", "a"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 2);
  // A retry, with a changed record for member 10 and one new member.
  EXPECT_EQ(*s.AppendUnique({{"seen", "data", {{"10", dup}, {"30", rec1}}}}, {{"series", "a"}, {"series", "b"}}), 1);
  auto values = *s.GetMany({"data", "absent"});
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(*values[0], rec1 + rec2 + rec1);
  EXPECT_FALSE(values[1].has_value());
  auto members = *s.SetMembers("series");
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.SetMembers("nothing")->empty());
  EXPECT_TRUE(s.GetMany({})->empty());
}

TYPED_TEST_P(StoreConformance, CompareAndSetWinsOnceAndKeepsIndexesWithIt) {
  Store& s = *this->store_;
  EXPECT_FALSE(s.GetVersioned("op:1")->has_value());
  // Create (expected 0), with an index entry.
  auto v1 = s.CompareAndSet({"op:1", 0, std::string("a\0b", 3), {{"ops", "1"}, {"active", "1"}}, {}});
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(*v1, 1);
  auto read = *s.GetVersioned("op:1");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->value, std::string("a\0b", 3));
  EXPECT_EQ(read->version, 1);
  // Two writers read version 1; the first wins, the second is refused and changes nothing.
  EXPECT_EQ(*s.CompareAndSet({"op:1", 1, "second", {}, {{"active", "1"}}}), 2);
  auto lost = s.CompareAndSet({"op:1", 1, "third", {{"ops", "lost"}}, {}});
  EXPECT_EQ(lost.status().code(), StatusCode::kAborted);
  EXPECT_EQ(s.GetVersioned("op:1")->value().value, "second");
  EXPECT_EQ(*s.SetMembers("ops"), std::vector<std::string>{"1"});
  EXPECT_TRUE(s.SetMembers("active")->empty());
  // Creating what exists is a conflict too.
  EXPECT_EQ(s.CompareAndSet({"op:1", 0, "again", {}, {}}).status().code(), StatusCode::kAborted);
  // Delete at the right version only.
  EXPECT_EQ(s.CompareAndSet({"op:1", 1, std::nullopt, {}, {}}).status().code(), StatusCode::kAborted);
  EXPECT_EQ(*s.CompareAndSet({"op:1", 2, std::nullopt, {}, {{"ops", "1"}}}), 0);
  EXPECT_FALSE(s.GetVersioned("op:1")->has_value());
  EXPECT_TRUE(s.SetMembers("ops")->empty());
  // Recreated, it starts again at 1.
  EXPECT_EQ(*s.CompareAndSet({"op:1", 0, "new", {}, {}}), 1);
  // Many at once, in order, absent ones as nullopt.
  EXPECT_EQ(*s.CompareAndSet({"op:2", 0, std::string("x\0y", 3), {}, {}}), 1);
  auto many = s.GetVersionedMany({"op:2", "op:none", "op:1"});
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[0]->value, std::string("x\0y", 3));
  EXPECT_FALSE((*many)[1].has_value());
  EXPECT_EQ((*many)[2]->value, "new");
  EXPECT_EQ((*many)[2]->version, 1);
  EXPECT_TRUE(s.GetVersionedMany({})->empty());
  auto versions = s.GetVersions({"op:2", "op:none", "op:1"});
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0], (*many)[0]->version);
  EXPECT_FALSE((*versions)[1].has_value());
  EXPECT_EQ((*versions)[2], 1);
  EXPECT_TRUE(s.GetVersions({})->empty());
  // A sorted index written with a record; a refused write adds nothing to it.
  CasWrite indexed{"op:3", 0, "c", {}, {}};
  indexed.index_add = {{"ops-sorted", "op-3"}, {"ops-sorted", "op-1"}};
  EXPECT_EQ(*s.CompareAndSet(indexed), 1);
  CasWrite refused{"op:3", 0, "again", {}, {}};
  refused.index_add = {{"ops-sorted", "op-2"}};
  EXPECT_EQ(s.CompareAndSet(refused).status().code(), StatusCode::kAborted);
  EXPECT_EQ(*s.IndexRange("ops-sorted", "", 10), (std::vector<std::string>{"op-1", "op-3"}));
}

TYPED_TEST_P(StoreConformance, LeaseEpochsFenceStaleWriters) {
  Store& s = *this->store_;
  // Long enough that nothing runs out while the test runs; expiry is the
  // factory's ExpireLease, so no assertion depends on wall time.
  const Millis ttl(60'000);
  auto a = s.AcquireLease("orchestrator", "broker-a", ttl);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->holder, "broker-a");
  const long long first = (*a)->epoch;
  EXPECT_GE(first, 1);
  // Held: another holder is refused; the holder renews with the same epoch.
  EXPECT_FALSE(s.AcquireLease("orchestrator", "broker-b", ttl)->has_value());
  auto renewed = *s.AcquireLease("orchestrator", "broker-a", ttl);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->epoch, first);
  Fence fence_a{"orchestrator", first};
  EXPECT_EQ(*s.CompareAndSet({"rec", 0, "by a", {}, {}}, &fence_a), 1);
  // It expires; b takes it with a higher epoch, and a's writes are refused.
  this->factory_.ExpireLease("orchestrator");
  auto b = *s.AcquireLease("orchestrator", "broker-b", ttl);
  ASSERT_TRUE(b.has_value());
  EXPECT_GT(b->epoch, first);
  auto stale = s.CompareAndSet({"rec", 1, "late write by a", {{"ops", "a"}}, {}}, &fence_a);
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.GetVersioned("rec")->value().value, "by a");
  EXPECT_TRUE(s.SetMembers("ops")->empty());
  Fence fence_b{"orchestrator", b->epoch};
  EXPECT_EQ(*s.CompareAndSet({"rec", 1, "by b", {}, {}}, &fence_b), 2);
  // Releasing with a stale lease does nothing; the holder's release frees it,
  // and the next acquisition has a higher epoch still.
  EXPECT_TRUE(s.ReleaseLease("orchestrator", Lease{"broker-a", first}).ok());
  EXPECT_FALSE(s.AcquireLease("orchestrator", "broker-a", ttl)->has_value());
  EXPECT_TRUE(s.ReleaseLease("orchestrator", *b).ok());
  auto again = *s.AcquireLease("orchestrator", "broker-a", ttl);
  ASSERT_TRUE(again.has_value());
  EXPECT_GT(again->epoch, b->epoch);
  // Leases are independent of each other.
  EXPECT_TRUE(s.AcquireLease("workload:w1", "broker-b", ttl)->has_value());
}

TYPED_TEST_P(StoreConformance, CompareAndSetAllWritesEveryRecordOrNone) {
  Store& s = *this->store_;
  ASSERT_EQ(*s.CompareAndSet({"w:1", 0, "placed on a", {}, {}}), 1);
  const AppendGroup events{"events:seen", "events", {{"e1", "one\n"}, {"e2", "two\n"}}};
  // Both at their versions: both written, and the events appended once.
  auto ok = s.CompareAndSetAll({{"w:1", 1, "failing over", {{"busy", "w1"}}, {}}, {"op:9", 0, "running", {{"ops", "9"}}, {}}}, {events});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, (std::vector<long long>{2, 1}));
  EXPECT_EQ(s.GetMany({"events"})->at(0).value_or(""), "one\ntwo\n");
  // One of them moved on: nothing is written, no event appended.
  auto lost = s.CompareAndSetAll({{"op:9", 1, "done", {}, {{"ops", "9"}}}, {"w:1", 1, "stale", {}, {}}},
                                 {{"events:seen", "events", {{"e3", "three\n"}}}});
  EXPECT_EQ(lost.status().code(), StatusCode::kAborted);
  EXPECT_EQ(s.GetVersioned("op:9")->value().value, "running");
  EXPECT_EQ(s.SetMembers("ops")->size(), 1u);
  EXPECT_EQ(s.GetMany({"events"})->at(0).value_or(""), "one\ntwo\n");
  // A retried write's events are not appended twice; a delete gives version 0.
  auto again = s.CompareAndSetAll({{"op:9", 1, std::nullopt, {}, {{"ops", "9"}}}}, {events});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (std::vector<long long>{0}));
  EXPECT_FALSE(s.GetVersioned("op:9")->has_value());
  EXPECT_TRUE(s.SetMembers("ops")->empty());
  EXPECT_EQ(s.GetMany({"events"})->at(0).value_or(""), "one\ntwo\n");
  // The same key twice is refused before anything is written.
  EXPECT_EQ(s.CompareAndSetAll({{"x", 0, "a", {}, {}}, {"x", 0, "b", {}, {}}}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.GetVersioned("x")->has_value());
}

// An indexed log: numbered in the order appended, once per member (also
// when appended with a compare-and-set), read a page at a time from a
// number on, whole or by index, and trimmed from the oldest.
TYPED_TEST_P(StoreConformance, AnIndexedLogPagesByIndexAndTrimsFromTheOldest) {
  Store& s = *this->store_;
  auto group = [](std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> items) {
    AppendGroup g{"trail:ids", "trail", {}, true, {}};
    for (auto& [id, rec, idx] : items) {
      g.items.emplace_back(id, rec);
      g.indexes.push_back(idx);
      g.times.push_back(1000 * std::stoll(id.substr(1)));  // e3 happened at 3 s
    }
    return g;
  };
  EXPECT_TRUE(s.LogRead("trail", "", 0, 10)->empty());
  EXPECT_EQ(s.LogStat("trail")->records, 0u);
  ASSERT_EQ(*s.AppendUnique({group({{"e1", "one", {"w:a", "k:x"}}, {"e2", "two\nlines", {"w:b"}}, {"e3", "three", {"w:a"}}})}, {}), 3);
  // The same member again adds nothing, also through a compare-and-set.
  ASSERT_TRUE(s.CompareAndSetAll({{"rec", 0, "v", {}, {}}}, {group({{"e2", "again", {"w:a"}}, {"e4", "four", {"w:a", "k:x"}}})}).ok());
  auto all = *s.LogRead("trail", "", 0, 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].record, "one");
  EXPECT_EQ(all[1].record, "two\nlines");
  EXPECT_EQ(all[3].record, "four");
  for (size_t k = 1; k < all.size(); ++k) EXPECT_GT(all[k].seq, all[k - 1].seq);
  // By index, a page at a time.
  auto a1 = *s.LogRead("trail", "w:a", 0, 2);
  ASSERT_EQ(a1.size(), 2u);
  EXPECT_EQ(a1[0].record, "one");
  EXPECT_EQ(a1[1].record, "three");
  auto a2 = *s.LogRead("trail", "w:a", a1[1].seq, 2);
  ASSERT_EQ(a2.size(), 1u);
  EXPECT_EQ(a2[0].record, "four");
  EXPECT_TRUE(s.LogRead("trail", "w:a", a2[0].seq, 2)->empty());
  EXPECT_EQ(s.LogRead("trail", "k:x", 0, 10)->size(), 2u);
  EXPECT_TRUE(s.LogRead("trail", "w:none", 0, 10)->empty());
  // By time: the first at or after it.
  EXPECT_EQ(*s.LogSeek("trail", 0), all[0].seq);
  EXPECT_EQ(*s.LogSeek("trail", 2500), all[2].seq);
  EXPECT_EQ(*s.LogSeek("trail", 3000), all[2].seq);
  EXPECT_EQ(*s.LogSeek("trail", 4000), all[3].seq);
  EXPECT_FALSE(s.LogSeek("trail", 4001)->has_value());
  EXPECT_FALSE(s.LogSeek("none", 0)->has_value());
  auto stat = *s.LogStat("trail");
  EXPECT_EQ(stat.records, 4u);
  EXPECT_EQ(stat.first, all[0].seq);
  EXPECT_EQ(stat.last, all[3].seq);
  // Trimmed below the third, one at a time: gone from every index and from
  // the members seen (the same member may come again).
  EXPECT_EQ(*s.LogTrim("trail", "trail:ids", all[2].seq, 1), 1u);
  EXPECT_EQ(*s.LogTrim("trail", "trail:ids", all[2].seq, 10), 1u);
  EXPECT_EQ(*s.LogTrim("trail", "trail:ids", all[2].seq, 10), 0u);
  EXPECT_EQ(s.LogRead("trail", "", 0, 10)->size(), 2u);
  EXPECT_EQ(s.LogRead("trail", "k:x", 0, 10)->size(), 1u);
  EXPECT_TRUE(s.LogRead("trail", "w:b", 0, 10)->empty());
  EXPECT_EQ(s.LogStat("trail")->first, all[2].seq);
  EXPECT_EQ(*s.LogSeek("trail", 0), all[2].seq);  // the trimmed are gone from the time index too
  ASSERT_EQ(*s.AppendUnique({group({{"e1", "one again", {}}})}, {}), 1);
  EXPECT_GT(s.LogRead("trail", "", 0, 10)->back().seq, all[3].seq);  // numbers are never reused
}

// Records listed under an index added after they were written: once each,
// in number order with those appended under it, trimmed from it with them.
TYPED_TEST_P(StoreConformance, ALogIndexAddedLaterListsPastRecordsOnce) {
  Store& s = *this->store_;
  AppendGroup g{"trail:ids", "trail", {}, true, {}};
  for (std::string id : {"e1", "e2", "e3"}) {
    g.items.emplace_back(id, "rec " + id);
    g.indexes.push_back({"w:a"});
    g.times.push_back(1000);
  }
  ASSERT_EQ(*s.AppendUnique({g}, {}), 3);
  auto all = *s.LogRead("trail", "", 0, 10);
  ASSERT_EQ(all.size(), 3u);
  AppendGroup later{"trail:ids", "trail", {{"e4", "rec e4"}}, true, {{"w:a", "wk:a:x"}}, {2000}};
  ASSERT_EQ(*s.AppendUnique({later}, {}), 1);
  // e1 and e3 join "wk:a:x" (e3 twice: once), and a number not in the log is ignored.
  ASSERT_TRUE(s.LogAddIndexes("trail", {{all[2].seq, {"wk:a:x", "wk:a:x"}}, {all[0].seq, {"wk:a:x", "w:a"}}, {999999, {"wk:a:x"}}}).ok());
  ASSERT_TRUE(s.LogAddIndexes("trail", {{all[2].seq, {"wk:a:x"}}}).ok());
  ASSERT_TRUE(s.LogAddIndexes("none", {{1, {"wk:a:x"}}}).ok());
  auto listed = *s.LogRead("trail", "wk:a:x", 0, 10);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].record, "rec e1");
  EXPECT_EQ(listed[1].record, "rec e3");
  EXPECT_EQ(listed[2].record, "rec e4");
  EXPECT_EQ(s.LogRead("trail", "w:a", 0, 10)->size(), 4u);
  // Trimming removes them from the added index too.
  EXPECT_EQ(*s.LogTrim("trail", "trail:ids", all[2].seq + 1, 10), 3u);
  listed = *s.LogRead("trail", "wk:a:x", 0, 10);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].record, "rec e4");
}

// The sets that list where records are get their member with the record
// that creates the data, in the same write, and not again while it lives.
TYPED_TEST_P(StoreConformance, AppendedDataIsListedWhenItsFirstRecordCreatesIt) {
  Store& s = *this->store_;
  auto day = [](std::string member, std::string record) {
    AppendGroup g{"seen:7", "data:7", {{std::move(member), std::move(record)}}};
    g.listed_in = {{"days", "7"}, {"keys", "data:7"}};
    return g;
  };
  ASSERT_EQ(*s.AppendUnique({day("1", "r1")}, {}), 1);
  EXPECT_EQ(*s.SetMembers("days"), (std::vector<std::string>{"7"}));
  EXPECT_EQ(*s.SetMembers("keys"), (std::vector<std::string>{"data:7"}));
  // Unlisted while the data lives: the next record does not list it again.
  WriteBatch unlist;
  unlist.SetRemove("days", "7");
  ASSERT_TRUE(s.Apply(unlist).ok());
  ASSERT_EQ(*s.AppendUnique({day("2", "r2")}, {}), 1);
  EXPECT_TRUE(s.SetMembers("days")->empty());
  // Deleted (as a rollup does) and written again: listed again, also by a
  // compare-and-set that carries the group.
  WriteBatch gone;
  gone.Delete("data:7").Delete("seen:7");
  ASSERT_TRUE(s.Apply(gone).ok());
  auto versions = s.CompareAndSetAll({CasWrite{"rec", 0, "v", {}, {}}}, {day("3", "r3")}, nullptr);
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_EQ(*s.SetMembers("days"), (std::vector<std::string>{"7"}));
  EXPECT_EQ(*s.GetMany({"data:7"}), (std::vector<std::optional<std::string>>{"r3"}));
  // A log is not listed on creation: refused, and nothing is written.
  AppendGroup log{"seen:log", "log", {{"e1", "one"}}, true};
  log.listed_in = {{"logs", "log"}};
  EXPECT_EQ(s.AppendUnique({log}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.LogRead("log", "", 0, 10)->empty());
  EXPECT_TRUE(s.SetMembers("logs")->empty());
}

// Many members of one set in one call (a batch of samples lists a
// provider's series): more than one SADD's worth, all of them added.
TYPED_TEST_P(StoreConformance, SetAddsOfManyMembersAreAllApplied) {
  Store& s = *this->store_;
  std::vector<std::pair<std::string, std::string>> adds;
  for (int i = 0; i < 9'000; ++i) adds.emplace_back(i % 2 ? "odd" : "even", std::to_string(i));
  ASSERT_EQ(*s.AppendUnique({{"seen", "data", {{"1", "r"}}}}, adds), 1);
  EXPECT_EQ(s.SetMembers("odd")->size(), 4'500u);
  EXPECT_EQ(s.SetMembers("even")->size(), 4'500u);
}

REGISTER_TYPED_TEST_SUITE_P(StoreConformance, PingAndEmptyReads, BatchResultsPerOp, BinarySafeValues, AHashReadsItsFieldsAndChosenValues, StringsAndSetsWrittenInABatchAreReadBack,
                            ASortedIndexPagesInByteOrderAfterACursor,
                            AppendUniqueKeepsTheFirstRecordPerMember, CompareAndSetWinsOnceAndKeepsIndexesWithIt,
                            LeaseEpochsFenceStaleWriters, CompareAndSetAllWritesEveryRecordOrNone,
                            AnIndexedLogPagesByIndexAndTrimsFromTheOldest, ALogIndexAddedLaterListsPastRecordsOnce,
                            AppendedDataIsListedWhenItsFirstRecordCreatesIt, SetAddsOfManyMembersAreAllApplied);

}  // namespace icb
