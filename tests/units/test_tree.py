import pytest
from django.db import connection

from units.models import Unit
from units.tree import inconsistent_paths, rebuild_paths


def _bulk(parent: Unit, prefix: str, n: int, kind=Unit.Kind.RESIDENTIAL_AREA) -> list[Unit]:
    rows = [Unit(code=f"{prefix}{i}", name=f"{prefix} {i}", kind=kind, parent=parent) for i in range(n)]
    return Unit.objects.bulk_create(rows)


@pytest.mark.django_db
def test_bulk_created_rows_get_their_paths_from_rebuild_paths(province):
    communes = _bulk(province, "C", 3, kind=Unit.Kind.COMMUNE)
    areas = [a for c in communes for a in _bulk(c, f"{c.code}-A", 4)]
    assert inconsistent_paths().count() == len(communes) + len(areas)

    rebuild_paths([u.pk for u in communes + areas])

    assert not inconsistent_paths().exists()
    area = Unit.objects.get(pk=areas[0].pk)
    assert area.path == f"{province.pk}/{communes[0].pk}/{area.pk}/"
    assert area.depth == 2
    assert province.descendants().count() == 3 + 12


@pytest.mark.django_db
def test_rebuilding_one_root_repairs_its_whole_subtree_and_nothing_else(province, other_province, commune):
    stray = _bulk(other_province, "X", 2)
    below = _bulk(commune, "A", 2)
    rebuild_paths(province)
    assert not inconsistent_paths(Unit.objects.filter(pk__in=[u.pk for u in below])).exists()
    assert inconsistent_paths(Unit.objects.filter(pk__in=[u.pk for u in stray])).count() == 2
    assert rebuild_paths(None) >= 2
    assert not inconsistent_paths().exists()


@pytest.mark.django_db
def test_moving_a_unit_moves_its_whole_subtree(province, commune, other_commune, areas):
    areas[0].parent = other_commune
    areas[0].save()
    commune.parent = None
    commune.save()
    assert not inconsistent_paths().exists()
    assert {u.pk for u in commune.descendants()} == {a.pk for a in areas[1:]}
    assert areas[0].is_within(other_commune)


@pytest.mark.django_db
def test_a_subtree_is_one_prefix_query(province, commune, areas, other_area, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = set(commune.descendants().values_list("code", flat=True))
    assert codes == {a.code for a in areas}


@pytest.mark.pg_only
@pytest.mark.django_db
def test_postgresql_uses_the_path_index_for_subtree_queries(province, commune, other_area):
    rows = [
        Unit(code=f"N{i}", name=f"N {i}", kind=Unit.Kind.RESIDENTIAL_AREA, parent=commune)
        for i in range(5000)
    ]
    Unit.objects.bulk_create(rows)
    rebuild_paths(commune)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE units_unit")
    # A small subtree among many rows: "everything under X" is an index range scan.
    plan = other_area.parent.descendants().explain()
    assert "unit_path_idx" in plan, plan
