"""What the lab benchmarks' drivers share (failover_bench.py,
recovery_bench.py, probes_bench.py, soak.py): the broker's and the simulators' HTTP APIs, dig at the
lab's PowerDNS, waiting for a condition, percentiles, brokers started and
killed as replicas, probed providers. Loopback only: every
address comes from the lab's lab.json or the broker URL given."""
import itertools
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections import Counter


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


def in_parallel(items, fn, threads=8):
    """fn(x) for every item on `threads` threads; exits naming the first failure."""
    items = list(items)
    errors = []

    def work(part):
        for x in part:
            try:
                fn(x)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
    ts = [threading.Thread(target=work, args=(items[i::threads],)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} calls failed, first: {errors[0]}")


def operations(broker, kind):
    """Every operation of `kind`, paged through by cursor."""
    after = None
    while True:
        page = call("GET", f"{broker}/v1/operations?kind={kind}&limit=500" + (f"&after={after}" if after else ""))
        yield from page["operations"]
        after = page.get("next")
        if not after:
            return


def count_ops(broker, kind):
    """How many operations of `kind` are in each state."""
    return Counter(o["state"] for o in operations(broker, kind))


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

    def dig(self, name, subnet=None):
        """The first A record, as a resolver forwarding client subnet `subnet` (EDNS Client Subnet) gets it."""
        args = ["dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p", str(self.dns_port), name, "A"]
        if subnet:
            args.append("+subnet=" + subnet)
        out = subprocess.run(args, capture_output=True, text=True).stdout.split()
        return out[0] if out else ""

    def aws(self, *args):
        """awscli against the lab's S3 server."""
        s3 = self.doc["s3"]
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        env.update({"AWS_ACCESS_KEY_ID": s3["access_key"], "AWS_SECRET_ACCESS_KEY": s3["secret_key"], "AWS_DEFAULT_REGION": "us-east-1"})
        subprocess.run(["aws", "--endpoint-url", s3["endpoint"], *args], env=env, check=True, capture_output=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replicas:
    """Brokers on one Redis, started, killed and restarted by the driver:
    ICB_BIN is the binary, ICB_WORK their folder (logs, data), ICB_BROKER_ARGS
    what they share (the --redis URL among them)."""

    def __init__(self, n):
        self.ports = [free_port() for _ in range(n)]
        self.procs = [None] * n
        self._turn = itertools.count()
        for i in range(n):
            self.start(i)

    def start(self, i):
        work = os.environ["ICB_WORK"]
        args = [os.environ["ICB_BIN"], "serve", "--listen", f"127.0.0.1:{self.ports[i]}", "--data-dir", f"{work}/data{i}",
                "--broker-id", f"replica-{i}"] + os.environ["ICB_BROKER_ARGS"].split()
        self.procs[i] = subprocess.Popen(args, stderr=open(f"{work}/broker{i}.log", "a"))
        wait_up(self.url(i))

    def url(self, i):
        return f"http://127.0.0.1:{self.ports[i]}"

    def leader(self):
        for i, p in enumerate(self.procs):
            if p is None:
                continue
            try:
                with urllib.request.urlopen(self.url(i) + "/metrics", timeout=5) as r:
                    if any(line == "icbroker_leader 1" for line in r.read().decode().splitlines()):
                        return i
            except OSError:
                pass
        return None

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.procs[i] = None

    def any_url(self):
        return next(self.url(i) for i, p in enumerate(self.procs) if p is not None)

    def spread_url(self):
        """The live replicas in turn, as a Kubernetes Service spreads new
        connections over the ready pods."""
        live = [i for i, p in enumerate(self.procs) if p is not None]
        return self.url(live[next(self._turn) % len(live)])

    def stop(self):
        for p in self.procs:
            if p is not None:
                p.terminate()
                p.wait()


def put_probed_providers(broker, endpoints, target, prefix="bench-p"):
    """ENDPOINTS provider endpoints, 10 per provider (PREFIX00000, ...), each
    probed every 10 s at TARGET/pI/eJ; returns the provider ids."""
    ids = [f"{prefix}{i:05d}" for i in range((endpoints + 9) // 10)]

    def put(i):
        eps = [{"id": f"e{j}", "url": f"{target}/p{i}/e{j}", "probe": {"interval_s": 10, "timeout_s": 2}}
               for j in range(min(10, endpoints - 10 * i))]
        call("PUT", f"{broker}/v1/providers/{ids[i]}", {
            "name": f"Bench {i}", "service_model": "IaaS", "regions": [{"id": "r1", "country": "KR"}], "endpoints": eps})
    in_parallel(range(len(ids)), put)
    return ids
