#!/usr/bin/env python3
"""The scenarios of bench/run: the same question to Kontaktpunkt, PostGraphile 5 and as one
SQL statement (pgbench, prepared), after checking that both servers return the same rows."""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.request

p = argparse.ArgumentParser()
for a in ["url", "token", "kp", "pg5", "out"]:
    p.add_argument("--" + a, required=True)
for a in ["duration", "kp-pid", "pg5-pid", "companies"]:
    p.add_argument("--" + a, type=int, required=True)
args = p.parse_args()
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", args.url.rsplit("/", 1)[1], "-tAq"]


def sql(q):
    return subprocess.run(PSQL + ["-c", q], check=True, capture_output=True, text=True).stdout.split()


def post(url, query, variables, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, json.dumps({"query": query, "variables": variables}).encode(), headers)
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid):
    out = [pid]
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
        out += descendants(int(child))
    return out


def metric(name):
    text = urllib.request.urlopen(args.kp.replace("/graphql", "/metrics")).read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name))


KP_PAGE = """query($cvr: String!) { company(cvr: $cvr) { name contactPersons { name email }
  activities(first: 5) { nodes { kind status organisation { name } } } } }"""
PG5_PAGE = """query($cvr: String!) { companyByCvr(cvr: $cvr) { name
  contactPeopleByCompanyId(condition: { deletedAt: null }, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { name email } }
  activitiesByCompanyId(first: 5, condition: { deletedAt: null }, orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) {
    nodes { kind status organisationByOrganisationId { name } } } } }"""
FLOOR_PAGE = """\\set i random(1, :n)
SELECT c.name,
  (SELECT json_agg(json_build_object('name', p.name, 'email', p.email) ORDER BY p.created_at, p.id)
     FROM contact_person p WHERE p.company_id = c.id AND p.deleted_at IS NULL) AS people,
  (SELECT json_agg(x) FROM (SELECT a.kind, a.status, o.name FROM activity a
     JOIN organisation o ON o.id = a.organisation_id
     WHERE a.company_id = c.id AND a.deleted_at IS NULL
     ORDER BY a.contact_at DESC, a.id DESC LIMIT 5) x) AS activities
FROM bench_cvr b JOIN company c ON c.cvr = b.cvr WHERE b.i = :i;
"""


KP_MUNI = """query($m: String!) { companies(filter: { municipalityCode: $m }, first: 20) { nodes { name
  activities(first: 5) { nodes { kind status } } followUps(status: OPEN) { description dueOn } } } }"""
PG5_MUNI = """query($m: String!) { allCompanies(first: 20, condition: { municipalityCode: $m }, orderBy: [NAME_SEARCH_ASC, PRIMARY_KEY_ASC]) {
  nodes { name
    activitiesByCompanyId(first: 5, condition: { deletedAt: null }, orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) { nodes { kind status } }
    followUpsByCompanyId(condition: { status: "OPEN" }, orderBy: [DUE_ON_ASC, PRIMARY_KEY_ASC]) { nodes { description dueOn } } } } }"""
FLOOR_MUNI = """\\set i random(1, :m)
SELECT json_agg(x) FROM (
  SELECT c.name,
    (SELECT json_agg(y) FROM (SELECT a.kind, a.status FROM activity a WHERE a.company_id = c.id AND a.deleted_at IS NULL
       ORDER BY a.contact_at DESC, a.id DESC LIMIT 5) y) AS activities,
    (SELECT json_agg(json_build_object('description', f.description, 'dueOn', f.due_on) ORDER BY f.due_on, f.id)
       FROM follow_up f WHERE f.company_id = c.id AND f.status = 'OPEN') AS follow_ups
  FROM bench_muni b JOIN company c ON c.municipality_code = b.code WHERE b.i = :i
  ORDER BY c.name_search, c.id LIMIT 20) x;
"""


def muni_kp(d):
    return [(c["name"], [(a["kind"], a["status"]) for a in c["activities"]["nodes"]],
             [(f["description"], f["dueOn"]) for f in c["followUps"]]) for c in d["data"]["companies"]["nodes"]]


def muni_pg5(d):
    return [(c["name"], [(a["kind"], a["status"]) for a in c["activitiesByCompanyId"]["nodes"]],
             [(f["description"], f["dueOn"]) for f in c["followUpsByCompanyId"]["nodes"]])
            for c in d["data"]["allCompanies"]["nodes"]]


def normal_kp(d):
    c = d["data"]["company"]
    return {"name": c["name"], "people": [(p["name"], p["email"]) for p in c["contactPersons"]],
            "activities": [(a["kind"], a["status"], a["organisation"]["name"]) for a in c["activities"]["nodes"]]}


def normal_pg5(d):
    c = d["data"]["companyByCvr"]
    return {"name": c["name"], "people": [(p["name"], p["email"]) for p in c["contactPeopleByCompanyId"]["nodes"]],
            "activities": [(a["kind"], a["status"], a["organisationByOrganisationId"]["name"])
                           for a in c["activitiesByCompanyId"]["nodes"]]}


def lua(query, values, token):
    lines = ["wrk.method = 'POST'", "wrk.headers['Content-Type'] = 'application/json'"]
    if token:
        lines.append(f"wrk.headers['Authorization'] = 'Bearer {token}'")
    bodies = ",\n".join("[[" + json.dumps({"query": query, "variables": v}) + "]]" for v in values)
    lines += ["local bodies = {" + bodies + "}", "local n = 0",
              "request = function() n = n % #bodies + 1; return wrk.format(nil, nil, nil, bodies[n]) end"]
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write("\n".join(lines))
    f.close()
    return f.name


def wrk(url, script, connections, pids):
    subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", "-d3s", "-s", script, url], capture_output=True)  # warm-up
    cpu = sum(cpu_seconds(p) for p in pids)
    statements = metric("kontaktpunkt_sql_statements_total") if url == args.kp else 0.0
    run = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{args.duration}s", "--latency", "-s", script, url],
                         capture_output=True, text=True)
    out = run.stdout
    cpu = sum(cpu_seconds(p) for p in pids) - cpu
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        raise SystemExit(f"wrk against {url} failed:\n{out}\n{run.stderr}")
    rps = float(found.group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))

    def pct(label):
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if url == args.kp:
        statements = metric("kontaktpunkt_sql_statements_total") - statements
    return {"rps": rps, "p50_ms": pct("50"), "p99_ms": pct("99"), "requests": total,
            "sql_per_request": statements / max(total, 1),
            "cpu_ms_per_request": 1000 * cpu / max(total, 1),
            "non_2xx": int(errors.group(1)) if errors else 0}


def floor(script, connections, variables):
    f = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    f.write(script)
    f.close()
    defines = [x for k, v in variables.items() for x in ("-D", f"{k}={v}")]
    command = ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-M", "prepared",
               "-c", str(connections), "-j", str(min(2, connections)), "-T", str(args.duration),
               *defines, "-f", f.name, args.url.rsplit("/", 1)[1]]
    out = subprocess.run(command, capture_output=True, text=True)
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    return {"rps": float(m.group(1)) if m else 0.0, "avg_ms": float(lat.group(1)) if lat else 0.0}


cvrs = sql("SELECT cvr FROM company ORDER BY md5(cvr) LIMIT 1000")
N = len(cvrs)
sql("DROP TABLE IF EXISTS bench_cvr; CREATE TABLE bench_cvr AS SELECT row_number() OVER (ORDER BY md5(cvr)) AS i, cvr "
    "FROM (SELECT cvr FROM company ORDER BY md5(cvr) LIMIT 1000) s; CREATE UNIQUE INDEX ON bench_cvr (i)")

# Same rows from both servers.
for cvr in cvrs[:25]:
    a = normal_kp(post(args.kp, KP_PAGE, {"cvr": cvr}, args.token))
    b = normal_pg5(post(args.pg5, PG5_PAGE, {"cvr": cvr}))
    if a != b:
        raise SystemExit(f"the servers answer differently for {cvr}:\n{a}\n{b}")
print("same rows from both servers: 25 of 25 company pages")
codes = sql("SELECT municipality_code FROM company GROUP BY municipality_code HAVING count(*) >= 20 ORDER BY 1")
sql("DROP TABLE IF EXISTS bench_muni; CREATE TABLE bench_muni AS SELECT row_number() OVER (ORDER BY code) AS i, code "
    "FROM (SELECT municipality_code AS code FROM company GROUP BY 1 HAVING count(*) >= 20) s; CREATE UNIQUE INDEX ON bench_muni (i)")
for code in codes[:10]:
    a = muni_kp(post(args.kp, KP_MUNI, {"m": code}, args.token))
    b = muni_pg5(post(args.pg5, PG5_MUNI, {"m": code}))
    if a != b:
        raise SystemExit(f"the servers answer differently for municipality {code}:\n{a}\n{b}")
print(f"same rows from both servers: 10 of 10 municipality pages")

pg5_pids = descendants(args.pg5_pid)
results = {"companies": args.companies, "duration_s": args.duration, "machine": os.uname().release,
           "cores": os.cpu_count(), "scenarios": {}}
SCENARIOS = [
    ("company page", KP_PAGE, PG5_PAGE, [{"cvr": c} for c in cvrs], FLOOR_PAGE, {"n": N}),
    ("municipality page", KP_MUNI, PG5_MUNI, [{"m": c} for c in codes], FLOOR_MUNI, {"m": len(codes)}),
]
RUNS = 3


def median_run(fn):
    runs = sorted((fn() for _ in range(RUNS)), key=lambda r: r["rps"])
    return runs[len(runs) // 2]


for name, kp_q, pg5_q, values, floor_sql, floor_vars in SCENARIOS:
    kp_script, pg5_script = lua(kp_q, values, args.token), lua(pg5_q, values, None)
    for c in [1, 16]:
        kp = median_run(lambda: wrk(args.kp, kp_script, c, [args.kp_pid]))
        kp["rss_mib"] = rss_mib(args.kp_pid)
        pg5 = median_run(lambda: wrk(args.pg5, pg5_script, c, pg5_pids))
        pg5["rss_mib"] = sum(rss_mib(p) for p in pg5_pids)
        fl = median_run(lambda: floor(floor_sql, c, floor_vars))
        results["scenarios"][f"{name}, {c} connections"] = {"kontaktpunkt": kp, "postgraphile5": pg5, "sql_floor": fl}

stamp = time.strftime("%Y%m%d-%H%M%S")
rows = ["| scenario | Kontaktpunkt req/s (p50/p99 ms) | PostGraphile 5 req/s (p50/p99 ms) | SQL floor req/s | KP / PG5 | KP / floor | KP SQL/request | KP CPU ms/request | PG5 CPU ms/request | RSS KP / PG5 MiB |",
        "|---|---|---|---|---|---|---|---|---|---|"]
for name, r in results["scenarios"].items():
    kp, pg5, fl = r["kontaktpunkt"], r["postgraphile5"], r["sql_floor"]
    rows.append(f"| {name} | {kp['rps']:.0f} ({kp['p50_ms']:.1f}/{kp['p99_ms']:.1f}) | {pg5['rps']:.0f} ({pg5['p50_ms']:.1f}/{pg5['p99_ms']:.1f}) "
                f"| {fl['rps']:.0f} | {kp['rps']/max(pg5['rps'],1):.2f} | {kp['rps']/max(fl['rps'],1):.2f} | {kp['sql_per_request']:.1f} "
                f"| {kp['cpu_ms_per_request']:.2f} | {pg5['cpu_ms_per_request']:.2f} | {kp['rss_mib']:.0f} / {pg5['rss_mib']:.0f} |")
table = "\n".join(rows)
print(table)
open(os.path.join(args.out, stamp + ".json"), "w").write(json.dumps(results, indent=2))
open(os.path.join(args.out, stamp + ".md"), "w").write(
    f"# bench/run {stamp}\n\n{args.companies} companies, median of {RUNS} runs of {args.duration} s, "
    f"{os.cpu_count()} cores\n\n{table}\n")
