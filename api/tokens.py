"""Writes and lookups of API tokens: made by a user for themselves, never wider than their roles.

A token's scope is a list of units (empty: all of its owner's scope); each must lie in the
owner's subtrees. On each request the owner's role assignments are narrowed to those units
(:func:`scoped_user`), so every check of ``units.access`` — and so every selector and service
the web pages use — sees no further than the token.
"""

import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from api.models import PREFIX, ApiRequest, ApiToken, digest
from certification.audit import Action, log_change
from units.access import act_with, assignments, can_see, user_roles
from units.models import RoleAssignment, Unit

MAX_DAYS = 366
TOUCH_EVERY = datetime.timedelta(minutes=1)  # last use is written at most once a minute


@transaction.atomic
def create_token(
    *,
    by: User,
    name: str,
    units: Iterable[Unit],
    can_write: bool,
    expires_on: datetime.date,
) -> tuple[ApiToken, str]:
    """A new token of ``by`` and its secret (shown once, stored only as a hash)."""
    units = list(units)
    name = name.strip()
    if not name:
        raise WorkflowError(_("Give the token a name."))
    today = timezone.localdate()
    if expires_on <= today:
        raise WorkflowError(_("The expiry date must be after today."))
    if expires_on > today + datetime.timedelta(days=MAX_DAYS):
        raise WorkflowError(_("A token is valid for at most one year."))
    outside = [u for u in units if not can_see(by, u)]
    if outside:
        raise WorkflowError(
            _("%(units)s is outside your area.") % {"units": ", ".join(str(u) for u in outside)}
        )
    if not units and not user_roles(by):
        raise WorkflowError(_("You have no role: a token would reach nothing."))
    secret = PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.make_aware(datetime.datetime.combine(expires_on, datetime.time.max))
    token = ApiToken.objects.create(
        user=by,
        name=name,
        key_hash=digest(secret),
        hint=secret[: len(PREFIX) + 4],
        can_write=can_write,
        expires_at=expires_at,
    )
    token.units.set(units)
    scope = ", ".join(u.code for u in units) or "*"
    log_change(
        token,
        by=by,
        action=Action.USER_CHANGED,
        field="api_token",
        new=f"{token.name} ({'rw' if can_write else 'r'}; {scope}; {expires_on.isoformat()})",
    )
    return token, secret


@transaction.atomic
def revoke_token(*, token: ApiToken, by: User) -> ApiToken:
    if token.user_id != by.pk:
        raise WorkflowError(_("Only its owner can revoke a token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_change(token, by=by, action=Action.USER_CHANGED, field="api_token", old=token.name, new="")
    return token


def find_token(secret: str) -> ApiToken | None:
    """The active token with this secret, its owner and scope units loaded; None otherwise."""
    if not secret.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .prefetch_related("units")
        .filter(key_hash=digest(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def scoped_user(token: ApiToken) -> User:
    """The token's owner with their role assignments narrowed to the token's units.

    The owner's assignments are read where every role check reads them
    (``units.access.assignments``: the identity cache) and the narrowed ones handed back with
    ``units.access.act_with``: every scope and role check — ``has_role``, ``is_approver_of``
    (``has_role_at``), the selectors and services — then sees the token's scope. A superuser's
    token limited to units acts as holding every role there and is global no more (only in
    memory: nothing is saved)."""
    user = token.user
    units = list(token.units.all())
    if not units:
        return user  # the owner's whole scope: their roles as a session reads them
    if user.is_superuser:
        narrowed = [RoleAssignment(user=user, unit=u, role=r) for u in units for r in RoleAssignment.Role]
        user.is_superuser = False
    else:
        narrowed = []
        for a in assignments(user):
            for u in units:
                if u.path.startswith(a.unit.path):
                    narrowed.append(RoleAssignment(user=user, unit=u, role=a.role, title=a.title))
                elif a.unit.path.startswith(u.path):
                    narrowed.append(a)
    act_with(user, narrowed)
    return user


def touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def record_request(*, token: ApiToken, method: str, path: str, status: int) -> None:
    ApiRequest.objects.create(token=token, method=method, path=path[:300], status=status)


def sweep_requests() -> int:
    """Delete the trail older than ``API_REQUEST_DAYS`` (``manage.py sweep_api_requests``, daily by
    celery beat); the writes stay in the audit chain. Returns the number of rows deleted."""
    before = timezone.now() - datetime.timedelta(days=settings.API_REQUEST_DAYS)
    deleted, _by_model = ApiRequest.objects.filter(at__lt=before).delete()
    return deleted
