"""The one scoping module: every queryset and object lookup of a view starts here.

A role on a unit covers that unit's whole subtree (materialized path prefix). Objects outside
the user's scope are reported as 404, never as 403, so their existence does not leak; a user
who can see an object but lacks the role for an action gets 403.
"""

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404

from antt.accounts.identity import cached, forget_user, read_with_user, replace_stamps, user_stamp
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
# The stamp every cached list of roles carries (antt/accounts/identity.py): replaced when a unit
# is saved, deleted or moved (``units.tree.rebuild_paths``), since the list holds the units.
UNITS_STAMP = "units"


def forget_units() -> None:
    replace_stamps(UNITS_STAMP)


def _roles_entry(user_id: int) -> tuple[str, list[str]]:
    """The cache key of a user's roles and the stamps they carry (antt/accounts/identity.py)."""
    return f"identity:roles:{user_id}", [user_stamp(user_id), UNITS_STAMP]


read_with_user(_roles_entry)  # read in the same round trip as the user


def assignments(user, roles: Iterable[str] | None = None) -> list[RoleAssignment]:
    """The user's role assignments (with ``roles``) as every check of this module sees them: the
    ones an API token narrowed (:func:`act_with`), else the identity cache's, else the database's.
    Anything deciding on a user's roles reads them here, never ``RoleAssignment.objects``."""
    if not getattr(user, "is_authenticated", False):
        return []
    cache = getattr(user, "_antt_roles", None)
    if cache is None:
        key, stamps = _roles_entry(user.pk)
        cache = cached(
            key,
            lambda: list(RoleAssignment.objects.filter(user=user).select_related("unit")),
            stamps=stamps,
            read=getattr(user, "identity_read", None),
        )
        user._antt_roles = cache
    if roles is None:
        return cache
    wanted = set(roles)
    return [a for a in cache if a.role in wanted]


def scope_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    """Paths of the subtrees the user may reach (with any of ``roles``), without nesting."""
    paths = sorted({a.unit.path for a in assignments(user, roles)})
    kept: list[str] = []
    for p in paths:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def is_global(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_superuser)


def scope_filter(user, unit_field: str = "", roles: Iterable[str] | None = None) -> Q:
    """A Q restricting ``<unit_field>__path`` to the user's subtrees (nothing when none)."""
    prefix = f"{unit_field}__" if unit_field else ""
    if is_global(user):
        return Q()
    paths = scope_paths(user, roles)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": p}) for p in paths))


def visible_units(user, roles: Iterable[str] | None = None) -> QuerySet[Unit]:
    return Unit.objects.filter(scope_filter(user, roles=roles))


def scope_queryset[M: Model](
    user, queryset: QuerySet[M], unit_field: str = "unit", roles: Iterable[str] | None = None
) -> QuerySet[M]:
    return queryset.filter(scope_filter(user, unit_field, roles))


def can_see(user, unit: Unit) -> bool:
    return is_global(user) or any(unit.path.startswith(p) for p in scope_paths(user))


def has_role(user, unit: Unit, *roles: str) -> bool:
    """True when the user holds one of ``roles`` on ``unit`` or one of its ancestors."""
    if is_global(user):
        return True
    return any(unit.path.startswith(a.unit.path) for a in assignments(user, roles))


def assignments_at(user, unit: Unit) -> list[RoleAssignment]:
    """The user's assignments on ``unit`` itself (not on an ancestor)."""
    return [a for a in assignments(user) if a.unit_id == unit.pk]


def has_role_at(user, unit: Unit, *roles: str) -> bool:
    """True when the user holds one of ``roles`` on ``unit`` itself: a role higher up does not
    count (an approver *of* a recognizing body signs its decisions)."""
    if is_global(user):
        return True
    return any(a.role in roles for a in assignments_at(user, unit))


def act_with(user, narrowed: list[RoleAssignment]) -> None:
    """Make every check of this module see ``narrowed`` as the user's roles from now on (an API
    token's narrowing, ``api/tokens.scoped_user``): kept on this user object, never cached."""
    user._antt_roles = narrowed


def require_role(user, unit: Unit, *roles: str) -> None:
    if not can_see(user, unit):
        raise Http404
    if not has_role(user, unit, *roles):
        raise PermissionDenied


def get_for_user[M: Model](
    user, model_or_queryset: type[M] | QuerySet[M], pk: object, unit_field: str = "unit"
) -> M:
    """Fetch one object whose unit lies in the user's scope, else 404."""
    queryset = (
        model_or_queryset._default_manager.all() if isinstance(model_or_queryset, type) else model_or_queryset
    )
    if queryset.model is Unit and unit_field == "unit":
        unit_field = ""
    try:
        return queryset.filter(scope_filter(user, unit_field)).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def user_roles(user) -> set[str]:
    if is_global(user):
        return {r.value for r in Role}
    return {a.role for a in assignments(user)}


def home_units(user, roles: Iterable[str] | None = None) -> list[Unit]:
    """The units the user's roles are attached to (their scope roots)."""
    return [a.unit for a in assignments(user, roles)]


@receiver(post_save, sender=RoleAssignment)
@receiver(post_delete, sender=RoleAssignment)
def _roles_changed(sender, instance: RoleAssignment, **kwargs) -> None:
    forget_user(instance.user_id)


@receiver(post_save, sender=Unit)
@receiver(post_delete, sender=Unit)
def _unit_changed(sender, instance: Unit, **kwargs) -> None:
    forget_units()
