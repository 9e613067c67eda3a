#!/usr/bin/env python3
"""The probe benchmark's driver (scripts/bench-probes runs it).

A broker serving with --probe watches ENDPOINTS provider endpoints (10 per
provider, 10 s interval) and WORKLOADS automatic workloads (1 s interval),
every one of them answered by one HAProxy on loopback. The workloads are
placed through the lab (sim-c deploys them behind that HAProxy, as a
provider behind its load balancer would). Over a window it measures the
broker's CPU (utime + stime from /proc), threads, RSS, the probes HAProxy
answered, and the broker's own account of how late its probes started
(its "probes in 30 s" log lines); beside it, HAProxy's CPU for the same
requests from the same run.
"""
import os
import re
import sys
import time

from lab_driver import Lab, call, count_ops, in_parallel, put_probed_providers, wait_for, wait_up

(broker, lab_path, ha_port, ha_sock, broker_pid, ha_pid, broker_log, endpoints, workloads, window) = sys.argv[1:11]
ha_port, endpoints, workloads, window = int(ha_port), int(endpoints), int(workloads), int(window)
lab = Lab(lab_path)
TICK = os.sysconf("SC_CLK_TCK")
target = f"http://127.0.0.1:{ha_port}"


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def haproxy_requests():
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(ha_sock)
    s.sendall(b"show stat\n")
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    s.close()
    lines = out.decode().splitlines()
    names = lines[0].lstrip("# ").split(",")
    for row in lines[1:]:
        cells = row.split(",")
        if len(cells) > 1 and cells[0] == "probes" and cells[1] == "FRONTEND":
            return int(cells[names.index("req_tot")])
    return 0


wait_up(broker)
t_setup = time.monotonic()
providers = (endpoints + 9) // 10


put_probed_providers(broker, endpoints, target)
for s in lab.sims:
    lab.steer(s, {"outage": False, "capacity": workloads + 1000, "quota": workloads + 1000, "api_latency_ms": 0})
lab.steer("sim-c", {"service_url": f"{target}/w/"})
ids = [f"watch-{i:05d}" for i in range(workloads)]
in_parallel(ids, lambda w: call("PUT", f"{broker}/v1/workloads/{w}", {
    "name": w, "priority": 1 + int(w[-5:]) % 5, "recovery_class": "fast", "profile_id": "lab-web", "placement": {"provider": "sim-c"},
    "service": w, "instances": 1, "dns": {"provider": "lab-dns", "name": w + ".lab.example.", "ttl": 5},
    "failover": {"automatic": True, "interval_s": 1, "failures": 3, "recoveries": 2}}))
wait_for(lambda: count_ops(broker, "place")["succeeded"] >= workloads, 1200, 1.0)
lab.steer("sim-c", {"service_url": None})
print(f"set up: {providers} providers with {endpoints} endpoints, {workloads} workloads placed in {time.monotonic() - t_setup:.0f} s",
      file=sys.stderr)
time.sleep(15)  # every endpoint through its first round, every workload watched

log_at = os.path.getsize(broker_log)
cpu0, ha_cpu0, req0, t0 = cpu_seconds(broker_pid), cpu_seconds(ha_pid), haproxy_requests(), time.monotonic()
rss_max = threads_max = 0
while time.monotonic() - t0 < window:
    time.sleep(1)
    rss_max = max(rss_max, status(broker_pid, "VmRSS"))
    threads_max = max(threads_max, status(broker_pid, "Threads"))
cpu1, ha_cpu1, req1, t1 = cpu_seconds(broker_pid), cpu_seconds(ha_pid), haproxy_requests(), time.monotonic()
time.sleep(1)
with open(broker_log) as f:
    f.seek(log_at)
    reports = [line for line in f if "probes in 30 s:" in line]

pat = re.compile(r"(\w+) (\d+) started, (\d+) skipped, lateness p50 (\d+) ms p99 (\d+) ms max (\d+) ms")
late = {"workloads": [], "endpoints": []}
for line in reports:
    for m in pat.finditer(line):
        late[m.group(1)].append(tuple(int(x) for x in m.groups()[1:]))

elapsed = t1 - t0
probes = req1 - req0
per_probe_us = (cpu1 - cpu0) / probes * 1e6 if probes else float("nan")
ha_per_req_us = (ha_cpu1 - ha_cpu0) / probes * 1e6 if probes else float("nan")
print()
print(f"probes: {endpoints} endpoints every 10 s + {workloads} workloads every 1 s (expected {endpoints / 10 + workloads:.0f}/s), "
      f"answered by HAProxy on loopback, {elapsed:.0f} s measured")
print(f"  probes answered        {probes / elapsed:8.0f} /s")
print(f"  broker CPU             {(cpu1 - cpu0) / elapsed * 100:8.1f} % of a core   {per_probe_us:6.1f} us per probe "
      f"({(cpu1 - cpu0) / probes * 1000 if probes else 0:.3f} s per 1,000; target <= 100 us)")
print(f"  HAProxy CPU (baseline) {(ha_cpu1 - ha_cpu0) / elapsed * 100:8.1f} % of a core   {ha_per_req_us:6.1f} us per request answered")
print(f"  broker threads         {threads_max:8d}   RSS max {rss_max / 1024:.0f} MiB")
for kind, rows in late.items():
    if not rows:
        print(f"  {kind}: no report in the window")
        continue
    started = sum(r[0] for r in rows)
    skipped = sum(r[1] for r in rows)
    print(f"  {kind:9s} lateness  p50 {max(r[2] for r in rows):4d} ms   p99 {max(r[3] for r in rows):4d} ms (worst report)   "
          f"max {max(r[4] for r in rows):4d} ms   ({started} started, {skipped} skipped, {len(rows)} reports)")
