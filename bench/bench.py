#!/usr/bin/env python3
"""Qingdan beside PostGraphile on the same PostgreSQL rows, beside the upper bound of this
machine (the same response bytes served precomputed by the same HTTP stack), and its writes
beside pgbench on the same PostgreSQL server.

Usage: python3 bench/bench.py [--scale county|province] [--secs 10] [--concs 16,64]
                              [--modes HOT,COLD,VARIED,LOOKUP-UNIQUE,MIXED,WRITES]
                              [--cases q1_department,...] [--no-sqlite] [--warmup 2]
e.g.   python3 bench/bench.py --scale county --secs 3 --concs 16 --no-sqlite \\
                              --modes HOT,COLD,VARIED,MIXED,WRITES --cases q1_department,q7_submit

Modes (run in this order whatever the order given, the writing ones last; the read modes
run the read cases of --cases that they apply to; q7_submit only ever runs as WRITES, and
WRITES runs it whatever --cases says):
  HOT            repeats one request (the response cache serves it).
  COLD           adds an unused variable with a value no other request of any run has, so
                 nothing is served from a cache (the peer ignores the variable). Not q5/q7.
  VARIED         the cases that name one department (q1; q6, the inspected units) name a
                 department picked at random per request among those with duties (q6: with
                 inspections), on every engine (Qingdan a global id, the peer an integer id):
                 many cache keys, each warm after its first miss.
  LOOKUP-UNIQUE  sends the lookup (q5) a different complaint every request (the eval set's
                 complaints, each with a request number). Qingdan only.
  MIXED          HOT, while a thread of this script posts 2 submitInspection writes a second
                 (the q7 body, SUPERVISOR token, a fresh idempotency key each) to the
                 Qingdan server on the same database (for the peer's and the PostgreSQL
                 Qingdan's runs: the PostgreSQL one); a submission moves the supervision
                 scope of the data version only, so list answers stay cached. Not the bound.
                 Its % of HOT is of a HOT run of the same length on the same server right
                 before it (the machine's speed drifts over a long run).
  WRITES         submitInspection (q7) through wrk at each --concs, every request with its
                 own idempotency key; then pgbench on the same PostgreSQL server at the same
                 connection counts (-j 2): its built-in tpcb-like on a scratch database
                 (pgbench -i -s 1), and a submission-shaped script on another (under the
                 version row's lock: 6 INSERTs, an UPDATE of the version row, a pg_notify).
                 The scratch databases are dropped afterwards.
Each mode, case and engine first gets --warmup seconds of untimed load (at the first of
--concs). Every request body is checked before it is timed, with the placeholders filled in as wrk
fills them: no GraphQL errors, the same data as the peer (VARIED: for a sample of the
departments), a stored inspection for a write. While timing, wrk counts only non-2xx, bodies
with an "errors" member and (writes) bodies with a non-empty userErrors list. The generated
data is vacuumed and ANALYZEd before timing, as autovacuum keeps a database in service:
PostgreSQL plans both engines' queries with statistics, the first engine to read a row does not
pay for marking it visible to all, and an index can answer alone. Both connect without TLS.

Needs: a release build (cargo build --release -p qingdan-api -p qingdan-tests) in
$QINGDAN_BIN_DIR (default ROOT/target/release), wrk, pgbench, the peer harness installed in
$PEER (default /tmp/peer: cp -r ../shared/peer /tmp/peer && npm ci), and PostgreSQL at $PGURL
(default postgres://postgres@127.0.0.1:5432/postgres).
Prints two Markdown tables (every run; each case's modes side by side) and, with WRITES, a
third; appends raw JSON lines to bench/results/.
"""
import argparse, base64, json, os, pathlib, re, subprocess, sys, threading, time, urllib.parse, urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = pathlib.Path(os.environ.get("QINGDAN_BIN_DIR", ROOT / "target" / "release"))
PEER = pathlib.Path(os.environ.get("PEER", "/tmp/peer"))
PGURL = os.environ.get("PGURL", "postgres://postgres@127.0.0.1:5432/postgres")
CASES = json.loads((HERE / "queries" / "cases.json").read_text())
MODES = ["HOT", "COLD", "VARIED", "LOOKUP-UNIQUE", "MIXED", "WRITES"]
ENGINES = ["qingdan", "peer-v5", "qingdan-sqlite", "bound"]
# A write whose rules were broken answers 200 with userErrors: counted as an error.
WRITE_BAD = '"userErrors":[{'
MIXED_RATE = 2.0  # writes per second


def sh(*cmd, env=None, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, env={**os.environ, **(env or {})})


def dburl(name):
    return PGURL.rsplit("/", 1)[0] + "/" + name


def psql(db, sql):
    """One value or row list from PostgreSQL, or from SQLite for a sqlite:// URL."""
    if db.startswith("sqlite://"):
        return sh("sqlite3", db.removeprefix("sqlite://").split("?")[0], sql).stdout.strip()
    return sh("psql", "-At", db, "-c", sql).stdout.strip()


def post(url, body, token=None, timeout=60):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def wait_ready(url, secs=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        try:
            urllib.request.urlopen(url, timeout=2)
            return time.monotonic() - t0
        except Exception:
            time.sleep(0.05)
    raise SystemExit("not ready: " + url)


def start_qingdan(database_url, port):
    # Without TLS to the local PostgreSQL, as the peer connects (sqlx would otherwise
    # negotiate TLS on 127.0.0.1, which the peer's driver does not).
    if database_url.startswith("postgres") and "?" not in database_url:
        database_url += "?sslmode=disable"
    env = {**os.environ, "DATABASE_URL": database_url, "LISTEN_ADDR": f"127.0.0.1:{port}", "RUST_LOG": "warn"}
    p = subprocess.Popen([str(BIN / "qingdan"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = wait_ready(f"http://127.0.0.1:{port}/readyz")
    return p, ready


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cold_start():
    """Start to ready on an empty PostgreSQL database (migrations and the Anhua import), and
    idle RSS before and after a lookup has loaded the index."""
    name = "qingdan_bench_empty"
    sh("psql", PGURL, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    sh("psql", PGURL, "-c", f"CREATE DATABASE {name}")
    p, ready = start_qingdan(dburl(name), 18003)
    try:
        time.sleep(0.5)
        idle = rss_mb(p.pid)
        try:
            post("http://127.0.0.1:18003/graphql", {"query": CASES["q5_lookup"]["qingdan"]})
        except Exception as err:  # the lookup may not exist in this build
            print("lookup:", err, file=sys.stderr)
        time.sleep(0.5)
        loaded = rss_mb(p.pid)
    finally:
        p.terminate()
        p.wait()
    sh("psql", PGURL, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)
    return ready, idle, loaded


def token(database_url, role):
    return sh(str(BIN / "qingdan"), "token", "bench", role, env={"DATABASE_URL": database_url}).stdout.strip()


def gid(kind, row):
    return base64.urlsafe_b64encode(f"{kind}:{row}".encode()).decode().rstrip("=")


def normalize(value):
    """PostGraphile's shape to Qingdan's: `{nodes: [...]}` → list, `dutiesByDepartmentId` → duties."""
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"nodes"}:
            return normalize(value["nodes"])
        out = {}
        for key, v in value.items():
            key = re.sub(r"By[A-Z]\w*Id$", "", key)
            out[key] = normalize(v)
        return out
    return value


def payload(answer):
    """The data under the root field, descending through single-key objects."""
    data = answer.get("data")
    while isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    return normalize(data)


def submit_body(database_url):
    regime = psql(database_url, "select id from supervision_regime where code='TERRITORIAL_ENFORCEMENT'")
    items = psql(database_url, f"select i.id, s.kind from regime_item i join regime_section s on s.id=i.section_id where s.regime_id={regime} order by i.id").splitlines()
    content = [r.split("|")[0] for r in items if r.endswith("|CONTENT")]
    methods = [r.split("|")[0] for r in items if r.endswith("|METHOD_AND_PROCEDURE")]
    target = psql(database_url, "select id from department order by id limit 1")
    q = ("mutation S($input: SubmitInspectionInput!) { submitInspection(input: $input) { inspection { id } userErrors { code } } }")
    return {"query": q, "variables": {"input": {
        "regimeCode": "TERRITORIAL_ENFORCEMENT", "targetDepartmentId": gid("Department", target),
        "inspectors": [{"name": "张三", "certificateNo": "A1"}, {"name": "李四", "certificateNo": "A2"}],
        "methodItemIds": [gid("RegimeItem", methods[0])], "periodStart": "2016-07-01", "periodEnd": "2016-07-02",
        "findings": [{"itemId": gid("RegimeItem", content[0]), "outcome": "COMPLIANT"}], "record": "书面记录"}}}


def with_key(body, key):
    """The submission with `key` as its idempotency key: every request stores its own rows."""
    return {**body, "variables": {"input": {**body["variables"]["input"], "idempotencyKey": key}}}


# The departments a VARIED case picks from, per case (SQL on either engine's database).
VARIED_IDS = {
    "q1_department": "select distinct department_id from duty order by 1",
    "q6_inspections": "select distinct target_department_id from inspection order by 1",
}


def bodies(database_url):
    """Request bodies per case and engine, with ids that exist at this scale, and the ids a
    VARIED case picks from."""
    dept = psql(database_url, "select department_id from duty group by department_id order by count(*) desc, department_id limit 1")
    inspected = psql(database_url, "select target_department_id from inspection group by 1 order by count(*) desc, 1 limit 1") or dept
    out = {}
    for name, case in CASES.items():
        ids = inspected if name.startswith("q6") else dept
        vars_q = {"gid": gid("Department", ids)} if "$gid" in case["qingdan"] else {}
        vars_p = {"id": int(ids)} if "peer" in case and "$id" in case["peer"] else {}
        out[name] = {
            "qingdan": submit_body(database_url) if case["qingdan"] == "SUBMIT" else {"query": case["qingdan"], "variables": vars_q},
            "peer": {"query": case["peer"], "variables": vars_p} if "peer" in case else None,
            "ids": [int(i) for i in psql(database_url, VARIED_IDS[name]).split()] if name in VARIED_IDS else [],
        }
    return out


def applies(mode, case):
    """Whether `mode` times `case` (see the module's doc)."""
    if case == "q7_submit":
        return mode == "WRITES"
    return {"COLD": case != "q5_lookup",  # q5 without a cache is LOOKUP-UNIQUE
            "VARIED": case in VARIED_IDS,
            "LOOKUP-UNIQUE": case == "q5_lookup",
            "WRITES": False}.get(mode, True)


def varied(bodies, mode):
    """The case's bodies as `mode` sends them, with wrk's placeholders (see wrk_post.lua)."""
    if mode in ("HOT", "MIXED"):
        return bodies
    if mode == "WRITES":
        return {"qingdan": with_key(bodies["qingdan"], "bench-__N__"), "peer": None}
    if mode == "LOOKUP-UNIQUE":
        q = ("query Q5($text: String!) { responsibilityLookup(text: $text) "
             "{ outcome candidates { role coordinator { name } department { name } } } }")
        return {"qingdan": {"query": q, "variables": {"text": "__TEXT__"}}, "peer": None}
    if mode == "VARIED":
        return {"qingdan": {**bodies["qingdan"], "variables": {"gid": "__DEPT__"}},
                "peer": bodies["peer"] and {**bodies["peer"], "variables": {"id": "__DEPT__"}}}
    out = {}  # COLD
    for engine in ("qingdan", "peer"):
        body = bodies[engine]
        out[engine] = body and {**body, "variables": {**body.get("variables", {}), "nonce": "__N__"}}
    return out


def id_lines(engine, ids):
    """BENCH_IDS lines for `engine`: JSON literals replacing `"__DEPT__"` (quotes included)."""
    return [json.dumps(gid("Department", i)) if engine.startswith("qingdan") else str(i) for i in ids]


def fill(body, unique="check", text="", dept=None):
    """`body` with the placeholders filled as wrk_post.lua fills them."""
    raw = json.dumps(body, ensure_ascii=False).replace("__N__", unique)
    raw = raw.replace("__TEXT__", json.dumps(text, ensure_ascii=False)[1:-1])
    if dept is not None:
        raw = raw.replace('"__DEPT__"', dept)
    return json.loads(raw)


def check_write(answer):
    """The stored inspection's id, or None if the write failed."""
    sub = (answer.get("data") or {}).get("submitInspection") or {}
    if "errors" in answer or sub.get("userErrors") or not (sub.get("inspection") or {}).get("id"):
        return None
    return sub["inspection"]["id"]


class Writer(threading.Thread):
    """MIXED's background writes: `rate` submissions a second (on a fixed schedule, catching
    up if one was slow), each with a fresh idempotency key."""

    def __init__(self, url, body, auth, tag, rate=MIXED_RATE):
        super().__init__(daemon=True)
        self.url, self.body, self.auth, self.tag, self.rate = url, body, auth, tag, rate
        self.stop = threading.Event()
        self.ok, self.failed, self.latencies = 0, 0, []

    def run(self):
        t0 = time.monotonic()
        k = 0
        while not self.stop.wait(max(0.0, t0 + k / self.rate - time.monotonic())):
            s = time.monotonic()
            try:
                good = check_write(post(self.url, with_key(self.body, f"{self.tag}-{k}"), self.auth, timeout=30))
            except Exception as err:
                print("  mixed write:", err, file=sys.stderr)
                good = None
            self.latencies.append(1000 * (time.monotonic() - s))
            if good:
                self.ok += 1
            else:
                self.failed += 1
            k += 1
        self.secs = time.monotonic() - t0

    def result(self):
        lat = sorted(self.latencies) or [0]
        return {"writes_ok": self.ok, "writes_failed": self.failed,
                "writes_per_s": round(self.ok / self.secs, 2) if self.secs else None,
                "write_p50_ms": round(lat[len(lat) // 2], 1), "write_max_ms": round(lat[-1], 1)}


def load_env(auth, extra_env):
    """wrk_post.lua's environment: a fresh BENCH_RUN, so no two runs send the same __N__."""
    return {**os.environ, "BENCH_AUTH": auth or "", "BENCH_TEXTS": "", "BENCH_IDS": "", "BENCH_BAD": "",
            "BENCH_EXPECT": "", "BENCH_RUN": f"{time.time_ns():x}", **(extra_env or {})}


def warm_up(url, body, conc, secs, auth, extra_env=None):
    """An untimed wrk run (the peer's JIT, connection pools, Qingdan's caches), counted nowhere."""
    f = HERE / "results" / "body.json"
    f.write_text(json.dumps(body, ensure_ascii=False))
    subprocess.run(["wrk", "-t2", f"-c{conc}", f"-d{secs}s", "--timeout", "10s", "-s", str(HERE / "wrk_post.lua"),
                    url, "--", str(f)], capture_output=True, env=load_env(auth, extra_env))


def run_load(url, body, conc, secs, pid, auth, tags, out, extra_env=None):
    f = HERE / "results" / "body.json"
    f.write_text(json.dumps(body, ensure_ascii=False))
    cmd = ["python3", str(HERE / "peerbench.py"), "run", url, str(f), "-c", str(conc), "-d", str(secs), "--out", str(out)]
    if pid:
        cmd += ["--pid", str(pid)]
    for k, v in tags.items():
        cmd += ["--tag", f"{k}={v}"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=load_env(auth, extra_env))
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "{}"
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        print(r.stdout, r.stderr, file=sys.stderr)
        return {}


# ---------------------------------------------------------------- pgbench, the physical reference
SUBMIT_SCHEMA = """
CREATE TABLE s_version (id int PRIMARY KEY, version bigint NOT NULL);
INSERT INTO s_version VALUES (1, 0);
CREATE TABLE s_inspection (id serial PRIMARY KEY, regime_code text NOT NULL, target_department_id int NOT NULL,
  period_start date NOT NULL, period_end date NOT NULL, record text NOT NULL, submitted_by text NOT NULL,
  submitted_at timestamptz NOT NULL);
CREATE TABLE s_inspector (id serial PRIMARY KEY, inspection_id int NOT NULL REFERENCES s_inspection,
  seq int NOT NULL, name text NOT NULL, certificate_no text NOT NULL);
CREATE INDEX ON s_inspector (inspection_id);
CREATE TABLE s_inspection_method (inspection_id int NOT NULL REFERENCES s_inspection, item_id int NOT NULL,
  PRIMARY KEY (inspection_id, item_id));
CREATE TABLE s_finding (id serial PRIMARY KEY, inspection_id int NOT NULL REFERENCES s_inspection,
  item_id int NOT NULL, outcome text NOT NULL);
CREATE INDEX ON s_finding (inspection_id);
CREATE TABLE s_audit_event (id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,
  operation text NOT NULL, entity text NOT NULL, entity_id int, after jsonb);
CREATE TABLE s_event (id serial PRIMARY KEY, kind text NOT NULL, occurred_at timestamptz NOT NULL,
  subject_type text NOT NULL, subject_id int NOT NULL, departments jsonb NOT NULL, payload jsonb NOT NULL);
"""

# What one submission does in PostgreSQL, without the idempotency claim, the webhook lookup and
# the second notification Qingdan adds: the version row locked first (as db::Write does), the
# inspection and its rows, the version bumped, the audit entry and the outbox event, a notify.
SUBMIT_SCRIPT = r"""\set dept random(1, 500)
BEGIN;
SELECT version FROM s_version WHERE id = 1 FOR UPDATE;
INSERT INTO s_inspection (regime_code, target_department_id, period_start, period_end, record, submitted_by, submitted_at) VALUES ('TERRITORIAL_ENFORCEMENT', :dept, '2016-07-01', '2016-07-02', '书面记录', 'bench', now()) RETURNING id AS insp \gset
INSERT INTO s_inspector (inspection_id, seq, name, certificate_no) VALUES (:insp, 1, '张三', 'A1'), (:insp, 2, '李四', 'A2');
INSERT INTO s_inspection_method (inspection_id, item_id) VALUES (:insp, 7);
INSERT INTO s_finding (inspection_id, item_id, outcome) VALUES (:insp, 3, 'COMPLIANT');
UPDATE s_version SET version = version + 1 WHERE id = 1;
INSERT INTO s_audit_event (at, actor, operation, entity, entity_id, after) VALUES (now(), 'bench', 'submitInspection', 'Inspection', :insp, '{"record": "书面记录", "regimeCode": "TERRITORIAL_ENFORCEMENT", "periodStart": "2016-07-01"}');
INSERT INTO s_event (kind, occurred_at, subject_type, subject_id, departments, payload) VALUES ('INSPECTION_SUBMITTED', now(), 'Inspection', :insp, jsonb_build_array(:dept), '{"regimeCode": "TERRITORIAL_ENFORCEMENT", "periodStart": "2016-07-01", "periodEnd": "2016-07-02"}');
SELECT pg_notify('qingdan_bench', :insp::text);
END;
"""
PGBENCH_DBS = {"tpcb": "qingdan_bench_pgbench_tpcb", "submit": "qingdan_bench_pgbench_submit"}


def pgbench_args(db):
    u = urllib.parse.urlparse(PGURL)
    args = ["-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432)]
    if u.username:
        args += ["-U", u.username]
    return args + [db]


def pgbench_prepare():
    for db in PGBENCH_DBS.values():
        sh("psql", PGURL, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        sh("psql", PGURL, "-c", f"CREATE DATABASE {db}")
    sh("pgbench", "-i", "-s", "1", "-q", *pgbench_args(PGBENCH_DBS["tpcb"]))
    sh("psql", "-v", "ON_ERROR_STOP=1", dburl(PGBENCH_DBS["submit"]), "-c", SUBMIT_SCHEMA)
    script = HERE / "results" / "submit.pgbench"
    script.write_text(SUBMIT_SCRIPT)
    return script


def pgbench_run(kind, conc, secs, script):
    """One pgbench run: TPS (without connection time), mean latency, failures."""
    cmd = ["pgbench", "-c", str(conc), "-j", "2", "-T", str(secs)]
    cmd += ["-n", "-f", str(script)] if kind == "submit" else []
    p = sh(*cmd, *pgbench_args(PGBENCH_DBS[kind]), check=False)
    tps = re.search(r"^tps = ([\d.]+)", p.stdout, re.M)
    if p.returncode != 0 or not tps:
        print(f"pgbench {kind} c={conc} failed (rc {p.returncode}):\n{p.stdout}\n{p.stderr}", file=sys.stderr)
        return {"tps": None}
    lat = re.search(r"^latency average = ([\d.]+) ms", p.stdout, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", p.stdout, re.M)
    done = re.search(r"^number of transactions actually processed: (\d+)", p.stdout, re.M)
    return {"tps": round(float(tps.group(1)), 1), "latency_ms": lat and float(lat.group(1)),
            "failed": int(failed.group(1)) if failed else 0, "transactions": done and int(done.group(1))}


def pgbench_drop():
    for db in PGBENCH_DBS.values():
        sh("psql", PGURL, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", check=False)


# ---------------------------------------------------------------- checks before timing
def check_mode(mode, case, engines, urls, auth, n_sample=12):
    """Sends `mode`'s bodies for `case` once per engine with the placeholders filled as wrk
    fills them; fails on GraphQL errors, on data that differs from the peer's (for the same
    department), and on a write that stored nothing."""
    if mode == "WRITES":
        for engine, (body, _) in engines.items():
            stored = check_write(post(urls[engine], fill(body, f"check-{time.time_ns():x}"), auth))
            if not stored:
                raise SystemExit(f"WRITES {engine}: the submission stored nothing")
        return
    if mode == "VARIED":
        ids = engines["qingdan"][1]
        step = max(1, len(ids) // n_sample)
        samples = list(range(0, len(ids), step))[:n_sample] + [len(ids) - 1]
    else:
        samples = [None]
    text = "邻居家超生了想举报"
    for i in samples:
        answers = {}
        for engine, (body, lines) in engines.items():
            dept = lines[min(i, len(lines) - 1)] if i is not None else None
            got = post(urls[engine], fill(body, f"check-{time.time_ns():x}", text, dept),
                       auth if engine.startswith("qingdan") else None)
            if "errors" in got:
                raise SystemExit(f"{mode} {case} {engine}: {json.dumps(got, ensure_ascii=False)[:500]}")
            answers[engine] = payload(got)
        if not answers["qingdan"] and mode == "VARIED":
            raise SystemExit(f"{mode} {case}: no data for {engines['qingdan'][1][i]}")
        for other in ("peer-v5", "qingdan-sqlite"):
            if other in answers and answers[other] != answers["qingdan"]:
                what = f"{mode} {case} {other}" + (f" (department {engines['qingdan'][1][i]})" if i is not None else "")
                msg = (f"{what}: answers differ\n{json.dumps(answers['qingdan'], ensure_ascii=False)[:500]}\n"
                       f"{json.dumps(answers[other], ensure_ascii=False)[:500]}")
                if other == "peer-v5":
                    raise SystemExit(msg)
                print("warning: " + msg, file=sys.stderr)  # SQLite's rows may be numbered otherwise
    print(f"{mode} {case}: answers checked ({len(samples)} request(s) per engine)", file=sys.stderr)


# ---------------------------------------------------------------- tables
def fnum(v, nd=1):
    return "" if v is None else f"{v:.{nd}f}"


def percent_of_hot(mode, r, hot):
    """`r`'s req/s as a percentage of HOT's: for MIXED, of the HOT run right before it."""
    ref = r.get("hot_beside_rps") if mode == "MIXED" else None
    ref = ref or (hot or {}).get("rps")
    return f"{100 * r['rps'] / ref:.0f}" if mode != "HOT" and ref and r.get("rps") else ""


def tables(rows, pgb, modes, scale):
    """The Markdown tables: every run (HOT first, the other modes of a case right below it),
    each case's modes side by side, and WRITES beside pgbench."""
    def find(mode, case, conc, engine):
        return next((x for m, c, cc, e, x in rows if (m, c, cc, e) == (mode, case, conc, engine)), None)

    cases = list(dict.fromkeys(c for _, c, _, _, _ in rows))
    key = lambda row: (cases.index(row[1]), row[2], MODES.index(row[0]), ENGINES.index(row[3]))
    reads = sorted((r for r in rows if r[0] != "WRITES"), key=key)
    out = ["| mode | case | c | engine | req/s | % of HOT | p50 ms | p99 ms | errors | server CPU % | peak RSS MB "
           "| × peer req/s | p99 / peer p99 | % of bound | writes/s (failed) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, case, conc, engine, r in reads:
        peer = find(mode, case, conc, "peer-v5")
        hot = find("HOT", case, conc, engine)
        bound = find("HOT", case, conc, "bound")
        ratio = f"{r['rps'] / peer['rps']:.1f}" if peer and engine != "peer-v5" and peer.get("rps") and r.get("rps") else ""
        p99 = f"{r['p99_ms'] / peer['p99_ms']:.2f}" if peer and engine != "peer-v5" and peer.get("p99_ms") and r.get("p99_ms") else ""
        pct = f"{100 * r['rps'] / bound['rps']:.0f}" if bound and engine != "bound" and bound.get("rps") and r.get("rps") else ""
        of_hot = percent_of_hot(mode, r, hot)
        writes = f"{r['writes_per_s']} ({r['writes_failed']})" if "writes_per_s" in r else ""
        out.append(f"| {mode} | {case} | {conc} | {engine} | {r.get('rps')} | {of_hot} | {r.get('p50_ms')} | {r.get('p99_ms')} | "
                   f"{r.get('errors')} | {r.get('server_cpu_pct')} | {r.get('server_rss_mb_max')} | {ratio} | {p99} | {pct} | {writes} |")

    read_modes = [m for m in modes if m != "WRITES"]
    if read_modes:
        out += ["", "req/s per mode, (% of HOT), p99 ms; × peer req/s:", "",
                "| case | c | engine | " + " | ".join(read_modes) + " |", "|---|---|---|" + "---|" * len(read_modes)]
        for case in cases:
            concs = sorted({cc for m, c, cc, e, x in reads if c == case})
            for conc in concs:
                for engine in ENGINES:
                    cells = []
                    for mode in read_modes:
                        r = find(mode, case, conc, engine)
                        if not r or r.get("rps") is None:
                            cells.append("")
                            continue
                        hot = find("HOT", case, conc, engine)
                        peer = find(mode, case, conc, "peer-v5")
                        cell = f"{r['rps']:.0f}"
                        of_hot = percent_of_hot(mode, r, hot)
                        if of_hot:
                            cell += f" ({of_hot} %)"
                        cell += f" · {r.get('p99_ms')}"
                        if peer and engine != "peer-v5" and peer.get("rps"):
                            cell += f" · ×{r['rps'] / peer['rps']:.1f}"
                        cells.append(cell)
                    if any(cells):
                        out.append(f"| {case} | {conc} | {engine} | " + " | ".join(cells) + " |")

    writes = [r for r in rows if r[0] == "WRITES"]
    if writes:
        out += ["", f"WRITES ({scale}): submitInspection through wrk beside pgbench on the same PostgreSQL server "
                "(tpcb-like: pgbench -i -s 1; submission-shaped: 6 INSERTs + version UPDATE + pg_notify):", "",
                "| c | engine | submissions/s | p50 ms | p99 ms | errors | inspections stored | pgbench TPS tpcb-like "
                "| pgbench TPS submission-shaped | % of submission-shaped | % of tpcb-like |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for mode, case, conc, engine, r in sorted(writes, key=key):
            tpcb = (pgb.get(("tpcb", conc)) or {}).get("tps")
            sub = (pgb.get(("submit", conc)) or {}).get("tps")
            rps = r.get("rps")
            pct = lambda ref: f"{100 * rps / ref:.0f}" if ref and rps else ""
            out.append(f"| {conc} | {engine} | {rps} | {r.get('p50_ms')} | {r.get('p99_ms')} | {r.get('errors')} | "
                       f"{r.get('stored', '')} | {fnum(tpcb)} | {fnum(sub)} | {pct(sub)} | {pct(tpcb)} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="county")
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--concs", default="16,64")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL engines only")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of untimed load per mode, case and engine (0: none)")
    a = ap.parse_args()
    unknown = set(a.modes.split(",")) - set(MODES)
    if unknown:
        raise SystemExit(f"unknown modes {sorted(unknown)}: choose among {MODES}")
    modes = [m for m in MODES if m in a.modes.split(",")]
    concs = [int(c) for c in a.concs.split(",")]
    cases = a.cases.split(",")
    for case in cases:
        if case not in CASES:
            raise SystemExit(f"unknown case {case}: choose among {list(CASES)}")
    if not (BIN / "qingdan").exists():
        raise SystemExit(f"no {BIN / 'qingdan'}: build it, or point QINGDAN_BIN_DIR at the release binaries")
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / f"{a.scale}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"

    # The same rows for everyone: one PostgreSQL database, and a SQLite file for Qingdan alone.
    name = f"qingdan_bench_{a.scale}"
    sh("psql", PGURL, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    sh("psql", PGURL, "-c", f"CREATE DATABASE {name}")
    pg = dburl(name)
    sqlite = f"sqlite:///tmp/{name}.db?mode=rwc"
    for f in pathlib.Path("/tmp").glob(f"{name}.db*"):
        f.unlink()
    t0 = time.monotonic()
    for url in (pg,) if a.no_sqlite else (pg, sqlite):
        sh(str(BIN / "qingdan"), "generate", a.scale, env={"DATABASE_URL": url})
    # As autovacuum keeps a database in service: statistics for the planner (without them
    # PostgreSQL JIT-compiles naive plans at province scale), and every row marked visible to
    # all (else the first engine to read a row pays for it, and index-only scans visit the
    # table).
    sh("psql", pg, "-c", "VACUUM (ANALYZE)")
    print(f"generated {a.scale} on PostgreSQL{'' if a.no_sqlite else ' and SQLite'} (vacuumed, ANALYZEd) in "
          f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
    texts = HERE / "results" / "complaints.txt"
    texts.write_text("\n".join(line.split("\t")[2] for line in (ROOT / "tests" / "eval" / "complaints.tsv").read_text().splitlines()
                              if line and not line.startswith("#")) + "\n")

    cold, idle, loaded = cold_start()
    procs = []
    pgb = {}
    try:
        qingdan, ready = start_qingdan(pg, 18000)
        procs.append(qingdan)
        lite = None
        if not a.no_sqlite:
            lite, _ = start_qingdan(sqlite, 18001)
            procs.append(lite)
        peer_pid = int(sh(str(PEER / "peer-up.sh"), pg, "5000", "public").stdout.strip().splitlines()[-1])
        supervisor = token(pg, "SUPERVISOR")
        all_bodies = {"qingdan": bodies(pg)}
        if lite:
            all_bodies["qingdan-sqlite"] = bodies(sqlite)
        urls = {"qingdan": "http://127.0.0.1:18000/graphql", "peer-v5": "http://127.0.0.1:5000/graphql",
                "qingdan-sqlite": "http://127.0.0.1:18001/graphql"}
        pids = {"qingdan": qingdan.pid, "peer-v5": peer_pid, "qingdan-sqlite": lite and lite.pid}

        # The bound's bodies: Qingdan's HOT answers, precomputed.
        static_dir = HERE / "results" / "static"
        static_dir.mkdir(exist_ok=True)
        for case in cases:
            if case != "q7_submit":
                mine = post(urls["qingdan"], all_bodies["qingdan"][case]["qingdan"], supervisor if CASES[case].get("auth") else None)
                # compact, as Qingdan sends it: the bound serves the same bytes
                (static_dir / case).write_text(json.dumps(mine, ensure_ascii=False, separators=(",", ":")))
        static = subprocess.Popen([str(BIN / "static-body"), "127.0.0.1:18002", str(static_dir)])
        procs.append(static)
        wait_ready("http://127.0.0.1:18002/healthz")
        ids_dir = HERE / "results" / "ids"
        ids_dir.mkdir(exist_ok=True)

        rows = []
        for mode in modes:
            if mode == "WRITES":
                script = pgbench_prepare()
            for case in (["q7_submit"] if mode == "WRITES" else cases):
                if not applies(mode, case):
                    continue
                auth = supervisor if CASES[case].get("auth") else None
                # engine → (body with placeholders, BENCH_IDS lines)
                engines = {"qingdan": (varied(all_bodies["qingdan"][case], mode)["qingdan"],
                                       id_lines("qingdan", all_bodies["qingdan"][case]["ids"]))}
                peer_body = varied(all_bodies["qingdan"][case], mode)["peer"]
                if peer_body:
                    engines["peer-v5"] = (peer_body, id_lines("peer", all_bodies["qingdan"][case]["ids"]))
                if lite:
                    engines["qingdan-sqlite"] = (varied(all_bodies["qingdan-sqlite"][case], mode)["qingdan"],
                                                 id_lines("qingdan", all_bodies["qingdan-sqlite"][case]["ids"]))
                check_mode(mode, case, engines, urls, auth)
                for conc in concs:
                    runs = [(e, urls[e], body, pids[e], lines) for e, (body, lines) in engines.items()]
                    if mode == "HOT":
                        runs.append(("bound", f"http://127.0.0.1:18002/{case}", {"static": case}, static.pid, []))
                    for engine, url, body, pid, lines in runs:
                        # the first answer of each wrk thread must look like one (a cheap check)
                        extra = {"BENCH_EXPECT": '"inspection":{"id":' if mode == "WRITES" else '"data":{"'}
                        if mode == "LOOKUP-UNIQUE":
                            extra["BENCH_TEXTS"] = str(texts)
                        if mode == "VARIED":
                            ids_file = ids_dir / f"{case}.{engine}.txt"
                            ids_file.write_text("\n".join(lines) + "\n")
                            extra["BENCH_IDS"] = str(ids_file)
                        if mode == "WRITES":
                            extra["BENCH_BAD"] = WRITE_BAD
                            db = pg if engine == "qingdan" else sqlite
                        if a.warmup and conc == concs[0]:
                            warm_up(url, body, conc, a.warmup, auth if engine.startswith("qingdan") else None, extra)
                        if mode == "WRITES":
                            before = int(psql(db, "select count(*) from inspection"))
                        writer = None
                        beside = None
                        if mode == "MIXED" and engine != "bound":
                            # HOT again, right before the writes start: the machine's speed
                            # drifts over a long run, so MIXED is compared with its own minute.
                            beside = run_load(url, body, conc, a.secs, pid, auth if engine.startswith("qingdan") else None,
                                              {"engine": engine, "case": case, "scale": a.scale, "mode": "HOT-BESIDE-MIXED"},
                                              out, extra)
                            wengine = "qingdan-sqlite" if engine == "qingdan-sqlite" else "qingdan"
                            writer = Writer(urls[wengine], all_bodies[wengine]["q7_submit"]["qingdan"], supervisor,
                                            f"mixed-{time.time_ns():x}")
                            writer.start()
                        try:
                            r = run_load(url, body, conc, a.secs, pid, auth if engine.startswith("qingdan") else None,
                                         {"engine": engine, "case": case, "scale": a.scale, "mode": mode}, out, extra)
                        finally:
                            if writer:
                                writer.stop.set()
                                writer.join()
                        if beside:
                            r["hot_beside_rps"] = beside.get("rps")
                            r["hot_beside_p99_ms"] = beside.get("p99_ms")
                        if writer:
                            r.update(writer.result())
                            r["errors"] = (r.get("errors") or 0) + writer.failed
                        if mode == "WRITES":
                            time.sleep(0.5)  # requests wrk left in flight at its deadline commit too
                            r["stored"] = int(psql(db, "select count(*) from inspection")) - before
                        rows.append((mode, case, conc, engine, r))
                        extra_txt = f" writes/s {r['writes_per_s']} failed {r['writes_failed']}" if writer else ""
                        extra_txt += f" stored {r['stored']}" if "stored" in r else ""
                        print(f"{mode} {case} c={conc} {engine}: {r.get('rps')} req/s p50 {r.get('p50_ms')} "
                              f"p99 {r.get('p99_ms')} errors {r.get('errors')}{extra_txt}", file=sys.stderr)
            if mode == "WRITES":
                for conc in concs:
                    for kind in ("tpcb", "submit"):
                        pgb[(kind, conc)] = res = pgbench_run(kind, conc, a.secs, script)
                        print(f"pgbench {kind} c={conc}: {res}", file=sys.stderr)
                        with open(out, "a") as f:
                            f.write(json.dumps({"engine": f"pgbench-{kind}", "mode": "WRITES", "conc": conc,
                                                "scale": a.scale, **res}) + "\n")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        sh(str(PEER / "peer-down.sh"), "5000", check=False)
        pgbench_drop()

    print(f"\n{a.scale}: start to ready on an empty PostgreSQL database (migrations + Anhua import) "
          f"{cold * 1000:.0f} ms; idle RSS {idle:.1f} MB, {loaded:.1f} MB after a lookup; "
          f"start to ready with the {a.scale} data loaded {ready * 1000:.0f} ms\n")
    print(tables(rows, pgb, modes, a.scale))


if __name__ == "__main__":
    main()
