#include "broker/store/replica_set.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

namespace icb {
namespace {

using namespace std::chrono_literals;

class ReplicaSetTest : public ::testing::Test {
 protected:
  ReplicaSet& Add(const std::string& id) {
    return *sets_.emplace(id, std::make_unique<ReplicaSet>(*store_, clock_, ReplicaSetOptions{id})).first->second;
  }
  void BeatAll() {
    for (auto& [id, set] : sets_) ASSERT_TRUE(set->Beat().ok()) << id;
  }
  // Two beat periods, every broker beating after each: all settled.
  void Settle() {
    for (int i = 0; i < 2; ++i) {
      clock_.Advance(2'500ms);
      BeatAll();
    }
  }
  // Who owns each of `n` keys, by each broker's own view; every key must
  // have exactly one.
  std::map<std::string, std::string> OwnerOfEach(int n) {
    std::map<std::string, std::string> owner;
    for (int k = 0; k < n; ++k) {
      const std::string key = "workload-" + std::to_string(k);
      int claims = 0;
      for (auto& [id, set] : sets_)
        if (set->Owns(key)) {
          owner[key] = id;
          ++claims;
        }
      EXPECT_EQ(claims, 1) << key;
    }
    return owner;
  }
  static std::map<std::string, int> Shares(const std::map<std::string, std::string>& owner) {
    std::map<std::string, int> n;
    for (const auto& [key, id] : owner) ++n[id];
    return n;
  }

  ManualClock clock_{TimePoint(Millis(1'800'000'000'000))};
  std::unique_ptr<Store> store_ = NewMemoryStore(&clock_);
  std::map<std::string, std::unique_ptr<ReplicaSet>> sets_;
};

TEST_F(ReplicaSetTest, OneBrokerOwnsEverythingFromTheStart) {
  ReplicaSet& a = Add("a");
  EXPECT_TRUE(a.Owns("anything"));  // before its first beat
  ASSERT_TRUE(a.Beat().ok());
  EXPECT_TRUE(a.Owns("anything"));
  EXPECT_EQ(a.Owners(), std::vector<std::string>{"a"});
}

TEST_F(ReplicaSetTest, BrokersStartedTogetherOwnEachKeyOnceAtEveryMomentThenShareIt) {
  // Three brokers started 1 s apart, each beating every 2.5 s from its own
  // start (the first one at once, as serve does before it probes): at
  // every half second, each key has exactly one owner by the brokers' own
  // views, from the first start until all have settled and share.
  std::map<std::string, Millis> next_beat;
  Millis now{0};
  for (int step = 0; step <= 24; ++step, now += 500ms) {
    if (step % 2 == 0 && step / 2 < 3) {
      const std::string id(1, static_cast<char>('a' + step / 2));
      Add(id);
      next_beat[id] = now;
    }
    for (auto& [id, at] : next_beat)
      if (at <= now) {
        ASSERT_TRUE(sets_.at(id)->Beat().ok());
        at += 2'500ms;
      }
    SCOPED_TRACE("at " + std::to_string(now.count()) + " ms");
    OwnerOfEach(300);
    clock_.Advance(500ms);
  }
  const auto shares = Shares(OwnerOfEach(3000));
  ASSERT_EQ(shares.size(), 3u);
  for (const auto& [id, n] : shares) EXPECT_GT(n, 800) << id;  // about a third each
}

TEST_F(ReplicaSetTest, UntilOneSettlesTheFirstToJoinOwnsEverything) {
  Add("b");
  ASSERT_TRUE(sets_.at("b")->Beat().ok());
  clock_.Advance(1ms);
  Add("a");  // joined after b: b stays the owner, whatever the ids' order
  BeatAll();
  EXPECT_EQ(sets_.at("a")->Owners(), std::vector<std::string>{"b"});
  EXPECT_EQ(sets_.at("b")->Owners(), std::vector<std::string>{"b"});
  clock_.Advance(3'999ms);  // b settled, a not yet
  EXPECT_EQ(sets_.at("a")->Owners(), std::vector<std::string>{"b"});
  clock_.Advance(1ms);
  EXPECT_EQ(sets_.at("a")->Owners(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sets_.at("b")->Owners(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ReplicaSetTest, ANewcomerTakesItsShareOnlyOnceEveryoneHasSeenIt) {
  Add("a");
  Add("b");
  BeatAll();
  Settle();
  const auto before = OwnerOfEach(600);
  ReplicaSet& c = Add("c");
  ASSERT_TRUE(c.Beat().ok());
  // c is known to itself only; a and b have not read it yet: nothing moves.
  EXPECT_EQ(OwnerOfEach(600), before);
  clock_.Advance(2'500ms);
  BeatAll();  // a and b read c's entry
  EXPECT_EQ(OwnerOfEach(600), before);  // c has not settled
  clock_.Advance(2'000ms);
  BeatAll();
  const auto after = OwnerOfEach(600);
  // c took a share, only from the others' keys; none moved between a and b.
  int moved_to_c = 0;
  for (const auto& [key, id] : after) {
    if (id == "c") {
      ++moved_to_c;
    } else {
      EXPECT_EQ(id, before.at(key)) << key;
    }
  }
  EXPECT_GT(moved_to_c, 100);
}

TEST_F(ReplicaSetTest, ADeadBrokersShareMovesWithinItsExpiryAndNothingElseMoves) {
  Add("a");
  Add("b");
  Add("c");
  BeatAll();
  Settle();
  const auto before = OwnerOfEach(600);
  // c stops beating (SIGKILL): a and b go on.
  auto dead = std::move(sets_.at("c"));
  sets_.erase("c");
  clock_.Advance(2'500ms);
  BeatAll();
  // Until its entry expires c still counts: its keys wait for it (a gap of
  // at most its expiry), none is probed twice.
  EXPECT_EQ(sets_.at("a")->Owners(), (std::vector<std::string>{"a", "b", "c"}));
  clock_.Advance(2'600ms);  // c's entry expired (5 s after its last beat)
  BeatAll();
  const auto after = OwnerOfEach(600);
  for (const auto& [key, id] : after) {
    EXPECT_NE(id, "c");
    if (before.at(key) != "c") {
      EXPECT_EQ(id, before.at(key)) << key;  // only c's keys moved
    }
  }
}

TEST_F(ReplicaSetTest, ABrokerThatLeavesHandsItsShareOverAtTheOthersNextBeat) {
  Add("a");
  ReplicaSet& b = Add("b");
  BeatAll();
  Settle();
  ASSERT_TRUE(b.Leave().ok());
  sets_.erase("b");
  BeatAll();
  EXPECT_EQ(Shares(OwnerOfEach(100)), (std::map<std::string, int>{{"a", 100}}));
}

TEST_F(ReplicaSetTest, RestartedUnderTheSameIdItKeepsItsShareAtOnce) {
  Add("a");
  Add("b");
  BeatAll();
  Settle();
  const auto before = OwnerOfEach(300);
  sets_.erase("b");
  clock_.Advance(1s);
  Add("b");  // a new process, the same --broker-id
  BeatAll();
  EXPECT_EQ(OwnerOfEach(300), before);
}

TEST_F(ReplicaSetTest, BrokersOfAnotherVantageDoNotShare) {
  Add("a");
  sets_.emplace("far", std::make_unique<ReplicaSet>(*store_, clock_, ReplicaSetOptions{"far", "seoul"}));
  BeatAll();
  Settle();
  // Each measures every key from where it stands.
  for (int k = 0; k < 50; ++k) {
    EXPECT_TRUE(sets_.at("a")->Owns("w" + std::to_string(k)));
    EXPECT_TRUE(sets_.at("far")->Owns("w" + std::to_string(k)));
  }
}

TEST(ReplicaSet, OwnerOfIsTheSameWhateverTheOrderAndNoneForNoOwners) {
  EXPECT_EQ(ReplicaSet::OwnerOf("k", {"a", "b", "c"}), ReplicaSet::OwnerOf("k", {"c", "a", "b"}));
  EXPECT_EQ(ReplicaSet::OwnerOf("k", {}), "");
}

}  // namespace
}  // namespace icb
