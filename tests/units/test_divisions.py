import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from units.data.divisions import load_divisions
from units.models import Unit, UnitChange
from units.tree import inconsistent_paths


@pytest.mark.django_db
def test_loading_everything_gives_the_official_counts_and_links_ky_long_to_vung_ang():
    with CaptureQueriesContext(connection) as queries:
        load_divisions(legacy=True)

    current = Unit.objects.filter(valid_to__isnull=True)
    assert current.filter(kind=Unit.Kind.PROVINCE).count() == 34
    assert current.filter(kind=Unit.Kind.COMMUNE).count() == 3321
    assert current.filter(kind=Unit.Kind.COMMUNE, label="Xã").count() == 2621
    assert current.filter(kind=Unit.Kind.COMMUNE, label="Phường").count() == 687
    assert current.filter(kind=Unit.Kind.COMMUNE, label="Đặc khu").count() == 13
    legacy = Unit.objects.filter(code__startswith="L-")
    assert legacy.filter(kind=Unit.Kind.PROVINCE).count() == 63
    assert legacy.filter(kind=Unit.Kind.DISTRICT).count() == 696
    assert legacy.filter(kind=Unit.Kind.COMMUNE).count() == 10051
    assert not legacy.filter(valid_to__isnull=True).exists()

    ky_long = Unit.objects.get(code="L-18835")
    assert ky_long.full_name == "Phường Kỳ Long"
    assert ky_long.parent.full_name == "Thị xã Kỳ Anh"
    assert ky_long.parent.parent.code == "L-42"
    successors = [link.successor for link in ky_long.successor_links.all()]
    assert [(s.code, s.full_name) for s in successors] == [("18823", "Phường Vũng Áng")]
    assert successors[0].parent.code == "42"
    assert successors[0].parent.full_name == "Tỉnh Hà Tĩnh"
    assert UnitChange.objects.filter(predecessor__code="L-42", successor__code="42").exists()

    assert not inconsistent_paths().exists()
    # ~13,400 divisions written in batches, not one statement per row (which took minutes); the
    # time itself belongs in bench/, not here.
    assert len(queries) < 1_000, len(queries)


@pytest.mark.django_db
def test_codes_keep_the_gso_widths_so_province_4_and_commune_4_do_not_collide():
    load_divisions(province=1)  # Hà Nội has commune 4 (Phường Ba Đình)
    load_divisions(province=4)  # Cao Bằng is province 4
    assert Unit.objects.get(code="04").full_name == "Tỉnh Cao Bằng"
    assert Unit.objects.get(code="00004").full_name == "Phường Ba Đình"
    assert Unit.objects.get(code="01").full_name == "Thành phố Hà Nội"


@pytest.mark.django_db
def test_loading_one_province_twice_changes_nothing_the_second_time(capsys):
    call_command("load_divisions", "--province", "42", "--legacy")
    counts = Unit.objects.count(), UnitChange.objects.count()
    first_paths = dict(Unit.objects.values_list("code", "path"))
    call_command("load_divisions", "--province", "42", "--legacy")
    assert (Unit.objects.count(), UnitChange.objects.count()) == counts
    assert dict(Unit.objects.values_list("code", "path")) == first_paths
    out = capsys.readouterr().out
    assert "commune: 0 created, 0 updated" in out
    province = Unit.objects.get(code="42")
    assert province.valid_from.isoformat() == "2025-07-01"
    assert province.descendants().filter(kind=Unit.Kind.COMMUNE).count() == 69
    assert Unit.objects.filter(code__startswith="L-", kind=Unit.Kind.PROVINCE).count() == 1


@pytest.mark.django_db
def test_reloading_repairs_a_renamed_commune_and_keeps_its_local_units(commune, area):
    # The fixture commune "18823" exists before the loader runs: it is updated, not duplicated.
    Unit.objects.filter(pk=commune.pk).update(name="Tên cũ", search_name="ten cu")
    load_divisions(province=42)
    commune.refresh_from_db()
    area.refresh_from_db()
    assert commune.name == "Vũng Áng"
    assert commune.search_name == "phuong vung ang"
    assert Unit.objects.filter(code="18823").count() == 1
    assert area.parent_id == commune.pk
    assert area.path.startswith(commune.path)


@pytest.mark.django_db
def test_an_unknown_province_code_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_divisions", "--province", "99")
    assert not Unit.objects.exists()
