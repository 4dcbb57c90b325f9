"""CPU per request as a ratio to a bare view (issue 23, point 1), in this process with
``django.test.Client`` (the whole Django stack, middleware to template, no HTTP server) against the
benchmark database, side by side in one run:

- ``bare``: a view returning two bytes, mounted by ``bench.cpu_urls`` in front of the real URLconf
  (same middleware, same session and login): the floor of any request;
- ``form``: the officer reloads the assessment form of a residential area (GET);
- ``save``: one answer saved as the page's script sends it (JSON POST ``…/save/`` with ``only``);
- ``submit``: the officer submits a complete assessment (POST ``…/submit/``);
- ``home``: the officer's home page;
- ``form_miss``, ``home_miss`` (issue 23, round 9): the same two pages, first view after their
  officer saved an answer (not measured): what follows every saved answer in the deadline burst,
  where a page or fragment kept from the previous view no longer matches. Another officer each
  round (viewed once before the rounds), so that their histories stay short;
- ``form_history`` (round 10): the same first view after a saved answer, for an assessment with a
  long history (at least ``LONG_HISTORY`` changes, one per save: an officer saving one answer at
  a time, correcting, adding notes). The form showed every change until round 10.

CPU of a request = this process's CPU (``time.process_time``) + the CPU of the PostgreSQL backend
serving this connection (``/proc/<pg_backend_pid>/schedstat``, nanoseconds; ``/proc/<pid>/stat``
ticks when schedstat is missing). The kinds are measured round-robin, so a neighbour's burst
disturbs them alike; each figure is the median of many requests. CPU time is what contention
disturbs least on a shared machine (wall time includes waiting for the cores).

The caches are production's (``CACHE_URL``: Redis): the identity cache of sessions, users and
roles (antt/accounts/identity.py) is Redis here too, the one bench/run starts (``_caches``), so its
client's CPU is counted; the bare view then reads its session from Redis, not from PostgreSQL.

Queries per request must be constant: the same on every repeat, and the same for a small and a
large commune (the officer of the largest commune of the province against a load-test officer);
a difference is reported as the section's error, with the figures.

    python -m bench.cpu --rounds 40           (inside bench/run's environment: --only cpu)
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import override_settings

AIM_RATIO = 4.0
AIM_MS = 12.0
KINDS = {
    "bare": "Bare view through the same middleware (the floor)",
    "form": "Assessment form reload (GET)",
    "save": "One saved answer (JSON POST, as the page's script)",
    "submit": "Submission (POST)",
    "home": "Officer's home page",
    "form_miss": "Assessment form, first view after a saved answer",
    "home_miss": "Officer's home page, first view after a saved answer",
    "form_history": "Assessment form, first view after a saved answer, 200+ changes in its history",
}
LONG_HISTORY = 200
# What the entry form's script posts (static/js/assessment.js: URLSearchParams, round 10).
SCRIPT_BODY = "application/x-www-form-urlencoded"


class QueryCounter:
    """Counts the SQL statements of the default connection (``execute_wrapper``: cheaper than
    ``CaptureQueriesContext``, which would add its own CPU to every figure)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _backend_cpu_ns(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _backend_pid() -> int:
    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)


@contextmanager
def measured(samples: dict, kind: str, counter: QueryCounter):
    """Time the request(s) inside as one sample of ``kind``: web ms, database ms, queries."""
    pid = _backend_pid()
    db0 = _backend_cpu_ns(pid)
    counter.count = 0
    web0 = time.process_time()
    yield
    web = time.process_time() - web0
    queries = counter.count
    pid_after = _backend_pid()
    db = (_backend_cpu_ns(pid) - db0) / 1e9 if pid_after == pid else None
    samples.setdefault(kind, []).append(
        {"web": web * 1000, "db": None if db is None else db * 1000, "q": queries}
    )


def _csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""


def _version(client: Client, url: str) -> int:
    import re

    page = client.get(url).content.decode()
    return int(re.search(r'name="version" value="(\d+)"', page).group(1))


def _script_save(client: Client, url: str, version: int, answer_id: int, field: str, value: str):
    """One answer's ``field`` saved as the entry form's script sends it (form-encoded, JSON
    asked for); the response (``_saved_version`` reads it, outside what is measured)."""
    body = {"csrfmiddlewaretoken": _csrf(client), "version": version, "only": answer_id}
    return client.post(
        url + "save/",
        urlencode({**body, f"{field}-{answer_id}": value}),
        content_type=SCRIPT_BODY,
        headers={"accept": "application/json", "x-csrftoken": _csrf(client)},
    )


def _saved_version(response) -> int:
    assert response.status_code == 200, response.content[:300]
    return response.json()["version"]


def _complete_form(assessment_id: int, **extra: object) -> dict[str, list[object]]:
    """Every answer met, the figures and the minutes: what makes an assessment submittable."""
    from certification.models import Answer

    pairs: list[tuple[str, object]] = [
        (f"value-{pk}", "met")
        for pk in Answer.objects.filter(assessment_id=assessment_id)
        .exclude(criterion__answer_type__in=["derived", "group"])
        .values_list("pk", flat=True)
    ]
    pairs += [("crime_count", 0), ("social_evil_count", 0), ("violation_count", 0)]
    pairs += [
        ("meeting_date", time.strftime("%Y-%m-%d")),
        ("meeting_chair", "Trưởng khu dân cư"),
        ("attendee-name", "Nguyễn Văn An"),
        ("attendee-role", "Trưởng khu dân cư (chủ trì)"),
        *extra.items(),
    ]
    form: dict[str, list[object]] = {}
    for key, value in pairs:
        form.setdefault(key, []).append(value)
    return form


def _summary(rows: list[dict]) -> dict:
    totals = [r["web"] + r["db"] for r in rows if r["db"] is not None]
    return {
        "n": len(rows),
        "cpu_ms": round(statistics.median(totals), 2) if totals else None,
        "web_ms": round(statistics.median(r["web"] for r in rows), 2),
        "db_ms": round(statistics.median(r["db"] for r in rows if r["db"] is not None), 2)
        if totals
        else None,
        "cpu_p90_ms": round(sorted(totals)[int(0.9 * (len(totals) - 1))], 2) if totals else None,
        "queries": sorted({r["q"] for r in rows}),
        "requests_by_queries": {
            str(q): sum(r["q"] == q for r in rows) for q in sorted({r["q"] for r in rows})
        },
    }


def _caches() -> dict:
    """The caches as production has them (``CACHE_URL``: Redis, which the identity cache of
    sessions, users and roles needs): bench/run leaves ``CACHE_URL`` unset, so the Redis it started
    for Celery (another database number) stands in for it, for both caches as with ``CACHE_URL``
    (round 9: the default one too; in memory it holds 300 entries, fewer than the pages and
    fragments kept by the officers of a run, and culled a third of them at random moments)."""
    from django.conf import settings

    from antt.database.cache import RedisCache

    caches = dict(settings.CACHES)
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if caches["identity"]["BACKEND"].endswith("DummyCache") and broker.startswith("redis://"):
        url = broker.rsplit("/", 1)[0] + "/3"
        for name in ("default", "identity"):
            caches[name] = {
                **caches[name],
                "BACKEND": f"{RedisCache.__module__}.{RedisCache.__qualname__}",  # settings' with CACHE_URL
                "LOCATION": url,
            }
    return caches


def measure(year: int, *, rounds: int = 40, submissions: int = 30) -> dict:
    from django.contrib.auth import get_user_model

    from bench.fixtures import load_officers, reset_load_assessments
    from certification.models import Answer, Assessment

    # Officers of the load test (bench.fixtures.load_officers: next year's open campaign, one draft
    # assessment of a residential area each): the first reloads and saves, the others submit.
    accounts = load_officers(submissions + 4 + rounds, prefix="bench-cpu", from_last=True)
    reset_load_assessments([a.assessment_id for a in accounts])
    User = get_user_model()
    # main reloads its form and its home page (its history stays as it is: the form lists it),
    # saver saves, other (of another commune) checks the query counts, submitters submit, each of
    # the missers saves an answer and views both pages once.
    main, saver, other = accounts[0], accounts[1], accounts[submissions + 2]
    submitters, missers = accounts[2 : submissions + 2], accounts[submissions + 3 : submissions + 3 + rounds]
    historian = accounts[submissions + 3 + rounds]
    _long_history(historian, User)
    counter = QueryCounter()
    samples: dict[str, list[dict]] = {}
    variants: dict[str, dict[str, list[int]]] = {}

    caches = _caches()
    with (
        override_settings(ROOT_URLCONF="bench.cpu_urls", CACHES=caches),
        connection.execute_wrapper(counter),
    ):
        from django.core.cache import cache

        cache.clear()  # nothing kept by an earlier run (the same Redis database)
        client = Client(enforce_csrf_checks=True)
        client.force_login(User.objects.get(username=main.username))
        form_url = f"/assessments/{main.assessment_id}/"
        saver_client = Client(enforce_csrf_checks=True)
        saver_client.force_login(User.objects.get(username=saver.username))
        save_url = f"/assessments/{saver.assessment_id}/"
        answer_ids = list(
            Answer.objects.filter(assessment_id=saver.assessment_id, criterion__answer_type="boolean")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        other_client = Client(enforce_csrf_checks=True)
        other_client.force_login(User.objects.get(username=other.username))
        other_form = f"/assessments/{other.assessment_id}/"
        for c, url in (
            (client, "/__bench/bare/"),
            (client, form_url),
            (client, "/"),
            (other_client, "/"),
            (other_client, other_form),
            (saver_client, save_url),
        ):
            for _ in range(3):  # warm-up: templates, translations, connection
                c.get(url)
        version = _version(saver_client, save_url)
        sub_clients = []
        for account in submitters:
            c = Client(enforce_csrf_checks=True)
            c.force_login(User.objects.get(username=account.username))
            url = f"/assessments/{account.assessment_id}/"
            c.get(url)
            form = _complete_form(
                account.assessment_id, csrfmiddlewaretoken=_csrf(c), version=_version(c, url)
            )
            response = c.post(url + "save/", form)
            assert response.status_code == 302, response.status_code
            sub_clients.append((c, url, _version(c, url)))
        miss_clients = []
        for account in missers:
            c = Client(enforce_csrf_checks=True)
            c.force_login(User.objects.get(username=account.username))
            url = f"/assessments/{account.assessment_id}/"
            c.get("/")
            answer_id = (
                Answer.objects.filter(assessment_id=account.assessment_id, criterion__answer_type="boolean")
                .order_by("pk")
                .values_list("pk", flat=True)[0]
            )
            miss_clients.append((c, url, _version(c, url), answer_id))
        history_client = Client(enforce_csrf_checks=True)
        history_client.force_login(User.objects.get(username=historian.username))
        history_url = f"/assessments/{historian.assessment_id}/"
        history_answer = (
            Answer.objects.filter(assessment_id=historian.assessment_id, criterion__answer_type="boolean")
            .order_by("pk")
            .values_list("pk", flat=True)[0]
        )
        history_version = _version(history_client, history_url)
        # The set-up's writes (the submitters' saves) changed what the officer's pages show: view
        # them once, so that the rounds measure reloads (round 9: the pages are kept whole).
        client.get(form_url)
        client.get("/")

        loadavg_start = os.getloadavg()
        for i in range(rounds):
            with measured(samples, "bare", counter):
                client.get("/__bench/bare/")
            with measured(samples, "form", counter):
                response = client.get(form_url)
            assert response.status_code == 200, response.status_code
            answer_id = answer_ids[i % min(3, len(answer_ids))]
            value = "met" if (i // 3) % 2 == 0 else "not_met"
            with measured(samples, "save", counter):
                response = _script_save(saver_client, save_url, version, answer_id, "value", value)
            version = _saved_version(response)
            with measured(samples, "home", counter):
                response = client.get("/")
            assert response.status_code == 200, response.status_code
            c, url, v, answer_id = miss_clients[i]
            # The officer's own change: both pages show it.
            _saved_version(_script_save(c, url, v, answer_id, "value", "met"))
            with measured(samples, "form_miss", counter):
                response = c.get(url)
            assert response.status_code == 200, response.status_code
            with measured(samples, "home_miss", counter):
                response = c.get("/")
            assert response.status_code == 200, response.status_code
            history_version = _saved_version(
                _script_save(
                    history_client, history_url, history_version, history_answer, "note", f"Ghi chú {i}"
                )
            )
            with measured(samples, "form_history", counter):
                response = history_client.get(history_url)
            assert response.status_code == 200, response.status_code
            if i < len(sub_clients):
                c, url, v = sub_clients[i]
                with measured(samples, "submit", counter):
                    response = c.post(url + "submit/", {"csrfmiddlewaretoken": _csrf(c), "version": v})
                assert response.status_code == 302, response.status_code
                assert Assessment.objects.get(pk=submitters[i].assessment_id).status == "submitted"
            # The same pages for an officer of another commune: queries must not change.
            if i < 3:
                for kind, url in (("home", "/"), ("form", other_form)):
                    counter.count = 0
                    other_client.get(url)
                    variants.setdefault(kind, {}).setdefault("officer of another commune", []).append(
                        counter.count
                    )
        loadavg_end = os.getloadavg()
    reset_load_assessments([a.assessment_id for a in accounts])

    rows = {kind: {"label": KINDS[kind], **_summary(samples[kind])} for kind in KINDS if kind in samples}
    bare = rows["bare"]["cpu_ms"]
    for kind, row in rows.items():
        row["ratio"] = round(row["cpu_ms"] / bare, 2) if bare and row["cpu_ms"] is not None else None
        row["met"] = kind == "bare" or (
            row["ratio"] is not None and row["ratio"] <= AIM_RATIO and row["cpu_ms"] <= AIM_MS
        )
    problems = [
        f"{kind}: queries vary between requests {row['queries']}"
        for kind, row in rows.items()
        if len(row["queries"]) > 1
    ]
    for kind, by_variant in variants.items():
        for variant, counts in by_variant.items():
            if set(counts) != set(rows[kind]["queries"]):
                problems.append(
                    f"{kind}: {rows[kind]['queries']} queries, {sorted(set(counts))} for the {variant}"
                )
    result = {
        "rows": rows,
        "loadavg_start": [round(x, 2) for x in loadavg_start],
        "loadavg_end": [round(x, 2) for x in loadavg_end],
        "rounds": rounds,
        "identity_cache": caches["identity"]["BACKEND"].rsplit(".", 1)[1],
        "default_cache": caches["default"]["BACKEND"].rsplit(".", 1)[1],
        "aim": {"ratio": AIM_RATIO, "cpu_ms": AIM_MS},
        "before": _before(),
    }
    if problems:
        result["error"] = "queries per request not constant: " + "; ".join(problems)
    return result


def _long_history(account, User) -> None:
    """Give the assessment of ``account`` at least ``LONG_HISTORY`` changes, through the entry
    service (one note saved per change; the events stay in the data set: once per data set)."""
    from certification.models import Answer, Assessment, AuditEvent
    from certification.services.entry import save_answers

    user = User.objects.get(username=account.username)
    answer_id = (
        Answer.objects.filter(assessment_id=account.assessment_id, criterion__answer_type="boolean")
        .order_by("pk")
        .values_list("pk", flat=True)[0]
    )
    events = AuditEvent.objects.filter(assessment_id=account.assessment_id).exclude(action="version")
    for i in range(max(0, LONG_HISTORY - events.count())):
        assessment = Assessment.objects.get(pk=account.assessment_id)
        save_answers(
            assessment=assessment,
            by=user,
            expected_version=assessment.version,
            changes_by_answer={answer_id: {"note": f"Ghi chú trước {i}"}},
        )


BEFORE = Path(__file__).with_name("cpu_before.json")


def _before() -> dict:
    """The figures of the base commit measured the same way on this machine (kept in git)."""
    import json

    return json.loads(BEFORE.read_text()) if BEFORE.exists() else {}


def main() -> None:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    result = measure(args.year, rounds=args.rounds, submissions=args.submissions)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
