"""Workflow fixtures: a campaign with small criteria sets of our own (so tests do not depend on
the shipped TT 124 data), assessments in each state, and Excel helpers."""

import datetime
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.utils import timezone

from antt.errors import WorkflowError
from certification.models import Assessment, Campaign, CriteriaSet
from certification.models.criteria import UnitKind
from certification.services import entry, transitions
from tests import builders
from tests.builders import KDC, XA, fill, make_campaign, make_set


@pytest.fixture
def kdc_set(db) -> CriteriaSet:
    return make_set(UnitKind.RESIDENTIAL_AREA, "test-kdc", KDC)


@pytest.fixture
def xa_set(db) -> CriteriaSet:
    return make_set(UnitKind.COMMUNE, "test-xa", XA)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def campaign(province, kdc_set, xa_set, today) -> Campaign:
    return make_campaign(
        province, today.year, [kdc_set, xa_set], entry_end=today + datetime.timedelta(days=30)
    )


@pytest.fixture
def other_campaign(other_province, kdc_set, xa_set, today) -> Campaign:
    return make_campaign(
        other_province, today.year, [kdc_set, xa_set], entry_end=today + datetime.timedelta(days=30)
    )


@pytest.fixture
def draft(campaign, area, officer) -> Assessment:
    return entry.start_assessment(campaign=campaign, unit=area, by=officer)


@pytest.fixture
def filled(draft, officer) -> Assessment:
    return fill(draft, officer)


@pytest.fixture
def submitted(filled, officer) -> Assessment:
    return transitions.submit_assessment(assessment=filled, by=officer)


@pytest.fixture
def appraised(submitted, appraiser) -> Assessment:
    return transitions.appraise_assessment(assessment=submitted, by=appraiser)


@pytest.fixture
def recognized(appraised, approver, commune) -> Assessment:
    return builders.recognized(appraised, approver, commune)


def snapshot(assessment: Assessment) -> tuple:
    """Everything a refused action must leave untouched."""
    from certification.models import AuditEvent, Decision, Evidence, Registration

    assessment.refresh_from_db()
    answers = tuple(
        assessment.answers.order_by("pk").values_list(
            "value", "appraised_value", "number", "note", "self_points", "is_returned", "return_reason"
        )
    )
    fields = tuple(
        getattr(assessment, f)
        for f in (
            "status",
            "version",
            "crime_count",
            "meeting_chair",
            "entry_exception_until",
            "decision_id",
            "return_reason",
            "revoke_reason",
        )
    )
    return (
        fields,
        answers,
        AuditEvent.objects.count(),
        Decision.objects.count(),
        Evidence.objects.count(),
        Registration.objects.count(),
    )


def save(assessment: Assessment, by, **fields) -> Assessment:
    """``entry.save_answers`` at the assessment's current version (``changes=``, ``figures=``, ``dossier=``)."""
    return entry.save_answers(assessment=assessment, by=by, expected_version=assessment.version, **fields)


@contextmanager
def refused(assessment: Assessment, match: str | None = None) -> Iterator[None]:
    """The block raises WorkflowError (matching ``match``) and leaves ``snapshot`` unchanged."""
    before = snapshot(assessment)
    with pytest.raises(WorkflowError, match=match):
        yield
    assert snapshot(assessment) == before


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def xlsx(rows: list[list], sheet: str = "Đánh giá") -> io.BytesIO:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.fixture(autouse=True)
def _english():
    """Assertions match the English msgids, whatever translations are compiled."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def as_user(client):
    """Log ``user`` in on the test client, pages in English (the tests read English messages)."""

    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return login
