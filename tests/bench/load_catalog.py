#!/usr/bin/env python3
"""Loads N synthetic providers (each with one SLA version) into a running
broker over its HTTP API: the catalog the /v1/rank benchmark ranks. Like the
demo catalog, most publish priced offers in KRW, USD, JPY or EUR and claim
the six essential characteristics with mixed evidence, so the demo profiles'
cost, budget and cloud-washing checks do real work on them."""
import http.client
import json
import random
import ssl
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(42)
# A third argument, "https", loads a broker serving TLS (the bench's own
# self-signed certificate on loopback, so it is not verified).
if len(sys.argv) > 3 and sys.argv[3] == "https":
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context())
else:
    conn = http.client.HTTPConnection("127.0.0.1", port)


def call(method, path, body):
    conn.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300 and r.status != 409:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")


models = ["IaaS", "PaaS", "SaaS"]
countries = ["KR", "US", "JP", "DE"]
currencies = [("KRW", 1.0), ("USD", 1 / 1380), ("JPY", 1 / 9.2), ("EUR", 1 / 1490)]
characteristics = ["on_demand_self_service", "broad_network_access", "rapid_elasticity", "resource_pooling", "multi_tenancy", "measured_service"]
evidence = ["certified", "documented", "documented", "declared"]


def offers(i):
    if i % 10 == 9:
        return []  # publishes no prices: excluded wherever cost matters
    currency, per_krw = currencies[i % 4]
    def price(krw):
        return round(krw * per_krw * rng.uniform(0.6, 1.6), 6)
    units = {"vcpu_hour": price(50), "memory_gb_hour": price(6.5), "storage_gb_month": price(110)}
    if models[i % 3] == "SaaS":
        units["user_month"] = price(9000)
    return [{"id": "payg", "currency": currency, "billing_period": "hour" if i % 2 else "month", "fixed_fee": price(20000),
             "unit_prices": units, "egress_per_gb": price(120), "egress_free_gb": 100}]


for i in range(n):
    pid = f"bench-{i:05d}"
    call("PUT", f"/v1/providers/{pid}", {
        "id": pid, "name": f"Bench {i}", "service_model": models[i % 3],
        "regions": [{"id": "r1", "country": countries[i % 4]}],
        "certifications": [{"id": "NIPA-QP"}] if i % 5 == 0 else [],
        "offers": offers(i),
        "characteristics": {c: {"supported": rng.random() < 0.95, "evidence": rng.choice(evidence), "source": f"https://{pid}.example/docs"}
                            for c in characteristics}})
    call("POST", f"/v1/providers/{pid}/slas", {
        "version": "1", "effective_from": "2026-01-01T00:00:00Z",
        "targets": {
            "availability_percent": round(rng.uniform(99.0, 99.999), 3),
            "response_ms_p95": rng.randint(50, 900),
            "scale_minutes": rng.randint(1, 60),
            "mttr_minutes": rng.randint(5, 240),
            "backup_compliance_percent": round(rng.uniform(90, 100), 2),
            "service_support_system": {"evidence": "declared", "documentation": True, "training": rng.random() < 0.5}},
        "credit_tiers": [{"below_percent": 99.9, "credit_percent": 10}],
        "monthly_fee": {"amount": rng.randint(100, 5000), "currency": "USD"}})
