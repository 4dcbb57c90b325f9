"""Password hashing in production settings: Argon2id (OWASP's parameters) for new hashes, and
the PBKDF2 hashes stored before still log in and are upgraded to Argon2id on that login
(antt/passwords.py, docs/reliability.md "Load")."""

import argon2
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password
from django.urls import reverse

import antt.settings as production
from tests.builders import PASSWORD

ARGON2ID_PREFIX = "argon2$argon2id$v=19$m=47104,t=1,p=1$"


def _pbkdf2_hash() -> str:
    return PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())


def _argon2_django_defaults_hash() -> str:
    """What Django's own Argon2 hasher stores (100 MiB, t = 2, p = 8)."""
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=102400, parallelism=8)
    return "argon2" + hasher.hash(PASSWORD)


@pytest.fixture
def production_hashers(settings):
    # The shared fixture swaps in MD5 to keep the suite fast; these tests need the real list.
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def _login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_new_passwords_are_hashed_with_argon2id_at_owasps_parameters(production_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith(ARGON2ID_PREFIX)
    assert identify_hasher(encoded).verify(PASSWORD, encoded)
    assert not identify_hasher(encoded).verify("wrong-password", encoded)


def test_pbkdf2_stays_in_the_list_so_hashes_stored_before_still_verify(production_hashers):
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS
    assert production.PASSWORD_HASHERS[0] == "antt.accounts.passwords.Argon2idPasswordHasher"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old_hash", [_pbkdf2_hash, _argon2_django_defaults_hash], ids=["pbkdf2", "argon2-django-defaults"]
)
def test_a_user_with_an_older_hash_logs_in_and_gets_an_argon2id_hash(production_hashers, client, old_hash):
    user = get_user_model().objects.create(username="canbo")
    user.password = old_hash()
    user.save(update_fields=["password"])
    assert not user.password.startswith(ARGON2ID_PREFIX)

    response = _login(client, "canbo", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_PREFIX)
    client.logout()
    assert _login(client, "canbo", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_wrong_password_against_an_old_pbkdf2_hash_changes_nothing(production_hashers, client):
    user = get_user_model().objects.create(username="canbo")
    user.password = _pbkdf2_hash()
    user.save(update_fields=["password"])
    before = user.password

    response = _login(client, "canbo", "sai-mat-khau-1")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password == before
