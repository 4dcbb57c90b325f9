"""The home page shows each role its own work, and only what lies in the user's area."""

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Assessment, Registration, Result
from certification.selectors.criteria import forget_published_trees
from certification.selectors.dashboard import home_context
from tests.builders import attach_minutes
from tests.ui.demo import make_campaign
from units.models import RoleAssignment, Unit

Status = Assessment.Status
Role = RoleAssignment.Role

pytestmark = pytest.mark.django_db


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    for url in (reverse("home"), reverse("certification:notifications")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_told_to_ask_for_one(client, make_user):
    page = home(client, make_user("nobody"))
    assert "no role yet" in page
    assert 'id="officer"' not in page and 'id="overview"' not in page


def test_the_officer_sees_the_state_of_each_unit_of_the_commune(client, officer, campaign, areas, assess):
    assess(areas[0], Status.RETURNED, returned=2)
    assess(areas[1], Status.SUBMITTED)
    assess(areas[2], Status.RECOGNIZED, outcome=Result.Outcome.PASS)
    Registration.objects.create(
        campaign=campaign, unit=areas[3], registered_on=campaign.registration_deadline
    )

    page = home(client, officer)

    assert 'id="officer"' in page and 'id="deadlines"' in page
    assert 'id="overview"' not in page and 'id="appraisal-queue"' not in page
    for area in areas:
        assert area.name in page
    assert "2 returned item(s) to correct" in page
    assert "Assessment not started" in page  # areas[3]: registered only
    assert "Not registered" in page  # areas[4]
    assert "Registration (Q1)" in page


def test_the_officer_lists_returned_units_first(officer, campaign, areas, assess):
    assess(areas[4], Status.RETURNED, returned=1)
    assess(areas[0], Status.RECOGNIZED)

    rows = home_context(officer)["officer"]["rows"]

    assert rows[0].unit == areas[4]
    assert rows[0].state == Status.RETURNED
    assert rows[-1].unit == areas[0]


def test_the_officer_sees_what_is_missing_from_a_draft(officer, campaign, area, assess):
    assess(area, Status.DRAFT, answered=0.5)

    row = next(r for r in home_context(officer)["officer"]["rows"] if r.unit == area)

    assert any("criteria not answered" in m for m in row.missing)
    assert "Meeting minutes missing" in row.missing
    assert "No evidence attached" in row.missing


def test_the_officer_sees_the_days_left_to_each_deadline(officer, campaign, area, assess, monkeypatch):
    import datetime

    from certification.selectors import dashboard

    monkeypatch.setattr(dashboard.timezone, "localdate", lambda: datetime.date(2026, 10, 21))
    assess(area, Status.DRAFT)

    section = home_context(officer)["officer"]
    days = {d.label: d.days for d in section["deadlines"]}

    assert days["Residential areas: end of the assessment period"] == 10
    assert days["Registration (Q1)"] < 0
    assert next(r for r in section["rows"] if r.unit == area).days_left == 10


def test_the_officer_never_sees_another_communes_units(
    client, officer, colleague, outsider, campaign, areas, other_area, assess
):
    assess(other_area, Status.RETURNED, returned=1)
    assess(areas[0], Status.SUBMITTED)

    assert other_area.name not in home(client, officer)
    colleague_page = home(client, colleague)
    assert other_area.name in colleague_page
    assert areas[0].name not in colleague_page
    outsider_page = home(client, outsider)
    assert areas[0].name not in outsider_page and other_area.name not in outsider_page
    assert "No campaign is open yet" in outsider_page


def test_the_officer_sees_the_communes_progress_towards_xa4(officer, campaign, areas, assess):
    for area in areas[:3]:
        assess(area, Status.RECOGNIZED, outcome=Result.Outcome.PASS)
    assess(areas[3], Status.APPRAISED, outcome=Result.Outcome.PASS)

    xa4 = home_context(officer)["officer"]["xa4"]

    assert (xa4.total, xa4.registered, xa4.recognized, xa4.forecast) == (5, 4, 3, 4)
    assert xa4.needed == 4  # ceil(70 % of 5)
    assert xa4.at_risk  # one area is not registered


def test_the_appraiser_sees_the_queue_oldest_first_and_only_in_the_commune(
    client, appraiser, campaign, areas, other_area, assess
):
    newer = assess(areas[0], Status.SUBMITTED, days_ago=1)
    older = assess(areas[1], Status.SUBMITTED, days_ago=9)
    assess(areas[2], Status.DRAFT)
    assess(other_area, Status.SUBMITTED, days_ago=20)

    queue = home_context(appraiser)["appraisal_queue"]

    assert [a.pk for a in queue["items"]] == [older.pk, newer.pk]
    assert queue["count"] == 2
    page = home(client, appraiser)
    assert 'id="appraisal-queue"' in page and other_area.name not in page
    assert page.index(areas[1].name) < page.index(areas[0].name)


def test_the_commune_approver_decides_its_residential_areas_and_the_province_its_communes(
    commune, province_approver, approver, campaign, areas, assess
):
    area_assessment = assess(areas[0], Status.APPRAISED, days_ago=3)
    commune_assessment = assess(commune, Status.APPRAISED, days_ago=2)

    commune_queue = home_context(approver)["decision_queue"]["items"]
    province_queue = home_context(province_approver)["decision_queue"]["items"]

    assert [a.pk for a in commune_queue] == [area_assessment.pk]
    assert [a.pk for a in province_queue] == [commune_assessment.pk]


def test_a_recognizing_authority_rule_moves_a_unit_to_another_approvers_queue(
    commune, province, province_approver, approver, campaign, assess
):
    from units.models import RecognizingAuthority

    school = Unit.objects.create(
        code="18823-THPT",
        name="Trường THPT Kỳ Anh",
        kind=Unit.Kind.SCHOOL,
        parent=commune,
        school_level=Unit.SchoolLevel.UPPER_SECONDARY,
    )
    assessment = assess(school, Status.APPRAISED)
    assert [a.pk for a in home_context(approver)["decision_queue"]["items"]] == [assessment.pk]

    RecognizingAuthority.objects.create(unit=school, authority=province, from_year=2026)

    assert home_context(approver)["decision_queue"]["items"] == []
    assert [a.pk for a in home_context(province_approver)["decision_queue"]["items"]] == [assessment.pk]


def test_the_leader_sees_the_province_at_a_glance(
    client,
    province,
    province_viewer,
    campaign,
    last_campaign,
    commune,
    other_commune,
    areas,
    other_area,
    assess,
):
    for area in areas[:4]:
        assess(area, Status.RECOGNIZED, outcome=Result.Outcome.PASS)
        assess(area, Status.RECOGNIZED, in_campaign=last_campaign)
    assess(areas[4], Status.NOT_RECOGNIZED, in_campaign=last_campaign)
    Registration.objects.create(
        campaign=campaign, unit=areas[4], registered_on=campaign.registration_deadline
    )
    assess(other_area, Status.DRAFT)

    older = make_campaign(province, 2024)
    assess(areas[0], Status.RECOGNIZED, in_campaign=older)
    assess(areas[1], Status.NOT_RECOGNIZED, in_campaign=older)

    page = home(client, province_viewer)
    overview = home_context(province_viewer)["overview"]

    assert 'id="overview"' in page and 'id="per-kind"' in page and 'id="at-risk"' in page
    assert 'id="officer"' not in page
    residential = next(m for m in overview["kinds"] if m.label == "Residential area")
    assert (residential.total, residential.recognized) == (6, 4)
    by_commune = {m.label: m for m in overview["communes"]}
    assert by_commune["Phường Vũng Áng"].forecast == 4
    assert [m.label for m in overview["at_risk"]] == ["Xã Kỳ Hoa"]
    assert "0 of 1 forecast to be recognized" in " ".join(overview["at_risk"][0].reasons)
    # The trend covers the closed years (2024, 2025), not the running one.
    assert "<svg" in page and "Recognition rate by year" in page
    assert ">2024<" in overview["trend_svg"] and ">2025<" in overview["trend_svg"]
    assert ">2026<" not in overview["trend_svg"]


def test_the_leader_of_one_commune_sees_nothing_of_the_other(
    client, make_user, commune, campaign, areas, other_area, assess
):
    leader = make_user("commune_leader", Role.VIEWER, commune)
    assess(other_area, Status.RECOGNIZED, outcome=Result.Outcome.PASS)

    overview = home_context(leader)["overview"]

    assert [m.label for m in overview["communes"]] == ["Phường Vũng Áng"]
    assert other_area.name not in home(client, leader)


def test_the_clerk_sees_the_latest_decisions(client, clerk, campaign, commune):
    from certification.models import Decision

    Decision.objects.create(
        campaign=campaign, issuer=commune, year=2026, number=125, status=Decision.Status.ISSUED
    )

    page = home(client, clerk)

    assert 'id="clerk"' in page and "125/QĐ-UBND" in page


def _grow(province, campaign, assess, n: int, start: int) -> None:
    from units.models import Unit as U

    for i in range(start, start + n):
        commune = U.objects.create(
            code=f"C{i}", name=f"Xã {i}", label="Xã", kind=U.Kind.COMMUNE, parent=province
        )
        for j in range(3):
            area = U.objects.create(
                code=f"C{i}-{j}", name=f"Thôn {j}", kind=U.Kind.RESIDENTIAL_AREA, parent=commune
            )
            assess(area, [Status.DRAFT, Status.SUBMITTED, Status.APPRAISED][j], outcome=Result.Outcome.PASS)


@pytest.mark.parametrize(
    "username", ["officer", "appraiser", "approver", "leader", "province_approver", "admin"]
)
def test_the_home_page_needs_the_same_number_of_queries_whatever_the_data_size(
    client,
    username,
    make_user,
    province,
    commune,
    campaign,
    last_campaign,
    areas,
    assess,
    django_assert_max_num_queries,
):
    roles = {
        "officer": (Role.OFFICER, commune),
        "appraiser": (Role.APPRAISER, commune),
        "approver": (Role.APPROVER, commune),
        "leader": (Role.VIEWER, province),
        "province_approver": (Role.APPROVER, province),
    }
    user = (
        make_user(username, *roles[username]) if username in roles else make_user(username, is_superuser=True)
    )
    client.force_login(user)
    for area in areas[:2]:
        assess(area, Status.SUBMITTED, days_ago=2)
        assess(area, Status.RECOGNIZED, in_campaign=last_campaign)

    def count() -> int:
        cache.clear()  # the yearly trend's rows are cached: count a first view each time
        caches["identity"].clear()  # the session, the user and the roles read each time as well
        forget_published_trees()  # and the criteria sets' trees and texts (kept per process)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    small = count()
    _grow(province, campaign, assess, 8, 0)
    for area in areas[2:]:
        assess(area, Status.RETURNED, returned=1)
    with django_assert_max_num_queries(25):
        large = count()

    assert large == small


def test_the_officers_counts_are_the_same_whether_the_database_or_the_listed_rows_count_them(
    officer, campaign, areas, assess, monkeypatch
):
    """A commune's units all fit in the list: the counts come from its rows (one query less);
    a larger area is counted by the database. Both must say the same."""
    from certification.selectors import dashboard

    assess(areas[0], Status.RETURNED, returned=2)
    assess(areas[1], Status.SUBMITTED)
    assess(areas[2], Status.RECOGNIZED, outcome=Result.Outcome.PASS)
    assess(areas[3], Status.DRAFT, outcome=Result.Outcome.PASS)
    Registration.objects.create(
        campaign=campaign, unit=areas[4], registered_on=campaign.registration_deadline
    )

    from_rows = home_context(officer)["officer"]
    monkeypatch.setattr(dashboard, "UNIT_LIMIT", 2)
    from_database = home_context(officer)["officer"]

    assert from_database["truncated"] and len(from_database["rows"]) == 2
    assert not from_rows["truncated"] and len(from_rows["rows"]) == from_rows["summary"]["total"] > 2
    assert from_rows["summary"] == from_database["summary"]
    assert from_rows["summary"]["returned"] == 1 and from_rows["summary"]["managed_forecast"] == 2


def test_the_officers_units_say_what_the_annotated_queryset_says(officer, campaign, areas, assess):
    """The officer's rows come from plain SQL (issue 23): every fact and the order must be those
    of the queryset annotated by ``_unit_annotations``, which documents them."""
    from certification.selectors import dashboard

    assess(areas[0], Status.RETURNED, returned=2)
    draft = assess(areas[1], Status.DRAFT, answered=0.5)
    attach_minutes(draft, token="t1", original_name="bien-ban.pdf", file="e/b.pdf")
    assess(areas[2], Status.RECOGNIZED, outcome=Result.Outcome.PASS)
    assess(areas[3], Status.SUBMITTED, outcome=Result.Outcome.FAIL)
    Registration.objects.create(
        campaign=campaign, unit=areas[4], registered_on=campaign.registration_deadline
    )
    facts = ("pk", "reg", "a_id", "a_campaign", "a_status", "a_set", "a_meeting", "a_exception", "answered")
    facts += ("returned_items", "evidence_count", "outcome", "action_rank", "kind_rank")

    def rows(units):
        return [tuple(getattr(u, f) for f in facts) for u in units]

    expected = rows(dashboard._officer_units_orm(officer, campaign.year))
    assert rows(dashboard._officer_units(officer, campaign.year)) == expected
    assert {r[4] for r in expected} >= {Status.RETURNED, Status.DRAFT, None} and any(r[10] for r in expected)


def test_the_officers_rows_say_what_their_assessments_and_criteria_sets_say(officer, campaign, areas, assess):
    """The rows' reasons and "n of m criteria not answered" come from the listed units' facts and
    the criteria sets kept per published set (issue 23, round 5: no query of the assessments or
    of the criteria counts): the same as read from the assessments themselves."""
    from certification.models import Criterion
    from certification.selectors.criteria import criterion_text
    from certification.selectors.reasons import for_assessment

    draft = assess(areas[0], Status.DRAFT, answered=0.5, outcome=Result.Outcome.FAIL)
    leaves = Criterion.objects.filter(criteria_set=draft.criteria_set).exclude(
        answer_type__in=[Criterion.AnswerType.GROUP, Criterion.AnswerType.DERIVED]
    )
    first, second = leaves.order_by("order")[:2]
    Result.objects.filter(assessment=draft).update(unmet_codes=[first.code], missing_codes=[second.code])
    submitted = assess(areas[1], Status.SUBMITTED, outcome=Result.Outcome.PASS)

    rows = {r.unit.pk: r for r in home_context(officer)["officer"]["rows"]}

    for a in (draft, submitted):
        assert rows[a.unit_id].reasons == for_assessment(Assessment.objects.get(pk=a.pk))
    not_met, missing = rows[draft.unit_id].reasons.not_met, rows[draft.unit_id].reasons.missing
    assert [(i.code, i.requirement) for i in not_met] == [(first.code, criterion_text(first))]
    assert [i.code for i in missing] == [second.code]
    unanswered = draft.answers.filter(value="").count()
    assert (
        unanswered
        and f"{unanswered} of {leaves.count()} criteria not answered" in rows[draft.unit_id].missing
    )


def test_the_officer_sees_the_xa4_sentences_of_the_communes_in_the_area_only(
    make_user, officer, campaign, province, commune, other_commune
):
    """The communes' XA-4 sentences come with their results in one query (issue 23, round 5):
    the same as reading the communes first, and only the communes in the officer's area."""
    from certification.selectors.reasons import xa4_of_communes, xa4_sentences

    explanation = "XA-4: 1/5 khu dân cư được công nhận (20%) < 70% — chưa đạt. Cần ít nhất 4/5."
    for unit in (commune, other_commune):
        Result.objects.create(
            campaign=campaign, unit=unit, outcome=Result.Outcome.FAIL, rollup={"explanation": explanation}
        )
    leader = make_user("province_officer", Role.OFFICER, province)
    communes = Unit.objects.filter(kind=Unit.Kind.COMMUNE).order_by("search_name", "pk")

    assert xa4_of_communes(campaign, communes[:5]) == xa4_of_communes(campaign, list(communes[:5]))
    sentences = xa4_sentences(Result.objects.get(unit=commune))
    assert len(sentences) == 2
    assert home_context(officer)["officer"]["xa4_reasons"] == [(commune, sentences)]
    seen = home_context(leader)["officer"]["xa4_reasons"]
    assert [c for c, _s in seen] == list(communes) and len(seen) == 2
    # An officer of one unit below the province: that unit's own result, when it is a commune.
    area = Unit.objects.create(
        code="18823-X", name="Khu phố 9", kind=Unit.Kind.RESIDENTIAL_AREA, parent=commune
    )
    Result.objects.create(
        campaign=campaign, unit=area, outcome=Result.Outcome.FAIL, rollup={"explanation": explanation}
    )
    assert home_context(make_user("area_officer", Role.OFFICER, area))["officer"]["xa4_reasons"] == []
    Unit.objects.filter(pk=commune.pk).update(name="Phường Mới")
    assert home_context(officer)["officer"]["xa4_reasons"][0][0].name == "Phường Mới"
    Unit.objects.filter(pk=commune.pk).update(valid_to=campaign.registration_deadline)
    assert home_context(officer)["officer"]["xa4_reasons"] == []


def test_the_officers_xa4_threshold_is_the_campaigns_commune_set_as_it_is_now(officer, campaign, areas):
    """Read through a compiled queryset (issue 23, round 5): the SQL is kept, not the set."""
    from certification.models import CriteriaSet
    from certification.selectors import dashboard

    commune_set = CriteriaSet.objects.get(campaign=campaign, unit_kind="commune")
    before = home_context(officer)["officer"]["xa4"].threshold
    assert before == commune_set.rollup_threshold_percent
    CriteriaSet.objects.filter(pk=commune_set.pk).update(rollup_threshold_percent=before + 10)
    assert home_context(officer)["officer"]["xa4"].threshold == before + 10
    other = make_campaign(campaign.province, campaign.year + 1)  # the same sets: the same rule
    assert dashboard._threshold([campaign]) == dashboard._threshold([campaign, other])
    assert dashboard._threshold([campaign]) == (before + 10, commune_set.rollup_base)


def test_an_officer_of_two_communes_sees_the_units_of_both_as_the_annotated_queryset_says(
    officer, other_commune, campaign, areas, other_area, assess
):
    """The plain SQL finds the units below each unit of the officer's roles by that unit's id
    (issue 23, round 8: no path among its parameters, so that it runs prepared): the units of
    both communes, nothing else, in the queryset's order."""
    from certification.selectors import dashboard

    RoleAssignment.objects.create(user=officer, unit=other_commune, role=Role.OFFICER)
    officer = type(officer).objects.get(pk=officer.pk)  # its roles read again
    assess(other_area, Status.RETURNED, returned=1)
    assess(areas[0], Status.SUBMITTED)

    units = dashboard._officer_units(officer, campaign.year)
    facts = [(u.pk, u.a_id, u.a_status, u.action_rank, u.kind_rank) for u in units]

    assert {a.pk for a in areas} | {other_area.pk} <= {u.pk for u in units}
    assert all(u.path.startswith((areas[0].parent.path, other_commune.path)) for u in units)
    assert facts == [
        (u.pk, u.a_id, u.a_status, u.action_rank, u.kind_rank)
        for u in dashboard._officer_units_orm(officer, campaign.year)
    ]
