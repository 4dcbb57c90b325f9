"""Fixtures for the UI tests: a campaign, assessments in any state, the Vietnamese catalogue."""

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache

from certification.models import Assessment, Campaign
from tests.ui.demo import make_assessment, make_campaign

ROOT = Path(__file__).resolve().parents[2]
Status = Assessment.Status


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English msgids; the ``vietnamese`` fixture switches back."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def campaign(province) -> Campaign:
    return make_campaign(province, 2026)


@pytest.fixture
def last_campaign(province) -> Campaign:
    campaign = make_campaign(province, 2025)
    campaign.status = Campaign.Status.CLOSED
    campaign.save(update_fields=["status"])
    return campaign


@pytest.fixture
def assess(campaign):
    """``assess(unit, status, **options)`` → an Assessment of the 2026 campaign (see demo.make_assessment)."""

    def make(unit, status=Status.DRAFT, *, in_campaign=None, days_ago: int = 0, **options) -> Assessment:
        when = None
        if days_ago:
            from django.utils import timezone

            when = timezone.now() - datetime.timedelta(days=days_ago)
        return make_assessment(in_campaign or campaign, unit, status, when=when, **options)

    return make


@pytest.fixture(scope="session")
def _ui_catalog_dir(tmp_path_factory) -> Path:
    """locale/vi/parts/ui.po compiled on its own, so these tests do not wait for the merged catalogue."""
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (gettext) is not installed")
    base = tmp_path_factory.mktemp("locale")
    target = base / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run(
        ["msgfmt", "--check", "-o", str(target / "django.mo"), str(ROOT / "locale/vi/parts/ui.po")],
        check=True,
    )
    return base


@pytest.fixture
def vietnamese(settings, _ui_catalog_dir):
    """Pages rendered with the UI translations first in line."""
    settings.LOCALE_PATHS = [_ui_catalog_dir, *settings.LOCALE_PATHS]
    settings.LANGUAGE_CODE = "vi"
    yield
