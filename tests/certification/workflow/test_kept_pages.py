"""Whole pages kept (issue 23, round 9: ``antt.web.fragments.kept_page``): the entry form of a
residential area and the home page of a commune officer are served as rendered at the previous
view while none of their rows changed. Whoever writes, the next view shows it; each response has
its own CSRF token; a kept page is never served to another user, and never outside the subtree."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from antt.web import fragments
from certification.models import Registration
from certification.services import transitions
from tests.builders import fill, make_user
from units.models import RoleAssignment

Role = RoleAssignment.Role
NOT_ANSWERED = re.compile(r"(\d+) of \d+ criteria not answered")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def detail(assessment) -> str:
    return reverse("certification:assessment-detail", args=[assessment.pk])


def save_url(assessment) -> str:
    return reverse("certification:assessment-save", args=[assessment.pk])


def without_tokens(response) -> str:
    return TOKEN.sub("", response.content.decode())


def not_answered(response) -> int:
    found = NOT_ANSWERED.search(response.content.decode())
    return int(found.group(1)) if found else 0


def first_answer(assessment):
    return assessment.answers.exclude(criterion__answer_type__in=["derived", "group"]).order_by("pk").first()


def logged_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def second_officer(commune):
    """Another officer of the same commune: writes the first officer did not make."""
    return make_user("second_officer", Role.OFFICER, commune)


def test_a_reload_is_served_as_kept_the_same_page_but_its_token(as_user, officer, draft):
    client = as_user(officer)
    first = client.get(detail(draft))
    again = client.get(detail(draft))
    assert first.templates and not again.templates  # rendered once, then served as kept
    assert without_tokens(again) == without_tokens(first)
    assert fragments.CSRF_PLACEHOLDER not in again.content.decode()


def test_an_answer_saved_by_another_officer_shows_at_the_next_view(as_user, officer, second_officer, draft):
    client = as_user(officer)
    client.get(detail(draft))
    answer = first_answer(draft)
    saved = logged_in(second_officer).post(
        save_url(draft), {"version": draft.version, f"note-{answer.pk}": "Đồng nghiệp đã ghi chú"}
    )
    assert saved.status_code == 302
    assert "Đồng nghiệp đã ghi chú" in client.get(detail(draft)).content.decode()


def test_a_submission_by_another_officer_shows_at_the_next_view(as_user, officer, second_officer, draft):
    client = as_user(officer)
    answer = first_answer(draft)
    assert f'name="note-{answer.pk}"' in client.get(detail(draft)).content.decode()
    transitions.submit_assessment(assessment=fill(draft, second_officer), by=second_officer)
    assert f'name="note-{answer.pk}"' not in client.get(detail(draft)).content.decode()


def test_a_write_outside_the_services_shows_at_the_next_view(as_user, officer, draft, area):
    client = as_user(officer)
    client.get(detail(draft))
    area.name, area.label = "Hoa Sen", "Tổ dân phố"
    area.save()
    assert "Tổ dân phố Hoa Sen" in client.get(detail(draft)).content.decode()


def test_a_kept_page_posts_with_the_token_of_its_own_session(officer, draft):
    """The page kept for one session serves another with that session's token (the placeholder
    is replaced at every response, the cookie sent as ``{% csrf_token %}`` sends it)."""
    first = logged_in(officer, enforce_csrf_checks=True)
    second = logged_in(officer, enforce_csrf_checks=True)  # a login writes the user's row
    first.get(detail(draft))
    page = second.get(detail(draft))
    assert not page.templates  # the first session's page, kept
    tokens = set(TOKEN.findall(page.content.decode()))
    assert len(tokens) == 1 and fragments.CSRF_PLACEHOLDER not in tokens
    answer = first_answer(draft)
    saved = second.post(
        save_url(draft),
        {"csrfmiddlewaretoken": tokens.pop(), "version": draft.version, f"note-{answer.pk}": "Đã kiểm tra"},
    )
    assert saved.status_code == 302
    refused = second.post(
        save_url(draft),
        {"csrfmiddlewaretoken": fragments.CSRF_PLACEHOLDER, "version": draft.version},
    )
    assert refused.status_code == 403


def test_a_kept_page_is_never_served_outside_the_subtree(as_user, officer, colleague, outsider, draft):
    as_user(officer).get(detail(draft))
    for user in (colleague, outsider):
        assert logged_in(user).get(detail(draft)).status_code == 404


def test_each_user_gets_a_page_of_their_own(as_user, officer, appraiser, draft):
    """The appraiser of the commune sees the same assessment without the officer's inputs."""
    answer = first_answer(draft)
    assert f'name="note-{answer.pk}"' in as_user(officer).get(detail(draft)).content.decode()
    page = logged_in(appraiser).get(detail(draft))
    assert page.templates  # not the officer's page
    assert f'name="note-{answer.pk}"' not in page.content.decode()


def test_a_message_shows_once_and_is_not_kept(as_user, officer, draft):
    client = as_user(officer)
    client.get(detail(draft))
    answer = first_answer(draft)
    client.post(save_url(draft), {"version": draft.version, f"note-{answer.pk}": "Đã kiểm tra"})
    shown = client.get(detail(draft))
    assert 'class="messages"' in shown.content.decode()
    assert 'class="messages"' not in client.get(detail(draft)).content.decode()


def test_a_new_release_renders_the_page_again(as_user, officer, draft, monkeypatch):
    client = as_user(officer)
    client.get(detail(draft))
    assert not client.get(detail(draft)).templates
    monkeypatch.setattr(fragments, "code_digest", lambda: "the-next-release")
    assert client.get(detail(draft)).templates


def test_the_code_digest_changes_with_a_template(settings, tmp_path):
    """Fragments kept in a cache that outlives a deploy are not served by the new templates."""
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "page.html"
    template.write_text("<p>{{ a }}</p>")
    settings.BASE_DIR = tmp_path
    fragments.code_digest.cache_clear()
    try:
        before, key = fragments.code_digest(), fragments.fragment_key("rows")
        template.write_text("<p>{{ a }} {{ b }}</p>")
        fragments.code_digest.cache_clear()
        assert fragments.code_digest() != before
        assert fragments.fragment_key("rows") != key
    finally:
        fragments.code_digest.cache_clear()


def test_nothing_is_kept_when_pages_are_not_kept(as_user, officer, draft, settings):
    settings.PAGES_KEPT_SECONDS = 0
    client = as_user(officer)
    client.get(detail(draft))
    assert client.get(detail(draft)).templates


# --- the commune officer's home -----------------------------------------------------------------


def test_the_home_of_a_commune_officer_is_kept_and_shows_a_colleagues_answer(
    as_user, officer, second_officer, draft
):
    """The number of criteria not answered on the officer's row changes when another officer of
    the commune answers one (the answers are stamped through their assessment's version)."""
    Registration.objects.create(
        campaign=draft.campaign, unit=draft.unit, registered_on=draft.campaign.registration_deadline
    )
    client = as_user(officer)
    first = client.get(reverse("home"))
    assert not_answered(first) > 0
    assert first.templates and not client.get(reverse("home")).templates
    answer = first_answer(draft)
    saved = logged_in(second_officer).post(
        save_url(draft), {"version": draft.version, f"value-{answer.pk}": "met"}
    )
    assert saved.status_code == 302
    assert not_answered(client.get(reverse("home"))) == not_answered(first) - 1


def test_a_submission_by_another_officer_shows_on_the_kept_home(as_user, officer, second_officer, draft):
    client = as_user(officer)
    before = without_tokens(client.get(reverse("home")))
    transitions.submit_assessment(assessment=fill(draft, second_officer), by=second_officer)
    assert without_tokens(client.get(reverse("home"))) != before


def test_the_home_is_not_kept_for_an_officer_with_another_role(as_user, officer, commune, draft):
    RoleAssignment.objects.create(user=officer, unit=commune, role=Role.APPRAISER)
    client = as_user(officer)
    client.get(reverse("home"))
    assert client.get(reverse("home")).templates


def test_each_officer_gets_the_home_of_their_own_commune(as_user, officer, colleague, draft, area):
    assert area.name in as_user(officer).get(reverse("home")).content.decode()
    page = logged_in(colleague).get(reverse("home"))
    assert page.templates
    assert f"?unit={area.pk}&" not in page.content.decode()
    assert reverse("certification:assessment-detail", args=[draft.pk]) not in page.content.decode()


def test_the_stamps_read_with_the_assessment_are_the_key_of_the_users_own_page(officer, appraiser, draft):
    from certification.selectors import assessments

    with_key = assessments.assessment_with_page_key(draft.pk, officer)
    plain = assessments.assessment_by_id(draft.pk)
    assert assessments.page_key(with_key, officer) == assessments.page_key(plain, officer)
    # Read for the officer, they are not the appraiser's (whose roles are other rows).
    assert assessments.page_key(with_key, appraiser) == assessments.page_key(plain, appraiser)
    assert assessments.page_key(with_key, appraiser) != assessments.page_key(with_key, officer)

    RoleAssignment.objects.create(user=officer, unit=draft.unit, role=Role.VIEWER)
    assert assessments.page_key(assessments.assessment_with_page_key(draft.pk, officer), officer) != (
        assessments.page_key(with_key, officer)
    )
    assert assessments.assessment_with_page_key(0, officer) is None
