"""Faults: a worker killed half-way through scoring or printing, Redis stopped, PostgreSQL
restarted. Real processes: Celery workers, redis-server, a PostgreSQL cluster and gunicorn.

Also covered elsewhere, not repeated: a print whose chunk fails midway leaves no partial file and
a rerun completes (tests/certification/documents/test_print_jobs.py, in-process); a redelivered
scoring chunk does nothing (tests/certification/scoring/test_runs.py); a task sent while the
worker is down runs once it is back (tests/test_celery_worker.py).
"""

from __future__ import annotations

import datetime
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from antt import health
from antt.celery import app
from certification.documents import printing as print_jobs
from certification.models import Answer, Assessment, PrintJob, Registration, Result, ScoringRun
from certification.services import transitions
from certification.services.printing import start_print_job
from certification.tasks.printing import resume_stalled_print_jobs_task
from certification.tasks.scoring import rescore_unit_task, resume_stalled_runs_task, score_campaign_task
from tests.builders import (
    KDC_LEAVES,
    decision_fields,
    make_campaign,
    make_test_sets,
    make_user,
    result_rows,
)
from tests.plugins.services import celery_app_using
from tests.security.world import build_small_world
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
ROOT = Path(__file__).resolve().parents[2]
BANNER_VI = "Các tác vụ nền (tính kết quả, in, gửi thư) đang bị chậm"

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- a worker killed while scoring ------------------------------------------------------------


def scored_province(communes: int = 10, areas: int = 2):
    """A province of ``communes`` communes with ``areas`` residential areas each, all submitted,
    one criterion in three not met (so outcomes and XA-4 roll-ups differ)."""
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    kdc, xa = make_test_sets()
    year = timezone.localdate().year
    campaign = make_campaign(province, year, [kdc, xa], entry_end=timezone.localdate())
    leaves = list(kdc.criteria.filter(code__in=KDC_LEAVES).order_by("order"))
    n = 0
    for c in range(communes):
        commune = Unit.objects.create(
            code=f"C{c:02d}", name=f"Xã số {c}", label="Xã", kind=Unit.Kind.COMMUNE, parent=province
        )
        for a in range(areas):
            n += 1
            unit = Unit.objects.create(
                code=f"C{c:02d}-{a}",
                name=f"Thôn {c}-{a}",
                kind=Unit.Kind.RESIDENTIAL_AREA,
                parent=commune,
                household_count=100,
            )
            Registration.objects.create(
                campaign=campaign,
                unit=unit,
                registered_on=datetime.date(year, 3, 1),
                households_total=100,
                households_registered=90 + a,
            )
            assessment = Assessment.objects.create(
                campaign=campaign,
                unit=unit,
                criteria_set=kdc,
                status=Assessment.Status.SUBMITTED,
                crime_count=n % 3,
                social_evil_count=0,
                violation_count=1,
            )
            Answer.objects.bulk_create(
                Answer(
                    assessment=assessment,
                    criterion=criterion,
                    value="not_met" if (n + i) % 7 == 0 else "met",
                )
                for i, criterion in enumerate(leaves)
            )
    return campaign


def results_snapshot(campaign) -> list[tuple]:
    return result_rows(campaign, "unit__code")


def slow_worker(worker, *tasks: str, delay: float) -> None:
    worker.kill()
    worker.env.update(
        DJANGO_SETTINGS_MODULE="tests.security.slow_worker_settings",
        ANTT_TEST_SLOW_TASKS=",".join(tasks),
        ANTT_TEST_TASK_DELAY=str(delay),
    )
    worker.start()


def normal_worker(worker) -> None:
    worker.env["DJANGO_SETTINGS_MODULE"] = "antt.settings"
    worker.start()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_scoring_is_resumed_and_the_results_equal_a_clean_rerun(
    celery_worker, record_property
):
    campaign = scored_province()
    slow_worker(celery_worker, "score_chunk_task", delay=0.6)
    run = ScoringRun.objects.create(campaign=campaign, trigger="cli", chunk_size=1)
    score_campaign_task.delay(run.pk)

    def some_done():
        run.refresh_from_db()
        return run.chunks_total and 3 <= run.chunks_done < run.chunks_total

    wait_for(some_done, 90, "a few chunks")
    celery_worker.kill()
    run.refresh_from_db()
    done_at_kill, total = run.chunks_done, run.chunks_total
    assert run.status == ScoringRun.Status.RUNNING and done_at_kill < total
    # Whole chunks or nothing: the units counted are exactly those of the chunks marked done.
    assert run.done == sum(c.unit_count for c in run.chunks.exclude(done_at=None))

    requeued = celery_worker.requeue_unacked()
    normal_worker(celery_worker)
    # Beat's watchdog tick: a chunk message taken by the killed worker before Redis recorded it
    # as unacknowledged is gone for good; the unfinished chunks are sent again (idempotent).
    resume_stalled_runs_task(idle_seconds=0)
    wait_for(
        lambda: ScoringRun.objects.get(pk=run.pk).status == ScoringRun.Status.DONE, 90, "the run to finish"
    )
    run.refresh_from_db()
    assert (run.chunks_done, run.done) == (total, run.total)
    after_kill = results_snapshot(campaign)
    assert len(after_kill) == 1 + 10 + 20  # the province, its communes, their areas

    clean = services_rerun(campaign)
    assert clean.status == ScoringRun.Status.DONE
    assert results_snapshot(campaign) == after_kill
    record_property("chunks_done_at_kill", f"{done_at_kill}/{total}, {requeued} requeued")
    print(
        f"\nscoring: killed at {done_at_kill}/{total} chunks, {requeued} messages requeued; rerun identical"
    )


def services_rerun(campaign) -> ScoringRun:
    from certification.services.scoring import start_scoring_run

    run = start_scoring_run(campaign=campaign, trigger="cli")
    wait_for(
        lambda: (
            ScoringRun.objects.get(pk=run.pk).status in (ScoringRun.Status.DONE, ScoringRun.Status.FAILED)
        ),
        90,
        "the clean rerun",
    )
    run.refresh_from_db()
    return run


# --- a worker killed while printing -----------------------------------------------------------


def recognized_decision(count: int):
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    commune = Unit.objects.create(
        code="18823", name="Vũng Áng", label="Phường", kind=Unit.Kind.COMMUNE, parent=province
    )
    kdc, xa = make_test_sets()
    campaign = make_campaign(province, timezone.localdate().year, [kdc, xa], entry_end=timezone.localdate())
    approver = make_user("approver", Role.APPROVER, commune)
    assessments = []
    for i in range(count):
        unit = Unit.objects.create(
            code=f"18823-{i:02d}", name=f"Tổ dân phố {i + 1}", kind=Unit.Kind.RESIDENTIAL_AREA, parent=commune
        )
        a = Assessment.objects.create(
            campaign=campaign, unit=unit, criteria_set=kdc, status=Assessment.Status.APPRAISED
        )
        Answer.objects.bulk_create(
            Answer(assessment=a, criterion=c, value="met") for c in kdc.criteria.filter(code__in=KDC_LEAVES)
        )
        assessments.append(a)
    decision = transitions.recognize(assessments=assessments, by=approver, **decision_fields(commune))
    return decision, approver


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_printing_leaves_no_half_written_file_and_the_rerun_completes(
    celery_worker, monkeypatch, record_property
):
    media = Path(settings.MEDIA_ROOT)
    decision, approver = recognized_decision(8)
    monkeypatch.setattr(print_jobs, "CHUNK_SIZE", 2)  # the plan is made here; the worker follows it
    slow_worker(celery_worker, "render_chunk_task", delay=1.0)
    job = start_print_job(decision=decision, by=approver)
    chunks = media / "print" / "chunks"
    wait_for(lambda: chunks.is_dir() and len(list(chunks.glob("*.pdf"))) >= 1, 120, "a first chunk")
    celery_worker.kill()

    job.refresh_from_db()
    assert job.status != PrintJob.Status.DONE and not job.pdf and not job.zip
    assert not list(media.rglob("giay-cong-nhan-*"))  # neither the merged PDF nor the zip exists
    finished = list(chunks.glob("*.pdf"))
    for chunk in finished:  # every file under its final name is complete
        assert pdf_pages(chunk) == 2
    leftovers = [p.name for p in media.rglob("*.tmp")]  # a killed writer's temporary file (never read)

    requeued = celery_worker.requeue_unacked()
    normal_worker(celery_worker)
    # Beat's watchdog tick: a chunk message taken by the killed worker before Redis recorded it
    # as unacknowledged is gone for good; the unfinished chunks are sent again (idempotent).
    resume_stalled_print_jobs_task(idle_seconds=0)
    wait_for(
        lambda: PrintJob.objects.get(pk=job.pk).status in (PrintJob.Status.DONE, PrintJob.Status.FAILED),
        120,
        "the print job",
    )
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE, (job.error, celery_worker.log_tail())
    assert pdf_pages(media / job.pdf.name) == 8
    # The zip of single PDFs follows the merged PDF in its own task.
    wait_for(lambda: PrintJob.objects.get(pk=job.pk).zip, 120, "the zip of single PDFs")
    job.refresh_from_db()
    import zipfile

    with zipfile.ZipFile(media / job.zip.name) as archive:
        names = archive.namelist()
        assert len(names) == 8 and all(archive.read(n).startswith(b"%PDF-") for n in names)
    record_property(
        "print_kill", f"{len(finished)}/4 chunks at kill, {requeued} requeued, tmp left: {leftovers}"
    )
    print(
        f"\nprinting: killed with {len(finished)}/4 chunks, {requeued} requeued, stray tmp files: {leftovers}"
    )


# --- Redis stopped ------------------------------------------------------------------------------


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of our own on a free port, that the test may stop and start again."""
    port = free_port()
    pidfile = tmp_path / "redis.pid"

    def start():
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(pidfile),
                "--dir",
                str(tmp_path),
                "--logfile",
                str(tmp_path / "redis.log"),
            ],
            check=True,
        )
        wait_for(lambda: _redis_ping(port), 10, "redis-server")

    def stop():
        pid = int(pidfile.read_text())
        os.kill(pid, 15)
        wait_for(lambda: not _redis_ping(port), 10, "redis-server to stop")
        wait_for(lambda: not pidfile.exists(), 10, "redis-server to exit")

    start()

    class Handle:
        url = f"redis://127.0.0.1:{port}/0"

    handle = Handle()
    handle.start, handle.stop = start, stop
    yield handle
    if pidfile.exists():
        stop()


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_pages_and_saves_still_work_and_a_vietnamese_banner_says_work_is_delayed(
    own_redis, client, settings, record_property
):
    world = build_small_world()
    side = world.sides["in"]
    settings.CELERY_BROKER_URL = own_redis.url
    client.force_login(side.member)
    cache.clear()
    with celery_app_using(app, own_redis.url):
        page = client.get(reverse("home"))
        assert page.status_code == 200 and BANNER_VI not in page.content.decode()

        own_redis.stop()
        # The saved answer queues a rescore after commit: the send fails, the page does not.
        assessment = Assessment.objects.get(pk=side.draft.pk)
        answer = assessment.answers.get(criterion__code="KDC-1")
        started = time.monotonic()
        saved = client.post(
            reverse("certification:assessment-save", args=[assessment.pk]),
            {"version": assessment.version, "only": answer.pk, f"value-{answer.pk}": "met"},
            HTTP_ACCEPT="application/json",
        )
        first_save = time.monotonic() - started
        assert saved.status_code == 200, saved.content
        answer.refresh_from_db()
        assert answer.value == "met"
        # The rescore ran in the web process instead: the result is up to date.
        assert Result.objects.filter(unit=side.draft.unit, campaign=side.campaign).exists()

        timings = []
        for name, kwargs in (("home", {}), ("certification:assessment-detail", {"pk": assessment.pk})):
            started = time.monotonic()
            response = client.get(reverse(name, kwargs=kwargs))
            timings.append(time.monotonic() - started)
            assert response.status_code == 200
            assert BANNER_VI in response.content.decode(), name
        assert client.get(reverse("healthz")).status_code == 503
        assert max(timings) < 2

        # Redis back: the banner goes once the cached state expires, and sending works again
        # without restarting anything.
        own_redis.start()
        cache.clear()
        health.forget_broker_state()  # and what this process read of it (BROKER_LOCAL_SECONDS)
        assert BANNER_VI not in client.get(reverse("home")).content.decode()
        assert rescore_unit_task.delay(side.draft.unit_id, side.campaign.pk) is not None
    record_property("redis_down", f"first save {first_save:.2f} s, pages {max(timings):.2f} s")
    print(f"\nRedis down: first save {first_save:.2f} s (send gives up), later pages ≤ {max(timings):.2f} s")


# --- PostgreSQL restarted -------------------------------------------------------------------------


def _pg_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are not installed")


def _as_owner(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


class Cluster:
    """A throwaway PostgreSQL cluster (as scripts/test makes one)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="antt-pg-", dir=os.environ.get("ANTT_TEST_RUN_DIR")))
        self.dir.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.bin, self.port, self.data = _pg_bin(), free_port(), self.dir / "data"
        _as_owner(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-N",
            ]
        )

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        _as_owner(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.dir / "log"),
                "-w",
                "-o",
                options,
                *args,
            ]
        )

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/antt"

    def remove(self) -> None:
        try:
            self.ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Browser:
    """urllib with cookies and Django's CSRF token: enough to log in and read pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, username: str, password: str) -> int:
        self.get("/login/")
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        request = urllib.request.Request(
            self.base + "/login/", data=data.encode(), headers={"Referer": self.base}
        )
        with self.opener.open(request, timeout=30) as response:
            return response.status


@pytest.mark.django_db
def test_after_a_postgresql_restart_the_running_app_serves_the_next_request(tmp_path, record_property):
    cluster = Cluster()
    server = None
    try:
        cluster.ctl("start")
        _as_owner(
            [
                str(cluster.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                "antt",
            ]
        )
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "CELERY_", "PG"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="antt.settings",
            DATABASE_URL=cluster.url(),
            ANTT_VAR_DIR=str(tmp_path),
            SECRET_KEY="x" * 60,
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1",
        )
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=600
        )
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from django.contrib.auth.models import User; "
                "User.objects.create_superuser('root', 'root@example.vn', 'Mat-khau-rat-dai-2026')",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "antt.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--threads",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "gunicorn.log").open("w"),
        )
        browser = Browser(f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(port), 60, "gunicorn")
        assert browser.login("root", "Mat-khau-rat-dai-2026") == 200  # followed the redirect home
        assert browser.get("/")[0] == 200

        started = time.monotonic()
        cluster.ctl("-m", "fast", "restart")
        restart = time.monotonic() - started
        statuses = [browser.get("/")[0], browser.get("/units/")[0], browser.get("/healthz")[0]]
        assert statuses == [200, 200, 200], (tmp_path / "gunicorn.log").read_text()[-3000:]
        assert server.poll() is None  # the same process: nothing was restarted
        record_property("pg_restart", f"restart {restart:.1f} s, next requests {statuses}")
        print(f"\nPostgreSQL restarted in {restart:.1f} s; next requests: {statuses}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        cluster.remove()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_the_login_form_field_names_used_by_the_restart_test_exist():
    template = (ROOT / "templates" / "registration" / "login.html").read_text()
    assert re.search(r'name="username"', template) and re.search(r'name="password"', template)
