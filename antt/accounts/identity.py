"""Who is asking, without a query on every request (issue 23): the session (``antt.accounts.sessions``),
the user (``IdentityMiddleware``) and the user's roles (``units.access``) are kept in the
``identity`` cache (``settings.CACHES``).

That cache must be one for every process, or an ended session or a revoked role would outlive its
change in the processes that did not see it: it is Redis (``CACHE_URL``); without ``CACHE_URL``
nothing is kept (Django's dummy cache: every request reads the database, as before).

Every entry kept for a user carries the user's *stamp* (a random token under ``identity:v:user:<id>``)
and is used only while the stamp is unchanged. ``forget_user`` replaces the stamp at once and again
when the transaction commits: a request that read the rows before the change and stores them after
it stores them under a stamp that is already gone. What replaces a user's stamp: a save or deletion
of the user (password, deactivation, superuser flag, last login), a role granted, changed or
revoked (``units.access``); a unit's path or name changing replaces the ``units`` stamp every role
entry also carries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import BaseCache, caches
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

ALIAS = "identity"
TIMEOUT = 15 * 60  # a safety net only: every change replaces the stamps at once
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def identity_cache() -> BaseCache:
    return caches[ALIAS]


def _stamp_key(name: str) -> str:
    return f"identity:v:{name}"


def user_stamp(user_id: int) -> str:
    """The name of a user's stamp, for ``cached(..., stamps=...)``."""
    return f"user:{user_id}"


def replace_stamps(*names: str) -> None:
    """Invalidate every entry carrying one of these stamps, now and when the transaction commits."""
    keys = [_stamp_key(n) for n in names]

    def replace() -> None:
        identity_cache().set_many({k: uuid.uuid4().hex for k in keys}, None)

    replace()
    transaction.on_commit(replace)


def forget_user(user_id: int) -> None:
    replace_stamps(user_stamp(user_id))


# Read = (the keys asked, what was found): one round trip for the user and what is registered with
# ``read_with_user`` (the roles: units.access), kept on the user for the rest of the request.
Read = tuple[frozenset[str], dict[str, Any]]
_WITH_USER: list[Callable[[int], tuple[str, list[str]]]] = []


def read_with_user(entry: Callable[[int], tuple[str, list[str]]]) -> None:
    """Register an entry read in the same round trip as the user: ``entry(user_id)`` gives its
    key and the names of its stamps; pass ``user.identity_read`` to ``cached(..., read=)``."""
    _WITH_USER.append(entry)


def _inside_a_transaction() -> bool:
    """True inside ``transaction.atomic`` (a test case's own blocks aside: they stand for the
    autocommit of a real request). What is read there may be rolled back, and a rollback runs no
    ``on_commit``: a role granted, read and kept, then rolled back, would stay kept under the stamp
    its grant put in place."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def cached(key: str, load: Callable[[], Any], *, stamps: Iterable[str], read: Read | None = None) -> Any:
    """``load()``'s value kept under ``key`` while every stamp named in ``stamps`` (``user_stamp``
    or a shared name given to ``replace_stamps``) is unchanged; one cache round trip when kept,
    none when ``read`` already holds the key and its stamps. Only what is read outside a
    transaction is kept (``_inside_a_transaction``)."""
    cache = identity_cache()
    stamp_keys = [_stamp_key(n) for n in stamps]
    if read is not None and read[0].issuperset([key, *stamp_keys]):
        found = read[1]
    else:
        found = cache.get_many([key, *stamp_keys])
    current = [found.get(k) for k in stamp_keys]
    entry = found.get(key)
    if entry is not None and None not in current and entry[0] == current:
        return entry[1]
    missing = {k: uuid.uuid4().hex for k, v in zip(stamp_keys, current, strict=True) if v is None}
    if missing:
        # add, not set: a stamp replaced meanwhile by another process wins.
        for k, v in missing.items():
            cache.add(k, v, None)
        found = cache.get_many(stamp_keys)
        current = [found.get(k) for k in stamp_keys]
    value = load()
    if None not in current and not _inside_a_transaction():
        cache.set(key, (current, value), TIMEOUT)
    return value


def _load_user(request: HttpRequest):
    """The session's user as ``auth.get_user`` finds it, the user row kept in the cache: a session
    whose user, backend or password hash does not match exactly goes the whole way through
    ``auth.get_user`` (which ends a session whose password changed)."""
    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    if user_id is None or session.get(auth.BACKEND_SESSION_KEY) != MODEL_BACKEND:
        return auth.get_user(request)
    if MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    user_model = auth.get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)
    except Exception:
        return auth.get_user(request)
    entries = [(f"identity:user:{pk}", [user_stamp(pk)])] + [entry(pk) for entry in _WITH_USER]
    keys = frozenset(k for key, stamps in entries for k in (key, *(_stamp_key(n) for n in stamps)))
    read = (keys, identity_cache().get_many(list(keys)))
    user = cached(
        entries[0][0],
        lambda: user_model._default_manager.filter(pk=pk).first(),
        stamps=entries[0][1],
        read=read,
    )
    session_hash = session.get(auth.HASH_SESSION_KEY)
    if (
        user is None
        or not user.is_active
        or not session_hash
        or not constant_time_compare(session_hash, user.get_session_auth_hash())
    ):
        return auth.get_user(request)
    user.identity_read = read
    return user


class IdentityMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` with the user row read from the identity cache."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)

        def user():
            if not hasattr(request, "_cached_user"):
                request._cached_user = _load_user(request)  # type: ignore[attr-defined]
            return request._cached_user  # type: ignore[attr-defined]

        request.user = SimpleLazyObject(user)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _user_changed(sender, instance, **kwargs) -> None:
    forget_user(instance.pk)
