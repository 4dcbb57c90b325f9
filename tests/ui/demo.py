"""A deterministic demo province for the UI tests and for screenshots.

    ANTT_VAR_DIR=/tmp/antt-ui-var .venv/bin/python manage.py shell -c "from tests.ui.demo import build; build()"

Users (password ``demo-password-42``): officer, appraiser, approver, clerk (Phường Vũng Áng),
leader (viewer of the province), province_approver, colleague (officer of Xã Kỳ Hoa).
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from certification.models import Answer, Assessment, Campaign, CriteriaSet, Criterion, Registration, Result
from certification.models.criteria import UnitKind
from tests.builders import make_areas, make_unit
from units.models import RoleAssignment, Unit

LOWER_SECONDARY, MEDIUM = Unit.SchoolLevel.LOWER_SECONDARY, Unit.EnterpriseSize.MEDIUM

Role = RoleAssignment.Role
Status = Assessment.Status
PASSWORD = "demo-password-42"


def criteria_sets() -> dict[str, CriteriaSet]:
    """The national published set per UnitKind (loaded by migration 0004)."""
    sets = {}
    for s in (
        CriteriaSet.objects.filter(province__isnull=True)
        .exclude(status=CriteriaSet.Status.DRAFT)
        .order_by("unit_kind", "-version")
    ):
        sets.setdefault(s.unit_kind, s)
    return sets


def make_campaign(province: Unit, year: int) -> Campaign:
    campaign = Campaign.objects.create(
        province=province, year=year, name=f"Năm {year}", **Campaign.default_dates(year)
    )
    campaign.criteria_sets.set(criteria_sets().values())
    return campaign


def make_assessment(
    campaign: Campaign,
    unit: Unit,
    status: str,
    *,
    answered: float = 1.0,
    returned: int = 0,
    outcome: str | None = None,
    when: datetime.datetime | None = None,
) -> Assessment:
    """A registration, an assessment in ``status`` with ``answered`` share of its leaves answered,
    and optionally a Result with ``outcome`` (forecast unless decided)."""
    Registration.objects.get_or_create(
        campaign=campaign, unit=unit, defaults={"registered_on": campaign.registration_deadline}
    )
    criteria_set = campaign.criteria_set_for(unit.kind)
    when = when or timezone.now()
    assessment = Assessment.objects.create(
        campaign=campaign,
        unit=unit,
        criteria_set=criteria_set,
        status=status,
        meeting_date=campaign.residential_period_end if answered >= 1 else None,
        submitted_at=when if status != Status.DRAFT else None,
        appraised_at=when if status in (Status.APPRAISED, *Assessment.DECIDED_STATUSES) else None,
        decided_at=when if status in Assessment.DECIDED_STATUSES else None,
    )
    leaves = list(
        Criterion.objects.filter(criteria_set=criteria_set).exclude(
            answer_type__in=[Criterion.AnswerType.GROUP, Criterion.AnswerType.DERIVED]
        )
    )
    n = round(len(leaves) * answered)
    Answer.objects.bulk_create(
        Answer(
            assessment=assessment,
            criterion=c,
            value=Answer.Value.MET if i < n else "",
            is_returned=i < returned,
            return_reason="Thiếu biên bản" if i < returned else "",
        )
        for i, c in enumerate(leaves)
    )
    if outcome:
        Result.objects.create(
            campaign=campaign,
            unit=unit,
            assessment=assessment,
            outcome=outcome,
            is_forecast=status not in Assessment.DECIDED_STATUSES,
        )
    return assessment


@transaction.atomic
def build(seed: int = 7) -> None:
    rng = random.Random(seed)
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    communes = []
    for code, name, label, n_areas in [
        ("18823", "Vũng Áng", "Phường", 25),
        ("18832", "Kỳ Hoa", "Xã", 18),
        ("18838", "Kỳ Lạc", "Xã", 12),
        ("18841", "Hoành Sơn", "Phường", 16),
        ("18850", "Kỳ Khang", "Xã", 20),
    ]:
        commune = Unit.objects.create(
            code=code, name=name, label=label, kind=Unit.Kind.COMMUNE, parent=province
        )
        area_name = "Tổ dân phố" if label == "Phường" else "Thôn"
        areas = make_areas(
            commune, n_areas, name=area_name, label="", households=lambda i: rng.randint(80, 400)
        )
        institutions = [
            make_unit(f"{code}-CQ", f"Trạm Y tế {label.lower()} {name}", Unit.Kind.AGENCY, commune),
            make_unit(
                f"{code}-TH", f"Trường THCS {name}", Unit.Kind.SCHOOL, commune, school_level=LOWER_SECONDARY
            ),
            make_unit(
                f"{code}-DN", f"Công ty TNHH {name}", Unit.Kind.ENTERPRISE, commune, enterprise_size=MEDIUM
            ),
        ]
        communes.append((commune, areas + institutions))

    now = timezone.now()
    years = [2023, 2024, 2025, 2026]
    for year in years:
        campaign = make_campaign(province, year)
        if year < years[-1]:
            campaign.status = Campaign.Status.CLOSED
            campaign.save(update_fields=["status"])
        for index, (commune, units) in enumerate(communes):
            for unit in units:
                roll = rng.random()
                if year < years[-1]:
                    share = 0.6 + 0.08 * (year - years[0]) + 0.05 * index
                    status = Status.RECOGNIZED if roll < share else Status.NOT_RECOGNIZED
                    make_assessment(
                        campaign, unit, status, outcome="pass" if status == Status.RECOGNIZED else "fail"
                    )
                    continue
                # This year: a spread of states, commune 2 (Kỳ Lạc) lagging behind.
                lag = 0.35 if index == 2 else 0.0
                if roll < 0.06 + lag / 2:
                    continue  # not registered
                if roll < 0.12 + lag:
                    Registration.objects.create(
                        campaign=campaign, unit=unit, registered_on=campaign.registration_deadline
                    )
                    continue
                if roll < 0.3 + lag:
                    make_assessment(campaign, unit, Status.DRAFT, answered=rng.choice([0.3, 0.6, 0.9]))
                elif roll < 0.38 + lag:
                    make_assessment(campaign, unit, Status.RETURNED, answered=1, returned=2, outcome="fail")
                elif roll < 0.55:
                    when = now - datetime.timedelta(days=rng.randint(1, 12))
                    make_assessment(campaign, unit, Status.SUBMITTED, outcome="pass", when=when)
                elif roll < 0.7:
                    when = now - datetime.timedelta(days=rng.randint(1, 9))
                    make_assessment(campaign, unit, Status.APPRAISED, outcome="pass", when=when)
                else:
                    make_assessment(campaign, unit, Status.RECOGNIZED, outcome="pass")
            # The commune's own result (XA-1..3 answered by the commune police).
            Result.objects.update_or_create(
                campaign=campaign,
                unit=commune,
                defaults={
                    "outcome": "fail" if index == 2 else "pending",
                    "unmet_codes": ["XA-4"] if index == 2 else [],
                },
            )

    User = get_user_model()
    vung_ang, ky_hoa = communes[0][0], communes[1][0]
    for username, first, last, role, unit in [
        ("officer", "Minh", "Nguyễn Văn", Role.OFFICER, vung_ang),
        ("appraiser", "Lan", "Trần Thị", Role.APPRAISER, vung_ang),
        ("approver", "Hùng", "Lê Quốc", Role.APPROVER, vung_ang),
        ("clerk", "Hoa", "Phạm Thị", Role.CLERK, vung_ang),
        ("leader", "Dũng", "Võ Tiến", Role.VIEWER, province),
        ("province_approver", "Sơn", "Đặng Hồng", Role.APPROVER, province),
        ("colleague", "Tâm", "Hồ Đức", Role.OFFICER, ky_hoa),
    ]:
        user = User.objects.create_user(
            username=username, password=PASSWORD, first_name=first, last_name=last
        )
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
    User.objects.create_superuser("admin", password=PASSWORD)


__all__ = ["UnitKind", "build", "make_assessment", "make_campaign"]
