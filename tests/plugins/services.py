"""Real services for integration tests: PostgreSQL, Redis and a Celery worker process.

``scripts/test`` starts a throwaway PostgreSQL cluster and Redis and exports ``DATABASE_URL``
and ``ANTT_TEST_REDIS_URL``. Without them (plain ``pytest`` on SQLite) tests marked
``integration`` are skipped, and ``pg_only`` tests too unless the database is PostgreSQL.
With ``ANTT_TEST_REQUIRE_SERVICES=1`` (set by ``scripts/test``) a missing service fails the
test instead: CI must never pass by skipping them.

Use::

    @pytest.mark.integration
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        assert some_task.delay(1).get(timeout=10) == ...
"""

from __future__ import annotations

import faulthandler
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # seconds; a loaded 2-core machine imports Django + WeasyPrint slowly


def _is_postgresql() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _missing_services(*, need_redis: bool) -> list[str]:
    missing = []
    if not _is_postgresql():
        missing.append("PostgreSQL (DATABASE_URL)")
    if need_redis and not os.environ.get("ANTT_TEST_REDIS_URL"):
        missing.append("Redis (ANTT_TEST_REDIS_URL)")
    return missing


def _skip_or_fail(missing: list[str]) -> None:
    message = f"needs {' and '.join(missing)}; scripts/test starts them"
    if os.environ.get("ANTT_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"integration services missing: {message}", pytrace=False)
    pytest.skip(message)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("integration"):
        missing = _missing_services(need_redis=True)
    elif item.get_closest_marker("pg_only"):
        missing = _missing_services(need_redis=False)
    else:
        return
    if missing:
        _skip_or_fail(missing)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """Fail a test that runs longer than ANTT_TEST_TIMEOUT seconds (default 600) instead of
    letting one hang eat the whole CI run; the stacks of every thread go to stderr first."""
    seconds = int(os.environ.get("ANTT_TEST_TIMEOUT", "600"))
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return (yield)

    def on_timeout(signum, frame):
        faulthandler.dump_traceback(all_threads=True)
        pytest.fail(f"{item.nodeid} took longer than {seconds} s (ANTT_TEST_TIMEOUT)", pytrace=True)

    previous = signal.signal(signal.SIGALRM, on_timeout)
    signal.alarm(seconds)
    try:
        return (yield)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # unset without xdist
    return int(worker.removeprefix("gw") or 0)


def _with_db(url: str, db: int) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{db}"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of a Redis database of its own for this xdist worker, empty before and after the test."""
    base = os.environ.get("ANTT_TEST_REDIS_URL")
    if not base:
        _skip_or_fail(["Redis (ANTT_TEST_REDIS_URL)"])
    import redis

    url = _with_db(base, 1 + _xdist_index())
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def _database_url() -> str:
    """URL of the test database this process uses (``test_antt`` plus the xdist suffix)."""
    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or ""
    if db.get("PORT"):
        host += f":{db['PORT']}"
    netloc = f"{credentials}@{host}" if credentials else host
    return f"postgres://{netloc}/{quote(db['NAME'], safe='')}"


class CeleryWorker:
    """A ``celery -A antt worker`` process in a process group of its own."""

    def __init__(self, *, env: dict[str, str], log_path: Path, app) -> None:
        self.env = env  # tests may change it before .start()
        self.log_path = log_path
        self.app = app
        self.process: subprocess.Popen | None = None
        self._run_dir = os.environ.get("ANTT_TEST_RUN_DIR")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> CeleryWorker:
        """Start the worker and return once it has answered an ``antt.ping`` task."""
        if self.alive:
            return self
        name = f"antt-test-{uuid.uuid4().hex[:8]}@%h"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "antt",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--queues=celery",
            "--loglevel=INFO",
            f"--hostname={name}",
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        if self._run_dir:  # scripts/test kills leftovers if pytest itself is killed
            self._pidfile().write_text(str(self.process.pid))
        self._wait_ready(timeout)
        return self

    def _pidfile(self) -> Path:
        return Path(self._run_dir) / f"celery-{self.process.pid}.pid"

    def _wait_ready(self, timeout: float) -> None:
        from celery.exceptions import TimeoutError as CeleryTimeout

        result = self.app.send_task("antt.ping", args=[41])
        deadline = time.monotonic() + timeout
        try:
            while True:
                if not self.alive:
                    raise RuntimeError(f"celery worker exited during start-up:\n{self.log_tail()}")
                try:
                    answer = result.get(timeout=0.25)
                except CeleryTimeout:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(
                            f"celery worker not ready after {timeout}s:\n{self.log_tail()}"
                        ) from None
                else:
                    if answer != 42:
                        raise RuntimeError(f"antt.ping answered {answer!r}")
                    return
        finally:
            result.forget()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as a crash or an OOM kill would."""
        if self.process is None:
            return
        self._signal(signal.SIGKILL)
        self.process.wait()
        self._forget()

    def stop(self, timeout: float = 10.0) -> None:
        """Warm shutdown (SIGTERM: finish running tasks), SIGKILL after ``timeout`` seconds."""
        if self.process is None:
            return
        if self.alive:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self._signal(signal.SIGKILL)  # pool children that outlived their parent
        self.process.wait()
        self._forget()

    def _forget(self) -> None:
        if self._run_dir:
            self._pidfile().unlink(missing_ok=True)

    def requeue_unacked(self) -> int:
        """Put messages a killed worker had taken (but not acknowledged) back on their queue now.

        Redis would redeliver them only after the visibility timeout (an hour). Call it between
        ``.kill()`` and ``.start()``: with a live worker it would duplicate its running tasks.
        Returns how many messages were put back.
        """
        with self.app.connection_for_write() as conn:
            channel = conn.default_channel
            qos = channel.qos
            with channel.conn_or_acquire() as client:
                tags = client.hkeys(qos.unacked_key)
                for tag in tags:
                    qos.restore_by_tag(tag.decode() if isinstance(tag, bytes) else tag, client)
        return len(tags)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


_APP_KEYS = ("broker_url", "result_backend", "task_always_eager")


def _reset_app_connections(app) -> None:
    """Drop the connections and result backend the app cached for its previous configuration."""
    from kombu import pools

    pools.reset()  # closes and forgets every cached broker connection and producer
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@contextmanager
def celery_app_using(app, url: str) -> Iterator[None]:
    """Make ``app`` send tasks to the broker at ``url`` (not eagerly) inside the block."""
    saved = {key: app.conf.changes[key] for key in _APP_KEYS if key in app.conf.changes}
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _reset_app_connections(app)
    try:
        yield
    finally:
        for key in _APP_KEYS:
            app.conf.changes.pop(key, None)
        app.conf.changes.update(saved)
        _reset_app_connections(app)


@pytest.fixture
def celery_worker(transactional_db, redis_url, settings, tmp_path) -> Iterator[CeleryWorker]:
    """A real worker bound to the test database and this xdist worker's Redis database.

    The Celery app of the test process sends to it (not eager) until the test ends.
    """
    if not _is_postgresql():
        _skip_or_fail(["PostgreSQL (DATABASE_URL)"])
    from celery.result import _set_task_join_will_block

    from antt.celery import app

    # Eager tasks run in threads by earlier tests can leave Celery's process-wide "inside a task"
    # flag set, and result.get() then refuses to wait for the real worker.
    _set_task_join_will_block(False)

    # PG* stay: libpq fills in what the URL leaves out (host, user) when settings came from them.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "PYTEST_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="antt.settings",
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SITE_BASE_URL=settings.SITE_BASE_URL,
        PYTHONUNBUFFERED="1",
    )
    settings.CELERY_BROKER_URL = redis_url  # what views and /healthz read
    settings.CELERY_RESULT_BACKEND = redis_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = CeleryWorker(env=env, log_path=tmp_path / "celery-worker.log", app=app)
    with celery_app_using(app, redis_url):
        try:
            worker.start()
            yield worker
        finally:
            worker.kill()  # the test is over: no need to wait for a warm shutdown
