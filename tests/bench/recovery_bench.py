#!/usr/bin/env python3
"""The recovery benchmark's driver (scripts/bench-recovery runs it).

N workloads (priorities 1 to 5, 1 s probes, 3 failures, TTL 5 s) run on
sim-a; every simulated control plane takes 400 ms a call. sim-a goes down;
each workload's record is asked with dig until it names sim-b or sim-c.
Prints the first, median, p90 and last switch after the outage, beside two
baselines from the same run: serial (detection, then one failover's median
time x N, as operations ran before they ran side by side) and SRM-style
(priority groups one after another, each group in parallel: the slowest
failover of each group, summed). Checks priority order (no workload of
priority p switched before every workload of a higher priority had
started) and counts failed operations.
"""
import datetime
import json
import os
import statistics
import sys
import threading
import time

from lab_driver import Lab, call, pct, wait_for, wait_up

broker, lab_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lab = Lab(lab_path)
sims, steer, dig = lab.sims, lab.steer, lab.dig
TTL = 5
API_MS = 400


def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def ops(kind):
    return call("GET", f"{broker}/v1/operations?kind={kind}")["operations"]


wait_up(broker)
for s in sims:
    steer(s, {"outage": False, "capacity": 10 * n, "quota": 10 * n, "api_latency_ms": 0})
ids = [f"r{i:03d}" for i in range(n)]
priority = {w: 1 + i % 5 for i, w in enumerate(ids)}
for w in ids:
    call("PUT", f"{broker}/v1/workloads/{w}", {
        "name": w, "priority": priority[w], "recovery_class": "fast", "profile_id": "lab-web", "placement": {"provider": "sim-a"},
        "service": w, "instances": 1, "dns": {"provider": "lab-dns", "name": w + ".lab.example.", "ttl": TTL},
        "failover": {"automatic": True, "interval_s": 1, "failures": 3, "recoveries": 2}})
wait_for(lambda: sum(1 for o in ops("place") if o["state"] == "succeeded") == n, 600, 0.5)
for s in sims:
    steer(s, {"api_latency_ms": API_MS})
time.sleep(3)  # a few good probes of every workload

a_addr = sims["sim-a"]["address"]
switched = {}
lock = threading.Lock()
t0 = time.monotonic()
wall0 = time.time()
steer("sim-a", {"outage": True})


def watch(names):
    left = set(names)
    while left and time.monotonic() - t0 < 600:
        for w in list(left):
            a = dig(w + ".lab.example.")
            if a and a != a_addr:
                with lock:
                    switched[w] = time.monotonic() - t0
                left.discard(w)
        time.sleep(0.05)


watchers = [threading.Thread(target=watch, args=(ids[i::8],)) for i in range(8)]
for t in watchers:
    t.start()
for t in watchers:
    t.join()
if len(switched) < n:
    print(f"only {len(switched)} of {n} switched within 600 s", file=sys.stderr)

failovers = ops("failover")
failed = [o for o in failovers + ops("recovery") if o["state"] == "failed"]
# Each workload's failover: when its first step started and how long it took.
started, duration = {}, {}
for o in failovers:
    steps = [s for s in o["steps"] if s.get("started_at")]
    if not steps or o["state"] != "succeeded":
        continue
    first = min(ts(s["started_at"]) for s in steps)
    started[o["workload"]] = first - wall0
    duration[o["workload"]] = ts(o["updated_at"]) - first
times = sorted(switched.values())
first = times[0]
one = statistics.median(duration.values()) if duration else 0
serial = first + one * n
srm = first + sum(max([duration[w] for w in ids if priority[w] == p and w in duration] or [0]) for p in range(1, 6))
order_kept = all(
    min([switched[w] for w in ids if priority[w] == p and w in switched] or [1e9]) >= max([started.get(w, 0) for w in ids if priority[w] < p] or [0])
    for p in range(2, 6))
print(f"recovery: {n} workloads on sim-a (priorities 1-5), control planes {API_MS} ms a call, 1 s probes x 3 failures; "
      f"outage -> dig answers the target")
print(f"  icbroker  first {first:6.2f} s   median {pct(times, 50):6.2f} s   p90 {pct(times, 90):6.2f} s   last {times[-1]:6.2f} s   "
      f"(last - first {times[-1] - first:5.2f} s; target at N=100: <= 10 s)")
print(f"  serial    {serial:6.2f} s   (first switch + one failover's median {one:.2f} s x {n}; operations one after another)")
print(f"  SRM-style {srm:6.2f} s   (first switch + the slowest failover of each priority group, groups one after another)")
print(f"  switched {len(switched)}/{n}, failed operations {len(failed)}, priority order kept: {'yes' if order_kept else 'NO'}")


def step_times(operations):
    """Per step: median and worst time from started to ended (seconds)."""
    by_step = {}
    for o in operations:
        for s in o["steps"]:
            if s.get("started_at") and s.get("ended_at"):
                by_step.setdefault(s["name"], []).append(ts(s["ended_at"]) - ts(s["started_at"]))
    return ", ".join(f"{k} {statistics.median(v):.2f}/{max(v):.2f}" for k, v in by_step.items())


recoveries = ops("recovery")
if os.environ.get("BENCH_DUMP"):  # every operation and switch time, to study a run
    with open(os.environ["BENCH_DUMP"], "w") as f:
        json.dump({"t0": wall0, "switched": switched, "failovers": failovers, "recoveries": recoveries}, f)
print(f"  where the time goes (median/worst s): failover {step_times(failovers)}")
print(f"  {len(recoveries)} recovery operations, started at " +
      ", ".join(f"{ts(o['created_at']) - wall0:.2f} s ({len(o.get('workloads', []))})" for o in recoveries) +
      f"; {step_times(recoveries)}")
