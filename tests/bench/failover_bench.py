#!/usr/bin/env python3
"""The failover benchmark's driver (scripts/bench-failover runs it).

Outages: one workload (1 s probes, 3 failures, TTL 5 s) fails over from
provider to provider: each outage is injected at the provider it runs on,
and timed until dig answers the new address. Blips: three workloads, one per
provider, see outages short enough for one or two failed probes (0.9 s or
1.9 s on a 1 s probe grid); any failover they start is counted.

With ICB_REPLICAS > 1 the driver runs that many brokers on one Redis
itself, and kills the leader with SIGKILL during each outage (0 to 3 s
after it began: before, during or after the detection), restarting it
once the failover is done.
"""
import os
import random
import statistics
import sys
import threading
import time

from lab_driver import Lab, Replicas, call, pct, wait_for, wait_up

broker, lab_path, outages, blips = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
replicas = int(os.environ.get("ICB_REPLICAS", "1"))


group = None
if replicas > 1:
    group = Replicas(replicas)
    broker = group.url(0)
lab = Lab(lab_path)
sims, steer, dig = lab.sims, lab.steer, lab.dig
TTL = 5


def workload(wid, on, interval=1.0):
    return {"name": wid, "priority": 1, "recovery_class": "fast", "profile_id": "lab-web", "placement": {"provider": on},
            "service": wid, "instances": 1, "dns": {"provider": "lab-dns", "name": wid + ".lab.example.", "ttl": TTL},
            "failover": {"automatic": True, "interval_s": interval, "failures": 3, "recoveries": 2}}


def operations(wid, kind):
    return call("GET", f"{broker}/v1/operations?workload={wid}&kind={kind}")["operations"]


def placed(wid):
    ops = operations(wid, "place")
    return ops and ops[-1]["state"] == "succeeded"


wait_up(broker)
for s in sims:
    steer(s, {"outage": False, "capacity": 1000, "quota": 1000})

# Outages.
wid = "bench-web"
call("PUT", f"{broker}/v1/workloads/{wid}", workload(wid, "sim-a"))
wait_for(lambda: placed(wid))
times = []
kills = []  # per outage: (seconds after the outage the leader died, seconds until another led)
for i in range(outages):
    if group:
        broker = group.any_url()
    w = call("GET", f"{broker}/v1/workloads/{wid}")
    source = w["placement"]["provider"]
    before = dig(wid + ".lab.example.")
    assert before == sims[source]["address"], (before, source)
    time.sleep(random.uniform(0, 1.0))  # outages start anywhere on the probe grid
    t0 = time.monotonic()
    steer(source, {"outage": True})
    killed = None
    if group:
        time.sleep(random.uniform(0, 3.0))
        killed = group.leader()
        if killed is not None:
            died = time.monotonic() - t0
            group.kill(killed)
            broker = group.any_url()
            wait_for(lambda: group.leader() is not None, timeout=60, every=0.1)
            kills.append((died, time.monotonic() - t0 - died))
    new = wait_for(lambda: (lambda a: a if a and a != before else None)(dig(wid + ".lab.example.")), timeout=90, every=0.01)
    elapsed = time.monotonic() - t0
    times.append(elapsed)
    wait_for(lambda: not call("GET", f"{broker}/v1/workloads/{wid}").get("operation"), timeout=90)
    steer(source, {"outage": False})
    if killed is not None:
        group.start(killed)
        time.sleep(5)  # settled: it owns its share again
    print(f"outage {i + 1:3d}: {source} -> {[p for p, s in sims.items() if s['address'] == new][0]} in {elapsed:.2f} s", file=sys.stderr)
failovers_for_outages = len(operations(wid, "failover"))


def run_blips():
    """Blips, one workload per provider, all three providers at once:
    (their lengths, the failovers they started, detections recorded)."""
    bl = {p: f"bench-blip-{p}" for p in sims}
    for p, b in bl.items():
        call("PUT", f"{broker}/v1/workloads/{b}", workload(b, p))
    for b in bl.values():
        wait_for(lambda: placed(b))
    time.sleep(3)
    per_provider = (blips + len(sims) - 1) // len(sims)
    lengths = []

    def blip_loop(provider):
        for _ in range(per_provider):
            time.sleep(random.uniform(2.5, 3.5))  # recovered (2 good probes) before the next
            length = random.choice([0.9, 1.9])
            steer(provider, {"outage": True})
            time.sleep(length)
            steer(provider, {"outage": False})
            lengths.append(length)

    threads = [threading.Thread(target=blip_loop, args=(p,)) for p in sims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(4)
    started = sum(len(operations(b, "failover")) for b in bl.values())
    return lengths, started, len(call("GET", f"{broker}/v1/events?kind=detected&limit=1000")["events"])


# With blips = 0 (bench-probes, whose watched workloads fill sim-c) none are placed.
counted, blip_failovers, detections = run_blips() if blips > 0 else ([], 0, 0)

if group:
    group.stop()
route53 = 30 * 3 + TTL
haproxy = 2 * 3
print()
print(f"failover: {len(times)} outages, 1 s probes, 3 failures; outage -> dig answers the target (authoritative)"
      + (f"; {replicas} replicas, the leader killed during each" if group else ""))
print(f"  icbroker   p50 {pct(times, 50):5.2f} s   p90 {pct(times, 90):5.2f} s   p99 {pct(times, 99):5.2f} s   "
      f"best {min(times):5.2f} s   worst {max(times):5.2f} s   mean {statistics.mean(times):5.2f} s")
print(f"  Route 53   {route53:5.1f} s   (health check 30 s x 3 failures, plus the {TTL} s TTL; computed)")
print(f"  HAProxy    {haproxy:5.1f} s   (inter 2 s x fall 3, in path; computed)")
print(f"  failovers started by the outages: {failovers_for_outages} (expected {outages})")
if kills:
    print(f"  leader killed {statistics.mean([k[0] for k in kills]):.1f} s into the outage on average; another led after "
          f"p50 {pct([k[1] for k in kills], 50):.1f} s, worst {max(k[1] for k in kills):.1f} s (lease 10 s)")
if blips > 0:
    print(f"blips: {len(counted)} of one or two failed probes ({sum(1 for x in counted if x < 1)} of 0.9 s, "
          f"{sum(1 for x in counted if x > 1)} of 1.9 s): {blip_failovers} failovers (target 0); detections recorded in all: {detections}")
