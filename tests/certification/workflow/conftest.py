"""Workflow fixtures: a campaign with small criteria sets of our own (so tests do not depend on
the shipped TT 124 data), assessments in each state, and Excel helpers."""

import datetime
import io

import pytest
from django.utils import timezone

from certification.models import Assessment, Campaign, CriteriaSet, Criterion
from certification.models.criteria import UnitKind
from certification.services import entry, transitions

AT = Criterion.AnswerType


def _set(unit_kind: str, family: str, items: list[tuple]) -> CriteriaSet:
    criteria_set = CriteriaSet.objects.create(
        family=family,
        version=1,
        unit_kind=unit_kind,
        name=f"Test {family}",
        legal_basis="TT 124/2021/TT-BCA",
        year_from=2022,
        status=CriteriaSet.Status.PUBLISHED,
    )
    parents: dict[str, Criterion] = {}
    for order, (code, answer_type, na_allowed, parent) in enumerate(items):
        parents[code] = Criterion.objects.create(
            criteria_set=criteria_set,
            parent=parents.get(parent),
            code=code,
            text=f"Tiêu chí {code}",
            order=order,
            answer_type=answer_type,
            na_allowed=na_allowed,
        )
    return criteria_set


@pytest.fixture
def kdc_set(db) -> CriteriaSet:
    return _set(
        UnitKind.RESIDENTIAL_AREA,
        "test-kdc",
        [
            ("KDC-1", AT.BOOLEAN, False, None),
            ("KDC-3", AT.GROUP, False, None),
            ("KDC-3a", AT.BOOLEAN, False, "KDC-3"),
            ("KDC-3b", AT.BOOLEAN, True, "KDC-3"),
            ("KDC-4a", AT.COMPARISON, False, None),
            ("KDC-5", AT.BOOLEAN, False, None),
        ],
    )


@pytest.fixture
def xa_set(db) -> CriteriaSet:
    return _set(
        UnitKind.COMMUNE,
        "test-xa",
        [
            ("XA-1", AT.BOOLEAN, False, None),
            ("XA-3", AT.BOOLEAN, True, None),
            ("XA-4", AT.DERIVED, False, None),
        ],
    )


KDC_CODES = ["KDC-1", "KDC-3a", "KDC-3b", "KDC-4a", "KDC-5"]


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def make_campaign(province, year: int, sets, *, entry_end: datetime.date, status=Campaign.Status.OPEN):
    dates = Campaign.default_dates(year)
    dates.update(residential_period_end=entry_end, other_period_end=entry_end)
    campaign = Campaign.objects.create(year=year, province=province, status=status, **dates)
    campaign.criteria_sets.set(sets)
    return campaign


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


def fill(assessment: Assessment, by, *, value: str = "met") -> Assessment:
    assessment.refresh_from_db()
    return entry.save_answers(
        assessment=assessment,
        by=by,
        expected_version=assessment.version,
        changes={code: {"value": value} for code in KDC_CODES},
        figures={"crime_count": 1, "social_evil_count": 0, "violation_count": 2},
        dossier={
            "meeting_date": timezone.localdate(),
            "meeting_chair": "Nguyễn Văn An, Trưởng thôn",
            "meeting_attendees": [
                {"name": "Trần Thị Bình", "role": "Bí thư chi bộ"},
                {"name": "Lê Văn Cường", "role": "Công an xã"},
            ],
        },
    )


@pytest.fixture
def filled(draft, officer) -> Assessment:
    return fill(draft, officer)


@pytest.fixture
def submitted(filled, officer) -> Assessment:
    return transitions.submit_assessment(assessment=filled, by=officer)


@pytest.fixture
def appraised(submitted, appraiser) -> Assessment:
    return transitions.appraise_assessment(assessment=submitted, by=appraiser)


def decision_kwargs(issuer) -> dict:
    return {
        "issuer": issuer,
        "issued_on": timezone.localdate(),
        "signer_title": "Chủ tịch",
        "signer_name": "Phạm Văn Dũng",
        "place": "Vũng Áng",
    }


@pytest.fixture
def recognized(appraised, approver, commune) -> Assessment:
    transitions.recognize(assessments=[appraised], by=approver, **decision_kwargs(commune))
    appraised.refresh_from_db()
    return appraised


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
