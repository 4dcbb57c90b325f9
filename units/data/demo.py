"""Realistic made-up local units for demonstrations: residential areas, agencies, enterprises
and schools under the communes of one province.

Everything is derived from ``seed`` and the commune codes (one random generator per commune),
so running it again creates nothing new and a commune added later does not shift the others.
Codes: ``<commune code>-001`` … for residential areas, ``<commune code>-CQ01`` agencies,
``-DN01`` enterprises, ``-GD01`` schools, ``-LL01`` armed forces; ``<province code>-SO01``
provincial departments and ``<province code>-THPT01`` upper-secondary schools.
"""

import random

from django.db import transaction

from units.models import Unit
from units.tree import rebuild_paths

_PREFIXES = ["Đông", "Tây", "Nam", "Bắc", "Tân", "Phú", "Hòa", "An", "Trung", "Thượng", "Hạ", "Xuân", "Yên"]
_SUFFIXES = [
    "Hải",
    "Sơn",
    "Lộc",
    "Phong",
    "Thành",
    "Lợi",
    "Hưng",
    "Bình",
    "Thịnh",
    "Mỹ",
    "Long",
    "Phúc",
    "Hà",
    "Tiến",
    "Quang",
    "Vinh",
]
_ENTERPRISE_NAMES = [
    "Thương mại Hải Phát",
    "Xây dựng Minh Long",
    "May mặc Hòa Bình",
    "Chế biến thủy sản Biển Đông",
    "Vật liệu xây dựng Hồng Lĩnh",
    "Vận tải Thành Công",
    "Nông sản Xuân An",
    "Cơ khí Trường Sơn",
    "Gỗ Tân Phú",
    "Dịch vụ du lịch Sao Mai",
    "Điện tử Việt Tiến",
    "Thực phẩm An Khang",
]
_ENTERPRISE_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân"]
_SIZES = [
    (Unit.EnterpriseSize.MICRO, 35),
    (Unit.EnterpriseSize.SMALL, 35),
    (Unit.EnterpriseSize.MEDIUM, 20),
    (Unit.EnterpriseSize.LARGE, 10),
]
_DEPARTMENTS = [
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Nông nghiệp và Môi trường",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Bệnh viện Đa khoa",
]
_NORTHWEST = {"11", "12", "14"}  # Điện Biên, Lai Châu, Sơn La: "bản"
_SOUTH = {"79", "80", "82", "86", "91", "92", "96"}  # "ấp" and "khu phố"


def _area_labels(province: Unit, commune: Unit) -> str:
    urban = commune.label == "Phường"
    if province.code in _SOUTH:
        return "Khu phố" if urban else "Ấp"
    if urban:
        return "Tổ dân phố"
    return "Bản" if province.code in _NORTHWEST else "Thôn"


def _place(commune: Unit) -> str:
    """'xã Kỳ Hoa', 'phường Vũng Áng' (as written inside a name)."""
    return f"{commune.label.lower()} {commune.name}".strip() if commune.label else commune.name


def _commune_units(province: Unit, commune: Unit, rng: random.Random, areas: tuple[int, int], armed: bool):
    label = _area_labels(province, commune)
    count = rng.randint(*areas)
    if label in ("Tổ dân phố", "Khu phố"):
        names = [f"{label} {i}" for i in range(1, count + 1)]
    else:
        pool = [f"{p} {s}" for p in _PREFIXES for s in _SUFFIXES]
        names = [f"{label} {name}" for name in rng.sample(pool, min(count, len(pool)))]
    for i, name in enumerate(names, start=1):
        yield Unit(
            code=f"{commune.code}-{i:03d}",
            name=name,
            label=label,
            kind=Unit.Kind.RESIDENTIAL_AREA,
            household_count=rng.randint(60, 450),
        )
    place = _place(commune)
    agencies = [f"Trạm Y tế {place}", f"Bưu điện văn hóa {place}"]
    if rng.random() < 0.5:
        agencies.append(f"Ủy ban Mặt trận Tổ quốc Việt Nam {place}")
    for i, name in enumerate(agencies, start=1):
        yield Unit(code=f"{commune.code}-CQ{i:02d}", name=name, kind=Unit.Kind.AGENCY)
    schools = [
        (f"Trường Mầm non {commune.name}", Unit.SchoolLevel.KINDERGARTEN),
        (f"Trường Tiểu học {commune.name}", Unit.SchoolLevel.PRIMARY),
        (f"Trường THCS {commune.name}", Unit.SchoolLevel.LOWER_SECONDARY),
    ]
    if rng.random() < 0.2:
        schools.append((f"Trường Tiểu học và THCS {commune.name}", Unit.SchoolLevel.MULTI_LEVEL))
    for i, (name, level) in enumerate(schools, start=1):
        yield Unit(code=f"{commune.code}-GD{i:02d}", name=name, kind=Unit.Kind.SCHOOL, school_level=level)
    sizes, weights = zip(*_SIZES, strict=True)
    for i in range(1, rng.randint(0, 4) + 1):
        name = f"{rng.choice(_ENTERPRISE_FORMS)} {rng.choice(_ENTERPRISE_NAMES)} {commune.name}"
        size = rng.choices(sizes, weights)[0]
        yield Unit(
            code=f"{commune.code}-DN{i:02d}", name=name, kind=Unit.Kind.ENTERPRISE, enterprise_size=size
        )
    if armed:
        name = rng.choice([f"Ban Chỉ huy Quân sự {place}", f"Đồn Biên phòng {commune.name}"])
        yield Unit(code=f"{commune.code}-LL01", name=name, kind=Unit.Kind.AGENCY, is_armed_forces=True)


@transaction.atomic
def generate_local_units(
    province: Unit, *, seed: int = 42, areas_per_commune: tuple[int, int] = (8, 25)
) -> dict:
    """Create made-up residential areas, agencies, enterprises and schools under the current
    communes of ``province`` (and a few province-managed ones). Returns counts."""
    communes = list(
        Unit.objects.filter(parent=province, kind=Unit.Kind.COMMUNE, valid_to__isnull=True).order_by("code")
    )
    planned: list[Unit] = []
    for index, commune in enumerate(communes):
        rng = random.Random(f"{seed}:{commune.code}")
        for unit in _commune_units(province, commune, rng, areas_per_commune, armed=index % 20 == 0):
            unit.parent_id = commune.pk
            planned.append(unit)
    place = _place(province)
    for i, name in enumerate(_DEPARTMENTS, start=1):
        planned.append(
            Unit(
                code=f"{province.code}-SO{i:02d}",
                name=f"{name} {place}",
                kind=Unit.Kind.AGENCY,
                parent_id=province.pk,
            )
        )
    for i, commune in enumerate(communes[::4], start=1):
        planned.append(
            Unit(
                code=f"{province.code}-THPT{i:02d}",
                name=f"Trường THPT {commune.name}",
                kind=Unit.Kind.SCHOOL,
                school_level=Unit.SchoolLevel.UPPER_SECONDARY,
                parent_id=province.pk,
            )
        )
    existing = set()
    codes = [u.code for u in planned]
    for start in range(0, len(codes), 5000):
        existing.update(
            Unit.objects.filter(code__in=codes[start : start + 5000]).values_list("code", flat=True)
        )
    new = [u for u in planned if u.code not in existing]
    for unit in new:
        unit.refresh_derived_fields()
    Unit.objects.bulk_create(new, batch_size=1000)
    rebuild_paths([u.pk for u in new])
    counts = {kind: 0 for kind in Unit.INSTITUTION_KINDS}
    counts[Unit.Kind.RESIDENTIAL_AREA] = 0
    for unit in new:
        counts[unit.kind] += 1
    return {
        "communes": len(communes),
        "created": len(new),
        "existing": len(existing),
        "ineligible": sum(1 for u in new if not u.is_eligible),
        **{str(kind): n for kind, n in counts.items()},
    }
