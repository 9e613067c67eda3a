#!/usr/bin/env python3
"""The memory-per-object benchmark's driver (scripts/bench-memory runs it).

A broker serving the lab's catalog grows in two steps: PROVIDERS synthetic
providers with an SLA each (the rank benchmark's catalog), then WORKLOADS
automatic workloads placed through the lab's three simulated providers and
watched by the detector (every INTERVAL seconds, answered by one HAProxy on
loopback, as services behind a provider's load balancer). After each step,
once the broker has settled, it reads the broker's RSS (and the embedded
Redis' used memory) and times what users ask: a rank over the whole
catalog by a demo-like profile and an unconstrained one, a provider and a
workload by id, and the first page of each list. RSS per object is the
growth of that step divided by its count.

With BROKER_CMD (the broker's command line, as a JSON array) it also
restarts the broker over the same Redis after each step and measures again:
the heap of a broker that read what is stored, beside the heap of the one
that took it request by request (which keeps the placements' churn as
fragmentation).
"""
import atexit
import http.client
import json
import os
import signal
import subprocess
import sys
import time

from lab_driver import Lab, call, in_parallel, operations, pct, wait_for, wait_up

(broker, lab_path, ha_port, broker_pid, redis_sock, providers, workloads, interval) = sys.argv[1:9]
providers, workloads, interval, ha_port = int(providers), int(workloads), float(interval), int(ha_port)
lab = Lab(lab_path)
host, port = broker.rsplit("/", 1)[1].split(":")


def rss_kib():
    for line in open(f"/proc/{broker_pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def redis_used_bytes():
    out = subprocess.run(["redis-cli", "-s", redis_sock, "info", "memory"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


broker_cmd = json.loads(os.environ["BROKER_CMD"]) if os.environ.get("BROKER_CMD") else None
restarted = None  # the broker this driver started, if any


def stop_restarted():
    if restarted and restarted.poll() is None:
        restarted.terminate()
        restarted.wait(60)


atexit.register(stop_restarted)


def restart():
    """Stops the serving broker and starts it again on the same store."""
    global broker_pid, restarted
    os.kill(int(broker_pid), signal.SIGTERM)
    if restarted:
        restarted.wait(60)
    else:
        wait_for(lambda: not os.path.exists(f"/proc/{broker_pid}"), 60, 0.2)
    restarted = subprocess.Popen(broker_cmd, stderr=open(os.environ.get("BROKER_LOG", os.devnull), "a"))
    broker_pid = str(restarted.pid)
    wait_up(broker)


def settled_rss():
    """RSS once it stops moving (three readings a second apart within 1 %),
    read after the broker's 30 s memory trim has run once since the step."""
    time.sleep(31)
    readings = []
    end = time.monotonic() + 60
    while time.monotonic() < end:
        readings.append(rss_kib())
        last = readings[-3:]
        if len(last) == 3 and max(last) - min(last) <= max(last) / 100:
            return max(last)
        time.sleep(1)
    return readings[-1]


def timed(method, path, body=None, n=200):
    """p50, p99 and max of n sequential requests on one keep-alive connection, ms."""
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    data = json.dumps(body) if body is not None else None
    times = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        r.read()
        times.append((time.perf_counter() - t) * 1000)
        if r.status >= 300:
            raise SystemExit(f"{method} {path}: {r.status}")
    conn.close()
    return pct(times, 50), pct(times, 99), max(times)


def latencies(workload_id):
    rows = [
        ("POST /v1/rank lab-web, top 10", "POST", "/v1/rank", {"profile_id": "lab-web", "top_k": 10}),
        ("POST /v1/rank unconstrained, top 10", "POST", "/v1/rank", {"profile": {"weights": {"availability": 1, "responsiveness": 1}}, "top_k": 10}),
        ("GET /v1/providers/{id}", "GET", "/v1/providers/sim-a", None),
        ("GET /v1/providers?limit=100", "GET", "/v1/providers?limit=100", None),
        ("GET /v1/health", "GET", "/v1/health", None),
    ]
    if workload_id:
        rows += [("GET /v1/workloads/{id}", "GET", f"/v1/workloads/{workload_id}", None),
                 ("GET /v1/workloads?limit=100", "GET", "/v1/workloads?limit=100", None)]
    timed("POST", "/v1/rank", {"profile_id": "lab-web", "top_k": 10}, n=5)  # the snapshot and memo built
    return {name: timed(m, p, b) for name, m, p, b in rows}


def placed():
    """Place operations succeeded so far; exits at the first that failed."""
    failed = None
    n = 0
    for o in operations(broker, "place"):
        n += o["state"] == "succeeded"
        if o["state"] == "failed" and not failed:
            failed = o
    if failed:
        raise SystemExit(f"placement failed: {json.dumps(failed)[:2000]}")
    return n


wait_up(broker)
stages = []


def measure(name, workload_id=None):
    lat = latencies(workload_id)  # also builds what the requests need
    rss = settled_rss()
    stages.append((name, rss, redis_used_bytes(), lat))
    # A look inside the settled broker (e.g. scripts/lib/malloc-info, which
    # dumps glibc's heap statistics), given its pid and the stage's name.
    if os.environ.get("BENCH_MEASURE_HOOK"):
        subprocess.run([os.environ["BENCH_MEASURE_HOOK"], broker_pid, name.strip()], check=False)
    print(f"measured: {name}: RSS {rss / 1024:.1f} MiB", file=sys.stderr)


measure("lab catalog")

t = time.monotonic()
subprocess.run([sys.executable, "tests/bench/load_catalog.py", port, str(providers)], check=True)
print(f"set up: {providers} providers in {time.monotonic() - t:.0f} s", file=sys.stderr)
measure(f"+ {providers} providers")
if broker_cmd:
    restart()
    measure(f"  restarted")

t = time.monotonic()
sims = sorted(lab.sims)
for s in sims:
    lab.steer(s, {"outage": False, "capacity": workloads + 1000, "quota": workloads + 1000, "api_latency_ms": 0,
                  "service_url": f"http://127.0.0.1:{ha_port}/w/"})
ids = [f"mem-{i:05d}" for i in range(workloads)]
in_parallel(ids, lambda w: call("PUT", f"{broker}/v1/workloads/{w}", {
    "name": w, "priority": 1 + int(w[-5:]) % 5, "recovery_class": "fast", "profile_id": "lab-web",
    "placement": {"provider": sims[int(w[-5:]) % len(sims)]}, "service": w, "instances": 1,
    "dns": {"provider": "lab-dns", "name": w + ".lab.example.", "ttl": 30},
    "failover": {"automatic": True, "interval_s": interval, "failures": 3, "recoveries": 2}}))
wait_for(lambda: placed() >= workloads, 3600, 10.0)  # a poll reads every place operation
for s in sims:
    lab.steer(s, {"service_url": None})
print(f"set up: {workloads} workloads placed in {time.monotonic() - t:.0f} s", file=sys.stderr)
time.sleep(max(15, 2 * interval))  # every workload watched for a round or two
measure(f"+ {workloads} workloads", ids[len(ids) // 2])
if broker_cmd:
    restart()
    time.sleep(max(15, 2 * interval))  # every workload watched again
    measure(f"  restarted", ids[len(ids) // 2])

print()
print(f"memory per object: {providers} providers (one SLA each), then {workloads} workloads placed and watched every {interval:g} s")
print(f"  {'stage':28s} {'broker RSS':>12s} {'per object':>12s} {'Redis used':>12s} {'per object':>12s}")
# Each stage against the one it grew from: a step against the stage before
# it, a restarted broker with the providers against the fresh one with the
# lab catalog, the workloads against the restarted broker they were added to.
counts = [0, providers, providers, workloads, workloads] if broker_cmd else [0, providers, workloads]
base = [None, 0, 0, 2, 2] if broker_cmd else [None, 0, 1]
for i, (name, rss, redis, _) in enumerate(stages):
    per, rper = "", ""
    if base[i] is not None and counts[i]:  # none added (0 providers): no figure per object
        b = stages[base[i]]
        per = f"{(rss - b[1]) / counts[i]:.2f} KiB"
        rper = f"{(redis - b[2]) / counts[i] / 1024:.2f} KiB"
    print(f"  {name:28s} {rss / 1024:9.1f} MiB {per:>12s} {redis / 1048576:9.1f} MiB {rper:>12s}")
print()
print(f"  latencies, ms (p50 / p99 / max of 200 sequential requests), per stage:")
names = []
for _, _, _, lat in stages:
    for k in lat:
        if k not in names:
            names.append(k)
print(f"  {'request':38s} " + " ".join(f"{s[0]:>26s}" for s in stages))
for k in names:
    cells = []
    for _, _, _, lat in stages:
        cells.append(f"{lat[k][0]:6.2f} / {lat[k][1]:6.2f} / {lat[k][2]:6.2f}" if k in lat else "")
    print(f"  {k:38s} " + " ".join(f"{c:>26s}" for c in cells))
