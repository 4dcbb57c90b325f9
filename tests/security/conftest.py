"""Security fixtures: the mirrored two-province world (``tests.security.world``), media in a
temporary directory, and the Vietnamese catalogue compiled from every area's part (so messages
are checked in Vietnamese without waiting for the lead's merge)."""

import logging
import subprocess
from pathlib import Path

import pytest

from .world import World, build_small_world, build_world

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
