import time

import pytest

from units.data.demo import generate_local_units
from units.data.divisions import load_divisions
from units.models import Unit
from units.tree import inconsistent_paths

E, S, K = Unit.Kind.ENTERPRISE, Unit.Kind.SCHOOL, Unit.Kind.AGENCY


@pytest.mark.parametrize(
    ("fields", "eligible"),
    [
        ({"kind": E, "enterprise_size": "micro"}, False),
        ({"kind": E, "enterprise_size": "small"}, False),
        ({"kind": E, "enterprise_size": "medium"}, True),
        ({"kind": E, "enterprise_size": "large"}, True),
        ({"kind": S, "school_level": "creche"}, False),
        ({"kind": S, "school_level": "kindergarten"}, False),
        ({"kind": S, "school_level": "primary"}, False),
        ({"kind": S, "school_level": "lower_secondary"}, True),
        ({"kind": S, "school_level": "upper_secondary"}, True),
        ({"kind": S, "school_level": "continuing"}, True),
        ({"kind": S, "school_level": "university"}, True),
        ({"kind": K, "is_armed_forces": True}, False),
        ({"kind": K, "is_armed_forces": False}, True),
        ({"kind": Unit.Kind.RESIDENTIAL_AREA}, True),
        ({"kind": Unit.Kind.COMMUNE}, True),
    ],
)
@pytest.mark.django_db
def test_eligibility_follows_tt124_article_1(commune, fields, eligible):
    unit = Unit.objects.create(code="U", name="Đơn vị", parent=commune, **fields)
    unit.refresh_from_db()
    assert unit.is_eligible is eligible
    assert bool(unit.ineligible_reason) is not eligible
    assert bool(unit.ineligibility_reason_display) is not eligible


@pytest.mark.django_db
def test_the_demo_fills_a_province_with_realistic_units_once(load_ha_tinh):
    province = Unit.objects.get(code="42")
    started = time.monotonic()
    counts = generate_local_units(province)
    elapsed = time.monotonic() - started
    assert counts["communes"] == 69
    assert counts["residential_area"] >= 69 * 8
    assert counts["ineligible"] > 0 and counts["enterprise"] > 0 and counts["school"] > 0
    assert elapsed < 30
    assert not inconsistent_paths().exists()

    ward = Unit.objects.get(code="18823")  # Phường Vũng Áng
    areas = ward.children.filter(kind=Unit.Kind.RESIDENTIAL_AREA)
    assert areas.exists() and all(a.label == "Tổ dân phố" for a in areas)
    assert all(60 <= a.household_count <= 450 for a in areas)
    rural = Unit.objects.filter(parent__parent=province, parent__label="Xã", kind=Unit.Kind.RESIDENTIAL_AREA)
    assert rural.first().name.startswith("Thôn ")
    assert (
        Unit.objects.filter(is_armed_forces=True, parent__parent=province).count() == 4
    )  # one per ~20 communes
    assert Unit.objects.filter(school_level="primary", is_eligible=False).exists()
    assert Unit.objects.filter(school_level="upper_secondary", parent=province).exists()

    again = generate_local_units(province)
    assert again["created"] == 0 and again["existing"] == counts["created"]


@pytest.mark.django_db
def test_the_demo_is_deterministic_for_a_seed(load_ha_tinh):
    province = Unit.objects.get(code="42")
    generate_local_units(province, seed=7, areas_per_commune=(3, 3))
    first = sorted(
        Unit.objects.filter(code__startswith="18823-").values_list("code", "name", "household_count")
    )
    Unit.objects.filter(parent__parent=province).delete()
    Unit.objects.filter(parent=province).exclude(kind=Unit.Kind.COMMUNE).delete()
    generate_local_units(province, seed=7, areas_per_commune=(3, 3))
    second = sorted(
        Unit.objects.filter(code__startswith="18823-").values_list("code", "name", "household_count")
    )
    assert first == second and len([c for c in first if c[0][6:].isdigit()]) == 3


@pytest.fixture
def load_ha_tinh(db):
    load_divisions(province=42)
