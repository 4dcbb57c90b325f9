"""The leader's overview counts units per kind and per commune in a fixed number of queries."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Assessment, CriteriaSet, Registration, Result
from certification.selectors import dashboard
from tests.ui.demo import make_assessment, make_campaign
from units.models import RoleAssignment, Unit

Status = Assessment.Status
Kind = Unit.Kind
Role = RoleAssignment.Role
PASS, FAIL = Result.Outcome.PASS, Result.Outcome.FAIL

pytestmark = pytest.mark.django_db


def overview(user) -> dict:
    return dashboard.overview_section(user, dashboard.current_campaigns(user))


def url(pk: int) -> str:
    return reverse("units:unit-detail", args=[pk])


def counts(meter) -> tuple[int, int, int, int]:
    return (meter.total, meter.registered, meter.recognized, meter.forecast)


def expected(user) -> tuple[dict, dict]:
    """The same counts from plain Python sets: (per kind group, per commune URL)."""
    campaigns = dashboard.current_campaigns(user)
    ids = [c.pk for c in campaigns]
    base = dashboard._threshold(campaigns)[1]
    managed = (
        (Kind.RESIDENTIAL_AREA,) if base == CriteriaSet.RollupBase.RESIDENTIAL_ONLY else Unit.MANAGED_KINDS
    )
    reg = set(Registration.objects.filter(campaign_id__in=ids).values_list("unit_id", flat=True))
    rec = set(
        Assessment.objects.filter(campaign_id__in=ids, status=Status.RECOGNIZED).values_list(
            "unit_id", flat=True
        )
    )
    fc = set(Result.objects.filter(campaign_id__in=ids, outcome=PASS).values_list("unit_id", flat=True))
    units = list(Unit.objects.filter(dashboard.scope_filter(user), valid_to__isnull=True, is_eligible=True))

    def tally(members) -> tuple[int, int, int, int]:
        pks = {u.pk for u in members}
        return (len(pks), len(pks & reg), len(pks & rec), len(pks & (fc | rec)))

    per_kind = {
        str(group.label): tally([u for u in units if u.kind in kinds])
        for group, kinds in dashboard.KIND_GROUPS
        if any(u.kind in kinds for u in units)
    }
    communes = {u.pk for u in units if u.kind == Kind.COMMUNE}
    per_commune = {
        url(pk): tally([u for u in units if u.parent_id == pk and u.kind in managed]) for pk in communes
    }
    return per_kind, per_commune


@pytest.fixture
def mixed(
    province, other_province, commune, other_commune, areas, other_area, campaign, last_campaign, assess
):
    """Units of Hà Tĩnh in every state of the 2026 campaign, and Nghệ An's units, all recognized."""

    def unit(code, kind, parent, **extra) -> Unit:
        return Unit.objects.create(code=code, name=f"Đơn vị {code}", kind=kind, parent=parent, **extra)

    agency = unit("18823-CQ", Kind.AGENCY, commune)
    enterprise = unit("18823-DN", Kind.ENTERPRISE, commune)
    school = unit("18823-THPT", Kind.SCHOOL, commune, school_level=Unit.SchoolLevel.UPPER_SECONDARY)
    primary = unit("18823-TH", Kind.SCHOOL, commune, school_level=Unit.SchoolLevel.PRIMARY)
    dissolved = unit("18823-GT", Kind.RESIDENTIAL_AREA, commune, valid_to=datetime.date(2025, 7, 1))

    assess(areas[0], Status.RECOGNIZED, outcome=PASS)
    assess(areas[1], Status.APPRAISED, outcome=PASS)  # forecast only
    assess(areas[2], Status.SUBMITTED, outcome=FAIL)
    Registration.objects.create(
        campaign=campaign, unit=areas[3], registered_on=campaign.registration_deadline
    )
    assess(areas[4], Status.RECOGNIZED, in_campaign=last_campaign)  # last year: not counted in 2026
    assess(other_area, Status.DRAFT)
    assess(commune, Status.APPRAISED, outcome=PASS)
    assess(other_commune, Status.NOT_RECOGNIZED)
    Result.objects.create(campaign=campaign, unit=other_commune, outcome=FAIL, unmet_codes=["XA-1"])
    assess(agency, Status.RECOGNIZED)  # recognized without a result row
    assess(school, Status.DRAFT)
    assess(dissolved, Status.RECOGNIZED, outcome=PASS)  # no longer a unit: not counted
    assess(primary, Status.RECOGNIZED, outcome=PASS)  # never assessed by law: not counted
    assert not primary.is_eligible and dissolved.valid_to is not None

    # Nghệ An: its own campaign, everything recognized, plus rows about two Hà Tĩnh units there.
    nghe_an = make_campaign(other_province, 2026)
    nghi_xuan = unit("17000", Kind.COMMUNE, other_province, label="Xã")
    for i in range(3):
        make_assessment(
            nghe_an, unit(f"17000-T{i}", Kind.RESIDENTIAL_AREA, nghi_xuan), Status.RECOGNIZED, outcome=PASS
        )
    make_assessment(nghe_an, nghi_xuan, Status.RECOGNIZED, outcome=PASS)
    make_assessment(nghe_an, areas[0], Status.RECOGNIZED, outcome=PASS)  # a second row per table
    make_assessment(nghe_an, enterprise, Status.RECOGNIZED, outcome=PASS)
    return {"agency": agency, "enterprise": enterprise, "school": school, "nghe_an": nghe_an}


def test_the_province_leader_counts_only_the_provinces_units_in_its_campaign(
    province_viewer, commune, other_commune, mixed
):
    section = overview(province_viewer)

    kinds = {m.label: counts(m) for m in section["kinds"]}
    assert kinds == {
        "Residential area": (6, 5, 1, 2),
        "Commune, ward, special zone": (2, 2, 0, 1),
        "Agency, enterprise": (2, 1, 1, 1),
        "Educational institution": (1, 1, 0, 0),
    }
    assert counts(section["totals"]) == (11, 9, 2, 4)
    by_commune = {m.url: counts(m) for m in section["communes"]}
    assert by_commune == {url(commune.pk): (8, 6, 2, 3), url(other_commune.pk): (1, 1, 0, 0)}
    assert (kinds, by_commune) == expected(province_viewer)


def test_a_residential_only_rollup_counts_only_the_residential_areas_per_commune(
    province_viewer, campaign, commune, other_commune, mixed
):
    campaign.criteria_sets.filter(unit_kind="commune").update(
        rollup_base=CriteriaSet.RollupBase.RESIDENTIAL_ONLY
    )

    section = overview(province_viewer)

    by_commune = {m.url: counts(m) for m in section["communes"]}
    assert by_commune == {url(commune.pk): (5, 4, 1, 2), url(other_commune.pk): (1, 1, 0, 0)}
    assert ({m.label: counts(m) for m in section["kinds"]}, by_commune) == expected(province_viewer)


def test_a_national_administrator_counts_a_unit_with_rows_in_two_campaigns_once(
    make_user, commune, other_province, mixed
):
    admin = make_user("admin", is_superuser=True)
    assert len(dashboard.current_campaigns(admin)) == 2

    section = overview(admin)

    kinds = {m.label: counts(m) for m in section["kinds"]}
    # Nghệ An's 4 units, all recognized; Hà Tĩnh's areas[0] and its enterprise are in both campaigns.
    assert kinds["Residential area"] == (9, 8, 4, 5)
    assert kinds["Agency, enterprise"] == (2, 2, 2, 2)
    assert (kinds, {m.url: counts(m) for m in section["communes"]}) == expected(admin)


def test_a_commune_leader_sees_the_counts_of_the_commune_only(make_user, commune, mixed):
    leader = make_user("commune_leader", Role.VIEWER, commune)

    section = overview(leader)

    assert [counts(m) for m in section["communes"]] == [(8, 6, 2, 3)]
    assert counts(section["totals"]) == (9, 7, 2, 4)
    assert (
        {m.label: counts(m) for m in section["kinds"]},
        {m.url: counts(m) for m in section["communes"]},
    ) == (expected(leader))


def _grow(province, campaign, n: int, start: int) -> None:
    for i in range(start, start + n):
        commune = Unit.objects.create(
            code=f"C{i}", name=f"Xã {i}", label="Xã", kind=Kind.COMMUNE, parent=province
        )
        for j, status in enumerate([Status.DRAFT, Status.APPRAISED, Status.RECOGNIZED]):
            area = Unit.objects.create(
                code=f"C{i}-{j}", name=f"Thôn {j}", kind=Kind.RESIDENTIAL_AREA, parent=commune
            )
            make_assessment(campaign, area, status, outcome=PASS if j else FAIL)


@pytest.mark.parametrize("username", ["leader", "admin"])
def test_the_overview_needs_the_same_queries_for_ten_times_the_units(
    username, make_user, province, campaign, mixed, django_assert_num_queries
):
    user = (
        make_user(username, Role.VIEWER, province)
        if username == "leader"
        else make_user(username, is_superuser=True)
    )
    _grow(province, campaign, 2, 0)

    users = type(user).objects.filter(pk=user.pk)  # a new object each time: no cached roles

    first = users.get()
    with CaptureQueriesContext(connection) as captured:
        overview(first)
    small = [q["sql"] for q in captured]
    _grow(province, campaign, 20, 2)
    second = users.get()
    cache.clear()  # count the yearly trend's queries again, as on the first view
    with django_assert_num_queries(len(small)):
        large = overview(second)

    assert large["totals"].total > 60
    assert not [sql for sql in small if "EXISTS" in sql.upper()]  # LEFT JOINs, no per-unit sub-query


def test_the_yearly_trend_is_counted_once_per_scope_and_never_served_to_another_scope(
    province_viewer, make_user, campaign, other_commune, mixed
):
    province_rows = dashboard._trend_rows(province_viewer, campaign)
    other_leader = make_user("other_leader", Role.VIEWER, other_commune)

    # Last year's rows of Hà Tĩnh (areas[4] recognized in 2025); Kỳ Hoa has none of its own.
    assert province_rows[1] == [(2025, Kind.RESIDENTIAL_AREA.value, 1)]
    assert dashboard._trend_rows(other_leader, campaign) == ([], [])
    with CaptureQueriesContext(connection) as captured:
        assert dashboard._trend_rows(province_viewer, campaign) == province_rows
    assert not [q for q in captured if "GROUP BY" in q["sql"]]  # the cached rows, no new count
