// The latency trigger policy: an audience's p95 at the placement against
// its objective, over a covered window, and the cooldown that brings it
// back; around the threshold on a manual clock, it moves an audience once
// and never flaps.
#include <gtest/gtest.h>

#include "broker/core/time.h"
#include "policies/latency_trigger.h"

namespace icb {
namespace {

const TimePoint kT0 = *ParseRfc3339("2026-12-01T00:00:00Z");

LatencyObjective Objective() {
  LatencyObjective o;
  o.p95_ms = 250;
  o.window = Millis(60'000);
  o.cooldown = Millis(300'000);
  return o;
}

// A window's reading: `ok` successes of p95 `p95`, its oldest `age` before now.
LatencyReading Reading(TimePoint now, size_t ok, std::optional<double> p95, Millis age, size_t failed = 0) {
  return {ok, failed, p95, ok + failed ? std::optional<TimePoint>(now - age) : std::nullopt};
}

TEST(LatencyTrigger, AnAudienceOverItsObjectiveOnACoveredWindowIsLocalized) {
  LatencyTrigger t;
  const TimePoint now = kT0 + Millis(600'000);
  auto d = t.Evaluate(Reading(now, 60, 300.0, Millis(59'000)), Objective(), {}, now);
  EXPECT_EQ(d.verdict, LatencyVerdict::kLocalize);
  EXPECT_EQ(d.inputs["p95_ms"], 300);
  EXPECT_EQ(d.inputs["objective_p95_ms"], 250);
  EXPECT_EQ(d.inputs["latency"], "over");
  EXPECT_EQ(d.inputs["samples"]["ok"], 60);
  // At the objective is meeting it.
  EXPECT_EQ(t.Evaluate(Reading(now, 60, 250.0, Millis(59'000)), Objective(), {}, now).verdict, LatencyVerdict::kUnchanged);
  // An uncovered window decides nothing: two samples, or all from its last half.
  EXPECT_EQ(t.Evaluate(Reading(now, 2, 900.0, Millis(59'000)), Objective(), {}, now).verdict, LatencyVerdict::kUnchanged);
  auto fresh = t.Evaluate(Reading(now, 20, 900.0, Millis(29'000)), Objective(), {}, now);
  EXPECT_EQ(fresh.verdict, LatencyVerdict::kUnchanged);
  EXPECT_EQ(fresh.inputs["latency"], "unknown");
  // Failures are not latency: an audience that cannot reach the placement
  // is detection's business.
  EXPECT_EQ(t.Evaluate(Reading(now, 0, std::nullopt, Millis(59'000), 60), Objective(), {}, now).verdict, LatencyVerdict::kUnchanged);
  // Silent, at the placement: nothing to move.
  EXPECT_EQ(t.Evaluate(Reading(now, 0, std::nullopt, Millis(0)), Objective(), {}, now).verdict, LatencyVerdict::kUnchanged);
}

TEST(LatencyTrigger, AwayItComesBackAfterAWholeCooldownMetOrSilent) {
  LatencyTrigger t;
  const LatencyObjective o = Objective();
  TimePoint now = kT0 + Millis(600'000);
  AudienceState away{true, std::nullopt};
  // The placement meets the objective again: the cooldown starts.
  auto d = t.Evaluate(Reading(now, 60, 200.0, Millis(59'000)), o, away, now);
  EXPECT_EQ(d.verdict, LatencyVerdict::kUnchanged);
  ASSERT_EQ(d.calm_since, now);
  away.calm_since = d.calm_since;
  now += Millis(299'000);
  EXPECT_EQ(t.Evaluate(Reading(now, 60, 200.0, Millis(59'000)), o, away, now).verdict, LatencyVerdict::kUnchanged);
  now += Millis(1000);
  d = t.Evaluate(Reading(now, 60, 200.0, Millis(59'000)), o, away, now);
  EXPECT_EQ(d.verdict, LatencyVerdict::kDelocalize);
  EXPECT_EQ(d.inputs["cooldown_s"], 300);
  // Silent for the cooldown brings it back too (nobody there to serve).
  AudienceState quiet{true, kT0};
  EXPECT_EQ(t.Evaluate(Reading(kT0 + o.cooldown, 0, std::nullopt, Millis(0)), o, quiet, kT0 + o.cooldown).verdict, LatencyVerdict::kDelocalize);
  // Over again while away: the cooldown starts over.
  d = t.Evaluate(Reading(now, 60, 400.0, Millis(59'000)), o, AudienceState{true, now - Millis(200'000)}, now);
  EXPECT_EQ(d.verdict, LatencyVerdict::kUnchanged);
  EXPECT_FALSE(d.calm_since.has_value());
}

// Latency swinging around the objective every 40 s for an hour: one move
// away, none back, as the policy's own state is carried from one call to
// the next the way the controller keeps it.
TEST(LatencyTrigger, LatencySwingingAroundTheObjectiveMovesOnceAndNeverFlaps) {
  LatencyTrigger t;
  const LatencyObjective o = Objective();
  AudienceState state;
  int localized = 0, delocalized = 0;
  for (int s = 0; s < 3600; ++s) {
    const TimePoint now = kT0 + Millis(1000LL * s);
    const double p95 = (s / 40) % 2 ? 240.0 : 260.0;  // just under, just over
    LatencyDecision d = t.Evaluate(Reading(now, 60, p95, Millis(59'000)), o, state, now);
    if (d.verdict == LatencyVerdict::kLocalize) {
      ++localized;
      state.localized = true;
    }
    if (d.verdict == LatencyVerdict::kDelocalize) {
      ++delocalized;
      state.localized = false;
    }
    state.calm_since = d.calm_since;
  }
  EXPECT_EQ(localized, 1);
  EXPECT_EQ(delocalized, 0);
}

TEST(LatencyTrigger, IsRegisteredByNameBesideTheOthers) {
  TriggerRegistry r;
  RegisterBuiltinTriggerPolicies(r);
  EXPECT_NE(r.FindLatency("latency"), nullptr);
  EXPECT_EQ(r.FindLatency("load"), nullptr);  // each family its own names
  EXPECT_EQ(r.RegisterLatency("latency", [] { return std::make_unique<LatencyTrigger>(); }).code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace icb
