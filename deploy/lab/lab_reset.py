#!/usr/bin/env python3
"""Puts a running lab back to its start state (`deploy/lab/lab reset DIR`).

Every simulated provider forgets its services and calls and takes its
default steering back; PowerDNS's zone is emptied (deleted and created
again); HAProxy's servers get weight 1 each. Object stores are left alone:
tests write under keys of their own. Talks to loopback only, with the
addresses lab.json names.
"""
import json
import socket
import sys
import urllib.error
import urllib.request


def call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}, **{"Content-Type": "application/json"}))
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def haproxy(sock_path, command):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sock_path)
    c.sendall((command + "\n").encode())
    answer = c.recv(4096).decode()
    c.close()
    if answer.strip():
        raise RuntimeError("haproxy: %s: %s" % (command, answer.strip()))


def main():
    with open(sys.argv[1] + "/lab.json") as f:
        lab = json.load(f)
    for sim in lab["compute"]:
        call("POST", sim["url"] + "/v1/reset")
    dns = lab["dns"]
    key = {"X-API-Key": dns["api_key"]}
    try:
        call("DELETE", dns["api_url"] + "/zones/" + dns["zone"], headers=key)
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
    call("POST", dns["api_url"] + "/zones", {"name": dns["zone"], "kind": "Native", "nameservers": ["ns1." + dns["zone"]]}, key)
    for sim in lab["compute"]:
        haproxy(lab["haproxy"]["runtime_socket"], "set weight %s/%s 1" % (lab["haproxy"]["backend"], sim["provider"]))


if __name__ == "__main__":
    main()
