"""Users and roles, managed by administrators of a subtree; the audit of unit writes.

An administrator (``RoleAssignment.Role.ADMIN`` on a unit) manages the roles on units of that
subtree: any role on the units below, and every role but administrator on the unit itself,
so nobody can create a peer or a superior. Superusers manage everything. Nobody — superusers
included — gives, changes or takes away their own roles (separation of duties): every path
(the app's pages, the Django admin) goes through :func:`check_grant`.

A user whose last role is removed keeps a :class:`~units.models.LastRole`, so the
administrators of that unit still find and manage them.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from antt.accounts.sessions import end_sessions
from antt.errors import WorkflowError
from certification.audit import Action, actor_or_none, log_change, log_diff
from units import access
from units.models import LastRole, RoleAssignment, Unit, UnitChange
from units.tree import rebuild_paths

Role = RoleAssignment.Role
User = get_user_model()


def is_user_admin(user) -> bool:
    return access.is_global(user) or bool(access.home_units(user, [Role.ADMIN]))


def can_grant(by, unit: Unit, role: str) -> bool:
    """May ``by`` give (or take away) ``role`` on ``unit``?"""
    if access.is_global(by):
        return True
    for root in access.home_units(by, [Role.ADMIN]):
        if unit.path.startswith(root.path) and (role != Role.ADMIN or unit.pk != root.pk):
            return True
    return False


def grantable_units(by) -> QuerySet[Unit]:
    """Administrative units (current ones) on which ``by`` may give roles."""
    return (
        access.visible_units(by, roles=[Role.ADMIN])
        .filter(kind__in=Unit.ADMINISTRATIVE_KINDS, valid_to__isnull=True)
        .order_by("path")
    )


def managed_assignments(by) -> QuerySet[RoleAssignment]:
    """Role assignments on units of ``by``'s administered subtrees."""
    return access.scope_queryset(
        by, RoleAssignment.objects.select_related("user", "unit"), unit_field="unit", roles=[Role.ADMIN]
    )


def managed_users(by) -> QuerySet:
    """Users holding at least one role in ``by``'s administered subtrees, or whose last role,
    now removed, was there (never superusers)."""
    ids = managed_assignments(by).values("user_id")
    former = access.scope_queryset(by, LastRole.objects.all(), unit_field="unit", roles=[Role.ADMIN])
    return (
        User.objects.filter(Q(pk__in=ids) | Q(pk__in=former.values("user_id")), is_superuser=False)
        .select_related("last_role__unit")
        .order_by("username")
    )


def check_grant(by, user, unit: Unit, role: str) -> None:
    """May ``by`` give ``user`` (or take away from them) ``role`` on ``unit``? Raises
    ``WorkflowError`` with the reason when not."""
    if role not in Role.values:
        raise WorkflowError(_("Unknown role."))
    if user is not None and user.pk is not None and user.pk == getattr(by, "pk", None):
        raise WorkflowError(_("You cannot change your own roles."))
    if user is not None and user.is_superuser and not access.is_global(by):
        raise WorkflowError(_("Only a superuser can change a superuser's roles."))
    if not can_grant(by, unit, role):
        raise WorkflowError(
            _(
                "You can only give roles on units of your own subtree, and the administrator role only below your unit."
            )
        )


def can_change_roles_of(by, user) -> bool:
    """May ``by`` give ``user`` roles at all (on some unit of their subtree)?"""
    if user.pk == getattr(by, "pk", None):
        return False
    if access.is_global(by):
        return True
    return not user.is_superuser and managed_users(by).filter(pk=user.pk).exists()


def _label(role: str, unit: Unit) -> str:
    return f"{role}@{unit.code}"


@transaction.atomic
def grant_role(*, by, user: AbstractBaseUser, unit: Unit, role: str, title: str = "") -> RoleAssignment:
    check_grant(by, user, unit, role)
    if RoleAssignment.objects.filter(user=user, unit=unit, role=role).exists():
        raise WorkflowError(_("The user already has this role on this unit."))
    assignment = RoleAssignment.objects.create(user=user, unit=unit, role=role, title=title.strip())
    LastRole.objects.filter(user=user).delete()
    log_change(assignment, by=by, action=Action.GRANT_ROLE, field="role", old="", new=_label(role, unit))
    return assignment


@transaction.atomic
def change_role(*, by, assignment: RoleAssignment, unit: Unit, role: str, title: str = "") -> RoleAssignment:
    """Move a role to another unit, make it another role or retitle it: ``by`` must be allowed to
    take the old one away and to give the new one."""
    assignment = (
        RoleAssignment.objects.select_for_update().select_related("unit", "user").get(pk=assignment.pk)
    )
    check_grant(by, assignment.user, assignment.unit, assignment.role)
    check_grant(by, assignment.user, unit, role)
    before = {"role": _label(assignment.role, assignment.unit), "title": assignment.title}
    after = {"role": _label(role, unit), "title": title.strip()}
    if before == after:
        return assignment
    duplicate = RoleAssignment.objects.filter(user=assignment.user, unit=unit, role=role)
    if duplicate.exclude(pk=assignment.pk).exists():
        raise WorkflowError(_("The user already has this role on this unit."))
    assignment.unit, assignment.role, assignment.title = unit, role, title.strip()
    assignment.save(update_fields=["unit", "role", "title"])
    log_diff(assignment, by=by, action=Action.CHANGE_ROLE, old=before, new=after)
    return assignment


@transaction.atomic
def create_user_with_role(
    *,
    by,
    username: str,
    unit: Unit,
    password: str | None = None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
) -> AbstractBaseUser:
    check_grant(by, None, unit, role)
    if User.objects.filter(username__iexact=username).exists():
        raise WorkflowError(_("This username is already taken."))
    # No password (the app's form): unusable until the user sets one from a one-time link.
    user = User.objects.create_user(
        username=username, password=password, first_name=first_name, last_name=last_name, email=email
    )
    log_change(user, by=by, action=Action.CREATE_USER, field="username", old="", new=username)
    grant_role(by=by, user=user, unit=unit, role=role, title=title)
    return user


@transaction.atomic
def revoke_role(*, by, assignment: RoleAssignment) -> None:
    assignment = (
        RoleAssignment.objects.select_for_update().select_related("unit", "user").get(pk=assignment.pk)
    )
    check_grant(by, assignment.user, assignment.unit, assignment.role)
    log_change(
        assignment,
        by=by,
        action=Action.REVOKE_ROLE,
        field="role",
        old=_label(assignment.role, assignment.unit),
        new="",
    )
    user, unit, role = assignment.user, assignment.unit, assignment.role
    assignment.delete()
    if not RoleAssignment.objects.filter(user=user).exists():
        # Kept so that the administrators of that unit still manage the user.
        LastRole.objects.update_or_create(
            user=user,
            defaults={
                "unit": unit,
                "role": role,
                "removed_by": actor_or_none(by),
                "removed_at": timezone.now(),
            },
        )


# Units -------------------------------------------------------------------------------------

# What the audit trail records of a unit, before → after ("parent" as the parent's code).
UNIT_AUDITED = (
    "code",
    "name",
    "label",
    "kind",
    "parent",
    "valid_from",
    "valid_to",
    "household_count",
    "enterprise_size",
    "school_level",
    "is_armed_forces",
    "note",
)


def unit_snapshots(units: Iterable[Unit]) -> dict[int, dict[str, str]]:
    """The audited fields of ``units`` as text, by id (the parents' codes read in bulk)."""
    units = list(units)
    parent_ids = list({u.parent_id for u in units if u.parent_id})
    codes: dict[int, str] = {}
    for start in range(0, len(parent_ids), 5000):
        codes.update(Unit.objects.filter(pk__in=parent_ids[start : start + 5000]).values_list("pk", "code"))
    found = {}
    for unit in units:
        row = {}
        for name in UNIT_AUDITED:
            value = codes.get(unit.parent_id, "") if name == "parent" else getattr(unit, name)
            row[name] = "" if value is None else str(value)
        found[unit.pk] = row
    return found


def log_unit_changes(*, by, before: dict[int, dict[str, str]], units: Iterable[Unit]) -> int:
    """One event per unit of ``units`` that was created (not in ``before``) or whose audited
    fields differ from ``before``; returns how many were logged. Every bulk write of units ends
    here (imports, re-arrangements, the divisions' load): the roles kept in the identity cache
    hold their units, so they are forgotten too (a bulk write sends no ``post_save``)."""
    access.forget_units()
    units = list(units)
    logged = 0
    after = unit_snapshots(units)
    for unit in units:
        old = before.get(unit.pk)
        action = Action.UNIT_CREATED if old is None else Action.UNIT_CHANGED
        if log_diff(unit, by=by, action=action, old=old, new=after[unit.pk]) is not None:
            logged += 1
    return logged


@transaction.atomic
def issue_password_link(*, by, user: AbstractBaseUser) -> str:
    """A one-time link (path) with which ``user`` sets a new password; shown once to ``by``.

    The current password stops working at once and every session of ``user`` ends: the
    administrator hands over a link, never a password, and the user's first login sets one.
    The link is Django's password-reset token: it expires after ``PASSWORD_RESET_TIMEOUT`` and
    dies when the password is set (the token is bound to the password's hash)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == getattr(by, "pk", None):
        raise WorkflowError(_("Change your own password under “My account”."))
    if not access.is_global(by) and (user.is_superuser or not managed_users(by).filter(pk=user.pk).exists()):
        raise WorkflowError(_("You can only issue a link to users of your own subtree."))
    if not user.is_active:
        raise WorkflowError(_("This account is disabled."))
    user.set_unusable_password()
    user.save(update_fields=["password"])
    end_sessions(user.pk)
    log_change(user, by=by, action=Action.PASSWORD_LINK, field="password", old="", new="one-time link")
    token = default_token_generator.make_token(user)
    return reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )


# Re-arrangement of residential areas (docs/rearrangement.md) --------------------------------


def _new_code(commune: Unit, year: int, taken: set[str]) -> str:
    number = 1
    while f"{commune.code}-S{year}-{number:03d}" in taken:
        number += 1
    code = f"{commune.code}-S{year}-{number:03d}"
    taken.add(code)
    return code


@transaction.atomic
def apply_rearrangement(*, rows: Sequence[Any], by) -> dict[int, Unit]:
    """Write a validated plan (``units.exchange.rearrangement.RearrangementPlan.rows``): every
    row but “Giữ nguyên” (``form`` ``keep``) becomes a new residential area ``valid_from`` its
    effective date, its predecessors end (``valid_to``) that day, and one ``UnitChange`` per
    predecessor (``form`` is the link's kind). Returns the new unit of each row number.
    Audited: each unit created or ended, and one ``rearrangement_applied`` event per row."""
    changing = [r for r in rows if r.form != "keep"]
    old_ids = sorted({u.pk for r in changing for u in r.predecessors})
    locked = {u.pk: u for u in Unit.objects.select_for_update(no_key=True).filter(pk__in=old_ids)}
    for row in changing:
        for unit in row.predecessors:
            current = locked.get(unit.pk)
            if current is None or (current.valid_to is not None and current.valid_to <= row.effective_on):
                raise WorkflowError(
                    _("“%(unit)s” was changed meanwhile; check the file again.") % {"unit": unit.full_name}
                )
    before = unit_snapshots(locked.values())
    prefixes = {f"{r.commune.code}-S{r.effective_on.year}-" for r in changing}
    taken: set[str] = set()
    for prefix in prefixes:
        taken.update(Unit.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    created: dict[int, Unit] = {}
    for row in changing:
        unit = Unit(
            code=_new_code(row.commune, row.effective_on.year, taken),
            name=row.name,
            label=row.label,
            kind=Unit.Kind.RESIDENTIAL_AREA,
            parent=row.commune,
            household_count=row.household_count,
            valid_from=row.effective_on,
        )
        unit.refresh_derived_fields()
        created[row.number] = unit
    Unit.objects.bulk_create(list(created.values()), batch_size=1000)
    rebuild_paths([u.pk for u in created.values()])
    ended: dict[datetime.date, set[int]] = {}
    for row in changing:
        for old in row.predecessors:
            locked[old.pk].valid_to = row.effective_on
            ended.setdefault(row.effective_on, set()).add(old.pk)
    for day, ids in ended.items():  # one UPDATE per effective date
        Unit.objects.filter(pk__in=sorted(ids)).update(valid_to=day, updated_at=timezone.now())
    UnitChange.objects.bulk_create(
        [
            UnitChange(
                predecessor_id=old.pk,
                successor=created[row.number],
                kind=row.form,
                effective_on=row.effective_on,
                reference=row.reference[:200],
            )
            for row in changing
            for old in row.predecessors
        ],
        batch_size=1000,
    )
    log_unit_changes(by=by, before=before, units=[*locked.values(), *created.values()])
    for row in changing:
        log_change(
            created[row.number],
            by=by,
            action=Action.REARRANGEMENT_APPLIED,
            field=row.form,
            old="; ".join(u.code for u in row.predecessors),
            new=row.reference,
        )
    return created


def rearrangement_links(reference: str) -> QuerySet[UnitChange]:
    """The links a resolution (its ``Căn cứ``) wrote."""
    return UnitChange.objects.filter(reference=reference[:200]).select_related("predecessor", "successor")


@transaction.atomic
def undo_rearrangement(*, reference: str, by, today: datetime.date | None = None) -> int:
    """Remove the units a resolution created and let their predecessors continue, until its
    effective date (from that day the new units are the ones that exist). Returns how many
    units were removed. The campaign rows carried to them must be gone first
    (``certification.services.rearrangement.undo``)."""
    today = today or timezone.localdate()
    links = list(rearrangement_links(reference))
    if not links:
        raise WorkflowError(_("No re-arrangement with this resolution."))
    if any(link.effective_on is None or link.effective_on <= today for link in links):
        raise WorkflowError(_("A re-arrangement can only be undone before its effective date."))
    successor_ids = sorted({link.successor_id for link in links})
    if UnitChange.objects.filter(predecessor_id__in=successor_ids).exists():
        raise WorkflowError(_("The new units were re-arranged again; undo that first."))
    if Unit.objects.filter(parent_id__in=successor_ids).exists():
        raise WorkflowError(_("Units were filed under the new units; move them first."))
    old_ids = sorted({link.predecessor_id for link in links})
    olds = list(Unit.objects.select_for_update(no_key=True).filter(pk__in=old_ids))
    before = unit_snapshots(olds)
    for unit in olds:
        unit.valid_to = None
    Unit.objects.bulk_update(olds, ["valid_to"])
    successors = list(Unit.objects.select_for_update().filter(pk__in=successor_ids))
    gone = unit_snapshots(successors)
    for unit in successors:
        log_diff(unit, by=by, action=Action.UNIT_DELETED, old=gone[unit.pk], new=None)
        log_change(unit, by=by, action=Action.REARRANGEMENT_UNDONE, field="reference", old=reference, new="")
    log_unit_changes(by=by, before=before, units=olds)
    UnitChange.objects.filter(pk__in=[link.pk for link in links]).delete()
    RoleAssignment.objects.filter(unit_id__in=successor_ids).delete()
    Unit.objects.filter(pk__in=successor_ids).delete()
    return len(successors)
