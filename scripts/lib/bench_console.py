"""scripts/bench-console: the broker's CPU at idle with no console open, then
with N consoles that signed in and hold the live event stream (one run)."""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def status_of(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split()[1]
    return "?"


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_in(base):
    """What the console loads when it signs in (console/console.js: signIn)."""
    call(base, "GET", "/v1/caller")
    call(base, "GET", "/v1/events?from=2000-01-01T00:00:00Z&limit=500")
    for path in ("/v1/workloads?limit=500", "/v1/readiness", "/v1/operations?limit=200", "/v1/providers?limit=500", "/v1/profiles?limit=500"):
        call(base, "GET", path)
    call(base, "POST", "/v1/compare", {"profile": {"evidence": "both"}})


def open_stream(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("stream closed before its head")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace"))
    s.setblocking(False)
    return s


def drain(streams):
    n = 0
    for s in streams:
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    raise RuntimeError("a stream ended")
                n += len(data)
        except BlockingIOError:
            pass
    return n


def idle(pids, seconds, streams):
    start_cpu, start = cpu_seconds(pids), time.monotonic()
    received = 0
    while time.monotonic() - start < seconds:
        time.sleep(1)
        received += drain(streams)
    used = cpu_seconds(pids) - start_cpu
    return used / (time.monotonic() - start) * 100, received


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--icbroker", required=True)
    ap.add_argument("--consoles", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="icb-console-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    broker = subprocess.Popen([a.icbroker, "serve", "--demo", "--auth", "off", "--listen", f"127.0.0.1:{port}", "--data-dir", work + "/data"],
                              stdout=open(work + "/broker.log", "w"), stderr=subprocess.STDOUT)
    streams = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(base, "GET", "/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("the broker did not start: " + open(work + "/broker.log").read())
            time.sleep(0.2)
        pids = [broker.pid] + children(broker.pid)
        time.sleep(5)  # past start-up work
        base_pct, _ = idle(pids, a.seconds, [])
        base_threads = status_of(broker.pid, "Threads")
        base_rss = int(status_of(broker.pid, "VmRSS"))
        signed = time.monotonic()
        for _ in range(a.consoles):
            sign_in(base)
            streams.append(open_stream(port))
        sign_in_s = time.monotonic() - signed
        time.sleep(2)
        drain(streams)
        with_pct, received = idle(pids, a.seconds, streams)
        threads = status_of(broker.pid, "Threads")
        rss = int(status_of(broker.pid, "VmRSS"))
        print(f"bench-console: {a.consoles} consoles, {a.seconds} s idle each way, broker and its redis-server (% of one core)")
        print(f"  {'':28} {'CPU %':>8} {'threads':>8} {'RSS MiB':>8}")
        print(f"  {'no console (baseline)':28} {base_pct:8.2f} {base_threads:>8} {base_rss / 1024:8.1f}")
        print(f"  {f'{a.consoles} consoles, streams open':28} {with_pct:8.2f} {threads:>8} {rss / 1024:8.1f}")
        print(f"  added by the consoles: {with_pct - base_pct:+.2f} % of a core ({(with_pct - base_pct) / a.consoles * 1000:.1f} per mille a console);"
              f" {a.consoles} sign-ins took {sign_in_s:.1f} s; {received} bytes streamed while idle (heartbeats)")
    finally:
        for s in streams:
            s.close()
        broker.terminate()
        broker.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
