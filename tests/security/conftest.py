"""Security fixtures: the mirrored two-province world (``tests.security.world``), media in a
temporary directory, and the Vietnamese catalogue compiled from every area's part (so messages
are checked in Vietnamese without waiting for the lead's merge)."""

import logging
import subprocess
from pathlib import Path

import pytest

from tests.security.world import World, build_small_world, build_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def _parts_catalog(tmp_path_factory) -> Path:
    locale_dir = tmp_path_factory.mktemp("locale")
    target = locale_dir / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    parts = sorted(str(p) for p in (ROOT / "locale" / "vi" / "parts").glob("*.po"))
    merged = target / "django.po"
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), *parts], check=True)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True)
    return locale_dir


@pytest.fixture(autouse=True)
def _vietnamese(settings, _parts_catalog, tmp_path):
    settings.LOCALE_PATHS = [_parts_catalog, *settings.LOCALE_PATHS]
    settings.LANGUAGE_CODE = "vi"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def quiet():
    """403s and 404s are expected by the hundred: do not log a traceback for each."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def small_world(db) -> World:
    return build_small_world()


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Celery's eager ``apply_async`` sets a process-wide "inside a task" flag and restores the
    value it found: with tasks run eagerly in many threads at once (the concurrency tests), the
    last restore can leave it set, and every later ``result.get()`` in this process (the
    ``celery_worker`` fixture's start-up ping) then fails with "Never call result.get() within
    a task". Reset it before (another suite may have left it) and after each test."""
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
    _set_task_join_will_block(False)
