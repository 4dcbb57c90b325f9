"""Scaling past one machine, measured on this one (issue 23, point 4): ``bench/scaling`` runs
these steps against its own PostgreSQL, Redis, gunicorn and Celery on loopback.

    python -m bench.scaling audit --writers 1,2,4,8 --seconds 6 --out scaling.json
        the audit chain's ceiling: N processes each committing minimal audited transactions
        (``audit.deferred``: the chain's advisory lock, the tail's hash, one INSERT, the commit)
        as fast as they can; then the same with one lock per writer (the partitioned design's
        throughput; the chain of the bench's copy of the data set forks, the copy is dropped)
    python -m bench.scaling pgbench --pgbench PATH --out …
        the same critical section in SQL alone (pgbench: lock, tail, INSERT, COMMIT), without
        Python: the ceiling once the web tier is on other hosts
    python -m bench.scaling web --base URL --accounts accounts.json --label "2 workers" --out …
        fixed work against gunicorn: C logged-in officers, each in a loop (home page, entry
        form, one answer saved), for at most --seconds or --max-requests
    python -m bench.scaling celery --tasks 240 --label "1 worker" --out …
        the rescoring of --tasks units queued at once, time until the last one is done
    python -m bench.scaling replica --out …
        the report pages with DATABASE_REPLICA_URL set (a streaming replica on loopback)
    python -m bench.scaling report --result scaling.json
        bench/scaling.md (included in docs/benchmarks.md by bench/report.py) and the measured
        part of docs/scaling.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

# The same /proc readings as bench/load (standard library only, no Django).
from bench.loadtest import _loadavg, _machine_busy

ROOT = Path(__file__).resolve().parents[1]
ROWS = ROOT / "bench" / "scaling.md"
SCALING_DOC = ROOT / "docs" / "scaling.md"
BENCHMARKS_DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- bench/scaling: measured (generated, do not edit by hand) -->"
END = "<!-- /bench/scaling -->"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _merge(out: Path, key: str, label: str, value: dict) -> None:
    data = json.loads(out.read_text()) if out.exists() else {}
    data.setdefault(key, {})[label] = value
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2))


# --- the audit chain's ceiling -------------------------------------------------------------------


def _audit_writer(index: int, start_at: float, seconds: float, events: int, partitioned: bool, queue) -> None:
    from django.db import connection, transaction

    from certification import audit
    from units.models import Unit

    if partitioned:
        # One lock per writer: what one chain per partition key (province) would allow.
        audit.AUDIT_LOCK_KEY = 124_2021 + 1000 + index
    unit = Unit.objects.order_by("pk").first()
    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))
    done, latencies = 0, []
    end = start_at + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        with transaction.atomic(), audit.deferred():
            for k in range(events):
                # the writer in the field: with one lock per writer, two writers may chain onto the same
                # tail at the same instant; their events must still differ (the hash is unique)
                audit.log_change(
                    unit, by=None, action=audit.Action.DATA_GENERATED, field=f"bench-{index}", new=k
                )
        latencies.append(time.perf_counter() - t0)
        done += 1
    connection.close()
    queue.put((done, latencies))


def audit_ceiling(writers: list[int], seconds: float, events: int, partitioned: bool) -> list[dict]:
    import multiprocessing

    from django.db import connections

    from certification.models import AuditEvent

    rows = []
    for n in writers:
        connections.close_all()
        mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        start_at = time.time() + 1.5  # every writer connected before the clock starts
        load_before, busy_before = _loadavg(), _machine_busy()
        procs = [
            ctx.Process(target=_audit_writer, args=(i, start_at, seconds, events, partitioned, queue))
            for i in range(n)
        ]
        for p in procs:
            p.start()
        results = [queue.get(timeout=seconds + 60) for _ in procs]
        for p in procs:
            p.join()
        busy = _machine_busy() - busy_before
        transactions = sum(done for done, _ in results)
        latencies = sorted(x for _, lat in results for x in lat)
        new = AuditEvent.objects.filter(id__gt=mark)
        forks = None
        if not partitioned:
            # Each new event's predecessor is named once: the chain did not fork.
            from django.db.models import Count

            forks = new.values("prev_hash").annotate(n=Count("id")).filter(n__gt=1).count()
        written = new.count()  # (the forked tails of the partitioned runs stay: the copy is dropped)
        rows.append(
            {
                "writers": n,
                "events_per_transaction": events,
                "partitioned": partitioned,
                "seconds": seconds,
                "transactions": transactions,
                "transactions_per_second": round(transactions / seconds, 1),
                "events_per_second": round(written / seconds, 1),
                "p50_ms": round(1000 * statistics.median(latencies), 2) if latencies else None,
                "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
                "chain_forks": forks,
                "machine_busy_cores": round(busy / (seconds + 1.5), 2),
                "loadavg_before": load_before,
                "loadavg_after": _loadavg(),
            }
        )
        print(f"[scaling] audit {'partitioned' if partitioned else 'one chain'} {rows[-1]}", file=sys.stderr)
    return rows


PGBENCH_SCRIPT = """\
BEGIN;
SELECT pg_advisory_xact_lock({lock});
SELECT hash FROM certification_auditevent ORDER BY id DESC LIMIT 1;
INSERT INTO certification_auditevent (at, action, object_type, object_id, object_repr, field, old, new,
    prev_hash, hash)
    VALUES (now(), 'data_generated', 'units.unit', '1', 'bench', 'bench', '', '0',
    md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text));
COMMIT;
"""


def pgbench_ceiling(pgbench: str, clients: list[int], seconds: int) -> list[dict]:
    """The chain's critical section as plain SQL, ``clients`` connections, one lock for all
    (today) or one per client (partitioned). ``synchronous_commit`` stays on, as in production:
    the lock is held through the commit's WAL flush."""
    import re
    import subprocess
    import tempfile

    url = os.environ["DATABASE_URL"]
    rows = []
    for partitioned in (False, True):
        lock = "1242021 + 1000 + :client_id" if partitioned else "1242021"
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
            fh.write(PGBENCH_SCRIPT.format(lock=lock))
            script = fh.name
        for n in clients:
            load_before = _loadavg()
            done = subprocess.run(
                [pgbench, "-n", "-f", script, "-c", str(n), "-j", str(min(n, 2)), "-T", str(seconds), url],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            tps = float(re.search(r"tps = ([\d.]+)", done).group(1))
            latency = re.search(r"latency average = ([\d.]+) ms", done)
            rows.append(
                {
                    "clients": n,
                    "partitioned": partitioned,
                    "transactions_per_second": round(tps, 1),
                    "latency_ms": float(latency.group(1)) if latency else None,
                    "loadavg_before": load_before,
                    "loadavg_after": _loadavg(),
                }
            )
            print(f"[scaling] pgbench {rows[-1]}", file=sys.stderr)
        os.unlink(script)
    return rows


def fdatasync_ms(pg_test_fsync: str, directory: Path) -> float | None:
    """One 8 kB write + fdatasync on the disk of the data set, as PostgreSQL's WAL flush does it
    at each commit (pg_test_fsync, 1 second)."""
    import re
    import subprocess

    target = directory / "fsync.test"
    try:
        out = subprocess.run(
            [pg_test_fsync, "-s", "1", "-f", str(target)], capture_output=True, text=True, timeout=60
        ).stdout
    finally:
        target.unlink(missing_ok=True)
    found = re.search(r"fdatasync\s+[\d.]+ ops/sec\s+(\d+) usecs/op", out)
    value = int(found.group(1)) / 1000 if found else None
    print(f"[scaling] fdatasync {value} ms", file=sys.stderr)
    return value


# --- web throughput ------------------------------------------------------------------------------


def web_throughput(base: str, accounts: list[dict], clients: int, seconds: float, max_requests: int) -> dict:
    from bench.loadtest import (
        CSRF_INPUT,
        VALUE_RADIO,
        VERSION_INPUT,
        Browser,
        CpuAccount,
        Stats,
        percentile,
        save_one_answer,
    )

    stats = Stats()
    browsers = []
    for account in accounts[:clients]:  # logged in before the clock starts
        b = Browser(base, stats)
        _s, _h, page = b.request("login", "GET", "/login/")
        token = CSRF_INPUT.search(page).group(1)
        form = {
            "username": account["username"],
            "password": account["password"],
            "csrfmiddlewaretoken": token,
        }
        b.request("login", "POST", "/login/", form=form, expect=(302,))
        browsers.append((b, account))
    stats = Stats()
    count = {"n": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def take() -> bool:
        with lock:
            if stop.is_set() or count["n"] >= max_requests:
                return False
            count["n"] += 1
            return True

    def loop(b: Browser, account: dict) -> None:
        b.stats = stats
        path = f"/assessments/{account['assessment_id']}/"
        try:
            while True:
                if not take():
                    return
                b.request("GET / (home)", "GET", "/")
                if not take():
                    return
                _s, _h, page = b.request("GET assessment form", "GET", path)
                version = int(VERSION_INPUT.search(page).group(1))
                answer_id = VALUE_RADIO.search(page).group(1)
                if not take():
                    return
                save_one_answer(b, path, version, answer_id)
        except Exception as error:  # noqa: BLE001 - recorded as an error already
            with stats.lock:
                stats.stopped.append(str(error)[:200])

    load_before, busy_before = _loadavg(), _machine_busy()
    cpu = CpuAccount().__enter__()
    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=pair, daemon=True) for pair in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, started + seconds - time.monotonic()))
    stop.set()
    for t in threads:
        t.join(35)
    elapsed = time.monotonic() - started
    cpu.__exit__(None, None, None)
    every = [t for times in stats.times.values() for t in times if t > 0]
    errors = sum(len(e) for e in stats.errors.values())
    busy = _machine_busy() - busy_before
    return {
        "clients": len(browsers),
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "errors": errors,
        "requests_per_second": round(len(every) / elapsed, 1),
        "p50_ms": round(statistics.median(every), 1) if every else None,
        "p95_ms": round(percentile(every, 95), 1) if every else None,
        "cpu_seconds": cpu.seconds(),
        "machine_busy_cores": round(busy / elapsed, 2),
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
    }


# --- Celery throughput ---------------------------------------------------------------------------


def celery_throughput(tasks: int) -> dict:
    from django.db.models import Count

    from certification.models import Assessment, Campaign
    from certification.tasks.scoring import rescore_unit_task

    # The data set's campaign (the most assessments), not the few of the load accounts.
    campaign = Campaign.objects.annotate(n=Count("assessments")).order_by("-n", "-year").first()
    pairs = list(
        Assessment.objects.filter(campaign=campaign)
        .order_by("unit__path")
        .values_list("unit_id", "campaign_id")[:tasks]
    )
    from bench.loadtest import CpuAccount

    load_before, busy_before = _loadavg(), _machine_busy()
    cpu = CpuAccount().__enter__()
    started = time.monotonic()
    # Results are kept for this measure only (the app's tasks store none).
    pending = [rescore_unit_task.apply_async(pair, ignore_result=False) for pair in pairs]
    failed = 0
    # Tasks finish about in the order they were queued: wait for the oldest one still pending.
    while pending and time.monotonic() - started < 180:
        while pending and pending[0].ready():
            failed += pending.pop(0).failed()
        if pending:
            time.sleep(0.05)
    elapsed = time.monotonic() - started
    cpu.__exit__(None, None, None)
    busy = _machine_busy() - busy_before
    return {
        "tasks": len(pairs),
        "cpu_seconds": cpu.seconds(),
        "unfinished": len(pending),
        "failed": failed,
        "seconds": round(elapsed, 2),
        "tasks_per_second": round((len(pairs) - len(pending)) / elapsed, 1),
        "machine_busy_cores": round(busy / elapsed, 2),
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
    }


# --- report pages on a streaming replica ---------------------------------------------------------


class _Statements:
    """An execute wrapper counting the statements of one connection, and its writes."""

    def __init__(self) -> None:
        self.count = 0
        self.writes = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.writes += sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        return execute(sql, params, many, context)


def replica_pages(rounds: int) -> dict:
    """The summary report (HTML, PDF) and the leaders' dashboard with the replica configured:
    the queries each alias ran and the time per page (Django test client, in-process)."""
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from antt.database.replica import REPLICA
    from certification.models import Campaign
    from units.models import RoleAssignment, Unit

    assert REPLICA in connections, "DATABASE_REPLICA_URL is not set"
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        in_recovery = cursor.fetchone()[0]
    province = Unit.objects.filter(kind=Unit.Kind.PROVINCE, valid_to__isnull=True).order_by("code").first()
    year = Campaign.objects.filter(province=province).order_by("-year").values_list("year", flat=True).first()
    user, _ = get_user_model().objects.get_or_create(username="bench-replica-viewer")
    RoleAssignment.objects.get_or_create(user=user, unit=province, role=RoleAssignment.Role.VIEWER)
    time.sleep(1)  # the role reaches the replica (not needed: access checks read the primary)
    client = Client()
    client.force_login(user)
    pages = {
        "summary report (HTML)": (
            reverse("certification:report-summary"),
            {"unit": province.pk, "year": year},
        ),
        "summary report (PDF)": (
            reverse("certification:report-summary"),
            {"unit": province.pk, "year": year, "format": "pdf"},
        ),
        "province dashboard": (reverse("home"), {}),
    }
    from antt.database import replica as routing

    configured = routing.replica_configured
    rows = {}
    for name, (url, query) in pages.items():
        client.get(url, query)  # warm-up
        times, primary_only = [], []
        for _ in range(rounds):
            primary, replica = _Statements(), _Statements()
            with (
                connections["default"].execute_wrapper(primary),
                connections[REPLICA].execute_wrapper(replica),
            ):
                t0 = time.perf_counter()
                response = client.get(url, query)
                times.append(1000 * (time.perf_counter() - t0))
            assert response.status_code == 200, (name, response.status_code)
            # The same page with the router told there is no replica, alternately.
            routing.replica_configured = lambda: False  # type: ignore[assignment]
            try:
                t0 = time.perf_counter()
                client.get(url, query)
                primary_only.append(1000 * (time.perf_counter() - t0))
            finally:
                routing.replica_configured = configured
        rows[name] = {
            "median_ms": round(statistics.median(times), 1),
            "median_ms_primary_only": round(statistics.median(primary_only), 1),
            "queries_primary": primary.count,
            "queries_replica": replica.count,
            "writes_on_replica": replica.writes,
        }
        print(f"[scaling] replica {name}: {rows[name]}", file=sys.stderr)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT application_name, state, replay_lag::text FROM pg_stat_replication")
        replication = [list(r) for r in cursor.fetchall()]
    return {
        "replica_in_recovery": in_recovery,
        "pg_stat_replication": replication,
        "pages": rows,
        "loadavg": _loadavg(),
    }


# --- the report ----------------------------------------------------------------------------------


def _ratio_rows(runs: dict, value: str, base_label: str) -> list[tuple[str, float, float, dict]]:
    """(label, median value, ratio to the base label, a run) per label, medians over the rounds."""
    by_label: dict[str, list[dict]] = {}
    for key, run in runs.items():
        by_label.setdefault(key.split(" #", 1)[0], []).append(run)
    base = (
        statistics.median(r[value] for r in by_label.get(base_label, [])) if base_label in by_label else None
    )
    out = []
    for label, group in by_label.items():
        median = statistics.median(r[value] for r in group)
        out.append((label, median, median / base if base else float("nan"), group))
    return out


def _load_text(group: list[dict]) -> str:
    return ", ".join(f"{r['loadavg_before'][0]}→{r['loadavg_after'][0]}" for r in group)


def rows_markdown(data: dict) -> str:
    meta = data.get("meta", {})
    lines = [
        "## Scaling past one machine (issue 23, point 4)",
        "",
        f"`bench/scaling` ({meta.get('date', '')}, revision `{meta.get('revision', '')}`, "
        f"{meta.get('machine', '')}). Each figure with the load average (1 min) before → after it: "
        "other engineers' processes shared the cores, so compare ratios measured in the same run. "
        "docs/scaling.md turns them into a national deployment.",
        "",
        "| Measure | Figure | Ratio to 1 | Aim / note | Load avg |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    web = data.get("web") or {}
    for label, median, ratio, group in _ratio_rows(web, "requests_per_second", "1 worker"):
        errors = sum(r["errors"] for r in group)
        stack = [sum(v for k, v in r["cpu_seconds"].items() if k != "load generator") for r in group]
        cores = statistics.median(c / r["seconds"] for c, r in zip(stack, group, strict=True))
        per_cpu = statistics.median(r["requests"] / c for c, r in zip(stack, group, strict=True) if c)
        lines.append(
            f"| gunicorn {label} × 4 threads: requests/s (median of {len(group)}) | {median:.1f} | "
            f"{ratio:.2f}× | web + PostgreSQL got {cores:.2f} cores; {per_cpu:.0f} requests per "
            f"CPU-second; p95 {statistics.median(r['p95_ms'] for r in group):,.0f} ms; {errors} errors "
            f"| {_load_text(group)} |"
        )
    celery = data.get("celery") or {}
    for label, median, ratio, group in _ratio_rows(celery, "tasks_per_second", "1 worker"):
        cores = statistics.median(
            sum(v for k, v in r.get("cpu_seconds", {}).items() if k != "load generator") / r["seconds"]
            for r in group
        )
        lines.append(
            f"| Celery {label}: unit rescorings/s (median of {len(group)}) | {median:.1f} | {ratio:.2f}× | "
            f"{group[0]['tasks']} tasks queued at once; workers + PostgreSQL got {cores:.2f} cores "
            f"| {_load_text(group)} |"
        )
    for key, name in (("audit", "one chain, one lock"), ("audit_partitioned", "one lock per writer")):
        for row in data.get(key) or []:
            base = (data.get(key) or [row])[0]["transactions_per_second"]
            note = (
                f"chain forks: {row['chain_forks']}"
                if row.get("chain_forks") is not None
                else "what one chain per province allows"
            )
            lines.append(
                f"| Audited transactions/s, {name}, {row['writers']} writer(s) × "
                f"{row['events_per_transaction']} event(s) | {row['transactions_per_second']:,.0f} "
                f"(p95 {row['p95_ms']} ms) | {row['transactions_per_second'] / base:.2f}× | {note} | "
                f"{row['loadavg_before'][0]}→{row['loadavg_after'][0]} |"
            )
    if data.get("fdatasync_ms"):
        lines.append(
            f"| One WAL flush on this disk (pg_test_fsync: 8 kB write + fdatasync) | "
            f"{data['fdatasync_ms']:.2f} ms | – | each commit waits for one | – |"
        )
    pgbench = data.get("pgbench") or []
    for partitioned in (False, True):
        group = [r for r in pgbench if r["partitioned"] == partitioned]
        for row in group:
            name = "one lock per client" if partitioned else "one chain, one lock"
            lines.append(
                f"| Chain's critical section in SQL alone (pgbench), {name}, {row['clients']} client(s): "
                f"transactions/s | {row['transactions_per_second']:,.0f} (latency {row['latency_ms']} ms) | "
                f"{row['transactions_per_second'] / group[0]['transactions_per_second']:.2f}× | "
                f"lock, tail, INSERT, COMMIT | {row['loadavg_before'][0]}→{row['loadavg_after'][0]} |"
            )
    replica = data.get("replica") or {}
    for name, row in (replica.get("pages") or {}).items():
        lines.append(
            f"| {name} with the streaming replica: median ms; queries primary / replica | "
            f"{row['median_ms']:.0f} ms; {row['queries_primary']} / {row['queries_replica']} | "
            f"{row['median_ms'] / row['median_ms_primary_only']:.2f}× the primary alone "
            f"({row['median_ms_primary_only']:.0f} ms) | "
            f"{row['writes_on_replica']} writes on the replica | {replica.get('loadavg', ['?'])[0]} |"
        )
    lines.append("")
    lines.append(
        "Run it with `bench/scaling` (province data set, built once like `bench/run`; ~10 minutes). "
        "`--skip-replica` leaves out the streaming replica, `--rounds N` repeats the web and Celery "
        "configurations."
    )
    return "\n".join(lines) + "\n"


def _replace_between(path: Path, text: str) -> None:
    current = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{text}{END}\n"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        path.write_text(head + block + ("\n" + tail if tail else ""))
    else:
        path.write_text(current.rstrip("\n") + "\n\n" + block)


def summary(data: dict) -> dict:
    """One line of bench/data/<scale>/scaling-history.jsonl: the ratios of one run."""

    def ratios(runs: dict, value: str) -> dict[str, float]:
        return {label: round(ratio, 2) for label, _m, ratio, _g in _ratio_rows(runs or {}, value, "1 worker")}

    loads = [
        r[key][0]
        for group in (list((data.get("web") or {}).values()), list((data.get("celery") or {}).values()))
        for r in group
        for key in ("loadavg_before", "loadavg_after")
    ] + [r[key][0] for r in data.get("audit") or [] for key in ("loadavg_before", "loadavg_after")]
    pgbench = data.get("pgbench") or []
    return {
        "date": data.get("meta", {}).get("date"),
        "revision": data.get("meta", {}).get("revision"),
        "loadavg_min": min(loads) if loads else None,
        "loadavg_max": max(loads) if loads else None,
        "web": ratios(data.get("web"), "requests_per_second"),
        "celery": ratios(data.get("celery"), "tasks_per_second"),
        "app_one_chain_max": max(
            (r["transactions_per_second"] for r in data.get("audit") or []), default=None
        ),
        "app_partitioned_max": max(
            (r["transactions_per_second"] for r in data.get("audit_partitioned") or []), default=None
        ),
        "sql_one_chain_max": max(
            (r["transactions_per_second"] for r in pgbench if not r["partitioned"]), default=None
        ),
        "sql_partitioned_max": max(
            (r["transactions_per_second"] for r in pgbench if r["partitioned"]), default=None
        ),
        "fdatasync_ms": data.get("fdatasync_ms"),
    }


def history_markdown(history: Path) -> str:
    if not history.exists():
        return ""
    runs = [json.loads(line) for line in history.read_text().splitlines() if line.strip()][-10:]
    lines = [
        "Runs of `bench/scaling` on this machine (ratios to 1 worker; the highest transactions/s of "
        "the audit chain's critical section, through the application and in SQL alone):",
        "",
        "| Date | Code | Load avg (1 min) | gunicorn 2 / 3 workers | Celery 2 workers | App: one chain → one lock per writer | SQL: one chain → one lock per client | fdatasync |",
        "| --- | --- | --- | --- | --- | --- | --- | ---: |",
    ]
    for r in runs:
        web, celery = r.get("web") or {}, r.get("celery") or {}
        lines.append(
            f"| {(r.get('date') or '')[:16].replace('T', ' ')} | {r.get('revision') or '–'} | "
            f"{r.get('loadavg_min')}–{r.get('loadavg_max')} | "
            f"{web.get('2 workers', '–')}× / {web.get('3 workers', '–')}× | {celery.get('2 workers', '–')}× | "
            f"{r.get('app_one_chain_max') or '–'} → {r.get('app_partitioned_max') or '–'} /s | "
            f"{r.get('sql_one_chain_max') or '–'} → {r.get('sql_partitioned_max') or '–'} /s | "
            f"{r.get('fdatasync_ms') or '–'} ms |"
        )
    return "\n".join(lines) + "\n"


def report(result: Path, record: bool = False) -> None:
    data = json.loads(result.read_text())
    history = result.parent / "scaling-history.jsonl"
    if record:
        with history.open("a") as fh:
            fh.write(json.dumps(summary(data), ensure_ascii=False) + "\n")
    text = rows_markdown(data)
    runs = history_markdown(history)
    if runs:
        text += "\n" + runs
    ROWS.write_text(f"{BEGIN}\n{text}{END}\n")  # bench/report.py copies it into docs/benchmarks.md
    _replace_between(BENCHMARKS_DOC, text)
    _replace_between(
        SCALING_DOC, text.replace("## Scaling past one machine (issue 23, point 4)", "## Measured")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("audit")
    p.add_argument("--writers", default="1,2,4,8")
    p.add_argument("--seconds", type=float, default=6)
    p.add_argument("--events", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("pgbench")
    p.add_argument("--pgbench", required=True)
    p.add_argument("--clients", default="1,2,4,8,16")
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("web")
    p.add_argument("--base", required=True)
    p.add_argument("--accounts", type=Path, required=True)
    p.add_argument("--clients", type=int, default=12)
    p.add_argument("--seconds", type=float, default=25)
    p.add_argument("--max-requests", type=int, default=3000)
    p.add_argument("--label", required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("celery")
    p.add_argument("--tasks", type=int, default=240)
    p.add_argument("--label", required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("replica")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("meta")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("report")
    p.add_argument("--result", type=Path, required=True)
    p.add_argument("--record", action="store_true", help="add the run to scaling-history.jsonl")
    args = parser.parse_args()
    if args.command == "audit":
        _django()
        writers = [int(x) for x in args.writers.split(",")]
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        data["audit"] = audit_ceiling(writers, args.seconds, args.events, partitioned=False)
        data["audit_partitioned"] = audit_ceiling(writers, args.seconds, args.events, partitioned=True)
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.command == "pgbench":
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        data["fdatasync_ms"] = fdatasync_ms(args.pgbench.replace("pgbench", "pg_test_fsync"), args.out.parent)
        clients = [int(x) for x in args.clients.split(",")]
        data["pgbench"] = pgbench_ceiling(args.pgbench, clients, args.seconds)
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.command == "web":
        accounts = json.loads(args.accounts.read_text())
        row = web_throughput(args.base, accounts, args.clients, args.seconds, args.max_requests)
        print(f"[scaling] web {args.label}: {json.dumps(row)}", file=sys.stderr)
        _merge(args.out, "web", args.label, row)
    elif args.command == "celery":
        _django()
        row = celery_throughput(args.tasks)
        print(f"[scaling] celery {args.label}: {json.dumps(row)}", file=sys.stderr)
        _merge(args.out, "celery", args.label, row)
    elif args.command == "replica":
        _django()
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        data["replica"] = replica_pages(args.rounds)
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.command == "meta":
        _django()
        import datetime

        from bench.measure import git_revision, machine

        m = machine()
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        data["meta"] = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "revision": git_revision(),
            "machine": f"{m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM",
        }
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        report(args.result, record=args.record)


if __name__ == "__main__":
    main()
