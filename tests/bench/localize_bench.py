#!/usr/bin/env python3
"""The latency-aware placement benchmark's driver (scripts/bench-localize runs it).

A workload on sim-a (the lab's web profile, 2 instances, 24 objects of
1 KiB to 4 MiB in sim-a's bucket) serves three audiences, each measured by
the broker from its own vantage at 1 s probes: near-1 and east-1 (near
sim-a) and far-1. far-1's latency at sim-a is steered from 20 ms to 300 ms
while sim-b answers far-1 in 20 ms; after a hold it is steered back, and again
(cycles: the best and the worst are reported).
Meanwhile the driver plays each audience's users: every 200 ms it asks
PowerDNS with the audience's client subnet (dig +subnet) and fetches the
service from the answered provider as a user at that vantage would (the
lab's providers answer each vantage after its own latency).

Prints the time from the degradation to dig +subnet answering sim-b for
far-1, far-1's users' p95 before, during the degradation (until the move;
after the move, while sim-a stays slow) and after the recovery, the other
audiences' answers (unchanged or not), the time from the recovery to far-1
answered sim-a again, and beside it Route 53's computed behaviour for the
same run (latency-based records from static latency tables: far-1 stays on
sim-a, its users see sim-a's 300 ms for the whole degradation).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from lab_driver import Lab, call, pct, wait_for, wait_up

broker, lab_path = sys.argv[1], sys.argv[2]
window_s, cooldown_s, hold_s = (float(x) for x in sys.argv[3:6])
n_cycles = int(sys.argv[6])
lab = Lab(lab_path)
sims = lab.sims
by_address = {s["address"]: p for p, s in sims.items()}
NETWORKS = {"near-1": "203.0.113.0/24", "east-1": "192.0.2.0/24", "far-1": "198.51.100.0/24"}
OBJECTIVE_MS = 100
NAME = "travel.lab.example."
wait_up(broker)

# Latency by provider and vantage (ms): sim-a near everyone but far-1 (20
# until degraded), sim-b near far-1, sim-c in between.
latency = {"sim-a": {"near-1": 20, "east-1": 20, "far-1": 20}, "sim-b": {"near-1": 150, "east-1": 200, "far-1": 20},
           "sim-c": {"near-1": 150, "east-1": 150, "far-1": 150}}
for p, by_vantage in latency.items():
    lab.steer(p, {"vantage_latency_ms": by_vantage, "capacity": 100, "quota": 100, "api_latency_ms": 400})

# Its data: 24 objects of mixed sizes in sim-a's bucket.
seed = tempfile.mkdtemp(prefix="icb-localize-seed-")
for i in range(24):
    with open(os.path.join(seed, f"obj-{i:02d}"), "wb") as f:
        f.write(os.urandom(1024 << (i % 13)))  # 1 KiB to 4 MiB
prefix = f"travel-{int(time.time())}/"
try:
    lab.aws("s3", "mb", "s3://sim-a")
except subprocess.CalledProcessError:
    pass  # there already
lab.aws("s3", "cp", "--recursive", "--only-show-errors", seed, "s3://sim-a/" + prefix)

call("PUT", f"{broker}/v1/workloads/travel", {
    "name": "Travel shop", "priority": 1, "profile_id": "lab-web", "placement": {"provider": "sim-a"}, "service": "travel", "instances": 2,
    "dns": {"provider": "lab-dns", "name": NAME, "ttl": 5}, "data": [{"name": "files", "prefix": prefix}],
    "failover": {"automatic": False, "interval_s": 1},
    "audiences": [{"id": v, "networks": [n], "vantage": v, "p95_ms": OBJECTIVE_MS, "window_s": window_s, "cooldown_s": cooldown_s}
                  for v, n in NETWORKS.items()]})
wait_for(lambda: lab.dig(NAME) == sims["sim-a"]["address"], 120, 0.2)

# The users: per audience, what DNS answers them and how long the service takes.
seen = {v: [] for v in NETWORKS}  # (t, provider, latency_ms or None)
stop = threading.Event()
t0 = time.monotonic()


def users(vantage):
    while not stop.is_set():
        addr = lab.dig(NAME, NETWORKS[vantage])
        provider = by_address.get(addr, "")
        ms = None
        if provider:
            req = urllib.request.Request(sims[provider]["url"] + "/", headers={"User-Agent": f"icbroker-probe (vantage {vantage})"})
            start = time.monotonic()
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    r.read()
                ms = (time.monotonic() - start) * 1000
            except OSError:
                pass
        seen[vantage].append((time.monotonic() - t0, provider, ms))
        time.sleep(0.2)


threads = [threading.Thread(target=users, args=(v,)) for v in NETWORKS]
for t in threads:
    t.start()
time.sleep(max(window_s, 10))  # a covered window, everyone near

cycles = []  # (degraded_at, moved_at, recovered_at, back_at)
for _ in range(n_cycles):
    degraded_at = time.monotonic() - t0
    lab.steer("sim-a", {"vantage_latency_ms": dict(latency["sim-a"], **{"far-1": 300})})
    moved_at = wait_for(lambda: lab.dig(NAME, NETWORKS["far-1"]) == sims["sim-b"]["address"] and time.monotonic() - t0, 600, 0.05)
    time.sleep(hold_s)
    recovered_at = time.monotonic() - t0
    lab.steer("sim-a", {"vantage_latency_ms": latency["sim-a"]})
    back_at = wait_for(lambda: lab.dig(NAME, NETWORKS["far-1"]) == sims["sim-a"]["address"] and time.monotonic() - t0, 600, 0.05)
    cycles.append((degraded_at, moved_at, recovered_at, back_at))
    time.sleep(10)
stop.set()
for t in threads:
    t.join()
end = time.monotonic() - t0


def p95(vantage, spans):
    xs = sorted(ms for t, _, ms in seen[vantage] if any(a <= t < b for a, b in spans) and ms is not None)
    return pct(xs, 95) if xs else float("nan")


ops = {k: call("GET", f"{broker}/v1/operations?kind={k}&workload=travel")["operations"] for k in ("localize", "delocalize")}
failed = sum(1 for k in ops for o in ops[k] if o["state"] == "failed")
sync = [s["detail"] for o in ops["localize"] for s in o["steps"] if s["name"] == "sync_data"]
others = {v: sorted({p for _, p, _ in seen[v]}) for v in NETWORKS if v != "far-1"}
to_move = [m - d for d, m, _, _ in cycles]
to_back = [b - r for _, _, r, b in cycles]
degraded = [r - d for d, _, r, _ in cycles]
before = [(0, cycles[0][0])] + [(b + 1, cycles[i + 1][0]) for i, (_, _, _, b) in enumerate(cycles[:-1])]
print(f"localize: one workload on sim-a, three audiences (1 s probes from each vantage, window {window_s:g} s, cooldown {cooldown_s:g} s, "
      f"objective p95 {OBJECTIVE_MS} ms), control planes 400 ms a call; {n_cycles} times far-1 at sim-a 20 -> 300 ms for "
      f"{min(degraded):.0f}-{max(degraded):.0f} s while sim-b answers it in 20 ms")
print(f"  icbroker   far-1 answered sim-b after the degradation: best {min(to_move):5.1f} s, worst {max(to_move):5.1f} s; back on sim-a after "
      f"the recovery: best {min(to_back):5.1f} s, worst {max(to_back):5.1f} s (window + cooldown {window_s + cooldown_s:g} s)")
print(f"             far-1's users' p95: before {p95('far-1', before):4.0f} ms, degraded until the move {p95('far-1', [(d, m) for d, m, _, _ in cycles]):4.0f} ms, "
      f"moved {p95('far-1', [(m + 1, r) for _, m, r, _ in cycles]):4.0f} ms, back {p95('far-1', [(b + 1, b + 10) for _, _, _, b in cycles]):4.0f} ms")
print(f"  Route 53   (latency tables, computed) far-1 stays on sim-a: p95 300 ms for every whole degradation; time over the objective "
      f"{sum(degraded):.0f} s in all (icbroker: {sum(to_move):.1f} s)")
print(f"  data at sim-b before each answer: " + ", ".join(f"{d.get('delta', {}).get('verified', 0)} objects verified" for d in sync) +
      f" ({(sync[0].get('delta', {}).get('bytes', 0) if sync else 0) / 2**20:.1f} MiB each); other audiences' answers all along: " +
      ", ".join(f"{v} {'/'.join(p)}" for v, p in others.items()) +
      f"; operations: {len(ops['localize'])} localize, {len(ops['delocalize'])} delocalize, {failed} failed")
