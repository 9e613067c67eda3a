#!/usr/bin/env python3
"""The copy benchmark's driver (scripts/bench-copy runs it).

  migration_bench.py ICBROKER LAB_DIR ROUNDS

1 GiB of mixed objects (64 objects of 1 to 64 MiB, seeded under data/ in
sim-a's S3 bucket) migrates to sim-b's Azure container through the broker's
`migration` (SHA-256 computed while reading the source and again by reading
the target back), and with `rclone copy` (--transfers 4) between the same two
servers, in the same run. Then one migration is killed with SIGKILL at half
way and resumed by a restarted broker: the bytes sent to the Azure server,
counted by a TCP proxy in front of it, are printed beside an uninterrupted
run's through the same proxy.
"""
import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

icbroker, lab_dir, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
lab = json.load(open(os.path.join(lab_dir, "lab.json")))
work = os.path.join(lab_dir, "bench")
os.makedirs(work, exist_ok=True)
MIB = 1 << 20


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_redis(port):
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit("redis-server did not start")


def group_cpu(name):
    """CPU seconds used so far by the lab server `name` (its process group, from the lab's pids file)."""
    pgid = next(line.split()[1] for line in open(os.path.join(lab_dir, "pids")) if line.split()[0] == name)
    ticks = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if f[2] == pgid:
                ticks += int(f[11]) + int(f[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def servers_cpu():
    return {name: group_cpu(name) for name in ("s3rver", "azurite")}


def call(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


redis_port = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", work, "--appendonly", "yes",
                          "--save", "", "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_redis(redis_port)


class Broker:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([icbroker, "serve", "--auth", "off", "--listen", f"127.0.0.1:{self.port}", "--redis", f"redis://127.0.0.1:{redis_port}",
                                      "--data-dir", os.path.join(work, "data"), "--catalog", os.path.join(lab_dir, "catalog"),
                                      "--credentials", os.path.join(lab_dir, "credentials.json"), "--broker-id", "bench"],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "broker.log"), "a"))
        for _ in range(500):
            try:
                call("GET", self.url + "/v1/health", timeout=1)
                return
            except Exception:
                time.sleep(0.02)
        raise SystemExit("broker did not start")

    def wchar(self):
        for line in open(f"/proc/{self.proc.pid}/io"):
            if line.startswith("wchar:"):
                return int(line.split()[1])
        return 0

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def migrate(broker, prefix, on_progress=None):
    op = call("POST", broker.url + "/v1/migrations", {"source": {"provider": "sim-a", "prefix": "data/"},
                                                       "target": {"provider": "sim-b", "prefix": prefix}})["operation"]["id"]
    while True:
        o = call("GET", broker.url + "/v1/operations/" + op)
        if o["state"] in ("succeeded", "failed", "cancelled"):
            if o["state"] != "succeeded":
                raise SystemExit(f"migration {op} {o['state']}: {o['reason']}")
            return op, o
        if on_progress and on_progress(o):
            return op, None
        time.sleep(0.05)


def sas_url(container):
    az = lab["azure_blob"]
    account, sv, sp, se, spr = "devstoreaccount1", "2019-02-02", "racwdl", "2035-01-01T00:00:00Z", "https,http"
    to_sign = "\n".join([sp, "", se, f"/blob/{account}/{container}", "", "", spr, sv, "c", "", "", "", "", "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(az["key"]), to_sign.encode(), hashlib.sha256).digest()).decode()
    q = urllib.parse.urlencode({"sv": sv, "sr": "c", "sp": sp, "se": se, "spr": spr, "sig": sig})
    return f"{az['endpoint']}/{account}/{container}?{q}"


s3 = lab["s3"]
conf = os.path.join(work, "rclone.conf")
with open(conf, "w") as f:
    f.write(f"[src]\ntype = s3\nprovider = Other\naccess_key_id = {s3['access_key']}\nsecret_access_key = {s3['secret_key']}\n"
            f"endpoint = {s3['endpoint']}\nregion = us-east-1\nforce_path_style = true\n\n")
env = dict(os.environ)
env.pop("AWS_CA_BUNDLE", None)  # breaks rclone's S3 client on some machines; the lab is plain http

broker = Broker()
ours, theirs, written = [], [], []
print(f"== 1,024 MiB (64 objects, 1-64 MiB) sim-a S3 -> sim-b Azure Blob, 4 at a time; {rounds} rounds")
for r in range(1, rounds + 1):
    before = broker.wchar()
    cpu0 = servers_cpu()
    t0 = time.monotonic()
    op, done = migrate(broker, f"run-{r}/")
    secs = time.monotonic() - t0
    ours_cpu = {k: v - cpu0[k] for k, v in servers_cpu().items()}
    written.append(broker.wchar() - before)
    ours.append(done["progress"]["bytes_done"] / MIB / secs)
    confirm = next(s for s in done["steps"] if s["name"] == "confirm")["detail"]
    assert confirm["objects"] == 64, confirm
    container = f"rclone-{r}"
    subprocess.run([os.environ["COPY_BENCH"], "container", os.path.join(lab_dir, "lab.json"), container], check=True, capture_output=True)
    with open(conf, "a") as f:
        f.write(f"[dst-{r}]\ntype = azureblob\nsas_url = {sas_url(container)}\n\n")
    cpu0 = servers_cpu()
    t0 = time.monotonic()
    subprocess.run(["rclone", "--config", conf, "copy", "src:sim-a/data", f"dst-{r}:{container}/data", "--transfers", "4", "--checkers", "4", "-q"],
                   check=True, env=env)
    theirs.append(1024 / (time.monotonic() - t0))
    their_cpu = {k: v - cpu0[k] for k, v in servers_cpu().items()}
    print(f"round {r}: migration {ours[-1]:6.1f} MiB/s ({secs:.1f} s, 64 objects verified by SHA-256)   "
          f"rclone {theirs[-1]:6.1f} MiB/s")
    print(f"         servers' CPU seconds: migration s3rver {ours_cpu['s3rver']:.1f} Azurite {ours_cpu['azurite']:.1f}   "
          f"rclone s3rver {their_cpu['s3rver']:.1f} Azurite {their_cpu['azurite']:.1f}")

# Killed at half way and resumed, beside an uninterrupted run: the bytes
# sent to the Azure server are counted by a TCP proxy in front of it (the
# broker's own counters die with it), for both runs, through a catalog whose
# sim-b endpoint is the proxy, on a fresh Redis.
sent = [0]


def proxy_server(target_port):
    import asyncio

    async def pipe(reader, writer, count):
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                if count:
                    sent[0] += len(data)
                writer.write(data)
                await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()

    async def handle(client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        except Exception:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w, True), pipe(server_r, client_w, False))

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    import threading
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return port


broker.stop()
az_port = int(lab["azure_blob"]["endpoint"].rsplit(":", 1)[1])
proxy_port = proxy_server(az_port)
import shutil
proxied = os.path.join(work, "catalog-proxied")
shutil.copytree(os.path.join(lab_dir, "catalog"), proxied)
doc = json.load(open(os.path.join(proxied, "providers", "sim-b.json")))
doc["adapters"]["object_storage"]["config"]["endpoint"] = f"http://127.0.0.1:{proxy_port}"
json.dump(doc, open(os.path.join(proxied, "providers", "sim-b.json"), "w"))
redis.terminate()
redis.wait()
redis_port = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", work, "--appendonly", "no",
                          "--save", "", "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_redis(redis_port)
lab_catalog = os.path.join(lab_dir, "catalog")
Broker.catalog = proxied


def proxied_broker():
    b = Broker.__new__(Broker)
    b.port = free_port()
    b.url = f"http://127.0.0.1:{b.port}"
    b.proc = subprocess.Popen([icbroker, "serve", "--auth", "off", "--listen", f"127.0.0.1:{b.port}", "--redis", f"redis://127.0.0.1:{redis_port}",
                               "--data-dir", os.path.join(work, "data2"), "--catalog", proxied,
                               "--credentials", os.path.join(lab_dir, "credentials.json"), "--broker-id", "bench"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "broker.log"), "a"))
    for _ in range(500):
        try:
            call("GET", b.url + "/v1/health", timeout=1)
            return b
        except Exception:
            time.sleep(0.02)
    raise SystemExit("broker did not start")


broker = proxied_broker()
sent[0] = 0
migrate(broker, "whole/")
uninterrupted = sent[0]
half = [0]


def at_half(o):
    p = o.get("progress")
    if p and p["bytes_done"] >= p["bytes_total"] / 2:
        half[0] = p["bytes_done"]
        return True
    return False


sent[0] = 0
t0 = time.monotonic()
op, _ = migrate(broker, "resume/", at_half)
broker.kill()
first = sent[0]
broker = proxied_broker()
while True:
    o = call("GET", broker.url + "/v1/operations/" + op)
    if o["state"] in ("succeeded", "failed"):
        break
    time.sleep(0.05)
resumed = sent[0]
second = resumed - first
resume_secs = time.monotonic() - t0
broker.stop()
redis.terminate()
assert o["state"] == "succeeded", o["reason"]
print(f"migration: median {statistics.median(ours):6.1f} MiB/s  best {max(ours):.1f}  worst {min(ours):.1f}   runs {' '.join(f'{x:.1f}' for x in ours)}")
print(f"rclone:    median {statistics.median(theirs):6.1f} MiB/s  best {max(theirs):.1f}  worst {min(theirs):.1f}   runs {' '.join(f'{x:.1f}' for x in theirs)}")
print(f"ratio: {statistics.median(ours) / statistics.median(theirs):.2f}x rclone (median to median)")
print(f"resume: killed at {half[0] / MIB:.0f} MiB of 1024; bytes sent to the Azure server (counted by a proxy): "
      f"uninterrupted {uninterrupted:,} ({uninterrupted / MIB:.1f} MiB), killed and resumed {first / MIB:.1f} + {second / MIB:.1f} = "
      f"{resumed:,} ({resumed / MIB:.1f} MiB, {100 * (resumed - uninterrupted) / uninterrupted:+.2f} %), {resume_secs:.1f} s in all")
