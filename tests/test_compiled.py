"""antt/database/compiled.py: a queryset's SQL compiled once, its rows read at every call (issue 23)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from antt.database.compiled import Compiled, KeptInsert, KeptUpdate
from tests.builders import make_areas, make_commune, make_province
from units.models import Unit

pytestmark = pytest.mark.django_db


def children(parent_id: int):
    return Unit.objects.filter(parent_id=parent_id, valid_to__isnull=True).order_by("code")


def test_the_rows_are_the_querysets_for_each_argument_and_changes_show_at_the_next_call():
    province = make_province()
    communes = [make_commune(province, "18823"), make_commune(province, "18832")]
    make_areas(communes[0], 3, code="A")
    make_areas(communes[1], 2, code="B")
    read = Compiled(children)

    for parent in (province, *communes):
        found = read(parent.pk)
        assert [(u.pk, u.name, u.path) for u in found] == [
            (u.pk, u.name, u.path) for u in children(parent.pk)
        ]
        assert all(isinstance(u, Unit) for u in found)

    with connection.cursor() as cursor:  # a writer outside the ORM: nothing of the rows is kept
        cursor.execute("UPDATE units_unit SET name = 'Thôn Mới' WHERE id = %s", [read(communes[1].pk)[0].pk])
    make_areas(communes[1], 3, code="C")
    assert [u.name for u in read(communes[1].pk)] == [u.name for u in children(communes[1].pk)]
    assert "Thôn Mới" in [u.name for u in read(communes[1].pk)] and len(read(communes[1].pk)) == 5


def test_one_query_per_call_and_the_first_of_a_sliced_queryset():
    province = make_province()
    commune = make_commune(province)
    first = Compiled(lambda parent_id: children(parent_id)[:1])
    first(province.pk)
    with CaptureQueriesContext(connection) as queries:
        assert [u.pk for u in first(province.pk)] == [commune.pk]
        assert first(commune.pk) == []
    assert len(queries) == 2


def test_joined_rows_and_annotations_are_made_as_the_queryset_makes_them():
    from django.db.models import Count

    province = make_province()
    commune = make_commune(province)
    make_areas(commune, 2)

    def with_parents(depth: int):
        return (
            Unit.objects.filter(depth=depth)
            .select_related("parent__parent")
            .annotate(n_children=Count("children"))
            .order_by("code")
        )

    read = Compiled(with_parents)
    for depth in (0, 1, 2):
        expected = [(u.pk, u.parent, u.parent and u.parent.parent, u.n_children) for u in with_parents(depth)]
        with CaptureQueriesContext(connection) as queries:
            found = [(u.pk, u.parent, u.parent and u.parent.parent, u.n_children) for u in read(depth)]
        assert found == expected and len(queries) == 1  # the parents came with the rows
    assert read(2)[0].parent.parent == province


def test_what_it_cannot_keep_is_refused_when_compiled():
    commune = make_commune(make_province())
    with pytest.raises(ValueError, match="not used as it is"):
        Compiled(lambda depth: Unit.objects.filter(depth=depth - 1))(1)
    with pytest.raises(ValueError, match="a plain queryset"):
        Compiled(lambda depth: Unit.objects.filter(depth=depth).prefetch_related("children"))(1)
    with pytest.raises(ValueError, match="shape depends"):
        Compiled(lambda depth: Unit.objects.filter(pk__in=range(depth - 10_000)))(1)
    assert commune.depth == 1


def test_a_small_integer_argument_and_a_constant_equal_to_a_stand_in():
    commune = make_commune(make_province())
    make_areas(commune, 3, households=lambda i: 9_999 + i)  # 10,000 to 10,002: 10,001 is a stand-in

    def crowded(depth: int):
        return Unit.objects.filter(depth=depth, household_count__gte=10_001).order_by("pk")

    read = Compiled(crowded)
    for depth in (0, 1, 2):
        assert [u.pk for u in read(depth)] == [u.pk for u in crowded(depth)]
    assert len(read(2)) == 2


def test_a_few_ids_in_a_list_are_compiled_once_per_number_of_ids():
    commune = make_commune(make_province())
    areas = make_areas(commune, 4)
    read = Compiled(lambda *ids: Unit.objects.filter(pk__in=ids).order_by("pk"))
    for ids in ([areas[0].pk], [areas[2].pk, commune.pk], [a.pk for a in areas[1:]], [areas[3].pk]):
        assert [u.pk for u in read(*ids)] == sorted(ids)
    with pytest.raises(ValueError, match="at most 8"):
        read(*range(1, 10))


@pytest.mark.django_db(transaction=True)  # autocommit outside the block, as in a request
def test_a_row_lock_is_taken_inside_a_transaction_and_refused_outside():
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    commune = make_commune(make_province())
    read = Compiled(lambda pk: Unit.objects.select_for_update(of=("self",)).filter(pk=pk))
    with pytest.raises(TransactionManagementError):  # compiling outside a transaction
        read(commune.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert [u.pk for u in read(commune.pk)] == [commune.pk]
    assert queries[-1]["sql"].endswith('FOR UPDATE OF "units_unit"')
    with pytest.raises(TransactionManagementError):  # and once compiled: a lock in autocommit ends at once
        read(commune.pk)


def test_plain_sql_rows_are_the_raw_querysets_instances():
    """``raw_instances``: the same instances as ``Model.objects.raw`` (fields, deferred fields,
    extra columns as attributes), whatever columns the SQL gives, and a change shows at once."""
    from antt.database.compiled import raw_instances

    province = make_province()
    commune = make_commune(province)
    make_areas(commune, 3)
    sql = (
        "SELECT u.*, p.name AS parent_name, u.depth * 10 AS rank FROM units_unit u "
        "JOIN units_unit p ON p.id = u.parent_id WHERE u.path LIKE %(path)s ORDER BY u.code"
    )
    narrow = "SELECT id, name, 7 AS extra FROM units_unit WHERE parent_id = %s ORDER BY id"

    def facts(units, names):
        return [tuple(getattr(u, n) for n in names) for u in units]

    for query, params, names in (
        (
            sql,
            {"path": f"{province.path}%"},
            ("pk", "code", "name", "path", "valid_from", "parent_name", "rank"),
        ),
        (narrow, [commune.pk], ("pk", "name", "extra")),
    ):
        expected = list(Unit.objects.raw(query, params))
        found = raw_instances(Unit, query, params)
        assert facts(found, names) == facts(expected, names) and len(found) >= 3
        assert all(type(u) is Unit for u in found)
        assert [sorted(u.get_deferred_fields()) for u in found] == [
            sorted(u.get_deferred_fields()) for u in expected
        ]
    Unit.objects.filter(parent=commune).update(name="Thôn Đổi")
    assert {u.name for u in raw_instances(Unit, narrow, [commune.pk])} == {"Thôn Đổi"}
    with pytest.raises(Exception, match="primary key"):
        raw_instances(Unit, "SELECT name FROM units_unit")


def test_the_kept_sql_is_prepared_once_per_connection_unless_turned_off():
    """On PostgreSQL a kept query runs as a prepared statement of the connection (round 7): one
    for every call, the rows read each time; none with DATABASE_PREPARED_STATEMENTS=0 (psycopg's
    threshold None), for a connection pooler that does not keep them."""
    province = make_province()
    commune = make_commune(province)

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%"units_unit"."code" DESC, "units_unit"."name" DESC%'],
            )
            return cursor.fetchone()[0]

    read = Compiled(lambda parent_id: Unit.objects.filter(parent_id=parent_id).order_by("-code", "-name"))
    before = prepared()
    assert [u.pk for u in read(province.pk)] == [commune.pk]
    assert read(commune.pk) == []
    assert prepared() == before + 1
    Unit.objects.filter(pk=commune.pk).update(name="Xã Mới")
    assert [u.name for u in read(province.pk)] == ["Xã Mới"]

    raw = connection.connection
    threshold, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        off = Compiled(
            lambda parent_id: Unit.objects.filter(parent_id=parent_id).order_by("-code", "-name", "pk")
        )
        assert [u.pk for u in off(province.pk)] == [commune.pk]
        assert prepared() == before + 1
    finally:
        raw.prepare_threshold = threshold


def test_a_kept_update_writes_what_the_querysets_update_writes_and_counts_the_rows():
    """KeptUpdate (round 9): the values converted by their fields (a date, an empty value, a foreign
    key by its attname); a row that does not exist is 0 rows, as ``update()`` says."""
    import datetime

    province = make_province()
    communes = [make_commune(province, "18823"), make_commune(province, "18832")]
    write = KeptUpdate(Unit)
    assert write(communes[0].pk, {"name": "Xã Mới", "valid_to": datetime.date(2025, 6, 30)}) == 1
    assert write(communes[1].pk, {"name": "Xã Khác", "valid_to": None, "parent_id": communes[0].pk}) == 1
    assert write(10**9, {"name": "Không có"}) == 0
    found = {
        u.pk: (u.name, u.valid_to, u.parent_id) for u in Unit.objects.filter(pk__in=[c.pk for c in communes])
    }
    assert found == {
        communes[0].pk: ("Xã Mới", datetime.date(2025, 6, 30), province.pk),
        communes[1].pk: ("Xã Khác", None, communes[0].pk),
    }
    with pytest.raises(ValueError, match="not a column"):
        write(communes[0].pk, {"children": []})


def test_a_kept_update_with_another_row_writes_both_in_one_statement():
    province = make_province()
    commune = make_commune(province)
    write = KeptUpdate(Unit)
    write(commune.pk, {"note": "trước"}, also=(write, province.pk, {"note": "trước", "household_count": 1}))
    with CaptureQueriesContext(connection) as queries:
        updated = write(
            commune.pk, {"note": "sau"}, also=(write, province.pk, {"note": "tỉnh", "household_count": 7})
        )
    assert updated == 1 and len(queries) == 1
    assert Unit.objects.get(pk=commune.pk).note == "sau"
    assert (Unit.objects.get(pk=province.pk).note, Unit.objects.get(pk=province.pk).household_count) == (
        "tỉnh",
        7,
    )


def test_a_kept_insert_stores_what_bulk_create_stores_in_one_statement_for_any_number_of_rows():
    """KeptInsert (round 9): the instances get their ids; one prepared statement, whatever the
    number of rows."""
    from django.utils import timezone

    from certification.models import AuditEvent

    def events(n: int, start: int) -> list[AuditEvent]:
        at = timezone.now()
        return [
            AuditEvent(
                at=at,
                action="test",
                object_type="x",
                object_id=str(i),
                object_repr=f"Tổ {i}",
                field="",
                old="",
                new="mới",
                prev_hash="0" * 64,
                hash=f"{start + i:064d}",
            )
            for i in range(n)
        ]

    insert = KeptInsert(AuditEvent)
    one, three = events(1, 0), events(3, 10)
    with CaptureQueriesContext(connection) as queries:
        insert(one)
        insert(three)
    assert len(queries) == 2
    ids = [e.pk for e in one + three]
    assert None not in ids and len(set(ids)) == 4
    stored = {
        e.pk: (e.at, e.actor_id, e.object_repr, e.new, e.hash) for e in AuditEvent.objects.filter(pk__in=ids)
    }
    assert stored == {e.pk: (e.at, None, e.object_repr, "mới", e.hash) for e in one + three}

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['INSERT INTO "certification_auditevent"%'],
            )
            return cursor.fetchone()[0]

    insert(events(2, 20))  # queries not logged: prepared
    before = prepared()
    insert(events(5, 30))
    assert before >= 1 and prepared() == before


def test_the_kept_writes_write_the_same_with_prepared_statements_turned_off():
    """DATABASE_PREPARED_STATEMENTS=0 (psycopg's threshold None): Django's own cursor, which binds
    on the client; the same rows written."""
    from django.utils import timezone

    from certification.models import AuditEvent

    province = make_province()
    commune = make_commune(province)
    raw = connection.connection
    threshold, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        write = KeptUpdate(Unit)
        assert write(commune.pk, {"note": "xã"}, also=(write, province.pk, {"household_count": None})) == 1
        at = timezone.now()
        events = [
            AuditEvent(
                at=at, action="test", object_type="x", object_id=str(i), object_repr="Tổ", hash=f"{i:064d}"
            )
            for i in range(2)
        ]
        KeptInsert(AuditEvent)(events)
    finally:
        raw.prepare_threshold = threshold
    assert (
        Unit.objects.get(pk=commune.pk).note == "xã"
        and Unit.objects.get(pk=province.pk).household_count is None
    )
    assert list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).values_list("hash", flat=True)) == [
        e.hash for e in events
    ]
