#!/usr/bin/env python3
"""The disaster demo's driver (scripts/disaster-demo starts the lab and the
broker, then runs this): a dozen workloads of three priorities on sim-a,
four with data replicated to sim-c; a drill; sim-a taken down; the
timeline as it happens; each workload's achieved RTO and RPO beside the
drill's prediction; the data at sim-c checked by SHA-256 (awscli).

    disaster_demo.py BROKER_URL LAB_JSON ICBROKER_BIN WORK_DIR
"""
import calendar
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request

broker, lab_json, icbroker, work = sys.argv[1:5]
lab = json.load(open(lab_json))
sims = {c["provider"]: c for c in lab["compute"]}
t0 = time.monotonic()


def call(method, path, body=None):
    req = urllib.request.Request(broker + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def get(path):
    return call("GET", path)[1]


def steer(provider, change):
    req = urllib.request.Request(sims[provider]["url"] + "/v1/state", method="PUT", data=json.dumps(change).encode())
    urllib.request.urlopen(req, timeout=10).read()


def dig(name):
    out = subprocess.run(["dig", "+short", "+norecurse", "+time=1", "+tries=1", "@127.0.0.1", "-p", str(lab["dns"]["port"]), name, "A"],
                         capture_output=True, text=True).stdout.split()
    return out[0] if out else ""


def aws(*args):
    s3 = lab["s3"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=s3["access_key"], AWS_SECRET_ACCESS_KEY=s3["secret_key"], AWS_DEFAULT_REGION=s3["region"])
    env.pop("AWS_CA_BUNDLE", None)
    return subprocess.run(["aws", "--endpoint-url", s3["endpoint"], *args], env=env, capture_output=True, text=True)


def say(line):
    print(f"[{time.monotonic() - t0:7.2f} s] {line:s}", flush=True)


def wait(what, check, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"disaster-demo: gave up waiting for {what}")


def sha256_dir(root):
    out = {}
    for base, _, files in os.walk(root):
        for f in files:
            p = os.path.join(base, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


# The workloads: twelve on sim-a, priorities 1 to 3; the four with data
# (objects of 1 KiB to 4 MiB in sim-a's bucket) replicate to sim-c every 5 s.
# Room: sim-a takes all of them; at sim-b, the second best, room for 10
# instances beside its resident's 2, so the lower priorities go on to
# sim-c. The residents of sim-b and sim-c are what the drill times their
# control planes by (a target no workload ever ran on is predicted from
# its SLA's scale_minutes: 5 minutes in the lab's catalog).
steer("sim-a", {"capacity": 1000, "quota": 1000})
steer("sim-b", {"capacity": 12, "quota": 1000})
steer("sim-c", {"capacity": 1000, "quota": 1000})
for bucket in ("sim-a", "sim-c"):
    aws("s3", "mb", f"s3://{bucket}")
workloads = []
for i in range(12):
    wid = f"shop-{i + 1:02d}"
    priority = 1 + i // 4
    doc = {"name": f"Shop {i + 1}", "priority": priority, "recovery_class": "fast", "profile_id": "lab-web",
           "placement": {"provider": "sim-a"}, "service": wid, "instances": 2,
           "dns": {"provider": "lab-dns", "name": f"{wid}.lab.example.", "ttl": 5}, "rto_s": 15,
           "failover": {"automatic": True, "interval_s": 0.5, "failures": 3, "recoveries": 2}}
    if i % 3 == 0:
        seed = os.path.join(work, "seed", wid)
        os.makedirs(seed, exist_ok=True)
        for k, size in enumerate([1 << 10, 64 << 10, 1 << 20, 4 << 20]):
            with open(os.path.join(seed, f"obj-{k}"), "wb") as f:
                f.write(os.urandom(size))
        r = aws("s3", "cp", "--recursive", "--only-show-errors", seed, f"s3://sim-a/{wid}/")
        if r.returncode:
            raise SystemExit("disaster-demo: upload failed: " + r.stderr)
        doc.update({"candidates": ["sim-a", "sim-c"], "data": [{"name": "files", "prefix": f"{wid}/"}], "rpo_s": 30,
                    "replication": {"to": "sim-c", "interval_s": 5}})
    workloads.append((wid, doc))
residents = []
for provider in ("sim-b", "sim-c"):
    rid = "home-" + provider[-1]
    residents.append((rid, {"name": f"Resident of {provider}", "priority": 3, "recovery_class": "fast", "profile_id": "lab-web",
                            "placement": {"provider": provider}, "service": rid, "instances": 2,
                            "dns": {"provider": "lab-dns", "name": f"{rid}.lab.example.", "ttl": 5},
                            "failover": {"automatic": True, "interval_s": 0.5, "failures": 3, "recoveries": 2}}))
for wid, doc in workloads + residents:
    status, body = call("PUT", f"/v1/workloads/{wid}", doc)
    if status not in (200, 201):
        raise SystemExit(f"disaster-demo: PUT {wid}: {status} {body}")
say(f"{len(workloads)} workloads put on sim-a (priorities 1-3; 4 with data replicated to sim-c), one on each of sim-b and sim-c")
wait("every workload running", lambda: all(get(f"/v1/workloads/{w}").get("state") == "running" for w, _ in workloads + residents))
wait("every replica verified", lambda: all("replica" in get(f"/v1/workloads/{w}") for w, d in workloads if "data" in d))
say("all running at sim-a (dig answers " + dig("shop-01.lab.example.") + "), replicas verified at sim-c")

print("\n--- drill: what a disaster of sim-a would do (nothing is changed) ---", flush=True)
subprocess.run([icbroker, "drill", "--broker", broker, "--providers", "sim-a"])
drill = call("POST", "/v1/drills", {"providers": ["sim-a"]})[1]
predicted = {w["workload"]: w for w in drill["workloads"]}

print("\n--- sim-a goes down ---", flush=True)
t_out = time.time()
t0 = time.monotonic()
since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_out - 1))
steer("sim-a", {"outage": True})
say("sim-a: outage")
switched, seen = {}, set()
addresses = {p: c["address"] for p, c in sims.items()}
shown = {"detected", "decision", "step_succeeded", "unplaced", "verified"}
while True:
    events, path = [], f"/v1/events?limit=1000&from={since}"
    while path:
        page = get(path)
        events += page["events"]
        path = f"/v1/events?limit=1000&from={since}&after={page['next']}" if page.get("next") else None
    fresh = [e for e in events if e["id"] not in seen]
    fresh.sort(key=lambda e: e["at"])
    for e in fresh:
        seen.add(e["id"])
        kind = e["kind"]
        if kind not in shown:
            continue
        if kind == "step_succeeded" and not any(s in e["summary"] for s in ("ensure_capacity", "switch_dns", "verify")):
            continue
        line = (e.get("workload", "") + ": " if kind == "step_succeeded" else "") + e["summary"]
        if kind == "decision" and isinstance(e.get("inputs", {}).get("candidates"), list):
            scores = ", ".join(f"{c['provider']} {c.get('score', 0):.3f}" for c in e["inputs"]["candidates"] if c.get("rank"))
            line += f" (scores: {scores})"
        at = calendar.timegm(time.strptime(e["at"][:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + e["at"][19:].rstrip("Z"))
        if at < t_out:
            continue  # a replication that ended just before
        print(f"[{at - t_out:7.2f} s] {kind:15s} {line}", flush=True)
    for wid, _ in workloads:
        p = predicted.get(wid)
        if wid in switched or not p or not p["target"]:
            continue
        if dig(f"{wid}.lab.example.") == addresses[p["target"]]:
            switched[wid] = time.time() - t_out
            say(f"dig            {wid}.lab.example. answers {p['target']} ({addresses[p['target']]})")
    recs = get("/v1/operations?kind=recovery")["operations"]
    placed = [w for w, p in predicted.items() if p["target"]]
    if recs and recs[0]["state"] in ("succeeded", "failed", "cancelled") and all(w in switched for w in placed):
        break
    if time.monotonic() - t0 > 180:
        raise SystemExit("disaster-demo: the recovery did not end within 3 minutes")
    time.sleep(0.2)

print("\n--- achieved beside predicted ---", flush=True)
print(f"{'workload':10s} {'prio':>4s} {'drill':7s} {'landed':7s} {'RTO pred':>8s} {'achieved':>8s}  {'RPO pred':>8s} {'achieved':>8s}  "
      "parts achieved (detect+capacity+data+dns+verify)")
worst, misplaced = 0.0, 0
for wid, _ in workloads:
    p = predicted[wid]
    now = get(f"/v1/workloads/{wid}")
    landed = now["placement"]["provider"] if now.get("state") != "unplaced" else "unplaced"
    misplaced += 0 if landed == (p["target"] or "unplaced") else 1
    ops = get(f"/v1/operations?kind=failover&workload={wid}")["operations"]
    if not ops:
        print(f"{wid:10s} {p['priority']:4d} {str(p['target']):7s} {landed:7s}")
        continue
    rto = get(f"/v1/operations/{ops[0]['id']}")["rto"]
    a = rto["achieved"]
    fmt = lambda v: "-" if v is None else f"{v:.1f}"
    parts = "+".join(fmt(a[k]) for k in ("detection_s", "capacity_s", "data_s", "dns_s", "verify_s"))
    if a["rto_s"] is not None and p["predicted_rto_s"] is not None:
        worst = max(worst, a["rto_s"] - p["predicted_rto_s"])
    print(f"{wid:10s} {p['priority']:4d} {str(p['target']):7s} {landed:7s} {fmt(p['predicted_rto_s']):>8s} {fmt(a['rto_s']):>8s}  "
          f"{fmt(p['predicted_rpo_s']):>8s} {fmt(a['rpo_s']):>8s}  {parts}")
print(f"worst achieved minus predicted RTO: {worst:+.1f} s (the achieved RTO counts from the first failed probe and adds the TTL)")

print("\n--- data at sim-c, by SHA-256 (awscli) ---", flush=True)
bad = 0
for wid, doc in workloads:
    if "data" not in doc:
        continue
    back = os.path.join(work, "back", wid)
    aws("s3", "cp", "--recursive", "--only-show-errors", f"s3://sim-c/{wid}/", back)
    same = sha256_dir(back) == sha256_dir(os.path.join(work, "seed", wid))
    bad += 0 if same else 1
    print(f"{wid}: {len(sha256_dir(back))} objects, {'identical' if same else 'DIFFERENT'}")
steer("sim-a", {"outage": False})
print(f"\n{len(workloads) - misplaced} of {len(workloads)} landed where the drill said; worst RTO {worst:+.1f} s against the prediction; "
      f"{bad} data sets differ")
sys.exit(1 if bad or misplaced or worst > 2 else 0)
