import pytest

from tests.builders import make_legacy_district, make_unit
from units.admin import RecognizingAuthorityForm
from units.authority import decide_authority, delegation_targets, recognizing_authority
from units.models import RecognizingAuthority, Unit

K = Unit.Kind
LOWER_SECONDARY = Unit.SchoolLevel.LOWER_SECONDARY


def rule_form(unit, authority, from_year, is_delegation=False, reference="") -> RecognizingAuthorityForm:
    """The form through which rules are entered (the admin's)."""
    data = {"unit": unit.pk, "authority": authority.pk, "from_year": from_year, "reference": reference}
    if is_delegation:
        data["is_delegation"] = "on"
    return RecognizingAuthorityForm(data=data)


@pytest.fixture
def legacy_tree(db):
    """Hà Tĩnh before 2025: province → Thị xã Kỳ Anh → Phường Kỳ Long → a residential area."""
    province, district = make_legacy_district()
    ward = make_unit("L-18835", "Kỳ Long", K.COMMUNE, district, label="Phường")
    area = make_unit("L-18835-T1", "Tổ dân phố 1", K.RESIDENTIAL_AREA, ward, label="Tổ dân phố")
    district_school = make_unit(
        "L-436-GD1", "Trường THCS Kỳ Long", K.SCHOOL, district, school_level=LOWER_SECONDARY
    )
    return province, district, ward, area, district_school


@pytest.fixture
def school(commune):
    return make_unit("18823-GD1", "Trường THCS Vũng Áng", K.SCHOOL, commune, school_level=LOWER_SECONDARY)


@pytest.fixture
def province_enterprise(province):
    name = "Công ty Cổ phần Thép Vũng Áng"
    return make_unit("42-DN1", name, K.ENTERPRISE, province, enterprise_size=Unit.EnterpriseSize.LARGE)


def test_a_residential_area_is_recognized_by_its_commune(area, commune):
    assert recognizing_authority(area, 2026) == commune


def test_a_commune_is_recognized_by_its_province_after_the_reform(commune, province):
    assert recognizing_authority(commune, 2025) == province
    assert recognizing_authority(commune, 2026) == province


def test_before_2025_a_commune_with_a_district_was_recognized_by_the_district(legacy_tree):
    province, district, ward, area, _school = legacy_tree
    assert recognizing_authority(ward, 2024) == district
    assert recognizing_authority(ward, 2022) == district
    assert recognizing_authority(area, 2024) == ward


def test_before_2025_a_commune_without_a_district_in_the_tree_falls_back_to_the_province(commune, province):
    assert recognizing_authority(commune, 2024) == province


def test_institutions_are_recognized_by_the_level_that_manages_them(
    school, commune, province_enterprise, province, legacy_tree
):
    assert recognizing_authority(school, 2026) == commune
    assert recognizing_authority(province_enterprise, 2026) == province
    _p, district, _w, _a, district_school = legacy_tree
    assert recognizing_authority(district_school, 2024) == district


def test_a_sub_unit_of_an_institution_goes_to_the_institutions_manager(school, commune):
    branch = make_unit("18823-GD1-1", "Điểm trường Kỳ Long", K.SCHOOL, school)
    assert recognizing_authority(branch, 2026) == commune


def test_provinces_and_districts_are_not_recognized_themselves(province, legacy_tree):
    assert recognizing_authority(province, 2026) is None
    assert recognizing_authority(legacy_tree[1], 2024) is None


def test_a_delegation_row_wins_from_its_first_year(province_enterprise, province, commune):
    form = rule_form(province_enterprise, commune, 2026, is_delegation=True, reference="QĐ 12/QĐ-UBND")
    assert form.is_valid(), form.errors
    form.save()
    assert recognizing_authority(province_enterprise, 2025) == province
    decision = decide_authority(province_enterprise, 2026)
    assert decision.authority == commune
    assert decision.is_delegation and not decision.is_default
    assert recognizing_authority(province_enterprise, 2030) == commune


def test_the_latest_row_applies_and_a_closed_row_stops(province_enterprise, province, commune, other_commune):
    RecognizingAuthority.objects.create(
        unit=province_enterprise, authority=commune, from_year=2026, to_year=2027
    )
    RecognizingAuthority.objects.create(unit=province_enterprise, authority=other_commune, from_year=2027)
    assert recognizing_authority(province_enterprise, 2026) == commune
    assert recognizing_authority(province_enterprise, 2027) == other_commune
    RecognizingAuthority.objects.filter(authority=other_commune).delete()
    assert recognizing_authority(province_enterprise, 2028) == province


def test_delegation_goes_only_one_level_down_and_only_for_institutions(
    province_enterprise, province, commune, area, school, other_province
):
    assert set(delegation_targets(province_enterprise, 2026)) >= {commune}
    assert not delegation_targets(area, 2026).exists()  # residential areas: Art. 10(5) does not apply
    assert not delegation_targets(school, 2026).exists()  # a commune has no level below it
    for bad in (
        rule_form(area, commune, 2026, is_delegation=True),
        rule_form(province_enterprise, other_province, 2026, is_delegation=True),
        rule_form(province_enterprise, area, 2026),
    ):
        assert not bad.is_valid()
        assert "authority" in bad.errors


def test_a_district_managed_unit_before_2025_may_be_delegated_to_a_commune_of_that_district(legacy_tree):
    _p, district, ward, _a, district_school = legacy_tree
    assert list(delegation_targets(district_school, 2024)) == [ward]
