"""Demo data of the movement (``manage.py setup_movement_demo``, run by ``scripts/run`` after
``setup_demo``): one model per commune of the demo province (rated effective last year and this
year, except every tenth commune, "chưa hiệu quả" this year so the XA-1 reason shows), two more
models in the showcase commune (cameras over three residential areas, a crime-report box not
rated yet), and two security teams there with last year's rating decided and this year's in
draft. Safe to run twice: nothing is added once the province has models."""

import datetime

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from certification.audit import SystemActor
from movement.data.catalogue import load_catalogue
from movement.models import Level, ModelType, MovementModel, TeamRating
from movement.services import teams
from movement.services.models import rate_model, record_model
from units.models import Unit

PROVINCE_CODE = "42"
SHOWCASE_COMMUNE = "18823"  # as certification.data.demo
ROTATION = ["to-lien-gia-tu-quan", "to-tuan-tra", "camera-an-ninh", "hom-thu-to-giac", "tieng-keng-an-ninh"]
NAMES = {
    "to-lien-gia-tu-quan": "Tổ liên gia tự quản",
    "to-tuan-tra": "Tổ tuần tra nhân dân",
    "camera-an-ninh": "Camera an ninh",
    "hom-thu-to-giac": "Hòm thư tố giác tội phạm",
    "tieng-keng-an-ninh": "Tiếng kẻng an ninh",
}


def _user(username: str):
    return get_user_model().objects.filter(username=username).first() or SystemActor()


@transaction.atomic
def setup_movement_demo() -> int:
    """Add the demo's models and teams; return how many models were recorded (0: already there)."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    if province is None or MovementModel.objects.filter(unit__path__startswith=province.path).exists():
        return 0
    year = timezone.localdate().year
    load_catalogue(django_apps)
    types = {t.code: t for t in ModelType.objects.filter(province=None)}
    system = SystemActor()
    officer, appraiser, chairman = _user("canbo.vungang"), _user("thamdinh.vungang"), _user("chutich.vungang")
    communes = list(
        Unit.objects.filter(parent=province, kind=Unit.Kind.COMMUNE, valid_to__isnull=True).order_by("code")
    )
    count = 0
    for n, commune in enumerate(communes):
        code = ROTATION[n % len(ROTATION)]
        by = officer if commune.code == SHOWCASE_COMMUNE else system
        model = record_model(
            by=by,
            unit=commune,
            name=f"{NAMES[code]} {commune.full_name}",
            model_type=types[code],
            started_on=datetime.date(year - 2, 3, 1),
            members=None if code == "camera-an-ninh" else 12 + n % 20,
            cameras=20 + n % 30 if code == "camera-an-ninh" else None,
        )
        count += 1
        title = f"Chủ tịch UBND {commune.full_name}"
        rate_model(by=by, model=model, year=year - 1, effective=True, rater_title=title)
        effective = commune.code == SHOWCASE_COMMUNE or n % 10 != 9
        rate_model(by=by, model=model, year=year, effective=effective, rater_title=title)
    showcase = Unit.objects.filter(code=SHOWCASE_COMMUNE).first()
    if showcase is None:
        return count
    areas = list(
        showcase.children.filter(kind=Unit.Kind.RESIDENTIAL_AREA, valid_to__isnull=True).order_by("code")
    )
    cameras = record_model(
        by=officer,
        unit=showcase,
        name="Camera an ninh khu dân cư",
        model_type=types["camera-an-ninh"],
        started_on=datetime.date(year - 1, 5, 19),
        covered=areas[:3],
        cameras=48,
    )
    rate_model(by=officer, model=cameras, year=year, effective=True, rater_title="Chủ tịch UBND phường")
    record_model(
        by=officer,
        unit=showcase,
        name="Hòm thư tố giác tội phạm",
        model_type=types["hom-thu-to-giac"],
        started_on=datetime.date(year, 2, 1),
        covered=areas[3:4],
    )
    count += 2
    if len(areas) < 2 or isinstance(officer, SystemActor):
        return count
    members = [
        [("Nguyễn Văn Hải", "Tổ trưởng"), ("Trần Văn Nam", "Tổ phó"), ("Lê Thị Hoa", "Tổ viên")],
        [("Phạm Văn Long", "Tổ trưởng"), ("Hoàng Văn Sơn", "Tổ phó"), ("Võ Thị Mai", "Tổ viên")],
    ]
    for area, people in zip(areas[:2], members, strict=True):
        teams.add_team(by=officer, unit=area, name=f"Tổ bảo vệ ANTT {area.full_name}", members=people)
    last = teams.start_round(by=officer, commune=showcase, year=year - 1)
    teams.save_levels(
        by=officer, round_=last, levels={r.pk: Level.GOOD for r in TeamRating.objects.filter(round=last)}
    )
    teams.submit_round(by=officer, round_=last)
    teams.review_round(by=appraiser, round_=last)
    teams.decide_round(
        by=chairman, round_=last, signer_name="Lê Văn Cường", decided_on=datetime.date(year - 1, 11, 25)
    )
    current = teams.start_round(by=officer, commune=showcase, year=year)
    first = TeamRating.objects.filter(round=current, member__isnull=True).order_by("team__name").first()
    if first is not None:
        teams.save_levels(by=officer, round_=current, levels={first.pk: Level.GOOD})
    return count
