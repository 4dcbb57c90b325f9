"""Behind the reverse proxy (issue 19, class 6): the login lockout and the public verification's
limit count the client's address, taken from X-Forwarded-For past the configured number of
trusted proxies (django-axes with django-ipware), so a stranger cannot lock the chairman out by
failing logins through the same proxy; an account guessed at from many addresses accepts only
the addresses it was used from (antt.accounts.lockout)."""

import runpy
from pathlib import Path

import pytest
from django.urls import reverse

from tests.builders import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PROXY = "127.0.0.1"  # nginx on the same machine: the TCP peer of every request
STRANGER = "198.51.100.7"
CHAIRMAN = "203.0.113.5"


@pytest.fixture
def behind_one_proxy(settings):
    """What antt/settings.py derives from TRUSTED_PROXY_COUNT=1 (checked below)."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False


def login(client, username: str, password: str, forwarded: str | None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_the_proxy_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "1")
    one = runpy.run_path(str(ROOT / "antt" / "settings.py"))
    assert one["AXES_IPWARE_META_PRECEDENCE_ORDER"][0] == "HTTP_X_FORWARDED_FOR"
    assert one["AXES_IPWARE_PROXY_COUNT"] == 0  # ipware counts the proxies after the client in the header
    assert one["IPWARE_STRICT"] is False
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "2")
    assert runpy.run_path(str(ROOT / "antt" / "settings.py"))["AXES_IPWARE_PROXY_COUNT"] == 1
    monkeypatch.delenv("TRUSTED_PROXY_COUNT")
    direct = runpy.run_path(str(ROOT / "antt" / "settings.py"))
    assert direct["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)  # a client's header is ignored


@pytest.mark.django_db
def test_behind_the_proxy_a_stranger_cannot_lock_the_chairman_out(client, make_user, behind_one_proxy, quiet):
    make_user("chutich")
    for attempt in range(5):
        login(client, "chutich", f"sai-{attempt}", STRANGER)
    assert login(client, "chutich", PASSWORD, STRANGER).status_code == 429  # the stranger is locked

    response = login(client, "chutich", PASSWORD, CHAIRMAN)

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_change_the_address_counted(
    client, make_user, behind_one_proxy, quiet
):
    make_user("chutich")
    # The client forges the header; the proxy appends the address it saw ($proxy_add_x_forwarded_for).
    for attempt in range(5):
        login(client, "chutich", f"sai-{attempt}", f"10.9.{attempt}.1, {STRANGER}")
    assert login(client, "chutich", PASSWORD, f"{CHAIRMAN}, {STRANGER}").status_code == 429
    assert login(client, "chutich", PASSWORD, CHAIRMAN).status_code == 302


@pytest.mark.django_db
def test_without_a_proxy_the_header_is_ignored_and_cannot_dodge_the_lockout(client, make_user, quiet):
    make_user("chutich")
    for attempt in range(5):
        login(client, "chutich", f"sai-{attempt}", f"10.9.{attempt}.1")
    assert login(client, "chutich", PASSWORD, "10.9.99.1").status_code == 429


@pytest.mark.django_db
def test_the_public_verification_limit_counts_each_client_behind_the_proxy(
    client, settings, behind_one_proxy
):
    settings.VERIFY_RATE_LIMIT = 2
    url = reverse("verify", kwargs={"code": "KHONG-CO-MA-NAY-01"})
    first = [client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=STRANGER).status_code for _ in range(3)]
    assert first == [404, 404, 429]
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CHAIRMAN).status_code == 404
    # Forging the header does not give the stranger a fresh allowance.
    forged = client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"10.1.1.1, {STRANGER}")
    assert forged.status_code == 429


def _spray(client, username: str, addresses: int, per_address: int = 5) -> None:
    for a in range(addresses):
        for attempt in range(per_address):
            login(client, username, f"sai-{a}-{attempt}", f"198.51.100.{10 + a}")


@pytest.mark.django_db
def test_guessing_from_many_addresses_closes_the_account_to_new_addresses_only(
    client, make_user, behind_one_proxy, settings, quiet
):
    settings.ACCOUNT_FAILURE_LIMIT = 20
    make_user("chutich")
    assert login(client, "chutich", PASSWORD, CHAIRMAN).status_code == 302  # the usual office PC
    client.post(reverse("logout"))

    _spray(client, "chutich", addresses=4)  # 4 × 5 failures: a botnet, each address under its own limit

    from_new_address = login(client, "chutich", PASSWORD, "198.51.100.200")
    assert from_new_address.status_code == 429
    assert "từ nhiều nơi" in from_new_address.content.decode()
    assert "_auth_user_id" not in client.session
    from_office = login(client, "chutich", PASSWORD, CHAIRMAN)
    assert from_office.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_one_address_failing_on_and_on_does_not_close_the_account(client, make_user, behind_one_proxy, quiet):
    make_user("chutich")
    for attempt in range(30):  # locked after 5, and it keeps trying
        login(client, "chutich", f"sai-{attempt}", STRANGER)

    assert login(client, "chutich", PASSWORD, "198.51.100.201").status_code == 302


@pytest.mark.django_db
def test_the_guard_needs_the_limit_of_failures_not_one_fewer(
    client, make_user, behind_one_proxy, settings, quiet
):
    settings.ACCOUNT_FAILURE_LIMIT = 20
    make_user("chutich")
    _spray(client, "chutich", addresses=3)
    more = [login(client, "chutich", f"x-{i}", "198.51.100.99") for i in range(4)]  # 19 in all
    assert all(r.status_code == 200 for r in more)

    assert login(client, "chutich", PASSWORD, "198.51.100.202").status_code == 302
