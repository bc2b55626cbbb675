#!/usr/bin/env python3
"""The scenarios of bench/run: the same question to Kontaktpunkt, PostGraphile 5 and as one
SQL statement (pgbench, prepared), after checking that both servers return the same rows.

Every scenario first asks both servers the same question for at least 10 variable values and
compares the normalised answers (ids included where both expose them); any difference stops
the run. `--smoke` stops there (CI). Otherwise each scenario is loaded with wrk (a Lua script
that cycles through the variable values) at each connection count, and its SQL floor with
pgbench, in rounds: each round runs Kontaktpunkt, PostGraphile and the floor one after the
other, so that a machine that slows down or speeds up during a run (shared cores) weighs on all
three alike; figures are each side's median round by requests/s. Results: <out>/<stamp>.{json,md,svg} and
<out>/latest.{md,svg}.

`--base` (bench/run's BENCH_BASELINE): a second Kontaktpunkt (another build, e.g. the commit
before a change) on the same database, loaded in every round right beside the first one (in
turn first and second), so that a before/after comparison is one run on one machine; the
Markdown gets a table of both and of the ratio in each round.
"""
import argparse
import base64
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zoneinfo

p = argparse.ArgumentParser()
for a in ["url", "token", "kp", "pg5", "out", "node", "pg5-dir"]:
    p.add_argument("--" + a, required=True)
for a in ["kp-pid", "pg5-pid", "companies", "pool"]:
    p.add_argument("--" + a, type=int, required=True)
p.add_argument("--duration", type=int, default=10)
p.add_argument("--runs", type=int, default=3)
p.add_argument("--connections", default="1,16")
p.add_argument("--scenarios", default="", help="comma-separated keys or names; empty: all")
p.add_argument("--smoke", action="store_true", help="only the same-rows checks (CI)")
p.add_argument("--base", default="", help="a second Kontaktpunkt's /graphql to compare with (a baseline build)")
p.add_argument("--base-pid", type=int, default=0)
p.add_argument("--base-label", default="baseline")
p.add_argument("--log", default="warn", help="RUST_LOG of the measured Kontaktpunkt (for the report)")
p.add_argument("--base-log", default="warn", help="RUST_LOG of the baseline (for the report)")
args = p.parse_args()

# psql and pgbench talk to PostgreSQL over the same transport as both servers (no TLS).
os.environ["PGSSLMODE"] = "disable"
os.environ.setdefault("PGPASSWORD", "postgres")
DB = urllib.parse.urlparse(args.url).path.lstrip("/")
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-X", "-tAq", "-F", "\x1f"]
CONNECTIONS = [int(c) for c in args.connections.split(",") if c.strip()]
WRITERS = 16  # the write scenario runs at 16 connections (the target is per 16 writers)
TODAY = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Copenhagen")).date().isoformat()


def sql_rows(q):
    out = subprocess.run(PSQL + ["-c", q], check=True, capture_output=True, text=True).stdout
    return [line.split("\x1f") for line in out.splitlines() if line]


def sql_col(q):
    return [r[0] for r in sql_rows(q)]


def post(url, query, variables, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, json.dumps({"query": query, "variables": variables}).encode(), headers)
    try:
        answer = json.loads(urllib.request.urlopen(req, timeout=120).read())
    except urllib.error.HTTPError as e:
        answer = {"http_status": e.code, "body": e.read().decode(errors="replace")[:2000]}
    except (urllib.error.URLError, OSError) as e:
        raise Failure(f"{url} did not answer: {e}")
    if "errors" in answer or "data" not in answer:
        raise Failure(f"{url} answered with an error for {json.dumps(variables)}:\n{json.dumps(answer)[:2000]}")
    return answer["data"]


class Failure(Exception):
    pass


# ---- processes: CPU and memory ----

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid):
    out = [pid]
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
        out += descendants(int(child))
    return out


BACKEND = re.compile(r"postgres: [^:]*: (\S+) (\S+) (\S+\(\d+\)|\[local\])")


def postgres_cpu():
    """CPU seconds of every PostgreSQL process of this benchmark: the postmaster and its
    background processes, and the backends of the bench database (backends of other databases,
    e.g. a test suite running next to the benchmark, are left out)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if open(f"/proc/{d}/comm").read().strip() != "postgres":
                continue
            cmd = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            m = BACKEND.match(cmd)
            if m and m.group(2) != DB:
                continue
            out[int(d)] = cpu_seconds(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return out


class PostgresCpu:
    """Samples the PostgreSQL processes every 0.2 s during a run, so that backends which end
    with the run (pgbench's) still count: CPU = last sample - first sample, per process."""

    def __init__(self):
        self.first = postgres_cpu()
        self.last = dict(self.first)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop.wait(0.2):
            self.last.update(postgres_cpu())

    def seconds(self):
        self.stop.set()
        self.thread.join()
        self.last.update(postgres_cpu())
        return sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items())


def kp_metric(name, url=None):
    text = urllib.request.urlopen((url or args.kp).replace("/graphql", "/metrics"), timeout=30).read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name))


# ---- load: wrk and pgbench ----

LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(auth)s
local bodies = {
%(bodies)s
}
local unique = %(unique)s
local threads, count = {}, 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end
errors, seq, n, prefix = 0, 0, 0, ""
function init(args)
  n = (tid * 7919) %% #bodies
  prefix = (args[1] or "00000000") .. string.format("-%%04x-4000-8000-", tid)
end
function request()
  n = n %% #bodies + 1
  local body = bodies[n]
  if unique then
    seq = seq + 1
    body = string.gsub(body, "@@ID@@", prefix .. string.format("%%012x", seq))
  end
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("graphql-errors: %%d\n", e))
end
"""


def lua(query, values, token, unique=False):
    bodies = ",\n".join("[==[" + json.dumps({"query": query, "variables": v}) + "]==]" for v in values)
    text = LUA % {"auth": f'wrk.headers["Authorization"] = "Bearer {token}"' if token else "",
                  "bodies": bodies, "unique": "true" if unique else "false"}
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write(text)
    f.close()
    return f.name


def wrk_command(url, script, connections, duration, latency=False):
    nonce = os.urandom(4).hex()  # ids of PostGraphile's createActivity: <nonce>-<thread>-4000-8000-<n>
    return (["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s"] + (["--latency"] if latency else [])
            + ["-s", script, url, "--", nonce])


def wrk(url, script, connections, pids, kp):
    """`kp`: the server is a Kontaktpunkt (its statements are counted through its /metrics)."""
    cpu = sum(cpu_seconds(p) for p in pids)
    statements = kp_metric("kontaktpunkt_sql_statements_total", url) if kp else 0.0
    pg = PostgresCpu()
    run = subprocess.run(wrk_command(url, script, connections, args.duration, latency=True), capture_output=True, text=True)
    pg_cpu = pg.seconds()
    cpu = sum(cpu_seconds(p) for p in pids) - cpu
    if kp:
        statements = kp_metric("kontaktpunkt_sql_statements_total", url) - statements
    out = run.stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        raise SystemExit(f"wrk against {url} failed:\n{out}\n{run.stderr}")
    total = int(re.search(r"(\d+) requests in", out).group(1))

    def pct(label):
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"graphql-errors: (\d+)", out)
    return {"rps": float(found.group(1)), "p50_ms": pct("50"), "p99_ms": pct("99"), "requests": total,
            "sql_per_request": statements / max(total, 1) if kp else None,
            "cpu_ms_per_request": 1000 * cpu / max(total, 1),
            "postgres_cpu_ms_per_request": 1000 * pg_cpu / max(total, 1),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "error_answers": int(errors.group(1)) if errors else None,
            "rss_mib": sum(rss_mib(p) for p in pids)}


def pgbench(script, connections, variables, duration):
    f = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    f.write(script)
    f.close()
    defines = [x for k, v in variables.items() for x in ("-D", f"{k}={v}")]
    logs = tempfile.mkdtemp(prefix="kp-pgbench-")
    # -l: one line per transaction (its latency in µs, the third field), for the floor's p50/p99.
    command = ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-M", "prepared",
               "-c", str(connections), "-j", str(min(2, connections)), "-T", str(duration),
               "-l", "--log-prefix", os.path.join(logs, "tx"), *defines, "-f", f.name, DB]
    pg = PostgresCpu()
    out = subprocess.run(command, capture_output=True, text=True)
    pg_cpu = pg.seconds()
    latencies = []
    for name in os.listdir(logs):
        with open(os.path.join(logs, name)) as log:
            latencies += [int(line.split()[2]) / 1000 for line in log if line.strip()]
        os.unlink(os.path.join(logs, name))
    os.rmdir(logs)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if not m:
        raise SystemExit(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    total = int(done.group(1)) if done else 0
    return {"rps": float(m.group(1)), "avg_ms": float(lat.group(1)) if lat else 0.0, "requests": total,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "postgres_cpu_ms_per_request": 1000 * pg_cpu / max(total, 1),
            "failed": int(failed.group(1)) if failed else 0}


def median(runs):
    runs = sorted(runs, key=lambda r: r["rps"])
    return runs[len(runs) // 2]


# ---- the data the scenarios vary over (and their tables for pgbench) ----

def table(name, select):
    sql_rows(f"DROP TABLE IF EXISTS {name}; CREATE TABLE {name} AS {select}; CREATE UNIQUE INDEX ON {name} (i)")
    return sql_rows(f"SELECT * FROM {name} ORDER BY i")


NATIONAL = sql_col("SELECT name FROM organisation WHERE id = 'national'")[0]
cvrs = [r[1] for r in table("bench_cvr", "SELECT row_number() OVER (ORDER BY md5(cvr)) AS i, cvr "
                                         "FROM (SELECT cvr FROM company ORDER BY md5(cvr) LIMIT 1000) s")]
codes = [r[1] for r in table("bench_muni", "SELECT row_number() OVER (ORDER BY code) AS i, code "
                                           "FROM (SELECT municipality_code AS code FROM company GROUP BY 1 HAVING count(*) >= 20) s")]
orgs = [r[1] for r in table("bench_org", "SELECT row_number() OVER (ORDER BY id) AS i, id FROM organisation WHERE kind = 'JOBCENTRE'")]
# 4-character fragments of real names (letters, an inner space allowed), from a sample of 2,000.
frags = [r[1] for r in table("bench_frag", """SELECT row_number() OVER (ORDER BY md5(q)) AS i, q FROM (
  SELECT DISTINCT substr(name_search, g, 4) AS q
  FROM (SELECT name_search FROM company ORDER BY md5(id) LIMIT 2000) c, generate_series(1, 60) g
  WHERE g <= length(name_search) - 3) s
  WHERE q ~ '^[[:alpha:]][[:alpha:] ]{2}[[:alpha:]]$' ORDER BY md5(q) LIMIT 100""")]
# 50 page starts spread over the whole list by name: i = 1 is the first page (no cursor).
step = max(1, args.companies // 50)
pages = [(r[1], r[2]) for r in table("bench_page", f"""SELECT 1 AS i, '' AS ns, '' AS id UNION ALL
  SELECT row_number() OVER (ORDER BY name_search, id) + 1, name_search, id FROM (
    SELECT name_search, id, row_number() OVER (ORDER BY name_search, id) AS rn FROM company) s
  WHERE rn % {step} = 0 AND rn < {step * 50}""")]
writes = [r[1] for r in table("bench_company", "SELECT row_number() OVER (ORDER BY md5(id)) AS i, id "
                                               "FROM (SELECT id FROM company ORDER BY md5(id) LIMIT 1000) s")]
# The coordinator view: jobcentres that coordinate ACTIVE job service agreements, and contacts
# since a year before the start of the benchmark.
SINCE = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
         - datetime.timedelta(days=365)).isoformat().replace("+00:00", "Z")
coordinators = [r[1] for r in table("bench_coord", f"""SELECT row_number() OVER (ORDER BY coordinator_id) AS i,
  coordinator_id AS id, '{SINCE}'::timestamptz AS since
  FROM job_service_agreement WHERE status = 'ACTIVE' GROUP BY coordinator_id""")]
# Companies with an ACTIVE agreement (about one in 270): checked besides the spread sample on the
# company page (full), so that the comparison covers the rule's first case.
# The campaign under way (seed-demo's latest) and the jobcentres with entries on its call list.
CAMPAIGN = sql_col("SELECT id FROM campaign ORDER BY starts_on DESC, id LIMIT 1")[0]
call_orgs = [r[1] for r in table("bench_cl_org", f"""SELECT row_number() OVER (ORDER BY organisation_id) AS i,
  organisation_id AS id, campaign_id AS c FROM call_list_entry WHERE campaign_id = '{CAMPAIGN}'
  GROUP BY campaign_id, organisation_id""")]
# The agreement report's periods: from 12 dates a week apart since the campaign started, to today.
report_froms = [r[1] for r in table("bench_report", f"""SELECT g + 1 AS i, (starts_on + 7 * g)::text AS from_on,
  id AS c FROM campaign, generate_series(0, 11) g WHERE id = '{CAMPAIGN}'""")]
agreement_cvrs = sql_col("""SELECT c.cvr FROM company c JOIN job_service_agreement a ON a.company_id = c.id
  WHERE a.status = 'ACTIVE' ORDER BY md5(c.cvr) LIMIT 5""")


def kp_cursor(ns, id_):
    return base64.urlsafe_b64encode(json.dumps([ns, id_], ensure_ascii=False, separators=(",", ":")).encode()).decode().rstrip("=")


def pg5_cursor_maker():
    """PostGraphile's cursors are base64 of [digest of the order, sort values…]: the digest is
    taken from a cursor it gave out, the values are the page start's."""
    data = post(args.pg5, "{ allCompanies(first: 1, orderBy: [NAME_SEARCH_ASC, PRIMARY_KEY_ASC]) { pageInfo { endCursor } } }", {})
    digest = json.loads(base64.b64decode(data["allCompanies"]["pageInfo"]["endCursor"]))[0]
    return lambda ns, id_: base64.b64encode(json.dumps([digest, ns, id_], ensure_ascii=False, separators=(",", ":")).encode()).decode()


# ---- the scenarios ----

def entry_pg5(c):
    """Kontaktpunkt's entry-point rule on what PostGraphile fetched for company `c`: the
    coordinator of its ACTIVE job service agreement (at most one), else the jobcentre of the
    home municipality, else Jobservice Danmark."""
    active = c["jobServiceAgreementsByCompanyId"]["nodes"]
    if active:
        return (active[0]["organisationByCoordinatorId"]["name"], "JOB_SERVICE_AGREEMENT")
    m = c["municipalityByMunicipalityCode"]
    if m is None:
        return (NATIONAL, "NATIONAL_FALLBACK")
    return (m["organisationByJobcentreId"]["name"], "HOME_MUNICIPALITY")


# PostGraphile's part of the entry point: the ACTIVE agreement's coordinator and the home
# municipality's jobcentre (entry_pg5 applies the rule).
ENTRY_PG5 = """jobServiceAgreementsByCompanyId(condition: { status: "ACTIVE" }) { nodes { organisationByCoordinatorId { name } } }
  municipalityByMunicipalityCode { organisationByJobcentreId { name } }"""


def entry_kp(e):
    return (e["organisation"]["name"], e["reason"])


PAGE_KP = """query($cvr: String!) { company(cvr: $cvr) { name contactPersons { name email }
  activities(first: 5) { nodes { kind status organisation { name } } } } }"""
PAGE_PG5 = """query($cvr: String!) { companyByCvr(cvr: $cvr) { name
  contactPeopleByCompanyId(condition: { deletedAt: null }, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { name email } }
  activitiesByCompanyId(first: 5, condition: { deletedAt: null }, orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) {
    nodes { kind status organisationByOrganisationId { name } } } } }"""
PAGE_FLOOR = """\\set i random(1, :n)
SELECT c.name,
  (SELECT json_agg(json_build_object('name', p.name, 'email', p.email) ORDER BY p.created_at, p.id)
     FROM contact_person p WHERE p.company_id = c.id AND p.deleted_at IS NULL) AS people,
  (SELECT json_agg(x) FROM (SELECT a.kind, a.status, o.name FROM activity a
     JOIN organisation o ON o.id = a.organisation_id
     WHERE a.company_id = c.id AND a.deleted_at IS NULL
     ORDER BY a.contact_at DESC, a.id DESC LIMIT 5) x) AS activities
FROM bench_cvr b JOIN company c ON c.cvr = b.cvr WHERE b.i = :i;
"""


def page_kp(d):
    c = d["company"]
    return (c["name"], [(p["name"], p["email"]) for p in c["contactPersons"]],
            [(a["kind"], a["status"], a["organisation"]["name"]) for a in c["activities"]["nodes"]])


def page_pg5(d):
    c = d["companyByCvr"]
    return (c["name"], [(p["name"], p["email"]) for p in c["contactPeopleByCompanyId"]["nodes"]],
            [(a["kind"], a["status"], a["organisationByOrganisationId"]["name"]) for a in c["activitiesByCompanyId"]["nodes"]])


MUNI_KP = """query($m: String!) { companies(filter: { municipalityCode: $m }, first: 20) { nodes { name
  activities(first: 5) { nodes { kind status } } followUps(status: OPEN) { description dueOn } } } }"""
MUNI_PG5 = """query($m: String!) { allCompanies(first: 20, condition: { municipalityCode: $m }, orderBy: [NAME_SEARCH_ASC, PRIMARY_KEY_ASC]) {
  nodes { name
    activitiesByCompanyId(first: 5, condition: { deletedAt: null }, orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) { nodes { kind status } }
    followUpsByCompanyId(condition: { status: "OPEN" }, orderBy: [DUE_ON_ASC, PRIMARY_KEY_ASC]) { nodes { description dueOn } } } } }"""
MUNI_FLOOR = """\\set i random(1, :n)
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
             [(f["description"], f["dueOn"]) for f in c["followUps"]]) for c in d["companies"]["nodes"]]


def muni_pg5(d):
    return [(c["name"], [(a["kind"], a["status"]) for a in c["activitiesByCompanyId"]["nodes"]],
             [(f["description"], f["dueOn"]) for f in c["followUpsByCompanyId"]["nodes"]])
            for c in d["allCompanies"]["nodes"]]


# Overdue: OPEN and due before today's Danish date (Kontaktpunkt computes it per request; for
# PostGraphile and the floor it is today's date in Europe/Copenhagen, as of the start of the
# benchmark); by due date, then id. Follow-ups are shared: the token's organisation redacts
# nothing here.
OVERDUE_KP = """query($org: ID!) { followUps(filter: { organisationId: $org, overdue: true }, first: 50) {
  nodes { id description dueOn company { name } } } }"""
OVERDUE_PG5 = """query($org: String!, $today: Date!) { allFollowUps(first: 50, condition: { organisationId: $org, status: "OPEN" },
  filter: { dueOn: { lessThan: $today } }, orderBy: [DUE_ON_ASC, PRIMARY_KEY_ASC]) {
  nodes { rowId description dueOn companyByCompanyId { name } } } }"""
OVERDUE_FLOOR = """\\set i random(1, :n)
SELECT json_agg(x) FROM (
  SELECT f.id, f.description, f.due_on, c.name
  FROM follow_up f JOIN company c ON c.id = f.company_id
  WHERE f.organisation_id = (SELECT id FROM bench_org WHERE i = :i) AND f.status = 'OPEN'
    AND f.due_on < (now() AT TIME ZONE 'Europe/Copenhagen')::date
  ORDER BY f.due_on, f.id LIMIT 50) x;
"""


def overdue_kp(d):
    return [(f["id"], f["description"], f["dueOn"], f["company"]["name"]) for f in d["followUps"]["nodes"]]


def overdue_pg5(d):
    return [(f["rowId"], f["description"], f["dueOn"], f["companyByCompanyId"]["name"]) for f in d["allFollowUps"]["nodes"]]


FULL_KP = """query($cvr: String!) { company(cvr: $cvr) { id name
  contactPersons { id name email } productionUnits { pNumber name }
  activities(first: 20) { nodes { id kind status organisation { name } } }
  followUps(status: OPEN) { id description dueOn }
  entryPoint { organisation { name } reason } } }"""
FULL_PG5 = """query($cvr: String!) { companyByCvr(cvr: $cvr) { rowId name
  contactPeopleByCompanyId(condition: { deletedAt: null }, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { rowId name email } }
  productionUnitsByCompanyId(orderBy: [P_NUMBER_ASC]) { nodes { pNumber name } }
  activitiesByCompanyId(first: 20, condition: { deletedAt: null }, orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) {
    nodes { rowId kind status organisationByOrganisationId { name } } }
  followUpsByCompanyId(condition: { status: "OPEN" }, orderBy: [DUE_ON_ASC, PRIMARY_KEY_ASC]) { nodes { rowId description dueOn } }
  """ + ENTRY_PG5 + """ } }"""
# The entry point in SQL: the ACTIVE agreement's coordinator (at most one per company), else the
# home municipality's jobcentre, else Jobservice Danmark.
ENTRY_SQL = """LEFT JOIN job_service_agreement ja ON ja.company_id = c.id AND ja.status = 'ACTIVE'
  LEFT JOIN municipality m ON m.code = c.municipality_code
  JOIN organisation eo ON eo.id = coalesce(ja.coordinator_id, m.jobcentre_id, 'national')"""
ENTRY_COLS = """eo.name AS entry, CASE WHEN ja.id IS NOT NULL THEN 'JOB_SERVICE_AGREEMENT'
  WHEN m.code IS NULL THEN 'NATIONAL_FALLBACK' ELSE 'HOME_MUNICIPALITY' END AS reason"""
FULL_FLOOR = f"""\\set i random(1, :n)
SELECT c.id, c.name,
  (SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'email', p.email) ORDER BY p.created_at, p.id)
     FROM contact_person p WHERE p.company_id = c.id AND p.deleted_at IS NULL) AS people,
  (SELECT json_agg(json_build_object('pNumber', u.p_number, 'name', u.name) ORDER BY u.p_number)
     FROM production_unit u WHERE u.company_id = c.id) AS units,
  (SELECT json_agg(x) FROM (SELECT a.id, a.kind, a.status, o.name FROM activity a
     JOIN organisation o ON o.id = a.organisation_id
     WHERE a.company_id = c.id AND a.deleted_at IS NULL
     ORDER BY a.contact_at DESC, a.id DESC LIMIT 20) x) AS activities,
  (SELECT json_agg(json_build_object('id', f.id, 'description', f.description, 'dueOn', f.due_on) ORDER BY f.due_on, f.id)
     FROM follow_up f WHERE f.company_id = c.id AND f.status = 'OPEN') AS follow_ups,
  {ENTRY_COLS}
FROM bench_cvr b JOIN company c ON c.cvr = b.cvr
  {ENTRY_SQL}
WHERE b.i = :i;
"""


def full_kp(d):
    c = d["company"]
    return (c["id"], c["name"], [(p["id"], p["name"], p["email"]) for p in c["contactPersons"]],
            [(u["pNumber"], u["name"]) for u in c["productionUnits"]],
            [(a["id"], a["kind"], a["status"], a["organisation"]["name"]) for a in c["activities"]["nodes"]],
            [(f["id"], f["description"], f["dueOn"]) for f in c["followUps"]], entry_kp(c["entryPoint"]))


def full_pg5(d):
    c = d["companyByCvr"]
    return (c["rowId"], c["name"], [(p["rowId"], p["name"], p["email"]) for p in c["contactPeopleByCompanyId"]["nodes"]],
            [(u["pNumber"], u["name"]) for u in c["productionUnitsByCompanyId"]["nodes"]],
            [(a["rowId"], a["kind"], a["status"], a["organisationByOrganisationId"]["name"]) for a in c["activitiesByCompanyId"]["nodes"]],
            [(f["rowId"], f["description"], f["dueOn"]) for f in c["followUpsByCompanyId"]["nodes"]],
            entry_pg5(c))


# nameContains matches the lower-cased name_search column with LIKE '%…%' (the fragment lower-
# cased and trimmed by Kontaktpunkt; ours are lower case without outer spaces), ordered by
# (name_search, id): connection-filter's `includes` on nameSearch is the same LIKE.
SEARCH_KP = """query($q: String!) { companies(filter: { nameContains: $q }, first: 20) {
  nodes { id name entryPoint { organisation { name } reason } } } }"""
SEARCH_PG5 = """query($q: String!) { allCompanies(first: 20, filter: { nameSearch: { includes: $q } }, orderBy: [NAME_SEARCH_ASC, PRIMARY_KEY_ASC]) {
  nodes { rowId name """ + ENTRY_PG5 + """ } } }"""
SEARCH_FLOOR = f"""\\set i random(1, :n)
SELECT json_agg(x) FROM (
  SELECT c.id, c.name, {ENTRY_COLS}
  FROM company c {ENTRY_SQL}
  WHERE c.name_search LIKE (SELECT '%' || q || '%' FROM bench_frag WHERE i = :i)
  ORDER BY c.name_search, c.id LIMIT 20) x;
"""


def search_kp(d):
    return [(c["id"], c["name"], entry_kp(c["entryPoint"])) for c in d["companies"]["nodes"]]


def search_pg5(d):
    return [(c["rowId"], c["name"], entry_pg5(c)) for c in d["allCompanies"]["nodes"]]


# 100 companies by name from 50 page starts spread over the list, five relations each.
DEEP_KP = """query($after: String) { companies(first: 100, after: $after) { nodes { id name
  contactPersons { name email } productionUnits { pNumber }
  activities(first: 5) { nodes { kind status organisation { name } } }
  followUps { description dueOn status }
  entryPoint { organisation { name } reason } } } }"""
DEEP_PG5 = """query($after: Cursor) { allCompanies(first: 100, after: $after, orderBy: [NAME_SEARCH_ASC, PRIMARY_KEY_ASC]) { nodes { rowId name
  contactPeopleByCompanyId(condition: { deletedAt: null }, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { name email } }
  productionUnitsByCompanyId(orderBy: [P_NUMBER_ASC]) { nodes { pNumber } }
  activitiesByCompanyId(first: 5, condition: { deletedAt: null }, orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) {
    nodes { kind status organisationByOrganisationId { name } } }
  followUpsByCompanyId(orderBy: [DUE_ON_ASC, PRIMARY_KEY_ASC]) { nodes { description dueOn status } }
  """ + ENTRY_PG5 + """ } } }"""
DEEP_FLOOR = f"""\\set i random(1, :n)
SELECT json_agg(x) FROM (
  SELECT c.id, c.name,
    (SELECT json_agg(json_build_object('name', p.name, 'email', p.email) ORDER BY p.created_at, p.id)
       FROM contact_person p WHERE p.company_id = c.id AND p.deleted_at IS NULL) AS people,
    (SELECT json_agg(u.p_number ORDER BY u.p_number) FROM production_unit u WHERE u.company_id = c.id) AS units,
    (SELECT json_agg(y) FROM (SELECT a.kind, a.status, o.name FROM activity a
       JOIN organisation o ON o.id = a.organisation_id
       WHERE a.company_id = c.id AND a.deleted_at IS NULL
       ORDER BY a.contact_at DESC, a.id DESC LIMIT 5) y) AS activities,
    (SELECT json_agg(json_build_object('description', f.description, 'dueOn', f.due_on, 'status', f.status) ORDER BY f.due_on, f.id)
       FROM follow_up f WHERE f.company_id = c.id) AS follow_ups,
    {ENTRY_COLS}
  FROM company c {ENTRY_SQL}
  WHERE (c.name_search, c.id) > (SELECT ns, id FROM bench_page WHERE i = :i)
  ORDER BY c.name_search, c.id LIMIT 100) x;
"""


def deep_kp(d):
    return [(c["id"], c["name"], [(p["name"], p["email"]) for p in c["contactPersons"]],
             [u["pNumber"] for u in c["productionUnits"]],
             [(a["kind"], a["status"], a["organisation"]["name"]) for a in c["activities"]["nodes"]],
             [(f["description"], f["dueOn"], f["status"]) for f in c["followUps"]], entry_kp(c["entryPoint"]))
            for c in d["companies"]["nodes"]]


def deep_pg5(d):
    return [(c["rowId"], c["name"], [(p["name"], p["email"]) for p in c["contactPeopleByCompanyId"]["nodes"]],
             [u["pNumber"] for u in c["productionUnitsByCompanyId"]["nodes"]],
             [(a["kind"], a["status"], a["organisationByOrganisationId"]["name"]) for a in c["activitiesByCompanyId"]["nodes"]],
             [(f["description"], f["dueOn"], f["status"]) for f in c["followUpsByCompanyId"]["nodes"]],
             entry_pg5(c))
            for c in d["allCompanies"]["nodes"]]


# The coordinator view: contacts by any organisation since a moment with the companies whose
# ACTIVE job service agreement the organisation coordinates, newest first by (contact_at, id),
# deleted ones left out. PostGraphile: a relation filter (connectionFilterRelations) through the
# company to its agreements. Kontaktpunkt's list keeps other organisations' private activities
# (only their summaries are withheld), so both list the same rows.
COORD_KP = """query($org: ID!, $since: DateTime!) { activities(filter: { coordinatedBy: $org, since: $since }, first: 50) {
  nodes { id kind status occurredAt organisation { name } company { name } } } }"""
COORD_PG5 = """query($org: String!, $since: Datetime!) { allActivities(first: 50, condition: { deletedAt: null },
  filter: { contactAt: { greaterThanOrEqualTo: $since }, companyByCompanyId: { jobServiceAgreementsByCompanyId: {
    some: { coordinatorId: { equalTo: $org }, status: { equalTo: "ACTIVE" } } } } },
  orderBy: [CONTACT_AT_DESC, PRIMARY_KEY_DESC]) {
  nodes { rowId kind status occurredAt organisationByOrganisationId { name } companyByCompanyId { name } } } }"""
COORD_FLOOR = """\\set i random(1, :n)
SELECT json_agg(x) FROM (
  SELECT a.id, a.kind, a.status, a.occurred_at, o.name AS organisation, c.name AS company
  FROM bench_coord b
  JOIN job_service_agreement ja ON ja.coordinator_id = b.id AND ja.status = 'ACTIVE'
  JOIN activity a ON a.company_id = ja.company_id AND a.deleted_at IS NULL AND a.contact_at >= b.since
  JOIN organisation o ON o.id = a.organisation_id
  JOIN company c ON c.id = a.company_id
  WHERE b.i = :i
  ORDER BY a.contact_at DESC, a.id DESC LIMIT 50) x;
"""


def moment(t):
    """A timestamp as both servers may write it (Z or +00:00, fractions or none), as UTC."""
    if t is None:
        return None
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(datetime.timezone.utc).isoformat()


def coord_kp(d):
    return [(a["id"], a["kind"], a["status"], moment(a["occurredAt"]), a["organisation"]["name"], a["company"]["name"])
            for a in d["activities"]["nodes"]]


def coord_pg5(d):
    return [(a["rowId"], a["kind"], a["status"], moment(a["occurredAt"]), a["organisationByOrganisationId"]["name"],
             a["companyByCompanyId"]["name"]) for a in d["allActivities"]["nodes"]]


# A jobcentre's share of a campaign's call list, in the order the companies were added
# ((created_at, id) ascending), first 100. PostGraphile: the generated connection with a
# condition on both columns.
CALL_KP = """query($c: ID!, $o: ID!) { callList(campaignId: $c, organisationId: $o, first: 100) {
  id status callAttempts company { name } } }"""
CALL_PG5 = """query($c: String!, $o: String!) { allCallListEntries(first: 100, condition: { campaignId: $c, organisationId: $o },
  orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { rowId status callAttempts companyByCompanyId { name } } } }"""
CALL_FLOOR = """\\set i random(1, :n)
SELECT json_agg(x) FROM (
  SELECT e.id, e.status, e.call_attempts, c.name
  FROM bench_cl_org b
  JOIN call_list_entry e ON e.campaign_id = b.c AND e.organisation_id = b.id
  JOIN company c ON c.id = e.company_id
  WHERE b.i = :i
  ORDER BY e.created_at, e.id LIMIT 100) x;
"""


def call_kp(d):
    return [(e["id"], e["status"], e["callAttempts"], e["company"]["name"]) for e in d["callList"]]


def call_pg5(d):
    return [(e["rowId"], e["status"], e["callAttempts"], e["companyByCompanyId"]["name"])
            for e in d["allCallListEntries"]["nodes"]]


# Table 1 of the evaluation (agreementReport) for the campaign from a Danish date on: per RAR area
# of the organisation owning the meeting, and the whole country, the campaign VISITs that are not
# DRAFT nor deleted, those with an outcome, the follow-up rate (held visits with a follow-up /
# held visits) and positions per agreement kind. PostGraphile 5 cannot express the aggregate
# without plugins (the amber preset has no aggregates): Kontaktpunkt is compared with the SQL
# floor's answer instead.
REPORT_KP = """query($c: ID!, $from: Date) { agreementReport(campaignId: $c, from: $from) { columns {
  rarArea bookedMeetings meetingsWithOutcome followUpRate positions { kind positions } } } }"""
REPORT_WHERE = """a.campaign_id = b.c AND a.kind = 'VISIT' AND a.status <> 'DRAFT' AND a.deleted_at IS NULL
    AND a.contact_at >= (b.from_on::date::timestamp AT TIME ZONE 'Europe/Copenhagen')"""
REPORT_FLOOR = f"""\\set i random(1, :n)
SELECT o.rar_area, count(*), count(*) FILTER (WHERE a.outcome_registered), count(*) FILTER (WHERE a.status = 'HELD'),
  count(*) FILTER (WHERE a.status = 'HELD' AND EXISTS (SELECT 1 FROM follow_up f WHERE f.activity_id = a.id))
FROM bench_report b JOIN activity a ON {REPORT_WHERE} JOIN organisation o ON o.id = a.organisation_id
WHERE b.i = :i GROUP BY o.rar_area;
SELECT o.rar_area, g.kind, sum(g.positions)
FROM bench_report b JOIN activity a ON {REPORT_WHERE} JOIN organisation o ON o.id = a.organisation_id
  JOIN agreement g ON g.activity_id = a.id
WHERE b.i = :i GROUP BY o.rar_area, g.kind;
"""


def report_kp(d):
    out = {}
    for c in d["agreementReport"]["columns"]:
        rate = c["followUpRate"]
        out[c["rarArea"] or "COUNTRY"] = (c["bookedMeetings"], c["meetingsWithOutcome"],
                                          None if rate is None else round(rate, 9),
                                          tuple(sorted((p["kind"], p["positions"]) for p in c["positions"] if p["positions"])))
    return {k: v for k, v in out.items() if k == "COUNTRY" or v[0] or v[3]}


def report_sql(kp_vars):
    """The floor's two statements for one period, normalised as report_kp."""
    i = report_froms.index(kp_vars["from"]) + 1
    statements = REPORT_FLOOR.split("\n", 1)[1].replace(":i", str(i)).split(";")
    counts, positions = sql_rows(statements[0]), sql_rows(statements[1])
    cols = {}
    for area, booked, outcome, held, fu in counts:
        for key in ([area] if area else []) + ["COUNTRY"]:
            c = cols.setdefault(key, [0, 0, 0, 0, {}])
            c[0] += int(booked); c[1] += int(outcome); c[2] += int(held); c[3] += int(fu)
    for area, kind, n in positions:
        for key in ([area] if area else []) + ["COUNTRY"]:
            c = cols.setdefault(key, [0, 0, 0, 0, {}])
            c[4][kind] = c[4].get(kind, 0) + int(n)
    cols.setdefault("COUNTRY", [0, 0, 0, 0, {}])
    return {k: (c[0], c[1], round(c[3] / c[2], 9) if c[2] else None, tuple(sorted((x, n) for x, n in c[4].items() if n)))
            for k, c in cols.items()}


# logActivity: a PHONE or EMAIL contact, HELD, on one of 1,000 companies, by the token's
# organisation (jc-101). Kontaktpunkt validates, checks the coordination window (a warnings
# query), inserts the activity and its audit event in one transaction. PostGraphile's
# generated createActivity is a bare INSERT of every NOT NULL column (ids made by the Lua
# script; no audit event, no warnings): it does less work. The floor is one statement that
# does what Kontaktpunkt does (warnings query, activity, audit event with its JSON snapshot).
LOG_KP = """mutation($c: ID!, $k: ActivityKind!) { logActivity(input: { companyId: $c, kind: $k, status: HELD }) {
  activity { id kind status } warnings { code } } }"""
LOG_PG5 = """mutation($id: String!, $c: String!, $k: String!, $at: Datetime!) { createActivity(input: { activity: {
  rowId: $id, companyId: $c, organisationId: "jc-101", kind: $k, status: "HELD", initiatedBy: "JOBCENTRE", visibility: "SHARED",
  occurredAt: $at, contactAt: $at, outcomeRegistered: false, createdBySub: "bench", version: 1, createdAt: $at, updatedAt: $at } }) {
  activity { rowId kind status } } }"""
LOG_FLOOR = """\\set i random(1, :n)
WITH c AS (SELECT co.id FROM company co WHERE co.id = (SELECT id FROM bench_company WHERE i = :i)),
w AS (SELECT a.organisation_id, max(a.contact_at) AS at FROM activity a JOIN c ON a.company_id = c.id
  WHERE a.organisation_id <> 'jc-101' AND a.status <> 'DRAFT' AND a.deleted_at IS NULL
    AND a.contact_at >= now() - interval '14 days' GROUP BY 1),
ins AS (INSERT INTO activity (id, company_id, organisation_id, kind, status, initiated_by, visibility, occurred_at,
    contact_at, outcome_registered, created_by_sub, version, created_at, updated_at)
  SELECT gen_random_uuid()::text, c.id, 'jc-101', CASE WHEN :i % 2 = 0 THEN 'PHONE' ELSE 'EMAIL' END, 'HELD', 'JOBCENTRE',
    'SHARED', now(), now(), false, 'bench', 1, now(), now() FROM c RETURNING *),
ev AS (INSERT INTO audit_event (id, at, actor_sub, organisation_id, action, entity_type, entity_id, before, after,
    request_id, owner_organisation_id)
  SELECT gen_random_uuid()::text, now(), 'bench', 'jc-101', 'activity.logged', 'Activity', ins.id, NULL, row_to_json(ins),
    gen_random_uuid()::text, 'jc-101' FROM ins RETURNING id)
SELECT ins.id, (SELECT json_agg(w) FROM w), (SELECT count(*) FROM ev) FROM ins;
"""
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
KINDS = ["PHONE", "EMAIL"]


def log_check():
    """Writes cannot answer 'the same rows'; instead each server's new activity is read back
    through the other server: same company, kind, status and organisation."""
    checked = 0
    for i, company in enumerate(writes[:10]):
        kind = KINDS[i % 2]
        a = post(args.kp, LOG_KP, {"c": company, "k": kind}, args.token)["logActivity"]["activity"]
        b_id = str(uuid.uuid4())  # Kontaktpunkt reads only UUID ids
        post(args.pg5, LOG_PG5, {"id": b_id, "c": company, "k": kind, "at": NOW})
        q_kp = "query($id: ID!) { activity(id: $id) { company { id } kind status organisation { id } } }"
        q_pg5 = "query($id: String!) { activityByRowId(rowId: $id) { companyId kind status organisationId } }"
        x = post(args.kp, q_kp, {"id": b_id}, args.token)["activity"]
        y = post(args.pg5, q_pg5, {"id": a["id"]})["activityByRowId"]
        got = [(x["company"]["id"], x["kind"], x["status"], x["organisation"]["id"]),
               (y["companyId"], y["kind"], y["status"], y["organisationId"])]
        if got != [(company, kind, "HELD", "jc-101")] * 2:
            raise Failure(f"logActivity / createActivity on {company}: read back {got}")
        checked += 1
    return f"{checked} of {checked} writes read back alike through the other server"


SCENARIOS = [
    dict(key="company-page", name="company page", kind="lookup", kp=PAGE_KP, pg5=PAGE_PG5, kp_norm=page_kp, pg5_norm=page_pg5,
         cases=[({"cvr": c}, {"cvr": c}) for c in cvrs], checks=25, floor=PAGE_FLOOR, n=len(cvrs)),
    dict(key="municipality-page", name="municipality page", kind="list", kp=MUNI_KP, pg5=MUNI_PG5, kp_norm=muni_kp, pg5_norm=muni_pg5,
         cases=[({"m": c}, {"m": c}) for c in codes], checks=10, floor=MUNI_FLOOR, n=len(codes)),
    dict(key="overdue-follow-ups", name="overdue follow-ups", kind="list", kp=OVERDUE_KP, pg5=OVERDUE_PG5,
         kp_norm=overdue_kp, pg5_norm=overdue_pg5, cases=[({"org": o}, {"org": o, "today": TODAY}) for o in orgs], checks=15,
         floor=OVERDUE_FLOOR, n=len(orgs)),
    dict(key="company-page-full", name="company page (full)", kind="lookup", kp=FULL_KP, pg5=FULL_PG5, kp_norm=full_kp,
         pg5_norm=full_pg5, cases=[({"cvr": c}, {"cvr": c}) for c in cvrs], checks=25, floor=FULL_FLOOR, n=len(cvrs),
         also=[({"cvr": c}, {"cvr": c}) for c in agreement_cvrs],
         note="entry point: PostGraphile fetches the ACTIVE agreement's coordinator and municipality → jobcentre; "
              "the checker applies the rule; also checked on companies with an ACTIVE agreement"),
    dict(key="company-search", name="company search", kind="list", kp=SEARCH_KP, pg5=SEARCH_PG5, kp_norm=search_kp,
         pg5_norm=search_pg5, cases=[({"q": q}, {"q": q}) for q in frags], checks=20, floor=SEARCH_FLOOR, n=len(frags),
         note="entry point as in company page (full)"),
    dict(key="deep-list", name="deep list", kind="list", kp=DEEP_KP, pg5=DEEP_PG5, kp_norm=deep_kp, pg5_norm=deep_pg5,
         cases=None, checks=12, floor=DEEP_FLOOR, n=len(pages), note="entry point as in company page (full)"),
    dict(key="coordinator-view", name="coordinator view", kind="list", kp=COORD_KP, pg5=COORD_PG5, kp_norm=coord_kp,
         pg5_norm=coord_pg5, cases=[({"org": o, "since": SINCE}, {"org": o, "since": SINCE}) for o in coordinators],
         checks=15, floor=COORD_FLOOR, n=len(coordinators),
         note="PostGraphile: relation filter company → ACTIVE agreements coordinated by the organisation"),
    dict(key="call-list-page", name="call list page", kind="list", kp=CALL_KP, pg5=CALL_PG5, kp_norm=call_kp, pg5_norm=call_pg5,
         cases=[({"c": CAMPAIGN, "o": o}, {"c": CAMPAIGN, "o": o}) for o in call_orgs], checks=15, floor=CALL_FLOOR,
         n=len(call_orgs), note="the current campaign's call list, one jobcentre per request"),
    dict(key="agreement-report", name="agreement report", kind="report", kp=REPORT_KP, pg5=None, kp_norm=report_kp,
         sql_norm=report_sql, cases=[({"c": CAMPAIGN, "from": f}, None) for f in report_froms], checks=12,
         floor=REPORT_FLOOR, n=len(report_froms),
         note="PostGraphile: n/a (no aggregates without plugins); Kontaktpunkt's answer compared with the SQL floor's"),
    dict(key="log-activity", name="logActivity", kind="write", kp=LOG_KP, pg5=LOG_PG5, check=log_check,
         cases=[({"c": c, "k": KINDS[i % 2]}, {"id": "@@ID@@", "c": c, "k": KINDS[i % 2], "at": NOW}) for i, c in enumerate(writes)],
         floor=LOG_FLOOR, n=len(writes), connections=[WRITERS],
         note="PostGraphile's createActivity is a bare INSERT (no audit event, no warnings); the floor does Kontaktpunkt's work"),
]
wanted = [w.strip() for w in args.scenarios.split(",") if w.strip()]
unknown = [w for w in wanted if not any(w in (s["key"], s["name"]) for s in SCENARIOS)]
if unknown:
    raise SystemExit(f"unknown scenario(s) {unknown}; known: {', '.join(s['key'] for s in SCENARIOS)}")
SCENARIOS = [s for s in SCENARIOS if not wanted or s["key"] in wanted or s["name"] in wanted]
for s in SCENARIOS:
    if s["key"] == "deep-list":
        pg5_cursor = pg5_cursor_maker()
        s["cases"] = [({"after": None}, {"after": None}) if not ns and not id_ else
                      ({"after": kp_cursor(ns, id_)}, {"after": pg5_cursor(ns, id_)}) for ns, id_ in pages]


# ---- 1. same rows from both servers ----

def spread(cases, k):
    """k cases spread over the list (the first one included)."""
    if len(cases) <= k:
        return list(cases)
    return [cases[round(i * (len(cases) - 1) / (k - 1))] for i in range(k)]


checks = {}
failed = False
for s in SCENARIOS:
    try:
        if s["kind"] == "write":
            checks[s["key"]] = s["check"]()
        else:
            picked = spread(s["cases"], s["checks"])
            if len(picked) < 10:
                raise Failure(f"only {len(picked)} variable values to check (at least 10 needed)")
            picked += s.get("also", [])
            rows = agreement_entries = 0
            for kp_vars, pg5_vars in picked:
                a = s["kp_norm"](post(args.kp, s["kp"], kp_vars, args.token))
                if s["pg5"] is None:  # no PostGraphile query: Kontaktpunkt against the SQL floor's answer
                    b = s["sql_norm"](kp_vars)
                    if a != b:
                        raise Failure(f"Kontaktpunkt and the SQL floor answer differently for {json.dumps(kp_vars)}:\n"
                                      f"Kontaktpunkt: {a}\nSQL floor:    {b}")
                    rows += len(a)
                    continue
                b = s["pg5_norm"](post(args.pg5, s["pg5"], pg5_vars))
                if a != b:
                    if isinstance(a, list) and isinstance(b, list):
                        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                        raise Failure(f"the servers answer differently for {json.dumps(kp_vars)} from row {i} on "
                                      f"({len(a)} and {len(b)} rows):\nKontaktpunkt:   {a[i:i + 2]}\nPostGraphile 5: {b[i:i + 2]}")
                    raise Failure(f"the servers answer differently for {json.dumps(kp_vars)}:\nKontaktpunkt:   {a}\nPostGraphile 5: {b}")
                rows += len(a) if isinstance(a, list) else 1
                agreement_entries += str(a).count("'JOB_SERVICE_AGREEMENT'")
            if rows == 0:
                raise Failure("every compared answer was empty")
            checks[s["key"]] = (f"same {'columns as the SQL floor' if s['pg5'] is None else 'rows'} on {len(picked)} of "
                                f"{len(picked)} variable values ({rows} top-level {'columns' if s['pg5'] is None else 'rows'}"
                                + (f"; {agreement_entries} entry points by an ACTIVE agreement" if agreement_entries else "") + ")")
        print(f"ok   {s['name']}: {checks[s['key']]}" + (f" [{s['note']}]" if s.get("note") else ""), flush=True)
    except Failure as e:
        failed = True
        checks[s["key"]] = "DIFFERENT: " + str(e).splitlines()[0]
        print(f"FAIL {s['name']}: {e}", flush=True)
if failed:
    raise SystemExit("the servers' answers differ (see FAIL above)")
if args.smoke:
    print(f"smoke: {len(SCENARIOS)} scenarios, answers of both servers equal")
    sys.exit(0)


# ---- 2. load ----

def machine():
    cpuinfo = open("/proc/cpuinfo").read()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    mem = re.search(r"MemTotal:\s+(\d+) kB", open("/proc/meminfo").read())

    def version(package):
        try:
            return json.load(open(os.path.join(args.pg5_dir, "node_modules", package, "package.json")))["version"]
        except OSError:
            return None
    tls = sql_col(f"SELECT count(*) FILTER (WHERE s.ssl) || '/' || count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                  f"WHERE a.datname = '{DB}'")[0]
    return {"cpu": model.group(1).strip() if model else "unknown", "cores": os.cpu_count(),
            "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None, "kernel": os.uname().release,
            "postgresql": sql_col("SHOW server_version")[0],
            "node": subprocess.run([args.node, "--version"], capture_output=True, text=True).stdout.strip(),
            "postgraphile": version("postgraphile"),
            "postgraphile_plugin_connection_filter": version("postgraphile-plugin-connection-filter"),
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
            "tls_backends_of_bench_db": tls}


pg5_pids = descendants(args.pg5_pid)
results = {"companies": args.companies, "duration_s": args.duration, "runs": args.runs, "pool": args.pool,
           "rust_log": args.log, "baseline_rust_log": args.base_log if args.base else None,
           "transport": "sslmode=disable (both servers; psql/pgbench with PGSSLMODE=disable)",
           "today_europe_copenhagen": TODAY, "machine": machine(), "checks": checks, "scenarios": []}
for s in SCENARIOS:
    kp_values, pg5_values = [c[0] for c in s["cases"]], [c[1] for c in s["cases"]]
    unique = s["kind"] == "write"
    kp_script = lua(s["kp"], kp_values, args.token)
    pg5_script = lua(s["pg5"], pg5_values, None, unique=unique) if s["pg5"] else None
    for c in s.get("connections") or CONNECTIONS:
        print(f"-- {s['name']}, {c} connections", flush=True)
        for url, script in [(args.kp, kp_script), (args.base, kp_script), (args.pg5, pg5_script)]:  # warm-up
            if url and script:
                subprocess.run(wrk_command(url, script, c, 3), capture_output=True)
        rounds = []  # KP, PG5, floor back to back in each round (see the top of this file)
        base_rounds = []  # the baseline Kontaktpunkt beside KP, in turn before and after it
        for i in range(args.runs):
            if args.base and i % 2 == 0:
                base_rounds.append(wrk(args.base, kp_script, c, [args.base_pid], kp=True))
            kp_round = wrk(args.kp, kp_script, c, [args.kp_pid], kp=True)
            if args.base and i % 2 == 1:
                base_rounds.append(wrk(args.base, kp_script, c, [args.base_pid], kp=True))
            rounds.append((kp_round,
                           wrk(args.pg5, pg5_script, c, pg5_pids, kp=False) if pg5_script else None,
                           pgbench(s["floor"], c, {"n": s["n"]}, args.duration)))
        kp = median([r[0] for r in rounds])
        pg5 = median([r[1] for r in rounds]) if pg5_script else None
        fl = median([r[2] for r in rounds])
        results["scenarios"].append({"key": s["key"], "name": s["name"], "kind": s["kind"], "connections": c,
                                     "note": s.get("note"), "kontaktpunkt": kp, "postgraphile5": pg5, "sql_floor": fl,
                                     "rounds_rps": [[round(x["rps"], 1) if x else None for x in r] for r in rounds],
                                     "rounds_p99_ms": [[x.get("p99_ms") if x else None for x in r] for r in rounds]})
        if base_rounds:
            results["scenarios"][-1]["baseline"] = median(base_rounds)
            results["scenarios"][-1]["baseline_rounds_rps"] = [round(x["rps"], 1) for x in base_rounds]
            results["scenarios"][-1]["baseline_rounds_p99_ms"] = [x["p99_ms"] for x in base_rounds]


# ---- 3. table, targets, chart ----

def ratio(a, b):
    return a / b if b else float("nan")


rows = ["| scenario | conn. | KP req/s | KP p50 / p99 ms | PG5 req/s | PG5 p50 / p99 ms | floor req/s | floor p50 / p99 ms | KP / PG5 | KP / floor "
        "| KP SQL / req | CPU ms / req KP + its PG | CPU ms / req PG5 + its PG | floor PG CPU ms / req | RSS MiB KP / PG5 |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
for r in results["scenarios"]:
    kp, pg5, fl = r["kontaktpunkt"], r["postgraphile5"], r["sql_floor"]
    if pg5 is None:  # PostGraphile: n/a
        pg5_cols = "| n/a | n/a "
        pg5_ratio, pg5_cpu, pg5_rss = "n/a", "n/a", "n/a"
    else:
        pg5_cols = f"| {pg5['rps']:.0f} | {pg5['p50_ms']:.1f} / {pg5['p99_ms']:.1f} "
        pg5_ratio = f"{ratio(kp['rps'], pg5['rps']):.2f}"
        pg5_cpu = f"{pg5['cpu_ms_per_request']:.2f} + {pg5['postgres_cpu_ms_per_request']:.2f}"
        pg5_rss = f"{pg5['rss_mib']:.0f}"
    rows.append(f"| {r['name']} | {r['connections']} | {kp['rps']:.0f} | {kp['p50_ms']:.1f} / {kp['p99_ms']:.1f} "
                f"{pg5_cols}| {fl['rps']:.0f} | {fl.get('p50_ms', 0):.1f} / {fl.get('p99_ms', 0):.1f} "
                f"| {pg5_ratio} | {ratio(kp['rps'], fl['rps']):.2f} | {kp['sql_per_request']:.1f} "
                f"| {kp['cpu_ms_per_request']:.2f} + {kp['postgres_cpu_ms_per_request']:.2f} "
                f"| {pg5_cpu} "
                f"| {fl['postgres_cpu_ms_per_request']:.2f} | {kp['rss_mib']:.0f} / {pg5_rss} |")
errors = [f"{r['name']} ({r['connections']}): {who} {x['non_2xx']} non-2xx, {x['error_answers']} answers with errors"
          for r in results["scenarios"] for who, x in [("KP", r["kontaktpunkt"]), ("PG5", r["postgraphile5"])]
          if x and (x["non_2xx"] or x["error_answers"])]
errors += [f"{r['name']} ({r['connections']}): floor {r['sql_floor']['failed']} failed transactions"
           for r in results["scenarios"] if r["sql_floor"]["failed"]]
table_md = "\n".join(rows)

base_md = ""
if args.base:
    base_rows = [f"Before/after, side by side in this run: `{args.base_label}` (baseline) and the binary measured above, "
                 "loaded one right after the other in every round (the baseline first in odd rounds, second in even ones).",
                 "",
                 "| scenario | conn. | baseline req/s | KP req/s | KP / baseline | in each round | baseline p50 / p99 ms "
                 "| KP p50 / p99 ms | p99 ms in each round, baseline / KP | baseline SQL / req | KP SQL / req "
                 "| CPU ms / req baseline + its PG | CPU ms / req KP + its PG |",
                 "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results["scenarios"]:
        b, kp = r.get("baseline"), r["kontaktpunkt"]
        if not b:
            continue
        each = [x[0] / y for x, y in zip(r["rounds_rps"], r["baseline_rounds_rps"]) if y]
        base_rows.append(f"| {r['name']} | {r['connections']} | {b['rps']:.0f} | {kp['rps']:.0f} | {ratio(kp['rps'], b['rps']):.2f} "
                         f"| {', '.join(f'{x:.2f}' for x in each)} | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} "
                         f"| {kp['p50_ms']:.1f} / {kp['p99_ms']:.1f} "
                         f"| {', '.join(f'{x:.0f} / {y[0]:.0f}' for x, y in zip(r['baseline_rounds_p99_ms'], r['rounds_p99_ms']))} "
                         f"| {b['sql_per_request']:.1f} | {kp['sql_per_request']:.1f} "
                         f"| {b['cpu_ms_per_request']:.2f} + {b['postgres_cpu_ms_per_request']:.2f} "
                         f"| {kp['cpu_ms_per_request']:.2f} + {kp['postgres_cpu_ms_per_request']:.2f} |")
    base_md = "\n".join(base_rows)

at16 = {r["key"]: r for r in results["scenarios"] if r["connections"] == 16}
reads = [s for s in SCENARIOS if s["kind"] in ("lookup", "list")]
targets = []


def target(text, ok, detail):
    targets.append({"target": text, "met": ok, "detail": detail})


def measured(keys):
    return [at16[k] for k in keys if k in at16]


def spread(r, other, percent=False):
    """The ratio in each round (KP and the other side back to back, see the top of this file),
    lowest to highest: how far the machine's noise moves the figure a target is judged on."""
    col = {"pg5": 1, "floor": 2}[other]
    xs = [k / o for k, o in ((rr[0], rr[col]) for rr in r["rounds_rps"]) if k and o]
    if len(xs) < 2:
        return ""
    if percent:
        return f" (rounds {100 * min(xs):.0f}–{100 * max(xs):.0f} %)"
    return f" (rounds {min(xs):.2f}–{max(xs):.2f}×)"


rr = measured([s["key"] for s in reads])
if rr:
    below = [f"{r['name']} {ratio(r['kontaktpunkt']['rps'], r['postgraphile5']['rps']):.2f}×{spread(r, 'pg5')}" for r in rr
             if ratio(r["kontaktpunkt"]["rps"], r["postgraphile5"]["rps"]) < 2]
    lowest = min(rr, key=lambda r: ratio(r["kontaktpunkt"]["rps"], r["postgraphile5"]["rps"]))
    target("reads ≥ 2× PostGraphile 5 req/s on every read scenario (16 connections)", not below,
           "below: " + ", ".join(below) if below else
           f"lowest {ratio(lowest['kontaktpunkt']['rps'], lowest['postgraphile5']['rps']):.2f}× ({lowest['name']}){spread(lowest, 'pg5')}")
    geo = math.exp(sum(math.log(max(ratio(r["kontaktpunkt"]["rps"], r["postgraphile5"]["rps"]), 1e-9)) for r in rr) / len(rr))
    target("geometric mean of KP / PG5 over the read scenarios ≥ 2.5× (16 connections)", geo >= 2.5,
           f"{geo:.2f}× over {len(rr)} scenarios")
    for kind, share in [("lookup", 0.20), ("list", 0.40)]:
        group = measured([s["key"] for s in reads if s["kind"] == kind])
        if group:
            low = [f"{r['name']} {100 * ratio(r['kontaktpunkt']['rps'], r['sql_floor']['rps']):.0f} %{spread(r, 'floor', True)}"
                   for r in group if ratio(r["kontaktpunkt"]["rps"], r["sql_floor"]["rps"]) < share]
            label = "company lookup" if kind == "lookup" else "list pages"
            target(f"≥ {share:.0%} of the SQL floor on the {label} (16 connections)", not low,
                   "below: " + ", ".join(low) if low else ", ".join(
                       f"{r['name']} {100 * ratio(r['kontaktpunkt']['rps'], r['sql_floor']['rps']):.0f} %" for r in group))
    slow = [f"{r['name']} {r['kontaktpunkt']['p99_ms']:.1f} ms (the floor's own: {r['sql_floor'].get('p99_ms', 0):.1f} ms)"
            for r in rr if r["kontaktpunkt"]["p99_ms"] > 25]
    target("p99 ≤ 25 ms at 16 connections on every read scenario", not slow,
           "above: " + ", ".join(slow) if slow else f"highest {max(r['kontaktpunkt']['p99_ms'] for r in rr):.1f} ms")
else:
    target("read targets (16 connections)", None, "not measured: BENCH_CONNECTIONS has no 16")
if results["scenarios"]:
    rss = max(r["kontaktpunkt"]["rss_mib"] for r in results["scenarios"])
    target("Kontaktpunkt RSS ≤ 150 MB", rss * 1.048576 <= 150, f"highest {rss * 1.048576:.0f} MB ({rss:.0f} MiB)")
if "log-activity" in at16:
    w = at16["log-activity"]["kontaktpunkt"]["rps"]
    xs = [r[0] for r in at16["log-activity"]["rounds_rps"] if r[0]]
    target("logActivity ≥ 1,000/s at 16 writers", w >= 1000,
           f"{w:.0f}/s" + (f" (rounds {min(xs):.0f}–{max(xs):.0f}/s)" if len(xs) > 1 else ""))
targets_md = "\n".join(f"- {'met' if t['met'] else 'not measured' if t['met'] is None else 'NOT MET'}: {t['target']} — {t['detail']}"
                       for t in targets)
results["targets"] = targets
results["errors"] = errors


def svg_chart():
    data = [(r["name"], r["kontaktpunkt"]["rps"], r["postgraphile5"]["rps"] if r["postgraphile5"] else None,
             r["sql_floor"]["rps"]) for r in results["scenarios"] if r["connections"] == 16]
    series = [("Kontaktpunkt", "#1f6fb4"), ("PostGraphile 5", "#e08a1e"), ("SQL floor (pgbench)", "#8a8a8a")]
    left, top, plot_h, group_w, bar_w = 70, 50, 300, 150, 38
    width, height = left + group_w * max(len(data), 1) + 20, top + plot_h + 70
    top_value = max([v for d in data for v in d[1:] if v is not None] + [10])
    decades = math.ceil(math.log10(top_value))

    def y(v):  # log scale from 1 to 10^decades
        return top + plot_h - plot_h * math.log10(max(v, 1)) / decades

    def esc(t):
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">Requests/s at 16 connections, {args.companies:,} companies '
           f'(log scale; higher is better)</text>']
    for i, (label, color) in enumerate(series):
        out.append(f'<rect x="{left + i * 170}" y="30" width="12" height="12" fill="{color}"/>'
                   f'<text x="{left + i * 170 + 16}" y="40">{label}</text>')
    for dec in range(decades + 1):
        yy = y(10 ** dec)
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{10 ** dec:,}</text>')
    for g, (name, *values) in enumerate(data):
        x0 = left + g * group_w + (group_w - 3 * bar_w) / 2
        for i, (v, (_, color)) in enumerate(zip(values, series)):
            x = x0 + i * bar_w
            if v is None:  # PostGraphile: n/a
                out.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{top + plot_h - 3}" text-anchor="middle" font-size="10">n/a</text>')
                continue
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar_w - 4}" height="{top + plot_h - y(v):.1f}" fill="{color}">'
                       f'<title>{esc(name)}: {series[i][0]} {v:.0f} req/s</title></rect>'
                       f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{y(v) - 3:.1f}" text-anchor="middle" font-size="10">{v:.0f}</text>')
        lines = []
        for word in esc(name).split():
            if lines and len(lines[-1]) + 1 + len(word) <= 18:
                lines[-1] += " " + word
            else:
                lines.append(word)
        for j, line in enumerate(lines):
            out.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{top + plot_h + 18 + 14 * j}" text-anchor="middle">{line}</text>')
    out.append(f'<line x1="{left}" x2="{width - 20}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="#555">{esc(results["machine"]["cpu"])}, '
               f'{results["machine"]["cores"]} cores; PostgreSQL {esc(results["machine"]["postgresql"])}; '
               f'logActivity: 16 writers; PostGraphile\'s createActivity is a bare INSERT</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


m = results["machine"]
stamp = time.strftime("%Y%m%d-%H%M%S")


def at_once(url):
    """The server's bound on the reads PostgreSQL runs for it at once (`DATABASE_READS_AT_ONCE`, the
    gauge since 802abff); a build before it had none but its lane's, three quarters of its pool."""
    text = urllib.request.urlopen(url.replace("/graphql", "/metrics"), timeout=30).read().decode()
    found = [l.rsplit(" ", 1)[1] for l in text.splitlines() if l.startswith("kontaktpunkt_db_reads_at_once ")]
    return found[0] if found else f"{args.pool - -(-args.pool // 4)} (three quarters of the pool; no setting yet)"


results["kontaktpunkt_reads_at_once"] = at_once(args.kp)
if args.base:
    results["baseline_reads_at_once"] = at_once(args.base)


def markdown(chart):
    return f"""# bench/run {stamp}

{args.companies:,} companies (seed-demo --seed 1), median of {args.runs} runs of {args.duration} s after a 3 s warm-up;
connections {", ".join(map(str, CONNECTIONS))} (logActivity: {WRITERS} writers).

Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}; PostgreSQL {m['postgresql']};
Node {m['node']}, PostGraphile {m['postgraphile']} (amber preset, postgraphile-plugin-connection-filter
{m['postgraphile_plugin_connection_filter']}); {m['wrk']}.

Transport: both servers connect with `sslmode=disable` (the pg driver of Node uses no TLS by default), the
SQL floor too (PGSSLMODE=disable); TLS backends of the bench database: {m['tls_backends_of_bench_db']}.
Pool: {args.pool} connections each (PostGraphile `pool max`, Kontaktpunkt `DATABASE_POOL_SIZE`).
Reads Kontaktpunkt runs on PostgreSQL at once outside transactions (`DATABASE_READS_AT_ONCE`, left at its
default): {results['kontaktpunkt_reads_at_once']}{f"; the baseline: {results['baseline_reads_at_once']}" if args.base else ""}.
Kontaktpunkt's log filter (`RUST_LOG`): {args.log}{f"; the baseline's: {args.base_log}" if args.base else ""} (the product's default
filter writes one JSON access line per request; `warn` writes none).

Same rows before loading:
{chr(10).join(f"- {s['name']}: {checks[s['key']]}" + (f" ({s['note']})" if s.get('note') else '') for s in SCENARIOS)}

CPU ms / request: the server process, + the PostgreSQL processes of the bench database, over the
measured run. KP SQL / req from `kontaktpunkt_sql_statements_total`. RSS at the end of the run.

{table_md}
{(chr(10) + base_md + chr(10)) if base_md else ""}
Targets:
{targets_md}
{(chr(10) + "Errors during the runs:" + chr(10) + chr(10).join("- " + e for e in errors) + chr(10)) if errors else ""}
![requests/s at 16 connections]({chart})
"""


print()
print(table_md)
print()
if base_md:
    print(base_md)
    print()
print("Targets:")
print(targets_md)
if errors:
    print("Errors during the runs:\n" + "\n".join("- " + e for e in errors))
os.makedirs(args.out, exist_ok=True)
base = os.path.join(args.out, stamp)
open(base + ".json", "w").write(json.dumps(results, indent=2, ensure_ascii=False))
open(base + ".svg", "w").write(svg_chart())
open(base + ".md", "w").write(markdown(stamp + ".svg"))
shutil.copyfile(base + ".svg", os.path.join(args.out, "latest.svg"))
open(os.path.join(args.out, "latest.md"), "w").write(markdown("latest.svg"))
print(f"\nwrote {base}.json, .md, .svg and latest.md, latest.svg")
