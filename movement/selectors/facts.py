"""What movement gives certification through ``certification.extensions`` (registered in
``movement/apps.py``): the XA-1/CQDN-1/CSGD-1 fact for the engine, the panel beside those
criteria on the entry and appraisal pages, and the tables of the yearly summary.

**A province whose register is empty** (the product was used before the register existed, or the
province has not entered its models yet): the fact is *unknown* (None), the engine leaves the
officer's answer alone and says nothing. A district officer reads "no model rated effective" as
a finding about the commune; it would be wrong to report it of every commune of a province that
simply has not started the register. The register is "in use" per province **and kind of unit**:
once one commune of the province keeps a recorded model, every commune of it gets a known fact
(True/False); agencies, enterprises and schools only once one of their kind does (provinces
record the communes' models first; the enterprises' would otherwise all fail CQDN-1 that day).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q
from django.template.loader import render_to_string

from certification.extensions import SummaryTable
from certification.scoring.fingerprint import rows_stamp
from movement.models import Level, ModelRating, MovementModel, TeamRating, TeamRatingRound
from movement.selectors.registry import KEEPER_KINDS, models_of_unit, rating_of, successor_fields
from units.models import Unit

MODEL_CRITERIA = ("XA-1", "CQDN-1", "CSGD-1")  # as certification.scoring.engine.MODEL_CRITERIA


def _prefixes(path: str) -> set[str]:
    parts = [p for p in path.split("/") if p]
    return {"/".join(parts[: n + 1]) + "/" for n in range(len(parts))}


def _root(path: str) -> str:
    return path.split("/", 1)[0] + "/"


def effective_models(unit_ids: Iterable[int], year: int) -> dict[int, bool | None]:
    """unit id → a model it keeps (itself, its subtree, or a unit it was formed from) is rated
    effective in ``year`` (True) / none is (False) / nobody in its province has recorded a model
    of a unit of its kind yet (None: the register is not in use for it)."""
    if not register_in_use(year):  # no register anywhere: nothing known (one cheap query)
        return {}
    units = list(
        Unit.objects.filter(pk__in=list(unit_ids), kind__in=KEEPER_KINDS).values_list("pk", "path", "kind")
    )
    if not units:
        return {}
    wanted = {(_root(path), kind) for _, path, kind in units}
    in_use = set()
    for root, kind in wanted:
        q = Q(pk__in=[])
        for field in successor_fields():
            q |= Q(**{f"{field}__path__startswith": root, f"{field}__kind": kind})
        if MovementModel.objects.filter(q).exists():
            in_use.add((root, kind))
    if not in_use:
        return {}
    rated = ModelRating.objects.filter(year=year, effective=True)
    paths: set[str] = set()
    for field in successor_fields("model__unit"):
        for path in rated.exclude(**{f"{field}__isnull": True}).values_list(f"{field}__path", flat=True):
            paths |= _prefixes(path)
    return {pk: (path in paths) for pk, path, kind in units if (_root(path), kind) in in_use}


def register_in_use(year: int) -> bool:
    """Whether :func:`effective_models` may know a fact for some unit (``certification.extensions
    .model_facts_in_use``): it knows none while no model is recorded anywhere."""
    return MovementModel.objects.exists()


def facts_stamp(province_path: str, year: int) -> str:
    """Changes whenever :func:`effective_models` may answer differently for a unit of the
    province (certification.scoring.fingerprint): the register's models and ratings, whole
    (a model kept elsewhere may count here through a unit's successor links). PostgreSQL only,
    as the fingerprint."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows_stamp(MovementModel._meta.db_table)}, {rows_stamp(ModelRating._meta.db_table)}"
        )
        return "movement:" + ",".join(cursor.fetchone())


def criterion_panel(unit: Unit, year: int, code: str) -> str:
    if code not in MODEL_CRITERIA or unit.kind not in KEEPER_KINDS:
        return ""
    rows = [(m, rating_of(m, year)) for m in models_of_unit(unit, year)]
    return render_to_string("movement/_criterion_panel.html", {"rows": rows, "year": year, "unit": unit})


# --- the yearly summary -----------------------------------------------------------------------


def _model_counts(scope: Unit, year: int) -> tuple[Counter[str], Counter[str], Counter[str], dict[str, int]]:
    """(models by type, effective by type, cameras by type, models by commune name) running in ``year``."""
    by_type: Counter[str] = Counter()
    effective: Counter[str] = Counter()
    cameras: Counter[str] = Counter()
    by_commune: dict[str, int] = defaultdict(int)
    models = list(
        MovementModel.objects.filter(unit__path__startswith=scope.path)
        .select_related("unit", "model_type")
        .prefetch_related("ratings")
    )
    commune_names = dict(
        Unit.objects.filter(path__startswith=scope.path, kind=Unit.Kind.COMMUNE).values_list("path", "name")
    )
    for m in models:
        if not m.runs_in(year):
            continue
        name = m.model_type.name
        by_type[name] += 1
        rating = rating_of(m, year)
        if rating is not None and rating.effective:
            effective[name] += 1
        cameras[name] += m.cameras or 0
        commune = next((n for p, n in commune_names.items() if m.unit.path.startswith(p)), "")
        by_commune[commune or m.unit.name] += 1
    return by_type, effective, cameras, by_commune


def _team_counts(scope: Unit, year: int) -> dict[str, Counter[str]]:
    ratings = TeamRating.objects.filter(
        round__commune__path__startswith=scope.path,
        round__year=year,
        round__status=TeamRatingRound.Status.DECIDED,
    ).values_list("member_id", "level")
    found: dict[str, Counter[str]] = {"teams": Counter(), "members": Counter()}
    for member_id, level in ratings:
        found["members" if member_id else "teams"][level] += 1
    return found


def summary_tables(scope: Unit, year: int) -> list[SummaryTable]:
    now_types, now_effective, now_cameras, now_communes = _model_counts(scope, year)
    before_types, before_effective, before_cameras, before_communes = _model_counts(scope, year - 1)
    if not (
        now_types
        or before_types
        or TeamRating.objects.filter(round__commune__path__startswith=scope.path).exists()
    ):
        return []
    prev = year - 1
    types = sorted(set(now_types) | set(before_types))
    by_type = [
        [t, now_types[t], now_effective[t], now_cameras[t] or None, before_types[t], before_effective[t]]
        for t in types
    ]
    by_type.append(
        [
            "Tổng cộng",
            sum(now_types.values()),
            sum(now_effective.values()),
            sum(now_cameras.values()),
            sum(before_types.values()),
            sum(before_effective.values()),
        ]
    )
    communes = sorted(set(now_communes) | set(before_communes))
    by_commune = [[c, now_communes.get(c, 0), before_communes.get(c, 0)] for c in communes]
    now_teams, before_teams = _team_counts(scope, year), _team_counts(scope, prev)
    teams = [
        [
            label,
            now_teams["teams"][level],
            before_teams["teams"][level],
            now_teams["members"][level],
            before_teams["members"][level],
        ]
        for level, label in LEVEL_TITLES.items()
    ]
    return [
        SummaryTable(
            title="Mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc theo loại",
            sheet="Mô hình",
            headers=[
                "Loại mô hình",
                f"Số mô hình {year}",
                f"Hiệu quả {year}",
                f"Số camera {year}",
                f"Số mô hình {prev}",
                f"Hiệu quả {prev}",
            ],
            rows=by_type,
        ),
        SummaryTable(
            title="Mô hình theo xã, phường, đặc khu",
            sheet="Mô hình theo xã",
            headers=["Xã, phường, đặc khu", f"Số mô hình {year}", f"Số mô hình {prev}"],
            rows=by_commune,
        ),
        SummaryTable(
            title="Xếp loại Tổ bảo vệ an ninh, trật tự ở cơ sở",
            sheet="Tổ bảo vệ ANTT",
            headers=[
                "Mức xếp loại",
                f"Số tổ {year}",
                f"Số tổ {prev}",
                f"Số tổ viên {year}",
                f"Số tổ viên {prev}",
            ],
            rows=teams,
            note="Theo quyết định của Chủ tịch UBND xã đã ban hành; kỳ đánh giá từ 15/11 năm trước đến 14/11.",
        ),
    ]


# Vietnamese of documents and exports (the data contract), as certification.documents.wording.
LEVEL_TITLES = {
    Level.EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
    Level.GOOD: "Hoàn thành tốt nhiệm vụ",
    Level.COMPLETED: "Hoàn thành nhiệm vụ",
    Level.NOT_COMPLETED: "Không hoàn thành nhiệm vụ",
}
