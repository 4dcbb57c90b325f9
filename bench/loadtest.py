"""200 commune police officers entering and submitting their assessments at the deadline,
against gunicorn on loopback (issue 9, "Load"). Standard library only: one thread per officer,
``http.client``, cookies and CSRF handled like a browser without JavaScript.

Each officer (an account made by ``bench.fixtures.load_officers``, each with a draft assessment
of a residential area of their own commune):

1. ``GET /login/``, ``POST /login/`` (the real password check: Argon2id, as in production);
2. ``GET /`` (home page), ``GET /assessments/<id>/`` (the entry form);
3. three answers saved one by one as the page's script does (``POST …/save/``, JSON);
4. the whole form saved once (every answer, this year's figures, the meeting minutes), and the
   form opened again;
5. waits for the deadline; then every officer submits within ``--deadline-window`` seconds
   (``POST …/submit/``) and opens the form once more to see the result.

Officers arrive spread over ``--ramp`` seconds and think 0.5-2 s between steps (seeded random).
Every request has a 30 s timeout; the whole run is cut at ``--max-seconds``. The report gives
p50 / p95 / max and the error count per request type (an error: a transport failure, an
unexpected status, or a submission the application refused), and checks in the database that
every assessment ended up submitted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

TIMEOUT = 30.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
VALUE_RADIO = re.compile(r'name="value-(\d+)" id="v-\d+-(met|not_met|na)"')
FIGURE_INPUT = re.compile(r'name="(crime_count|social_evil_count|violation_count)"')


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    stopped: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, ms: float, error: str = "") -> None:
        with self.lock:
            self.times[kind].append(ms)
            if error:
                self.errors[kind].append(error)


class Browser:
    """Cookies and CSRF like a browser; one new loopback connection per request (no
    keep-alive to babysit across think times)."""

    def __init__(self, base: str, stats: Stats) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies: dict[str, str] = {}
        self.stats = stats

    def request(
        self, kind: str, method: str, path: str, *, form=None, headers=None, expect=(200,)
    ) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(form or [], doseq=True) if form is not None else None
        all_headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "antt-bench-load"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["Referer"] = f"http://{self.host}:{self.port}{path}"
            all_headers["Origin"] = f"http://{self.host}:{self.port}"
        all_headers.update(headers or {})
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            status, response_headers = response.status, response.getheaders()
            conn.close()
        except (OSError, http.client.HTTPException) as error:
            self.stats.record(
                kind, (time.perf_counter() - started) * 1000, f"{type(error).__name__}: {error}"
            )
            raise
        ms = (time.perf_counter() - started) * 1000
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
        error = "" if status in expect else f"HTTP {status}"
        self.stats.record(kind, ms, error)
        if error:
            raise RuntimeError(f"{kind}: {error}")
        return status, dict((k.lower(), v) for k, v in response_headers), text

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


def save_one_answer(b: Browser, path: str, version: int, answer_id: str) -> str:
    """What the form's autosave sends when one answer is set to "met"; the JSON answer."""
    _s, _h, text = b.request(
        "POST save one answer (JSON)",
        "POST",
        f"{path}save/",
        form={
            "csrfmiddlewaretoken": b.csrf,
            "version": version,
            "only": answer_id,
            f"value-{answer_id}": "met",
        },
        headers={"Accept": "application/json", "X-CSRFToken": b.csrf},
    )
    return text


def _think(rng: random.Random) -> None:
    time.sleep(rng.uniform(0.5, 2.0))


def officer(
    base: str, account: dict, stats: Stats, *, start_at: float, deadline: float, window: float, seed: int
) -> None:
    rng = random.Random(seed)
    b = Browser(base, stats)
    path = f"/assessments/{account['assessment_id']}/"
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        _s, _h, page = b.request("GET /login/", "GET", "/login/")
        token = CSRF_INPUT.search(page).group(1)
        b.request(
            "POST /login/",
            "POST",
            "/login/",
            form={
                "username": account["username"],
                "password": account["password"],
                "csrfmiddlewaretoken": token,
            },
            expect=(302,),
        )
        _think(rng)
        b.request("GET / (home)", "GET", "/")
        _think(rng)
        _s, _h, page = b.request("GET assessment form", "GET", path)
        version = int(VERSION_INPUT.search(page).group(1))
        answers: dict[str, str] = {}
        for answer_id, value in VALUE_RADIO.findall(page):
            answers.setdefault(answer_id, value)  # the first choice offered: "met"
        figures = sorted(set(FIGURE_INPUT.findall(page)))
        for answer_id in list(answers)[:3]:
            _think(rng)
            text = save_one_answer(b, path, version, answer_id)
            version = json.loads(text)["version"]
        _think(rng)
        form = [("csrfmiddlewaretoken", b.csrf), ("version", version)]
        form += [(f"value-{answer_id}", value) for answer_id, value in answers.items()]
        form += [(name, rng.randint(0, 3)) for name in figures]
        form += [
            ("meeting_date", time.strftime("%Y-%m-%d")),
            ("meeting_chair", "Trưởng khu dân cư"),
            ("attendee-name", "Nguyễn Văn An"),
            ("attendee-role", "Trưởng khu dân cư (chủ trì)"),
            ("attendee-name", "Trần Thị Bình"),
            ("attendee-role", "Bí thư chi bộ"),
        ]
        b.request("POST save whole form", "POST", f"{path}save/", form=form, expect=(302,))
        _s, _h, page = b.request("GET assessment form", "GET", path)
        version = int(VERSION_INPUT.search(page).group(1))
        # The deadline: everyone submits within the window.
        time.sleep(max(0.0, deadline + rng.uniform(0, window) - time.monotonic()))
        b.request(
            "POST submit",
            "POST",
            f"{path}submit/",
            form={"csrfmiddlewaretoken": b.csrf, "version": version},
            expect=(302,),
        )
        _s, _h, page = b.request("GET assessment form", "GET", path)
        if "badge badge-submitted" not in page:
            stats.record("submission refused", 0, "the page shows an error after submitting")
    except Exception as error:  # noqa: BLE001 - the failed request is recorded already
        with stats.lock:  # the officer gives up, as a user would
            stats.stopped.append(f"{type(error).__name__}: {error}"[:200])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
    return ordered[int(index)]


class CpuAccount:
    """CPU seconds used during the run by each part of the stack, from /proc: gunicorn and the
    Celery workers (their process trees, from BENCH_GUNICORN_PID / BENCH_CELERY_PID), the
    PostgreSQL backends of the load database, and this load generator. Sampled every 0.5 s so
    processes that exit during the run still count."""

    def __init__(self) -> None:
        import os

        self.tick = os.sysconf("SC_CLK_TCK")
        self.roots = {
            "gunicorn (web)": int(os.environ.get("BENCH_GUNICORN_PID") or 0),
            "celery (2 workers)": int(os.environ.get("BENCH_CELERY_PID") or 0),
        }
        self.database = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
        self.first: dict = {}
        self.last: dict = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _snap(self) -> dict:
        import os

        from bench.procs import tree_pids

        groups = {pid: name for name, root in self.roots.items() if root for pid in tree_pids(root)}
        groups[os.getpid()] = "load generator"
        out = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            name = groups.get(pid)
            if name is None and cmd.startswith(f"postgres: postgres {self.database} "):
                name = "postgresql"
            if name:
                out[(pid, cmd[:60])] = (name, int(fields[11]) + int(fields[12]))
        return out

    def _loop(self) -> None:
        while not self.stop.wait(0.5):
            self.last.update(self._snap())

    def __enter__(self) -> CpuAccount:
        self.first = self._snap()
        self.last = dict(self.first)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.last.update(self._snap())

    def seconds(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for key, (name, ticks) in self.last.items():
            before = self.first.get(key, (name, 0))[1]
            totals[name] = totals.get(name, 0.0) + (ticks - before) / self.tick
        return {k: round(v, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def _machine_busy() -> float:
    """CPU-seconds the whole machine has spent busy (all processes, ours and the neighbours')."""
    import os

    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _loadavg() -> list[float]:
    with open("/proc/loadavg") as fh:
        return [float(x) for x in fh.read().split()[:3]]


def run(
    base: str, accounts: list[dict], *, ramp: float, window: float, max_seconds: float, seed: int
) -> dict:
    stats = Stats()
    loadavg_start = _loadavg()
    busy_start = _machine_busy()
    cpu = CpuAccount().__enter__()
    started = time.monotonic()
    # Entry takes ~8 think times (≤ 16 s) after arriving; the deadline follows the last arrival.
    deadline = started + ramp + 20
    threads = []
    for i, account in enumerate(accounts):
        start_at = started + ramp * i / max(1, len(accounts))
        thread = threading.Thread(
            target=officer,
            args=(base, account, stats),
            kwargs={"start_at": start_at, "deadline": deadline, "window": window, "seed": seed + i},
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, started + max_seconds - time.monotonic()))
    unfinished = sum(thread.is_alive() for thread in threads)
    elapsed = time.monotonic() - started
    cpu.__exit__(None, None, None)
    machine_busy = _machine_busy() - busy_start
    with stats.lock:
        rows = {}
        for kind, times in sorted(stats.times.items()):
            real = [t for t in times if t > 0]
            rows[kind] = {
                "count": len(times),
                "errors": len(stats.errors.get(kind, [])),
                "p50_ms": round(statistics.median(real), 1) if real else None,
                "p95_ms": round(percentile(real, 95), 1) if real else None,
                "max_ms": round(max(real), 1) if real else None,
                "error_examples": sorted(set(stats.errors.get(kind, [])))[:3],
            }
        for kind, errors in stats.errors.items():
            rows.setdefault(kind, {"count": len(errors), "errors": len(errors), "error_examples": errors[:3]})
        every = [t for kind, times in stats.times.items() for t in times if t > 0]
        no_login = [t for kind, times in stats.times.items() if "/login/" not in kind for t in times if t > 0]
    total_requests = len(every)
    return {
        "officers": len(accounts),
        "seconds": round(elapsed, 1),
        "unfinished_officers": unfinished,
        "officers_stopped": len(stats.stopped),
        "requests": total_requests,
        "requests_per_second": round(total_requests / elapsed, 1),
        "overall": {
            "p50_ms": round(statistics.median(every), 1),
            "p95_ms": round(percentile(every, 95), 1),
            "max_ms": round(max(every), 1),
            "errors": sum(len(e) for e in stats.errors.values()),
        },
        "overall_without_login": {
            "p50_ms": round(statistics.median(no_login), 1),
            "p95_ms": round(percentile(no_login, 95), 1),
            "max_ms": round(max(no_login), 1),
        },
        "by_type": rows,
        "loadavg_start": loadavg_start,
        "loadavg_end": _loadavg(),
        "cpu_seconds": cpu.seconds(),
        # Everything the machine ran meanwhile; minus cpu_seconds, what the neighbours took.
        "machine_busy_cpu_seconds": round(machine_busy, 1),
        "ramp_seconds": ramp,
        "deadline_window_seconds": window,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--accounts", required=True, help="JSON file from bench.load_setup")
    parser.add_argument("--ramp", type=float, default=60)
    parser.add_argument("--deadline-window", type=float, default=10)
    parser.add_argument("--max-seconds", type=float, default=180)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    accounts = json.loads(open(args.accounts).read())
    result = run(
        args.base,
        accounts,
        ramp=args.ramp,
        window=args.deadline_window,
        max_seconds=args.max_seconds,
        seed=args.seed,
    )
    with open(args.out, "w") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=2)
    print(json.dumps(result["overall"]), flush=True)


if __name__ == "__main__":
    main()
