#!/usr/bin/env python3
"""Hostile documents against a running Kontaktpunkt: latency, answer, SQL statements.

Usage: bench/hostile.py BASE_URL TOKEN [LABEL]
Prints one line per document: the slowest of 3 tries (ms), HTTP status, the first error code,
the answer's size and the SQL statements the request ran (from /metrics). Used for the figures
of the hostile-client issue; `bench/run` (the performance issue) will call it as a scenario.
"""
import json
import sys
import time
import urllib.error
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]
LABEL = sys.argv[3] if len(sys.argv) > 3 else ""


def sql_statements():
    text = urllib.request.urlopen(BASE + "/metrics", timeout=30).read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith("kontaktpunkt_sql_statements_total"))


def post(body: bytes):
    req = urllib.request.Request(BASE + "/graphql", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + TOKEN})
    started = time.perf_counter()
    try:
        resp = urllib.request.urlopen(req, timeout=120)
        status, data = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    return (time.perf_counter() - started) * 1000, status, data


def doc(query, variables=None):
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def fragment_chain(levels):
    q = "fragment F0 on Query { me { sub } }\n"
    for i in range(1, levels + 1):
        q += f"fragment F{i} on Query {{ ...F{i-1} ...F{i-1} }}\n"
    return q + f"{{ ...F{levels} }}"


CASES = [
    ("nesting 1,000", doc("{ me " * 1000 + "}" * 1000)),
    ("nesting 10,000", doc("{ me " * 10000 + "}" * 10000)),
    ("1,000 aliases of municipalities{jobcentre}", doc(
        "{ " + " ".join(f"m{i}: municipalities {{ code name jobcentre {{ id name }} }}" for i in range(1000)) + " }")),
    ("fragment chain 20 levels", doc(fragment_chain(20))),
    ("fragment chain 30 levels", doc(fragment_chain(30))),
    ("fragment cycle", doc("fragment A on Query { ...B } fragment B on Query { ...A } { ...A }")),
    ("list literal of 30,000 objects", doc(
        "mutation { recordOutcome(activityId: \"x\", input: { agreements: ["
        + ",".join(["{kind: MENTOR, positions: 1}"] * 30000) + "], followUps: [] }) { id } }")),
    ("variables list of 20,000 objects", doc(
        "mutation($a: [AgreementInput!]!) { recordOutcome(activityId: \"x\", input: { agreements: $a, followUps: [] }) { id } }",
        {"a": [{"kind": "MENTOR", "positions": 1}] * 20000})),
    ("batch of 100 operations", json.dumps([{"query": "{ me { sub } }"}] * 100).encode()),
    ("900 kB unparsable", doc("{ me { sub } " + "x(" * 300000)),
    ("NUL in a filter", doc("{ companies(filter: { nameContains: \"a\\u0000b\" }) { nodes { id } } }")),
    ("NUL in an id", doc("{ company(id: \"a\\u0000b\") { id } }")),
]

import os
SKIP = [s for s in os.environ.get("HOSTILE_SKIP", "").split(",") if s]

for name, body in CASES:
    if any(s in name for s in SKIP):
        print(f"{LABEL}\t{name:45s}\t(skipped)")
        continue
    worst, answer = 0.0, None
    before = sql_statements()
    for _ in range(3):
        ms, status, data = post(body)
        worst = max(worst, ms)
        answer = (status, data)
    ran = sql_statements() - before
    status, data = answer
    try:
        code = json.loads(data)["errors"][0]["extensions"]["code"]
    except Exception:
        code = "-"
    print(f"{LABEL}\t{name:45s}\t{worst:9.1f} ms\t{status}\t{code:16s}\t{len(data):>9} B\t{ran/3:6.1f} SQL/request")
