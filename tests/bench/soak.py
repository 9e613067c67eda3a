#!/usr/bin/env python3
"""The soak's driver (scripts/soak runs it).

Three brokers (replicas) on Redis behind Sentinel, on the lab, for MINUTES
minutes of what a deployment lives through at once, every client request
sent to the live replicas in turn (as a Service spreads them):
  - samples pushed at 50,000/s (batches of 1,000 over the probed providers'
    series, 4 clients), each batch resent until acknowledged;
  - a rank of the lab's profile every 100 ms;
  - 1,000 provider endpoints probed every 10 s (answered by HAProxy on
    loopback) and 30 automatic workloads every 1 s;
  - each minute, the lab provider running most workloads goes down for
    25 s (its workloads fail over), then comes back;
  - one data migration (mixed object sizes, sim-a S3 to sim-b Azure);
  - the leader SIGKILLed at 40 % of the run (restarted 10 s later) and the
    Redis replica promoted by Sentinel at 60 %.
It prints, per minute, rank and ingestion p99, the brokers' RSS (floor
and peak) and the Redis master's used memory and forks (AOF rewrites, full
syncs), each replica's RSS growth after its warm-up, then
the drift (last minute against the first), errors (answers that were not
success, 503s retried counted apart), samples lost (acknowledged but not
stored), and each failover's effects at the simulated providers (lost = an
operation that succeeded without its deployment, duplicated = a deployment
or scale done twice).
"""
import atexit
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict, namedtuple

from lab_driver import Lab, Replicas, call, count_ops, in_parallel, operations, pct, put_probed_providers, wait_for

lab_path, minutes, ha_port, sentinel_port = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
duration = minutes * 60
lab = Lab(lab_path)
group = Replicas(3)
# Stopped however the driver ends: an exception in this thread once left
# the brokers (and, with the load threads waited for, the whole lab) running.
atexit.register(group.stop)
broker = group.url(0)

# Set-up: 1,000 endpoints, 30 watched workloads, objects to migrate.
t_setup = time.monotonic()
providers = put_probed_providers(broker, 1000, f"http://127.0.0.1:{ha_port}", prefix="soak-p")
for s in lab.sims:
    lab.steer(s, {"outage": False, "capacity": 1000, "quota": 1000, "api_latency_ms": 50})
sims = sorted(lab.sims)
workloads = [f"soak-w{i:02d}" for i in range(30)]
in_parallel(workloads, lambda w: call("PUT", f"{broker}/v1/workloads/{w}", {
    "name": w, "priority": 1 + int(w[-2:]) % 5, "recovery_class": "fast", "profile_id": "lab-web",
    "placement": {"provider": sims[int(w[-2:]) % len(sims)]}, "service": w, "instances": 1,
    "dns": {"provider": "lab-dns", "name": w + ".lab.example.", "ttl": 5},
    "failover": {"automatic": True, "interval_s": 1, "failures": 3, "recoveries": 2}}))
wait_for(lambda: count_ops(broker, "place")["succeeded"] >= len(workloads), 300, 0.5)
objects = os.path.join(os.environ["ICB_WORK"], "objects")
os.makedirs(objects, exist_ok=True)
for i, size in enumerate([1 << 10, 64 << 10, 1 << 20, 4 << 20] * 5):
    with open(os.path.join(objects, f"obj-{i:02d}"), "wb") as f:
        f.write(os.urandom(size))
try:
    lab.aws("s3", "mb", "s3://sim-a")
except subprocess.CalledProcessError:
    pass  # there already
lab.aws("s3", "cp", "--recursive", "--only-show-errors", objects, "s3://sim-a/soak/")
print(f"set up in {time.monotonic() - t_setup:.0f} s: {len(providers)} providers with 1,000 endpoints, 30 workloads placed, "
      f"20 objects (1 KiB-4 MiB) in sim-a", file=sys.stderr)
time.sleep(10)

window_from = (int(time.time()) // 60 * 60 - 2 * 86400) * 1000  # ms; samples' timestamps start here
stop = threading.Event()
t0 = time.monotonic()
minute = lambda: int((time.monotonic() - t0) // 60)
lat = defaultdict(lambda: defaultdict(list))  # kind -> minute -> seconds
answers = defaultdict(Counter)                # kind -> status -> count
acked, accepted = [0], [0]  # samples in batches acknowledged (202); of them, new to the store by its answer
iso = lambda ms: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + "Z"
lock = threading.Lock()


def post(path, body):
    """One call to the next live replica, in turn as behind a Service:
    (status, seconds, answer); status 0 when none answered."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    started = time.monotonic()
    try:
        req = urllib.request.Request(group.spread_url() + path, data=data, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, time.monotonic() - started, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, time.monotonic() - started, {}
    except (OSError, StopIteration):
        return 0, time.monotonic() - started, {}


def ingest(client):
    """Batches of 1,000 samples, one per series at one time, 12.5 a second
    (50,000 samples/s over 4 clients)."""
    # Within raw retention, before the probes' own samples (now): from two
    # days ago, six hours apart per client (more batches than a 10-minute
    # run sends), one second apart from batch to batch.
    base = window_from + client * 6 * 3_600_000
    heads = [f'{{"provider":"{p}","endpoint":"e{j}","vantage":"soak","ts":"' for p in providers for j in range(10)]
    tail = '","interval_s":10,"ok":true,"latency_ms":20}'
    b = 0
    next_at = time.monotonic()
    while not stop.is_set():
        ts = iso(base + b * 1000)
        body = ('{"samples":[' + ",".join(h + ts + tail for h in heads) + "]}").encode()
        while not stop.is_set():
            status, secs, answer = post("/v1/qos/samples", body)
            with lock:
                answers["ingest"][status] += 1
                lat["ingest"][minute()].append(secs)
            if status == 202:
                with lock:
                    acked[0] += len(heads)
                    accepted[0] += answer.get("accepted", 0)
                break
            time.sleep(0.1)
        b += 1
        next_at += 0.08
        time.sleep(max(0.0, next_at - time.monotonic()))


def rank():
    while not stop.is_set():
        status, secs, _ = post("/v1/rank", {"profile_id": "lab-web"})
        with lock:
            answers["rank"][status] += 1
            lat["rank"][minute()].append(secs)
        time.sleep(0.1)


# RSS split as the kernel counts it: anonymous (the heap and stacks: what
# a leak grows) and file-backed (the binary's code and data pages, resident
# once first run: a replica that takes the lead runs the orchestrator's,
# the detector's and the adapters' code for the first time); beside it, from
# the replica's /metrics, what its allocator has handed out (the live heap:
# anonymous RSS above it is freed memory kept, or stacks), its threads, and
# the HTTP requests it was serving then (what those hold is in the heap).
Rss = namedtuple("Rss", "total anon file heap threads inflight")
rss = defaultdict(lambda: defaultdict(list))  # replica -> minute -> [Rss], memory in KiB
restarted = {}  # replica -> the minute it was restarted in
took_lead = {}  # replica -> the minute it took the lead from a killed one


redis_seen = {}  # minute -> (master's port, used memory MiB, forks so far): its last INFO that minute


def sample_redis_master():
    """What the Redis master holds and how often it forked (AOF rewrites,
    full syncs to a replica): the store's side of the ingestion's latency."""
    port = redis_master_port()
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO"], capture_output=True, text=True).stdout
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    if "used_memory" in info:
        redis_seen[minute()] = (port, int(info["used_memory"]) / 2**20, int(info["total_forks"]))


def sample_rss():
    while not stop.wait(5):
        try:
            sample_redis_master()
        except (OSError, ValueError, IndexError):
            pass
        for i, p in enumerate(group.procs):
            if p is None:
                continue
            try:
                fields = dict(line.split(":", 1) for line in open(f"/proc/{p.pid}/status"))
                kib = {k: int(fields[k].split()[0]) for k in ("VmRSS", "RssAnon", "RssFile")}
                with urllib.request.urlopen(group.url(i) + "/metrics", timeout=5) as r:
                    scraped = dict(line.split(" ", 1) for line in r.read().decode().splitlines() if line and line[0] != "#")
                heap = float(scraped["icbroker_heap_allocated_bytes"]) / 1024
                rss[i][minute()].append(Rss(kib["VmRSS"], kib["RssAnon"], kib["RssFile"], heap, int(fields["Threads"]),
                                            float(scraped["icbroker_http_requests_in_flight"])))
            except (OSError, KeyError, ValueError):
                pass


def read_retrying(path, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call("GET", f"{group.spread_url()}{path}")
        except urllib.error.HTTPError as e:
            if e.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def redis_master_port():
    out = subprocess.run(["redis-cli", "-p", str(sentinel_port), "SENTINEL", "get-master-addr-by-name", "icb"], capture_output=True, text=True).stdout.split()
    return int(out[1]) if len(out) > 1 else 0


threads = [threading.Thread(target=ingest, args=(c,), daemon=True) for c in range(4)] + [threading.Thread(target=rank, daemon=True),
                                                                                          threading.Thread(target=sample_rss, daemon=True)]
for t in threads:
    t.start()

events = []  # (seconds, what)
killed_at, promoted_at, migration = 0.4 * duration, 0.6 * duration, None
killed = promoted = False
outage = None
while time.monotonic() - t0 < duration:
    now = time.monotonic() - t0
    second = now % 60
    if outage is None and 10 <= second < 35 and now + 30 < duration:
        # Asked again while a replica answers 503 (the Redis promotion).
        counts = Counter(read_retrying(f"/v1/workloads/{w}")["placement"]["provider"] for w in workloads)
        outage = counts.most_common(1)[0][0]
        lab.steer(outage, {"outage": True})
        events.append((now, f"{outage} down ({counts[outage]} workloads)"))
    elif outage is not None and second >= 35:
        lab.steer(outage, {"outage": False})
        events.append((now, f"{outage} back"))
        outage = None
    if migration is None and now >= 150:
        status, _, _ = post("/v1/migrations", {"source": {"provider": "sim-a", "prefix": "soak/"}, "target": {"provider": "sim-b", "prefix": "soak-copy/"}})
        migration = status
        events.append((now, f"migration sim-a S3 -> sim-b Azure asked ({status})"))
    if not killed and now >= killed_at:
        leader = group.leader()
        if leader is not None:
            group.kill(leader)
            events.append((now, f"leader replica-{leader} SIGKILLed"))
            killed = True
            wait_for(lambda: group.leader() is not None, timeout=60, every=0.2)
            took_lead[group.leader()] = minute()
            events.append((time.monotonic() - t0, f"replica-{group.leader()} leads"))
            time.sleep(max(0.0, 10 - (time.monotonic() - t0 - now)))
            group.start(leader)
            restarted[leader] = minute()
            events.append((time.monotonic() - t0, f"replica-{leader} restarted"))
    if not promoted and now >= promoted_at:
        before = redis_master_port()
        subprocess.run(["redis-cli", "-p", str(sentinel_port), "SENTINEL", "FAILOVER", "icb"], capture_output=True)
        wait_for(lambda: redis_master_port() not in (0, before), timeout=60, every=0.2)
        events.append((time.monotonic() - t0, f"Redis replica promoted ({before} -> {redis_master_port()})"))
        promoted = True
    time.sleep(0.2)
if outage is not None:
    lab.steer(outage, {"outage": False})
stop.set()
for t in threads:
    t.join()
ran = time.monotonic() - t0

# Settle: every operation ended.
broker = group.any_url()
wait_for(lambda: all(o["state"] in ("succeeded", "failed", "cancelled") for k in ("failover", "migration", "recovery", "place")
                     for o in operations(broker, k)), timeout=300, every=1.0)
for at, what in events:
    print(f"  {at:6.1f} s  {what}")

print(f"\nsoak: {ran / 60:.1f} min, 3 replicas behind Sentinel, 1,000 endpoints + 30 workloads probed")
# RSS every 5 s: each minute's floor (what stays resident; the broker hands
# freed memory back every 30 s) and peak (transient buffers, e.g. a day of
# samples decoded for a rank).
print(f"{'minute':>6} {'rank p99 ms':>12} {'ingest p99 ms':>14} {'samples/s':>10} {'RSS MiB floor-peak (each replica)':>36} "
      f"{'Redis master MiB, forks':>24}")
mins = sorted(set(lat["rank"]) | set(lat["ingest"]))
for m in mins:
    r, g = lat["rank"].get(m, []), lat["ingest"].get(m, [])
    totals = [[x.total for x in rss[i].get(m, [Rss(0, 0, 0, 0, 0, 0)])] for i in range(3)]
    sizes = " ".join(f"{min(t) / 1024:4.0f}-{max(t) / 1024:<4.0f}" for t in totals)
    port, used, forks = redis_seen.get(m, (0, 0, 0))
    print(f"{m:6d} {pct(r, 99) * 1000 if r else 0:12.1f} {pct(g, 99) * 1000 if g else 0:14.1f} {len(g) * 1000 / 60:10.0f} {sizes:>36} "
          f"{used:10.0f} ({port}) {forks:4d}")
first, last = mins[0], mins[-2] if len(mins) > 2 else mins[-1]  # the last whole minute
for kind in ("rank", "ingest"):
    a, b = lat[kind][first], lat[kind][last]
    print(f"{kind} p99 drift: minute {first} {pct(a, 99) * 1000:.1f} ms -> minute {last} {pct(b, 99) * 1000:.1f} ms "
          f"({(pct(b, 99) / pct(a, 99) - 1) * 100:+.0f} %); p50 {statistics.median(a) * 1000:.1f} -> {statistics.median(b) * 1000:.1f} ms")
# Growth after warm-up (2 minutes from its start or restart) to the last
# whole minute, of the floor (the target: under 5 %) and of the peak; the
# floor split into anonymous and file-backed pages. A replica that took the
# lead mid-run is also judged from 2 minutes after that, as its work changed.


def growth(i, warm, why):
    ms = [m for m in sorted(rss[i]) if warm <= m <= last]
    if len(ms) < 2:
        print(f"replica-{i} RSS: too few minutes after {why} (minute {warm}) to judge")
        return
    a, b = rss[i][ms[0]], rss[i][ms[-1]]
    # Floors (each field's least in the minute; MiB but the counts) and the total's peak, MiB.
    fa, fb = (Rss(*(min(getattr(x, f) for x in xs) / (1 if f in ("threads", "inflight") else 1024) for f in Rss._fields)) for xs in (a, b))
    busy_a, busy_b = (statistics.mean(x.inflight for x in xs) for xs in (a, b))
    pa, pb = (max(x.total for x in xs) / 1024 for xs in (a, b))

    def pc(before, after):
        return (after / before - 1) * 100 if before else 0.0
    print(f"replica-{i} RSS after {why}: floor minute {ms[0]} {fa.total:.1f} -> minute {ms[-1]} {fb.total:.1f} MiB ({pc(fa.total, fb.total):+.0f} %; "
          f"anonymous {fa.anon:.1f} -> {fb.anon:.1f} MiB ({pc(fa.anon, fb.anon):+.0f} %), "
          f"file-backed {fa.file:.1f} -> {fb.file:.1f} MiB), peak {pa:.1f} -> {pb:.1f} MiB ({pc(pa, pb):+.0f} %); "
          f"heap allocated {fa.heap:.1f} -> {fb.heap:.1f} MiB ({pc(fa.heap, fb.heap):+.0f} %), threads {fa.threads:.0f} -> {fb.threads:.0f}, "
          f"requests in flight {busy_a:.1f} -> {busy_b:.1f} on average")


for i in range(3):
    growth(i, restarted.get(i, mins[0]) + 2, "its warm-up" if i not in restarted else "its restart's warm-up")
    if i in took_lead:
        growth(i, took_lead[i] + 2, "taking the lead")
for kind, c in answers.items():
    print(f"{kind} answers: " + ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(c.items())))

# Samples: every acknowledged one stored, once.
frm, to = iso(window_from), iso(window_from + 25 * 3_600_000)
stored = 0
for p in providers:
    m = call("GET", f"{broker}/v1/providers/{p}/metrics?from={frm}&to={to}")
    stored += m["response_ms"]["count"]
print(f"samples: {acked[0]} acknowledged ({accepted[0]} new by the answers, the rest resent batches), {stored} stored: "
      f"lost {max(0, acked[0] - stored)}, extra {max(0, stored - acked[0])}")

# Failovers: each one's control-plane calls at the simulated providers, by
# their idempotency keys ("OPERATION/..."): a call with an effect created a
# deployment or changed its scale; one without found it so already (a
# target that kept the workload's deployment from an earlier outage). None
# may take effect twice, and none that succeeded may have made no call.
# Then every workload's record answers where the broker says it runs.
effects, made = Counter(), Counter()
for s in lab.sims.values():
    for c in call("GET", s["url"] + "/v1/calls")["calls"]:
        op = c.get("idempotency_key", "").split("/")[0]
        made[op] += 1
        if c.get("effect"):
            effects[(op, c["call"])] += 1
fo = list(operations(broker, "failover"))
states = Counter(o["state"] for o in fo)
lost = sum(1 for o in fo if o["state"] == "succeeded" and made[o["id"]] == 0)
dup = sum(max(0, n - 1) for (op, c), n in effects.items() if op.startswith("failover-"))
with_effect = lambda kind: sum(n for (op, c), n in effects.items() if op.startswith("failover-") and c == kind)
unchanged = sum(made[o["id"]] for o in fo) - with_effect("deploy") - with_effect("scale")
print(f"failovers: {dict(states)}; calls with an effect: {with_effect('deploy')} deployments, {with_effect('scale')} scales; "
      f"{unchanged} calls found it so already; lost {lost}, duplicated {dup}")
wrong = [w for w in workloads if lab.dig(w + ".lab.example.") != lab.sims[call("GET", f"{broker}/v1/workloads/{w}")["placement"]["provider"]]["address"]]
print(f"DNS: {len(workloads) - len(wrong)} of {len(workloads)} workloads answered at their placement" + (f" (not: {wrong})" if wrong else ""))
for o in operations(broker, "migration"):
    full = call("GET", f"{broker}/v1/operations/{o['id']}")
    confirm = next((s for s in full["steps"] if s["name"] == "confirm"), {}).get("detail", {})
    print(f"migration {full['state']}: {confirm.get('objects', '?')} objects confirmed by SHA-256")
group.stop()
