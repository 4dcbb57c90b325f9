"""Demo data for a newcomer: Hà Tĩnh (code 42) as it is since 1/7/2025, made-up local units,
the 2025 campaign fully decided (for comparisons and trends) and the 2026 campaign in a
realistic mid-way state, plus one user per role.

The 2026 calendar is moved so that the campaign is still open on the day the demo is loaded
(the TT 124 deadlines for 2026 have passed by late 2026); provinces may edit dates, so this is
what a province would do to run a late campaign. Everything is idempotent: a second run only
resets the demo users' passwords.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from certification.audit import Action, log_change
from certification.data import dataset
from certification.data.tt124 import load_tt124_sets
from certification.models import Answer, Assessment, Campaign, Criterion
from certification.services import entry, transitions
from certification.services.campaigns import open_campaign
from certification.services.scoring import start_scoring_run
from units.data.demo import generate_local_units
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
PROVINCE_CODE = "42"
SHOWCASE_COMMUNE = "18823"  # Phường Vũng Áng (formerly Phường Kỳ Long and neighbours, Thị xã Kỳ Anh)
DEMO_PASSWORD = "antt-demo-2026"
SEED = 42


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    unit_code: str
    title: str = ""


def demo_users(other_commune_code: str) -> list[DemoUser]:
    return [
        DemoUser("canbo.vungang", "Nguyễn Văn An", Role.OFFICER, SHOWCASE_COMMUNE, "Công an phường Vũng Áng"),
        DemoUser(
            "thamdinh.vungang", "Trần Thị Bình", Role.APPRAISER, SHOWCASE_COMMUNE, "Thường trực Ban Chỉ đạo"
        ),
        DemoUser("chutich.vungang", "Lê Văn Cường", Role.APPROVER, SHOWCASE_COMMUNE, "Chủ tịch UBND phường"),
        DemoUser("vanthu.vungang", "Phạm Thị Dung", Role.CLERK, SHOWCASE_COMMUNE, "Văn thư UBND phường"),
        DemoUser("canbo.khac", "Hoàng Văn Em", Role.OFFICER, other_commune_code),
        DemoUser("thamdinh.tinh", "Võ Thị Giang", Role.APPRAISER, PROVINCE_CODE, "Công an tỉnh (PV05)"),
        DemoUser("chutich.tinh", "Đặng Văn Hùng", Role.APPROVER, PROVINCE_CODE, "Chủ tịch UBND tỉnh"),
        DemoUser("lanhdao.tinh", "Bùi Thị Lan", Role.VIEWER, PROVINCE_CODE, "Lãnh đạo Ban Chỉ đạo tỉnh"),
        DemoUser("quantri.tinh", "Đỗ Văn Minh", Role.ADMIN, PROVINCE_CODE, "Quản trị hệ thống"),
    ]


def demo_dates(year: int, today: datetime.date) -> dict[str, datetime.date]:
    """The TT 124 calendar, moved later when it has already passed so the demo stays open."""
    dates = Campaign.default_dates(year)
    if today <= dates["residential_period_end"] - datetime.timedelta(days=14):
        return dates
    end = today + datetime.timedelta(days=30)
    return dates | {
        "residential_period_end": end,
        "other_period_end": end + datetime.timedelta(days=15),
        "residential_decision_deadline": end + datetime.timedelta(days=14),
        "other_decision_deadline": end + datetime.timedelta(days=19),
    }


def ensure_users(province: Unit) -> list[tuple[DemoUser, Unit]]:
    User = get_user_model()
    other = (
        Unit.objects.filter(parent=province, kind=Unit.Kind.COMMUNE, valid_to__isnull=True)
        .exclude(code=SHOWCASE_COMMUNE)
        .order_by("code")
        .first()
    )
    created = []
    for spec in demo_users(other.code):
        unit = Unit.objects.get(code=spec.unit_code)
        family, _sep, given = spec.full_name.rpartition(" ")
        user, _new = User.objects.get_or_create(username=spec.username)
        # "Họ và tên đệm" is last_name, "Tên" first_name (antt.text.person_name shows them in that order).
        user.first_name, user.last_name = given, family
        user.is_staff = spec.role == Role.ADMIN
        user.set_password(DEMO_PASSWORD)
        user.save()
        title = spec.title or f"Công an {unit.label.lower()} {unit.name}"
        RoleAssignment.objects.get_or_create(user=user, unit=unit, role=spec.role, defaults={"title": title})
        created.append((DemoUser(spec.username, spec.full_name, spec.role, spec.unit_code, title), unit))
    return created


def _fill_like_dataset(campaign: Campaign, *, fill_ratio: float, decided: bool) -> None:
    dataset.generate_registrations(campaign, seed=SEED)
    dataset.generate_assessments(campaign, seed=SEED)
    dataset.generate_answers(campaign, seed=SEED, fill_ratio=fill_ratio)
    if decided:
        dataset.generate_decisions(campaign, seed=SEED, ratio=1.0)


def _complete(assessment: Assessment, officer, *, all_met: bool = False) -> Assessment:
    """Answer what is left (or everything, with ``all_met``) as met, then the figures and the
    minutes, as the officer would."""
    changes = {}
    for answer in assessment.answers.select_related("criterion"):
        if answer.criterion.answer_type == Criterion.AnswerType.DERIVED:
            continue
        if all_met and answer.value != Answer.Value.MET:
            changes[answer.criterion.code] = {"value": Answer.Value.MET}
        elif not answer.value:
            changes[answer.criterion.code] = {"value": Answer.Value.MET}
    figures = {"crime_count": 1, "social_evil_count": 0, "violation_count": 2}
    if all_met:  # a unit that passes: no figure up on last year's (KDC-4a), as the engine checks
        previous = Assessment.objects.filter(
            unit_id=assessment.unit_id, campaign__year=assessment.campaign.year - 1
        ).first()
        for name in figures:
            before = getattr(previous, name, None)
            figures[name] = max(0, before - 1) if before is not None else 0
    dossier = {
        "meeting_date": timezone.localdate() - datetime.timedelta(days=3),
        "meeting_chair": "Trưởng khu dân cư",
        "meeting_attendees": [
            {"name": "Bí thư chi bộ", "role": "Bí thư chi bộ"},
            {"name": "Trưởng Ban Công tác Mặt trận", "role": "Ban Công tác Mặt trận"},
            {"name": "Công an phường", "role": "Đại diện Công an cơ sở"},
        ],
    }
    return entry.save_answers(
        assessment=assessment,
        by=officer,
        expected_version=assessment.version,
        changes=changes,
        figures=figures,
        dossier=dossier,
    )


DEMO_OVERRIDE = (
    "Các hộ còn lại đã đăng ký bổ sung sau khi lập hồ sơ; Công an phường đã xác minh và lập biên bản."
)


def play_showcase(campaign: Campaign, users: dict[str, object]) -> None:
    """Drive the showcase commune's residential areas through the real workflow: some decided
    in one decision (with certificates), some appraised, one returned, some submitted, the
    rest still drafts."""
    officer, appraiser, approver = users["canbo.vungang"], users["thamdinh.vungang"], users["chutich.vungang"]
    commune = Unit.objects.get(code=SHOWCASE_COMMUNE)
    assessments = list(
        Assessment.objects.filter(
            campaign=campaign, unit__parent=commune, unit__kind=Unit.Kind.RESIDENTIAL_AREA
        )
        .select_related("unit")
        .order_by("unit__code")
    )
    if not assessments or any(a.status != Assessment.Status.DRAFT for a in assessments):
        return  # already played
    recognized, appraised, returned, submitted = (
        assessments[:6],
        assessments[6:8],
        assessments[8:9],
        assessments[9:11],
    )
    for a in recognized + appraised + returned + submitted:
        a = _complete(a, officer, all_met=a in recognized)
        transitions.submit_assessment(assessment=a, by=officer)
    for a in recognized + appraised:
        transitions.appraise_assessment(assessment=a, by=appraiser)
    for a in returned:
        code = (
            a.answers.filter(criterion__code__startswith="KDC-1")
            .values_list("criterion__code", flat=True)
            .first()
        )
        transitions.return_assessment(
            assessment=a, by=appraiser, items={code: "Thiếu bản đăng ký của 3 hộ gia đình; đề nghị bổ sung."}
        )
    transitions.recognize(
        assessments=[Assessment.objects.get(pk=a.pk) for a in recognized],
        by=approver,
        issuer=commune,
        issued_on=timezone.localdate(),
        signer_title="Chủ tịch",
        signer_name="Lê Văn Cường",
        signed_for="TM.",
        place="Vũng Áng",
        # Where the engine fails a unit (a few households short of KDC-1's 100 %), the chairman
        # recognizes it with a written reason: the decision page shows it (issue 20, point 2).
        overrides={a.pk: DEMO_OVERRIDE for a in recognized},
    )


@transaction.atomic
def _load_units(stdout) -> Unit:
    # The migrations load the TT 124 sets; load them again if the tables were emptied since.
    load_tt124_sets(django_apps)
    call_command("load_divisions", province=PROVINCE_CODE, stdout=stdout)
    province = Unit.objects.get(code=PROVINCE_CODE)
    generate_local_units(province, seed=SEED)
    return province


def setup_demo(stdout) -> list[tuple[DemoUser, Unit]]:
    province = _load_units(stdout)
    today = timezone.localdate()
    year = today.year
    previous = open_campaign(year=year - 1, province=province)
    if not previous.assessments.exists():
        with transaction.atomic():
            _fill_like_dataset(previous, fill_ratio=1.0, decided=True)
    campaign = open_campaign(year=year, province=province, **demo_dates(year, today))
    users_created = ensure_users(province)
    users = {
        spec.username: get_user_model().objects.get(username=spec.username) for spec, _u in users_created
    }
    if not campaign.assessments.exists():
        with transaction.atomic():
            _fill_like_dataset(campaign, fill_ratio=0.85, decided=False)
    play_showcase(campaign, users)
    for c in (previous, campaign):
        start_scoring_run(campaign=c, trigger="demo")
    demo = {
        "years": [previous.year, campaign.year],
        "users": [spec.username for spec, _unit in users_created],
    }
    log_change(province, by=None, action=Action.DATA_GENERATED, field="demo", new=demo)
    return users_created
