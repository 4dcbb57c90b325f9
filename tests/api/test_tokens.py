"""Tokens: made by a user for themselves, never wider than their roles; expired, revoked or
missing → 401; a read-only token cannot write; past the rate limit → 429 with Retry-After; each
request leaves a row in the token's trail and the token's last use."""

import datetime
import io

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from antt.errors import WorkflowError
from api.models import ApiRequest, ApiToken, digest
from api.tokens import create_token
from certification.models import AuditEvent
from tests.api.conftest import bearer, make_token

UNITS = "/api/v1/units"


def unit_ids(client: Client, **query) -> set[int]:
    response = client.get(UNITS, {"limit": 500, **query})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["items"]}


@pytest.mark.django_db
def test_only_the_hash_of_a_token_is_stored_and_its_making_is_audited(officer):
    token, secret = create_token(
        by=officer,
        name="Bảng điều khiển",
        units=[],
        can_write=False,
        expires_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == digest(secret) and secret not in stored.key_hash
    assert secret.startswith(stored.hint) and len(stored.hint) < 12
    event = AuditEvent.objects.get(object_type="api.apitoken", object_id=str(token.pk))
    assert event.actor_id == officer.pk and "Bảng điều khiển" in event.new


@pytest.mark.django_db
def test_a_token_cannot_name_a_unit_outside_its_owners_area(officer, other_commune, other_area):
    for unit in (other_commune, other_area):
        with pytest.raises(WorkflowError):
            create_token(
                by=officer,
                name="x",
                units=[unit],
                can_write=False,
                expires_on=timezone.localdate() + datetime.timedelta(days=10),
            )
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_expiry_must_be_within_a_year(officer):
    for days in (0, 400):
        with pytest.raises(WorkflowError):
            make_token(officer, days=days)


@pytest.mark.django_db
def test_a_token_sees_its_owners_subtree_and_a_narrowed_token_only_its_units(
    province_viewer, province, commune, areas, other_commune, other_area
):
    whole = bearer(make_token(province_viewer))
    assert {province.pk, commune.pk, other_commune.pk, other_area.pk} <= unit_ids(whole)
    narrow = bearer(make_token(province_viewer, units=[commune]))
    seen = unit_ids(narrow)
    assert seen == {commune.pk, *(a.pk for a in areas)}
    assert narrow.get(f"{UNITS}/{other_commune.pk}").status_code == 404
    assert narrow.get(f"{UNITS}/{province.pk}").status_code == 404
    assert narrow.get(f"{UNITS}/{commune.pk}").status_code == 200


@pytest.mark.django_db
def test_a_narrowed_superuser_token_is_no_longer_global(superuser, commune, areas, other_commune):
    narrow = bearer(make_token(superuser, units=[commune]))
    assert unit_ids(narrow) == {commune.pk, *(a.pk for a in areas)}
    superuser.refresh_from_db()
    assert superuser.is_superuser  # narrowed in memory only


@pytest.mark.django_db
def test_missing_wrong_expired_and_revoked_tokens_get_401(officer, commune):
    assert Client().get(UNITS).status_code == 401
    assert bearer("antt_not-a-token").get(UNITS).status_code == 401
    secret = make_token(officer)
    client = bearer(secret)
    assert client.get(UNITS).status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(UNITS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    ApiToken.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1), revoked_at=timezone.now())
    assert client.get(UNITS).status_code == 401


@pytest.mark.django_db
def test_a_logged_in_session_does_not_open_the_api(officer, commune):
    client = Client()
    client.force_login(officer)
    assert client.get(UNITS).status_code == 401


@pytest.mark.django_db
def test_a_user_whose_account_is_disabled_loses_the_api(officer, commune):
    client = bearer(make_token(officer))
    officer.is_active = False
    officer.save()
    assert client.get(UNITS).status_code == 401


@pytest.mark.django_db
def test_past_the_rate_limit_the_token_gets_429_with_retry_after(officer, commune, settings):
    settings.API_RATE_LIMIT = "3/m"
    client = bearer(make_token(officer))
    codes = [client.get(UNITS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get(UNITS)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token of the same user has its own budget.
    assert bearer(make_token(officer)).get(UNITS).status_code == 200


@pytest.mark.django_db
def test_each_request_is_in_the_tokens_trail_and_its_last_use_shown(officer, commune):
    secret = make_token(officer)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    client = bearer(secret)
    client.get(UNITS)
    client.get(f"{UNITS}/{commune.pk}")
    client.get(f"{UNITS}/999999")
    trail = list(
        ApiRequest.objects.filter(token=token).order_by("pk").values_list("method", "path", "status")
    )
    assert trail == [
        ("GET", UNITS, 200),
        ("GET", f"{UNITS}/{commune.pk}", 200),
        ("GET", f"{UNITS}/999999", 404),
    ]
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_the_same_answer_twice_is_304_with_its_etag(officer, commune):
    client = bearer(make_token(officer))
    first = client.get(f"{UNITS}/{commune.pk}")
    etag = first["ETag"]
    again = client.get(f"{UNITS}/{commune.pk}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(f"{UNITS}/{commune.pk}", headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.django_db
def test_the_cursor_walks_every_unit_once_in_a_stable_order(province_viewer, province, areas, other_area):
    client = bearer(make_token(province_viewer))
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(UNITS, query).json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) == sorted(set(seen))
    assert set(seen) == unit_ids(client)
    assert client.get(UNITS, {"cursor": "%%%"}).status_code == 400


def post_token_form(user, data: dict) -> tuple[Client, HttpResponse]:
    """``user`` logged in sends the token form with ``data`` and an expiry 30 days ahead."""
    client = Client()
    client.force_login(user)
    expires = (timezone.localdate() + datetime.timedelta(days=30)).strftime("%d/%m/%Y")
    return client, client.post(reverse("api:token-create"), {**data, "expires_on": expires})


@pytest.mark.django_db
def test_the_account_pages_make_list_and_revoke_ones_own_tokens(officer, commune, colleague):
    client, response = post_token_form(
        officer, {"name": "Văn phòng điện tử", "units": [commune.pk], "can_write": ""}
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    token = ApiToken.objects.get(user=officer)
    assert list(token.units.all()) == [commune] and not token.can_write
    listing = client.get(reverse("api:token-list")).content.decode()
    assert "Văn phòng điện tử" in listing and secret not in listing
    # Somebody else cannot revoke it.
    other = Client()
    other.force_login(colleague)
    assert other.post(reverse("api:token-revoke", args=[token.pk])).status_code == 404
    assert bearer(secret).get(UNITS).status_code == 200
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 302
    assert bearer(secret).get(UNITS).status_code == 401


@pytest.mark.django_db
def test_the_token_form_offers_only_units_of_ones_area(officer, commune, other_commune):
    _client, response = post_token_form(officer, {"name": "x", "units": [other_commune.pk]})
    assert response.status_code == 200 and "secret" not in response.context
    assert not ApiToken.objects.exists()


def sweep_by_beat(settings) -> int:
    """Run the task celery beat's entry names, as a worker knows it."""
    from celery import current_app

    current_app.loader.import_default_modules()  # what a worker imports when it starts
    task = current_app.tasks[settings.CELERY_BEAT_SCHEDULE["sweep-api-requests"]["task"]]
    return task.apply().get()


def sweep_by_command(settings) -> int:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("sweep_api_requests", stdout=out)
    return int(out.getvalue().split()[0])


@pytest.mark.django_db
@pytest.mark.parametrize("sweep", [sweep_by_command, sweep_by_beat])
def test_the_trail_older_than_the_setting_is_swept_by_hand_and_each_night(sweep, officer, commune, settings):
    settings.API_REQUEST_DAYS = 30
    client = bearer(make_token(officer))
    client.get(UNITS)
    client.get(UNITS)
    old, recent = ApiRequest.objects.order_by("pk")
    ApiRequest.objects.filter(pk=old.pk).update(at=timezone.now() - datetime.timedelta(days=31))
    assert sweep(settings) == 1
    assert list(ApiRequest.objects.values_list("pk", flat=True)) == [recent.pk]
