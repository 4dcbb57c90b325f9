"""Browser tests: Playwright's sync API drives Debian's chromium against pytest-django's
``live_server`` (transactional database, so every test builds its own world).

One browser per session, a fresh context (cookies, storage) per test, Vietnamese locale.
Assertions read the Vietnamese the user sees: the catalogue is compiled from
``locale/vi/parts/*.po`` at session start, so the tests follow the latest translations.
Tests must wait for what they trigger (e.g. "Đã lưu") before they end: the database is
flushed right after, under any request still running.
"""

import datetime
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.utils import timezone

from antt.accounts.sessions import SessionStore
from certification.data.tt124 import load_tt124_sets
from certification.models import Assessment, Campaign, CriteriaSet
from certification.selectors.criteria import answerable_criteria
from certification.services import entry, registration, transitions
from tests.browser.helpers import AccessibilityWatch, compile_catalog
from tests.builders import decision_fields

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


# --- browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install chromium; scripts/bootstrap --dev does it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API keeps an event loop running in this thread: the ORM calls of the
    # tests themselves (fixtures, services, assertions) would raise SynchronousOnlyOperation.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    # Pages of a busy 2-core machine running the suite in parallel can take a few seconds.
    sync_api.expect.set_options(timeout=15_000)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = launch_browser(playwright)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def new_context(browser, live_server):
    """``new_context(**options)`` → a fresh browser context on the live server (closed after the test).

    Every page of every context is checked with axe-core each time it loads (``AccessibilityWatch``):
    the test fails on any WCAG 2.1 A/AA violation of any page it visited."""
    contexts = []
    watches = []

    def make(**options):
        options = {
            "locale": "vi-VN",
            "base_url": live_server.url,
            "viewport": {"width": 1280, "height": 800},
        } | (options)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        watches.append(AccessibilityWatch(context))
        return context

    yield make
    problems = [problem for watch in watches for problem in watch.finish()]
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("accessibility (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def login(context, user, base_url: str) -> None:
    """Put a logged-in session for ``user`` into the browser context (the login form itself is
    exercised by the officer's journey)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}]
    )


@pytest.fixture
def page_as(new_context, live_server):
    """``page_as(user)`` → a new page in its own context, logged in as ``user``."""

    def make(user, **options):
        context = new_context(**options)
        login(context, user, live_server.url)
        return context.new_page()

    return make


# --- the Vietnamese catalogue ----------------------------------------------------------------


@pytest.fixture(scope="session")
def _vietnamese_catalog(tmp_path_factory) -> Path | None:
    return compile_catalog(tmp_path_factory.mktemp("locale"))


@pytest.fixture(autouse=True)
def _browser_settings(settings, tmp_path, _vietnamese_catalog):
    if _vietnamese_catalog is not None:
        settings.LOCALE_PATHS = [_vietnamese_catalog, *settings.LOCALE_PATHS]
    settings.LANGUAGE_CODE = "vi"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cache.clear()
    yield
    cache.clear()


# --- the world ------------------------------------------------------------------------------


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def campaign(province, today) -> Campaign:
    """This year's open campaign with the shipped TT 124 sets, entry open for another month.

    The live server's transactional tests flush the database after each test, which removes
    the sets migration 0004 loaded: load them again (a no-op when present)."""
    load_tt124_sets(apps)
    sets = {}
    for criteria_set in CriteriaSet.objects.filter(
        province__isnull=True, status=CriteriaSet.Status.PUBLISHED
    ):
        sets.setdefault(criteria_set.unit_kind, criteria_set)
    dates = Campaign.default_dates(today.year)
    end = today + datetime.timedelta(days=30)
    dates.update(residential_period_end=end, other_period_end=end, registration_deadline=end)
    campaign = Campaign.objects.create(
        year=today.year, province=province, status=Campaign.Status.OPEN, name=f"Năm {today.year}", **dates
    )
    campaign.criteria_sets.set(sets.values())
    return campaign


MINUTES = {
    "meeting_chair": "Nguyễn Văn An, Trưởng tổ dân phố",
    "meeting_attendees": [
        {"name": "Trần Thị Bình", "role": "Bí thư chi bộ"},
        {"name": "Lê Văn Cường", "role": "Đại diện Công an cấp cơ sở"},
    ],
}


def register(campaign: Campaign, unit, by, today: datetime.date) -> None:
    registration.register_unit(
        campaign=campaign,
        unit=unit,
        by=by,
        registered_on=today,
        households_total=unit.household_count or 100,
        households_registered=unit.household_count or 100,
    )


def filled_assessment(campaign: Campaign, unit, by, today: datetime.date) -> Assessment:
    """Registered, every criterion met, figures and minutes entered: ready to submit."""
    register(campaign, unit, by, today)
    assessment = entry.start_assessment(campaign=campaign, unit=unit, by=by)
    codes = [c.code for c in answerable_criteria(assessment.criteria_set)]
    return entry.save_answers(
        assessment=assessment,
        by=by,
        expected_version=assessment.version,
        changes={
            code: {"value": "met", "number": 100} if code == "KDC-1" else {"value": "met"} for code in codes
        },
        figures={"crime_count": 0, "social_evil_count": 0, "violation_count": 1},
        dossier={"meeting_date": today, **MINUTES},
    )


def submitted_assessment(campaign, unit, officer, today) -> Assessment:
    assessment = filled_assessment(campaign, unit, officer, today)
    return transitions.submit_assessment(assessment=assessment, by=officer)


def appraised_assessment(campaign, unit, officer, appraiser, today) -> Assessment:
    assessment = submitted_assessment(campaign, unit, officer, today)
    return transitions.appraise_assessment(assessment=assessment, by=appraiser)


def recognize(assessments, approver, issuer, today):
    fields = decision_fields(issuer, issued_on=today, place=issuer.name)
    return transitions.recognize(assessments=assessments, by=approver, **fields)
