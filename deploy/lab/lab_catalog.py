#!/usr/bin/env python3
"""Writes the catalog and credentials a broker needs to act on the lab.

  lab_catalog.py DIR    reads DIR/lab.json; writes DIR/catalog/ (providers,
                        slas, profiles: `icbroker serve --catalog DIR/catalog`)
                        and DIR/credentials.json (mode 0600: `--credentials`)

Providers: sim-a, sim-b, sim-c (simulated compute, each serving on its own
loopback address, with published SLAs of different strength so that the
ranking prefers a, then b, then c; object storage: sim-a and sim-c a bucket
each on the lab's S3 server, sim-b a container on its Azure Blob server),
lab-dns (the PowerDNS zone) and lab-lb
(the HAProxy backend). Profile `lab-web` ranks them for a web workload.
"""
import json
import os
import sys

AVAILABILITY = {"sim-a": 99.95, "sim-b": 99.9, "sim-c": 99.5}
P95_MS = {"sim-a": 120, "sim-b": 150, "sim-c": 250}


def write(path, doc, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def main():
    d = sys.argv[1]
    lab = json.load(open(os.path.join(d, "lab.json")))
    cat = os.path.join(d, "catalog")
    s3, az = lab["s3"], lab["azure_blob"]
    storage = {
        "sim-a": {"adapter": "s3", "credentials": "lab-s3", "config": {"endpoint": s3["endpoint"], "region": s3["region"], "bucket": "sim-a", "timeout_s": 30}},
        "sim-b": {"adapter": "azure_blob", "credentials": "lab-azure",
                  "config": {"endpoint": az["endpoint"], "account": az["account"], "container": "sim-b", "timeout_s": 30}},
        "sim-c": {"adapter": "s3", "credentials": "lab-s3", "config": {"endpoint": s3["endpoint"], "region": s3["region"], "bucket": "sim-c", "timeout_s": 30}},
    }
    for sim in lab["compute"]:
        pid = sim["provider"]
        write(os.path.join(cat, "providers", pid + ".json"), {
            "id": pid,
            "name": "Lab simulated provider " + pid[-1].upper(),
            "description": "A simulated compute provider of the local lab (not a cloud), serving at " + sim["address"] + ".",
            "service_model": "IaaS",
            "regions": [{"id": "lab-" + pid[-1], "country": "KR"}],
            "endpoints": [{"id": "service", "url": sim["url"] + "/"}],
            "adapters": {"compute": {"adapter": "sim_compute", "config": {"url": sim["url"], "timeout_s": 2, "attempts": 2}},
                         "object_storage": storage[pid]},
        })
        write(os.path.join(cat, "slas", pid, "2026.1.json"), {
            "version": "2026.1",
            "effective_from": "2026-01-01T00:00:00Z",
            "targets": {"availability_percent": AVAILABILITY.get(pid, 99.0), "response_ms_p95": P95_MS.get(pid, 300),
                        "scale_minutes": 5, "scale_max_instances": 100, "mttr_minutes": 30, "max_recovery_minutes": 60},
            "credit_tiers": [{"below_percent": AVAILABILITY.get(pid, 99.0), "credit_percent": 10}],
            "monthly_fee": {"amount": 100000, "currency": "KRW"},
        })
    dns = lab["dns"]
    write(os.path.join(cat, "providers", "lab-dns.json"), {
        "id": "lab-dns", "name": "Lab DNS", "description": "The lab's PowerDNS zone " + dns["zone"] + " (authoritative, HTTP API).",
        "service_model": "SaaS", "regions": [{"id": "lab", "country": "KR"}],
        # One change at a time: the lab's PowerDNS keeps the zone in one
        # SQLite file, which takes one writer; concurrent changes fail with
        # "database is locked" (HTTP 500; 283 of 320 at 16 in flight).
        "adapters": {"dns": {"adapter": "powerdns", "credentials": "lab-dns", "calls_in_flight": 1,
                             "config": {"api_url": dns["api_url"], "zone": dns["zone"], "timeout_s": 2}}},
    })
    lb = lab["haproxy"]
    write(os.path.join(cat, "providers", "lab-lb.json"), {
        "id": "lab-lb", "name": "Lab load balancer", "description": "The lab's HAProxy in front of the simulated providers.",
        "service_model": "SaaS", "regions": [{"id": "lab", "country": "KR"}],
        "adapters": {"traffic_split": {"adapter": "haproxy", "config": {"runtime_socket": lb["runtime_socket"], "backend": lb["backend"]}}},
    })
    write(os.path.join(cat, "profiles", "lab-web.json"), {
        "id": "lab-web",
        "description": "A web service in the lab: IaaS with at least 99% availability published, ranked on availability and speed.",
        "constraints": {"service_models": ["IaaS"], "targets": {"availability_percent": {"min": 99.0}}},
        "weights": {"availability": 5, "responsiveness": 3, "scalability": 1, "reliability": 2},
        "policy": "weighted_sum",
        "evidence": "published",
    })
    write(os.path.join(d, "credentials.json"), {
        "lab-dns": {"api_key": dns["api_key"]},
        "lab-s3": {"access_key": s3["access_key"], "secret_key": s3["secret_key"]},
        "lab-azure": {"key": az["key"]},
    }, 0o600)


if __name__ == "__main__":
    main()
