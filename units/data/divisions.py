"""Load Vietnam's administrative divisions from the ``vietnam-provinces`` package.

Current divisions (since 1/7/2025): 34 provinces → 3,321 communes (xã, phường, đặc khu).
Legacy divisions (before 1/7/2025), with ``legacy=True``: 63 provinces → 696 districts →
10,051 communes, as separate rows valid until 1/7/2025, each legacy commune linked to the
commune(s) it became and each legacy province to today's province (``UnitChange``).

Codes (see docs/units.md): GSO codes zero-padded to the GSO widths, provinces 2 digits
("01", "42"), communes 5 digits ("00004", "18823"); legacy rows carry their pre-2025 GSO
code with the prefix ``L-`` ("L-42", "L-436", "L-18835"). The widths keep the kinds apart
(province 4 and commune 4 both exist).

Everything is written with ``bulk_create``/``bulk_update`` and paths are rebuilt level by
level, so the whole country with its history loads in seconds. Re-running updates names,
labels and parents and creates what is missing; validity dates already set are kept. Every
unit created or changed leaves one audit event (before → after), as the system unless a user
is named (``by``); the links between old and new units are not audited one by one.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils import timezone

from certification.audit import SystemActor, atomic_deferred
from units.models import Unit, UnitChange
from units.services import log_unit_changes, unit_snapshots
from units.tree import rebuild_paths

REFORM_DATE = datetime.date(2025, 7, 1)
LEGACY_PREFIX = "L-"
REFORM_REFERENCE = "Sắp xếp đơn vị hành chính, hiệu lực 01/07/2025"

LABELS = {
    "tỉnh": "Tỉnh",
    "thành phố trung ương": "Thành phố",
    "thành phố": "Thành phố",
    "huyện": "Huyện",
    "quận": "Quận",
    "thị xã": "Thị xã",
    "xã": "Xã",
    "phường": "Phường",
    "thị trấn": "Thị trấn",
    "đặc khu": "Đặc khu",
}

# Fields the library owns; everything else (notes, household counts…) is left alone.
OWNED_FIELDS = ["name", "label", "kind", "parent_id"]
DERIVED_FIELDS = ["search_name", "is_eligible", "ineligible_reason"]


def province_code(number: int) -> str:
    return f"{int(number):02d}"


def commune_code(number: int) -> str:
    return f"{int(number):05d}"


def legacy_province_code(number: int) -> str:
    return f"{LEGACY_PREFIX}{int(number):02d}"


def legacy_district_code(number: int) -> str:
    return f"{LEGACY_PREFIX}{int(number):03d}"


def legacy_commune_code(number: int) -> str:
    return f"{LEGACY_PREFIX}{int(number):05d}"


def split_label(full_name: str, division_type: str) -> tuple[str, str]:
    """'Phường Vũng Áng' → ('Vũng Áng', 'Phường'); the label comes from the division type."""
    label = LABELS[str(division_type)]
    if full_name.lower().startswith(label.lower() + " "):
        return full_name[len(label) + 1 :].strip(), label
    return full_name, label


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    links_created: int = 0

    def add(self, key: str, created: int, updated: int) -> None:
        self.created[key] = self.created.get(key, 0) + created
        self.updated[key] = self.updated.get(key, 0) + updated


def _new_unit(*, code: str, full_name: str, division_type, kind: str, parent_id: int | None) -> Unit:
    name, label = split_label(full_name, division_type)
    return Unit(code=code, name=name, label=label, kind=kind, parent_id=parent_id)


def upsert_units(
    rows: list[Unit],
    *,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    by=None,
) -> tuple[dict[str, int], list[int], int, int]:
    """Create or update ``rows`` (unsaved units) by code, in bulk, audited as ``by`` (the
    system when None).

    Returns (code → pk for all rows, ids needing a path rebuild, created, updated).
    """
    existing: dict[str, Unit] = {}
    codes = [row.code for row in rows]
    for start in range(0, len(codes), 5000):
        existing.update((u.code, u) for u in Unit.objects.filter(code__in=codes[start : start + 5000]))
    now = timezone.now()
    to_create: list[Unit] = []
    to_update: list[Unit] = []
    moved: list[int] = []
    for row in rows:
        row.refresh_derived_fields()
    before = unit_snapshots(
        old
        for row in rows
        if (old := existing.get(row.code)) is not None
        and (
            any(getattr(old, f) != getattr(row, f) for f in OWNED_FIELDS)
            or (old.valid_from is None and valid_from is not None)
            or (old.valid_to is None and valid_to is not None)
        )
    )
    for row in rows:
        old = existing.get(row.code)
        if old is None:
            row.valid_from, row.valid_to = valid_from, valid_to
            to_create.append(row)
            continue
        changed = [f for f in OWNED_FIELDS if getattr(old, f) != getattr(row, f)]
        if old.valid_from is None and valid_from is not None:
            old.valid_from, changed = valid_from, [*changed, "valid_from"]
        if old.valid_to is None and valid_to is not None:
            old.valid_to, changed = valid_to, [*changed, "valid_to"]
        if not changed:
            continue
        if "parent_id" in changed:
            moved.append(old.pk)
        for name in OWNED_FIELDS:
            setattr(old, name, getattr(row, name))
        old.refresh_derived_fields()
        old.updated_at = now
        to_update.append(old)
    Unit.objects.bulk_create(to_create, batch_size=1000)
    Unit.objects.bulk_update(
        to_update,
        ["name", "label", "kind", "parent", "valid_from", "valid_to", "updated_at", *DERIVED_FIELDS],
        batch_size=500,
    )
    log_unit_changes(by=by or SystemActor(), before=before, units=to_create + to_update)
    code_to_pk = {code: u.pk for code, u in existing.items()}
    code_to_pk.update((u.code, u.pk) for u in to_create)
    return code_to_pk, [u.pk for u in to_create] + moved, len(to_create), len(to_update)


class Level(NamedTuple):
    """One level of the tree as the package gives it: its units are counted in the report under
    ``key``; ``code`` and ``parent_code`` give a package row's code and its parent's (None: top)."""

    key: str
    kind: str
    items: list[Any]
    code: Callable[[Any], str]
    parent_code: Callable[[Any], str] | None = None


def _load_levels(
    report: LoadReport, levels: list[Level], *, by=None, **validity: datetime.date
) -> dict[str, int]:
    """Upsert ``levels`` top down, then rebuild the paths of what was created or moved.
    Returns code → pk of every unit loaded."""
    pks: dict[str, int] = {}
    rebuild: list[int] = []
    for level in levels:
        rows = [
            _new_unit(
                code=level.code(x),
                full_name=x.name,
                division_type=x.division_type,
                kind=level.kind,
                parent_id=pks[level.parent_code(x)] if level.parent_code else None,
            )
            for x in level.items
        ]
        level_pks, moved, created, updated = upsert_units(rows, by=by, **validity)
        report.add(level.key, created, updated)
        pks.update(level_pks)
        rebuild += moved
    rebuild_paths(rebuild)
    return pks


def _wanted_province(number: int, only: int | None) -> bool:
    return only is None or int(number) == only


@atomic_deferred
def load_current(*, province: int | None = None, report: LoadReport | None = None, by=None) -> LoadReport:
    """The 34 provinces and 3,321 communes in force since 1/7/2025."""
    from vietnam_provinces import Province, Ward

    report = report or LoadReport()
    provinces = [p for p in Province.iter_all() if _wanted_province(p.code, province)]
    wards = [w for w in Ward.iter_all() if _wanted_province(w.province_code, province)]
    levels = [
        Level("province", Unit.Kind.PROVINCE, provinces, lambda p: province_code(p.code)),
        Level(
            "commune",
            Unit.Kind.COMMUNE,
            wards,
            lambda w: commune_code(w.code),
            lambda w: province_code(w.province_code),
        ),
    ]
    _load_levels(report, levels, by=by, valid_from=REFORM_DATE)
    return report


def _link_kind(sources: int, targets: int, same_name: bool) -> str:
    if targets > 1:
        return UnitChange.Kind.SPLIT
    if sources > 1:
        return UnitChange.Kind.MERGE
    return UnitChange.Kind.CONTINUATION if same_name else UnitChange.Kind.RENAME


@atomic_deferred
def load_legacy(*, province: int | None = None, report: LoadReport | None = None, by=None) -> LoadReport:
    """The 63 provinces, 696 districts and 10,051 communes of before 1/7/2025, linked to
    today's units. ``province`` (a current province code) loads the legacy provinces that
    became (part of) it."""
    from vietnam_provinces import Province, Ward
    from vietnam_provinces._province_conversion_2025 import NEW_TO_OLD as PROVINCE_NEW_TO_OLD
    from vietnam_provinces._province_conversion_2025 import OLD_TO_NEW as PROVINCE_OLD_TO_NEW
    from vietnam_provinces._ward_conversion_2025 import NEW_TO_OLD as WARD_NEW_TO_OLD
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW as WARD_OLD_TO_NEW
    from vietnam_provinces.legacy import District as LegacyDistrict
    from vietnam_provinces.legacy import Province as LegacyProvince
    from vietnam_provinces.legacy import Ward as LegacyWard

    report = report or LoadReport()
    if province is None:
        wanted = {int(p.code) for p in LegacyProvince.iter_all()}
    else:
        entry = PROVINCE_NEW_TO_OLD.get(province)
        wanted = {ref.code for ref in entry.old_provinces} if entry else set()
    legacy_provinces = [p for p in LegacyProvince.iter_all() if int(p.code) in wanted]
    districts = [d for d in LegacyDistrict.iter_all() if int(d.province_code) in wanted]
    district_codes = {legacy_district_code(d.code) for d in districts}
    wards = [w for w in LegacyWard.iter_all() if legacy_district_code(w.district_code) in district_codes]
    levels = [
        Level(
            "legacy_province", Unit.Kind.PROVINCE, legacy_provinces, lambda p: legacy_province_code(p.code)
        ),
        Level(
            "district",
            Unit.Kind.DISTRICT,
            districts,
            lambda d: legacy_district_code(d.code),
            lambda d: legacy_province_code(d.province_code),
        ),
        Level(
            "legacy_commune",
            Unit.Kind.COMMUNE,
            wards,
            lambda w: legacy_commune_code(w.code),
            lambda w: legacy_district_code(w.district_code),
        ),
    ]
    pks = _load_levels(report, levels, by=by, valid_to=REFORM_DATE)

    # Links to today's units (only to those loaded).
    current_codes = [province_code(p.code) for p in Province.iter_all()]
    current_codes += [commune_code(w.code) for w in Ward.iter_all()]
    current = dict(_pks_by_code(current_codes))
    # Legacy provinces → today's provinces, legacy communes → today's communes: the package's
    # maps both ways name the units on each side ``old_provinces``/``new_provinces`` (or wards).
    mappings = [
        (
            legacy_provinces,
            legacy_province_code,
            PROVINCE_OLD_TO_NEW,
            PROVINCE_NEW_TO_OLD,
            "provinces",
            Province,
            province_code,
        ),
        (wards, legacy_commune_code, WARD_OLD_TO_NEW, WARD_NEW_TO_OLD, "wards", Ward, commune_code),
    ]
    links: list[UnitChange] = []
    for olds, old_code, old_to_new, new_to_old, plural, today, new_code in mappings:
        for old in olds:
            entry = old_to_new.get(int(old.code))
            targets = getattr(entry, f"new_{plural}") if entry else []
            for ref in targets:
                successor = current.get(new_code(ref.code))
                if successor is None:
                    continue
                sources = len(getattr(new_to_old[ref.code], f"old_{plural}")) if ref.code in new_to_old else 1
                same_name = old.name == today.from_code(ref.code).name
                links.append(_link(pks[old_code(old.code)], successor, sources, len(targets), same_name))
    before = UnitChange.objects.count()
    UnitChange.objects.bulk_create(
        links,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["predecessor", "successor"],
        update_fields=["kind", "effective_on", "reference"],
    )
    report.links_created += UnitChange.objects.count() - before
    return report


def _link(predecessor: int, successor: int, sources: int, targets: int, same_name: bool) -> UnitChange:
    return UnitChange(
        predecessor_id=predecessor,
        successor_id=successor,
        kind=_link_kind(sources, targets, same_name),
        effective_on=REFORM_DATE,
        reference=REFORM_REFERENCE,
    )


def _pks_by_code(codes: Iterable[str]) -> Iterable[tuple[str, int]]:
    codes = list(codes)
    for start in range(0, len(codes), 5000):
        yield from Unit.objects.filter(code__in=codes[start : start + 5000]).values_list("code", "pk")


def load_divisions(*, province: int | None = None, legacy: bool = False, by=None) -> LoadReport:
    report = load_current(province=province, by=by)
    if legacy:
        load_legacy(province=province, report=report, by=by)
    return report
