#!/usr/bin/env python3
"""Simulated compute provider for the icbroker lab (a simulation, not a cloud).

One HTTP endpoint per provider and service. Its behaviour is steered at run
time, so demos, drills and tests can make a provider slow, flaky, down, full
or over quota:

  GET  /            the service: 200 with the provider name as the body, after
                    latency_ms; 503 during an outage; 500 with probability error_rate
  GET  /v1/state    the steering state, the instances `used` (all services)
                    and per service its instances and URL
  PUT  /v1/state    change any of latency_ms, error_rate, outage, capacity, quota,
                    utilization (percent every service reports; null: none),
                    api_latency_ms (a slow control plane: deploy and scale
                    take that long before they act, so a caller can die while
                    its call is in flight and the call still lands),
                    max_inflight (a throttling control plane: deploy and
                    scale calls beyond that many in flight answer 429 with
                    Retry-After: 1 and change nothing; null: no limit); the
                    state counts them in `throttled`; service_url (the URL
                    deploy answers for services deployed from then on, as a
                    provider whose services sit behind its load balancer;
                    null: this endpoint), vantage_latency_ms ({VANTAGE: ms}:
                    the service answers a probe naming that vantage in its
                    User-Agent, "icbroker-probe (vantage NAME)", after that
                    long instead of latency_ms, as users far away see a
                    slower service; {} for none)
  POST /v1/deploy   {"service": NAME}: deploys the service (idempotent by
                    name; a new one runs 0 instances); 200 with {"service",
                    "url", "instances"}: the URL that serves it (this
                    endpoint, or service_url) and the instances it runs now
  POST /v1/scale    {"service": NAME, "instances": N}: 200 with {"service",
                    "instances", "used"} when the services'
                    instances together stay within quota and capacity, 429
                    over quota, 409 over capacity, 404 for a service not
                    deployed; a refusal changes nothing
  GET  /v1/services the deployed services and their URLs (probe targets)
  GET  /v1/calls    every deploy and scale call accepted, in order, with the
                    Idempotency-Key header it carried, its Fencing-Epoch
                    ("epoch", null without one) and whether it changed
                    anything ("effect"), so tests can count effects
A deploy or scale call whose Fencing-Epoch header is lower than the highest
one seen is refused with 412 and changes nothing (recorded with "refused":
"stale_epoch"): a fenced resource, which a replaced leader cannot change.
  POST /v1/reset    back to the start: no services, no calls, the default
                    steering state (`lab reset` calls it before each test)

Capacity and quota count instances of all services together. Outages and
latency are the provider's: the management API (/v1/...) keeps answering
during an outage, the service (GET /) answers 503.

Usage: compute_sim.py --port PORT --provider NAME [--host 127.0.0.1]
"""
import argparse
import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE_KEYS = {"latency_ms": (int, float), "error_rate": (int, float), "outage": (bool,), "capacity": (int,), "quota": (int,),
              "utilization": (int, float, type(None)), "api_latency_ms": (int, float), "max_inflight": (int, type(None)),
              "service_url": (str, type(None)), "vantage_latency_ms": (dict,)}
VANTAGE_IN_AGENT = re.compile(r"\(vantage ([a-z0-9][a-z0-9._-]{0,63})\)")


class Sim:
    def __init__(self, provider):
        self.lock = threading.Lock()
        self.provider = provider
        self.reset()

    def reset(self):
        """The start state (callers hold the lock, or nobody else runs yet)."""
        self.state = {"provider": self.provider, "latency_ms": 0, "error_rate": 0.0, "outage": False,
                      "capacity": 100, "quota": 20, "served": 0, "utilization": None, "api_latency_ms": 0,
                      "max_inflight": None, "throttled": 0, "service_url": None,
                      "vantage_latency_ms": {}}
        self.inflight = 0  # deploy and scale calls being answered
        self.services = {}  # name -> {"instances": N, "url": URL}
        self.used = 0  # instances of all services together, kept as they change
        self.calls = []
        self.epoch = 0  # the highest Fencing-Epoch seen

    def snapshot(self):
        s = dict(self.state)
        s["used"] = self.used
        s["services"] = [{"service": k, "instances": v["instances"], "url": v["url"], "utilization": self.state["utilization"]}
                         for k, v in sorted(self.services.items())]
        return s


def handler_for(sim):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the lab logs to files
            pass

        def reply(self, status, body, content_type="application/json", headers=()):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(n) or b"{}")
            except ValueError:
                return None

        def do_GET(self):
            if self.path in ("/v1/state", "/v1/services"):
                with sim.lock:
                    s = sim.snapshot()
                if self.path == "/v1/state":
                    return self.reply(200, json.dumps(s))
                services = [{"service": v["service"], "url": v["url"]} for v in s["services"]]
                return self.reply(200, json.dumps({"services": services}))
            # The service itself: the steering state only (not every
            # service's), as many services are probed many times a second.
            with sim.lock:
                s = dict(sim.state)
            if self.path == "/v1/calls":
                with sim.lock:
                    calls = list(sim.calls)
                return self.reply(200, json.dumps({"calls": calls}))
            latency_ms = s["latency_ms"]
            vantage = VANTAGE_IN_AGENT.search(self.headers.get("User-Agent", ""))
            if vantage and vantage.group(1) in s["vantage_latency_ms"]:
                latency_ms = s["vantage_latency_ms"][vantage.group(1)]
            if latency_ms:
                time.sleep(latency_ms / 1000.0)
            if s["outage"]:
                return self.reply(503, "outage\n", "text/plain")
            if random.random() < s["error_rate"]:
                return self.reply(500, "error\n", "text/plain")
            with sim.lock:
                sim.state["served"] += 1
            self.reply(200, s["provider"] + "\n", "text/plain")

        def do_PUT(self):
            if self.path != "/v1/state":
                return self.reply(404, '{"error":"no such resource"}')
            change = self.body()
            if not isinstance(change, dict):
                return self.reply(400, '{"error":"body must be a JSON object"}')
            for k, v in change.items():
                if k not in STATE_KEYS or not isinstance(v, STATE_KEYS[k]) or (isinstance(v, bool) and bool not in STATE_KEYS[k]):
                    return self.reply(400, json.dumps({"error": "bad field " + k}))
                if k == "vantage_latency_ms" and not all(isinstance(ms, (int, float)) and not isinstance(ms, bool) and 0 <= ms <= 60000
                                                         for ms in v.values()):
                    return self.reply(400, json.dumps({"error": "bad field vantage_latency_ms: milliseconds 0 to 60000 by vantage"}))
            with sim.lock:
                sim.state.update(change)
                s = sim.snapshot()
            self.reply(200, json.dumps(s))

        def do_POST(self):
            if self.path == "/v1/reset":
                with sim.lock:
                    sim.reset()
                return self.reply(200, '{"reset":true}')
            if self.path not in ("/v1/deploy", "/v1/scale"):
                return self.reply(404, '{"error":"no such resource"}')
            with sim.lock:
                limit = sim.state["max_inflight"]
                throttle = limit is not None and sim.inflight >= limit
                if throttle:
                    sim.state["throttled"] += 1
                else:
                    sim.inflight += 1
            if throttle:
                # The body is read all the same: the connection stays usable.
                self.body()
                return self.reply(429, '{"error":"throttled"}', headers=[("Retry-After", "1")])
            try:
                return self.control_call()
            finally:
                with sim.lock:
                    sim.inflight -= 1

        def stale(self, call, name, key, epoch):
            """Under sim.lock: whether `epoch` is older than the newest seen
            (the call then answered 412 and recorded); else it is the newest."""
            if epoch is None:
                return False
            if epoch < sim.epoch:
                sim.calls.append({"call": call, "service": name, "idempotency_key": key, "epoch": epoch, "effect": False,
                                  "refused": "stale_epoch"})
                return True
            sim.epoch = epoch
            return False

        def control_call(self):
            key = self.headers.get("Idempotency-Key", "")
            try:
                epoch = int(self.headers["Fencing-Epoch"]) if "Fencing-Epoch" in self.headers else None
            except ValueError:
                return self.reply(400, '{"error":"Fencing-Epoch must be an integer"}')
            stale_answer = json.dumps({"error": "stale fencing epoch"})
            with sim.lock:
                delay = sim.state["api_latency_ms"]
            if delay:
                time.sleep(delay / 1000.0)
            if self.path == "/v1/deploy":
                req = self.body()
                name = req.get("service") if isinstance(req, dict) else None
                if not isinstance(name, str) or not name or len(name) > 64:
                    return self.reply(400, '{"error":"service must be a name"}')
                host, port = self.server.server_address[:2]
                with sim.lock:
                    if self.stale("deploy", name, key, epoch):
                        return self.reply(412, stale_answer)
                    url = sim.state["service_url"] or "http://%s:%d/" % (host, port)
                    new = name not in sim.services
                    if new:
                        sim.services[name] = {"instances": 0, "url": url}
                    instances = sim.services[name]["instances"]
                    sim.calls.append({"call": "deploy", "service": name, "idempotency_key": key, "epoch": epoch, "effect": new})
                return self.reply(200, json.dumps({"service": name, "url": url, "instances": instances}))
            req = self.body()
            name = req.get("service") if isinstance(req, dict) else None
            n = req.get("instances") if isinstance(req, dict) else None
            if not isinstance(name, str) or not isinstance(n, int) or isinstance(n, bool) or n < 0:
                return self.reply(400, '{"error":"service must be a name and instances a non-negative integer"}')
            with sim.lock:
                if self.stale("scale", name, key, epoch):
                    return self.reply(412, stale_answer)
                if name not in sim.services:
                    return self.reply(404, json.dumps({"error": "service not deployed", "service": name}))
                others = sim.used - sim.services[name]["instances"]
                if others + n > sim.state["quota"]:
                    return self.reply(429, json.dumps({"error": "quota exceeded", "quota": sim.state["quota"]}))
                if others + n > sim.state["capacity"]:
                    return self.reply(409, json.dumps({"error": "capacity exceeded", "capacity": sim.state["capacity"]}))
                effect = sim.services[name]["instances"] != n
                sim.services[name]["instances"] = n
                sim.used = others + n
                sim.calls.append({"call": "scale", "service": name, "instances": n, "idempotency_key": key, "epoch": epoch, "effect": effect})
                used = sim.used
            self.reply(200, json.dumps({"service": name, "instances": n, "used": used}))

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    a = ap.parse_args()
    server = ThreadingHTTPServer((a.host, a.port), handler_for(Sim(a.provider)))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
