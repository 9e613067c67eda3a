"""What the lab benchmarks' drivers share (failover_bench.py,
recovery_bench.py): the broker's and the simulators' HTTP APIs, dig at the
lab's PowerDNS, waiting for a condition, percentiles. Loopback only: every
address comes from the lab's lab.json or the broker URL given."""
import json
import subprocess
import time
import urllib.request


def call(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def wait_for(pred, timeout=60.0, every=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(every)
    raise SystemExit("timed out")


def wait_up(broker, timeout=30):
    """Until the broker's /v1/health answers (refused connections included)."""
    def up():
        try:
            return call("GET", broker + "/v1/health")
        except OSError:
            return None
    wait_for(up, timeout)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))]


class Lab:
    """A running lab, as its lab.json describes it."""

    def __init__(self, lab_path):
        self.doc = json.load(open(lab_path))
        self.sims = {s["provider"]: s for s in self.doc["compute"]}
        self.dns_port = self.doc["dns"]["port"]

    def steer(self, provider, change):
        call("PUT", self.sims[provider]["url"] + "/v1/state", change)

    def dig(self, name):
        out = subprocess.run(["dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p", str(self.dns_port), name, "A"],
                             capture_output=True, text=True).stdout.split()
        return out[0] if out else ""
