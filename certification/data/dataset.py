"""Realistic synthetic data for demos and benchmarks (``manage.py generate_dataset``).

Scale ``national``: the 34 provinces and 3,321 communes (``units.data.divisions`` from
vietnam-provinces when available, else synthetic), ≈ 30 residential areas and ≈ 18 agencies,
enterprises and schools per commune (≈ 100,000 and ≈ 60,000), plus ≈ 40 province-level
institutions per province; registrations, assessments with figures for KDC-4a, answers and
decisions for the year and the year before. Scale ``province``: one province (Hồ Chí Minh
City, 168 communes, by default).

Everything is deterministic for a seed (one RNG per unit, keyed by its code), written in bulk
(answers with COPY on PostgreSQL), one province per transaction so memory stays flat, and
re-running creates only what is missing. The functions are public so a demo can call them::

    campaign = open_campaign_for(year=2026, province=hcmc)
    generate_registrations(campaign, seed=1)
    generate_assessments(campaign, seed=1)
    generate_answers(campaign, seed=1, fill_ratio=0.8)
    generate_decisions(campaign, seed=1, ratio=0.5)
"""

import datetime
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone

from certification.audit import Action, log_change
from certification.models import Answer, Assessment, Campaign, Criterion, Registration
from units.models import Unit

Kind = Unit.Kind
BATCH = 5000
SYLLABLES = (
    "An Bình Hòa Phú Tân Thạnh Long Phước Thuận Hưng Mỹ Đông Tây Nam Bắc Trung Hải Sơn Lộc Thành "
    "Quang Minh Vĩnh Xuân Hiệp Đức Thịnh Khánh Lạc Tiến Phong Hồng Cát Hậu Nghĩa Thái Yên Hà Lâm"
).split()
AGENCY_NAMES = (
    "Trạm Y tế",
    "Bưu điện văn hóa",
    "Nhà văn hóa",
    "Hạt Kiểm lâm",
    "Chi cục Thuế khu vực",
    "Kho bạc Nhà nước",
)
PROVINCE_AGENCIES = (
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Xây dựng",
    "Bệnh viện Đa khoa",
    "Đài Phát thanh và Truyền hình",
    "Báo",
    "Trường Cao đẳng",
    "Bộ Chỉ huy Quân sự",
)
ENTERPRISE_FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Hợp tác xã", "Doanh nghiệp tư nhân")
ENTERPRISE_SIZES = (
    (Unit.EnterpriseSize.MICRO, 25),
    (Unit.EnterpriseSize.SMALL, 25),
    (Unit.EnterpriseSize.MEDIUM, 30),
    (Unit.EnterpriseSize.LARGE, 20),
)
SCHOOLS = (
    ("Trường Mầm non", Unit.SchoolLevel.KINDERGARTEN, 30),
    ("Trường Tiểu học", Unit.SchoolLevel.PRIMARY, 30),
    ("Trường THCS", Unit.SchoolLevel.LOWER_SECONDARY, 25),
    ("Trường THPT", Unit.SchoolLevel.UPPER_SECONDARY, 10),
    ("Trung tâm Giáo dục nghề nghiệp", Unit.SchoolLevel.VOCATIONAL, 5),
)
DEFAULT_PROVINCE = 79  # Thành phố Hồ Chí Minh: 168 communes, the largest province
NATIONAL_COMMUNES = 3321
NATIONAL_PROVINCES = 34


@dataclass
class DatasetReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _rng(seed: int, *key) -> random.Random:
    return random.Random("|".join(map(str, (seed, *key))))


def _weighted(rng: random.Random, options):
    return rng.choices([o[:-1] if len(o) > 2 else o[0] for o in options], weights=[o[-1] for o in options])[0]


def _place(rng: random.Random) -> str:
    return f"{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"


# --- the tree ---------------------------------------------------------------------------------


def _bulk_units(units: list[Unit]) -> list[Unit]:
    from units.tree import rebuild_paths

    for unit in units:
        unit.refresh_derived_fields()
    created = []
    for start in range(0, len(units), BATCH):
        created.extend(Unit.objects.bulk_create(units[start : start + BATCH]))
    rebuild_paths([u.pk for u in created])
    return created


def synthetic_divisions(*, provinces: int, communes: int, seed: int, prefix: str = "S") -> list[Unit]:
    """``provinces`` made-up provinces sharing ``communes`` communes (uneven, like the real ones)."""
    existing = list(Unit.objects.filter(kind=Kind.PROVINCE, code__startswith=f"{prefix}P").order_by("code"))
    if existing:
        return existing
    rng = _rng(seed, "divisions")
    weights = [rng.uniform(0.4, 1.6) for _ in range(provinces)]
    shares = [max(1, round(communes * w / sum(weights))) for w in weights]
    shares[-1] = max(1, communes - sum(shares[:-1]))
    made = _bulk_units(
        [
            Unit(
                code=f"{prefix}P{i + 1:02d}",
                name=f"Mẫu {_place(rng)} {i + 1}",
                label="Tỉnh",
                kind=Kind.PROVINCE,
            )
            for i in range(provinces)
        ]
    )
    rows, number = [], 0
    for province, share in zip(made, shares, strict=True):
        for _ in range(share):
            number += 1
            label = "Phường" if rng.random() < 0.2 else "Xã"
            rows.append(
                Unit(
                    code=f"{prefix}{number:05d}",
                    name=f"{_place(rng)} {number}",
                    label=label,
                    kind=Kind.COMMUNE,
                    parent=province,
                )
            )
    _bulk_units(rows)
    return made


def load_provinces(
    *,
    scale: str,
    seed: int,
    province: int | None = None,
    synthetic: bool = False,
    communes: int | None = None,
) -> list[Unit]:
    """The provinces to fill: real divisions when ``units.data.divisions`` can load them."""
    if not synthetic:
        try:
            from units.data.divisions import load_divisions, province_code
        except ImportError:  # pragma: no cover - before the units engineer's loader existed
            synthetic = True
        else:
            if scale == "province":
                number = province or DEFAULT_PROVINCE
                load_divisions(province=number)
                return list(Unit.objects.filter(kind=Kind.PROVINCE, code=province_code(number)))
            load_divisions()
            return list(
                Unit.objects.filter(kind=Kind.PROVINCE, valid_to__isnull=True)
                .exclude(code__startswith="L-")
                .order_by("code")
            )
    if scale == "province":
        return synthetic_divisions(provinces=1, communes=communes or 200, seed=seed, prefix="SX")
    return synthetic_divisions(
        provinces=NATIONAL_PROVINCES, communes=communes or NATIONAL_COMMUNES, seed=seed
    )


def _institution(rng: random.Random, parent: Unit, code: str, kind: str) -> Unit:
    place = _place(rng)
    if kind == Kind.AGENCY:
        return Unit(code=code, name=f"{rng.choice(AGENCY_NAMES)} {place}", kind=kind, parent=parent)
    if kind == Kind.ENTERPRISE:
        size = _weighted(rng, ENTERPRISE_SIZES)
        return Unit(
            code=code,
            name=f"{rng.choice(ENTERPRISE_FORMS)} {place}",
            kind=kind,
            parent=parent,
            enterprise_size=size,
        )
    name, level = _weighted(rng, SCHOOLS)
    return Unit(code=code, name=f"{name} {place}", kind=kind, parent=parent, school_level=level)


def populate_province(province: Unit, *, seed: int, communes: int | None = None) -> DatasetReport:
    """Residential areas and institutions under each commune of ``province`` (and a few
    province-level institutions); communes that already have units are left alone."""
    report = DatasetReport()
    commune_rows = list(
        Unit.objects.filter(parent=province, kind=Kind.COMMUNE, valid_to__isnull=True).order_by("code")
    )
    if communes:
        commune_rows = commune_rows[:communes]
    filled = set(
        Unit.objects.filter(parent__in=commune_rows + [province], kind__in=Unit.MANAGED_KINDS)
        .values_list("parent_id", flat=True)
        .distinct()
    )
    rows: list[Unit] = []
    for commune in commune_rows:
        if commune.pk in filled:
            continue
        rng = _rng(seed, commune.code)
        urban = commune.label == "Phường"
        area_label = "Tổ dân phố" if urban else rng.choice(("Thôn", "Thôn", "Ấp", "Bản"))
        for n in range(1, rng.randint(12, 48) + 1):
            rows.append(
                Unit(
                    code=f"{commune.code}-K{n:03d}",
                    name=f"{area_label} {n}"
                    if urban or rng.random() < 0.5
                    else f"{area_label} {_place(rng)}",
                    label=area_label,
                    kind=Kind.RESIDENTIAL_AREA,
                    parent=commune,
                    household_count=rng.randint(60, 480),
                )
            )
        kinds = (
            [Kind.AGENCY] * rng.randint(2, 6)
            + [Kind.ENTERPRISE] * rng.randint(4, 12)
            + [Kind.SCHOOL] * rng.randint(3, 9)
        )
        for n, kind in enumerate(kinds, start=1):
            rows.append(_institution(rng, commune, f"{commune.code}-D{n:03d}", kind))
    if province.pk not in filled:
        rng = _rng(seed, province.code)
        for n in range(1, 41):
            kind = Kind.AGENCY if n <= 25 else (Kind.ENTERPRISE if n <= 33 else Kind.SCHOOL)
            unit = _institution(rng, province, f"{province.code}-T{n:03d}", kind)
            if kind == Kind.AGENCY:
                unit.name = f"{PROVINCE_AGENCIES[n % len(PROVINCE_AGENCIES)]} {province.name} {n}"
                unit.is_armed_forces = unit.name.startswith("Bộ Chỉ huy")
            rows.append(unit)
    for unit in _bulk_units(rows):
        report.add(unit.kind, 1)
    return report


# --- campaigns ------------------------------------------------------------------------------


def open_campaign_for(*, year: int, province: Unit) -> Campaign:
    from certification.services.campaigns import open_campaign

    return open_campaign(year=year, province=province)


def _campaign_units(campaign: Campaign) -> models.QuerySet[Unit]:

    return Unit.objects.filter(
        path__startswith=campaign.province.path, kind__in=Unit.ASSESSED_KINDS, valid_to__isnull=True
    ).order_by("id")


def generate_registrations(campaign: Campaign, *, seed: int, ratio: float = 0.985) -> int:
    """Q1 registrations of (almost) every eligible unit, household figures for residential areas."""
    rows = []
    day = campaign.registration_deadline - datetime.timedelta(days=20)
    for pk, code, kind, households in (
        _campaign_units(campaign)
        .filter(is_eligible=True)
        .values_list("pk", "code", "kind", "household_count")
    ):
        rng = _rng(seed, campaign.year, "reg", code)
        if rng.random() > ratio:
            continue
        total = registered = None
        if kind == Kind.RESIDENTIAL_AREA:
            total = households or rng.randint(60, 480)
            registered = total if rng.random() < 0.97 else total - rng.randint(1, 5)
        rows.append(
            Registration(
                campaign=campaign,
                unit_id=pk,
                registered_on=day,
                households_total=total,
                households_registered=registered,
            )
        )
    Registration.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


def _figures(rng: random.Random, kind: str, last: tuple | None) -> tuple[int, int, int]:
    """This year's crimes, social-evil cases and violations; where last year's are known they
    were contained or reduced in nine cases out of ten (KDC-4a), as the reported rates suggest."""
    scale = 3 if kind == Kind.COMMUNE else 1
    if last is None or None in last:
        return rng.randint(0, 4 * scale), rng.randint(0, 3 * scale), rng.randint(0, 6 * scale)
    figures = [max(0, before - rng.randint(0, 2)) for before in last]
    if rng.random() < 0.1:
        figures[rng.randrange(3)] += rng.randint(1, 2)
    return figures[0], figures[1], figures[2]


def generate_assessments(campaign: Campaign, *, seed: int) -> int:
    """An assessment (with this year's figures) for every registered unit, on the campaign's set."""
    sets = {
        kind: campaign.criteria_set_for(kind) for kind in ("residential_area", "commune", "agency", "school")
    }
    sets["enterprise"] = sets["agency"]
    have = set(Assessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    previous = {
        unit_id: tuple(figures)
        for unit_id, *figures in Assessment.objects.filter(
            campaign__year=campaign.year - 1, campaign__province=campaign.province
        ).values_list("unit_id", "crime_count", "social_evil_count", "violation_count")
    }
    rows = []
    for pk, code, kind in Registration.objects.filter(campaign=campaign).values_list(
        "unit_id", "unit__code", "unit__kind"
    ):
        if pk in have or sets.get(kind) is None:
            continue
        crime, social_evil, violation = _figures(
            _rng(seed, campaign.year, "fig", code), kind, previous.get(pk)
        )
        rows.append(
            Assessment(
                campaign=campaign,
                unit_id=pk,
                criteria_set=sets[kind],
                crime_count=crime,
                social_evil_count=social_evil,
                violation_count=violation,
            )
        )
    Assessment.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


@dataclass(frozen=True)
class _Leaf:
    id: int
    answer_type: str
    na_allowed: bool


def _leaves(set_ids: Iterable[int]) -> dict[int, list[_Leaf]]:
    leaves: dict[int, list[_Leaf]] = {}
    for pk, set_id, answer_type, na_allowed in (
        Criterion.objects.filter(criteria_set_id__in=list(set_ids))
        .exclude(answer_type__in=["group", "derived"])
        .order_by("criteria_set_id", "order")
        .values_list("id", "criteria_set_id", "answer_type", "na_allowed")
    ):
        leaves.setdefault(set_id, []).append(_Leaf(pk, answer_type, na_allowed))
    return leaves


def _answer_rows(campaign: Campaign, *, seed: int, fill_ratio: float, fail_ratio: float) -> Iterator[tuple]:
    """(assessment id, criterion id, value, appraised value, number, note) for assessments that
    have no answer yet. One unit in ``fail_ratio`` misses one or two criteria."""
    previous = {
        unit_id: figures
        for unit_id, *figures in Assessment.objects.filter(
            campaign__year=campaign.year - 1, campaign__province=campaign.province
        ).values_list("unit_id", "crime_count", "social_evil_count", "violation_count")
    }
    answered = Answer.objects.filter(assessment__campaign=campaign).values("assessment_id")
    queryset = (
        Assessment.objects.filter(campaign=campaign)
        .exclude(pk__in=answered)
        .values_list(
            "id",
            "unit_id",
            "unit__code",
            "criteria_set_id",
            "crime_count",
            "social_evil_count",
            "violation_count",
        )
        .order_by("id")
    )
    rows = list(queryset)
    # New answers are a change of these assessments: their version says so, as the services'
    # (scoring knows an assessment's answers by its id and version).
    Assessment.objects.filter(pk__in=[row[0] for row in rows]).update(version=models.F("version") + 1)
    leaves = _leaves({row[3] for row in rows})
    # The queries run now, not when the COPY below pulls the first row (one connection).
    return _answer_values(rows, leaves, previous, campaign.year, seed, fill_ratio, fail_ratio)


def _answer_values(rows, leaves, previous, year, seed, fill_ratio, fail_ratio) -> Iterator[tuple]:
    for assessment_id, unit_id, code, set_id, *figures in rows:
        rng = _rng(seed, year, "ans", code)
        items = leaves.get(set_id, [])
        failing = set()
        if items and rng.random() < fail_ratio:
            failing = {rng.randrange(len(items)) for _ in range(rng.choice((1, 1, 2)))}
        # A campaign still in progress has no appraisal yet; every leaf gets a row, as
        # services.start_assessment guarantees, unanswered ones empty.
        appraised = fill_ratio >= 1 and rng.random() < 0.6
        last = previous.get(unit_id)
        for index, leaf in enumerate(items):
            if fill_ratio < 1 and rng.random() > fill_ratio:
                yield (assessment_id, leaf.id, "", "", None, "")
                continue
            value, note, number = "met", "", None
            if index in failing:
                value = "not_met"
            elif leaf.na_allowed and rng.random() < 0.15:
                value = "na"
            if leaf.answer_type == "comparison" and last and None not in last:
                increased = any(now > before for now, before in zip(figures, last, strict=True))
                value = "not_met" if increased else "met"
                if increased and rng.random() < 0.3:
                    value, note = (
                        "met",
                        "Số vụ tăng do tăng cường phát hiện, xử lý; đã được Công an xã xác nhận.",
                    )
            if leaf.answer_type == "count_threshold":
                number = None
            yield (assessment_id, leaf.id, value, value if appraised else "", number, note)


def _copy_answers(rows: Iterable[tuple]) -> int:
    """Answers by COPY on PostgreSQL (≈ 10× bulk_create), bulk_create elsewhere."""
    now = timezone.now()
    count = 0
    if connection.vendor == "postgresql":
        # Draw the rows first: the generator runs SELECTs on this connection, which psycopg 3
        # makes wait for an open COPY (a deadlock). One campaign's answers fit in memory.
        rows = list(rows)
        table = Answer._meta.db_table
        columns = "assessment_id, criterion_id, value, appraised_value, number, note, is_returned, return_reason, updated_at"
        with (
            connection.cursor() as cursor,
            cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row((*row, False, "", now))
                count += 1
        return count
    batch = []
    for assessment_id, criterion_id, value, appraised, number, note in rows:
        batch.append(
            Answer(
                assessment_id=assessment_id,
                criterion_id=criterion_id,
                value=value,
                appraised_value=appraised,
                number=number,
                note=note,
            )
        )
        if len(batch) >= BATCH:
            Answer.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    Answer.objects.bulk_create(batch)
    return count + len(batch)


def generate_answers(
    campaign: Campaign, *, seed: int, fill_ratio: float = 1.0, fail_ratio: float = 0.06
) -> int:
    """Answers for every assessment of ``campaign`` that has none; ``fill_ratio`` < 1 leaves
    some criteria unanswered (a campaign still in progress). Returns how many were written."""
    return _copy_answers(_answer_rows(campaign, seed=seed, fill_ratio=fill_ratio, fail_ratio=fail_ratio))


def generate_decisions(campaign: Campaign, *, seed: int, ratio: float = 1.0) -> int:
    """Decide ``ratio`` of the draft assessments (recognized when every answered leaf is met or
    N/A, else not recognized); the others become submitted or appraised. Statuses only: no
    decision documents or certificates. One UPDATE per status and block of ids."""
    failing = set(
        Answer.objects.filter(assessment__campaign=campaign)
        .exclude(value__in=["met", "na"])
        .values_list("assessment_id", flat=True)
    )
    Status = Assessment.Status
    groups: dict[str, list[int]] = {}
    drafts = Assessment.objects.filter(campaign=campaign, status=Status.DRAFT).order_by("id")
    for pk, unit_id in drafts.values_list("id", "unit_id"):
        draw = _rng(seed, campaign.year, "dec", unit_id).random()
        if draw < ratio:
            status = Status.NOT_RECOGNIZED if pk in failing else Status.RECOGNIZED
        elif draw < ratio + (1 - ratio) / 2:
            status = Status.APPRAISED
        else:
            status = Status.SUBMITTED
        groups.setdefault(status, []).append(pk)
    now = timezone.now()
    for status, ids in groups.items():
        fields = {"status": status, "submitted_at": now}
        if status != Status.SUBMITTED:
            fields["appraised_at"] = now
        if status in Assessment.DECIDED_STATUSES:
            fields["decided_at"] = now
        for start in range(0, len(ids), BATCH):
            Assessment.objects.filter(pk__in=ids[start : start + BATCH]).update(**fields)
    return sum(len(ids) for ids in groups.values())


# --- the whole thing --------------------------------------------------------------------------


def generate_dataset(
    *,
    scale: str,
    seed: int = 1,
    year: int | None = None,
    province: int | None = None,
    synthetic: bool = False,
    communes: int | None = None,
    decided_ratio: float = 0.0,
    fill_ratio: float = 1.0,
    history: bool = True,
    log=None,
) -> DatasetReport:
    """Build a ``scale`` data set for ``year`` (default: this year). With ``history`` the year
    before is generated too (decided), which KDC-4a compares against."""
    started = time.monotonic()
    # The migrations load the TT 124 sets; load them again if the tables were emptied since.
    from django.apps import apps

    from certification.data.tt124 import load_tt124_sets

    load_tt124_sets(apps)
    year = year or timezone.localdate().year
    report = DatasetReport()
    log = log or (lambda message: None)
    provinces = load_provinces(
        scale=scale, seed=seed, province=province, synthetic=synthetic, communes=communes
    )
    years = [year - 1, year] if history else [year]
    for unit in provinces:
        with transaction.atomic():
            before = dict(report.counts)
            for kind, n in populate_province(unit, seed=seed, communes=communes).counts.items():
                report.add(kind, n)
            for y in years:
                campaign = open_campaign_for(year=y, province=unit)
                report.add("registrations", generate_registrations(campaign, seed=seed))
                report.add("assessments", generate_assessments(campaign, seed=seed))
                report.add(
                    "answers",
                    generate_answers(campaign, seed=seed, fill_ratio=1.0 if y < year else fill_ratio),
                )
                report.add(
                    "decided",
                    generate_decisions(campaign, seed=seed, ratio=1.0 if y < year else decided_ratio),
                )
            # Sample data is written in bulk, not row by row through the services: one event says
            # what was generated where (by the system), so the chain still shows every write path.
            added = {k: n - before.get(k, 0) for k, n in report.counts.items() if n != before.get(k, 0)}
            log_change(
                unit, by=None, action=Action.DATA_GENERATED, field="dataset", new={"seed": seed, **added}
            )
        log(f"{unit}: {report.counts.get('answers', 0):,} answers so far")
    if connection.vendor == "postgresql":
        # Planner statistics for the bulk-loaded tables now, as after any bulk load: autovacuum
        # would get there eventually, and until then plans assume near-empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report.seconds = time.monotonic() - started
    return report
