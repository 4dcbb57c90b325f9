"""Benchmark fixtures in the benchmark database (never in the test or demo database).

* :func:`bench_users` — a national administrator, a province leader (viewer) and a commune
  officer, for the page measurements;
* :func:`bench_decision` — an issued recognition decision with ``n`` certificates (rows with a
  real snapshot, built by ``certification.documents.certificates.build_snapshot``), for real print jobs;
* :func:`load_officers` — ``n`` officer accounts on different communes, each with an assessment
  started through ``certification.services.entry.start_assessment`` in a campaign whose entry is open,
  reset to an empty draft before every load run.

Everything is idempotent: a second call finds and returns what the first one made. Names start
with ``bench-`` so nothing is mistaken for real data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from certification.models import Answer, Assessment, Campaign, Certificate, Decision
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
PROVINCE_CODE = "79"  # Hồ Chí Minh City: in both the province and the national data set
BENCH_SYMBOL = "QĐ-BENCH"
LOAD_PASSWORD = "bench-officer-Pass-2026"


def bench_province() -> Unit:
    province = Unit.objects.filter(kind=Unit.Kind.PROVINCE, code=PROVINCE_CODE).first()
    if province is None:  # synthetic divisions: the largest province
        province = (
            Unit.objects.filter(kind=Unit.Kind.PROVINCE, valid_to__isnull=True)
            .annotate(n=Count("children"))
            .order_by("-n", "code")
            .first()
        )
    return province


def _user(username: str, *, role: str | None = None, unit: Unit | None = None, superuser: bool = False):
    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_superuser": superuser, "is_staff": superuser}
    )
    if role and unit:
        RoleAssignment.objects.get_or_create(user=user, unit=unit, role=role)
    return user


@dataclass
class BenchUsers:
    admin: object
    leader: object
    officer: object
    province: Unit
    commune: Unit
    year: int


def largest_commune(province: Unit) -> Unit:
    return (
        Unit.objects.filter(parent=province, kind=Unit.Kind.COMMUNE, valid_to__isnull=True)
        .annotate(n=Count("children"))
        .order_by("-n", "code")
        .first()
    )


def bench_users(year: int) -> BenchUsers:
    province = bench_province()
    commune = largest_commune(province)
    return BenchUsers(
        admin=_user("bench-admin", superuser=True),
        leader=_user("bench-leader", role=Role.VIEWER, unit=province),
        officer=_user("bench-officer", role=Role.OFFICER, unit=commune),
        province=province,
        commune=commune,
        year=year,
    )


# --- certificates -----------------------------------------------------------------------------


@transaction.atomic
def bench_decision(*, year: int, count: int, number: int) -> Decision:
    """An issued recognition decision of the bench province with ``count`` certificates (one per
    assessment of that year's campaign, in unit code order). Statuses of the assessments are
    left alone: these rows exist only to feed the printing pipeline real data."""
    from certification.documents.certificates import _ancestors, _decision_part, build_snapshot

    province = bench_province()
    campaign = Campaign.objects.get(year=year, province=province)
    decision, _created = Decision.objects.get_or_create(
        issuer=province,
        year=year,
        number=number,
        defaults={
            "campaign": campaign,
            "kind": Decision.Kind.RECOGNITION,
            "status": Decision.Status.ISSUED,
            "symbol": BENCH_SYMBOL,
            "place": "Thành phố Hồ Chí Minh",
            "issued_on": datetime.date(year, 11, 18),
            "signer_title": "Chủ tịch",
            "signer_name": "Nguyễn Văn Bình",
            "signed_for": "TM.",
        },
    )
    have = decision.certificates.count()
    if have >= count:
        return decision
    assessments = list(
        Assessment.objects.filter(campaign=campaign, unit__kind=Unit.Kind.RESIDENTIAL_AREA)
        .exclude(certificates__decision=decision)
        .select_related("unit")
        .order_by("unit__code")[: count - have]
    )
    ancestors = _ancestors([a.unit for a in assessments])
    shared = _decision_part(decision)
    Certificate.objects.bulk_create(
        Certificate(
            decision=decision,
            assessment=a,
            unit=a.unit,
            year=year,
            register_number=have + i + 1,
            snapshot=build_snapshot(
                decision=decision,
                unit=a.unit,
                register_number=have + i + 1,
                ancestors=ancestors,
                shared=shared,
            ),
        )
        for i, a in enumerate(assessments)
    )
    return decision


# --- load-test officers -----------------------------------------------------------------------


@dataclass
class LoadAccount:
    username: str
    password: str
    assessment_id: int


def load_campaign_year() -> int:
    """A year whose assessment period is under way today, so entry is open."""
    today = timezone.localdate()
    # Residential period: 1/11 of N-1 to 31/10 of N.
    return today.year + 1 if (today.month, today.day) >= (11, 1) else today.year


def _load_communes(n: int) -> list[Unit]:
    """``n`` communes with residential areas, spread over provinces (round-robin), so officers
    work in different communes; with fewer communes than officers some get two officers."""
    rows = list(
        Unit.objects.filter(
            kind=Unit.Kind.COMMUNE,
            valid_to__isnull=True,
            children__kind=Unit.Kind.RESIDENTIAL_AREA,
        )
        .exclude(code__startswith="L-")
        .distinct()
        .order_by("parent__code", "code")
        .values_list("pk", "parent_id")
    )
    by_province: dict[int, list[int]] = {}
    for pk, parent in rows:
        by_province.setdefault(parent, []).append(pk)
    order: list[int] = []
    queues = list(by_province.values())
    while queues and len(order) < n:
        for queue in queues:
            if queue and len(order) < n:
                order.append(queue.pop(0))
        queues = [q for q in queues if q]
    units = Unit.objects.in_bulk(order)
    communes = [units[pk] for pk in order]
    return [communes[i % len(communes)] for i in range(n)] if communes else []


def load_officers(n: int = 200, *, prefix: str = "bench-load", from_last: bool = False) -> list[LoadAccount]:
    """``n`` officers (``bench-load-001`` …), each with a draft assessment of its own residential
    area in an open campaign, every answer empty: the state at the start of a load run.
    ``from_last``: the communes' last areas (``bench/cpu.py``'s officers, so that its saves do not
    lengthen the history of the load test's assessments)."""
    from certification.services.campaigns import open_campaign
    from certification.services.entry import start_assessment

    year = load_campaign_year()
    password_hash = make_password(LOAD_PASSWORD)  # one PBKDF2 run, shared: setup stays fast
    accounts = []
    communes = _load_communes(n)
    taken: dict[int, int] = {}
    User = get_user_model()
    for i, commune in enumerate(communes, start=1):
        username = f"{prefix}-{i:03d}"
        user, created = User.objects.get_or_create(username=username, defaults={"password": password_hash})
        if not created and not user.check_password(LOAD_PASSWORD):
            user.password = password_hash
            user.save(update_fields=["password"])
        RoleAssignment.objects.get_or_create(user=user, unit=commune, role=Role.OFFICER)
        province = Unit.objects.get(pk=commune.parent_id)
        campaign = open_campaign(year=year, province=province)
        # The officer's own residential area: its commune's k-th one for the k-th officer there
        # (starting an assessment twice returns the same one).
        k = taken.get(commune.pk, 0)
        taken[commune.pk] = k + 1
        area = (
            Unit.objects.filter(parent=commune, kind=Unit.Kind.RESIDENTIAL_AREA, is_eligible=True)
            .order_by("-code" if from_last else "code")[k : k + 1]
            .get()
        )
        existing = start_assessment(campaign=campaign, unit=area, by=user).pk
        accounts.append(LoadAccount(username, LOAD_PASSWORD, existing))
    reset_load_assessments([a.assessment_id for a in accounts])
    return accounts


@transaction.atomic
def reset_load_assessments(ids: list[int]) -> None:
    """Back to an empty draft (bench data only: bypasses the services and the audit trail on
    purpose, the audit events of earlier runs stay as they are)."""
    Assessment.objects.filter(pk__in=ids).update(
        status=Assessment.Status.DRAFT,
        submitted_at=None,
        crime_count=None,
        social_evil_count=None,
        violation_count=None,
        meeting_date=None,
        meeting_chair="",
        meeting_attendees=[],
        updated_at=timezone.now(),
    )
    Answer.objects.filter(Q(assessment_id__in=ids)).update(value="", note="", number=None, is_returned=False)
