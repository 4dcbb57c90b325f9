"""Rendered fragments kept with ``{% cache %}`` under a key made of what they show (issue 23,
``antt.web.fragments``): the entry form's criteria and its upload inputs, and the officer's units
on the home page. Every change they show appears at the very next reload,
and no kept fragment carries a session's CSRF token."""

import datetime

from django.urls import reverse

from certification.services import transitions
from tests.builders import attach_minutes, fill


def url(name, *args):
    return reverse(f"certification:{name}", args=args)


def page(client, assessment) -> str:
    response = client.get(url("assessment-detail", assessment.pk))
    assert response.status_code == 200
    return response.content.decode()


def test_a_saved_answer_shows_at_the_next_reload(as_user, officer, draft):
    client = as_user(officer)
    answer = draft.answers.exclude(criterion__answer_type__in=["derived", "group"]).first()
    assert "Đã kiểm tra sổ sách" not in page(client, draft)
    saved = client.post(
        url("assessment-save", draft.pk),
        {"version": draft.version, f"note-{answer.pk}": "Đã kiểm tra sổ sách"},
    )
    assert saved.status_code == 302
    assert "Đã kiểm tra sổ sách" in page(client, draft)


def test_the_upload_inputs_list_the_criteria_of_the_assessment_as_they_are(as_user, officer, draft):
    """The upload form's select of criteria is kept under the codes it lists (round 9), not the
    assessment's version: a saved answer keeps it, a different list of criteria gets its own."""
    client = as_user(officer)
    answers = list(draft.answers.exclude(criterion__answer_type__in=["derived", "group"]).order_by("pk"))
    first = page(client, draft)
    for answer in answers:
        assert f'<option value="{answer.criterion.code}">' in first
    saved = client.post(
        url("assessment-save", draft.pk), {"version": draft.version, f"note-{answers[0].pk}": "Ghi chú"}
    )
    assert saved.status_code == 302
    assert f'<option value="{answers[-1].criterion.code}">' in page(client, draft)
    gone = answers[-1].criterion.code
    answers[-1].delete()  # another list of criteria (not a user's action: the key is what is tested)
    assert f'<option value="{gone}">' not in page(client, draft)
    assert f'<option value="{answers[0].criterion.code}">' in page(client, draft)


def test_a_closed_entry_period_makes_the_rows_read_only_at_the_next_reload(as_user, officer, draft, today):
    client = as_user(officer)
    answer = draft.answers.exclude(criterion__answer_type__in=["derived", "group"]).first()
    assert f'name="note-{answer.pk}"' in page(client, draft)
    campaign = draft.campaign
    campaign.residential_period_end = campaign.other_period_end = today - datetime.timedelta(days=1)
    campaign.save()
    assert f'name="note-{answer.pk}"' not in page(client, draft)


def test_a_submission_makes_the_rows_read_only_at_the_next_reload(as_user, officer, draft):
    client = as_user(officer)
    answer = draft.answers.exclude(criterion__answer_type__in=["derived", "group"]).first()
    assert f'name="note-{answer.pk}"' in page(client, draft)
    transitions.submit_assessment(assessment=fill(draft, officer), by=officer)
    assert f'name="note-{answer.pk}"' not in page(client, draft)


def test_the_kept_block_holds_no_csrf_token(as_user, officer, draft):
    """The token is per session: it stays outside the kept block (rendered on every request)."""
    page_ = page(as_user(officer), draft)
    assert "csrfmiddlewaretoken" in page_
    assert "csrfmiddlewaretoken" not in page_.split('id="criteria"')[1].split("</section>")[0]


# --- the officer's units on the home page -------------------------------------------------------


def home_rows(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode().split('id="my-units"')[1].split("</section>")[0]


def test_the_home_rows_are_kept_and_a_reload_gives_the_same_page(as_user, officer, draft):
    from certification.selectors.dashboard import home_context

    client = as_user(officer)
    first = home_rows(client)
    assert home_context(officer)["officer"]["rows_key"] == home_context(officer)["officer"]["rows_key"]
    assert home_rows(client) == first


def test_a_submission_shows_on_the_home_rows_at_the_next_reload(as_user, officer, draft):
    client = as_user(officer)
    before = home_rows(client)
    transitions.submit_assessment(assessment=fill(draft, officer), by=officer)
    after = home_rows(client)
    assert after != before


def test_a_renamed_unit_shows_on_the_home_rows_at_the_next_reload(as_user, officer, draft, area):
    client = as_user(officer)
    assert "Tổ dân phố Hoa Sen" not in home_rows(client)
    area.name, area.label = "Hoa Sen", "Tổ dân phố"
    area.save()
    assert "Tổ dân phố Hoa Sen" in home_rows(client)


def test_an_ended_entry_period_shows_on_the_home_rows_at_the_next_reload(as_user, officer, draft, today):
    client = as_user(officer)
    before = home_rows(client)
    campaign = draft.campaign
    campaign.residential_period_end = campaign.other_period_end = today - datetime.timedelta(days=1)
    campaign.save()
    assert home_rows(client) != before


def test_last_years_figures_the_registration_the_files_and_the_result_show_as_they_are_at_each_reload(
    as_user, officer, draft, province, kdc_set, xa_set, area, today
):
    """The entry form reads them through querysets compiled once per process (issue 23, round 5:
    ``antt.database.compiled``): only the SQL is kept, so a change, even one written outside the
    ORM (the set-based scoring writes results in SQL), shows at the next reload."""
    from django.db import connection

    from certification.models import Assessment, Registration, Result
    from tests.builders import make_campaign

    last_campaign = make_campaign(
        province, today.year - 1, [kdc_set, xa_set], entry_end=today.replace(year=today.year - 1)
    )
    last = Assessment.objects.create(campaign=last_campaign, unit=area, criteria_set=kdc_set, crime_count=7)
    client = as_user(officer)
    label = f"Last year ({today.year - 1})"
    assert f'data-label="{label}">7</td>' in page(client, draft)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE certification_assessment SET crime_count = 9 WHERE id = %s", [last.pk])
    body = page(client, draft)
    assert f'data-label="{label}">9</td>' in body and "No registration recorded for this year." in body

    Registration.objects.create(
        campaign=draft.campaign,
        unit=area,
        registered_on=today,
        households_total=120,
        households_registered=118,
    )
    attach_minutes(draft)
    Result.objects.create(
        campaign=draft.campaign,
        unit=area,
        assessment=draft,
        outcome=Result.Outcome.FAIL,
        missing_codes=["KDC-1"],
    )
    body = page(client, draft)
    assert "118 of 120 households registered." in body and "bien-ban-hop.pdf" in body
    assert "KDC-1" in body.split('id="result"', 1)[1].split("</section>", 1)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_registration SET households_registered = 120 WHERE unit_id = %s", [area.pk]
        )
    assert "120 of 120 households registered." in page(client, draft)


def test_a_registration_shows_on_the_home_counters_at_the_next_reload(as_user, officer, draft, areas):
    """The whole officer's section is kept (round 8): its counters are part of the key."""
    from certification.models import Registration

    client = as_user(officer)
    response = client.get(reverse("home"))
    before = response.content.decode().split('class="stats"')[1].split("</div>")[0]
    unregistered = next(a for a in areas if not Registration.objects.filter(unit=a).exists())
    Registration.objects.create(
        campaign=draft.campaign, unit=unregistered, registered_on=draft.campaign.registration_deadline
    )
    after = client.get(reverse("home")).content.decode().split('class="stats"')[1].split("</div>")[0]
    assert after != before
