"""Builders that every test area shares (the fixtures of tests/plugins/domain.py, the workflow
and units conftests, the security world, the UI demo): places of Hà Tĩnh and Nghệ An, users
with a role, small criteria sets of our own (tests do not depend on the shipped TT 124 data),
campaigns, a filled-in assessment, the fields of a decision."""

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet
from django.utils import timezone

from certification.models import Answer, Assessment, Campaign, CriteriaSet, Criterion, Evidence, Result
from certification.models.criteria import UnitKind
from certification.services import entry, transitions
from units.models import RoleAssignment, Unit

AT = Criterion.AnswerType
PASSWORD = "correct-horse-42"

# (code, answer type, N/A allowed, parent code): a residential-area set and a commune set.
KDC = [
    ("KDC-1", AT.BOOLEAN, False, None),
    ("KDC-3", AT.GROUP, False, None),
    ("KDC-3a", AT.BOOLEAN, False, "KDC-3"),
    ("KDC-3b", AT.BOOLEAN, True, "KDC-3"),
    ("KDC-4a", AT.COMPARISON, False, None),
    ("KDC-5", AT.BOOLEAN, False, None),
]
KDC_LEAVES = ["KDC-1", "KDC-3a", "KDC-3b", "KDC-4a", "KDC-5"]
XA = [("XA-1", AT.BOOLEAN, False, None), ("XA-3", AT.BOOLEAN, True, None), ("XA-4", AT.DERIVED, False, None)]

# What a Result says of a unit, compared before and after a rerun, a crash, another path.
RESULT_COLUMNS = tuple(
    "outcome is_forecast points grade unmet_codes missing_codes explanation rollup".split()
)

PROVINCES = {"42": "Hà Tĩnh", "40": "Nghệ An"}
COMMUNES = {"18823": ("Vũng Áng", "Phường"), "18832": ("Kỳ Hoa", "Xã"), "17200": ("Diễn Châu", "Xã")}


def result_rows(campaign: Campaign, key: str, *more: str) -> list[tuple]:
    """The campaign's results ordered by ``key``: key, ``more``, RESULT_COLUMNS, input_hash."""
    rows = Result.objects.filter(campaign=campaign).order_by(key)
    return list(rows.values_list(key, *more, *RESULT_COLUMNS, "input_hash"))


def change_answers(answers: QuerySet[Answer], **fields) -> None:
    """Change answers behind the services' back, bumping their assessments' version as every
    service that changes an answer does (scoring knows an assessment's answers by its id and
    version: docs/scoring.md)."""
    assessment_ids = list(answers.values_list("assessment_id", flat=True).distinct())
    answers.update(**fields)
    Assessment.objects.filter(pk__in=assessment_ids).update(version=F("version") + 1)


def make_unit(code: str, name: str, kind: str, parent: Unit | None = None, label: str = "", **fields) -> Unit:
    """Any unit in one line: ``make_unit("18823-DN1", "Công ty TNHH Hải Phát", K.ENTERPRISE, commune)``."""
    return Unit.objects.create(code=code, name=name, label=label, kind=kind, parent=parent, **fields)


def make_legacy_district() -> tuple[Unit, Unit]:
    """Hà Tĩnh before the 2025 reform: its province (code L-42) and Thị xã Kỳ Anh (L-436) under it."""
    province = make_unit("L-42", "Hà Tĩnh", Unit.Kind.PROVINCE, label="Tỉnh")
    return province, make_unit("L-436", "Kỳ Anh", Unit.Kind.DISTRICT, province, label="Thị xã")


def make_province(code: str = "42") -> Unit:
    return Unit.objects.create(code=code, name=PROVINCES[code], label="Tỉnh", kind=Unit.Kind.PROVINCE)


def make_commune(province: Unit, code: str = "18823") -> Unit:
    name, label = COMMUNES[code]
    return Unit.objects.create(code=code, name=name, label=label, kind=Unit.Kind.COMMUNE, parent=province)


def make_areas(
    commune: Unit,
    count: int,
    *,
    name: str = "Tổ dân phố",
    code: str = "",
    label: str = "Tổ dân phố",
    households: Callable[[int], int | None] = lambda i: 100 + i,
) -> list[Unit]:
    """Residential areas 1..count: code ``<commune>-<code><i:02>``, name ``<name> <i>``."""
    return [
        Unit.objects.create(
            code=f"{commune.code}-{code}{i:02d}",
            name=f"{name} {i}",
            label=label,
            kind=Unit.Kind.RESIDENTIAL_AREA,
            parent=commune,
            household_count=households(i),
        )
        for i in range(1, count + 1)
    ]


def make_user(username: str, role: str | None = None, unit: Unit | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role and unit:
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


def make_set(
    unit_kind: str,
    family: str,
    items: list[tuple],
    *,
    province: Unit | None = None,
    status: str = CriteriaSet.Status.PUBLISHED,
) -> CriteriaSet:
    criteria_set = CriteriaSet.objects.create(
        family=family,
        version=1,
        unit_kind=unit_kind,
        name=f"Bộ tiêu chí {family}",
        legal_basis="Thông tư 124/2021/TT-BCA",
        year_from=2022,
        status=status,
        province=province,
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


def make_campaign(
    province: Unit, year: int, sets, *, entry_end: datetime.date, status: str = Campaign.Status.OPEN
) -> Campaign:
    dates = Campaign.default_dates(year)
    dates.update(residential_period_end=entry_end, other_period_end=entry_end)
    campaign = Campaign.objects.create(year=year, province=province, status=status, **dates)
    campaign.criteria_sets.set(sets)
    return campaign


def make_test_sets() -> list[CriteriaSet]:
    """The national test sets, published: residential areas (kdc-test, KDC) and communes (xa-test, XA)."""
    return [make_set(UnitKind.RESIDENTIAL_AREA, "kdc-test", KDC), make_set(UnitKind.COMMUNE, "xa-test", XA)]


def make_open_campaign(province: Unit, sets: list[CriteriaSet], *, days_left: int = 30) -> Campaign:
    """This year's campaign of ``province`` over ``sets``, entry open ``days_left`` more days."""
    today = timezone.localdate()
    return make_campaign(province, today.year, sets, entry_end=today + datetime.timedelta(days=days_left))


def fill(assessment: Assessment, by, *, value: str = "met") -> Assessment:
    """Every KDC leaf answered ``value``, the figures and the meeting minutes: ready to submit."""
    assessment.refresh_from_db()
    return entry.save_answers(
        assessment=assessment,
        by=by,
        expected_version=assessment.version,
        changes={code: {"value": value} for code in KDC_LEAVES},
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


def decision_fields(issuer: Unit, **overrides) -> dict:
    """What ``transitions.recognize`` asks of a decision besides the assessments, issued today."""
    fields = {
        "issuer": issuer,
        "issued_on": timezone.localdate(),
        "signer_title": "Chủ tịch",
        "signer_name": "Phạm Văn Dũng",
        "place": "Vũng Áng",
    }
    return fields | overrides


def recognized(appraised: Assessment, approver, issuer: Unit) -> Assessment:
    """``appraised`` recognized by ``approver`` in a decision of ``issuer`` issued today."""
    transitions.recognize(assessments=[appraised], by=approver, **decision_fields(issuer))
    appraised.refresh_from_db()
    return appraised


def attach_minutes(assessment: Assessment, token: str = "t-1", **fields) -> Evidence:
    """A one-byte PDF of meeting minutes attached to ``assessment`` (the row only)."""
    fields = {"original_name": "bien-ban-hop.pdf", "content_type": "application/pdf", "size": 1, **fields}
    return Evidence.objects.create(assessment=assessment, token=token, **fields)
