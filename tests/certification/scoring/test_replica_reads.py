"""Report reads from the read replica (``DATABASE_REPLICA_URL``, ``antt.database.replica``).

A second alias, ``replica``, is configured as a TEST MIRROR of the default database (the same
test database through its own connection, as ``settings.py`` configures it when
``DATABASE_REPLICA_URL`` is set), and the queries of each connection are captured: the summary
report, the leaders' dashboard and the results pages read from the replica; writes, account and
session reads, reads inside a transaction and reads after a write never do."""

import copy

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from antt.database.replica import REPLICA, report_reads
from certification.models import Result
from certification.scoring import results
from units.models import Unit

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """The ``replica`` alias as a mirror of the test database (what ``TEST: {"MIRROR": "default"}``
    makes of it when the whole suite runs with ``DATABASE_REPLICA_URL`` set)."""
    if REPLICA in connections:
        yield
        return
    default = connections["default"].settings_dict
    connections.settings[REPLICA] = {
        **copy.deepcopy(default),
        "TEST": {**default["TEST"], "MIRROR": "default"},
    }
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def scored(campaign, province, commune, other_commune, areas, assess):
    for unit in areas[:4]:
        assess(unit, status="recognized")
    assess(areas[4], answers={"KDC-3a": "not_met", "KDC-5": "not_met"})
    assess(commune)
    results.score_chunk(campaign, [province.pk, commune.pk, other_commune.pk])
    results.summarize_province(campaign)
    return campaign


class Queries:
    """The SQL each alias ran inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def on(self, alias: str) -> list[str]:
        captured = self.replica if alias == REPLICA else self.primary
        return [q["sql"] for q in captured.captured_queries]

    def writes_on_replica(self) -> list[str]:
        return [sql for sql in self.on(REPLICA) if sql.lstrip().upper().startswith(WRITES)]


def get_on_replica(client, url: str, query=None, reads: str = "certification_result"):
    """GET ``url``: answered 200, the table ``reads`` read on the replica and nothing written
    there; returns the response and the queries."""
    with Queries() as q:
        response = client.get(url, query or {})
    assert response.status_code == 200
    assert any(reads in sql for sql in q.on(REPLICA))
    assert not q.writes_on_replica()
    return response, q


@pytest.mark.parametrize("fmt", ["", "pdf", "xlsx"])
def test_the_summary_report_reads_its_figures_from_the_replica(
    client, scored, province, province_viewer, fmt
):
    from django.core.cache import caches

    client.force_login(province_viewer)
    caches["identity"].clear()  # the session, the user and the roles are read from a database
    query = {"unit": province.pk, "year": scored.year} | ({"format": fmt} if fmt else {})
    _response, q = get_on_replica(
        client, reverse("certification:report-summary"), query, "certification_assessment"
    )
    replica = q.on(REPLICA)
    # The session, the user and the access check were read on the primary.
    assert any("accounts_usersession" in sql or "django_session" in sql for sql in q.on("default"))
    assert not any("auth_user" in sql or "session" in sql for sql in replica)
    assert not any("units_roleassignment" in sql for sql in replica)


def test_the_leaders_dashboard_reads_its_aggregates_from_the_replica(client, scored, province_viewer):
    client.force_login(province_viewer)
    page, q = get_on_replica(client, reverse("home"))
    assert "Phường" in page.content.decode()  # the communes of the overview are on the page
    # The user's roles, hence the scope of the overview, came from the primary.
    assert not any("units_roleassignment" in sql for sql in q.on(REPLICA))


def test_an_officers_home_page_reads_only_the_primary(client, scored, officer):
    client.force_login(officer)
    with Queries() as q:
        assert client.get(reverse("home")).status_code == 200
    assert q.on(REPLICA) == []


def test_the_results_page_and_workbook_read_from_the_replica(client, scored, province_approver):
    client.force_login(province_approver)
    page, _q = get_on_replica(client, reverse("certification:scoring-campaign", args=[scored.pk]))
    assert "Khu dân cư" in page.content.decode()
    _workbook, q = get_on_replica(client, reverse("certification:scoring-export", args=[scored.pk]))
    assert not any("units_roleassignment" in sql for sql in q.on(REPLICA))


def test_writes_and_the_pages_that_write_never_touch_the_replica(client, scored, province_approver):
    client.force_login(province_approver)
    with Queries() as q:
        response = client.post(reverse("certification:scoring-run-start", args=[scored.pk]))
    assert response.status_code == 302
    assert any(sql.startswith("INSERT") for sql in q.on("default"))
    assert q.on(REPLICA) == []


def test_inside_a_block_a_write_sends_the_reads_after_it_to_the_primary(scored, commune):
    with Queries() as q, report_reads():
        Result.objects.count()
        assert len(q.on(REPLICA)) == 1
        Unit.objects.filter(pk=commune.pk).update(label="Phường")
        unit = Unit.objects.get(pk=commune.pk)
    assert unit.label == "Phường"
    assert len(q.on(REPLICA)) == 1  # the read after the write went to the primary
    assert not q.writes_on_replica()


def test_inside_a_transaction_and_for_accounts_the_primary_is_read(scored):
    with Queries() as q, report_reads():
        with transaction.atomic():
            Result.objects.count()
        get_user_model().objects.count()
    assert q.on(REPLICA) == []


def test_outside_a_block_nothing_reads_the_replica(scored, commune):
    with Queries() as q:
        with report_reads():
            unit = Unit.objects.get(pk=commune.pk)
        list(unit.children.all())  # an object read from the replica does not drag its relations there
        Result.objects.count()
    assert len(q.on(REPLICA)) == 1
