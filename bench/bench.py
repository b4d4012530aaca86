#!/usr/bin/env python3
"""Qingdan beside PostGraphile on the same PostgreSQL rows, and beside the upper bound of
this machine (the same response bytes served precomputed by the same HTTP stack).

Usage: python3 bench/bench.py [--scale county|province] [--secs 10] [--concs 16,64]
                              [--modes HOT,COLD,LOOKUP-UNIQUE] [--cases q1_department,...]

Modes: HOT repeats one request (the response cache serves it); COLD adds an unused variable
with a new value to every request, so nothing is served from a cache (the peer ignores it);
LOOKUP-UNIQUE sends the lookup (q5) a different complaint every request (the eval set's
complaints, each with a request number). The generated data is ANALYZEd before timing, so
PostgreSQL plans both engines' queries with statistics.
Needs: a release build (cargo build --release -p qingdan-api -p qingdan-tests), wrk, the peer
harness installed in $PEER (default /tmp/peer: cp -r ../shared/peer /tmp/peer && npm ci), and
PostgreSQL at $PGURL (default postgres://postgres@127.0.0.1:5432/postgres).
Prints one Markdown table and appends raw JSON lines to bench/results/.
"""
import argparse, base64, json, os, pathlib, re, subprocess, sys, time, urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / "target" / "release"
PEER = pathlib.Path(os.environ.get("PEER", "/tmp/peer"))
PGURL = os.environ.get("PGURL", "postgres://postgres@127.0.0.1:5432/postgres")
CASES = json.loads((HERE / "queries" / "cases.json").read_text())


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
    time.sleep(0.5)
    idle = rss_mb(p.pid)
    try:
        post("http://127.0.0.1:18003/graphql", {"query": CASES["q5_lookup"]["qingdan"]})
    except Exception as err:  # the lookup may not exist in this build
        print("lookup:", err, file=sys.stderr)
    time.sleep(0.5)
    loaded = rss_mb(p.pid)
    p.terminate()
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


def bodies(database_url):
    """Request bodies per case and engine, with ids that exist at this scale."""
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
        }
    return out


def varied(bodies, mode):
    """The case's bodies as `mode` sends them (see the module's doc)."""
    if mode == "HOT":
        return bodies
    if mode == "LOOKUP-UNIQUE":
        q = ("query Q5($text: String!) { responsibilityLookup(text: $text) "
             "{ outcome candidates { role coordinator { name } department { name } } } }")
        return {"qingdan": {"query": q, "variables": {"text": "__TEXT__"}}, "peer": None}
    out = {}
    for engine, body in bodies.items():
        out[engine] = body and {**body, "variables": {**body.get("variables", {}), "nonce": "__N__"}}
    return out


def run_load(url, body, conc, secs, pid, auth, tags, out, texts=None):
    f = HERE / "results" / "body.json"
    f.write_text(json.dumps(body, ensure_ascii=False))
    cmd = ["python3", str(HERE / "peerbench.py"), "run", url, str(f), "-c", str(conc), "-d", str(secs), "--out", str(out)]
    if pid:
        cmd += ["--pid", str(pid)]
    for k, v in tags.items():
        cmd += ["--tag", f"{k}={v}"]
    env = {**os.environ, "BENCH_AUTH": auth or "", "BENCH_TEXTS": texts or ""}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "{}"
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        print(r.stdout, r.stderr, file=sys.stderr)
        return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="county")
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--concs", default="16,64")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--modes", default="HOT,COLD,LOOKUP-UNIQUE")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL engines only")
    a = ap.parse_args()
    modes = a.modes.split(",")
    concs = [int(c) for c in a.concs.split(",")]
    cases = a.cases.split(",")
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
    for url in (pg, sqlite):
        sh(str(BIN / "qingdan"), "generate", a.scale, env={"DATABASE_URL": url})
    # Statistics for the planner, as autovacuum would gather them in service: without them
    # PostgreSQL JIT-compiles naive plans at province scale.
    sh("psql", pg, "-c", "ANALYZE")
    print(f"generated {a.scale} on PostgreSQL and SQLite (ANALYZEd) in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    texts = HERE / "results" / "complaints.txt"
    texts.write_text("\n".join(line.split("\t")[2] for line in (ROOT / "tests" / "eval" / "complaints.tsv").read_text().splitlines()
                              if line and not line.startswith("#")) + "\n")

    cold, idle, loaded = cold_start()
    qingdan, ready = start_qingdan(pg, 18000)
    lite, _ = start_qingdan(sqlite, 18001)
    peer_pid = int(sh(str(PEER / "peer-up.sh"), pg, "5000", "public").stdout.strip().splitlines()[-1])
    supervisor = token(pg, "SUPERVISOR")
    all_bodies = bodies(pg)
    lite_bodies = bodies(sqlite)

    # Correctness first: both engines give the same data; precompute the bound's bodies.
    static_dir = HERE / "results" / "static"
    static_dir.mkdir(exist_ok=True)
    for case in cases:
        b = all_bodies[case]
        auth = supervisor if CASES[case].get("auth") else None
        mine = post("http://127.0.0.1:18000/graphql", b["qingdan"], auth)
        assert "errors" not in mine, (case, mine)
        (static_dir / case).write_text(json.dumps(mine, ensure_ascii=False))
        if b["peer"]:
            theirs = post("http://127.0.0.1:5000/graphql", b["peer"])
            assert "errors" not in theirs, (case, theirs)
            same = payload(mine) == payload(theirs)
            print(f"{case}: same data as the peer: {same}", file=sys.stderr)
            if not same:
                raise SystemExit(f"{case}: answers differ\n{json.dumps(payload(mine), ensure_ascii=False)[:500]}\n{json.dumps(payload(theirs), ensure_ascii=False)[:500]}")
    static = subprocess.Popen([str(BIN / "static-body"), "127.0.0.1:18002", str(static_dir)])
    wait_ready("http://127.0.0.1:18002/healthz")

    rows = []
    for mode in modes:
        for case in cases:
            if mode == "LOOKUP-UNIQUE" and case != "q5_lookup":
                continue
            if mode == "COLD" and case in ("q5_lookup", "q7_submit"):
                continue  # q5 without a cache is LOOKUP-UNIQUE; a write is never cached
            b = varied(all_bodies[case], mode)
            auth = supervisor if CASES[case].get("auth") else None
            for conc in concs:
                runs = [("qingdan", "http://127.0.0.1:18000/graphql", b["qingdan"], qingdan.pid)]
                if b["peer"]:
                    runs.append(("peer-v5", "http://127.0.0.1:5000/graphql", b["peer"], peer_pid))
                if not a.no_sqlite:
                    runs.append(("qingdan-sqlite", "http://127.0.0.1:18001/graphql",
                                 varied(lite_bodies[case], mode)["qingdan"], lite.pid))
                if case != "q7_submit" and mode == "HOT":
                    runs.append(("bound", f"http://127.0.0.1:18002/{case}", {"static": case}, static.pid))
                for engine, url, body, pid in runs:
                    r = run_load(url, body, conc, a.secs, pid, auth if engine.startswith("qingdan") else None,
                                 {"engine": engine, "case": case, "scale": a.scale, "mode": mode}, out,
                                 texts=str(texts) if mode == "LOOKUP-UNIQUE" else None)
                    rows.append((mode, case, conc, engine, r))
                    print(f"{mode} {case} c={conc} {engine}: {r.get('rps')} req/s p50 {r.get('p50_ms')} "
                          f"p99 {r.get('p99_ms')} errors {r.get('errors')}", file=sys.stderr)

    for p in (qingdan, lite, static):
        p.terminate()
    sh(str(PEER / "peer-down.sh"), "5000", check=False)

    print(f"\n{a.scale}: start to ready on an empty PostgreSQL database (migrations + Anhua import) "
          f"{cold * 1000:.0f} ms; idle RSS {idle:.1f} MB, {loaded:.1f} MB after a lookup; "
          f"start to ready with the {a.scale} data loaded {ready * 1000:.0f} ms\n")
    print("| mode | case | c | engine | req/s | p50 ms | p99 ms | errors | server CPU % | peak RSS MB | × peer req/s | p99 / peer p99 | % of bound |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mode, case, conc, engine, r in rows:
        peer = next((x for m, c, cc, e, x in rows if (m, c, cc, e) == (mode, case, conc, "peer-v5")), None)
        bound = next((x for m, c, cc, e, x in rows if (c, cc, e) == (case, conc, "bound")), None)
        ratio = f"{r['rps'] / peer['rps']:.1f}" if peer and engine != "peer-v5" and peer.get("rps") else ""
        p99 = f"{r['p99_ms'] / peer['p99_ms']:.2f}" if peer and engine != "peer-v5" and peer.get("p99_ms") else ""
        pct = f"{100 * r['rps'] / bound['rps']:.0f}" if bound and engine != "bound" and bound.get("rps") else ""
        print(f"| {mode} | {case} | {conc} | {engine} | {r.get('rps')} | {r.get('p50_ms')} | {r.get('p99_ms')} | {r.get('errors')} | "
              f"{r.get('server_cpu_pct')} | {r.get('server_rss_mb_max')} | {ratio} | {p99} | {pct} |")

if __name__ == "__main__":
    main()
