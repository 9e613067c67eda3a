#!/usr/bin/env python3
"""The tree stays clean: no include inside broker/ runs back up.

broker/'s folders form layers (LAYERS, lowest first): a file includes only
files of its own folder or of a folder below it. Inside broker/orchestrator/
its parts form layers the same way (ORCHESTRATOR). broker/ never includes
adapters/ or policies/ (they implement its ports), and no two files include
each other, directly or round a longer cycle.

    tests/lint/layers.py SOURCE_DIR    exit 0 when clean; each violation printed
"""
import os
import re
import sys

LAYERS = ["core", "schema", "model", "store", "auth", "ports", "catalog", "ranking", "qos", "orchestrator", "report", "api", "app", "cli"]
ORCHESTRATOR = ["engine", "providers", "state", "data", "kinds", "triggers", "drills", ""]  # "": orchestrator.{h,cc}, the composition

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path, order, depth):
    parts = path.split("/")
    name = parts[depth] if len(parts) > depth + 1 else ""
    return order.index(name) if name in order else None


def main(root):
    problems = []
    graph = {}
    for folder, _, files in os.walk(os.path.join(root, "broker")):
        for f in files:
            if not f.endswith((".h", ".cc")):
                continue
            path = os.path.relpath(os.path.join(folder, f), root)
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as src:
                includes = INCLUDE.findall(src.read())
            graph[path] = [i for i in includes if i.startswith("broker/")]
            for inc in includes:
                if inc.startswith(("adapters/", "policies/", "tests/")):
                    problems.append(f"{path} includes {inc}: broker/ declares the ports, adapters/ and policies/ implement them")
                if not inc.startswith("broker/"):
                    continue
                mine, theirs = layer_of(path, LAYERS, 1), layer_of(inc, LAYERS, 1)
                if mine is None or theirs is None:
                    problems.append(f"{path} includes {inc}: a folder not in LAYERS (tests/lint/layers.py)")
                elif theirs > mine:
                    problems.append(f"{path} includes {inc}: broker/{LAYERS[mine]} is below broker/{LAYERS[theirs]}")
                elif mine == theirs and LAYERS[mine] == "orchestrator":
                    a, b = layer_of(path, ORCHESTRATOR, 2), layer_of(inc, ORCHESTRATOR, 2)
                    if a is None or b is None:
                        problems.append(f"{path} includes {inc}: an orchestrator part not in ORCHESTRATOR (tests/lint/layers.py)")
                    elif b > a:
                        problems.append(f"{path} includes {inc}: orchestrator/{ORCHESTRATOR[a] or '(root)'} is below "
                                        f"orchestrator/{ORCHESTRATOR[b] or '(root)'}")
    # No cycles between files.
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                problems.append("include cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif state.get(nxt) is None and nxt in graph:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    for p in problems:
        print(p)
    print(f"layers: {len(graph)} files, {sum(len(v) for v in graph.values())} includes inside broker/, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
